/**
 * Extractors: turn a stored file into blocks of text that keep where they came from
 * (page number for PDFs, heading path for Markdown, field path for JSON). The chunker
 * (chunk.server.ts) packs blocks into retrieval-sized chunks without losing that.
 */

export interface TextBlock {
  text: string;
  /** 1-based page, for paged sources (PDF). */
  page?: number;
  /** Headings above this block, outermost first (Markdown). */
  headingPath?: string[];
  /** Character offsets of the block in the extracted text of its page or file. */
  start: number;
  end: number;
  /** Tables, lists and headings are kept whole where they fit. */
  kind: "heading" | "paragraph" | "list" | "table" | "code" | "field";
}

/**
 * Markdown: blocks split on blank lines, with the heading path of each block; tables,
 * lists and fenced code stay one block.
 */
export function extractMarkdown(source: string): TextBlock[] {
  const text = source.replace(/\r\n?/g, "\n");
  const blocks: TextBlock[] = [];
  const headings: string[] = [];
  const lines = text.split("\n");
  let offset = 0;
  let current: { lines: string[]; start: number; kind: TextBlock["kind"] } | null = null;
  let inFence = false;

  const flush = (end: number) => {
    if (current?.lines.join("").trim()) {
      blocks.push({
        text: current.lines.join("\n").trim(),
        headingPath: [...headings],
        start: current.start,
        end,
        kind: current.kind,
      });
    }
    current = null;
  };

  for (const line of lines) {
    const lineStart = offset;
    offset += line.length + 1;
    if (/^\s*(```|~~~)/.test(line)) {
      if (!inFence) {
        flush(lineStart);
        current = { lines: [line], start: lineStart, kind: "code" };
      } else {
        current?.lines.push(line);
        flush(offset - 1);
      }
      inFence = !inFence;
      continue;
    }
    if (inFence) {
      current?.lines.push(line);
      continue;
    }
    const setHeading = (level: number, title: string) => {
      headings.splice(level - 1);
      headings[level - 1] = title;
      // Fill gaps (a #### under a #) so the path has no holes.
      for (let i = 0; i < headings.length; i++) headings[i] ??= "";
    };
    const heading = /^(#{1,6})\s+(.*?)\s*#*\s*$/.exec(line);
    if (heading) {
      flush(lineStart);
      setHeading(heading[1]?.length ?? 1, heading[2] ?? "");
      continue;
    }
    // Setext headings: a one-line paragraph underlined with === (level 1) or --- (level 2).
    const underline = /^\s*(=+|-+)\s*$/.exec(line);
    if (underline && current?.kind === "paragraph" && current.lines.length === 1) {
      setHeading(underline[1]?.startsWith("=") ? 1 : 2, (current.lines[0] ?? "").trim());
      current = null;
      continue;
    }
    if (underline && !current) continue; // a thematic break
    if (!line.trim()) {
      flush(lineStart);
      continue;
    }
    const kind: TextBlock["kind"] = /^\s*\|/.test(line)
      ? "table"
      : /^\s*([-*+]|\d+[.)])\s/.test(line)
        ? "list"
        : "paragraph";
    if (!current) current = { lines: [], start: lineStart, kind };
    current.lines.push(line);
  }
  flush(offset);
  return blocks.map((block) => ({ ...block, headingPath: block.headingPath?.filter(Boolean) }));
}

/** Plain text: paragraphs split on blank lines. */
export function extractPlainText(source: string): TextBlock[] {
  const text = source.replace(/\r\n?/g, "\n");
  const blocks: TextBlock[] = [];
  const pattern = /[^\n](?:[\s\S]*?)(?=\n\s*\n|$)/g;
  for (const match of text.matchAll(pattern)) {
    const paragraph = match[0].trim();
    if (paragraph) {
      blocks.push({ text: paragraph, start: match.index, end: match.index + match[0].length, kind: "paragraph" });
    }
  }
  return blocks;
}

/**
 * JSON character sheets: flattened to readable lines "Field name: value", one block per
 * top-level field, so a search for "dexterity" finds the sheet's "stats.dexterity: 17".
 */
export function extractJson(source: string): TextBlock[] {
  const data: unknown = JSON.parse(source);
  const blocks: TextBlock[] = [];
  let offset = 0;
  const label = (key: string) => key.replace(/[_-]+/g, " ").replace(/([a-z])([A-Z])/g, "$1 $2");
  const flatten = (value: unknown, path: string[]): string[] => {
    if (value === null || value === undefined) return [];
    if (Array.isArray(value)) {
      if (value.every((v) => typeof v !== "object" || v === null))
        return [`${path.map(label).join(" › ")}: ${value.join(", ")}`];
      return value.flatMap((item, i) => flatten(item, [...path, String(i + 1)]));
    }
    if (typeof value === "object") {
      return Object.entries(value as Record<string, unknown>).flatMap(([key, v]) => flatten(v, [...path, key]));
    }
    return [`${path.map(label).join(" › ")}: ${String(value)}`];
  };
  const top =
    data !== null && typeof data === "object" && !Array.isArray(data) ? Object.entries(data) : [["value", data]];
  for (const [key, value] of top as [string, unknown][]) {
    const text = flatten(value, [key]).join("\n");
    if (!text) continue;
    blocks.push({ text, headingPath: [label(key)], start: offset, end: offset + text.length, kind: "field" });
    offset += text.length + 1;
  }
  return blocks;
}

/** A file that cannot be extracted, with a reason a person understands. */
export class ExtractionError extends Error {
  override name = "ExtractionError";
}

/** Random access to a file's bytes, so a PDF can be read from R2 by ranges. */
export interface ByteSource {
  length: number;
  read(begin: number, end: number): Promise<Uint8Array>;
}

export interface PdfDocument {
  pageCount: number;
  /** Text blocks of pages `first`..`last` (1-based, inclusive), each tagged with its page. */
  pages(first: number, last: number): Promise<TextBlock[]>;
  close(): Promise<void>;
}

/** pdf.js fetches ranges of this size; bigger chunks mean fewer R2 reads per page. */
const PDF_RANGE_CHUNK = 256 * 1024;

/**
 * Opens a PDF (unpdf / pdf.js, server side only). Given a ByteSource, pdf.js asks for
 * the byte ranges it needs (the cross-reference table, then each page's objects), so
 * extracting 20 pages of a 600-page book reads a few hundred KB, not the whole file.
 * Damaged and locked files fail with a reason a person can act on.
 */
export async function openPdf(source: Uint8Array | ByteSource): Promise<PdfDocument> {
  const { getResolvedPDFJS } = await import("unpdf");
  const pdfjs = await getResolvedPDFJS();
  let readError: unknown;
  let params: Record<string, unknown>;
  if (source instanceof Uint8Array) {
    params = { data: source };
  } else {
    const ranges = source;
    class RangeTransport extends pdfjs.PDFDataRangeTransport {
      override requestDataRange(begin: number, end: number) {
        ranges.read(begin, end).then(
          (bytes: Uint8Array) => this.onDataRange(begin, bytes),
          (error: unknown) => {
            readError = error;
            void task.destroy();
          },
        );
      }
    }
    params = {
      range: new RangeTransport(source.length, null),
      length: source.length,
      rangeChunkSize: PDF_RANGE_CHUNK,
      disableAutoFetch: true,
      disableStream: true,
    };
  }
  const task = pdfjs.getDocument({
    ...params,
    isEvalSupported: false,
    useSystemFonts: false,
    disableFontFace: true,
    // Text extraction needs no glyph data; without this pdf.js warns about standard fonts.
    verbosity: 0,
  });
  let pdf: Awaited<typeof task.promise>;
  try {
    pdf = await task.promise;
  } catch (error) {
    if (readError) throw readError;
    const name = (error as { name?: string }).name ?? "";
    if (name === "PasswordException") {
      throw new ExtractionError("This PDF is password-protected. Save an unlocked copy and upload that.");
    }
    throw new ExtractionError(
      "This PDF is damaged or not really a PDF, so its text cannot be read. Try exporting it again.",
    );
  }
  return {
    pageCount: pdf.numPages,
    async pages(first, last) {
      const blocks: TextBlock[] = [];
      try {
        for (let page = first; page <= Math.min(last, pdf.numPages); page++) {
          const proxy = await pdf.getPage(page);
          blocks.push(...pageBlocks(page, await proxy.getTextContent()));
          // Drop the page's parsed objects (fonts, operator lists) as soon as its text is out.
          proxy.cleanup();
        }
      } catch (error) {
        if (readError) throw readError;
        throw error;
      }
      return blocks;
    },
    close: () => pdf.destroy(),
  };
}

type TextContent = { items: Array<{ str: string; hasEOL: boolean } | object> };

function pageBlocks(page: number, content: TextContent): TextBlock[] {
  let text = "";
  for (const item of content.items) {
    if (!("str" in item)) continue;
    text += item.str;
    if (item.hasEOL) text += "\n";
    else if (item.str && !text.endsWith(" ")) text += " ";
  }
  const blocks: TextBlock[] = [];
  let offset = 0;
  for (const paragraph of text.split(/\n\s*\n/)) {
    const clean = paragraph
      .replace(/[ \t]+/g, " ")
      .replace(/ ?\n ?/g, "\n")
      .trim();
    if (clean) blocks.push({ text: clean, page, start: offset, end: offset + paragraph.length, kind: "paragraph" });
    offset += paragraph.length + 2;
  }
  return blocks;
}

/**
 * Word documents (DOCX) through mammoth, which runs in workerd: converted to Markdown so
 * headings become heading paths, then read like any Markdown file. Mammoth escapes
 * Markdown punctuation ("tide\."); the escapes are removed from the block text.
 */
export async function extractDocx(bytes: Uint8Array): Promise<TextBlock[]> {
  const mammoth = (await import("mammoth")) as unknown as {
    convertToMarkdown(input: { buffer: unknown }): Promise<{ value: string }>;
  };
  // nodejs_compat provides Buffer, which mammoth's workerd (node) entry expects.
  const { Buffer } = globalThis as unknown as { Buffer: { from(bytes: Uint8Array): unknown } };
  let markdown: string;
  try {
    markdown = (await mammoth.convertToMarkdown({ buffer: Buffer.from(bytes) })).value;
  } catch {
    throw new ExtractionError("This Word document is damaged or not really a .docx file. Save it again and upload it.");
  }
  const dropEscapes = (text: string) => text.replace(/\\([\\`*_{}[\]()#+\-.!>|~])/g, "$1");
  return extractMarkdown(markdown).map((block) => ({
    ...block,
    text: dropEscapes(block.text),
    headingPath: block.headingPath?.map(dropEscapes),
  }));
}
