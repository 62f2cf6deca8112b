import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { campaignSchema, characterSchema, contextEntrySchema } from "~/lib/campaign-schemas";
import {
  countCampaignsByStatus,
  createCampaign,
  deleteCampaign,
  getCampaign,
  getCampaignOverview,
  listCampaigns,
  setCampaignStatus,
  updateCampaign,
} from "~/server/campaigns/campaigns.server";
import {
  createCharacter,
  deleteCharacter,
  getCharacter,
  listCharacters,
  updateCharacter,
} from "~/server/campaigns/characters.server";
import {
  createContextEntry,
  deleteContextEntry,
  getContextEntry,
  listContextEntries,
  listContextTags,
  updateContextEntry,
} from "~/server/campaigns/context-entries.server";
import { VersionConflictError } from "~/server/campaigns/errors.server";
import { db, newUser, ownerAccess } from "./helpers";

const campaignInput = (name: string, extra: Partial<Record<string, unknown>> = {}) =>
  campaignSchema.parse({ name, status: "planning", ...extra });
const entryInput = (title: string, extra: Record<string, unknown> = {}) =>
  contextEntrySchema.parse({ title, contextType: "lore", ...extra });
const characterInput = (name: string, extra: Record<string, unknown> = {}) =>
  characterSchema.parse({ characterName: name, characterType: "npc", status: "alive", ...extra });

const ftsTitles = async (table: string, query: string) =>
  (await db.all<{ rowid: number }>(sql.raw(`SELECT rowid FROM ${table} WHERE ${table} MATCH '${query}'`))).map(
    (r) => r.rowid,
  );

describe("campaigns", () => {
  it("lists only the owner's campaigns, filtered by status, searched by name, with counts", async () => {
    const gm = await newUser();
    const other = await newUser();
    const crown = await createCampaign(db, gm.username, campaignInput("The Sunken Crown", { status: "active" }));
    await createCampaign(db, gm.username, campaignInput("Curse of 50% Strahd"));
    await createCampaign(db, other.username, campaignInput("Someone else's Crown"));
    await createContextEntry(db, crown, entryInput("Drowned Abbey"));
    await createCharacter(db, crown, characterInput("Sister Maren"));
    await createCharacter(db, crown, characterInput("Brother Tam"));

    const all = await listCampaigns(db, gm, { status: "all", q: "", sort: "name" });
    expect(all.map((c) => c.name)).toEqual(["Curse of 50% Strahd", "The Sunken Crown"]);
    expect(all.find((c) => c.id === crown.id)).toMatchObject({ contextCount: 1, characterCount: 2 });

    const active = await listCampaigns(db, gm, { status: "active", q: "", sort: "updated" });
    expect(active.map((c) => c.name)).toEqual(["The Sunken Crown"]);
    const searched = await listCampaigns(db, gm, { status: "all", q: "crown", sort: "updated" });
    expect(searched.map((c) => c.name)).toEqual(["The Sunken Crown"]);
    // LIKE wildcards in the search are literal characters.
    const percent = await listCampaigns(db, gm, { status: "all", q: "50%", sort: "updated" });
    expect(percent.map((c) => c.name)).toEqual(["Curse of 50% Strahd"]);
    expect(await listCampaigns(db, gm, { status: "all", q: "%", sort: "updated" })).toHaveLength(1);

    expect(await countCampaignsByStatus(db, gm)).toMatchObject({
      all: 2,
      active: 1,
      planning: 1,
      archived: 0,
    });
    expect(await getCampaign(db, other.username, crown.id)).toBeUndefined();
  });

  it("sorts by last update, counting edits to entries and characters as updates", async () => {
    const gm = await newUser();
    const older = await createCampaign(db, gm.username, campaignInput("Older"));
    await createCampaign(db, gm.username, campaignInput("Newer"));
    await new Promise((resolve) => setTimeout(resolve, 5)); // a later millisecond
    await createContextEntry(db, older, entryInput("Fresh lore"));
    const list = await listCampaigns(db, gm, { status: "all", q: "", sort: "updated" });
    expect(list[0]?.name).toBe("Older");
  });

  it("refuses a stale edit with the saved version, and saves a fresh one", async () => {
    const gm = await newUser();
    const campaign = await createCampaign(db, gm.username, campaignInput("Draft"));
    const fromTabA = await updateCampaign(db, gm.username, campaign.id, 1, campaignInput("Tab A's title"));
    expect(fromTabA?.version).toBe(2);

    const stale = await updateCampaign(db, gm.username, campaign.id, 1, campaignInput("Tab B's title")).catch((e) => e);
    expect(stale).toBeInstanceOf(VersionConflictError);
    expect(stale.current).toMatchObject({ name: "Tab A's title", version: 2 });
    expect((await getCampaign(db, gm.username, campaign.id))?.name).toBe("Tab A's title");

    // Resolving: saving again from the version shown wins deliberately.
    const resolved = await updateCampaign(db, gm.username, campaign.id, 2, campaignInput("Tab B's title"));
    expect(resolved).toMatchObject({ name: "Tab B's title", version: 3 });

    const archived = await setCampaignStatus(db, gm.username, campaign.id, 3, "archived");
    expect(archived).toMatchObject({ status: "archived", version: 4 });
  });

  it("never updates or deletes another user's campaign", async () => {
    const gm = await newUser();
    const intruder = await newUser();
    const campaign = await createCampaign(db, gm.username, campaignInput("Mine"));
    expect(await updateCampaign(db, intruder.username, campaign.id, 1, campaignInput("Hijacked"))).toBeUndefined();
    expect(await deleteCampaign(db, intruder.username, campaign.id)).toBe(false);
    expect((await getCampaign(db, gm.username, campaign.id))?.name).toBe("Mine");
  });

  it("builds the overview: entries, characters and recent changes, newest first", async () => {
    const gm = await newUser();
    const campaign = await createCampaign(db, gm.username, campaignInput("Overview"));
    const reader = await ownerAccess(gm, campaign);
    await createContextEntry(db, campaign, entryInput("Zeta", { contextType: "location" }));
    await createContextEntry(db, campaign, entryInput("alpha", { contextType: "faction" }));
    await createCharacter(db, campaign, characterInput("Vessa", { characterType: "pc" }));
    const overview = await getCampaignOverview(db, reader);
    expect(overview.entries.map((e) => e.title)).toEqual(["alpha", "Zeta"]);
    expect(overview.characters.map((c) => c.characterName)).toEqual(["Vessa"]);
    expect(overview.resources).toEqual([]);
    expect(overview.recent.map((r) => r.kind)).toContain("campaign");
    expect(overview.recent).toHaveLength(4);
  });

  it("lists the campaign in recent changes by its own edits, not by each entry added inside it", async () => {
    const gm = await newUser();
    const campaign = await createCampaign(db, gm.username, campaignInput("Quiet Keep"));
    const created = Date.now() - 60_000;
    // Created a minute ago, so that what follows is visibly later.
    await db.run(sql`UPDATE campaigns SET created_at = ${created}, updated_at = ${created} WHERE id = ${campaign.id}`);
    // ownerAccess reads the campaign row afresh, as the campaign middleware does per request.
    const fresh = async () => getCampaignOverview(db, await ownerAccess(gm, campaign));

    await createContextEntry(db, campaign, entryInput("The Gate"));
    await createCharacter(db, campaign, characterInput("Warden"));
    const afterEntries = await fresh();
    // The campaign's list still sorts by the latest write inside it…
    expect((await getCampaign(db, gm.username, campaign.id))?.updatedAt).toBeGreaterThan(created);
    // …but its row in recent changes keeps the time it was created: no phantom "Campaign · just now".
    expect(afterEntries.recent.map((r) => [r.kind, r.title])).toEqual([
      ["character", "Warden"],
      ["context", "The Gate"],
      ["campaign", "Quiet Keep"],
    ]);
    expect(afterEntries.recent.find((r) => r.kind === "campaign")?.updatedAt).toBe(created);

    // Editing the campaign itself is a real change and comes first.
    await updateCampaign(db, gm.username, campaign.id, 1, campaignInput("Quiet Keep, revised"));
    const afterEdit = await fresh();
    expect(afterEdit.recent[0]).toMatchObject({ kind: "campaign", title: "Quiet Keep, revised" });
    const editedAt = afterEdit.recent[0]?.updatedAt;
    expect(editedAt).toBeGreaterThan(created);

    // And another entry afterwards does not move it again.
    await new Promise((resolve) => setTimeout(resolve, 5));
    await createContextEntry(db, campaign, entryInput("The Well"));
    const later = await fresh();
    expect(later.recent[0]).toMatchObject({ kind: "context", title: "The Well" });
    expect(later.recent.filter((r) => r.kind === "campaign")).toEqual([
      expect.objectContaining({ title: "Quiet Keep, revised", updatedAt: editedAt }),
    ]);
  });
});

describe("context entries", () => {
  it("filters by type and whole tag, keeps FTS current, and detects conflicts", async () => {
    const gm = await newUser();
    const campaign = await createCampaign(db, gm.username, campaignInput("Lore"));
    const reader = await ownerAccess(gm, campaign);
    const abbey = await createContextEntry(
      db,
      campaign,
      entryInput("Drowned Abbey", { contextType: "location", content: "Lichwater pools", tags: "undead, Act 1" }),
    );
    await createContextEntry(db, campaign, entryInput("Rule of cool", { contextType: "house_rule", tags: "act 10" }));

    expect((await listContextEntries(db, reader, { type: "location", tag: "" })).map((e) => e.title)).toEqual([
      "Drowned Abbey",
    ]);
    // A tag matches whole: "act 1" finds "Act 1" but not "act 10".
    expect((await listContextEntries(db, reader, { type: "all", tag: "act 1" })).map((e) => e.title)).toEqual([
      "Drowned Abbey",
    ]);
    expect(await listContextTags(db, reader)).toEqual(["Act 1", "act 10", "undead"]);
    expect(await ftsTitles("campaign_context_fts", "lichwater")).toContain(abbey.id);

    const updated = await updateContextEntry(
      db,
      campaign,
      abbey.id,
      1,
      entryInput("Drowned Abbey", { contextType: "location", content: "Brine and bones" }),
    );
    expect(updated?.version).toBe(2);
    expect(await ftsTitles("campaign_context_fts", "lichwater")).not.toContain(abbey.id);
    expect(await ftsTitles("campaign_context_fts", "brine")).toContain(abbey.id);

    const conflict = await updateContextEntry(db, campaign, abbey.id, 1, entryInput("Stale")).catch((e) => e);
    expect(conflict).toBeInstanceOf(VersionConflictError);
    expect(conflict.current.content).toBe("Brine and bones");

    expect(await deleteContextEntry(db, campaign, abbey.id)).toBe(true);
    expect(await getContextEntry(db, reader, abbey.id)).toBeUndefined();
    expect(await ftsTitles("campaign_context_fts", "brine")).not.toContain(abbey.id);
  });

  it("cannot reach an entry through someone else's campaign", async () => {
    const gm = await newUser();
    const mine = await createCampaign(db, gm.username, campaignInput("Mine"));
    const them = await newUser();
    const theirs = await createCampaign(db, them.username, campaignInput("Theirs"));
    const secret = await createContextEntry(db, theirs, entryInput("Their secret"));
    expect(await getContextEntry(db, await ownerAccess(gm, mine), secret.id)).toBeUndefined();
    expect(await updateContextEntry(db, mine, secret.id, 1, entryInput("Mine now"))).toBeUndefined();
    expect(await deleteContextEntry(db, mine, secret.id)).toBe(false);
    expect((await getContextEntry(db, await ownerAccess(them, theirs), secret.id))?.title).toBe("Their secret");
  });
});

describe("characters", () => {
  it("keeps a player name for a player character only", async () => {
    const gm = await newUser();
    const campaign = await createCampaign(db, gm.username, campaignInput("Table"));
    const reader = await ownerAccess(gm, campaign);
    const vessa = await createCharacter(
      db,
      campaign,
      characterInput("Vessa", { characterType: "pc", playerName: "Ana" }),
    );
    // A form sent for an NPC may still carry a player typed before the kind changed.
    const maren = await createCharacter(db, campaign, characterInput("Maren", { playerName: "Ana" }));
    expect((await getCharacter(db, reader, vessa.id))?.details.playerName).toBe("Ana");
    expect((await getCharacter(db, reader, maren.id))?.details.playerName).toBeUndefined();
  });

  it("stores details and stats, filters by kind and status, keeps FTS current, detects conflicts", async () => {
    const gm = await newUser();
    const campaign = await createCampaign(db, gm.username, campaignInput("Cast"));
    const reader = await ownerAccess(gm, campaign);
    const maren = await createCharacter(
      db,
      campaign,
      characterInput("Sister Maren", {
        level: 5,
        characterClass: "Cleric",
        backstory: "Keeper of the reliquary",
        stats: [
          { key: "AC", value: "15" },
          { key: "", value: "" },
        ],
      }),
    );
    await createCharacter(db, campaign, characterInput("Vessa", { characterType: "pc", status: "missing" }));
    expect((await getCharacter(db, reader, maren.id))?.details).toMatchObject({
      level: 5,
      characterClass: "Cleric",
      stats: [{ key: "AC", value: "15" }],
    });
    expect((await listCharacters(db, reader, { kind: "pc", status: "all" })).map((c) => c.characterName)).toEqual([
      "Vessa",
    ]);
    expect((await listCharacters(db, reader, { kind: "all", status: "missing" })).map((c) => c.characterName)).toEqual([
      "Vessa",
    ]);
    expect(await ftsTitles("campaign_characters_fts", "reliquary")).toContain(maren.id);

    await updateCharacter(db, campaign, maren.id, 1, characterInput("Mother Maren", { backstory: "Abbess now" }));
    expect(await ftsTitles("campaign_characters_fts", "reliquary")).not.toContain(maren.id);
    expect(await ftsTitles("campaign_characters_fts", "abbess")).toContain(maren.id);
    const conflict = await updateCharacter(db, campaign, maren.id, 1, characterInput("Stale")).catch((e) => e);
    expect(conflict).toBeInstanceOf(VersionConflictError);
    expect(conflict.current.characterName).toBe("Mother Maren");

    expect(await deleteCharacter(db, campaign, maren.id)).toBe(true);
    expect(await ftsTitles("campaign_characters_fts", "abbess")).not.toContain(maren.id);
  });

  it("rejects stats without a name and levels out of range at the schema", () => {
    expect(
      characterSchema.safeParse({ characterName: "x", characterType: "npc", status: "alive", level: 31 }).success,
    ).toBe(false);
    const unnamed = characterSchema.safeParse({
      characterName: "x",
      characterType: "npc",
      status: "alive",
      stats: [{ value: "15" }],
    });
    expect(unnamed.error?.issues[0]?.message).toBe("Every stat needs a name.");
  });
});

describe("deleting a campaign", () => {
  it("removes its entries and characters (and their FTS rows) but not other campaigns'", async () => {
    const gm = await newUser();
    const doomed = await createCampaign(db, gm.username, campaignInput("Doomed"));
    const kept = await createCampaign(db, gm.username, campaignInput("Kept"));
    const doomedEntry = await createContextEntry(db, doomed, entryInput("Obsidian gate", { content: "obsidian" }));
    const keptEntry = await createContextEntry(db, kept, entryInput("Obsidian mirror", { content: "obsidian" }));
    const doomedNpc = await createCharacter(db, doomed, characterInput("Obsidian knight"));
    const asOwner = await ownerAccess(gm, doomed);
    expect(await deleteCampaign(db, gm.username, doomed.id)).toBe(true);
    expect(await getContextEntry(db, asOwner, doomedEntry.id)).toBeUndefined();
    expect(await getCharacter(db, asOwner, doomedNpc.id)).toBeUndefined();
    const hits = await ftsTitles("campaign_context_fts", "obsidian");
    expect(hits).toContain(keptEntry.id);
    expect(hits).not.toContain(doomedEntry.id);
    expect(await ftsTitles("campaign_characters_fts", "obsidian")).not.toContain(doomedNpc.id);
  });
});
