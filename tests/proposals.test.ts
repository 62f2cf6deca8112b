import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import type { ChatMessage, ChatModel } from "~/server/assistant/chat-model.server";
import { createCampaign } from "~/server/campaigns/campaigns.server";
import { getCharacter } from "~/server/campaigns/characters.server";
import { createContextEntry, getContextEntry } from "~/server/campaigns/context-entries.server";
import { attachFile, detachFile } from "~/server/campaigns/resources.server";
import {
  type Campaign,
  campaignCharacters,
  campaignContext,
  campaignMembers,
  campaignProposals,
  type User,
} from "~/server/db/schema";
import { getFile } from "~/server/files/files.server";
import {
  acceptMany,
  acceptProposal,
  findProposals,
  listProposals,
  MergeConflict,
  mergeProposal,
  ProposalDecided,
  type ProposalDeps,
  rejectProposal,
} from "~/server/proposals/proposals.server";
import adventure from "./fixtures/the-drowned-lantern.md?raw";
import truth from "./fixtures/the-drowned-lantern.truth.json";
import { db, newUser, ownerAccess, services, sessionCookieFor } from "./helpers";
import { drain, storeFile, withQueue } from "./ingest-helpers";
import { buildPdf } from "./pdf-fixtures";
import { callRoute, routeAt } from "./route-walk";

/**
 * Proposals from a campaign's files (ADR 0038): found offline in a stat-block PDF and a
 * module-like Markdown file, stored for review, and decided — accepted (once), edited,
 * merged at a version, rejected — and only by who may edit the campaign's material.
 */

const encode = (s: string) => new TextEncoder().encode(s);

/** Three pages: rules prose, then two stat blocks, the second's name at the foot of page 2. */
const bestiary = buildPdf({
  pages: [
    [
      "Using this bestiary",
      "Each creature below has a stat block. Armor Class is how hard it is to hit.",
      "Hit Points tell how much harm it takes before it falls.",
    ],
    [
      "Marsh Troll",
      "Large giant, chaotic evil",
      "Armor Class 15 (natural armor)",
      "Hit Points 84 (8d10 + 40)",
      "Speed 30 ft.",
      "STR DEX CON INT WIS CHA",
      "18 (+4) 13 (+1) 20 (+5) 7 (-2) 9 (-1) 7 (-2)",
      "Challenge 5 (1,800 XP)",
      "Regeneration. The troll regains 10 hit points at the start of its turn.",
      "Captain Ysolde Marr",
      "Medium humanoid (human), lawful neutral",
    ],
    [
      "Armor Class 16 (breastplate)",
      "Hit Points 52 (8d8 + 16)",
      "Speed 30 ft.",
      "Challenge 3 (700 XP)",
      "Leadership. Allies within 30 feet add 1d4 to attack rolls.",
    ],
  ],
});

const deps = (model: ChatModel | null = null): ProposalDeps => ({
  db,
  tracker: services.tracker,
  model,
  rows: services.limits.rows,
});

async function gmWithFile(name: string, bytes: Uint8Array, type: string) {
  const gm = await newUser();
  const stored = await storeFile(gm.username, name, bytes, type);
  await withQueue(gm.id, async (queue) => {
    await queue.enqueue(stored);
    await drain(queue);
  });
  const file = await getFile(db, gm.username, stored.fileKey);
  if (file?.status !== "ready") throw new Error(`${name} was not processed: ${file?.status} ${file?.error}`);
  const campaign = await createCampaign(db, gm.username, {
    name: "Saltmere",
    description: "",
    status: "active",
    tags: [],
  });
  await attachFile(db, campaign, file, { description: "", tags: [] });
  return { gm, file, campaign, access: await ownerAccess(gm, campaign) };
}

const proposalsOf = (campaign: Campaign) =>
  db
    .select()
    .from(campaignProposals)
    .where(eq(campaignProposals.campaignId, campaign.id))
    .orderBy(campaignProposals.id);

async function proposalNamed(campaign: Campaign, name: string) {
  const [row] = await db
    .select()
    .from(campaignProposals)
    .where(and(eq(campaignProposals.campaignId, campaign.id), eq(campaignProposals.name, name)));
  if (!row) throw new Error(`no proposal ${name}`);
  return row;
}

describe("finding proposals", () => {
  it("proposes a PDF's stat blocks with the page each creature's name is on", async () => {
    const { file, campaign, access } = await gmWithFile("bestiary.pdf", bestiary, "application/pdf");
    const result = await findProposals(deps(), access, file);
    expect(result).toMatchObject({ found: 2, added: 2, model: null, truncated: false });
    const rows = await proposalsOf(campaign);
    expect(rows.map((r) => [r.kind, r.name, r.page, r.origin, r.status])).toEqual([
      ["monster", "Marsh Troll", 2, "stat-block", "pending"],
      // A humanoid is an NPC; its name is at the foot of page 2, its Armor Class on page 3.
      ["npc", "Captain Ysolde Marr", 2, "stat-block", "pending"],
    ]);
    expect(rows[0]?.excerpt).toContain("Armor Class 15 (natural armor)");
    expect(rows[0]?.excerpt).toContain("Challenge 5 (1,800 XP)");
  });

  it("proposes a module's NPCs, places, item, factions and stat block, each under its heading", async () => {
    const { file, campaign, access } = await gmWithFile("drowned-lantern.md", encode(adventure), "text/markdown");
    await findProposals(deps(), access, file);
    const rows = await proposalsOf(campaign);
    expect(rows.map((r) => ({ kind: r.kind, name: r.name, heading: r.heading }))).toEqual(truth.items);
    // Bold labels outside a kind's section ("Running the adventure") and a stat block's traits are no names.
    expect(rows.map((r) => r.name)).not.toContain("Running the adventure");
    expect(rows.map((r) => r.name)).not.toContain("Tidebound");
    expect(rows.every((r) => r.page === null && r.passage !== null)).toBe(true);
  });

  it("reads a file again without duplicates, and what was decided stays decided", async () => {
    const { file, campaign, access } = await gmWithFile("drowned-lantern.md", encode(adventure), "text/markdown");
    const first = await findProposals(deps(), access, file);
    const chapel = await proposalNamed(campaign, "The Sunken Chapel");
    expect(await rejectProposal(db, access, chapel.id)).toBe(true);
    const again = await findProposals(deps(), access, file);
    expect(again).toMatchObject({ found: first.found, added: 0 });
    const rows = await proposalsOf(campaign);
    expect(rows).toHaveLength(first.found);
    expect(rows.find((r) => r.id === chapel.id)?.status).toBe("rejected");
  });

  it("refuses a file that is not processed yet", async () => {
    const gm = await newUser();
    const stored = await storeFile(gm.username, "later.md", encode("# Later\n"), "text/markdown");
    const file = await getFile(db, gm.username, stored.fileKey);
    const campaign = await createCampaign(db, gm.username, { name: "C", description: "", status: "active", tags: [] });
    if (!file) throw new Error("no file");
    await attachFile(db, campaign, file, { description: "", tags: [] });
    await expect(findProposals(deps(), await ownerAccess(gm, campaign), file)).rejects.toThrow(/not processed yet/);
  });

  it("adds what a configured model names in the text, and drops names the text does not hold", async () => {
    const { file, campaign, access } = await gmWithFile("drowned-lantern.md", encode(adventure), "text/markdown");
    const asked: ChatMessage[][] = [];
    const model: ChatModel = {
      provider: "openai-compatible",
      label: "test model",
      async *stream(messages) {
        asked.push(messages);
        yield 'Here you are: {"items":[{"kind":"npc","name":"Merrow\'s Pride","summary":"A ship."},';
        yield '{"kind":"npc","name":"Queen Zandria of the Moon","summary":"Invented."}]}';
      },
    };
    const result = await findProposals(deps(model), access, file);
    expect(result.model).toMatchObject({ calls: 1, failures: 0, found: 1 });
    expect(asked[0]?.[1]?.content).toContain("Sister Orla Venn");
    const names = (await proposalsOf(campaign)).map((r) => [r.name, r.origin]);
    expect(names).toContainEqual(["Merrow's Pride", "model"]);
    expect(names.map(([name]) => name)).not.toContain("Queen Zandria of the Moon");
  });

  it("counts a model answer that is not the JSON asked for as a failure, and keeps the offline proposals", async () => {
    const { file, campaign, access } = await gmWithFile("drowned-lantern.md", encode(adventure), "text/markdown");
    const model: ChatModel = {
      provider: "openai-compatible",
      label: "chatty",
      async *stream() {
        yield "I found several interesting characters!";
      },
    };
    const result = await findProposals(deps(model), access, file);
    expect(result.model).toMatchObject({ calls: 1, failures: 1, found: 0 });
    expect(await proposalsOf(campaign)).toHaveLength(truth.items.length);
  });
});

describe("deciding proposals", () => {
  it("accepts a creature as a GM-only NPC with its stats and a link to its page, once", async () => {
    const { file, campaign, access } = await gmWithFile("bestiary.pdf", bestiary, "application/pdf");
    await findProposals(deps(), access, file);
    const troll = await proposalNamed(campaign, "Marsh Troll");
    const decision = await acceptProposal(deps(), access, troll.id);
    expect(decision).toMatchObject({ targetKind: "character", title: "Marsh Troll" });
    const character = await getCharacter(db, access, decision?.targetId ?? 0);
    expect(character).toMatchObject({ characterName: "Marsh Troll", characterType: "npc", audience: "gm" });
    expect(character?.backstory).toContain(`(/campaigns/${campaign.id}/files/${file.fileKey}/download#page=2)`);
    expect(character?.backstory).toContain("Source: [bestiary.pdf, page 2]");
    expect(character?.details.stats).toContainEqual({ key: "Armor Class", value: "15 (natural armor)" });
    expect(await proposalNamed(campaign, "Marsh Troll")).toMatchObject({
      status: "accepted",
      targetKind: "character",
      targetId: decision?.targetId,
    });
    // Again: refused, and nothing more is created.
    await expect(acceptProposal(deps(), access, troll.id)).rejects.toBeInstanceOf(ProposalDecided);
    const trolls = await db
      .select()
      .from(campaignCharacters)
      .where(and(eq(campaignCharacters.campaignId, campaign.id), eq(campaignCharacters.characterName, "Marsh Troll")));
    expect(trolls).toHaveLength(1);
  });

  it("accepts a proposal once when two accepts race", async () => {
    const { file, campaign, access } = await gmWithFile("bestiary.pdf", bestiary, "application/pdf");
    await findProposals(deps(), access, file);
    const captain = await proposalNamed(campaign, "Captain Ysolde Marr");
    const outcomes = await Promise.allSettled([
      acceptProposal(deps(), access, captain.id),
      acceptProposal(deps(), access, captain.id),
      acceptMany(deps(), access, [captain.id, captain.id]),
    ]);
    const created = await db.select().from(campaignCharacters).where(eq(campaignCharacters.campaignId, campaign.id));
    expect(created.map((c) => c.characterName)).toEqual(["Captain Ysolde Marr"]);
    // Each loser was told it was decided already (acceptMany counts it as skipped).
    const refused = outcomes.filter((o) => o.status === "rejected").map((o) => (o as PromiseRejectedResult).reason);
    expect(refused.every((reason) => reason instanceof ProposalDecided)).toBe(true);
    const many = outcomes[2]?.status === "fulfilled" ? outcomes[2].value : null;
    const winners = outcomes.slice(0, 2).filter((o) => o.status === "fulfilled").length + (many?.accepted.length ?? 0);
    expect(winners).toBe(1);
    expect(await proposalNamed(campaign, "Captain Ysolde Marr")).toMatchObject({
      status: "accepted",
      targetId: created[0]?.id,
    });
  });

  it("accepts a place as a location entry linking the passage it came from, and an edited one as edited", async () => {
    const { file, campaign, access } = await gmWithFile("drowned-lantern.md", encode(adventure), "text/markdown");
    await findProposals(deps(), access, file);
    const lighthouse = await proposalNamed(campaign, "The Old Lighthouse");
    const place = await acceptProposal(deps(), access, lighthouse.id);
    const entry = await getContextEntry(db, access, place?.targetId ?? 0);
    expect(entry).toMatchObject({ contextType: "location", title: "The Old Lighthouse", audience: "gm" });
    expect(entry?.content).toContain("A tower of grey stone on the point");
    expect(entry?.content).toContain(
      `(/campaigns/${campaign.id}/files/${file.fileKey}/read#passage-${lighthouse.passage})`,
    );
    const lantern = await proposalNamed(campaign, "The Drowned Lantern");
    const edited = await acceptProposal(deps(), access, lantern.id, {
      name: "Lantern of the Drowned",
      kind: "faction",
      excerpt: "Not an item after all.",
    });
    const faction = await getContextEntry(db, access, edited?.targetId ?? 0);
    expect(faction).toMatchObject({ contextType: "faction", title: "Lantern of the Drowned" });
    expect(faction?.content).toMatch(/^Not an item after all\.\n\n\*Source: /);
    expect(await proposalNamed(campaign, "Lantern of the Drowned")).toMatchObject({
      status: "accepted",
      kind: "faction",
    });
  });

  it("merges into an existing entry at the version shown, and refuses a stale version", async () => {
    const { file, campaign, access } = await gmWithFile("drowned-lantern.md", encode(adventure), "text/markdown");
    await findProposals(deps(), access, file);
    const existing = await createContextEntry(db, campaign, {
      contextType: "location",
      title: "The Gull's Rest",
      content: "Our party's favourite tavern.",
      tags: [],
    });
    const rest = await proposalNamed(campaign, "The Gull's Rest");
    const merged = await mergeProposal(db, access, rest.id, { kind: "entry", id: existing.id, version: 1 });
    expect(merged).toMatchObject({ targetKind: "entry", targetId: existing.id });
    const entry = await getContextEntry(db, access, existing.id);
    expect(entry?.version).toBe(2);
    expect(entry?.content).toMatch(/^Our party's favourite tavern\.\n\nThe harbour tavern\./);
    expect(entry?.content).toContain(`/files/${file.fileKey}/read#passage-`);
    expect(await proposalNamed(campaign, "The Gull's Rest")).toMatchObject({ status: "merged", targetId: existing.id });
    // A merge from a page showing version 1 now finds version 2: refused, nothing changed.
    const chapel = await proposalNamed(campaign, "The Sunken Chapel");
    await expect(
      mergeProposal(db, access, chapel.id, { kind: "entry", id: existing.id, version: 1 }),
    ).rejects.toBeInstanceOf(MergeConflict);
    expect((await getContextEntry(db, access, existing.id))?.version).toBe(2);
    expect((await proposalNamed(campaign, "The Sunken Chapel")).status).toBe("pending");
    // And a decided proposal is not merged again.
    await expect(
      mergeProposal(db, access, rest.id, { kind: "entry", id: existing.id, version: 2 }),
    ).rejects.toBeInstanceOf(ProposalDecided);
    expect((await getContextEntry(db, access, existing.id))?.version).toBe(2);
  });

  it("merges into a shared entry inside a secret block: the book's text and file stay the GMs'", async () => {
    const { file, campaign, access } = await gmWithFile("drowned-lantern.md", encode(adventure), "text/markdown");
    await findProposals(deps(), access, file);
    const shared = await createContextEntry(db, campaign, {
      contextType: "location",
      title: "The Gull's Rest",
      content: "Our party's favourite tavern.",
      tags: [],
      audience: "campaign",
    });
    const rest = await proposalNamed(campaign, "The Gull's Rest");
    await mergeProposal(db, access, rest.id, { kind: "entry", id: shared.id, version: 1 });
    const entry = await getContextEntry(db, access, shared.id);
    expect(entry?.content).toContain("The harbour tavern.");
    const [row] = await db.select().from(campaignContext).where(eq(campaignContext.id, shared.id));
    expect(row?.contentPublic.trim()).toBe("Our party's favourite tavern.");
  });

  it("rejects: nothing is created, and a second reject is refused", async () => {
    const { file, campaign, access } = await gmWithFile("bestiary.pdf", bestiary, "application/pdf");
    await findProposals(deps(), access, file);
    const troll = await proposalNamed(campaign, "Marsh Troll");
    expect(await rejectProposal(db, access, troll.id)).toBe(true);
    await expect(rejectProposal(db, access, troll.id)).rejects.toBeInstanceOf(ProposalDecided);
    await expect(acceptProposal(deps(), access, troll.id)).rejects.toBeInstanceOf(ProposalDecided);
    expect(await db.select().from(campaignCharacters).where(eq(campaignCharacters.campaignId, campaign.id))).toEqual(
      [],
    );
  });
});

describe("a detached file", () => {
  it("hides its proposals, and they cannot be decided until it is attached again", async () => {
    const { file, campaign, access } = await gmWithFile("bestiary.pdf", bestiary, "application/pdf");
    await findProposals(deps(), access, file);
    const troll = await proposalNamed(campaign, "Marsh Troll");
    // Another campaign with the same file attached keeps the resources table from being empty.
    const other = await createCampaign(db, access.owner.username, {
      name: "O",
      description: "",
      status: "active",
      tags: [],
    });
    await attachFile(db, other, file, { description: "", tags: [] });
    await detachFile(db, campaign, file.fileKey);
    expect((await listProposals(db, access, { status: "all", page: 1 })).total).toBe(0);
    expect(await rejectProposal(db, access, troll.id)).toBeNull();
    expect(await acceptProposal(deps(), access, troll.id)).toBeNull();
    expect((await proposalNamed(campaign, "Marsh Troll")).status).toBe("pending");
    await attachFile(db, campaign, file, { description: "", tags: [] });
    const listed = await listProposals(db, access, { status: "pending", page: 1 });
    expect(listed.total).toBe(2);
    expect(listed.files.map((f) => [f.fileName, f.pending])).toEqual([["bestiary.pdf", 2]]);
  });
});

describe("the review page", () => {
  const page = routeAt("/campaigns/:campaignId/proposals");
  const url = (campaign: Campaign) => `http://localhost/campaigns/${campaign.id}/proposals`;

  async function member(campaign: Campaign, owner: User, role: "co-gm" | "player" | "viewer") {
    const user = await newUser(role.replace("-", ""));
    await db.insert(campaignMembers).values({ campaignId: campaign.id, accountId: user.id, role, addedBy: owner.id });
    return sessionCookieFor(user);
  }

  it("finds, lists and accepts through its forms, for the GMs only", async () => {
    const { gm, file, campaign } = await gmWithFile("bestiary.pdf", bestiary, "application/pdf");
    const params = { campaignId: campaign.id };
    const cookie = await sessionCookieFor(gm);
    const found = await callRoute(page, "action", url(campaign), {
      cookie,
      params,
      form: { intent: "find", fileKey: file.fileKey },
    });
    expect(found?.status).toBe(302);
    expect(found?.headers.get("Location")).toBe(`/campaigns/${campaign.id}/proposals?file=${file.fileKey}`);
    const listed = await callRoute(page, "loader", `${url(campaign)}?file=${file.fileKey}`, { cookie, params });
    const body = (await listed?.json()) as {
      total: number;
      proposals: { id: number; name: string; source: { href: string } }[];
    };
    expect(body.total).toBe(2);
    expect(body.proposals[0]?.source.href).toBe(`/campaigns/${campaign.id}/files/${file.fileKey}/download#page=2`);
    const troll = body.proposals.find((p) => p.name === "Marsh Troll");
    const coGm = await member(campaign, gm, "co-gm");
    const accepted = await callRoute(page, "action", url(campaign), {
      cookie: coGm,
      params,
      form: [
        ["intent", "acceptSelected"],
        ["selected", String(troll?.id)],
      ],
    });
    expect(accepted?.status).toBe(302);
    expect((await proposalNamed(campaign, "Marsh Troll")).status).toBe("accepted");
    // Accepted already: the form answers 409 with the reason, and nothing else happens.
    const again = await callRoute(page, "action", url(campaign), {
      cookie,
      params,
      form: { intent: "accept", proposalId: String(troll?.id) },
    });
    expect(again?.status).toBe(409);
  });

  it("answers 404 to players and viewers, and to files not attached or not the owner's", async () => {
    const { gm, file, campaign } = await gmWithFile("bestiary.pdf", bestiary, "application/pdf");
    const params = { campaignId: campaign.id };
    for (const role of ["player", "viewer"] as const) {
      const cookie = await member(campaign, gm, role);
      expect((await callRoute(page, "loader", url(campaign), { cookie, params }))?.status).toBe(404);
      const find = await callRoute(page, "action", url(campaign), {
        cookie,
        params,
        form: { intent: "find", fileKey: file.fileKey },
      });
      expect(find?.status).toBe(404);
    }
    const cookie = await sessionCookieFor(gm);
    // The owner's own file, not attached to this campaign.
    const loose = await storeFile(gm.username, "loose.md", encode("# NPCs\n\n**Bram.** A baker.\n"), "text/markdown");
    // Another GM's processed file.
    const other = await gmWithFile("theirs.pdf", bestiary, "application/pdf");
    for (const fileKey of [loose.fileKey, other.file.fileKey]) {
      const response = await callRoute(page, "action", url(campaign), {
        cookie,
        params,
        form: { intent: "find", fileKey },
      });
      expect(response?.status).toBe(404);
    }
    expect(await proposalsOf(campaign)).toEqual([]);
    // Nor can the other GM's proposals be decided from this campaign.
    await findProposals(deps(), other.access, other.file);
    const theirs = await proposalNamed(other.campaign, "Marsh Troll");
    const response = await callRoute(page, "action", url(campaign), {
      cookie,
      params,
      form: { intent: "accept", proposalId: String(theirs.id) },
    });
    expect(response?.status).toBe(404);
    expect((await proposalNamed(other.campaign, "Marsh Troll")).status).toBe("pending");
  });
});
