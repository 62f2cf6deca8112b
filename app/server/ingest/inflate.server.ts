/**
 * How large compressed data really is, before anything inflates it. `DeflateCounter`
 * walks DEFLATE data (RFC 1951) and adds up the bytes it would produce, keeping neither
 * output nor window, so it stops the moment a cap is passed: a deflate bomb (up to
 * 1,032 : 1) costs only the input it takes to find out. (workerd's DecompressionStream
 * cannot do this: it inflates every chunk written to it eagerly, all of it, however
 * little of the output is read.) `inflateWithin` inflates for real once the size is known
 * to be within bounds.
 */

export class DeflateError extends Error {
  override name = "DeflateError";
}

/** Thrown inside the counter when the input ends mid-symbol: it resumes at the last checkpoint. */
const NEED_MORE = Symbol("need more input");

const LENGTH_BASE = [
  3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258,
];
const LENGTH_EXTRA = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
const DISTANCE_EXTRA = [
  0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13,
];
const CODE_LENGTH_ORDER = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];

/** A canonical Huffman code as counts per length and symbols in code order (as zlib's puff). */
interface Huffman {
  count: Uint16Array;
  symbol: Uint16Array;
}

function huffman(lengths: ArrayLike<number>): Huffman {
  const count = new Uint16Array(16);
  for (let i = 0; i < lengths.length; i++) {
    const len = lengths[i] ?? 0;
    count[len] = (count[len] ?? 0) + 1;
  }
  count[0] = 0;
  let left = 1;
  for (let len = 1; len < 16; len++) {
    left = (left << 1) - (count[len] ?? 0);
    if (left < 0) throw new DeflateError("over-subscribed code");
  }
  const offsets = new Uint16Array(16);
  for (let len = 1; len < 15; len++) offsets[len + 1] = (offsets[len] ?? 0) + (count[len] ?? 0);
  const symbol = new Uint16Array(lengths.length);
  for (let s = 0; s < lengths.length; s++) {
    const len = lengths[s] ?? 0;
    if (!len) continue;
    const at = offsets[len] ?? 0;
    symbol[at] = s;
    offsets[len] = at + 1;
  }
  return { count, symbol };
}

let fixedCodes: { lengths: Huffman; distances: Huffman } | null = null;
function fixed() {
  if (!fixedCodes) {
    const lengths = new Uint8Array(288);
    lengths.fill(8, 0, 144).fill(9, 144, 256).fill(7, 256, 280).fill(8, 280, 288);
    fixedCodes = { lengths: huffman(lengths), distances: huffman(new Uint8Array(30).fill(5)) };
  }
  return fixedCodes;
}

export class DeflateCounter {
  /** Bytes the data inflates to, so far. */
  size = 0;
  /** The last block has ended. */
  done = false;
  /** `size` passed the limit; counting stopped. */
  overLimit = false;
  private buf = new Uint8Array(0);
  private bit = 0;
  private headerLeft: number;
  private state: "header" | "stored" | "codes" = "header";
  private final = false;
  private storedLeft = 0;
  private codes: { lengths: Huffman; distances: Huffman } | null = null;

  /** `zlib`: the data starts with a 2-byte zlib header (PDF FlateDecode), else raw (ZIP). */
  constructor(
    private readonly limit: number,
    zlib = false,
  ) {
    this.headerLeft = zlib ? 2 : 0;
  }

  /** Counts through more input; throws DeflateError on data that is not DEFLATE. */
  push(input: Uint8Array): void {
    if (this.done || this.overLimit) return;
    // Keep only the unconsumed bytes (from the checkpoint's byte) plus the new ones.
    const from = this.bit >> 3;
    const next = new Uint8Array(this.buf.length - from + input.length);
    next.set(this.buf.subarray(from));
    next.set(input, this.buf.length - from);
    this.buf = next;
    this.bit &= 7;
    if (this.headerLeft) {
      const skip = Math.min(this.headerLeft, this.buf.length);
      this.headerLeft -= skip;
      this.bit += skip * 8;
      if (this.headerLeft) return;
    }
    while (!this.done && !this.overLimit) {
      const checkpoint = this.bit;
      try {
        this.step();
      } catch (error) {
        if (error !== NEED_MORE) throw error;
        this.bit = checkpoint;
        return;
      }
      if (this.size > this.limit) this.overLimit = true;
    }
  }

  private bits(n: number): number {
    const at = this.bit;
    if (at + n > this.buf.length * 8) throw NEED_MORE;
    const i = at >> 3;
    const buf = this.buf;
    const word = (buf[i] ?? 0) | ((buf[i + 1] ?? 0) << 8) | ((buf[i + 2] ?? 0) << 16);
    this.bit = at + n;
    return (word >>> (at & 7)) & ((1 << n) - 1);
  }

  private decode(h: Huffman): number {
    let code = 0;
    let first = 0;
    let index = 0;
    for (let len = 1; len < 16; len++) {
      code |= this.bits(1);
      const count = h.count[len] ?? 0;
      if (code - count < first) return h.symbol[index + (code - first)] ?? 0;
      index += count;
      first = (first + count) << 1;
      code <<= 1;
    }
    throw new DeflateError("invalid code");
  }

  /** One unit of work: a block header, part of a stored block, or one symbol. */
  private step(): void {
    if (this.state === "header") {
      this.final = this.bits(1) === 1;
      const type = this.bits(2);
      if (type === 0) {
        this.bit = (this.bit + 7) & ~7;
        const len = this.bits(16);
        if ((this.bits(16) ^ 0xffff) !== len) throw new DeflateError("stored block length");
        this.storedLeft = len;
        this.state = "stored";
      } else if (type === 1) {
        this.codes = fixed();
        this.state = "codes";
      } else if (type === 2) {
        this.codes = this.dynamicCodes();
        this.state = "codes";
      } else throw new DeflateError("invalid block type");
      return;
    }
    if (this.state === "stored") {
      const available = Math.min(this.storedLeft, this.buf.length - (this.bit >> 3));
      if (available === 0 && this.storedLeft) throw NEED_MORE;
      this.bit += available * 8;
      this.size += available;
      this.storedLeft -= available;
      if (!this.storedLeft) this.endBlock();
      return;
    }
    const codes = this.codes as { lengths: Huffman; distances: Huffman };
    const symbol = this.decode(codes.lengths);
    if (symbol < 256) this.size += 1;
    else if (symbol === 256) this.endBlock();
    else {
      const i = symbol - 257;
      if (i >= 29) throw new DeflateError("invalid length");
      const length = (LENGTH_BASE[i] ?? 0) + this.bits(LENGTH_EXTRA[i] ?? 0);
      const distance = this.decode(codes.distances);
      if (distance >= 30) throw new DeflateError("invalid distance");
      this.bits(DISTANCE_EXTRA[distance] ?? 0);
      this.size += length;
    }
  }

  private endBlock(): void {
    this.state = "header";
    if (this.final) this.done = true;
  }

  private dynamicCodes(): { lengths: Huffman; distances: Huffman } {
    const nlen = this.bits(5) + 257;
    const ndist = this.bits(5) + 1;
    const ncode = this.bits(4) + 4;
    if (nlen > 286 || ndist > 30) throw new DeflateError("bad counts");
    const codeLengths = new Uint8Array(19);
    for (let i = 0; i < ncode; i++) codeLengths[CODE_LENGTH_ORDER[i] ?? 0] = this.bits(3);
    const lencode = huffman(codeLengths);
    const lengths = new Uint8Array(nlen + ndist);
    for (let i = 0; i < nlen + ndist; ) {
      const symbol = this.decode(lencode);
      if (symbol < 16) lengths[i++] = symbol;
      else {
        let repeat: number;
        let value = 0;
        if (symbol === 16) {
          if (i === 0) throw new DeflateError("repeat with no first length");
          value = lengths[i - 1] ?? 0;
          repeat = 3 + this.bits(2);
        } else repeat = symbol === 17 ? 3 + this.bits(3) : 11 + this.bits(7);
        if (i + repeat > nlen + ndist) throw new DeflateError("too many lengths");
        lengths.fill(value, i, i + repeat);
        i += repeat;
      }
    }
    return { lengths: huffman(lengths.subarray(0, nlen)), distances: huffman(lengths.subarray(nlen)) };
  }
}

/** What raw DEFLATE data inflates to, counted up to `limit` (null when past it). */
export function deflatedSize(data: Uint8Array, limit: number): number | null {
  const counter = new DeflateCounter(limit);
  counter.push(data);
  if (counter.overLimit) return null;
  if (!counter.done) throw new DeflateError("truncated");
  return counter.size;
}

/**
 * Inflates raw DEFLATE data whose size `deflatedSize` has vouched for: the caller
 * checks first, as DecompressionStream inflates everything it is given.
 */
export async function inflateRaw(data: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([data as Uint8Array<ArrayBuffer>])
    .stream()
    .pipeThrough(new DecompressionStream("deflate-raw"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}
