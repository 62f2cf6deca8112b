import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { streamFile } from "~/server/files/download.server";
import { getFileVersions, storageUsed, uploadFile } from "~/server/files/files.server";
import { userPrefix } from "~/server/files/keys.server";
import { type Account, type FileRow, type FileStores, UploadRefused } from "~/server/files/library.server";
import combat from "../../shared/corpus/srd5/07-combat.md?raw";
import { chunkedStream, fileStores, newUser, sessionCookieFor, trackerOf } from "./helpers";
import { chunksOf } from "./ingest-helpers";
import { callRoute, routeAt } from "./route-walk";

/** Text files stored compressed (ADR 0028): everything a reader sees is the uploaded bytes. */

const MB = 1024 * 1024;
const limits = { maxFileBytes: 20 * MB, maxUserBytes: 50 * MB };
const compressing = (): FileStores => ({ ...fileStores(limits), compressText: true });
const plain = (): FileStores => ({ ...fileStores(limits), compressText: false });

const encoder = new TextEncoder();
/** A real SRD chapter (read from ../shared/corpus, never copied): 42 KB of Markdown. */
const chapter = encoder.encode(combat);

const streamOf = (bytes: Uint8Array, chunk = 4096) => chunkedStream(bytes, chunk);

const upload = (account: Account, fileName: string, bytes: Uint8Array, stores = compressing(), size = bytes.length) =>
  uploadFile(stores, account, { fileName, size, body: streamOf(bytes) });

async function currentVersion(file: FileRow) {
  const [version] = await getFileVersions(fileStores().db, file);
  if (!version) throw new Error("no version");
  return version;
}

const bytesOf = async (body: ReadableStream<Uint8Array> | Response | null | undefined) =>
  new Uint8Array(await new Response(body instanceof Response ? body.body : body).arrayBuffer());

const objectsOf = async (account: Account) =>
  (await env.FILES.list({ prefix: userPrefix(account.id) })).objects.map((o) => o.key);

/** GET of a stored version through the download module, as both download routes call it. */
async function download(file: FileRow, headers: Record<string, string> = {}) {
  const version = await currentVersion(file);
  return streamFile(env.FILES, new Request("http://localhost/x", { headers }), file, version, { download: false });
}

describe("text files stored compressed", () => {
  it("stores a Markdown upload as gzip, smaller, and records both sizes; the quota counts what was uploaded", async () => {
    const gm = await newUser();
    const result = await upload(gm, "Combat.md", chapter);
    const version = await currentVersion(result.file);
    expect(version).toMatchObject({ fileSize: chapter.length, contentEncoding: "gzip" });
    expect(version.storedSize).toBeLessThan(chapter.length / 2);
    expect(result.storedSize).toBe(version.storedSize);

    const object = await env.FILES.get(version.r2Key);
    if (!object) throw new Error("no object");
    expect(object.size).toBe(version.storedSize);
    const stored = await bytesOf(object.body);
    // The gzip magic number, and it decompresses to exactly the uploaded bytes.
    expect([...stored.subarray(0, 2)]).toEqual([0x1f, 0x8b]);
    expect(await bytesOf(new Response(stored).body?.pipeThrough(new DecompressionStream("gzip")))).toEqual(chapter);
    // Identified by the MD5 of the uploaded bytes, not of the stored ones.
    const md5 = [...new Uint8Array(await crypto.subtle.digest("MD5", chapter))]
      .map((b) => b.toString(16).padStart(2, "0"))
      .join("");
    expect(version.contentHash).toBe(`md5-${md5}`);
    expect(await storageUsed(fileStores().db, gm.username)).toBe(chapter.length);
  });

  it("stores as uploaded what gzip would not shrink, a PDF, and every text file when compression is off", async () => {
    const gm = await newUser();
    const tiny = encoder.encode("# Hi");
    const pdf = encoder.encode(`%PDF-1.7\n${"stream of page text\n".repeat(500)}%%EOF\n`);
    const cases = [
      { name: "tiny.md", bytes: tiny, stores: compressing() },
      { name: "book.pdf", bytes: pdf, stores: compressing() },
      { name: "combat.md", bytes: chapter, stores: plain() },
    ];
    for (const { name, bytes, stores } of cases) {
      const { file, storedSize } = await upload(gm, name, bytes, stores);
      const version = await currentVersion(file);
      expect(version, name).toMatchObject({ contentEncoding: null, storedSize: bytes.length, fileSize: bytes.length });
      expect(storedSize, name).toBe(bytes.length);
      const object = await env.FILES.get(version.r2Key);
      expect(await bytesOf(object?.body), name).toEqual(bytes);
      expect((await download(file)).headers.get("Content-Length"), name).toBe(String(bytes.length));
    }
  });

  it("refuses a compressed upload shorter or longer than announced, leaving nothing behind", async () => {
    const gm = await newUser();
    for (const size of [chapter.length + 1000, chapter.length - 1000]) {
      const error = await upload(gm, "cut.md", chapter, compressing(), size).catch((e) => e);
      expect(error, String(size)).toBeInstanceOf(UploadRefused);
      expect(error.message).toMatch(/did not arrive whole/);
    }
    expect(await objectsOf(gm)).toEqual([]);
    expect(await storageUsed(fileStores().db, gm.username)).toBe(0);
  });

  it("refuses the same bytes again as a duplicate, whether stored compressed or not", async () => {
    const gm = await newUser();
    await upload(gm, "Combat.md", chapter);
    for (const stores of [compressing(), plain()]) {
      const error = await upload(gm, "Combat copy.md", chapter, stores).catch((e) => e);
      expect(error).toBeInstanceOf(UploadRefused);
      expect(error).toMatchObject({ status: 409, message: expect.stringMatching(/already have exactly this file/) });
    }
    // And the other way round: a copy stored as uploaded is found by a compressed upload.
    const other = await newUser();
    await upload(other, "Combat.md", chapter, plain());
    await expect(upload(other, "Again.md", chapter)).rejects.toMatchObject({ status: 409 });
    expect(await objectsOf(gm)).toHaveLength(1);
    expect(await objectsOf(other)).toHaveLength(1);
  });
});

describe("downloads of a compressed file", () => {
  it("serve the uploaded bytes and ranges exactly as the same file stored uncompressed", async () => {
    const gm = await newUser();
    const other = await newUser();
    const { file: packed } = await upload(gm, "Combat.md", chapter, compressing());
    const { file: asIs } = await upload(other, "Combat.md", chapter, plain());
    expect((await currentVersion(packed)).contentEncoding).toBe("gzip");
    expect((await currentVersion(asIs)).contentEncoding).toBeNull();
    const n = chapter.length;
    const cases: [string | null, number, Uint8Array | null][] = [
      [null, 200, chapter],
      ["bytes=0-99", 206, chapter.slice(0, 100)],
      ["bytes=20000-29999", 206, chapter.slice(20000, 30000)],
      [`bytes=${n - 1}-`, 206, chapter.slice(n - 1)],
      ["bytes=-500", 206, chapter.slice(n - 500)],
      [`bytes=${n - 10}-${n + 5000}`, 206, chapter.slice(n - 10)],
      [`bytes=${n + 10}-`, 416, null],
      [`bytes=${n}-`, 416, null],
    ];
    for (const [range, status, expected] of cases) {
      const headers: Record<string, string> = range ? { Range: range } : {};
      const [a, b] = [await download(packed, headers), await download(asIs, headers)];
      const label = range ?? "whole";
      expect(a.status, label).toBe(status);
      for (const name of ["Content-Length", "Content-Range", "Content-Type", "Accept-Ranges", "ETag"]) {
        expect(a.headers.get(name), `${label} ${name}`).toBe(b.headers.get(name));
      }
      const [bodyA, bodyB] = [await bytesOf(a), await bytesOf(b)];
      expect(bodyA, label).toEqual(bodyB);
      if (expected) {
        expect(bodyA, label).toEqual(expected);
        expect(a.headers.get("Content-Length"), label).toBe(String(expected.length));
      }
    }
    expect((await download(packed, { Range: "bytes=20000-29999" })).headers.get("Content-Range")).toBe(
      `bytes 20000-29999/${n}`,
    );
    expect((await download(packed, { Range: `bytes=${n + 10}-` })).headers.get("Content-Range")).toBe(`bytes */${n}`);
  });

  it("answers If-None-Match with 304 from D1 alone, with private caching headers", async () => {
    const gm = await newUser();
    const { file } = await upload(gm, "Combat.md", chapter);
    const whole = await download(file);
    const etag = whole.headers.get("ETag") ?? "";
    // Strong, and named after the uploaded bytes' hash (the same for the file stored uncompressed).
    expect(etag).toBe(`"${(await currentVersion(file)).contentHash}"`);
    expect(whole.headers.get("Cache-Control")).toBe("private, max-age=0, must-revalidate");
    expect(whole.headers.get("Vary")).toBe("Cookie");
    expect(whole.headers.get("Last-Modified")).toBeTruthy();

    expect((await download(file, { "If-None-Match": etag })).status).toBe(304);
    expect((await download(file, { "If-None-Match": `"other", ${etag}` })).status).toBe(304);
    expect((await download(file, { "If-None-Match": '"md5-0123"' })).status).toBe(200);
    // A Range with an If-Range that names another version: the whole file, not a slice of the wrong one.
    const stale = await download(file, { Range: "bytes=0-9", "If-Range": '"md5-0123"' });
    expect(stale.status).toBe(200);
    expect(await bytesOf(stale)).toEqual(chapter);
    const fresh = await download(file, { Range: "bytes=0-9", "If-Range": etag });
    expect(fresh.status).toBe(206);
    expect(await bytesOf(fresh)).toEqual(chapter.slice(0, 10));
    expect((await download(file, { "If-Match": '"md5-0123"' })).status).toBe(412);

    // The 304 never reads R2: with the object gone it still answers, while a full GET cannot.
    await env.FILES.delete((await currentVersion(file)).r2Key);
    const notModified = await download(file, { "If-None-Match": etag });
    expect(notModified.status).toBe(304);
    expect(notModified.headers.get("ETag")).toBe(etag);
    expect(notModified.headers.get("Cache-Control")).toMatch(/^private/);
    expect((await download(file)).status).toBe(404);
  });

  it("gives a new ETag at the same URL for a new version, and 404 to anyone else even with the right ETag", async () => {
    const gm = await newUser();
    const stranger = await newUser();
    const { file } = await upload(gm, "Combat.md", chapter);
    const route = routeAt("/files/:fileKey");
    const url = `http://localhost/files/${file.fileKey}`;
    const get = async (cookie: string, headers: Record<string, string> = {}) =>
      (await callRoute(route, "loader", url, { cookie, params: { fileKey: file.fileKey }, headers })) as Response;
    const owner = await sessionCookieFor(gm);
    const first = await get(owner);
    expect(first.status).toBe(200);
    expect(await bytesOf(first)).toEqual(chapter);
    const etag = first.headers.get("ETag") ?? "";
    expect((await get(owner, { "If-None-Match": etag })).status).toBe(304);

    // Someone else, with the owner's ETag (as a shared browser cache would send it): not found.
    const other = await sessionCookieFor(stranger);
    const attempts: Record<string, string>[] = [
      { "If-None-Match": etag },
      { "If-None-Match": "*" },
      { Range: "bytes=0-9" },
      {},
    ];
    for (const headers of attempts) {
      const answer = await get(other, headers);
      expect(answer.status, JSON.stringify(headers)).toBe(404);
      expect(answer.headers.get("ETag")).toBeNull();
    }

    // A second version at the same URL: the old ETag no longer matches.
    const v2 = encoder.encode(`${combat}\n## Errata\n\nSurprise rounds are gone.\n`);
    await upload(gm, "Combat.md", v2);
    const second = await get(owner, { "If-None-Match": etag });
    expect(second.status).toBe(200);
    expect(second.headers.get("ETag")).not.toBe(etag);
    expect(await bytesOf(second)).toEqual(v2);
  });
});

describe("ingesting a compressed file", () => {
  it("gives the same passages as the same file stored uncompressed", async () => {
    const [a, b] = [await newUser(), await newUser()];
    const { file: packed } = await upload(a, "Combat.md", chapter, compressing());
    const { file: asIs } = await upload(b, "Combat.md", chapter, plain());
    expect((await currentVersion(packed)).contentEncoding).toBe("gzip");
    expect((await currentVersion(asIs)).contentEncoding).toBeNull();
    // Each account's tracker processes its upload by itself.
    const ready = async (account: Account) => {
      for (let i = 0; i < 300; i++) {
        const [job] = await trackerOf(account.id).listJobs();
        if (job?.status === "ready" || job?.status === "failed") return job;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      throw new Error("ingestion did not finish");
    };
    expect(await ready(a)).toMatchObject({ status: "ready" });
    expect(await ready(b)).toMatchObject({ status: "ready" });
    const passages = async (file: FileRow) =>
      (await chunksOf(file.fileKey)).map(({ text, headingPath, page }) => ({ text, headingPath, page }));
    const fromPacked = await passages(packed);
    expect(fromPacked.length).toBeGreaterThan(10);
    expect(fromPacked).toEqual(await passages(asIs));
    // Real text of the chapter, under its heading: not bytes of gzip read as text.
    expect(fromPacked.some((p) => p.headingPath.includes("Surprise") && p.text.includes("gelatinous cube"))).toBe(true);
  });
});
