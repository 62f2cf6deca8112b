import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { PART_SIZE } from "~/lib/file-kinds";
import { fileUploads } from "~/server/db/schema";
import { deleteFile, getFile, getFileVersions } from "~/server/files/files.server";
import { userPrefix } from "~/server/files/keys.server";
import type { Account, FileStores } from "~/server/files/library.server";
import {
  abortMultipartUpload,
  completeMultipartUpload,
  getUploadState,
  startMultipartUpload,
  uploadPart,
} from "~/server/files/multipart.server";
import {
  MULTIPART_UPLOAD_STALE_MS,
  reserveUpload,
  SINGLE_UPLOAD_STALE_MS,
  sweepStaleUploads,
} from "~/server/files/uploads.server";
import { db, fileStores, newUser } from "./helpers";

const stores: FileStores = fileStores({ maxFileBytes: 200 * 1024 * 1024, maxUserBytes: 1024 * 1024 * 1024 });

/** A PDF-looking file of `size` bytes with varied content. */
function bigPdf(size: number, seed = 1): Uint8Array {
  const bytes = new Uint8Array(size);
  let x = seed;
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    bytes[i] = 32 + (x % 90);
  }
  bytes.set(new TextEncoder().encode("%PDF-1.7\n"), 0);
  return bytes;
}

const part = (bytes: Uint8Array, n: number) => {
  const slice = bytes.slice((n - 1) * PART_SIZE, n * PART_SIZE);
  return { size: slice.length, body: new Blob([slice]).stream() };
};
const objects = async (account: Account) => (await env.FILES.list({ prefix: userPrefix(account.id) })).objects;

describe("resumable multipart uploads", () => {
  it("resumes from the parts already sent, in any order, and assembles the exact bytes", async () => {
    const gm = await newUser();
    const bytes = bigPdf(PART_SIZE * 2 + 12_345);
    const started = await startMultipartUpload(stores, gm, {
      fileName: "Big Rulebook.pdf",
      size: bytes.length,
    });
    expect(started).toMatchObject({ partCount: 3, partsDone: [] });

    await uploadPart(stores, gm, started.uploadId, 3, part(bytes, 3));
    await uploadPart(stores, gm, started.uploadId, 1, part(bytes, 1));
    // The connection drops here; later the browser asks what R2 already has.
    const resumed = await getUploadState(stores, gm, started.uploadId);
    expect(resumed.partsDone).toEqual([1, 3]);
    await expect(completeMultipartUpload(stores, gm, started.uploadId)).rejects.toMatchObject({ status: 409 });
    // A part sent twice (a retry) is fine.
    await uploadPart(stores, gm, started.uploadId, 1, part(bytes, 1));
    await uploadPart(stores, gm, started.uploadId, 2, part(bytes, 2));

    const result = await completeMultipartUpload(stores, gm, started.uploadId);
    expect(result).toMatchObject({ version: 1, created: true });
    expect(await getFile(db, gm.username, result.file.fileKey)).toMatchObject({
      fileSize: bytes.length,
      contentType: "application/pdf",
    });
    const [version] = await getFileVersions(db, result.file);
    expect(version?.r2Key).toMatch(/\/big-rulebook\.pdf$/);
    const stored = await env.FILES.get(version?.r2Key ?? "");
    const back = new Uint8Array((await stored?.arrayBuffer()) ?? new ArrayBuffer(0));
    expect(back.length).toBe(bytes.length);
    expect(back.slice(-100)).toEqual(bytes.slice(-100));
    expect(back.slice(PART_SIZE - 50, PART_SIZE + 50)).toEqual(bytes.slice(PART_SIZE - 50, PART_SIZE + 50));
    await expect(getUploadState(stores, gm, started.uploadId)).rejects.toMatchObject({ status: 404 });

    // The same bytes again are recognised as a duplicate, and leave nothing behind.
    const again = await startMultipartUpload(stores, gm, { fileName: "Copy.pdf", size: bytes.length });
    for (const n of [1, 2, 3]) await uploadPart(stores, gm, again.uploadId, n, part(bytes, n));
    await expect(completeMultipartUpload(stores, gm, again.uploadId)).rejects.toMatchObject({ status: 409 });
    expect(await objects(gm)).toHaveLength(1);
  });

  it("refuses a disguised first part and cancels the whole upload", async () => {
    const gm = await newUser();
    const bytes = bigPdf(PART_SIZE + 10);
    bytes.set([0x7f, 0x45, 0x4c, 0x46, 0, 0, 0, 0], 0);
    const started = await startMultipartUpload(stores, gm, { fileName: "innocent.pdf", size: bytes.length });
    await expect(uploadPart(stores, gm, started.uploadId, 1, part(bytes, 1))).rejects.toMatchObject({
      status: 415,
    });
    await expect(getUploadState(stores, gm, started.uploadId)).rejects.toMatchObject({ status: 404 });
    expect(await objects(gm)).toEqual([]);
  });

  it("refuses parts of the wrong size or number, and other users' uploads", async () => {
    const gm = await newUser();
    const other = await newUser();
    const bytes = bigPdf(PART_SIZE + 10);
    const started = await startMultipartUpload(stores, gm, { fileName: "a.pdf", size: bytes.length });
    const short = { size: 100, body: new Blob([bytes.slice(0, 100)]).stream() };
    await expect(uploadPart(stores, gm, started.uploadId, 1, short)).rejects.toMatchObject({ status: 400 });
    await expect(uploadPart(stores, gm, started.uploadId, 3, part(bytes, 2))).rejects.toMatchObject({
      status: 400,
    });
    await expect(getUploadState(stores, other, started.uploadId)).rejects.toMatchObject({ status: 404 });
    await expect(uploadPart(stores, other, started.uploadId, 1, part(bytes, 1))).rejects.toMatchObject({
      status: 404,
    });
  });

  it("cancels: R2 drops the parts and nothing is left", async () => {
    const gm = await newUser();
    const bytes = bigPdf(PART_SIZE + 10);
    const started = await startMultipartUpload(stores, gm, { fileName: "cancel me.pdf", size: bytes.length });
    await uploadPart(stores, gm, started.uploadId, 1, part(bytes, 1));
    await abortMultipartUpload(stores, gm, started.uploadId);
    await expect(getUploadState(stores, gm, started.uploadId)).rejects.toMatchObject({ status: 404 });
    expect(await objects(gm)).toEqual([]);
  });

  it("is cancelled when its file is deleted, and cannot re-create the file by completing", async () => {
    const gm = await newUser();
    const first = await startMultipartUpload(stores, gm, {
      fileName: "Atlas.pdf",
      size: bigPdf(PART_SIZE + 10).length,
    });
    const bytes = bigPdf(PART_SIZE + 10);
    for (const n of [1, 2]) await uploadPart(stores, gm, first.uploadId, n, part(bytes, n));
    const stored = await completeMultipartUpload(stores, gm, first.uploadId);
    // A new version starts, then the file is deleted while its parts are on their way.
    const second = await startMultipartUpload(stores, gm, { fileName: "Atlas.pdf", size: bytes.length + 1 });
    await uploadPart(stores, gm, second.uploadId, 1, part(bigPdf(PART_SIZE + 11), 1));
    expect(await deleteFile(stores, gm, stored.file.fileKey)).toBe(true);
    await expect(uploadPart(stores, gm, second.uploadId, 2, part(bigPdf(PART_SIZE + 11), 2))).rejects.toMatchObject({
      status: 404,
    });
    await expect(completeMultipartUpload(stores, gm, second.uploadId)).rejects.toMatchObject({ status: 404 });
    expect(
      await db.query.fileMetadata.findFirst({ where: (f, { eq }) => eq(f.username, gm.username) }),
    ).toBeUndefined();
    expect(await objects(gm)).toEqual([]);
  });

  it("the sweep removes uploads gone stale with their own bytes, and leaves stored files and live uploads alone", async () => {
    const gm = await newUser();
    const now = Date.now();
    const backdate = (id: string, age: number) =>
      db
        .update(fileUploads)
        .set({ updatedAt: now - age })
        .where(eq(fileUploads.id, id));
    const bytes = bigPdf(PART_SIZE + 10);
    const stored = await startMultipartUpload(stores, gm, { fileName: "Kept.pdf", size: bytes.length });
    for (const n of [1, 2]) await uploadPart(stores, gm, stored.uploadId, n, part(bytes, n));
    const kept = await completeMultipartUpload(stores, gm, stored.uploadId);
    // A resumable upload abandoned two days ago, one paused an hour ago (still resumable).
    const abandoned = await startMultipartUpload(stores, gm, { fileName: "Abandoned.pdf", size: bytes.length + 1 });
    await uploadPart(stores, gm, abandoned.uploadId, 1, part(bigPdf(PART_SIZE + 11), 1));
    await backdate(abandoned.uploadId, MULTIPART_UPLOAD_STALE_MS + 86_400_000);
    const paused = await startMultipartUpload(stores, gm, { fileName: "Paused.pdf", size: bytes.length + 2 });
    await uploadPart(stores, gm, paused.uploadId, 1, part(bigPdf(PART_SIZE + 12, 3), 1));
    await backdate(paused.uploadId, 60 * 60_000);
    // A single upload whose bytes reached R2 but whose server died before recording them.
    const interrupted = await reserveUpload(stores, gm, { fileName: "Interrupted.md", size: 5 });
    await env.FILES.put(interrupted.r2Key, "# Lost");
    await backdate(interrupted.id, SINGLE_UPLOAD_STALE_MS + 1);
    const abandonedRow = await db.query.fileUploads.findFirst({ where: eq(fileUploads.id, abandoned.uploadId) });

    expect(await sweepStaleUploads(stores, now)).toBeGreaterThanOrEqual(2);

    const left = await db.query.fileUploads.findMany({ where: eq(fileUploads.username, gm.username) });
    expect(left.map((row) => row.id)).toEqual([paused.uploadId]);
    // The abandoned multipart upload is aborted in R2; the interrupted upload's object is gone.
    const r2Upload = env.FILES.resumeMultipartUpload(abandonedRow?.r2Key ?? "", abandonedRow?.r2UploadId ?? "");
    await expect(r2Upload.uploadPart(2, new Uint8Array(10))).rejects.toThrow();
    const versions = await getFileVersions(db, kept.file);
    expect((await objects(gm)).map((o) => o.key)).toEqual(versions.map((v) => v.r2Key));
    // The paused upload resumes and finishes.
    await uploadPart(stores, gm, paused.uploadId, 2, part(bigPdf(PART_SIZE + 12, 3), 2));
    expect(await completeMultipartUpload(stores, gm, paused.uploadId)).toMatchObject({ version: 1, created: true });
  });
});
