import { type SigningKey, signingKeys } from "./api/tokens.server";
import { type ChatModel, OpenAiCompatibleChatModel, WorkersAiChatModel } from "./assistant/chat-model.server";
import type { AskDeps } from "./assistant/conversations.server";
import { type KnownDeviceCookie, knownDeviceCookie } from "./auth/known-device.server";
import { type CacheRead, ReadModelCache } from "./cache/read-models.server";
import { d1Session } from "./db/d1-session.server";
import { createDb, type Db } from "./db/db.server";
import { DEFAULT_ROW_LIMITS, type RowLimits } from "./db/quota.server";
import type { FileStores, Tracker, UploadLimits } from "./files/library.server";
import { DEFAULT_KEEP_FILE_VERSIONS } from "./files/version-retention.server";
import { configuredDailyQuotas, type DailyQuotas } from "./http/daily-quotas.server";
import type { RateLimiters } from "./http/rate-limits.server";
import type { QueueDeps } from "./ingest/queue.server";
import { instrumentD1, instrumentKv, instrumentR2 } from "./metrics/instrument.server";
import { type OperationsDeps, operationsDeps } from "./metrics/metrics.server";
import type { MetricsRecorder } from "./metrics/recorder.server";
import { PassageStore } from "./passages/passage-store.server";
import type { SearchDeps } from "./search/search.server";
import { createSessionStore, type SessionStore } from "./sessions/session.server";
import { CachedQueryEmbedder } from "./vectors/cached-embedder.server";
import { VectorizeVectorIndex, WorkersAiEmbedder, WorkersAiReranker } from "./vectors/cloudflare.server";
import { HashingEmbedder } from "./vectors/local.server";
import type { Embedder, Reranker, VectorIndex } from "./vectors/ports.server";
import { LocalVectorIndex, TrackerVectorIndex, TrackerVectorStore } from "./vectors/tracker-index.server";
import type { DeliveryDeps, DeliveryMessage, SendDeps } from "./webhooks/delivery.server";
import { type WebhookRules, webhookRules } from "./webhooks/endpoints.server";

/**
 * The composition root (docs/decisions/0015): the one place that turns bindings and
 * configuration into the services loaders, actions and the live socket use
 * (`createServices`) and those the UserFileTracker Durable Object uses
 * (`createTrackerServices`). Adapters for AI_PROVIDER are chosen here and nowhere else. Domain modules
 * receive what they need as arguments and never import this file.
 */
export interface Services {
  /** D1 through this request's D1 session (read replication; ADR 0031). */
  db: Db;
  /** The bookmark this request's D1 session has reached (null before its first query). */
  d1Bookmark: () => string | null;
  /** File bytes (R2). */
  bucket: R2Bucket;
  /** The CACHE namespace (KV): cached query embeddings, and the read models below. */
  cache: KVNamespace;
  /** Cache-aside copies of hot read models in CACHE, keyed by D1 generations (ADR 0029). */
  readModels: ReadModelCache;
  limits: Limits;
  /** An account's UserFileTracker Durable Object (by account id): ingestion queue and live updates. */
  tracker: (accountId: string) => Tracker;
  /** A campaign's CampaignRoom Durable Object (by campaign id): presence and live changes. */
  room: (campaignId: string) => CampaignRoomStub;
  fileStores: FileStores;
  search: SearchDeps;
  assistant: AskDeps;
  rateLimits: RateLimiters;
  /** The app's own metrics and alerts (the operations page, `/metrics`, the cron). */
  operations: OperationsDeps;
  /** API tokens' signing keys (API_TOKEN_KEYS; ADR 0032), parsed on first use. */
  apiKeys: () => SigningKey[];
  /** The daily quotas (DAILY_* vars). */
  dailyQuotas: DailyQuotas;
  /** Webhook endpoints' rules and the WEBHOOKS queue deliveries are produced to (ADR 0033). */
  webhooks: DeliveryDeps & { rules: WebhookRules };
}

export interface ServiceOptions {
  /**
   * Whether this request may read and fill the read-model cache: only reads (GET, HEAD).
   * A POST's loaders run after its action, with the generations its middleware read
   * before the write: they read D1 (ADR 0029).
   */
  cacheReads?: boolean;
  /** Every D1 statement, KV and R2 call (and read-model read) is measured into it (ADR 0030). */
  metrics?: MetricsRecorder | null;
  /** Told of every read through the read-model cache (the middleware's Server-Timing). */
  onCacheRead?: (read: CacheRead) => void;
  /**
   * Where the request's D1 session starts (ADR 0031): the device's bookmark (its cookie),
   * so reads see at least what it wrote; "first-primary" for the cron; none: the nearest replica.
   */
  bookmark?: string | null;
}

/** Built once per request by the session middleware. */
export function createServices(env: Env, options: ServiceOptions = {}): Services {
  const metrics = options.metrics ?? null;
  const session = d1Session(env.DB, options.bookmark ?? null);
  const { db, files, cache } = instrumentedStores(env, metrics, session);
  const limits = configuredLimits(env);
  const tracker = (accountId: string) => trackerFor(env, accountId);
  // Offline, an account's vectors live in its tracker (ADR 0020): an RPC away.
  const { embedder, vectors, reranker, chatModel } = aiAdapters(env, () => new TrackerVectorIndex(tracker));
  // Offline, embedding a query is cheaper than a KV read; a model's is not.
  const queryEmbedder = embedder.semantic ? new CachedQueryEmbedder(embedder, cache) : embedder;
  const search: SearchDeps = { db, embedder: queryEmbedder, vectors, reranker, tracker };
  return {
    db,
    d1Bookmark: () => session.getBookmark(),
    bucket: files,
    cache,
    readModels: new ReadModelCache(cache, {
      enabled: env.READ_MODEL_CACHE !== "off" && (options.cacheReads ?? true),
      observe: (read: CacheRead) => {
        metrics?.observe("cache", read.model, read.hit ? "hit" : "miss", read.ms, true);
        options.onCacheRead?.(read);
      },
    }),
    limits,
    tracker,
    room: (campaignId) => roomFor(env, campaignId),
    fileStores: { db, files, tracker, limits, compressText: env.COMPRESS_TEXT_FILES !== "false" },
    search,
    assistant: { db, search, model: chatModel, messageLimit: limits.rows.messages },
    rateLimits: {
      auth: env.AUTH_LIMITER,
      upload: env.UPLOAD_LIMITER,
      search: env.SEARCH_LIMITER,
      ask: env.ASK_LIMITER,
      write: env.WRITE_LIMITER,
      api: env.API_LIMITER,
      apiAccount: env.API_ACCOUNT_LIMITER,
    },
    operations: operationsDeps(env),
    apiKeys: () => signingKeys(env.API_TOKEN_KEYS),
    dailyQuotas: configuredDailyQuotas(env),
    webhooks: { db, queue: env.WEBHOOKS as Queue<DeliveryMessage>, rules: webhookRules(env) },
  };
}

/**
 * What webhook delivery works with outside a request (the queue's consumers, the drain
 * after a request and in the UserFileTracker): D1 from the primary, the WEBHOOKS queue,
 * the address rules, and the outbound fetch to receivers.
 */
export function webhookServices(env: Env): DeliveryDeps & SendDeps {
  return {
    db: createDb(env.DB),
    queue: env.WEBHOOKS as Queue<DeliveryMessage>,
    rules: webhookRules(env),
    fetch: (input, init) => fetch(input, init),
  };
}

export interface TrackerServices {
  passages: PassageStore;
  /** The offline vector index's storage (unused with Vectorize). */
  vectorStore: TrackerVectorStore;
  /** What the ingestion queue works with. */
  ingestion: QueueDeps;
}

/**
 * Built once per UserFileTracker, over its own storage; with a recorder, its D1 and R2
 * calls are measured (the object drains it after each alarm).
 */
export function createTrackerServices(
  env: Env,
  storage: DurableObjectStorage,
  metrics: MetricsRecorder | null = null,
): TrackerServices {
  const { db, files } = instrumentedStores(env, metrics);
  const passages = new PassageStore(storage);
  const vectorStore = new TrackerVectorStore(storage.sql);
  const { embedder, vectors } = aiAdapters(env, () => new LocalVectorIndex(vectorStore));
  return { passages, vectorStore, ingestion: { db, files, embedder, vectors, passages, metrics } };
}

/**
 * D1 (through Drizzle; through a D1 session when given one), R2 and the cache, each
 * measured when there is a recorder.
 */
function instrumentedStores(env: Env, metrics: MetricsRecorder | null, session?: D1DatabaseSession) {
  // Drizzle asks of its client only `prepare` and `batch`, which a D1 session has.
  const d1 = (session ?? env.DB) as D1Database;
  if (!metrics) return { db: createDb(d1), files: env.FILES, cache: env.CACHE };
  return {
    db: createDb(instrumentD1(d1, metrics)),
    files: instrumentR2(env.FILES, metrics),
    cache: instrumentKv(env.CACHE, "CACHE", metrics),
  };
}

/** One UserFileTracker per account, named by its immutable id (never by a reusable username). */
/** A campaign's CampaignRoom Durable Object (functions/campaign-room.ts; ADR 0026). */
export type CampaignRoomStub = ReturnType<Env["CAMPAIGN_ROOM"]["get"]>;

export function roomFor(env: Env, campaignId: string): CampaignRoomStub {
  return env.CAMPAIGN_ROOM.get(env.CAMPAIGN_ROOM.idFromName(campaignId));
}

export function trackerFor(env: Env, accountId: string): Tracker {
  return env.USER_FILE_TRACKER.get(env.USER_FILE_TRACKER.idFromName(accountId));
}

export interface AiAdapters {
  embedder: Embedder;
  vectors: VectorIndex;
  /** Reranking needs a model: only with Workers AI. */
  reranker: Reranker | null;
  /** null: no model, the assistant quotes instead (extractive answers). */
  chatModel: ChatModel | null;
}

/**
 * `AI_PROVIDER = "workers-ai"` uses Workers AI and Vectorize; anything else (tests,
 * `npm start`) the local adapters (docs/decisions/0005). The assistant's model is an
 * OpenAI-compatible endpoint when one is configured (the explicit choice), else Workers
 * AI when it is in use, else none.
 */
export function aiAdapters(
  env: Pick<Env, "AI" | "AI_PROVIDER" | "VECTORIZE" | "CHAT_BASE_URL" | "CHAT_MODEL" | "CHAT_API_KEY">,
  /** The offline vector index, as reached from where the services run. */
  localVectors: () => VectorIndex,
): AiAdapters {
  const cloudflare = env.AI_PROVIDER === "workers-ai";
  const endpoint = env.CHAT_BASE_URL && env.CHAT_MODEL ? { baseUrl: env.CHAT_BASE_URL, model: env.CHAT_MODEL } : null;
  let chatModel: ChatModel | null = null;
  if (endpoint) chatModel = new OpenAiCompatibleChatModel({ ...endpoint, apiKey: env.CHAT_API_KEY || undefined });
  else if (cloudflare) chatModel = new WorkersAiChatModel(env.AI);
  return cloudflare
    ? {
        embedder: new WorkersAiEmbedder(env.AI),
        vectors: new VectorizeVectorIndex(env.VECTORIZE),
        reranker: new WorkersAiReranker(env.AI),
        chatModel,
      }
    : { embedder: new HashingEmbedder(), vectors: localVectors(), reranker: null, chatModel };
}

/** Upload sizes and the storage quota, and how many rows of each kind an account may hold. */
export type Limits = UploadLimits & { rows: RowLimits; keepFileVersions: number };

/** From the vars; a row limit (or versions kept) that is unset or not a positive number keeps its default. */
export function configuredLimits(env: Env): Limits {
  const row = (value: string | undefined, fallback: number) => {
    const n = Number(value);
    return Number.isSafeInteger(n) && n > 0 ? n : fallback;
  };
  return {
    maxFileBytes: Number(env.MAX_FILE_BYTES),
    maxUserBytes: Number(env.MAX_USER_BYTES),
    keepFileVersions: row(env.KEEP_FILE_VERSIONS, DEFAULT_KEEP_FILE_VERSIONS),
    rows: {
      campaigns: row(env.MAX_CAMPAIGNS, DEFAULT_ROW_LIMITS.campaigns),
      entries: row(env.MAX_ENTRIES, DEFAULT_ROW_LIMITS.entries),
      characters: row(env.MAX_CHARACTERS, DEFAULT_ROW_LIMITS.characters),
      conversations: row(env.MAX_CONVERSATIONS, DEFAULT_ROW_LIMITS.conversations),
      messages: row(env.MAX_MESSAGES, DEFAULT_ROW_LIMITS.messages),
    },
  };
}

export function knownDeviceCookieFor(env: Env, requestUrl: string): KnownDeviceCookie {
  return knownDeviceCookie(sessionSecret(env), requestUrl);
}

/** The session store for a request (cookies are Secure except on localhost). */
export function sessionStoreFor(env: Env, requestUrl: string, metrics: MetricsRecorder | null = null): SessionStore {
  const kv = metrics ? instrumentKv(env.SESSIONS, "SESSIONS", metrics) : env.SESSIONS;
  return createSessionStore(kv, sessionSecret(env), requestUrl);
}

export function sessionSecret(env: Pick<Env, "SESSION_SECRET">): string {
  if (!env.SESSION_SECRET) {
    throw new Error(
      "SESSION_SECRET is not set. Locally run `npm start` (it creates .dev.vars); in production run `wrangler secret put SESSION_SECRET`.",
    );
  }
  return env.SESSION_SECRET;
}
