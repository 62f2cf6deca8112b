import type { AskEvent } from "~/lib/assistant";
import { Refusal } from "../http/responses.server";

/**
 * An answer as it is written, as a response: one JSON event a line (`sources`, then
 * `token`s, then `done`; or `error` when it fails part-way). The conversation page and the
 * public API stream the same thing.
 */
export function askEventStream(events: AsyncGenerator<AskEvent>): Response {
  const encoder = new TextEncoder();
  const line = (event: AskEvent) => encoder.encode(`${JSON.stringify(event)}\n`);
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const next = await events.next();
        if (next.done) return controller.close();
        controller.enqueue(line(next.value));
      } catch (error) {
        if (!(error instanceof Refusal)) console.error("ask failed:", error);
        const message = error instanceof Refusal ? error.message : "The answer failed. Try again.";
        controller.enqueue(line({ type: "error", message }));
        controller.close();
      }
    },
  });
  return new Response(body, {
    headers: { "Content-Type": "application/x-ndjson; charset=utf-8", "Cache-Control": "no-store" },
  });
}
