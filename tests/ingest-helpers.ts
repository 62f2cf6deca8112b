import { env, runInDurableObject } from "cloudflare:test";
import { eq } from "drizzle-orm";
import type { JobProgress } from "~/lib/jobs";
import { fileMetadata, fileVersions, users } from "~/server/db/schema";
import { newFileKey } from "~/server/files/keys.server";
import { IngestionQueue, type IngestRequest, type QueueDeps } from "~/server/ingest/queue.server";
import { PassageStore } from "~/server/passages/passage-store.server";
import { createTrackerServices } from "~/server/services.server";
import { HashingEmbedder } from "~/server/vectors/local.server";
import type { Embedder } from "~/server/vectors/ports.server";
import type { UserFileTracker } from "../functions/user-file-tracker";
import { db } from "./helpers";

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
  trackerNames.add(owner.id);
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

/**
 * The queue's parts that live outside its object (D1, R2, the embedder), as the app
 * builds them, with another embedder if given; the object's own parts (passages, the
 * offline vector index) are added by `withQueue`.
 */
export const localDeps = (embedder?: Embedder) => ({
  db,
  files: env.FILES,
  embedder: embedder ?? new HashingEmbedder(),
});

/** Every tracker a test has used: where a file's passages and vectors may be. */
const trackerNames = new Set<string>();

const trackerNamed = (name: string) => env.USER_FILE_TRACKER.get(env.USER_FILE_TRACKER.idFromName(name));

/**
 * Runs `work` against a queue over the SQLite storage of the tracker named `name` (an
 * account's id for a file search should find; any other name for an object of its own),
 * with its parts as the app builds them and `deps` changing some (a function receives the
 * app's). No alarms are set on it. Each call builds a new queue, as a restarted object would.
 */
export async function withQueue<T>(
  name: string,
  work: (queue: IngestionQueue, events: JobProgress[], sql: SqlStorage) => Promise<T>,
  deps: Partial<QueueDeps> | ((app: QueueDeps) => QueueDeps) = {},
) {
  trackerNames.add(name);
  return runInDurableObject(trackerNamed(name), async (_instance: UserFileTracker, state) => {
    const app = createTrackerServices(env, state.storage).ingestion;
    const queueDeps = typeof deps === "function" ? deps(app) : { ...app, ...deps };
    const events: JobProgress[] = [];
    const queue = new IngestionQueue(state.storage.sql, queueDeps, (job) => events.push(job));
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

/**
 * Runs a read on the storage of the file owner's tracker and of every tracker a test
 * used; the file's rows are in one of them.
 */
async function acrossTrackers<T>(fileKey: string, read: (sql: SqlStorage) => T[]): Promise<T[]> {
  const [owner] = await db
    .select({ id: users.id })
    .from(fileMetadata)
    .innerJoin(users, eq(users.username, fileMetadata.username))
    .where(eq(fileMetadata.fileKey, fileKey));
  // Remembered: after the file is deleted, its owner's tracker is still looked at.
  if (owner) trackerNames.add(owner.id);
  const rows: T[] = [];
  for (const name of trackerNames) {
    rows.push(...(await runInDurableObject(trackerNamed(name), (_instance, state) => read(state.storage.sql))));
  }
  return rows;
}

/** How many of the file's passages the full-text index finds for `query`. */
export const ftsHits = async (fileKey: string, query: string) =>
  (
    await acrossTrackers(fileKey, (sql) =>
      sql
        .exec<{ id: string }>(
          `SELECT p.id FROM passages_fts JOIN passages p ON p.seq = passages_fts.rowid
           WHERE passages_fts MATCH ? AND p.file_key = ?`,
          query,
          fileKey,
        )
        .toArray(),
    )
  ).length;

/** A file's passages (every version), in order. */
export const chunksOf = async (fileKey: string) =>
  (
    await acrossTrackers(fileKey, (sql) =>
      sql
        .exec<{ id: string; body: string; version: number; idx: number; heading_path: string; page: number | null }>(
          "SELECT id, body, version, idx, heading_path, page FROM passages WHERE file_key = ? ORDER BY version, idx",
          fileKey,
        )
        .toArray(),
    )
  ).map((row) => ({
    id: row.id,
    text: row.body,
    version: row.version,
    headingPath: JSON.parse(row.heading_path) as string[],
    page: row.page,
  }));

/** The ids of a file's vectors in the offline vector index, sorted. */
export const vectorIdsOf = async (fileKey: string) =>
  (
    await acrossTrackers(fileKey, (sql) =>
      sql.exec<{ id: string }>("SELECT id FROM vectors WHERE file_key = ?", fileKey).toArray(),
    )
  )
    .map((row) => row.id)
    .sort();

/**
 * Puts published passages (one per text) and their vectors straight into an account's
 * tracker, as a finished ingestion leaves them: for tests about what removes them.
 */
export async function seedPassages(accountId: string, fileKey: string, version: number, texts: string[]) {
  trackerNames.add(accountId);
  await runInDurableObject(trackerNamed(accountId), async (instance: UserFileTracker, state) => {
    const store = new PassageStore(state.storage);
    store.write(
      fileKey,
      version,
      texts.map((text, index) => ({ index, text, start: 0, end: text.length })),
    );
    store.publish(fileKey, version, { fileName: `${fileKey}.md`, contentType: "text/markdown" });
    const embedder = new HashingEmbedder();
    const vectors = await embedder.embed(texts);
    await instance.upsertVectors(
      vectors.map((values, index) => ({ id: `${fileKey}:v${version}:${index}`, values, fileKey })),
    );
  });
}
