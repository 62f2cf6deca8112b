import { and, eq, inArray, sql } from "drizzle-orm";
import type { Db } from "../db/db.server";
import { localVectors } from "../db/schema";
import type { Embedder, VectorIndex, VectorMatch, VectorRecord } from "./ports.server";

/**
 * Offline adapters. The embedder is lexical, not semantic: it hashes words and
 * character trigrams into a fixed-size vector (feature hashing), so "fireball" is near
 * "fire ball" and "fireballs", but not near "flame spell". It is deterministic and needs
 * no model, which is what tests, CI and offline development need.
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

/** int8 quantisation, as stored in `local_vectors` (vector = base64 of the int8 values). */
export function packVector(values: number[]): { vector: string; scale: number } {
  const scale = Math.max(...values.map(Math.abs)) || 1;
  const bytes = new Int8Array(values.map((v) => Math.round((v / scale) * 127)));
  let binary = "";
  for (const byte of new Uint8Array(bytes.buffer)) binary += String.fromCharCode(byte);
  return { vector: btoa(binary), scale };
}

function unpackVector(vector: string): Int8Array {
  const binary = atob(vector);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return new Int8Array(bytes.buffer);
}

/** Bound parameters per row (id, namespace, file key, vector, scale, metadata, created at); D1 allows 100. */
const ROWS_PER_STATEMENT = Math.floor(100 / 7);

/** The local stand-in for Vectorize: vectors in a D1 table, exact cosine scan per namespace. */
export class D1VectorIndex implements VectorIndex {
  constructor(private readonly db: Db) {}

  async upsert(namespace: string, vectors: VectorRecord[]): Promise<void> {
    const statements = [];
    for (let i = 0; i < vectors.length; i += ROWS_PER_STATEMENT) {
      const rows = vectors.slice(i, i + ROWS_PER_STATEMENT).map((v) => ({
        id: v.id,
        namespace,
        fileKey: v.fileKey,
        metadata: {},
        createdAt: Date.now(),
        ...packVector(v.values),
      }));
      statements.push(
        this.db
          .insert(localVectors)
          .values(rows)
          .onConflictDoUpdate({
            target: localVectors.id,
            set: {
              vector: sql.raw("excluded.vector"),
              scale: sql.raw("excluded.scale"),
              fileKey: sql.raw("excluded.file_key"),
            },
          }),
      );
    }
    const [first, ...rest] = statements;
    if (first) await this.db.batch([first, ...rest]);
  }

  async query(
    namespace: string,
    vector: number[],
    options: { topK: number; fileKeys?: string[] },
  ): Promise<VectorMatch[]> {
    if (options.fileKeys && options.fileKeys.length === 0) return [];
    const rows = await this.db
      .select({
        id: localVectors.id,
        fileKey: localVectors.fileKey,
        vector: localVectors.vector,
        scale: localVectors.scale,
      })
      .from(localVectors)
      .where(
        and(
          eq(localVectors.namespace, namespace),
          options.fileKeys ? inArray(localVectors.fileKey, options.fileKeys) : undefined,
        ),
      );
    const query = Float64Array.from(vector);
    const matches: VectorMatch[] = rows.map((row) => {
      const values = unpackVector(row.vector);
      let dot = 0;
      for (let i = 0; i < values.length; i++) dot += (values[i] ?? 0) * (query[i] ?? 0);
      return { id: row.id, fileKey: row.fileKey ?? "", score: (dot * row.scale) / 127 };
    });
    return matches.sort((a, b) => b.score - a.score).slice(0, options.topK);
  }

  async deleteByIds(namespace: string, ids: string[]): Promise<void> {
    for (let i = 0; i < ids.length; i += 90) {
      await this.db
        .delete(localVectors)
        .where(and(eq(localVectors.namespace, namespace), inArray(localVectors.id, ids.slice(i, i + 90))));
    }
  }
}
