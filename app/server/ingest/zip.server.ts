import { DeflateError, deflatedSize, inflateRaw } from "./inflate.server";

/**
 * A small ZIP reader for Word documents: the central directory (names, methods, sizes)
 * and capped inflating of single entries. Mammoth reads its parts through it (mammoth's
 * own JSZip would inflate whatever a part holds, however large), so a part can never
 * inflate past what the caller allows, whatever sizes the archive declares.
 */

export interface ZipEntry {
  name: string;
  /** 0: stored, 8: deflated. */
  method: number;
  compressedSize: number;
  /** As declared by the archive (not trusted: reading is capped anyway). */
  size: number;
  localHeader: number;
  encrypted: boolean;
}

/** The archive's structure is not what it says (or it has too many entries); the caller words the message. */
export class ZipError extends Error {
  override name = "ZipError";
  constructor(
    message: string,
    readonly tooManyEntries = false,
  ) {
    super(message);
  }
}

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
/** The end record is 22 bytes plus a comment of up to 65,535. */
const EOCD_SEARCH = 22 + 0xffff;

export function readZipDirectory(bytes: Uint8Array, maxEntries: number): ZipEntry[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let end = -1;
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - EOCD_SEARCH); i--) {
    if (view.getUint32(i, true) === EOCD) {
      end = i;
      break;
    }
  }
  if (end < 0) throw new ZipError("no end of central directory");
  const count = view.getUint16(end + 10, true);
  const size = view.getUint32(end + 12, true);
  const offset = view.getUint32(end + 16, true);
  // ZIP64 markers: no Word document here is anywhere near 4 GB or 65,535 parts.
  if (count === 0xffff || offset === 0xffffffff) throw new ZipError("ZIP64");
  if (count > maxEntries) throw new ZipError(`${count} entries`, true);
  if (offset + size > end) throw new ZipError("central directory out of bounds");
  const names = new TextDecoder();
  const entries: ZipEntry[] = [];
  let at = offset;
  for (let i = 0; i < count; i++) {
    if (at + 46 > end || view.getUint32(at, true) !== CENTRAL) throw new ZipError("bad central directory entry");
    const nameLength = view.getUint16(at + 28, true);
    const entry: ZipEntry = {
      name: names.decode(bytes.subarray(at + 46, at + 46 + nameLength)),
      method: view.getUint16(at + 10, true),
      compressedSize: view.getUint32(at + 20, true),
      size: view.getUint32(at + 24, true),
      localHeader: view.getUint32(at + 42, true),
      encrypted: (view.getUint16(at + 8, true) & 1) === 1,
    };
    entries.push(entry);
    at += 46 + nameLength + view.getUint16(at + 30, true) + view.getUint16(at + 32, true);
  }
  return entries;
}

/**
 * The entry's bytes, inflated to at most `limit` bytes; null when it would inflate past
 * it. Damaged data throws ZipError.
 */
export async function readZipEntry(bytes: Uint8Array, entry: ZipEntry, limit: number): Promise<Uint8Array | null> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const at = entry.localHeader;
  if (entry.encrypted) throw new ZipError("encrypted entry");
  if (at + 30 > bytes.length || view.getUint32(at, true) !== LOCAL) throw new ZipError("bad local header");
  const start = at + 30 + view.getUint16(at + 26, true) + view.getUint16(at + 28, true);
  const data = bytes.subarray(start, start + entry.compressedSize);
  if (data.length !== entry.compressedSize) throw new ZipError("entry out of bounds");
  if (entry.method === 0) return data.length > limit ? null : data;
  if (entry.method !== 8) throw new ZipError(`compression method ${entry.method}`);
  let size: number | null;
  try {
    size = deflatedSize(data, limit);
  } catch (error) {
    if (error instanceof DeflateError) throw new ZipError(`corrupt deflate data (${error.message})`);
    throw error;
  }
  if (size === null) return null;
  let inflated: Uint8Array;
  try {
    inflated = await inflateRaw(data);
  } catch {
    throw new ZipError("corrupt deflate data");
  }
  // Counted first: DecompressionStream inflates whatever it is given.
  return inflated.length > limit ? null : inflated;
}
