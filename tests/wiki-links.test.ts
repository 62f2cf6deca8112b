import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { contextEntrySchema, contextEntryUpdateSchema, MAX_ALIASES } from "~/lib/campaign-schemas";
import { wikiLinkNames } from "~/lib/wiki-links";
import { createCampaign } from "~/server/campaigns/campaigns.server";
import { createCharacter, updateCharacter } from "~/server/campaigns/characters.server";
import {
  createContextEntry,
  deleteContextEntry,
  getContextEntry,
  updateContextEntry,
} from "~/server/campaigns/context-entries.server";
import { backlinksTo, linkResolver, renderLinked } from "~/server/campaigns/links.server";
import { renderForReader } from "~/server/campaigns/secrets.server";
import { createSession } from "~/server/campaigns/sessions.server";
import { campaignLinkNames, campaignMembers } from "~/server/db/schema";
import { renderMarkdown } from "~/server/markdown.server";
import { db, newUser, ownerAccess } from "./helpers";

async function world() {
  const gm = await newUser("links");
  const player = await newUser("player");
  const campaign = await createCampaign(db, gm.username, {
    name: "Saltmarsh",
    description: "",
    status: "active",
    tags: [],
  });
  await db
    .insert(campaignMembers)
    .values({ campaignId: campaign.id, accountId: player.id, role: "player", addedBy: gm.id });
  const harbour = await createContextEntry(db, campaign, {
    contextType: "location",
    title: "The Harbour",
    content:
      "Ships from [[Duke Orlo|the duke]]'s fleet moor at the [[Lighthouse]].\n\n```secret\nThe [[Smugglers' Guild]] owns the dock.\n```\n",
    tags: [],
    audience: "campaign",
  });
  const guild = await createContextEntry(db, campaign, {
    contextType: "faction",
    title: "Smugglers' Guild",
    content: "They meet under [[the harbour]].",
    tags: [],
    audience: "gm",
  });
  const duke = await createCharacter(db, campaign, {
    characterName: "Duke Orlo",
    characterType: "npc",
    status: "alive",
    backstory: "Rules from [[The Harbour]]. Code: `[[The Harbour]]`.",
    stats: [],
    audience: "campaign",
  });
  const access = await ownerAccess(gm, campaign);
  const asPlayer = { campaign, role: "player" as const, account: player, owner: access.owner };
  return { campaign, harbour, guild, duke, access, asPlayer };
}

describe("[[links]] between entries and characters", () => {
  it("finds each linked name once, case-insensitively, with its shown text set aside", () => {
    expect(
      wikiLinkNames("[[Duke Orlo|the duke]] met [[duke  orlo]] at [[Lighthouse]]; [[]] and [[a|b|c]] are not links"),
    ).toEqual(["Duke Orlo", "Lighthouse"]);
  });

  it("renders a link to the entry or character of that name, with the shown text", async () => {
    const { harbour, duke, access, campaign } = await world();
    const html = renderForReader(harbour.content, access, await linkResolver(db, access, [harbour.content]));
    expect(html).toContain(`<a href="/campaigns/${campaign.id}/characters/${duke.id}">the duke</a>`);
    // Nothing is called "Lighthouse": a GM is offered to create it.
    expect(html).toContain(`href="/campaigns/${campaign.id}/context/new?title=Lighthouse"`);
    expect(html).toContain("is not written yet: create it");
    // Inside the GM's secret box, the GM-only guild links too.
    expect(html).toMatch(/<a href="\/campaigns\/[^"]+\/context\/\d+">Smugglers' Guild<\/a>/);
  });

  it("never links what the reader may not see, and offers a player nothing to create", async () => {
    const { guild, harbour, asPlayer, campaign, duke } = await world();
    const text = `${harbour.contentPublic}\n\nSee [[Smugglers' Guild]].`;
    const html = renderForReader(text, asPlayer, await linkResolver(db, asPlayer, [text]));
    expect(html).toContain(`<a href="/campaigns/${campaign.id}/characters/${duke.id}">the duke</a>`);
    expect(html).not.toContain(`/context/${guild.id}`);
    expect(html).toContain("See Smugglers' Guild.");
    expect(html).not.toContain("/context/new");
    expect(html).not.toContain("[[");
  });

  it("looks up, for a player, only the names of the text they may read", async () => {
    const { asPlayer, duke } = await world();
    // Fifty names inside a secret block, then a public link: the public one is still resolved.
    const secret = Array.from({ length: 60 }, (_, i) => `[[Hidden ${i}]]`).join(" ");
    const text = `\`\`\`secret\n${secret}\n\`\`\`\n\nSee [[Duke Orlo]].`;
    const html = await renderLinked(db, asPlayer, text);
    expect(html).toContain(`/characters/${duke.id}`);
    expect(html).not.toContain("Hidden");
  });

  it("resolves a text with more links than one statement may bind, for a player too", async () => {
    const { asPlayer, duke } = await world();
    const text = `${Array.from({ length: 120 }, (_, i) => `[[Place ${i}]]`).join(" ")} and [[Duke Orlo]]`;
    const html = renderForReader(text, asPlayer, await linkResolver(db, asPlayer, [text]));
    expect(html).toContain("Place 119");
    expect(html).not.toContain("[[");
    // Past the first 50 names nothing more is looked up: the duke renders as text.
    expect(html).not.toContain(`/characters/${duke.id}`);
    expect(html).toContain("Duke Orlo");
  });

  it("leaves code alone, and Markdown without a resolver as written", async () => {
    const { duke, access } = await world();
    const html = renderForReader(duke.backstory, access, await linkResolver(db, access, [duke.backstory]));
    expect(html).toMatch(/Rules from <a href="[^"]+">The Harbour<\/a>/);
    expect(html).toContain("<code>[[The Harbour]]</code>");
    expect(renderMarkdown("Plain [[The Harbour]] text")).toContain("Plain [[The Harbour]] text");
  });

  it("shows what links to an entry, as far as the reader may see", async () => {
    const { harbour, guild, duke, access, asPlayer } = await world();
    const forGm = await backlinksTo(db, access, { kind: "entry", id: harbour.id, names: [harbour.title] });
    expect(forGm.map((link) => link.title).sort()).toEqual(["Duke Orlo", "Smugglers' Guild"]);
    const forPlayer = await backlinksTo(db, asPlayer, { kind: "entry", id: harbour.id, names: [harbour.title] });
    expect(forPlayer.map((link) => link.title)).toEqual(["Duke Orlo"]);
    // The guild is linked only from inside the harbour's secret block: GMs see that, players do not.
    expect(
      (await backlinksTo(db, access, { kind: "entry", id: guild.id, names: [guild.title] })).map((l) => l.title),
    ).toEqual(["The Harbour"]);
    expect(await backlinksTo(db, asPlayer, { kind: "entry", id: guild.id, names: [guild.title] })).toEqual([]);
    expect(
      (await backlinksTo(db, asPlayer, { kind: "character", id: duke.id, names: [duke.characterName] })).map(
        (l) => l.title,
      ),
    ).toEqual(["The Harbour"]);
  });

  it("resolves aliases, keeps links to the old name when something is renamed, and forgets a deleted row's names", async () => {
    const { campaign, harbour, guild, duke, access, asPlayer } = await world();
    const lighthouse = await createContextEntry(db, campaign, {
      contextType: "location",
      title: "Lighthouse",
      content: "",
      tags: [],
      aliases: ["The Old Lamp", "lighthouse"],
      audience: "campaign",
    });
    // The title itself is not kept twice as an alias.
    expect(lighthouse.aliases).toEqual(["The Old Lamp"]);
    const lamp = "Meet at [[the old lamp]], not at [[The Harbour]].";
    expect(await renderLinked(db, access, lamp)).toContain(`href="/campaigns/${campaign.id}/context/${lighthouse.id}"`);

    // Renamed: the old name joins the aliases in the same statement, so every link to it still resolves.
    const renamed = await updateContextEntry(db, campaign, harbour.id, harbour.version, {
      contextType: "location",
      title: "Port Saltmarsh",
      content: harbour.content,
      tags: [],
      aliases: ["The Docks"],
      audience: "campaign",
    });
    expect(renamed?.aliases).toEqual(["The Docks", "The Harbour"]);
    const html = await renderLinked(db, asPlayer, duke.backstory);
    expect(html).toContain(`href="/campaigns/${campaign.id}/context/${harbour.id}"`);
    // And what linked to it by its old name is still "Linked from" under the new one.
    const names = [renamed?.title ?? "", ...(renamed?.aliases ?? [])];
    const backlinks = await backlinksTo(db, asPlayer, { kind: "entry", id: harbour.id, names });
    expect(backlinks.map((link) => link.title)).toEqual(["Duke Orlo"]);
    // Renaming back does not pile the names up.
    const back = await updateContextEntry(db, campaign, harbour.id, renamed?.version ?? 0, {
      contextType: "location",
      title: "The Harbour",
      content: harbour.content,
      tags: [],
      aliases: renamed?.aliases,
      audience: "campaign",
    });
    expect(back?.aliases).toEqual(["The Docks", "Port Saltmarsh"]);

    // A hidden row's alias is no link for a player; a character renamed keeps its old name too.
    await updateContextEntry(db, campaign, guild.id, guild.version, {
      contextType: "faction",
      title: "Smugglers' Guild",
      content: guild.content,
      tags: [],
      aliases: ["The Wharf Rats"],
      audience: "gm",
    });
    const rats = "Beware [[The Wharf Rats]].";
    expect(await renderLinked(db, access, rats)).toContain(`/context/${guild.id}"`);
    expect(await renderLinked(db, asPlayer, rats)).not.toContain("href");
    const orlo = await updateCharacter(db, campaign, duke.id, duke.version, {
      characterName: "Orlo the Elder",
      characterType: "npc",
      status: "alive",
      backstory: duke.backstory,
      stats: [],
      audience: "campaign",
    });
    expect(orlo?.aliases).toEqual(["Duke Orlo"]);
    expect(await renderLinked(db, asPlayer, "[[Duke Orlo|the duke]]")).toContain(`/characters/${duke.id}"`);

    // A title wins over another row's alias of the same name.
    await createContextEntry(db, campaign, {
      contextType: "lore",
      title: "Beacon",
      content: "",
      tags: [],
      aliases: ["Lighthouse"],
      audience: "campaign",
    });
    expect(await renderLinked(db, access, "[[Lighthouse]]")).toContain(`/context/${lighthouse.id}"`);

    expect(await deleteContextEntry(db, campaign, lighthouse.id)).toBe(true);
    const left = await db.select().from(campaignLinkNames).where(eq(campaignLinkNames.targetId, lighthouse.id));
    expect(left.filter((row) => row.targetKind === "entry")).toEqual([]);
    expect(await getContextEntry(db, access, lighthouse.id)).toBeUndefined();
  });

  it("reads other names from a form as a bounded, de-duplicated list", () => {
    const base = { contextType: "lore", title: "Lighthouse" };
    expect(contextEntrySchema.parse({ ...base, aliases: " The Old Lamp, the old  lamp ,Beacon" }).aliases).toEqual([
      "The Old Lamp",
      "Beacon",
    ]);
    expect(contextEntrySchema.safeParse({ ...base, aliases: "[[Lamp]]" }).success).toBe(false);
    expect(
      contextEntrySchema.safeParse({ ...base, aliases: Array.from({ length: 11 }, (_, i) => `n${i}`).join(",") })
        .success,
    ).toBe(false);
  });

  it("lists the sessions that link to an entry: the GMs' notes for GMs, only a shared recap for players", async () => {
    const { campaign, harbour, access, asPlayer } = await world();
    const names = [harbour.title];
    const notes = await createSession(db, campaign, {
      number: 1,
      playedOn: "2026-12-01",
      title: "Fog",
      attendeeIds: [],
      guests: [],
      notes: "The party reached [[The Harbour]] at dusk.",
      recap: "",
      audience: "campaign",
    });
    await createSession(db, campaign, {
      number: 2,
      playedOn: "2026-12-08",
      title: "",
      attendeeIds: [],
      guests: [],
      notes: "",
      recap: "Back at [[the harbour|the docks]].\n\n```secret\nAlso [[Smugglers' Guild]].\n```\n",
      audience: "campaign",
    });
    const forGm = await backlinksTo(db, access, { kind: "entry", id: harbour.id, names });
    expect(forGm.filter((link) => link.kind === "session").map((link) => link.title)).toEqual([
      "Session 2",
      "Session 1: Fog",
    ]);
    expect(forGm.find((link) => link.kind === "session" && link.id === notes.id)?.href).toBe(
      `/campaigns/${campaign.id}/sessions/${notes.id}`,
    );
    // The notes are the GMs' alone: a player sees the session whose shared recap links here.
    const forPlayer = await backlinksTo(db, asPlayer, { kind: "entry", id: harbour.id, names });
    expect(forPlayer.filter((link) => link.kind === "session").map((link) => link.title)).toEqual(["Session 2"]);
    // A link inside the recap's secret block is not a backlink for a player.
    const guild = { kind: "entry" as const, id: -1, names: ["Smugglers' Guild"] };
    expect((await backlinksTo(db, access, guild)).map((link) => link.title)).toContain("Session 2");
    expect((await backlinksTo(db, asPlayer, guild)).filter((link) => link.kind === "session")).toEqual([]);
  });

  it("forgets the old name when the GM asks, and never stores more other names than a form can save", async () => {
    const { campaign, harbour } = await world();
    const base = { contextType: "location" as const, content: "", tags: [], audience: "campaign" as const };
    const secretly = await updateContextEntry(db, campaign, harbour.id, harbour.version, {
      ...base,
      title: "Mayor's House",
      aliases: [],
      forgetOldName: true,
    });
    expect(secretly?.aliases).toEqual([]);
    const full = Array.from({ length: MAX_ALIASES }, (_, i) => `Name ${i}`);
    const renamed = await updateContextEntry(db, campaign, harbour.id, secretly?.version ?? 0, {
      ...base,
      title: "Town Hall",
      aliases: full,
    });
    expect(renamed?.aliases).toEqual(full);
    const form = { contextType: "location", title: "Town Hall", aliases: full.join(",") };
    expect(contextEntrySchema.safeParse(form).success).toBe(true);
    // A form (or API call) that sends nothing about it keeps the old name.
    expect(contextEntryUpdateSchema.parse({ ...form, version: 1 }).forgetOldName).toBeUndefined();
  });
});
