import type { AskEvent } from "~/lib/assistant";
import { questionSchema } from "~/lib/assistant";
import { ask, getConversation } from "~/server/assistant/conversations.server";
import { requireCampaign, requireCampaignMiddleware } from "~/server/campaigns/guards.server";
import { jsonApi } from "~/server/http/api.server";
import { httpError, notFound, Refusal } from "~/server/http/responses.server";
import { limitRequest } from "~/server/request.server";
import type { Route } from "./+types/ask";

/**
 * POST /api/campaigns/:campaignId/chats/:chatId/ask (form field `question`): the answer
 * as it is written, one JSON event a line — `sources`, then `token`s, then `done`.
 * The conversation page reads it to show the answer word by word; without JavaScript
 * the same question goes through the page's own action instead.
 */
export const middleware: Route.MiddlewareFunction[] = [requireCampaignMiddleware];

export async function action({ request, context, params }: Route.ActionArgs) {
  return jsonApi(context, async ({ services }) => {
    await limitRequest(context, request, "ask");
    const access = requireCampaign(context, "useAssistant");
    const conversation = await getConversation(services.db, access, params.chatId);
    if (!conversation) notFound("conversation");
    const parsed = questionSchema.safeParse(Object.fromEntries(await request.formData()));
    if (!parsed.success) return httpError(400, parsed.error.issues[0]?.message ?? "Type a question.");

    const events = ask(services.assistant, access, conversation, parsed.data.question);
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
  });
}
