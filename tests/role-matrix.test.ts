import type { RouterContextProvider } from "react-router";
import { beforeAll, describe, expect, it } from "vitest";
import { createConversation } from "~/server/assistant/conversations.server";
import { createCampaign } from "~/server/campaigns/campaigns.server";
import { createCharacter } from "~/server/campaigns/characters.server";
import { createContextEntry } from "~/server/campaigns/context-entries.server";
import { policyDecisions, requireCampaignMiddleware } from "~/server/campaigns/guards.server";
import { addMemberNote } from "~/server/campaigns/member-notes.server";
import { createInvite } from "~/server/campaigns/members.server";
import { assignPlayer } from "~/server/campaigns/player-characters.server";
import { campaignAccess } from "~/server/campaigns/policy.server";
import { addRelation } from "~/server/campaigns/relations.server";
import { attachFile } from "~/server/campaigns/resources.server";
import { addLogNote } from "~/server/campaigns/session-log.server";
import { createSession } from "~/server/campaigns/sessions.server";
import { type Campaign, campaignMembers, campaignProposals, type User } from "~/server/db/schema";
import { getFile, uploadFile } from "~/server/files/files.server";
import { requireFileMiddleware } from "~/server/files/guards.server";
import type { FileRow } from "~/server/files/library.server";
import { startMultipartUpload } from "~/server/files/multipart.server";
import { db, fileStores, newRouterContext, newUser, ownerAccess, sessionCookieFor } from "./helpers";
import { allRoutes, callRoute, loadRouteModule, routeAt } from "./route-walk";

/**
 * The role matrix (ADR 0026): for every route of the real route table and every role —
 * the campaign's owner, a co-GM, a player, a viewer, and a stranger (signed in, not in the
 * campaign) — the status each loader and action answers. Anything a role may not see
 * answers 404, never 403. A route missing from the table fails; so does a campaign route
 * whose handler never asks the policy, and any answer that differs from its row.
 *
 * The world's entry, character and file are GM-only (the default), so players and viewers
 * open the campaign and answer 404 for each of them — but the player plays the character,
 * which shows it to them; what they see once something is shared is the secret-marker
 * tests' subject (secrets.test.ts).
 */

const roles = ["owner", "co-gm", "player", "viewer", "stranger"] as const;
type Role = (typeof roles)[number];
type Row = Record<Role, number>;

const only = (allowed: Role[], ok: number): Row =>
  Object.fromEntries(roles.map((role) => [role, allowed.includes(role) ? ok : 404])) as Row;
const gms = (ok: number) => only(["owner", "co-gm"], ok);
/** Everyone in the campaign: what is open to all its members (its GM-only material stays hidden). */
const members = (ok: number) => only(["owner", "co-gm", "player", "viewer"], ok);
/** Those who may ask the assistant: not viewers. */
const askers = (ok: number) => only(["owner", "co-gm", "player"], ok);
const ownerOnly = (ok: number) => only(["owner"], ok);
const everyone = (status: number) => only([...roles], status);

/** One world per action probe: an action may delete or hand over what the next probe needs. */
interface World {
  campaign: Campaign;
  entryId: number;
  characterId: number;
  inviteId: string;
  token: string;
  /** A session-log note the owner wrote, for everyone. */
  noteId: number;
  /** The owner's own private note. */
  ownNoteId: number;
  /** A session (GM-only, the default) the player's character attended. */
  sessionId: number;
  /** A relation (GM-only) between the world's character and its entry. */
  relationId: number;
  /** The caller's own conversation in the campaign (the owner's for anyone without one). */
  chatOf: Record<Role, string>;
  /** A pending proposal drawn from the world's file (ADR 0038). */
  proposalId: number;
}

interface Probe {
  kind: "loader" | "action";
  /** The action's form fields. */
  form?: (world: World) => Record<string, string>;
  query?: string;
  expect: Row;
}

const loader = (expect: Row, query?: string): Probe => ({ kind: "loader", expect, query });
const action = (expect: Row, form: Probe["form"] = () => ({})): Probe => ({ kind: "action", expect, form });

const people = {} as Record<Role, User>;
let file: FileRow;
let uploadId: string;

/**
 * Every route's expected answers. Account-wide pages (no campaign or file in the URL)
 * answer every signed-in user alike and only their own account's data, which the
 * account tests check; their row here says they answer everyone the same.
 */
const matrix: Record<string, Probe[]> = {
  "/": [],
  "/login": [loader(everyone(302))],
  "/signup": [loader(everyone(302))],
  "/logout": [loader(everyone(302))],
  "/recover": [loader(everyone(302))],
  "/home": [loader(everyone(200)), action(everyone(302), () => ({ intent: "remove-sample" }))],
  "/switch": [loader(everyone(200), "q=a")],
  "/campaigns": [loader(everyone(200))],
  "/campaigns/new": [loader(everyone(200))],
  // Its actions import into the caller's own account only (tests/import.test.ts).
  "/campaigns/import": [loader(everyone(200))],
  // The caller's own campaigns, each as they see it (tests/export.test.ts, secrets.test.ts).
  "/settings/export": [loader(everyone(200))],
  "/library": [loader(everyone(200))],
  "/search": [
    loader(everyone(200), "?q=lair"),
    loader(members(200), "?q=lair&campaignId=:campaignId"),
    loader(gms(200), "?q=lair&campaignId=:campaignId&fileKey=:fileKey"),
    loader(ownerOnly(200), "?q=lair&fileKey=:fileKey"),
  ],
  "/assistant": [loader(everyone(200))],
  "/settings": [loader(everyone(200))],
  "/settings/recovery-codes": [loader(everyone(200))],
  // Its actions act on the caller's own tokens and endpoints only (tests/settings-api.test.ts).
  "/settings/api": [loader(everyone(200))],
  // Operators only (none of these roles is one; tests/metrics.test.ts opens it as one).
  "/operations": [loader(everyone(404))],
  // The bearer token, not a session, opens it (tests/metrics.test.ts).
  "/metrics": [loader(everyone(401))],
  // The public API reads bearer tokens only: a session cookie opens nothing (tests/api-*.test.ts
  // walk it under tokens).
  "/api/v1/*": [loader(everyone(401))],
  // The API's reference: for anyone.
  "/docs/api": [loader(everyone(200))],
  "/join/:token": [
    loader(everyone(200)),
    // Everyone already in is sent to the campaign; the stranger joins (and is sent there too).
    action(everyone(302)),
  ],
  "/campaigns/:campaignId": [loader(members(200))],
  "/campaigns/:campaignId/edit": [
    loader(gms(200)),
    action(gms(302), (w) => ({
      intent: "save",
      version: String(w.campaign.version),
      name: "Renamed",
      status: "active",
    })),
    action(gms(302), (w) => ({ intent: "archive", version: String(w.campaign.version) })),
    action(ownerOnly(302), () => ({ intent: "delete" })),
  ],
  "/campaigns/:campaignId/files": [
    loader(members(200)),
    action(ownerOnly(302), () => ({ intent: "attach", fileKeys: file.fileKey, description: "Handout" })),
    action(ownerOnly(302), () => ({ intent: "detach", fileKey: file.fileKey })),
    action(gms(302), () => ({ intent: "reveal", fileKey: file.fileKey, to: people.player.id })),
  ],
  "/campaigns/:campaignId/files/:fileKey/read": [loader(gms(200))],
  "/campaigns/:campaignId/proposals": [
    loader(gms(200)),
    action(gms(302), (w) => ({ intent: "reject", proposalId: String(w.proposalId) })),
  ],
  "/campaigns/:campaignId/files/:fileKey/download": [loader(gms(200))],
  "/campaigns/:campaignId/members": [
    loader(members(200)),
    action(ownerOnly(200), () => ({ intent: "invite", role: "co-gm", lifetimeDays: "7", maxUses: "1" })),
    action(ownerOnly(302), (w) => ({ intent: "revoke", inviteId: w.inviteId })),
    action(ownerOnly(302), () => ({ intent: "role", accountId: people["co-gm"].id, role: "co-gm" })),
    action(ownerOnly(302), () => ({ intent: "remove", accountId: people.viewer.id })),
    action(ownerOnly(302), () => ({ intent: "transfer", accountId: people["co-gm"].id })),
    action(only(["co-gm", "player", "viewer"], 302), () => ({ intent: "leave" })),
  ],
  "/campaigns/:campaignId/context": [loader(members(200))],
  "/campaigns/:campaignId/context/new": [
    loader(gms(200)),
    action(gms(302), () => ({ contextType: "lore", title: "A new rumour", content: "" })),
  ],
  "/campaigns/:campaignId/context/:entryId": [
    loader(gms(200)),
    action(gms(302), () => ({ intent: "reveal", to: people.player.id, sessionLabel: "Session 1" })),
    action(gms(302), () => ({ intent: "reveal", everyone: "1" })),
    // Its relations: whoever may edit material adds and removes them (players read the shared ones).
    action(gms(302), (w) => ({ intent: "relate", phrase: "~owns", target: `character:${w.characterId}` })),
    action(gms(302), (w) => ({ intent: "unrelate", relationId: String(w.relationId) })),
  ],
  "/campaigns/:campaignId/context/:entryId/edit": [
    loader(gms(200)),
    action(gms(302), () => ({ intent: "save", version: "1", contextType: "location", title: "Lair", content: "" })),
    action(gms(302), () => ({ intent: "delete" })),
  ],
  "/campaigns/:campaignId/characters": [loader(members(200))],
  "/campaigns/:campaignId/characters/new": [
    loader(gms(200)),
    action(gms(302), () => ({ characterName: "Brother Aldous", characterType: "npc", status: "alive" })),
  ],
  "/campaigns/:campaignId/characters/:characterId": [
    // The player plays the world's character: it is revealed to them.
    loader(askers(200)),
    action(gms(302), () => ({ intent: "reveal", to: people.player.id })),
    action(gms(302), () => ({ intent: "player", playerId: people.player.id, playerFields: "stats" })),
    action(gms(302), (w) => ({ intent: "relate", phrase: "member_of", target: `entry:${w.entryId}` })),
    action(gms(302), (w) => ({ intent: "relation-audience", relationId: String(w.relationId), audience: "campaign" })),
  ],
  // Everyone in the campaign opens it; what it shows them is what they may see (relations.test.ts, secrets.test.ts).
  "/campaigns/:campaignId/relations": [loader(members(200))],
  "/campaigns/:campaignId/characters/:characterId/play": [
    loader(only(["player"], 200)),
    action(only(["player"], 302), () => ({ version: "2", backstory: "I was a sailor.", "stats[0].key": "HP" })),
  ],
  "/campaigns/:campaignId/sessions": [loader(members(200))],
  "/campaigns/:campaignId/sessions/new": [
    loader(gms(200)),
    action(gms(302), () => ({ number: "2", playedOn: "2026-11-27", notes: "The mill burned." })),
  ],
  // The world's session is GM-only (the default): players and viewers never open it.
  "/campaigns/:campaignId/sessions/:sessionId": [loader(gms(200))],
  "/campaigns/:campaignId/sessions/:sessionId/edit": [
    loader(gms(200)),
    action(gms(302), () => ({ intent: "save", version: "1", number: "1", playedOn: "2026-11-20", recap: "Done." })),
    // A draft writes nothing: the edit page again, with the draft in it.
    action(gms(200), () => ({ intent: "draft" })),
    action(gms(302), () => ({ intent: "delete" })),
  ],
  "/campaigns/:campaignId/ledger": [loader(gms(200))],
  // Everyone in the campaign exports what they see (ADR 0039).
  "/campaigns/:campaignId/export": [loader(members(200))],
  "/campaigns/:campaignId/export/archive": [loader(members(200)), loader(members(200), "?files=1")],
  "/campaigns/:campaignId/log": [
    loader(members(200)),
    // Viewers read the log; those who play or run the campaign write in it.
    action(askers(302), () => ({ intent: "add", body: "The party owes the ferryman a favour." })),
    // The owner's note: the GMs may tidy it away, a player may not delete what they did not write.
    action(gms(302), (w) => ({ intent: "delete", noteId: String(w.noteId) })),
  ],
  "/campaigns/:campaignId/notes": [
    loader(askers(200)),
    action(askers(302), () => ({ intent: "add", title: "Theories", body: "The miller lies." })),
    // The owner's own note: nobody else may change, share or delete it, GMs included.
    action(ownerOnly(302), (w) => ({ intent: "save", noteId: String(w.ownNoteId), title: "Mine", body: "" })),
    action(ownerOnly(302), (w) => ({ intent: "share", noteId: String(w.ownNoteId), shared: "1" })),
    action(ownerOnly(302), (w) => ({ intent: "delete", noteId: String(w.ownNoteId) })),
  ],
  "/campaigns/:campaignId/preview": [action(gms(302), () => ({ accountId: people.player.id }))],
  "/campaigns/:campaignId/characters/:characterId/edit": [
    loader(gms(200)),
    action(gms(302), () => ({
      intent: "save",
      // Version 2: naming its player (newWorld) was the character's first change.
      version: "2",
      characterName: "Villain",
      characterType: "npc",
      status: "dead",
    })),
    action(gms(302), () => ({ intent: "delete" })),
  ],
  "/campaigns/:campaignId/assistant": [
    loader(askers(200)),
    action(askers(302), () => ({ question: "Who guards the gate?" })),
  ],
  "/campaigns/:campaignId/assistant/:chatId": [
    loader(askers(200)),
    action(askers(302), () => ({ intent: "rename", title: "Lair questions" })),
    action(askers(302), () => ({ intent: "share", shared: "1" })),
    action(askers(302), () => ({ intent: "delete" })),
  ],
  "/api/campaigns/:campaignId": [loader(members(200))],
  "/api/campaigns/:campaignId/live": [loader(members(200), "?after=0")],
  "/api/campaigns/:campaignId/chats/:chatId/ask": [action(askers(200), () => ({ question: "Where is the lair?" }))],
  "/api/files": [],
  "/api/files/:fileKey/chunks": [loader(ownerOnly(200))],
  "/api/jobs": [loader(everyone(200))],
  "/api/search": [
    loader(everyone(200), "?q=lair"),
    loader(members(200), "?q=lair&campaignId=:campaignId"),
    loader(ownerOnly(200), "?q=lair&fileKey=:fileKey"),
  ],
  "/api/uploads": [],
  "/api/uploads/:uploadId": [loader(ownerOnly(200)), action(ownerOnly(409))],
  "/api/uploads/:uploadId/parts/:partNumber": [action(ownerOnly(405))],
  "/library/:fileKey": [
    loader(ownerOnly(200)),
    action(ownerOnly(302), () => ({ intent: "retry", returnTo: "/library" })),
  ],
  "/library/:fileKey/read": [loader(ownerOnly(200))],
  "/files/:fileKey": [loader(ownerOnly(200))],
  "/*": [loader(everyone(404))],
};

const cookies = {} as Record<Role, string>;

async function newWorld(): Promise<World> {
  const owner = people.owner;
  const input = { name: "Owner's campaign", description: "", status: "active" as const, tags: [] };
  // One world per action probe and role: more campaigns than one account may hold (200) by default.
  const campaign = await createCampaign(db, owner.username, input, 10_000);
  const entry = await createContextEntry(db, campaign, {
    contextType: "location",
    title: "Secret lair",
    content: "The lair is under the mill.",
    tags: [],
    audience: "gm",
  });
  const character = await createCharacter(db, campaign, {
    characterName: "Hidden villain",
    characterType: "npc",
    status: "alive",
    backstory: "",
    stats: [],
  });
  await attachFile(db, campaign, file, { description: "", tags: [] });
  await db.insert(campaignMembers).values(
    (["co-gm", "player", "viewer"] as const).map((role) => ({
      campaignId: campaign.id,
      accountId: people[role].id,
      role,
      addedBy: owner.id,
    })),
  );
  const asOwner = await ownerAccess(owner, campaign);
  await assignPlayer(db, asOwner, character.id, people.player.id, ["backstory", "stats"]);
  const chatOfMember = async (role: "co-gm" | "player") => {
    const access = await campaignAccess(db, people[role], campaign.id);
    if (!access) throw new Error(`the ${role} is not in the campaign`);
    return (await createConversation(db, access)).id;
  };
  const ownerChat = (await createConversation(db, asOwner)).id;
  const coGmChat = await chatOfMember("co-gm");
  const playerChat = await chatOfMember("player");
  const { token, invite } = await createInvite(db, asOwner, { role: "co-gm", lifetimeDays: 7, maxUses: null });
  const note = await addLogNote(db, asOwner, "We start at the mill.", false);
  const ownNote = await addMemberNote(db, asOwner, { title: "Prep", body: "The mill burns in act two." });
  const session = await createSession(db, campaign, {
    number: 1,
    playedOn: "2026-11-20",
    title: "",
    attendeeIds: [],
    guests: [],
    notes: "We met at [[Secret lair]].",
    recap: "",
  });
  const relation = await addRelation(db, campaign, {
    from: { kind: "character", id: character.id },
    to: { kind: "entry", id: entry.id },
    type: "located_in",
  });
  const [proposal] = await db
    .insert(campaignProposals)
    .values({
      campaignId: campaign.id,
      fileKey: file.fileKey,
      fileVersion: 1,
      kind: "npc",
      name: "Miller Brand",
      nameKey: "miller brand",
      origin: "heading",
    })
    .returning({ id: campaignProposals.id });
  return {
    campaign,
    entryId: entry.id,
    characterId: character.id,
    inviteId: invite.id,
    token,
    noteId: note.id,
    ownNoteId: ownNote.id,
    sessionId: session.id,
    relationId: relation.id,
    chatOf: { owner: ownerChat, "co-gm": coGmChat, player: playerChat, viewer: ownerChat, stranger: ownerChat },
    proposalId: proposal?.id ?? 0,
  };
}

function paramsOf(world: World, role: Role): Record<string, string> {
  return {
    campaignId: world.campaign.id,
    entryId: String(world.entryId),
    characterId: String(world.characterId),
    sessionId: String(world.sessionId),
    chatId: world.chatOf[role],
    fileKey: file.fileKey,
    uploadId,
    partNumber: "1",
    token: world.token,
    // The public API's splat: one of its paths, at the campaign.
    splat: `campaigns/${world.campaign.id}`,
  };
}

const fill = (path: string, params: Record<string, string>) =>
  path.replace(/:(\w+)\??|\*$/g, (_, name: string | undefined) => {
    const value = params[name ?? "splat"];
    if (!value) throw new Error(`The role matrix has no value for :${name} in ${path}: add one.`);
    return value;
  });

/** Routes a URL can reach (layouts share their index route's path; the deepest answers). */
const leafRoutes = [...new Map(allRoutes.map((route) => [route.path, routeAt(route.path)])).values()];

describe("the role matrix: every route, every role", () => {
  let shared: World;

  beforeAll(async () => {
    for (const role of roles) people[role] = await newUser(role.replace("-", ""));
    for (const role of roles) cookies[role] = await sessionCookieFor(people[role]);
    const uploaded = await uploadFile(fileStores({ maxFileBytes: 1e6, maxUserBytes: 1e7 }), people.owner, {
      fileName: "secret notes.md",
      size: 14,
      body: new Blob(["# Secret lair\n"]).stream(),
    });
    const row = await getFile(db, people.owner.username, uploaded.file.fileKey);
    if (!row) throw new Error("upload failed");
    file = row;
    const upload = await startMultipartUpload(fileStores({ maxFileBytes: 1e9, maxUserBytes: 1e10 }), people.owner, {
      fileName: "big secret.pdf",
      size: 60 * 1024 * 1024,
    });
    uploadId = upload.uploadId;
    shared = await newWorld();
  });

  it("lists every route of the route table", () => {
    const listed = Object.keys(matrix);
    expect(leafRoutes.map((route) => route.path).filter((path) => !listed.includes(path))).toEqual([]);
    expect(listed.filter((path) => !leafRoutes.some((route) => route.path === path))).toEqual([]);
  });

  it("probes every loader and action a route has", async () => {
    const missing: string[] = [];
    for (const route of leafRoutes) {
      const module = (await loadRouteModule(route.files.at(-1) ?? "")) ?? {};
      for (const kind of ["loader", "action"] as const) {
        if (module[kind] && !matrix[route.path]?.some((probe) => probe.kind === kind)) {
          // The JSON endpoints without ids answer only the caller's own account (upload, file, job tests).
          if (route.path === "/api/files" || route.path === "/api/uploads") continue;
          // Account pages' actions act on the caller's own account only (auth and settings tests).
          if (!route.path.includes("/:") && kind === "action") continue;
          missing.push(`${kind} ${route.path}`);
        }
      }
    }
    expect(missing).toEqual([]);
  });

  it("loads every campaign and file in the URL through its guard, before any handler runs", async () => {
    for (const route of leafRoutes.filter((r) => r.path.includes("/:"))) {
      const chain = (await Promise.all(route.files.map(loadRouteModule))).flatMap((module) => module.middleware ?? []);
      if (route.path.includes(":campaignId")) expect(chain, route.path).toContain(requireCampaignMiddleware);
      else if (route.path.includes(":fileKey")) expect(chain, route.path).toContain(requireFileMiddleware);
    }
  });

  it("answers each role as its row says, and every campaign handler asks the policy", async () => {
    const failures: string[] = [];
    let probes = 0;
    for (const route of leafRoutes) {
      for (const probe of matrix[route.path] ?? []) {
        for (const role of roles) {
          const world = probe.kind === "action" ? await newWorld() : shared;
          const params = paramsOf(world, role);
          const url = `http://localhost${fill(route.path, params)}${probe.query ? fill(probe.query, params) : ""}`;
          const context: RouterContextProvider = newRouterContext();
          const response = await callRoute(route, probe.kind, url, {
            cookie: cookies[role],
            params,
            form: probe.form?.(world) ?? {},
            context,
          });
          probes += 1;
          const label = `${probe.kind} ${route.path}${probe.query ?? ""} ${JSON.stringify(probe.form?.(world).intent ?? "")} as ${role}`;
          if (!response) {
            failures.push(`${label}: no such handler`);
            continue;
          }
          if (response.status !== probe.expect[role]) {
            failures.push(`${label}: answered ${response.status}, expected ${probe.expect[role]}`);
          }
          // A campaign route's handler decides with the policy, beyond the layout's "may open it".
          if (route.path.includes(":campaignId") && role === "owner" && policyDecisions(context).length === 0) {
            failures.push(`${label}: never asked the policy`);
          }
        }
      }
    }
    expect(failures).toEqual([]);
    // Routes × roles × their loaders and actions: the size the closing note reports.
    console.info(`role matrix: ${leafRoutes.length} routes, ${roles.length} roles, ${probes} probes`);
    expect(probes).toBeGreaterThanOrEqual(leafRoutes.length * roles.length);
    // Some 440 requests in a row: about 10 s on an idle machine, triple that beside other test files on two cores.
  }, 120_000);

  it("answers 404 for ids that do not exist at all, as it does for hidden ones", async () => {
    const missing: Record<string, string> = {
      chatId: crypto.randomUUID(),
      campaignId: crypto.randomUUID(),
      entryId: "999999",
      characterId: "999999",
      sessionId: "999999",
      fileKey: "0".repeat(32),
      uploadId: crypto.randomUUID(),
      partNumber: "1",
      token: "0".repeat(32),
    };
    for (const route of leafRoutes.filter((r) => r.path.includes("/:"))) {
      const response = await callRoute(route, "loader", `http://localhost${fill(route.path, missing)}`, {
        cookie: cookies.owner,
        params: missing,
      });
      if (response) expect(response.status, `loader ${route.path}`).toBe(404);
    }
  });

  it("lists only the caller's own jobs", async () => {
    const jobsOf = async (role: Role) => {
      const response = await callRoute(routeAt("/api/jobs"), "loader", "http://localhost/api/jobs", {
        cookie: cookies[role],
        params: {},
      });
      if (!response) throw new Error("/api/jobs has no loader");
      const { jobs } = (await response.json()) as { jobs: { fileKey: string }[] };
      return jobs.map((job) => job.fileKey);
    };
    expect(await jobsOf("owner")).toContain(file.fileKey);
    for (const role of ["co-gm", "stranger"] as const) expect(await jobsOf(role)).toEqual([]);
  });

  it("answers the JSON API with 401 when signed out, and sends pages to sign in", async () => {
    const params = paramsOf(shared, "owner");
    const api = routeAt("/api/campaigns/:campaignId");
    const page = routeAt("/campaigns/:campaignId");
    expect(
      (await callRoute(api, "loader", `http://localhost${fill(api.path, params)}`, { cookie: "", params }))?.status,
    ).toBe(401);
    const signedOut = await callRoute(page, "loader", `http://localhost${fill(page.path, params)}`, {
      cookie: "",
      params,
    });
    expect(signedOut?.status).toBe(302);
    expect(signedOut?.headers.get("Location")).toMatch(/^\/login\?redirectTo=/);
  });
});

describe("account pages without ids answer only for the signed-in account", () => {
  it("sends a signed-out visitor of the recovery codes to sign in, shows a user only their own count, and lets anyone reach /recover", async () => {
    const owner = await newUser("codes-owner");
    const other = await newUser("codes-other");
    const codes = routeAt("/settings/recovery-codes");
    const signedOut = await callRoute(codes, "loader", "http://localhost/settings/recovery-codes", {
      cookie: "",
      params: {},
    });
    expect(signedOut?.status).toBe(302);
    expect(signedOut?.headers.get("Location")).toMatch(/^\/login/);
    const regenerate = await callRoute(codes, "action", "http://localhost/settings/recovery-codes", {
      cookie: "",
      params: {},
      form: { intent: "regenerate" },
    });
    expect(regenerate?.status).toBe(302);
    const page = await callRoute(codes, "loader", "http://localhost/settings/recovery-codes", {
      cookie: await sessionCookieFor(other),
      params: {},
    });
    const body = await page?.json();
    expect(body).toMatchObject({ username: other.username, codes: null });
    expect(JSON.stringify(body)).not.toContain(owner.username);
    const recover = await callRoute(routeAt("/recover"), "loader", "http://localhost/recover", {
      cookie: "",
      params: {},
    });
    expect(recover?.status).toBe(200);
  });
});
