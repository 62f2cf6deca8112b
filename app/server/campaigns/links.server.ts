import { and, eq, inArray, ne, or, sql } from "drizzle-orm";
import { linkKey, MAX_LINKS_PER_TEXT, wikiLinkNames } from "~/lib/wiki-links";
import type { Db } from "../db/db.server";
import { campaignCharacters, campaignContext } from "../db/schema";
import type { WikiLinkResolver } from "../markdown.server";
import { likeContains } from "./errors.server";
import { type CampaignReader, can, visibleCharacters, visibleEntries } from "./policy.server";
import { renderForReader, withoutSecrets } from "./secrets.server";

/**
 * `[[Name]]` links between a campaign's entries and characters (issue 16): resolved by
 * name, case-insensitively, against what the reader may see — a hidden target is not a
 * link for them, and nothing says it exists. Someone who may write material gets, for a
 * name nothing has, a link that opens a new entry with that title.
 */

/** The resolver for rendering `texts` to `reader`: one query per kind, for the names the texts use. */
export async function linkResolver(db: Db, reader: CampaignReader, texts: string[]): Promise<WikiLinkResolver> {
  const names = [...new Map(texts.flatMap(wikiLinkNames).map((name) => [linkKey(name), name])).values()].slice(
    0,
    MAX_LINKS_PER_TEXT,
  );
  const targets = new Map<string, string>();
  if (names.length > 0) {
    const base = `/campaigns/${reader.campaign.id}`;
    const [entries, characters] = await db.batch([
      db
        .select({ id: campaignContext.id, name: campaignContext.title })
        .from(campaignContext)
        .where(
          and(
            eq(campaignContext.campaignId, reader.campaign.id),
            visibleEntries(reader),
            inArray(sql`${campaignContext.title} COLLATE NOCASE`, names),
          ),
        ),
      db
        .select({ id: campaignCharacters.id, name: campaignCharacters.characterName })
        .from(campaignCharacters)
        .where(
          and(
            eq(campaignCharacters.campaignId, reader.campaign.id),
            visibleCharacters(reader),
            inArray(sql`${campaignCharacters.characterName} COLLATE NOCASE`, names),
          ),
        ),
    ]);
    // An entry and a character of one name: the entry (lore is what links mostly point at); the oldest of each kind.
    for (const row of [...characters].reverse()) targets.set(linkKey(row.name), `${base}/characters/${row.id}`);
    for (const row of [...entries].reverse()) targets.set(linkKey(row.name), `${base}/context/${row.id}`);
  }
  const mayCreate = can(reader.role, "editMaterial");
  return {
    href: (name) => targets.get(linkKey(name)) ?? null,
    createHref: (name) =>
      mayCreate ? `/campaigns/${reader.campaign.id}/context/new?${new URLSearchParams({ title: name })}` : null,
  };
}

/**
 * Campaign Markdown as the reader may see it (renderForReader), its `[[links]]` resolved for
 * them — from the text they may read: a name only a secret block uses is not looked up for a player.
 */
export async function renderLinked(db: Db, reader: CampaignReader, markdown: string): Promise<string> {
  const readable = can(reader.role, "seeSecrets") ? markdown : withoutSecrets(markdown);
  return renderForReader(readable, reader, await linkResolver(db, reader, [readable]));
}

export interface Backlink {
  kind: "entry" | "character";
  id: number;
  title: string;
  href: string;
}

/**
 * What links to `name` (an entry's title, a character's name) among what the reader may
 * see, in the text they may read — a link inside a secret block counts only for the GMs.
 * `exclude` leaves out the target itself.
 */
export async function backlinksTo(
  db: Db,
  reader: CampaignReader,
  name: string,
  exclude: { kind: "entry" | "character"; id: number },
): Promise<Backlink[]> {
  const gm = can(reader.role, "seeSecrets");
  const linksTo = (column: unknown) =>
    or(
      sql`${column} LIKE ${likeContains(`[[${name}]]`)} ESCAPE '\\'`,
      sql`${column} LIKE ${likeContains(`[[${name}|`)} ESCAPE '\\'`,
    );
  const base = `/campaigns/${reader.campaign.id}`;
  const [entries, characters] = await db.batch([
    db
      .select({ id: campaignContext.id, title: campaignContext.title })
      .from(campaignContext)
      .where(
        and(
          eq(campaignContext.campaignId, reader.campaign.id),
          visibleEntries(reader),
          linksTo(gm ? campaignContext.content : campaignContext.contentPublic),
          exclude.kind === "entry" ? ne(campaignContext.id, exclude.id) : undefined,
        ),
      )
      .orderBy(campaignContext.title)
      .limit(50),
    db
      .select({ id: campaignCharacters.id, title: campaignCharacters.characterName })
      .from(campaignCharacters)
      .where(
        and(
          eq(campaignCharacters.campaignId, reader.campaign.id),
          visibleCharacters(reader),
          linksTo(gm ? campaignCharacters.backstory : campaignCharacters.backstoryPublic),
          exclude.kind === "character" ? ne(campaignCharacters.id, exclude.id) : undefined,
        ),
      )
      .orderBy(campaignCharacters.characterName)
      .limit(50),
  ]);
  return [
    ...entries.map((row) => ({ kind: "entry" as const, ...row, href: `${base}/context/${row.id}` })),
    ...characters.map((row) => ({ kind: "character" as const, ...row, href: `${base}/characters/${row.id}` })),
  ];
}
