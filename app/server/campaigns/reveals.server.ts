import { and, desc, eq, inArray, type SQL, sql } from "drizzle-orm";
import { type Audience, memberTargetSchema, type RevealSubject, revealSchema } from "~/lib/members";
import type { Db } from "../db/db.server";
import {
  type Campaign,
  campaignCharacters,
  campaignContext,
  campaignMembers,
  campaignResources,
  campaignReveals,
  users,
} from "../db/schema";
import { httpError, unknownIntent } from "../http/responses.server";
import { audienceTokensSql, type CampaignAccess, can } from "./policy.server";

/**
 * Revealing (ADR 0026): a GM lets chosen members see an entry, a character or an
 * attached file, or shares it with everyone, and the knowledge ledger records who learned
 * it, when, and in which session. Each reveal is one batch: the ledger rows, the subject's
 * audience and its FTS audience tokens change together, so search, pages and the
 * assistant agree at once.
 */

export interface RevealTarget {
  kind: RevealSubject;
  /** The entry's or character's id, or the file's key. */
  id: string;
}

const subjectTable = {
  entry: { table: campaignContext, idOf: (id: string) => eq(campaignContext.id, Number(id)) },
  character: { table: campaignCharacters, idOf: (id: string) => eq(campaignCharacters.id, Number(id)) },
  file: { table: campaignResources, idOf: (id: string) => eq(campaignResources.fileKey, id) },
} as const;

/**
 * The statements that set the subject's FTS audience tokens from its audience and the
 * ledger, for the end of a batch that changed either: none for a file (search filters
 * files by key).
 */
function retoken(db: Db, campaign: Campaign, subject: RevealTarget) {
  if (subject.kind === "file") return [];
  const table = subject.kind === "entry" ? campaignContext : campaignCharacters;
  const self = sql.raw(`"${subject.kind === "entry" ? "campaign_context" : "campaign_characters"}"`);
  return [
    db
      .update(table)
      .set({ audienceTokens: audienceTokensSql(campaign, subject.kind, sql`${self}."id"`, sql`${self}."audience"`) })
      .where(and(subjectTable[subject.kind].idOf(subject.id), eq(table.campaignId, campaign.id))),
  ];
}

/** The ledger rows about one subject of the campaign. */
const aboutSubject = (campaign: Campaign, subject: RevealTarget) =>
  and(
    eq(campaignReveals.campaignId, campaign.id),
    eq(campaignReveals.subjectKind, subject.kind),
    eq(campaignReveals.subjectId, subject.id),
  );

/**
 * Reveals the subject to the chosen members (players and viewers: GMs see it anyway), or
 * with `to` empty shares it with everyone in the campaign. Ids that are not such members
 * are ignored; a member who already knows is not recorded twice. Answers how many
 * learned it now (everyone: 1), or null when the subject is not the campaign's.
 */
export async function reveal(
  db: Db,
  access: CampaignAccess,
  subject: RevealTarget,
  to: string[],
  sessionLabel: string | null,
  now = Date.now(),
): Promise<number | null> {
  const { campaign, account } = access;
  if (!(await subjectExists(db, campaign, subject))) return null;
  const label = sessionLabel || null;
  if (to.length === 0) {
    const { table, idOf } = subjectTable[subject.kind];
    const statements = [
      db
        .update(table)
        .set({ audience: "campaign" })
        .where(and(idOf(subject.id), eq(table.campaignId, campaign.id))),
      db.insert(campaignReveals).values({
        campaignId: campaign.id,
        subjectKind: subject.kind,
        subjectId: subject.id,
        toAccountId: null,
        sessionLabel: label,
        revealedBy: account.id,
        revealedAt: now,
      }),
    ] as const;
    await db.batch([...statements, ...retoken(db, campaign, subject)]);
    return 1;
  }
  const learners = sql`(SELECT m.account_id FROM campaign_members m
    WHERE m.campaign_id = ${campaign.id} AND m.role IN ('player', 'viewer')
      AND m.account_id IN (SELECT value FROM json_each(${JSON.stringify(to)}))
      AND NOT EXISTS (SELECT 1 FROM campaign_reveals r WHERE r.campaign_id = ${campaign.id}
        AND r.subject_kind = ${subject.kind} AND r.subject_id = ${subject.id} AND r.to_account_id = m.account_id))`;
  const insert = db
    .insert(campaignReveals)
    .select(
      sql`SELECT NULL, ${campaign.id}, ${subject.kind}, ${subject.id}, account_id, ${label}, ${account.id}, ${now}
        FROM ${learners}`,
    )
    .returning({ id: campaignReveals.id });
  const [inserted] = await db.batch([insert, ...retoken(db, campaign, subject)]);
  return inserted.length;
}

/** Takes a reveal back from one member (a mistake at the table): their ledger rows for it go. */
export async function hideFrom(db: Db, access: CampaignAccess, subject: RevealTarget, accountId: string) {
  const { campaign } = access;
  const remove = db
    .delete(campaignReveals)
    .where(and(aboutSubject(campaign, subject), eq(campaignReveals.toAccountId, accountId)))
    .returning({ id: campaignReveals.id });
  const [removed] = await db.batch([remove, ...retoken(db, campaign, subject)]);
  return removed.length > 0;
}

/** The ledger rows of a subject that is going (deleted, detached): a statement for the batch that removes it. */
export function forgetReveals(db: Db, campaign: Campaign, subject: RevealTarget) {
  return db.delete(campaignReveals).where(aboutSubject(campaign, subject));
}

async function subjectExists(db: Db, campaign: Campaign, subject: RevealTarget): Promise<boolean> {
  if (subject.kind !== "file" && !/^\d{1,15}$/.test(subject.id)) return false;
  const { table, idOf } = subjectTable[subject.kind];
  const [row] = await db
    .select({ one: sql`1` })
    .from(table)
    .where(and(idOf(subject.id), eq(table.campaignId, campaign.id)));
  return row !== undefined;
}

/** The characters an account plays in the campaign, by name ("" for none): how a GM knows a player at the table. */
const charactersPlayedBy = (campaign: Campaign, accountId: SQL | typeof campaignMembers.accountId) =>
  sql<string>`coalesce((SELECT group_concat(c.character_name, ', ') FROM campaign_characters c
    WHERE c.campaign_id = ${campaign.id} AND c.player_id = ${accountId}), '')`;

/** The members a GM can reveal something to: the players and viewers, with the characters they play. */
export async function revealableMembers(db: Db, campaign: Campaign) {
  return db
    .select({
      accountId: campaignMembers.accountId,
      username: users.username,
      role: campaignMembers.role,
      plays: charactersPlayedBy(campaign, campaignMembers.accountId),
    })
    .from(campaignMembers)
    .innerJoin(users, eq(users.id, campaignMembers.accountId))
    .where(and(eq(campaignMembers.campaignId, campaign.id), inArray(campaignMembers.role, ["player", "viewer"])))
    .orderBy(users.username);
}

/** Who learned each of some subjects of one kind, and when: what their pages show the GMs. One query. */
async function revealsOf(db: Db, campaign: Campaign, kind: RevealSubject, ids: string[]) {
  return db
    .select({
      subjectId: campaignReveals.subjectId,
      accountId: campaignReveals.toAccountId,
      username: users.username,
      plays: charactersPlayedBy(campaign, sql`${campaignReveals.toAccountId}`),
      sessionLabel: campaignReveals.sessionLabel,
      revealedAt: campaignReveals.revealedAt,
    })
    .from(campaignReveals)
    .leftJoin(users, eq(users.id, campaignReveals.toAccountId))
    .where(
      and(
        eq(campaignReveals.campaignId, campaign.id),
        eq(campaignReveals.subjectKind, kind),
        inArray(campaignReveals.subjectId, ids),
      ),
    )
    .orderBy(desc(campaignReveals.revealedAt));
}

/** The knowledge ledger: every reveal of the campaign, newest first, with what was revealed. */
export async function knowledgeLedger(db: Db, access: CampaignAccess, limit = 200) {
  if (!can(access.role, "seeSecrets")) return [];
  const { campaign } = access;
  const revealer = sql<string>`(SELECT u.username FROM users u WHERE u.id = ${campaignReveals.revealedBy})`;
  const title = sql<string | null>`CASE ${campaignReveals.subjectKind}
    WHEN 'entry' THEN (SELECT e.title FROM campaign_context e WHERE CAST(e.id AS TEXT) = ${campaignReveals.subjectId})
    WHEN 'character' THEN (SELECT p.character_name FROM campaign_characters p WHERE CAST(p.id AS TEXT) = ${campaignReveals.subjectId})
    ELSE (SELECT r.file_name FROM campaign_resources r WHERE r.file_key = ${campaignReveals.subjectId}
      AND r.campaign_id = ${campaign.id}) END`;
  return db
    .select({
      id: campaignReveals.id,
      subjectKind: campaignReveals.subjectKind,
      subjectId: campaignReveals.subjectId,
      title,
      to: users.username,
      by: revealer,
      sessionLabel: campaignReveals.sessionLabel,
      revealedAt: campaignReveals.revealedAt,
    })
    .from(campaignReveals)
    .leftJoin(users, eq(users.id, campaignReveals.toAccountId))
    .where(eq(campaignReveals.campaignId, campaign.id))
    .orderBy(desc(campaignReveals.revealedAt))
    .limit(limit);
}

/**
 * The reveal forms of an entry's or a character's page (RevealPanel): reveals, shares with
 * everyone, or hides again. Answers the toast to show, or null when the subject is not
 * the campaign's (the route answers 404).
 */
export async function handleRevealForm(
  db: Db,
  access: CampaignAccess,
  subject: RevealTarget,
  formData: FormData,
): Promise<string | null> {
  const intent = formData.get("intent");
  if (intent === "hide") {
    const accountId = memberTargetSchema.safeParse({ accountId: formData.get("accountId") });
    if (!accountId.success) return null;
    return (await hideFrom(db, access, subject, accountId.data.accountId))
      ? "Hidden again: they no longer see it."
      : null;
  }
  if (intent !== "reveal") unknownIntent(intent);
  const everyone = formData.get("everyone") === "1";
  const parsed = revealSchema.safeParse({
    to: everyone ? [] : formData.getAll("to"),
    sessionLabel: formData.get("sessionLabel") ?? undefined,
  });
  if (!parsed.success) throw httpError(400, parsed.error.issues[0]?.message ?? "That reveal is not valid.");
  if (!everyone && parsed.data.to.length === 0)
    throw httpError(400, "Choose who learns it, or share it with everyone.");
  const learned = await reveal(db, access, subject, parsed.data.to, parsed.data.sessionLabel ?? null);
  if (learned === null) return null;
  if (everyone) return "Shared with everyone in the campaign.";
  return learned ? `Revealed to ${learned === 1 ? "one person" : `${learned} people`}.` : "They knew it already.";
}

/**
 * What the GMs' reveal panels show for some subjects of one kind (a page's entry, or every
 * file of the files tab), by subject id, in two queries; null for anyone who may not reveal.
 */
export async function revealPanels(
  db: Db,
  access: CampaignAccess,
  kind: RevealSubject,
  subjects: { id: string; audience: Audience }[],
) {
  if (!can(access.role, "reveal")) return null;
  const [members, known] = await Promise.all([
    revealableMembers(db, access.campaign),
    subjects.length
      ? revealsOf(
          db,
          access.campaign,
          kind,
          subjects.map((s) => s.id),
        )
      : [],
  ]);
  return new Map(
    subjects.map(({ id, audience }) => [id, { audience, members, known: known.filter((row) => row.subjectId === id) }]),
  );
}

/** The reveal panel of one subject (an entry's or a character's page); null for anyone who may not reveal. */
export async function revealPanel(db: Db, access: CampaignAccess, subject: RevealTarget, audience: Audience) {
  return (await revealPanels(db, access, subject.kind, [{ id: subject.id, audience }]))?.get(subject.id) ?? null;
}
