import { env, exports } from "cloudflare:workers";
import { eq, sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import type { CampaignChange, RoomPoll } from "~/lib/campaign-live";
import type { MemberRole } from "~/lib/members";
import { parseSearchParams, searchTypes } from "~/lib/search";
import type { ChatModel } from "~/server/assistant/chat-model.server";
import { ask, createConversation, shareConversation } from "~/server/assistant/conversations.server";
import { createCampaign } from "~/server/campaigns/campaigns.server";
import { createCharacter } from "~/server/campaigns/characters.server";
import { createContextEntry, updateContextEntry } from "~/server/campaigns/context-entries.server";
import { addMemberNote, shareMemberNote } from "~/server/campaigns/member-notes.server";
import { createInvite, joinWithInvite } from "~/server/campaigns/members.server";
import { type CampaignAccess, campaignAccess } from "~/server/campaigns/policy.server";
import { addRelation } from "~/server/campaigns/relations.server";
import { attachFile } from "~/server/campaigns/resources.server";
import { hideFrom, knowledgeLedger, reveal } from "~/server/campaigns/reveals.server";
import { renderWithSecrets, withoutSecrets } from "~/server/campaigns/secrets.server";
import { addLogNote } from "~/server/campaigns/session-log.server";
import { draftRecap } from "~/server/campaigns/session-recap.server";
import { createSession } from "~/server/campaigns/sessions.server";
import { type Campaign, campaignContext, campaignMembers, type User } from "~/server/db/schema";
import { getFile } from "~/server/files/files.server";
import { announce } from "~/server/live/campaign-room.server";
import { findSecretBlocks, renderMarkdown } from "~/server/markdown.server";

import { resolveScope, scopedSearchOptions, search } from "~/server/search/search.server";
import { textsOf, unzipResponse } from "./archive-helpers";
import { db, newUser, ownerAccess, services, sessionCookieFor } from "./helpers";
import { drain, storeFile, withQueue } from "./ingest-helpers";
import { openRoom as open } from "./room-socket";
import { allRoutes, callRoute, routeAt } from "./route-walk";

/**
 * Secrets stay secret (ADR 0026). A unique marker word is planted in every kind of hidden
 * material; then every surface a player (and a viewer) can reach is asked for it — every
 * page and API route of the route table, search with every filter, the assistant quoting
 * and with a stand-in model that echoes its whole prompt, the live sockets — and none may
 * contain any marker. The GMs find every marker through the same surfaces (so an absence
 * means something), and sharing an entry makes exactly that entry appear.
 */

const hasSecrets = (text: string) => findSecretBlocks(text).blocks.length > 0;

/** The walks below make hundreds of requests: on a busy 2-core machine they need more than the default 30 s. */
const WALK_TIMEOUT = 180_000;

const MARKERS = {
  gmEntry: "quillmarkgmentry",
  gmEntryTag: "quillmarktag",
  secretBlock: "quillmarksecretblock",
  gmCharacter: "quillmarkgmchar",
  backstorySecret: "quillmarkbackstory",
  gmFile: "quillmarkgmfile",
  libraryFile: "quillmarklibrary",
  descriptionSecret: "quillmarkdesc",
  otherPlayersChat: "quillmarkotherchat",
  gmLogNote: "quillmarklognote",
  otherPlayersNote: "quillmarkothernote",
  sharedWithGmsNote: "quillmarksharednote",
  sharedWithGmsChat: "quillmarksharedchat",
  sessionNotes: "quillmarksessionnotes",
  gmSessionRecap: "quillmarkgmsession",
  sessionRecapSecret: "quillmarkrecapsecret",
  gmRelation: "quillmarkgmrelation",
  gmRelationLabel: "quillmarkrelabel",
  hiddenEndRelation: "quillmarkhiddenend",
  hiddenToEndRelation: "quillmarkhiddentoend",
} as const;
const markerWords = Object.values(MARKERS);

/** Questions a player might ask that hidden material answers, in words without markers. */
const QUESTIONS = [
  "Who poisoned the well?",
  "What does the bell ringer do?",
  "Who forged the bishop's seal?",
  "What does Maren owe the smugglers?",
  "Where is the relic hidden?",
  "When will the town burn?",
  "Where is the lighthouse?",
];

const leaks = (text: string) => markerWords.filter((marker) => text.toLowerCase().includes(marker));

interface Table {
  owner: User;
  coGm: User;
  player: User;
  otherPlayer: User;
  viewer: User;
  campaign: Campaign;
  gmEntryId: number;
  sharedEntryId: number;
  gmCharacterId: number;
  sharedCharacterId: number;
  /** A session kept for the GMs, and one whose recap is shared (its notes are still the GMs'). */
  sessions: { gm: number; shared: number };
  files: { gm: string; shared: string; library: string };
  chats: { player: string; otherPlayer: string; otherPlayerShared: string };
  token: string;
  /** More accounts of each role, to share out the searches' rate limit (everySearch). */
  pools: Record<"coGms" | "players" | "playersAfterSharing" | "viewers", User[]>;
}

let table: Table;

async function accessOf(user: User): Promise<CampaignAccess> {
  const access = await campaignAccess(db, user, table.campaign.id);
  if (!access) throw new Error(`${user.username} is not in the campaign`);
  return access;
}

beforeAll(async () => {
  const owner = await newUser("gm");
  const bytes = (text: string) => new TextEncoder().encode(text);
  const stored = {
    gm: await storeFile(
      owner.username,
      "Abbot diary.md",
      bytes(`# Diary\n\nI hid the relic beneath the altar. ${MARKERS.gmFile}\n`),
      "text/markdown",
    ),
    shared: await storeFile(
      owner.username,
      "Harbour map.md",
      bytes("# Harbour map\n\nThe lighthouse stands north of the harbour.\n"),
      "text/markdown",
    ),
    library: await storeFile(
      owner.username,
      "Private notes.md",
      bytes(`# Notes\n\nThe relic is cursed and the well is poisoned. ${MARKERS.libraryFile}\n`),
      "text/markdown",
    ),
  };
  await withQueue(owner.id, async (queue) => {
    for (const file of Object.values(stored)) await queue.enqueue(file);
    await drain(queue);
  });
  const campaign = await createCampaign(db, owner.username, {
    name: "Saltmarsh",
    description: `A harbour town.\n\n\`\`\`secret\nThe town will burn in act three. ${MARKERS.descriptionSecret}\n\`\`\`\n`,
    status: "active",
    tags: [],
  });
  for (const [key, audience] of [
    ["gm", "gm"],
    ["shared", "campaign"],
  ] as const) {
    const row = await getFile(db, owner.username, stored[key].fileKey);
    if (!row) throw new Error("no file");
    await attachFile(db, campaign, row, { description: "", tags: [], audience });
  }
  const gmEntry = await createContextEntry(db, campaign, {
    contextType: "plot_hook",
    title: "The abbot's crime",
    content: `The abbot poisoned the well at midnight. ${MARKERS.gmEntry}`,
    tags: [MARKERS.gmEntryTag],
  });
  const sharedEntry = await createContextEntry(db, campaign, {
    contextType: "lore",
    title: "Harbour gossip",
    content: `Sailors say the harbour bell rings at dawn.\n\n\`\`\`secret\nThe bell ringer is a smuggler. ${MARKERS.secretBlock}\n\`\`\`\n\nFish is cheap this week.`,
    tags: ["gossip"],
    audience: "campaign",
  });
  const gmCharacter = await createCharacter(db, campaign, {
    characterName: "Brother Vane",
    characterType: "npc",
    status: "alive",
    backstory: `Vane forged the bishop's seal. ${MARKERS.gmCharacter}`,
    stats: [],
  });
  const sharedCharacter = await createCharacter(db, campaign, {
    characterName: "Maren",
    characterType: "npc",
    status: "alive",
    backstory: `Maren runs the harbour.\n\n~~~secret\nMaren owes the smugglers gold. ${MARKERS.backstorySecret}\n~~~\n`,
    stats: [],
    audience: "campaign",
  });

  // Sessions: the notes are the GMs' even when the recap is shared; a GM-only session is the GMs' entirely.
  const sessionNotes = `We met [[Maren]] and [[Brother Vane]]; the abbot's crime came out. ${MARKERS.sessionNotes}\n\n\`\`\`secret\nVane is the abbot's son. ${MARKERS.secretBlock}\n\`\`\``;
  const gmSession = await createSession(db, campaign, {
    number: 1,
    playedOn: "2026-11-13",
    title: "",
    attendeeIds: [],
    guests: [],
    notes: sessionNotes,
    recap: `The party met [[The abbot's crime]]. ${MARKERS.gmSessionRecap}`,
  });
  const sharedSession = await createSession(db, campaign, {
    number: 2,
    playedOn: "2026-11-20",
    title: "At the harbour",
    attendeeIds: [],
    guests: ["Ada"],
    notes: sessionNotes,
    recap: `They met [[Maren]] and [[Brother Vane]] at the harbour.\n\n\`\`\`secret\nVane followed them home. ${MARKERS.sessionRecapSecret}\n\`\`\``,
    audience: "campaign",
  });
  // Relations (ADR 0036): one for the GMs between shared ends, two shared but with a GM-only
  // end (at either side), and one shared between shared ends that everyone sees.
  const sharedEnd = { kind: "entry", id: sharedEntry.id } as const;
  const maren = { kind: "character", id: sharedCharacter.id } as const;
  await addRelation(db, campaign, {
    from: maren,
    to: sharedEnd,
    type: "custom",
    label: MARKERS.gmRelationLabel,
    inverseLabel: "is whispered about by",
    note: `Maren started the gossip. ${MARKERS.gmRelation}`,
  });
  await addRelation(db, campaign, {
    from: { kind: "character", id: gmCharacter.id },
    to: sharedEnd,
    type: "enemy_of",
    note: `Vane hates the gossip. ${MARKERS.hiddenEndRelation}`,
    audience: "campaign",
  });
  await addRelation(db, campaign, { from: maren, to: sharedEnd, type: "member_of", audience: "campaign" });
  const den = await createContextEntry(db, campaign, {
    contextType: "location",
    title: "The den",
    content: "",
    tags: [],
  });
  await addRelation(db, campaign, {
    from: maren,
    to: { kind: "entry", id: den.id },
    type: "located_in",
    note: `Maren hides in the den. ${MARKERS.hiddenToEndRelation}`,
    audience: "campaign",
  });

  const [coGm, player, otherPlayer, viewer] = [
    await newUser("cogm"),
    await newUser("player"),
    await newUser("player"),
    await newUser("viewer"),
  ];
  const asOwner = await ownerAccess(owner, campaign);
  await addLogNote(db, asOwner, "The party reached the harbour at dusk.", false);
  await addLogNote(db, asOwner, `The guard's true name is Zanthor. ${MARKERS.gmLogNote}`, true);
  const { token } = await createInvite(db, asOwner, { role: "player", lifetimeDays: 7, maxUses: null });
  await joinWithInvite(db, player, token);
  await joinWithInvite(db, otherPlayer, token);
  await db.insert(campaignMembers).values([
    { campaignId: campaign.id, accountId: coGm.id, role: "co-gm", addedBy: owner.id },
    { campaignId: campaign.id, accountId: viewer.id, role: "viewer", addedBy: owner.id },
  ]);
  const pool = async (role: MemberRole, first: User) => {
    const more = await Promise.all(Array.from({ length: 5 }, () => newUser(role.replace("-", ""))));
    await db
      .insert(campaignMembers)
      .values(more.map((user) => ({ campaignId: campaign.id, accountId: user.id, role, addedBy: owner.id })));
    return [first, ...more];
  };
  const pools = {
    coGms: await pool("co-gm", coGm),
    players: await pool("player", player),
    playersAfterSharing: await pool("player", otherPlayer),
    viewers: await pool("viewer", viewer),
  };
  table = {
    owner,
    coGm,
    player,
    otherPlayer,
    viewer,
    campaign,
    gmEntryId: gmEntry.id,
    sharedEntryId: sharedEntry.id,
    gmCharacterId: gmCharacter.id,
    sharedCharacterId: sharedCharacter.id,
    sessions: { gm: gmSession.id, shared: sharedSession.id },
    files: { gm: stored.gm.fileKey, shared: stored.shared.fileKey, library: stored.library.fileKey },
    chats: { player: "", otherPlayer: "", otherPlayerShared: "" },
    token,
    pools,
  };
  // The other player's conversation, with a question that carries a marker.
  const theirs = await accessOf(otherPlayer);
  const theirChat = await createConversation(db, theirs);
  for await (const _ of ask(
    { ...services.assistant, model: null },
    theirs,
    theirChat,
    `Where is the lighthouse? ${MARKERS.otherPlayersChat}`,
  )) {
    // saved by the last step
  }
  // The other player's notebook: one note kept private, one shared with the GMs.
  await addMemberNote(db, theirs, { title: "Hunch", body: `The abbot is lying. ${MARKERS.otherPlayersNote}` });
  const shared = await addMemberNote(db, theirs, {
    title: "For the GM",
    body: `I want a duel. ${MARKERS.sharedWithGmsNote}`,
  });
  await shareMemberNote(db, theirs, shared.id, true);
  // A second conversation of theirs, shared with the GMs: the GMs read it, nobody else.
  const sharedChat = await createConversation(db, theirs);
  for await (const _ of ask(
    { ...services.assistant, model: null },
    theirs,
    sharedChat,
    `Can I take the oath? ${MARKERS.sharedWithGmsChat}`,
  )) {
    // saved by the last step
  }
  await shareConversation(db, sharedChat, true);
  table.chats = {
    player: (await createConversation(db, await accessOf(player))).id,
    otherPlayer: theirChat.id,
    otherPlayerShared: sharedChat.id,
  };
});

/** Every value each kind of id in a URL takes: the hidden and the shared, the player's own and another's. */
function idChoices(): Record<string, string[]> {
  return {
    campaignId: [table.campaign.id],
    entryId: [String(table.gmEntryId), String(table.sharedEntryId)],
    characterId: [String(table.gmCharacterId), String(table.sharedCharacterId)],
    sessionId: [String(table.sessions.gm), String(table.sessions.shared)],
    fileKey: Object.values(table.files),
    chatId: [table.chats.player, table.chats.otherPlayer, table.chats.otherPlayerShared],
    token: [table.token],
    uploadId: [crypto.randomUUID()],
    partNumber: ["1"],
  };
}

/** Each way to fill a route's ids from idChoices (the product over its parameters). */
function fillings(path: string): Record<string, string>[] {
  const names = [...path.matchAll(/:(\w+)/g)].map((m) => m[1] ?? "");
  const choices = idChoices();
  return names.reduce<Record<string, string>[]>(
    (all, name) => all.flatMap((params) => (choices[name] ?? []).map((value) => ({ ...params, [name]: value }))),
    [{}],
  );
}

const leafRoutes = [...new Map(allRoutes.map((route) => [route.path, routeAt(route.path)])).values()];

async function bodyOf(response: Response | null): Promise<string> {
  return response ? response.text() : "";
}

/** Every loader of the route table, every way its ids can be filled, as `user`. */
async function everyPage(user: User): Promise<{ surfaces: number; found: string[] }> {
  const cookie = await sessionCookieFor(user);
  const found: string[] = [];
  let surfaces = 0;
  for (const route of leafRoutes) {
    for (const params of fillings(route.path)) {
      const url = `http://localhost${route.path.replace(/:(\w+)/g, (_, name: string) => params[name] ?? "")}`;
      const response = await callRoute(route, "loader", url, { cookie, params });
      if (!response) continue;
      surfaces += 1;
      for (const marker of leaks(await bodyOf(response)))
        found.push(`${route.path} ${JSON.stringify(params)}: ${marker}`);
    }
  }
  return { surfaces, found };
}

/** What a player might type: every marker at once, their common prefix, the hidden material's own words. */
const SEARCHES = [
  markerWords.join(" "),
  "quillmark",
  "abbot poisoned well midnight smuggler bell ringer forged bishop seal relic altar owes gold town burn",
];

/** Every filter a search takes, over the campaign (and, for the API, over the searcher's own library too). */
function searchFilters(): string[] {
  const { files } = table;
  return [
    "",
    ...searchTypes.map((type) => `&type=${type}`),
    `&tag=${MARKERS.gmEntryTag}`,
    "&tag=gossip",
    `&fileKey=${files.shared}`,
    `&fileKey=${files.gm}`,
    "&prefix=1",
    "&explain=1",
    "&page=2",
  ];
}

function searchUrls(): string[] {
  return SEARCHES.flatMap((q) =>
    searchFilters().flatMap((filter) => {
      const search = `q=${encodeURIComponent(q)}&campaignId=${table.campaign.id}${filter}`;
      return [`/api/search?${search}`, `/search?${search}`, `/api/search?q=${encodeURIComponent(q)}${filter}`];
    }),
  );
}

/** Searches allowed per account and window (wrangler.toml SEARCH_LIMITER is 30 in 10 s): a pool shares them out. */
const SEARCHES_PER_ACCOUNT = 25;

/**
 * Every search URL, each asked by the next account of `pool` (members of one role), as
 * the page and the API answer it. Every answer must be a real one: 200, or 404 for a
 * file scope the role may not read; a 429 would make the check vacuous.
 */
async function everySearch(pool: User[]): Promise<{ surfaces: number; found: string[] }> {
  const urls = searchUrls();
  if (urls.length > pool.length * SEARCHES_PER_ACCOUNT) throw new Error("the pool is too small for the searches");
  const cookies = await Promise.all(pool.map(sessionCookieFor));
  const found: string[] = [];
  for (const [i, url] of urls.entries()) {
    const route = routeAt(url.split("?")[0] ?? "");
    const cookie = cookies[i % cookies.length] ?? "";
    const response = await callRoute(route, "loader", `http://localhost${url}`, { cookie, params: {} });
    expect([200, 404], url).toContain(response?.status);
    // Everything it answers but the echo of what was typed (a marker asked for is no leak).
    const body = await bodyOf(response);
    // Over the searcher's own library, `explain` shows their own query's FTS expressions: an echo too. Over
    // someone else's campaign it must not exist at all (it would tell which words their library is full of).
    const json = response?.ok ? JSON.parse(body) : null;
    const ownLibrary = !url.includes("campaignId=");
    const answered = json
      ? JSON.stringify({ ...json, query: null, params: null, ...(ownLibrary ? { explain: null } : {}) })
      : body;
    for (const marker of leaks(answered)) found.push(`${url}: ${marker}`);
  }
  return { surfaces: urls.length, found };
}

/** The same searches through search() itself, as the API calls it, with every question too (no rate limit there). */
async function everyServiceSearch(user: User): Promise<{ surfaces: number; found: string[] }> {
  const found: string[] = [];
  let surfaces = 0;
  for (const q of [...SEARCHES, ...markerWords, ...QUESTIONS]) {
    for (const filter of searchFilters()) {
      const parsed = parseSearchParams(
        new URLSearchParams(`q=${encodeURIComponent(q)}&campaignId=${table.campaign.id}${filter}`),
      );
      if (!parsed.success) throw new Error(`bad search ${filter}`);
      const params = parsed.data;
      const scope = await resolveScope(db, user, params);
      surfaces += 1;
      if (!scope) continue;
      const page = await search(services.search, scope.owner, scopedSearchOptions(params, scope));
      // The owner's `explain` is their own query's FTS expressions (an echo); nobody else gets one.
      const answered = scope.mayExplain ? { ...page, explain: null } : page;
      for (const marker of leaks(JSON.stringify(answered))) found.push(`${q} ${filter}: ${marker}`);
    }
  }
  return { surfaces, found };
}

/** A stand-in model at the network boundary that answers with its whole prompt. */
const echoingModel: ChatModel = {
  provider: "openai-compatible",
  label: "echo",
  async *stream(messages) {
    yield JSON.stringify(messages);
  },
};

describe("secrets stay secret", () => {
  it(
    "the GMs find every marker, so the players' silence below is the policy's",
    async () => {
      const searches = await everySearch(table.pools.coGms);
      const pages = await everyPage(table.coGm);
      const seen = new Set([...searches.found, ...pages.found].map((line) => line.split(": ").at(-1)));
      // The other player's conversation and private note are theirs alone, even for the GMs; the owner's other files are not the campaign's.
      const theirsAlone: string[] = [MARKERS.otherPlayersChat, MARKERS.otherPlayersNote, MARKERS.libraryFile];
      expect([...seen].sort()).toEqual(markerWords.filter((m) => !theirsAlone.includes(m)).sort());
      // The owner finds that file in their own library.
      const own = await everyServiceSearch(table.owner);
      expect(own.found.filter((line) => line.endsWith(MARKERS.libraryFile))).toEqual([]);
      const library = await callRoute(
        routeAt("/api/search"),
        "loader",
        `http://localhost/api/search?q=${MARKERS.libraryFile}`,
        {
          cookie: await sessionCookieFor(table.owner),
          params: {},
        },
      );
      expect(leaks(await bodyOf(library))).toEqual([MARKERS.libraryFile]);
    },
    WALK_TIMEOUT,
  );

  it(
    "no page or API route answers a player or a viewer anything hidden",
    async () => {
      for (const user of [table.player, table.viewer]) {
        const { surfaces, found } = await everyPage(user);
        expect(found, user.username).toEqual([]);
        console.info(`secret markers: ${markerWords.length} markers x ${surfaces} page and API answers`);
        expect(surfaces).toBeGreaterThanOrEqual(50);
      }
    },
    WALK_TIMEOUT,
  );

  it("no export holds for a player or a viewer anything hidden, unzipped, with the files' bytes too", async () => {
    const id = table.campaign.id;
    const exportAs = async (user: User, path: string, url: string) =>
      textsOf(
        await unzipResponse(
          await callRoute(routeAt(path), "loader", `http://localhost${url}`, {
            cookie: await sessionCookieFor(user),
            params: { campaignId: id },
          }),
        ),
      );
    const archivesOf = async (user: User) => [
      await exportAs(user, "/campaigns/:campaignId/export/archive", `/campaigns/${id}/export/archive?files=1`),
      await exportAs(user, "/settings/export", "/settings/export?files=1"),
    ];
    for (const user of [table.player, table.viewer]) {
      for (const archive of await archivesOf(user)) {
        expect(leaks(JSON.stringify(archive)), user.username).toEqual([]);
        // Not vacuous: what is shared is there — an entry, the shared session's recap, the shared relation.
        expect(JSON.stringify(archive)).toContain("Sailors say the harbour bell rings at dawn.");
        expect(JSON.stringify(archive)).toContain("They met [[Maren]] and [[Brother Vane]] at the harbour.");
        expect(JSON.stringify(archive)).toContain('\\"type\\": \\"member_of\\"');
      }
    }
    // The GMs' archive holds every marker of the campaign's material (log notes, chats and notes are not material).
    const [gmArchive] = await archivesOf(table.coGm);
    expect(leaks(JSON.stringify(gmArchive)).sort()).toEqual(
      [
        MARKERS.gmEntry,
        MARKERS.gmEntryTag,
        MARKERS.secretBlock,
        MARKERS.gmCharacter,
        MARKERS.backstorySecret,
        MARKERS.gmFile,
        MARKERS.descriptionSecret,
        MARKERS.sessionNotes,
        MARKERS.gmSessionRecap,
        MARKERS.sessionRecapSecret,
        MARKERS.gmRelation,
        MARKERS.gmRelationLabel,
        MARKERS.hiddenEndRelation,
        MARKERS.hiddenToEndRelation,
      ].sort(),
    );
  });

  it(
    "no search of a player or a viewer matches, counts or echoes anything hidden, with any filter",
    async () => {
      for (const pool of [table.pools.players, table.pools.viewers]) {
        const routes = await everySearch(pool);
        expect(routes.found).toEqual([]);
        expect(routes.surfaces).toBeGreaterThan(100);
        const service = await everyServiceSearch(pool[0] ?? table.player);
        expect(service.found).toEqual([]);
        console.info(`secret markers: ${routes.surfaces} search answers, ${service.surfaces} search() calls`);
        expect(service.surfaces).toBeGreaterThan(250);
      }
      // Counts too: the shared entry is the only one of the campaign's entries a player's search can return.
      const cookie = await sessionCookieFor(table.player);
      const response = await callRoute(
        routeAt("/api/search"),
        "loader",
        `http://localhost/api/search?q=harbour+abbot+well+seal&campaignId=${table.campaign.id}&type=context`,
        { cookie, params: {} },
      );
      if (response?.status !== 200) throw new Error(`search answered ${response?.status}`);
      const { results } = (await response.json()) as { results: { id: string }[] };
      expect(results.map((r) => r.id)).toEqual([`context:${table.sharedEntryId}`]);
    },
    WALK_TIMEOUT,
  );

  it("the assistant quotes, cites and prompts a player with nothing hidden, and answers from what is shared", async () => {
    const access = await accessOf(table.player);
    const conversation = await createConversation(db, access);
    let cited: string[] = [];
    for (const model of [null, echoingModel]) {
      for (const question of QUESTIONS) {
        let text = "";
        for await (const event of ask({ ...services.assistant, model }, access, conversation, question)) {
          text += JSON.stringify(event);
          if (event.type === "sources" && question.includes("lighthouse")) cited = event.citations.map((c) => c.href);
        }
        expect(leaks(text), `${model?.label ?? "extractive"}: ${question}`).toEqual([]);
      }
    }
    expect(cited).toEqual([
      expect.stringMatching(new RegExp(`/campaigns/${table.campaign.id}/files/${table.files.shared}/`)),
    ]);
    // The same through the API a browser streams from, and the page that shows the conversation.
    const cookie = await sessionCookieFor(table.player);
    const params = { campaignId: table.campaign.id, chatId: table.chats.player };
    for (const question of QUESTIONS) {
      const streamed = await callRoute(
        routeAt("/api/campaigns/:campaignId/chats/:chatId/ask"),
        "action",
        `http://localhost/api/campaigns/${params.campaignId}/chats/${params.chatId}/ask`,
        { cookie, params, form: { question } },
      );
      expect(leaks(await bodyOf(streamed)), question).toEqual([]);
    }
    const page = await callRoute(
      routeAt("/campaigns/:campaignId/assistant/:chatId"),
      "loader",
      `http://localhost/campaigns/${params.campaignId}/assistant/${params.chatId}`,
      { cookie, params },
    );
    expect(leaks(await bodyOf(page))).toEqual([]);
  });

  it("a recap drafted to be shared quotes, cites and prompts nothing hidden", async () => {
    const gm = await accessOf(table.coGm);
    const subject = {
      id: table.sessions.shared,
      number: 2,
      title: "",
      playedOn: "2026-11-20",
      notes: `We met [[Maren]], [[Brother Vane]] and [[The abbot's crime]] at [[Harbour gossip]]. ${MARKERS.sessionNotes}\n\n\`\`\`secret\nVane is the abbot's son. ${MARKERS.secretBlock}\n\`\`\``,
    };
    for (const model of [null, echoingModel]) {
      const draft = await draftRecap({ ...services.assistant, model }, gm, subject, "campaign");
      // The notes' own words are the GM's to share; nothing else hidden is in the draft.
      expect(
        leaks(JSON.stringify(draft)).filter((m) => m !== MARKERS.sessionNotes),
        model?.label ?? "extractive",
      ).toEqual([]);
      expect(draft.sources.map((s) => s.title)).toEqual(["Session 2 notes", "Maren", "Harbour gossip"]);
    }
  });

  it("the live socket sends a player only their own jobs", async () => {
    const response = await exports.default.fetch("http://localhost/ws", {
      headers: { Upgrade: "websocket", Origin: "http://localhost", Cookie: await sessionCookieFor(table.player) },
    });
    const ws = response.webSocket;
    if (!ws) throw new Error("no WebSocket");
    const snapshot = new Promise<string>((resolve) =>
      ws.addEventListener("message", (event) => resolve(String(event.data)), { once: true }),
    );
    ws.accept();
    const first = await snapshot;
    ws.close();
    expect(JSON.parse(first)).toMatchObject({ type: "snapshot", jobs: [] });
    expect(leaks(first)).toEqual([]);
  });

  it("the campaign room tells a player's socket and poll of shared material only", async () => {
    const player = await open(table.campaign.id, table.player);
    const access = await accessOf(table.owner);
    const subjects = [
      { kind: "entry", id: String(table.gmEntryId) },
      { kind: "entry", id: String(table.sharedEntryId) },
      { kind: "character", id: String(table.gmCharacterId) },
      { kind: "character", id: String(table.sharedCharacterId) },
      { kind: "file", id: table.files.gm },
      { kind: "file", id: table.files.shared },
      // The owner's other file was never attached: nobody but the GMs hears its key.
      { kind: "file", id: table.files.library },
    ] as const;
    for (const subject of subjects) await announce(services, access, subject);
    const since = Date.now() - 1_000;
    await new Promise((resolve) => setTimeout(resolve, 100));
    player.ws.close();
    const heard = (changes: CampaignChange[]) => changes.map((change) => `${change.kind}:${change.id}`);
    const shared = [
      `entry:${table.sharedEntryId}`,
      `character:${table.sharedCharacterId}`,
      `file:${table.files.shared}`,
    ];
    expect(heard(player.changes)).toEqual(shared);
    expect(leaks(JSON.stringify(player.messages))).toEqual([]);
    const poll = await callRoute(
      routeAt("/api/campaigns/:campaignId/live"),
      "loader",
      `http://localhost/api/campaigns/${table.campaign.id}/live?after=${since}`,
      { cookie: await sessionCookieFor(table.player), params: { campaignId: table.campaign.id } },
    );
    if (poll?.status !== 200) throw new Error(`the poll answered ${poll?.status}`);
    expect(heard(((await poll.json()) as RoomPoll).changes)).toEqual(shared);
  });

  it(
    "sharing an entry makes exactly that entry appear, and its secret block still not",
    async () => {
      await updateContextEntry(db, table.campaign, table.gmEntryId, 1, {
        contextType: "plot_hook",
        title: "The abbot's crime",
        content: `The abbot poisoned the well at midnight. ${MARKERS.gmEntry}\n\n\`\`\`secret\nHe did it for the bishop. ${MARKERS.secretBlock}\n\`\`\``,
        tags: [MARKERS.gmEntryTag],
        audience: "campaign",
      });
      const pages = await everyPage(table.player);
      const searches = await everySearch(table.pools.playersAfterSharing);
      const seen = new Set([...pages.found, ...searches.found].map((line) => line.split(": ").at(-1)));
      expect([...seen].sort()).toEqual([MARKERS.gmEntry, MARKERS.gmEntryTag].sort());
    },
    WALK_TIMEOUT,
  );
});

describe("revealing to chosen players", () => {
  it("shows a character and a file to exactly the players they were revealed to, in pages, search and the ledger", async () => {
    const gm = await ownerAccess(table.owner, table.campaign);
    const [chosen, other] = [table.pools.players[1], table.pools.players[2]];
    if (!chosen || !other) throw new Error("no players");
    const character = { kind: "character", id: String(table.gmCharacterId) } as const;
    expect(await reveal(db, gm, character, [chosen.id, table.coGm.id, table.owner.id], "Session 3")).toBe(1);
    expect(await reveal(db, gm, { kind: "file", id: table.files.gm }, [chosen.id], null)).toBe(1);
    // Again: nobody is recorded twice.
    expect(await reveal(db, gm, character, [chosen.id], null)).toBe(0);

    const findIn = async (user: User) => {
      const access = await accessOf(user);
      const { results } = await search(services.search, access.owner, {
        query: "forged bishop seal relic altar",
        k: 20,
        campaign: access,
      });
      const page = await callRoute(
        routeAt("/campaigns/:campaignId/characters/:characterId"),
        "loader",
        `http://localhost/campaigns/${table.campaign.id}/characters/${table.gmCharacterId}`,
        {
          cookie: await sessionCookieFor(user),
          params: { campaignId: table.campaign.id, characterId: String(table.gmCharacterId) },
        },
      );
      // Revealed to them, it is theirs to read: nothing in it says "GM only".
      expect(results.filter((r) => r.source.kind !== "chunk" && r.source.gmOnly)).toEqual([]);
      return { found: leaks(JSON.stringify(results)).sort(), page: page?.status };
    };
    expect(await findIn(chosen)).toEqual({ found: [MARKERS.gmCharacter, MARKERS.gmFile].sort(), page: 200 });
    expect(await findIn(other)).toEqual({ found: [], page: 404 });

    const ledger = await knowledgeLedger(db, gm);
    expect(ledger.slice(0, 2).map((row) => [row.subjectKind, row.to, row.sessionLabel])).toEqual([
      ["file", chosen.username, null],
      ["character", chosen.username, "Session 3"],
    ]);
    expect(await knowledgeLedger(db, await accessOf(chosen))).toEqual([]);

    // Hidden again: gone for them too.
    expect(await hideFrom(db, gm, character, chosen.id)).toBe(true);
    expect((await findIn(chosen)).found).toEqual([MARKERS.gmFile]);
  });
});

describe("a GM looking at the campaign as a player", () => {
  /**
   * A loader's answer without what differs from one request to the next (clocks, timings)
   * and the one control that would act as the player (leaving their campaign).
   */
  const stable = async (response: Response | null | undefined) =>
    JSON.parse(await bodyOf(response ?? null), (key, value) =>
      ["now", "tookMs", "timings", "mayLeave"].includes(key) ? undefined : value,
    );

  it("sees exactly what that player sees, can change nothing meanwhile, and comes back", async () => {
    const gmCookie = await sessionCookieFor(table.coGm);
    const playerCookie = await sessionCookieFor(table.player);
    const id = table.campaign.id;
    const preview = routeAt("/campaigns/:campaignId/preview");
    const start = await callRoute(preview, "action", `http://localhost/campaigns/${id}/preview`, {
      cookie: gmCookie,
      params: { campaignId: id },
      form: { accountId: table.player.id },
    });
    expect(start?.status).toBe(302);

    const pages: [string, Record<string, string>][] = [
      ["/campaigns/:campaignId", {}],
      ["/campaigns/:campaignId/context", {}],
      ["/campaigns/:campaignId/context/:entryId", { entryId: String(table.gmEntryId) }],
      ["/campaigns/:campaignId/context/:entryId", { entryId: String(table.sharedEntryId) }],
      ["/campaigns/:campaignId/characters", {}],
      ["/campaigns/:campaignId/characters/:characterId", { characterId: String(table.gmCharacterId) }],
      ["/campaigns/:campaignId/characters/:characterId", { characterId: String(table.sharedCharacterId) }],
      ["/campaigns/:campaignId/files", {}],
      ["/campaigns/:campaignId/files/:fileKey/read", { fileKey: table.files.gm }],
      ["/campaigns/:campaignId/members", {}],
      ["/campaigns/:campaignId/sessions", {}],
      ["/campaigns/:campaignId/sessions/:sessionId", { sessionId: String(table.sessions.gm) }],
      ["/campaigns/:campaignId/sessions/:sessionId", { sessionId: String(table.sessions.shared) }],
      ["/campaigns/:campaignId/relations", {}],
      ["/api/campaigns/:campaignId", {}],
    ];
    for (const [path, ids] of pages) {
      const params = { campaignId: id, ...ids };
      const url = `http://localhost${path.replace(/:(\w+)/g, (_, name: string) => params[name as keyof typeof params] ?? "")}`;
      const [asPlayer, asPreview] = await Promise.all(
        [playerCookie, gmCookie].map((cookie) => callRoute(routeAt(path), "loader", url, { cookie, params })),
      );
      expect(asPreview?.status, url).toBe(asPlayer?.status);
      expect(await stable(asPreview), url).toEqual(await stable(asPlayer));
    }
    const search = `http://localhost/api/search?q=abbot+well+bell+seal+lighthouse&campaignId=${id}`;
    const [playerSearch, previewSearch] = await Promise.all(
      [playerCookie, gmCookie].map((cookie) =>
        callRoute(routeAt("/api/search"), "loader", search, { cookie, params: {} }),
      ),
    );
    expect(await stable(previewSearch)).toEqual(await stable(playerSearch));

    // Read only: no edit, no reveal, no conversation as the player.
    const edit = await callRoute(
      routeAt("/campaigns/:campaignId/context/new"),
      "action",
      `http://localhost/campaigns/${id}/context/new`,
      {
        cookie: gmCookie,
        params: { campaignId: id },
        form: { contextType: "lore", title: "Written in preview" },
      },
    );
    expect(edit?.status).toBe(404);
    const chats = await callRoute(
      routeAt("/campaigns/:campaignId/assistant"),
      "loader",
      `http://localhost/campaigns/${id}/assistant`,
      { cookie: gmCookie, params: { campaignId: id } },
    );
    expect(chats?.status).toBe(404);

    const stop = await callRoute(preview, "action", `http://localhost/campaigns/${id}/preview`, {
      cookie: gmCookie,
      params: { campaignId: id },
      form: { intent: "stop" },
    });
    expect(stop?.status).toBe(302);
    const hidden = await callRoute(
      routeAt("/campaigns/:campaignId/context/:entryId"),
      "loader",
      `http://localhost/campaigns/${id}/context/${table.gmEntryId}`,
      { cookie: gmCookie, params: { campaignId: id, entryId: String(table.gmEntryId) } },
    );
    expect(hidden?.status).toBe(200);
  });

  it("is for GMs only, and only as a player or viewer of that campaign", async () => {
    const id = table.campaign.id;
    const preview = routeAt("/campaigns/:campaignId/preview");
    const ask = async (user: User, accountId: string) =>
      (
        await callRoute(preview, "action", `http://localhost/campaigns/${id}/preview`, {
          cookie: await sessionCookieFor(user),
          params: { campaignId: id },
          form: { accountId },
        })
      )?.status;
    expect(await ask(table.player, table.otherPlayer.id)).toBe(404);
    expect(await ask(table.owner, table.coGm.id)).toBe(404);
    expect(await ask(table.owner, (await newUser("outsider")).id)).toBe(404);
  });
});

describe("secret blocks", () => {
  it("are what the renderer's parser calls a secret code block, at any depth, and nothing of them is public", () => {
    const secret = "zzhidden";
    const shapes = {
      topLevel: `Open.\n\n\`\`\`secret\n${secret}\n\`\`\`\n\nAfter.`,
      tildes: `Open.\n\n~~~~ Secret extra\n${secret}\n~~~\n~~~~\n\nAfter.`,
      spaced: `Open.\n\n\`\`\` secret\n${secret}\n\`\`\`\n`,
      quoted: `> \`\`\`secret\n> ${secret}\n> \`\`\`\n\nAfter.`,
      inList: `1. Roll:\n   \`\`\`secret\n   ${secret}\n   \`\`\`\n2. Next`,
      // A list item's code fence never closed: the parser closes it where the item ends.
      afterUnclosedListFence: `1. Roll:\n   \`\`\`\n   d20 + dex\n\nThe duke waits.\n\n\`\`\`secret\n${secret}\n\`\`\``,
      afterHtml: `<div>\n\`\`\`\n</div>\n\n\`\`\`secret\n${secret}\n\`\`\``,
      byteOrderMark: `\uFEFF\`\`\`secret\n${secret}\n\`\`\`\nPublic.`,
      crlf: `Open.\r\n\r\n\`\`\`secret\r\n${secret}\r\n\`\`\`\r\nAfter.`,
      unclosed: `Open.\n\n\`\`\`secret\n${secret}\nand the rest`,
    };
    for (const [shape, text] of Object.entries(shapes)) {
      expect(hasSecrets(text), shape).toBe(true);
      expect(withoutSecrets(text), shape).not.toContain(secret);
      expect(renderMarkdown(withoutSecrets(text)), shape).not.toContain(secret);
      expect(renderWithSecrets(text), shape).toContain(secret);
      expect(renderWithSecrets(text), shape).toContain("hidden from players");
    }
    // A fence that only mentions `secret` inside another code block is that block's text.
    const notSecret = "```js\n```secret\n```\nPublic.";
    expect(hasSecrets(notSecret)).toBe(false);
    expect(withoutSecrets(notSecret)).toBe(notSecret);
  });

  it("rows whose public text 0009 copied from a fence the scanner of then missed are emptied by 0011", async () => {
    const entry = await createContextEntry(db, table.campaign, {
      contextType: "lore",
      title: "Old row",
      tags: [],
      content: "Public part.\n\n``` secret\nThe abbot is the killer.\n```",
      audience: "campaign",
    });
    // As 0009 left such a row: its public text a copy of the full text.
    await db.update(campaignContext).set({ contentPublic: sql`content` }).where(eq(campaignContext.id, entry.id));
    const migration = env.TEST_MIGRATIONS.find((m) => m.name.startsWith("0011_"));
    if (!migration) throw new Error("no migration 0011");
    for (const query of migration.queries) await env.DB.prepare(query).run();
    const [row] = await db.select().from(campaignContext).where(eq(campaignContext.id, entry.id));
    expect(row?.contentPublic).toBe("");
    // A later save computes it again, without the secret.
    await updateContextEntry(db, table.campaign, entry.id, 1, {
      contextType: "lore",
      title: "Old row",
      tags: [],
      content: row?.content ?? "",
      audience: "campaign",
    });
    const [saved] = await db.select().from(campaignContext).where(eq(campaignContext.id, entry.id));
    expect(saved?.contentPublic).toBe("Public part.\n\n");
  });

  it("past the parser's budget, hide everything from the first secret fence on", () => {
    const heavy = `${"[".repeat(3_000)}\n\n\`\`\`secret\nzzhidden\n\`\`\`\n\nPublic tail.`;
    expect(withoutSecrets(heavy)).not.toContain("zzhidden");
    expect(withoutSecrets(heavy)).not.toContain("Public tail");
  });
});
