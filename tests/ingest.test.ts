import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { chunkBlocks, chunkId, MAX_CHARS } from "~/server/ingest/chunk.server";
import {
  ExtractionError,
  extractJson,
  extractMarkdown,
  extractPdfPages,
  extractPlainText,
} from "~/server/ingest/extract.server";
import races from "../../shared/corpus/srd5/01-races.md?raw";
import conditions from "../../shared/corpus/srd5/12-conditions.md?raw";

// pdf.js takes ownership of (detaches) the buffer it is given: hand it a copy each time.
const corpusPdf = () => new Uint8Array((env as unknown as { CORPUS_RACES_PDF: ArrayBuffer }).CORPUS_RACES_PDF.slice(0));

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
    const { pageCount, blocks } = await extractPdfPages(corpusPdf());
    expect(pageCount).toBe(8);
    expect(new Set(blocks.map((b) => b.page))).toEqual(new Set([1, 2, 3, 4, 5, 6, 7, 8]));
    expect(blocks.some((b) => /dwarf/i.test(b.text))).toBe(true);
    const range = await extractPdfPages(corpusPdf(), 2, 3);
    expect(new Set(range.blocks.map((b) => b.page))).toEqual(new Set([2, 3]));
  });

  it("explains a damaged PDF instead of crashing", async () => {
    const damaged = new TextEncoder().encode("%PDF-1.7\nthis is not really a pdf at all\n%%EOF");
    await expect(extractPdfPages(damaged)).rejects.toBeInstanceOf(ExtractionError);
    await expect(extractPdfPages(damaged)).rejects.toThrow(/damaged/);
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
