import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { campaignResources, campaigns, fileMetadata, fileVersions } from "~/server/db/schema";
import { contentDisposition, streamFile } from "~/server/files/download.server";
import { deleteFile, getFile, getFileVersions, storageUsed, uploadFile } from "~/server/files/files.server";
import { safeFileName, userPrefix } from "~/server/files/keys.server";
import { type Account, type FileStores, UploadRefused } from "~/server/files/library.server";
import { startMultipartUpload } from "~/server/files/multipart.server";
import { chunkedStream, db, fileStores, newUser, trackerOf } from "./helpers";
import { chunksOf, seedPassages, vectorIdsOf } from "./ingest-helpers";

const MB = 1024 * 1024;
const stores = (limits = { maxFileBytes: 20 * MB, maxUserBytes: 50 * MB }): FileStores => fileStores(limits);

const streamOf = (bytes: Uint8Array, chunk = 1000) => chunkedStream(bytes, chunk);

const text = (s: string) => new TextEncoder().encode(s);
const upload = (account: Account, fileName: string, bytes: Uint8Array, s = stores(), size = bytes.length) =>
  uploadFile(s, account, { fileName, size, body: streamOf(bytes) });
const objectsOf = async (account: Account) =>
  (await env.FILES.list({ prefix: userPrefix(account.id) })).objects.map((o) => o.key);
const tracker = trackerOf;

const processing = ["queued", "extracting", "indexing", "embedding", "ready"];
const pdfBytes = () => text(`%PDF-1.7\n${"stream of page text\n".repeat(500)}%%EOF\n`);

describe("uploads", () => {
  it("streams a file into R2 under the user's prefix and records metadata, version and job", async () => {
    const gm = await newUser();
    const bytes = text("# The Sunken Crown\n\nSession notes.\n".repeat(200));
    const result = await upload(gm, "Session notes.md", bytes);
    expect(result).toMatchObject({ version: 1, created: true });
    const file = await getFile(db, gm.username, result.file.fileKey);
    expect(file).toMatchObject({
      fileName: "Session notes.md",
      fileSize: bytes.length,
      contentType: "text/markdown; charset=utf-8",
      currentVersion: 1,
    });
    // Handed straight to the user's tracker, which processes it in the background.
    expect(processing).toContain(file?.status);
    // Identified by the MD5 of its bytes (R2's checksum), for refusing an identical upload.
    const digest = await crypto.subtle.digest("MD5", bytes);
    expect(file?.contentHash).toBe(
      `md5-${[...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("")}`,
    );
    // Under the account's immutable id, in a key of this upload's own.
    const [version] = await getFileVersions(db, result.file);
    expect(version?.r2Key).toMatch(new RegExp(`^${userPrefix(gm.id)}[0-9a-f-]{36}/session-notes\\.md$`));
    expect(await objectsOf(gm)).toEqual([version?.r2Key]);
    // Text is stored gzip-compressed (ADR 0028): the object decompresses to exactly the bytes sent.
    const stored = await env.FILES.get(version?.r2Key ?? "");
    const gunzipped = stored?.body.pipeThrough(new DecompressionStream("gzip"));
    expect(new Uint8Array(await new Response(gunzipped).arrayBuffer())).toEqual(bytes);
    expect(await tracker(gm.id).listJobs()).toMatchObject([{ fileKey: result.file.fileKey, version: 1 }]);
    expect(await storageUsed(db, gm.username)).toBe(bytes.length);
  });

  it("keeps any name as given while the key stays safe and inside the user's prefix", async () => {
    const gm = await newUser();
    const names = [
      "..hidden..notes...md",
      "Grimoire of Ÿ̈ær — 🎲 «spells».md",
      "CON.txt",
      `${"very long name ".repeat(16)}.md`,
      "  spaces  and\ttabs?.txt".replace("\t", " "),
      'quotes "and" <angle> & amp;.md',
    ];
    for (const [i, name] of names.entries()) {
      const result = await upload(gm, name, text(`content number ${i}`));
      expect(result.file.fileName).toBe(name.normalize("NFC"));
    }
    for (const key of await objectsOf(gm)) {
      expect(key.startsWith(userPrefix(gm.id))).toBe(true);
      expect(key).toMatch(/^uploads\/u_[0-9a-f]{32}\/[0-9a-f-]{36}\/[a-z0-9_.-]+$/);
      expect(key).not.toContain("..");
    }
    expect(safeFileName("../../etc/passwd")).toBe("etc-passwd");
    expect(safeFileName("Élan vital.PDF")).toBe("elan-vital.pdf");
    expect(safeFileName("🎲🎲.md")).toBe("file.md");
  });

  it("refuses names that could hide what they are or climb out of a folder, with a way forward", async () => {
    const gm = await newUser();
    const refused = [
      ["notes\u202Etxt.exe.md", /invisible control or formatting characters/],
      ["zero\u200Bwidth.md", /invisible control or formatting characters/],
      ["bell\u0007.md", /invisible control or formatting characters/],
      ["line\u2028break.md", /invisible control or formatting characters/],
      ["../../../etc/passwd.md", /cannot contain \/ or \\/],
      ["folder\\file.md", /cannot contain \/ or \\/],
      ["...", /be only dots/],
      [`${"x".repeat(300)}.md`, /1–255 characters/],
      ["   ", /1–255 characters/],
    ] as const;
    for (const [name, reason] of refused) {
      const error = await upload(gm, name, text("# notes")).catch((e) => e);
      expect(error, JSON.stringify(name)).toBeInstanceOf(UploadRefused);
      expect(error.status, JSON.stringify(name)).toBe(400);
      expect(error.message, JSON.stringify(name)).toMatch(reason);
      expect(error.message, JSON.stringify(name)).toMatch(/Rename the file/);
    }
    expect(await objectsOf(gm)).toEqual([]);
  });

  it("checks the type from the bytes: a disguised binary is refused and nothing is stored", async () => {
    const gm = await newUser();
    const elf = new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0x3e, 0]);
    const refusals = [
      ["notes.md", elf],
      ["rulebook.pdf", text("just some text pretending")],
      ["sheet.json", text("name: not json")],
      ["archive.zip", new Uint8Array([0x50, 0x4b, 0x03, 0x04, 1, 2, 3, 4])],
      ["page.html", text("<html><script>alert(1)</script></html>")],
      ["empty.txt", new Uint8Array(0)],
    ] as const;
    for (const [name, bytes] of refusals) {
      const error = await upload(gm, name, bytes, stores(), Math.max(bytes.length, 1)).catch((e) => e);
      expect(error, name).toBeInstanceOf(UploadRefused);
      expect(error.message.length, name).toBeGreaterThan(20);
    }
    expect(await objectsOf(gm)).toEqual([]);
    expect(await db.select().from(fileMetadata).where(eq(fileMetadata.username, gm.username))).toEqual([]);
  });

  it("accepts each supported kind by its signature", async () => {
    const gm = await newUser();
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);
    const jpeg = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 16, 0x4a, 0x46]);
    const webp = new Uint8Array([...text("RIFF"), 0, 0, 0, 0, ...text("WEBPVP8 ")]);
    const docx = new Uint8Array([0x50, 0x4b, 0x03, 0x04, ...text("....word/document.xml")]);
    const kinds = [
      ["map.png", png, "image/png"],
      ["portrait.jpg", jpeg, "image/jpeg"],
      ["token.webp", webp, "image/webp"],
      ["module.pdf", pdfBytes(), "application/pdf"],
      ["handout.docx", docx, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"],
      ["sheet.json", text('{"name": "Vessa", "class": "Rogue"}'), "application/json"],
      ["rules.txt", text("Plain rules"), "text/plain; charset=utf-8"],
    ] as const;
    for (const [name, bytes, type] of kinds) {
      const { file } = await upload(gm, name, bytes);
      expect(file.contentType, name).toBe(type);
    }
  });

  it("refuses files over the size limit before reading them, and uploads past the quota", async () => {
    const gm = await newUser();
    const small = { maxFileBytes: 10_000, maxUserBytes: 15_000 };
    let pulled = false;
    const untouched = new ReadableStream<Uint8Array>(
      {
        pull() {
          pulled = true;
        },
      },
      { highWaterMark: 0 },
    );
    const tooBig = await uploadFile(stores(small), gm, {
      fileName: "huge.pdf",
      size: 20_000,
      body: untouched,
    }).catch((e) => e);
    expect(tooBig).toMatchObject({ status: 413 });
    expect(tooBig.message).toMatch(/limit/);
    expect(pulled).toBe(false);

    await upload(gm, "first.txt", text("a".repeat(9_000)), stores(small));
    const overQuota = await upload(gm, "second.txt", text("b".repeat(9_000)), stores(small)).catch((e) => e);
    expect(overQuota).toMatchObject({ status: 413 });
    expect(overQuota.message).toMatch(/storage/);
    expect(await objectsOf(gm)).toHaveLength(1);
  });

  it("makes a new version for the same name, and refuses identical bytes", async () => {
    const gm = await newUser();
    const first = await upload(gm, "lore.md", text("# Version one"));
    const second = await upload(gm, "lore.md", text("# Version two"));
    expect(second).toMatchObject({ version: 2, created: false });
    expect(second.file.fileKey).toBe(first.file.fileKey);
    const versions = await getFileVersions(db, second.file);
    expect(versions.map((v) => v.versionNumber)).toEqual([2, 1]);
    // Each version's bytes under a key of its own: no upload can overwrite another's.
    expect(versions[0]?.r2Key).not.toBe(versions[1]?.r2Key);

    const again = await upload(gm, "copy of lore.md", text("# Version two")).catch((e) => e);
    expect(again).toMatchObject({ status: 409 });
    expect(again.message).toMatch(/already have exactly this file: “lore.md” \(version 2\)/);
    expect(await objectsOf(gm)).toHaveLength(2);
  });

  it("leaves no object when the body ends early or the D1 write fails", async () => {
    const gm = await newUser();
    const short = await upload(gm, "short.txt", text("only this"), stores(), 5_000).catch((e) => e);
    expect(short).toBeInstanceOf(UploadRefused);
    expect(await objectsOf(gm)).toEqual([]);

    // Past the first 4 KB the body flows natively into R2: longer or shorter than announced is refused there.
    const lines = text("A line of the chronicle.\n".repeat(2_000));
    const long = await upload(gm, "long.txt", lines, stores(), lines.length - 100).catch((e) => e);
    expect(long).toMatchObject({ status: 400, message: expect.stringMatching(/did not arrive whole/) });
    const cut = await upload(gm, "cut.txt", lines, stores(), lines.length + 100).catch((e) => e);
    expect(cut).toMatchObject({ status: 400, message: expect.stringMatching(/did not arrive whole/) });
    let pulls = 0;
    const breaking = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (pulls++ === 0) controller.enqueue(lines.subarray(0, 20_000));
        else controller.error(new Error("connection reset"));
      },
    });
    const broken = await uploadFile(stores(), gm, { fileName: "broken.txt", size: lines.length, body: breaking }).catch(
      (e) => e,
    );
    expect(broken).toMatchObject({ status: 400, message: expect.stringMatching(/did not arrive whole/) });
    expect(await objectsOf(gm)).toEqual([]);

    // An account that does not exist: its foreign key makes the D1 write fail.
    const name = `ghost-${crypto.randomUUID().slice(0, 8)}`;
    const ghost = { id: name, username: name };
    await expect(upload(ghost, "notes.txt", text("lost words"))).rejects.toThrow();
    expect(await objectsOf(ghost)).toEqual([]);
  });
});

describe("uploads racing each other", () => {
  it("never lose a stored version: two uploads of one name both become versions, each with its own bytes", async () => {
    const gm = await newUser();
    await upload(gm, "notes.md", text("# one"));
    const [a, b] = await Promise.all([upload(gm, "notes.md", text("# two")), upload(gm, "notes.md", text("# three"))]);
    expect([a.version, b.version].sort()).toEqual([2, 3]);
    const versions = await getFileVersions(db, a.file);
    expect(versions.map((v) => v.versionNumber)).toEqual([3, 2, 1]);
    // Every recorded version's object is there, with the bytes that version was given.
    const bodies = await Promise.all(versions.map(async (v) => (await env.FILES.get(v.r2Key))?.text()));
    expect(bodies.sort()).toEqual(["# one", "# three", "# two"]);
    expect((await objectsOf(gm)).sort()).toEqual(versions.map((v) => v.r2Key).sort());
  });

  it("create one file when a new name arrives twice at once, with both as versions", async () => {
    const gm = await newUser();
    const results = await Promise.all(["# a", "# b", "# c"].map((body) => upload(gm, "new.md", text(body))));
    expect(new Set(results.map((r) => r.file.fileKey)).size).toBe(1);
    expect(results.map((r) => r.version).sort()).toEqual([1, 2, 3]);
    expect(results.filter((r) => r.created)).toHaveLength(1);
  });

  it("cannot pass the quota together: bytes in flight count, single and multipart alike", async () => {
    const gm = await newUser();
    const small = stores({ maxFileBytes: 20 * MB, maxUserBytes: 10_000 });
    const outcomes = await Promise.all(
      ["a", "b", "c"].map((name) =>
        upload(gm, `${name}.txt`, text(name.repeat(6_000)), small).then(
          () => "stored",
          (error: UploadRefused) => error.status,
        ),
      ),
    );
    expect(outcomes.filter((o) => o === "stored")).toHaveLength(1);
    expect(outcomes.filter((o) => o === 413)).toHaveLength(2);
    expect(await storageUsed(db, gm.username)).toBe(6_000);
    expect(await objectsOf(gm)).toHaveLength(1);

    // Multipart uploads reserve their whole size when they start.
    const other = await newUser();
    const tight = stores({ maxFileBytes: 1e9, maxUserBytes: 150 * MB });
    const starts = await Promise.all(
      [1, 2, 3].map((n) =>
        startMultipartUpload(tight, other, { fileName: `book ${n}.pdf`, size: 60 * MB }).then(
          () => "started",
          (error: UploadRefused) => error.status,
        ),
      ),
    );
    expect(starts.filter((o) => o === "started")).toHaveLength(2);
    expect(starts.filter((o) => o === 413)).toHaveLength(1);
  });

  it("answers a body that breaks in its first bytes with a reason to retry, not a server error", async () => {
    const gm = await newUser();
    const breaking = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(text("# half a"));
        controller.error(new Error("connection reset"));
      },
    });
    const error = await uploadFile(stores(), gm, { fileName: "cut.md", size: 10_000, body: breaking }).catch((e) => e);
    expect(error).toBeInstanceOf(UploadRefused);
    expect(error).toMatchObject({ status: 400, message: expect.stringMatching(/stopped before the file arrived/) });
    expect(await objectsOf(gm)).toEqual([]);
  });
});

describe("downloads", () => {
  it("serves ranges, ETags and the original name", async () => {
    const gm = await newUser();
    const bytes = pdfBytes();
    const { file } = await upload(gm, "Tomb of Ash — Ægis.pdf", bytes);
    const [version] = await getFileVersions(db, file);
    if (!version) throw new Error("no version");
    const get = (headers: Record<string, string> = {}, download = false) =>
      streamFile(env.FILES, new Request("http://localhost/x", { headers }), file, version, { download });

    const whole = await get();
    expect(whole.status).toBe(200);
    expect(whole.headers.get("Content-Type")).toBe("application/pdf");
    expect(whole.headers.get("Accept-Ranges")).toBe("bytes");
    expect(whole.headers.get("Content-Disposition")).toBe(
      `inline; filename="Tomb of Ash _ _gis.pdf"; filename*=UTF-8''Tomb%20of%20Ash%20%E2%80%94%20%C3%86gis.pdf`,
    );
    expect((await whole.arrayBuffer()).byteLength).toBe(bytes.length);

    const part = await get({ Range: "bytes=0-4" });
    expect(part.status).toBe(206);
    expect(part.headers.get("Content-Range")).toBe(`bytes 0-4/${bytes.length}`);
    expect(await part.text()).toBe("%PDF-");

    const tail = await get({ Range: "bytes=-6" });
    expect(tail.status).toBe(206);
    expect(await tail.text()).toBe("%%EOF\n");

    const etag = whole.headers.get("ETag") ?? "";
    expect((await get({ "If-None-Match": etag })).status).toBe(304);
    expect((await get({ Range: `bytes=${bytes.length + 10}-` })).status).toBe(416);
    expect((await get({}, true)).headers.get("Content-Disposition")).toMatch(/^attachment;/);
    expect(contentDisposition('a"b.md', true)).toBe(`attachment; filename="a_b.md"; filename*=UTF-8''a%22b.md`);
  });
});

describe("deleting a file", () => {
  it("removes every version's object, its rows, chunks, vectors, links and job — and nobody else's", async () => {
    const gm = await newUser();
    const other = await newUser();
    // Each file has text: an ingestion that runs meanwhile succeeds and leaves one passage
    // per file, as seeded (a heading alone would fail and discard the seeded version).
    const { file } = await upload(gm, "bestiary.md", text("# Liches\n\nThe phylactery"));
    await upload(gm, "bestiary.md", text("# Liches, revised\n\nThe phylactery"));
    const { file: kept } = await upload(other, "bestiary.md", text("# Their liches\n\nTheir phylactery"));
    const campaignId = crypto.randomUUID();
    await db.insert(campaigns).values({ id: campaignId, username: gm.username, name: "Tomb" });
    await db.insert(campaignResources).values({ campaignId, fileKey: file.fileKey, fileName: file.fileName });
    await seedPassages(gm.id, file.fileKey, 2, ["The phylactery"]);
    await seedPassages(other.id, kept.fileKey, 1, ["Their phylactery"]);

    expect(await deleteFile(stores(), other, file.fileKey)).toBe(false);
    expect(await deleteFile(stores(), gm, file.fileKey)).toBe(true);

    expect(await objectsOf(gm)).toEqual([]);
    expect(await getFile(db, gm.username, file.fileKey)).toBeUndefined();
    expect(await db.select().from(fileVersions).where(eq(fileVersions.fileKey, file.fileKey))).toEqual([]);
    expect(await chunksOf(file.fileKey)).toEqual([]);
    expect(await vectorIdsOf(file.fileKey)).toEqual([]);
    expect(await db.select().from(campaignResources).where(eq(campaignResources.fileKey, file.fileKey))).toEqual([]);
    expect(await tracker(gm.id).listJobs()).toEqual([]);
    expect(await storageUsed(db, gm.username)).toBe(0);
    // The campaign itself stays.
    expect(await db.select().from(campaigns).where(eq(campaigns.id, campaignId))).toHaveLength(1);
    expect(await getFile(db, other.username, kept.fileKey)).toBeDefined();
    expect(await objectsOf(other)).toHaveLength(1);
    expect(await chunksOf(kept.fileKey)).toHaveLength(1);
    expect(await vectorIdsOf(kept.fileKey)).toHaveLength(1);
  });
});
