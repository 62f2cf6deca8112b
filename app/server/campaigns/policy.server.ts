import { and, eq, type SQL, sql } from "drizzle-orm";
import { type Audience, type CampaignRole, memberRoles, type RevealSubject } from "~/lib/members";
import type { Db } from "../db/db.server";
import { type Campaign, campaignMembers, campaigns, users } from "../db/schema";
import type { Account } from "../files/library.server";
import { AUDIENCE_ALL, AUDIENCE_GM, memberAudienceToken } from "../search/query.server";

/**
 * The one place that decides what a signed-in user may do in a campaign (ADR 0026).
 * Routes ask `can` (through `requireCampaign` in guards.server.ts) and never decide on
 * their own; the role-matrix test holds every route to this table.
 */

/** Everything a user may do with a campaign's material. */
export const campaignActions = [
  /** Open the campaign: its overview, entries, characters and files as their role sees them. */
  "view",
  /** Create, edit and delete entries and characters. */
  "editMaterial",
  /** The campaign's own name, description, status. */
  "editCampaign",
  "deleteCampaign",
  /** Attach and detach library files: they are the owner's library's, so only the owner's. */
  "manageFiles",
  /** See who is in the campaign. */
  "seeMembers",
  /** Invite, change roles, remove members, hand the campaign over. */
  "manageMembers",
  /** Leave the campaign (an owner hands it over instead). */
  "leave",
  /** Ask the assistant, in conversations of their own. */
  "useAssistant",
  /** Read and download the files attached to the campaign (those shared with them, for players and viewers). */
  "readFiles",
  /** See what is for GMs only: GM-only entries, characters and files, and secret blocks. */
  "seeSecrets",
  /** Reveal material to chosen members or share it with everyone, and read the knowledge ledger. */
  "reveal",
  /** Add notes to the session log (and delete their own). */
  "writeLog",
  /** Keep private notes of their own in the campaign, and share them with the GMs. */
  "keepNotes",
  /** Change, on the character they play, the fields the GMs allow (mayPlay). */
  "playCharacter",
] as const;
export type CampaignAction = (typeof campaignActions)[number];

const everything = new Set<CampaignAction>(campaignActions.filter((action) => action !== "leave"));
/**
 * Who may do what. What players and viewers may read is narrowed further by audience (the
 * conditions below): they open the campaign, but only its shared material.
 */
const allowed: Record<CampaignRole, ReadonlySet<CampaignAction>> = {
  owner: everything,
  "co-gm": new Set([
    "view",
    "editMaterial",
    "editCampaign",
    "seeMembers",
    "leave",
    "useAssistant",
    "readFiles",
    "seeSecrets",
    "reveal",
    "writeLog",
    "keepNotes",
  ]),
  player: new Set([
    "view",
    "seeMembers",
    "leave",
    "useAssistant",
    "readFiles",
    "writeLog",
    "keepNotes",
    "playCharacter",
  ]),
  viewer: new Set(["view", "seeMembers", "leave", "readFiles"]),
};

export function can(role: CampaignRole, action: CampaignAction): boolean {
  return allowed[role].has(action);
}

/**
 * What a GM may do while looking at the campaign as a player (previewAs): read what that
 * player reads, and nothing that writes or that is the player's own (their conversations).
 */
const previewActions = new Set<CampaignAction>(["view", "seeMembers", "readFiles"]);

export function canInPreview(role: CampaignRole, action: CampaignAction): boolean {
  return previewActions.has(action) && can(role, action);
}

/**
 * The campaign as one of its players or viewers sees it, for a GM who asks (`actual` may
 * reveal): the same role and reveals as theirs, through the same conditions. Null when
 * the GM may not, or the account is no such member.
 */
export async function previewAccess(db: Db, actual: CampaignAccess, accountId: string): Promise<CampaignAccess | null> {
  if (!can(actual.role, "reveal")) return null;
  const [member] = await db
    .select({ role: campaignMembers.role, username: users.username })
    .from(campaignMembers)
    .innerJoin(users, eq(users.id, campaignMembers.accountId))
    .where(and(eq(campaignMembers.campaignId, actual.campaign.id), eq(campaignMembers.accountId, accountId)));
  if (!member || can(member.role, "seeSecrets")) return null;
  return { ...actual, role: member.role, account: { id: accountId, username: member.username } };
}

/** A signed-in user's standing in one campaign. */
export interface CampaignAccess {
  campaign: Campaign;
  role: CampaignRole;
  /** The signed-in user. */
  account: Account;
  /** The campaign's owner: their library holds its files, their tracker its passages. */
  owner: Account;
}

/**
 * The campaign with the caller's role in it, in one query: null when it does not exist or
 * the caller is neither its owner nor a member (callers answer 404 for both).
 */
export async function campaignAccess(db: Db, account: Account, campaignId: string): Promise<CampaignAccess | null> {
  const [row] = await db
    .select({ campaign: campaigns, ownerId: users.id, memberRole: campaignMembers.role })
    .from(campaigns)
    .innerJoin(users, eq(users.username, campaigns.username))
    .leftJoin(
      campaignMembers,
      and(eq(campaignMembers.campaignId, campaigns.id), eq(campaignMembers.accountId, account.id)),
    )
    .where(eq(campaigns.id, campaignId));
  if (!row) return null;
  const role: CampaignRole | null = row.ownerId === account.id ? "owner" : row.memberRole;
  if (!role) return null;
  // Only who they are: a signed-in User row also carries its password hash, which no access should hold.
  return {
    campaign: row.campaign,
    role,
    account: { id: account.id, username: account.username },
    owner: { id: row.ownerId, username: row.campaign.username },
  };
}

/**
 * The outer `campaigns` row's columns, qualified: these conditions also run inside
 * subqueries of a select list, where drizzle writes a column without its table and an
 * inner table's own `id` would win.
 */
const outerCampaignId = sql.raw(`"campaigns"."id"`);
const outerOwner = sql.raw(`"campaigns"."username"`);

/** The member roles that `action` is open to, as an SQL list. */
function rolesThatCan(action: CampaignAction): SQL {
  const roles = memberRoles.filter((role) => can(role, action));
  return roles.length
    ? sql.join(
        roles.map((role) => sql`${role}`),
        sql`, `,
      )
    : sql`NULL`;
}

/**
 * The campaigns `account` may do `action` in, as a condition on `campaigns`: their own, and
 * those they are a member of in a role the policy lets do it. Every list of campaigns a
 * user sees (campaigns, search scopes, the assistant) is built from it.
 */
export function campaignsWhere(account: Account, action: CampaignAction): SQL {
  return sql`(${outerOwner} = ${account.username} OR EXISTS (SELECT 1 FROM campaign_members m
    WHERE m.campaign_id = ${outerCampaignId} AND m.account_id = ${account.id} AND m.role IN (${rolesThatCan(action)})))`;
}

/** The account's role in each listed campaign, as a column beside `campaignsWhere`. */
export function roleColumn(account: Account): SQL<CampaignRole> {
  return sql<CampaignRole>`CASE WHEN ${outerOwner} = ${account.username} THEN 'owner' ELSE (SELECT m.role
    FROM campaign_members m WHERE m.campaign_id = ${outerCampaignId} AND m.account_id = ${account.id}) END`;
}

/** Who is reading campaign material: enough of a CampaignAccess to decide what they see. */
export type CampaignReader = Pick<CampaignAccess, "campaign" | "role" | "account">;

/**
 * What a reader may read of a campaign's material, as SQL conditions on each table: null
 * for a GM (everything), else what is shared with the whole campaign. Every list and page
 * of campaign material and every search builds its WHERE from these; no route writes its
 * own. `undefined` in a drizzle `and()` adds nothing, so a GM's query is unchanged.
 */
/**
 * A row of `table` (its subject kind in the ledger, its id column written out qualified)
 * is visible to `accountId`: shared with the campaign, or revealed to them.
 */
function sharedOrRevealed(table: string, kind: RevealSubject, idColumn: string, accountId: string): SQL {
  const row = (column: string) => sql.raw(`"${table}"."${column}"`);
  return sql`(${row("audience")} = 'campaign' OR EXISTS (SELECT 1 FROM campaign_reveals r
    WHERE r.campaign_id = ${row("campaign_id")} AND r.subject_kind = ${kind}
      AND r.subject_id = CAST(${row(idColumn)} AS TEXT) AND r.to_account_id = ${accountId}))`;
}

export function visibleEntries(reader: CampaignReader): SQL | undefined {
  return can(reader.role, "seeSecrets")
    ? undefined
    : sharedOrRevealed("campaign_context", "entry", "id", reader.account.id);
}

export function visibleCharacters(reader: CampaignReader): SQL | undefined {
  return can(reader.role, "seeSecrets")
    ? undefined
    : sharedOrRevealed("campaign_characters", "character", "id", reader.account.id);
}

export function visibleResources(reader: CampaignReader): SQL | undefined {
  return can(reader.role, "seeSecrets")
    ? undefined
    : sharedOrRevealed("campaign_resources", "file", "file_key", reader.account.id);
}

/** The session log's notes a reader sees: all of them for a GM, else those for everyone. */
export function visibleLogNotes(reader: CampaignReader): SQL | undefined {
  return can(reader.role, "seeSecrets") ? undefined : sql`"campaign_log_notes"."audience" = 'campaign'`;
}

/**
 * The sessions a reader sees (ADR 0037): all of them for a GM, else those whose recap the
 * GMs shared with the campaign. A session's notes are the GMs' whatever its audience.
 */
export function visibleSessions(reader: CampaignReader): SQL | undefined {
  return can(reader.role, "seeSecrets") ? undefined : sql`"campaign_sessions"."audience" = 'campaign'`;
}

/**
 * The relations a reader sees (ADR 0036): every one for a GM, else those shared with the
 * campaign whose two ends they may both see — the ends' conditions are visibleEntries and
 * visibleCharacters, asked of each end's own row.
 */
export function visibleRelations(reader: CampaignReader): SQL | undefined {
  if (can(reader.role, "seeSecrets")) return undefined;
  const end = (side: "from" | "to") => {
    const kind = sql.raw(`"campaign_relations"."${side}_kind"`);
    const id = sql.raw(`"campaign_relations"."${side}_id"`);
    return sql`(CASE ${kind}
      WHEN 'entry' THEN EXISTS (SELECT 1 FROM campaign_context WHERE "campaign_context"."id" = ${id}
        AND "campaign_context"."campaign_id" = "campaign_relations"."campaign_id" AND ${visibleEntries(reader)})
      WHEN 'character' THEN EXISTS (SELECT 1 FROM campaign_characters WHERE "campaign_characters"."id" = ${id}
        AND "campaign_characters"."campaign_id" = "campaign_relations"."campaign_id" AND ${visibleCharacters(reader)})
      ELSE 0 END)`;
  };
  return sql`("campaign_relations"."audience" = 'campaign' AND ${end("from")} AND ${end("to")})`;
}

/**
 * Whether the reader plays this character and may change some of it: a player the GMs
 * named as its player, with at least one field left to them (the GMs edit all of it anyway).
 */
export function mayPlay(
  reader: CampaignReader,
  character: { playerId: string | null; playerFields: readonly string[] },
): boolean {
  return (
    can(reader.role, "playCharacter") && character.playerId === reader.account.id && character.playerFields.length > 0
  );
}

/**
 * Conversations with the assistant a reader may read: their own, and (for a GM) those
 * their members shared with the GMs. A player's conversation is otherwise theirs alone.
 */
export function visibleConversations(reader: CampaignReader): SQL {
  const own = sql`"chat_sessions"."username" = ${reader.account.username}`;
  return can(reader.role, "seeSecrets") ? sql`(${own} OR "chat_sessions"."shared_with_gms" = 1)` : own;
}

/** Members' own notes a reader sees: their own, and (for a GM) those their authors shared with the GMs. */
export function visibleMemberNotes(reader: CampaignReader): SQL {
  const own = sql`"member_notes"."author_id" = ${reader.account.id}`;
  return can(reader.role, "seeSecrets") ? sql`(${own} OR "member_notes"."shared_with_gms" = 1)` : own;
}

/**
 * Who may hear that something changed (the campaign's live room, ADR 0026): the GMs
 * always, and everyone or the listed members. The room sends a change only to the open
 * pages of its audience, so a hidden entry's id never reaches a player's socket.
 */
export interface LiveAudience {
  everyone: boolean;
  accounts: string[];
}

export const GMS_ONLY: LiveAudience = { everyone: false, accounts: [] };
export const EVERYONE: LiveAudience = { everyone: true, accounts: [] };

/** Whether a member in `role` with `accountId` is in `audience`. */
export function inAudience(audience: LiveAudience, role: CampaignRole, accountId: string): boolean {
  return can(role, "seeSecrets") || audience.everyone || audience.accounts.includes(accountId);
}

/** Everyone either audience reaches: a change that narrows who sees something still tells who just lost it. */
export function eitherAudience(a: LiveAudience, b: LiveAudience): LiveAudience {
  return { everyone: a.everyone || b.everyone, accounts: [...new Set([...a.accounts, ...b.accounts])] };
}

const audienceTables = {
  entry: { table: "campaign_context", id: "id" },
  character: { table: "campaign_characters", id: "id" },
  file: { table: "campaign_resources", id: "file_key" },
} as const;

/**
 * Who may see one entry, character or attached file now, from its audience and the
 * ledger, in one query (GMs only when it does not exist). The same conditions as
 * `visibleEntries` & co., asked the other way round.
 */
export async function audienceOf(db: Db, campaign: Campaign, kind: RevealSubject, id: string): Promise<LiveAudience> {
  if (kind !== "file" && !/^\d{1,15}$/.test(id)) return GMS_ONLY;
  const { table, id: idColumn } = audienceTables[kind];
  const row = (column: string) => sql.raw(`"${table}"."${column}"`);
  const [found] = await db.all<{ audience: Audience; accounts: string }>(
    sql`SELECT ${row("audience")} AS audience, (SELECT json_group_array(r.to_account_id) FROM campaign_reveals r
        WHERE r.campaign_id = ${campaign.id} AND r.subject_kind = ${kind} AND r.subject_id = ${id}
          AND r.to_account_id IS NOT NULL) AS accounts
      FROM ${sql.identifier(table)} WHERE ${row("campaign_id")} = ${campaign.id} AND ${row(idColumn)} = ${kind === "file" ? id : Number(id)}`,
  );
  if (!found) return GMS_ONLY;
  return { everyone: found.audience === "campaign", accounts: JSON.parse(found.accounts) as string[] };
}

/**
 * What a reader's full-text searches may match (search.server.ts): null for a GM, else
 * the audience tokens a row must carry one of (shared with everyone, or with them). A
 * search with tokens also reads only the columns without secret blocks.
 */
export function searchAudience(reader: CampaignReader): string[] | null {
  return can(reader.role, "seeSecrets") ? null : [AUDIENCE_ALL, memberAudienceToken(reader.account.id)];
}

/**
 * How many entries or characters of each listed campaign `account` may see, as a column
 * beside `campaignsWhere` (the Campaigns list): all of them where they see secrets, else
 * those shared with the campaign.
 */
export function visibleCount(account: Account, table: "campaign_context" | "campaign_characters"): SQL<number> {
  return sql<number>`(SELECT count(*) FROM ${sql.identifier(table)} WHERE ${sql.raw(`"${table}"."campaign_id"`)} = ${outerCampaignId}
    AND ${visibleInListedCampaign(account, table)})`;
}

/**
 * An entry or character row `account` may see, beside `campaignsWhere` on its campaign
 * (lists across campaigns: the Campaigns list's counts, the home page's recent changes):
 * any where they see secrets, else those shared with the campaign or revealed to them.
 */
export function visibleInListedCampaign(account: Account, table: "campaign_context" | "campaign_characters"): SQL {
  const kind: RevealSubject = table === "campaign_context" ? "entry" : "character";
  return sql`(${campaignsWhere(account, "seeSecrets")} OR ${sharedOrRevealed(table, kind, "id", account.id)})`;
}

/**
 * The audience tokens an entry or character row is indexed with (schema.ts,
 * audienceColumns), as the SQL that computes them from its audience and the ledger: the
 * one token for everyone, or the GMs' token and one per member it was revealed to. Every
 * write that changes either sets `audience_tokens` to this, in its own statement.
 */
/** The same for a row that does not exist yet, so has no reveals: what a create writes. */
export function newRowAudienceTokens(audience: Audience): string {
  return audience === "campaign" ? AUDIENCE_ALL : AUDIENCE_GM;
}

export function audienceTokensSql(
  campaign: Campaign,
  kind: "entry" | "character",
  rowId: SQL | number,
  audience: SQL | Audience,
): SQL {
  // Led by the campaign, so the ledger's (campaign, kind, subject) index answers it on every save.
  return sql`(CASE WHEN ${audience} = 'campaign' THEN ${AUDIENCE_ALL} ELSE ${AUDIENCE_GM} || coalesce((
    SELECT group_concat(' z' || lower(hex(r.to_account_id)) || '0', '') FROM campaign_reveals r
    WHERE r.campaign_id = ${campaign.id} AND r.subject_kind = ${kind} AND r.subject_id = CAST(${rowId} AS TEXT)
      AND r.to_account_id IS NOT NULL), '') END)`;
}
