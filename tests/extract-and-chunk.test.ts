import { env } from "cloudflare:workers";
import { strToU8, zipSync } from "fflate";
import { describe, expect, it } from "vitest";
import { serializePdf } from "~/server/files/pdf-writer.server";
import { chunkBlocks, chunkId, MAX_CHARS } from "~/server/ingest/chunk.server";
import {
  ExtractionError,
  extractDocx,
  extractJson,
  extractMarkdown,
  extractPlainText,
  openPdf,
} from "~/server/ingest/extract.server";
import races from "../../shared/corpus/srd5/01-races.md?raw";
import conditions from "../../shared/corpus/srd5/12-conditions.md?raw";
import { bookPages, buildPdf } from "./pdf-fixtures";

// pdf.js takes ownership of (detaches) the buffer it is given: hand it a copy each time.
const corpusPdf = () => new Uint8Array(env.CORPUS_RACES_PDF.slice(0));

describe("extractors", () => {
  it("keeps the Markdown heading structure of a real SRD chapter", () => {
    const blocks = extractMarkdown(races);
    expect(blocks.length).toBeGreaterThan(50);
    const darkvision = blocks.find((b) => b.text.startsWith("***Darkvision.***") || b.text.includes("Darkvision."));
    expect(darkvision?.headingPath?.length).toBeGreaterThanOrEqual(2);
    // Offsets point back into the source.
    const block = blocks[10];
    expect(block && races.replace(/\r\n?/g, "\n").slice(block.start, block.end)).toContain(block?.text.slice(0, 20));
    // A table stays one block.
    const table = extractMarkdown("# Loot\n\n| Item | Value |\n|---|---|\n| Crown | 500 gp |\n| Ring | 50 gp |\n");
    expect(table).toMatchObject([{ kind: "table", headingPath: ["Loot"] }]);
    expect(table[0]?.text.split("\n")).toHaveLength(4);
  });

  it("splits plain text into paragraphs and flattens JSON character sheets with field names", () => {
    expect(extractPlainText("First line\nstill first.\n\nSecond.\n").map((b) => b.text)).toEqual([
      "First line\nstill first.",
      "Second.",
    ]);
    const sheet = extractJson(
      JSON.stringify({ name: "Vessa", stats: { dexterity: 17, armorClass: 15 }, languages: ["Common", "Elvish"] }),
    );
    expect(sheet.map((b) => b.text)).toEqual([
      "name: Vessa",
      "stats › dexterity: 17\nstats › armor Class: 15",
      "languages: Common, Elvish",
    ]);
  });

  it("reads a real PDF page by page, keeping page numbers", async () => {
    const pdf = await openPdf(corpusPdf());
    expect(pdf.pageCount).toBe(8);
    const blocks = await pdf.pages(1, 8);
    expect(new Set(blocks.map((b) => b.page))).toEqual(new Set([1, 2, 3, 4, 5, 6, 7, 8]));
    expect(blocks.some((b) => /dwarf/i.test(b.text))).toBe(true);
    expect(new Set((await pdf.pages(2, 3)).map((b) => b.page))).toEqual(new Set([2, 3]));
    await pdf.close();
  });

  it("takes a PDF's headings from its type size: the text below a heading, on its page and the next, is found under it", async () => {
    const pdf = await openPdf(corpusPdf());
    const blocks = await pdf.pages(1, 4);
    const under = (start: string) => blocks.find((b) => b.text.startsWith(start))?.headingPath;
    expect(under("Your dwarf character")?.slice(-2)).toEqual(["Dwarf", "Dwarf Traits"]);
    expect(under("Your elf character")?.slice(-2)).toEqual(["Elf", "Elf Traits"]);
    // Page 3 goes on with the elf's traits: it starts under the headings page 2 ended with.
    const page3 = blocks.filter((b) => b.page === 3);
    expect(page3[0]?.text).toMatch(/^Age\. Although elves/);
    expect(page3[0]?.headingPath).toEqual(["Elf", "Elf Traits"]);
    // A heading is the path, not text of its own.
    expect(blocks.some((b) => /^(Dwarf|Elf) Traits\b/.test(b.text))).toBe(false);
    // The same blocks whichever step reads the page (a resumed ingestion starts mid-book).
    expect(await pdf.pages(3, 3)).toEqual(page3);
    await pdf.close();
  });

  it("reads headings in larger type from a PDF of our own; one type size means no headings, as before", async () => {
    const headed = await openPdf(
      buildPdf({
        pages: [
          [
            { heading: "Hollowmere house rules", level: 1 },
            "These rules are used at our table.",
            { heading: "Lantern oil", level: 2 },
            "A flask keeps a lantern lit for four hours.",
            { heading: "Calling a sleeper home when the", level: 2 },
            { heading: "bell has rung", level: 2 },
            "Shout their name three times.",
          ],
        ],
      }),
    );
    expect((await headed.pages(1, 1)).map((b) => [b.headingPath, b.text])).toEqual([
      [["Hollowmere house rules"], "These rules are used at our table."],
      [["Hollowmere house rules", "Lantern oil"], "A flask keeps a lantern lit for four hours."],
      // A heading wrapped onto two lines is one heading.
      [["Hollowmere house rules", "Calling a sleeper home when the bell has rung"], "Shout their name three times."],
    ]);
    await headed.close();
    const plain = await openPdf(buildPdf({ pages: [["Lantern oil", "A flask keeps a lantern lit."]] }));
    expect(await plain.pages(1, 1)).toEqual([
      expect.objectContaining({ text: "Lantern oil\nA flask keeps a lantern lit.", page: 1 }),
    ]);
    expect((await plain.pages(1, 1))[0]).not.toHaveProperty("headingPath");
    await plain.close();
  });

  it("nests a PDF's headings at most six deep, however many sizes a crafted page uses", async () => {
    // 40 headings, each in smaller type than the one before, with text under the last.
    const content = `BT 56 1980 Td ${Array.from({ length: 40 }, (_, i) => `/F1 ${60 - i} Tf ${60 - i} TL (Level ${i + 1}) Tj T*`).join(" ")} /F1 11 Tf 14 TL ${Array.from({ length: 30 }, () => "(body text of the page, long enough to be the body size) Tj T*").join(" ")} ET`;
    const crafted = await openPdf(
      serializePdf(
        [
          "<< /Type /Catalog /Pages 2 0 R >>",
          "<< /Type /Pages /Kids [5 0 R] /Count 1 >>",
          "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
          { dict: "", data: new TextEncoder().encode(content) },
          "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 2400] /Resources << /Font << /F1 3 0 R >> >> /Contents 4 0 R >>",
        ],
        1,
      ),
    );
    const blocks = await crafted.pages(1, 1);
    expect(blocks.length).toBeGreaterThan(0);
    for (const block of blocks) expect(block.headingPath?.length ?? 0).toBeLessThanOrEqual(6);
    expect(blocks.at(-1)?.headingPath).toEqual(["Level 1", "Level 2", "Level 3", "Level 4", "Level 5", "Level 40"]);
    await crafted.close();
  });

  it("reads a PDF by byte ranges with the same result, fetching only what the pages need", async () => {
    const bytes = corpusPdf();
    const whole = await openPdf(bytes.slice(0));
    const expected = await whole.pages(1, 8);
    await whole.close();
    let fetched = 0;
    const ranged = await openPdf({
      length: bytes.length,
      read: async (begin, end) => {
        fetched += end - begin;
        return bytes.slice(begin, end);
      },
    });
    expect(await ranged.pages(1, 8)).toEqual(expected);
    await ranged.close();
    // A 4 MB book whose bulk the requested pages do not use: only a little of it is read.
    const book = buildPdf({ pages: bookPages(3), padding: 4 * 1024 * 1024 });
    fetched = 0;
    const big = await openPdf({
      length: book.length,
      read: async (begin, end) => {
        fetched += end - begin;
        return book.slice(begin, end);
      },
    });
    expect((await big.pages(2, 2)).map((b) => b.text).join(" ")).toContain("page2 ");
    await big.close();
    expect(fetched).toBeLessThan(book.length / 4);
  });

  it("explains a damaged PDF instead of crashing", async () => {
    const damaged = new TextEncoder().encode("%PDF-1.7\nthis is not really a pdf at all\n%%EOF");
    await expect(openPdf(damaged.slice(0))).rejects.toBeInstanceOf(ExtractionError);
    await expect(openPdf(damaged.slice(0))).rejects.toThrow(/damaged/);
  });
});

describe("chunker", () => {
  it("packs blocks into bounded chunks that keep their provenance", () => {
    const chunks = chunkBlocks(extractMarkdown(conditions));
    expect(chunks.length).toBeGreaterThan(3);
    for (const chunk of chunks) {
      expect(chunk.text.length).toBeLessThanOrEqual(MAX_CHARS + 200);
      expect(chunk.headingPath?.length).toBeGreaterThan(0);
    }
    const blinded = chunks.find((c) => c.text.includes("blinded creature can’t see"));
    expect(blinded?.headingPath?.at(-1)).toMatch(/Blinded/i);
    expect(blinded?.text.startsWith(blinded.headingPath?.join(" › ") ?? "")).toBe(true);
    expect(chunks.map((c) => c.index)).toEqual(chunks.map((_, i) => i));
  });

  it("is deterministic, so a retry writes the same chunk ids", () => {
    const first = chunkBlocks(extractMarkdown(races));
    const again = chunkBlocks(extractMarkdown(races));
    expect(again).toEqual(first);
    expect(chunkId("abc", 2, 7)).toBe("abc:v2:7");
  });

  it("splits a long paragraph at sentence boundaries with an overlap", () => {
    const sentence = "The lich keeps its phylactery hidden beneath the drowned abbey. ";
    const chunks = chunkBlocks(extractPlainText(sentence.repeat(80)));
    expect(chunks.length).toBeGreaterThan(2);
    for (const chunk of chunks) expect(chunk.text.length).toBeLessThanOrEqual(MAX_CHARS);
    // Consecutive chunks share some words (the overlap).
    const tail = chunks[0]?.text.slice(-40) ?? "";
    expect(chunks[1]?.text).toContain(tail.split(" ").slice(-3).join(" "));
  });
});

/** A minimal real DOCX, built here: two headings and paragraphs, zipped as Word does. */
function buildDocx(): Uint8Array {
  const paragraph = (text: string, style?: string) =>
    `<w:p>${style ? `<w:pPr><w:pStyle w:val="${style}"/></w:pPr>` : ""}<w:r><w:t xml:space="preserve">${text}</w:t></w:r></w:p>`;
  const body = [
    paragraph("The Sunken Crown", "Heading1"),
    paragraph("The abbey bells ring at low tide."),
    paragraph("Sister Maren", "Heading2"),
    paragraph("She keeps the reliquary key (and a secret)."),
  ].join("");
  const styles = ["Heading1", "Heading2"]
    .map((id, i) => `<w:style w:type="paragraph" w:styleId="${id}"><w:name w:val="heading ${i + 1}"/></w:style>`)
    .join("");
  const w = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"';
  return zipSync({
    "[Content_Types].xml": strToU8(
      '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/><Override PartName="/word/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/></Types>',
    ),
    "_rels/.rels": strToU8(
      '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>',
    ),
    "word/_rels/document.xml.rels": strToU8(
      '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>',
    ),
    "word/styles.xml": strToU8(`<?xml version="1.0" encoding="UTF-8"?><w:styles ${w}>${styles}</w:styles>`),
    "word/document.xml": strToU8(
      `<?xml version="1.0" encoding="UTF-8"?><w:document ${w}><w:body>${body}</w:body></w:document>`,
    ),
  });
}

describe("Word documents", () => {
  it("reads text with its heading structure, without Markdown escapes", async () => {
    const blocks = await extractDocx(buildDocx());
    expect(blocks.map((b) => [b.headingPath, b.text])).toEqual([
      [["The Sunken Crown"], "The abbey bells ring at low tide."],
      [["The Sunken Crown", "Sister Maren"], "She keeps the reliquary key (and a secret)."],
    ]);
  });

  it("explains a damaged document", async () => {
    await expect(extractDocx(new Uint8Array([0x50, 0x4b, 0x03, 0x04, 1, 2, 3]))).rejects.toBeInstanceOf(
      ExtractionError,
    );
  });
});
