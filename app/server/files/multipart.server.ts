import { eq, sql } from "drizzle-orm";
import { PART_SIZE } from "~/lib/file-kinds";
import { fileUploads } from "../db/schema";
import { detectFileType, SNIFF_BYTES } from "./detect.server";
import { finishUpload, hashedPassThrough, peek, pipeSized, toHex, type UploadResult } from "./files.server";
import { type Account, type FileStores, UploadRefused } from "./library.server";
import {
  discardUploadObject,
  getUpload,
  releaseUpload,
  reserveUpload,
  type UploadRow,
  uploadKey,
  validateUploadRequest,
} from "./uploads.server";

/**
 * Resumable uploads for large files, as R2 multipart uploads: the browser sends fixed-size
 * parts, each streamed straight into R2; D1 remembers which parts R2 confirmed, so an
 * interrupted upload resumes from the last finished part. Each part stays far below the
 * 100 MB a single request may carry. The upload's reservation (uploads.server.ts) holds
 * its bytes against the quota from the start, and completion checks it again.
 */

export interface UploadState {
  uploadId: string;
  fileName: string;
  size: number;
  partSize: number;
  partCount: number;
  partsDone: number[];
}

function stateOf(row: UploadRow): UploadState {
  return {
    uploadId: row.id,
    fileName: row.fileName,
    size: row.totalSize,
    partSize: row.partSize,
    partCount: Math.ceil(row.totalSize / row.partSize),
    partsDone: row.parts.map((p) => p.partNumber).sort((a, b) => a - b),
  };
}

/** The caller's multipart upload in flight; anyone else's (or a finished one) is a 404. */
async function requireUpload(
  stores: FileStores,
  account: Account,
  uploadId: string,
): Promise<UploadRow & { r2UploadId: string }> {
  const row = await getUpload(stores, account, uploadId);
  if (!row?.r2UploadId) {
    throw new UploadRefused("There is no such upload in progress (it may have finished or been cancelled).", 404);
  }
  return { ...row, r2UploadId: row.r2UploadId };
}

export async function startMultipartUpload(
  stores: FileStores,
  account: Account,
  request: { fileName: string; size: number },
): Promise<UploadState> {
  const fileName = request.fileName.normalize("NFC");
  validateUploadRequest(fileName, request.size, stores.limits);
  const uploadId = crypto.randomUUID();
  const r2Key = uploadKey(account, uploadId, fileName);
  const multipart = await stores.files.createMultipartUpload(r2Key);
  try {
    const row = await reserveUpload(stores, account, {
      fileName,
      size: request.size,
      r2Key,
      r2UploadId: multipart.uploadId,
      partSize: PART_SIZE,
    });
    return stateOf(row);
  } catch (error) {
    await multipart.abort();
    throw error;
  }
}

export async function getUploadState(stores: FileStores, account: Account, uploadId: string): Promise<UploadState> {
  return stateOf(await requireUpload(stores, account, uploadId));
}

/**
 * Streams one part into R2. The first part's bytes decide the file type; a refused type
 * cancels the whole upload. Parts may arrive again (a retry): the latest one wins.
 */
export async function uploadPart(
  stores: FileStores,
  account: Account,
  uploadId: string,
  partNumber: number,
  part: { size: number; body: ReadableStream<Uint8Array> },
): Promise<UploadState> {
  const row = await requireUpload(stores, account, uploadId);
  const state = stateOf(row);
  if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > state.partCount) {
    throw new UploadRefused(`Part ${partNumber} is not part of this upload (1–${state.partCount}).`, 400);
  }
  const expected = partNumber < state.partCount ? row.partSize : row.totalSize - row.partSize * (state.partCount - 1);
  if (part.size !== expected) {
    throw new UploadRefused(`Part ${partNumber} should be ${expected} bytes, not ${part.size}.`, 400);
  }
  const { head, read, rest } = await peek(part.body, SNIFF_BYTES);
  if (partNumber === 1) {
    const detected = detectFileType(row.fileName, head);
    if (!detected.ok) {
      await rest.cancel();
      await abortMultipartUpload(stores, account, uploadId);
      throw new UploadRefused(detected.reason, 415);
    }
  }
  const { stream, sha256 } = hashedPassThrough(read, rest);
  const multipart = stores.files.resumeMultipartUpload(row.r2Key, row.r2UploadId);
  let uploaded: R2UploadedPart;
  try {
    uploaded = await pipeSized(new Uint8Array(0), stream, part.size, (body) => multipart.uploadPart(partNumber, body));
  } catch {
    throw new UploadRefused(`Part ${partNumber} did not arrive whole. It will be sent again when you resume.`, 400);
  }
  const entry = JSON.stringify({ partNumber, etag: uploaded.etag, sha256: await sha256 });
  // One atomic statement, so parts finishing at the same time never lose each other.
  const [updated] = await stores.db
    .update(fileUploads)
    .set({
      parts: sql`json_insert(
        (SELECT coalesce(json_group_array(json(value)), '[]') FROM json_each(${fileUploads.parts})
          WHERE json_extract(value, '$.partNumber') != ${partNumber}),
        '$[#]', json(${entry}))`,
      updatedAt: Date.now(),
    })
    .where(eq(fileUploads.id, uploadId))
    .returning();
  if (!updated) throw new UploadRefused("This upload was cancelled.", 404);
  return stateOf(updated);
}

export async function completeMultipartUpload(
  stores: FileStores,
  account: Account,
  uploadId: string,
): Promise<UploadResult> {
  const row = await requireUpload(stores, account, uploadId);
  const state = stateOf(row);
  const missing = Array.from({ length: state.partCount }, (_, i) => i + 1).filter((n) => !state.partsDone.includes(n));
  if (missing.length) {
    throw new UploadRefused(`Parts ${missing.join(", ")} have not arrived yet; resume the upload to send them.`, 409);
  }
  const parts = [...row.parts].sort((a, b) => a.partNumber - b.partNumber);
  const multipart = stores.files.resumeMultipartUpload(row.r2Key, row.r2UploadId);
  await multipart.complete(parts.map(({ partNumber, etag }) => ({ partNumber, etag })));
  try {
    const head = await stores.files.get(row.r2Key, { range: { offset: 0, length: SNIFF_BYTES } });
    const detected = detectFileType(row.fileName, new Uint8Array((await head?.arrayBuffer()) ?? new ArrayBuffer(0)));
    if (!detected.ok) throw new UploadRefused(detected.reason, 415);
    // A content hash over the parts' SHA-256s: identical files (same size, so same parts)
    // hash identically, which is what duplicate detection needs.
    const joined = new TextEncoder().encode(parts.map((p) => p.sha256 ?? p.etag).join(""));
    const treeHash = `parts-${toHex(await crypto.subtle.digest("SHA-256", joined))}`;
    // Stored as sent: parts are compressed by nobody (ADR 0028).
    return await finishUpload(stores, account, row, {
      contentType: detected.contentType,
      contentHash: treeHash,
      contentEncoding: null,
      storedSize: row.totalSize,
    });
  } catch (error) {
    // The completed object is this upload's own; nothing else is touched.
    await stores.files.delete(row.r2Key);
    await releaseUpload(stores, row.id);
    throw error;
  }
}

/** Cancel: R2 drops the parts, D1 forgets the upload. Nothing remains. */
export async function abortMultipartUpload(stores: FileStores, account: Account, uploadId: string): Promise<void> {
  const row = await requireUpload(stores, account, uploadId);
  await releaseUpload(stores, row.id);
  await discardUploadObject(stores, row);
}
