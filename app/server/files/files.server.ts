import { and, desc, eq, lt, notExists, sql, sum } from "drizzle-orm";
import { data } from "react-router";
import { isCompressible } from "~/lib/file-kinds";
import { accountKey, DEFAULT_TTL_SECONDS, type ReadModelCache } from "../cache/read-models.server";
import { VersionConflictError } from "../campaigns/errors.server";
import type { Db } from "../db/db.server";
import { campaignResources, campaigns, deletedAccounts, fileMetadata, fileVersions, users } from "../db/schema";
import { gzipAll, putText } from "./compression.server";
import { detectFileType, SNIFF_BYTES } from "./detect.server";
import { FILE_KEY_PATTERN } from "./keys.server";
import { type Account, type FileRow, type FileStores, type FileVersionRow, UploadRefused } from "./library.server";
import {
  cancelUploadsOf,
  recordUpload,
  releaseUpload,
  reserveUpload,
  type StoredBytes,
  type UploadRow,
  validateUploadRequest,
} from "./uploads.server";

/**
 * The file library: bytes in R2 (streamed, never buffered whole), metadata and versions
 * in D1. Every function is scoped to the account it is given (D1 rows by its username,
 * R2 keys and the tracker by its immutable id). Uploads in flight: uploads.server.ts.
 */

export async function storageUsed(db: Db, username: string): Promise<number> {
  const [row] = await db
    .select({ total: sum(fileVersions.fileSize) })
    .from(fileVersions)
    .innerJoin(fileMetadata, eq(fileMetadata.fileKey, fileVersions.fileKey))
    .where(eq(fileMetadata.username, username));
  return Number(row?.total ?? 0);
}

/** The user's file with this key; undefined for anyone else's, a missing one or a key of the wrong form. */
export async function getFile(db: Db, username: string, fileKey: string): Promise<FileRow | undefined> {
  if (!FILE_KEY_PATTERN.test(fileKey)) return undefined;
  return db.query.fileMetadata.findFirst({
    where: and(eq(fileMetadata.fileKey, fileKey), eq(fileMetadata.username, username)),
  });
}

export async function getFileVersions(db: Db, file: FileRow): Promise<FileVersionRow[]> {
  return db
    .select()
    .from(fileVersions)
    .where(eq(fileVersions.fileKey, file.fileKey))
    .orderBy(desc(fileVersions.versionNumber));
}

/** An account with its cache generation (the row the session middleware loaded). */
export type CachedAccount = Account & { cacheGeneration: number };

/**
 * The library page's files and storage used, from the read-model cache when this account
 * generation's copy is there (ADR 0029); the jobs in flight are live and never cached.
 */
export async function libraryModel(stores: { db: Db; readModels: ReadModelCache }, account: CachedAccount) {
  return stores.readModels.readThrough(accountKey("library", account), DEFAULT_TTL_SECONDS, async () => {
    const [files, used] = await Promise.all([
      listFiles(stores.db, account.username),
      storageUsed(stores.db, account.username),
    ]);
    return { files, used };
  });
}

/**
 * A file and its versions, as its routes' guard loads them (serving its bytes needs
 * both), cached per account generation (ADR 0029). Undefined for anyone else's file or a made-up key (never cached).
 */
export async function fileWithVersions(
  stores: { db: Db; readModels: ReadModelCache },
  account: CachedAccount,
  fileKey: string,
): Promise<{ file: FileRow; versions: FileVersionRow[] } | undefined> {
  if (!FILE_KEY_PATTERN.test(fileKey)) return undefined;
  return stores.readModels.readThrough(accountKey("download", account, fileKey), DEFAULT_TTL_SECONDS, async () => {
    const file = await getFile(stores.db, account.username, fileKey);
    return file ? { file, versions: await getFileVersions(stores.db, file) } : undefined;
  });
}

export async function listFiles(db: Db, username: string) {
  const usedBy = db
    .select({ n: sql<number>`count(*)` })
    .from(campaignResources)
    .where(eq(campaignResources.fileKey, fileMetadata.fileKey));
  return db
    .select({
      fileKey: fileMetadata.fileKey,
      fileName: fileMetadata.fileName,
      description: fileMetadata.description,
      tags: fileMetadata.tags,
      fileSize: fileMetadata.fileSize,
      contentType: fileMetadata.contentType,
      status: fileMetadata.status,
      error: fileMetadata.error,
      currentVersion: fileMetadata.currentVersion,
      pageCount: fileMetadata.pageCount,
      updatedAt: fileMetadata.updatedAt,
      campaignCount: sql<number>`(${usedBy})`,
    })
    .from(fileMetadata)
    .where(eq(fileMetadata.username, username))
    .orderBy(desc(fileMetadata.updatedAt));
}

/** A page of the account's files in creation order after `after` (`limit + 1` rows; the API's cursor). */
export async function listFilesPage(
  db: Db,
  username: string,
  { after, limit }: { after: [number, string] | null; limit: number },
): Promise<FileRow[]> {
  return db
    .select()
    .from(fileMetadata)
    .where(
      and(
        eq(fileMetadata.username, username),
        after ? sql`(${fileMetadata.createdAt}, ${fileMetadata.fileKey}) > (${after[0]}, ${after[1]})` : undefined,
      ),
    )
    .orderBy(fileMetadata.createdAt, fileMetadata.fileKey)
    .limit(limit + 1);
}

/**
 * Reads the first bytes of a stream without losing them. Returns the sniffable head, every
 * byte read so far (`read`, to be sent first), and the body itself with its lock released,
 * so what is left still flows natively.
 */
export async function peek(body: ReadableStream<Uint8Array>, bytes: number) {
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let length = 0;
  let done = false;
  while (length < bytes && !done) {
    // A body that breaks this early (a dropped connection) is the person's to retry, not a server error.
    const next = await reader.read().catch(() => {
      throw new UploadRefused("The upload stopped before the file arrived. Check the connection and try again.", 400);
    });
    if (next.done) done = true;
    else {
      chunks.push(next.value);
      length += next.value.byteLength;
    }
  }
  reader.releaseLock();
  const read = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    read.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return { head: read.subarray(0, Math.min(bytes, length)), read, rest: body };
}

/**
 * Sends `read` and then the rest of a body into `write` as one stream of exactly `size`
 * bytes (FixedLengthStream: R2 refuses a body shorter or longer than announced). The rest
 * is piped native stream to native stream, so workerd moves its bytes without handing a
 * single chunk to JavaScript: a 20 MB upload leaves no garbage for V8 to collect later.
 */
export async function pipeSized<T>(
  read: Uint8Array,
  rest: ReadableStream<Uint8Array>,
  size: number,
  write: (body: ReadableStream<Uint8Array>) => Promise<T>,
): Promise<T> {
  const fixed = new FixedLengthStream(size);
  const stop = new AbortController();
  const sending = (async () => {
    if (read.byteLength) {
      const writer = fixed.writable.getWriter();
      await writer.write(read);
      writer.releaseLock();
    }
    await rest.pipeTo(fixed.writable, { signal: stop.signal });
  })();
  sending.catch(() => {}); // its failure is the write's failure too, reported below
  try {
    const [written] = await Promise.all([write(fixed.readable), sending]);
    return written;
  } catch (error) {
    // R2 refused or the body broke: stop reading the rest of the request body now.
    stop.abort(error);
    await rest.cancel(error).catch(() => {});
    throw error;
  }
}

// workerd globals that the DOM typings used by this project do not describe.
declare const FixedLengthStream: new (length: number) => TransformStream<Uint8Array, Uint8Array>;
declare namespace crypto {
  class DigestStream extends WritableStream<Uint8Array> {
    constructor(algorithm: string);
    readonly digest: Promise<ArrayBuffer>;
  }
}

export const toHex = (buffer: ArrayBuffer | Uint8Array) =>
  [...new Uint8Array(buffer)].map((b) => b.toString(16).padStart(2, "0")).join("");

export interface UploadResult {
  file: FileRow;
  version: number;
  created: boolean;
  /** Bytes of the R2 object: fewer than the file's for a text file stored compressed. */
  storedSize: number;
}

/** What the upload endpoints answer once a file is stored. */
export function uploadResultJson(result: UploadResult) {
  const name = result.file.fileName;
  return data(
    {
      fileKey: result.file.fileKey,
      fileName: name,
      version: result.version,
      created: result.created,
      size: result.file.fileSize,
      storedSize: result.storedSize,
      message: result.created ? `“${name}” uploaded.` : `“${name}” uploaded as version ${result.version}.`,
    },
    { status: result.created ? 201 : 200 },
  );
}

/**
 * Streams one upload into R2 and records it: a new file, or a new version when the user
 * already has a file of that name. Type is checked from the bytes; size, quota and
 * duplicates are refused with a reason, and a refusal leaves nothing in R2 or D1.
 */
export async function uploadFile(
  stores: FileStores,
  account: Account,
  upload: { fileName: string; size: number; body: ReadableStream<Uint8Array> },
): Promise<UploadResult> {
  const fileName = upload.fileName.normalize("NFC");
  validateUploadRequest(fileName, upload.size, stores.limits);
  const reservation = await reserveUpload(stores, account, { fileName, size: upload.size });
  try {
    const { head, read, rest } = await peek(upload.body, SNIFF_BYTES);
    const detected = detectFileType(fileName, head);
    if (!detected.ok) {
      await rest.cancel();
      throw new UploadRefused(detected.reason, 415);
    }
    const { contentType } = detected;
    // Text goes into R2 compressed (ADR 0028); everything else exactly as it arrives.
    const compress = stores.compressText && isCompressible(contentType, upload.size);
    let arrived: { gzip: ArrayBuffer } | { stored: R2Object };
    try {
      arrived = await pipeSized(read, rest, upload.size, async (body) =>
        compress
          ? { gzip: await gzipAll(body) }
          : { stored: await stores.files.put(reservation.r2Key, body, { httpMetadata: { contentType } }) },
      );
    } catch {
      throw new UploadRefused(
        `“${fileName}” did not arrive whole (the connection dropped, or its size was not what the browser said). Try again.`,
        400,
      );
    }
    const object =
      "gzip" in arrived
        ? await putText(stores.files, reservation.r2Key, arrived.gzip, upload.size, contentType, (stored) =>
            contentHashOf(stores.files, stored),
          )
        : {
            contentHash: await contentHashOf(stores.files, arrived.stored),
            contentEncoding: null,
            storedSize: upload.size,
          };
    return await finishUpload(stores, account, reservation, { contentType, ...object });
  } catch (error) {
    // This attempt's own key and reservation, never anything another upload wrote.
    await stores.files.delete(reservation.r2Key);
    await releaseUpload(stores, reservation.id);
    throw error;
  }
}

/**
 * SHA-256 of a stream as it passes. Multipart parts need it (R2 gives a part no content
 * checksum), and pay for it: each chunk crosses into JavaScript.
 */
export function hashedPassThrough(read: Uint8Array, rest: ReadableStream<Uint8Array>) {
  const digest = new crypto.DigestStream("SHA-256");
  const digestWriter = digest.getWriter();
  const sha256 = digest.digest.then(toHex);
  sha256.catch(() => {}); // when the body fails the digest fails too; the caller handles that
  const hashing = new TransformStream<Uint8Array, Uint8Array>({
    async start(controller) {
      if (read.byteLength) {
        await digestWriter.write(read);
        controller.enqueue(read);
      }
    },
    async transform(chunk, controller) {
      await digestWriter.write(chunk);
      controller.enqueue(chunk);
    },
    async flush() {
      await digestWriter.close();
    },
  });
  rest.pipeTo(hashing.writable).catch(() => {});
  return { stream: hashing.readable, sha256 };
}

/**
 * How a single upload is identified for duplicate detection: R2's MD5 of what it stored,
 * read back natively only if R2 did not report one.
 */
async function contentHashOf(files: R2Bucket, stored: R2Object): Promise<string> {
  const md5 = stored.checksums.md5;
  if (md5) return `md5-${toHex(md5)}`;
  const digest = new crypto.DigestStream("MD5");
  const object = await files.get(stored.key);
  if (!object) throw new Error(`${stored.key} vanished while it was being recorded`);
  await object.body.pipeTo(digest);
  return `md5-${toHex(await digest.digest)}`;
}

/** Records an upload whose bytes are in R2 as a version, and hands it to the account's tracker. */
export async function finishUpload(
  stores: FileStores,
  account: Account,
  reservation: UploadRow,
  bytes: StoredBytes,
): Promise<UploadResult> {
  const { file, version } = await recordUpload(stores, account, reservation, bytes);
  await queueIngestion(stores, account, file, reservation.r2Key, reservation.totalSize);
  return { file, version, created: version === 1, storedSize: bytes.storedSize };
}

/**
 * Hands a stored version to the user's tracker to be made searchable. The bytes and
 * rows are already safe: if the tracker cannot be reached, the file stays "uploaded"
 * and the Library offers to process it.
 */
async function queueIngestion(stores: FileStores, account: Account, file: FileRow, r2Key: string, size: number) {
  try {
    await stores.tracker(account.id).enqueue({
      accountId: account.id,
      username: account.username,
      fileKey: file.fileKey,
      version: file.currentVersion,
      fileName: file.fileName,
      contentType: file.contentType,
      r2Key,
      fileSize: size,
    });
  } catch (error) {
    console.error(`could not queue ${file.fileKey} for processing:`, error);
  }
}

/** Retry (or first processing of a file stored before ingestion existed): queue the current version again. */
export async function reprocessFile(stores: FileStores, account: Account, fileKey: string) {
  const file = await getFile(stores.db, account.username, fileKey);
  if (!file) return null;
  const [version] = await stores.db
    .select({ r2Key: fileVersions.r2Key, fileSize: fileVersions.fileSize })
    .from(fileVersions)
    .where(and(eq(fileVersions.fileKey, fileKey), eq(fileVersions.versionNumber, file.currentVersion)));
  if (!version) return null;
  return stores.tracker(account.id).enqueue({
    accountId: account.id,
    username: account.username,
    fileKey,
    version: file.currentVersion,
    fileName: file.fileName,
    contentType: file.contentType,
    r2Key: version.r2Key,
    fileSize: version.fileSize,
  });
}

/** An upload hands its file to the tracker at once; one still "uploaded" after this was never queued. */
const NEVER_QUEUED_MS = 2 * 60_000;

/**
 * Queues files that are stored but were never handed to their tracker (it could not be
 * reached, or a migration sent them back to be indexed again): a bounded batch per run.
 */
export async function queueWaitingFiles(stores: FileStores, now = Date.now()): Promise<number> {
  const waiting = await stores.db
    .select({ fileKey: fileMetadata.fileKey, id: users.id, username: users.username })
    .from(fileMetadata)
    .innerJoin(users, eq(users.username, fileMetadata.username))
    .where(
      and(
        eq(fileMetadata.status, "uploaded"),
        lt(fileMetadata.updatedAt, now - NEVER_QUEUED_MS),
        // An account being deleted must not get its tracker back.
        notExists(stores.db.select().from(deletedAccounts).where(eq(deletedAccounts.id, users.id))),
      ),
    )
    .limit(50);
  let queued = 0;
  for (const file of waiting) {
    try {
      if (await reprocessFile(stores, { id: file.id, username: file.username }, file.fileKey)) queued++;
    } catch (error) {
      console.error(`could not queue ${file.fileKey} for processing:`, error);
    }
  }
  return queued;
}

/** The user's processing jobs, as their tracker reports them (with `timings`, where each one's time went). */
export async function listJobs(
  stores: Pick<FileStores, "tracker">,
  account: Account,
  options: { timings?: boolean } = {},
) {
  return stores.tracker(account.id).listJobs(options);
}

export async function cancelProcessing(stores: FileStores, account: Account, fileKey: string) {
  const file = await getFile(stores.db, account.username, fileKey);
  if (!file) return null;
  return stores.tracker(account.id).cancel(fileKey);
}

/** Campaigns that use a file, so deleting it can say which. */
export async function campaignsUsingFile(db: Db, username: string, fileKey: string) {
  return db
    .select({ id: campaigns.id, name: campaigns.name })
    .from(campaignResources)
    .innerJoin(campaigns, eq(campaigns.id, campaignResources.campaignId))
    .where(and(eq(campaignResources.fileKey, fileKey), eq(campaigns.username, username)));
}

/**
 * Deletes a file everywhere: its uploads in flight, every version's R2 object (the keys
 * its versions recorded, nothing else), its job, passages and vectors in the tracker,
 * then the D1 rows (cascading to versions and campaign links). D1 goes last so that a
 * failure leaves a file that can be deleted again.
 */
export async function deleteFile(stores: FileStores, account: Account, fileKey: string): Promise<boolean> {
  const { db, files } = stores;
  const file = await getFile(db, account.username, fileKey);
  if (!file) return false;
  // First, so no upload in flight can add a version (or re-create the file) afterwards.
  await cancelUploadsOf(stores, file);
  const keys = (await getFileVersions(db, file)).map((version) => version.r2Key);
  for (let i = 0; i < keys.length; i += R2_DELETE_BATCH) await files.delete(keys.slice(i, i + R2_DELETE_BATCH));
  // The tracker stops any processing and removes the passages (search stops finding them) and vectors.
  await stores.tracker(account.id).forget(account.id, fileKey);
  await db
    .delete(fileMetadata)
    .where(and(eq(fileMetadata.fileKey, fileKey), eq(fileMetadata.username, account.username)));
  return true;
}

/** R2 deletes at most 1,000 keys a call. */
const R2_DELETE_BATCH = 1_000;

/** Saves description and tags from an edit that started at `version` (see VersionConflictError). */
export async function updateFileDetails(
  db: Db,
  username: string,
  fileKey: string,
  version: number,
  details: { description: string; tags: string[] },
): Promise<FileRow | undefined> {
  const [updated] = await db
    .update(fileMetadata)
    .set({ ...details, version: sql`${fileMetadata.version} + 1`, updatedAt: Date.now() })
    .where(
      and(eq(fileMetadata.fileKey, fileKey), eq(fileMetadata.username, username), eq(fileMetadata.version, version)),
    )
    .returning();
  if (updated) return updated;
  const current = await getFile(db, username, fileKey);
  if (current) throw new VersionConflictError(current);
  return undefined;
}
