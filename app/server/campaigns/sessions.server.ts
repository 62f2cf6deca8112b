import { and, asc, desc, eq, gt, ne, type SQL, sql } from "drizzle-orm";
import { z } from "zod";
import type { Audience } from "~/lib/members";
import { MAX_SESSIONS_PER_CAMPAIGN, SESSIONS_PAGE, type SessionInput, sessionSchema } from "~/lib/session-schemas";
import { linkKey, MAX_LINKS_PER_TEXT, WIKI_LINK, wikiLinkNames } from "~/lib/wiki-links";
import { plainInline } from "../assistant/quotes.server";
import type { Db } from "../db/db.server";
import { insertWithinQuota, QuotaExceeded } from "../db/quota.server";
import { type Campaign, type CampaignSession, campaignCharacters, campaignSessions } from "../db/schema";
import { Refusal } from "../http/responses.server";
import { touchCampaign } from "./campaigns.server";
import { VersionConflictError } from "./errors.server";
import { linkResolver } from "./links.server";
import { type CampaignReader, can, visibleCharacters, visibleSessions } from "./policy.server";
import { withoutSecrets } from "./secrets.server";

/**
 * A campaign's sessions (issue 16, ADR 0037). Reads take the reader and answer only the
 * sessions the policy lets them see (visibleSessions) — for anyone who may not see secrets,
 * only shared sessions, with the recap's public text and never the notes. Writes, which
 * only GMs reach, take the campaign row; every check a write depends on (the number is
 * free, the attendees are the campaign's own player characters, the campaign has room)
 * is part of the write's own statement.
 */

export type { CampaignSession };

/** A session's number is already used in the campaign, or its attendees are not the campaign's player characters. */
export class SessionRefused extends Refusal {
  override name = "SessionRefused";
  constructor(
    readonly field: "number" | "attendeeIds",
    message: string,
  ) {
    super(message, 409);
  }
}

/** Someone who was there, as the reader may see them: a hidden character is not listed. */
export interface Attendee {
  id: number;
  name: string;
  href: string;
}

/** A name a session's text links to with `[[…]]`, resolved for the reader (href null: nothing has that name). */
export interface LinkedName {
  name: string;
  href: string | null;
  /** For a GM, where to create what nothing has yet. */
  createHref: string | null;
}

const sessionHref = (campaignId: string, sessionId: number) => `/campaigns/${campaignId}/sessions/${sessionId}`;

/** The recap's first lines a timeline shows. */
const EXCERPT_LINES = 3;
const EXCERPT_CHARS = 280;

/**
 * The first lines of a recap as plain text: no Markdown marks, `[[links]]` as their shown
 * text, no citation markers, and nothing of its sources list.
 */
export function plainExcerpt(markdown: string): string {
  const lines: string[] = [];
  let fence = false;
  for (const raw of markdown.split("\n")) {
    const line = raw.trim();
    if (/^(```|~~~)/.test(line)) fence = !fence;
    if (fence || !line || /^(```|~~~)/.test(line) || /^([-*_])(\s*\1){2,}$/.test(line)) continue;
    if (/^\*\*Sources\*\*$/.test(line)) break;
    // A heading (or a bold line standing as one) ends the first section: the summary is its opening text.
    if (/^#{1,6}\s/.test(line) || /^\*\*[^*]+\*\*:?$/.test(line)) {
      if (lines.length > 0) break;
      continue;
    }
    const text = plainInline(
      line
        .replace(/^#{1,6}\s+/, "")
        .replace(/^(>\s?)+/, "")
        .replace(/^(?:[-*+]|\d{1,3}[.)])\s+/, "")
        .replace(WIKI_LINK, (_, name: string, shown?: string) => shown ?? name)
        .replace(/\s?\[\d{1,3}\]/g, ""),
    );
    if (text) lines.push(text);
    if (lines.length >= EXCERPT_LINES) break;
  }
  const text = lines.join(" ");
  if (text.length <= EXCERPT_CHARS) return text;
  const space = text.lastIndexOf(" ", EXCERPT_CHARS);
  return `${text.slice(0, space > EXCERPT_CHARS / 2 ? space : EXCERPT_CHARS).trimEnd()} …`;
}

/** The texts of a session the reader may read: notes and recap for a GM, the shared recap's public text for anyone else. */
function readableTexts(reader: CampaignReader, row: Pick<CampaignSession, "notes" | "recap" | "recapPublic">) {
  return can(reader.role, "seeSecrets") ? [row.notes, row.recap] : [row.recapPublic];
}

/** The columns a reader gets: for anyone who may not see secrets, the recap's public text and no notes at all. */
function readableColumns(reader: CampaignReader) {
  const gm = can(reader.role, "seeSecrets");
  return {
    id: campaignSessions.id,
    campaignId: campaignSessions.campaignId,
    number: campaignSessions.number,
    playedOn: campaignSessions.playedOn,
    title: campaignSessions.title,
    attendeeIds: campaignSessions.attendeeIds,
    guests: campaignSessions.guests,
    notes: gm ? campaignSessions.notes : sql<string>`''`,
    recap: gm ? campaignSessions.recap : campaignSessions.recapPublic,
    recapPublic: campaignSessions.recapPublic,
    audience: campaignSessions.audience,
    version: campaignSessions.version,
    createdAt: campaignSessions.createdAt,
    updatedAt: campaignSessions.updatedAt,
  };
}

export type ReadableSession = Awaited<ReturnType<typeof getSession>> & {};

/** The session if the reader may see it, as they may read it. */
export async function getSession(db: Db, reader: CampaignReader, sessionId: number) {
  const [row] = await db
    .select(readableColumns(reader))
    .from(campaignSessions)
    .where(
      and(
        eq(campaignSessions.id, sessionId),
        eq(campaignSessions.campaignId, reader.campaign.id),
        visibleSessions(reader),
      ),
    );
  return row;
}

/** The attendees of these sessions the reader may see, by character id (one query for a page of sessions). */
async function attendeesOf(db: Db, reader: CampaignReader, ids: number[]): Promise<Map<number, Attendee>> {
  const unique = [...new Set(ids)];
  if (unique.length === 0) return new Map();
  const rows = await db
    .select({ id: campaignCharacters.id, name: campaignCharacters.characterName })
    .from(campaignCharacters)
    .where(
      and(
        eq(campaignCharacters.campaignId, reader.campaign.id),
        visibleCharacters(reader),
        sql`${campaignCharacters.id} IN (SELECT value FROM json_each(${JSON.stringify(unique)}))`,
      ),
    );
  const base = `/campaigns/${reader.campaign.id}/characters`;
  return new Map(rows.map((row) => [row.id, { ...row, href: `${base}/${row.id}` }]));
}

/** Each name resolved for the reader, looked up at most MAX_LINKS_PER_TEXT at a time (D1's bound values). */
async function resolveNames(db: Db, reader: CampaignReader, names: string[]): Promise<Map<string, LinkedName>> {
  const unique = [...new Map(names.map((name) => [linkKey(name), name])).values()];
  const resolved = new Map<string, LinkedName>();
  for (let at = 0; at < unique.length; at += MAX_LINKS_PER_TEXT) {
    const chunk = unique.slice(at, at + MAX_LINKS_PER_TEXT);
    const resolver = await linkResolver(db, reader, [chunk.map((name) => `[[${name}]]`).join(" ")]);
    for (const name of chunk) {
      resolved.set(linkKey(name), { name, href: resolver.href(name), createHref: resolver.createHref(name) });
    }
  }
  return resolved;
}

/** The distinct names a session's readable texts link to, in order of first use, at most MAX_LINKS_PER_TEXT. */
function linkedNamesOf(reader: CampaignReader, row: Pick<CampaignSession, "notes" | "recap" | "recapPublic">) {
  const names = new Map<string, string>();
  for (const text of readableTexts(reader, row)) {
    for (const name of wikiLinkNames(text)) if (!names.has(linkKey(name))) names.set(linkKey(name), name);
  }
  return [...names.values()].slice(0, MAX_LINKS_PER_TEXT);
}

/**
 * What a session links to ("what happened to whom"): the entries and characters its
 * readable texts name with `[[…]]` that the reader may see — for a GM its notes and
 * recap, for anyone else the shared recap's public text; for a GM also the names that
 * nothing has yet (to create). A hidden target is left out, as if nothing had its name.
 */
export async function sessionLinks(
  db: Db,
  reader: CampaignReader,
  row: Pick<CampaignSession, "notes" | "recap" | "recapPublic">,
): Promise<LinkedName[]> {
  const names = linkedNamesOf(reader, row);
  const resolved = await resolveNames(db, reader, names);
  return names.flatMap((name) => {
    const link = resolved.get(linkKey(name));
    return link && (link.href || link.createHref) ? [link] : [];
  });
}

/** A session as the reader may see it, with its attendees and links: what the session page shows. */
export async function sessionView(db: Db, reader: CampaignReader, sessionId: number) {
  const row = await getSession(db, reader, sessionId);
  if (!row) return undefined;
  const [attendees, links] = await Promise.all([
    attendeesOf(db, reader, row.attendeeIds),
    sessionLinks(db, reader, row),
  ]);
  return {
    ...row,
    attendees: row.attendeeIds.flatMap((id) => attendees.get(id) ?? []),
    links: links.filter((link) => link.href),
    missing: links.filter((link) => !link.href),
  };
}

/** The linked names a timeline card shows (the session page lists them all). */
export const TIMELINE_LINKS = 12;

export interface TimelineSession {
  id: number;
  number: number;
  playedOn: string;
  title: string;
  href: string;
  attendees: Attendee[];
  guests: string[];
  /** For the GMs only: who may see it. */
  audience: Audience | null;
  /** The recap's first lines as plain text (its public text: a list never shows a secret block). */
  recapExcerpt: string;
  links: { name: string; href: string }[];
}

/**
 * The campaign's sessions the reader may see, newest first (by the day played, then by
 * number), a page at a time: each with its attendees, the first lines of its recap and
 * what it links to.
 */
export async function listSessions(
  db: Db,
  reader: CampaignReader,
  { page = 1 }: { page?: number } = {},
): Promise<{ sessions: TimelineSession[]; hasMore: boolean }> {
  const gm = can(reader.role, "seeSecrets");
  const rows = await db
    .select({
      id: campaignSessions.id,
      number: campaignSessions.number,
      playedOn: campaignSessions.playedOn,
      title: campaignSessions.title,
      attendeeIds: campaignSessions.attendeeIds,
      guests: campaignSessions.guests,
      audience: campaignSessions.audience,
      // Only what the links and the excerpt are read from: a player's page never holds the notes.
      notes: gm ? campaignSessions.notes : sql<string>`''`,
      recap: gm ? campaignSessions.recap : campaignSessions.recapPublic,
      recapPublic: campaignSessions.recapPublic,
    })
    .from(campaignSessions)
    .where(and(eq(campaignSessions.campaignId, reader.campaign.id), visibleSessions(reader)))
    .orderBy(desc(campaignSessions.playedOn), desc(campaignSessions.number))
    .limit(SESSIONS_PAGE + 1)
    .offset((page - 1) * SESSIONS_PAGE);
  const shown = rows.slice(0, SESSIONS_PAGE);
  // A timeline card shows a few names; a page looks up at most SESSIONS_PAGE × TIMELINE_LINKS.
  const names = shown.map((row) => linkedNamesOf(reader, row).slice(0, TIMELINE_LINKS));
  const [attendees, resolved] = await Promise.all([
    attendeesOf(
      db,
      reader,
      shown.flatMap((row) => row.attendeeIds),
    ),
    resolveNames(db, reader, names.flat()),
  ]);
  return {
    sessions: shown.map((row, i) => ({
      id: row.id,
      number: row.number,
      playedOn: row.playedOn,
      title: row.title,
      href: sessionHref(reader.campaign.id, row.id),
      attendees: row.attendeeIds.flatMap((id) => attendees.get(id) ?? []),
      guests: row.guests,
      audience: gm ? row.audience : null,
      recapExcerpt: plainExcerpt(row.recapPublic),
      links: (names[i] ?? []).flatMap((name) => {
        const href = resolved.get(linkKey(name))?.href;
        return href ? [{ name, href }] : [];
      }),
    })),
    hasMore: rows.length > SESSIONS_PAGE,
  };
}

/** The number a new session gets by default: one past the highest. */
export async function nextSessionNumber(db: Db, campaign: Campaign): Promise<number> {
  const [row] = await db
    .select({ highest: sql<number | null>`max(${campaignSessions.number})` })
    .from(campaignSessions)
    .where(eq(campaignSessions.campaignId, campaign.id));
  return (row?.highest ?? 0) + 1;
}

/** The campaign's player characters, for the attendance checkboxes (GMs only reach it). */
export async function playerCharacterOptions(db: Db, campaign: Campaign) {
  return db
    .select({ id: campaignCharacters.id, name: campaignCharacters.characterName })
    .from(campaignCharacters)
    .where(and(eq(campaignCharacters.campaignId, campaign.id), eq(campaignCharacters.characterType, "pc")))
    .orderBy(asc(campaignCharacters.characterName))
    .limit(500);
}

/** Every one of `ids` is a player character of `campaign`, as a condition of the write's own statement. */
function attendeesArePcs(campaign: Campaign, ids: number[]): SQL {
  if (ids.length === 0) return sql`1`;
  return sql`((SELECT count(*) FROM campaign_characters c WHERE c.campaign_id = ${campaign.id}
    AND c.character_type = 'pc' AND c.id IN (SELECT value FROM json_each(${JSON.stringify(ids)}))) = ${ids.length})`;
}

/** No other session of `campaign` has this number. */
function numberFree(campaign: Campaign, number: number, exceptId?: number): SQL {
  return sql`NOT EXISTS (SELECT 1 FROM campaign_sessions s WHERE s.campaign_id = ${campaign.id} AND s.number = ${number}
    ${exceptId === undefined ? sql`` : sql`AND s.id != ${exceptId}`})`;
}

function toColumns(input: SessionInput) {
  return {
    number: input.number,
    playedOn: input.playedOn,
    title: input.title,
    attendeeIds: [...new Set(input.attendeeIds)],
    guests: input.guests,
    notes: input.notes,
    notesPublic: withoutSecrets(input.notes),
    recap: input.recap,
    recapPublic: withoutSecrets(input.recap),
    audience: input.audience ?? "gm",
  };
}

/** Why a guarded write of `input` wrote nothing: its number, its attendees, or else the quota. */
async function refusalFor(
  db: Db,
  campaign: Campaign,
  input: SessionInput,
  { exceptId, limit = MAX_SESSIONS_PER_CAMPAIGN }: { exceptId?: number; limit?: number } = {},
): Promise<Refusal> {
  const [taken] = await db
    .select({ id: campaignSessions.id })
    .from(campaignSessions)
    .where(
      and(
        eq(campaignSessions.campaignId, campaign.id),
        eq(campaignSessions.number, input.number),
        exceptId === undefined ? undefined : ne(campaignSessions.id, exceptId),
      ),
    );
  if (taken) {
    const next = await nextSessionNumber(db, campaign);
    return new SessionRefused(
      "number",
      `Session ${input.number} is already in this campaign. Choose another number (${next} is free).`,
    );
  }
  const ids = [...new Set(input.attendeeIds)];
  const [pcs] = await db.all<{ n: number }>(sql`SELECT (${attendeesArePcs(campaign, ids)}) AS n`);
  if (!pcs?.n) {
    return new SessionRefused(
      "attendeeIds",
      "Choose who was there from this campaign's player characters: one of those chosen is not one (any more). Reload the page to see the list as it is now.",
    );
  }
  return new QuotaExceeded(
    `This campaign holds ${limit.toLocaleString("en")} sessions, the most one campaign can. Delete old ones, or start a new campaign for the next arc.`,
  );
}

/**
 * Adds a session, in one statement that holds every check: the number is free, the
 * attendees are the campaign's own player characters, the campaign has fewer than
 * `limit` sessions. Throws SessionRefused or QuotaExceeded (saying which) when it wrote nothing.
 */
export async function createSession(
  db: Db,
  campaign: Campaign,
  input: SessionInput,
  limit = MAX_SESSIONS_PER_CAMPAIGN,
): Promise<CampaignSession> {
  const now = Date.now();
  const columns = toColumns(input);
  // insertWithinQuota writes while `count < limit`: a session whose number or attendees fail counts as "full".
  const count = sql`(CASE WHEN ${attendeesArePcs(campaign, columns.attendeeIds)} AND ${numberFree(campaign, columns.number)}
    THEN (SELECT count(*) FROM campaign_sessions WHERE campaign_id = ${campaign.id}) ELSE ${limit} END)`;
  const created = await insertWithinQuota(
    db,
    campaignSessions,
    { campaignId: campaign.id, ...columns, createdAt: now, updatedAt: now },
    count,
    limit,
  );
  if (!created) throw await refusalFor(db, campaign, input, { limit });
  await touchCampaign(db, campaign, now);
  return created;
}

/**
 * Saves a session at the version its form started from, in one statement that also holds
 * "the number is free" and "the attendees are the campaign's player characters".
 * Undefined when there is no such session; throws VersionConflictError (with the saved
 * session) when it moved on, and SessionRefused when a check failed.
 */
export async function updateSession(
  db: Db,
  campaign: Campaign,
  sessionId: number,
  version: number,
  input: SessionInput,
): Promise<CampaignSession | undefined> {
  const now = Date.now();
  const columns = toColumns(input);
  const [[updated]] = await db.batch([
    db
      .update(campaignSessions)
      .set({ ...columns, version: sql`${campaignSessions.version} + 1`, updatedAt: now })
      .where(
        and(
          eq(campaignSessions.id, sessionId),
          eq(campaignSessions.campaignId, campaign.id),
          eq(campaignSessions.version, version),
          attendeesArePcs(campaign, columns.attendeeIds),
          numberFree(campaign, columns.number, sessionId),
        ),
      )
      .returning(),
    touchCampaign(db, campaign, now),
  ]);
  if (updated) return updated;
  const [current] = await db
    .select()
    .from(campaignSessions)
    .where(and(eq(campaignSessions.id, sessionId), eq(campaignSessions.campaignId, campaign.id)));
  if (!current) return undefined;
  if (current.version !== version) throw new VersionConflictError(current);
  throw await refusalFor(db, campaign, input, { exceptId: sessionId });
}

/** Deletes one of the campaign's sessions; false when there is none. */
export async function deleteSession(db: Db, campaign: Campaign, sessionId: number): Promise<boolean> {
  const now = Date.now();
  const [deleted] = await db.batch([
    db
      .delete(campaignSessions)
      .where(and(eq(campaignSessions.id, sessionId), eq(campaignSessions.campaignId, campaign.id)))
      .returning({ id: campaignSessions.id }),
    touchCampaign(db, campaign, now),
  ]);
  return deleted.length > 0;
}

// ——— Export and import (issue 16 points 5 and 6: the lead wires these) ———

/** One session as an export holds it, for its reader: a non-GM's has no notes and the recap's public text. */
export interface ExportedSession {
  id: number;
  number: number;
  playedOn: string;
  title: string;
  /** Ids of the attendees the reader may see. */
  attendeeIds: number[];
  guests: string[];
  /** Null for anyone who may not see the notes. */
  notes: string | null;
  recap: string;
  /** Null for anyone who may not see who a session is for (always "campaign" for them). */
  audience: Audience | null;
  version: number;
  createdAt: number;
  updatedAt: number;
}

/** Sessions an export reads in one query: bounded memory however many a campaign has. */
export const EXPORT_PAGE = 50;

/**
 * Every session of the campaign the reader may see, as they may read it, in creation order,
 * a page at a time (an async generator, so an export streams them): for a GM with notes,
 * for anyone else only shared sessions, without notes, with the recap's public text and
 * only the attendees they may see.
 */
export async function* sessionsForExport(db: Db, reader: CampaignReader): AsyncGenerator<ExportedSession[]> {
  const gm = can(reader.role, "seeSecrets");
  let after = 0;
  for (;;) {
    const rows = await db
      .select(readableColumns(reader))
      .from(campaignSessions)
      .where(
        and(
          eq(campaignSessions.campaignId, reader.campaign.id),
          visibleSessions(reader),
          gt(campaignSessions.id, after),
        ),
      )
      .orderBy(asc(campaignSessions.id))
      .limit(EXPORT_PAGE);
    if (rows.length === 0) return;
    const visible = await attendeesOf(
      db,
      reader,
      rows.flatMap((row) => row.attendeeIds),
    );
    yield rows.map((row) => ({
      id: row.id,
      number: row.number,
      playedOn: row.playedOn,
      title: row.title,
      attendeeIds: row.attendeeIds.filter((id) => visible.has(id)),
      guests: row.guests,
      notes: gm ? row.notes : null,
      recap: row.recap,
      audience: gm ? row.audience : null,
      version: row.version,
      createdAt: row.createdAt,
      updatedAt: row.updatedAt,
    }));
    if (rows.length < EXPORT_PAGE) return;
    after = rows.at(-1)?.id ?? after;
  }
}

/** One session of an archive to import: the form's fields (attendees already mapped to the new campaign's ids), and its times. */
export const importedSessionSchema = sessionSchema.extend({
  guests: z.array(z.string().trim().min(1).max(80)).max(20).default([]),
  createdAt: z.number().int().positive().optional(),
  updatedAt: z.number().int().positive().optional(),
});
export type ImportedSession = z.input<typeof importedSessionSchema>;

/** Sessions one import batch writes (each row is a statement of one D1 batch). */
export const IMPORT_BATCH = 50;

/**
 * Writes a batch of imported sessions into `campaign`, all or nothing: one D1 batch (one
 * transaction) of one insert each. A row whose checks fail (its number taken, an attendee
 * that is not one of the campaign's player characters, the campaign full) writes the
 * number 0, which the table's CHECK refuses, so the whole batch rolls back. Throws a
 * Refusal saying why; answers the new sessions' ids in the order given.
 */
export async function insertSessions(
  db: Db,
  campaign: Campaign,
  sessions: ImportedSession[],
  limit = MAX_SESSIONS_PER_CAMPAIGN,
): Promise<number[]> {
  if (sessions.length === 0) return [];
  if (sessions.length > IMPORT_BATCH) {
    throw new Refusal(`Import sessions ${IMPORT_BATCH} at a time; this batch has ${sessions.length}.`);
  }
  const parsed = sessions.map((session, i) => {
    const result = importedSessionSchema.safeParse(session);
    if (!result.success) {
      throw new Refusal(`Session ${i + 1} of the batch: ${result.error.issues[0]?.message ?? "it is not a session"}.`);
    }
    return result.data;
  });
  const numbers = new Set(parsed.map((session) => session.number));
  if (numbers.size !== parsed.length) throw new Refusal("Two sessions of the batch have the same number.");
  const now = Date.now();
  const statements = parsed.map((session, i) => {
    const columns = toColumns(session);
    const checks = sql`${attendeesArePcs(campaign, columns.attendeeIds)} AND ${numberFree(campaign, columns.number)}
      AND (SELECT count(*) FROM campaign_sessions WHERE campaign_id = ${campaign.id}) < ${limit}`;
    return db
      .insert(campaignSessions)
      .values({
        campaignId: campaign.id,
        ...columns,
        number: sql`(CASE WHEN ${checks} THEN ${columns.number} ELSE 0 END)`,
        createdAt: session.createdAt ?? now + i,
        updatedAt: session.updatedAt ?? now + i,
      })
      .returning({ id: campaignSessions.id });
  });
  try {
    const [first, ...rest] = statements;
    if (!first) return [];
    const results = await db.batch([first, ...rest]);
    return results.map(([row]) => row?.id ?? 0);
  } catch (error) {
    const text = errorText(error);
    if (!text.includes("campaign_sessions_number_check") && !text.includes("UNIQUE constraint failed")) throw error;
    for (const session of parsed) {
      const refusal = await refusalFor(db, campaign, session, { limit });
      if (!(refusal instanceof QuotaExceeded)) throw refusal;
    }
    throw await refusalFor(db, campaign, parsed[0] as SessionInput, { limit });
  }
}

/** An error's message with its causes' (drizzle wraps D1's "CHECK constraint failed: …" in its own). */
function errorText(error: unknown): string {
  const parts: string[] = [];
  for (let at = error, depth = 0; at && depth < 5; at = (at as { cause?: unknown }).cause, depth++) {
    parts.push(at instanceof Error ? at.message : String(at));
  }
  return parts.join("\n");
}
