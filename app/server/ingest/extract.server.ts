import { jsonDepth } from "../json-depth.server";
import {
  JSON_PATH_SEGMENTS,
  MAX_BLOCK_CHARS,
  MAX_DOCX_ENTRIES,
  MAX_DOCX_XML_BYTES,
  MAX_HEADING_CHARS,
  MAX_JSON_BYTES,
  MAX_JSON_DEPTH,
  MAX_JSON_LABEL_CHARS,
  MAX_JSON_LINES,
  MAX_LINE_CHARS,
  MAX_TEXT_CHARS,
} from "./limits.server";
import { readZipDirectory, readZipEntry, type ZipEntry, ZipError } from "./zip.server";

/**
 * Extractors: turn a stored file into blocks of text that keep where they came from
 * (page number for PDFs, heading path for Markdown, field path for JSON). The chunker
 * (chunk.server.ts) packs blocks into retrieval-sized chunks without losing that.
 *
 * User text is parsed in linear time: line by line with string methods, and only
 * regular expressions that cannot backtrack (no nested or adjacent unbounded
 * quantifiers over the same characters). Text files are read as a stream, so memory
 * follows the longest line and block (both capped), not the file.
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

/** A file that cannot be extracted, with a reason a person understands. */
export class ExtractionError extends Error {
  override name = "ExtractionError";
}

const megabytes = (bytes: number) => Math.round(bytes / 1024 / 1024);

export const tooMuchText = () =>
  new ExtractionError(
    `This file holds more than ${(MAX_TEXT_CHARS / 1_000_000).toFixed(0)} million characters of text, more than one file can be searched for. Split it into smaller files and upload those.`,
  );

/**
 * Cuts text into lines (\n, \r\n or \r) across pieces pushed one after another. A line
 * longer than MAX_LINE_CHARS is handed out in pieces (at a space where there is one),
 * each but the last with `continues` set.
 */
export class LineSplitter {
  private partial = "";
  private afterCR = false;

  constructor(private readonly emit: (line: string, continues: boolean) => void) {}

  push(text: string): void {
    let from = 0;
    if (this.afterCR && text.startsWith("\n")) from = 1;
    this.afterCR = false;
    // Next positions of each line break, found once and reused (searching for "\r" in
    // every line of a file without any would be quadratic).
    let lf = text.indexOf("\n", from);
    let cr = text.indexOf("\r", from);
    while (from < text.length) {
      if (lf !== -1 && lf < from) lf = text.indexOf("\n", from);
      if (cr !== -1 && cr < from) cr = text.indexOf("\r", from);
      const brk = lf === -1 ? cr : cr === -1 ? lf : Math.min(lf, cr);
      if (brk === -1) {
        this.partial += text.slice(from);
        this.cutLongLine();
        return;
      }
      this.partial += text.slice(from, brk);
      this.cutLongLine();
      this.emit(this.partial, false);
      this.partial = "";
      from = brk + 1;
      if (text[brk] === "\r") {
        if (from === text.length) this.afterCR = true;
        else if (text[from] === "\n") from++;
      }
    }
  }

  end(): void {
    this.emit(this.partial, false);
    this.partial = "";
  }

  private cutLongLine(): void {
    while (this.partial.length > MAX_LINE_CHARS) {
      // Prefer a space in the last 1,000 characters before the limit; never split a surrogate pair.
      const window = this.partial.slice(MAX_LINE_CHARS - 1_000, MAX_LINE_CHARS);
      const space = window.lastIndexOf(" ");
      let cut = space >= 0 ? MAX_LINE_CHARS - 1_000 + space + 1 : MAX_LINE_CHARS;
      const unit = this.partial.charCodeAt(cut - 1);
      if (unit >= 0xd800 && unit <= 0xdbff) cut--;
      this.emit(this.partial.slice(0, cut), true);
      this.partial = this.partial.slice(cut);
    }
  }
}

type Current = { lines: string[]; start: number; size: number; kind: TextBlock["kind"] };

/** ATX heading ("## Title ##"): 1–6 '#', whitespace, the title, an optional closing run of '#'. */
function atxHeading(line: string): { level: number; title: string } | null {
  let level = 0;
  while (level < 7 && line[level] === "#") level++;
  if (level === 0 || level > 6) return null;
  if (line.length > level && !/\s/.test(line[level] ?? "")) return null;
  let title = line.slice(level).trim();
  let end = title.length;
  while (end > 0 && title[end - 1] === "#") end--;
  if (end === 0) title = "";
  else if (end < title.length && /\s/.test(title[end - 1] ?? "")) title = title.slice(0, end).trimEnd();
  if (level === line.length) return null; // "#" alone, as before: no heading
  return title.length > MAX_HEADING_CHARS ? null : { level, title };
}

/** A setext underline or thematic break: only '=' or only '-' (spaces around allowed). */
const underlineOf = (line: string): "=" | "-" | null => {
  const t = line.trim();
  if (/^=+$/.test(t)) return "=";
  if (/^-+$/.test(t)) return "-";
  return null;
};

const isFence = (line: string) => {
  const t = line.trimStart();
  return t.startsWith("```") || t.startsWith("~~~");
};

const kindOfLine = (line: string): TextBlock["kind"] => {
  const t = line.trimStart();
  if (t.startsWith("|")) return "table";
  return /^(?:[-*+]|\d{1,9}[.)])\s/.test(t) ? "list" : "paragraph";
};

/**
 * Markdown, line by line: blocks split on blank lines, with the heading path of each
 * block (ATX and setext headings); tables, lists and fenced code stay one block (in
 * pieces of at most MAX_BLOCK_CHARS).
 */
export class MarkdownReader {
  private readonly headings: string[] = [];
  private current: Current | null = null;
  private inFence = false;
  private offset = 0;
  /** The previous piece's line continues in this one. */
  private midLine = false;

  constructor(private readonly emit: (block: TextBlock) => void) {}

  line(line: string, continues: boolean): void {
    const lineStart = this.offset;
    this.offset += line.length + (continues ? 0 : 1);
    const midLine = this.midLine;
    this.midLine = continues;
    if (midLine) {
      this.add(line, lineStart, "paragraph", true);
      return;
    }
    if (isFence(line)) {
      if (!this.inFence) {
        this.flush(lineStart);
        this.current = { lines: [line], start: lineStart, size: line.length, kind: "code" };
      } else {
        this.current?.lines.push(line);
        this.flush(this.offset - 1);
      }
      this.inFence = !this.inFence;
      return;
    }
    if (this.inFence) {
      this.add(line, lineStart, "code", false);
      return;
    }
    const heading = continues ? null : atxHeading(line);
    if (heading) {
      this.flush(lineStart);
      this.setHeading(heading.level, heading.title);
      return;
    }
    // Setext headings: a one-line paragraph underlined with === (level 1) or --- (level 2).
    const underline = underlineOf(line);
    const current = this.current;
    if (underline && current?.kind === "paragraph" && current.lines.length === 1) {
      const title = (current.lines[0] ?? "").trim();
      if (title.length <= MAX_HEADING_CHARS) {
        this.setHeading(underline === "=" ? 1 : 2, title);
        this.current = null;
        return;
      }
    }
    if (underline && !current) return; // a thematic break
    if (!line.trim()) this.flush(lineStart);
    else this.add(line, lineStart, kindOfLine(line), false);
  }

  end(): void {
    this.flush(this.offset);
  }

  private add(line: string, lineStart: number, kind: TextBlock["kind"], continuation: boolean): void {
    if (!this.current) this.current = { lines: [], start: lineStart, size: 0, kind };
    const lines = this.current.lines;
    if (continuation && lines.length) lines[lines.length - 1] += line;
    else lines.push(line);
    this.current.size += line.length + 1;
    // A block too large to hold goes to the chunker now; the rest continues as a new block.
    if (this.current.size >= MAX_BLOCK_CHARS) {
      const { kind: same } = this.current;
      this.flush(this.offset);
      if (this.inFence && same === "code") this.current = { lines: [], start: this.offset, size: 0, kind: "code" };
    }
  }

  private setHeading(level: number, title: string): void {
    const headings = this.headings;
    headings.splice(level - 1);
    headings[level - 1] = title;
    // Fill gaps (a #### under a #) so the path has no holes.
    for (let i = 0; i < headings.length; i++) headings[i] ??= "";
  }

  private flush(end: number): void {
    const current = this.current;
    this.current = null;
    if (!current) return;
    const text = current.lines.join("\n").trim();
    if (!text) return;
    this.emit({
      text,
      headingPath: this.headings.filter(Boolean),
      start: current.start,
      end,
      kind: current.kind,
    });
  }
}

/** Plain text, line by line: paragraphs split on blank lines (in pieces of at most MAX_BLOCK_CHARS). */
export class PlainTextReader {
  private current: Current | null = null;
  private offset = 0;
  private midLine = false;
  /** End offset of the last line with text in the current paragraph. */
  private lastEnd = 0;

  constructor(private readonly emit: (block: TextBlock) => void) {}

  line(line: string, continues: boolean): void {
    const lineStart = this.offset;
    this.offset += line.length + (continues ? 0 : 1);
    const midLine = this.midLine;
    this.midLine = continues;
    if (!midLine && !line.trim()) {
      this.flush();
      return;
    }
    if (!this.current) this.current = { lines: [], start: lineStart, size: 0, kind: "paragraph" };
    const lines = this.current.lines;
    if (midLine && lines.length) lines[lines.length - 1] += line;
    else lines.push(line);
    this.current.size += line.length + 1;
    this.lastEnd = lineStart + line.length;
    if (this.current.size >= MAX_BLOCK_CHARS) this.flush();
  }

  end(): void {
    this.flush();
  }

  /** A line that is no block's text (a PDF's heading): it ends the paragraph before it. */
  skipLine(line: string): void {
    this.flush();
    this.offset += line.length + 1;
    this.midLine = false;
  }

  private flush(): void {
    const current = this.current;
    this.current = null;
    if (!current) return;
    const text = current.lines.join("\n").trim();
    if (text) this.emit({ text, start: current.start, end: this.lastEnd, kind: "paragraph" });
  }
}

function readAll(source: string, reader: MarkdownReader | PlainTextReader): void {
  const lines = new LineSplitter((line, continues) => reader.line(line, continues));
  lines.push(source);
  lines.end();
  reader.end();
}

/** Markdown: see MarkdownReader. */
export function extractMarkdown(source: string): TextBlock[] {
  const blocks: TextBlock[] = [];
  readAll(source, new MarkdownReader((block) => blocks.push(block)));
  return blocks;
}

/** Plain text: paragraphs split on blank lines. */
export function extractPlainText(source: string): TextBlock[] {
  const blocks: TextBlock[] = [];
  readAll(source, new PlainTextReader((block) => blocks.push(block)));
  return blocks;
}

/**
 * The text encoding a file's first bytes announce: a UTF-16 byte-order mark (LE or BE),
 * else UTF-8 (with or without its mark). The decoder drops the mark itself.
 */
export function encodingOf(head: Uint8Array): "utf-8" | "utf-16le" | "utf-16be" {
  if (head[0] === 0xff && head[1] === 0xfe) return "utf-16le";
  if (head[0] === 0xfe && head[1] === 0xff) return "utf-16be";
  return "utf-8";
}

export function decodeText(bytes: Uint8Array): string {
  return new TextDecoder(encodingOf(bytes)).decode(bytes);
}

/** Bytes read from a text file at a time, into one buffer used again for every read. */
const TEXT_READ_BYTES = 64 * 1024;

/**
 * Reads a Markdown or text file from a byte stream (an R2 body), handing out blocks as they
 * complete: neither the file's bytes nor its whole text are ever held at once. It reads
 * into one buffer again and again (a BYOB reader), so a 20 MB file leaves no 20 MB of
 * buffers for the garbage collector. Fails past MAX_TEXT_CHARS.
 */
export async function readTextStream(
  body: ReadableStream<Uint8Array>,
  kind: "markdown" | "text",
  onBlock: (block: TextBlock) => void,
): Promise<void> {
  const reader = kind === "markdown" ? new MarkdownReader(onBlock) : new PlainTextReader(onBlock);
  const lines = new LineSplitter((line, continues) => reader.line(line, continues));
  let decoder: TextDecoder | null = null;
  let head: Uint8Array = new Uint8Array(0);
  let chars = 0;
  const take = (text: string) => {
    chars += text.length;
    if (chars > MAX_TEXT_CHARS) throw tooMuchText();
    lines.push(text);
  };
  const stream = body.getReader({ mode: "byob" });
  let buffer = new ArrayBuffer(TEXT_READ_BYTES);
  try {
    for (;;) {
      const { value: piece, done } = await stream.read(new Uint8Array(buffer));
      if (done || !piece) break;
      buffer = piece.buffer as ArrayBuffer;
      if (!decoder) {
        // The byte-order mark needs the first 2–3 bytes, which may arrive split.
        head = concatBytes(head, piece);
        if (head.length < 3) continue;
        decoder = new TextDecoder(encodingOf(head));
        take(decoder.decode(head, { stream: true }));
        continue;
      }
      take(decoder.decode(piece, { stream: true }));
    }
  } finally {
    // Stops reading the object when a block or the text cap threw.
    await stream.cancel().catch(() => {});
  }
  take(decoder ? decoder.decode() : decodeText(head));
  lines.end();
  reader.end();
}

function concatBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

export const jsonTooLarge = () =>
  new ExtractionError(
    `This JSON file is larger than ${megabytes(MAX_JSON_BYTES)} MB, the most read as one document. Split it (for example one character per file) and upload the parts.`,
  );

const tooDeep = () =>
  new ExtractionError(
    `This JSON file is nested more than ${MAX_JSON_DEPTH} levels deep, deeper than any character sheet, so it is not read. Flatten it (fewer levels of objects inside objects) and upload it again.`,
  );

/**
 * JSON character sheets: flattened to readable lines "Field name: value", one block per
 * top-level field, so a search for "dexterity" finds the sheet's "stats › dexterity: 17".
 * A line names the last JSON_PATH_SEGMENTS fields of its path ("… › spells › 3 › name")
 * rather than its whole ancestry, so the text stays close to the file's size.
 */
export function extractJson(source: string): TextBlock[] {
  if (source.length > MAX_JSON_BYTES) throw jsonTooLarge();
  if (jsonDepth(source, MAX_JSON_DEPTH) > MAX_JSON_DEPTH) throw tooDeep();
  let data: unknown;
  try {
    data = JSON.parse(source);
  } catch {
    throw new ExtractionError("This JSON file is not valid JSON, so it cannot be read. Check it and upload it again.");
  }
  const blocks: TextBlock[] = [];
  let offset = 0;
  let lines = 0;
  const label = (key: string) => {
    const short = key.length > MAX_JSON_LABEL_CHARS ? `${key.slice(0, MAX_JSON_LABEL_CHARS)}…` : key;
    return short.replace(/[_-]+/g, " ").replace(/([a-z])([A-Z])/g, "$1 $2");
  };
  const line = (path: string[], value: string) => {
    if (++lines > MAX_JSON_LINES) {
      throw new ExtractionError(
        `This JSON file has more than ${MAX_JSON_LINES.toLocaleString("en")} fields, far more than a character sheet. Split it into smaller files and upload those.`,
      );
    }
    const shown = path.slice(-JSON_PATH_SEGMENTS).map(label).join(" › ");
    return `${path.length > JSON_PATH_SEGMENTS ? "… › " : ""}${shown}: ${value}`;
  };
  const flatten = (value: unknown, path: string[], out: string[]): void => {
    if (value === null || value === undefined) return;
    if (Array.isArray(value)) {
      if (value.every((v) => typeof v !== "object" || v === null)) out.push(line(path, value.join(", ")));
      else for (const [i, item] of value.entries()) flatten(item, [...path, String(i + 1)], out);
    } else if (typeof value === "object") {
      for (const [key, v] of Object.entries(value as Record<string, unknown>)) flatten(v, [...path, key], out);
    } else out.push(line(path, String(value)));
  };
  const top =
    data !== null && typeof data === "object" && !Array.isArray(data) ? Object.entries(data) : [["value", data]];
  for (const [key, value] of top as [string, unknown][]) {
    const out: string[] = [];
    flatten(value, [key], out);
    const text = out.join("\n");
    if (!text) continue;
    blocks.push({ text, headingPath: [label(key)], start: offset, end: offset + text.length, kind: "field" });
    offset += text.length + 1;
  }
  return blocks;
}

export const passwordProtected = () =>
  new ExtractionError("This PDF is password-protected. Save an unlocked copy and upload that.");

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
 * Damaged and locked files fail with a reason a person can act on. (Compressed streams
 * are checked before, by scanPdfStreams: pdf.js decodes each one whole.)
 */
export async function openPdf(source: Uint8Array | ByteSource): Promise<PdfDocument> {
  if (source.length === 0) throw new ExtractionError("This PDF is empty (0 bytes). Upload the file again.");
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
    if (name === "PasswordException") throw passwordProtected();
    throw new ExtractionError(
      "This PDF is damaged or not really a PDF, so its text cannot be read. Try exporting it again.",
    );
  }
  /** Text lines of one page; a page that cannot be read fails with what to do about it. */
  const linesOf = async (page: number): Promise<PdfLine[]> => {
    try {
      const proxy = await pdf.getPage(page);
      const lines = pageLines(await proxy.getTextContent());
      // Drop the page's parsed objects (fonts, operator lists) as soon as its text is out.
      proxy.cleanup();
      return lines;
    } catch (error) {
      if (readError) throw readError;
      // The same bytes fail the same way every time: no point retrying.
      console.warn(`pdf page ${page} unreadable:`, error);
      throw new ExtractionError(
        `Page ${page} of this PDF is damaged (or the file is cut short), so its text cannot be read. Open it in a PDF viewer and save or export it again (this often repairs it), then upload that.`,
      );
    }
  };
  let bodyHeight: number | undefined;
  return {
    pageCount: pdf.numPages,
    async pages(first, last) {
      const end = Math.min(last, pdf.numPages);
      if (first > end) return [];
      bodyHeight ??= await sampleBodyHeight(pdf.numPages, linesOf);
      const outline = new PdfOutline(bodyHeight);
      // A page starts under the headings the page before it ended with, whichever batch reads it.
      let seed = first > 1 ? outline.endOf(await linesOf(first - 1), []) : [];
      const blocks: TextBlock[] = [];
      for (let page = first; page <= end; page++) {
        const lines = await linesOf(page);
        blocks.push(...outline.blocks(page, lines, seed));
        seed = outline.endOf(lines, []);
      }
      return blocks;
    },
    close: () => pdf.destroy(),
  };
}

type TextContent = { items: Array<{ str: string; hasEOL: boolean; height?: number } | object> };

/** A line of a PDF page as pdf.js lays it out, with the height of its tallest run of text. */
interface PdfLine {
  text: string;
  height: number;
  /** Whether a line break ends it (the page's last run may have none). */
  eol: boolean;
}

function pageLines(content: TextContent): PdfLine[] {
  const lines: PdfLine[] = [];
  let text = "";
  let height = 0;
  for (const item of content.items) {
    if (!("str" in item)) continue;
    text += item.str;
    if (item.str.trim()) height = Math.max(height, Math.round((item.height ?? 0) * 10) / 10);
    if (item.hasEOL) {
      lines.push({ text, height, eol: true });
      text = "";
      height = 0;
    } else if (item.str && !text.endsWith(" ")) text += " ";
  }
  if (text) lines.push({ text, height, eol: false });
  return lines;
}

/** Pages read to learn a PDF's body text size: spread evenly, so the answer never depends on which pages a step reads. */
const BODY_SAMPLE_PAGES = 8;

/**
 * The height most of a PDF's characters are set in (its body text), from a fixed sample of
 * its pages; 0 when they hold no text. A page that cannot be read is left out here: its
 * turn to be extracted says so.
 */
async function sampleBodyHeight(pageCount: number, linesOf: (page: number) => Promise<PdfLine[]>): Promise<number> {
  const pages = new Set(
    Array.from({ length: Math.min(BODY_SAMPLE_PAGES, pageCount) }, (_, k) =>
      pageCount <= BODY_SAMPLE_PAGES ? k + 1 : 1 + Math.floor((k * (pageCount - 1)) / (BODY_SAMPLE_PAGES - 1)),
    ),
  );
  const chars = new Map<number, number>();
  for (const page of pages) {
    let lines: PdfLine[];
    try {
      lines = await linesOf(page);
    } catch (error) {
      if (error instanceof ExtractionError) continue;
      throw error;
    }
    for (const line of lines) chars.set(line.height, (chars.get(line.height) ?? 0) + line.text.trim().length);
  }
  let body = 0;
  for (const [height, count] of chars) if (count > (chars.get(body) ?? 0)) body = height;
  return body;
}

/** A heading is set at least this much larger than the body text… */
const HEADING_SCALE = 1.15;
/** …and is short: a longer line in large type is a pull quote or a title page's text. */
const MAX_PDF_HEADING_CHARS = 100;
/** A heading wrapped onto several lines is joined, up to this length. */
const MAX_WRAPPED_HEADING_CHARS = 160;
/**
 * Headings nest at most this deep, as Markdown's six levels: a crafted page of ever smaller
 * headings would otherwise put all of them in front of every chunk's text.
 */
const MAX_PDF_HEADING_DEPTH = 6;

interface OpenHeading {
  height: number;
  title: string;
}

/**
 * Headings of a PDF, read from type size (PDFs carry no structure that all of them share):
 * a short line set larger than the body text is a heading, nested under the larger ones
 * before it. The blocks of a page take the headings above them as their heading path, as
 * Markdown's do, and the heading lines themselves become that path instead of text.
 */
class PdfOutline {
  constructor(private readonly bodyHeight: number) {}

  private isHeading(line: PdfLine): boolean {
    const text = line.text.trim();
    return (
      this.bodyHeight > 0 &&
      line.height >= this.bodyHeight * HEADING_SCALE &&
      text.length <= MAX_PDF_HEADING_CHARS &&
      /\p{L}/u.test(text)
    );
  }

  /** The headings open at the end of `lines`, starting under `seed`. */
  endOf(lines: PdfLine[], seed: OpenHeading[]): OpenHeading[] {
    return this.walk(lines, seed, () => {});
  }

  /**
   * Goes through a page's lines under `seed`, telling `visit` of each (whether it is a
   * heading, before it opens) and opening the headings; returns those open at the end.
   */
  private walk(
    lines: PdfLine[],
    seed: OpenHeading[],
    visit: (line: PdfLine, heading: boolean, open: OpenHeading[]) => void,
  ): OpenHeading[] {
    const open = seed.map((heading) => ({ ...heading }));
    let previousWasHeading = false;
    for (const line of lines) {
      const heading = this.isHeading(line);
      visit(line, heading, open);
      if (heading) this.enter(open, line, previousWasHeading);
      if (heading || line.text.trim()) previousWasHeading = heading;
    }
    return open;
  }

  private enter(open: OpenHeading[], line: PdfLine, previousWasHeading: boolean): void {
    const title = line.text.trim().replace(/\s+/g, " ");
    const top = open.at(-1);
    if (
      previousWasHeading &&
      top?.height === line.height &&
      top.title.length + title.length < MAX_WRAPPED_HEADING_CHARS
    ) {
      top.title = `${top.title} ${title}`;
      return;
    }
    while ((open.at(-1)?.height ?? Number.POSITIVE_INFINITY) <= line.height) open.pop();
    // Past the deepest level, a smaller heading takes the innermost one's place.
    if (open.length >= MAX_PDF_HEADING_DEPTH) open.pop();
    open.push({ height: line.height, title });
  }

  /** The text blocks of one page, each with the headings above it. */
  blocks(page: number, lines: PdfLine[], seed: OpenHeading[]): TextBlock[] {
    const blocks: TextBlock[] = [];
    let path: string[] = [];
    const reader = new PlainTextReader((block) => {
      const clean = block.text.replace(/[ \t]+/g, " ").replace(/ ?\n ?/g, "\n");
      blocks.push({ ...block, text: clean, page, ...(path.length ? { headingPath: [...path] } : {}) });
    });
    const splitter = new LineSplitter((line, continues) => reader.line(line, continues));
    this.walk(lines, seed, (line, heading, open) => {
      path = open.map((h) => h.title);
      // The paragraph before a heading ends under the old headings; the line is the path, not
      // text. (Only a page's last line lacks a line break, so nothing of a line is pending.)
      if (heading) reader.skipLine(line.text);
      else splitter.push(line.eol ? `${line.text}\n` : line.text);
    });
    splitter.end();
    reader.end();
    return blocks;
  }
}

/**
 * Word documents (DOCX) through mammoth, which runs in workerd: converted to Markdown so
 * headings become heading paths, then read like any Markdown file. Mammoth escapes
 * Markdown punctuation ("tide\."); the escapes are removed from the block text.
 *
 * Mammoth reads the archive's parts through our ZIP reader, which refuses a document
 * whose XML declares, or turns out while inflating, to be over MAX_DOCX_XML_BYTES; images
 * are never read (search needs no pictures, and mammoth would inline them as base64).
 */
export async function extractDocx(bytes: Uint8Array): Promise<TextBlock[]> {
  const damaged = () =>
    new ExtractionError("This Word document is damaged or not really a .docx file. Save it again and upload it.");
  const tooLarge = () =>
    new ExtractionError(
      `This Word document holds more than ${megabytes(MAX_DOCX_XML_BYTES)} MB of text and formatting, more than can be read at once. Save it as a PDF (File › Save As) and upload that, or split it into smaller documents.`,
    );
  let entries: ZipEntry[];
  try {
    entries = readZipDirectory(bytes, MAX_DOCX_ENTRIES);
  } catch (error) {
    if (error instanceof ZipError && error.tooManyEntries) {
      throw new ExtractionError(
        `This Word document has more than ${MAX_DOCX_ENTRIES.toLocaleString("en")} parts, far more than a document of text and pictures. Save it as a PDF (File › Save As) and upload that.`,
      );
    }
    throw damaged();
  }
  const byName = new Map<string, ZipEntry>();
  let declared = 0;
  for (const entry of entries) {
    byName.set(entry.name, entry);
    if (/\.(?:xml|rels)$/i.test(entry.name)) declared += entry.size;
  }
  if (declared > MAX_DOCX_XML_BYTES) throw tooLarge();
  let budget = MAX_DOCX_XML_BYTES;
  let overBudget = false;
  const file = {
    exists: (name: string) => byName.has(name),
    async read(name: string, encoding?: string) {
      const entry = byName.get(name);
      if (!entry) throw new Error(`${name} is missing`);
      const data = await readZipEntry(bytes, entry, budget);
      if (!data) {
        overBudget = true;
        throw new Error(`${name} inflates past the limit`);
      }
      budget -= data.length;
      return encoding ? new TextDecoder(encoding).decode(data) : data;
    },
    write() {
      throw new Error("read-only");
    },
    toArrayBuffer() {
      throw new Error("read-only");
    },
  };
  const mammoth = (await import("mammoth")) as unknown as {
    convertToMarkdown(
      input: { file: typeof file },
      options: { convertImage: () => Promise<[]> },
    ): Promise<{ value: string }>;
  };
  let markdown: string;
  try {
    markdown = (await mammoth.convertToMarkdown({ file }, { convertImage: () => Promise.resolve([]) })).value;
  } catch {
    throw overBudget ? tooLarge() : damaged();
  }
  if (markdown.length > MAX_TEXT_CHARS) throw tooMuchText();
  const dropEscapes = (text: string) => text.replace(/\\([\\`*_{}[\]()#+\-.!>|~])/g, "$1");
  return extractMarkdown(markdown).map((block) => ({
    ...block,
    text: dropEscapes(block.text),
    headingPath: block.headingPath?.map(dropEscapes),
  }));
}
