import type { ProviderName } from "~/lib/assistant";

/**
 * The ChatModel port: something that streams an answer to grounded messages.
 * Adapters: Workers AI (the AI binding), any OpenAI-compatible endpoint (base URL, key and
 * model from configuration; also a local Ollama), and, when neither is configured, no
 * model at all: the assistant then answers extractively (grounding.server.ts). The
 * composition root (services.server.ts) chooses (docs/decisions/0014).
 */

export interface ChatMessage {
  role: "system" | "user" | "assistant";
  content: string;
}

/** An answer is a few paragraphs at the table: a cap keeps a runaway model (and its bill) short. */
export const MAX_ANSWER_TOKENS = 800;

export interface ModelDeadlines {
  /** How long the model may think before its first word. */
  firstTokenMs: number;
  /** How long a whole answer may take. */
  totalMs: number;
}

export const MODEL_DEADLINES: ModelDeadlines = { firstTokenMs: 20_000, totalMs: 60_000 };

export class ModelTimeout extends Error {
  override name = "ModelTimeout";
}

export interface ChatModel {
  readonly provider: Exclude<ProviderName, "extractive">;
  /** Shown under each answer: which model wrote it. */
  readonly label: string;
  stream(messages: ChatMessage[], signal?: AbortSignal): AsyncIterable<string>;
}

/** Reads a server-sent-events body line by line and yields each `data:` payload. */
async function* serverSentData(body: ReadableStream<Uint8Array>): AsyncIterable<string> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (value) buffer += decoder.decode(value, { stream: true });
    let newline = buffer.indexOf("\n");
    while (newline >= 0) {
      const line = buffer.slice(0, newline).trim();
      buffer = buffer.slice(newline + 1);
      if (line.startsWith("data:")) {
        const data = line.slice(5).trim();
        if (data === "[DONE]") return;
        if (data) yield data;
      }
      newline = buffer.indexOf("\n");
    }
    if (done) return;
  }
}

const WORKERS_AI_MODEL = "@cf/meta/llama-3.1-8b-instruct";

export class WorkersAiChatModel implements ChatModel {
  readonly provider = "workers-ai" as const;
  readonly label = `Workers AI (${WORKERS_AI_MODEL})`;

  constructor(private readonly ai: Pick<Ai, "run">) {}

  async *stream(messages: ChatMessage[]): AsyncIterable<string> {
    const body = (await this.ai.run(
      WORKERS_AI_MODEL as never,
      {
        messages,
        stream: true,
        max_tokens: MAX_ANSWER_TOKENS,
      } as never,
    )) as unknown as ReadableStream<Uint8Array>;
    for await (const data of serverSentData(body)) {
      const token = (JSON.parse(data) as { response?: string }).response;
      if (token) yield token;
    }
  }
}

export interface OpenAiCompatibleConfig {
  baseUrl: string;
  model: string;
  apiKey?: string;
}

export class OpenAiCompatibleChatModel implements ChatModel {
  readonly provider = "openai-compatible" as const;
  readonly label: string;

  constructor(
    private readonly config: OpenAiCompatibleConfig,
    private readonly fetcher: typeof fetch = fetch,
  ) {
    this.label = `${config.model} (${new URL(config.baseUrl).host})`;
  }

  async *stream(messages: ChatMessage[], signal?: AbortSignal): AsyncIterable<string> {
    const response = await this.fetcher(`${this.config.baseUrl.replace(/\/+$/, "")}/chat/completions`, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        ...(this.config.apiKey ? { Authorization: `Bearer ${this.config.apiKey}` } : {}),
      },
      body: JSON.stringify({
        model: this.config.model,
        messages,
        stream: true,
        temperature: 0.2,
        max_tokens: MAX_ANSWER_TOKENS,
      }),
      signal,
    });
    if (!response.ok || !response.body) {
      throw new Error(`The model endpoint answered ${response.status} ${response.statusText}`.trim());
    }
    for await (const data of serverSentData(response.body)) {
      const token = (JSON.parse(data) as { choices?: { delta?: { content?: string } }[] }).choices?.[0]?.delta?.content;
      if (token) yield token;
    }
  }
}

/**
 * A model's answer, cut off (ModelTimeout) when the first word takes longer than
 * `firstTokenMs` or the whole answer longer than `totalMs`; the request is aborted then.
 */
export async function* withDeadlines(
  model: ChatModel,
  messages: ChatMessage[],
  deadlines: ModelDeadlines = MODEL_DEADLINES,
): AsyncIterable<string> {
  const controller = new AbortController();
  const started = Date.now();
  const tokens = model.stream(messages, controller.signal)[Symbol.asyncIterator]();
  let first = true;
  try {
    for (;;) {
      const left = Math.min(
        first ? deadlines.firstTokenMs : Number.POSITIVE_INFINITY,
        deadlines.totalMs - (Date.now() - started),
      );
      let timer: ReturnType<typeof setTimeout> | undefined;
      const late = new Promise<"late">((resolve) => {
        timer = setTimeout(() => resolve("late"), Math.max(0, left));
      });
      const next = await Promise.race([tokens.next(), late]).finally(() => clearTimeout(timer));
      if (next === "late")
        throw new ModelTimeout(
          first ? "The model did not start answering in time." : "The model took too long to answer.",
        );
      if (next.done) return;
      first = false;
      yield next.value;
    }
  } finally {
    controller.abort();
    // A stream still waiting for a token is left to the abort; a finished one is closed.
    void tokens.return?.().catch(() => {});
  }
}
