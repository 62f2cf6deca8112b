import { questionSchema } from "~/lib/assistant";
import { askEventStream } from "~/server/assistant/ask-stream.server";
import { ask, getConversation } from "~/server/assistant/conversations.server";
import { requireCampaign, requireCampaignMiddleware } from "~/server/campaigns/guards.server";
import { jsonApi } from "~/server/http/api.server";
import { chargeDailyQuota } from "~/server/http/daily-quotas.server";
import { httpError, notFound } from "~/server/http/responses.server";
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
  return jsonApi(context, async ({ user, services }) => {
    await limitRequest(context, request, "ask");
    const access = requireCampaign(context, "useAssistant");
    const conversation = await getConversation(services.db, access, params.chatId);
    if (!conversation) notFound("conversation");
    const parsed = questionSchema.safeParse(Object.fromEntries(await request.formData()));
    if (!parsed.success) return httpError(400, parsed.error.issues[0]?.message ?? "Type a question.");
    await chargeDailyQuota(services, user.id, "questions");
    return askEventStream(ask(services.assistant, access, conversation, parsed.data.question));
  });
}
