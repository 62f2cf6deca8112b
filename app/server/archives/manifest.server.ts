import { and, eq, inArray, type SQL, sql } from "drizzle-orm";
import type { SQLiteTable } from "drizzle-orm/sqlite-core";
import { z } from "zod";
import { ARCHIVE_FORMAT, type ARCHIVE_VERSION } from "~/lib/archives";
import { MAX_ALIASES, MAX_TAGS } from "~/lib/campaign-schemas";
import { campaignStatuses, characterStatuses, characterTypes, contextTypes } from "~/lib/domain";
import { type Audience, audiences, type PlayerEditableField, playerEditableFields } from "~/lib/members";
import {
  isSymmetric,
  MAX_RELATIONS_PER_CAMPAIGN,
  RELATION_LABEL_MAX,
  RELATION_NOTE_MAX,
  type RelationEndKind,
  relationLabel,
  relationTypes,
} from "~/lib/relations";
import {
  MAX_ATTENDEES,
  MAX_GUEST_NAME,
  MAX_GUESTS,
  MAX_SESSION_NOTES,
  MAX_SESSION_NUMBER,
  MAX_SESSION_RECAP,
  MAX_SESSION_TITLE,
  MAX_SESSIONS_PER_CAMPAIGN,
} from "~/lib/session-schemas";
import { listCharactersPage } from "../campaigns/characters.server";
import { listContextEntriesPage } from "../campaigns/context-entries.server";
import { encodeTags } from "../campaigns/errors.server";
import { otherNames } from "../campaigns/links.server";
import { type CampaignReader, can, newRowAudienceTokens } from "../campaigns/policy.server";
import { listCampaignRelations } from "../campaigns/relations.server";
import { campaignResourcesQuery, readableCampaignFileKeys } from "../campaigns/resources.server";
import { withoutSecrets } from "../campaigns/secrets.server";
import { sessionsForExport } from "../campaigns/sessions.server";
import type { Db } from "../db/db.server";
import { insertColumns } from "../db/quota.server";
import { campaignCharacters, campaignContext, campaignResources, fileMetadata, fileVersions } from "../db/schema";
import { decodedBody } from "../files/compression.server";
import { ArchiveRefused } from "./archive-reader.server";
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

/** Other names a row answers to in `[[links]]` (ADR 0035), as the forms keep them. */
const aliases = z
  .array(
    z
      .string()
      .trim()
      .min(1)
      .max(120)
      .regex(/^[^[\]|]*$/, "a name may not hold [ ] or |"),
  )
  .max(MAX_ALIASES)
  .default([]);

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
  version: z.number().int().min(1).max(1_000_000_000),
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
  /** The body of a Markdown file of ours: its text after the front matter (at most `maxLength`, an entry's by default). */
  bodyOf: (path: string, maxLength?: number) => Promise<string>;
  /** The archive's entries and characters by their key (their Markdown file's path), in creation order. */
  keys: Map<string, ArchiveKey>;
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
  /** Each exported entry's and character's key in the archive (its file) and name, by "entry:<id>" / "character:<id>". */
  keys: Map<string, { file: string; name: string }>;
}

/**
 * An entry or character of the archive as later sections refer to it (ADR 0040): by its
 * key, the path of its Markdown file, never by a database id. `index` is its place among
 * the archive's rows of its kind, which is the order the import inserts them in.
 */
export interface ArchiveKey {
  kind: RelationEndKind;
  index: number;
  name: string;
  pc: boolean;
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
  const { names, params } = insertColumns(table, values);
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
  /** Since version 2. */
  aliases,
  tags,
  audience: z.enum(audiences),
  metadata: z.record(z.string(), z.unknown()),
  version: z.number().int().min(1).max(1_000_000_000),
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
      const { audience, metadata } = forReader(ctx.reader);
      for (const row of rows.slice(0, PAGE_ROWS)) {
        const file = ctx.paths.take(`${ctx.base}${entryFolders[row.contextType]}`, row.title, ".md");
        const record: EntryRecord = {
          id: row.id,
          file,
          contextType: row.contextType,
          title: row.title,
          aliases: row.aliases,
          tags: row.tagList,
          audience: audience(row.audience),
          metadata: metadata(row.metadata),
          version: row.version,
          createdAt: row.createdAt,
          updatedAt: row.updatedAt,
        };
        const frontMatter = writeFrontMatter({
          title: row.title,
          aliases: aliasesFor(row.title, row.aliases),
          type: row.contextType,
          tags: row.tagList,
          audience: audience(row.audience),
          version: row.version,
          created: iso(row.createdAt),
          updated: iso(row.updatedAt),
        });
        // `content` is what this reader may read: the public text for anyone who may not see secrets.
        ctx.keys.set(`entry:${row.id}`, { file, name: row.title });
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
            aliases: otherNames(record.title, record.aliases),
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
  /** Since version 2. */
  aliases,
  characterType: z.enum(characterTypes),
  status: z.enum(characterStatuses),
  audience: z.enum(audiences),
  details: detailsSchema,
  playerFields: z.array(z.enum(playerEditableFields)).max(playerEditableFields.length),
  sheet: z.object({ fileKey: z.string().regex(/^[0-9a-f]{32}$/), fileName: text(500) }).nullable(),
  version: z.number().int().min(1).max(1_000_000_000),
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
      const { audience, playerFields } = forReader(ctx.reader);
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
          aliases: row.aliases,
          characterType: row.characterType,
          status: row.status,
          audience: audience(row.audience),
          details: { playerName, ancestry, characterClass, level, alignment, stats },
          playerFields: playerFields(row.playerFields),
          sheet:
            row.sheetFileKey && sheetName !== undefined ? { fileKey: row.sheetFileKey, fileName: sheetName } : null,
          version: row.version,
          createdAt: row.createdAt,
          updatedAt: row.updatedAt,
        };
        const frontMatter = writeFrontMatter({
          title: row.characterName,
          aliases: aliasesFor(row.characterName, row.aliases),
          type: row.characterType,
          status: row.status,
          player: playerName,
          ancestry,
          class: characterClass,
          level,
          alignment,
          stats: stats.length ? stats.map((stat) => `${stat.key}: ${stat.value}`) : undefined,
          audience: audience(row.audience),
          version: row.version,
          created: iso(row.createdAt),
          updated: iso(row.updatedAt),
        });
        ctx.keys.set(`character:${row.id}`, { file, name: row.characterName });
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
            aliases: otherNames(record.characterName, record.aliases),
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

/**
 * What only the GMs' pages show of a row: who it is shared with (a player's copy says
 * "campaign" for everything in it, as it is all theirs to read), an entry's metadata (a
 * proposal's source file, say) and what a character's player may change. A player's
 * archive holds what their pages show, nothing more.
 */
function forReader(reader: CampaignReader) {
  const gm = can(reader.role, "seeSecrets");
  return {
    audience: (value: Audience): Audience => (gm ? value : "campaign"),
    metadata: (value: Record<string, unknown>) => (gm ? value : {}),
    playerFields: (value: PlayerEditableField[]) => (gm ? value : []),
  };
}

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

// ---------------------------------------------------------------- relations (version 2)

/** Relations one insert carries, as one JSON bound value (D1 takes at most 100 bound values a statement). */
const RELATION_CHUNK = 250;

/** An end's kind and place among the new campaign's rows of that kind, numbered as inserted (by id). */
function numberedEnds(campaignId: string): SQL {
  return sql`ends(kind, k, id) AS (
    SELECT 'entry', row_number() OVER (ORDER BY id) - 1, id FROM campaign_context WHERE campaign_id = ${campaignId}
    UNION ALL
    SELECT 'character', row_number() OVER (ORDER BY id) - 1, id FROM campaign_characters WHERE campaign_id = ${campaignId})`;
}

export const relationRecordSchema = z
  .object({
    /** Its ends by their key in the archive: the path of their Markdown file. */
    from: path,
    to: path,
    type: z.enum(relationTypes),
    label: z.string().max(RELATION_LABEL_MAX).default(""),
    inverseLabel: z.string().max(RELATION_LABEL_MAX).default(""),
    note: z.string().max(RELATION_NOTE_MAX).default(""),
    audience: z.enum(audiences),
    createdAt: ms,
    updatedAt: ms,
  })
  .superRefine((value, ctx) => {
    if (value.from === value.to) ctx.addIssue({ code: "custom", path: ["to"], message: "a relation joins two things" });
    const custom = value.type === "custom";
    if (custom ? !value.label.trim() || !value.inverseLabel.trim() : value.label || value.inverseLabel)
      ctx.addIssue({
        code: "custom",
        path: ["label"],
        message: "only a custom relation has labels, and it needs both",
      });
  });
export type RelationRecord = z.output<typeof relationRecordSchema>;

/** A key's name for a message: the file's name without its folder and .md. */
const keyName = (key: string) => (key.split("/").at(-1) ?? key).replace(/\.md$/i, "");

const relationsSection: ArchiveSection<RelationRecord> = {
  key: "relations",
  record: relationRecordSchema,
  async *exportRecords(ctx) {
    // The relations the reader sees: for anyone but a GM only shared ones whose two ends they see,
    // which are then both in this archive (read through the same policy).
    for (const relation of await listCampaignRelations(ctx.db, ctx.reader)) {
      const from = ctx.keys.get(`${relation.from.kind}:${relation.from.id}`);
      const to = ctx.keys.get(`${relation.to.kind}:${relation.to.id}`);
      if (!from || !to) continue;
      yield {
        record: {
          from: from.file,
          to: to.file,
          type: relation.type,
          label: relation.label,
          inverseLabel: relation.inverseLabel,
          note: relation.note,
          audience: relation.audience,
          createdAt: relation.createdAt,
          updatedAt: relation.updatedAt,
        },
        sources: [],
      };
    }
  },
  async importRecords(records, ctx) {
    if (records.length > MAX_RELATIONS_PER_CAMPAIGN) {
      throw new ArchiveRefused(
        `The archive holds ${records.length.toLocaleString("en")} relations for one campaign; a campaign holds at most ${MAX_RELATIONS_PER_CAMPAIGN.toLocaleString("en")}.`,
        400,
      );
    }
    const notRestored: string[] = [];
    const rows = records.flatMap((record) => {
      const from = ctx.keys.get(record.from);
      const to = ctx.keys.get(record.to);
      if (!from || !to) {
        const label = relationLabel(record, "from");
        notRestored.push(
          `the relation “${keyName(record.from)} — ${label} — ${keyName(record.to)}” (${from ? keyName(record.to) : keyName(record.from)} is not in the archive)`,
        );
        return [];
      }
      // A symmetric type is stored with its ends in (kind, id) order; new ids keep the archive's order.
      const swap = isSymmetric(record.type) && (from.kind === to.kind ? from.index > to.index : from.kind > to.kind);
      const [a, b] = swap ? [to, from] : [from, to];
      return [
        {
          fromKind: a.kind,
          fromK: a.index,
          toKind: b.kind,
          toK: b.index,
          type: record.type,
          label: record.label,
          inverseLabel: record.inverseLabel,
          note: record.note,
          audience: record.audience,
          createdAt: record.createdAt,
          updatedAt: record.updatedAt,
        },
      ];
    });
    const field = (name: string) => sql.raw(`json_extract(j.value, '$.${name}')`);
    const statements: Statement[] = [];
    for (let start = 0; start < rows.length; start += RELATION_CHUNK) {
      const chunk = JSON.stringify(rows.slice(start, start + RELATION_CHUNK));
      const { sql: text, params } = ctx.db
        .run(
          sql`WITH ${numberedEnds(ctx.campaignId)}
          INSERT INTO campaign_relations (campaign_id, from_kind, from_id, to_kind, to_id, type, label, inverse_label,
            note, audience, created_at, updated_at)
          SELECT ${ctx.campaignId}, f.kind, f.id, t.kind, t.id, ${field("type")}, ${field("label")}, ${field("inverseLabel")},
            ${field("note")}, ${field("audience")}, ${field("createdAt")}, ${field("updatedAt")}
          FROM json_each(${chunk}) j
          JOIN ends f ON f.kind = ${field("fromKind")} AND f.k = ${field("fromK")}
          JOIN ends t ON t.kind = ${field("toKind")} AND t.k = ${field("toK")}
          WHERE ${ctx.whenCampaign}
          ORDER BY j.key
          ON CONFLICT DO NOTHING`,
        )
        .getQuery();
      statements.push({ sql: text, params });
    }
    return { statements, entries: 0, characters: 0, notRestored };
  },
};

// ---------------------------------------------------------------- sessions (version 2)

/**
 * A session's Markdown file holds its notes, then this line, then its recap. Where the
 * recap starts is also in loresmith.json (`notesLength`), so any text — this line
 * included — splits back exactly; the line is for people and Obsidian.
 */
export const RECAP_SEPARATOR = "\n\n<!-- loresmith:recap -->\n## Recap\n\n";
export const SESSIONS_FOLDER = "sessions";
/** Bytes of session JSON one insert carries as its one bound value (D1 takes strings up to 2 MB). */
const SESSION_CHUNK_CHARS = 500_000;

export const sessionRecordSchema = z.object({
  file: path,
  /** Where the recap starts in the file's body (the notes are before it); null when the file is the recap alone (no notes: a member's export). */
  notesLength: z.number().int().min(0).max(MAX_SESSION_NOTES).nullable(),
  number: z.number().int().min(1).max(MAX_SESSION_NUMBER),
  playedOn: z.iso.date(),
  title: z.string().max(MAX_SESSION_TITLE),
  /** The player characters who were there, by their key in the archive. */
  attendees: z.array(path).max(MAX_ATTENDEES),
  guests: z.array(z.string().min(1).max(MAX_GUEST_NAME)).max(MAX_GUESTS),
  audience: z.enum(audiences),
  version: z.number().int().min(1).max(1_000_000_000),
  createdAt: ms,
  updatedAt: ms,
});
export type SessionRecord = z.output<typeof sessionRecordSchema>;

/** A session's notes and recap from its file's body. */
export function splitSessionBody(body: string, notesLength: number | null): { notes: string; recap: string } {
  if (notesLength === null) return { notes: "", recap: body };
  if (body.startsWith(RECAP_SEPARATOR, notesLength))
    return { notes: body.slice(0, notesLength), recap: body.slice(notesLength + RECAP_SEPARATOR.length) };
  // Edited outside LoreSmith: the last separator line, or all of it is notes.
  const at = body.lastIndexOf(RECAP_SEPARATOR);
  return at < 0
    ? { notes: body, recap: "" }
    : { notes: body.slice(0, at), recap: body.slice(at + RECAP_SEPARATOR.length) };
}

const sessionsSection: ArchiveSection<SessionRecord> = {
  key: "sessions",
  record: sessionRecordSchema,
  async *exportRecords(ctx) {
    const gm = can(ctx.reader.role, "seeSecrets");
    // As the session pages show them: for anyone but a GM only shared sessions, the recap's public text, no notes.
    for await (const page of sessionsForExport(ctx.db, ctx.reader)) {
      for (const session of page) {
        const pad = String(session.number).padStart(3, "0");
        const file = ctx.paths.take(
          `${ctx.base}${SESSIONS_FOLDER}`,
          `${pad} ${session.title || `Session ${session.number}`}`,
          ".md",
        );
        const attendees = session.attendeeIds.flatMap((id) => ctx.keys.get(`character:${id}`) ?? []);
        const audience = session.audience ?? "campaign";
        const record: SessionRecord = {
          file,
          notesLength: gm && session.notes !== null ? session.notes.length : null,
          number: session.number,
          playedOn: session.playedOn,
          title: session.title,
          attendees: attendees.map((attendee) => attendee.file),
          guests: session.guests,
          audience,
          version: session.version,
          createdAt: session.createdAt,
          updatedAt: session.updatedAt,
        };
        const frontMatter = writeFrontMatter({
          title: session.title || `Session ${session.number}`,
          type: "session",
          number: session.number,
          played_on: session.playedOn,
          attendees: attendees.length ? attendees.map((attendee) => attendee.name) : undefined,
          guests: session.guests.length ? session.guests : undefined,
          audience,
          version: session.version,
          created: iso(session.createdAt),
          updated: iso(session.updatedAt),
        });
        const body =
          record.notesLength === null ? session.recap : `${session.notes ?? ""}${RECAP_SEPARATOR}${session.recap}`;
        yield { record, sources: [markdownFile(file, frontMatter, body, session.updatedAt)] };
      }
    }
  },
  async importRecords(records, ctx) {
    if (records.length > MAX_SESSIONS_PER_CAMPAIGN) {
      throw new ArchiveRefused(
        `The archive holds ${records.length.toLocaleString("en")} sessions for one campaign; a campaign holds at most ${MAX_SESSIONS_PER_CAMPAIGN.toLocaleString("en")}.`,
        400,
      );
    }
    const numbers = new Set<number>();
    const notRestored: string[] = [];
    const rows: Record<string, unknown>[] = [];
    for (const record of records) {
      if (numbers.has(record.number))
        throw new ArchiveRefused(
          `The archive holds session ${record.number} twice: renumber one and export again.`,
          400,
        );
      numbers.add(record.number);
      const body = await ctx.bodyOf(record.file, MAX_SESSION_NOTES + MAX_SESSION_RECAP + RECAP_SEPARATOR.length);
      const { notes, recap } = splitSessionBody(body, record.notesLength);
      if (notes.length > MAX_SESSION_NOTES || recap.length > MAX_SESSION_RECAP) {
        throw new ArchiveRefused(
          `“${record.file.slice(0, 200)}” holds longer notes or a longer recap than a session does (${MAX_SESSION_NOTES.toLocaleString("en")} and ${MAX_SESSION_RECAP.toLocaleString("en")} characters).`,
          400,
        );
      }
      const attendees: number[] = [];
      for (const key of new Set(record.attendees)) {
        const attendee = ctx.keys.get(key);
        if (attendee?.kind === "character" && attendee.pc) attendees.push(attendee.index);
        else
          notRestored.push(
            `${keyName(key)} as an attendee of session ${record.number} (not a player character in the archive)`,
          );
      }
      rows.push({
        number: record.number,
        playedOn: record.playedOn,
        title: record.title,
        attendees,
        guests: record.guests,
        notes,
        notesPublic: withoutSecrets(notes),
        recap,
        recapPublic: withoutSecrets(recap),
        audience: record.audience,
        version: record.version,
        createdAt: record.createdAt,
        updatedAt: record.updatedAt,
      });
    }
    // Chunks of about SESSION_CHUNK_CHARS of JSON (a session alone when it is larger), each one bound value.
    const chunks: string[][] = [];
    let size = 0;
    for (const row of rows) {
      const json = JSON.stringify(row);
      const last = chunks.at(-1);
      if (!last || size + json.length > SESSION_CHUNK_CHARS) {
        chunks.push([json]);
        size = json.length;
      } else {
        last.push(json);
        size += json.length;
      }
    }
    const field = (name: string) => sql.raw(`json_extract(j.value, '$.${name}')`);
    const statements = chunks.map((chunk) => {
      const { sql: text, params } = ctx.db
        .run(
          sql`WITH pcs(k, id) AS (
            SELECT row_number() OVER (ORDER BY id) - 1, id FROM campaign_characters WHERE campaign_id = ${ctx.campaignId})
          INSERT INTO campaign_sessions (campaign_id, number, played_on, title, attendee_ids, guests, notes, notes_public,
            recap, recap_public, audience, version, created_at, updated_at)
          SELECT ${ctx.campaignId}, ${field("number")}, ${field("playedOn")}, ${field("title")},
            (SELECT json_group_array(x.id) FROM (SELECT p.id FROM json_each(j.value, '$.attendees') a
              JOIN pcs p ON p.k = a.value ORDER BY a.key) x),
            ${field("guests")}, ${field("notes")}, ${field("notesPublic")}, ${field("recap")}, ${field("recapPublic")},
            ${field("audience")}, ${field("version")}, ${field("createdAt")}, ${field("updatedAt")}
          FROM json_each(${`[${chunk.join(",")}]`}) j
          WHERE ${ctx.whenCampaign}
          ORDER BY j.key`,
        )
        .getQuery();
      return { sql: text, params } satisfies Statement;
    });
    return { statements, entries: 0, characters: 0, notRestored };
  },
};

/**
 * Every section an archive holds, in the order they are written and created. The one
 * place a new kind of row (relations, sessions, …) joins the format.
 */
// biome-ignore lint/suspicious/noExplicitAny: each section has its own record type; the list holds them all.
export const archiveSections: ArchiveSection<any>[] = [
  entriesSection,
  charactersSection,
  filesSection,
  relationsSection,
  sessionsSection,
];

/** A Markdown file of the archive: its front matter, then the text exactly as stored. */
function markdownFile(name: string, frontMatter: string, body: string, modifiedAt: number): ZipSource {
  return { name, body: frontMatter + body, compress: true, modifiedAt };
}

/**
 * The front matter's `aliases`, which Obsidian resolves links by: the row's other names, and
 * its exact title first when the file's name had to change. (Our own import reads a row's
 * aliases from loresmith.json; a vault's, from here.)
 */
function aliasesFor(title: string, others: string[]): string[] | undefined {
  const names = [...(safeSegment(title) === title ? [] : [title]), ...others];
  return names.length ? names : undefined;
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
  version: z.number().int().min(1).max(1_000_000_000),
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
