import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { isProcessing } from "~/lib/jobs";
import type { MemberRole } from "~/lib/members";
import { createAccount, deleteAccount } from "~/server/auth/accounts.server";
import { type CacheRead, ReadModelCache } from "~/server/cache/read-models.server";
import { createCampaign, deleteCampaign, updateCampaign } from "~/server/campaigns/campaigns.server";
import { deleteCharacter, updateCharacter } from "~/server/campaigns/characters.server";
import { createContextEntry, deleteContextEntry, updateContextEntry } from "~/server/campaigns/context-entries.server";
import { changeMemberRole, removeMember } from "~/server/campaigns/members.server";
import { attachFile, detachFile, setResourceAudience } from "~/server/campaigns/resources.server";
import { hideFrom, reveal } from "~/server/campaigns/reveals.server";
import {
  type Campaign,
  campaignCharacters,
  campaignContext,
  campaignMembers,
  campaigns,
  fileMetadata,
  type User,
  users,
} from "~/server/db/schema";
import { deleteFile, getFile, listFiles, updateFileDetails, uploadFile } from "~/server/files/files.server";
import { deleteOldVersions } from "~/server/files/version-retention.server";
import { createServices } from "~/server/services.server";
import { db, fileStores, newUser, ownerAccess, PASSWORD, services, sessionCookieFor, uniqueName } from "./helpers";
import { drain, storeFile, withQueue } from "./ingest-helpers";
import { callRoute, routeAt } from "./route-walk";

/**
 * The read-model cache (ADR 0029): for every write path, a page is viewed through its real
 * loader (filling the cache), its cached copy is then marked with a sentinel so the next
 * view proves it is served from KV, the write is made through the real action or domain
 * function, and the view after it must show the new content and not the sentinel. Without
 * the generation bump a write makes (migration 0016's triggers), the sentinel would stay.
 */

const SENTINEL = "zzsentinelzz";
const kv = env.CACHE;

const bytes = (text: string) => new TextEncoder().encode(text);
/**
 * A real upload (the library's), waited on until its tracker has processed it: its status
 * writes would otherwise bump the generation in the background, between a test's views.
 */
async function upload(user: User, fileName: string, text: string) {
  const result = await uploadFile(fileStores(), user, {
    fileName,
    size: bytes(text).length,
    body: new Blob([bytes(text)]).stream(),
  });
  for (let i = 0; i < 200; i++) {
    const rows = await db
      .select({ status: fileMetadata.status })
      .from(fileMetadata)
      .where(eq(fileMetadata.username, user.username));
    if (rows.every((row) => row.status !== "uploaded" && !isProcessing(row.status))) return result;
    await scheduler.wait(50);
  }
  throw new Error(`${fileName} was never processed`);
}

/** Reads a loader through the real route table with the user's session; its body as text. */
async function view(user: User, path: string, url: string, params: Record<string, string>): Promise<string> {
  const response = await callRoute(routeAt(path), "loader", `http://localhost${url}`, {
    cookie: await sessionCookieFor(user),
    params,
  });
  if (!response) throw new Error(`no loader at ${path}`);
  const disposition = response.headers.get("Content-Disposition") ?? "";
  return `${response.status} ${disposition}\n${await response.text()}`;
}

const overview = (user: User, campaign: Campaign) =>
  view(user, "/campaigns/:campaignId", `/campaigns/${campaign.id}`, { campaignId: campaign.id });
const library = (user: User) => view(user, "/library", "/library", {});
const scopes = (user: User) => view(user, "/search", "/search", {});
const download = (user: User, fileKey: string) => view(user, "/files/:fileKey", `/files/${fileKey}`, { fileKey });

/** Every cached copy under `prefix`, changed by `mark`: what a view then shows can only come from KV. */
async function markCached(prefix: string, mark: (value: Record<string, unknown>) => void): Promise<string[]> {
  const { keys } = await kv.list({ prefix });
  expect(keys.length, `nothing cached under ${prefix}`).toBeGreaterThan(0);
  for (const { name } of keys) {
    const value = await kv.get<Record<string, unknown>>(name, "json");
    if (!value) throw new Error(`no value at ${name}`);
    mark(value);
    await kv.put(name, JSON.stringify(value), { expirationTtl: 3600 });
  }
  return keys.map((k) => k.name);
}

const markOverview = (value: Record<string, unknown>) => {
  value.descriptionHtml = `<p>${SENTINEL}</p>`;
};
const markLibrary = (value: Record<string, unknown>) => {
  (value.files as { fileName: string }[]).push({ ...(value.files as object[])[0], fileName: SENTINEL } as never);
};
const markScopes = (value: Record<string, unknown>) => {
  (value.campaigns as { id: string; name: string }[]).push({ id: "sentinel", name: SENTINEL });
};
const markDownload = (value: Record<string, unknown>) => {
  (value.file as { fileName: string }).fileName = `${SENTINEL}.md`;
};

/**
 * Views once (a miss that fills the cache), marks the copy, and views again: the sentinel
 * shows, so the page is really served from the cache. Answers that second view.
 */
async function warm(look: () => Promise<string>, prefix: string, mark: (value: Record<string, unknown>) => void) {
  await look();
  await markCached(prefix, mark);
  const cached = await look();
  expect(cached, "the second view is not served from the cache").toContain(SENTINEL);
  return cached;
}

const overviewPrefix = (campaign: Campaign) => `overview:v1:${campaign.id}:`;
const accountPrefix = (model: string, user: User) => `${model}:v1:${user.id}:`;

async function gmCampaign(description = "A harbour town.") {
  const gm = await newUser("gm");
  const campaign = await createCampaign(db, gm.username, {
    name: uniqueName("Saltmarsh"),
    description,
    status: "active",
    tags: [],
  });
  return { gm, campaign };
}

async function member(campaign: Campaign, role: MemberRole, by: User) {
  const user = await newUser(role.replace("-", ""));
  await db.insert(campaignMembers).values({ campaignId: campaign.id, accountId: user.id, role, addedBy: by.id });
  return user;
}

const fresh = async (campaign: Campaign) => {
  const [row] = await db.select().from(campaigns).where(eq(campaigns.id, campaign.id));
  if (!row) throw new Error("campaign gone");
  return row;
};

const generationOf = async (user: User) =>
  (await db.select({ g: users.cacheGeneration }).from(users).where(eq(users.id, user.id)))[0]?.g;

describe("the campaign overview from the cache", () => {
  it("entry create (the real form), edit and delete each show at once", async () => {
    const { gm, campaign } = await gmCampaign();
    await warm(() => overview(gm, campaign), overviewPrefix(campaign), markOverview);

    const created = await callRoute(
      routeAt("/campaigns/:campaignId/context/new"),
      "action",
      `http://localhost/campaigns/${campaign.id}/context/new`,
      {
        cookie: await sessionCookieFor(gm),
        params: { campaignId: campaign.id },
        form: { intent: "save", contextType: "lore", title: "The drowned bell", content: "It rings.", tags: "" },
      },
    );
    expect(created?.status).toBe(302);
    let page = await overview(gm, campaign);
    expect(page).not.toContain(SENTINEL);
    expect(page).toContain("The drowned bell");
    const [entry] = await db.select().from(campaignContext).where(eq(campaignContext.campaignId, campaign.id));
    if (!entry) throw new Error("no entry");

    await warm(() => overview(gm, campaign), overviewPrefix(campaign), markOverview);
    await updateContextEntry(db, await fresh(campaign), entry.id, entry.version, {
      contextType: "lore",
      title: "The silent bell",
      content: "It stopped.",
      tags: [],
    });
    page = await overview(gm, campaign);
    expect(page).not.toContain(SENTINEL);
    expect(page).toContain("The silent bell");
    expect(page).not.toContain("The drowned bell");

    await warm(() => overview(gm, campaign), overviewPrefix(campaign), markOverview);
    await deleteContextEntry(db, await fresh(campaign), entry.id);
    page = await overview(gm, campaign);
    expect(page).not.toContain(SENTINEL);
    expect(page).not.toContain("The silent bell");
  });

  it("character create (the real form), edit and delete each show at once", async () => {
    const { gm, campaign } = await gmCampaign();
    await warm(() => overview(gm, campaign), overviewPrefix(campaign), markOverview);
    const created = await callRoute(
      routeAt("/campaigns/:campaignId/characters/new"),
      "action",
      `http://localhost/campaigns/${campaign.id}/characters/new`,
      {
        cookie: await sessionCookieFor(gm),
        params: { campaignId: campaign.id },
        form: { intent: "save", characterName: "Maren Ashfoot", characterType: "npc", status: "alive", backstory: "" },
      },
    );
    expect(created?.status).toBe(302);
    let page = await overview(gm, campaign);
    expect(page).not.toContain(SENTINEL);
    expect(page).toContain("Maren Ashfoot");
    const [character] = await db
      .select()
      .from(campaignCharacters)
      .where(eq(campaignCharacters.campaignId, campaign.id));
    if (!character) throw new Error("no character");

    await warm(() => overview(gm, campaign), overviewPrefix(campaign), markOverview);
    await updateCharacter(db, await fresh(campaign), character.id, character.version, {
      characterName: "Maren Two-Coins",
      characterType: "npc",
      status: "dead",
      backstory: "",
      stats: [],
    });
    page = await overview(gm, campaign);
    expect(page).not.toContain(SENTINEL);
    expect(page).toContain("Maren Two-Coins");

    await warm(() => overview(gm, campaign), overviewPrefix(campaign), markOverview);
    await deleteCharacter(db, await fresh(campaign), character.id);
    page = await overview(gm, campaign);
    expect(page).not.toContain(SENTINEL);
    expect(page).not.toContain("Maren Two-Coins");
  });

  it("caches a summary: the first entries of each type and characters, with their counts", async () => {
    const { gm, campaign } = await gmCampaign();
    for (let i = 0; i < 8; i++) {
      await createContextEntry(db, campaign, { contextType: "lore", title: `Lore ${i}`, content: "", tags: [] });
    }
    const page = JSON.parse((await overview(gm, campaign)).split("\n").slice(1).join("\n"));
    expect(page.entryCount).toBe(8);
    expect(page.entryGroups).toMatchObject([{ type: "lore", count: 8 }]);
    expect(page.entryGroups[0].items).toHaveLength(6);
    expect(page.entryGroups[0].items[0]).toEqual({ id: expect.any(Number), title: "Lore 0", audience: "gm" });
  });

  it("a campaign edit shows its new description, rendered once and cached rendered", async () => {
    const { gm, campaign } = await gmCampaign("Plain words.");
    await warm(() => overview(gm, campaign), overviewPrefix(campaign), markOverview);
    await updateCampaign(db, gm.username, campaign.id, campaign.version, {
      name: campaign.name,
      description: "Now **bolder**.",
      status: "active",
      tags: [],
    });
    const page = await overview(gm, campaign);
    expect(page).not.toContain(SENTINEL);
    expect(page).toContain("<strong>bolder</strong>");
    // The copy holds the rendered HTML, so a view reads it instead of rendering again.
    const { keys } = await kv.list({ prefix: overviewPrefix(campaign) });
    const cached = await kv.get<{ descriptionHtml: string }>(keys.at(-1)?.name ?? "", "json");
    expect(cached?.descriptionHtml).toContain("<strong>bolder</strong>");
  });

  it("attaching, processing, revealing, hiding, sharing and detaching a file each show at once", async () => {
    const { gm, campaign } = await gmCampaign();
    const player = await member(campaign, "player", gm);
    const stored = await storeFile(gm.username, "Harbour map.md", bytes("# Map\n\nNorth.\n"), "text/markdown");
    const file = await getFile(db, gm.username, stored.fileKey);
    if (!file) throw new Error("no file");

    await warm(() => overview(gm, campaign), overviewPrefix(campaign), markOverview);
    await attachFile(db, campaign, file, { description: "", tags: [] });
    let page = await overview(gm, campaign);
    expect(page).not.toContain(SENTINEL);
    expect(page).toContain("Harbour map.md");
    expect(page).toContain('"status":"uploaded"');

    // The UserFileTracker's status writes (the queue's own D1 statements).
    await warm(() => overview(gm, campaign), overviewPrefix(campaign), markOverview);
    await withQueue(gm.id, async (queue) => {
      await queue.enqueue(stored);
      await drain(queue);
    });
    page = await overview(gm, campaign);
    expect(page).not.toContain(SENTINEL);
    expect(page).toContain('"status":"ready"');

    // A file revealed to one player (the ledger only), then hidden from them again.
    const asGm = await ownerAccess(gm, await fresh(campaign));
    expect(await overview(player, campaign)).not.toContain("Harbour map.md");
    await warm(() => overview(player, campaign), overviewPrefix(campaign), markOverview);
    await reveal(db, asGm, { kind: "file", id: file.fileKey }, [player.id], null);
    page = await overview(player, campaign);
    expect(page).not.toContain(SENTINEL);
    expect(page).toContain("Harbour map.md");
    await warm(() => overview(player, campaign), overviewPrefix(campaign), markOverview);
    await hideFrom(db, asGm, { kind: "file", id: file.fileKey }, player.id);
    page = await overview(player, campaign);
    expect(page).not.toContain(SENTINEL);
    expect(page).not.toContain("Harbour map.md");

    await warm(() => overview(player, campaign), overviewPrefix(campaign), markOverview);
    await setResourceAudience(db, campaign, file.fileKey, "campaign");
    page = await overview(player, campaign);
    expect(page).not.toContain(SENTINEL);
    expect(page).toContain("Harbour map.md");

    await warm(() => overview(gm, campaign), overviewPrefix(campaign), markOverview);
    await detachFile(db, campaign, file.fileKey);
    page = await overview(gm, campaign);
    expect(page).not.toContain(SENTINEL);
    expect(page).not.toContain("Harbour map.md");
  });

  it("a reveal, hiding it again and a role change each show at once to the player", async () => {
    const { gm, campaign } = await gmCampaign();
    const player = await member(campaign, "player", gm);
    const entry = await createContextEntry(db, campaign, {
      contextType: "plot_hook",
      title: "The abbot's crime",
      content: "",
      tags: [],
    });
    const asGm = await ownerAccess(gm, await fresh(campaign));

    await warm(() => overview(player, campaign), overviewPrefix(campaign), markOverview);
    await reveal(db, asGm, { kind: "entry", id: String(entry.id) }, [player.id], "Session 2");
    let page = await overview(player, campaign);
    expect(page).not.toContain(SENTINEL);
    expect(page).toContain("The abbot's crime");

    await warm(() => overview(player, campaign), overviewPrefix(campaign), markOverview);
    await hideFrom(db, asGm, { kind: "entry", id: String(entry.id) }, player.id);
    page = await overview(player, campaign);
    expect(page).not.toContain(SENTINEL);
    expect(page).not.toContain("The abbot's crime");

    await createContextEntry(db, campaign, { contextType: "lore", title: "Only for GMs", content: "", tags: [] });
    await warm(() => overview(player, campaign), overviewPrefix(campaign), markOverview);
    const before = (await fresh(campaign)).cacheGeneration;
    await changeMemberRole(db, await fresh(campaign), player.id, "co-gm");
    expect((await fresh(campaign)).cacheGeneration).toBeGreaterThan(before);
    page = await overview(player, campaign);
    expect(page).not.toContain(SENTINEL);
    expect(page).toContain("Only for GMs");
    expect(page).toContain("The abbot's crime");
  });

  it("never serves a GM's copy to a player or a viewer: GMs share one, everyone else has their own", async () => {
    const marker = "quillmarkcachedgm";
    const { gm, campaign } = await gmCampaign(`Open.\n\n\`\`\`secret\nHidden ${marker}desc\n\`\`\`\n`);
    const coGm = await member(campaign, "co-gm", gm);
    const player = await member(campaign, "player", gm);
    const viewer = await member(campaign, "viewer", gm);
    await createContextEntry(db, campaign, { contextType: "lore", title: `GM entry ${marker}`, content: "", tags: [] });
    await createContextEntry(db, campaign, {
      contextType: "lore",
      title: "Shared entry",
      content: "",
      tags: [],
      audience: "campaign",
    });
    const gmPage = await overview(gm, campaign);
    expect(gmPage).toContain(marker);
    expect(await overview(coGm, campaign)).toContain(marker);
    for (const reader of [player, viewer]) {
      for (const round of [1, 2]) {
        const page = await overview(reader, campaign);
        expect(page, `round ${round}`).toContain("Shared entry");
        expect(page, `round ${round}`).not.toContain(marker);
      }
    }
    const { keys } = await kv.list({ prefix: overviewPrefix(campaign) });
    const viewers = keys.map((k) => k.name.split(":").at(-1)).sort();
    expect(viewers).toEqual(["gm", `player.${player.id}`, `viewer.${viewer.id}`].sort());
    // The player's copy, read from the cache (marked), still holds no GM-only marker.
    await markCached(`${overviewPrefix(campaign)}${(await fresh(campaign)).cacheGeneration}:player.`, markOverview);
    const cached = await overview(player, campaign);
    expect(cached).toContain(SENTINEL);
    expect(cached).not.toContain(marker);
  });
});

describe("the library, search scopes and downloads from the cache", () => {
  it("an upload, a new version, new details, a status change and a deletion each show at once", async () => {
    const gm = await newUser("gm");
    await upload(gm, "First.md", "# First\n\nOne.\n");
    const [row] = await listFiles(db, gm.username);
    if (!row) throw new Error("no file");

    await warm(() => library(gm), accountPrefix("library", gm), markLibrary);
    await warm(() => scopes(gm), accountPrefix("scopes", gm), markScopes);
    await upload(gm, "Second.md", "# Second\n\nTwo.\n");
    for (const page of [await library(gm), await scopes(gm)]) {
      expect(page).not.toContain(SENTINEL);
      expect(page).toContain("Second.md");
    }

    await warm(() => download(gm, row.fileKey), accountPrefix("download", gm), markDownload);
    await warm(() => library(gm), accountPrefix("library", gm), markLibrary);
    await upload(gm, "First.md", "# First\n\nOne, rewritten.\n");
    let page = await download(gm, row.fileKey);
    expect(page).not.toContain(SENTINEL);
    expect(page).toContain("One, rewritten.");
    page = await library(gm);
    expect(page).not.toContain(SENTINEL);
    expect(page).toContain('"currentVersion":2');

    await warm(() => library(gm), accountPrefix("library", gm), markLibrary);
    const current = await getFile(db, gm.username, row.fileKey);
    await updateFileDetails(db, gm.username, row.fileKey, current?.version ?? 0, {
      description: "Rewritten notes",
      tags: [],
    });
    page = await library(gm);
    expect(page).not.toContain(SENTINEL);
    expect(page).toContain("Rewritten notes");

    await warm(() => download(gm, row.fileKey), accountPrefix("download", gm), markDownload);
    await warm(() => library(gm), accountPrefix("library", gm), markLibrary);
    const { versions } = await deleteOldVersions(fileStores(), gm.username);
    expect(versions).toBe(1);
    expect((await download(gm, row.fileKey)).startsWith("200 ")).toBe(true);
    expect(await download(gm, row.fileKey)).not.toContain(SENTINEL);
    expect(await library(gm)).not.toContain(SENTINEL);

    // The UserFileTracker's status writes: the library and the scopes' "processing" count.
    await warm(() => library(gm), accountPrefix("library", gm), markLibrary);
    await warm(() => scopes(gm), accountPrefix("scopes", gm), markScopes);
    const stored = await storeFile(gm.username, "Queued.md", bytes("# Queued\n\nWaits.\n"), "text/markdown");
    expect(await library(gm)).toContain('"status":"uploaded"');
    await warm(() => library(gm), accountPrefix("library", gm), markLibrary);
    await warm(() => scopes(gm), accountPrefix("scopes", gm), markScopes);
    const generation = await generationOf(gm);
    await withQueue(gm.id, async (queue) => {
      await queue.enqueue(stored);
      await drain(queue);
    });
    expect(await generationOf(gm)).toBeGreaterThan(generation ?? 0);
    page = await library(gm);
    expect(page).not.toContain(SENTINEL);
    expect(page).not.toContain('"status":"uploaded"');
    expect(await scopes(gm)).not.toContain(SENTINEL);

    await warm(() => library(gm), accountPrefix("library", gm), markLibrary);
    await warm(() => download(gm, row.fileKey), accountPrefix("download", gm), markDownload);
    await warm(() => scopes(gm), accountPrefix("scopes", gm), markScopes);
    await deleteFile(fileStores(), gm, row.fileKey);
    page = await library(gm);
    expect(page).not.toContain(SENTINEL);
    expect(page).not.toContain("First.md");
    expect(await scopes(gm)).not.toContain("First.md");
    expect((await download(gm, row.fileKey)).startsWith("404 ")).toBe(true);
  });

  it("attach and detach show in the library's campaign count", async () => {
    const { gm, campaign } = await gmCampaign();
    await upload(gm, "Rules.md", "# Rules\n\nRoll.\n");
    const [file] = await listFiles(db, gm.username);
    const row = await getFile(db, gm.username, file?.fileKey ?? "");
    if (!row) throw new Error("no file");
    await warm(() => library(gm), accountPrefix("library", gm), markLibrary);
    await attachFile(db, campaign, row, { description: "", tags: [] });
    let page = await library(gm);
    expect(page).not.toContain(SENTINEL);
    expect(page).toContain('"campaignCount":1');
    await warm(() => library(gm), accountPrefix("library", gm), markLibrary);
    await detachFile(db, campaign, row.fileKey);
    page = await library(gm);
    expect(page).not.toContain(SENTINEL);
    expect(page).toContain('"campaignCount":0');
  });

  it("a campaign created, renamed, joined, left and deleted shows in the scopes of its owner and members", async () => {
    const gm = await newUser("gm");
    const player = await newUser("player");
    await warm(() => scopes(gm), accountPrefix("scopes", gm), markScopes);
    const campaign = await createCampaign(db, gm.username, {
      name: "Old name",
      description: "",
      status: "active",
      tags: [],
    });
    expect(await scopes(gm)).toContain("Old name");

    await warm(() => scopes(player), accountPrefix("scopes", player), markScopes);
    await db
      .insert(campaignMembers)
      .values({ campaignId: campaign.id, accountId: player.id, role: "player", addedBy: gm.id });
    let page = await scopes(player);
    expect(page).not.toContain(SENTINEL);
    expect(page).toContain("Old name");

    await warm(() => scopes(player), accountPrefix("scopes", player), markScopes);
    await warm(() => scopes(gm), accountPrefix("scopes", gm), markScopes);
    await updateCampaign(db, gm.username, campaign.id, campaign.version, {
      name: "New name",
      description: "",
      status: "active",
      tags: [],
    });
    for (const user of [gm, player]) {
      page = await scopes(user);
      expect(page).not.toContain(SENTINEL);
      expect(page).toContain("New name");
    }

    await warm(() => scopes(player), accountPrefix("scopes", player), markScopes);
    await removeMember(db, await fresh(campaign), player.id);
    page = await scopes(player);
    expect(page).not.toContain(SENTINEL);
    expect(page).not.toContain("New name");

    await warm(() => scopes(gm), accountPrefix("scopes", gm), markScopes);
    expect(await deleteCampaign(db, gm.username, campaign.id)).toBe(true);
    page = await scopes(gm);
    expect(page).not.toContain(SENTINEL);
    expect(page).not.toContain("New name");
  });

  it("a deleted account's copies never reach a new account with the same username", async () => {
    const name = uniqueName("reused");
    const first = await createAccount(db, name, PASSWORD);
    await upload(first, "Diary of the first.md", "# Diary\n\nMine.\n");
    await library(first);
    const { keys } = await kv.list({ prefix: accountPrefix("library", first) });
    expect(keys.length).toBe(1);
    const left = await kv.get(keys[0]?.name ?? "");

    await deleteAccount(services, first, PASSWORD, { clientId: uniqueName("ip"), knownDevice: null });
    expect((await kv.list({ prefix: accountPrefix("library", first) })).keys).toEqual([]);
    // Even a copy left behind (another location's, say) sits under the old, never reused id.
    await kv.put(keys[0]?.name ?? "", left ?? "", { expirationTtl: 3600 });

    const second = await createAccount(db, name, PASSWORD);
    expect(second.id).not.toBe(first.id);
    expect(second.cacheGeneration).toBe(0);
    const page = await library(second);
    expect(page).not.toContain("Diary of the first.md");
    expect((await kv.list({ prefix: accountPrefix("library", second) })).keys.length).toBe(1);
  });
});

describe("ReadModelCache", () => {
  it("reports hits and misses, stores with a TTL of at least a minute, and skips values over its cap", async () => {
    const reads: CacheRead[] = [];
    const cache = new ReadModelCache(kv, { observe: (read) => reads.push(read), maxValueBytes: 64 });
    const key = `test:v1:${crypto.randomUUID()}:0:-`;
    expect(await cache.readThrough(key, 1, async () => ({ n: 1 }))).toEqual({ n: 1 });
    expect(await cache.readThrough(key, 1, async () => ({ n: 2 }))).toEqual({ n: 1 });
    expect(reads.map(({ model, hit }) => ({ model, hit }))).toEqual([
      { model: "test", hit: false },
      { model: "test", hit: true },
    ]);
    const [listed] = (await kv.list({ prefix: key })).keys;
    expect(listed?.expiration).toBeGreaterThanOrEqual(Math.floor(Date.now() / 1000) + 59);

    const big = `test:v1:${crypto.randomUUID()}:0:-`;
    expect(await cache.readThrough(big, 60, async () => ({ text: "x".repeat(100) }))).toEqual({
      text: "x".repeat(100),
    });
    expect(await kv.get(big)).toBeNull();
    // Nothing there is served and never stored.
    const missing = `test:v1:${crypto.randomUUID()}:0:-`;
    expect(await cache.readThrough(missing, 60, async () => undefined)).toBeUndefined();
    expect(await kv.get(missing)).toBeNull();
  });

  it("serves from D1 when KV fails, and is off for writes and with READ_MODEL_CACHE=off", async () => {
    const failing = {
      get: async () => {
        throw new Error("KV is down");
      },
      put: async () => {
        throw new Error("KV is down");
      },
    } as unknown as KVNamespace;
    const cache = new ReadModelCache(failing);
    expect(await cache.readThrough("overview:v1:x:0:gm", 60, async () => "from D1")).toBe("from D1");

    expect(createServices(env, { cacheReads: false }).readModels.enabled).toBe(false);
    expect(createServices({ ...env, READ_MODEL_CACHE: "off" }).readModels.enabled).toBe(false);
    expect(createServices(env).readModels.enabled).toBe(true);
  });
});
