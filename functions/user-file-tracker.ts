import { DurableObject } from "cloudflare:workers";
import type { JobProgress, LiveMessage } from "../app/lib/jobs";
import { IngestionQueue, type IngestRequest, type IngestTimings, StepSession } from "../app/server/ingest/queue.server";
import { DEVICE_HEADER } from "../app/server/live/live-updates.server";
import { flushMetrics, metricsEnabled } from "../app/server/metrics/metrics.server";
import { MetricsRecorder } from "../app/server/metrics/recorder.server";
import { OBJECT_STORAGE_GAUGE } from "../app/server/metrics/store.server";
import type {
  Passage,
  PassageRankingQuery,
  PassageRankings,
  PassageStore,
} from "../app/server/passages/passage-store.server";
import { createTrackerServices, webhookServices } from "../app/server/services.server";
import type { VectorMatch, VectorRecord } from "../app/server/vectors/ports.server";
import type { TrackerVectorStore, VectorQuery } from "../app/server/vectors/tracker-index.server";
import { drainWebhookOutbox } from "../app/server/webhooks/delivery.server";

/**
 * One alarm runs steps for at most this long, then hands over to the next alarm. Short:
 * requests waiting for the same thread (locally, workerd runs every object and request on
 * one) are answered between alarms — at 2 s, a 20 MB text kept other users waiting 1.9 s.
 */
const ALARM_BUDGET_MS = 200;

/**
 * One per account (named by its id). Holds the account's searchable passages and their
 * FTS5 index (PassageStore, ADR 0020) and, offline, their vectors, and the ingestion queue
 * that fills them, all in its SQLite storage; works through the queue with alarms, one
 * bounded step after another (see IngestionQueue), and fans progress out to the user's
 * open WebSockets (hibernation API).
 */
export class UserFileTracker extends DurableObject<Env> {
  private readonly queue: IngestionQueue;
  private readonly passages: PassageStore;
  private readonly vectors: TrackerVectorStore;
  /**
   * The PDF being read stays open from one alarm to the next: reopening it each time
   * briefly holds two whole-file buffers (pdf.js releases the old one lazily).
   */
  private readonly session = new StepSession();
  /** What the alarms' steps did (D1, R2, ingestion), handed to the MetricsStore after each alarm. */
  private readonly metrics: MetricsRecorder | null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.metrics = metricsEnabled(env) ? new MetricsRecorder() : null;
    const services = createTrackerServices(env, ctx.storage, this.metrics);
    this.passages = services.passages;
    this.vectors = services.vectorStore;
    this.queue = new IngestionQueue(
      ctx.storage.sql,
      services.ingestion,
      (job) => this.broadcast({ type: "job", job }),
      // A step's start must be on disk before the step runs (it may be what kills us).
      () => ctx.storage.sync(),
    );
    // Keep-alive pings are answered without waking a hibernated object.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair("ping", "pong"));
    // Whenever the object starts (a restart, a redeploy), unfinished work gets an alarm.
    ctx.blockConcurrencyWhile(() => this.scheduleNext());
  }

  /** A file version was stored (or Retry was pressed): queue it and make sure work starts. */
  async enqueue(request: IngestRequest): Promise<JobProgress> {
    // The job row is written before enqueue's first await: the alarm is set while its
    // status goes to D1, so processing does not wait for that write.
    const queued = this.queue.enqueue(request);
    queued.catch(() => {}); // (awaited below: a failure still reaches the caller)
    await this.scheduleNext();
    return queued;
  }

  async cancel(fileKey: string): Promise<JobProgress | null> {
    const job = await this.queue.cancel(fileKey);
    await this.scheduleNext();
    return job;
  }

  /** Signed-out devices (sign-out, password change, sign-out elsewhere) stop receiving updates at once. */
  async closeSockets(deviceIds: string[]): Promise<void> {
    for (const deviceId of deviceIds) {
      for (const ws of this.ctx.getWebSockets(deviceId)) ws.close(4001, "signed out");
    }
  }

  /** The account's jobs; with `timings`, where each one's time went (the ingestion benchmark asks). */
  async listJobs(options: { timings?: boolean } = {}): Promise<(JobProgress & { timings?: IngestTimings })[]> {
    return this.queue.list(options);
  }

  /** The rankings of the account's published passages one search fuses (the Worker adds the other retrievers). */
  async rankPassages(query: PassageRankingQuery): Promise<PassageRankings> {
    return this.passages.rank(query);
  }

  async passagesByIds(ids: string[]): Promise<Passage[]> {
    return this.passages.byIds(ids);
  }

  async readablePassages(fileKey: string): Promise<{ version: number | null; passages: Passage[] }> {
    return this.passages.readable(fileKey);
  }

  /** A published file's passages from `from` on, at most `limit` (proposals read a book in pieces; ADR 0038). */
  async passagesFrom(
    fileKey: string,
    from: number,
    limit: number,
  ): Promise<{ version: number | null; passages: Passage[] }> {
    return this.passages.readableFrom(fileKey, from, limit);
  }

  /** The offline vector index (TrackerVectorIndex is its Worker side; Vectorize replaces it in production). */
  async upsertVectors(vectors: VectorRecord[]): Promise<void> {
    this.vectors.upsert(vectors);
  }

  async queryVectors(vector: number[], query: VectorQuery): Promise<VectorMatch[]> {
    return this.vectors.query(vector, query);
  }

  async deleteVectors(ids: string[]): Promise<void> {
    this.vectors.deleteByIds(ids);
  }

  /** The file is being deleted: drop its job, passages and vectors, and tell open tabs. */
  async forget(accountId: string, fileKey: string): Promise<void> {
    await this.queue.forget(accountId, fileKey);
    this.broadcast({ type: "deleted", fileKey });
  }

  /**
   * Runs queued steps for a bounded time, then schedules the next alarm. Each step
   * checkpoints itself, so if this invocation dies the next alarm resumes the work.
   */
  override async alarm(): Promise<void> {
    const started = Date.now();
    const late = this.alarmAt === null ? null : started - this.alarmAt;
    this.alarmAt = null;
    this.alarmRunning = true;
    let more = true;
    let steps = 0;
    try {
      while (more && Date.now() - started < ALARM_BUDGET_MS) {
        more = await this.queue.runStep(Date.now(), this.session);
        if (more) steps++;
      }
      // Nothing due: let go of the open PDF (it is as large as the file).
      if (!more) await this.session.close();
    } finally {
      this.alarmRunning = false;
    }
    await this.scheduleNext();
    // One line per alarm that did work: how late it ran, how long it took, and what it cost.
    const counts = this.queue.takeCounters();
    if (steps) console.log(`ingest alarm: ${JSON.stringify({ late, took: Date.now() - started, more, ...counts })}`);
    // A file that became ready or failed left a webhook event (migration 0017): send it now.
    await drainWebhookOutbox(webhookServices(this.env)).catch((error) =>
      console.error("webhooks: drain failed:", error),
    );
    if (this.metrics) {
      this.metrics.gauge(
        OBJECT_STORAGE_GAUGE,
        `UserFileTracker ${this.ctx.id.toString().slice(0, 16)}`,
        this.ctx.storage.sql.databaseSize,
      );
      await flushMetrics(this.env, this.metrics);
    }
  }

  /**
   * When this object last set its alarm for, outside a running alarm (in memory only: for
   * the alarm's log line; one set while an alarm runs waits for it and says nothing).
   */
  private alarmAt: number | null = null;
  private alarmRunning = false;

  /** Sets the alarm for the next due step, unless one is already set as early (alarmToSet). */
  private async scheduleNext(): Promise<void> {
    const due = this.queue.nextWakeUp();
    if (due === null) return;
    const at = alarmToSet(await this.ctx.storage.getAlarm(), due, Date.now());
    if (at === null) return;
    this.alarmAt = this.alarmRunning ? null : at;
    await this.ctx.storage.setAlarm(at);
  }

  private broadcast(message: LiveMessage): void {
    for (const ws of this.ctx.getWebSockets()) this.send(ws, message);
  }

  private send(ws: WebSocket, message: LiveMessage): void {
    try {
      ws.send(JSON.stringify(message));
    } catch {
      // A socket closing as we send; the close handler tidies up.
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
    // Tagged with its signed-in device, so signing that device out closes exactly its sockets.
    this.ctx.acceptWebSocket(server, [request.headers.get(DEVICE_HEADER) ?? "unknown-device"]);
    // A (re)connecting tab first gets the whole picture, then every change.
    this.send(server, { type: "snapshot", jobs: this.queue.list() });
    return new Response(null, { status: 101, webSocket: client });
  }

  /** Any message asks for the whole picture again (a tab waking from sleep, say). */
  override async webSocketMessage(ws: WebSocket): Promise<void> {
    this.send(ws, { type: "snapshot", jobs: this.queue.list() });
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
  async destroy(account: { id: string; username: string }): Promise<void> {
    await this.queue.forgetAll(account);
    for (const ws of this.ctx.getWebSockets()) ws.close(1000, "account deleted");
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
    // Safe to call again (an interrupted deletion is finished by the sweep): start empty.
    this.queue.ensureSchema();
    this.passages.ensureSchema();
    this.vectors.ensureSchema();
  }
}

/**
 * When to set the alarm for work due at `due` (null: leave the current one). An alarm
 * already set for no later than the work can run (now, or `due` if later) stays as it is:
 * moving an alarm that is about to fire to "now" on every upload would hold processing
 * back for as long as a folder of uploads keeps arriving.
 */
export function alarmToSet(current: number | null, due: number, now: number): number | null {
  const at = Math.max(due, now);
  return current === null || current > at ? at : null;
}
