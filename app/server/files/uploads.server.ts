import { and, eq, inArray, sql } from "drizzle-orm";
import type { ContentEncoding } from "~/lib/file-kinds";
import { formatBytes } from "~/lib/format";
import { fileMetadata, fileUploads, fileVersions } from "../db/schema";
import { newFileKey, objectKey } from "./keys.server";
import { type Account, type FileRow, type FileStores, type UploadLimits, UploadRefused } from "./library.server";

/**
 * Uploads in flight and how they become stored versions, so that no upload can lose
 * another's bytes or pass the quota (ADR 0017):
 *
 * - each attempt reserves its bytes in one statement that also checks the quota against
 *   what is stored plus what is in flight, and writes to an R2 key of its own;
 * - completion is one D1 transaction: the file row is created or its version number
 *   taken (an upsert on the name), the version recorded, the reservation released — only
 *   if the reservation still exists (a cancel or the file's deletion removes it), the
 *   bytes are not a duplicate, and the quota still holds;
 * - on any refusal or failure an attempt deletes its own key and nothing else.
 */

export type UploadRow = typeof fileUploads.$inferSelect;

/** A single streamed upload that has not finished within this time is not counted any more. */
export const SINGLE_UPLOAD_STALE_MS = 60 * 60_000;
/** A resumable upload may pause this long between parts before it stops counting and is aborted (ADR 0027). */
export const MULTIPART_UPLOAD_STALE_MS = 24 * 60 * 60_000;

const MAX_NAME_LENGTH = 255;

/** Names are shown as given, so nothing in one may hide or reorder what a person reads. */
export function validateUploadRequest(fileName: string, size: number, limits: UploadLimits): void {
  if (!fileName.trim() || fileName.length > MAX_NAME_LENGTH) {
    throw new UploadRefused(
      `A file name must be 1–${MAX_NAME_LENGTH} characters, not only spaces. Rename the file and try again.`,
      400,
    );
  }
  if (/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u.test(fileName)) {
    throw new UploadRefused(
      "This file name contains invisible control or formatting characters (such as a right-to-left override). Rename the file with plain characters and try again.",
      400,
    );
  }
  if (/[/\\]/.test(fileName) || /^\.+$/.test(fileName.trim())) {
    throw new UploadRefused("A file name cannot contain / or \\, or be only dots. Rename the file and try again.", 400);
  }
  if (!Number.isSafeInteger(size) || size <= 0) {
    throw new UploadRefused("The upload did not say how big the file is, or it is empty.", 411);
  }
  if (size > limits.maxFileBytes) {
    throw new UploadRefused(
      `“${fileName}” is ${formatBytes(size)}; the limit is ${formatBytes(limits.maxFileBytes)} a file. Split it, or compress its images, and try again.`,
      413,
    );
  }
}

/** An upload row last touched at or before this has gone stale: it no longer counts, and the sweep removes it. */
function staleBefore(now: number) {
  return sql`(CASE WHEN r2_upload_id IS NULL THEN ${now - SINGLE_UPLOAD_STALE_MS}
    ELSE ${now - MULTIPART_UPLOAD_STALE_MS} END)`;
}

/** Bytes the account has stored (every version) plus those reserved by uploads still in flight. */
function committedBytes(username: string, now: number) {
  return sql`(SELECT coalesce(sum(v.file_size), 0) FROM file_versions v
      JOIN file_metadata m ON m.file_key = v.file_key WHERE m.username = ${username})
    + (SELECT coalesce(sum(total_size), 0) FROM file_uploads WHERE username = ${username}
      AND updated_at > ${staleBefore(now)})`;
}

/** Stale uploads removed per sweep, so one run stays short. */
const STALE_UPLOADS_PER_SWEEP = 50;

/**
 * Removes uploads that went stale (a tab closed mid-upload, a server killed): each row is
 * deleted first, in one statement that hands it to this sweep alone — a late finish then
 * finds no reservation and discards its own bytes — and then its attempt's own R2 key
 * and unfinished multipart upload, which no version can name. Bounded per run.
 */
export async function sweepStaleUploads(stores: Pick<FileStores, "db" | "files">, now = Date.now()): Promise<number> {
  const stale = stores.db
    .select({ id: fileUploads.id })
    .from(fileUploads)
    .where(sql`updated_at <= ${staleBefore(now)}`)
    .limit(STALE_UPLOADS_PER_SWEEP);
  const removed = await stores.db.delete(fileUploads).where(inArray(fileUploads.id, stale)).returning();
  for (const row of removed) {
    try {
      await discardUploadObject(stores, row);
    } catch (error) {
      console.error(`could not discard the bytes of stale upload ${row.id}:`, error);
    }
  }
  return removed.length;
}

/**
 * Reserves an upload of `size` bytes of `fileName` — one statement, which refuses when
 * the stored and in-flight bytes plus these would pass the quota.
 */
export async function reserveUpload(
  stores: Pick<FileStores, "db" | "limits">,
  account: Account,
  request: { fileName: string; size: number; r2UploadId?: string; r2Key?: string; partSize?: number },
): Promise<UploadRow> {
  const now = Date.now();
  const id = crypto.randomUUID();
  const r2Key = request.r2Key ?? uploadKey(account, id, request.fileName);
  const inserted = await stores.db.run(sql`INSERT INTO file_uploads (id, username, file_name, r2_key, r2_upload_id,
      total_size, part_size, parts, created_at, updated_at)
    SELECT ${id}, ${account.username}, ${request.fileName}, ${r2Key}, ${request.r2UploadId ?? null}, ${request.size},
      ${request.partSize ?? 0}, '[]', ${now}, ${now}
    WHERE ${committedBytes(account.username, now)} + ${request.size} <= ${stores.limits.maxUserBytes}`);
  const row = inserted.meta.changes
    ? await stores.db.query.fileUploads.findFirst({ where: eq(fileUploads.id, id) })
    : undefined;
  if (row) return row;
  const [used] = await stores.db.all<{ bytes: number }>(sql`SELECT ${committedBytes(account.username, now)} AS bytes`);
  throw new UploadRefused(
    `This upload (${formatBytes(request.size)}) would take you past your ${formatBytes(stores.limits.maxUserBytes)} of storage (${formatBytes(Number(used?.bytes ?? 0))} used or uploading). Delete files or old versions you no longer need, then try again.`,
    413,
  );
}

/** Where an attempt's bytes go: a key of its own, under the account's (immutable) prefix. */
export function uploadKey(account: Account, uploadId: string, fileName: string): string {
  return objectKey(account.id, uploadId, fileName);
}

export async function getUpload(stores: Pick<FileStores, "db">, account: Account, uploadId: string) {
  return stores.db.query.fileUploads.findFirst({
    where: and(eq(fileUploads.id, uploadId), eq(fileUploads.username, account.username)),
  });
}

export async function releaseUpload(stores: Pick<FileStores, "db">, uploadId: string): Promise<void> {
  await stores.db.delete(fileUploads).where(eq(fileUploads.id, uploadId));
}

export interface StoredBytes {
  contentType: string;
  /** Of the uploaded bytes, whatever their encoding in R2. */
  contentHash: string;
  contentEncoding: ContentEncoding | null;
  /** Bytes of the R2 object. */
  storedSize: number;
}

/**
 * Turns a reserved upload whose bytes are in R2 into a stored version, in one D1
 * transaction (see the module comment). Answers the file and its version; refuses, after
 * deleting the attempt's own object, when the upload was cancelled, the bytes duplicate a
 * stored version, or the quota no longer holds.
 */
export async function recordUpload(
  stores: Pick<FileStores, "db" | "files" | "limits">,
  account: Account,
  upload: UploadRow,
  bytes: StoredBytes,
): Promise<{ file: FileRow; version: number }> {
  const { db } = stores;
  const now = Date.now();
  const d1 = db.$client;
  const user = account.username;
  // Raw statements: drizzle cannot batch raw SQL with parameters. One transaction.
  const [upserted] = await d1.batch([
    // The file (new) or its next version number (existing): one upsert on (username, name),
    // written only while the reservation exists, the bytes are new and the quota holds.
    d1
      .prepare(
        `INSERT INTO file_metadata (file_key, username, file_name, file_size, content_type, content_hash, status,
          current_version, created_at, updated_at)
        SELECT ?1, ?2, ?3, ?4, ?5, ?6, 'uploaded', 1, ?7, ?7
        WHERE EXISTS (SELECT 1 FROM file_uploads WHERE id = ?8)
          AND NOT EXISTS (SELECT 1 FROM file_versions v JOIN file_metadata m ON m.file_key = v.file_key
            WHERE m.username = ?2 AND v.content_hash = ?6)
          AND (SELECT coalesce(sum(v.file_size), 0) FROM file_versions v
            JOIN file_metadata m ON m.file_key = v.file_key WHERE m.username = ?2) + ?4 <= ?9
        ON CONFLICT (username, file_name) DO UPDATE SET current_version = current_version + 1,
          file_size = excluded.file_size, content_type = excluded.content_type, content_hash = excluded.content_hash,
          status = 'uploaded', page_count = NULL, error = NULL, updated_at = excluded.updated_at,
          version = version + 1`,
      )
      .bind(
        newFileKey(),
        user,
        upload.fileName,
        upload.totalSize,
        bytes.contentType,
        bytes.contentHash,
        now,
        upload.id,
        stores.limits.maxUserBytes,
      ),
    // The version, numbered by the row above — only if that statement wrote it.
    d1
      .prepare(
        `INSERT INTO file_versions (file_key, version_number, r2_key, file_size, content_type, content_hash,
          content_encoding, stored_size, status, created_at, updated_at)
        SELECT file_key, current_version, ?1, ?2, ?3, ?4, ?8, ?9, 'uploaded', ?5, ?5
        FROM file_metadata WHERE username = ?6 AND file_name = ?7 AND changes() > 0`,
      )
      .bind(
        upload.r2Key,
        upload.totalSize,
        bytes.contentType,
        bytes.contentHash,
        now,
        user,
        upload.fileName,
        bytes.contentEncoding,
        bytes.storedSize,
      ),
    d1.prepare("DELETE FROM file_uploads WHERE id = ?1").bind(upload.id),
  ]);
  if (!upserted?.meta.changes) {
    await stores.files.delete(upload.r2Key);
    throw await whyNotRecorded(stores, account, upload, bytes);
  }
  const [row] = await db
    .select({ file: fileMetadata, version: fileVersions.versionNumber })
    .from(fileVersions)
    .innerJoin(fileMetadata, eq(fileMetadata.fileKey, fileVersions.fileKey))
    .where(eq(fileVersions.r2Key, upload.r2Key));
  if (!row) throw new Error(`upload ${upload.id} was recorded but its version is missing`);
  return row;
}

async function whyNotRecorded(
  stores: Pick<FileStores, "db" | "limits">,
  account: Account,
  upload: UploadRow,
  bytes: StoredBytes,
): Promise<UploadRefused> {
  const [duplicate] = await stores.db
    .select({ fileName: fileMetadata.fileName, versionNumber: fileVersions.versionNumber })
    .from(fileVersions)
    .innerJoin(fileMetadata, eq(fileMetadata.fileKey, fileVersions.fileKey))
    .where(and(eq(fileMetadata.username, account.username), eq(fileVersions.contentHash, bytes.contentHash)))
    .limit(1);
  if (duplicate) {
    return new UploadRefused(
      `You already have exactly this file: “${duplicate.fileName}” (version ${duplicate.versionNumber}). Nothing new was stored.`,
      409,
    );
  }
  const reserved = await stores.db.query.fileUploads.findFirst({ where: eq(fileUploads.id, upload.id) });
  if (!reserved) {
    return new UploadRefused(
      `The upload of “${upload.fileName}” was cancelled (or its file was deleted) before it finished. Nothing was stored.`,
      409,
    );
  }
  await stores.db.delete(fileUploads).where(eq(fileUploads.id, upload.id));
  return new UploadRefused(
    `“${upload.fileName}” no longer fits in your ${formatBytes(stores.limits.maxUserBytes)} of storage. Delete files or old versions you no longer need, then upload it again.`,
    413,
  );
}

/**
 * The file is being deleted: its uploads in flight (by name: they would make a new
 * version of it) are cancelled — their R2 objects or multipart uploads, which they
 * created, go with their rows, so none of them can re-create the file afterwards.
 */
export async function cancelUploadsOf(stores: Pick<FileStores, "db" | "files">, file: FileRow): Promise<void> {
  const rows = await stores.db
    .delete(fileUploads)
    .where(and(eq(fileUploads.username, file.username), eq(fileUploads.fileName, file.fileName)))
    .returning();
  for (const row of rows) await discardUploadObject(stores, row);
}

/** Removes what an attempt wrote to R2 (its multipart upload, or its object). */
export async function discardUploadObject(stores: Pick<FileStores, "files">, row: UploadRow): Promise<void> {
  if (row.r2UploadId) {
    try {
      await stores.files.resumeMultipartUpload(row.r2Key, row.r2UploadId).abort();
    } catch {
      // Already completed or aborted in R2: then its object (if any) is deleted below.
    }
  }
  await stores.files.delete(row.r2Key);
}
