import { eq, sql } from "drizzle-orm";
import type { Db } from "../db/db.server";
import { maintenanceCursors } from "../db/schema";
import { userPrefix } from "./keys.server";
import type { FileStores } from "./library.server";
import { SINGLE_UPLOAD_STALE_MS } from "./uploads.server";

/**
 * The storage audit (ADR 0027): a bounded pass of the cron that compares R2 with D1.
 * An object under `uploads/` that no file version and no upload in flight names is an
 * orphan (a server died between writing bytes and recording them, an interrupted account
 * deletion): once older than the grace period it is deleted, as every such key was
 * written by this app for an attempt that is over. A version whose bytes are missing
 * is reported: nothing can bring the bytes back, and the GM must upload the file again.
 * Each pass resumes where the last run stopped and starts over at the end.
 */

/**
 * An object no row names is an orphan only once it is this old: a cancelled upload
 * deletes its row a moment before its bytes, and a single upload writes its row first.
 */
export const ORPHAN_GRACE_MS = SINGLE_UPLOAD_STALE_MS;

export interface AuditLimits {
  /** Objects listed per run (R2 lists at most 1,000 a call). */
  objects: number;
  /** Versions whose bytes are checked per run (one R2 head each). */
  versions: number;
}
const DEFAULT_LIMITS: AuditLimits = { objects: 500, versions: 100 };

export interface MissingBytes {
  fileKey: string;
  versionNumber: number;
  r2Key: string;
}

export interface StorageAudit {
  objectsChecked: number;
  orphansDeleted: string[];
  /** Most of the slice had no row, so nothing was deleted (see looksWrong). */
  suspicious: boolean;
  versionsChecked: number;
  missingBytes: MissingBytes[];
}

/**
 * One run of both passes, over every account or (`accountId`) one account's files.
 * Safe to repeat and to run beside uploads: it deletes only what no row names and is
 * older than the grace period.
 */
export async function auditStorage(
  stores: Pick<FileStores, "db" | "files">,
  {
    now = Date.now(),
    accountId,
    limits = DEFAULT_LIMITS,
  }: { now?: number; accountId?: string; limits?: AuditLimits } = {},
): Promise<StorageAudit> {
  const scope = accountId ?? "all";
  const objects = await auditObjects(
    stores,
    scope,
    accountId ? userPrefix(accountId) : "uploads/",
    now,
    limits.objects,
  );
  const versions = await auditVersions(stores, scope, accountId, limits.versions);
  return { ...objects, ...versions };
}

async function auditObjects(
  { db, files }: Pick<FileStores, "db" | "files">,
  scope: string,
  prefix: string,
  now: number,
  limit: number,
) {
  const name = `storage-audit:objects:${scope}`;
  let listing: R2Objects;
  try {
    listing = await files.list({ prefix, cursor: (await cursorOf(db, name)) ?? undefined, limit });
  } catch (error) {
    // A cursor R2 no longer accepts must not stall every later run: start over next time.
    await saveCursor(db, name, null);
    throw error;
  }
  const keys = listing.objects.map((object) => object.key);
  const named = new Set(
    keys.length
      ? (
          await db.all<{ key: string }>(sql`
            SELECT r2_key AS key FROM file_versions WHERE r2_key IN (SELECT value FROM json_each(${JSON.stringify(keys)}))
            UNION SELECT r2_key FROM file_uploads WHERE r2_key IN (SELECT value FROM json_each(${JSON.stringify(keys)}))`)
        ).map((row) => row.key)
      : [],
  );
  const orphans = listing.objects
    .filter(
      (object) =>
        UPLOAD_KEY.test(object.key) && !named.has(object.key) && object.uploaded.getTime() < now - ORPHAN_GRACE_MS,
    )
    .map((object) => object.key);
  if (looksWrong(orphans.length, keys.length)) {
    // Most of a slice unnamed is not crashes: this D1 is not this bucket's (a restore, a
    // staging deploy on the production bucket). Delete nothing and say so.
    console.error(`storage audit: ${orphans.length} of ${keys.length} objects have no row; deleting none (check D1)`);
    await saveCursor(db, name, listing.truncated ? listing.cursor : null);
    return { objectsChecked: keys.length, orphansDeleted: [], suspicious: true };
  }
  if (orphans.length) await files.delete(orphans);
  await saveCursor(db, name, listing.truncated ? listing.cursor : null);
  return { objectsChecked: keys.length, orphansDeleted: orphans, suspicious: false };
}

/** The shape of every key uploads write: `uploads/<account>/<upload id>/<safe name>`. */
const UPLOAD_KEY = /^uploads\/[^/]+\/[^/]+\/[^/]+$/;

/** Orphans are rare (a crash, a cut-short deletion): most of a sizeable slice is a wrong database. */
const looksWrong = (orphans: number, listed: number) => orphans >= 10 && orphans > listed / 2;

async function auditVersions(
  { db, files }: Pick<FileStores, "db" | "files">,
  scope: string,
  accountId: string | undefined,
  limit: number,
) {
  const name = `storage-audit:versions:${scope}`;
  const after = JSON.parse((await cursorOf(db, name)) ?? '["", 0]') as [string, number];
  const ofAccount = accountId
    ? sql`AND v.file_key IN (SELECT m.file_key FROM file_metadata m JOIN users u ON u.username = m.username WHERE u.id = ${accountId})`
    : sql``;
  const rows = await db.all<MissingBytes>(sql`
    SELECT v.file_key AS fileKey, v.version_number AS versionNumber, v.r2_key AS r2Key FROM file_versions v
    WHERE (v.file_key, v.version_number) > (${after[0]}, ${after[1]}) ${ofAccount}
    ORDER BY v.file_key, v.version_number LIMIT ${limit}`);
  const heads = await Promise.all(rows.map((row) => files.head(row.r2Key)));
  const missing: MissingBytes[] = [];
  for (const [i, row] of rows.entries()) {
    if (heads[i]) continue;
    // Deleted meanwhile (the file or the account went): not missing, just gone.
    const [still] = await db.all(sql`SELECT 1 FROM file_versions
      WHERE file_key = ${row.fileKey} AND version_number = ${row.versionNumber} AND r2_key = ${row.r2Key}`);
    if (still) missing.push(row);
  }
  const last = rows.at(-1);
  await saveCursor(db, name, rows.length === limit && last ? JSON.stringify([last.fileKey, last.versionNumber]) : null);
  return { versionsChecked: rows.length, missingBytes: missing };
}

async function cursorOf(db: Db, name: string): Promise<string | null> {
  const [row] = await db
    .select({ cursor: maintenanceCursors.cursor })
    .from(maintenanceCursors)
    .where(eq(maintenanceCursors.name, name));
  return row?.cursor ?? null;
}

async function saveCursor(db: Db, name: string, cursor: string | null): Promise<void> {
  await db
    .insert(maintenanceCursors)
    .values({ name, cursor, updatedAt: Date.now() })
    .onConflictDoUpdate({ target: maintenanceCursors.name, set: { cursor, updatedAt: Date.now() } });
}
