import { and, desc, eq, sql, sum } from "drizzle-orm";
import { data } from "react-router";
import { formatBytes } from "~/lib/format";
import { VersionConflictError } from "../campaigns/errors.server";
import type { Db } from "../db/db.server";
import { campaignResources, campaigns, fileMetadata, fileVersions } from "../db/schema";
import { Refusal } from "../http/responses.server";
import { detectFileType, SNIFF_BYTES } from "./detect.server";
import { FILE_KEY_PATTERN, newFileKey, objectKey, userPrefix } from "./keys.server";
import { deleteR2Prefix } from "./r2.server";

/**
 * The file library: bytes in R2 (streamed, never buffered whole), metadata and versions
 * in D1. Every function is scoped to the username it is given.
 */

/** A user's UserFileTracker Durable Object (functions/user-file-tracker.ts), as an RPC stub. */
export type Tracker = ReturnType<Env["USER_FILE_TRACKER"]["get"]>;

/** What the file library works with; built by the composition root (services.server.ts). */
export interface FileStores {
  db: Db;
  files: R2Bucket;
  tracker: (username: string) => Tracker;
  limits: UploadLimits;
}

export interface UploadLimits {
  maxFileBytes: number;
  maxUserBytes: number;
}

/** A refusal the person can act on; nothing was left behind in R2 or D1. */
export class UploadRefused extends Refusal {
  override name = "UploadRefused";
}

export type FileRow = typeof fileMetadata.$inferSelect;
export type FileVersionRow = typeof fileVersions.$inferSelect;

const MAX_NAME_LENGTH = 255;

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

export function validateUploadRequest(fileName: string, size: number, limits: UploadLimits): void {
  if (!fileName.trim() || fileName.length > MAX_NAME_LENGTH || /\p{Cc}/u.test(fileName)) {
    throw new UploadRefused(`A file name must be 1–${MAX_NAME_LENGTH} characters without control characters.`, 400);
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

export async function assertQuota(db: Db, username: string, size: number, limits: UploadLimits): Promise<void> {
  const used = await storageUsed(db, username);
  if (used + size > limits.maxUserBytes) {
    throw new UploadRefused(
      `This upload (${formatBytes(size)}) would take you past your ${formatBytes(limits.maxUserBytes)} of storage (${formatBytes(used)} used). Delete files or old versions you no longer need, then try again.`,
      413,
    );
  }
}

/** Reads the first bytes of a stream without losing them: returns them and a stream of everything. */
export async function peek(body: ReadableStream<Uint8Array>, bytes: number) {
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let length = 0;
  let done = false;
  while (length < bytes && !done) {
    const next = await reader.read();
    if (next.done) done = true;
    else {
      chunks.push(next.value);
      length += next.value.byteLength;
    }
  }
  const head = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    head.set(chunk, offset);
    offset += chunk.byteLength;
  }
  const whole = new ReadableStream<Uint8Array>({
    start(controller) {
      if (head.byteLength) controller.enqueue(head);
      if (done) controller.close();
    },
    async pull(controller) {
      const next = await reader.read();
      if (next.done) controller.close();
      else controller.enqueue(next.value);
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
  return { head: head.subarray(0, Math.min(bytes, head.byteLength)), whole, cancel: () => reader.cancel() };
}

// workerd globals that the DOM typings used by this project do not describe.
declare const FixedLengthStream: new (length: number) => TransformStream<Uint8Array, Uint8Array>;
declare namespace crypto {
  class DigestStream extends WritableStream<Uint8Array> {
    constructor(algorithm: string);
    readonly digest: Promise<ArrayBuffer>;
  }
}

export const toHex = (buffer: ArrayBuffer) =>
  [...new Uint8Array(buffer)].map((b) => b.toString(16).padStart(2, "0")).join("");

export interface UploadResult {
  file: FileRow;
  version: number;
  created: boolean;
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
  username: string,
  upload: { fileName: string; size: number; body: ReadableStream<Uint8Array> },
): Promise<UploadResult> {
  const { db, files, limits } = stores;
  const fileName = upload.fileName.normalize("NFC");
  validateUploadRequest(fileName, upload.size, limits);
  await assertQuota(db, username, upload.size, limits);

  const { head, whole, cancel } = await peek(upload.body, SNIFF_BYTES);
  const detected = detectFileType(fileName, head);
  if (!detected.ok) {
    await cancel();
    throw new UploadRefused(detected.reason, 415);
  }

  const target = await prepareTarget(db, username, fileName);

  // Bytes go to R2 and through SHA-256 in one pass; FixedLengthStream makes R2 refuse a
  // body that is shorter or longer than announced.
  const { stream, sha256 } = hashedFixedLength(whole, upload.size);
  try {
    await files.put(target.r2Key, stream, { httpMetadata: { contentType: detected.contentType } });
  } catch {
    await files.delete(target.r2Key);
    throw new UploadRefused(
      `“${fileName}” did not arrive whole (the connection dropped, or its size was not what the browser said). Try again.`,
      400,
    );
  }
  return finishUpload(stores, username, {
    ...target,
    fileName,
    size: upload.size,
    contentType: detected.contentType,
    sha256: await sha256,
  });
}

export interface UploadTarget {
  existing: FileRow | undefined;
  fileKey: string;
  version: number;
  r2Key: string;
}

/** Where an upload of `fileName` goes: a new version of the same-named file, or a new file. */
export async function prepareTarget(db: Db, username: string, fileName: string): Promise<UploadTarget> {
  const existing = await db.query.fileMetadata.findFirst({
    where: and(eq(fileMetadata.username, username), eq(fileMetadata.fileName, fileName)),
  });
  const fileKey = existing?.fileKey ?? newFileKey();
  const version = existing ? existing.currentVersion + 1 : 1;
  return { existing, fileKey, version, r2Key: objectKey(username, fileKey, version, fileName) };
}

/** Passes a body through unchanged while hashing it; R2 sees a stream of known length. */
export function hashedFixedLength(body: ReadableStream<Uint8Array>, size: number) {
  const digest = new crypto.DigestStream("SHA-256");
  const digestWriter = digest.getWriter();
  const sha256 = digest.digest.then(toHex);
  sha256.catch(() => {}); // when the body fails the digest fails too; the caller handles that
  const fixed = new FixedLengthStream(size);
  const hashing = new TransformStream<Uint8Array, Uint8Array>({
    async transform(chunk, controller) {
      await digestWriter.write(chunk);
      controller.enqueue(chunk);
    },
    async flush() {
      await digestWriter.close();
    },
  });
  body
    .pipeThrough(hashing)
    .pipeTo(fixed.writable)
    .catch(() => {});
  return { stream: fixed.readable, sha256 };
}

/**
 * Records stored bytes as a version (refusing exact duplicates) and hands the file to
 * the user's tracker. On any refusal or failure the object is deleted: no orphans.
 */
export async function finishUpload(
  stores: FileStores,
  username: string,
  v: UploadTarget & { fileName: string; size: number; contentType: string; sha256: string },
): Promise<UploadResult> {
  try {
    const duplicate = await findBySha(stores.db, username, v.sha256);
    if (duplicate) {
      throw new UploadRefused(
        `You already have exactly this file: “${duplicate.fileName}” (version ${duplicate.versionNumber}). Nothing new was stored.`,
        409,
      );
    }
    const file = await recordVersion(stores.db, username, v);
    await queueIngestion(stores, username, file, v.r2Key, v.size);
    return { file, version: v.version, created: !v.existing };
  } catch (error) {
    await stores.files.delete(v.r2Key);
    if (error instanceof UploadRefused) throw error;
    if (String(error).includes("UNIQUE constraint failed")) {
      throw new UploadRefused(`Another upload of “${v.fileName}” finished at the same moment. Try again.`, 409);
    }
    throw error;
  }
}

async function findBySha(db: Db, username: string, sha256: string) {
  const [row] = await db
    .select({ fileName: fileMetadata.fileName, versionNumber: fileVersions.versionNumber })
    .from(fileVersions)
    .innerJoin(fileMetadata, eq(fileMetadata.fileKey, fileVersions.fileKey))
    .where(and(eq(fileMetadata.username, username), eq(fileVersions.sha256, sha256)))
    .limit(1);
  return row;
}

async function recordVersion(
  db: Db,
  username: string,
  v: {
    existing: FileRow | undefined;
    fileKey: string;
    fileName: string;
    version: number;
    r2Key: string;
    size: number;
    contentType: string;
    sha256: string;
  },
): Promise<FileRow> {
  const now = Date.now();
  const versionRow = db.insert(fileVersions).values({
    fileKey: v.fileKey,
    versionNumber: v.version,
    r2Key: v.r2Key,
    fileSize: v.size,
    contentType: v.contentType,
    sha256: v.sha256,
    status: "uploaded",
    createdAt: now,
    updatedAt: now,
  });
  const current = {
    fileSize: v.size,
    contentType: v.contentType,
    sha256: v.sha256,
    status: "uploaded" as const,
    currentVersion: v.version,
    pageCount: null,
    error: null,
    updatedAt: now,
  };
  if (v.existing) {
    // The version check makes two racing uploads of the same name fail one of them.
    const [[file]] = await db.batch([
      db
        .update(fileMetadata)
        .set({ ...current, version: sql`${fileMetadata.version} + 1` })
        .where(and(eq(fileMetadata.fileKey, v.fileKey), eq(fileMetadata.currentVersion, v.existing.currentVersion)))
        .returning(),
      versionRow,
    ]);
    if (!file)
      throw new UploadRefused(`Another upload of “${v.fileName}” finished at the same moment. Try again.`, 409);
    return file;
  }
  const [[file]] = await db.batch([
    db
      .insert(fileMetadata)
      .values({ fileKey: v.fileKey, username, fileName: v.fileName, ...current, createdAt: now })
      .returning(),
    versionRow,
  ]);
  if (!file) throw new Error("file insert returned nothing");
  return file;
}

/**
 * Hands a stored version to the user's tracker to be made searchable. The bytes and
 * rows are already safe: if the tracker cannot be reached, the file stays "uploaded"
 * and the Library offers to process it.
 */
async function queueIngestion(stores: FileStores, username: string, file: FileRow, r2Key: string, size: number) {
  try {
    await stores.tracker(username).enqueue({
      username,
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
export async function reprocessFile(stores: FileStores, username: string, fileKey: string) {
  const file = await getFile(stores.db, username, fileKey);
  if (!file) return null;
  const [version] = await stores.db
    .select({ r2Key: fileVersions.r2Key, fileSize: fileVersions.fileSize })
    .from(fileVersions)
    .where(and(eq(fileVersions.fileKey, fileKey), eq(fileVersions.versionNumber, file.currentVersion)));
  if (!version) return null;
  return stores.tracker(username).enqueue({
    username,
    fileKey,
    version: file.currentVersion,
    fileName: file.fileName,
    contentType: file.contentType,
    r2Key: version.r2Key,
    fileSize: version.fileSize,
  });
}

/** The user's processing jobs, as their tracker reports them. */
export async function listJobs(stores: Pick<FileStores, "tracker">, username: string) {
  return stores.tracker(username).listJobs();
}

export async function cancelProcessing(stores: FileStores, username: string, fileKey: string) {
  const file = await getFile(stores.db, username, fileKey);
  if (!file) return null;
  return stores.tracker(username).cancel(fileKey);
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
 * Deletes a file everywhere: every version's R2 object, its vectors, then the D1 rows
 * (cascading to versions, chunks with their FTS rows, and campaign links) and the job.
 * R2 goes first so that a failure leaves a file that can be deleted again.
 */
export async function deleteFile(stores: FileStores, username: string, fileKey: string): Promise<boolean> {
  const { db, files } = stores;
  const file = await getFile(db, username, fileKey);
  if (!file) return false;
  // Every version (and any unfinished multipart object) lives under the file's prefix.
  await deleteR2Prefix(files, `${userPrefix(username)}${fileKey}/`);
  // The tracker stops any processing and removes the vectors while the chunk ids are known.
  await stores.tracker(username).forget(username, fileKey);
  await db.delete(fileMetadata).where(and(eq(fileMetadata.fileKey, fileKey), eq(fileMetadata.username, username)));
  return true;
}

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
