import { and, asc, eq, type SQL, sql } from "drizzle-orm";
import { MAX_MEMBERS, MAX_OPEN_INVITES, type MemberRole } from "~/lib/members";
import type { Db } from "../db/db.server";
import { DEFAULT_ROW_LIMITS, insertWithinQuota, QuotaExceeded } from "../db/quota.server";
import {
  type Campaign,
  type CampaignInvite,
  campaignCharacters,
  campaignInvites,
  campaignMembers,
  campaignResources,
  campaignReveals,
  campaigns,
  chatSessions,
  memberNotes,
  users,
} from "../db/schema";
import type { Account } from "../files/library.server";
import { Refusal } from "../http/responses.server";
import type { CampaignAccess } from "./policy.server";

/**
 * Who is in a campaign and how they get in (ADR 0026): invite links, joining, roles,
 * leaving and handing a campaign over. Every check-then-write here is one statement or
 * one batch (a transaction), so two requests at once can never both pass a check.
 */

const hex = (bytes: ArrayBuffer | Uint8Array) =>
  Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, "0")).join("");

async function tokenHash(token: string): Promise<string> {
  return hex(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token)));
}

/**
 * The campaign is still `owner`'s: every write of member management holds it in its own
 * statement, so a request that began before a hand-over cannot act after it.
 */
const stillOwnedBy = (campaign: Campaign, ownerUsername: string) =>
  sql`EXISTS (SELECT 1 FROM campaigns WHERE id = ${campaign.id} AND username = ${ownerUsername})`;

/** An invite that still lets people in at `now`. */
const openAt = (now: number) =>
  sql`(${campaignInvites.revokedAt} IS NULL AND ${campaignInvites.expiresAt} > ${now}
    AND (${campaignInvites.maxUses} IS NULL OR ${campaignInvites.uses} < ${campaignInvites.maxUses}))`;

export interface InviteInput {
  role: MemberRole;
  lifetimeDays: number;
  maxUses: number | null;
}

/**
 * A new invite link's token (shown once: only its hash is kept) and its row. Refused past
 * MAX_OPEN_INVITES links that still work, checked in the insert itself.
 */
export async function createInvite(
  db: Db,
  access: CampaignAccess,
  input: InviteInput,
  now = Date.now(),
): Promise<{ token: string; invite: CampaignInvite }> {
  const token = hex(crypto.getRandomValues(new Uint8Array(16)));
  const values = {
    id: crypto.randomUUID(),
    campaignId: access.campaign.id,
    tokenHash: await tokenHash(token),
    role: input.role,
    maxUses: input.maxUses,
    expiresAt: now + input.lifetimeDays * 24 * 60 * 60 * 1000,
    createdBy: access.account.id,
    createdAt: now,
  };
  // Past the limit, or no longer the owner's campaign: the count a refused insert sees.
  const held = sql`(CASE WHEN ${stillOwnedBy(access.campaign, access.owner.username)} THEN (SELECT count(*)
    FROM campaign_invites WHERE campaign_id = ${access.campaign.id} AND ${openAt(now)}) ELSE ${MAX_OPEN_INVITES} END)`;
  const invite = await insertWithinQuota(db, campaignInvites, values, held, MAX_OPEN_INVITES);
  if (!invite) {
    throw new QuotaExceeded(
      `This campaign has ${MAX_OPEN_INVITES} invite links that still work. Revoke one you no longer need to make another.`,
    );
  }
  return { token, invite };
}

/** The campaign's links that still work, newest first. */
export async function listOpenInvites(db: Db, campaign: Campaign, now = Date.now()) {
  return db
    .select({
      id: campaignInvites.id,
      role: campaignInvites.role,
      uses: campaignInvites.uses,
      maxUses: campaignInvites.maxUses,
      expiresAt: campaignInvites.expiresAt,
      createdAt: campaignInvites.createdAt,
    })
    .from(campaignInvites)
    .where(and(eq(campaignInvites.campaignId, campaign.id), openAt(now)))
    .orderBy(sql`${campaignInvites.createdAt} DESC`);
}

/** Stops a link from letting anyone else in; false when it is not this campaign's or already revoked. */
export async function revokeInvite(db: Db, campaign: Campaign, inviteId: string, now = Date.now()): Promise<boolean> {
  const revoked = await db
    .update(campaignInvites)
    .set({ revokedAt: now })
    .where(
      and(
        eq(campaignInvites.id, inviteId),
        eq(campaignInvites.campaignId, campaign.id),
        sql`${campaignInvites.revokedAt} IS NULL`,
        stillOwnedBy(campaign, campaign.username),
      ),
    )
    .returning({ id: campaignInvites.id });
  return revoked.length > 0;
}

/** Every link of the campaign that still works stops working, while `condition` holds (a removal, a hand-over). */
function revokeOpenInvites(db: Db, campaign: Campaign, now: number, condition: SQL) {
  return db
    .update(campaignInvites)
    .set({ revokedAt: now })
    .where(and(eq(campaignInvites.campaignId, campaign.id), sql`${campaignInvites.revokedAt} IS NULL`, condition));
}

/** What an invite page shows: the campaign and the role, only while the link still works. */
export async function findOpenInvite(db: Db, token: string, now = Date.now()) {
  const [invite] = await db
    .select({
      campaignId: campaigns.id,
      campaignName: campaigns.name,
      ownerUsername: campaigns.username,
      role: campaignInvites.role,
    })
    .from(campaignInvites)
    .innerJoin(campaigns, eq(campaigns.id, campaignInvites.campaignId))
    .where(and(eq(campaignInvites.tokenHash, await tokenHash(token)), openAt(now)));
  return invite;
}

export class CampaignFull extends Refusal {
  override name = "CampaignFull";
  constructor(limit: number) {
    super(`This campaign already has ${limit} members, the most one campaign can have. Ask your GM to make room.`, 409);
  }
}

/**
 * Joins `account` to the invite's campaign. One batch: the invite's use is counted only
 * while it still works, the account is not in the campaign yet and the campaign has room;
 * the membership is written only by the join that counted that use (its one-time claim).
 * Answers the campaign and role; null when the link no longer works.
 */
export async function joinWithInvite(
  db: Db,
  account: Account,
  token: string,
  { now = Date.now(), maxMembers = MAX_MEMBERS } = {},
): Promise<{ campaignId: string; role: MemberRole; alreadyIn: boolean } | null> {
  const hash = await tokenHash(token);
  const claim = crypto.randomUUID();
  const inCampaign = sql`(EXISTS (SELECT 1 FROM campaign_members m
      WHERE m.campaign_id = ${campaignInvites.campaignId} AND m.account_id = ${account.id})
    OR EXISTS (SELECT 1 FROM campaigns c JOIN users u ON u.username = c.username
      WHERE c.id = ${campaignInvites.campaignId} AND u.id = ${account.id}))`;
  const full = sql`(SELECT count(*) FROM campaign_members m WHERE m.campaign_id = ${campaignInvites.campaignId}) >= ${maxMembers}`;
  const [, joined] = await db.batch([
    db
      .update(campaignInvites)
      .set({ uses: sql`${campaignInvites.uses} + 1`, lastClaim: claim })
      .where(and(eq(campaignInvites.tokenHash, hash), openAt(now), sql`NOT ${inCampaign}`, sql`NOT ${full}`)),
    db
      .insert(campaignMembers)
      .select(sql`SELECT campaign_id, ${account.id}, role, created_by, ${now} FROM campaign_invites
        WHERE token_hash = ${hash} AND last_claim = ${claim}`)
      .returning({ campaignId: campaignMembers.campaignId, role: campaignMembers.role }),
  ]);
  const [row] = joined;
  if (row) return { ...row, alreadyIn: false };
  // Why not: already in (the page says so), the campaign is full, or the link is dead.
  const [invite] = await db
    .select({ campaignId: campaignInvites.campaignId, role: campaignInvites.role, inCampaign, full })
    .from(campaignInvites)
    .where(and(eq(campaignInvites.tokenHash, hash), openAt(now)));
  if (!invite) return null;
  if (invite.inCampaign) return { campaignId: invite.campaignId, role: invite.role, alreadyIn: true };
  if (invite.full) throw new CampaignFull(maxMembers);
  return null;
}

/** The owner first, then members by name: what the members page lists. */
export async function listMembers(db: Db, campaign: Campaign) {
  const [owner, members] = await db.batch([
    db
      .select({ accountId: users.id, username: users.username })
      .from(users)
      .where(eq(users.username, campaign.username)),
    db
      .select({
        accountId: campaignMembers.accountId,
        username: users.username,
        role: campaignMembers.role,
        joinedAt: campaignMembers.createdAt,
      })
      .from(campaignMembers)
      .innerJoin(users, eq(users.id, campaignMembers.accountId))
      .where(eq(campaignMembers.campaignId, campaign.id))
      .orderBy(asc(users.username)),
  ]);
  return { owner: owner[0] ?? null, members };
}

/** The owner gives a member another role; false when they are not a member (or it is no longer the owner's campaign). */
export async function changeMemberRole(db: Db, campaign: Campaign, accountId: string, role: MemberRole) {
  const changed = await db
    .update(campaignMembers)
    .set({ role })
    .where(
      and(
        eq(campaignMembers.campaignId, campaign.id),
        eq(campaignMembers.accountId, accountId),
        stillOwnedBy(campaign, campaign.username),
      ),
    )
    .returning({ accountId: campaignMembers.accountId });
  return changed.length > 0;
}

/**
 * The owner removes a member. In the same batch every open invite link stops working: the
 * member saw them (or could have), and a link they kept must not let them back in. Their
 * conversations stay theirs, read by nobody.
 */
/**
 * What a member who is gone leaves behind, for the end of the batch that removed them (a
 * no-op while they are still in): the GMs stop reading what they shared (their
 * conversations and notes), as they can no longer take it back; and they stop playing
 * their characters, so joining again does not hand those back.
 */
function afterMemberLeft(db: Db, campaign: Campaign, accountId: string) {
  const gone = sql`NOT EXISTS (SELECT 1 FROM campaign_members WHERE campaign_id = ${campaign.id}
    AND account_id = ${accountId})`;
  return [
    db
      .update(chatSessions)
      .set({ sharedWithGms: false })
      .where(
        and(
          eq(chatSessions.campaignId, campaign.id),
          sql`${chatSessions.username} = (SELECT username FROM users WHERE id = ${accountId})`,
          gone,
        ),
      ),
    db
      .update(memberNotes)
      .set({ sharedWithGms: false })
      .where(and(eq(memberNotes.campaignId, campaign.id), eq(memberNotes.authorId, accountId), gone)),
    db
      .update(campaignCharacters)
      .set({ playerId: null, playerFields: [], version: sql`${campaignCharacters.version} + 1` })
      .where(and(eq(campaignCharacters.campaignId, campaign.id), eq(campaignCharacters.playerId, accountId), gone)),
  ] as const;
}

export async function removeMember(db: Db, campaign: Campaign, accountId: string): Promise<boolean> {
  const isMember = sql`EXISTS (SELECT 1 FROM campaign_members WHERE campaign_id = ${campaign.id}
    AND account_id = ${accountId})`;
  const [, removed] = await db.batch([
    revokeOpenInvites(db, campaign, Date.now(), sql`${isMember} AND ${stillOwnedBy(campaign, campaign.username)}`),
    db
      .delete(campaignMembers)
      .where(
        and(
          eq(campaignMembers.campaignId, campaign.id),
          eq(campaignMembers.accountId, accountId),
          stillOwnedBy(campaign, campaign.username),
        ),
      )
      .returning({ accountId: campaignMembers.accountId }),
    ...afterMemberLeft(db, campaign, accountId),
  ]);
  return removed.length > 0;
}

/** A member leaves; the campaign's links keep working for everyone else. */
export async function leaveCampaign(db: Db, access: CampaignAccess): Promise<boolean> {
  const [left] = await db.batch([
    db
      .delete(campaignMembers)
      .where(and(eq(campaignMembers.campaignId, access.campaign.id), eq(campaignMembers.accountId, access.account.id)))
      .returning({ accountId: campaignMembers.accountId }),
    ...afterMemberLeft(db, access.campaign, access.account.id),
  ]);
  return left.length > 0;
}

export class TransferRefused extends Refusal {
  override name = "TransferRefused";
}

/**
 * Hands the campaign to one of its co-GMs, in one batch: the owner becomes a co-GM, the
 * co-GM the owner, and the open invite links stop working. The campaign's files are the
 * old owner's library files, so they are detached (they stay in that library) and
 * character sheets from it are unset: nothing of one library stays reachable through a
 * campaign someone else owns. Refused when the
 * target is not a co-GM or already holds as many campaigns as an account may.
 */
export async function transferOwnership(
  db: Db,
  access: CampaignAccess,
  toAccountId: string,
  campaignLimit = DEFAULT_ROW_LIMITS.campaigns,
): Promise<boolean> {
  const { campaign, owner } = access;
  const [target] = await db
    .select({ username: users.username, role: campaignMembers.role })
    .from(campaignMembers)
    .innerJoin(users, eq(users.id, campaignMembers.accountId))
    .where(and(eq(campaignMembers.campaignId, campaign.id), eq(campaignMembers.accountId, toAccountId)));
  if (!target) return false;
  if (target.role !== "co-gm")
    throw new TransferRefused("Only a co-GM can take over a campaign. Make them co-GM first.");
  const now = Date.now();
  // The first statement runs only while the hand-over is possible; the rest follow it. An
  // owner never has a membership row, so the old owner's row is the sign that it ran.
  const ready = sql`EXISTS (SELECT 1 FROM campaign_members WHERE campaign_id = ${campaign.id}
      AND account_id = ${toAccountId} AND role = 'co-gm')
    AND EXISTS (SELECT 1 FROM campaigns WHERE id = ${campaign.id} AND username = ${owner.username})
    AND (SELECT count(*) FROM campaigns WHERE username = ${target.username}) < ${campaignLimit}`;
  const handedOver = sql`EXISTS (SELECT 1 FROM campaigns WHERE id = ${campaign.id} AND username = ${target.username})`;
  const oldOwnersFiles = sql`(SELECT file_key FROM file_metadata WHERE username = ${owner.username})`;
  const oldOwnerJoined = sql`EXISTS (SELECT 1 FROM campaign_members WHERE campaign_id = ${campaign.id}
    AND account_id = ${owner.id})`;
  await db.batch([
    db
      .insert(campaignMembers)
      .select(sql`SELECT ${campaign.id}, ${owner.id}, 'co-gm', ${toAccountId}, ${now} WHERE ${ready}`),
    db
      .update(campaigns)
      .set({ username: target.username, version: sql`${campaigns.version} + 1`, updatedAt: now })
      .where(and(eq(campaigns.id, campaign.id), eq(campaigns.username, owner.username), oldOwnerJoined)),
    db
      .delete(campaignMembers)
      .where(and(eq(campaignMembers.campaignId, campaign.id), eq(campaignMembers.accountId, toAccountId), handedOver)),
    // The old owner made and saw every link: the new owner starts with none.
    revokeOpenInvites(db, campaign, now, handedOver),
    db
      .delete(campaignResources)
      .where(
        and(
          eq(campaignResources.campaignId, campaign.id),
          handedOver,
          sql`${campaignResources.fileKey} IN ${oldOwnersFiles}`,
        ),
      ),
    // Whom those files were revealed to goes with the links (attached again, a file starts for the GMs only).
    db
      .delete(campaignReveals)
      .where(
        and(
          eq(campaignReveals.campaignId, campaign.id),
          eq(campaignReveals.subjectKind, "file"),
          handedOver,
          sql`${campaignReveals.subjectId} IN ${oldOwnersFiles}`,
        ),
      ),
    db
      .update(campaignCharacters)
      .set({ sheetFileKey: null })
      .where(
        and(
          eq(campaignCharacters.campaignId, campaign.id),
          handedOver,
          sql`${campaignCharacters.sheetFileKey} IN ${oldOwnersFiles}`,
        ),
      ),
  ]);
  const [after] = await db
    .select({ username: campaigns.username })
    .from(campaigns)
    .where(eq(campaigns.id, campaign.id));
  if (after?.username === target.username) return true;
  throw new TransferRefused(
    `${target.username} already holds ${campaignLimit.toLocaleString("en")} campaigns, the most one account can. They need to delete one first.`,
  );
}
