import type { Embedder } from "./ports.server";

/**
 * The offline embedder (the offline vector index is tracker-index.server.ts). It is
 * lexical, not semantic: it hashes words and character trigrams into a fixed-size vector
 * (feature hashing), so "fireball" is near "fire ball" and "fireballs", but not near
 * "flame spell". It is deterministic and needs no model, which is what tests, CI and
 * offline development need.
 */

const DIMENSIONS = 256;

/** FNV-1a: a fast, stable 32-bit hash (the same in every run and runtime). */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

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

  private embedOne(text: string): number[] {
    const vector = new Array<number>(DIMENSIONS).fill(0);
    const add = (feature: string, weight: number) => {
      const h = hash(feature);
      // The sign bit spreads collisions around zero instead of piling them up.
      vector[h % DIMENSIONS] = (vector[h % DIMENSIONS] ?? 0) + (h & 0x80000000 ? -weight : weight);
    };
    for (const word of text
      .toLowerCase()
      .normalize("NFKD")
      .match(/\p{L}[\p{L}\p{N}']*|\p{N}+/gu) ?? []) {
      add(`w:${word}`, 1);
      const padded = ` ${word} `;
      for (let i = 0; i + 3 <= padded.length; i++) add(`t:${padded.slice(i, i + 3)}`, 0.5);
    }
    const norm = Math.hypot(...vector) || 1;
    return vector.map((v) => v / norm);
  }
}
