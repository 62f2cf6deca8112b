import { DurableObject } from "cloudflare:workers";

/**
 * One per user (named by username). Later it owns the user's upload/ingestion job queue
 * and pushes live progress; for now it greets and echoes over hibernatable WebSockets.
 */
export class UserFileTracker extends DurableObject<Env> {
  async hello(username: string): Promise<string> {
    return `Hello, ${username}: your file tracker is ready.`;
  }

  /** Accepts a WebSocket that the Worker has already authenticated for this user. */
  override async fetch(request: Request): Promise<Response> {
    if (request.headers.get("Upgrade")?.toLowerCase() !== "websocket") {
      return new Response("Expected a WebSocket upgrade", { status: 426 });
    }
    const pair = new WebSocketPair();
    const [client, server] = Object.values(pair) as [WebSocket, WebSocket];
    // Hibernation API: the object can be evicted while sockets stay open.
    this.ctx.acceptWebSocket(server);
    server.send(JSON.stringify({ type: "hello", message: "connected" }));
    return new Response(null, { status: 101, webSocket: client });
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    const text = typeof message === "string" ? message : new TextDecoder().decode(message);
    ws.send(JSON.stringify({ type: "echo", message: text.slice(0, 4096) }));
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    // 1005/1006 are reserved ("no status", "abnormal") and may not be sent back.
    const safeCode = code === 1005 || code === 1006 ? 1000 : code;
    try {
      ws.close(safeCode, reason);
    } catch {
      // Already closed.
    }
  }

  /** Removes everything this user's object holds (account deletion). */
  async destroy(): Promise<void> {
    for (const ws of this.ctx.getWebSockets()) ws.close(1000, "account deleted");
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
  }
}
