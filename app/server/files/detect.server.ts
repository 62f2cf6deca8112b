import { acceptedKindsText, extensionOf, type FileKind, fileKinds, kindOfExtension } from "~/lib/file-kinds";

/**
 * Decides a file's type from its first bytes (magic numbers), not from its name alone.
 * The name only chooses between kinds the bytes cannot tell apart (Markdown, text and
 * JSON are all text, in UTF-8 or in UTF-16 with a byte-order mark; DOCX is a ZIP).
 * Anything else is refused with a reason. Only linear-time checks run on the sample.
 */

/** Enough bytes for every signature below, and to judge whether a file is text. */
export const SNIFF_BYTES = 4096;

export type Detection = { ok: true; kind: FileKind; contentType: string } | { ok: false; reason: string };

const startsWith = (bytes: Uint8Array, signature: number[], offset = 0) =>
  signature.every((byte, i) => bytes[offset + i] === byte);

const ascii = (text: string) => [...text].map((c) => c.charCodeAt(0));

function looksLikeText(bytes: Uint8Array): boolean {
  if (bytes.includes(0)) return false;
  // Must decode as UTF-8; a multi-byte character cut at the end of the sample is fine.
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(trimPartialUtf8(bytes));
    return true;
  } catch {
    return false;
  }
}

function trimPartialUtf8(bytes: Uint8Array): Uint8Array {
  let end = bytes.length;
  for (let i = 1; i <= 3 && end - i >= 0; i++) {
    const byte = bytes[end - i] ?? 0;
    if ((byte & 0xc0) === 0x80) continue; // continuation byte
    if ((byte & 0xc0) === 0xc0) end -= i; // lead byte of a sequence cut short
    break;
  }
  return bytes.subarray(0, end);
}

/**
 * UTF-16 text announces itself with a byte-order mark (FF FE little-endian, FE FF
 * big-endian). It counts as text when it decodes strictly and holds no NUL or control
 * characters other than tab, line breaks and form feed: random bytes after a mark fail
 * on unpaired surrogates or controls. (UTF-32 LE starts FF FE 00 00: a NUL, refused.)
 */
function utf16Text(bytes: Uint8Array): string | null {
  const littleEndian = bytes[0] === 0xff && bytes[1] === 0xfe;
  if (!littleEndian && !(bytes[0] === 0xfe && bytes[1] === 0xff)) return null;
  let end = bytes.length - (bytes.length % 2);
  // A surrogate pair cut at the end of the sample is fine.
  const high = littleEndian ? bytes[end - 1] : bytes[end - 2];
  if (high !== undefined && high >= 0xd8 && high <= 0xdb) end -= 2;
  let text: string;
  try {
    text = new TextDecoder(littleEndian ? "utf-16le" : "utf-16be", { fatal: true }).decode(bytes.subarray(0, end));
  } catch {
    return null;
  }
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0b && c !== 0x0c && c !== 0x0d) return null;
  }
  return text;
}

const ok = (kind: FileKind): Detection => ({ ok: true, kind, contentType: fileKinds[kind].contentType });

export function detectFileType(fileName: string, head: Uint8Array): Detection {
  const extension = extensionOf(fileName);
  if (head.length === 0) return { ok: false, reason: "The file is empty. Choose a file with something in it." };

  if (startsWith(head, ascii("%PDF-"))) return ok("pdf");
  if (startsWith(head, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return ok("png");
  if (startsWith(head, [0xff, 0xd8, 0xff])) return ok("jpeg");
  if (startsWith(head, ascii("RIFF")) && startsWith(head, ascii("WEBP"), 8)) return ok("webp");
  if (startsWith(head, [0x50, 0x4b, 0x03, 0x04])) {
    // A ZIP: only Word documents are accepted, and they name their main part early.
    const sample = new TextDecoder("latin1").decode(head);
    if (extension === ".docx" || sample.includes("word/")) return ok("docx");
    return {
      ok: false,
      reason: `“${fileName}” is a ZIP archive. The library takes ${acceptedKindsText} files, not archives.`,
    };
  }

  const utf16 = utf16Text(head);
  if (utf16 !== null || looksLikeText(head)) {
    // The decoders drop the byte-order mark (UTF-16's, and UTF-8's here).
    const text = utf16 ?? new TextDecoder().decode(trimPartialUtf8(head)).replace(/^\uFEFF/, "");
    // Text kinds are told apart by their extension (a file without one is plain text).
    const named = extension === "" ? "text" : kindOfExtension(extension);
    if (named === "json" && !/^\s*[[{]/.test(text)) {
      return { ok: false, reason: `“${fileName}” is named .json but does not contain JSON.` };
    }
    if (named === "markdown" || named === "text" || named === "json") return ok(named);
    return {
      ok: false,
      reason: `“${fileName}” is a text file of a kind the library does not take (${extension}). Save it as .md or .txt and try again.`,
    };
  }

  const claimed = kindOfExtension(extension);
  if (claimed) {
    return {
      ok: false,
      reason: `“${fileName}” is named like a ${fileKinds[claimed].label} file, but its contents are not. It may be damaged or a different kind of file.`,
    };
  }
  return {
    ok: false,
    reason: `“${fileName}” is not a file type the library accepts. Upload ${acceptedKindsText} files.`,
  };
}
