import type { Embedder } from "./ports.server";

/** A query's vector is a pure function of the model and the text: it never needs invalidating. */
const TTL_SECONDS = 30 * 24 * 60 * 60;
/** Long texts are passages, not queries: not worth a KV entry. */
const MAX_QUERY_CHARS = 500;

/**
 * Query embeddings cached in KV (the CACHE namespace), keyed by model and a hash of the
 * text: a GM's repeated and popular searches skip the model call (tens of ms on Workers
 * AI). Used for search only; ingestion embeds each passage once anyway.
 */
export class CachedQueryEmbedder implements Embedder {
  readonly name: string;
  readonly dimensions: number;
  readonly batchSize: number;
  readonly semantic: boolean;
  readonly minSimilarity: number;

  constructor(
    private readonly inner: Embedder,
    private readonly cache: KVNamespace,
  ) {
    this.name = inner.name;
    this.dimensions = inner.dimensions;
    this.batchSize = inner.batchSize;
    this.semantic = inner.semantic;
    this.minSimilarity = inner.minSimilarity;
  }

  async embed(texts: string[]): Promise<number[][]> {
    const [text] = texts;
    if (texts.length !== 1 || text === undefined || text.length > MAX_QUERY_CHARS) return this.inner.embed(texts);
    const key = await this.keyOf(text);
    const cached = await this.cache.get<number[]>(key, "json");
    if (Array.isArray(cached) && cached.length === this.dimensions) return [cached];
    const vectors = await this.inner.embed(texts);
    const [vector] = vectors;
    if (vector?.length === this.dimensions) {
      await this.cache.put(key, JSON.stringify(vector), { expirationTtl: TTL_SECONDS });
    }
    return vectors;
  }

  private async keyOf(text: string): Promise<string> {
    const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
    const hex = [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
    return `query-embedding:v1:${this.name}:${this.dimensions}:${hex}`;
  }
}
