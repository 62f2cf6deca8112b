import { DurableObject } from "cloudflare:workers";
import { type CampaignChange, type PresentPerson, ROOM_CLOSED, type RoomMessage } from "../app/lib/campaign-live";
import type { CampaignRole } from "../app/lib/members";
import { can, inAudience, type LiveAudience } from "../app/server/campaigns/policy.server";
import { ROOM_HEADERS, type RoomVisitor, stillInCampaign } from "../app/server/live/campaign-room.server";

/** Changes kept for the polling fallback: a poll sees what happened since its last one. */
const KEEP_CHANGES_MS = 10 * 60_000;
const KEEP_CHANGES = 500;
/** A page that polls counts as present this long after its last poll. */
const POLLER_PRESENT_MS = 15_000;
/** How often the room asks D1 whether each open socket's device and membership still hold. */
const RECHECK_MS = 60_000;

interface SocketVisitor extends RoomVisitor {
  deviceId: string;
  /** This room's campaign (an object does not know the name it was reached by). */
  campaignId: string;
}

/**
 * One per campaign, named by its id (ADR 0026): who has the campaign open now, and the
 * changes to tell them. The Worker accepts a socket only after the policy let the
 * caller in, and hands every change over with its audience, computed by the policy; the
 * room sends a change only to sockets in that audience and never sends content. Sockets
 * hibernate; a socket's visitor lives in its attachment.
 */
export class CampaignRoom extends DurableObject<Env> {
  /** Pages that poll instead (no WebSocket), by account: in memory, as presence is. */
  private readonly pollers = new Map<string, { visitor: RoomVisitor; seenAt: number }>();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair("ping", "pong"));
    ctx.blockConcurrencyWhile(async () => {
      ctx.storage.sql.exec(`CREATE TABLE IF NOT EXISTS changes (
        seq INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, change TEXT NOT NULL, audience TEXT NOT NULL)`);
    });
  }

  /** Accepts a WebSocket the Worker has already let in (headers set by the Worker only). */
  override async fetch(request: Request): Promise<Response> {
    if (request.headers.get("Upgrade")?.toLowerCase() !== "websocket") {
      return new Response("Expected a WebSocket upgrade", { status: 426 });
    }
    const visitor: SocketVisitor = {
      accountId: request.headers.get(ROOM_HEADERS.account) ?? "",
      username: request.headers.get(ROOM_HEADERS.username) ?? "",
      role: request.headers.get(ROOM_HEADERS.role) as CampaignRole,
      deviceId: request.headers.get(ROOM_HEADERS.device) ?? "",
      campaignId: request.headers.get(ROOM_HEADERS.campaign) ?? "",
    };
    const pair = new WebSocketPair();
    const [client, server] = Object.values(pair) as [WebSocket, WebSocket];
    this.ctx.acceptWebSocket(server, [`a:${visitor.accountId}`]);
    server.serializeAttachment(visitor);
    this.broadcastPresence();
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(Date.now() + RECHECK_MS);
    return new Response(null, { status: 101, webSocket: client });
  }

  /** A change was written: tell the open pages in its audience, and keep it for polls. */
  async publish(change: CampaignChange, audience: LiveAudience): Promise<void> {
    const now = Date.now();
    this.ctx.storage.sql.exec(
      "INSERT INTO changes (at, change, audience) VALUES (?, ?, ?)",
      change.at,
      JSON.stringify(change),
      JSON.stringify(audience),
    );
    this.ctx.storage.sql.exec(
      "DELETE FROM changes WHERE at < ? OR seq <= (SELECT max(seq) FROM changes) - ?",
      now - KEEP_CHANGES_MS,
      KEEP_CHANGES,
    );
    for (const ws of this.ctx.getWebSockets()) {
      const visitor = this.visitorOf(ws);
      if (visitor && inAudience(audience, visitor.role, visitor.accountId)) this.send(ws, { type: "change", change });
    }
  }

  /** The polling fallback: the changes since `after` this visitor may hear of, and who is here. */
  async poll(visitor: RoomVisitor, after: number): Promise<{ changes: CampaignChange[]; people: PresentPerson[] }> {
    const now = Date.now();
    const arrived = !this.pollers.has(visitor.accountId);
    this.pollers.set(visitor.accountId, { visitor, seenAt: now });
    if (arrived) this.broadcastPresence();
    const rows = this.ctx.storage.sql
      .exec<{ change: string; audience: string }>(
        "SELECT change, audience FROM changes WHERE at >= ? ORDER BY seq",
        Math.max(after, now - KEEP_CHANGES_MS),
      )
      .toArray();
    const changes = rows
      .filter((row) => inAudience(JSON.parse(row.audience) as LiveAudience, visitor.role, visitor.accountId))
      .map((row) => JSON.parse(row.change) as CampaignChange);
    return { changes, people: this.present() };
  }

  /**
   * These accounts' standing changed (removed, left, new role, the campaign handed over):
   * their sockets close, and a page that reconnects is let in again only by the policy.
   */
  async closeAccounts(accountIds: string[], code: number = ROOM_CLOSED.recheck): Promise<void> {
    for (const accountId of accountIds) {
      this.pollers.delete(accountId);
      for (const ws of this.ctx.getWebSockets(`a:${accountId}`)) this.close(ws, code, "membership changed");
    }
    this.broadcastPresence();
  }

  /** The campaign was deleted: everyone's socket closes and the room forgets everything. */
  async destroy(): Promise<void> {
    for (const ws of this.ctx.getWebSockets()) this.close(ws, ROOM_CLOSED.gone, "campaign deleted");
    this.pollers.clear();
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
  }

  /**
   * The backstop behind every explicit close: while sockets are open, each one's device
   * must still be signed in and its account still in the campaign in the same role
   * (sign-out elsewhere, an expired session, a deleted account).
   */
  override async alarm(): Promise<void> {
    const sockets = this.ctx.getWebSockets();
    if (sockets.length === 0) return;
    const visitors = sockets.map((ws) => this.visitorOf(ws));
    const devices = [...new Set(visitors.flatMap((visitor) => (visitor ? [visitor.deviceId] : [])))];
    const campaignId = visitors.find((visitor) => visitor)?.campaignId ?? "";
    const standing = await stillInCampaign(this.env, campaignId, devices);
    sockets.forEach((ws, index) => {
      const visitor = visitors[index];
      const now = visitor ? standing.get(visitor.deviceId) : undefined;
      if (!visitor || !now || now.accountId !== visitor.accountId) this.close(ws, ROOM_CLOSED.gone, "signed out");
      else if (now.role !== visitor.role) this.close(ws, ROOM_CLOSED.recheck, "role changed");
    });
    this.broadcastPresence();
    if (this.ctx.getWebSockets().length) await this.ctx.storage.setAlarm(Date.now() + RECHECK_MS);
  }

  override async webSocketMessage(): Promise<void> {
    // Pages only listen (pings are answered without waking the room).
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    this.close(ws, code === 1005 || code === 1006 ? 1000 : code, reason);
    this.broadcastPresence();
  }

  /** Everyone with the campaign open, once each, GMs first. */
  private present(): PresentPerson[] {
    const now = Date.now();
    const people = new Map<string, PresentPerson>();
    for (const ws of this.ctx.getWebSockets()) {
      const visitor = this.visitorOf(ws);
      if (visitor && ws.readyState === WebSocket.OPEN) people.set(visitor.accountId, visitor);
    }
    for (const [accountId, { visitor, seenAt }] of this.pollers) {
      if (now - seenAt > POLLER_PRESENT_MS) this.pollers.delete(accountId);
      else people.set(accountId, visitor);
    }
    return [...people.values()]
      .map(({ username, role }) => ({ username, role }))
      .sort(
        (a, b) =>
          Number(can(b.role, "seeSecrets")) - Number(can(a.role, "seeSecrets")) || a.username.localeCompare(b.username),
      );
  }

  private broadcastPresence(): void {
    const message: RoomMessage = { type: "presence", people: this.present() };
    for (const ws of this.ctx.getWebSockets()) this.send(ws, message);
  }

  private visitorOf(ws: WebSocket): SocketVisitor | null {
    return (ws.deserializeAttachment() as SocketVisitor | null) ?? null;
  }

  private send(ws: WebSocket, message: RoomMessage): void {
    try {
      ws.send(JSON.stringify(message));
    } catch {
      // A socket closing as we send; its close handler tidies up.
    }
  }

  private close(ws: WebSocket, code: number, reason: string): void {
    try {
      ws.close(code, reason);
    } catch {
      // Already closed.
    }
  }
}
