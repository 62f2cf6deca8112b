import { and, eq, type SQL, sql } from "drizzle-orm";
import { fileKinds, kindOfContentType, mediaType, type SearchableKind } from "~/lib/file-kinds";
import { isProcessing } from "~/lib/jobs";
import { isFileKindFilter, type SearchParams, type SearchResult, type SearchType } from "~/lib/search";
import { type Campaign, getCampaign } from "../campaigns/campaigns.server";
import { likeContains } from "../campaigns/errors.server";
import type { Db } from "../db/db.server";
import { campaignResources, campaigns, fileMetadata } from "../db/schema";
import { getFile } from "../files/files.server";
import type { Account } from "../files/library.server";
import type { Embedder, Reranker, VectorIndex } from "../vectors/ports.server";
import {
  campaignToken,
  ftsAllTerms,
  ftsAnyTerm,
  ftsTokenFilter,
  ownerToken,
  queryTerms,
  reciprocalRankFusion,
  snippet,
} from "./query.server";

/**
 * Hybrid search over a user's own material: bm25 over file chunks, context entries and
 * characters (FTS5, scoped inside the index to the user or their campaigns), and the
 * VectorIndex over chunk embeddings, fused by reciprocal rank; then an optional rerank.
 *
 * Scopes: the whole library (every file, every campaign's entries and characters), one
 * campaign (its attached files, its entries and characters), or one file.
 */

export interface SearchOptions {
  query: string;
  k: number;
  campaign?: Campaign | null;
  fileKey?: string | null;
  type?: SearchType | null;
  tag?: string | null;
  /** Match the last word as a prefix (search as you type). */
  prefix?: boolean;
}

export interface SearchDeps {
  db: Db;
  embedder: Embedder;
  vectors: VectorIndex;
  reranker: Reranker | null;
}

/**
 * Resolves a request's scope to the user's own campaign or file: null when the id is not
 * theirs (the caller answers 404, never revealing that it exists).
 */
export async function resolveScope(
  db: Db,
  username: string,
  params: Partial<Pick<SearchParams, "campaignId" | "fileKey">>,
) {
  const campaign = params.campaignId ? await getCampaign(db, username, params.campaignId) : undefined;
  if (params.campaignId && !campaign) return null;
  if (params.fileKey) {
    if (!(await getFile(db, username, params.fileKey))) return null;
  }
  return { campaign: campaign ?? null, fileKey: params.fileKey ?? null };
}

/** What the search page offers to narrow by: campaigns, files (for the file scope), tags. */
export async function listSearchScopes(db: Db, username: string) {
  const [campaignRows, fileRows] = await Promise.all([
    db
      .select({ id: campaigns.id, name: campaigns.name })
      .from(campaigns)
      .where(eq(campaigns.username, username))
      .orderBy(campaigns.name),
    db
      .select({
        fileKey: fileMetadata.fileKey,
        fileName: fileMetadata.fileName,
        tags: fileMetadata.tags,
        status: fileMetadata.status,
      })
      .from(fileMetadata)
      .where(eq(fileMetadata.username, username)),
  ]);
  const tags = new Map<string, string>();
  for (const file of fileRows) for (const tag of file.tags) tags.set(tag.toLowerCase(), tag);
  return {
    campaigns: campaignRows,
    files: fileRows.map(({ fileKey, fileName }) => ({ fileKey, fileName })),
    tags: [...tags.values()].sort((a, b) => a.localeCompare(b)),
    // Uploaded files wait for the queue; both are not searched yet.
    processing: fileRows.filter((file) => file.status === "uploaded" || isProcessing(file.status)).length,
  };
}

/** Candidates each retriever contributes before fusion. */
const CANDIDATES = 40;

/** Files of one kind (file-kinds.ts): its media type, with or without parameters such as charset. */
function kindCondition(kind: SearchableKind): SQL {
  const type = mediaType(fileKinds[kind].contentType);
  return sql`(m.content_type = ${type} OR m.content_type LIKE ${`${type};%`})`;
}

interface ChunkRow {
  id: string;
  fileKey: string;
  chunkIndex: number;
  text: string;
  metadata: string;
  fileName: string;
  contentType: string;
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

/**
 * Searches `owner`'s material: D1 rows scoped by the username, vectors by the account id
 * (their namespace).
 */
export async function search(deps: SearchDeps, owner: Account, options: SearchOptions): Promise<SearchResult[]> {
  const { username } = owner;
  const terms = queryTerms(options.query);
  if (terms.length === 0) return [];
  const { db } = deps;
  const fileKeys = await scopeFileKeys(db, options);
  const fileKind = options.type && isFileKindFilter(options.type) ? options.type : null;
  const searchesFiles = !options.type || fileKind !== null;
  const searchesEntries = !options.fileKey && (!options.type || options.type === "context");
  const searchesCharacters = !options.fileKey && !options.tag && (!options.type || options.type === "character");

  const chunkFilters = and(
    sql`c.username = ${username}`,
    // Only each file's newest version that is ready: never half-processed text.
    sql`c.file_version = (SELECT max(v.version_number) FROM file_versions v WHERE v.file_key = c.file_key AND v.status = 'ready')`,
    fileKeys
      ? sql`c.file_key IN (${sql.join(
          fileKeys.map((key) => sql`${key}`),
          sql`, `,
        )})`
      : undefined,
    fileKind ? kindCondition(fileKind) : undefined,
    options.tag
      ? sql`EXISTS (SELECT 1 FROM json_each(m.tags) WHERE lower(json_each.value) = lower(${options.tag}))`
      : undefined,
  );
  const chunkColumns = sql`c.id, c.file_key AS fileKey, c.chunk_index AS chunkIndex, c.chunk_text AS text,
    c.metadata, m.file_name AS fileName, m.content_type AS contentType`;

  const ftsChunks = async (expression: string): Promise<ChunkRow[]> => {
    if (!searchesFiles || fileKeys?.length === 0) return [];
    const match = `${ftsTokenFilter("owner_token", [ownerToken(username)])} AND ${expression}`;
    return db.all<ChunkRow>(sql`SELECT ${chunkColumns}
      FROM file_chunks_fts JOIN file_chunks c ON c.seq = file_chunks_fts.rowid JOIN file_metadata m ON m.file_key = c.file_key
      WHERE file_chunks_fts MATCH ${match} AND ${chunkFilters}
      ORDER BY bm25(file_chunks_fts) LIMIT ${CANDIDATES}`);
  };

  const vectorChunks = async (): Promise<ChunkRow[]> => {
    if (!searchesFiles || fileKeys?.length === 0) return [];
    const [vector] = await deps.embedder.embed([options.query]);
    if (!vector) return [];
    const matches = await deps.vectors.query(owner.id, vector, { topK: CANDIDATES, fileKeys: fileKeys ?? undefined });
    if (matches.length === 0) return [];
    const rows = await db.all<ChunkRow>(sql`SELECT ${chunkColumns}
      FROM file_chunks c JOIN file_metadata m ON m.file_key = c.file_key
      WHERE c.id IN (${sql.join(
        matches.map((m) => sql`${m.id}`),
        sql`, `,
      )}) AND ${chunkFilters}`);
    const byId = new Map(rows.map((row) => [row.id, row]));
    return matches.flatMap((m) => byId.get(m.id) ?? []);
  };

  const campaignIds = searchesEntries || searchesCharacters ? await scopeCampaignIds(db, username, options) : [];
  const ftsEntries = async (): Promise<EntryRow[]> => {
    if (!searchesEntries || campaignIds.length === 0) return [];
    const match = `${ftsTokenFilter("campaign_token", campaignIds.map(campaignToken))} AND ${ftsAnyTerm(terms, ["title", "content", "tags"], options.prefix)}`;
    return db.all<EntryRow>(sql`SELECT e.id, e.campaign_id AS campaignId, k.name AS campaignName, e.title,
        e.content AS text, e.context_type AS label, e.gm_only AS gmOnly
      FROM campaign_context_fts JOIN campaign_context e ON e.id = campaign_context_fts.rowid
        JOIN campaigns k ON k.id = e.campaign_id
      WHERE campaign_context_fts MATCH ${match} AND k.username = ${username}
        ${options.tag ? sql`AND e.tags LIKE ${likeContains(`|${options.tag}|`)} ESCAPE '\\'` : sql``}
      ORDER BY bm25(campaign_context_fts, 4.0, 1.0, 2.0) LIMIT ${CANDIDATES}`);
  };
  const ftsCharacters = async (): Promise<EntryRow[]> => {
    if (!searchesCharacters || campaignIds.length === 0) return [];
    const match = `${ftsTokenFilter("campaign_token", campaignIds.map(campaignToken))} AND ${ftsAnyTerm(terms, ["character_name", "backstory"], options.prefix)}`;
    return db.all<EntryRow>(sql`SELECT p.id, p.campaign_id AS campaignId, k.name AS campaignName,
        p.character_name AS title, p.backstory AS text, p.character_type AS label, 0 AS gmOnly
      FROM campaign_characters_fts JOIN campaign_characters p ON p.id = campaign_characters_fts.rowid
        JOIN campaigns k ON k.id = p.campaign_id
      WHERE campaign_characters_fts MATCH ${match} AND k.username = ${username}
      ORDER BY bm25(campaign_characters_fts, 4.0, 1.0) LIMIT ${CANDIDATES}`);
  };

  const [byAllWords, byWords, byMeaning, entries, characters] = await Promise.all([
    // Passages with every word of the question get a second vote (only worth asking with several words).
    terms.length > 1 ? ftsChunks(ftsAllTerms(terms, ["chunk_text"], options.prefix)) : Promise.resolve([]),
    ftsChunks(ftsAnyTerm(terms, ["chunk_text"], options.prefix)),
    vectorChunks(),
    ftsEntries(),
    ftsCharacters(),
  ]);

  const results = new Map<string, Omit<SearchResult, "rank" | "score">>();
  const add = (result: Omit<SearchResult, "rank" | "score">) => {
    const seen = results.get(result.id);
    if (seen) seen.matchedBy = [...new Set([...seen.matchedBy, ...result.matchedBy])];
    else results.set(result.id, result);
  };
  for (const row of [...byAllWords, ...byWords]) add(chunkResult(row, terms, "words"));
  for (const row of byMeaning) add(chunkResult(row, terms, "meaning"));
  for (const row of entries) add(entryResult(row, "context", terms));
  for (const row of characters) add(entryResult(row, "character", terms));

  const fused = reciprocalRankFusion([
    byAllWords.map((r) => r.id),
    byWords.map((r) => r.id),
    byMeaning.map((r) => r.id),
    entries.map((r) => `context:${r.id}`),
    characters.map((r) => `character:${r.id}`),
  ]);
  let ordered = [...fused.entries()].sort((a, b) => b[1] - a[1]);
  if (deps.reranker && ordered.length > 1) {
    const top = ordered.slice(0, 20);
    const scores = await deps.reranker.rerank(
      options.query,
      top.map(([id]) => results.get(id)?.text ?? ""),
    );
    ordered = [
      ...top.map(([id], i) => [id, scores[i] ?? 0] as [string, number]).sort((a, b) => b[1] - a[1]),
      ...ordered.slice(20),
    ];
  }
  return ordered.slice(0, options.k).flatMap(([id, score], i) => {
    const result = results.get(id);
    return result ? [{ ...result, rank: i + 1, score: Math.round(score * 10_000) / 10_000 }] : [];
  });
}

/** Files the search may look in: null for all of the user's files. */
async function scopeFileKeys(db: Db, options: SearchOptions): Promise<string[] | null> {
  if (options.fileKey) return [options.fileKey];
  if (!options.campaign) return null;
  const rows = await db
    .select({ fileKey: campaignResources.fileKey })
    .from(campaignResources)
    .where(eq(campaignResources.campaignId, options.campaign.id));
  return rows.map((row) => row.fileKey);
}

async function scopeCampaignIds(db: Db, username: string, options: SearchOptions): Promise<string[]> {
  if (options.campaign) return [options.campaign.id];
  const rows = await db.select({ id: campaigns.id }).from(campaigns).where(eq(campaigns.username, username));
  return rows.map((row) => row.id);
}

function chunkResult(row: ChunkRow, terms: string[], by: "words" | "meaning"): Omit<SearchResult, "rank" | "score"> {
  const metadata = JSON.parse(row.metadata || "{}") as { page?: number; headingPath?: string[] };
  const page = typeof metadata.page === "number" ? metadata.page : null;
  const headingPath = Array.isArray(metadata.headingPath) ? metadata.headingPath : [];
  const isPdf = kindOfContentType(row.contentType) === "pdf";
  // The chunk text starts with its heading path (it helps bm25); the title and source line show it instead.
  const prefix = headingPath.length ? `${headingPath.join(" › ")}\n` : "";
  const body = row.text.startsWith(prefix) ? row.text.slice(prefix.length) : row.text;
  return {
    kind: "chunk",
    id: row.id,
    title: headingPath.at(-1) ?? row.fileName,
    text: row.text,
    snippet: snippet(body, terms),
    matchedBy: [by],
    source: {
      kind: "chunk",
      fileKey: row.fileKey,
      fileName: row.fileName,
      contentType: row.contentType,
      page,
      headingPath,
      chunkIndex: row.chunkIndex,
    },
    // A PDF opens in the browser's viewer at its page; other files in the reader at the passage.
    href:
      isPdf && page ? `/files/${row.fileKey}#page=${page}` : `/library/${row.fileKey}/read#passage-${row.chunkIndex}`,
  };
}

function entryResult(
  row: EntryRow,
  kind: "context" | "character",
  terms: string[],
): Omit<SearchResult, "rank" | "score"> {
  const path = kind === "context" ? "context" : "characters";
  return {
    kind,
    id: `${kind}:${row.id}`,
    title: row.title,
    text: `${row.title}\n${row.text}`,
    snippet: snippet(`${row.title}. ${row.text}`, terms),
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
