import { z } from "zod";
import type { SearchResult } from "~/server/search/search.server";

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

/** Where a result comes from, in words: "Players Handbook.pdf, page 12" or "Lore · The Sunken Crown". */
export function sourceLabel(result: Pick<SearchResult, "source">): string {
  const source = result.source;
  if (source.kind === "chunk") {
    const where = [source.page ? `page ${source.page}` : null, source.headingPath.join(" › ") || null]
      .filter(Boolean)
      .join(", ");
    return where ? `${source.fileName}, ${where}` : source.fileName;
  }
  const what = source.kind === "character" ? (source.label === "pc" ? "Player character" : "NPC") : source.label;
  return `${what[0]?.toUpperCase()}${what.slice(1)} in ${source.campaignName}${source.gmOnly ? " (GM only)" : ""}`;
}

export function openLabel(result: Pick<SearchResult, "source">): string {
  const source = result.source;
  if (source.kind !== "chunk") return source.kind === "character" ? "Open character" : "Open entry";
  return source.contentType === "application/pdf" && source.page
    ? `Open at page ${source.page}`
    : "Open at this passage";
}
