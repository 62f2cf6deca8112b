import { and, asc, desc, eq, ne, sql } from "drizzle-orm";
import type { AskEvent, Citation, ProviderName } from "~/lib/assistant";
import {
  type CampaignAccess,
  type CampaignReader,
  campaignsWhere,
  visibleConversations,
} from "../campaigns/policy.server";
import type { Db } from "../db/db.server";
import { DEFAULT_ROW_LIMITS, insertWithinQuota, QuotaExceeded } from "../db/quota.server";
import { campaigns, chatMessages, chatSessions } from "../db/schema";
import type { Account } from "../files/library.server";
import { type SearchDeps, search } from "../search/search.server";
import { type ChatModel, type ModelDeadlines, ModelTimeout, withDeadlines } from "./chat-model.server";
import {
  citationsFor,
  EXTRACTIVE_INTRO,
  extractiveAnswer,
  groundedMessages,
  nothingFoundAnswer,
  relevantSources,
} from "./grounding.server";

/**
 * Per-campaign conversations with the assistant, kept in D1, and the asking itself:
 * retrieve from the campaign's material, keep what is relevant, answer with citations
 * (streamed), save both turns. A conversation is its member's own (ADR 0026): every
 * function here takes the caller's campaign access and reads only their conversations,
 * except that a GM reads one a member shared with the GMs.
 */

export type Conversation = typeof chatSessions.$inferSelect;
export type StoredMessage = Omit<typeof chatMessages.$inferSelect, "citations"> & { citations: Citation[] };

export const DEFAULT_TITLE = "New conversation";

/** Who a conversation belongs to: the member asking, in one campaign. */
type ChatScope = Pick<CampaignAccess, "campaign" | "account">;

const ownConversations = ({ campaign, account }: ChatScope) =>
  and(eq(chatSessions.campaignId, campaign.id), eq(chatSessions.username, account.username));

export async function listConversations(db: Db, scope: ChatScope) {
  return db.select().from(chatSessions).where(ownConversations(scope)).orderBy(desc(chatSessions.updatedAt));
}

/**
 * The assistant's start page: the campaigns the user may ask about and their latest
 * conversations in them (none of a campaign they have left).
 */
export async function assistantHome(db: Db, account: Account) {
  const [campaignRows, recent] = await Promise.all([
    db
      .select({ id: campaigns.id, name: campaigns.name })
      .from(campaigns)
      .where(campaignsWhere(account, "useAssistant"))
      .orderBy(desc(campaigns.updatedAt)),
    db
      .select({
        id: chatSessions.id,
        title: chatSessions.title,
        updatedAt: chatSessions.updatedAt,
        campaignId: chatSessions.campaignId,
        campaignName: campaigns.name,
      })
      .from(chatSessions)
      .innerJoin(campaigns, eq(campaigns.id, chatSessions.campaignId))
      .where(and(eq(chatSessions.username, account.username), campaignsWhere(account, "useAssistant")))
      .orderBy(desc(chatSessions.updatedAt))
      .limit(10),
  ]);
  return { campaigns: campaignRows, recent };
}

export async function createConversation(
  db: Db,
  { campaign, account }: ChatScope,
  title = DEFAULT_TITLE,
  limit = DEFAULT_ROW_LIMITS.conversations,
): Promise<Conversation> {
  const held = sql`(SELECT count(*) FROM chat_sessions WHERE username = ${account.username})`;
  const values = { id: crypto.randomUUID(), campaignId: campaign.id, username: account.username, title };
  const row = await insertWithinQuota(db, chatSessions, values, held, limit);
  if (!row) {
    throw new QuotaExceeded(
      `You have ${limit.toLocaleString("en")} conversations, the most one account can keep. Delete old ones to start a new one.`,
    );
  }
  return row;
}

/**
 * A conversation the reader may read: their own, or one another member shared with the
 * GMs when the reader is a GM (policy: visibleConversations). Reading never lets them write in it.
 */
export async function readableConversation(db: Db, access: CampaignReader, chatId: string) {
  const [conversation] = await db
    .select()
    .from(chatSessions)
    .where(
      and(eq(chatSessions.id, chatId), eq(chatSessions.campaignId, access.campaign.id), visibleConversations(access)),
    );
  return conversation ? { conversation, mine: conversation.username === access.account.username } : undefined;
}

/** For the GMs: the conversations other members shared with them in this campaign, newest first. */
export async function sharedConversations(db: Db, access: CampaignReader) {
  return db
    .select({
      id: chatSessions.id,
      title: chatSessions.title,
      updatedAt: chatSessions.updatedAt,
      username: chatSessions.username,
    })
    .from(chatSessions)
    .where(
      and(
        eq(chatSessions.campaignId, access.campaign.id),
        visibleConversations(access),
        ne(chatSessions.username, access.account.username),
      ),
    )
    .orderBy(desc(chatSessions.updatedAt))
    .limit(100);
}

/** Shares one's own conversation with the campaign's GMs (read only), or stops sharing it. */
export async function shareConversation(db: Db, conversation: Conversation, shared: boolean) {
  await db
    .update(chatSessions)
    .set({ sharedWithGms: shared, version: sql`${chatSessions.version} + 1` })
    .where(eq(chatSessions.id, conversation.id));
}

/** The conversation, only if it is the caller's own in this campaign. */
export async function getConversation(db: Db, scope: ChatScope, chatId: string) {
  const [conversation] = await db
    .select()
    .from(chatSessions)
    .where(and(eq(chatSessions.id, chatId), ownConversations(scope)));
  return conversation;
}

export async function listMessages(db: Db, conversation: Conversation): Promise<StoredMessage[]> {
  const rows = await db
    .select()
    .from(chatMessages)
    .where(eq(chatMessages.sessionId, conversation.id))
    .orderBy(asc(chatMessages.createdAt), asc(chatMessages.role));
  return rows.map((row) => ({ ...row, citations: row.citations as Citation[] }));
}

export async function renameConversation(db: Db, conversation: Conversation, title: string) {
  await db
    .update(chatSessions)
    .set({ title, version: sql`${chatSessions.version} + 1`, updatedAt: Date.now() })
    .where(eq(chatSessions.id, conversation.id));
}

export async function deleteConversation(db: Db, conversation: Conversation) {
  await db.delete(chatSessions).where(eq(chatSessions.id, conversation.id));
}

/** An answer in one of the caller's conversations with the question it answered (for "save as entry", "create NPC"). */
export async function getAnswer(db: Db, scope: ChatScope, messageId: string) {
  const [row] = await db
    .select({ message: chatMessages, sessionId: chatSessions.id })
    .from(chatMessages)
    .innerJoin(chatSessions, eq(chatSessions.id, chatMessages.sessionId))
    .where(and(eq(chatMessages.id, messageId), eq(chatMessages.role, "assistant"), ownConversations(scope)));
  if (!row) return undefined;
  const [question] = await db
    .select({ content: chatMessages.content })
    .from(chatMessages)
    .where(
      and(
        eq(chatMessages.sessionId, row.sessionId),
        eq(chatMessages.role, "user"),
        sql`${chatMessages.createdAt} <= ${row.message.createdAt}`,
      ),
    )
    .orderBy(desc(chatMessages.createdAt))
    .limit(1);
  return {
    question: question?.content ?? "",
    answer: row.message.content,
    citations: row.message.citations as Citation[],
  };
}

/** The answer as Markdown with its sources listed as links: what "save as entry" stores. */
export function answerAsMarkdown(answer: { answer: string; citations: Citation[] }): string {
  const cited = answer.citations.filter((c) => answer.answer.includes(`[${c.n}]`));
  const sources = cited.map((c) => `${c.n}. [${c.label.replaceAll("]", ")")}](${c.href})`).join("\n");
  // Saved as material, the answer keeps what it says, not how it was made: no note that
  // generation is off or that a model failed.
  const said = answer.answer
    .split("\n")
    .filter((line) => line !== EXTRACTIVE_INTRO && !MODEL_FALLBACK_NOTE.test(line))
    .join("\n")
    .trim();
  // Each [n] links to its source, as on the assistant page: no marker is left dangling.
  const href = new Map(cited.map((c) => [c.n, c.href]));
  const text = defuseLinks(said).replace(/\[(\d+)\](?!\()/g, (marker, n: string) => {
    const to = href.get(Number(n));
    return to && IN_APP.test(to) ? `[\\[${n}\\]](${to})` : marker;
  });
  return sources ? `${text}\n\n**Sources**\n\n${sources}` : text;
}

/** The note an answer carries when its model failed and it was quoted instead. */
const modelFallbackNote = (why: "took too long" | "stopped with an error") =>
  `(The model ${why}, so this answer is quoted instead.)`;
const MODEL_FALLBACK_NOTE =
  /^\(The model (?:took too long|stopped with an error), so this answer is quoted instead\.\)$/;

/** A link into this app: a path on this site, not `//host` or `/\\host` (which leave it). */
const IN_APP = /^\/(?![/\\])/;

/**
 * A model's answer (or a quoted passage) may carry links and images it was led to write.
 * Saved as an entry they would become live, so only links into the app stay links; any
 * other target, and every image, is shown as text the GM can read and copy.
 */
export function defuseLinks(markdown: string): string {
  const asText = (url: string) => `\`${url.replaceAll("`", "")}\``;
  return (
    markdown
      // [text](url "title") and ![alt](url): a URL may hold one level of parentheses.
      .replace(
        /(!?)\[([^\]\n]{0,500})\]\(\s*<?((?:[^()\s<>]|\([^()\s<>]*\)){0,2000})>?(?:\s+"[^"\n]{0,200}")?\s*\)/g,
        (whole, image: string, text: string, url: string) =>
          !image && IN_APP.test(url) ? whole : `${text} (${asText(url)})`,
      )
      // Reference definitions: [ref]: url
      .replace(
        /^( {0,3}\[[^\]\n]{1,200}\]:)[ \t]*<?(\S{1,2000}?)>?(?=[ \t]|$)/gm,
        (whole, label: string, url: string) => (IN_APP.test(url) ? whole : `${label.replace(/:$/, "")} ${asText(url)}`),
      )
      // <scheme:…> autolinks, and bare URLs that GFM would link.
      .replace(/<([a-z][a-z0-9+.-]{1,20}:[^<>\s]{1,2000})>/gi, (_, url: string) => asText(url))
      .replace(
        /(^|[^`\w/])((?:https?:\/\/|www\.)[^\s<>`]{1,2000})/gi,
        (_, before: string, url: string) => `${before}${asText(url)}`,
      )
  );
}

/**
 * What "save as context entry" and "create NPC from this" prefill their forms with: the
 * question as the title, the answer with its sources. Undefined for anything not an
 * answer in this campaign.
 */
export async function answerDraft(db: Db, scope: ChatScope, messageId: string | null) {
  if (!messageId) return undefined;
  const answer = await getAnswer(db, scope, messageId);
  if (!answer) return undefined;
  const title = answer.question.replace(/\s+/g, " ").trim().slice(0, 200);
  // An NPC drafted from an answer is most likely whom its first source is about.
  const name = answer.citations.find((c) => answer.answer.includes(`[${c.n}]`))?.title.slice(0, 200) ?? "";
  return { title, name, markdown: answerAsMarkdown(answer).slice(0, 50_000) };
}

export interface AskDeps {
  db: Db;
  search: SearchDeps;
  model: ChatModel | null;
  /** Messages one account may keep (a question and its answer are two). */
  messageLimit: number;
  /** How long a model may take (MODEL_DEADLINES unless a test says otherwise). */
  deadlines?: ModelDeadlines;
}

/**
 * Asks in a conversation: saves the question, retrieves from the campaign what the asker
 * may see (its files, lore, characters; GM-only material for GMs only), streams the
 * answer and saves it. Nothing relevant
 * → says so without calling a model. A model that fails mid-way is replaced by the
 * extractive answer, with a note.
 */
export async function* ask(
  deps: AskDeps,
  access: Pick<CampaignAccess, "campaign" | "role" | "account" | "owner">,
  conversation: Conversation,
  question: string,
): AsyncGenerator<Exclude<AskEvent, { type: "error" }>> {
  const { db } = deps;
  const { campaign, account, owner } = access;
  const now = Date.now();
  const history = (await listMessages(db, conversation)).map((m) => ({ role: m.role, content: m.content }));
  const held = sql`(SELECT count(*) FROM chat_messages m JOIN chat_sessions s ON s.id = m.session_id
    WHERE s.username = ${account.username})`;
  const values = { id: crypto.randomUUID(), sessionId: conversation.id, role: "user" as const, content: question };
  // Room for the question and its answer, or nothing is asked.
  if (
    !(await insertWithinQuota(
      db,
      chatMessages,
      { ...values, createdAt: now, updatedAt: now },
      held,
      deps.messageLimit - 1,
    ))
  ) {
    throw new QuotaExceeded(
      `Your conversations hold ${deps.messageLimit.toLocaleString("en")} messages, the most one account can keep. Delete old conversations to ask more.`,
    );
  }
  // The campaign's material is its owner's: their passages are in the owner's tracker.
  // …and only what the asker may see of it: a player's sources, and so the prompt, hold no secret.
  const { results, synonyms } = await search(deps.search, owner, {
    query: question,
    k: 12,
    campaign: access,
    foldSubsections: false,
  });
  // The passages that answer, in search's order: [n] is the n-th, for a model and for quotes alike.
  const sources = relevantSources(question, results, synonyms);
  const citations = citationsFor(sources, question, synonyms);
  let provider: ProviderName = citations.length && deps.model ? deps.model.provider : "extractive";
  yield { type: "sources", citations, provider };

  let content = "";
  const emit = function* (text: string) {
    // Word by word, so the extractive answer arrives like a written one.
    for (const piece of text.match(/\S+\s*|\s+/g) ?? []) {
      content += piece;
      yield { type: "token" as const, text: piece };
    }
  };
  if (citations.length === 0) {
    yield* emit(nothingFoundAnswer(`the material of “${campaign.name}”`));
  } else if (deps.model) {
    try {
      for await (const token of withDeadlines(
        deps.model,
        groundedMessages(question, citations, history),
        deps.deadlines,
      )) {
        content += token;
        yield { type: "token", text: token };
      }
    } catch (error) {
      console.error("chat model failed:", error);
      provider = "extractive";
      const why = error instanceof ModelTimeout ? "took too long" : "stopped with an error";
      yield* emit(`${content ? "\n\n" : ""}${modelFallbackNote(why)}\n\n`);
      yield* emit(extractiveAnswer(question, sources, synonyms));
    }
  } else {
    yield* emit(extractiveAnswer(question, sources, synonyms));
  }

  const answeredAt = Date.now();
  const messageId = crypto.randomUUID();
  await db.batch([
    db.insert(chatMessages).values({
      id: messageId,
      sessionId: conversation.id,
      role: "assistant",
      content,
      citations,
      provider,
      createdAt: Math.max(answeredAt, now + 1),
      updatedAt: answeredAt,
    }),
    db
      .update(chatSessions)
      .set({
        updatedAt: answeredAt,
        title: conversation.title === DEFAULT_TITLE ? titleFrom(question) : conversation.title,
      })
      .where(eq(chatSessions.id, conversation.id)),
  ]);
  yield { type: "done", messageId, provider, content };
}

function titleFrom(question: string): string {
  const flat = question.replace(/\s+/g, " ").trim();
  return flat.length > 60 ? `${flat.slice(0, 59).trimEnd()}…` : flat;
}
