import { and, desc, eq, sql } from "drizzle-orm";
import type { Db } from "../db/db.server";
import { insertWithinQuota, QuotaExceeded } from "../db/quota.server";
import { memberNotes, users } from "../db/schema";
import { renderMarkdown } from "../markdown.server";
import { type CampaignAccess, type CampaignReader, visibleMemberNotes } from "./policy.server";

/**
 * Members' own notes (ADR 0026): each member's private notebook in a campaign. Only its
 * author reads or changes a note; a note they share with the GMs the GMs may read too.
 * Every statement names the author, so a note id from someone else is simply not found.
 */

/** Far more than a campaign's worth of a player's notes; bounds what one member can store. */
export const MAX_NOTES_PER_MEMBER = 500;

export async function listMemberNotes(db: Db, reader: CampaignReader) {
  const rows = await db
    .select({
      id: memberNotes.id,
      title: memberNotes.title,
      body: memberNotes.body,
      sharedWithGms: memberNotes.sharedWithGms,
      updatedAt: memberNotes.updatedAt,
      authorId: memberNotes.authorId,
      author: users.username,
    })
    .from(memberNotes)
    .innerJoin(users, eq(users.id, memberNotes.authorId))
    .where(and(eq(memberNotes.campaignId, reader.campaign.id), visibleMemberNotes(reader)))
    .orderBy(desc(memberNotes.updatedAt))
    .limit(MAX_NOTES_PER_MEMBER * 2);
  const notes = rows.map(({ authorId, body, ...note }) => ({
    ...note,
    body,
    html: renderMarkdown(body),
    mine: authorId === reader.account.id,
  }));
  return { mine: notes.filter((note) => note.mine), sharedWithMe: notes.filter((note) => !note.mine) };
}

export async function addMemberNote(db: Db, access: CampaignAccess, input: { title: string; body: string }) {
  const note = await insertWithinQuota(
    db,
    memberNotes,
    { campaignId: access.campaign.id, authorId: access.account.id, title: input.title, body: input.body },
    sql`(SELECT count(*) FROM member_notes WHERE campaign_id = ${access.campaign.id} AND author_id = ${access.account.id})`,
    MAX_NOTES_PER_MEMBER,
  );
  if (!note) throw new QuotaExceeded(`You have ${MAX_NOTES_PER_MEMBER} notes here. Delete old ones to add new ones.`);
  return note;
}

/** The author's own note, by id (`and` with this in every write). */
const ownNote = (access: CampaignAccess, noteId: number) =>
  and(
    eq(memberNotes.id, noteId),
    eq(memberNotes.campaignId, access.campaign.id),
    eq(memberNotes.authorId, access.account.id),
  );

/** Saves the author's note; false when they have no such note (404). */
export async function updateMemberNote(
  db: Db,
  access: CampaignAccess,
  noteId: number,
  input: { title: string; body: string },
): Promise<boolean> {
  const saved = await db
    .update(memberNotes)
    .set({ ...input, updatedAt: Date.now() })
    .where(ownNote(access, noteId))
    .returning({ id: memberNotes.id });
  return saved.length > 0;
}

/** Shares the author's note with the GMs or takes it back; false when there is no such note of theirs. */
export async function shareMemberNote(db: Db, access: CampaignAccess, noteId: number, shared: boolean) {
  const changed = await db
    .update(memberNotes)
    .set({ sharedWithGms: shared })
    .where(ownNote(access, noteId))
    .returning({ id: memberNotes.id });
  return changed.length > 0;
}

export async function deleteMemberNote(db: Db, access: CampaignAccess, noteId: number): Promise<boolean> {
  const deleted = await db.delete(memberNotes).where(ownNote(access, noteId)).returning({ id: memberNotes.id });
  return deleted.length > 0;
}
