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

/** Vectors per block of memory: 256 KB of 256-d int8 vectors. */
const BLOCK = 1024;

/**
 * Every vector of the account, packed: slot i holds its values at offset (i % BLOCK)·dims of
 * block ⌊i / BLOCK⌋, its scale (value ≈ int8 × scale / 127), id and file. A few blocks instead
 * of an allocation per vector keep a big library small and its scan contiguous; blocks are
 * only ever added, never copied into bigger ones, so growing leaves no garbage behind.
 */
class PackedVectors {
  private dims = 0;
  private count = 0;
  private readonly values: Int8Array[] = [];
  private readonly scales: Float64Array[] = [];
  private readonly ids: string[] = [];
  private readonly fileKeys: string[] = [];
  private readonly slots = new Map<string, number>();

  get size(): number {
    return this.count;
  }

  /** Throws for a vector of another size than those held (an index starts, and starts again when empty, with the first). */
  check(values: { length: number }): void {
    if (this.count > 0 && values.length !== this.dims) {
      throw new Error(`A vector of ${values.length} dimensions cannot join an index of ${this.dims}.`);
    }
  }

  set(id: string, fileKey: string, scale: number, values: Int8Array): void {
    this.check(values);
    // Empty, the index holds no blocks (delete drops each as it empties): any size may start it.
    if (this.count === 0) this.dims = values.length;
    let slot = this.slots.get(id);
    if (slot === undefined) {
      slot = this.count++;
      if (slot % BLOCK === 0) {
        this.values.push(new Int8Array(BLOCK * this.dims));
        this.scales.push(new Float64Array(BLOCK));
      }
      this.slots.set(id, slot);
      this.ids[slot] = id;
    }
    const place = this.at(slot);
    this.fileKeys[slot] = fileKey;
    place.scales[place.index] = scale;
    place.values.set(values, place.offset);
  }

  /** Moves the last vector into the freed slot, so the slots stay dense. */
  delete(id: string): void {
    const slot = this.slots.get(id);
    if (slot === undefined) return;
    const last = --this.count;
    if (slot !== last) {
      const moved = this.ids[last] as string;
      const [to, from] = [this.at(slot), this.at(last)];
      this.ids[slot] = moved;
      this.fileKeys[slot] = this.fileKeys[last] as string;
      to.scales[to.index] = from.scales[from.index] as number;
      to.values.set(from.values.subarray(from.offset, from.offset + this.dims), to.offset);
      this.slots.set(moved, slot);
    }
    this.slots.delete(id);
    this.ids.length = last;
    this.fileKeys.length = last;
    if (last % BLOCK === 0) {
      this.values.pop();
      this.scales.pop();
    }
  }

  /** Calls `visit` with each vector's slot, file and cosine with `query` (a unit vector). */
  scan(query: Float32Array, visit: (slot: number, fileKey: string, score: number) => void): void {
    const { dims, fileKeys } = this;
    for (let block = 0; block < this.values.length; block++) {
      const values = this.values[block] as Int8Array;
      const scales = this.scales[block] as Float64Array;
      const end = Math.min(BLOCK, this.count - block * BLOCK);
      for (let index = 0; index < end; index++) {
        let dot = 0;
        const offset = index * dims;
        for (let i = 0; i < dims; i++) dot += (values[offset + i] as number) * (query[i] ?? 0);
        const slot = block * BLOCK + index;
        visit(slot, fileKeys[slot] as string, (dot * (scales[index] as number)) / 127);
      }
    }
  }

  idAt(slot: number): string {
    return this.ids[slot] as string;
  }

  private at(slot: number) {
    const block = Math.floor(slot / BLOCK);
    const index = slot % BLOCK;
    return {
      values: this.values[block] as Int8Array,
      scales: this.scales[block] as Float64Array,
      index,
      offset: index * this.dims,
    };
  }
}

/** int8 quantisation: a 256-d vector is 256 bytes and a scale; the score stays within a hundredth. */
export function quantise(
  values: number[],
  quantised = new Int8Array(values.length),
): { scale: number; values: Int8Array } {
  let scale = 0;
  for (const v of values) scale = Math.max(scale, Math.abs(v));
  scale ||= 1;
  for (let i = 0; i < values.length; i++) quantised[i] = Math.round(((values[i] as number) / scale) * 127);
  return { scale, values: quantised };
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
    // One buffer for the batch: SQLite and the packed block each copy what they keep.
    let scratch = new Int8Array(0);
    for (const vector of vectors) {
      // Before SQLite: a vector that cannot join the index is never stored.
      cache.check(vector.values);
      if (scratch.length !== vector.values.length) scratch = new Int8Array(vector.values.length);
      const { scale, values } = quantise(vector.values, scratch);
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
