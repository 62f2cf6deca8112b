import type { CampaignReader } from "../campaigns/policy.server";
import { can } from "../campaigns/policy.server";

/**
 * Cache-aside copies of hot read models in KV (the CACHE binding; ADR 0029).
 *
 * A key names what it holds and as of when: `<model>:v1:<scope id>:<generation>:<viewer>`.
 * The generation is the campaign's or the account's `cache_generation` (D1), which every
 * write to what the model shows bumps in the same statement (the triggers of migration
 * 0016), and which the request already read with the campaign or account row. So a save
 * moves every later reader to a key nobody has written yet: an old entry is never read
 * again, only left to expire. TTLs bound what a missed bump could cost.
 *
 * Values are JSON. Anything KV refuses or fails at is served from D1 instead: the cache
 * can make a page faster, never make it fail.
 */

/** One read through the cache, for metrics (the lead wires it later). */
export interface CacheRead {
  model: string;
  hit: boolean;
  /** Time spent on the read, the load on a miss included. */
  ms: number;
}

export interface ReadModelCacheOptions {
  /** "off" reads straight from D1 (the bench's cache-off variant); default on. */
  enabled?: boolean;
  /** Called after every read through the cache. */
  observe?: (read: CacheRead) => void;
  /** Larger values are served but not stored (KV allows 25 MiB; a page model never needs that). */
  maxValueBytes?: number;
}

/** KV refuses an expirationTtl under 60 s. */
export const MIN_TTL_SECONDS = 60;
/** What every model uses unless it says otherwise: an hour bounds a missed bump. */
export const DEFAULT_TTL_SECONDS = 60 * 60;
export const DEFAULT_MAX_VALUE_BYTES = 1024 * 1024;

/** The models and their key prefixes; bumping `v1` retires every stored entry of a model. */
export const readModels = {
  overview: "overview:v1",
  library: "library:v1",
  searchScopes: "scopes:v1",
  download: "download:v1",
} as const;
export type ReadModel = keyof typeof readModels;

/** The models keyed by an account id (their entries are deleted with the account). */
export const accountModels: readonly ReadModel[] = ["library", "searchScopes", "download"];

export class ReadModelCache {
  readonly enabled: boolean;
  private readonly observe: ((read: CacheRead) => void) | undefined;
  private readonly maxValueBytes: number;

  constructor(
    private readonly kv: KVNamespace,
    options: ReadModelCacheOptions = {},
  ) {
    this.enabled = options.enabled ?? true;
    this.observe = options.observe;
    this.maxValueBytes = options.maxValueBytes ?? DEFAULT_MAX_VALUE_BYTES;
  }

  /**
   * The value under `key`, or `load()`'s, stored for `ttlSeconds` (at least KV's 60).
   * `load` answering undefined (nothing there) is served and never stored.
   */
  async readThrough<T>(key: string, ttlSeconds: number, load: () => Promise<T>): Promise<T> {
    if (!this.enabled) return load();
    const started = performance.now();
    const model = key.slice(0, key.indexOf(":"));
    let cached: T | null = null;
    try {
      cached = await this.kv.get<T>(key, "json");
    } catch {
      cached = null;
    }
    if (cached !== null) {
      this.observe?.({ model, hit: true, ms: performance.now() - started });
      return cached;
    }
    const value = await load();
    if (value !== undefined) await this.store(key, value, ttlSeconds);
    this.observe?.({ model, hit: false, ms: performance.now() - started });
    return value;
  }

  private async store(key: string, value: unknown, ttlSeconds: number): Promise<void> {
    try {
      const json = JSON.stringify(value);
      if (new TextEncoder().encode(json).byteLength > this.maxValueBytes) return;
      await this.kv.put(key, json, { expirationTtl: Math.max(MIN_TTL_SECONDS, Math.ceil(ttlSeconds)) });
    } catch {
      // A failed put only means the next read loads again.
    }
  }
}

/** A campaign model's key: GMs share one copy; players and viewers each have their own. */
export function campaignKey(model: ReadModel, reader: CampaignReader): string {
  const { campaign } = reader;
  return `${readModels[model]}:${campaign.id}:${campaign.cacheGeneration}:${viewerKey(reader)}`;
}

/**
 * Who the copy is for. Everyone who sees secrets sees the same campaign (owner and co-GMs);
 * anyone else sees what is shared with the campaign and revealed to them, so their copy is
 * keyed by their immutable account id, and their role, so no one reads a copy made for
 * someone who may see more.
 */
export function viewerKey(reader: Pick<CampaignReader, "role" | "account">): string {
  return can(reader.role, "seeSecrets") ? "gm" : `${reader.role}.${reader.account.id}`;
}

/** An account model's key, by the account's immutable id (never the reusable username). */
export function accountKey(
  model: ReadModel,
  account: { id: string; cacheGeneration: number },
  part: string | null = null,
): string {
  return `${readModels[model]}:${account.id}:${account.cacheGeneration}:${part ?? "-"}`;
}
