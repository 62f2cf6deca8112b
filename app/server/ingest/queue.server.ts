import { and, eq } from "drizzle-orm";
import { type Extractor, fileKinds, kindOfContentType } from "~/lib/file-kinds";
import { type JobProgress, type JobStatus, processingStatuses } from "~/lib/jobs";
import type { Db } from "../db/db.server";
import { fileMetadata, fileVersions } from "../db/schema";
import type { Embedder, VectorIndex } from "../vectors/ports.server";
import { type Chunk, chunkBlocks, chunkId } from "./chunk.server";
import {
  type ByteSource,
  ExtractionError,
  extractDocx,
  extractJson,
  extractMarkdown,
  extractPlainText,
  openPdf,
  type PdfDocument,
  type TextBlock,
} from "./extract.server";
import {
  chunkIdsOfFile,
  chunkIdsOfOtherVersions,
  chunkIdsOfUser,
  chunkIdsOfVersion,
  deleteChunks,
  writeChunks,
} from "./index-chunks.server";

/**
 * The ingestion queue of one user, kept in the SQLite storage of their UserFileTracker
 * Durable Object. Files are processed one after another in bounded steps — a range of
 * PDF pages, a batch of chunks to index, a batch to embed — and the job row is the
 * checkpoint: after a crash, a redeploy or a killed dev server the next alarm runs the
 * step that had not been recorded yet. Every step is idempotent (chunks and vectors are
 * upserted on deterministic ids), so running one twice gives the same result.
 *
 *   queued → extracting (pages) → indexing (chunks → D1 + FTS5) → embedding (vectors) → ready
 *
 * Extracted chunks wait in the object's own storage (`staged_chunks`) until they are
 * indexed, so a file that fails on page 400 leaves nothing half-written in D1.
 */

/** Everything the queue needs to know about a stored file version. */
export interface IngestRequest {
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
}

export interface QueueDeps {
  db: Db;
  files: R2Bucket;
  embedder: Embedder;
  vectors: VectorIndex;
}

/** Step sizes, chosen so one step stays far below the Worker CPU and memory limits. */
export const PAGES_PER_STEP = 20;
export const CHUNKS_PER_INDEX_STEP = 280;
export const CHUNKS_PER_EMBED_STEP = 100;
/** Whole-file extractors (Markdown, text, JSON, DOCX) read the file at once: cap it. */
export const MAX_WHOLE_FILE_EXTRACT_BYTES = 25 * 1024 * 1024;
/**
 * pdf.js keeps a buffer the size of the whole file while it reads one (even by ranges):
 * measured live memory is about 25 MB plus the file's size (bench/pdf-memory.mjs), so
 * at this cap extraction needs about 89 MB of a Worker's 128 MB.
 */
export const MAX_PDF_BYTES = 64 * 1024 * 1024;
/** Failures that may pass (network, storage) are retried this many times, with backoff. */
export const MAX_ATTEMPTS = 4;
export const RETRY_BASE_MS = 5_000;

/** The statuses the queue still works on, as an SQL list. */
const PROCESSING_SQL = `(${processingStatuses.map((status) => `'${status}'`).join(", ")})`;

/** How a stored file is read (file-kinds.ts): an extractor, "stored" for kinds without text, or null (unknown). */
function extractorOf(contentType: string): Extractor | "stored" | null {
  const kind = kindOfContentType(contentType);
  if (!kind) return null;
  return fileKinds[kind].extractor ?? "stored";
}

export class IngestionQueue {
  constructor(
    private readonly sql: SqlStorage,
    private readonly deps: QueueDeps,
    private readonly notify: (job: JobProgress) => void,
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
      `INSERT INTO ingest_jobs (file_key, username, version, file_name, content_type, r2_key, file_size, status, queued_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?)
       ON CONFLICT(file_key) DO UPDATE SET username = excluded.username, version = excluded.version,
         file_name = excluded.file_name, content_type = excluded.content_type, r2_key = excluded.r2_key,
         file_size = excluded.file_size, status = 'queued', run = run + 1, pages_done = 0, page_count = NULL,
         chunks_total = 0, chunks_indexed = 0, chunks_embedded = 0, attempts = 0, next_attempt_at = 0,
         error = NULL, queued_at = excluded.queued_at, updated_at = excluded.updated_at`,
      request.fileKey,
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
   * The file is being deleted: stop its job and remove its vectors (the file service
   * then deletes the D1 rows, which takes the chunks and their FTS rows with them).
   */
  async forget(username: string, fileKey: string): Promise<void> {
    this.sql.exec("DELETE FROM staged_chunks WHERE file_key = ?", fileKey);
    this.sql.exec("DELETE FROM ingest_jobs WHERE file_key = ?", fileKey);
    await this.deps.vectors.deleteByIds(username, await chunkIdsOfFile(this.deps.db, fileKey));
  }

  /** The account is being deleted: remove every vector of the user's chunks. */
  async forgetAll(username: string): Promise<void> {
    await this.deps.vectors.deleteByIds(username, await chunkIdsOfUser(this.deps.db, username));
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
   * Runs one bounded step of the job that is due (the one in progress first, else the
   * oldest queued) and checkpoints it. Returns false when nothing is due.
   */
  async runStep(now = Date.now(), session: StepSession = new StepSession()): Promise<boolean> {
    const [job] = this.sql
      .exec<JobRow>(
        `SELECT * FROM ingest_jobs
         WHERE status IN ${PROCESSING_SQL} AND next_attempt_at <= ?
         ORDER BY status = 'queued', queued_at LIMIT 1`,
        now,
      )
      .toArray();
    if (!job) return false;
    try {
      const update = await this.step(job, session);
      this.checkpoint(job, { ...update, attempts: 0, next_attempt_at: 0, error: null });
    } catch (error) {
      await this.fail(job, error, now);
    }
    const after = this.get(job.file_key);
    if (after && after.run === job.run) {
      if (after.status !== job.status) await this.recordStatus(after);
      this.notify(toProgress(after));
    }
    return true;
  }

  private async step(job: JobRow, session: StepSession): Promise<Partial<JobRow>> {
    const extractor = extractorOf(job.content_type);
    switch (job.status) {
      case "queued":
        if (extractor === "stored") return { status: "stored" };
        if (!extractor) throw new ExtractionError("This kind of file is stored but cannot be searched.");
        return { status: "extracting" };
      case "extracting":
        if (extractor === "pdf") return this.extractPdfStep(job, session);
        if (!extractor || extractor === "stored") return { status: "stored" };
        return this.extractWholeFile(job, extractor);
      case "indexing":
        return this.indexStep(job);
      case "embedding":
        return this.embedStep(job);
      default:
        return {};
    }
  }

  private async extractPdfStep(job: JobRow, session: StepSession): Promise<Partial<JobRow>> {
    if (job.file_size > MAX_PDF_BYTES) {
      throw new ExtractionError(
        `This PDF is larger than ${MAX_PDF_BYTES / 1024 / 1024} MB, the most that can be read for search. It stays in your library to view and download; to make it searchable, save a smaller copy (most PDF tools can compress images) or split it.`,
      );
    }
    const pdf = await session.pdf(job, this.deps.files);
    const first = job.pages_done + 1;
    const last = Math.min(pdf.pageCount, job.pages_done + PAGES_PER_STEP);
    // PDF blocks never share a chunk across pages, so chunking page ranges separately
    // gives exactly the chunks of chunking the whole book: the indices continue.
    const chunks = chunkBlocks(await pdf.pages(first, last)).map((c) => ({ ...c, index: c.index + job.chunks_total }));
    this.stage(job.file_key, chunks);
    const update = { page_count: pdf.pageCount, pages_done: last, chunks_total: job.chunks_total + chunks.length };
    if (last < pdf.pageCount) return update;
    if (update.chunks_total === 0) {
      throw new ExtractionError(
        pdf.pageCount === 0
          ? "This PDF has no pages."
          : "This PDF has no text layer — it looks like a scanned book or images only. Run it through OCR (many PDF tools can) and upload the result.",
      );
    }
    return { ...update, status: "indexing" };
  }

  private async extractWholeFile(job: JobRow, kind: Exclude<Extractor, "pdf">): Promise<Partial<JobRow>> {
    if (job.file_size > MAX_WHOLE_FILE_EXTRACT_BYTES) {
      throw new ExtractionError(
        `This file is too large to search as one document (over ${MAX_WHOLE_FILE_EXTRACT_BYTES / 1024 / 1024} MB). Split it into smaller files and upload those.`,
      );
    }
    const object = await this.deps.files.get(job.r2_key);
    if (!object) throw new Error(`Stored object ${job.r2_key} is missing`);
    const bytes = new Uint8Array(await object.arrayBuffer());
    let blocks: TextBlock[];
    if (kind === "docx") blocks = await extractDocx(bytes);
    else {
      const text = new TextDecoder().decode(bytes);
      if (kind === "json") {
        try {
          blocks = extractJson(text);
        } catch {
          throw new ExtractionError(
            "This JSON file is not valid JSON, so it cannot be read. Check it and upload it again.",
          );
        }
      } else blocks = kind === "markdown" ? extractMarkdown(text) : extractPlainText(text);
    }
    const chunks = chunkBlocks(blocks);
    if (chunks.length === 0) throw new ExtractionError("This file has no text to search.");
    this.stage(job.file_key, chunks);
    return { chunks_total: chunks.length, status: "indexing" };
  }

  private async indexStep(job: JobRow): Promise<Partial<JobRow>> {
    const chunks = this.staged(job.file_key, job.chunks_indexed, CHUNKS_PER_INDEX_STEP);
    await writeChunks(this.deps.db, target(job), chunks);
    const indexed = job.chunks_indexed + chunks.length;
    return indexed < job.chunks_total ? { chunks_indexed: indexed } : { chunks_indexed: indexed, status: "embedding" };
  }

  private async embedStep(job: JobRow): Promise<Partial<JobRow>> {
    const size = Math.min(CHUNKS_PER_EMBED_STEP, this.deps.embedder.batchSize);
    const chunks = this.staged(job.file_key, job.chunks_embedded, size);
    const values = await this.deps.embedder.embed(chunks.map((c) => c.text));
    await this.deps.vectors.upsert(
      job.username,
      chunks.map((c, i) => ({
        id: chunkId(job.file_key, job.version, c.index),
        values: values[i] ?? [],
        fileKey: job.file_key,
      })),
    );
    const embedded = job.chunks_embedded + chunks.length;
    if (embedded < job.chunks_total) return { chunks_embedded: embedded };
    // Searchable: now the previous version's chunks and vectors can go.
    const old = await chunkIdsOfOtherVersions(this.deps.db, target(job));
    await this.deps.vectors.deleteByIds(job.username, old);
    await deleteChunks(this.deps.db, old);
    this.sql.exec("DELETE FROM staged_chunks WHERE file_key = ?", job.file_key);
    return { chunks_embedded: embedded, status: "ready" };
  }

  private async fail(job: JobRow, error: unknown, now: number): Promise<void> {
    const permanent = error instanceof ExtractionError;
    const attempts = job.attempts + 1;
    if (!permanent && attempts < MAX_ATTEMPTS) {
      console.warn(`ingest ${job.file_key} v${job.version} (${job.status}) attempt ${attempts} failed:`, error);
      this.checkpoint(job, { attempts, next_attempt_at: now + RETRY_BASE_MS * 2 ** (attempts - 1), error: null });
      return;
    }
    const reason = permanent
      ? (error as Error).message
      : `Processing stopped after ${attempts} attempts (${error instanceof Error ? error.message : String(error)}). Press Retry to try again.`;
    if (!permanent) console.error(`ingest ${job.file_key} v${job.version} failed:`, error);
    this.checkpoint(job, { status: "failed", attempts, error: reason });
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

  /** Removes what a failed or cancelled version left: staged, indexed and embedded chunks. */
  private async discardVersion(job: JobRow): Promise<void> {
    this.sql.exec("DELETE FROM staged_chunks WHERE file_key = ?", job.file_key);
    const ids = await chunkIdsOfVersion(this.deps.db, target(job));
    await this.deps.vectors.deleteByIds(job.username, ids);
    await deleteChunks(this.deps.db, ids);
  }

  /** Mirrors the stage into D1, so pages that never open a socket (and search) see it too. */
  private async recordStatus(job: JobRow): Promise<void> {
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

  private stage(fileKey: string, chunks: Chunk[]): void {
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

  private get(fileKey: string): JobRow | undefined {
    return this.sql.exec<JobRow>("SELECT * FROM ingest_jobs WHERE file_key = ?", fileKey).toArray()[0];
  }
}

function target(job: JobRow) {
  return { fileKey: job.file_key, username: job.username, version: job.version };
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
