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

export class HashingEmbedder implements Embedder {
  readonly name = "local lexical embedder (hashed words and trigrams)";
  readonly dimensions = DIMENSIONS;
  readonly batchSize = 256;
  readonly semantic = false;
  /** Below this a passage shares with the query little more than common trigrams. */
  readonly minSimilarity = 0.2;

  async embed(texts: string[]): Promise<number[][]> {
    return texts.map((text) => this.embedOne(text));
  }

  /**
   * Hashes each word (as "w:word") and each trigram of " word " (as "t:abc") without
   * building those strings: a big file's ingestion embeds millions of them, and garbage
   * is what grows the isolate's heap.
   */
  private embedOne(text: string): number[] {
    const vector = new Float64Array(DIMENSIONS);
    const add = (feature: number, weight: number) => {
      const h = feature >>> 0;
      // The sign bit spreads collisions around zero instead of piling them up.
      vector[h % DIMENSIONS] = (vector[h % DIMENSIONS] as number) + (h & 0x80000000 ? -weight : weight);
    };
    for (const word of text
      .toLowerCase()
      .normalize("NFKD")
      .match(/\p{L}[\p{L}\p{N}']*|\p{N}+/gu) ?? []) {
      add(fnv(WORD_SEED, word), 1);
      // The trigrams of the word padded with a space on each side.
      const codeAt = (i: number) => (i === 0 || i === word.length + 1 ? SPACE : word.charCodeAt(i - 1));
      for (let i = 0; i + 3 <= word.length + 2; i++) {
        let h = TRIGRAM_SEED;
        for (let j = i; j < i + 3; j++) h = Math.imul(h ^ codeAt(j), FNV_PRIME);
        add(h, 0.5);
      }
    }
    let sum = 0;
    for (const v of vector) sum += v * v;
    const norm = Math.sqrt(sum) || 1;
    return Array.from(vector, (v) => v / norm);
  }
}
