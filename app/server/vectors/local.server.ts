import type { Embedder } from "./ports.server";

/**
 * The offline embedder (the offline vector index is tracker-index.server.ts). It is
 * lexical, not semantic: it hashes words and character trigrams into a fixed-size vector
 * (feature hashing), so "fireball" is near "fire ball" and "fireballs", but not near
 * "flame spell". It is deterministic and needs no model, which is what tests, CI and
 * offline development need.
 */

const DIMENSIONS = 256;

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** FNV-1a (a fast, stable 32-bit hash, the same in every run and runtime), continued from `h`. */
function fnv(h: number, text: string, start = 0, end = text.length): number {
  let x = h;
  for (let i = start; i < end; i++) x = Math.imul(x ^ text.charCodeAt(i), FNV_PRIME);
  return x;
}
const WORD_SEED = fnv(FNV_OFFSET, "w:");
const TRIGRAM_SEED = fnv(FNV_OFFSET, "t:");
const SPACE = 32;
const APOSTROPHE = 39;

const OTHER = 1;
const LETTER = 2;
const NUMBER = 3;
/** Each code point's class (\p{L}, \p{N} or neither), filled in as code points are first seen. */
let classes: Uint8Array | null = null;
function classOf(cp: number): number {
  if (cp < 128) {
    if ((cp >= 97 && cp <= 122) || (cp >= 65 && cp <= 90)) return LETTER;
    return cp >= 48 && cp <= 57 ? NUMBER : OTHER;
  }
  classes ??= new Uint8Array(0x110000);
  let known = classes[cp] as number;
  if (!known) {
    const char = String.fromCodePoint(cp);
    known = /\p{L}/u.test(char) ? LETTER : /\p{N}/u.test(char) ? NUMBER : OTHER;
    classes[cp] = known;
  }
  return known;
}

/** Adds one hashed feature; the hash's sign bit spreads collisions around zero instead of piling them up. */
function addFeature(vector: Float64Array, hash: number, weight: number): void {
  const h = hash >>> 0;
  const at = h % DIMENSIONS;
  vector[at] = (vector[at] as number) + (h & 0x80000000 ? -weight : weight);
}

/** A word (`text[start, end)`) as "w:word", and each trigram of " word " as "t:abc". */
function addWord(vector: Float64Array, text: string, start: number, end: number): void {
  addFeature(vector, fnv(WORD_SEED, text, start, end), 1);
  const padded = end - start + 2;
  for (let i = 0; i + 3 <= padded; i++) {
    let h = TRIGRAM_SEED;
    for (let j = i; j < i + 3; j++) {
      const code = j === 0 || j === padded - 1 ? SPACE : text.charCodeAt(start + j - 1);
      h = Math.imul(h ^ code, FNV_PRIME);
    }
    addFeature(vector, h, 0.5);
  }
}

export class HashingEmbedder implements Embedder {
  readonly name = "local lexical embedder (hashed words and trigrams)";
  readonly dimensions = DIMENSIONS;
  readonly batchSize = 256;
  readonly semantic = false;
  /** Below this a passage shares with the query little more than common trigrams. */
  readonly minSimilarity = 0.2;
  /** The features' sums, for one text at a time (embedding is synchronous). */
  private readonly sums = new Float64Array(DIMENSIONS);

  async embed(texts: string[]): Promise<number[][]> {
    return texts.map((text) => this.embedOne(text));
  }

  /**
   * The words are what /\p{L}[\p{L}\p{N}']*|\p{N}+/u would match, found by scanning and
   * hashed in place: a big file's ingestion meets millions of words, and building a string
   * for each word and trigram was most of the garbage that grew the isolate's heap.
   */
  private embedOne(text: string): number[] {
    const vector = this.sums.fill(0);
    const folded = text.toLowerCase().normalize("NFKD");
    const n = folded.length;
    let i = 0;
    while (i < n) {
      const first = folded.codePointAt(i) as number;
      const kind = classOf(first);
      const start = i;
      i += first > 0xffff ? 2 : 1;
      if (kind === OTHER) continue;
      while (i < n) {
        const cp = folded.codePointAt(i) as number;
        const next = classOf(cp);
        const continues = kind === LETTER ? next !== OTHER || cp === APOSTROPHE : next === NUMBER;
        if (!continues) break;
        i += cp > 0xffff ? 2 : 1;
      }
      addWord(vector, folded, start, i);
    }
    let sum = 0;
    for (let d = 0; d < DIMENSIONS; d++) sum += (vector[d] as number) ** 2;
    const norm = Math.sqrt(sum) || 1;
    const unit = new Array<number>(DIMENSIONS);
    for (let d = 0; d < DIMENSIONS; d++) unit[d] = (vector[d] as number) / norm;
    return unit;
  }
}
