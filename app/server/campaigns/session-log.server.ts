import { and, desc, eq, lt, sql } from "drizzle-orm";
import type { Audience } from "~/lib/members";
import type { Db } from "../db/db.server";
import { insertWithinQuota, QuotaExceeded } from "../db/quota.server";
import { campaignLogNotes, users } from "../db/schema";
import { type CampaignAccess, type CampaignReader, can, visibleLogNotes } from "./policy.server";

/**
 * The session log (ADR 0026): short notes that GMs and players add during a session, for
 * everyone in the campaign or, written by a GM, for the GMs. The room tells open pages
 * that a note arrived; the page reads the notes its reader may see through here.
 */

/** Notes one page shows; older ones page back by id. */
export const LOG_PAGE = 100;
/** Far more than years of weekly sessions; bounds what one campaign's log can hold. */
export const MAX_LOG_NOTES = 20_000;

export async function listLogNotes(db: Db, reader: CampaignReader, before?: number) {
  const rows = await db
    .select({
      id: campaignLogNotes.id,
      body: campaignLogNotes.body,
      audience: campaignLogNotes.audience,
      createdAt: campaignLogNotes.createdAt,
      authorId: campaignLogNotes.authorId,
      author: users.username,
    })
    .from(campaignLogNotes)
    .innerJoin(users, eq(users.id, campaignLogNotes.authorId))
    .where(
      and(
        eq(campaignLogNotes.campaignId, reader.campaign.id),
        visibleLogNotes(reader),
        before ? lt(campaignLogNotes.id, before) : undefined,
      ),
    )
    .orderBy(desc(campaignLogNotes.id))
    .limit(LOG_PAGE + 1);
  return {
    notes: rows.slice(0, LOG_PAGE).map(({ authorId, ...note }) => ({
      ...note,
      mine: authorId === reader.account.id,
      // A note is removed by its author, or by a GM keeping the log tidy.
      mayDelete: authorId === reader.account.id || can(reader.role, "editMaterial"),
    })),
    olderFrom: rows.length > LOG_PAGE ? rows[LOG_PAGE - 1]?.id : undefined,
  };
}

/** Adds a note as `access`'s user; only a GM's note may be for the GMs. Answers it, or throws QuotaExceeded. */
export async function addLogNote(db: Db, access: CampaignAccess, body: string, gmOnly: boolean) {
  const audience: Audience = gmOnly && can(access.role, "seeSecrets") ? "gm" : "campaign";
  const note = await insertWithinQuota(
    db,
    campaignLogNotes,
    { campaignId: access.campaign.id, authorId: access.account.id, body, audience },
    sql`(SELECT count(*) FROM campaign_log_notes WHERE campaign_id = ${access.campaign.id})`,
    MAX_LOG_NOTES,
  );
  if (!note) throw new QuotaExceeded("This campaign's session log is full. Delete old notes to add new ones.");
  return note;
}

/**
 * Deletes a note its author wrote, or any note for a GM who edits the campaign, in one
 * statement. Answers the deleted note's audience, or null when there is no such note the
 * caller may delete (404).
 */
export async function deleteLogNote(db: Db, access: CampaignAccess, noteId: number): Promise<Audience | null> {
  const [deleted] = await db
    .delete(campaignLogNotes)
    .where(
      and(
        eq(campaignLogNotes.id, noteId),
        eq(campaignLogNotes.campaignId, access.campaign.id),
        can(access.role, "editMaterial") ? undefined : eq(campaignLogNotes.authorId, access.account.id),
      ),
    )
    .returning({ audience: campaignLogNotes.audience });
  return deleted?.audience ?? null;
}

export type LogNotes = Awaited<ReturnType<typeof listLogNotes>>;
