import type { Tracker } from "../files/library.server";
import type { VectorIndex, VectorMatch, VectorRecord } from "./ports.server";

/**
 * The offline vector index (ADR 0020), kept where queries reach it without reading a
 * database: in the account's UserFileTracker — int8 vectors in the object's SQLite
 * storage, and in its memory once read, so a query is one exact scan of typed arrays.
 * The ingestion queue (in the same object) writes through `TrackerVectorStore`; search
 * (in the Worker) asks through `TrackerVectorIndex`, an RPC away. Results are exactly
 * those of an exact cosine scan; deletes take effect before they return.
 */

interface Stored {
  fileKey: string;
  /** value ≈ int8 × scale / 127 */
  scale: number;
  values: Int8Array;
}

/** int8 quantisation: a 256-d vector is 256 bytes and a scale; the score stays within a hundredth. */
export function quantise(values: number[]): { scale: number; values: Int8Array } {
  const scale = Math.max(...values.map(Math.abs)) || 1;
  return { scale, values: Int8Array.from(values, (v) => Math.round((v / scale) * 127)) };
}

export interface VectorQuery {
  topK: number;
  fileKeys?: string[];
}

/** The vectors of one account, inside its tracker. */
export class TrackerVectorStore {
  /** Read from SQLite on first use, then kept in step with every write. */
  private cache: Map<string, Stored> | null = null;

  constructor(private readonly sql: SqlStorage) {
    this.ensureSchema();
  }

  /** (Again after the object's storage was wiped.) */
  ensureSchema(): void {
    this.sql.exec(`CREATE TABLE IF NOT EXISTS vectors (
      id TEXT PRIMARY KEY,
      file_key TEXT NOT NULL,
      scale REAL NOT NULL,
      data BLOB NOT NULL
    )`);
    this.cache = null;
  }

  private loaded(): Map<string, Stored> {
    if (this.cache) return this.cache;
    const cache = new Map<string, Stored>();
    for (const row of this.sql.exec<{ id: string; file_key: string; scale: number; data: ArrayBuffer }>(
      "SELECT id, file_key, scale, data FROM vectors",
    )) {
      cache.set(row.id, { fileKey: row.file_key, scale: row.scale, values: new Int8Array(row.data) });
    }
    this.cache = cache;
    return cache;
  }

  upsert(vectors: VectorRecord[]): void {
    const cache = this.loaded();
    for (const vector of vectors) {
      const { scale, values } = quantise(vector.values);
      this.sql.exec(
        "INSERT OR REPLACE INTO vectors (id, file_key, scale, data) VALUES (?, ?, ?, ?)",
        vector.id,
        vector.fileKey,
        scale,
        values.buffer,
      );
      cache.set(vector.id, { fileKey: vector.fileKey, scale, values });
    }
  }

  deleteByIds(ids: string[]): void {
    const cache = this.loaded();
    for (const id of ids) {
      this.sql.exec("DELETE FROM vectors WHERE id = ?", id);
      cache.delete(id);
    }
  }

  /** Exact cosine (the vectors are unit length): the `topK` best of the account's (or the given files'). */
  query(vector: number[], { topK, fileKeys }: VectorQuery): VectorMatch[] {
    if (fileKeys && fileKeys.length === 0) return [];
    const only = fileKeys ? new Set(fileKeys) : null;
    const query = Float32Array.from(vector);
    const best: VectorMatch[] = [];
    let floor = Number.NEGATIVE_INFINITY;
    for (const [id, stored] of this.loaded()) {
      if (only && !only.has(stored.fileKey)) continue;
      const values = stored.values;
      let dot = 0;
      for (let i = 0; i < values.length; i++) dot += (values[i] as number) * (query[i] ?? 0);
      const score = (dot * stored.scale) / 127;
      if (best.length < topK || score > floor) {
        best.push({ id, score, fileKey: stored.fileKey });
        if (best.length > topK) {
          best.sort((a, b) => b.score - a.score);
          best.length = topK;
        }
        floor = best.length < topK ? Number.NEGATIVE_INFINITY : Math.min(...best.map((m) => m.score));
      }
    }
    return best.sort((a, b) => b.score - a.score).slice(0, topK);
  }

  count(): number {
    return this.loaded().size;
  }
}

/** The store as the ingestion queue in the same object uses it (the namespace is the object's account). */
export class LocalVectorIndex implements VectorIndex {
  constructor(private readonly store: TrackerVectorStore) {}

  async upsert(_namespace: string, vectors: VectorRecord[]): Promise<void> {
    this.store.upsert(vectors);
  }

  async query(_namespace: string, vector: number[], options: VectorQuery): Promise<VectorMatch[]> {
    return this.store.query(vector, options);
  }

  async deleteByIds(_namespace: string, ids: string[]): Promise<void> {
    this.store.deleteByIds(ids);
  }
}

/** The Worker's side: each namespace (account id) is that account's tracker. */
export class TrackerVectorIndex implements VectorIndex {
  constructor(private readonly tracker: (accountId: string) => Tracker) {}

  async upsert(namespace: string, vectors: VectorRecord[]): Promise<void> {
    await this.tracker(namespace).upsertVectors(vectors);
  }

  async query(namespace: string, vector: number[], options: VectorQuery): Promise<VectorMatch[]> {
    return this.tracker(namespace).queryVectors(vector, options);
  }

  async deleteByIds(namespace: string, ids: string[]): Promise<void> {
    await this.tracker(namespace).deleteVectors(ids);
  }
}
