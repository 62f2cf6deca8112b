import { and, eq, isNull, ne, notExists, sql } from "drizzle-orm";
import { createFromRecords } from "../archives/import.server";
import { RECAP_SEPARATOR } from "../archives/manifest.server";
import { deleteCampaign } from "../campaigns/campaigns.server";
import { attachFile } from "../campaigns/resources.server";
import type { Db } from "../db/db.server";
import type { RowLimits } from "../db/quota.server";
import { campaignResources, campaigns, fileMetadata } from "../db/schema";
import { deleteFile, uploadFile } from "../files/files.server";
import { type Account, type FileStores, UploadRefused } from "../files/library.server";
import { type PdfTextLine, textPdf } from "../files/pdf-writer.server";
import {
  HOUSE_RULES_TITLE,
  houseRulesMarkdown,
  SAMPLE_NAME,
  sampleCharacters,
  sampleDescription,
  sampleEntries,
  sampleRelations,
  sampleSessions,
} from "./content.server";

/**
 * The sample campaign (a new GM's first look at what LoreSmith does): added in one click,
 * removed in one. It is made exactly as an archive import makes a campaign (one batch,
 * within quotas), its two house-rules files are uploaded like any file (so they are
 * processed and searchable), and removing it deletes only what adding it created.
 */

const DAY = 86_400_000;
const isoDate = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** The account's sample campaign, if it has one. */
export async function sampleCampaignId(db: Db, username: string): Promise<string | null> {
  const [row] = await db
    .select({ id: campaigns.id })
    .from(campaigns)
    .where(and(eq(campaigns.username, username), eq(campaigns.sample, true)));
  return row?.id ?? null;
}

/** The house rules as Markdown and as a printable PDF (lines wrapped for an A4 page). */
export function sampleFiles(): { fileName: string; bytes: Uint8Array<ArrayBuffer>; description: string }[] {
  // Headings in larger type, so the PDF's passages are found under them as the Markdown's are.
  const lines = houseRulesMarkdown.split("\n").flatMap((line): PdfTextLine[] => {
    const heading = /^(#{1,2}) (.+)$/.exec(line);
    return heading ? [{ heading: heading[2] ?? "", level: heading[1] === "#" ? 1 : 2 }] : wrap(line, 88);
  });
  const pages: PdfTextLine[][] = [];
  for (let i = 0; i < lines.length; i += 50) pages.push(lines.slice(i, i + 50));
  return [
    {
      fileName: `${HOUSE_RULES_TITLE}.md`,
      bytes: new TextEncoder().encode(houseRulesMarkdown),
      description: "The sample campaign's house rules.",
    },
    {
      fileName: `${HOUSE_RULES_TITLE}.pdf`,
      bytes: textPdf(pages),
      description: "The sample campaign's house rules, as a printable handout.",
    },
  ];
}

/** A line broken into lines of at most `width` characters at spaces; a list item's go on indented. */
function wrap(line: string, width: number): string[] {
  const indent = line.startsWith("- ") ? "  " : "";
  const out: string[] = [];
  let current = "";
  for (const word of line.split(" ")) {
    if (current && current.length + 1 + word.length > width) {
      out.push(current);
      current = indent + word;
    } else current = current ? `${current} ${word}` : word;
  }
  out.push(current);
  return out;
}

export interface SampleStores {
  db: Db;
  limits: { rows: RowLimits };
  fileStores: FileStores;
}

/**
 * Adds the sample campaign, or finds the one the account has (`created: false`). The
 * campaign is created first, in one batch: of clicks that race, one creates it (the
 * account's one sample is a unique index) and the others find it. Its files are uploaded
 * next and attached; a file of the same name already in the library is attached as it
 * is, never overwritten. If a file cannot be stored, nothing of the sample stays.
 */
export async function addSampleCampaign(
  { db, limits, fileStores }: SampleStores,
  account: Account,
  now = Date.now(),
): Promise<{ campaignId: string; created: boolean }> {
  const existing = await sampleCampaignId(db, account.username);
  if (existing) return { campaignId: existing, created: false };
  const campaignId = crypto.randomUUID();
  try {
    await createFromRecords(
      { db, limits: limits.rows },
      account,
      {
        id: campaignId,
        username: account.username,
        name: SAMPLE_NAME,
        description: sampleDescription,
        status: "active",
        metadata: {
          system: "D&D 5e",
          setting: "Hollowmere, a lakeside village",
          nextSessionAt: isoDate(now + 7 * DAY),
          tags: ["sample"],
        },
        sample: true,
        createdAt: now,
        updatedAt: now,
      },
      sampleRecords(now),
      sampleBodies(),
    );
  } catch (error) {
    const raced = String(error).includes("UNIQUE constraint failed") && (await sampleCampaignId(db, account.username));
    if (raced) return { campaignId: raced, created: false };
    throw error;
  }
  try {
    await attachSampleFiles({ db, fileStores }, account, campaignId);
  } catch (error) {
    await removeSampleCampaign({ db, fileStores }, account);
    throw error;
  }
  return { campaignId, created: true };
}

async function attachSampleFiles(
  { db, fileStores }: Pick<SampleStores, "db" | "fileStores">,
  account: Account,
  campaignId: string,
) {
  const [campaign] = await db.select().from(campaigns).where(eq(campaigns.id, campaignId));
  if (!campaign) return;
  for (const file of sampleFiles()) {
    let row = await db.query.fileMetadata.findFirst({
      where: and(eq(fileMetadata.username, account.username), eq(fileMetadata.fileName, file.fileName)),
    });
    if (!row) {
      try {
        const result = await uploadFile(fileStores, account, {
          fileName: file.fileName,
          size: file.bytes.byteLength,
          body: new Blob([file.bytes]).stream(),
        });
        // Marked as the sample's own only when this upload created the file.
        if (result.created)
          await db
            .update(fileMetadata)
            .set({ sampleCampaignId: campaignId, description: file.description })
            .where(and(eq(fileMetadata.fileKey, result.file.fileKey), isNull(fileMetadata.sampleCampaignId)));
        row = result.file;
      } catch (error) {
        // The same bytes under another name: the library keeps one copy, and the sample goes without it.
        if (error instanceof UploadRefused && error.status === 409) continue;
        throw error;
      }
    }
    await attachFile(db, campaign, row, { description: file.description, tags: [], audience: "campaign" });
  }
}

/**
 * Removes the sample campaign with everything in it, and the files adding it uploaded —
 * unless a file has changed since (a new version) or is attached to another campaign too.
 */
export async function removeSampleCampaign(
  { db, fileStores }: Pick<SampleStores, "db" | "fileStores">,
  account: Account,
): Promise<boolean> {
  const campaignId = await sampleCampaignId(db, account.username);
  if (!campaignId) return false;
  const ours = await db
    .select({ fileKey: fileMetadata.fileKey })
    .from(fileMetadata)
    .where(
      and(
        eq(fileMetadata.username, account.username),
        eq(fileMetadata.sampleCampaignId, campaignId),
        eq(fileMetadata.currentVersion, 1),
        notExists(
          db
            .select({ one: sql`1` })
            .from(campaignResources)
            .where(
              and(eq(campaignResources.fileKey, fileMetadata.fileKey), ne(campaignResources.campaignId, campaignId)),
            ),
        ),
      ),
    );
  await deleteCampaign(db, account.username, campaignId);
  for (const { fileKey } of ours) await deleteFile(fileStores, account, fileKey);
  return true;
}

function sampleRecords(now: number): Record<string, unknown[]> {
  return {
    entries: sampleEntries.map((entry, i) => ({
      id: i + 1,
      file: entry.key,
      contextType: entry.type,
      title: entry.title,
      aliases: entry.aliases,
      tags: entry.tags,
      audience: entry.audience,
      metadata: {},
      version: 1,
      // A few minutes apart, so recent changes read as a campaign someone worked on.
      createdAt: now - (sampleEntries.length - i) * 300_000,
      updatedAt: now - (sampleEntries.length - i) * 300_000,
    })),
    characters: sampleCharacters.map((character, i) => ({
      id: i + 1,
      file: character.key,
      characterName: character.name,
      aliases: [],
      characterType: character.type,
      status: "alive",
      audience: character.audience,
      details: { ...character.details, stats: [] },
      playerFields: character.type === "pc" ? ["backstory"] : [],
      sheet: null,
      version: 1,
      createdAt: now - (sampleCharacters.length - i) * 240_000,
      updatedAt: now - (sampleCharacters.length - i) * 240_000,
    })),
    relations: sampleRelations.map((relation) => ({ ...relation, createdAt: now, updatedAt: now })),
    sessions: sampleSessions.map((session) => ({
      file: session.key,
      notesLength: session.notes.length,
      number: session.number,
      playedOn: isoDate(now - session.daysAgo * DAY),
      title: session.title,
      attendees: session.attendees,
      guests: [],
      audience: session.audience,
      version: 1,
      createdAt: now - session.daysAgo * DAY,
      updatedAt: now - session.daysAgo * DAY,
    })),
  };
}

/** Each record's Markdown body, by its key: what an archive's files would hold after their front matter. */
function sampleBodies(): Map<string, string> {
  const bodies = new Map<string, string>();
  for (const entry of sampleEntries) bodies.set(entry.key, entry.content);
  for (const character of sampleCharacters) bodies.set(character.key, character.backstory);
  for (const session of sampleSessions) bodies.set(session.key, `${session.notes}${RECAP_SEPARATOR}${session.recap}`);
  return bodies;
}
