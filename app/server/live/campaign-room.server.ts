import { and, eq, gt, inArray, sql } from "drizzle-orm";
import type { CampaignChange, LiveSubject } from "~/lib/campaign-live";
import type { CampaignRole } from "~/lib/members";
import {
  audienceOf,
  type CampaignAccess,
  campaignAccess,
  EVERYONE,
  eitherAudience,
  type LiveAudience,
} from "../campaigns/policy.server";
import { createDb } from "../db/db.server";
import { campaignMembers, campaigns, userDevices, users } from "../db/schema";
import { roomFor, type Services } from "../services.server";
import { signedInDevice } from "./live-updates.server";

/** Who a socket or a poll is: set by the Worker after the policy let them in, never by the browser. */
export interface RoomVisitor {
  accountId: string;
  username: string;
  role: CampaignRole;
}

/** The headers the Worker hands a socket's visitor to the room in (whatever the browser sent under them is replaced). */
export const ROOM_HEADERS = {
  account: "X-LoreSmith-Account",
  username: "X-LoreSmith-Username",
  role: "X-LoreSmith-Role",
  device: "X-LoreSmith-Device",
  campaign: "X-LoreSmith-Campaign",
} as const;

export const ROOM_PATH = /^\/ws\/campaigns\/([A-Za-z0-9-]{1,64})$/;

/**
 * GET /ws/campaigns/:id: a WebSocket into the campaign's room, for a signed-in member. The
 * policy decides as for every page: a campaign they are not in answers 404, like the pages.
 */
export async function connectCampaignRoom(request: Request, env: Env, campaignId: string): Promise<Response> {
  if (request.headers.get("Upgrade")?.toLowerCase() !== "websocket") {
    return new Response("This endpoint only accepts WebSocket connections.", { status: 426 });
  }
  const db = createDb(env.DB);
  const signedIn = await signedInDevice(request, env, db);
  if (!signedIn) return new Response("Sign in to follow the campaign live.", { status: 401 });
  const access = await campaignAccess(db, signedIn.user, campaignId);
  if (!access) return new Response("Not found", { status: 404 });
  const headers = new Headers(request.headers);
  headers.set(ROOM_HEADERS.account, access.account.id);
  headers.set(ROOM_HEADERS.username, access.account.username);
  headers.set(ROOM_HEADERS.role, access.role);
  headers.set(ROOM_HEADERS.device, signedIn.device.id);
  headers.set(ROOM_HEADERS.campaign, access.campaign.id);
  return roomFor(env, access.campaign.id).fetch(new Request(request, { headers }));
}

export function visitorOf(access: CampaignAccess): RoomVisitor {
  return { accountId: access.account.id, username: access.account.username, role: access.role };
}

/** What changed: material of the ledger's kinds is heard by whoever may see it; anything else needs its audience. */
export type ChangedSubject =
  | { kind: "entry" | "character" | "file"; id: string }
  | { kind: Exclude<LiveSubject, "entry" | "character" | "file">; id: string; audience: LiveAudience };

/**
 * Who may hear of a change to `subject` now (GMs only for something deleted). Taken
 * before a write that may narrow who sees it, and handed to `announce` after it.
 */
export async function audienceNow(services: Pick<Services, "db">, access: CampaignAccess, subject: ChangedSubject) {
  return "audience" in subject ? subject.audience : audienceOf(services.db, access.campaign, subject.kind, subject.id);
}

/**
 * Tells the campaign's open pages that `subject` changed, as `access`'s user: those who
 * may see it now, and (`before`) those who could before the write, so a page showing
 * what was just hidden reloads into what its reader may see. Never fails the write that
 * it follows: a page that misses a push catches up when it next loads or reconnects.
 */
export async function announce(
  services: Pick<Services, "db" | "room">,
  access: CampaignAccess,
  subject: ChangedSubject,
  before?: LiveAudience,
): Promise<void> {
  try {
    const after = await audienceNow(services, access, subject);
    const change: CampaignChange = {
      eventId: crypto.randomUUID(),
      kind: subject.kind,
      id: subject.id,
      by: access.account.username,
      at: Date.now(),
    };
    await services.room(access.campaign.id).publish(change, before ? eitherAudience(before, after) : after);
  } catch (error) {
    console.error(`campaign room: could not announce ${subject.kind} ${subject.id}`, error);
  }
}

/**
 * Runs a write to `subject` and, when it answers something (it happened), announces it to
 * whoever could see the subject before the write or can after it.
 */
export async function announced<T>(
  services: Pick<Services, "db" | "room">,
  access: CampaignAccess,
  subject: ChangedSubject,
  write: () => Promise<T>,
): Promise<T> {
  const before = await audienceNow(services, access, subject);
  const result = await write();
  if (result) await announce(services, access, subject, before);
  return result;
}

/** A change to the campaign as a whole (its name, its members): everyone in it may hear of it. */
export const campaignWide = (access: CampaignAccess, kind: "campaign" | "members"): ChangedSubject => ({
  kind,
  id: access.campaign.id,
  audience: EVERYONE,
});

/**
 * Closes these accounts' sockets in the campaign's room (removed, left, role changed,
 * ownership handed over), so that what they hear next is decided by their new standing.
 */
export async function closeRoomSockets(services: Pick<Services, "room">, campaignId: string, accountIds: string[]) {
  try {
    await services.room(campaignId).closeAccounts(accountIds);
  } catch (error) {
    console.error("campaign room: could not close sockets", error);
  }
}

/** The campaign was deleted: its room closes every socket and forgets its changes. */
export async function closeRoom(services: Pick<Services, "room">, campaignId: string) {
  try {
    await services.room(campaignId).destroy();
  } catch (error) {
    console.error("campaign room: could not close", error);
  }
}

/**
 * For the room's periodic check: each of these devices that is still signed in, with its
 * account and that account's role in the campaign now (no entry: signed out, or no longer
 * in it). One query.
 */
export async function stillInCampaign(
  env: Env,
  campaignId: string,
  deviceIds: string[],
  now = Date.now(),
): Promise<Map<string, { accountId: string; role: CampaignRole }>> {
  if (!deviceIds.length) return new Map();
  const db = createDb(env.DB);
  const rows = await db
    .select({
      deviceId: userDevices.id,
      accountId: userDevices.userId,
      role: sql<CampaignRole | null>`CASE WHEN ${campaigns.username} = ${users.username} THEN 'owner' ELSE ${campaignMembers.role} END`,
    })
    .from(userDevices)
    .innerJoin(users, eq(users.id, userDevices.userId))
    .innerJoin(campaigns, eq(campaigns.id, campaignId))
    .leftJoin(
      campaignMembers,
      and(eq(campaignMembers.campaignId, campaigns.id), eq(campaignMembers.accountId, userDevices.userId)),
    )
    .where(and(inArray(userDevices.id, deviceIds), gt(userDevices.expiresAt, now)));
  return new Map(
    rows.flatMap((row) => (row.role ? [[row.deviceId, { accountId: row.accountId, role: row.role }] as const] : [])),
  );
}
