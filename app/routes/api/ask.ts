import { data } from "react-router";
import { questionSchema } from "~/lib/assistant";
import { ask, getConversation } from "~/server/assistant/conversations.server";
import { askDepsFor } from "~/server/assistant/deps.server";
import { getCampaign } from "~/server/campaigns/campaigns.server";
import { getDb, getEnv, getRequestState } from "~/server/request.server";
import type { Route } from "./+types/ask";

/**
 * POST /api/campaigns/:campaignId/chats/:chatId/ask (form field `question`): the answer
 * as it is written, one JSON event a line — `sources`, then `token`s, then `done`.
 * The conversation page reads it to show the answer word by word; without JavaScript
 * the same question goes through the page's own action instead.
 */
export async function action({ request, context, params }: Route.ActionArgs) {
  const { user } = getRequestState(context);
  if (!user) return data({ error: "Sign in to ask." }, { status: 401 });
  const db = getDb(context);
  const campaign = await getCampaign(db, user.username, params.campaignId);
  const conversation = campaign ? await getConversation(db, campaign, params.chatId) : undefined;
  if (!campaign || !conversation) return data({ error: "No such conversation." }, { status: 404 });
  const parsed = questionSchema.safeParse(Object.fromEntries(await request.formData()));
  if (!parsed.success) return data({ error: parsed.error.issues[0]?.message }, { status: 400 });

  const events = ask(askDepsFor(getEnv(context), db), campaign, conversation, parsed.data.question);
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const next = await events.next();
        if (next.done) return controller.close();
        controller.enqueue(encoder.encode(`${JSON.stringify(next.value)}\n`));
      } catch (error) {
        console.error("ask failed:", error);
        controller.enqueue(
          encoder.encode(`${JSON.stringify({ type: "error", message: "The answer failed. Try again." })}\n`),
        );
        controller.close();
      }
    },
  });
  return new Response(body, {
    headers: { "Content-Type": "application/x-ndjson; charset=utf-8", "Cache-Control": "no-store" },
  });
}
