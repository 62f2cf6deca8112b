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
        max_tokens: 800,
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
      body: JSON.stringify({ model: this.config.model, messages, stream: true, temperature: 0.2 }),
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
