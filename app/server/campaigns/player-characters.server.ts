import { and, eq, sql } from "drizzle-orm";
import type { PlayerCharacterInput } from "~/lib/campaign-schemas";
import type { CharacterDetails } from "~/lib/domain";
import type { PlayerEditableField } from "~/lib/members";
import type { Db } from "../db/db.server";
import { campaignCharacters } from "../db/schema";
import { findSecretBlocks } from "../markdown.server";
import { touchCampaign } from "./campaigns.server";
import { VersionConflictError } from "./errors.server";
import { type CampaignAccess, mayPlay, visibleCharacters } from "./policy.server";
import { reveal } from "./reveals.server";
import { withoutSecrets } from "./secrets.server";

/**
 * Players' characters (ADR 0026): the GMs name the player who plays a character and the
 * fields that player may change; the player edits those on their character's page. A
 * backstory holding a secret block stays the GMs', as the player cannot see all of it.
 */

/**
 * Names the campaign's player who plays the character (or nobody) and what they may
 * change, in one statement that finds the player among the campaign's players; and shows
 * the character to them (a reveal in the ledger). False when there is no such character
 * or player (404).
 */
export async function assignPlayer(
  db: Db,
  access: CampaignAccess,
  characterId: number,
  playerId: string | null,
  playerFields: PlayerEditableField[],
): Promise<boolean> {
  const { campaign } = access;
  const player = playerId
    ? sql`(SELECT account_id FROM campaign_members WHERE campaign_id = ${campaign.id} AND account_id = ${playerId} AND role = 'player')`
    : null;
  const [updated] = await db
    .update(campaignCharacters)
    // A new version: a player's form loaded before this change is a conflict, not a save of fields no longer theirs.
    .set({
      playerId: player ?? null,
      playerFields: player ? playerFields : [],
      version: sql`${campaignCharacters.version} + 1`,
    })
    .where(
      and(
        eq(campaignCharacters.id, characterId),
        eq(campaignCharacters.campaignId, campaign.id),
        player ? sql`${player} IS NOT NULL` : undefined,
      ),
    )
    .returning({ id: campaignCharacters.id });
  if (!updated) return false;
  if (playerId) await reveal(db, access, { kind: "character", id: String(characterId) }, [playerId], null);
  return true;
}

/** Whether a backstory is one its player may edit: it holds no secret block they cannot see. */
export const backstoryIsPlayers = (backstory: string) => findSecretBlocks(backstory).blocks.length === 0;

/** The character as its player may change it now, or null when they may not (not theirs, hidden from them). */
async function playable(db: Db, access: CampaignAccess, characterId: number) {
  const [row] = await db
    .select({
      playerId: campaignCharacters.playerId,
      playerFields: campaignCharacters.playerFields,
      backstory: campaignCharacters.backstory,
      metadata: campaignCharacters.metadata,
      version: campaignCharacters.version,
    })
    .from(campaignCharacters)
    .where(
      and(
        eq(campaignCharacters.id, characterId),
        eq(campaignCharacters.campaignId, access.campaign.id),
        visibleCharacters(access),
      ),
    );
  if (!row || !mayPlay(access, row)) return null;
  // The backstory only while it holds no secret block.
  const fields = row.playerFields.filter((field) => field !== "backstory" || backstoryIsPlayers(row.backstory));
  return { fields, version: row.version, metadata: row.metadata as Partial<CharacterDetails> };
}

/** The fields the player may change on this character now, and the version they see. */
export async function playableFields(
  db: Db,
  access: CampaignAccess,
  characterId: number,
): Promise<{ fields: PlayerEditableField[]; version: number } | null> {
  const found = await playable(db, access, characterId);
  return found && { fields: found.fields, version: found.version };
}

/**
 * Saves what the player may change, as of `version`. Any change since (a GM's save, new
 * allowed fields, a secret added, their own newer save) is a conflict. The row is
 * written only at the version read, while it is still theirs and shown to them, so
 * nothing checked here can change before the write. Answers false when they may not
 * (404); throws VersionConflictError on a newer version.
 */
export async function updateAsPlayer(
  db: Db,
  access: CampaignAccess,
  characterId: number,
  input: PlayerCharacterInput,
): Promise<boolean> {
  const found = await playable(db, access, characterId);
  if (!found?.fields.length) return false;
  if (found.version !== input.version) throw new VersionConflictError(null);
  const may = new Set(found.fields);
  const details = { ...found.metadata };
  if (may.has("details")) {
    Object.assign(details, {
      ancestry: input.ancestry || undefined,
      characterClass: input.characterClass || undefined,
      level: input.level,
      alignment: input.alignment || undefined,
    });
  }
  if (may.has("stats")) details.stats = input.stats;
  const now = Date.now();
  const [[saved]] = await db.batch([
    db
      .update(campaignCharacters)
      .set({
        metadata: details as Record<string, unknown>,
        ...(may.has("backstory")
          ? { backstory: input.backstory, backstoryPublic: withoutSecrets(input.backstory) }
          : {}),
        version: sql`${campaignCharacters.version} + 1`,
        updatedAt: now,
      })
      .where(
        and(
          eq(campaignCharacters.id, characterId),
          eq(campaignCharacters.campaignId, access.campaign.id),
          eq(campaignCharacters.playerId, access.account.id),
          eq(campaignCharacters.version, found.version),
          visibleCharacters(access),
        ),
      )
      .returning({ id: campaignCharacters.id }),
    touchCampaign(db, access.campaign, now),
  ]);
  if (saved) return true;
  throw new VersionConflictError(null);
}
