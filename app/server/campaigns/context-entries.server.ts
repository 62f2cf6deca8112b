import { and, desc, eq, sql } from "drizzle-orm";
import type { ContextEntryInput } from "~/lib/campaign-schemas";
import type { ContextType } from "~/lib/domain";
import type { Db } from "../db/db.server";
import { DEFAULT_ROW_LIMITS, insertWithinQuota, QuotaExceeded } from "../db/quota.server";
import { type Campaign, campaignContext } from "../db/schema";
import { touchCampaign } from "./campaigns.server";
import { decodeTags, encodeTags, likeContains, VersionConflictError } from "./errors.server";

export type ContextEntry = typeof campaignContext.$inferSelect;

/** Every function takes the campaign row, which the caller fetched scoped to its owner. */

export async function listContextEntries(
  db: Db,
  campaign: Campaign,
  filter: { type: ContextType | "all"; tag: string },
) {
  const rows = await db
    .select({
      id: campaignContext.id,
      contextType: campaignContext.contextType,
      title: campaignContext.title,
      excerpt: sql<string>`substr(${campaignContext.content}, 1, 240)`,
      tags: campaignContext.tags,
      gmOnly: campaignContext.gmOnly,
      updatedAt: campaignContext.updatedAt,
    })
    .from(campaignContext)
    .where(
      and(
        eq(campaignContext.campaignId, campaign.id),
        filter.type === "all" ? undefined : eq(campaignContext.contextType, filter.type),
        filter.tag ? sql`${campaignContext.tags} LIKE ${likeContains(`|${filter.tag}|`)} ESCAPE '\\'` : undefined,
      ),
    )
    .orderBy(desc(campaignContext.updatedAt));
  return rows.map((row) => ({ ...row, tags: decodeTags(row.tags) }));
}

/** All tags used in the campaign's entries, for the tag filter. */
export async function listContextTags(db: Db, campaign: Campaign): Promise<string[]> {
  const rows = await db
    .select({ tags: campaignContext.tags })
    .from(campaignContext)
    .where(and(eq(campaignContext.campaignId, campaign.id), sql`${campaignContext.tags} != ''`));
  const tags = new Map<string, string>();
  for (const row of rows) for (const tag of decodeTags(row.tags)) tags.set(tag.toLowerCase(), tag);
  return [...tags.values()].sort((a, b) => a.localeCompare(b));
}

export async function getContextEntry(db: Db, campaign: Campaign, entryId: number) {
  const row = await db.query.campaignContext.findFirst({
    where: and(eq(campaignContext.id, entryId), eq(campaignContext.campaignId, campaign.id)),
  });
  return row ? { ...row, tagList: decodeTags(row.tags) } : undefined;
}

function toColumns(input: ContextEntryInput) {
  return {
    contextType: input.contextType,
    title: input.title,
    content: input.content,
    tags: encodeTags(input.tags),
    gmOnly: input.gmOnly,
  };
}

export async function createContextEntry(
  db: Db,
  campaign: Campaign,
  input: ContextEntryInput,
  limit = DEFAULT_ROW_LIMITS.entries,
): Promise<ContextEntry> {
  const now = Date.now();
  const held = sql`(SELECT count(*) FROM campaign_context e JOIN campaigns c ON c.id = e.campaign_id
    WHERE c.username = ${campaign.username})`;
  const values = { campaignId: campaign.id, ...toColumns(input), createdAt: now, updatedAt: now };
  const created = await insertWithinQuota(db, campaignContext, values, held, limit);
  if (!created) {
    throw new QuotaExceeded(
      `Your campaigns hold ${limit.toLocaleString("en")} lore and context entries, the most one account can. Delete entries you no longer need, or merge short ones.`,
    );
  }
  await touchCampaign(db, campaign, now);
  return created;
}

export async function updateContextEntry(
  db: Db,
  campaign: Campaign,
  entryId: number,
  version: number,
  input: ContextEntryInput,
): Promise<ContextEntry | undefined> {
  const now = Date.now();
  const [[updated]] = await db.batch([
    db
      .update(campaignContext)
      .set({ ...toColumns(input), version: sql`${campaignContext.version} + 1`, updatedAt: now })
      .where(
        and(
          eq(campaignContext.id, entryId),
          eq(campaignContext.campaignId, campaign.id),
          eq(campaignContext.version, version),
        ),
      )
      .returning(),
    touchCampaign(db, campaign, now),
  ]);
  if (updated) return updated;
  const current = await getContextEntry(db, campaign, entryId);
  if (current) throw new VersionConflictError(current);
  return undefined;
}

export async function deleteContextEntry(db: Db, campaign: Campaign, entryId: number): Promise<boolean> {
  const now = Date.now();
  const [deleted] = await db.batch([
    db
      .delete(campaignContext)
      .where(and(eq(campaignContext.id, entryId), eq(campaignContext.campaignId, campaign.id)))
      .returning({ id: campaignContext.id }),
    touchCampaign(db, campaign, now),
  ]);
  return deleted.length > 0;
}
