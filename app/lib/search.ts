import { z } from "zod";
import { type CharacterType, type ContextType, characterTypeLabels, contextTypeLabels } from "./domain";
import { fileKinds, kindOfContentType, type SearchableKind, searchableKinds } from "./file-kinds";

/**
 * The search request, shared by the search page (a plain GET form), `/api/search` and
 * the assistant. Browser-safe.
 */

/** The "kind of material" filter: each searchable file kind (file-kinds.ts), entries and characters. */
export type SearchType = SearchableKind | "context" | "character";
export const searchTypes: SearchType[] = [...searchableKinds, "context", "character"];

export const searchTypeLabels = {
  ...Object.fromEntries(searchableKinds.map((kind) => [kind, fileKinds[kind].searchLabel])),
  context: "Lore and context entries",
  character: "Characters",
} as Record<SearchType, string>;

export function isFileKindFilter(type: SearchType): type is SearchableKind {
  return type !== "context" && type !== "character";
}

/** The last page of results a search serves. */
export const MAX_SEARCH_PAGE = 20;

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
  /** 1-based: results past the first page. */
  page: z.coerce.number().int().min(1).max(MAX_SEARCH_PAGE).default(1),
  campaignId: optionalText(64),
  fileKey: optionalText(64),
  type: z
    .enum(searchTypes as [SearchType, ...SearchType[]])
    .optional()
    .or(z.literal("").transform(() => undefined)),
  tag: optionalText(40),
  /** "1": the last word is still being typed and matches as a prefix (the search page always does). */
  prefix: z
    .literal("1")
    .optional()
    .or(z.literal("").transform(() => undefined))
    .transform((value) => value === "1"),
  /** "1": also answer which FTS5 expressions ran over the passages (benchmarks read the work per query). */
  explain: z
    .literal("1")
    .optional()
    .transform((value) => value === "1"),
});
export type SearchParams = z.infer<typeof searchParamsSchema>;

/** A run of a snippet: matched words are marked (as elements, never as HTML). */
export interface SnippetPart {
  text: string;
  match: boolean;
}

/** A passage of a library file: where it is, to the page or heading. */
export interface ChunkSource {
  kind: "chunk";
  fileKey: string;
  fileName: string;
  contentType: string;
  page: number | null;
  headingPath: string[];
  chunkIndex: number;
}

/** A context entry or a character of one of the user's campaigns. */
export interface EntrySource {
  kind: "context" | "character";
  campaignId: string;
  campaignName: string;
  entryId: number;
  /** Context type (lore, location, …) or PC/NPC. */
  label: string;
  gmOnly: boolean;
}

/** One search result, as `/api/search`, the search page and the assistant see it. */
export interface SearchResult {
  rank: number;
  kind: "chunk" | "context" | "character";
  id: string;
  title: string;
  /** The whole passage (or entry text): what the assistant quotes and the evaluation checks. */
  text: string;
  /** The best-matching sentences (or table rows) as plain text, matched words marked. */
  snippet: SnippetPart[];
  /**
   * The same snippet as sanitized HTML (app/server/search/snippet.server.ts): formatted as
   * the file formats it (Markdown emphasis, lists, tables), matched words in `<mark>`.
   */
  snippetHtml: string;
  score: number;
  /** Which retrievers found it: words (bm25), related (bm25 with words of like meaning), meaning (vectors). */
  matchedBy: ("words" | "related" | "meaning")[];
  source: ChunkSource | EntrySource;
  /** Opens the source at this place. */
  href: string;
  /** The same text in other files (a second copy of a book): shown once, with where else it is. */
  alsoIn?: { fileName: string; href: string; page?: number }[];
}

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
  // The kind as the forms name it ("Plot hook", "NPC"), never the stored value ("plot_hook").
  const what =
    source.kind === "character"
      ? (characterTypeLabels[source.label as CharacterType] ?? "Character")
      : (contextTypeLabels[source.label as ContextType] ?? "Entry");
  return `${what} in ${source.campaignName}${source.gmOnly ? " (GM only)" : ""}`;
}

export function openLabel(result: Pick<SearchResult, "source">): string {
  const source = result.source;
  if (source.kind !== "chunk") return source.kind === "character" ? "Open character" : "Open entry";
  return kindOfContentType(source.contentType) === "pdf" && source.page
    ? `Open at page ${source.page}`
    : "Open at this passage";
}
