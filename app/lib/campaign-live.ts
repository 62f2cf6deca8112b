/**
 * What a campaign's live room (the CampaignRoom Durable Object, ADR 0026) tells the open
 * pages of that campaign. Browser-safe. A message names what changed and who changed it,
 * never its content: a page that hears of a change asks its loader again, and the loader
 * answers only what its reader may see.
 */
import type { CampaignRole } from "./members";

/** What can change in a campaign: material (by id or file key), the campaign itself, the session log, its members, its sessions. */
export const liveSubjects = ["entry", "character", "file", "campaign", "log", "members", "session"] as const;
export type LiveSubject = (typeof liveSubjects)[number];

export interface CampaignChange {
  /** Unique per change: a tab that hears of it twice (socket and poll) acts once. */
  eventId: string;
  kind: LiveSubject;
  /** The entry's or character's id, the file's key, the note's id; the campaign's own id for "campaign" and "members". */
  id: string;
  /** Who made the change (a username every member may see on the members page). */
  by: string;
  at: number;
}

/** Someone who has the campaign open now. */
export interface PresentPerson {
  username: string;
  role: CampaignRole;
}

export type RoomMessage =
  /** On connect and whenever someone arrives or leaves. */
  { type: "presence"; people: PresentPerson[] } | { type: "change"; change: CampaignChange };

/** Close codes the room sends: the page should not reconnect as it was. */
export const ROOM_CLOSED = {
  /** Signed out, no longer in the campaign, or it was deleted. */
  gone: 4004,
  /** Their standing changed (removed, new role, handed over): reconnecting asks the policy again. */
  recheck: 4003,
} as const;

/** What `GET /api/campaigns/:id/live?after=` answers a page whose WebSocket does not get through. */
export interface RoomPoll {
  changes: CampaignChange[];
  people: PresentPerson[];
  /** The server's clock: the next poll asks for what happened since (a little before) this. */
  now: number;
}

/**
 * A route's `handle.live`: how the campaign's open page treats a change it hears of.
 * By default the page reloads its data. An edit form instead keeps what its writer typed
 * and says who changed the thing being edited ("editing": the subject and the route
 * param naming it); "ignore" keeps a page as it is (a conversation mid-answer).
 */
export type LiveHandle = { live: "ignore" } | { live: { editing: LiveSubject; param: string } };
