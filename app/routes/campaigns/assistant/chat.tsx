import { type FormEvent, useEffect, useRef, useState } from "react";
import { data, Form, Link, redirect, useNavigation, useRevalidator } from "react-router";
import { AssistantAnswer } from "~/components/assistant-message";
import { DeleteDisclosure } from "~/components/delete-disclosure";
import { QuestionBox } from "~/components/question-box";
import { Button } from "~/components/ui/button";
import { inputClass } from "~/components/ui/field";
import {
  type AskEvent,
  type Citation,
  conversationShareSchema,
  conversationTitleSchema,
  type ProviderName,
  questionSchema,
} from "~/lib/assistant";
import type { LiveHandle } from "~/lib/campaign-live";
import {
  ask,
  deleteConversation,
  getConversation,
  listMessages,
  readableConversation,
  renameConversation,
  shareConversation,
} from "~/server/assistant/conversations.server";
import { mayAlso, requireCampaign } from "~/server/campaigns/guards.server";
import { QuotaExceeded } from "~/server/db/quota.server";
import { chargeDailyQuota, DailyQuotaExceeded } from "~/server/http/daily-quotas.server";
import { notFound, unknownIntent } from "~/server/http/responses.server";
import { getServices, limitRequest } from "~/server/request.server";
import { redirectWithToast } from "~/server/toast.server";
import type { Route } from "./+types/chat";

/** A conversation is private to its member: a change elsewhere must not reload it mid-answer. */
export const handle: LiveHandle = { live: "ignore" };

export const meta: Route.MetaFunction = ({ loaderData }) => [
  { title: `${loaderData?.conversation.title ?? "Conversation"} — Assistant — LoreSmith AI` },
];

async function requireConversation(context: Route.LoaderArgs["context"], chatId: string) {
  const access = requireCampaign(context, "useAssistant");
  const conversation = await getConversation(getServices(context).db, access, chatId);
  if (!conversation) notFound("conversation");
  return { access, campaign: access.campaign, conversation };
}

/** The member's own conversation, or (for a GM, read only) one a member shared with the GMs. */
export async function loader({ context, params }: Route.LoaderArgs) {
  const access = requireCampaign(context, "useAssistant");
  const { db } = getServices(context);
  const readable = await readableConversation(db, access, params.chatId);
  if (!readable) notFound("conversation");
  const { conversation, mine } = readable;
  const messages = await listMessages(db, conversation);
  return {
    campaignId: access.campaign.id,
    conversation: {
      id: conversation.id,
      title: conversation.title,
      sharedWithGms: conversation.sharedWithGms,
      // Whose it is, when a GM reads a member's shared conversation.
      sharedBy: mine ? null : conversation.username,
    },
    // Answers become entries or NPCs only for those who write material, from their own conversations.
    mayKeepAnswers: mine && mayAlso(context, "editMaterial"),
    messages: messages.map(({ id, role, content, citations, provider }) => ({
      id,
      role,
      content,
      citations,
      provider: (provider ?? "extractive") as ProviderName,
    })),
  };
}

export async function action({ request, context, params }: Route.ActionArgs) {
  const { access, campaign, conversation } = await requireConversation(context, params.chatId);
  const { db } = getServices(context);
  const form = Object.fromEntries(await request.formData());
  const here = `/campaigns/${campaign.id}/assistant/${conversation.id}`;
  switch (form.intent) {
    case "delete":
      await deleteConversation(db, conversation);
      return redirectWithToast(context, request, `/campaigns/${campaign.id}/assistant`, "Conversation deleted.");
    case "rename": {
      const parsed = conversationTitleSchema.safeParse(form);
      if (!parsed.success) return data({ error: parsed.error.issues[0]?.message ?? "" }, { status: 400 });
      await renameConversation(db, conversation, parsed.data.title);
      return redirectWithToast(context, request, here, "Conversation renamed.");
    }
    case "share": {
      const parsed = conversationShareSchema.safeParse(form);
      if (!parsed.success) return data({ error: "Choose whether to share the conversation." }, { status: 400 });
      const shared = parsed.data.shared === "1";
      await shareConversation(db, conversation, shared);
      return redirectWithToast(
        context,
        request,
        here,
        shared ? "Shared with the GMs: they can read this conversation." : "This conversation is yours alone again.",
      );
    }
    case "ask": {
      await limitRequest(context, request, "ask");
      // Asking without JavaScript: the whole answer is written, saved, then shown.
      const parsed = questionSchema.safeParse(form);
      if (!parsed.success) return data({ error: parsed.error.issues[0]?.message ?? "" }, { status: 400 });
      const services = getServices(context);
      try {
        await chargeDailyQuota(services, access.account.id, "questions");
        for await (const _event of ask(services.assistant, access, conversation, parsed.data.question)) {
          // Run to the end: the answer is saved by the last step.
        }
      } catch (error) {
        if (!(error instanceof QuotaExceeded || error instanceof DailyQuotaExceeded)) throw error;
        return data({ error: error.message }, { status: error.status, headers: error.headers });
      }
      return redirect(`${here}#latest`);
    }
    default:
      unknownIntent(form.intent);
  }
}

interface Streaming {
  question: string;
  content: string;
  citations: Citation[];
  provider: ProviderName;
}

export default function Conversation({ loaderData, actionData }: Route.ComponentProps) {
  const { campaignId, conversation, mayKeepAnswers, messages } = loaderData;
  const readOnly = conversation.sharedBy !== null;
  const navigation = useNavigation();
  const revalidator = useRevalidator();
  const [streaming, setStreaming] = useState<Streaming | null>(null);
  const [error, setError] = useState<string | null>(null);
  const formRef = useRef<HTMLFormElement>(null);
  const busy = streaming !== null || navigation.state === "submitting";
  const latest = useRef<HTMLLIElement>(null);
  const asking = useRef<HTMLLIElement>(null);
  // The latest exchange starts at its question: the conversation opens there (and follows each
  // new one), not at its first question thousands of pixels up. Without JavaScript, #latest does it.
  let latestIndex = messages.length - 1;
  while (latestIndex > 0 && messages[latestIndex]?.role !== "user") latestIndex--;
  const lastId = messages.at(-1)?.id;
  useEffect(() => {
    if (lastId) latest.current?.scrollIntoView({ block: "start" });
  }, [lastId]);
  const streamingQuestion = streaming?.question;
  useEffect(() => {
    if (streamingQuestion) asking.current?.scrollIntoView({ block: "start" });
  }, [streamingQuestion]);

  // With JavaScript: stream the answer from the API, then reload the saved conversation.
  async function onAsk(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const question = String(form.get("question") ?? "").trim();
    if (!question) return setError("Type a question.");
    setError(null);
    setStreaming({ question, content: "", citations: [], provider: "extractive" });
    try {
      const response = await fetch(`/api/campaigns/${campaignId}/chats/${conversation.id}/ask`, {
        method: "POST",
        body: form,
      });
      if (!response.ok || !response.body) {
        const body = (await response.json().catch(() => ({}))) as { error?: string };
        throw new Error(body.error ?? `The server answered ${response.status}.`);
      }
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        buffer += value ?? "";
        const lines = buffer.split("\n");
        buffer = lines.pop() ?? "";
        for (const line of lines.filter(Boolean)) {
          const message = JSON.parse(line) as AskEvent;
          if (message.type === "error") throw new Error(message.message);
          setStreaming((current) => {
            if (!current) return current;
            if (message.type === "sources")
              return { ...current, citations: message.citations, provider: message.provider };
            if (message.type === "token") return { ...current, content: current.content + message.text };
            return current;
          });
        }
        if (done) break;
      }
      formRef.current?.reset();
      revalidator.revalidate();
    } catch (failure) {
      setError(
        `${failure instanceof Error ? failure.message : "The answer failed."} Your question was kept below; try again.`,
      );
    } finally {
      setStreaming(null);
    }
  }

  return (
    <div className="max-w-3xl space-y-4">
      <p>
        <Link to={`/campaigns/${campaignId}/assistant`} className="text-ember-700 underline">
          ← All conversations
        </Link>
      </p>
      <h1 className="break-words font-serif text-2xl font-semibold">{conversation.title}</h1>
      {readOnly ? (
        <p className="rounded-lg border border-stone-300 bg-stone-50 p-3 text-stone-800">
          {conversation.sharedBy} shared this conversation with the GMs. You can read it; only {conversation.sharedBy}{" "}
          can ask in it, rename it or stop sharing it.
        </p>
      ) : null}

      <ol className="space-y-4" aria-label="Messages">
        {messages.map((message, i) => (
          <li
            key={message.id}
            id={i === latestIndex ? "latest" : undefined}
            ref={i === latestIndex ? latest : undefined}
            className="scroll-mt-4"
          >
            {message.role === "user" ? (
              <p className="ml-auto max-w-[85%] whitespace-pre-wrap break-words rounded-lg bg-ember-50 p-3">
                <span className="sr-only">{readOnly ? `${conversation.sharedBy} asked: ` : "You asked: "}</span>
                {message.content}
              </p>
            ) : (
              <AssistantAnswer
                id={message.id}
                content={message.content}
                citations={message.citations}
                provider={message.provider}
                campaignId={campaignId}
                keepable={mayKeepAnswers}
              />
            )}
          </li>
        ))}
        {streaming ? (
          <>
            <li ref={asking} className="scroll-mt-4">
              <p className="ml-auto max-w-[85%] whitespace-pre-wrap break-words rounded-lg bg-ember-50 p-3">
                {streaming.question}
              </p>
            </li>
            <li aria-live="polite" aria-busy="true">
              <AssistantAnswer
                id="streaming"
                content={streaming.content || "Looking through your material…"}
                citations={streaming.citations}
                provider={streaming.provider}
                campaignId={campaignId}
                keepable={false}
                streaming
              />
            </li>
          </>
        ) : null}
      </ol>

      {readOnly ? null : (
        <>
          <QuestionBox
            label="Ask about this campaign"
            formRef={formRef}
            onSubmit={onAsk}
            pending={busy}
            error={error ?? actionData?.error}
            sticky
          />

          <ShareWithGms shared={conversation.sharedWithGms} pending={navigation.formData?.get("intent") === "share"} />
          <details className="rounded-lg border border-stone-300 bg-white p-4">
            <summary className="flex min-h-11 cursor-pointer items-center font-medium">
              Rename this conversation…
            </summary>
            <Form method="post" className="mt-3 flex flex-col gap-2 sm:flex-row sm:items-end">
              <input type="hidden" name="intent" value="rename" />
              <div className="flex-1">
                <label htmlFor="title" className="block font-medium text-sm">
                  Name
                </label>
                <input
                  id="title"
                  name="title"
                  required
                  maxLength={120}
                  defaultValue={conversation.title}
                  className={inputClass}
                />
              </div>
              <Button type="submit" variant="secondary">
                Rename
              </Button>
            </Form>
          </details>
          <DeleteDisclosure
            what="this conversation"
            detail="Its questions and answers are removed. Entries you saved from it stay."
            pending={navigation.formData?.get("intent") === "delete"}
          />
        </>
      )}
    </div>
  );
}

/** The owner of a conversation shares it with the campaign's GMs (read only), or stops. */
function ShareWithGms({ shared, pending }: { shared: boolean; pending: boolean }) {
  return (
    <Form method="post" className="space-y-2 rounded-lg border border-stone-300 bg-white p-4">
      <input type="hidden" name="intent" value="share" />
      <input type="hidden" name="shared" value={shared ? "0" : "1"} />
      <p className="font-medium">{shared ? "Shared with the GMs" : "Only you can read this conversation"}</p>
      <p className="text-sm text-stone-700">
        {shared
          ? "The campaign's GMs can read it, not write in it. Stop sharing and it is yours alone again."
          : "Share it and the campaign's GMs can read it (not write in it) — say, to show them what you asked."}
      </p>
      <Button type="submit" variant="secondary" pending={pending}>
        {shared ? "Stop sharing" : "Share with the GMs"}
      </Button>
    </Form>
  );
}
