import { and, desc, eq, inArray, sql } from "drizzle-orm";
import { processingStatuses } from "~/lib/jobs";
import { campaignsWhere, can, roleColumn, visibleInListedCampaign } from "./campaigns/policy.server";
import type { Db } from "./db/db.server";
import { campaignCharacters, campaignContext, campaigns, fileMetadata } from "./db/schema";
import type { Account } from "./files/library.server";

/** How many of each the home page lists: a glance, not the lists themselves. */
export const HOME_RECENT = 6;
const HOME_CAMPAIGNS = 50;

/** The file statuses that still want the person's attention or time: processing, not processed, failed. */
const unfinishedStatuses = [...processingStatuses, "uploading", "uploaded", "failed"] as const;

/**
 * A GM's home, as the account may see it, in one round trip to D1: their campaigns (the
 * next session among them), what changed lately in the ones they are in, and their files
 * that are not searchable yet.
 */
export async function homeModel(db: Db, account: Account, today: string) {
  const [campaignRows, entries, characters, files] = await db.batch([
    db
      .select({
        id: campaigns.id,
        name: campaigns.name,
        metadata: campaigns.metadata,
        sample: campaigns.sample,
        role: roleColumn(account),
      })
      .from(campaigns)
      .where(campaignsWhere(account, "view"))
      .orderBy(desc(campaigns.updatedAt))
      .limit(HOME_CAMPAIGNS),
    db
      .select({
        id: campaignContext.id,
        title: campaignContext.title,
        contextType: campaignContext.contextType,
        updatedAt: campaignContext.updatedAt,
        // Named apart from the row's own columns: a batch maps a joined select's columns by name.
        campaignId: sql<string>`${campaigns.id}`.as("campaign_id_of"),
        campaignName: sql<string>`${campaigns.name}`.as("campaign_name"),
      })
      .from(campaignContext)
      .innerJoin(campaigns, eq(campaigns.id, campaignContext.campaignId))
      .where(and(campaignsWhere(account, "view"), visibleInListedCampaign(account, "campaign_context")))
      .orderBy(desc(campaignContext.updatedAt))
      .limit(HOME_RECENT),
    db
      .select({
        id: campaignCharacters.id,
        title: campaignCharacters.characterName,
        characterType: campaignCharacters.characterType,
        updatedAt: campaignCharacters.updatedAt,
        // Named apart from the row's own columns: a batch maps a joined select's columns by name.
        campaignId: sql<string>`${campaigns.id}`.as("campaign_id_of"),
        campaignName: sql<string>`${campaigns.name}`.as("campaign_name"),
      })
      .from(campaignCharacters)
      .innerJoin(campaigns, eq(campaigns.id, campaignCharacters.campaignId))
      .where(and(campaignsWhere(account, "view"), visibleInListedCampaign(account, "campaign_characters")))
      .orderBy(desc(campaignCharacters.updatedAt))
      .limit(HOME_RECENT),
    db
      .select({
        fileKey: fileMetadata.fileKey,
        fileName: fileMetadata.fileName,
        status: fileMetadata.status,
        error: fileMetadata.error,
        pageCount: fileMetadata.pageCount,
        currentVersion: fileMetadata.currentVersion,
      })
      .from(fileMetadata)
      .where(and(eq(fileMetadata.username, account.username), inArray(fileMetadata.status, [...unfinishedStatuses])))
      .orderBy(desc(fileMetadata.updatedAt))
      .limit(HOME_RECENT),
  ]);

  const list = campaignRows.map(({ metadata, ...campaign }) => ({
    ...campaign,
    nextSessionAt: metadata.nextSessionAt ?? null,
    mayEdit: can(campaign.role, "editMaterial"),
  }));
  // The soonest session still ahead (today counts), across every campaign they are in.
  const nextSession =
    list
      .filter((campaign) => campaign.nextSessionAt !== null && campaign.nextSessionAt >= today)
      .sort((a, b) => (a.nextSessionAt ?? "").localeCompare(b.nextSessionAt ?? ""))[0] ?? null;
  const recent = [
    ...entries.map((entry) => ({ kind: "entry" as const, ...entry })),
    ...characters.map((character) => ({ kind: "character" as const, ...character })),
  ]
    .sort((a, b) => b.updatedAt - a.updatedAt)
    .slice(0, HOME_RECENT);
  return {
    campaigns: list,
    nextSession,
    recent,
    files,
    hasSample: list.some((campaign) => campaign.sample && campaign.role === "owner"),
  };
}
