import { z } from "zod";
import { conversationTitleSchema, questionSchema } from "~/lib/assistant";
import { searchParamsSchema } from "~/lib/search";
import { askEventStream } from "../../assistant/ask-stream.server";
import {
  ask,
  createConversation,
  getConversation,
  listConversations,
  listMessages,
} from "../../assistant/conversations.server";
import { chargeDailyQuota } from "../../http/daily-quotas.server";
import { notFound } from "../../http/responses.server";
import { resolveScope, scopedSearchOptions, search } from "../../search/search.server";
import { campaignFor } from "./campaign-operations.server";
import { apiErrorSchema } from "./errors.server";
import { campaignIdParam, operation } from "./operation.server";
import { conversationJson, messageJson, searchResultJson } from "./resources.server";

/** Search over the caller's material, and the assistant in a campaign's conversations. */

const campaignParams = z.object({ campaignId: campaignIdParam });
const conversationParams = campaignParams.extend({ conversationId: z.uuid("That is not a conversation id.") });
const hidden = { 404: { description: "No such campaign or conversation of yours.", schema: apiErrorSchema } };

export const assistantOperations = [
  operation({
    id: "search",
    method: "GET",
    path: "/search",
    tag: "Search",
    summary: "Search your files, entries and characters",
    description:
      "The same hybrid search the app's search page runs. Narrow it with campaignId (a campaign you are in: what your role may see), fileKey, type and tag; prefix=1 matches the last word as a prefix (search-as-you-type). A token limited to a campaign searches that campaign.",
    scope: "read",
    limit: "search",
    query: searchParamsSchema.omit({ explain: true }),
    responses: {
      200: {
        description: "Results, best first.",
        schema: z.object({
          query: z.string(),
          page: z.number().int(),
          more: z.boolean().describe("Whether page + 1 has results."),
          data: z.array(searchResultJson),
        }),
      },
      ...hidden,
    },
    async handle({ caller, services, query }) {
      const limited = caller.token.campaignId;
      if (limited && query.campaignId && query.campaignId !== limited) notFound("campaign");
      const params = { ...query, campaignId: limited ?? query.campaignId, explain: false };
      const scope = await resolveScope(services.db, caller.user, params);
      if (!scope) notFound("campaign or file");
      const { results, more } = await search(services.search, scope.owner, scopedSearchOptions(params, scope));
      return {
        query: params.q,
        page: params.page,
        more,
        data: results.map((result) => ({
          rank: result.rank,
          kind: result.kind,
          id: result.id,
          title: result.title,
          text: result.text,
          snippet: result.snippet.map((part) => part.text).join(""),
          score: result.score,
          matchedBy: result.matchedBy,
          source: result.source,
          href: result.href,
        })),
      };
    },
  }),
  operation({
    id: "listConversations",
    method: "GET",
    path: "/campaigns/{campaignId}/conversations",
    tag: "Assistant",
    summary: "Your conversations with the assistant in a campaign",
    scope: "assistant",
    params: campaignParams,
    responses: {
      200: { description: "Newest first.", schema: z.object({ data: z.array(conversationJson) }) },
      ...hidden,
    },
    async handle(context) {
      const access = await campaignFor(context, context.params.campaignId, "useAssistant");
      const rows = await listConversations(context.services.db, access);
      return {
        data: rows.map((c) => ({
          id: c.id,
          campaignId: c.campaignId,
          title: c.title,
          createdAt: c.createdAt,
          updatedAt: c.updatedAt,
        })),
      };
    },
  }),
  operation({
    id: "createConversation",
    method: "POST",
    path: "/campaigns/{campaignId}/conversations",
    tag: "Assistant",
    summary: "Start a conversation",
    scope: "assistant",
    limit: "write",
    params: campaignParams,
    body: conversationTitleSchema.partial(),
    responses: { 201: { description: "The conversation.", schema: conversationJson }, ...hidden },
    async handle(context) {
      const access = await campaignFor(context, context.params.campaignId, "useAssistant");
      const { services, body } = context;
      const c = await createConversation(services.db, access, body.title, services.limits.rows.conversations);
      return Response.json(
        { id: c.id, campaignId: c.campaignId, title: c.title, createdAt: c.createdAt, updatedAt: c.updatedAt },
        { status: 201 },
      );
    },
  }),
  operation({
    id: "listMessages",
    method: "GET",
    path: "/campaigns/{campaignId}/conversations/{conversationId}/messages",
    tag: "Assistant",
    summary: "A conversation's questions and answers, oldest first",
    scope: "assistant",
    params: conversationParams,
    responses: { 200: { description: "Every message.", schema: z.object({ data: z.array(messageJson) }) }, ...hidden },
    async handle(context) {
      const access = await campaignFor(context, context.params.campaignId, "useAssistant");
      const conversation = await getConversation(context.services.db, access, context.params.conversationId);
      if (!conversation) notFound("conversation");
      const messages = await listMessages(context.services.db, conversation);
      return {
        data: messages.map((m) => ({
          id: m.id,
          role: m.role,
          content: m.content,
          citations: m.citations.map(({ n, kind, title, label, href }) => ({ n, kind, title, label, href })),
          createdAt: m.createdAt,
        })),
      };
    },
  }),
  operation({
    id: "ask",
    method: "POST",
    path: "/campaigns/{campaignId}/conversations/{conversationId}/messages",
    tag: "Assistant",
    summary: "Ask a question; the answer streams as it is written",
    description:
      "Answers `application/x-ndjson`: one JSON event a line — `sources` (the citations), `token`s (the answer's text as it is written), then `done` (the saved message id), or `error`. Counts against your daily questions.",
    scope: "assistant",
    limit: "ask",
    params: conversationParams,
    body: questionSchema,
    responses: {
      200: { description: "The answer's events, one JSON object a line.", contentType: "application/x-ndjson" },
      ...hidden,
    },
    async handle(context) {
      const { services, params, body, caller } = context;
      const access = await campaignFor(context, params.campaignId, "useAssistant");
      const conversation = await getConversation(services.db, access, params.conversationId);
      if (!conversation) notFound("conversation");
      await chargeDailyQuota(services, caller.user.id, "questions");
      return askEventStream(ask(services.assistant, access, conversation, body.question));
    },
  }),
];
