import { z } from "zod";

/**
 * The search request, shared by the search page (a plain GET form), `/api/search` and
 * the assistant. Browser-safe.
 */

export const searchTypes = ["pdf", "markdown", "text", "json", "docx", "context", "character"] as const;
export type SearchType = (typeof searchTypes)[number];

export const searchTypeLabels: Record<SearchType, string> = {
  pdf: "PDFs",
  markdown: "Markdown notes",
  text: "Text files",
  json: "Character sheets (JSON)",
  docx: "Word documents",
  context: "Lore and context entries",
  character: "Characters",
};

const optionalText = (max: number) =>
  z
    .string()
    .trim()
    .max(max)
    .optional()
    .transform((value) => value || undefined);

export const searchParamsSchema = z.object({
  q: z.string().trim().max(500, "Keep the search under 500 characters.").default(""),
  k: z.coerce.number().int().min(1).max(50).default(10),
  campaignId: optionalText(64),
  fileKey: optionalText(64),
  type: z
    .enum(searchTypes)
    .optional()
    .or(z.literal("").transform(() => undefined)),
  tag: optionalText(40),
});
export type SearchParams = z.infer<typeof searchParamsSchema>;

/** URLSearchParams → a validated request (unknown keys ignored). */
export function parseSearchParams(params: URLSearchParams) {
  return searchParamsSchema.safeParse(Object.fromEntries(params));
}
