import { and, asc, count, desc, eq, sql } from "drizzle-orm";
import type { CampaignInput } from "~/lib/campaign-schemas";
import { type CampaignStatus, campaignStatuses, contextTypes } from "~/lib/domain";
import { campaignKey, DEFAULT_TTL_SECONDS, type ReadModelCache } from "../cache/read-models.server";
import type { Db } from "../db/db.server";
import { DEFAULT_ROW_LIMITS, insertWithinQuota, QuotaExceeded } from "../db/quota.server";
import { type Campaign, campaignCharacters, campaignContext, campaigns } from "../db/schema";
import type { Account } from "../files/library.server";
import { likeContains, VersionConflictError } from "./errors.server";
import { renderLinked } from "./links.server";
import {
  type CampaignReader,
  campaignsWhere,
  roleColumn,
  visibleCharacters,
  visibleCount,
  visibleEntries,
} from "./policy.server";
import { campaignResourcesQuery } from "./resources.server";

export type { Campaign };

export interface CampaignListQuery {
  status: CampaignStatus | "all";
  q: string;
  sort: "updated" | "name" | "created";
}

/** The campaign if `username` owns it; undefined for anyone else's or a missing id. */
export async function getCampaign(db: Db, username: string, campaignId: string): Promise<Campaign | undefined> {
  return db.query.campaigns.findFirst({
    where: and(eq(campaigns.id, campaignId), eq(campaigns.username, username)),
  });
}

/** The campaigns the user runs and those they are in, with their role in each. */
export async function listCampaigns(db: Db, account: Account, query: CampaignListQuery) {
  const order =
    query.sort === "name"
      ? [asc(sql`${campaigns.name} COLLATE NOCASE`)]
      : query.sort === "created"
        ? [desc(campaigns.createdAt)]
        : [desc(campaigns.updatedAt)];
  return db
    .select({
      id: campaigns.id,
      name: campaigns.name,
      status: campaigns.status,
      metadata: campaigns.metadata,
      updatedAt: campaigns.updatedAt,
      owner: campaigns.username,
      role: roleColumn(account),
      // What the account may see of each: a player's count says nothing of hidden material.
      contextCount: visibleCount(account, "campaign_context"),
      characterCount: visibleCount(account, "campaign_characters"),
    })
    .from(campaigns)
    .where(
      and(
        campaignsWhere(account, "view"),
        query.status === "all" ? undefined : eq(campaigns.status, query.status),
        query.q ? sql`${campaigns.name} LIKE ${likeContains(query.q)} ESCAPE '\\'` : undefined,
      ),
    )
    .orderBy(...order);
}

/**
 * A page of the campaigns the account may open (only `campaignId`, for a token limited to
 * it), with their role, in creation order after `after` (`limit + 1` rows; the API's cursor).
 */
export async function listCampaignsPage(
  db: Db,
  account: Account,
  { after, limit, campaignId }: { after: [number, string] | null; limit: number; campaignId?: string | null },
) {
  return db
    .select({ campaign: campaigns, role: roleColumn(account) })
    .from(campaigns)
    .where(
      and(
        campaignsWhere(account, "view"),
        campaignId ? eq(campaigns.id, campaignId) : undefined,
        after ? sql`(${campaigns.createdAt}, ${campaigns.id}) > (${after[0]}, ${after[1]})` : undefined,
      ),
    )
    .orderBy(asc(campaigns.createdAt), asc(campaigns.id))
    .limit(limit + 1);
}

/** How many campaigns the user runs or is in, in each status, for the filter tabs. */
export async function countCampaignsByStatus(
  db: Db,
  account: Account,
): Promise<Record<CampaignStatus | "all", number>> {
  const rows = await db
    .select({ status: campaigns.status, n: count() })
    .from(campaigns)
    .where(campaignsWhere(account, "view"))
    .groupBy(campaigns.status);
  const counts = Object.fromEntries(campaignStatuses.map((s) => [s, 0])) as Record<CampaignStatus | "all", number>;
  counts.all = 0;
  for (const row of rows) {
    counts[row.status] = row.n;
    counts.all += row.n;
  }
  return counts;
}

function toColumns(input: CampaignInput) {
  return {
    name: input.name,
    description: input.description,
    status: input.status,
    metadata: {
      system: input.system || undefined,
      setting: input.setting || undefined,
      nextSessionAt: input.nextSessionAt || undefined,
      tags: input.tags,
    },
  };
}

export async function createCampaign(
  db: Db,
  username: string,
  input: CampaignInput,
  limit = DEFAULT_ROW_LIMITS.campaigns,
): Promise<Campaign> {
  const held = sql`(SELECT count(*) FROM campaigns WHERE username = ${username})`;
  const values = { id: crypto.randomUUID(), username, ...toColumns(input) };
  const created = await insertWithinQuota(db, campaigns, values, held, limit);
  if (!created) {
    throw new QuotaExceeded(
      `You have ${limit.toLocaleString("en")} campaigns, the most one account can hold. Delete one you no longer need to start another.`,
    );
  }
  return created;
}

/**
 * Saves an edit made from `version`. Refuses (VersionConflictError with the saved row)
 * when the campaign changed since; returns undefined when it is not the user's.
 */
export async function updateCampaign(
  db: Db,
  username: string,
  campaignId: string,
  version: number,
  input: CampaignInput,
): Promise<Campaign | undefined> {
  return saveVersioned(db, username, campaignId, version, toColumns(input));
}

export async function setCampaignStatus(
  db: Db,
  username: string,
  campaignId: string,
  version: number,
  status: CampaignStatus,
): Promise<Campaign | undefined> {
  return saveVersioned(db, username, campaignId, version, { status });
}

async function saveVersioned(
  db: Db,
  username: string,
  campaignId: string,
  version: number,
  changes: Partial<typeof campaigns.$inferInsert>,
): Promise<Campaign | undefined> {
  const now = Date.now();
  const [updated] = await db
    .update(campaigns)
    .set({ ...changes, version: sql`${campaigns.version} + 1`, updatedAt: now, editedAt: now })
    .where(and(eq(campaigns.id, campaignId), eq(campaigns.username, username), eq(campaigns.version, version)))
    .returning();
  if (updated) return updated;
  const current = await getCampaign(db, username, campaignId);
  if (current) throw new VersionConflictError(current);
  return undefined;
}

/**
 * Deletes the campaign; D1 cascades remove its context entries, characters, resource
 * links and chats (and their FTS rows). Library files stay in the library.
 */
export async function deleteCampaign(db: Db, username: string, campaignId: string): Promise<boolean> {
  const deleted = await db
    .delete(campaigns)
    .where(and(eq(campaigns.id, campaignId), eq(campaigns.username, username)))
    .returning({ id: campaigns.id });
  return deleted.length > 0;
}

/**
 * Editing inside a campaign counts as updating the campaign (its list sorts by it); the
 * campaign's own version is left alone, so an NPC edit never conflicts with a description edit.
 */
export function touchCampaign(db: Db, campaign: Campaign, now: number) {
  return db.update(campaigns).set({ updatedAt: now }).where(eq(campaigns.id, campaign.id));
}

export interface RecentChange {
  kind: "campaign" | "context" | "character";
  id: string | number;
  title: string;
  updatedAt: number;
}

/** Everything the overview page shows of what the reader may see, in one round trip to D1. */
export async function getCampaignOverview(db: Db, reader: CampaignReader) {
  const { campaign } = reader;
  const [entries, characters, resources] = await db.batch([
    db
      .select({
        id: campaignContext.id,
        contextType: campaignContext.contextType,
        title: campaignContext.title,
        audience: campaignContext.audience,
        updatedAt: campaignContext.updatedAt,
      })
      .from(campaignContext)
      .where(and(eq(campaignContext.campaignId, campaign.id), visibleEntries(reader)))
      .orderBy(asc(sql`${campaignContext.title} COLLATE NOCASE`)),
    db
      .select({
        id: campaignCharacters.id,
        characterName: campaignCharacters.characterName,
        characterType: campaignCharacters.characterType,
        status: campaignCharacters.status,
        audience: campaignCharacters.audience,
        updatedAt: campaignCharacters.updatedAt,
      })
      .from(campaignCharacters)
      .where(and(eq(campaignCharacters.campaignId, campaign.id), visibleCharacters(reader)))
      .orderBy(asc(sql`${campaignCharacters.characterName} COLLATE NOCASE`)),
    campaignResourcesQuery(db, reader),
  ]);

  const recent: RecentChange[] = [
    // The campaign's own edits only: its updatedAt also moves with every entry, character,
    // session and attachment, and listing that would show a phantom change beside each.
    {
      kind: "campaign" as const,
      id: campaign.id,
      title: campaign.name,
      updatedAt: campaign.editedAt ?? campaign.createdAt,
    },
    ...entries.map((e) => ({ kind: "context" as const, id: e.id, title: e.title, updatedAt: e.updatedAt })),
    ...characters.map((c) => ({
      kind: "character" as const,
      id: c.id,
      title: c.characterName,
      updatedAt: c.updatedAt,
    })),
  ]
    // Newest first; a campaign created with its first entries in one go (an import) lists them first.
    .sort((a, b) => b.updatedAt - a.updatedAt || Number(a.kind === "campaign") - Number(b.kind === "campaign"))
    .slice(0, 8);

  return { entries, characters, resources, recent };
}

/** The overview shows this many entries of each type, and this many characters; their lists show all. */
export const OVERVIEW_ENTRIES_PER_TYPE = 6;
export const OVERVIEW_CHARACTERS = 12;

/**
 * The overview as the reader sees it: its description rendered, the first entries of each
 * type and the first characters with how many there are, its files and recent changes.
 * From the read-model cache when this campaign generation's copy for this viewer is there,
 * else from D1 (ADR 0029). A summary, not the index: 250 links cost more to render and
 * send than everything else on the page (bench/README.md), and the lists show them all.
 */
export async function campaignOverviewModel(stores: { db: Db; readModels: ReadModelCache }, reader: CampaignReader) {
  return stores.readModels.readThrough(campaignKey("overview", reader), DEFAULT_TTL_SECONDS, async () => {
    const { entries, characters, resources, recent } = await getCampaignOverview(stores.db, reader);
    const entryGroups = contextTypes
      .map((type) => {
        const ofType = entries.filter((entry) => entry.contextType === type);
        return {
          type,
          count: ofType.length,
          items: ofType.slice(0, OVERVIEW_ENTRIES_PER_TYPE).map(({ id, title, audience }) => ({ id, title, audience })),
        };
      })
      .filter((group) => group.count > 0);
    return {
      descriptionHtml: await renderLinked(stores.db, reader, reader.campaign.description),
      entryCount: entries.length,
      entryGroups,
      characterCount: characters.length,
      characters: characters.slice(0, OVERVIEW_CHARACTERS).map(({ updatedAt: _updatedAt, ...character }) => character),
      resources,
      recent,
    };
  });
}
