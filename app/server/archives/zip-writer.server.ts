/**
 * A streaming ZIP writer (ADR 0039): entries are written one after another as the caller
 * produces them, each body read chunk by chunk (a string, bytes, or a stream such as an R2
 * object's body), so neither the archive nor any one file is ever held whole. Text is
 * deflated by the runtime's own CompressionStream("deflate-raw") (native code, not a
 * JavaScript deflater spending the Worker's CPU); bytes that are already compressed (PDFs,
 * images, Word files) are stored. Sizes and CRC-32 follow each entry in a data descriptor
 * (general purpose bit 3), as nothing is known before the body has passed; names are UTF-8
 * (bit 11). ZIP64 records are added where an offset, a size or the entry count passes what
 * the classic fields hold, so an account with gigabytes of files still makes a valid archive.
 */

export interface ZipSource {
  /** The path inside the archive ("lore/The Duke.md"): relative, "/"-separated. */
  name: string;
  body: string | Uint8Array | ReadableStream<Uint8Array>;
  /** Deflate it (text), or store it as it is (bytes that are compressed already). */
  compress: boolean;
  /** Its modification time in the archive; the export's own time when absent. */
  modifiedAt?: number;
}

/** How far the archive has got, for whoever watches (counts only; never content). */
export interface ZipProgress {
  entries: number;
  bytes: number;
}

const LOCAL = 0x04034b50;
const DESCRIPTOR = 0x08074b50;
const CENTRAL = 0x02014b50;
const END = 0x06054b50;
const ZIP64_END = 0x06064b50;
const ZIP64_LOCATOR = 0x07064b50;
/** Data descriptor follows (sizes and CRC unknown up front) | names are UTF-8. */
const FLAGS = 0x0008 | 0x0800;
const MAX32 = 0xffffffff;
const MAX16 = 0xffff;

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 (ISO-HDLC, as ZIP uses) of `bytes`, continuing from `crc` (0 to start). */
export function crc32(bytes: Uint8Array, crc = 0): number {
  let c = ~crc >>> 0;
  for (let i = 0; i < bytes.length; i++) c = (CRC_TABLE[(c ^ (bytes[i] as number)) & 0xff] as number) ^ (c >>> 8);
  return ~c >>> 0;
}

/** MS-DOS date and time (local fields; UTC here, which is what a Worker has). */
function dosTime(ms: number): { time: number; date: number } {
  const d = new Date(ms);
  const year = Math.min(Math.max(d.getUTCFullYear(), 1980), 2107);
  return {
    time: (d.getUTCHours() << 11) | (d.getUTCMinutes() << 5) | (d.getUTCSeconds() >> 1),
    date: ((year - 1980) << 9) | ((d.getUTCMonth() + 1) << 5) | d.getUTCDate(),
  };
}

class Bytes {
  private readonly view: DataView;
  readonly bytes: Uint8Array;
  private at = 0;
  constructor(size: number) {
    this.bytes = new Uint8Array(size);
    this.view = new DataView(this.bytes.buffer);
  }
  u16(value: number) {
    this.view.setUint16(this.at, value, true);
    this.at += 2;
    return this;
  }
  u32(value: number) {
    this.view.setUint32(this.at, value >>> 0, true);
    this.at += 4;
    return this;
  }
  u64(value: number) {
    this.view.setBigUint64(this.at, BigInt(value), true);
    this.at += 8;
    return this;
  }
  raw(bytes: Uint8Array) {
    this.bytes.set(bytes, this.at);
    this.at += bytes.length;
    return this;
  }
}

interface Written {
  name: Uint8Array;
  method: number;
  crc: number;
  compressedSize: number;
  size: number;
  offset: number;
  time: number;
  date: number;
}

async function* chunksOf(body: ZipSource["body"]): AsyncGenerator<Uint8Array> {
  if (typeof body === "string") {
    yield new TextEncoder().encode(body);
    return;
  }
  if (body instanceof Uint8Array) {
    yield body;
    return;
  }
  const reader = body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      if (value.byteLength) yield value;
    }
  } finally {
    reader.releaseLock();
  }
}

/** One entry's body as it goes into the archive, counting what passes (CRC, sizes). */
async function* entryBody(
  source: ZipSource,
  counts: { crc: number; size: number; compressedSize: number },
): AsyncGenerator<Uint8Array> {
  if (!source.compress) {
    for await (const chunk of chunksOf(source.body)) {
      counts.crc = crc32(chunk, counts.crc);
      counts.size += chunk.length;
      counts.compressedSize += chunk.length;
      yield chunk;
    }
    return;
  }
  const deflate = new CompressionStream("deflate-raw");
  const writer = deflate.writable.getWriter();
  const reader = deflate.readable.getReader();
  // The input is fed while the output is read: at most a chunk or two of either is held.
  const feeding = (async () => {
    for await (const chunk of chunksOf(source.body)) {
      counts.crc = crc32(chunk, counts.crc);
      counts.size += chunk.length;
      await writer.write(chunk as Uint8Array<ArrayBuffer>);
    }
    await writer.close();
  })();
  feeding.catch((error) => reader.cancel(error).catch(() => undefined));
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    counts.compressedSize += value.length;
    yield value;
  }
  await feeding;
}

function localHeader(name: Uint8Array, method: number, time: number, date: number): Uint8Array {
  return new Bytes(30 + name.length)
    .u32(LOCAL)
    .u16(45)
    .u16(FLAGS)
    .u16(method)
    .u16(time)
    .u16(date)
    .u32(0)
    .u32(0)
    .u32(0)
    .u16(name.length)
    .u16(0)
    .raw(name).bytes;
}

function descriptor(entry: Written): Uint8Array {
  // Sizes past 4 GB: the ZIP64 form (8-byte sizes), as the central directory's ZIP64 field then says.
  if (entry.size >= MAX32 || entry.compressedSize >= MAX32) {
    return new Bytes(24).u32(DESCRIPTOR).u32(entry.crc).u64(entry.compressedSize).u64(entry.size).bytes;
  }
  return new Bytes(16).u32(DESCRIPTOR).u32(entry.crc).u32(entry.compressedSize).u32(entry.size).bytes;
}

function centralRecord(entry: Written): Uint8Array {
  const big = [entry.size, entry.compressedSize, entry.offset].map((value) => value >= MAX32);
  const extraLength = big.some(Boolean) ? 4 + 8 * big.filter(Boolean).length : 0;
  const out = new Bytes(46 + entry.name.length + extraLength)
    .u32(CENTRAL)
    .u16((3 << 8) | 45)
    .u16(45)
    .u16(FLAGS)
    .u16(entry.method)
    .u16(entry.time)
    .u16(entry.date)
    .u32(entry.crc)
    .u32(big[1] ? MAX32 : entry.compressedSize)
    .u32(big[0] ? MAX32 : entry.size)
    .u16(entry.name.length)
    .u16(extraLength)
    .u16(0)
    .u16(0)
    .u16(0)
    // Unix mode 0644, regular file.
    .u32((0o100644 << 16) >>> 0)
    .u32(big[2] ? MAX32 : entry.offset)
    .raw(entry.name);
  if (extraLength) {
    out.u16(0x0001).u16(extraLength - 4);
    if (big[0]) out.u64(entry.size);
    if (big[1]) out.u64(entry.compressedSize);
    if (big[2]) out.u64(entry.offset);
  }
  return out.bytes;
}

function endRecords(count: number, directoryOffset: number, directorySize: number): Uint8Array {
  const zip64 = count >= MAX16 || directoryOffset >= MAX32 || directorySize >= MAX32;
  const end = new Bytes(22)
    .u32(END)
    .u16(0)
    .u16(0)
    .u16(zip64 ? MAX16 : count)
    .u16(zip64 ? MAX16 : count)
    .u32(zip64 ? MAX32 : directorySize)
    .u32(zip64 ? MAX32 : directoryOffset)
    .u16(0).bytes;
  if (!zip64) return end;
  const record = new Bytes(56)
    .u32(ZIP64_END)
    .u64(44)
    .u16((3 << 8) | 45)
    .u16(45)
    .u32(0)
    .u32(0)
    .u64(count)
    .u64(count)
    .u64(directorySize)
    .u64(directoryOffset).bytes;
  const locator = new Bytes(20)
    .u32(ZIP64_LOCATOR)
    .u32(0)
    .u64(directoryOffset + directorySize)
    .u32(1).bytes;
  const all = new Uint8Array(record.length + locator.length + end.length);
  all.set(record);
  all.set(locator, record.length);
  all.set(end, record.length + locator.length);
  return all;
}

/** The archive's bytes, piece by piece, as `sources` produces its entries. */
export async function* zipChunks(
  sources: AsyncIterable<ZipSource>,
  { now = Date.now(), onProgress }: { now?: number; onProgress?: (progress: ZipProgress) => void } = {},
): AsyncGenerator<Uint8Array> {
  const written: Written[] = [];
  let offset = 0;
  const encoder = new TextEncoder();
  for await (const source of sources) {
    const name = encoder.encode(source.name);
    if (name.length > MAX16) throw new Error(`zip entry name too long: ${source.name.slice(0, 80)}`);
    const method = source.compress ? 8 : 0;
    const { time, date } = dosTime(source.modifiedAt ?? now);
    const header = localHeader(name, method, time, date);
    const start = offset;
    yield header;
    offset += header.length;
    const counts = { crc: 0, size: 0, compressedSize: 0 };
    for await (const chunk of entryBody(source, counts)) {
      offset += chunk.length;
      yield chunk;
    }
    const entry: Written = { name, method, ...counts, offset: start, time, date };
    const tail = descriptor(entry);
    offset += tail.length;
    yield tail;
    written.push(entry);
    onProgress?.({ entries: written.length, bytes: offset });
  }
  const directoryOffset = offset;
  for (const entry of written) {
    const record = centralRecord(entry);
    offset += record.length;
    yield record;
  }
  yield endRecords(written.length, directoryOffset, offset - directoryOffset);
}

/**
 * The archive as a byte stream that pulls its next piece only when the reader (the
 * response's consumer) wants it, so a slow download slows the reading of D1 and R2 too.
 */
export function zipStream(
  sources: AsyncIterable<ZipSource>,
  options: { now?: number; onProgress?: (progress: ZipProgress) => void } = {},
): ReadableStream<Uint8Array> {
  const chunks = zipChunks(sources, options);
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const { done, value } = await chunks.next();
          if (done) controller.close();
          else controller.enqueue(value);
        } catch (error) {
          controller.error(error);
        }
      },
      async cancel() {
        // Ends the generator where it waits, which releases whatever body it was reading.
        await chunks.return(undefined).catch(() => undefined);
      },
    },
    { highWaterMark: 0 },
  );
}
