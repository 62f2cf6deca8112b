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

/**
 * Every vector of the account in one block of memory: slot i holds values[i·dims …
 * (i+1)·dims), its id, file and scale (value ≈ int8 × scale / 127). One allocation
 * instead of one per vector keeps a big library small in memory and the scan contiguous.
 */
class PackedVectors {
  private dims = 0;
  private count = 0;
  private values = new Int8Array(0);
  private scales = new Float64Array(0);
  private readonly ids: string[] = [];
  private readonly fileKeys: string[] = [];
  private readonly slots = new Map<string, number>();

  get size(): number {
    return this.count;
  }

  set(id: string, fileKey: string, scale: number, values: Int8Array): void {
    if (!this.dims) this.dims = values.length;
    if (values.length !== this.dims) {
      throw new Error(`A vector of ${values.length} dimensions cannot join an index of ${this.dims}.`);
    }
    let slot = this.slots.get(id);
    if (slot === undefined) {
      slot = this.count++;
      this.reserve(this.count);
      this.slots.set(id, slot);
      this.ids[slot] = id;
    }
    this.fileKeys[slot] = fileKey;
    this.scales[slot] = scale;
    this.values.set(values, slot * this.dims);
  }

  /** Moves the last vector into the freed slot, so the block stays dense. */
  delete(id: string): void {
    const slot = this.slots.get(id);
    if (slot === undefined) return;
    const last = --this.count;
    if (slot !== last) {
      const moved = this.ids[last] as string;
      this.ids[slot] = moved;
      this.fileKeys[slot] = this.fileKeys[last] as string;
      this.scales[slot] = this.scales[last] as number;
      this.values.copyWithin(slot * this.dims, last * this.dims, (last + 1) * this.dims);
      this.slots.set(moved, slot);
    }
    this.slots.delete(id);
    this.ids.length = last;
    this.fileKeys.length = last;
  }

  /** Calls `visit` with each vector's slot, file and cosine with `query` (a unit vector). */
  scan(query: Float32Array, visit: (slot: number, fileKey: string, score: number) => void): void {
    const { dims, values, scales, fileKeys } = this;
    for (let slot = 0; slot < this.count; slot++) {
      let dot = 0;
      const offset = slot * dims;
      for (let i = 0; i < dims; i++) dot += (values[offset + i] as number) * (query[i] ?? 0);
      visit(slot, fileKeys[slot] as string, (dot * (scales[slot] as number)) / 127);
    }
  }

  idAt(slot: number): string {
    return this.ids[slot] as string;
  }

  private reserve(count: number): void {
    if (count <= this.scales.length) return;
    const capacity = Math.max(64, count, this.scales.length * 2);
    const values = new Int8Array(capacity * this.dims);
    values.set(this.values.subarray(0, (count - 1) * this.dims));
    const scales = new Float64Array(capacity);
    scales.set(this.scales.subarray(0, count - 1));
    this.values = values;
    this.scales = scales;
  }
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
  private cache: PackedVectors | null = null;

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

  private loaded(): PackedVectors {
    if (this.cache) return this.cache;
    const cache = new PackedVectors();
    for (const row of this.sql.exec<{ id: string; file_key: string; scale: number; data: ArrayBuffer }>(
      "SELECT id, file_key, scale, data FROM vectors",
    )) {
      cache.set(row.id, row.file_key, row.scale, new Int8Array(row.data));
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
      cache.set(vector.id, vector.fileKey, scale, values);
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
    const packed = this.loaded();
    const best: { slot: number; score: number; fileKey: string }[] = [];
    let floor = Number.NEGATIVE_INFINITY;
    packed.scan(query, (slot, fileKey, score) => {
      if (only && !only.has(fileKey)) return;
      if (best.length < topK || score > floor) {
        best.push({ slot, score, fileKey });
        if (best.length > topK) {
          best.sort((a, b) => b.score - a.score);
          best.length = topK;
        }
        floor = best.length < topK ? Number.NEGATIVE_INFINITY : Math.min(...best.map((m) => m.score));
      }
    });
    return best
      .sort((a, b) => b.score - a.score)
      .slice(0, topK)
      .map(({ slot, score, fileKey }) => ({ id: packed.idAt(slot), score, fileKey }));
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
