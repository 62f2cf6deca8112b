import { eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import {
  MAX_GRAPH_EDGES,
  MAX_GRAPH_NODES,
  MAX_RELATIONS_PER_CAMPAIGN,
  RELATION_LABEL_MAX,
  RELATION_NOTE_MAX,
  relationFormSchema,
  relationLabels,
} from "~/lib/relations";
import { createCampaign } from "~/server/campaigns/campaigns.server";
import { createCharacter, deleteCharacter } from "~/server/campaigns/characters.server";
import { createContextEntry, deleteContextEntry } from "~/server/campaigns/context-entries.server";
import { type CampaignReader, campaignAccess } from "~/server/campaigns/policy.server";
import {
  buildRelationsView,
  canvasFor,
  LIST_PAGE_LINES,
  layoutGraph,
  relationsView,
} from "~/server/campaigns/relation-graph.server";
import {
  addRelation,
  importRelations,
  listCampaignRelations,
  RelationRefused,
  relationsOf,
} from "~/server/campaigns/relations.server";
import { reveal } from "~/server/campaigns/reveals.server";
import { QuotaExceeded } from "~/server/db/quota.server";
import { type Campaign, campaignMembers, campaignRelations, campaigns, type User } from "~/server/db/schema";
import { db, newUser, ownerAccess, sessionCookieFor } from "./helpers";
import { callRoute, routeAt } from "./route-walk";

async function newCampaign(owner: User, name = "Silver Marches"): Promise<Campaign> {
  return createCampaign(db, owner.username, { name, description: "", status: "active", tags: [] });
}

const entry = (campaign: Campaign, title: string, audience: "gm" | "campaign" = "campaign") =>
  createContextEntry(db, campaign, { contextType: "faction", title, content: "", tags: [], audience });
const character = (campaign: Campaign, characterName: string, audience: "gm" | "campaign" = "campaign") =>
  createCharacter(db, campaign, {
    characterName,
    characterType: "npc",
    status: "alive",
    backstory: "",
    stats: [],
    audience,
  });

async function world() {
  const gm = await newUser("rel");
  const player = await newUser("player");
  const campaign = await newCampaign(gm);
  await db
    .insert(campaignMembers)
    .values({ campaignId: campaign.id, accountId: player.id, role: "player", addedBy: gm.id });
  const hand = await entry(campaign, "The Silver Hand");
  const duke = await character(campaign, "Duke Aldric");
  const gmAccess = await ownerAccess(gm, campaign);
  const playerAccess = await campaignAccess(db, player, campaign.id);
  if (!playerAccess) throw new Error("the player is not in the campaign");
  return { gm, player, campaign, hand, duke, gmAccess, playerAccess };
}

const E = (id: number) => ({ kind: "entry" as const, id });
const C = (id: number) => ({ kind: "character" as const, id });

const count = async (campaign: Campaign) =>
  (
    await db
      .select({ n: sql<number>`count(*)` })
      .from(campaignRelations)
      .where(eq(campaignRelations.campaignId, campaign.id))
  )[0]?.n;

const labelsOf = async (reader: CampaignReader, end: { kind: "entry" | "character"; id: number }) =>
  (await relationsOf(db, reader, end)).relations.map((r) => `${r.label} → ${r.other.name}`);

describe("relations between entries and characters", () => {
  it("are stored once and read from both ends, the other end with the inverse label", async () => {
    const { campaign, hand, duke, gmAccess } = await world();
    const keep = await entry(campaign, "Citadel Adbar");
    await addRelation(db, campaign, { from: C(duke.id), to: E(hand.id), type: "member_of", note: "Since the war." });
    await addRelation(db, campaign, { from: E(hand.id), to: E(keep.id), type: "located_in" });
    await addRelation(db, campaign, {
      from: C(duke.id),
      to: E(keep.id),
      type: "custom",
      label: "owes a favour to",
      inverseLabel: "is owed a favour by",
    });
    expect(await count(campaign)).toBe(3);
    expect(await labelsOf(gmAccess, C(duke.id))).toEqual([
      "member of → The Silver Hand",
      "owes a favour to → Citadel Adbar",
    ]);
    expect(await labelsOf(gmAccess, E(hand.id))).toEqual(["has member → Duke Aldric", "located in → Citadel Adbar"]);
    expect(await labelsOf(gmAccess, E(keep.id))).toEqual([
      "is owed a favour by → Duke Aldric",
      "location of → The Silver Hand",
    ]);
    const fromDuke = (await relationsOf(db, gmAccess, C(duke.id))).relations[0];
    expect(fromDuke).toMatchObject({
      note: "Since the war.",
      audience: "gm",
      other: { kind: "entry", id: hand.id, href: `/campaigns/${campaign.id}/context/${hand.id}` },
    });
    // Every built-in type has its inverse; the symmetric ones read the same from both ends.
    expect(relationLabels.parent_of).toEqual({ label: "parent of", inverse: "child of" });
    expect(relationLabels.owns).toEqual({ label: "owns", inverse: "owned by" });
    expect(relationLabels.ally_of.inverse).toBe("ally of");
  });

  it("are added in plain forms on either page, read from that page (a reversed phrase stores the other way round)", async () => {
    const { gm, campaign, hand, duke } = await world();
    const cookie = await sessionCookieFor(gm);
    const post = (path: string, params: Record<string, string>, form: Record<string, string>) =>
      callRoute(
        routeAt(path),
        "action",
        `http://localhost${path.replace(/:(\w+)/g, (_, n: string) => params[n] ?? "")}`,
        {
          cookie,
          params: { campaignId: campaign.id, ...params },
          form,
        },
      );
    // On the faction's page: "has member" Duke Aldric, i.e. the duke is a member of it.
    const added = await post(
      "/campaigns/:campaignId/context/:entryId",
      { campaignId: campaign.id, entryId: String(hand.id) },
      {
        intent: "relate",
        phrase: "~member_of",
        target: `character:${duke.id}`,
        audience: "campaign",
      },
    );
    expect(added?.status).toBe(302);
    const [row] = await db.select().from(campaignRelations).where(eq(campaignRelations.campaignId, campaign.id));
    expect(row).toMatchObject({
      fromKind: "character",
      fromId: duke.id,
      toKind: "entry",
      toId: hand.id,
      type: "member_of",
      audience: "campaign",
    });
    // The character's page shows it from its end.
    const page = await callRoute(
      routeAt("/campaigns/:campaignId/characters/:characterId"),
      "loader",
      `http://localhost/campaigns/${campaign.id}/characters/${duke.id}`,
      { cookie, params: { campaignId: campaign.id, characterId: String(duke.id) } },
    );
    const body = (await page?.json()) as { relations: { relations: { label: string; other: { name: string } }[] } };
    expect(body.relations.relations.map((r) => `${r.label} ${r.other.name}`)).toEqual(["member of The Silver Hand"]);
    // A custom relation without its labels, and a duplicate, come back as the form's errors.
    const missing = await post(
      "/campaigns/:campaignId/characters/:characterId",
      { characterId: String(duke.id) },
      {
        intent: "relate",
        phrase: "custom",
        target: `entry:${hand.id}`,
        label: "fears",
      },
    );
    expect(missing?.status).toBe(400);
    expect(JSON.stringify(await missing?.json())).toContain("Say how it reads from the other side.");
    const twice = await post(
      "/campaigns/:campaignId/characters/:characterId",
      { characterId: String(duke.id) },
      {
        intent: "relate",
        phrase: "member_of",
        target: `entry:${hand.id}`,
      },
    );
    expect(twice?.status).toBe(409);
    expect(JSON.stringify(await twice?.json())).toContain("already related");
    // Shared back to the GMs, then removed, from the character's page.
    const relationId = String(row?.id);
    const hidden = await post(
      "/campaigns/:campaignId/characters/:characterId",
      { characterId: String(duke.id) },
      {
        intent: "relation-audience",
        relationId,
        audience: "gm",
      },
    );
    expect(hidden?.status).toBe(302);
    expect(
      (
        await db
          .select()
          .from(campaignRelations)
          .where(eq(campaignRelations.id, Number(relationId)))
      )[0]?.audience,
    ).toBe("gm");
    // Another page's relation cannot be removed through this one.
    const other = await character(campaign, "Bystander");
    const elsewhere = await post(
      "/campaigns/:campaignId/characters/:characterId",
      { characterId: String(other.id) },
      {
        intent: "unrelate",
        relationId,
      },
    );
    expect(elsewhere?.status).toBe(404);
    const removed = await post(
      "/campaigns/:campaignId/characters/:characterId",
      { characterId: String(duke.id) },
      {
        intent: "unrelate",
        relationId,
      },
    );
    expect(removed?.status).toBe(302);
    expect(await count(campaign)).toBe(0);
  });

  it("refuse an end of another campaign, in the insert itself", async () => {
    const { gm, campaign, hand, duke } = await world();
    const elsewhere = await newCampaign(gm, "Elsewhere");
    const stranger = await entry(elsewhere, "Zhentarim");
    const strangersChar = await character(elsewhere, "Fzoul");
    await expect(
      addRelation(db, campaign, { from: C(duke.id), to: E(stranger.id), type: "enemy_of" }),
    ).rejects.toMatchObject({
      name: "RelationRefused",
      status: 404,
    });
    await expect(
      addRelation(db, campaign, { from: C(strangersChar.id), to: E(hand.id), type: "ally_of" }),
    ).rejects.toThrow(RelationRefused);
    // Both ends of the other campaign, written into this one: still refused.
    await expect(
      addRelation(db, campaign, { from: C(strangersChar.id), to: E(stranger.id), type: "owns" }),
    ).rejects.toThrow(RelationRefused);
    // An id that is nothing at all.
    await expect(addRelation(db, campaign, { from: C(duke.id), to: E(999_999_999), type: "owns" })).rejects.toThrow(
      RelationRefused,
    );
    expect(await count(campaign)).toBe(0);
    expect(await count(elsewhere)).toBe(0);
    // Through the page too: a crafted target of the other campaign.
    const response = await callRoute(
      routeAt("/campaigns/:campaignId/context/:entryId"),
      "action",
      `http://localhost/campaigns/${campaign.id}/context/${hand.id}`,
      {
        cookie: await sessionCookieFor(gm),
        params: { campaignId: campaign.id, entryId: String(hand.id) },
        form: { intent: "relate", phrase: "ally_of", target: `character:${strangersChar.id}` },
      },
    );
    expect(response?.status).toBe(404);
    expect(await count(campaign)).toBe(0);
  });

  it("refuse duplicates: the same relation again, a symmetric one the other way round, a custom label in other case", async () => {
    const { campaign, hand, duke } = await world();
    const rival = await character(campaign, "Lady Sera");
    await addRelation(db, campaign, { from: C(duke.id), to: E(hand.id), type: "member_of" });
    await expect(
      addRelation(db, campaign, { from: C(duke.id), to: E(hand.id), type: "member_of" }),
    ).rejects.toMatchObject({
      status: 409,
    });
    await addRelation(db, campaign, { from: C(rival.id), to: C(duke.id), type: "enemy_of" });
    await expect(
      addRelation(db, campaign, { from: C(duke.id), to: C(rival.id), type: "enemy_of" }),
    ).rejects.toMatchObject({
      status: 409,
    });
    const custom = {
      from: C(duke.id),
      to: C(rival.id),
      type: "custom" as const,
      label: "Betrothed to",
      inverseLabel: "betrothed to",
    };
    await addRelation(db, campaign, custom);
    await expect(addRelation(db, campaign, { ...custom, label: "BETROTHED TO" })).rejects.toMatchObject({
      status: 409,
    });
    // Parent of is not symmetric: the other direction is another relation (if an odd one).
    await addRelation(db, campaign, { from: C(duke.id), to: C(rival.id), type: "parent_of" });
    await addRelation(db, campaign, { from: C(rival.id), to: C(duke.id), type: "parent_of" });
    // Nothing relates to itself.
    await expect(addRelation(db, campaign, { from: C(duke.id), to: C(duke.id), type: "ally_of" })).rejects.toThrow(
      RelationRefused,
    );
    expect(await count(campaign)).toBe(5);
  });

  it("go with an entry or character that is deleted, and each write bumps the campaign's cache generation", async () => {
    const { campaign, hand, duke } = await world();
    const keep = await entry(campaign, "Citadel Adbar");
    const generation = async () =>
      (await db.select({ g: campaigns.cacheGeneration }).from(campaigns).where(eq(campaigns.id, campaign.id)))[0]?.g ??
      0;
    const before = await generation();
    await addRelation(db, campaign, { from: C(duke.id), to: E(hand.id), type: "member_of" });
    expect(await generation()).toBeGreaterThan(before);
    await addRelation(db, campaign, { from: E(hand.id), to: E(keep.id), type: "located_in" });
    await addRelation(db, campaign, { from: C(duke.id), to: E(keep.id), type: "owns" });
    expect(await deleteContextEntry(db, campaign, hand.id)).toBe(true);
    const left = await db.select().from(campaignRelations).where(eq(campaignRelations.campaignId, campaign.id));
    expect(left.map((r) => r.type)).toEqual(["owns"]);
    expect(await deleteCharacter(db, campaign, duke.id)).toBe(true);
    expect(await count(campaign)).toBe(0);
  });

  it("show a player only relations shared with the campaign whose two ends they may see", async () => {
    const { campaign, hand, duke, gmAccess, playerAccess, player } = await world();
    const secretCult = await entry(campaign, "Cult of the Dragon", "gm");
    const spy = await character(campaign, "Spy", "gm");
    await addRelation(db, campaign, {
      from: C(duke.id),
      to: E(hand.id),
      type: "member_of",
      audience: "campaign",
      note: "public",
    });
    await addRelation(db, campaign, {
      from: C(duke.id),
      to: E(hand.id),
      type: "custom",
      label: "betrays",
      inverseLabel: "betrayed by",
    });
    await addRelation(db, campaign, {
      from: C(duke.id),
      to: E(secretCult.id),
      type: "member_of",
      audience: "campaign",
    });
    await addRelation(db, campaign, { from: C(spy.id), to: E(hand.id), type: "enemy_of", audience: "campaign" });
    expect(await labelsOf(playerAccess, C(duke.id))).toEqual(["member of → The Silver Hand"]);
    expect(await labelsOf(playerAccess, E(hand.id))).toEqual(["has member → Duke Aldric"]);
    // Even asked from the hidden end's own id, nothing.
    expect(await labelsOf(playerAccess, E(secretCult.id))).toEqual([]);
    expect(await labelsOf(playerAccess, C(spy.id))).toEqual([]);
    expect((await listCampaignRelations(db, playerAccess)).map((r) => r.to.name)).toEqual(["The Silver Hand"]);
    expect(await listCampaignRelations(db, gmAccess)).toHaveLength(4);

    // The relations view counts and draws only what they see.
    const asPlayer = await relationsView(db, playerAccess);
    expect(asPlayer.totalRelations).toBe(1);
    expect(asPlayer.graph.totalNodes).toBe(2);
    expect(asPlayer.graph.nodes.map((n) => n.name).sort()).toEqual(["Duke Aldric", "The Silver Hand"]);
    const page = await callRoute(
      routeAt("/campaigns/:campaignId/relations"),
      "loader",
      `http://localhost/campaigns/${campaign.id}/relations`,
      { cookie: await sessionCookieFor(player), params: { campaignId: campaign.id } },
    );
    expect(page?.status).toBe(200);
    const text = await page?.text();
    for (const hidden of ["Cult of the Dragon", "Spy", "betray", secretCult.id, spy.id]) {
      expect(text).not.toContain(typeof hidden === "number" ? `/context/${hidden}` : hidden);
    }
    expect(text).not.toContain(`/characters/${spy.id}`);

    // Revealing the hidden end to the player shows the relation to it.
    expect(await reveal(db, gmAccess, { kind: "entry", id: String(secretCult.id) }, [player.id], null)).toBe(1);
    expect(await labelsOf(playerAccess, C(duke.id))).toEqual([
      "member of → Cult of the Dragon",
      "member of → The Silver Hand",
    ]);
  });

  it("are bounded: labels, notes, a campaign's number (atomically), and the graph's size", async () => {
    const { campaign, hand, duke } = await world();
    const long = "x".repeat(RELATION_LABEL_MAX + 1);
    const form = { phrase: "custom", target: `entry:${hand.id}`, label: long, inverseLabel: "ok" };
    expect(relationFormSchema.safeParse(form).success).toBe(false);
    expect(
      relationFormSchema.safeParse({ ...form, label: "ok", note: "n".repeat(RELATION_NOTE_MAX + 1) }).success,
    ).toBe(false);
    expect(relationFormSchema.safeParse({ ...form, label: "ok" }).success).toBe(true);
    expect(relationFormSchema.safeParse({ ...form, target: "file:abc" }).success).toBe(false);
    // The table refuses what the schema would (a label past the bound, a built-in type with labels).
    await expect(
      db.run(sql`INSERT INTO campaign_relations (campaign_id, from_kind, from_id, to_kind, to_id, type, label, inverse_label)
        VALUES (${campaign.id}, 'character', ${duke.id}, 'entry', ${hand.id}, 'custom', ${long}, 'ok')`),
    ).rejects.toThrow();
    await expect(
      db.run(sql`INSERT INTO campaign_relations (campaign_id, from_kind, from_id, to_kind, to_id, type, label)
        VALUES (${campaign.id}, 'character', ${duke.id}, 'entry', ${hand.id}, 'owns', 'x')`),
    ).rejects.toThrow();

    // At most `limit` per campaign, even when many adds race for the last places.
    const targets = await Promise.all(Array.from({ length: 6 }, (_, i) => entry(campaign, `Place ${i}`)));
    const results = await Promise.allSettled(
      targets.map((t) => addRelation(db, campaign, { from: C(duke.id), to: E(t.id), type: "located_in" }, 4)),
    );
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(4);
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    expect(refused.map((r) => r.reason)).toEqual([expect.any(QuotaExceeded), expect.any(QuotaExceeded)]);
    expect(refused[0]?.reason.message).toContain("Remove relations you no longer need");
    expect(await count(campaign)).toBe(4);
  });

  it("draw at most MAX_GRAPH_NODES, the best connected, and list every relation by entity, page by page", () => {
    const relations = Array.from({ length: 400 }, (_, i) => ({
      id: i + 1,
      from: { kind: "character" as const, id: i + 1, name: `Member ${String(i).padStart(3, "0")}` },
      to: { kind: "entry" as const, id: 1 + (i % 3), name: `Guild ${i % 3}` },
      type: "member_of" as const,
      label: "",
      inverseLabel: "",
      note: "",
      audience: "campaign" as const,
    }));
    const view = buildRelationsView("c1", relations);
    expect(view.graph.nodes).toHaveLength(MAX_GRAPH_NODES);
    expect(view.graph.totalNodes).toBe(403);
    // The three guilds are the hubs: drawn, and first.
    expect(view.graph.nodes.slice(0, 3).map((n) => n.name)).toEqual(["Guild 0", "Guild 1", "Guild 2"]);
    expect(view.graph.edges.length + view.graph.edgesLeftOut).toBe(400);
    for (const node of view.graph.nodes) {
      expect(node.x).toBeGreaterThanOrEqual(0);
      expect(node.x).toBeLessThanOrEqual(view.graph.width);
      expect(node.y).toBeGreaterThanOrEqual(0);
      expect(node.y).toBeLessThanOrEqual(view.graph.height);
    }
    // The list: each relation under both its ends; the first page holds whole groups.
    const first = view.list.groups;
    expect(first[0]?.name).toBe("Guild 0");
    expect(first[0]?.lines[0]).toMatchObject({ label: "has member", other: { name: "Member 000" } });
    let lines = 0;
    let from: number | null = 0;
    const seen = new Set<string>();
    while (from !== null) {
      const page = buildRelationsView("c1", relations, from);
      for (const group of page.list.groups) {
        seen.add(group.key);
        lines += group.lines.length;
      }
      if (page.list.next !== null) expect(buildRelationsView("c1", relations, page.list.next).list.previous).toBe(from);
      from = page.list.next;
    }
    expect(seen.size).toBe(403);
    expect(lines).toBe(800);
  });

  it("lay the graph out the same every time, within the canvas, in bounded time", () => {
    const n = MAX_GRAPH_NODES;
    const links: [number, number][] = Array.from({ length: 600 }, (_, i) => [i % n, (i * 7 + 3) % n]);
    const canvas = canvasFor(n);
    const started = performance.now();
    const a = layoutGraph(n, links, canvas);
    const took = performance.now() - started;
    expect(layoutGraph(n, links, canvas)).toEqual(a);
    expect(new Set(a.map((p) => `${p.x},${p.y}`)).size).toBeGreaterThan(n * 0.95);
    console.info(`relations graph: layout of ${n} nodes and ${links.length} links took ${took.toFixed(0)} ms`);
    // Two nodes: apart, inside.
    const two = layoutGraph(2, [[0, 1]], canvasFor(2));
    expect(two[0]).not.toEqual(two[1]);
  });

  it("hold at most MAX_RELATIONS_PER_CAMPAIGN; a full campaign imports in one batch and its view stays bounded", async () => {
    const { campaign, gmAccess, playerAccess } = await world();
    const places = await Promise.all(Array.from({ length: 99 }, (_, i) => entry(campaign, `Place ${i}`)));
    const people = await Promise.all(Array.from({ length: 50 }, (_, i) => character(campaign, `Person ${i}`)));
    const rows = places.flatMap((place, i) =>
      people.map((person, j) => ({
        fromKind: "character" as const,
        fromId: person.id,
        toKind: "entry" as const,
        toId: place.id,
        type: "located_in" as const,
        note: `Seen there in session ${i + j}`,
        audience: (j % 2 ? "campaign" : "gm") as "campaign" | "gm",
      })),
    );
    // 4,950 of them, then 50 more to the very bound, then one too many.
    let started = performance.now();
    expect(await importRelations(db, campaign, rows)).toBe(4_950);
    const imported = performance.now() - started;
    const hand = places[0];
    if (!hand) throw new Error("no place");
    const more = people.map((person) => ({
      fromKind: "character" as const,
      fromId: person.id,
      toKind: "entry" as const,
      toId: hand.id,
      type: "member_of" as const,
    }));
    expect(await importRelations(db, campaign, more)).toBe(50);
    expect(await count(campaign)).toBe(MAX_RELATIONS_PER_CAMPAIGN);
    const [first, second] = people;
    if (!first || !second) throw new Error("no people");
    await expect(addRelation(db, campaign, { from: C(first.id), to: C(second.id), type: "ally_of" })).rejects.toThrow(
      QuotaExceeded,
    );
    await expect(
      importRelations(db, campaign, [
        { fromKind: "character", fromId: first.id, toKind: "character", toId: second.id, type: "ally_of" },
      ]),
    ).resolves.toBe(0);

    started = performance.now();
    const asGm = await relationsView(db, gmAccess);
    const gmTook = performance.now() - started;
    started = performance.now();
    const asPlayer = await relationsView(db, playerAccess);
    const playerTook = performance.now() - started;
    console.info(
      `relations: import of 4,950 took ${imported.toFixed(0)} ms; the view of 5,000 took ${gmTook.toFixed(0)} ms (GM), ${playerTook.toFixed(0)} ms (player, 2,475 visible)`,
    );
    expect(asGm.totalRelations).toBe(MAX_RELATIONS_PER_CAMPAIGN);
    expect(asGm.graph.nodes).toHaveLength(149);
    expect(asGm.graph.edges).toHaveLength(MAX_GRAPH_EDGES);
    expect(asGm.graph.edgesLeftOut).toBe(MAX_RELATIONS_PER_CAMPAIGN - MAX_GRAPH_EDGES);
    const lines = asGm.list.groups.reduce((sum, group) => sum + group.lines.length, 0);
    expect(lines).toBeLessThanOrEqual(LIST_PAGE_LINES);
    expect(asGm.list.next).not.toBeNull();
    // The player's half: the shared relations among ends that are all shared (world() shares them).
    expect(asPlayer.totalRelations).toBe(2_475);
    expect(JSON.stringify(asPlayer)).not.toContain('session 0"');
  });

  it("import in one batch by ids: ends of the campaign only, duplicates skipped, the bound whole", async () => {
    const { gm, campaign, hand, duke, gmAccess } = await world();
    const elsewhere = await entry(await newCampaign(gm, "Elsewhere"), "Zhentarim");
    const added = await importRelations(db, campaign, [
      {
        fromKind: "character",
        fromId: duke.id,
        toKind: "entry",
        toId: hand.id,
        type: "member_of",
        audience: "campaign",
        note: "n",
      },
      { fromKind: "character", fromId: duke.id, toKind: "entry", toId: hand.id, type: "member_of" },
      {
        fromKind: "entry",
        fromId: hand.id,
        toKind: "character",
        toId: duke.id,
        type: "custom",
        label: "shelters",
        inverseLabel: "sheltered by",
      },
      { fromKind: "character", fromId: duke.id, toKind: "entry", toId: elsewhere.id, type: "enemy_of" },
    ]);
    expect(added).toBe(2);
    const listed = await listCampaignRelations(db, gmAccess);
    expect(listed.map((r) => [r.from.name, r.type, r.to.name, r.audience])).toEqual([
      ["Duke Aldric", "member_of", "The Silver Hand", "campaign"],
      ["The Silver Hand", "custom", "Duke Aldric", "gm"],
    ]);
    await expect(
      importRelations(db, campaign, [
        { fromKind: "character", fromId: duke.id, toKind: "character", toId: duke.id, type: "owns" },
      ]),
    ).rejects.toThrow(RelationRefused);
    await expect(
      importRelations(db, campaign, [
        { fromKind: "character", fromId: duke.id, toKind: "entry", toId: hand.id, type: "owns", label: "x" },
      ]),
    ).rejects.toThrow(RelationRefused);
    // Past the bound: nothing of that chunk is written.
    const keep = await entry(campaign, "Keep");
    expect(
      await importRelations(
        db,
        campaign,
        [
          { fromKind: "character", fromId: duke.id, toKind: "entry", toId: keep.id, type: "owns" },
          { fromKind: "entry", fromId: keep.id, toKind: "entry", toId: hand.id, type: "owns" },
        ],
        3,
      ),
    ).toBe(0);
    expect(await count(campaign)).toBe(2);
  });
});
