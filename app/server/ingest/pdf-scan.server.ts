import { type ByteSource, ExtractionError, passwordProtected } from "./extract.server";
import { DeflateCounter } from "./inflate.server";
import { MAX_PDF_IMAGE_INFLATED, MAX_PDF_INFLATED_TOTAL, MAX_PDF_STREAM_INFLATED } from "./limits.server";
import {
  type Decryption,
  decryptionFor,
  parseEncryptDictionary,
  pdfString,
  type StreamDecipher,
} from "./pdf-crypt.server";

/**
 * Before pdf.js reads a PDF: one pass over the file that measures what every
 * zlib-compressed stream inflates to (counting, never inflating: inflate.server.ts) and
 * refuses the file once one stream, or all of them together, pass their caps. pdf.js
 * decodes each stream it needs whole into memory, so a 1 MB file whose page inflates to
 * 1 GiB would otherwise take the Worker (and the other files in it) down.
 *
 * It does not follow the object graph: every "stream" keyword in the file is examined,
 * also inside other streams' data, and each stream is counted until its DEFLATE data
 * ends, so no declared length can hide data from it. A file that is encrypted yet opens
 * without a password (an owner password only) is measured a second time, decrypted
 * (pdf-crypt.server.ts). It reads by ranges (R2), a window at a time.
 */

export interface PdfScan {
  /** zlib streams found and measured. */
  streams: number;
  /** What they inflate to, together. */
  inflated: number;
  /**
   * Page objects (`/Type /Page`) written outside compressed object streams: a lower bound
   * of the page count, known before pdf.js builds its page tree (which costs memory per page).
   */
  pageObjects: number;
}

/** Bytes before a "stream" keyword searched for its dictionary (real ones are a few hundred). */
const DICT_LOOKBACK = 4 * 1024;
/** One range read; the SRD's largest stream is 21 KB compressed, so most are read once. */
const WINDOW = 1024 * 1024;
/** Bytes searched or counted at a time. */
const PIECE = 64 * 1024;

const STREAM = new TextEncoder().encode("stream");
const ENCRYPT = new TextEncoder().encode("/Encrypt");
const TYPE = new TextEncoder().encode("/Type");
const PAGE = new TextEncoder().encode("/Page");
const latin1 = new TextDecoder("latin1");

const megabytes = (bytes: number) => Math.round(bytes / 1024 / 1024);

/** Bytes of the file by position, read a window at a time. */
class Cursor {
  private start = 0;
  private bytes: Uint8Array = new Uint8Array(0);

  constructor(private readonly source: ByteSource) {}

  get length(): number {
    return this.source.length;
  }

  /** Bytes [at, at + n), fewer at the end of the file. */
  async get(at: number, n: number): Promise<Uint8Array> {
    const begin = Math.max(0, at);
    const end = Math.min(at + n, this.source.length);
    if (begin >= end) return new Uint8Array(0);
    if (begin < this.start || end > this.start + this.bytes.length) {
      // Keep some bytes before `begin` too: the dictionary before a keyword is read next.
      const from = Math.max(0, begin - DICT_LOOKBACK);
      this.bytes = await this.source.read(from, Math.min(this.source.length, Math.max(end, from + WINDOW)));
      this.start = from;
    }
    return this.bytes.subarray(begin - this.start, end - this.start);
  }
}

function indexOf(bytes: Uint8Array, pattern: Uint8Array, from = 0): number {
  const first = pattern[0] ?? 0;
  for (
    let i = bytes.indexOf(first, from);
    i !== -1 && i + pattern.length <= bytes.length;
    i = bytes.indexOf(first, i + 1)
  ) {
    let k = 1;
    while (k < pattern.length && bytes[i + k] === pattern[k]) k++;
    if (k === pattern.length) return i;
  }
  return -1;
}

const isLetter = (byte: number) => (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a);

/** pdf.js's own test of FlateDecode data: method 8, a valid check value, no preset dictionary. */
const isZlibHeader = (cmf: number, flg: number) =>
  (cmf & 0x0f) === 8 && ((cmf << 8) + flg) % 31 === 0 && (flg & 0x20) === 0;

/** The dictionary ending just before a stream keyword, and where it starts (-1: not found). */
function dictionaryOf(before: string): { text: string; start: number } {
  const close = before.lastIndexOf(">>");
  if (close < 0 || before.slice(close + 2).trim()) return { text: "", start: -1 };
  let depth = 0;
  for (let i = close + 1; i > 0; i--) {
    if (before[i] === ">" && before[i - 1] === ">") {
      depth++;
      i--;
    } else if (before[i] === "<" && before[i - 1] === "<") {
      depth--;
      i--;
      if (depth === 0) return { text: before.slice(i, close + 2), start: i };
    }
  }
  return { text: "", start: -1 };
}

/** The dictionary starting at `at` in `text` (matching "<<" and ">>"), or "". */
function dictionaryAt(text: string, at: number): string {
  let depth = 0;
  for (let i = at; i < text.length - 1; i++) {
    if (text[i] === "<" && text[i + 1] === "<") {
      depth++;
      i++;
    } else if (text[i] === ">" && text[i + 1] === ">") {
      depth--;
      i++;
      if (depth === 0) return text.slice(at, i + 1);
    }
  }
  return "";
}

/** "12 0" from the text before a dictionary ending in "12 0 obj" (linear, no regex). */
function objectHeader(before: string): { num: number; gen: number } | null {
  const words = before.trimEnd().split(/\s+/).slice(-3);
  if (words.length !== 3 || words[2] !== "obj") return null;
  const [num, gen] = words.map(Number);
  if (!Number.isInteger(num) || !Number.isInteger(gen) || (num ?? -1) < 0 || (gen ?? -1) < 0) return null;
  return { num: num ?? 0, gen: gen ?? 0 };
}

export async function scanPdfStreams(source: ByteSource | Uint8Array): Promise<PdfScan> {
  const bytes = source instanceof Uint8Array ? source : null;
  const cursor = new Cursor(
    bytes ? { length: bytes.length, read: async (begin, end) => bytes.subarray(begin, end) } : (source as ByteSource),
  );
  const scan: PdfScan = { streams: 0, inflated: 0, pageObjects: 0 };
  let encryptAt = -1;
  await eachStream(
    cursor,
    (piece, pieceAt) => {
      scan.pageObjects += countPageObjects(piece);
      // Where the file says it is encrypted (the last such place is the newest trailer).
      for (let i = indexOf(piece, ENCRYPT); i !== -1; i = indexOf(piece, ENCRYPT, i + 1)) {
        if (!isLetter(piece[i + ENCRYPT.length] ?? 0)) encryptAt = Math.max(encryptAt, pieceAt + i);
      }
    },
    (at) => measureStream(cursor, at, scan, null),
  );
  if (encryptAt === -1) return scan;
  // Encrypted, yet anyone may open it (pdf.js does, decrypting): measure the decrypted streams too.
  const decryption = await decryptionOf(cursor, encryptAt);
  // Refused here rather than by pdf.js: a key computed wrongly must not skip the check.
  if (decryption.kind === "locked") throw passwordProtected();
  if (decryption.kind === "unknown") throw uncheckable();
  await eachStream(
    cursor,
    () => {},
    (at) => measureStream(cursor, at, scan, decryption),
  );
  return scan;
}

const uncheckable = () =>
  new ExtractionError(
    "This PDF is encrypted in a way that cannot be checked before reading, so it is not processed. Save an unlocked copy (in a PDF tool, remove the security or print it to a new PDF) and upload that.",
  );

/** `/Type /Page` (not `/Pages`) in a piece of the file; one split across two pieces is missed. */
function countPageObjects(piece: Uint8Array): number {
  let count = 0;
  for (let i = indexOf(piece, TYPE); i !== -1; i = indexOf(piece, TYPE, i + TYPE.length)) {
    let at = i + TYPE.length;
    while (at < piece.length && isWhitespace(piece[at] ?? 0)) at++;
    if (indexOf(piece.subarray(at, at + PAGE.length + 1), PAGE) === 0 && !isLetter(piece[at + PAGE.length] ?? 0)) {
      count++;
    }
  }
  return count;
}

/** PDF white-space characters (ISO 32000 7.2.2). */
const isWhitespace = (byte: number) =>
  byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09 || byte === 0x0c || byte === 0x00;

/** Calls `measure` for every "stream" keyword in the file, and `look` with every piece searched. */
async function eachStream(
  cursor: Cursor,
  look: (piece: Uint8Array, pieceAt: number) => void,
  measure: (at: number) => Promise<void>,
): Promise<void> {
  for (let pos = 0; pos < cursor.length; ) {
    const piece = await cursor.get(pos, PIECE + STREAM.length);
    const found = indexOf(piece, STREAM);
    // Each byte is looked at once: the part of the piece up to the keyword.
    look(found === -1 ? piece : piece.subarray(0, found + STREAM.length), pos);
    if (found === -1) {
      if (pos + piece.length >= cursor.length) break;
      pos += piece.length - STREAM.length; // overlap: a keyword across two pieces
      continue;
    }
    // Searching goes on right after the keyword, even inside this stream's data.
    pos += found + STREAM.length;
    await measure(pos - STREAM.length);
  }
}

/** Finds and reads the encryption dictionary the trailer at `encryptAt` points to. */
async function decryptionOf(cursor: Cursor, encryptAt: number): Promise<Decryption> {
  const trailer = latin1.decode(await cursor.get(encryptAt - 2048, 4096));
  const here = trailer.indexOf("/Encrypt", Math.min(2048, encryptAt));
  const after = trailer.slice(here + "/Encrypt".length).trimStart();
  let dictionary = "";
  if (after.startsWith("<<")) dictionary = dictionaryAt(after, 0);
  else {
    const ref = /^(\d+)\s+(\d+)\s+R/.exec(after);
    if (!ref) return { kind: "unknown" };
    const header = await findObject(cursor, `${ref[1]} ${ref[2]} obj`);
    if (header === -1) return { kind: "unknown" };
    const text = latin1.decode(await cursor.get(header, DICT_LOOKBACK));
    const open = text.indexOf("<<");
    if (open === -1) return { kind: "unknown" };
    dictionary = dictionaryAt(text, open);
  }
  if (!dictionary) return { kind: "unknown" };
  // The file's ID (the first string of /ID in the same trailer dictionary) is part of the key.
  let open = -1;
  for (let i = here, depth = 0; i > 0 && open === -1; i--) {
    if (trailer[i] === ">" && trailer[i - 1] === ">") depth++;
    else if (trailer[i] === "<" && trailer[i - 1] === "<" && depth-- === 0) open = i - 1;
    if (trailer[i - 1] === trailer[i]) i--;
  }
  const own = open === -1 ? "" : dictionaryAt(trailer, open);
  const idAt = own.indexOf("/ID");
  const bracket = idAt === -1 ? -1 : own.indexOf("[", idAt);
  const first = bracket === -1 ? -1 : bracket + 1 + own.slice(bracket + 1).search(/\S/);
  const fileId = first > bracket ? (pdfString(own, first) ?? new Uint8Array(0)) : new Uint8Array(0);
  return await decryptionFor(parseEncryptDictionary(dictionary), fileId);
}

/** The position of the last "N G obj" header in the file (the newest, after updates), or -1. */
async function findObject(cursor: Cursor, header: string): Promise<number> {
  const pattern = new TextEncoder().encode(header);
  let last = -1;
  for (let pos = 0; pos < cursor.length; ) {
    const piece = await cursor.get(pos, PIECE + pattern.length);
    for (let i = indexOf(piece, pattern); i !== -1; i = indexOf(piece, pattern, i + 1)) {
      const before = i > 0 ? (piece[i - 1] ?? 0) : ((await cursor.get(pos - 1, 1))[0] ?? 0x0a);
      if (before < 0x30 || before > 0x39) last = pos + i;
    }
    if (pos + piece.length >= cursor.length) break;
    pos += piece.length - pattern.length;
  }
  return last;
}

/**
 * Measures the stream whose keyword is at `at`, if it is one and zlib-compressed (as
 * stored, or once decrypted when `decryption` is given).
 */
async function measureStream(
  cursor: Cursor,
  at: number,
  scan: PdfScan,
  decryption: Extract<Decryption, { kind: "open" }> | null,
): Promise<void> {
  if (at === 0) return; // a file starts with "%PDF-"
  const around = await cursor.get(at - 1, STREAM.length + 5);
  if (isLetter(around[0] ?? 0)) return; // the end of "endstream"
  let data = at + STREAM.length;
  if (around[STREAM.length + 1] === 0x0d) data++;
  if (around[data - at + 1] === 0x0a) data++;
  if (data === at + STREAM.length) return;
  if (!decryption) {
    const head = around.subarray(data - at + 1);
    if (!isZlibHeader(head[0] ?? 0, head[1] ?? 0)) return;
  }
  const before = latin1.decode(await cursor.get(at - DICT_LOOKBACK, DICT_LOOKBACK));
  const dictionary = dictionaryOf(before);
  let decipher: StreamDecipher | null = null;
  if (decryption) {
    // Each object has its own key: without its number the stream cannot be checked.
    const object = dictionary.start === -1 ? null : objectHeader(before.slice(0, dictionary.start));
    if (!object) throw uncheckable();
    decipher = await decryption.stream(object.num, object.gen);
    if (!decipher) return;
  }
  const image = /\/Subtype\s*\/Image\b/.test(dictionary.text);
  const cap = image ? MAX_PDF_IMAGE_INFLATED : MAX_PDF_STREAM_INFLATED;
  // Counted until the DEFLATE data itself ends, not at a /Length or "endstream" (which
  // the data may contain): never less than pdf.js inflates, whatever the dictionary says.
  const counter = new DeflateCounter(cap, true);
  let checked = !decipher;
  let start = new Uint8Array(0);
  for (let p = data; p < cursor.length && !counter.done && !counter.overLimit; ) {
    const piece = await cursor.get(p, PIECE);
    p += piece.length;
    let plain = decipher ? await decipher.update(piece) : piece;
    if (!checked) {
      // Decrypted, it must start like zlib data too (else pdf.js would not inflate it).
      start = new Uint8Array([...start, ...plain]);
      if (start.length < 2) continue;
      if (!isZlibHeader(start[0] ?? 0, start[1] ?? 0)) return;
      checked = true;
      plain = start;
    }
    try {
      counter.push(plain);
    } catch {
      break; // not valid DEFLATE (from here on): pdf.js stops there too
    }
  }
  scan.streams++;
  scan.inflated += counter.size;
  if (counter.overLimit) {
    throw new ExtractionError(
      `This PDF holds a compressed ${image ? "image" : "page or font"} that would take more than ${megabytes(cap)} MB of memory to read, so it is not processed (it may be damaged, or built to overload readers). Open it in a PDF tool, save a reduced-size or "optimized" copy and upload that.`,
    );
  }
  if (scan.inflated > MAX_PDF_INFLATED_TOTAL) {
    throw new ExtractionError(
      `This PDF's compressed pages, fonts and images would take more than ${megabytes(MAX_PDF_INFLATED_TOTAL)} MB of memory to read, more than can be processed. Save a reduced-size copy (most PDF tools can compress images) or split it, then upload that.`,
    );
  }
}
