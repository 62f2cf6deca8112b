import { and, eq } from "drizzle-orm";
import { type Extractor, fileKinds, kindOfContentType } from "~/lib/file-kinds";
import { type JobProgress, type JobStatus, processingStatuses } from "~/lib/jobs";
import type { Db } from "../db/db.server";
import { fileMetadata, fileVersions } from "../db/schema";
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
 * in turns (the job whose last step is the longest ago goes next), so a large file never holds
 * back a small one for more than a step. The job row is the checkpoint: after a crash,
 * a redeploy or a killed dev server the next alarm runs the step that had not been
 * recorded yet. Every step is idempotent (chunks and vectors are upserted on
 * deterministic ids), so running one twice gives the same result.
 *
 * A step that kills the object (a file beyond the CPU or memory limits) cannot record
 * its own failure, so each step start is recorded durably before it runs; a step that
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
  /** Characters of text extracted so far (PDFs: over all pages done). */
  text_chars: number;
}

export interface QueueDeps {
  /** The file rows the queue mirrors each stage into. */
  db: Db;
  files: R2Bucket;
  embedder: Embedder;
  vectors: VectorIndex;
  /** The account's passages, in the same object's storage. */
  passages: PassageStore;
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
         step_starts = 0, turn = 0, text_chars = 0`,
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
    await this.recordStatus(job);
    this.notify(toProgress(job));
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
    await this.recordStatus(cancelled);
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

  list(): JobProgress[] {
    return this.sql.exec<JobRow>("SELECT * FROM ingest_jobs ORDER BY queued_at DESC").toArray().map(toProgress);
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
   * Runs one bounded step of the job that is due and checkpoints it. Jobs take turns:
   * the one whose last step is the longest ago goes next (a new file before any in
   * progress), so a 600-page book yields to a note between its steps. Returns false when
   * nothing is due.
   */
  async runStep(now = Date.now(), session: StepSession = new StepSession()): Promise<boolean> {
    const job = this.nextJob(now);
    if (!job) return false;
    if (job.step_starts >= MAX_STEP_DEATHS) {
      await this.fail(job, new ExtractionError(processorStopped(job)), now);
    } else {
      // Recorded before the step runs, and made durable: if the step kills the object,
      // the next start sees that it began and never finished.
      this.sql.exec(
        `UPDATE ingest_jobs SET step_starts = step_starts + 1,
           turn = (SELECT coalesce(max(turn), 0) + 1 FROM ingest_jobs) WHERE file_key = ? AND run = ?`,
        job.file_key,
        job.run,
      );
      await this.durable();
      try {
        const update = await this.step(job, session);
        this.checkpoint(job, { ...update, attempts: 0, next_attempt_at: 0, error: null, step_starts: 0 });
      } catch (error) {
        // A job re-queued, cancelled or deleted meanwhile: its step already undid its writes.
        if (!(error instanceof StaleJob) && this.isCurrent(job)) await this.fail(job, error, now);
      }
    }
    const after = this.get(job.file_key);
    if (after && after.run === job.run) {
      if (after.status !== job.status) await this.recordStatus(after);
      this.notify(toProgress(after));
    }
    return true;
  }

  /**
   * The due job whose last step is the longest ago. Only one PDF is read at a time (the
   * oldest queued): each open PDF holds a buffer the size of its file.
   */
  private nextJob(now: number): JobRow | undefined {
    const due = this.sql
      .exec<JobRow>(
        `SELECT * FROM ingest_jobs WHERE status IN ${PROCESSING_SQL} AND next_attempt_at <= ?
         ORDER BY turn, queued_at`,
        now,
      )
      .toArray();
    const reading = due.filter(isPdfBeingRead).sort((a, b) => a.queued_at - b.queued_at)[0];
    return due.find((job) => !isPdfBeingRead(job) || job === reading);
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
      case "indexing":
        return this.indexStep(job);
      case "embedding":
        return this.embedStep(job);
      default:
        return {};
    }
  }

  /** Refuses, before pdf.js decodes anything, a PDF too large or whose streams inflate too far. */
  private async checkPdf(job: JobRow): Promise<void> {
    if (job.file_size > MAX_PDF_BYTES) throw pdfTooLarge();
    await scanPdfStreams(r2ByteSource(this.deps.files, job.r2_key, job.file_size));
  }

  private async extractPdfStep(job: JobRow, session: StepSession): Promise<Partial<JobRow>> {
    if (job.file_size > MAX_PDF_BYTES) throw pdfTooLarge();
    const pdf = await session.pdf(job, this.deps.files);
    if (pdf.pageCount > MAX_PDF_PAGES) {
      throw new ExtractionError(
        `This PDF has ${pdf.pageCount.toLocaleString("en")} pages; at most ${MAX_PDF_PAGES.toLocaleString("en")} can be read for search. It stays in your library; to make it searchable, split it into parts and upload those.`,
      );
    }
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
    if (kind === "markdown" || kind === "text") await readTextStream(object.body, kind, addBlock);
    else {
      // These hold the whole file (and more) at once: let go of an open PDF first.
      await session.close();
      const bytes = new Uint8Array(await object.arrayBuffer());
      const blocks = kind === "docx" ? await extractDocx(bytes) : extractJson(decodeText(bytes));
      for (const block of blocks) addBlock(block);
    }
    chunker.end();
    stageBatch();
    if (staged === 0) throw new ExtractionError("This file has no text to search.");
    return { chunks_total: staged, status: "indexing" };
  }

  private async indexStep(job: JobRow): Promise<Partial<JobRow>> {
    const chunks = this.staged(job.file_key, job.chunks_indexed, CHUNKS_PER_INDEX_STEP);
    // Checked and written with no await between: the job cannot change in the meantime.
    if (!this.isCurrent(job)) throw new StaleJob();
    this.deps.passages.write(job.file_key, job.version, chunks);
    const indexed = job.chunks_indexed + chunks.length;
    return indexed < job.chunks_total ? { chunks_indexed: indexed } : { chunks_indexed: indexed, status: "embedding" };
  }

  private async embedStep(job: JobRow): Promise<Partial<JobRow>> {
    const size = Math.min(CHUNKS_PER_EMBED_STEP, this.deps.embedder.batchSize);
    const chunks = this.staged(job.file_key, job.chunks_embedded, size);
    const values = await this.deps.embedder.embed(chunks.map((c) => c.text));
    // The embedder can take seconds: the file may have been deleted meanwhile.
    if (!this.isCurrent(job)) throw new StaleJob();
    const ids = chunks.map((c) => chunkId(job.file_key, job.version, c.index));
    await this.deps.vectors.upsert(
      namespaceOf(job),
      ids.map((id, i) => ({ id, values: values[i] ?? [], fileKey: job.file_key })),
    );
    if (!this.isCurrent(job)) {
      await this.deps.vectors.deleteByIds(namespaceOf(job), ids);
      throw new StaleJob();
    }
    const embedded = job.chunks_embedded + chunks.length;
    if (embedded < job.chunks_total) return { chunks_embedded: embedded };
    // Searchable: the previous version's vectors go, then (with no await between the
    // check and the write) this version replaces the previous one's passages.
    await this.deps.vectors.deleteByIds(
      namespaceOf(job),
      this.deps.passages.ids(job.file_key, { except: job.version }),
    );
    if (!this.isCurrent(job)) throw new StaleJob();
    this.deps.passages.publish(job.file_key, job.version);
    this.sql.exec("DELETE FROM staged_chunks WHERE file_key = ?", job.file_key);
    return { chunks_embedded: embedded, status: "ready" };
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

  /** D1 writes of stages, one after another (see recordStatus). */
  private statusWrites: Promise<void> = Promise.resolve();

  /**
   * Mirrors the job's stage into D1, so pages that never open a socket see it too. The
   * writes run one at a time and each writes the job as it is when its turn comes, so a
   * slow write of an older stage can never land after a newer one (a cancel, say).
   */
  private recordStatus(job: JobRow): Promise<void> {
    const write = this.statusWrites.then(() => this.writeStatus(job.file_key, job.version));
    this.statusWrites = write.catch(() => {});
    return write;
  }

  private async writeStatus(fileKey: string, version: number): Promise<void> {
    const job = this.get(fileKey);
    if (!job || job.version !== version) return;
    const status = job.status;
    const pageCount = job.page_count ?? null;
    const error = job.error ?? null;
    await this.deps.db.batch([
      this.deps.db
        .update(fileMetadata)
        // Not `updatedAt`: that says when the person last changed the file.
        .set({ status, pageCount, error })
        .where(and(eq(fileMetadata.fileKey, job.file_key), eq(fileMetadata.currentVersion, job.version))),
      this.deps.db
        .update(fileVersions)
        .set({ status, pageCount, error, updatedAt: Date.now() })
        .where(and(eq(fileVersions.fileKey, job.file_key), eq(fileVersions.versionNumber, job.version))),
    ]);
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

/** A PDF read from R2 by byte ranges, so only the pages being extracted are fetched. */
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
