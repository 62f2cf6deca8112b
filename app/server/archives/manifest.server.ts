import { and, eq, getTableColumns, inArray, type SQL, sql } from "drizzle-orm";
import type { SQLiteTable } from "drizzle-orm/sqlite-core";
import { z } from "zod";
import { ARCHIVE_FORMAT, type ARCHIVE_VERSION } from "~/lib/archives";
import { MAX_TAGS } from "~/lib/campaign-schemas";
import { campaignStatuses, characterStatuses, characterTypes, contextTypes } from "~/lib/domain";
import { audiences, playerEditableFields } from "~/lib/members";
import { listCharactersPage } from "../campaigns/characters.server";
import { listContextEntriesPage } from "../campaigns/context-entries.server";
import { encodeTags } from "../campaigns/errors.server";
import { type CampaignReader, can, newRowAudienceTokens } from "../campaigns/policy.server";
import { campaignResourcesQuery, readableCampaignFileKeys } from "../campaigns/resources.server";
import { withoutSecrets } from "../campaigns/secrets.server";
import type { Db } from "../db/db.server";
import { campaignCharacters, campaignContext, campaignResources, fileMetadata, fileVersions } from "../db/schema";
import { decodedBody } from "../files/compression.server";
import { writeFrontMatter } from "./front-matter.server";
import { characterFolders, entryFolders, FILES_FOLDER, fileSegment, type PathBook, safeSegment } from "./paths.server";
import type { ZipSource } from "./zip-writer.server";

/**
 * loresmith.json (ADR 0039): what an archive holds, as structured data, versioned.
 *
 *   { format: "loresmith-archive", version: 1, exportedAt, scope, view,
 *     campaigns: [{ campaign: {...}, sections: { entries: [...], characters: [...], files: [...] } }] }
 *
 * Each campaign's material is a list of SECTIONS, one per kind of row. A section says, in
 * one object, how its rows are exported (read page by page as the reader may see them, with
 * the Markdown file each brings) and how they are imported (validated, and the D1
 * statements that create them in the new campaign). Adding relations, sessions or aliases
 * is adding one object to `archiveSections`; an import ignores (and lists) sections it does
 * not know, so an archive from a newer version still imports what this one understands.
 *
 * Markdown text (an entry's content, a backstory, the campaign's description) is not
 * repeated in the JSON: it is the body of the row's Markdown file (`file`), byte for byte
 * after the front matter, so the archive holds it once and the export never keeps it in
 * memory; the JSON keeps every other field.
 */

export const PAGE_ROWS = 200;

const ms = z.number().int().min(0).max(8.64e15);
const text = (max: number) => z.string().max(max);
const path = z.string().min(1).max(1_000);
/** Stored as "|a|b|" and typed comma-separated: neither character can be inside a tag. */
const tags = z.array(text(40).regex(/^[^|,]*$/, "a tag may not hold | or ,")).max(MAX_TAGS);

export const campaignRecordSchema = z.object({
  id: text(64),
  name: z.string().trim().min(1).max(120),
  file: path,
  status: z.enum(campaignStatuses),
  metadata: z
    .object({
      system: text(80).optional(),
      setting: text(120).optional(),
      nextSessionAt: z.iso.date().optional(),
      tags: tags.optional(),
    })
    .strip(),
  version: z.number().int().min(1),
  createdAt: ms,
  updatedAt: ms,
});
export type CampaignRecord = z.output<typeof campaignRecordSchema>;

/** Where an import creates rows, and what it may read of the archive. */
export interface ImportContext {
  db: Db;
  campaignId: string;
  /** The importer, who owns the new campaign. */
  owner: { id: string; username: string };
  /** A file of the archive as text (front matter included); null when missing or too large. */
  readText: (path: string) => Promise<string | null>;
  /** The body of a Markdown file of ours: its text after the front matter. */
  bodyOf: (path: string) => Promise<string>;
  /** Which of these file keys are the importer's own library files, with their names. */
  ownFileKeys: (keys: string[]) => Promise<Map<string, string>>;
  /** The only condition every created row waits on: the new campaign exists (the quota let it in). */
  whenCampaign: SQL;
}

/** One SQL statement with its bound values, for a D1 batch. */
export interface Statement {
  sql: string;
  params: unknown[];
}

export interface ImportPart {
  statements: Statement[];
  entries: number;
  characters: number;
  /** What of this section an import could not restore, in words for the person. */
  notRestored: string[];
}

export interface ExportContext {
  db: Db;
  bucket: R2Bucket;
  reader: CampaignReader;
  /** Where this campaign's files go: "" for one campaign, "campaigns/<name>/" in an account's archive. */
  base: string;
  paths: PathBook;
  includeFiles: boolean;
}

export interface ArchiveSection<R> {
  key: string;
  record: z.ZodType<R>;
  /** The section's records as the reader may see them, each with the archive files it brings. */
  exportRecords(ctx: ExportContext): AsyncGenerator<{ record: R; sources: ZipSource[] }>;
  importRecords(records: R[], ctx: ImportContext): Promise<ImportPart>;
}

/** The front matter's time fields: readable, and exact (ISO with milliseconds). */
const iso = (value: number) => new Date(value).toISOString();

/** `INSERT INTO table (…) SELECT values WHERE condition`: a batch item that writes only when `condition` holds. */
export function insertWhen<T extends SQLiteTable>(
  db: Db,
  table: T,
  values: Partial<T["$inferInsert"]>,
  condition: SQL,
) {
  const given = Object.entries(getTableColumns(table)).filter(
    ([key]) => (values as Record<string, unknown>)[key] !== undefined,
  );
  const names = sql.join(
    given.map(([, column]) => sql.identifier(column.name)),
    sql`, `,
  );
  const params = sql.join(
    given.map(([key, column]) => sql`${sql.param((values as Record<string, unknown>)[key], column)}`),
    sql`, `,
  );
  // Built here, run by the caller's batch: drizzle's own batch cannot bind a raw statement's values.
  const { sql: text, params: bound } = db
    .run(sql`INSERT INTO ${table} (${names}) SELECT ${params} WHERE ${condition}`)
    .getQuery();
  return { sql: text, params: bound } satisfies Statement;
}

/** Runs `statements` as one D1 batch: one transaction, all or nothing. */
export async function runBatch(db: Db, statements: Statement[]): Promise<void> {
  if (statements.length === 0) return;
  const client = db.$client as unknown as Pick<D1Database, "prepare" | "batch">;
  await client.batch(statements.map((statement) => client.prepare(statement.sql).bind(...statement.params)));
}

// ---------------------------------------------------------------- entries

export const entryRecordSchema = z.object({
  id: z.number().int().min(1),
  file: path,
  contextType: z.enum(contextTypes),
  title: z.string().trim().min(1).max(200),
  tags,
  audience: z.enum(audiences),
  metadata: z.record(z.string(), z.unknown()),
  version: z.number().int().min(1),
  createdAt: ms,
  updatedAt: ms,
});
export type EntryRecord = z.output<typeof entryRecordSchema>;

const entriesSection: ArchiveSection<EntryRecord> = {
  key: "entries",
  record: entryRecordSchema,
  async *exportRecords(ctx) {
    for (let afterId = 0; ; ) {
      const rows = await listContextEntriesPage(ctx.db, ctx.reader, { afterId, limit: PAGE_ROWS });
      for (const row of rows.slice(0, PAGE_ROWS)) {
        const file = ctx.paths.take(`${ctx.base}${entryFolders[row.contextType]}`, row.title, ".md");
        const record: EntryRecord = {
          id: row.id,
          file,
          contextType: row.contextType,
          title: row.title,
          tags: row.tagList,
          audience: row.audience,
          metadata: row.metadata,
          version: row.version,
          createdAt: row.createdAt,
          updatedAt: row.updatedAt,
        };
        const frontMatter = writeFrontMatter({
          title: row.title,
          aliases: aliasesFor(row.title),
          type: row.contextType,
          tags: row.tagList,
          audience: row.audience,
          version: row.version,
          created: iso(row.createdAt),
          updated: iso(row.updatedAt),
        });
        // `content` is what this reader may read: the public text for anyone who may not see secrets.
        yield { record, sources: [markdownFile(file, frontMatter, row.content, row.updatedAt)] };
      }
      if (rows.length <= PAGE_ROWS) return;
      afterId = rows[PAGE_ROWS - 1]?.id ?? afterId;
    }
  },
  async importRecords(records, ctx) {
    const statements: Statement[] = [];
    for (const record of records) {
      const content = await ctx.bodyOf(record.file);
      statements.push(
        insertWhen(
          ctx.db,
          campaignContext,
          {
            campaignId: ctx.campaignId,
            contextType: record.contextType,
            title: record.title,
            content,
            contentPublic: withoutSecrets(content),
            tags: encodeTags(record.tags),
            audience: record.audience,
            audienceTokens: newRowAudienceTokens(record.audience),
            metadata: record.metadata,
            version: record.version,
            createdAt: record.createdAt,
            updatedAt: record.updatedAt,
          },
          ctx.whenCampaign,
        ),
      );
    }
    return { statements, entries: records.length, characters: 0, notRestored: [] };
  },
};

// ---------------------------------------------------------------- characters

const detailsSchema = z
  .object({
    playerName: text(80).optional(),
    ancestry: text(80).optional(),
    characterClass: text(80).optional(),
    level: z.number().int().min(0).max(30).optional(),
    alignment: text(40).optional(),
    stats: z.array(z.object({ key: text(40), value: text(200) })).max(40),
  })
  .strip();

export const characterRecordSchema = z.object({
  id: z.number().int().min(1),
  file: path,
  characterName: z.string().trim().min(1).max(120),
  characterType: z.enum(characterTypes),
  status: z.enum(characterStatuses),
  audience: z.enum(audiences),
  details: detailsSchema,
  playerFields: z.array(z.enum(playerEditableFields)).max(playerEditableFields.length),
  sheet: z.object({ fileKey: z.string().regex(/^[0-9a-f]{32}$/), fileName: text(500) }).nullable(),
  version: z.number().int().min(1),
  createdAt: ms,
  updatedAt: ms,
});
export type CharacterRecord = z.output<typeof characterRecordSchema>;

const charactersSection: ArchiveSection<CharacterRecord> = {
  key: "characters",
  record: characterRecordSchema,
  async *exportRecords(ctx) {
    for (let afterId = 0; ; ) {
      const rows = await listCharactersPage(ctx.db, ctx.reader, { afterId, limit: PAGE_ROWS });
      const page = rows.slice(0, PAGE_ROWS);
      const sheets = await sheetNames(
        ctx,
        page.map((row) => row.sheetFileKey).filter((key) => key !== null),
      );
      for (const row of page) {
        const file = ctx.paths.take(`${ctx.base}${characterFolders[row.characterType]}`, row.characterName, ".md");
        const sheetName = row.sheetFileKey ? sheets.get(row.sheetFileKey) : undefined;
        const { stats, playerName, ancestry, characterClass, level, alignment } = row.details;
        const record: CharacterRecord = {
          id: row.id,
          file,
          characterName: row.characterName,
          characterType: row.characterType,
          status: row.status,
          audience: row.audience,
          details: { playerName, ancestry, characterClass, level, alignment, stats },
          playerFields: row.playerFields,
          sheet:
            row.sheetFileKey && sheetName !== undefined ? { fileKey: row.sheetFileKey, fileName: sheetName } : null,
          version: row.version,
          createdAt: row.createdAt,
          updatedAt: row.updatedAt,
        };
        const frontMatter = writeFrontMatter({
          title: row.characterName,
          aliases: aliasesFor(row.characterName),
          type: row.characterType,
          status: row.status,
          player: playerName,
          ancestry,
          class: characterClass,
          level,
          alignment,
          stats: stats.length ? stats.map((stat) => `${stat.key}: ${stat.value}`) : undefined,
          audience: row.audience,
          version: row.version,
          created: iso(row.createdAt),
          updated: iso(row.updatedAt),
        });
        yield { record, sources: [markdownFile(file, frontMatter, row.backstory, row.updatedAt)] };
      }
      if (rows.length <= PAGE_ROWS) return;
      afterId = rows[PAGE_ROWS - 1]?.id ?? afterId;
    }
  },
  async importRecords(records, ctx) {
    const own = await ctx.ownFileKeys(records.flatMap((record) => (record.sheet ? [record.sheet.fileKey] : [])));
    const statements: Statement[] = [];
    const notRestored: string[] = [];
    for (const record of records) {
      const backstory = await ctx.bodyOf(record.file);
      const sheet = record.sheet && own.has(record.sheet.fileKey) ? record.sheet.fileKey : null;
      if (record.sheet && !sheet) {
        notRestored.push(
          `${record.characterName}’s sheet “${record.sheet.fileName}” (not in your library: upload it and choose it again)`,
        );
      }
      const { stats, ...rest } = record.details;
      statements.push(
        insertWhen(
          ctx.db,
          campaignCharacters,
          {
            campaignId: ctx.campaignId,
            characterName: record.characterName,
            characterType: record.characterType,
            status: record.status,
            backstory,
            backstoryPublic: withoutSecrets(backstory),
            audience: record.audience,
            audienceTokens: newRowAudienceTokens(record.audience),
            metadata: { ...rest, stats },
            sheetFileKey: sheet,
            playerFields: record.playerFields,
            version: record.version,
            createdAt: record.createdAt,
            updatedAt: record.updatedAt,
          },
          ctx.whenCampaign,
        ),
      );
    }
    return { statements, entries: 0, characters: records.length, notRestored };
  },
};

/** The names of the sheets the reader may know of: any of the owner's for a GM, else the campaign files they may read. */
async function sheetNames(ctx: ExportContext, keys: string[]): Promise<Map<string, string>> {
  if (keys.length === 0) return new Map();
  const readable = can(ctx.reader.role, "seeSecrets")
    ? new Set(keys)
    : await readableCampaignFileKeys(ctx.db, ctx.reader, keys);
  if (readable.size === 0) return new Map();
  const rows = await ctx.db
    .select({ fileKey: fileMetadata.fileKey, fileName: fileMetadata.fileName })
    .from(fileMetadata)
    .where(and(inArray(fileMetadata.fileKey, [...readable]), eq(fileMetadata.username, ctx.reader.campaign.username)));
  return new Map(rows.map((row) => [row.fileKey, row.fileName]));
}

// ---------------------------------------------------------------- attached files

export const fileRecordSchema = z.object({
  fileKey: z.string().regex(/^[0-9a-f]{32}$/),
  fileName: text(500),
  description: text(2_000),
  audience: z.enum(audiences),
  contentType: text(200),
  fileSize: z.number().int().min(0),
  contentHash: text(200).nullable(),
  /** Its bytes in the archive (under files/), when the export included them. */
  file: path.nullable(),
});
export type FileRecord = z.output<typeof fileRecordSchema>;

/** Bytes worth deflating; everything else (PDF, images, Word) is compressed already and is stored. */
const compressible = (contentType: string) => /^text\/|^application\/(json|xml)|\+xml$|\+json$/.test(contentType);

const filesSection: ArchiveSection<FileRecord> = {
  key: "files",
  record: fileRecordSchema,
  async *exportRecords(ctx) {
    const mayRead = can(ctx.reader.role, "readFiles");
    if (!mayRead) return;
    const rows = await campaignResourcesQuery(ctx.db, ctx.reader);
    for (const row of rows) {
      const [version] = await ctx.db
        .select({
          r2Key: fileVersions.r2Key,
          fileSize: fileVersions.fileSize,
          contentHash: fileVersions.contentHash,
          updatedAt: fileVersions.createdAt,
        })
        .from(fileVersions)
        .innerJoin(
          fileMetadata,
          and(
            eq(fileMetadata.fileKey, fileVersions.fileKey),
            eq(fileVersions.versionNumber, fileMetadata.currentVersion),
          ),
        )
        .where(eq(fileVersions.fileKey, row.fileKey));
      const sources: ZipSource[] = [];
      let file: string | null = null;
      if (ctx.includeFiles && version) {
        const object = await ctx.bucket.get(version.r2Key);
        if (object) {
          const { title, extension } = fileSegment(row.fileName);
          file = ctx.paths.take(`${ctx.base}${FILES_FOLDER}`, title, extension);
          // Piped straight through: R2's body, decompressed when stored compressed, into the archive.
          sources.push({
            name: file,
            body: decodedBody(object),
            compress: compressible(row.contentType),
            modifiedAt: version.updatedAt,
          });
        }
      }
      yield {
        record: {
          fileKey: row.fileKey,
          fileName: row.fileName,
          description: row.description,
          audience: row.audience,
          contentType: row.contentType,
          fileSize: version?.fileSize ?? 0,
          contentHash: version?.contentHash ?? null,
          file,
        },
        sources,
      };
    }
  },
  async importRecords(records, ctx) {
    const own = await ctx.ownFileKeys(records.map((record) => record.fileKey));
    const statements: Statement[] = [];
    const notRestored: string[] = [];
    const now = Date.now();
    for (const record of records) {
      if (!own.has(record.fileKey)) {
        notRestored.push(
          `the attached file “${record.fileName}” (not in your library${record.file ? "; its copy is in the archive under files/" : ""}: upload it and attach it)`,
        );
        continue;
      }
      statements.push(
        insertWhen(
          ctx.db,
          campaignResources,
          {
            campaignId: ctx.campaignId,
            fileKey: record.fileKey,
            fileName: own.get(record.fileKey) ?? record.fileName,
            description: record.description,
            tags: [],
            audience: record.audience,
            createdAt: now,
            updatedAt: now,
          },
          ctx.whenCampaign,
        ),
      );
    }
    return { statements, entries: 0, characters: 0, notRestored };
  },
};

/**
 * Every section an archive holds, in the order they are written and created. The one
 * place a new kind of row (relations, sessions, …) joins the format.
 */
// biome-ignore lint/suspicious/noExplicitAny: each section has its own record type; the list holds them all.
export const archiveSections: ArchiveSection<any>[] = [entriesSection, charactersSection, filesSection];

/** A Markdown file of the archive: its front matter, then the text exactly as stored. */
function markdownFile(name: string, frontMatter: string, body: string, modifiedAt: number): ZipSource {
  return { name, body: frontMatter + body, compress: true, modifiedAt };
}

/** Obsidian resolves a link by file name or alias: the exact title as an alias when the name had to change. */
function aliasesFor(title: string): string[] | undefined {
  return safeSegment(title) === title ? undefined : [title];
}

export interface ManifestHead {
  format: typeof ARCHIVE_FORMAT;
  version: typeof ARCHIVE_VERSION;
  exportedAt: string;
  scope: "campaign" | "account";
}

/** The campaign's own Markdown file (its description) and record. */
export function campaignFile(ctx: ExportContext): { record: CampaignRecord; source: ZipSource } {
  const { campaign } = ctx.reader;
  const file = ctx.paths.reserve(`${ctx.base}campaign.md`);
  const description = can(ctx.reader.role, "seeSecrets") ? campaign.description : withoutSecrets(campaign.description);
  const metadata = campaign.metadata;
  const record: CampaignRecord = {
    id: campaign.id,
    name: campaign.name,
    file,
    status: campaign.status,
    metadata: {
      system: metadata.system,
      setting: metadata.setting,
      nextSessionAt: metadata.nextSessionAt,
      tags: metadata.tags,
    },
    version: campaign.version,
    createdAt: campaign.createdAt,
    updatedAt: campaign.updatedAt,
  };
  const frontMatter = writeFrontMatter({
    title: campaign.name,
    type: "campaign",
    status: campaign.status,
    system: metadata.system,
    setting: metadata.setting,
    next_session: metadata.nextSessionAt,
    tags: metadata.tags,
    created: iso(campaign.createdAt),
    updated: iso(campaign.updatedAt),
  });
  return { record, source: markdownFile(file, frontMatter, description, campaign.updatedAt) };
}

/** The manifest's envelope as an import reads it: sections stay unknown until each is checked on its own. */
export const manifestSchema = z.object({
  format: z.literal(ARCHIVE_FORMAT),
  version: z.number().int().min(1),
  exportedAt: z.string().max(40).optional(),
  scope: z.enum(["campaign", "account"]).optional(),
  campaigns: z
    .array(
      z.object({
        campaign: z.unknown(),
        view: z.enum(["gm", "member"]).optional(),
        sections: z.record(z.string().max(60), z.array(z.unknown()).max(100_000)),
      }),
    )
    .min(1)
    .max(200),
});
export type Manifest = z.output<typeof manifestSchema>;
