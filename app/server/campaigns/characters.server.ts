import { and, asc, desc, eq, getTableColumns, gt, sql } from "drizzle-orm";
import type { CharacterInput } from "~/lib/campaign-schemas";
import type { CharacterDetails, CharacterStatus, CharacterType } from "~/lib/domain";
import type { Db } from "../db/db.server";
import { DEFAULT_ROW_LIMITS, insertWithinQuota, QuotaExceeded } from "../db/quota.server";
import { type Campaign, campaignCharacters, fileMetadata } from "../db/schema";
import { touchCampaign } from "./campaigns.server";
import { VersionConflictError } from "./errors.server";
import { keepOldNameOnRename, otherNames } from "./links.server";
import { audienceTokensSql, type CampaignReader, can, newRowAudienceTokens, visibleCharacters } from "./policy.server";
import { campaignFileCondition } from "./resources.server";
import { forgetReveals } from "./reveals.server";
import { withoutSecrets } from "./secrets.server";

type CharacterRow = typeof campaignCharacters.$inferSelect;
export type Character = Omit<CharacterRow, "metadata"> & { details: CharacterDetails };

function withDetails(row: CharacterRow): Character {
  const { metadata, ...rest } = row;
  const details = metadata as Partial<CharacterDetails>;
  return { ...rest, details: { ...details, stats: Array.isArray(details.stats) ? details.stats : [] } };
}

/** A reader's columns of a character: the backstory without secret blocks unless they may see secrets. */
function readableColumns(reader: CampaignReader) {
  const { backstory, ...columns } = getTableColumns(campaignCharacters);
  return { ...columns, backstory: can(reader.role, "seeSecrets") ? backstory : campaignCharacters.backstoryPublic };
}

/** The characters the reader may see (visibleCharacters), as they may read them. */
export async function listCharacters(
  db: Db,
  reader: CampaignReader,
  filter: { kind: CharacterType | "all"; status: CharacterStatus | "all" },
) {
  const rows = await db
    .select(readableColumns(reader))
    .from(campaignCharacters)
    .where(
      and(
        eq(campaignCharacters.campaignId, reader.campaign.id),
        visibleCharacters(reader),
        filter.kind === "all" ? undefined : eq(campaignCharacters.characterType, filter.kind),
        filter.status === "all" ? undefined : eq(campaignCharacters.status, filter.status),
      ),
    )
    .orderBy(desc(campaignCharacters.updatedAt));
  return rows.map(withDetails);
}

/** A page of the characters the reader sees, in creation order after `afterId` (`limit + 1` rows; the API's cursor). */
export async function listCharactersPage(
  db: Db,
  reader: CampaignReader,
  { afterId, limit, kind }: { afterId: number; limit: number; kind?: CharacterType },
) {
  const rows = await db
    .select(readableColumns(reader))
    .from(campaignCharacters)
    .where(
      and(
        eq(campaignCharacters.campaignId, reader.campaign.id),
        visibleCharacters(reader),
        gt(campaignCharacters.id, afterId),
        kind ? eq(campaignCharacters.characterType, kind) : undefined,
      ),
    )
    .orderBy(asc(campaignCharacters.id))
    .limit(limit + 1);
  return rows.map(withDetails);
}

export async function getCharacter(
  db: Db,
  reader: CampaignReader,
  characterId: number,
): Promise<Character | undefined> {
  const [row] = await db
    .select(readableColumns(reader))
    .from(campaignCharacters)
    .where(
      and(
        eq(campaignCharacters.id, characterId),
        eq(campaignCharacters.campaignId, reader.campaign.id),
        visibleCharacters(reader),
      ),
    );
  return row ? withDetails(row) : undefined;
}

function toColumns(input: CharacterInput) {
  const details: CharacterDetails = {
    // Only a player character has a player (the form hides the field for an NPC).
    playerName: (input.characterType === "pc" && input.playerName) || undefined,
    ancestry: input.ancestry || undefined,
    characterClass: input.characterClass || undefined,
    level: input.level,
    alignment: input.alignment || undefined,
    stats: input.stats,
  };
  return {
    characterName: input.characterName,
    aliases: otherNames(input.characterName, input.aliases),
    characterType: input.characterType,
    status: input.status,
    backstory: input.backstory,
    backstoryPublic: withoutSecrets(input.backstory),
    audience: input.audience ?? "gm",
    metadata: details as unknown as Record<string, unknown>,
    sheetFileKey: input.sheetFileKey ?? null,
  };
}

/**
 * The files a character's sheet may be, for whoever edits it: the owner picks from their
 * whole library; anyone else only from the campaign's files they may read, as the rest
 * of the owner's library is not theirs to see.
 */
function sheetFiles(campaign: Campaign, editor: CampaignReader | null) {
  return !editor || editor.role === "owner"
    ? eq(fileMetadata.username, campaign.username)
    : campaignFileCondition(editor);
}

async function assertSheet(db: Db, campaign: Campaign, input: CharacterInput, editor: CampaignReader | null) {
  if (!input.sheetFileKey) return;
  const [file] = await db
    .select({ fileKey: fileMetadata.fileKey })
    .from(fileMetadata)
    .where(and(eq(fileMetadata.fileKey, input.sheetFileKey), sheetFiles(campaign, editor)));
  if (!file) throw new SheetNotFoundError();
}

export class SheetNotFoundError extends Error {
  override name = "SheetNotFoundError";
  constructor() {
    super("That file cannot be this character's sheet. Choose one from the list.");
  }
}

/** The files `editor` may choose as a character sheet (sheetFiles). */
export async function listSheetOptions(db: Db, editor: CampaignReader) {
  return db
    .select({ fileKey: fileMetadata.fileKey, fileName: fileMetadata.fileName })
    .from(fileMetadata)
    .where(sheetFiles(editor.campaign, editor))
    .orderBy(fileMetadata.fileName);
}

/**
 * Creates a character. `editor`, who writes it, decides which files its sheet may be
 * (the routes always say; without one, the owner: their library).
 */
export async function createCharacter(
  db: Db,
  campaign: Campaign,
  input: CharacterInput,
  limit = DEFAULT_ROW_LIMITS.characters,
  editor: CampaignReader | null = null,
): Promise<Character> {
  await assertSheet(db, campaign, input, editor);
  const now = Date.now();
  const held = sql`(SELECT count(*) FROM campaign_characters p JOIN campaigns c ON c.id = p.campaign_id
    WHERE c.username = ${campaign.username})`;
  const columns = toColumns(input);
  const values = {
    campaignId: campaign.id,
    ...columns,
    audienceTokens: newRowAudienceTokens(columns.audience),
    createdAt: now,
    updatedAt: now,
  };
  const created = await insertWithinQuota(db, campaignCharacters, values, held, limit);
  if (!created) {
    throw new QuotaExceeded(
      `Your campaigns hold ${limit.toLocaleString("en")} characters, the most one account can. Delete characters you no longer need to add more.`,
    );
  }
  await touchCampaign(db, campaign, now);
  return withDetails(created);
}

export async function updateCharacter(
  db: Db,
  campaign: Campaign,
  characterId: number,
  version: number,
  input: CharacterInput,
  editor: CampaignReader | null = null,
): Promise<Character | undefined> {
  await assertSheet(db, campaign, input, editor);
  const now = Date.now();
  const columns = toColumns(input);
  const [[updated]] = await db.batch([
    db
      .update(campaignCharacters)
      .set({
        ...columns,
        aliases: keepOldNameOnRename(
          campaignCharacters.characterName,
          input.characterName,
          columns.aliases,
          input.forgetOldName,
        ),
        audienceTokens: audienceTokensSql(campaign, "character", characterId, input.audience ?? "gm"),
        version: sql`${campaignCharacters.version} + 1`,
        updatedAt: now,
      })
      .where(
        and(
          eq(campaignCharacters.id, characterId),
          eq(campaignCharacters.campaignId, campaign.id),
          eq(campaignCharacters.version, version),
        ),
      )
      .returning(),
    touchCampaign(db, campaign, now),
  ]);
  if (updated) return withDetails(updated);
  const current = await db.query.campaignCharacters.findFirst({
    where: and(eq(campaignCharacters.id, characterId), eq(campaignCharacters.campaignId, campaign.id)),
  });
  if (current) throw new VersionConflictError(withDetails(current));
  return undefined;
}

export async function deleteCharacter(db: Db, campaign: Campaign, characterId: number): Promise<boolean> {
  const [deleted] = await db.batch([
    db
      .delete(campaignCharacters)
      .where(and(eq(campaignCharacters.id, characterId), eq(campaignCharacters.campaignId, campaign.id)))
      .returning({ id: campaignCharacters.id }),
    forgetReveals(db, campaign, { kind: "character", id: String(characterId) }),
    touchCampaign(db, campaign, Date.now()),
  ]);
  return deleted.length > 0;
}
