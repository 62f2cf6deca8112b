import { and, asc, eq, type SQL, sql } from "drizzle-orm";
import type { SwitcherMatch } from "~/lib/switcher";
import { likeContains } from "./campaigns/errors.server";
import { campaignsWhere, visibleInListedCampaign } from "./campaigns/policy.server";
import type { Db } from "./db/db.server";
import { campaignCharacters, campaignContext, campaigns, fileMetadata } from "./db/schema";
import type { Account } from "./files/library.server";

/** Matches of each kind: a jump list, not a search (that is what /search is for). */
export const SWITCHER_PER_KIND = 5;

/** Names that start with the words typed come first, then shorter names. */
function byFit(column: SQL | typeof campaigns.name, query: string) {
  return [
    sql`CASE WHEN ${column} LIKE ${`${query.replace(/[\\%_]/g, (c) => `\\${c}`)}%`} ESCAPE '\\' THEN 0 ELSE 1 END`,
    sql`length(${column})`,
    asc(sql`${column} COLLATE NOCASE`),
  ];
}

/**
 * What the account may open whose name holds `query`, in one round trip to D1: campaigns
 * they are in, entries and characters of those as their role shows them (a player never
 * learns a GM-only entry's title here), and files of their own library.
 */
export async function switcherMatches(db: Db, account: Account, query: string): Promise<SwitcherMatch[]> {
  if (!query) return [];
  const like = likeContains(query);
  const matches = (column: SQL | typeof campaigns.name) => sql`${column} LIKE ${like} ESCAPE '\\'`;
  // Joined columns named apart from the row's own: a batch maps a joined select's columns by name.
  const campaignIdOf = sql<string>`${campaigns.id}`.as("campaign_id_of");
  const campaignNameOf = sql<string>`${campaigns.name}`.as("campaign_name_of");
  const [campaignRows, entries, characters, files] = await db.batch([
    db
      .select({ id: campaigns.id, name: campaigns.name })
      .from(campaigns)
      .where(and(campaignsWhere(account, "view"), matches(campaigns.name)))
      .orderBy(...byFit(campaigns.name, query))
      .limit(SWITCHER_PER_KIND),
    db
      .select({
        id: campaignContext.id,
        title: campaignContext.title,
        campaignId: campaignIdOf,
        campaignName: campaignNameOf,
      })
      .from(campaignContext)
      .innerJoin(campaigns, eq(campaigns.id, campaignContext.campaignId))
      .where(
        and(
          campaignsWhere(account, "view"),
          visibleInListedCampaign(account, "campaign_context"),
          matches(sql`${campaignContext.title}`),
        ),
      )
      .orderBy(...byFit(sql`${campaignContext.title}`, query))
      .limit(SWITCHER_PER_KIND),
    db
      .select({
        id: campaignCharacters.id,
        title: campaignCharacters.characterName,
        campaignId: campaignIdOf,
        campaignName: campaignNameOf,
      })
      .from(campaignCharacters)
      .innerJoin(campaigns, eq(campaigns.id, campaignCharacters.campaignId))
      .where(
        and(
          campaignsWhere(account, "view"),
          visibleInListedCampaign(account, "campaign_characters"),
          matches(sql`${campaignCharacters.characterName}`),
        ),
      )
      .orderBy(...byFit(sql`${campaignCharacters.characterName}`, query))
      .limit(SWITCHER_PER_KIND),
    db
      .select({ fileKey: fileMetadata.fileKey, fileName: fileMetadata.fileName })
      .from(fileMetadata)
      .where(and(eq(fileMetadata.username, account.username), matches(sql`${fileMetadata.fileName}`)))
      .orderBy(...byFit(sql`${fileMetadata.fileName}`, query))
      .limit(SWITCHER_PER_KIND),
  ]);
  return [
    ...campaignRows.map((c) => ({ kind: "campaign" as const, title: c.name, where: "", href: `/campaigns/${c.id}` })),
    ...entries.map((e) => ({
      kind: "entry" as const,
      title: e.title,
      where: e.campaignName,
      href: `/campaigns/${e.campaignId}/context/${e.id}`,
    })),
    ...characters.map((c) => ({
      kind: "character" as const,
      title: c.title,
      where: c.campaignName,
      href: `/campaigns/${c.campaignId}/characters/${c.id}`,
    })),
    ...files.map((f) => ({
      kind: "file" as const,
      title: f.fileName,
      where: "Library",
      href: `/library/${f.fileKey}`,
    })),
  ];
}
