import { sql } from "drizzle-orm";
import { type Extractor, fileKinds, kindOfContentType } from "~/lib/file-kinds";
import { type JobProgress, type JobStatus, processingStatuses } from "~/lib/jobs";
import type { Db } from "../db/db.server";
import { fileMetadata, fileVersions } from "../db/schema";
import { decodedBody } from "../files/compression.server";
import type { MetricsRecorder } from "../metrics/recorder.server";
import type { PassageStore } from "../passages/passage-store.server";
import type { Embedder, VectorIndex } from "../vectors/ports.server";
import { type Chunk, Chunker, chunkBlocks, chunkId } from "./chunk.server";
import {
  type ByteSource,
  decodeText,
  ExtractionError,
  extractDocx,
  extractJson,
  jsonTooLarge,
  openPdf,
  type PdfDocument,
  readTextStream,
  type TextBlock,
  tooMuchText,
} from "./extract.server";
import {
  EMPTY_PAGES_BEFORE_GIVING_UP,
  MAX_JSON_BYTES,
  MAX_PDF_BYTES,
  MAX_PDF_PAGES,
  MAX_TEXT_CHARS,
  MAX_WHOLE_FILE_EXTRACT_BYTES,
} from "./limits.server";
import { scanPdfStreams } from "./pdf-scan.server";

export { MAX_PDF_BYTES, MAX_WHOLE_FILE_EXTRACT_BYTES } from "./limits.server";

/**
 * The ingestion queue of one user, kept in the SQLite storage of their UserFileTracker
 * Durable Object. Files are processed in bounded steps — a check of a PDF's compressed
 * streams, a range of PDF pages, a batch of chunks to index, a batch to embed — taken
 * in turns (the job whose last step is the longest ago leads), so a large file never holds
 * back a small one for more than a step; small files at the same stage share the lead's
 * step (ADR 0022), so a folder of notes costs a few steps, one D1 write and one embedder
 * call each, not four steps a file. The job row is the checkpoint: after a crash,
 * a redeploy or a killed dev server the next alarm runs the step that had not been
 * recorded yet. Every step is idempotent (chunks and vectors are upserted on
 * deterministic ids), so running one twice gives the same result.
 *
 * A step that kills the object (a file beyond the CPU or memory limits) cannot record
 * its own failure, so each step start is recorded durably before it runs, for every job in
 * it; a job whose step started and never finished runs alone from then on, and one that
 * started MAX_STEP_DEATHS times without finishing fails its file with a reason.
 *
 *   queued → extracting (pages) → indexing (passages + FTS5) → embedding (vectors) → ready
 *
 * Extracted chunks wait in the object's own storage (`staged_chunks`) until they are
 * indexed, and the passages of a version become searchable only when it is ready
 * (`PassageStore.publish`), so a file that fails on page 400 leaves nothing half-written
 * where search looks.
 */

/** Everything the queue needs to know about a stored file version. */
export interface IngestRequest {
  /** The owner's account id: the namespace of the file's vectors. */
  accountId: string;
  /** The owner's username: the file's D1 rows key on it. */
  username: string;
  fileKey: string;
  version: number;
  fileName: string;
  contentType: string;
  r2Key: string;
  fileSize: number;
}

interface JobRow extends Record<string, SqlStorageValue> {
  file_key: string;
  username: string;
  /** Empty for jobs queued before account ids (their vectors live under the username, which was their id). */
  account_id: string;
  version: number;
  file_name: string;
  content_type: string;
  r2_key: string;
  file_size: number;
  status: JobStatus;
  run: number;
  pages_done: number;
  page_count: number | null;
  chunks_total: number;
  chunks_indexed: number;
  chunks_embedded: number;
  attempts: number;
  next_attempt_at: number;
  error: string | null;
  queued_at: number;
  updated_at: number;
  /** Starts of the current step that never finished (the object died running it). */
  step_starts: number;
  /** The job's place in the rotation: the sequence number of its last step (0: none yet). */
  turn: number;
  /** 1: a step this job shared with others failed, so its next step runs alone. */
  run_alone: number;
  /** Characters of text extracted so far (PDFs: over all pages done). */
  text_chars: number;
  /** Where the job's time went (see IngestTimings), reset when it is queued again. */
  first_step_at: number;
  done_at: number;
  steps: number;
  ms_sync: number;
  ms_extract: number;
  ms_index: number;
  ms_embed: number;
  ms_status: number;
}

/**
 * Where a job's time went, for the ingestion benchmark and for anyone asking why a file
 * took long: when its first step started and its last ended, how many steps it took, and
 * milliseconds spent making step starts durable, in each stage's work and writing its
 * status to D1 (work shared by several jobs is split between them).
 */
export interface IngestTimings {
  queuedAt: number;
  firstStepAt: number | null;
  doneAt: number | null;
  steps: number;
  ms: { sync: number; extract: number; index: number; embed: number; status: number };
}

export interface QueueDeps {
  /** The file rows the queue mirrors each stage into. */
  db: Db;
  files: R2Bucket;
  embedder: Embedder;
  vectors: VectorIndex;
  /** The account's passages, in the same object's storage. */
  passages: PassageStore;
  /** Where each step's duration, pages and chunks are recorded (ADR 0030). */
  metrics?: MetricsRecorder | null;
}

/** Step sizes, chosen so one step stays far below the Worker CPU and memory limits. */
export const PAGES_PER_STEP = 20;
export const CHUNKS_PER_INDEX_STEP = 280;
export const CHUNKS_PER_EMBED_STEP = 100;
/** Chunks of a whole file staged at a time, so its chunks are never all in memory together. */
export const CHUNKS_PER_STAGE_BATCH = 200;
/** Failures that may pass (network, storage) are retried this many times, with backoff. */
export const MAX_ATTEMPTS = 4;
export const RETRY_BASE_MS = 5_000;
/**
 * A step that stopped the processor this many times (exceeded CPU or memory, so the
 * object was reset mid-step) is not run again: once may be bad luck (a redeploy), three
 * times in a row is the file.
 */
export const MAX_STEP_DEATHS = 3;
/**
 * Small files share steps (ADR 0022): a step moves up to this many queued files on to
 * reading, reads whole files up to this many and this many bytes, and indexes or embeds
 * chunks of several files up to the chunk sizes above. A companion file that the step's
 * time budget does not reach waits for the next step; the lead always runs.
 */
export const JOBS_PER_START_STEP = 200;
export const FILES_PER_EXTRACT_STEP = 50;
export const BYTES_PER_EXTRACT_STEP = 4 * 1024 * 1024;
export const STEP_BUDGET_MS = 500;
/** Due jobs looked at for a step's companions. */
const DUE_JOBS_CONSIDERED = 500;
/** D1 binds at most 100 parameters a statement: 4 for the status, 2 a file. */
const STATUS_ROWS_PER_STATEMENT = 48;

/** Counts of what the queue did, for the tracker's log line per alarm and the benchmark. */
export interface QueueCounters {
  /** Steps run, and jobs' parts in them (a step of 30 notes is 1 and 30). */
  steps: number;
  jobSteps: number;
  /** Step starts made durable. */
  syncs: number;
  /** D1 batches mirroring statuses, and the statements in them. */
  statusWrites: number;
  statusStatements: number;
  embedCalls: number;
  embeddedChunks: number;
  /** Milliseconds, as in IngestTimings, summed over the steps. */
  ms: IngestTimings["ms"];
}

const noCounts = (): QueueCounters => ({
  steps: 0,
  jobSteps: 0,
  syncs: 0,
  statusWrites: 0,
  statusStatements: 0,
  embedCalls: 0,
  embeddedChunks: 0,
  ms: { sync: 0, extract: 0, index: 0, embed: 0, status: 0 },
});

/** The kinds of step; jobs share a step only with jobs of the same kind. */
type StepKind = "pdf" | "start" | "extract" | "index" | "embed";

function stepKindOf(job: JobRow): StepKind {
  if (extractorOf(job.content_type) === "pdf" && (job.status === "queued" || job.status === "extracting")) return "pdf";
  if (job.status === "queued") return "start";
  if (job.status === "extracting") return "extract";
  return job.status === "indexing" ? "index" : "embed";
}

/**
 * What a step did for one of its jobs: its checkpoint; an error of its own; nothing,
 * because the step's budget ran out before it (`skipped`); or a failure of work shared
 * with the step's other jobs (`shared`). `ms` or `share` say how much of the step's time
 * was its.
 */
type Outcome = ({ update: Partial<JobRow> } | { error: unknown } | { skipped: true } | { shared: unknown }) & {
  ms?: number;
  share?: number;
};

/** The statuses the queue still works on, as an SQL list. */
const PROCESSING_SQL = `(${processingStatuses.map((status) => `'${status}'`).join(", ")})`;

/** How a stored file is read (file-kinds.ts): an extractor, "stored" for kinds without text, or null (unknown). */
function extractorOf(contentType: string): Extractor | "stored" | null {
  const kind = kindOfContentType(contentType);
  if (!kind) return null;
  return fileKinds[kind].extractor ?? "stored";
}

/** Columns added after the table was first created, for objects whose storage predates them. */
const ADDED_COLUMNS = {
  account_id: "TEXT NOT NULL DEFAULT ''",
  step_starts: "INTEGER NOT NULL DEFAULT 0",
  turn: "INTEGER NOT NULL DEFAULT 0",
  text_chars: "INTEGER NOT NULL DEFAULT 0",
  run_alone: "INTEGER NOT NULL DEFAULT 0",
  first_step_at: "INTEGER NOT NULL DEFAULT 0",
  done_at: "INTEGER NOT NULL DEFAULT 0",
  steps: "INTEGER NOT NULL DEFAULT 0",
  ms_sync: "REAL NOT NULL DEFAULT 0",
  ms_extract: "REAL NOT NULL DEFAULT 0",
  ms_index: "REAL NOT NULL DEFAULT 0",
  ms_embed: "REAL NOT NULL DEFAULT 0",
  ms_status: "REAL NOT NULL DEFAULT 0",
};

/** The job was re-queued, cancelled or deleted while its step ran: the step's work is dropped. */
class StaleJob extends Error {
  override name = "StaleJob";
}

const isPdfBeingRead = (job: JobRow) => job.status === "extracting" && extractorOf(job.content_type) === "pdf";

export class IngestionQueue {
  constructor(
    private readonly sql: SqlStorage,
    private readonly deps: QueueDeps,
    private readonly notify: (job: JobProgress) => void,
    /** Makes writes so far durable (the object's `storage.sync()`); a no-op where none is given. */
    private readonly durable: () => Promise<void> = async () => {},
  ) {
    this.ensureSchema();
  }

  /** What the queue did since the last `takeCounters()`. */
  private counters = noCounts();

  takeCounters(): QueueCounters {
    const counters = this.counters;
    this.counters = noCounts();
    const ms = Object.fromEntries(Object.entries(counters.ms).map(([key, value]) => [key, Math.round(value)]));
    return { ...counters, ms: ms as IngestTimings["ms"] };
  }

  /** Creates the queue's tables (again after the object's storage was wiped). */
  ensureSchema(): void {
    const sql = this.sql;
    sql.exec(`CREATE TABLE IF NOT EXISTS ingest_jobs (
      file_key TEXT PRIMARY KEY,
      username TEXT NOT NULL,
      version INTEGER NOT NULL,
      file_name TEXT NOT NULL,
      content_type TEXT NOT NULL,
      r2_key TEXT NOT NULL,
      file_size INTEGER NOT NULL,
      status TEXT NOT NULL,
      run INTEGER NOT NULL DEFAULT 1,
      pages_done INTEGER NOT NULL DEFAULT 0,
      page_count INTEGER,
      chunks_total INTEGER NOT NULL DEFAULT 0,
      chunks_indexed INTEGER NOT NULL DEFAULT 0,
      chunks_embedded INTEGER NOT NULL DEFAULT 0,
      attempts INTEGER NOT NULL DEFAULT 0,
      next_attempt_at INTEGER NOT NULL DEFAULT 0,
      error TEXT,
      queued_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL
    )`);
    const columns = new Set(
      sql
        .exec<{ name: string }>("SELECT name FROM pragma_table_info('ingest_jobs')")
        .toArray()
        .map((row) => row.name),
    );
    for (const [column, type] of Object.entries(ADDED_COLUMNS)) {
      if (!columns.has(column)) sql.exec(`ALTER TABLE ingest_jobs ADD COLUMN ${column} ${type}`);
    }
    sql.exec(`CREATE TABLE IF NOT EXISTS staged_chunks (
      file_key TEXT NOT NULL,
      idx INTEGER NOT NULL,
      text TEXT NOT NULL,
      provenance TEXT NOT NULL,
      PRIMARY KEY (file_key, idx)
    )`);
  }

  /** Queues a file version (a new upload, or Retry), replacing any earlier job for the file. */
  async enqueue(request: IngestRequest, now = Date.now()): Promise<JobProgress> {
    this.sql.exec("DELETE FROM staged_chunks WHERE file_key = ?", request.fileKey);
    this.sql.exec(
      `INSERT INTO ingest_jobs (file_key, account_id, username, version, file_name, content_type, r2_key, file_size, status, queued_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?)
       ON CONFLICT(file_key) DO UPDATE SET account_id = excluded.account_id, username = excluded.username, version = excluded.version,
         file_name = excluded.file_name, content_type = excluded.content_type, r2_key = excluded.r2_key,
         file_size = excluded.file_size, status = 'queued', run = run + 1, pages_done = 0, page_count = NULL,
         chunks_total = 0, chunks_indexed = 0, chunks_embedded = 0, attempts = 0, next_attempt_at = 0,
         error = NULL, queued_at = excluded.queued_at, updated_at = excluded.updated_at,
         step_starts = 0, turn = 0, run_alone = 0, text_chars = 0, first_step_at = 0, done_at = 0, steps = 0,
         ms_sync = 0, ms_extract = 0, ms_index = 0, ms_embed = 0, ms_status = 0`,
      request.fileKey,
      request.accountId,
      request.username,
      request.version,
      request.fileName,
      request.contentType,
      request.r2Key,
      request.fileSize,
      now,
      now,
    );
    const job = this.get(request.fileKey) as JobRow;
    // Tabs hear of it first: its steps may start while D1 is told (the tracker sets its alarm meanwhile).
    this.notify(toProgress(job));
    await this.recordStatuses([job]);
    return toProgress(job);
  }

  /** Stops processing a file: drops what this version had staged, indexed and embedded. */
  async cancel(fileKey: string): Promise<JobProgress | null> {
    const job = this.get(fileKey);
    if (!job) return null;
    if (job.status === "ready" || job.status === "stored") return toProgress(job);
    this.sql.exec(
      "UPDATE ingest_jobs SET status = 'cancelled', run = run + 1, error = NULL, updated_at = ? WHERE file_key = ?",
      Date.now(),
      fileKey,
    );
    await this.discardVersion(job);
    const cancelled = this.get(fileKey) as JobRow;
    await this.recordStatuses([cancelled]);
    this.notify(toProgress(cancelled));
    return toProgress(cancelled);
  }

  /**
   * The file is being deleted: stop its job, and remove its passages (search stops
   * finding it at once) and then their vectors.
   */
  async forget(accountId: string, fileKey: string): Promise<void> {
    const ids = this.deps.passages.ids(fileKey);
    this.sql.exec("DELETE FROM staged_chunks WHERE file_key = ?", fileKey);
    this.sql.exec("DELETE FROM ingest_jobs WHERE file_key = ?", fileKey);
    this.deps.passages.forget(fileKey);
    await this.deps.vectors.deleteByIds(accountId, ids);
  }

  /** The account is being deleted: remove every vector of its passages (the object's storage goes next). */
  async forgetAll(account: { id: string }): Promise<void> {
    await this.deps.vectors.deleteByIds(account.id, this.deps.passages.allIds());
  }

  /** Every job, newest first; with `timings`, where each one's time went. */
  list({ timings = false } = {}): (JobProgress & { timings?: IngestTimings })[] {
    return this.sql
      .exec<JobRow>("SELECT * FROM ingest_jobs ORDER BY queued_at DESC")
      .toArray()
      .map((row) => (timings ? { ...toProgress(row), timings: timingsOf(row) } : toProgress(row)));
  }

  /** When the next step is due: now for a job in progress, later for one waiting to retry. */
  nextWakeUp(): number | null {
    const [row] = this.sql
      .exec<{ at: number | null }>(
        `SELECT min(next_attempt_at) AS at FROM ingest_jobs WHERE status IN ${PROCESSING_SQL}`,
      )
      .toArray();
    return row?.at ?? null;
  }

  /**
   * Runs one bounded step and checkpoints it. Jobs take turns: the one whose last step is
   * the longest ago leads (a new file before any in progress), so a 600-page book yields
   * to a note between its steps. Small files share a step: due jobs at the same stage join
   * the lead's step up to that stage's budget (files and bytes to read, chunks to index or
   * embed), so a folder of notes costs a few steps, not four each. Returns false when
   * nothing is due.
   */
  async runStep(now = Date.now(), session: StepSession = new StepSession()): Promise<boolean> {
    const due = this.dueJobs(now);
    const lead = due[0];
    if (!lead) return false;
    this.counters.steps++;
    if (lead.step_starts >= MAX_STEP_DEATHS) {
      await this.fail(lead, new ExtractionError(processorStopped(lead)), now);
      await this.finishStep([lead]);
      return true;
    }
    const batch = this.batchFor(lead, due);
    const kind = stepKindOf(lead);
    this.counters.jobSteps += batch.length;
    // Recorded before the step runs, and made durable: if the step kills the object, the
    // next start sees that it began and never finished (and runs each of its jobs alone).
    const [turn] = this.sql
      .exec<{ turn: number }>("SELECT coalesce(max(turn), 0) + 1 AS turn FROM ingest_jobs")
      .toArray();
    batch.forEach((job, i) => {
      this.sql.exec(
        `UPDATE ingest_jobs SET step_starts = step_starts + 1, turn = ?,
           first_step_at = CASE first_step_at WHEN 0 THEN ? ELSE first_step_at END
         WHERE file_key = ? AND run = ?`,
        (turn?.turn ?? 1) + i,
        Date.now(),
        job.file_key,
        job.run,
      );
    });
    const started = performance.now();
    await this.durable();
    this.counters.syncs++;
    const synced = performance.now();
    const outcomes = await this.runBatch(batch, session);
    const worked = performance.now();
    for (const [i, job] of batch.entries()) {
      const outcome = outcomes[i] ?? { skipped: true };
      if ("update" in outcome) {
        this.checkpoint(job, {
          ...outcome.update,
          attempts: 0,
          next_attempt_at: 0,
          error: null,
          step_starts: 0,
          run_alone: 0,
        });
      } else if ("skipped" in outcome) {
        // Not reached within the step's budget: as if it had not been in it.
        this.checkpoint(job, { step_starts: job.step_starts, turn: job.turn });
      } else if ("shared" in outcome) {
        // Work done for the whole batch at once failed: whose file it was is unknown, so
        // nobody's attempts are counted; each runs alone next, where a failure is its own.
        console.warn(`ingest ${job.file_key} v${job.version} (${job.status}): a shared step failed:`, outcome.shared);
        this.checkpoint(job, { step_starts: job.step_starts, run_alone: 1 });
      } else if (!(outcome.error instanceof StaleJob) && this.isCurrent(job)) {
        // (A job re-queued, cancelled or deleted meanwhile: its step already undid its writes.)
        await this.fail(job, outcome.error, now);
      }
    }
    this.recordStep(kind, batch, outcomes, worked - synced);
    const share = (ms: number, i: number) => ms * (outcomes[i]?.share ?? 1 / batch.length);
    batch.forEach((job, i) => {
      if (outcomes[i] && "skipped" in outcomes[i]) return;
      this.addTimings(job, {
        sync: share(synced - started, i),
        [stageOf(job)]: outcomes[i]?.ms ?? share(worked - synced, i),
      });
    });
    await this.finishStep(batch);
    return true;
  }

  /**
   * A step's duration (failed if any of its jobs failed), and the pages and chunks it got
   * through. (workerd reports no memory use per step, so none is recorded.)
   */
  private recordStep(kind: StepKind, batch: JobRow[], outcomes: Outcome[], ms: number): void {
    const metrics = this.deps.metrics;
    if (!metrics) return;
    let pages = 0;
    let chunks = 0;
    let failed = false;
    for (const [i, job] of batch.entries()) {
      const outcome = outcomes[i];
      if (outcome && "update" in outcome) {
        pages += Math.max(0, (outcome.update.pages_done ?? job.pages_done) - job.pages_done);
        chunks += Math.max(0, (outcome.update.chunks_indexed ?? job.chunks_indexed) - job.chunks_indexed);
      } else if (outcome && "shared" in outcome) failed = true;
      else if (outcome && "error" in outcome && !(outcome.error instanceof StaleJob)) failed = true;
    }
    metrics.observe("ingest", kind, "", ms, !failed);
    if (pages) metrics.add("ingest", kind, "pages", pages);
    if (chunks) metrics.add("ingest", kind, "chunks", chunks);
  }

  /** Adds to a job's timings (see IngestTimings); its first step and its end are stamped too. */
  private addTimings(job: JobRow, ms: Partial<Record<keyof IngestTimings["ms"], number>>): void {
    const now = Date.now();
    for (const [key, value] of Object.entries(ms) as [keyof IngestTimings["ms"], number][]) {
      this.counters.ms[key] += value;
    }
    this.sql.exec(
      `UPDATE ingest_jobs SET ms_sync = ms_sync + ?, ms_extract = ms_extract + ?, ms_index = ms_index + ?,
         ms_embed = ms_embed + ?, ms_status = ms_status + ?, steps = steps + ?,
         done_at = CASE WHEN status IN ${PROCESSING_SQL} THEN 0 ELSE ? END
       WHERE file_key = ? AND run = ?`,
      ms.sync ?? 0,
      ms.extract ?? 0,
      ms.index ?? 0,
      ms.embed ?? 0,
      ms.status ?? 0,
      ms.status === undefined ? 1 : 0,
      now,
      job.file_key,
      job.run,
    );
  }

  /** After a step: one D1 write for every job whose status changed, then each job's progress to its tabs. */
  private async finishStep(batch: JobRow[]): Promise<void> {
    const after = batch.map((job) => this.get(job.file_key));
    const changed = batch.filter((job, i) => after[i]?.run === job.run && after[i]?.status !== job.status);
    if (changed.length) {
      const writing = performance.now();
      await this.recordStatuses(changed);
      const ms = (performance.now() - writing) / changed.length;
      for (const job of changed) this.addTimings(job, { status: ms });
    }
    for (const [i, job] of batch.entries()) {
      const now = after[i] && after[i].run === job.run ? this.get(job.file_key) : undefined;
      if (now) this.notify(toProgress(now));
    }
  }

  /**
   * Due jobs, the one whose last step is the longest ago first (turn, then age). Only one
   * PDF is read at a time (the oldest queued): each open PDF holds a buffer the size of its
   * file.
   */
  private dueJobs(now: number): JobRow[] {
    const due = this.sql
      .exec<JobRow>(
        `SELECT * FROM ingest_jobs WHERE status IN ${PROCESSING_SQL} AND next_attempt_at <= ?
         ORDER BY turn, queued_at LIMIT ${DUE_JOBS_CONSIDERED}`,
        now,
      )
      .toArray();
    const reading = due.filter(isPdfBeingRead).sort((a, b) => a.queued_at - b.queued_at)[0];
    return due.filter((job) => !isPdfBeingRead(job) || job === reading);
  }

  /**
   * The lead job and the due jobs that can share its step: the same kind of step, none that
   * ever stopped the processor or failed in a shared step (those run alone, so that a file
   * that kills the object or the embedder is found out without taking others with it), and
   * within the kind's budget. PDFs always run alone.
   */
  private batchFor(lead: JobRow, due: JobRow[]): JobRow[] {
    const kind = stepKindOf(lead);
    if (kind === "pdf" || lead.step_starts > 0 || lead.run_alone) return [lead];
    const budget = this.budgetOf(kind);
    let used = this.costOf(kind, lead);
    const batch = [lead];
    for (const job of due) {
      if (batch.length >= budget.jobs || used >= budget.units) break;
      if (job === lead || stepKindOf(job) !== kind || job.step_starts > 0 || job.run_alone) continue;
      if (kind === "embed" && namespaceOf(job) !== namespaceOf(lead)) continue;
      const cost = this.costOf(kind, job);
      // A whole file cannot be read in part: it joins only if it fits.
      if (kind === "extract" && used + cost > budget.units) continue;
      batch.push(job);
      used += cost;
    }
    return batch;
  }

  private budgetOf(kind: Exclude<StepKind, "pdf">): { jobs: number; units: number } {
    switch (kind) {
      case "start":
        return { jobs: JOBS_PER_START_STEP, units: Number.POSITIVE_INFINITY };
      case "extract":
        return { jobs: FILES_PER_EXTRACT_STEP, units: BYTES_PER_EXTRACT_STEP };
      case "index":
        return { jobs: DUE_JOBS_CONSIDERED, units: CHUNKS_PER_INDEX_STEP };
      case "embed":
        return { jobs: DUE_JOBS_CONSIDERED, units: this.embedBatchSize() };
    }
  }

  /** What a job's part of a step costs against the budget: bytes to read, or chunks to index or embed. */
  private costOf(kind: StepKind, job: JobRow): number {
    if (kind === "extract") return job.file_size;
    if (kind === "index") return job.chunks_total - job.chunks_indexed;
    if (kind === "embed") return job.chunks_total - job.chunks_embedded;
    return 0;
  }

  private embedBatchSize(): number {
    return Math.min(CHUNKS_PER_EMBED_STEP, this.deps.embedder.batchSize);
  }

  /**
   * Runs a step's work for each job of the batch. Reading and indexing are each job's own
   * (one file's error is that file's); embedding is one call for the batch's chunks.
   * Companions of the lead that the step's time budget does not reach are skipped.
   */
  private async runBatch(batch: JobRow[], session: StepSession): Promise<Outcome[]> {
    const lead = batch[0] as JobRow;
    const kind = stepKindOf(lead);
    if (kind === "embed") return this.embedBatch(batch);
    const deadline = performance.now() + STEP_BUDGET_MS;
    let chunks = CHUNKS_PER_INDEX_STEP;
    const outcomes: Outcome[] = [];
    for (const job of batch) {
      if (job !== lead && (performance.now() > deadline || (kind === "index" && chunks <= 0))) {
        outcomes.push({ skipped: true });
        continue;
      }
      const started = performance.now();
      try {
        if (kind === "index") {
          const update = this.indexStep(job, chunks);
          chunks -= (update.chunks_indexed ?? job.chunks_indexed) - job.chunks_indexed;
          outcomes.push({ update, ms: performance.now() - started });
        } else outcomes.push({ update: await this.step(job, session), ms: performance.now() - started });
      } catch (error) {
        outcomes.push({ error, ms: performance.now() - started });
      }
    }
    return outcomes;
  }

  private async step(job: JobRow, session: StepSession): Promise<Partial<JobRow>> {
    const extractor = extractorOf(job.content_type);
    switch (job.status) {
      case "queued":
        if (extractor === "stored") return { status: "stored" };
        if (!extractor) throw new ExtractionError("This kind of file is stored but cannot be searched.");
        if (extractor === "pdf") await this.checkPdf(job);
        return { status: "extracting" };
      case "extracting":
        if (extractor === "pdf") return this.extractPdfStep(job, session);
        if (!extractor || extractor === "stored") return { status: "stored" };
        return this.extractWholeFile(job, extractor, session);
      default:
        // Indexing and embedding steps run through runBatch.
        return {};
    }
  }

  /** Refuses, before pdf.js decodes anything, a PDF too large or whose streams inflate too far. */
  private async checkPdf(job: JobRow): Promise<void> {
    if (job.file_size > MAX_PDF_BYTES) throw pdfTooLarge();
    const scan = await scanPdfStreams(r2ByteSource(this.deps.files, job.r2_key, job.file_size));
    // Refused before pdf.js builds a page tree of tens of thousands of pages (memory per page).
    if (scan.pageObjects > MAX_PDF_PAGES) throw tooManyPages(scan.pageObjects, "at least ");
  }

  private async extractPdfStep(job: JobRow, session: StepSession): Promise<Partial<JobRow>> {
    if (job.file_size > MAX_PDF_BYTES) throw pdfTooLarge();
    const pdf = await session.pdf(job, this.deps.files);
    if (pdf.pageCount > MAX_PDF_PAGES) throw tooManyPages(pdf.pageCount);
    const first = job.pages_done + 1;
    const last = Math.min(pdf.pageCount, job.pages_done + PAGES_PER_STEP);
    const blocks = await pdf.pages(first, last);
    const textChars = blocks.reduce((n, block) => n + block.text.length, job.text_chars);
    if (textChars > MAX_TEXT_CHARS) throw tooMuchText();
    // PDF blocks never share a chunk across pages, so chunking page ranges separately
    // gives exactly the chunks of chunking the whole book: the indices continue.
    const chunks = chunkBlocks(blocks).map((c) => ({ ...c, index: c.index + job.chunks_total }));
    this.stage(job, chunks);
    const update = {
      page_count: pdf.pageCount,
      pages_done: last,
      chunks_total: job.chunks_total + chunks.length,
      text_chars: textChars,
    };
    const noTextLayer = (pages: string) =>
      new ExtractionError(
        `${pages} no text layer — it looks like a scanned book or images only. Run it through OCR (many PDF tools can) and upload the result.`,
      );
    if (last < pdf.pageCount) {
      // A scan will not grow a text layer on page 61: stop instead of reading them all.
      if (update.chunks_total === 0 && last >= EMPTY_PAGES_BEFORE_GIVING_UP) {
        throw noTextLayer(`The first ${last} pages of this PDF have`);
      }
      return update;
    }
    if (update.chunks_total === 0) {
      if (pdf.pageCount === 0) throw new ExtractionError("This PDF has no pages.");
      throw noTextLayer("This PDF has");
    }
    return { ...update, status: "indexing" };
  }

  /**
   * Markdown and text are read as a stream, JSON and DOCX whole (capped); either way
   * blocks are chunked as they come and chunks staged in batches, so the file's bytes,
   * its text and all its chunks are never in memory at once.
   */
  private async extractWholeFile(
    job: JobRow,
    kind: Exclude<Extractor, "pdf">,
    session: StepSession,
  ): Promise<Partial<JobRow>> {
    if (job.file_size > MAX_WHOLE_FILE_EXTRACT_BYTES) {
      throw new ExtractionError(
        `This file is too large to search as one document (over ${MAX_WHOLE_FILE_EXTRACT_BYTES / 1024 / 1024} MB). Split it into smaller files and upload those.`,
      );
    }
    if (kind === "json" && job.file_size > MAX_JSON_BYTES) throw jsonTooLarge();
    const object = await this.deps.files.get(job.r2_key);
    if (!object) throw new Error(`Stored object ${job.r2_key} is missing`);
    let staged = 0;
    const batch: Chunk[] = [];
    const stageBatch = () => {
      this.stage(job, batch);
      staged += batch.length;
      batch.length = 0;
    };
    const chunker = new Chunker((chunk) => {
      batch.push(chunk);
      if (batch.length >= CHUNKS_PER_STAGE_BATCH) stageBatch();
    });
    const addBlock = (block: TextBlock) => chunker.push(block);
    // The uploaded bytes, decompressed if the text was stored compressed (ADR 0028).
    const body = decodedBody(object);
    if (kind === "markdown" || kind === "text") await readTextStream(body, kind, addBlock);
    else {
      // These hold the whole file (and more) at once: let go of an open PDF first.
      await session.close();
      const bytes = new Uint8Array(await new Response(body).arrayBuffer());
      const blocks = kind === "docx" ? await extractDocx(bytes) : extractJson(decodeText(bytes));
      for (const block of blocks) addBlock(block);
    }
    chunker.end();
    stageBatch();
    if (staged === 0) throw new ExtractionError("This file has no text to search.");
    return { chunks_total: staged, status: "indexing" };
  }

  /** Indexes up to `limit` of the job's staged chunks, with no await: the job cannot change meanwhile. */
  private indexStep(job: JobRow, limit: number): Partial<JobRow> {
    const chunks = this.staged(job.file_key, job.chunks_indexed, Math.min(limit, CHUNKS_PER_INDEX_STEP));
    if (!this.isCurrent(job)) throw new StaleJob();
    this.deps.passages.write(job.file_key, job.version, chunks);
    const indexed = job.chunks_indexed + chunks.length;
    return indexed < job.chunks_total ? { chunks_indexed: indexed } : { chunks_indexed: indexed, status: "embedding" };
  }

  /**
   * Embeds the next chunks of the batch's jobs in one call (the lead's first, up to the
   * embedder's batch), writes their vectors, and makes each job whose chunks are all
   * embedded searchable. A failure of the shared call or write is nobody's in particular
   * (`shared`) when the batch holds several jobs.
   */
  private async embedBatch(batch: JobRow[]): Promise<Outcome[]> {
    let room = this.embedBatchSize();
    const parts = batch.map((job) => {
      const chunks = room > 0 ? this.staged(job.file_key, job.chunks_embedded, room) : [];
      room -= chunks.length;
      return { job, chunks, ids: chunks.map((c) => chunkId(job.file_key, job.version, c.index)) };
    });
    const total = parts.reduce((n, part) => n + part.chunks.length, 0) || 1;
    const share = (part: (typeof parts)[number]) => part.chunks.length / total;
    const namespace = namespaceOf(batch[0] as JobRow);
    const everyone = (error: unknown): Outcome[] =>
      parts.map(() => (batch.length > 1 && !(error instanceof StaleJob) ? { shared: error } : { error }));
    let current: typeof parts;
    try {
      const values = await this.deps.embedder.embed(parts.flatMap((part) => part.chunks.map((c) => c.text)));
      this.counters.embedCalls++;
      this.counters.embeddedChunks += total;
      // The embedder can take seconds: files may have been deleted or re-queued meanwhile.
      current = parts.filter((part) => this.isCurrent(part.job));
      let at = 0;
      const vectors = parts.flatMap((part) => {
        const mine = part.ids.map((id, i) => ({ id, values: values[at + i] ?? [], fileKey: part.job.file_key }));
        at += part.ids.length;
        return current.includes(part) ? mine : [];
      });
      await this.deps.vectors.upsert(namespace, vectors);
      const gone = current.filter((part) => !this.isCurrent(part.job));
      if (gone.length)
        await this.deps.vectors.deleteByIds(
          namespace,
          gone.flatMap((part) => part.ids),
        );
      current = current.filter((part) => !gone.includes(part));
      // Searchable: the previous versions' vectors of the files that are done go first.
      const done = current.filter((part) => part.job.chunks_embedded + part.chunks.length >= part.job.chunks_total);
      await this.deps.vectors.deleteByIds(
        namespace,
        done.flatMap((part) => this.deps.passages.ids(part.job.file_key, { except: part.job.version })),
      );
    } catch (error) {
      return everyone(error);
    }
    return parts.map((part): Outcome => {
      if (!current.includes(part) || !this.isCurrent(part.job)) return { error: new StaleJob(), share: share(part) };
      const embedded = part.job.chunks_embedded + part.chunks.length;
      if (embedded < part.job.chunks_total) return { update: { chunks_embedded: embedded }, share: share(part) };
      try {
        // With no await between the check above and these writes: this version replaces the previous one's passages.
        this.deps.passages.publish(part.job.file_key, part.job.version, {
          fileName: part.job.file_name,
          contentType: part.job.content_type,
        });
        this.sql.exec("DELETE FROM staged_chunks WHERE file_key = ?", part.job.file_key);
        return { update: { chunks_embedded: embedded, status: "ready" }, share: share(part) };
      } catch (error) {
        return { error, share: share(part) };
      }
    });
  }

  private async fail(job: JobRow, error: unknown, now: number): Promise<void> {
    const permanent = error instanceof ExtractionError;
    const attempts = job.attempts + 1;
    if (!permanent && attempts < MAX_ATTEMPTS) {
      console.warn(`ingest ${job.file_key} v${job.version} (${job.status}) attempt ${attempts} failed:`, error);
      this.checkpoint(job, {
        attempts,
        next_attempt_at: now + RETRY_BASE_MS * 2 ** (attempts - 1),
        error: null,
        step_starts: 0,
      });
      return;
    }
    const reason = permanent
      ? (error as Error).message
      : `Processing stopped after ${attempts} attempts (${error instanceof Error ? error.message : String(error)}). Press Retry to try again.`;
    if (!permanent) console.error(`ingest ${job.file_key} v${job.version} failed:`, error);
    this.checkpoint(job, { status: "failed", attempts, error: reason, step_starts: 0 });
    await this.discardVersion(job);
  }

  /** Writes a step's result, unless the job was re-queued, cancelled or deleted meanwhile. */
  private checkpoint(job: JobRow, update: Partial<JobRow>): void {
    const entries = Object.entries({ ...update, updated_at: Date.now() });
    this.sql.exec(
      `UPDATE ingest_jobs SET ${entries.map(([column]) => `${column} = ?`).join(", ")} WHERE file_key = ? AND run = ?`,
      ...entries.map(([, value]) => value ?? null),
      job.file_key,
      job.run,
    );
  }

  /** Removes what a failed or cancelled version left: staged chunks, passages and vectors. */
  private async discardVersion(job: JobRow): Promise<void> {
    this.sql.exec("DELETE FROM staged_chunks WHERE file_key = ?", job.file_key);
    const ids = this.deps.passages.ids(job.file_key, { only: job.version });
    this.deps.passages.discard(job.file_key, job.version);
    await this.deps.vectors.deleteByIds(namespaceOf(job), ids);
  }

  /** D1 writes of stages, one after another (see recordStatuses). */
  private statusWrites: Promise<void> = Promise.resolve();

  /**
   * Mirrors the jobs' stages into D1, so pages that never open a socket see them too: one
   * D1 batch for all of them. The writes run one at a time and each writes the jobs as
   * they are when its turn comes, so a slow write of an older stage can never land after a
   * newer one (a cancel, say).
   */
  private recordStatuses(jobs: JobRow[]): Promise<void> {
    const keys = jobs.map((job) => ({ fileKey: job.file_key, version: job.version }));
    const write = this.statusWrites.then(() => this.writeStatuses(keys));
    this.statusWrites = write.catch(() => {});
    return write;
  }

  private async writeStatuses(keys: { fileKey: string; version: number }[]): Promise<void> {
    const { db } = this.deps;
    const groups = new Map<
      string,
      { status: JobStatus; pageCount: number | null; error: string | null; jobs: JobRow[] }
    >();
    for (const { fileKey, version } of keys) {
      const job = this.get(fileKey);
      if (!job || job.version !== version) continue;
      const status = { status: job.status, pageCount: job.page_count ?? null, error: job.error ?? null };
      const key = JSON.stringify(status);
      const group = groups.get(key) ?? { ...status, jobs: [] };
      group.jobs.push(job);
      groups.set(key, group);
    }
    const statements = [];
    const updatedAt = Date.now();
    for (const { status, pageCount, error, jobs } of groups.values()) {
      for (let i = 0; i < jobs.length; i += STATUS_ROWS_PER_STATEMENT) {
        const versions = sql.join(
          jobs.slice(i, i + STATUS_ROWS_PER_STATEMENT).map((job) => sql`(${job.file_key}, ${job.version})`),
          sql`, `,
        );
        statements.push(
          db
            .update(fileMetadata)
            // Not `updatedAt`: that says when the person last changed the file.
            .set({ status, pageCount, error })
            .where(sql`(${fileMetadata.fileKey}, ${fileMetadata.currentVersion}) IN (VALUES ${versions})`),
          db
            .update(fileVersions)
            .set({ status, pageCount, error, updatedAt })
            .where(sql`(${fileVersions.fileKey}, ${fileVersions.versionNumber}) IN (VALUES ${versions})`),
        );
      }
    }
    const [first, ...rest] = statements;
    if (!first) return;
    this.counters.statusWrites++;
    this.counters.statusStatements += statements.length;
    await db.batch([first, ...rest]);
  }

  /** Stages chunks of the job's run, unless the job was re-queued or deleted meanwhile. */
  private stage(job: JobRow, chunks: Chunk[]): void {
    if (!this.isCurrent(job)) throw new StaleJob();
    const fileKey = job.file_key;
    for (const chunk of chunks) {
      const { index, text, ...provenance } = chunk;
      this.sql.exec(
        "INSERT OR REPLACE INTO staged_chunks (file_key, idx, text, provenance) VALUES (?, ?, ?, ?)",
        fileKey,
        index,
        text,
        JSON.stringify(provenance),
      );
    }
  }

  private staged(fileKey: string, from: number, limit: number): Chunk[] {
    return this.sql
      .exec<{ idx: number; text: string; provenance: string }>(
        "SELECT idx, text, provenance FROM staged_chunks WHERE file_key = ? AND idx >= ? ORDER BY idx LIMIT ?",
        fileKey,
        from,
        limit,
      )
      .toArray()
      .map((row) => ({
        index: row.idx,
        text: row.text,
        ...(JSON.parse(row.provenance) as Omit<Chunk, "index" | "text">),
      }));
  }

  /** The job row still exists and belongs to the same run (not re-queued, cancelled or deleted). */
  private isCurrent(job: JobRow): boolean {
    return this.get(job.file_key)?.run === job.run;
  }

  private get(fileKey: string): JobRow | undefined {
    return this.sql.exec<JobRow>("SELECT * FROM ingest_jobs WHERE file_key = ?", fileKey).toArray()[0];
  }
}

const pdfTooLarge = () =>
  new ExtractionError(
    `This PDF is larger than ${MAX_PDF_BYTES / 1024 / 1024} MB, the most that can be read for search. It stays in your library to view and download; to make it searchable, save a smaller copy (most PDF tools can compress images) or split it.`,
  );

/** `atLeast`: the count is of page objects found before reading (a lower bound). */
const tooManyPages = (pages: number, atLeast = "") =>
  new ExtractionError(
    `This PDF has ${atLeast}${pages.toLocaleString("en")} pages; at most ${MAX_PDF_PAGES.toLocaleString("en")} can be read for search. It stays in your library; to make it searchable, split it into parts and upload those.`,
  );

/** Why a step that kept stopping the processor is not run again, and what to do. */
function processorStopped(job: JobRow): string {
  const stage =
    job.status === "extracting" && job.page_count
      ? `reading pages ${job.pages_done + 1}–${Math.min(job.page_count, job.pages_done + PAGES_PER_STEP)}`
      : job.status === "extracting" || job.status === "queued"
        ? "reading it"
        : job.status === "indexing"
          ? "indexing it"
          : "embedding it";
  return `Processing this file stopped the processor ${job.step_starts} times (while ${stage}), so it may be damaged, or too large or complex to read here. It stays in your library to view and download. To make it searchable, save a simpler copy (for a PDF, "Save as" or "Print to PDF" in a PDF tool; otherwise split it into smaller files) and upload that; Retry would try this same file again.`;
}

/** The job's vector namespace: its account's id (for jobs queued before ids, the username was the id). */
function namespaceOf(job: JobRow): string {
  return job.account_id || job.username;
}

/** The stage a step of the job works in, for its timings. */
function stageOf(job: JobRow): "extract" | "index" | "embed" {
  return job.status === "indexing" ? "index" : job.status === "embedding" ? "embed" : "extract";
}

function timingsOf(row: JobRow): IngestTimings {
  const ms = (value: number) => Math.round(value * 10) / 10;
  return {
    queuedAt: row.queued_at,
    firstStepAt: row.first_step_at || null,
    doneAt: row.done_at || null,
    steps: row.steps,
    ms: {
      sync: ms(row.ms_sync),
      extract: ms(row.ms_extract),
      index: ms(row.ms_index),
      embed: ms(row.ms_embed),
      status: ms(row.ms_status),
    },
  };
}

function toProgress(row: JobRow): JobProgress {
  return {
    fileKey: row.file_key,
    version: row.version,
    fileName: row.file_name,
    status: row.status,
    pagesDone: row.pages_done,
    pageCount: row.page_count,
    chunksTotal: row.chunks_total,
    chunksIndexed: row.chunks_indexed,
    chunksEmbedded: row.chunks_embedded,
    attempts: row.attempts,
    error: row.error,
    updatedAt: row.updated_at,
  };
}

/**
 * A PDF read from R2 by byte ranges, so only the pages being extracted are fetched. PDFs
 * are stored as uploaded (never compressed, ADR 0028), so the object's offsets are the file's.
 */
export function r2ByteSource(files: R2Bucket, key: string, length: number): ByteSource {
  return {
    length,
    async read(begin, end) {
      const object = await files.get(key, { range: { offset: begin, length: end - begin } });
      if (!object) throw new Error(`Stored object ${key} is missing`);
      return new Uint8Array(await object.arrayBuffer());
    },
  };
}

/**
 * State kept in memory between steps: the open PDF, so consecutive steps on the same
 * book neither parse its cross-reference table again nor hold two copies of its buffer.
 * Nothing here is needed to resume: after a restart the file is simply opened again.
 */
export class StepSession {
  private open: { key: string; doc: PdfDocument } | null = null;

  async pdf(job: JobRow, files: R2Bucket): Promise<PdfDocument> {
    if (this.open?.key === job.r2_key) return this.open.doc;
    await this.close();
    const doc = await openPdf(r2ByteSource(files, job.r2_key, job.file_size));
    this.open = { key: job.r2_key, doc };
    return doc;
  }

  async close(): Promise<void> {
    await this.open?.doc.close();
    this.open = null;
  }
}
