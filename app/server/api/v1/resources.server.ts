import { z } from "zod";
import { campaignStatuses, characterStatuses, characterTypes, contextTypes } from "~/lib/domain";
import { fileStatuses } from "~/lib/jobs";
import { audiences, memberRoles } from "~/lib/members";
import type { Character } from "../../campaigns/characters.server";
import type { Campaign } from "../../db/schema";
import type { FileRow } from "../../files/library.server";

/**
 * What the API answers, as zod schemas (for the OpenAPI document) and the functions that
 * shape rows into them (typed by the same schemas, so the two cannot disagree). Text a
 * caller may not read is already left out by the queries (secret blocks for players).
 */

const timestamp = z.number().int().describe("Milliseconds since 1970 (UTC).");

export const campaignJson = z
  .object({
    id: z.uuid(),
    name: z.string(),
    description: z.string().describe("Markdown (without GM-only secret blocks for players and viewers)."),
    status: z.enum(campaignStatuses),
    system: z.string().nullable(),
    setting: z.string().nullable(),
    nextSessionAt: z.string().nullable(),
    tags: z.array(z.string()),
    role: z.enum(memberRoles).or(z.literal("owner")).describe("The caller's role in it."),
    version: z.number().int().describe("Send it back with an update; a stale one is refused with 409."),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .meta({ id: "Campaign" });

export function toCampaignJson(campaign: Campaign, role: string, description: string): z.infer<typeof campaignJson> {
  const metadata = campaign.metadata ?? {};
  return {
    id: campaign.id,
    name: campaign.name,
    description,
    status: campaign.status,
    system: metadata.system ?? null,
    setting: metadata.setting ?? null,
    nextSessionAt: metadata.nextSessionAt ?? null,
    tags: metadata.tags ?? [],
    role: role as z.infer<typeof campaignJson>["role"],
    version: campaign.version,
    createdAt: campaign.createdAt,
    updatedAt: campaign.updatedAt,
  };
}

const aliasesJson = z
  .array(z.string())
  .describe("Other names `[[links]]` may use (send them comma-separated); a rename keeps the old name here.");

export const entryJson = z
  .object({
    id: z.number().int(),
    campaignId: z.uuid(),
    type: z.enum(contextTypes),
    title: z.string(),
    content: z.string().describe("Markdown (without secret blocks for players and viewers)."),
    tags: z.array(z.string()),
    aliases: aliasesJson,
    audience: z.enum(audiences).describe("gm: the GMs only; campaign: everyone in the campaign."),
    version: z.number().int(),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .meta({ id: "Entry" });

export function toEntryJson(entry: {
  id: number;
  campaignId: string;
  contextType: (typeof contextTypes)[number];
  title: string;
  content: string;
  tagList: string[];
  aliases: string[];
  audience: (typeof audiences)[number];
  version: number;
  createdAt: number;
  updatedAt: number;
}): z.infer<typeof entryJson> {
  return {
    id: entry.id,
    campaignId: entry.campaignId,
    type: entry.contextType,
    title: entry.title,
    content: entry.content,
    tags: entry.tagList,
    aliases: entry.aliases,
    audience: entry.audience,
    version: entry.version,
    createdAt: entry.createdAt,
    updatedAt: entry.updatedAt,
  };
}

export const characterJson = z
  .object({
    id: z.number().int(),
    campaignId: z.uuid(),
    name: z.string(),
    aliases: aliasesJson,
    type: z.enum(characterTypes),
    status: z.enum(characterStatuses),
    backstory: z.string().describe("Markdown (without secret blocks for players and viewers)."),
    playerName: z.string().nullable(),
    ancestry: z.string().nullable(),
    characterClass: z.string().nullable(),
    level: z.number().int().nullable(),
    alignment: z.string().nullable(),
    stats: z.array(z.object({ key: z.string(), value: z.string() })),
    sheetFileKey: z.string().nullable().describe("The character sheet's file, if you may open it."),
    audience: z.enum(audiences),
    version: z.number().int(),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .meta({ id: "Character" });

/** `sheetFileKey` is the character's sheet only when the reader may open it (else null: a hidden sheet is not hinted at). */
export function toCharacterJson(character: Character, sheetFileKey: string | null): z.infer<typeof characterJson> {
  const d = character.details;
  return {
    id: character.id,
    campaignId: character.campaignId,
    name: character.characterName,
    aliases: character.aliases,
    type: character.characterType,
    status: character.status,
    backstory: character.backstory,
    playerName: d.playerName ?? null,
    ancestry: d.ancestry ?? null,
    characterClass: d.characterClass ?? null,
    level: d.level ?? null,
    alignment: d.alignment ?? null,
    stats: d.stats,
    sheetFileKey,
    audience: character.audience,
    version: character.version,
    createdAt: character.createdAt,
    updatedAt: character.updatedAt,
  };
}

export const fileJson = z
  .object({
    fileKey: z.string(),
    fileName: z.string(),
    description: z.string(),
    tags: z.array(z.string()),
    size: z.number().int().describe("Bytes, as uploaded."),
    contentType: z.string(),
    status: z.enum(fileStatuses).describe("ready: searchable; failed: see error."),
    error: z.string().nullable(),
    currentVersion: z.number().int(),
    pageCount: z.number().int().nullable(),
    version: z.number().int().describe("The details' version (for updates)."),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .meta({ id: "File" });

export function toFileJson(file: FileRow): z.infer<typeof fileJson> {
  return {
    fileKey: file.fileKey,
    fileName: file.fileName,
    description: file.description,
    tags: file.tags,
    size: file.fileSize,
    contentType: file.contentType,
    status: file.status,
    error: file.error,
    currentVersion: file.currentVersion,
    pageCount: file.pageCount,
    version: file.version,
    createdAt: file.createdAt,
    updatedAt: file.updatedAt,
  };
}

export const uploadResultJson = z
  .object({
    fileKey: z.string(),
    fileName: z.string(),
    version: z.number().int().describe("The file's version this upload became."),
    created: z.boolean().describe("true: a new file; false: a new version of the file with this name."),
    size: z.number().int(),
  })
  .meta({ id: "UploadResult" });

export const uploadStateJson = z
  .object({
    uploadId: z.string(),
    fileName: z.string(),
    size: z.number().int(),
    partSize: z.number().int().describe("Every part but the last is exactly this many bytes."),
    partCount: z.number().int(),
    partsDone: z.array(z.number().int()).describe("Parts already stored: resume with the others."),
  })
  .meta({ id: "UploadState" });

export const jobJson = z
  .object({
    fileKey: z.string(),
    version: z.number().int(),
    fileName: z.string(),
    status: z.string(),
    pagesDone: z.number().int(),
    pageCount: z.number().int().nullable(),
    chunksTotal: z.number().int(),
    chunksIndexed: z.number().int(),
    chunksEmbedded: z.number().int(),
    attempts: z.number().int(),
    error: z.string().nullable(),
    updatedAt: timestamp,
  })
  .meta({ id: "Job" });

export const searchResultJson = z
  .object({
    rank: z.number().int(),
    kind: z.enum(["chunk", "context", "character"]),
    id: z.string(),
    title: z.string(),
    text: z.string().describe("The whole passage."),
    snippet: z.string().describe("The best-matching sentences, plain text."),
    score: z.number(),
    matchedBy: z.array(z.enum(["words", "related", "meaning"])),
    source: z
      .object({ fileKey: z.string().optional(), fileName: z.string().optional(), page: z.number().int().optional() })
      .loose()
      .describe("Where it comes from: a file and page, or an entry or character."),
    href: z.string().describe("Opens it in LoreSmith AI (relative to the site)."),
  })
  .meta({ id: "SearchResult" });

export const conversationJson = z
  .object({
    id: z.uuid(),
    campaignId: z.uuid(),
    title: z.string(),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .meta({ id: "Conversation" });

export const messageJson = z
  .object({
    id: z.string(),
    role: z.enum(["user", "assistant"]),
    content: z.string(),
    citations: z.array(
      z.object({ n: z.number().int(), kind: z.string(), title: z.string(), label: z.string(), href: z.string() }),
    ),
    createdAt: timestamp,
  })
  .meta({ id: "Message" });
