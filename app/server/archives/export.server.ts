import { and, count, eq, sql, sum } from "drizzle-orm";
import { ARCHIVE_FORMAT, ARCHIVE_VERSION, MANIFEST_PATH } from "~/lib/archives";
import {
  type CampaignReader,
  campaignAccess,
  campaignsWhere,
  can,
  visibleCharacters,
  visibleEntries,
  visibleResources,
} from "../campaigns/policy.server";
import type { Db } from "../db/db.server";
import { campaignCharacters, campaignContext, campaignResources, campaigns, fileMetadata } from "../db/schema";
import { contentDisposition } from "../files/download.server";
import type { Account } from "../files/library.server";
import {
  archiveSections,
  type CampaignRecord,
  campaignFile,
  type ExportContext,
  type ManifestHead,
} from "./manifest.server";
import { PathBook, safeSegment } from "./paths.server";
import { type ZipSource, zipStream } from "./zip-writer.server";

/**
 * Exports (ADR 0039): a campaign, or every campaign an account can open, as one ZIP,
 * written while it is read. Each campaign is read as its reader may see it — the policy's
 * visibleEntries/visibleCharacters/visibleResources and the public text for anyone who may
 * not see secrets, through the same list functions the pages use — so a player's archive
 * holds exactly what their pages show them.
 */

export interface ExportOptions {
  db: Db;
  bucket: R2Bucket;
  /** The attached files' bytes too (for readers who may read files), under files/. */
  includeFiles: boolean;
  now?: number;
}

interface ManifestCampaign {
  campaign: CampaignRecord;
  /** "gm": everything; "member": only what was shared with (or revealed to) the exporter. */
  view: "gm" | "member";
  sections: Record<string, unknown[]>;
}

/** Every file of the archive, in order, loresmith.json last (it lists what the others hold). */
export async function* archiveSources(
  readers: CampaignReader[],
  scope: ManifestHead["scope"],
  options: ExportOptions,
): AsyncGenerator<ZipSource> {
  const now = options.now ?? Date.now();
  const paths = new PathBook();
  paths.reserve(MANIFEST_PATH);
  const listed: ManifestCampaign[] = [];
  for (const reader of readers) {
    const base = scope === "account" ? `${paths.take("campaigns", reader.campaign.name, "")}/` : "";
    const ctx: ExportContext = {
      db: options.db,
      bucket: options.bucket,
      reader,
      base,
      paths,
      includeFiles: options.includeFiles,
      keys: new Map(),
    };
    const { record, source } = campaignFile(ctx);
    yield source;
    const sections: Record<string, unknown[]> = {};
    for (const section of archiveSections) {
      const records: unknown[] = [];
      for await (const item of section.exportRecords(ctx)) {
        records.push(item.record);
        yield* item.sources;
      }
      sections[section.key] = records;
    }
    listed.push({ campaign: record, view: can(reader.role, "seeSecrets") ? "gm" : "member", sections });
  }
  const head: ManifestHead = {
    format: ARCHIVE_FORMAT,
    version: ARCHIVE_VERSION,
    exportedAt: new Date(now).toISOString(),
    scope,
  };
  yield { name: MANIFEST_PATH, body: `${JSON.stringify({ ...head, campaigns: listed }, null, 2)}\n`, compress: true };
}

/** The archive of one campaign as `reader` may see it, as a download. */
export function campaignArchiveResponse(reader: CampaignReader, options: ExportOptions): Response {
  const now = options.now ?? Date.now();
  const name = `${safeSegment(reader.campaign.name)} ${new Date(now).toISOString().slice(0, 10)}.zip`;
  return archiveResponse(zipStream(archiveSources([reader], "campaign", { ...options, now }), { now }), name);
}

/** Every campaign the account can open (its own and those it is in), each as it may see it. */
export async function accountReaders(db: Db, account: Account): Promise<CampaignReader[]> {
  const rows = await db
    .select({ id: campaigns.id })
    .from(campaigns)
    .where(campaignsWhere(account, "view"))
    .orderBy(campaigns.createdAt, campaigns.id);
  const readers: CampaignReader[] = [];
  for (const row of rows) {
    const access = await campaignAccess(db, account, row.id);
    if (access) readers.push(access);
  }
  return readers;
}

export async function accountArchiveResponse(db: Db, account: Account, options: ExportOptions): Promise<Response> {
  const now = options.now ?? Date.now();
  const readers = await accountReaders(db, account);
  const name = `LoreSmith ${account.username} ${new Date(now).toISOString().slice(0, 10)}.zip`;
  return archiveResponse(zipStream(archiveSources(readers, "account", { ...options, now }), { now }), name);
}

function archiveResponse(body: ReadableStream<Uint8Array>, fileName: string): Response {
  return new Response(body, {
    headers: {
      "Content-Type": "application/zip",
      "Content-Disposition": contentDisposition(fileName, true),
      // Made for the one who asked: no cache may keep it or answer someone else with it.
      "Cache-Control": "private, no-store",
      Vary: "Cookie",
      "X-Content-Type-Options": "nosniff",
    },
  });
}

/** What an export of the campaign will hold for `reader`, for the page: counts and the bytes of text and files. */
export async function exportSummary(db: Db, reader: CampaignReader) {
  const gm = can(reader.role, "seeSecrets");
  const contentLength = gm ? sql`length(${campaignContext.content})` : sql`length(${campaignContext.contentPublic})`;
  const backstoryLength = gm
    ? sql`length(${campaignCharacters.backstory})`
    : sql`length(${campaignCharacters.backstoryPublic})`;
  const [[entries], [characters], [files]] = await db.batch([
    db
      .select({ n: count(), chars: sum(contentLength) })
      .from(campaignContext)
      .where(and(eq(campaignContext.campaignId, reader.campaign.id), visibleEntries(reader))),
    db
      .select({ n: count(), chars: sum(backstoryLength) })
      .from(campaignCharacters)
      .where(and(eq(campaignCharacters.campaignId, reader.campaign.id), visibleCharacters(reader))),
    db
      .select({ n: count(), bytes: sum(fileMetadata.fileSize) })
      .from(campaignResources)
      .innerJoin(fileMetadata, eq(fileMetadata.fileKey, campaignResources.fileKey))
      .where(and(eq(campaignResources.campaignId, reader.campaign.id), visibleResources(reader))),
  ]);
  return {
    entries: entries?.n ?? 0,
    characters: characters?.n ?? 0,
    files: can(reader.role, "readFiles") ? (files?.n ?? 0) : 0,
    textBytes: Number(entries?.chars ?? 0) + Number(characters?.chars ?? 0),
    fileBytes: can(reader.role, "readFiles") ? Number(files?.bytes ?? 0) : 0,
    complete: gm,
  };
}
