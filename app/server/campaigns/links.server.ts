import { and, desc, eq, inArray, ne, or, type SQL, sql } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import { MAX_ALIASES } from "~/lib/campaign-schemas";
import { linkKey, MAX_LINKS_PER_TEXT, wikiLinkNames } from "~/lib/wiki-links";
import type { Db } from "../db/db.server";
import { campaignCharacters, campaignContext, campaignLinkNames, campaignSessions } from "../db/schema";
import type { WikiLinkResolver } from "../markdown.server";
import { likeContains } from "./errors.server";
import { type CampaignReader, can, visibleCharacters, visibleEntries, visibleSessions } from "./policy.server";
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
    // Through the names index (title and aliases, kept by migration 0018's triggers), so a
    // page reads the rows its links name, not every row of the campaign.
    const named = (kind: "entry" | "character") =>
      and(
        eq(campaignLinkNames.campaignId, reader.campaign.id),
        eq(campaignLinkNames.targetKind, kind),
        inArray(sql`${campaignLinkNames.name} COLLATE NOCASE`, names),
      );
    const [entries, characters] = await db.batch([
      db
        .select({ id: campaignContext.id, name: campaignLinkNames.name, title: campaignContext.title })
        .from(campaignLinkNames)
        .innerJoin(campaignContext, eq(campaignContext.id, campaignLinkNames.targetId))
        .where(and(named("entry"), eq(campaignContext.campaignId, reader.campaign.id), visibleEntries(reader)))
        .orderBy(campaignContext.id),
      db
        .select({ id: campaignCharacters.id, name: campaignLinkNames.name, title: campaignCharacters.characterName })
        .from(campaignLinkNames)
        .innerJoin(campaignCharacters, eq(campaignCharacters.id, campaignLinkNames.targetId))
        .where(
          and(named("character"), eq(campaignCharacters.campaignId, reader.campaign.id), visibleCharacters(reader)),
        )
        .orderBy(campaignCharacters.id),
    ]);
    // Of several rows one name fits: a title before an alias, an entry before a character
    // (lore is what links mostly point at), the oldest first — so later rows never take a name over.
    const candidates = [
      ...entries.map((row) => ({ ...row, href: `${base}/context/${row.id}`, rank: 0 })),
      ...characters.map((row) => ({ ...row, href: `${base}/characters/${row.id}`, rank: 1 })),
    ].map((row) => ({ ...row, rank: row.rank + (linkKey(row.name) === linkKey(row.title) ? 0 : 2) }));
    candidates.sort((a, b) => a.rank - b.rank || a.id - b.id);
    for (const row of candidates) if (!targets.has(linkKey(row.name))) targets.set(linkKey(row.name), row.href);
  }
  const mayCreate = can(reader.role, "editMaterial");
  return {
    href: (name) => targets.get(linkKey(name)) ?? null,
    createHref: (name) =>
      mayCreate ? `/campaigns/${reader.campaign.id}/context/new?${new URLSearchParams({ title: name })}` : null,
  };
}

/** After a save: tells the GM the old name was kept as another name, and who sees it. */
export function keptNameNotice(saved: { aliases: string[] }, input: { aliases?: string[] }): string {
  const typed = new Set((input.aliases ?? []).map(linkKey));
  const kept = saved.aliases.find((alias) => !typed.has(linkKey(alias)));
  return kept
    ? ` Links to “${kept}” still work: the old name is now under Also known as, which anyone who can see this can read.`
    : "";
}

/** The aliases to store beside `name`: without the name itself. */
export function otherNames(name: string, aliases: string[] = []): string[] {
  return aliases.filter((alias) => linkKey(alias) !== linkKey(name));
}

/**
 * The aliases column of a row renamed to `newName`: its old name joins `aliases`, in the
 * same UPDATE (the SET sees the row as it was), so every `[[link]]` to the old name keeps
 * resolving without rewriting anyone's text. A GM can remove it later like any alias, or
 * tick "forget the old name" as they rename.
 */
export function keepOldNameOnRename(
  nameColumn: SQLiteColumn,
  newName: string,
  aliases: string[],
  forget = false,
): SQL | string[] {
  if (forget) return aliases;
  const json = JSON.stringify(aliases);
  // With MAX_ALIASES names already there the old one is not added (the form could not save it again).
  return sql`CASE
    WHEN ${nameColumn} = ${newName} COLLATE NOCASE
      OR json_array_length(${json}) >= ${MAX_ALIASES}
      OR EXISTS (SELECT 1 FROM json_each(${json}) WHERE value = ${nameColumn} COLLATE NOCASE)
    THEN ${json}
    ELSE json_insert(${json}, '$[#]', ${nameColumn}) END`;
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
  kind: "entry" | "character" | "session";
  id: number;
  title: string;
  href: string;
}

/**
 * What links to a target by any of its names (title and aliases) among what the reader
 * may see, in the text they may read — a link inside a secret block counts only for the
 * GMs. The target itself is left out.
 */
export async function backlinksTo(
  db: Db,
  reader: CampaignReader,
  target: { kind: "entry" | "character"; id: number; names: string[] },
): Promise<Backlink[]> {
  const gm = can(reader.role, "seeSecrets");
  const linksTo = (column: unknown) =>
    or(
      ...target.names.flatMap((name) => [
        sql`${column} LIKE ${likeContains(`[[${name}]]`)} ESCAPE '\\'`,
        sql`${column} LIKE ${likeContains(`[[${name}|`)} ESCAPE '\\'`,
      ]),
    );
  const base = `/campaigns/${reader.campaign.id}`;
  const [entries, characters, sessions] = await db.batch([
    db
      .select({ id: campaignContext.id, title: campaignContext.title })
      .from(campaignContext)
      .where(
        and(
          eq(campaignContext.campaignId, reader.campaign.id),
          visibleEntries(reader),
          linksTo(gm ? campaignContext.content : campaignContext.contentPublic),
          target.kind === "entry" ? ne(campaignContext.id, target.id) : undefined,
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
          target.kind === "character" ? ne(campaignCharacters.id, target.id) : undefined,
        ),
      )
      .orderBy(campaignCharacters.characterName)
      .limit(50),
    // Sessions: the GMs' notes and the recap for GMs; a player only the shared recap they read.
    db
      .select({ id: campaignSessions.id, number: campaignSessions.number, title: campaignSessions.title })
      .from(campaignSessions)
      .where(
        and(
          eq(campaignSessions.campaignId, reader.campaign.id),
          visibleSessions(reader),
          gm
            ? or(linksTo(campaignSessions.notes), linksTo(campaignSessions.recap))
            : linksTo(campaignSessions.recapPublic),
        ),
      )
      .orderBy(desc(campaignSessions.number))
      .limit(50),
  ]);
  return [
    ...entries.map((row) => ({ kind: "entry" as const, ...row, href: `${base}/context/${row.id}` })),
    ...characters.map((row) => ({ kind: "character" as const, ...row, href: `${base}/characters/${row.id}` })),
    ...sessions.map((row) => ({
      kind: "session" as const,
      id: row.id,
      title: row.title ? `Session ${row.number}: ${row.title}` : `Session ${row.number}`,
      href: `${base}/sessions/${row.id}`,
    })),
  ];
}
