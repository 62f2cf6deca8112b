import type { ReactNode } from "react";
import { data, Link, redirect, useNavigation } from "react-router";
import { QuestionBox, SuggestedQuestions } from "~/components/question-box";
import { questionSchema } from "~/lib/assistant";
import { formatRelative } from "~/lib/format";
import {
  ask,
  createConversation,
  listConversations,
  sharedConversations,
} from "~/server/assistant/conversations.server";
import { mayAlso, requireCampaign } from "~/server/campaigns/guards.server";
import { QuotaExceeded } from "~/server/db/quota.server";
import { chargeDailyQuota, DailyQuotaExceeded } from "~/server/http/daily-quotas.server";
import { getServices, limitRequest } from "~/server/request.server";
import { sampleQuestions } from "~/server/sample/content.server";
import type { Route } from "./+types/index";

export const meta: Route.MetaFunction = () => [{ title: "Assistant — LoreSmith AI" }];

export async function loader({ context }: Route.LoaderArgs) {
  const access = requireCampaign(context, "useAssistant");
  const { campaign } = access;
  const { db } = getServices(context);
  const seesSecrets = mayAlso(context, "seeSecrets");
  const [conversations, shared] = await Promise.all([
    listConversations(db, access),
    // Only the GMs read conversations their members shared with them.
    seesSecrets ? sharedConversations(db, access) : [],
  ]);
  return {
    campaign: { id: campaign.id, name: campaign.name },
    seesSecrets,
    conversations: conversations.map(({ id, title, updatedAt, sharedWithGms }) => ({
      id,
      title,
      updatedAt,
      sharedWithGms,
    })),
    shared,
    // The sample campaign suggests questions its material answers well.
    suggestions: campaign.sample ? sampleQuestions : [],
    now: Date.now(),
  };
}

/**
 * Typing a question starts a conversation: it is created, the question answered (the whole
 * answer, as without JavaScript), and the person lands on it.
 */
export async function action({ request, context }: Route.ActionArgs) {
  const access = requireCampaign(context, "useAssistant");
  const services = getServices(context);
  const parsed = questionSchema.safeParse(Object.fromEntries(await request.formData()));
  if (!parsed.success) return data({ error: parsed.error.issues[0]?.message ?? "" }, { status: 400 });
  await limitRequest(context, request, "ask");
  try {
    await chargeDailyQuota(services, access.account.id, "questions");
    const conversation = await createConversation(services.db, access, undefined, services.limits.rows.conversations);
    for await (const _event of ask(services.assistant, access, conversation, parsed.data.question)) {
      // Run to the end: the answer is saved by the last step.
    }
    return redirect(`/campaigns/${access.campaign.id}/assistant/${conversation.id}#latest`);
  } catch (error) {
    if (!(error instanceof QuotaExceeded || error instanceof DailyQuotaExceeded)) throw error;
    return data({ error: error.message }, { status: error.status, headers: error.headers });
  }
}

export default function AssistantIndex({ loaderData, actionData }: Route.ComponentProps) {
  const { campaign, seesSecrets, conversations, shared, suggestions, now } = loaderData;
  const navigation = useNavigation();
  const pending = navigation.state !== "idle" && navigation.formMethod === "POST";
  return (
    <div className="max-w-3xl space-y-6">
      <header className="space-y-2">
        <h1 className="font-serif text-3xl font-semibold">Assistant</h1>
        <p className="text-stone-700">
          Ask about {campaign.name}: answers come from{" "}
          {seesSecrets
            ? "the files attached to it, its lore and its characters (GM-only entries included)"
            : "what you have been shown of it: shared files, lore and characters"}
          , each claim cited.
        </p>
        <QuestionBox
          label="Ask a question to start a conversation"
          pending={pending}
          error={actionData?.error}
          placeholder="e.g. Who knows where the crown is?"
        />
        {suggestions.length ? (
          <div className="space-y-2">
            <p className="font-medium">Or try one of these:</p>
            <SuggestedQuestions questions={suggestions} />
          </div>
        ) : null}
      </header>
      {conversations.length === 0 ? (
        <p className="rounded-lg border border-stone-300 border-dashed bg-white p-6 text-center">
          No conversations yet: your questions and their answers are kept here.
        </p>
      ) : (
        <ConversationList
          label={{ "aria-label": "Conversations" }}
          items={conversations.map((conversation) => ({
            ...conversation,
            about: conversation.sharedWithGms ? (
              <span className="font-medium text-violet-800">Shared with the GMs · </span>
            ) : null,
          }))}
          now={now}
        />
      )}
      {seesSecrets ? (
        <section aria-labelledby="shared-conversations" className="space-y-3">
          <h2 id="shared-conversations" className="font-serif text-xl font-semibold">
            Shared with the GMs
          </h2>
          {shared.length ? (
            <ConversationList
              label={{ "aria-labelledby": "shared-conversations" }}
              items={shared.map((conversation) => ({ ...conversation, about: `${conversation.username} · ` }))}
              now={now}
            />
          ) : (
            <p className="text-stone-700">No member has shared a conversation with the GMs yet.</p>
          )}
        </section>
      ) : null}
    </div>
  );
}

/** Conversations as links, each with its title, a note about it, and when it last changed. */
function ConversationList({
  label,
  items,
  now,
}: {
  label: { "aria-label": string } | { "aria-labelledby": string };
  items: { id: string; title: string; updatedAt: number; about: ReactNode }[];
  now: number;
}) {
  return (
    <ul className="divide-y divide-stone-200 rounded-lg border border-stone-300 bg-white" {...label}>
      {items.map((conversation) => (
        <li key={conversation.id}>
          <Link
            to={`${conversation.id}#latest`}
            className="flex min-h-11 flex-wrap items-center justify-between gap-2 px-4 py-3 hover:bg-stone-50"
          >
            <span className="break-words font-medium text-ember-800">{conversation.title}</span>
            <span className="text-sm text-stone-600">
              {conversation.about}
              {formatRelative(conversation.updatedAt, now)}
            </span>
          </Link>
        </li>
      ))}
    </ul>
  );
}
