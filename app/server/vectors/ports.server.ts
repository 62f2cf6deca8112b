import { createDb } from "../db/db.server";
import { VectorizeVectorIndex, WorkersAiEmbedder, WorkersAiReranker } from "./cloudflare.server";
import { D1VectorIndex, HashingEmbedder } from "./local.server";

/**
 * The two ports that stand between the app and services that cannot run offline
 * (DESIGN.md). Everything else (D1, R2, KV, Durable Objects) is used directly.
 */

/** Turns passages (or a query) into vectors. */
export interface Embedder {
  /** Shown in the UI and logs, so nobody mistakes the local one for a language model. */
  readonly name: string;
  readonly dimensions: number;
  /** Largest number of texts one `embed` call accepts. */
  readonly batchSize: number;
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

/** Production uses Workers AI + Vectorize; anything else (tests, `npm start`) the local adapters. */
export function usesCloudflareAi(env: Env): boolean {
  return env.AI_PROVIDER === "workers-ai";
}

export function embedderFor(env: Env): Embedder {
  return usesCloudflareAi(env) ? new WorkersAiEmbedder(env.AI) : new HashingEmbedder();
}

/** Reranking needs a model: only with Workers AI. */
export function rerankerFor(env: Env): Reranker | null {
  return usesCloudflareAi(env) ? new WorkersAiReranker(env.AI) : null;
}

export function vectorIndexFor(env: Env): VectorIndex {
  return usesCloudflareAi(env) ? new VectorizeVectorIndex(env.VECTORIZE) : new D1VectorIndex(createDb(env.DB));
}
