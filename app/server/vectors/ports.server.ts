/**
 * The ports that stand between the app and the services that cannot run offline
 * (docs/decisions/0005). Everything else (D1, R2, KV, Durable Objects) is used directly.
 * The adapters (cloudflare.server.ts, local.server.ts) are chosen by the composition
 * root (services.server.ts).
 */

/** Turns passages (or a query) into vectors. */
export interface Embedder {
  /** Shown in the UI and logs, so nobody mistakes the local one for a language model. */
  readonly name: string;
  readonly dimensions: number;
  /** Largest number of texts one `embed` call accepts. */
  readonly batchSize: number;
  /**
   * Whether nearness means similar meaning (a language model) or only shared letters
   * (the offline hashing embedder): search lets only the first vote beside bm25.
   */
  readonly semantic: boolean;
  /** Matches less similar than this (cosine) are not shown. */
  readonly minSimilarity: number;
  embed(texts: string[]): Promise<number[][]>;
}

export interface VectorRecord {
  /** The chunk id: a retry upserts the same vector instead of adding one. */
  id: string;
  values: number[];
  fileKey: string;
}

export interface VectorMatch {
  id: string;
  score: number;
  fileKey: string;
}

/** Vectors, one namespace per user: a query never sees another user's vectors. */
export interface VectorIndex {
  upsert(namespace: string, vectors: VectorRecord[]): Promise<void>;
  query(namespace: string, vector: number[], options: { topK: number; fileKeys?: string[] }): Promise<VectorMatch[]>;
  deleteByIds(namespace: string, ids: string[]): Promise<void>;
}

/** Orders passages by relevance to a query (a cross-encoder); optional. */
export interface Reranker {
  /** One score per passage, higher is more relevant. */
  rerank(query: string, passages: string[]): Promise<number[]>;
}
