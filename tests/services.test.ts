import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { OpenAiCompatibleChatModel, WorkersAiChatModel } from "~/server/assistant/chat-model.server";
import { DEFAULT_ROW_LIMITS } from "~/server/db/quota.server";
import { PassageStore } from "~/server/passages/passage-store.server";
import {
  aiAdapters,
  configuredLimits,
  createServices,
  createTrackerServices,
  sessionSecret,
  trackerFor,
} from "~/server/services.server";
import { VectorizeVectorIndex, WorkersAiEmbedder, WorkersAiReranker } from "~/server/vectors/cloudflare.server";
import { HashingEmbedder } from "~/server/vectors/local.server";
import { LocalVectorIndex, TrackerVectorIndex } from "~/server/vectors/tracker-index.server";

/** Where the offline vector index is reached from: here, a marker that the root used it. */
const offline = () => new TrackerVectorIndex(() => trackerFor(env, "unused"));

/** Configuration with every AI setting off; each test turns on what it checks. */
const config = (overrides: Partial<Env> = {}) => ({
  AI: {} as Ai,
  VECTORIZE: {} as VectorizeIndex,
  AI_PROVIDER: "local",
  CHAT_BASE_URL: "",
  CHAT_MODEL: "",
  CHAT_API_KEY: "",
  ...overrides,
});

describe("the composition root", () => {
  it("uses the offline adapters unless Workers AI is configured, and then no reranker and no model", () => {
    const adapters = aiAdapters(config(), offline);
    expect(adapters.embedder).toBeInstanceOf(HashingEmbedder);
    expect(adapters.vectors).toBeInstanceOf(TrackerVectorIndex);
    expect(adapters.reranker).toBeNull();
    expect(adapters.chatModel).toBeNull();
  });

  it("uses Workers AI and Vectorize for everything when AI_PROVIDER is workers-ai", () => {
    const adapters = aiAdapters(config({ AI_PROVIDER: "workers-ai" }), offline);
    expect(adapters.embedder).toBeInstanceOf(WorkersAiEmbedder);
    expect(adapters.vectors).toBeInstanceOf(VectorizeVectorIndex);
    expect(adapters.reranker).toBeInstanceOf(WorkersAiReranker);
    expect(adapters.chatModel).toBeInstanceOf(WorkersAiChatModel);
  });

  it("prefers a configured OpenAI-compatible endpoint for answers, with either provider", () => {
    const endpoint = { CHAT_BASE_URL: "http://localhost:11434/v1", CHAT_MODEL: "llama3.1" };
    for (const provider of ["local", "workers-ai"]) {
      const { chatModel } = aiAdapters(config({ AI_PROVIDER: provider, ...endpoint }), offline);
      expect(chatModel, provider).toBeInstanceOf(OpenAiCompatibleChatModel);
      expect(chatModel?.label).toBe("llama3.1 (localhost:11434)");
    }
    // A base URL without a model name is not a configuration.
    expect(aiAdapters(config({ CHAT_BASE_URL: endpoint.CHAT_BASE_URL }), offline).chatModel).toBeNull();
  });

  it("builds every service over the same D1 client, and one tracker per user", async () => {
    const services = createServices(env);
    expect(services.fileStores.db).toBe(services.db);
    expect(services.search.db).toBe(services.db);
    expect(services.assistant.search).toBe(services.search);
    expect(services.limits).toMatchObject({
      maxFileBytes: Number(env.MAX_FILE_BYTES),
      maxUserBytes: Number(env.MAX_USER_BYTES),
      rows: { campaigns: Number(env.MAX_CAMPAIGNS), messages: Number(env.MAX_MESSAGES) },
    });
    expect(services.assistant.messageLimit).toBe(Number(env.MAX_MESSAGES));
    expect(services.tracker("someone").id.toString()).toBe(trackerFor(env, "someone").id.toString());
    expect(services.tracker("someone").id.toString()).not.toBe(services.tracker("someone-else").id.toString());
  });

  it("gives a tracker its own passages and, offline, its own vectors, reached over RPC from the Worker", async () => {
    expect(createServices(env).search.vectors).toBeInstanceOf(TrackerVectorIndex);
    await runInDurableObject(trackerFor(env, "composition"), (_instance, state) => {
      const services = createTrackerServices(env, state.storage);
      expect(services.ingestion.passages).toBe(services.passages);
      expect(services.passages).toBeInstanceOf(PassageStore);
      expect(services.ingestion.vectors).toBeInstanceOf(LocalVectorIndex);
    });
  });

  it("keeps a row limit's default when its var is unset or not a positive number", () => {
    const limits = configuredLimits({ ...env, MAX_CAMPAIGNS: "", MAX_ENTRIES: "-3", MAX_CHARACTERS: "12" });
    expect(limits.rows).toMatchObject({
      campaigns: DEFAULT_ROW_LIMITS.campaigns,
      entries: DEFAULT_ROW_LIMITS.entries,
      characters: 12,
    });
  });

  it("refuses to run without a session secret, saying how to set one", () => {
    expect(() => sessionSecret({ SESSION_SECRET: "" })).toThrow(/wrangler secret put SESSION_SECRET/);
  });
});
