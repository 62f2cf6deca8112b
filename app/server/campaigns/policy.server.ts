import { and, eq, type SQL, sql } from "drizzle-orm";
import { type CampaignRole, memberRoles } from "~/lib/members";
import type { Db } from "../db/db.server";
import { type Campaign, campaignMembers, campaigns, users } from "../db/schema";
import type { Account } from "../files/library.server";

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
  /** Read and download the files attached to the campaign. */
  "readFiles",
] as const;
export type CampaignAction = (typeof campaignActions)[number];

const everything = new Set<CampaignAction>(campaignActions.filter((action) => action !== "leave"));
const coGm = new Set<CampaignAction>([
  "view",
  "editMaterial",
  "editCampaign",
  "seeMembers",
  "leave",
  "useAssistant",
  "readFiles",
]);

/**
 * Who may do what. Players and viewers may do nothing yet: what they see is decided by
 * audiences (ADR 0026, step 2), and until those exist nobody can be given either role.
 */
const allowed: Record<CampaignRole, ReadonlySet<CampaignAction>> = {
  owner: everything,
  "co-gm": coGm,
  player: new Set<CampaignAction>(["leave"]),
  viewer: new Set<CampaignAction>(["leave"]),
};

export function can(role: CampaignRole, action: CampaignAction): boolean {
  return allowed[role].has(action);
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
  return { campaign: row.campaign, role, account, owner: { id: row.ownerId, username: row.campaign.username } };
}

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
  return sql`(${campaigns.username} = ${account.username} OR EXISTS (SELECT 1 FROM campaign_members m
    WHERE m.campaign_id = ${campaigns.id} AND m.account_id = ${account.id} AND m.role IN (${rolesThatCan(action)})))`;
}

/** The account's role in each listed campaign, as a column beside `campaignsWhere`. */
export function roleColumn(account: Account): SQL<CampaignRole> {
  return sql<CampaignRole>`CASE WHEN ${campaigns.username} = ${account.username} THEN 'owner' ELSE (SELECT m.role
    FROM campaign_members m WHERE m.campaign_id = ${campaigns.id} AND m.account_id = ${account.id}) END`;
}
