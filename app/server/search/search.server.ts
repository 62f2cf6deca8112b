import { and, eq, type SQL, sql } from "drizzle-orm";
import { fileKinds, kindOfContentType, mediaType, type SearchableKind } from "~/lib/file-kinds";
import { type FileLinks, fileLinks } from "~/lib/file-links";
import { isProcessing } from "~/lib/jobs";
import { isFileKindFilter, type SearchParams, type SearchResult, type SearchType } from "~/lib/search";
import { accountKey, DEFAULT_TTL_SECONDS, type ReadModelCache } from "../cache/read-models.server";
import { likeContains } from "../campaigns/errors.server";
import {
  type CampaignAccess,
  type CampaignReader,
  campaignAccess,
  campaignsWhere,
  can,
  previewAccess,
  searchAudience,
  visibleResources,
} from "../campaigns/policy.server";
import { getCampaignFile } from "../campaigns/resources.server";
import type { Db } from "../db/db.server";
import { campaignResources, campaigns, fileMetadata } from "../db/schema";
import { getFile } from "../files/files.server";
import type { Account, Tracker } from "../files/library.server";
import { Timings } from "../http/timing.server";
import { withoutOverlap } from "../ingest/chunk.server";
import type { Passage, PassageRankings } from "../passages/passage-store.server";
import type { Embedder, Reranker, VectorIndex } from "../vectors/ports.server";
import { campaignToken, ftsAnyTerm, ftsTokenFilter, queryTerms, reciprocalRankFusion } from "./query.server";
import { resultSnippet } from "./snippet.server";
import { relatedWords } from "./synonyms.server";

/**
 * Search over a user's own material (docs/decisions/0020): bm25 over their passages in
 * their own UserFileTracker (heading and body, with a vote for question words that stand
 * together), bm25 over their campaigns' entries and characters in D1, and the vector
 * index where its embedder understands meaning; fused by weighted reciprocal rank, an
 * entry or character named by the query first, near-duplicates folded into one result.
 *
 * Scopes: the whole library (every file, every campaign's entries and characters), one
 * campaign (its attached files, its entries and characters), or one file.
 */

export interface SearchOptions {
  query: string;
  /** Results per page. */
  k: number;
  /** Results to skip (later pages). */
  offset?: number;
  /**
   * One campaign, as the reader sees it (their access): a player's search matches only
   * what the policy shows them (searchAudience, visibleResources). Null: the owner's own
   * library and campaigns, all of it.
   */
  campaign?: CampaignReader | null;
  fileKey?: string | null;
  type?: SearchType | null;
  tag?: string | null;
  /** Match the last word as a prefix (search as you type). */
  prefix?: boolean;
  /** Also answer the passage rankings' FTS5 expressions (SearchPage.explain). */
  explain?: boolean;
  /**
   * Fold a section's passage and its sub-section's into one result (default). The assistant
   * asks for them apart: each passage is a source it quotes and cites on its own.
   */
  foldSubsections?: boolean;
}

export interface SearchDeps {
  db: Db;
  embedder: Embedder;
  vectors: VectorIndex;
  reranker: Reranker | null;
  /** The account's tracker, which holds its passages. */
  tracker: (accountId: string) => Pick<Tracker, "rankPassages" | "passagesByIds">;
}

export interface SearchPage {
  results: SearchResult[];
  /** There are results past this page. */
  more: boolean;
  /** Words of like meaning search also ranked by, for rare words of the query (ADR 0041). */
  synonyms: string[];
  /** With `explain`: the FTS5 expressions run over the passages and the words left out as too common. */
  explain?: { passages: PassageRankings["matches"] | null; commonWords: string[] };
}

/**
 * Resolves a request's scope to a campaign the user is in or a file of theirs, and whose
 * material that is (a campaign's is its owner's): null when the id is not theirs to
 * search (the caller answers 404, never revealing that it exists). Inside a campaign a
 * file must be one of the campaign's.
 */
export async function resolveScope(
  db: Db,
  account: Account,
  params: Partial<Pick<SearchParams, "campaignId" | "fileKey">>,
  /** A GM previewing a campaign as a player (their session's previewAs) searches it as that player. */
  previewAs?: { campaignId: string; accountId: string },
): Promise<{ campaign: CampaignReader | null; fileKey: string | null; owner: Account; mayExplain: boolean } | null> {
  let campaign: CampaignAccess | null = null;
  if (params.campaignId) {
    campaign = await campaignAccess(db, account, params.campaignId);
    if (!campaign || !can(campaign.role, "view")) return null;
    if (previewAs?.campaignId === campaign.campaign.id)
      campaign = (await previewAccess(db, campaign, previewAs.accountId)) ?? campaign;
  }
  if (params.fileKey) {
    const file = campaign
      ? await getCampaignFile(db, campaign, params.fileKey)
      : await getFile(db, account.username, params.fileKey);
    if (!file) return null;
  }
  const owner = campaign?.owner ?? account;
  // `explain` shows which words are common across the owner's whole library: theirs alone to see.
  return { campaign, fileKey: params.fileKey ?? null, owner, mayExplain: owner.id === account.id };
}

export type ResolvedScope = NonNullable<Awaited<ReturnType<typeof resolveScope>>>;

/** A parsed search request over its resolved scope, as `search` takes it (the page and the API alike). */
export function scopedSearchOptions(params: SearchParams, scope: ResolvedScope): SearchOptions {
  return {
    ...params,
    query: params.q,
    offset: (params.page - 1) * params.k,
    campaign: scope.campaign,
    fileKey: scope.fileKey,
    explain: params.explain && scope.mayExplain,
  };
}

/** What the search page offers to narrow by: campaigns, files (for the file scope), tags. */
/** The search page's scopes, cached per account generation (ADR 0029). */
export async function searchScopesModel(
  stores: { db: Db; readModels: ReadModelCache },
  account: Account & { cacheGeneration: number },
) {
  return stores.readModels.readThrough(accountKey("searchScopes", account), DEFAULT_TTL_SECONDS, () =>
    listSearchScopes(stores.db, account),
  );
}

export async function listSearchScopes(db: Db, account: Account) {
  const [campaignRows, fileRows] = await Promise.all([
    db
      .select({ id: campaigns.id, name: campaigns.name })
      .from(campaigns)
      .where(campaignsWhere(account, "view"))
      .orderBy(campaigns.name),
    db
      .select({
        fileKey: fileMetadata.fileKey,
        fileName: fileMetadata.fileName,
        tags: fileMetadata.tags,
        status: fileMetadata.status,
      })
      .from(fileMetadata)
      .where(eq(fileMetadata.username, account.username)),
  ]);
  const tags = new Map<string, string>();
  for (const file of fileRows) for (const tag of file.tags) tags.set(tag.toLowerCase(), tag);
  return {
    campaigns: campaignRows,
    files: fileRows.map(({ fileKey, fileName }) => ({ fileKey, fileName })),
    tags: [...tags.values()].sort((a, b) => a.localeCompare(b)),
    // Uploaded files wait for the queue; both are not searchable yet.
    processing: fileRows.filter((file) => file.status === "uploaded" || isProcessing(file.status)).length,
  };
}

/** Candidates each retriever contributes before fusion (and the most results one search pages through). */
export const CANDIDATES = 40;

/**
 * The question with WordNet's words of like meaning added (ADR 0041) votes less than its own
 * words: it finds the book's wording for a paraphrase without outvoting an exact match.
 */
const REWORDED_WEIGHT = 1;

/**
 * How much each ranking counts in fusion. Passages are ranked by their words; the votes
 * for a section whose own heading has the question's words and for words that stand
 * together are half a vote each. The vectors count fully only with an embedder that
 * understands meaning: the offline one hashes words, so it would only repeat bm25 worse
 * (ADR 0020) — there it fills in when no word matches (a misspelling).
 */
const WEIGHTS = {
  words: 1,
  title: 0.5,
  near: 0.5,
  reworded: REWORDED_WEIGHT,
  meaning: 1,
  fallback: 0.01,
  entries: 1,
  characters: 1,
} as const;

/**
 * Reciprocal rank fusion's k: small, so the first places of each ranking count for much
 * more than the tail (the right section is nearly always in the first few of one list).
 */
const FUSION_K = 5;

/** A passage scoring below this share of the best passage is a loose match and not shown. */
const LOOSE_MATCH = 0.15;

/** At most this many neighbouring passages of one section are shown as one result. */
const MAX_MERGED = 3;

/**
 * Files of one kind (file-kinds.ts): its media type, with or without parameters such as
 * charset. A prefix compare, not LIKE: D1 refuses LIKE patterns over 50 characters, and
 * Word's media type is longer.
 */
function kindCondition(kind: SearchableKind): SQL {
  const type = mediaType(fileKinds[kind].contentType);
  const withParameters = `${type};`;
  return sql`(${fileMetadata.contentType} = ${type} OR substr(${fileMetadata.contentType}, 1, ${withParameters.length}) = ${withParameters})`;
}

interface EntryRow {
  id: number;
  campaignId: string;
  campaignName: string;
  title: string;
  text: string;
  label: string;
  gmOnly: number;
}

/** Snippets are made for the page's results only (snippet.server.ts), from their final (folded) text. */
type Candidate = Omit<SearchResult, "rank" | "score" | "snippet" | "snippetHtml">;

/**
 * Searches `owner`'s material: their passages in their tracker, their entries and
 * characters in D1 (scoped by username), vectors by the account id (their namespace).
 */
export async function search(
  deps: SearchDeps,
  owner: Account,
  options: SearchOptions,
  timings = new Timings(),
): Promise<SearchPage> {
  const terms = queryTerms(options.query);
  if (terms.length === 0) return { results: [], more: false, synonyms: [] };
  // A word still being typed is looked up too: a part of a word is no WordNet word, and a
  // prefix the library often starts is its own word (PassageStore.rank counts it as typed).
  const related = relatedWords(terms);
  const { db } = deps;
  const tracker = deps.tracker(owner.id);
  const fileKind = options.type && isFileKindFilter(options.type) ? options.type : null;
  const searchesFiles = !options.type || fileKind !== null;
  const searchesEntries = !options.fileKey && (!options.type || options.type === "context");
  const searchesCharacters = !options.fileKey && !options.tag && (!options.type || options.type === "character");

  // Each retriever starts as soon as its own scope is known: the whole library's passages
  // at once, entries once the campaigns are listed.
  const fileScope = timings.time("scope", () =>
    searchesFiles ? scopeFileKeys(db, owner.username, options, fileKind) : Promise.resolve([]),
  );
  const campaignScope = timings.time("campaigns", () =>
    searchesEntries || searchesCharacters ? scopeCampaignIds(db, owner.username, options) : Promise.resolve([]),
  );

  // The passages' rankings (any word, heading words, words close together) in one round trip.
  const passageRankings = async (fileKeys: string[] | null): Promise<PassageRankings | null> => {
    if (!searchesFiles || fileKeys?.length === 0) return null;
    return timings.time("passages", () =>
      tracker.rankPassages({ terms, prefix: options.prefix === true, related, fileKeys, limit: CANDIDATES }),
    );
  };

  const semantic = deps.embedder.semantic;
  const byMeaning = async (fileKeys: string[] | null): Promise<{ id: string; score: number }[]> => {
    const [vector] = await timings.time("embed", () => deps.embedder.embed([options.query]));
    if (!vector) return [];
    const matches = await timings.time("vectors", () =>
      deps.vectors.query(owner.id, vector, { topK: CANDIDATES, fileKeys: fileKeys ?? undefined }),
    );
    return matches.filter((match) => match.score >= deps.embedder.minSimilarity);
  };

  // A reader who may not see secrets matches only rows that carry one of their audience
  // tokens, and only in the text without secret blocks: hidden rows are never scored.
  const audience = options.campaign ? searchAudience(options.campaign) : null;
  const audienceFilter = audience ? ` AND ${ftsTokenFilter("audience_tokens", audience)}` : "";
  const ftsEntries = async (campaignIds: string[]): Promise<EntryRow[]> => {
    if (!searchesEntries || campaignIds.length === 0) return [];
    const columns = ["title", audience ? "content_public" : "content", "tags"];
    const match = `${ftsTokenFilter("campaign_token", campaignIds.map(campaignToken))}${audienceFilter} AND ${ftsAnyTerm(terms, columns, options.prefix)}`;
    return db.all<EntryRow>(sql`SELECT e.id, e.campaign_id AS campaignId, k.name AS campaignName, e.title,
        ${audience ? sql`e.content_public` : sql`e.content`} AS text, e.context_type AS label,
        ${audience ? sql`0` : sql`e.audience = 'gm'`} AS gmOnly
      FROM campaign_context_fts JOIN campaign_context e ON e.id = campaign_context_fts.rowid
        JOIN campaigns k ON k.id = e.campaign_id
      WHERE campaign_context_fts MATCH ${match} AND k.username = ${owner.username}
        ${options.tag ? sql`AND e.tags LIKE ${likeContains(`|${options.tag}|`)} ESCAPE '\\'` : sql``}
      ORDER BY bm25(campaign_context_fts, 4.0, 1.0, 1.0, 2.0) LIMIT ${CANDIDATES}`);
  };
  const ftsCharacters = async (campaignIds: string[]): Promise<EntryRow[]> => {
    if (!searchesCharacters || campaignIds.length === 0) return [];
    const columns = ["character_name", audience ? "backstory_public" : "backstory"];
    const match = `${ftsTokenFilter("campaign_token", campaignIds.map(campaignToken))}${audienceFilter} AND ${ftsAnyTerm(terms, columns, options.prefix)}`;
    return db.all<EntryRow>(sql`SELECT p.id, p.campaign_id AS campaignId, k.name AS campaignName,
        p.character_name AS title, ${audience ? sql`p.backstory_public` : sql`p.backstory`} AS text,
        p.character_type AS label, ${audience ? sql`0` : sql`p.audience = 'gm'`} AS gmOnly
      FROM campaign_characters_fts JOIN campaign_characters p ON p.id = campaign_characters_fts.rowid
        JOIN campaigns k ON k.id = p.campaign_id
      WHERE campaign_characters_fts MATCH ${match} AND k.username = ${owner.username}
      ORDER BY bm25(campaign_characters_fts, 4.0, 1.0, 1.0) LIMIT ${CANDIDATES}`);
  };

  const [rankings, meaningFirst, entries, characters] = await Promise.all([
    fileScope.then(passageRankings),
    fileScope.then((fileKeys) => (searchesFiles && fileKeys?.length !== 0 && semantic ? byMeaning(fileKeys) : null)),
    campaignScope.then((ids) => timings.time("entries", () => ftsEntries(ids))),
    campaignScope.then((ids) => timings.time("characters", () => ftsCharacters(ids))),
  ]);
  const { words: byWords = [], titles: byTitle = [], near: byNearness = [], reworded: byRelated = [] } = rankings ?? {};
  const ranked = new Map((rankings?.passages ?? []).map((passage) => [passage.id, passage]));
  const synonymsUsed = rankings?.synonyms ?? [];
  const fileKeys = await fileScope;
  // The offline embedder only fills in when no word of the query matched a passage.
  const meaning =
    meaningFirst ?? (searchesFiles && fileKeys?.length !== 0 && byWords.length === 0 ? await byMeaning(fileKeys) : []);

  const best = byWords[0]?.score ?? 0;
  const words = byWords.filter((hit) => hit.score >= best * LOOSE_MATCH);
  const bestReworded = byRelated[0]?.score ?? 0;
  const reworded = byRelated.filter((hit) => hit.score >= bestReworded * LOOSE_MATCH);
  const passages = new Map<string, Passage>();
  for (const { id } of [...words, ...byTitle, ...byNearness, ...reworded]) {
    const passage = ranked.get(id);
    if (passage) passages.set(id, passage);
  }
  const missing = meaning.map((m) => m.id).filter((id) => !passages.has(id));
  if (missing.length) {
    for (const passage of await timings.time("passages", () => tracker.passagesByIds(missing))) {
      passages.set(passage.id, passage);
    }
  }

  return timings.time("results", async () => {
    // Inside a campaign, files open through the campaign's routes (its members read them there).
    const links = fileLinks(options.campaign?.campaign.id);
    const candidates = new Map<string, Candidate>();
    for (const passage of passages.values())
      candidates.set(passage.id, chunkResult(passage, matchedBy(passage.id), links));
    function matchedBy(id: string): SearchResult["matchedBy"] {
      const by: SearchResult["matchedBy"] = [];
      if ([words, byTitle, byNearness].some((list) => list.some((hit) => hit.id === id))) by.push("words");
      else if (reworded.some((hit) => hit.id === id)) by.push("related");
      if (meaning.some((m) => m.id === id)) by.push("meaning");
      return by;
    }
    for (const row of entries) candidates.set(`context:${row.id}`, entryResult(row, "context"));
    for (const row of characters) candidates.set(`character:${row.id}`, entryResult(row, "character"));

    const fused = reciprocalRankFusion(
      [
        { ids: words.map((hit) => hit.id), weight: WEIGHTS.words },
        { ids: byTitle.map((hit) => hit.id), weight: WEIGHTS.title },
        { ids: byNearness.filter((hit) => candidates.has(hit.id)).map((hit) => hit.id), weight: WEIGHTS.near },
        { ids: reworded.map((hit) => hit.id), weight: WEIGHTS.reworded },
        { ids: meaning.map((m) => m.id), weight: semantic ? WEIGHTS.meaning : WEIGHTS.fallback },
        { ids: entries.map((row) => `context:${row.id}`), weight: WEIGHTS.entries },
        { ids: characters.map((row) => `character:${row.id}`), weight: WEIGHTS.characters },
      ],
      FUSION_K,
    );
    let ordered = [...fused.entries()]
      .filter(([id]) => candidates.has(id))
      .map(([id, score]) => [id, score + (isNamed(candidates.get(id), options.query) ? 1 : 0)] as [string, number])
      .sort((a, b) => b[1] - a[1]);
    if (deps.reranker && ordered.length > 1) {
      const reranker = deps.reranker;
      const top = ordered.slice(0, 20);
      const scores = await timings.time("rerank", () =>
        reranker.rerank(
          options.query,
          top.map(([id]) => candidates.get(id)?.text ?? ""),
        ),
      );
      ordered = [
        ...top.map(([id], i) => [id, scores[i] ?? 0] as [string, number]).sort((a, b) => b[1] - a[1]),
        ...ordered.slice(20),
      ];
    }
    const folded = fold(
      ordered.flatMap(([id, score]) => {
        const candidate = candidates.get(id);
        return candidate ? [{ ...candidate, score }] : [];
      }),
      { subsections: options.foldSubsections ?? true },
    );
    const offset = options.offset ?? 0;
    return {
      results: folded.slice(offset, offset + options.k).map((result, i) => ({
        ...result,
        // Found by words of like meaning only: the snippet centres on those.
        ...resultSnippet(result, result.matchedBy.includes("words") ? terms : [...terms, ...synonymsUsed]),
        rank: offset + i + 1,
        score: Math.round(result.score * 10_000) / 10_000,
      })),
      more: folded.length > offset + options.k,
      synonyms: synonymsUsed,
      ...(options.explain
        ? { explain: { passages: rankings?.matches ?? null, commonWords: rankings?.common ?? [] } }
        : {}),
    };
  });
}

/** The query names this entry or character ("Morwen", "morwen the witch"): it comes first. */
function isNamed(candidate: Candidate | undefined, query: string): boolean {
  if (!candidate || candidate.kind === "chunk") return false;
  const normal = (text: string) =>
    ` ${text
      .toLowerCase()
      .normalize("NFKC")
      .replace(/[^\p{L}\p{N}]+/gu, " ")
      .trim()} `;
  const title = normal(candidate.title);
  return title.trim().length > 0 && normal(query).includes(title);
}

/**
 * Text compared for "the same passage in another file": case, spacing and typographic
 * quotes and dashes aside (a PDF printed from a Markdown file has curly apostrophes).
 */
function sameTextKey(text: string): string {
  return text
    .replace(/[\u2018\u2019]/g, "'")
    .replace(/[\u201c\u201d]/g, '"')
    .replace(/[\u2013\u2014]/g, "-")
    .replace(/\s+/g, " ")
    .trim()
    .toLowerCase();
}

/**
 * One result per passage of text: the same text in another file becomes an "also in" of
 * the first, and neighbouring passages of one section (with `subsections`, also of a section
 * and the sub-section under it) join the better-ranked one.
 */
function fold(
  ranked: (Candidate & { score: number })[],
  { subsections }: { subsections: boolean },
): (Candidate & { score: number })[] {
  const kept: (Candidate & { score: number; merged: number[] })[] = [];
  const byText = new Map<string, Candidate & { score: number }>();
  for (const candidate of ranked) {
    const source = candidate.source;
    if (source.kind !== "chunk") {
      kept.push({ ...candidate, merged: [] });
      continue;
    }
    const key = sameTextKey(candidate.text);
    const twin = byText.get(key);
    if (twin) {
      const also = twin.alsoIn ?? [];
      const known = twin.source.kind === "chunk" && twin.source.fileKey === source.fileKey;
      if (!known && !also.some((a) => a.fileName === source.fileName)) {
        const page = source.page ? { page: source.page } : {};
        twin.alsoIn = [...also, { fileName: source.fileName, href: candidate.href, ...page }];
      }
      continue;
    }
    const neighbour = kept.find((k) => {
      if (k.source.kind !== "chunk" || k.source.fileKey !== source.fileKey || k.merged.length + 1 >= MAX_MERGED) {
        return false;
      }
      const indexes = [k.source.chunkIndex, ...k.merged];
      const [first, last] = [Math.min(...indexes), Math.max(...indexes)];
      const a = k.source.headingPath;
      const b = source.headingPath;
      if (samePath(a, b)) return source.chunkIndex === first - 1 || source.chunkIndex === last + 1;
      // A section's own passage comes before those of its sub-sections.
      if (!subsections) return false;
      if (encloses(b, a)) return source.chunkIndex === first - 1;
      return encloses(a, b) && source.chunkIndex === last + 1;
    });
    if (neighbour && neighbour.source.kind === "chunk") {
      const first = Math.min(neighbour.source.chunkIndex, ...neighbour.merged);
      neighbour.text =
        source.chunkIndex < first
          ? `${candidate.text}\n\n${withoutOverlap(candidate.text, neighbour.text)}`
          : `${neighbour.text}\n\n${withoutOverlap(neighbour.text, candidate.text)}`;
      // The result stays the better-ranked passage (its title, link and place), now read with its neighbour.
      neighbour.merged.push(source.chunkIndex);
      neighbour.matchedBy = [...new Set([...neighbour.matchedBy, ...candidate.matchedBy])];
      byText.set(key, neighbour);
      continue;
    }
    const result = { ...candidate, merged: [] as number[] };
    kept.push(result);
    byText.set(key, result);
  }
  return kept.map(({ merged: _merged, ...result }) => result);
}

const samePath = (a: string[], b: string[]) => a.length === b.length && a.every((heading, i) => b[i] === heading);

/** `outer` is a section that `inner` lies inside (a sub-heading, a table's caption). */
const encloses = (outer: string[], inner: string[]) =>
  outer.length > 0 && outer.length < inner.length && outer.every((heading, i) => inner[i] === heading);

/**
 * Files the search may look in: null for all of the user's files. The campaign's
 * attachments, the file asked for, or the user's files of a kind or with a tag.
 */
async function scopeFileKeys(
  db: Db,
  username: string,
  options: SearchOptions,
  kind: SearchableKind | null,
): Promise<string[] | null> {
  if (options.fileKey) return [options.fileKey];
  const filters = [
    kind ? kindCondition(kind) : undefined,
    options.tag
      ? sql`EXISTS (SELECT 1 FROM json_each(${fileMetadata.tags}) WHERE lower(json_each.value) = lower(${options.tag}))`
      : undefined,
  ].filter(Boolean);
  if (!options.campaign && filters.length === 0) return null;
  const rows = options.campaign
    ? await db
        .select({ fileKey: campaignResources.fileKey })
        .from(campaignResources)
        .innerJoin(fileMetadata, eq(fileMetadata.fileKey, campaignResources.fileKey))
        .where(
          and(
            eq(campaignResources.campaignId, options.campaign.campaign.id),
            visibleResources(options.campaign),
            ...filters,
          ),
        )
    : await db
        .select({ fileKey: fileMetadata.fileKey })
        .from(fileMetadata)
        .where(and(eq(fileMetadata.username, username), ...filters));
  return rows.map((row) => row.fileKey);
}

async function scopeCampaignIds(db: Db, username: string, options: SearchOptions): Promise<string[]> {
  if (options.campaign) return [options.campaign.campaign.id];
  const rows = await db.select({ id: campaigns.id }).from(campaigns).where(eq(campaigns.username, username));
  return rows.map((row) => row.id);
}

function chunkResult(passage: Passage, matchedBy: SearchResult["matchedBy"], links: FileLinks): Candidate {
  const isPdf = kindOfContentType(passage.contentType) === "pdf";
  return {
    kind: "chunk",
    id: passage.id,
    title: passage.headingPath.at(-1) ?? passage.fileName,
    text: passage.body,
    matchedBy,
    source: {
      kind: "chunk",
      fileKey: passage.fileKey,
      fileName: passage.fileName,
      contentType: passage.contentType,
      page: passage.page,
      headingPath: passage.headingPath,
      chunkIndex: passage.index,
    },
    // A PDF opens in the browser's viewer at its page; other files in the reader at the passage.
    href:
      isPdf && passage.page ? links.bytes(passage.fileKey, passage.page) : links.reader(passage.fileKey, passage.index),
  };
}

function entryResult(row: EntryRow, kind: "context" | "character"): Candidate {
  const path = kind === "context" ? "context" : "characters";
  return {
    kind,
    id: `${kind}:${row.id}`,
    title: row.title,
    text: `${row.title}\n${row.text}`,
    matchedBy: ["words"],
    source: {
      kind,
      campaignId: row.campaignId,
      campaignName: row.campaignName,
      entryId: row.id,
      label: row.label,
      gmOnly: Boolean(row.gmOnly),
    },
    href: `/campaigns/${row.campaignId}/${path}/${row.id}`,
  };
}
