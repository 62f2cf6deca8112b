import { env, runInDurableObject } from "cloudflare:test";
import { eq, sql } from "drizzle-orm";
import type { JobProgress } from "~/lib/jobs";
import { fileChunks, fileMetadata, fileVersions, localVectors, users } from "~/server/db/schema";
import { newFileKey } from "~/server/files/keys.server";
import { IngestionQueue, type IngestRequest, type QueueDeps } from "~/server/ingest/queue.server";
import type { Embedder } from "~/server/vectors/ports.server";
import type { UserFileTracker } from "../functions/user-file-tracker";
import { db, services } from "./helpers";

/** Test helpers for ingestion: files stored as an upload leaves them, and a queue driven by hand. */

/**
 * Stores a file the way an upload leaves it (R2 object, metadata and version rows) without
 * handing it to the user's tracker, so each test drives the queue step by step itself.
 */
export async function storeFile(
  username: string,
  fileName: string,
  bytes: Uint8Array,
  contentType: string,
  fileKey = newFileKey(),
) {
  const [owner] = await db.select({ id: users.id }).from(users).where(eq(users.username, username));
  if (!owner) throw new Error(`no account ${username}`);
  const [existing] = await db.select().from(fileMetadata).where(eq(fileMetadata.fileKey, fileKey));
  const version = (existing?.currentVersion ?? 0) + 1;
  const r2Key = `uploads/${username}/${fileKey}/v${version}/file`;
  await env.FILES.put(r2Key, bytes);
  const row = { fileName, fileSize: bytes.length, contentType, status: "uploaded" as const, currentVersion: version };
  if (existing) await db.update(fileMetadata).set(row).where(eq(fileMetadata.fileKey, fileKey));
  else await db.insert(fileMetadata).values({ fileKey, username, ...row });
  await db.insert(fileVersions).values({ fileKey, versionNumber: version, r2Key, fileSize: bytes.length, contentType });
  return {
    accountId: owner.id,
    username,
    fileKey,
    version,
    fileName,
    contentType,
    r2Key,
    fileSize: bytes.length,
  } satisfies IngestRequest;
}

/** The queue's parts as the app builds them (local adapters), with another embedder if given. */
export const localDeps = (embedder?: Embedder): QueueDeps => ({
  ...services.ingestion,
  ...(embedder ? { embedder } : {}),
});

/**
 * Runs `work` against a queue over the SQLite storage of a Durable Object of its own (no
 * alarms are set on it). Each call builds a new queue, as a restarted object would.
 */
export async function withQueue<T>(
  name: string,
  work: (queue: IngestionQueue, events: JobProgress[], sql: SqlStorage) => Promise<T>,
  deps = localDeps(),
) {
  const stub = env.USER_FILE_TRACKER.get(env.USER_FILE_TRACKER.idFromName(`queue-test:${name}`));
  return runInDurableObject(stub, async (_instance: UserFileTracker, state) => {
    const events: JobProgress[] = [];
    const queue = new IngestionQueue(state.storage.sql, deps, (job) => events.push(job));
    return work(queue, events, state.storage.sql);
  });
}

/** A promise to release by hand: a step held at an await (an embedder call, a D1 write) until the test lets it go. */
export function gate() {
  let open = () => {};
  let reached = () => {};
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  const waiting = new Promise<void>((resolve) => {
    reached = resolve;
  });
  /** `waiting` resolves once something waits at the gate; `pass()` is what waits. */
  const pass = () => {
    reached();
    return opened;
  };
  return { open, waiting, pass };
}

/** A step that never returns, as a step that kills its Durable Object looks from its storage. */
export const never = () => new Promise<never>(() => {});

/** Steps until nothing is due; with `skipBackOff` the clock jumps an hour a step, past any back-off. */
export async function drain(queue: IngestionQueue, { skipBackOff = false } = {}) {
  let steps = 0;
  let now = Date.now() + (skipBackOff ? 3_600_000 : 0);
  while (await queue.runStep(now)) {
    steps++;
    if (skipBackOff) now += 3_600_000;
  }
  return steps;
}

/** The stages a file went through, each once. */
export const stages = (events: JobProgress[]) => events.map((e) => e.status).filter((s, i, all) => s !== all[i - 1]);

/** How many of the file's chunks the full-text index finds for `query`. */
export const ftsHits = async (fileKey: string, query: string) =>
  (
    await db.all<{ n: number }>(
      sql`SELECT count(*) AS n FROM file_chunks_fts JOIN file_chunks ON file_chunks.seq = file_chunks_fts.rowid
          WHERE file_chunks_fts MATCH ${query} AND file_chunks.file_key = ${fileKey}`,
    )
  )[0]?.n ?? 0;

/** A file's chunks in D1, in order. */
export const chunksOf = (fileKey: string) =>
  db
    .select({
      id: fileChunks.id,
      text: fileChunks.chunkText,
      version: fileChunks.fileVersion,
      metadata: fileChunks.metadata,
    })
    .from(fileChunks)
    .where(eq(fileChunks.fileKey, fileKey))
    .orderBy(fileChunks.chunkIndex);

/** The ids of a file's vectors in the local vector index, sorted. */
export const vectorIdsOf = async (fileKey: string) =>
  (await db.select({ id: localVectors.id }).from(localVectors).where(eq(localVectors.fileKey, fileKey)))
    .map((r) => r.id)
    .sort();
