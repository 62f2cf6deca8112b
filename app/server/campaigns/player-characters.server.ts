import { and, eq, sql } from "drizzle-orm";
import type { PlayerCharacterInput } from "~/lib/campaign-schemas";
import type { PlayerEditableField } from "~/lib/members";
import type { Db } from "../db/db.server";
import { campaignCharacters } from "../db/schema";
import { findSecretBlocks } from "../markdown.server";
import { touchCampaign } from "./campaigns.server";
import type { CharacterDetails } from "./characters.server";
import { VersionConflictError } from "./errors.server";
import { type CampaignAccess, mayPlay } from "./policy.server";
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
    .set({ playerId: player ?? null, playerFields: player ? playerFields : [] })
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

/** The fields the player may change on this character now (backstory only while it has no secret). */
export async function playableFields(
  db: Db,
  access: CampaignAccess,
  characterId: number,
): Promise<{ fields: PlayerEditableField[]; version: number } | null> {
  const [row] = await db
    .select({
      playerId: campaignCharacters.playerId,
      playerFields: campaignCharacters.playerFields,
      backstory: campaignCharacters.backstory,
      version: campaignCharacters.version,
    })
    .from(campaignCharacters)
    .where(and(eq(campaignCharacters.id, characterId), eq(campaignCharacters.campaignId, access.campaign.id)));
  if (!row || !mayPlay(access, row)) return null;
  const fields = row.playerFields.filter((field) => field !== "backstory" || backstoryIsPlayers(row.backstory));
  return { fields, version: row.version };
}

/**
 * Saves what the player may change, as of `version` (a GM's or their own newer save is a
 * conflict): the row is written only while they still play it. Answers false when they
 * may not (404); throws VersionConflictError on a newer version.
 */
export async function updateAsPlayer(
  db: Db,
  access: CampaignAccess,
  characterId: number,
  input: PlayerCharacterInput,
): Promise<boolean> {
  const allowed = await playableFields(db, access, characterId);
  if (!allowed?.fields.length) return false;
  const may = new Set(allowed.fields);
  const [current] = await db
    .select({ metadata: campaignCharacters.metadata })
    .from(campaignCharacters)
    .where(eq(campaignCharacters.id, characterId));
  const details = { ...(current?.metadata as Partial<CharacterDetails>) };
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
          eq(campaignCharacters.version, input.version),
          // Still no secret in it: a GM may have added one since the page loaded.
          may.has("backstory")
            ? sql`${campaignCharacters.backstory} = ${campaignCharacters.backstoryPublic}`
            : undefined,
        ),
      )
      .returning({ id: campaignCharacters.id }),
    touchCampaign(db, access.campaign, now),
  ]);
  if (saved) return true;
  throw new VersionConflictError(null);
}
