import { DurableObject } from "cloudflare:workers";

export interface FileJob {
  fileKey: string;
  version: number;
  fileName: string;
  status: string;
  updatedAt: number;
}

/**
 * One per user (named by username). Keeps the user's file jobs in its SQLite storage —
 * today the record of each upload waiting to be processed; the ingestion pipeline works
 * through them later — and fans live updates out to the user's open WebSockets
 * (hibernation API).
 */
export class UserFileTracker extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.blockConcurrencyWhile(async () => this.ensureSchema());
  }

  private ensureSchema(): void {
    this.ctx.storage.sql.exec(`CREATE TABLE IF NOT EXISTS jobs (
      file_key TEXT PRIMARY KEY,
      version INTEGER NOT NULL,
      file_name TEXT NOT NULL,
      status TEXT NOT NULL,
      updated_at INTEGER NOT NULL
    )`);
  }

  async hello(username: string): Promise<string> {
    return `Hello, ${username}: your file tracker is ready.`;
  }

  /** An upload finished: remember the file version as waiting for processing, and tell open tabs. */
  async recordUpload(job: { fileKey: string; version: number; fileName: string }): Promise<void> {
    const now = Date.now();
    this.ctx.storage.sql.exec(
      `INSERT INTO jobs (file_key, version, file_name, status, updated_at) VALUES (?, ?, ?, 'uploaded', ?)
       ON CONFLICT(file_key) DO UPDATE SET version = excluded.version, file_name = excluded.file_name,
         status = 'uploaded', updated_at = excluded.updated_at`,
      job.fileKey,
      job.version,
      job.fileName,
      now,
    );
    this.broadcast({ type: "file", fileKey: job.fileKey, version: job.version, status: "uploaded" });
  }

  async listJobs(): Promise<FileJob[]> {
    return this.ctx.storage.sql
      .exec<{ file_key: string; version: number; file_name: string; status: string; updated_at: number }>(
        "SELECT * FROM jobs ORDER BY updated_at DESC",
      )
      .toArray()
      .map((row) => ({
        fileKey: row.file_key,
        version: row.version,
        fileName: row.file_name,
        status: row.status,
        updatedAt: row.updated_at,
      }));
  }

  /** The file was deleted: drop its job and tell open tabs. */
  async forget(fileKey: string): Promise<void> {
    this.ctx.storage.sql.exec("DELETE FROM jobs WHERE file_key = ?", fileKey);
    this.broadcast({ type: "file", fileKey, status: "deleted" });
  }

  private broadcast(message: Record<string, unknown>): void {
    const text = JSON.stringify(message);
    for (const ws of this.ctx.getWebSockets()) {
      try {
        ws.send(text);
      } catch {
        // A socket closing as we send; the close handler tidies up.
      }
    }
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
    // The object may be reused (a new account with the same name) while still in memory.
    this.ensureSchema();
  }
}
