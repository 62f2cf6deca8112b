import { z } from "zod";
import type { SearchResult } from "./search";

/**
 * The assistant as both sides see it: the question form's schema, which mode wrote an
 * answer, its citations, and the events an answer streams as. Browser-safe.
 */

export const MAX_QUESTION_LENGTH = 2_000;

export const questionSchema = z.object({
  question: z
    .string({ error: "Type a question." })
    .trim()
    .min(1, "Type a question.")
    .max(MAX_QUESTION_LENGTH, `Keep the question under ${MAX_QUESTION_LENGTH.toLocaleString("en")} characters.`),
});

export const conversationTitleSchema = z.object({
  title: z.string({ error: "Give the conversation a name." }).trim().min(1, "Give the conversation a name.").max(120),
});

/** Sharing one's conversation with the campaign's GMs ("1") or taking it back ("0"). */
export const conversationShareSchema = z.object({ shared: z.enum(["0", "1"]) });

/** Which mode wrote an answer: a model, or quoting when generation is off. */
export type ProviderName = "workers-ai" | "openai-compatible" | "extractive";

/** Said under every answer: the GM always knows which mode answered. */
export const providerLabels: Record<ProviderName, string> = {
  "workers-ai": "Written by Workers AI from your sources",
  "openai-compatible": "Written by your configured model from your sources",
  extractive: "Quoted from your material (no AI model connected)",
};

/** A numbered source of an answer: [n] in the text links here. */
export interface Citation {
  n: number;
  kind: SearchResult["kind"];
  title: string;
  label: string;
  href: string;
  /** The quoted text the answer was built from (shown in the sources panel). */
  excerpt: string;
}

/**
 * An answer as it is written: `/api/…/ask` streams these one JSON object a line
 * (`sources`, then `token`s, then `done`, or `error` when it fails).
 */
export type AskEvent =
  | { type: "sources"; citations: Citation[]; provider: ProviderName }
  | { type: "token"; text: string }
  | { type: "done"; messageId: string; provider: ProviderName; content: string }
  | { type: "error"; message: string };
