import { and, eq, inArray, ne, type SQL, sql } from "drizzle-orm";
import type { Db } from "../db/db.server";
import { fileChunks, fileVersions } from "../db/schema";
import { type Chunk, chunkId } from "./chunk.server";

/**
 * Writes chunks to `file_chunks` (their FTS5 rows follow by trigger) in statements that
 * respect D1's limit of 100 bound parameters, all in one batch (one round trip, one
 * transaction). Upserts on the deterministic id, so re-running a step after a crash
 * rewrites the same rows instead of adding new ones.
 */

/** Bound parameters per row below; rows per statement follow from D1's limit of 100. */
const PARAMS_PER_ROW = 7;
export const ROWS_PER_STATEMENT = Math.floor(100 / PARAMS_PER_ROW);

export interface ChunkTarget {
  fileKey: string;
  username: string;
  version: number;
}

export async function writeChunks(db: Db, target: ChunkTarget, chunks: Chunk[]): Promise<number> {
  if (chunks.length === 0) return 0;
  const statements = [];
  for (let i = 0; i < chunks.length; i += ROWS_PER_STATEMENT) {
    const rows = chunks.slice(i, i + ROWS_PER_STATEMENT).map((chunk) => ({
      id: chunkId(target.fileKey, target.version, chunk.index),
      fileKey: target.fileKey,
      username: target.username,
      fileVersion: target.version,
      chunkText: chunk.text,
      chunkIndex: chunk.index,
      metadata: { page: chunk.page, headingPath: chunk.headingPath, start: chunk.start, end: chunk.end },
    }));
    statements.push(
      db
        .insert(fileChunks)
        .values(rows)
        .onConflictDoUpdate({
          target: fileChunks.id,
          set: {
            chunkText: sql`excluded.chunk_text`,
            metadata: sql`excluded.metadata`,
            updatedAt: sql`(cast(unixepoch('subsec') * 1000 as integer))`,
          },
        }),
    );
  }
  const [first, ...rest] = statements;
  if (first) await db.batch([first, ...rest]);
  return chunks.length;
}

async function chunkIdsWhere(db: Db, condition: SQL | undefined): Promise<string[]> {
  const rows = await db.select({ id: fileChunks.id }).from(fileChunks).where(condition);
  return rows.map((row) => row.id);
}

/** Ids of the chunks of every other version of the file (to replace them once this one is ready). */
export function chunkIdsOfOtherVersions(db: Db, target: ChunkTarget): Promise<string[]> {
  return chunkIdsWhere(db, and(eq(fileChunks.fileKey, target.fileKey), ne(fileChunks.fileVersion, target.version)));
}

export function chunkIdsOfVersion(db: Db, target: ChunkTarget): Promise<string[]> {
  return chunkIdsWhere(db, and(eq(fileChunks.fileKey, target.fileKey), eq(fileChunks.fileVersion, target.version)));
}

export function chunkIdsOfFile(db: Db, fileKey: string): Promise<string[]> {
  return chunkIdsWhere(db, eq(fileChunks.fileKey, fileKey));
}

export function chunkIdsOfUser(db: Db, username: string): Promise<string[]> {
  return chunkIdsWhere(db, eq(fileChunks.username, username));
}

/** Deletes chunks (their FTS rows follow by trigger), 90 ids a statement (D1 allows 100 parameters). */
export async function deleteChunks(db: Db, ids: string[]): Promise<void> {
  const statements = [];
  for (let i = 0; i < ids.length; i += 90)
    statements.push(db.delete(fileChunks).where(inArray(fileChunks.id, ids.slice(i, i + 90))));
  const [first, ...rest] = statements;
  if (first) await db.batch([first, ...rest]);
}

/**
 * The passages search finds in a file, in order: those of its newest version that is
 * ready (an older one while a new version is still being processed). Null version when
 * no version is searchable yet.
 */
export async function readableChunks(db: Db, fileKey: string) {
  const [ready] = await db
    .select({ version: sql<number | null>`max(${fileVersions.versionNumber})` })
    .from(fileVersions)
    .where(and(eq(fileVersions.fileKey, fileKey), eq(fileVersions.status, "ready")));
  const version = ready?.version ?? null;
  if (version === null) return { version, chunks: [] };
  const chunks = await db
    .select({
      id: fileChunks.id,
      index: fileChunks.chunkIndex,
      text: fileChunks.chunkText,
      metadata: fileChunks.metadata,
    })
    .from(fileChunks)
    .where(and(eq(fileChunks.fileKey, fileKey), eq(fileChunks.fileVersion, version)))
    .orderBy(fileChunks.chunkIndex);
  return { version, chunks };
}

export async function countChunks(db: Db, target: ChunkTarget): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`count(*)` })
    .from(fileChunks)
    .where(and(eq(fileChunks.fileKey, target.fileKey), eq(fileChunks.fileVersion, target.version)));
  return row?.n ?? 0;
}
