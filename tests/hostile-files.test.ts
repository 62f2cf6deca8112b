import { env } from "cloudflare:test";
import { eq } from "drizzle-orm";
import { strToU8 } from "fflate";
import { describe, expect, it } from "vitest";
import { fileMetadata } from "~/server/db/schema";
import { chunkBlocks, MAX_CHARS } from "~/server/ingest/chunk.server";
import {
  ExtractionError,
  extractDocx,
  extractJson,
  extractMarkdown,
  extractPlainText,
} from "~/server/ingest/extract.server";
import {
  EMPTY_PAGES_BEFORE_GIVING_UP,
  MAX_BLOCK_CHARS,
  MAX_HEADING_CHARS,
  MAX_JSON_DEPTH,
  MAX_LINE_CHARS,
  MAX_PDF_INFLATED_TOTAL,
  MAX_PDF_PAGES,
  MAX_PDF_STREAM_INFLATED,
  MAX_TEXT_CHARS,
} from "~/server/ingest/limits.server";
import { parseEncryptDictionary, pdfString } from "~/server/ingest/pdf-crypt.server";
import { buildDocx, declareSize, paragraph, picture } from "./docx-fixtures";
import { db, newUser } from "./helpers";
import { chunksOf, drain, ftsHits, localDeps, storeFile, withQueue } from "./ingest-helpers";
import { bookPages, buildLockedPdf, buildPdf } from "./pdf-fixtures";

/**
 * Files built to hurt the processor — or just unlucky ones. Each must end quickly with a
 * clear, correct status or message, and without holding more than a bounded amount of
 * memory. (Measured figures for these inputs are in the report of the change that added
 * them: the old code took seconds to hours, or hundreds of MB, on most of them.)
 */

const text = (s: string) => new TextEncoder().encode(s);
const statusOf = async (fileKey: string) =>
  (await db.select().from(fileMetadata).where(eq(fileMetadata.fileKey, fileKey)))[0];

async function timed<T>(work: () => T | Promise<T>): Promise<[T, number]> {
  const started = performance.now();
  const result = await work();
  return [result, performance.now() - started];
}

/** Queues one file for a new user, runs the queue dry, and returns its job. */
async function ingestOne(fileName: string, bytes: Uint8Array, contentType: string, deps = localDeps()) {
  const gm = await newUser();
  const file = await storeFile(gm.username, fileName, bytes, contentType);
  const [job, ms] = await timed(() =>
    withQueue(
      gm.username,
      async (queue) => {
        await queue.enqueue(file);
        await drain(queue);
        return queue.list()[0];
      },
      deps,
    ),
  );
  return { file, job, ms };
}

describe("parsing user text takes linear time", () => {
  const n = 50_000;
  const adversarial: [string, string][] = [
    ["a heading of spaces", `# ${" ".repeat(n)}x`],
    ["a heading with spaces inside", `# x${" ".repeat(n)}y`],
    ["a heading with spaces and hashes", `# a${" ".repeat(n)}${"#".repeat(n)}${" ".repeat(n)}x`],
    ["a run of '#'", `${"#".repeat(n)} x`],
    ["a run of '|'", "|".repeat(n)],
    ["a run of '-'", `${"-".repeat(n)}x`],
    ["an underline of '=' under a long line", `${"x ".repeat(n)}\n${"=".repeat(n)}`],
    ["a run of backticks", "`".repeat(n)],
    ["a list marker of digits", `${" ".repeat(n)}${"1".repeat(n)}.x`],
    ["blank-looking lines", `x${"\n ".repeat(n)}y`],
    ["carriage returns", "\r".repeat(n) + "x\r\n".repeat(n)],
  ];

  it.each(adversarial)("reads %s at once", async (_name, source) => {
    for (const extract of [extractMarkdown, extractPlainText]) {
      const [blocks, ms] = await timed(() => chunkBlocks(extract(source)));
      expect(ms).toBeLessThan(1_000);
      for (const block of blocks) {
        expect(block.text.length).toBeLessThanOrEqual(MAX_CHARS + MAX_HEADING_CHARS * 6 + 20);
        for (const heading of block.headingPath ?? []) expect(heading.length).toBeLessThanOrEqual(MAX_HEADING_CHARS);
      }
    }
  });

  it("still reads ordinary headings the same way", () => {
    expect(
      extractMarkdown("# Lich #\n\nPhylactery.\n\n## Lair ##   \n\nWell.\n\n####### Not a heading\n").map((b) => [
        b.headingPath,
        b.text,
      ]),
    ).toEqual([
      [["Lich"], "Phylactery."],
      [["Lich", "Lair"], "Well."],
      [["Lich", "Lair"], "####### Not a heading"],
    ]);
    // A "heading" too long to be one stays searchable text instead of entering every path.
    const long = `# ${"very ".repeat(100)}long`;
    expect(extractMarkdown(`${long}\n\nBody.`).map((b) => [b.headingPath, b.kind])).toEqual([
      [[], "paragraph"],
      [[], "paragraph"],
    ]);
  });

  it("splits a 20 MB line without spaces into bounded chunks without rescanning it", async () => {
    const line = "x".repeat(20 * 1024 * 1024);
    const [chunks, ms] = await timed(() => chunkBlocks(extractPlainText(line)));
    expect(ms).toBeLessThan(15_000);
    expect(chunks.reduce((n, c) => n + c.text.length, 0)).toBe(line.length);
    for (const chunk of chunks) expect(chunk.text.length).toBeLessThanOrEqual(MAX_CHARS);
  });
});

describe("JSON", () => {
  it("refuses nesting deeper than the cap as nesting, not as invalid JSON, before parsing it", async () => {
    for (const deep of [
      `${"[".repeat(100_000)}${"]".repeat(100_000)}`,
      `${'{"a":'.repeat(100_000)}1${"}".repeat(100_000)}`,
    ]) {
      const [error, ms] = await timed(() => {
        try {
          extractJson(deep);
        } catch (e) {
          return e;
        }
      });
      expect(error).toBeInstanceOf(ExtractionError);
      expect((error as Error).message).toMatch(/nested more than 64 levels deep.*Flatten it/);
      expect(ms).toBeLessThan(1_000);
    }
    // At the cap it is read; strings may hold brackets.
    const atCap = `${"[".repeat(MAX_JSON_DEPTH - 1)}{"a":"[[[["}${"]".repeat(MAX_JSON_DEPTH - 1)}`;
    expect(extractJson(atCap).map((b) => b.text)).toEqual(["… › 1 › 1 › a: [[[["]);
    expect(() => extractJson('{"name": "Vessa",, }')).toThrow(/not valid JSON/);
  });

  it("says which through the queue, too", async () => {
    const { job } = await ingestOne(
      "deep.json",
      text(`${"[".repeat(100_000)}1${"]".repeat(100_000)}`),
      "application/json",
    );
    expect(job).toMatchObject({ status: "failed", attempts: 1 });
    expect(job?.error).toMatch(/nested more than 64 levels deep/);
    const invalid = await ingestOne("bad.json", text('{"name": "Vessa",'), "application/json");
    expect(invalid.job?.error).toMatch(/not valid JSON/);
  });

  it("keeps the flattened text close to the file's size, naming only the last fields of a path", () => {
    // 60 levels, 50 fields each: every line used to repeat its whole ancestry.
    let node: Record<string, unknown> = {};
    for (let level = 0; level < 60; level++) {
      const fields = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`field${i}`, `value ${level}.${i}`]));
      node = { ...fields, child: node };
    }
    const source = JSON.stringify({ sheet: node });
    const out = extractJson(source).reduce((n, b) => n + b.text.length, 0);
    expect(out).toBeLessThan(3 * source.length);
    const lines = extractJson(source).flatMap((b) => b.text.split("\n"));
    expect(lines).toContain("… › child › child › field7: value 2.7");
    expect(lines[0]).toBe("sheet › field0: value 59.0");
  });

  it("refuses more fields than a character sheet could have", () => {
    const many = JSON.stringify({ items: Array.from({ length: 25_000 }, (_, i) => ({ n: i })) });
    expect(() => extractJson(many)).toThrow(/more than 20,000 fields.*Split it/);
  });
});

describe("Word documents", () => {
  const bigXml = (bytes: number) => paragraph("The abbey bells ring.") + " ".repeat(bytes);

  it("refuses a document whose parts declare more XML than can be read, before inflating them", async () => {
    const docx = buildDocx({ body: bigXml(40 * 1024 * 1024) });
    expect(docx.length).toBeLessThan(200_000);
    const [error, ms] = await timed(() => extractDocx(docx).catch((e: unknown) => e));
    expect((error as Error).message).toMatch(/more than 4 MB of text and formatting.*Save it as a PDF/);
    expect(ms).toBeLessThan(2_000);
  });

  it("refuses a document that lies about its sizes, while inflating it", async () => {
    const docx = declareSize(buildDocx({ body: bigXml(40 * 1024 * 1024) }), "word/document.xml", 1_000);
    const [error, ms] = await timed(() => extractDocx(docx).catch((e: unknown) => e));
    expect((error as Error).message).toMatch(/more than 4 MB of text and formatting/);
    expect(ms).toBeLessThan(2_000);
  });

  it("reads the text of a document with pictures, without turning the pictures into text", async () => {
    const image = new Uint8Array(30_000).fill(7);
    const docx = buildDocx({
      body: paragraph("The Keep", "Heading1") + picture("Map of the keep") + paragraph("The gate faces west."),
      image,
    });
    const blocks = await extractDocx(docx);
    expect(blocks.map((b) => b.text)).toEqual(["The gate faces west."]);
    expect(blocks[0]?.headingPath).toEqual(["The Keep"]);
  });

  it("refuses an archive of thousands of parts", async () => {
    const extra = Object.fromEntries(Array.from({ length: 6_000 }, (_, i) => [`word/x/${i}.xml`, strToU8("<a/>")]));
    await expect(extractDocx(buildDocx({ body: paragraph("Hi."), extra }))).rejects.toThrow(/more than 5,000 parts/);
  });
});

describe("PDFs", () => {
  it("refuses at once a 1 MB PDF whose page inflates to 1 GiB", async () => {
    const bomb = buildPdf({ pages: bookPages(1), bombs: [{ inflatedBytes: 1024 * 1024 * 1024 }] });
    expect(bomb.length).toBeLessThan(1.1 * 1024 * 1024);
    const { file, job, ms } = await ingestOne("bomb.pdf", bomb, "application/pdf");
    expect(job).toMatchObject({ status: "failed", attempts: 1, pagesDone: 0 });
    expect(job?.error).toMatch(/more than 16 MB of memory to read.*reduced-size/);
    expect(ms).toBeLessThan(5_000);
    expect(await chunksOf(file.fileKey)).toEqual([]);
  });

  it("caps streams labelled as images too, and all streams together", async () => {
    const image = buildPdf({ pages: bookPages(1), bombs: [{ inflatedBytes: 100 * 1024 * 1024, image: true }] });
    expect((await ingestOne("image.pdf", image, "application/pdf")).job?.error).toMatch(
      /compressed image that would take more than 64 MB/,
    );
    const pages = Math.ceil(MAX_PDF_INFLATED_TOTAL / (MAX_PDF_STREAM_INFLATED - 1024)) + 1;
    const many = buildPdf({
      pages: bookPages(1),
      bombs: Array.from({ length: pages }, () => ({ inflatedBytes: MAX_PDF_STREAM_INFLATED - 1024 })),
    });
    const { job, ms } = await ingestOne("many.pdf", many, "application/pdf");
    expect(job?.error).toMatch(/more than 256 MB of memory to read.*split it/);
    expect(ms).toBeLessThan(10_000);
  });

  it("reads compressed pages, and PDFs locked only against editing (an owner password)", async () => {
    for (const ownerPassword of [undefined, "rc4-40", "aes-128", "aes-256"] as const) {
      const options = { pages: bookPages(3), compress: true };
      const pdf = ownerPassword ? await buildLockedPdf(ownerPassword, options) : buildPdf(options);
      const { file, job } = await ingestOne("book.pdf", pdf, "application/pdf");
      expect(job).toMatchObject({ status: "ready", pageCount: 3, error: null });
      expect(await ftsHits(file.fileKey, "page2")).toBe(1);
    }
  });

  it.each(["rc4-40", "aes-128", "aes-256"] as const)(
    "finds a compressed page hidden behind %s encryption that needs no password",
    async (ownerPassword) => {
      const pdf = await buildLockedPdf(ownerPassword, {
        pages: bookPages(1),
        bombs: [{ inflatedBytes: 1024 * 1024 * 1024 }],
      });
      const { job, ms } = await ingestOne("locked.pdf", pdf, "application/pdf");
      expect(job).toMatchObject({ status: "failed", attempts: 1, pagesDone: 0 });
      expect(job?.error).toMatch(/more than 16 MB of memory to read/);
      expect(ms).toBeLessThan(10_000);
    },
  );

  it("reads an encryption dictionary's strings as PDF writes them (escapes, octal, hex)", () => {
    const latin1 = (bytes: Uint8Array | null) => String.fromCharCode(...(bytes ?? []));
    expect(latin1(pdfString(String.raw`(a\)b\050\\(c)d\n\101\7)`, 0))).toBe("a)b(\\(c)d\nA\x07");
    expect(latin1(pdfString("<41 42 4>", 0))).toBe("AB@");
    const dict = parseEncryptDictionary(
      "<< /Filter /Standard /V 4 /R 4 /Length 128 /CF << /StdCF << /CFM /AESV2 /Length 16 >> >> /StmF /StdCF /O (\\()/U <00ff> /P -1028 /EncryptMetadata false >>",
    );
    expect(dict).toMatchObject({ filter: "Standard", v: 4, r: 4, length: 128, p: -1028, streamMethod: "AESV2" });
    expect(dict.encryptMetadata).toBe(false);
    expect([...dict.o]).toEqual([0x28]);
    expect([...dict.u]).toEqual([0, 255]);
  });

  it.each([
    ["empty", new Uint8Array(0), /empty \(0 bytes\)/],
    [
      "random-byte",
      new Uint8Array([...text("%PDF-1.7\n"), ...crypto.getRandomValues(new Uint8Array(60_000))]),
      /damaged or not really a PDF/,
    ],
    ["truncated", buildPdf({ pages: bookPages(30), compress: true }).slice(0, 4_000), /damaged|cut short/],
    ["user-password", buildPdf({ pages: bookPages(2), encrypted: true }), /password-protected.*unlocked copy/],
    ["scanned", buildPdf({ pages: [null] }), /no text layer.*OCR/],
  ])("ends a %s PDF with a clear reason, at once", async (_kind, bytes, reason) => {
    const { file, job, ms } = await ingestOne("book.pdf", bytes, "application/pdf");
    expect(job).toMatchObject({ status: "failed", attempts: 1 });
    expect(job?.error).toMatch(reason);
    expect(ms).toBeLessThan(5_000);
    expect(await statusOf(file.fileKey)).toMatchObject({ status: "failed", error: expect.stringMatching(reason) });
  });

  it("stops reading a long PDF whose first pages have no text", async () => {
    const scan = buildPdf({ pages: Array.from({ length: 4_000 }, () => null) });
    const { job, ms } = await ingestOne("scan.pdf", scan, "application/pdf");
    expect(job).toMatchObject({ status: "failed", pageCount: 4_000 });
    expect(job?.pagesDone).toBeLessThan(EMPTY_PAGES_BEFORE_GIVING_UP);
    expect(job?.error).toMatch(/first 60 pages of this PDF have no text layer.*OCR/);
    expect(ms).toBeLessThan(10_000);
  });

  it("refuses a PDF of more pages than can be read, before reading any", async () => {
    const huge = buildPdf({ pages: Array.from({ length: 20_000 }, () => null) });
    const { job, ms } = await ingestOne("huge.pdf", huge, "application/pdf");
    // Refused from the scan of the file, before pdf.js builds its page tree (no page count yet).
    expect(job).toMatchObject({ status: "failed", pagesDone: 0, pageCount: null });
    expect(job?.error).toMatch(/has at least 20,000 pages; at most 5,000 can be read.*split it/);
    expect(MAX_PDF_PAGES).toBe(5_000);
    expect(ms).toBeLessThan(10_000);
  });
});

describe("text files", () => {
  /** The app's R2 bucket, but refusing to hand out a whole object at once. */
  const streamingOnly = () => {
    const deps = localDeps();
    const files = new Proxy(deps.files, {
      get: (target, prop) =>
        prop === "get"
          ? async (...args: Parameters<R2Bucket["get"]>) => {
              const object = await target.get(...args);
              if (!object || args[1]?.range) return object;
              return new Proxy(object, {
                get: (o, p) =>
                  p === "arrayBuffer" || p === "text" || p === "bytes"
                    ? () => Promise.reject(new Error("read as a whole"))
                    : Reflect.get(o, p),
              });
            }
          : Reflect.get(target, prop),
    });
    return { ...deps, files };
  };

  it("reads a 20 MB text without a newline as a stream, in bounded blocks", async () => {
    const sentence = "The drowned knights rise to walk the causeway until dawn. ";
    const body = sentence.repeat(Math.ceil((20 * 1024 * 1024) / sentence.length));
    const gm = await newUser();
    const file = await storeFile(gm.username, "long.txt", text(body), "text/plain");
    const [job, ms] = await timed(() =>
      withQueue(
        gm.username,
        async (queue, _events, sql) => {
          await queue.enqueue(file);
          await queue.runStep(); // queued → extracting
          await queue.runStep(); // the whole file, in one step
          const staged = sql.exec(
            "SELECT max(length(text)) AS longest FROM staged_chunks WHERE file_key = ?",
            file.fileKey,
          );
          expect(staged.one().longest).toBeLessThanOrEqual(MAX_CHARS);
          return queue.list()[0];
        },
        streamingOnly(),
      ),
    );
    expect(job).toMatchObject({ status: "indexing", error: null });
    expect(job?.chunksTotal).toBeGreaterThan(body.length / MAX_CHARS);
    expect(ms).toBeLessThan(20_000);
    expect(MAX_LINE_CHARS + MAX_BLOCK_CHARS).toBeLessThan(1024 * 1024);
  });

  it("refuses a file with more text than one file may hold", async () => {
    const { job } = await ingestOne("huge.md", text("word ".repeat(MAX_TEXT_CHARS / 5 + 100_000)), "text/markdown");
    expect(job).toMatchObject({ status: "failed", attempts: 1 });
    expect(job?.error).toMatch(/more than 25 million characters of text.*Split it/);
  });

  it.each([
    ["little-endian", "utf-16le"],
    ["big-endian", "utf-16be"],
  ])("reads UTF-16 %s text with a byte-order mark", async (_name, encoding) => {
    const source = "# Café Ünder\r\n\r\nThe naïve bard sings of the ☃ snowman.\r\n";
    const units = [0xfeff, ...[...source].map((c) => c.charCodeAt(0))];
    const bytes = new Uint8Array(units.length * 2);
    const view = new DataView(bytes.buffer);
    for (const [i, unit] of units.entries()) view.setUint16(i * 2, unit, encoding === "utf-16le");
    const { file, job } = await ingestOne("notes.md", bytes, "text/markdown; charset=utf-8");
    expect(job).toMatchObject({ status: "ready" });
    const [chunk] = await chunksOf(file.fileKey);
    expect(chunk?.headingPath).toEqual(["Café Ünder"]);
    expect(chunk?.text).toContain("The naïve bard sings of the ☃ snowman.");
    expect(await ftsHits(file.fileKey, "snowman")).toBe(1);
  });

  it("has nothing of a file deleted in R2 to index, and says so", async () => {
    const gm = await newUser();
    const file = await storeFile(gm.username, "gone.md", text("# Gone\n\nText."), "text/markdown");
    await env.FILES.delete(file.r2Key);
    await withQueue(gm.username, async (queue) => {
      await queue.enqueue(file);
      await drain(queue, { skipBackOff: true });
      expect(queue.list()[0]?.error).toMatch(/stopped after 4 attempts.*missing/);
    });
  });
});
