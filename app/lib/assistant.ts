import { z } from "zod";

/** Browser-safe pieces of the assistant: the question form's schema and provider wording. */

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

export type ProviderName = "workers-ai" | "openai-compatible" | "extractive";

/** Said under every answer: the GM always knows which mode answered. */
export const providerLabels: Record<ProviderName, string> = {
  "workers-ai": "Written by Workers AI from your sources",
  "openai-compatible": "Written by your configured model from your sources",
  extractive: "Quoted from your material — generation is off",
};
