import { and, asc, count, eq, inArray, sql } from "drizzle-orm";
import { MAX_MARKDOWN_LENGTH } from "~/lib/campaign-schemas";
import { kindOfContentType } from "~/lib/file-kinds";
import { fileLinks } from "~/lib/file-links";
import {
  type EditedProposal,
  MAX_PROPOSAL_EXCERPT,
  MAX_PROPOSALS_PER_FILE,
  PROPOSALS_PER_PAGE,
  type ProposalKind,
  type ProposalStatus,
  targetOf,
} from "~/lib/proposals";
import type { ChatModel } from "../assistant/chat-model.server";
import type { CampaignAccess } from "../campaigns/policy.server";
import { asSecretBlock, withoutSecrets } from "../campaigns/secrets.server";
import type { Db } from "../db/db.server";
import { DEFAULT_ROW_LIMITS, QuotaExceeded, type RowLimits } from "../db/quota.server";
import {
  type CampaignProposal,
  campaignCharacters,
  campaignContext,
  campaignProposals,
  campaignResources,
  fileMetadata,
} from "../db/schema";
import type { FileRow, Tracker } from "../files/library.server";
import { Refusal } from "../http/responses.server";
import { AUDIENCE_GM } from "../search/query.server";
import { type Candidate, nameKeyOf, ProposalReader, type SourcePassage } from "./heuristics.server";
import { modelCandidates } from "./model.server";

/**
 * Proposals from a campaign's files (ADR 0038): finding them (offline heuristics, and the
 * model when one is configured), storing them for review, and the review's decisions —
 * accept, edit then accept, merge into an existing entry or character, reject. Every
 * decision is one D1 batch that first claims the proposal while it is still pending, so a
 * double submit or two GMs at once decide it once.
 */

export interface ProposalDeps {
  db: Db;
  tracker: (accountId: string) => Pick<Tracker, "passagesFrom">;
  /** The assistant's chat model; null offline (the model's extraction is skipped). */
  model: ChatModel | null;
  rows?: Pick<RowLimits, "entries" | "characters">;
}

/** Passages read per RPC, and at most per file (8,000 is three and a half 664-page SRDs). */
const PASSAGES_PER_READ = 200;
export const MAX_PASSAGES_READ = 8_000;
/** Rows per INSERT statement (each is one JSON parameter). */
const ROWS_PER_STATEMENT = 250;

export class ProposalRefusal extends Refusal {
  override name = "ProposalRefusal";
}

export interface FindResult {
  /** Distinct proposals found in the file this run. */
  found: number;
  /** Of those, new in the review list. */
  added: number;
  /** How many the offline heuristics and the model each found (before merging). */
  offline: number;
  model: { calls: number; failures: number; found: number } | null;
  /** The file was longer than the reader reads: its end was not read. */
  truncated: boolean;
}

function formatOf(file: FileRow): "pdf" | "markdown" | "text" {
  const kind = kindOfContentType(file.contentType);
  if (kind === "pdf") return "pdf";
  if (kind === "markdown" || kind === "docx") return "markdown";
  return "text";
}

/**
 * Reads an attached, processed file's passages from the owner's tracker and stores what it
 * describes as pending proposals. Running it again adds only what is new; pending ones of
 * an older version of the file move to where the new version has them; decided ones stay.
 */
export async function findProposals(deps: ProposalDeps, access: CampaignAccess, file: FileRow): Promise<FindResult> {
  if (file.status !== "ready") {
    throw new ProposalRefusal(
      `“${file.fileName}” is not processed yet, so there is nothing to read in it. Wait until the Library shows it as ready, then try again.`,
      409,
    );
  }
  const tracker = deps.tracker(access.owner.id);
  const offline: Candidate[] = [];
  const reader = new ProposalReader(formatOf(file), (candidate) => offline.push(candidate));
  const kept: SourcePassage[] = [];
  let version: number | null = null;
  let from = 0;
  let read = 0;
  let truncated = false;
  for (;;) {
    const batch = await tracker.passagesFrom(file.fileKey, from, PASSAGES_PER_READ);
    if (batch.version === null) break;
    // A new version published mid-read: start again would be right, but it is rare; stop at what was read.
    if (version !== null && batch.version !== version) break;
    version = batch.version;
    for (const passage of batch.passages) {
      const source = { index: passage.index, page: passage.page, headingPath: passage.headingPath, body: passage.body };
      reader.push(source);
      if (deps.model) kept.push(source);
    }
    read += batch.passages.length;
    const last = batch.passages.at(-1);
    if (!last || batch.passages.length < PASSAGES_PER_READ) break;
    if (read >= MAX_PASSAGES_READ) {
      truncated = true;
      break;
    }
    from = last.index + 1;
  }
  reader.end();
  if (version === null) {
    throw new ProposalRefusal(
      `“${file.fileName}” has no searchable text yet. Wait until the Library shows it as ready, then try again.`,
      409,
    );
  }
  let model: FindResult["model"] = null;
  let fromModel: Candidate[] = [];
  if (deps.model && kept.length) {
    const run = await modelCandidates(deps.model, kept);
    fromModel = run.candidates;
    model = { calls: run.calls, failures: run.failures, found: run.candidates.length };
  }
  const candidates = mergeCandidates([...offline, ...fromModel]).slice(0, MAX_PROPOSALS_PER_FILE);
  const added = await storeCandidates(deps.db, access, file, version, candidates);
  return { found: candidates.length, added, offline: offline.length, model, truncated };
}

const CHARACTER_KINDS = new Set<ProposalKind>(["npc", "monster"]);

/**
 * One candidate per (kind, name), the first found (its page) winning. An NPC and a monster of
 * the same name are one character: the NPC kind wins, and a stat block's lines join a
 * heading's description.
 */
export function mergeCandidates(candidates: Candidate[]): Candidate[] {
  const byKey = new Map<string, Candidate>();
  for (const candidate of candidates) {
    const nameKey = nameKeyOf(candidate.name);
    const group = CHARACTER_KINDS.has(candidate.kind) ? "character" : candidate.kind;
    const key = `${group}\u0000${nameKey}`;
    const existing = byKey.get(key);
    if (!existing) {
      byKey.set(key, { ...candidate });
      continue;
    }
    if (candidate.kind === "npc") existing.kind = "npc";
    const joins =
      existing.origin !== candidate.origin && candidate.excerpt && !existing.excerpt.includes(candidate.excerpt);
    if (joins && existing.excerpt.length + candidate.excerpt.length < MAX_PROPOSAL_EXCERPT) {
      existing.excerpt = existing.excerpt ? `${existing.excerpt}\n\n${candidate.excerpt}` : candidate.excerpt;
    }
  }
  return [...byKey.values()];
}

/** Inserts new proposals (at most MAX_PROPOSALS_PER_FILE for the file in the campaign); answers how many were new. */
async function storeCandidates(
  db: Db,
  access: CampaignAccess,
  file: FileRow,
  version: number,
  candidates: Candidate[],
): Promise<number> {
  const d1 = db.$client;
  const campaignId = access.campaign.id;
  const now = Date.now();
  const counted = () =>
    d1
      .prepare("SELECT count(*) AS n FROM campaign_proposals WHERE campaign_id = ?1 AND file_key = ?2")
      .bind(campaignId, file.fileKey);
  const inserts: D1PreparedStatement[] = [];
  for (let i = 0; i < candidates.length; i += ROWS_PER_STATEMENT) {
    const rows = candidates.slice(i, i + ROWS_PER_STATEMENT).map((c) => ({ ...c, nameKey: nameKeyOf(c.name) }));
    inserts.push(
      d1
        .prepare(
          `INSERT INTO campaign_proposals (campaign_id, file_key, file_version, kind, name, name_key, excerpt, page,
            heading, passage, origin, created_at, updated_at)
          SELECT ?1, ?2, ?3, json_extract(value, '$.kind'), json_extract(value, '$.name'),
            json_extract(value, '$.nameKey'), json_extract(value, '$.excerpt'), json_extract(value, '$.page'),
            json_extract(value, '$.heading'), json_extract(value, '$.passage'), json_extract(value, '$.origin'), ?4, ?4
          FROM json_each(?5)
          WHERE (SELECT count(*) FROM campaign_proposals WHERE campaign_id = ?1 AND file_key = ?2) + json_each.key < ?6
            AND EXISTS (SELECT 1 FROM campaign_resources WHERE campaign_id = ?1 AND file_key = ?2)
          ON CONFLICT (campaign_id, file_key, kind, name_key) DO UPDATE SET file_version = excluded.file_version,
            excerpt = excluded.excerpt, page = excluded.page, heading = excluded.heading, passage = excluded.passage,
            origin = excluded.origin, updated_at = excluded.updated_at
          WHERE campaign_proposals.status = 'pending' AND campaign_proposals.file_version != excluded.file_version`,
        )
        .bind(campaignId, file.fileKey, version, now, JSON.stringify(rows), MAX_PROPOSALS_PER_FILE),
    );
  }
  const results = await d1.batch<{ n: number }>([counted(), ...inserts, counted()]);
  const before = results[0]?.results[0]?.n ?? 0;
  const after = results.at(-1)?.results[0]?.n ?? 0;
  return after - before;
}

// ── The review list ─────────────────────────────────────────────────────────

export interface ProposalFilter {
  fileKey?: string;
  status: ProposalStatus | "all";
  page: number;
}

/**
 * Only proposals of files still attached to the campaign are shown or decided. The outer
 * columns are written qualified: drizzle leaves them bare in an UPDATE, where inside this
 * subquery they would name the resource's own columns (policy.server.ts has the same care).
 */
const attached = sql.raw(`EXISTS (SELECT 1 FROM campaign_resources r
  WHERE r.campaign_id = "campaign_proposals"."campaign_id" AND r.file_key = "campaign_proposals"."file_key")`);

export async function listProposals(db: Db, access: CampaignAccess, filter: ProposalFilter) {
  const where = and(
    eq(campaignProposals.campaignId, access.campaign.id),
    attached,
    filter.fileKey ? eq(campaignProposals.fileKey, filter.fileKey) : undefined,
    filter.status === "all" ? undefined : eq(campaignProposals.status, filter.status),
  );
  const [rows, [total], files] = await db.batch([
    db
      .select({
        proposal: campaignProposals,
        fileName: fileMetadata.fileName,
        contentType: fileMetadata.contentType,
      })
      .from(campaignProposals)
      .innerJoin(fileMetadata, eq(fileMetadata.fileKey, campaignProposals.fileKey))
      .where(where)
      .orderBy(asc(campaignProposals.id))
      .limit(PROPOSALS_PER_PAGE)
      .offset((filter.page - 1) * PROPOSALS_PER_PAGE),
    db.select({ n: count() }).from(campaignProposals).where(where),
    // Every attached file, with how many proposals wait in it (the filter and the empty state).
    db
      .select({
        fileKey: campaignResources.fileKey,
        fileName: fileMetadata.fileName,
        status: fileMetadata.status,
        pending: sql<number>`(SELECT count(*) FROM campaign_proposals p WHERE p.campaign_id = ${sql.raw(`"campaign_resources"."campaign_id"`)}
          AND p.file_key = ${sql.raw(`"campaign_resources"."file_key"`)} AND p.status = 'pending')`,
      })
      .from(campaignResources)
      .innerJoin(fileMetadata, eq(fileMetadata.fileKey, campaignResources.fileKey))
      .where(eq(campaignResources.campaignId, access.campaign.id))
      .orderBy(asc(fileMetadata.fileName)),
  ]);
  const matches = await sameNamed(
    db,
    access,
    rows.filter((row) => row.proposal.status === "pending").map((row) => row.proposal),
  );
  const links = fileLinks(access.campaign.id);
  return {
    total: total?.n ?? 0,
    files,
    proposals: rows.map(({ proposal, fileName, contentType }) => ({
      ...proposal,
      fileName,
      source: sourceOf(links, proposal, fileName, contentType),
      matches: matches.get(proposal.id) ?? [],
    })),
  };
}

export interface MergeTarget {
  kind: "entry" | "character";
  id: number;
  title: string;
  version: number;
}

/** Existing entries and characters with a proposal's name: the one-click merges beside it. */
async function sameNamed(db: Db, access: CampaignAccess, proposals: CampaignProposal[]) {
  const found = new Map<number, MergeTarget[]>();
  if (proposals.length === 0) return found;
  const keys = [...new Set(proposals.map((p) => p.nameKey))];
  const [entries, characters] = await db.batch([
    db
      .select({ id: campaignContext.id, title: campaignContext.title, version: campaignContext.version })
      .from(campaignContext)
      .where(
        and(eq(campaignContext.campaignId, access.campaign.id), inArray(sql`lower(${campaignContext.title})`, keys)),
      ),
    db
      .select({
        id: campaignCharacters.id,
        title: campaignCharacters.characterName,
        version: campaignCharacters.version,
      })
      .from(campaignCharacters)
      .where(
        and(
          eq(campaignCharacters.campaignId, access.campaign.id),
          inArray(sql`lower(${campaignCharacters.characterName})`, keys),
        ),
      ),
  ]);
  for (const proposal of proposals) {
    const target = targetOf(proposal.kind);
    const pool =
      target.table === "character"
        ? characters.map((c) => ({ ...c, kind: "character" as const }))
        : entries.map((e) => ({ ...e, kind: "entry" as const }));
    const same = pool.filter((t) => nameKeyOf(t.title) === proposal.nameKey);
    if (same.length) found.set(proposal.id, same);
  }
  return found;
}

/** What a proposal may be merged into: the campaign's characters (NPCs, monsters) or entries (the rest), by title. */
export async function mergeTargets(db: Db, access: CampaignAccess, kind: ProposalKind): Promise<MergeTarget[]> {
  const limit = 500;
  if (targetOf(kind).table === "character") {
    const rows = await db
      .select({
        id: campaignCharacters.id,
        title: campaignCharacters.characterName,
        version: campaignCharacters.version,
      })
      .from(campaignCharacters)
      .where(eq(campaignCharacters.campaignId, access.campaign.id))
      .orderBy(asc(campaignCharacters.characterName))
      .limit(limit);
    return rows.map((row) => ({ ...row, kind: "character" }));
  }
  const rows = await db
    .select({ id: campaignContext.id, title: campaignContext.title, version: campaignContext.version })
    .from(campaignContext)
    .where(eq(campaignContext.campaignId, access.campaign.id))
    .orderBy(asc(campaignContext.title))
    .limit(limit);
  return rows.map((row) => ({ ...row, kind: "entry" }));
}

/** One pending-or-not proposal of the campaign, with its file (attached files only). */
export async function getProposal(db: Db, access: CampaignAccess, proposalId: number) {
  const [row] = await db
    .select({ proposal: campaignProposals, fileName: fileMetadata.fileName, contentType: fileMetadata.contentType })
    .from(campaignProposals)
    .innerJoin(fileMetadata, eq(fileMetadata.fileKey, campaignProposals.fileKey))
    .where(and(eq(campaignProposals.id, proposalId), eq(campaignProposals.campaignId, access.campaign.id), attached));
  return row ?? null;
}

type Links = ReturnType<typeof fileLinks>;

/** Where a proposal was found, as a link a GM (and anyone who may read the file) can open. */
function sourceOf(links: Links, proposal: CampaignProposal, fileName: string, contentType: string) {
  const isPdf = kindOfContentType(contentType) === "pdf";
  const href =
    isPdf && proposal.page
      ? links.bytes(proposal.fileKey, proposal.page)
      : links.reader(proposal.fileKey, proposal.passage ?? undefined);
  const where = proposal.page ? `page ${proposal.page}` : proposal.heading || "";
  return { href, label: where ? `${fileName}, ${where}` : fileName };
}

// ── Decisions ───────────────────────────────────────────────────────────────

export class ProposalDecided extends Refusal {
  override name = "ProposalDecided";
  constructor(status: ProposalStatus) {
    super(
      `This proposal was already ${status === "merged" ? "merged" : status}: nothing was changed. Reload the list to see where it went.`,
      409,
    );
  }
}

/** Markdown of plain book text: characters Markdown would read as syntax are escaped, each line kept. */
function markdownOf(text: string): string {
  return text
    .split("\n")
    .map((line) => line.replace(/([\\`*_[\]<>#|~])/g, "\\$1").replace(/^(\s*)([-+]|\d+[.)])(\s)/, "$1\\$2$3"))
    .join("  \n")
    .trim();
}

/** The text an accepted or merged proposal adds: its excerpt and a link to where it came from. */
export function sourceMarkdown(
  proposal: Pick<CampaignProposal, "fileKey" | "page" | "heading" | "passage">,
  fileName: string,
  contentType: string,
  campaignId: string,
  excerpt: string,
): string {
  const { href, label } = sourceOf(fileLinks(campaignId), proposal as CampaignProposal, fileName, contentType);
  const link = `*Source: [${markdownOf(label)}](${href})*`;
  const body = markdownOf(excerpt);
  return body ? `${body}\n\n${link}` : link;
}

/** "Armor Class 17 (natural armor)" and its kin, as a character's stats. */
function statsOf(excerpt: string): { key: string; value: string }[] {
  const stats: { key: string; value: string }[] = [];
  for (const line of excerpt.split("\n")) {
    const match = /^(Armor Class|Hit Points|Speed|Challenge) (.{1,200})$/.exec(line.trim());
    if (match?.[1] && match[2]) stats.push({ key: match[1], value: match[2] });
  }
  return stats;
}

export interface Decision {
  targetKind: "entry" | "character";
  targetId: number;
  title: string;
}

/**
 * Accepts a pending proposal (as found, or as the GM edited it): a new entry or NPC with its
 * excerpt and a link to its source, GM-only, created in the same batch that marks the
 * proposal accepted — and only if it was still pending and the account's quota holds.
 */
export async function acceptProposal(
  deps: Pick<ProposalDeps, "db" | "rows">,
  access: CampaignAccess,
  proposalId: number,
  edited: Omit<EditedProposal, "proposalId"> | null = null,
): Promise<Decision | null> {
  const { db } = deps;
  const found = await getProposal(db, access, proposalId);
  if (!found) return null;
  const { proposal, fileName, contentType } = found;
  if (proposal.status !== "pending") throw new ProposalDecided(proposal.status);
  const name = edited?.name ?? proposal.name;
  const kind = edited?.kind ?? proposal.kind;
  const excerpt = edited ? edited.excerpt : proposal.excerpt;
  const target = targetOf(kind);
  const campaign = access.campaign;
  const rows = deps.rows ?? DEFAULT_ROW_LIMITS;
  const text = sourceMarkdown(proposal, fileName, contentType, campaign.id, excerpt);
  const source = {
    proposalId: proposal.id,
    fileKey: proposal.fileKey,
    fileName,
    page: proposal.page,
    heading: proposal.heading,
  };
  const now = Date.now();
  const claim = crypto.randomUUID();
  const d1 = db.$client;
  const isCharacter = target.table === "character";
  const held = isCharacter
    ? `(SELECT count(*) FROM campaign_characters x JOIN campaigns c ON c.id = x.campaign_id WHERE c.username = ?5)`
    : `(SELECT count(*) FROM campaign_context x JOIN campaigns c ON c.id = x.campaign_id WHERE c.username = ?5)`;
  const claimIt = d1
    .prepare(
      `UPDATE campaign_proposals SET status = 'accepted', claim = ?3, name = ?6, kind = ?7, decided_by = ?8,
        decided_at = ?4, updated_at = ?4
      WHERE id = ?1 AND campaign_id = ?2 AND status = 'pending'
        AND EXISTS (SELECT 1 FROM campaign_resources r WHERE r.campaign_id = ?2 AND r.file_key = campaign_proposals.file_key)
        AND ${held} < ?9`,
    )
    .bind(
      proposal.id,
      campaign.id,
      claim,
      now,
      campaign.username,
      name,
      kind,
      access.account.id,
      isCharacter ? rows.characters : rows.entries,
    );
  const metadata = isCharacter ? { stats: statsOf(excerpt), source } : { source };
  const insert = isCharacter
    ? d1
        .prepare(
          `INSERT INTO campaign_characters (campaign_id, character_name, character_type, status, backstory,
            backstory_public, audience, audience_tokens, metadata, created_at, updated_at)
          SELECT ?2, ?4, 'npc', 'alive', ?5, ?6, 'gm', ?7, ?8, ?9, ?9 FROM campaign_proposals
          WHERE id = ?1 AND claim = ?3 RETURNING id`,
        )
        .bind(
          proposal.id,
          campaign.id,
          claim,
          name,
          text,
          withoutSecrets(text),
          AUDIENCE_GM,
          JSON.stringify(metadata),
          now,
        )
    : d1
        .prepare(
          `INSERT INTO campaign_context (campaign_id, context_type, title, content, content_public, tags, audience,
            audience_tokens, metadata, created_at, updated_at)
          SELECT ?2, ?4, ?5, ?6, ?7, '', 'gm', ?8, ?9, ?10, ?10 FROM campaign_proposals
          WHERE id = ?1 AND claim = ?3 RETURNING id`,
        )
        .bind(
          proposal.id,
          campaign.id,
          claim,
          target.table === "entry" ? target.contextType : "other",
          name,
          text,
          withoutSecrets(text),
          AUDIENCE_GM,
          JSON.stringify(metadata),
          now,
        );
  const table = isCharacter ? "campaign_characters" : "campaign_context";
  const link = d1
    .prepare(
      `UPDATE campaign_proposals SET target_kind = ?4, target_id = (SELECT max(x.id) FROM ${table} x
        WHERE x.campaign_id = ?2 AND json_extract(x.metadata, '$.source.proposalId') = ?1)
      WHERE id = ?1 AND claim = ?3`,
    )
    .bind(proposal.id, campaign.id, claim, isCharacter ? "character" : "entry");
  const touch = d1
    .prepare(
      `UPDATE campaigns SET updated_at = ?3 WHERE id = ?2
        AND EXISTS (SELECT 1 FROM campaign_proposals WHERE id = ?1 AND claim = ?4)`,
    )
    .bind(proposal.id, campaign.id, now, claim);
  const [, inserted] = await d1.batch<{ id: number }>([claimIt, insert, link, touch]);
  const created = inserted?.results[0];
  if (created) return { targetKind: isCharacter ? "character" : "entry", targetId: created.id, title: name };
  // Not claimed: decided meanwhile, detached, or the quota is full.
  const now2 = await getProposal(db, access, proposalId);
  if (!now2) return null;
  if (now2.proposal.status !== "pending") throw new ProposalDecided(now2.proposal.status);
  throw new QuotaExceeded(
    isCharacter
      ? `Your campaigns hold ${rows.characters.toLocaleString("en")} characters, the most one account can. Delete characters you no longer need, or merge this proposal into one.`
      : `Your campaigns hold ${rows.entries.toLocaleString("en")} lore and context entries, the most one account can. Delete entries you no longer need, or merge this proposal into one.`,
  );
}

export class MergeConflict extends Refusal {
  override name = "MergeConflict";
  constructor(title: string) {
    super(
      `“${title}” was changed since this page was loaded, so nothing was merged. Reload the page and merge again.`,
      409,
    );
  }
}

/**
 * Merges a pending proposal into an existing entry or character: its excerpt and source
 * link are appended to the text, at the version the GM's form showed (a newer version
 * refuses with MergeConflict), and the proposal is marked merged — one batch.
 */
export async function mergeProposal(
  db: Db,
  access: CampaignAccess,
  proposalId: number,
  target: { kind: "entry" | "character"; id: number; version: number },
): Promise<Decision | null> {
  const found = await getProposal(db, access, proposalId);
  if (!found) return null;
  const { proposal, fileName, contentType } = found;
  if (proposal.status !== "pending") throw new ProposalDecided(proposal.status);
  const campaign = access.campaign;
  const current =
    target.kind === "entry"
      ? await db
          .select({
            title: campaignContext.title,
            text: campaignContext.content,
            version: campaignContext.version,
            audience: campaignContext.audience,
          })
          .from(campaignContext)
          .where(and(eq(campaignContext.id, target.id), eq(campaignContext.campaignId, campaign.id)))
          .then((rows) => rows[0])
      : await db
          .select({
            title: campaignCharacters.characterName,
            text: campaignCharacters.backstory,
            version: campaignCharacters.version,
            audience: campaignCharacters.audience,
          })
          .from(campaignCharacters)
          .where(and(eq(campaignCharacters.id, target.id), eq(campaignCharacters.campaignId, campaign.id)))
          .then((rows) => rows[0]);
  if (!current) return null;
  if (current.version !== target.version) throw new MergeConflict(current.title);
  const source = sourceMarkdown(proposal, fileName, contentType, campaign.id, proposal.excerpt);
  // Merged into something already shared, the book's text and its file stay the GMs' until they move it out.
  const added = current.audience === "gm" ? source : asSecretBlock(source);
  const text = current.text.trim() ? `${current.text.trimEnd()}\n\n${added}` : added;
  if (text.length > MAX_MARKDOWN_LENGTH) {
    throw new ProposalRefusal(
      `“${current.title}” would grow past ${MAX_MARKDOWN_LENGTH.toLocaleString("en")} characters, so nothing was merged. Shorten it first, or accept this proposal as a new one.`,
      409,
    );
  }
  const now = Date.now();
  const claim = crypto.randomUUID();
  const d1 = db.$client;
  const [table, textColumn, publicColumn] =
    target.kind === "entry"
      ? ["campaign_context", "content", "content_public"]
      : ["campaign_characters", "backstory", "backstory_public"];
  const [claimed, updated] = await d1.batch<{ id: number }>([
    d1
      .prepare(
        `UPDATE campaign_proposals SET status = 'merged', claim = ?3, target_kind = ?5, target_id = ?6,
          decided_by = ?7, decided_at = ?4, updated_at = ?4
        WHERE id = ?1 AND campaign_id = ?2 AND status = 'pending'
          AND EXISTS (SELECT 1 FROM campaign_resources r WHERE r.campaign_id = ?2 AND r.file_key = campaign_proposals.file_key)
          AND EXISTS (SELECT 1 FROM ${table} x WHERE x.id = ?6 AND x.campaign_id = ?2 AND x.version = ?8)
        RETURNING id`,
      )
      .bind(proposal.id, campaign.id, claim, now, target.kind, target.id, access.account.id, target.version),
    // The text was read at this version: the version check keeps it from overwriting an edit made since.
    d1
      .prepare(
        `UPDATE ${table} SET ${textColumn} = ?3, ${publicColumn} = ?4, version = version + 1, updated_at = ?5
        WHERE id = ?1 AND campaign_id = ?2 AND version = ?6
          AND EXISTS (SELECT 1 FROM campaign_proposals WHERE id = ?7 AND claim = ?8)
        RETURNING id`,
      )
      .bind(target.id, campaign.id, text, withoutSecrets(text), now, target.version, proposal.id, claim),
    d1
      .prepare(
        `UPDATE campaigns SET updated_at = ?2 WHERE id = ?1
          AND EXISTS (SELECT 1 FROM campaign_proposals WHERE id = ?3 AND claim = ?4)`,
      )
      .bind(campaign.id, now, proposal.id, claim),
  ]);
  if (claimed?.results.length && updated?.results.length) {
    return { targetKind: target.kind, targetId: target.id, title: current.title };
  }
  const again = await getProposal(db, access, proposalId);
  if (!again) return null;
  if (again.proposal.status !== "pending") throw new ProposalDecided(again.proposal.status);
  throw new MergeConflict(current.title);
}

/** Rejects a pending proposal (it stays rejected when the file is read again); false when it was not pending. */
export async function rejectProposal(db: Db, access: CampaignAccess, proposalId: number): Promise<boolean | null> {
  const now = Date.now();
  const rejected = await db
    .update(campaignProposals)
    .set({ status: "rejected", decidedBy: access.account.id, decidedAt: now, updatedAt: now, claim: null })
    .where(
      and(
        eq(campaignProposals.id, proposalId),
        eq(campaignProposals.campaignId, access.campaign.id),
        eq(campaignProposals.status, "pending"),
        attached,
      ),
    )
    .returning({ id: campaignProposals.id });
  if (rejected.length) return true;
  const found = await getProposal(db, access, proposalId);
  if (!found) return null;
  throw new ProposalDecided(found.proposal.status);
}

/**
 * Accepts each of several proposals, each in its own batch (one failing — already decided,
 * quota — leaves the others accepted); answers what happened to each.
 */
export async function acceptMany(
  deps: Pick<ProposalDeps, "db" | "rows">,
  access: CampaignAccess,
  proposalIds: number[],
): Promise<{ accepted: Decision[]; skipped: number }> {
  const accepted: Decision[] = [];
  let skipped = 0;
  for (const id of [...new Set(proposalIds)]) {
    try {
      const decision = await acceptProposal(deps, access, id);
      if (decision) accepted.push(decision);
      else skipped++;
    } catch (error) {
      if (!(error instanceof Refusal)) throw error;
      skipped++;
      if (error instanceof QuotaExceeded) break;
    }
  }
  return { accepted, skipped };
}
