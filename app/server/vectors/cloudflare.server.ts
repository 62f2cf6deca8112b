import type { Embedder, Reranker, VectorIndex, VectorMatch, VectorRecord } from "./ports.server";

/**
 * Production adapters: Workers AI embeddings and Vectorize. Neither can run offline;
 * tests exercise them against stand-ins for the bindings (the network boundary).
 */

const EMBEDDING_MODEL = "@cf/baai/bge-base-en-v1.5";

export class WorkersAiEmbedder implements Embedder {
  readonly name = `Workers AI ${EMBEDDING_MODEL}`;
  readonly dimensions = 768;
  /** The model accepts up to 100 texts a call. */
  readonly batchSize = 100;
  readonly semantic = true;
  /**
   * bge-base puts unrelated English passages at a cosine of about 0.4–0.5 from a query;
   * not measured here (no model offline): check with `eval:retrieval --url` in production.
   */
  readonly minSimilarity = 0.5;

  constructor(private readonly ai: Pick<Ai, "run">) {}

  async embed(texts: string[]): Promise<number[][]> {
    if (texts.length === 0) return [];
    const result = (await this.ai.run(EMBEDDING_MODEL, { text: texts })) as { data?: number[][] };
    if (!result.data || result.data.length !== texts.length) {
      throw new Error(`Workers AI returned ${result.data?.length ?? 0} embeddings for ${texts.length} texts`);
    }
    return result.data;
  }
}

const RERANK_MODEL = "@cf/baai/bge-reranker-base";

export class WorkersAiReranker implements Reranker {
  constructor(private readonly ai: Pick<Ai, "run">) {}

  async rerank(query: string, passages: string[]): Promise<number[]> {
    if (passages.length === 0) return [];
    const result = (await this.ai.run(
      RERANK_MODEL as never,
      {
        query,
        contexts: passages.map((text) => ({ text })),
      } as never,
    )) as { response?: { id: number; score: number }[] };
    const scores = new Array<number>(passages.length).fill(0);
    for (const { id, score } of result.response ?? []) if (id >= 0 && id < passages.length) scores[id] = score;
    return scores;
  }
}

/** Vectorize accepts up to 1,000 vectors or ids a call; smaller batches keep requests small. */
const BATCH = 500;

export class VectorizeVectorIndex implements VectorIndex {
  constructor(private readonly index: Pick<VectorizeIndex, "upsert" | "query" | "deleteByIds">) {}

  async upsert(namespace: string, vectors: VectorRecord[]): Promise<void> {
    for (let i = 0; i < vectors.length; i += BATCH) {
      await this.index.upsert(
        vectors
          .slice(i, i + BATCH)
          .map((v) => ({ id: v.id, values: v.values, namespace, metadata: { fileKey: v.fileKey } })),
      );
    }
  }

  async query(
    namespace: string,
    vector: number[],
    options: { topK: number; fileKeys?: string[] },
  ): Promise<VectorMatch[]> {
    if (options.fileKeys && options.fileKeys.length === 0) return [];
    const result = await this.index.query(vector, {
      topK: options.topK,
      namespace,
      returnMetadata: "indexed",
      ...(options.fileKeys ? { filter: { fileKey: { $in: options.fileKeys } } } : {}),
    });
    return result.matches.map((m) => ({ id: m.id, score: m.score, fileKey: String(m.metadata?.fileKey ?? "") }));
  }

  async deleteByIds(_namespace: string, ids: string[]): Promise<void> {
    // Ids are chunk ids, which embed the user's own file key: unique across namespaces.
    for (let i = 0; i < ids.length; i += BATCH) await this.index.deleteByIds(ids.slice(i, i + BATCH));
  }
}
