import { and, asc, desc, eq, getTableColumns, gt, sql } from "drizzle-orm";
import type { ContextEntryInput } from "~/lib/campaign-schemas";
import type { ContextType } from "~/lib/domain";
import type { Db } from "../db/db.server";
import { DEFAULT_ROW_LIMITS, insertWithinQuota, QuotaExceeded } from "../db/quota.server";
import { type Campaign, campaignContext } from "../db/schema";
import { touchCampaign } from "./campaigns.server";
import { decodeTags, encodeTags, likeContains, VersionConflictError } from "./errors.server";
import { keepOldNameOnRename, otherNames } from "./links.server";
import { audienceTokensSql, type CampaignReader, can, newRowAudienceTokens, visibleEntries } from "./policy.server";
import { forgetReveals } from "./reveals.server";
import { withoutSecrets } from "./secrets.server";

export type ContextEntry = typeof campaignContext.$inferSelect;

/**
 * Reads take the reader (their campaign access) and answer only what the policy lets them
 * see (visibleEntries), with the public text for anyone who may not see secrets. Writes,
 * which only GMs reach, take the campaign row.
 */

/** The text a reader sees of an entry: all of it for a GM, without secret blocks for anyone else. */
const readableContent = (reader: CampaignReader) =>
  can(reader.role, "seeSecrets") ? campaignContext.content : campaignContext.contentPublic;

export async function listContextEntries(
  db: Db,
  reader: CampaignReader,
  filter: { type: ContextType | "all"; tag: string },
) {
  const rows = await db
    .select({
      id: campaignContext.id,
      contextType: campaignContext.contextType,
      title: campaignContext.title,
      // The public text for everyone: a list never shows a secret block's fences or words.
      excerpt: sql<string>`substr(${campaignContext.contentPublic}, 1, 240)`,
      tags: campaignContext.tags,
      audience: campaignContext.audience,
      updatedAt: campaignContext.updatedAt,
    })
    .from(campaignContext)
    .where(
      and(
        eq(campaignContext.campaignId, reader.campaign.id),
        visibleEntries(reader),
        filter.type === "all" ? undefined : eq(campaignContext.contextType, filter.type),
        filter.tag ? sql`${campaignContext.tags} LIKE ${likeContains(`|${filter.tag}|`)} ESCAPE '\\'` : undefined,
      ),
    )
    .orderBy(desc(campaignContext.updatedAt));
  return rows.map((row) => ({ ...row, tags: decodeTags(row.tags) }));
}

/**
 * A page of the entries the reader sees, as they may read them, in creation order after
 * `afterId` (the API's cursor): `limit + 1` rows, so the caller knows whether there is more.
 */
export async function listContextEntriesPage(
  db: Db,
  reader: CampaignReader,
  { afterId, limit, type }: { afterId: number; limit: number; type?: ContextType },
) {
  const { content: _full, ...columns } = getTableColumns(campaignContext);
  const rows = await db
    .select({ ...columns, content: readableContent(reader) })
    .from(campaignContext)
    .where(
      and(
        eq(campaignContext.campaignId, reader.campaign.id),
        visibleEntries(reader),
        gt(campaignContext.id, afterId),
        type ? eq(campaignContext.contextType, type) : undefined,
      ),
    )
    .orderBy(asc(campaignContext.id))
    .limit(limit + 1);
  return rows.map((row) => ({ ...row, tagList: decodeTags(row.tags) }));
}

/** All tags used in the entries the reader sees, for the tag filter. */
export async function listContextTags(db: Db, reader: CampaignReader): Promise<string[]> {
  const rows = await db
    .select({ tags: campaignContext.tags })
    .from(campaignContext)
    .where(
      and(
        eq(campaignContext.campaignId, reader.campaign.id),
        visibleEntries(reader),
        sql`${campaignContext.tags} != ''`,
      ),
    );
  const tags = new Map<string, string>();
  for (const row of rows) for (const tag of decodeTags(row.tags)) tags.set(tag.toLowerCase(), tag);
  return [...tags.values()].sort((a, b) => a.localeCompare(b));
}

/**
 * The entry if the reader may see it; its `content` is what they may read of it (D1 never
 * sends the full text of an entry with secrets to a reader who may not see them).
 */
export async function getContextEntry(db: Db, reader: CampaignReader, entryId: number) {
  const { content: _full, ...columns } = getTableColumns(campaignContext);
  const [row] = await db
    .select({ ...columns, content: readableContent(reader) })
    .from(campaignContext)
    .where(
      and(eq(campaignContext.id, entryId), eq(campaignContext.campaignId, reader.campaign.id), visibleEntries(reader)),
    );
  return row ? { ...row, tagList: decodeTags(row.tags) } : undefined;
}

function toColumns(input: ContextEntryInput) {
  return {
    contextType: input.contextType,
    title: input.title,
    content: input.content,
    contentPublic: withoutSecrets(input.content),
    tags: encodeTags(input.tags),
    aliases: otherNames(input.title, input.aliases),
    audience: input.audience ?? "gm",
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
  const columns = toColumns(input);
  const values = {
    campaignId: campaign.id,
    ...columns,
    audienceTokens: newRowAudienceTokens(columns.audience),
    createdAt: now,
    updatedAt: now,
  };
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
  const columns = toColumns(input);
  const [[updated]] = await db.batch([
    db
      .update(campaignContext)
      .set({
        ...columns,
        aliases: keepOldNameOnRename(campaignContext.title, input.title, columns.aliases, input.forgetOldName),
        // Its tokens follow its new audience and who it was revealed to.
        audienceTokens: audienceTokensSql(campaign, "entry", entryId, input.audience ?? "gm"),
        version: sql`${campaignContext.version} + 1`,
        updatedAt: now,
      })
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
  const current = await db.query.campaignContext.findFirst({
    where: and(eq(campaignContext.id, entryId), eq(campaignContext.campaignId, campaign.id)),
  });
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
    forgetReveals(db, campaign, { kind: "entry", id: String(entryId) }),
    touchCampaign(db, campaign, now),
  ]);
  return deleted.length > 0;
}
