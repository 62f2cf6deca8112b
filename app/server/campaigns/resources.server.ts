import { and, asc, eq, inArray, notInArray, type SQL, sql } from "drizzle-orm";
import type { Audience } from "~/lib/members";
import type { Db } from "../db/db.server";
import { type Campaign, campaignResources, campaigns, fileMetadata } from "../db/schema";
import { FILE_KEY_PATTERN } from "../files/keys.server";
import type { FileRow } from "../files/library.server";
import { type CampaignReader, visibleResources } from "./policy.server";
import { forgetReveals } from "./reveals.server";

/**
 * Links between campaigns and library files (`campaign_resources`), with a per-campaign
 * note. Callers pass rows they already fetched scoped to the user, so a link can only
 * ever join the user's own campaign to the user's own file.
 */

/** The attached files the reader may see (visibleResources); a query, so the overview can run it inside its batch. */
export function campaignResourcesQuery(db: Db, reader: CampaignReader) {
  return db
    .select({
      id: campaignResources.id,
      fileKey: campaignResources.fileKey,
      fileName: fileMetadata.fileName,
      description: campaignResources.description,
      contentType: fileMetadata.contentType,
      status: fileMetadata.status,
      audience: campaignResources.audience,
    })
    .from(campaignResources)
    .innerJoin(fileMetadata, eq(fileMetadata.fileKey, campaignResources.fileKey))
    .where(and(eq(campaignResources.campaignId, reader.campaign.id), visibleResources(reader)))
    .orderBy(asc(fileMetadata.fileName));
}

export async function listCampaignResources(db: Db, reader: CampaignReader) {
  return campaignResourcesQuery(db, reader);
}

/** The user's files not yet attached to the campaign, for the attach picker. */
export async function listAttachableFiles(db: Db, campaign: Campaign) {
  const attached = db
    .select({ fileKey: campaignResources.fileKey })
    .from(campaignResources)
    .where(eq(campaignResources.campaignId, campaign.id));
  return db
    .select({ fileKey: fileMetadata.fileKey, fileName: fileMetadata.fileName })
    .from(fileMetadata)
    .where(and(eq(fileMetadata.username, campaign.username), notInArray(fileMetadata.fileKey, attached)))
    .orderBy(asc(fileMetadata.fileName));
}

/** The user's campaigns a file is not attached to yet, for the picker on the file page. */
export async function listCampaignsWithoutFile(db: Db, file: FileRow) {
  const attached = db
    .select({ campaignId: campaignResources.campaignId })
    .from(campaignResources)
    .where(eq(campaignResources.fileKey, file.fileKey));
  return db
    .select({ id: campaigns.id, name: campaigns.name })
    .from(campaigns)
    .where(and(eq(campaigns.username, file.username), notInArray(campaigns.id, attached)))
    .orderBy(asc(campaigns.name));
}

/** Attaches (or re-describes, when already attached). Both rows must belong to one user. */
export async function attachFile(
  db: Db,
  campaign: Campaign,
  file: FileRow,
  note: { description: string; tags: string[]; audience?: Audience },
): Promise<void> {
  await attachFiles(db, campaign, [file], note);
}

/** Attaches several files with one note, all or none (one batch). Every row must be the campaign owner's. */
export async function attachFiles(
  db: Db,
  campaign: Campaign,
  files: Pick<FileRow, "fileKey" | "fileName" | "username">[],
  note: { description: string; tags: string[]; audience?: Audience },
): Promise<void> {
  if (files.some((file) => file.username !== campaign.username))
    throw new Error("A campaign and a file of different users");
  const [first, ...rest] = files.map((file) => {
    const now = Date.now();
    return db
      .insert(campaignResources)
      .values({
        campaignId: campaign.id,
        fileKey: file.fileKey,
        fileName: file.fileName,
        ...note,
        createdAt: now,
        updatedAt: now,
      })
      .onConflictDoUpdate({
        target: [campaignResources.campaignId, campaignResources.fileKey],
        set: { ...note, updatedAt: now },
      });
  });
  if (first) await db.batch([first, ...rest]);
}

/** The user's own files among `fileKeys` (anyone else's, or a made-up key, is simply not there). */
export async function ownFiles(db: Db, username: string, fileKeys: string[]) {
  const keys = fileKeys.filter((key) => FILE_KEY_PATTERN.test(key));
  if (keys.length === 0) return [];
  return db
    .select({ fileKey: fileMetadata.fileKey, fileName: fileMetadata.fileName, username: fileMetadata.username })
    .from(fileMetadata)
    .where(and(eq(fileMetadata.username, username), inArray(fileMetadata.fileKey, keys)));
}

/** Shares an attached file with the players, or keeps it for the GMs; false when it is not attached. */
export async function setResourceAudience(db: Db, campaign: Campaign, fileKey: string, audience: Audience) {
  const changed = await db
    .update(campaignResources)
    .set({ audience, updatedAt: Date.now() })
    .where(and(eq(campaignResources.campaignId, campaign.id), eq(campaignResources.fileKey, fileKey)))
    .returning({ id: campaignResources.id });
  return changed.length > 0;
}

/** Detaches a file; who it was revealed to goes with the link (attached again, it starts for the GMs only). */
export async function detachFile(db: Db, campaign: Campaign, fileKey: string): Promise<boolean> {
  const [removed] = await db.batch([
    db
      .delete(campaignResources)
      .where(and(eq(campaignResources.campaignId, campaign.id), eq(campaignResources.fileKey, fileKey)))
      .returning({ id: campaignResources.id }),
    forgetReveals(db, campaign, { kind: "file", id: fileKey }),
  ]);
  return removed.length > 0;
}

/**
 * The campaign's files a reader may read (ADR 0026): its owner's files attached to it, and
 * for anyone who may not see secrets only those shared with the campaign or revealed to
 * them (visibleResources). Only while attached: a detached file is nobody's but its
 * owner's again, even if it is still some character's sheet. An SQL condition on
 * `file_metadata`, so every reader of campaign files asks the same question.
 */
export function campaignFileCondition(reader: CampaignReader): SQL {
  const { campaign } = reader;
  const visible = visibleResources(reader);
  // Written out qualified: inside the subquery an unqualified file_key would be the link's own.
  return sql`("file_metadata"."username" = ${campaign.username} AND EXISTS (SELECT 1 FROM campaign_resources
    WHERE "campaign_resources"."campaign_id" = ${campaign.id}
      AND "campaign_resources"."file_key" = "file_metadata"."file_key" ${visible ? sql`AND ${visible}` : sql``}))`;
}

/** Which of `fileKeys` are campaign files the reader may read (a character's sheet, for one who may not see secrets). */
export async function readableCampaignFileKeys(
  db: Db,
  reader: CampaignReader,
  fileKeys: string[],
): Promise<Set<string>> {
  const keys = [...new Set(fileKeys.filter((key) => FILE_KEY_PATTERN.test(key)))];
  if (keys.length === 0) return new Set();
  const rows = await db
    .select({ fileKey: fileMetadata.fileKey })
    .from(fileMetadata)
    .where(and(inArray(fileMetadata.fileKey, keys), campaignFileCondition(reader)));
  return new Set(rows.map((row) => row.fileKey));
}

/** One of the campaign's files the reader may read (campaignFileCondition), or undefined. */
export async function getCampaignFile(db: Db, reader: CampaignReader, fileKey: string): Promise<FileRow | undefined> {
  if (!FILE_KEY_PATTERN.test(fileKey)) return undefined;
  const [file] = await db
    .select()
    .from(fileMetadata)
    .where(and(eq(fileMetadata.fileKey, fileKey), campaignFileCondition(reader)));
  return file;
}
