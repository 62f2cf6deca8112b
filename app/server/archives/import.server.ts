import { and, eq, inArray, type SQL, sql } from "drizzle-orm";
import type { z } from "zod";
import {
  ARCHIVE_VERSION,
  type ImportForm,
  MANIFEST_PATH,
  MAX_IMPORT_NOTE_BYTES,
  MAX_MANIFEST_BYTES,
  MAX_MANIFEST_DEPTH,
  type NoteTarget,
  STAGED_IMPORT_SECONDS,
} from "~/lib/archives";
import { MAX_MARKDOWN_LENGTH } from "~/lib/campaign-schemas";
import { type ContextType, contextTypes } from "~/lib/domain";
import { linkKey } from "~/lib/wiki-links";
import { encodeTags } from "../campaigns/errors.server";
import { otherNames } from "../campaigns/links.server";
import { newRowAudienceTokens } from "../campaigns/policy.server";
import { withoutSecrets } from "../campaigns/secrets.server";
import type { Db } from "../db/db.server";
import { DEFAULT_ROW_LIMITS, QuotaExceeded, type RowLimits } from "../db/quota.server";
import { campaignCharacters, campaignContext, campaigns, fileMetadata } from "../db/schema";
import type { Account } from "../files/library.server";
import { jsonDepth } from "../json-depth.server";
import { ArchiveRefused, type OpenedArchive, openArchive, utf8 } from "./archive-reader.server";
import { splitFrontMatter } from "./front-matter.server";
import {
  type ArchiveKey,
  archiveSections,
  type CharacterRecord,
  campaignRecordSchema,
  type EntryRecord,
  type ImportContext,
  type ImportPart,
  insertWhen,
  type Manifest,
  manifestSchema,
  runBatch,
  type Statement,
} from "./manifest.server";
import {
  mappingChoices,
  mapVault,
  normalizeLinks,
  scanVault,
  suggestedTarget,
  type Unmapped,
  type VaultMapping,
} from "./obsidian.server";

/**
 * Imports (ADR 0039). An upload is kept for an hour (KV, with that expiry) while its
 * preview is looked at and adjusted; creating reads it again, checks everything, and writes
 * the new campaign and all it holds in ONE D1 batch whose first statement carries the
 * quotas: if they do not allow it, that statement inserts nothing and every later one,
 * which waits on the campaign existing, inserts nothing either. Nothing half-imported
 * can be left, whatever fails.
 */

const stagedKey = (account: Account, id: string) => `archive-import:${account.id}:${id}`;

export async function stageImport(kv: KVNamespace, account: Account, bytes: Uint8Array, fileName: string) {
  const id = crypto.randomUUID().replaceAll("-", "");
  await kv.put(stagedKey(account, id), bytes, {
    expirationTtl: STAGED_IMPORT_SECONDS,
    metadata: { fileName: fileName.slice(0, 200) },
  });
  return id;
}

export async function loadStaged(kv: KVNamespace, account: Account, id: string) {
  const { value, metadata } = await kv.getWithMetadata<{ fileName?: string }>(stagedKey(account, id), "arrayBuffer");
  return value ? { bytes: new Uint8Array(value), fileName: metadata?.fileName ?? "archive.zip" } : null;
}

export async function dropStaged(kv: KVNamespace, account: Account, id: string) {
  await kv.delete(stagedKey(account, id));
}

function refuse(message: string): never {
  throw new ArchiveRefused(message, 400);
}

/** The path and first problem of a zod failure, for a message. */
function firstIssue(where: string, error: z.ZodError): string {
  const issue = error.issues[0];
  const path = [where, ...(issue?.path ?? [])].map((part) =>
    typeof part === "number" ? `[${part}]` : `.${String(part)}`,
  );
  return `${path.join("").replace(/^\./, "")}: ${issue?.message ?? "not valid"}`;
}

// ---------------------------------------------------------------- our own archives

interface ParsedCampaign {
  record: z.output<typeof campaignRecordSchema>;
  view: "gm" | "member";
  sections: Map<string, unknown[]>;
  unknownSections: string[];
}

async function readManifest(archive: OpenedArchive): Promise<{ manifest: Manifest; campaigns: ParsedCampaign[] }> {
  const bytes = await archive.read(MANIFEST_PATH, MAX_MANIFEST_BYTES);
  if (!bytes) refuse(`${MANIFEST_PATH} is larger than ${MAX_MANIFEST_BYTES / 1024 / 1024} MB: it cannot be imported.`);
  const text = utf8(bytes);
  if (text === null) refuse(`${MANIFEST_PATH} is not UTF-8 text: the archive is damaged.`);
  if (jsonDepth(text, MAX_MANIFEST_DEPTH) > MAX_MANIFEST_DEPTH)
    refuse(`${MANIFEST_PATH} nests deeper than any LoreSmith archive does: it cannot be imported.`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    refuse(`${MANIFEST_PATH} is not valid JSON: the archive is damaged.`);
  }
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success) refuse(`${MANIFEST_PATH} is not a LoreSmith archive's (${firstIssue("", parsed.error)}).`);
  const known = new Map(archiveSections.map((section) => [section.key, section]));
  const parsedCampaigns = parsed.data.campaigns.map((entry, i) => {
    const record = campaignRecordSchema.safeParse(entry.campaign);
    if (!record.success) refuse(`${MANIFEST_PATH}: ${firstIssue(`campaigns[${i}].campaign`, record.error)}`);
    const sections = new Map<string, unknown[]>();
    const unknownSections: string[] = [];
    for (const [key, rows] of Object.entries(entry.sections)) {
      const section = known.get(key);
      if (!section) {
        unknownSections.push(key);
        continue;
      }
      sections.set(
        key,
        rows.map((row, n) => {
          const checked = section.record.safeParse(row);
          if (!checked.success)
            refuse(`${MANIFEST_PATH}: ${firstIssue(`campaigns[${i}].sections.${key}[${n}]`, checked.error)}`);
          return checked.data;
        }),
      );
    }
    return { record: record.data, view: entry.view ?? "gm", sections, unknownSections } satisfies ParsedCampaign;
  });
  refuseOversized(parsedCampaigns);
  return { manifest: parsed.data, campaigns: parsedCampaigns };
}

/**
 * Before any Markdown file is read or parsed: an archive that alone holds more than any
 * account may is refused (the batch's quota check would refuse it anyway, but only after
 * every body was read), and no two records may name one file, so each body is read once.
 */
function refuseOversized(parsed: ParsedCampaign[]) {
  const count = (key: string) => parsed.reduce((sum, campaign) => sum + (campaign.sections.get(key)?.length ?? 0), 0);
  const [entries, characters] = [count("entries"), count("characters")];
  const most = DEFAULT_ROW_LIMITS;
  if (parsed.length > most.campaigns || entries > most.entries || characters > most.characters) {
    refuse(
      `This archive holds ${parsed.length} campaigns, ${entries.toLocaleString("en")} entries and ${characters.toLocaleString("en")} characters: more than one account may hold (${most.campaigns}, ${most.entries.toLocaleString("en")}, ${most.characters.toLocaleString("en")}). Nothing was imported.`,
    );
  }
  const files = parsed.flatMap((campaign) => [
    campaign.record.file,
    ...[...campaign.sections.values()]
      .flat()
      .map((row) => (row as { file?: unknown }).file)
      .filter((file): file is string => typeof file === "string"),
  ]);
  if (new Set(files).size !== files.length) {
    refuse(`Two records of ${MANIFEST_PATH} name the same file: the archive is damaged. Nothing was imported.`);
  }
}

/** A Markdown file of ours: the text after its front matter, as the row held it. */
async function bodyIn(archive: OpenedArchive, path: string, maxLength = MAX_MARKDOWN_LENGTH): Promise<string> {
  const bytes = archive.has(path) ? await archive.read(path, MAX_IMPORT_NOTE_BYTES) : null;
  if (!bytes)
    refuse(`“${path.slice(0, 200)}”, which ${MANIFEST_PATH} names, is missing from the archive or larger than 1 MB.`);
  const text = utf8(bytes);
  if (text === null) refuse(`“${path.slice(0, 200)}” is not UTF-8 text.`);
  const { body } = splitFrontMatter(text);
  if (body.length > maxLength) {
    refuse(`“${path.slice(0, 200)}” is longer than an entry holds (${maxLength.toLocaleString("en")} characters).`);
  }
  return body;
}

// ---------------------------------------------------------------- previews

export type ImportPreview =
  | {
      kind: "loresmith";
      campaigns: { name: string; view: "gm" | "member"; counts: Record<string, number> }[];
      unknownSections: string[];
      newerVersion: boolean;
    }
  | {
      kind: "obsidian";
      name: string;
      create: { path: string; title: string; target: NoteTarget }[];
      counts: Partial<Record<NoteTarget, number>>;
      unmapped: Unmapped[];
      folders: { path: string; notes: number; target: NoteTarget }[];
      tags: { tag: string; notes: number; target: NoteTarget | "" }[];
    };

/** The mapping the form asks for, over the defaults the vault's names suggest. */
function mappingFrom(
  choices: ReturnType<typeof mappingChoices>,
  form?: Pick<ImportForm, "folders" | "tags">,
): VaultMapping {
  const folders = new Map(choices.folders.map((folder) => [folder.path, folder.target]));
  for (const folder of form?.folders ?? []) if (folders.has(folder.path)) folders.set(folder.path, folder.target);
  const tags = new Map<string, NoteTarget>();
  for (const tag of choices.tags) if (tag.target) tags.set(tag.tag.toLowerCase(), tag.target);
  for (const tag of form?.tags ?? []) {
    if (!choices.tags.some((choice) => choice.tag.toLowerCase() === tag.tag.toLowerCase())) continue;
    if (tag.target) tags.set(tag.tag.toLowerCase(), tag.target);
    else tags.delete(tag.tag.toLowerCase());
  }
  return { folders, tags };
}

function vaultName(fileName: string): string {
  return (
    fileName
      .replace(/\.zip$/i, "")
      .trim()
      .slice(0, 120) || "Imported vault"
  );
}

/** What an import of the archive would create, and what it would leave out. Refuses a bad archive. */
export async function previewImport(bytes: Uint8Array, fileName: string, form?: ImportForm): Promise<ImportPreview> {
  const archive = openArchive(bytes, { keepTop: (folder) => suggestedTarget(folder) !== null });
  if (archive.has(MANIFEST_PATH)) {
    const { manifest, campaigns: parsed } = await readManifest(archive);
    return {
      kind: "loresmith",
      campaigns: parsed.map((campaign) => ({
        name: campaign.record.name,
        view: campaign.view,
        counts: Object.fromEntries([...campaign.sections].map(([key, rows]) => [key, rows.length])),
      })),
      unknownSections: [...new Set(parsed.flatMap((campaign) => campaign.unknownSections))],
      newerVersion: manifest.version > ARCHIVE_VERSION,
    };
  }
  const scan = await scanVault(archive);
  if (
    scan.notes.length === 0 &&
    !scan.unmapped.some((item) => item.reason !== "not-markdown" && item.reason !== "settings")
  ) {
    refuse("The archive holds no Markdown notes and no loresmith.json: there is nothing to import.");
  }
  const choices = mappingChoices(scan);
  const mapping = mappingFrom(choices, form);
  const { create, unmapped } = mapVault(scan, mapping);
  const counts: Partial<Record<NoteTarget, number>> = {};
  for (const note of create) counts[note.target] = (counts[note.target] ?? 0) + 1;
  return {
    kind: "obsidian",
    name: form?.name || vaultName(fileName),
    create: create.map((note) => ({ path: note.path, title: note.title, target: note.target })),
    counts,
    unmapped,
    folders: choices.folders.map((folder) => ({
      ...folder,
      target: mapping.folders.get(folder.path) ?? folder.target,
    })),
    tags: choices.tags.map((tag) => ({ ...tag, target: mapping.tags.get(tag.tag.toLowerCase()) ?? "" })),
  };
}

// ---------------------------------------------------------------- creating

interface PlannedCampaign {
  values: typeof campaigns.$inferInsert;
  /** Its entries and characters by their key in the archive (what relations and sessions refer to them by). */
  keys: Map<string, ArchiveKey>;
  parts: (ctx: ImportContext) => Promise<ImportPart[]>;
}

/**
 * The keys (Markdown paths) of a campaign's entries and characters, each with its place
 * among its kind's rows: the order they are inserted in, so a later statement of the
 * same batch finds the new row as the k-th of the new campaign. Refuses a key used twice.
 */
function archiveKeys(sections: Map<string, unknown[]>): Map<string, ArchiveKey> {
  const keys = new Map<string, ArchiveKey>();
  const add = (key: string, value: ArchiveKey) => {
    if (keys.has(key)) refuse(`${MANIFEST_PATH} names “${key.slice(0, 200)}” for two rows: the archive is damaged.`);
    keys.set(key, value);
  };
  for (const [index, entry] of ((sections.get("entries") ?? []) as EntryRecord[]).entries())
    add(entry.file, { kind: "entry", index, name: entry.title, pc: false });
  for (const [index, character] of ((sections.get("characters") ?? []) as CharacterRecord[]).entries())
    add(character.file, {
      kind: "character",
      index,
      name: character.characterName,
      pc: character.characterType === "pc",
    });
  return keys;
}

export interface ImportResult {
  campaignIds: string[];
  created: { entries: number; characters: number };
  notRestored: string[];
}

async function ownFileKeys(db: Db, account: Account, keys: string[]): Promise<Map<string, string>> {
  const unique = [...new Set(keys)];
  const found = new Map<string, string>();
  for (let i = 0; i < unique.length; i += 50) {
    const rows = await db
      .select({ fileKey: fileMetadata.fileKey, fileName: fileMetadata.fileName })
      .from(fileMetadata)
      .where(and(eq(fileMetadata.username, account.username), inArray(fileMetadata.fileKey, unique.slice(i, i + 50))));
    for (const row of rows) found.set(row.fileKey, row.fileName);
  }
  return found;
}

/** Creates the planned campaigns and everything in them in one batch, within the account's quotas. */
async function createAll(
  db: Db,
  account: Account,
  limits: RowLimits,
  planned: PlannedCampaign[],
  readText: (path: string, maxLength?: number) => Promise<string>,
): Promise<ImportResult> {
  const statements: Statement[] = [];
  const notRestored: string[] = [];
  let entries = 0;
  let characters = 0;
  const children: Statement[] = [];
  const ids = planned.map((plan) => plan.values.id);
  const [first] = ids;
  if (!first) refuse("The archive holds no campaign.");
  for (const plan of planned) {
    const ctx: ImportContext = {
      db,
      campaignId: plan.values.id,
      owner: account,
      readText: async (path) => readText(path),
      bodyOf: readText,
      keys: plan.keys,
      ownFileKeys: (keys) => ownFileKeys(db, account, keys),
      whenCampaign: sql`EXISTS (SELECT 1 FROM campaigns WHERE id = ${plan.values.id})`,
    };
    for (const part of await plan.parts(ctx)) {
      children.push(...part.statements);
      entries += part.entries;
      characters += part.characters;
      notRestored.push(...part.notRestored);
    }
  }
  const held = {
    campaigns: sql`(SELECT count(*) FROM campaigns WHERE username = ${account.username})`,
    entries: sql`(SELECT count(*) FROM campaign_context e JOIN campaigns c ON c.id = e.campaign_id WHERE c.username = ${account.username})`,
    characters: sql`(SELECT count(*) FROM campaign_characters p JOIN campaigns c ON c.id = p.campaign_id WHERE c.username = ${account.username})`,
  };
  const withinQuotas: SQL = sql`${held.campaigns} + ${planned.length} <= ${limits.campaigns}
    AND ${held.entries} + ${entries} <= ${limits.entries} AND ${held.characters} + ${characters} <= ${limits.characters}`;
  for (const [i, plan] of planned.entries()) {
    const condition = i === 0 ? withinQuotas : sql`EXISTS (SELECT 1 FROM campaigns WHERE id = ${first})`;
    statements.push(insertWhen(db, campaigns, plan.values, condition));
  }
  await runBatch(db, [...statements, ...children]);
  const [made] = await db.select({ id: campaigns.id }).from(campaigns).where(eq(campaigns.id, first));
  if (!made) {
    const [counts] = await db.all<{ campaigns: number; entries: number; characters: number }>(
      sql`SELECT ${held.campaigns} AS campaigns, ${held.entries} AS entries, ${held.characters} AS characters`,
    );
    const what =
      (counts?.campaigns ?? 0) + planned.length > limits.campaigns
        ? `${limits.campaigns.toLocaleString("en")} campaigns`
        : (counts?.entries ?? 0) + entries > limits.entries
          ? `${limits.entries.toLocaleString("en")} lore and context entries`
          : `${limits.characters.toLocaleString("en")} characters`;
    throw new QuotaExceeded(
      `This import would take your account past ${what}, the most one account can hold. Nothing was imported: delete what you no longer need, or import a smaller archive.`,
    );
  }
  return { campaignIds: ids, created: { entries, characters }, notRestored };
}

/** The D1 statements of every section's records, as each section imports them. */
function sectionParts(sections: Map<string, unknown[]>): PlannedCampaign["parts"] {
  return (ctx) =>
    Promise.all(archiveSections.map((section) => section.importRecords(sections.get(section.key) ?? [], ctx)));
}

/**
 * One campaign made from archive records written by LoreSmith itself (the sample
 * campaign), created exactly as an import creates one: each record checked by its
 * section's schema, everything in one batch, within the account's quotas.
 */
export async function createFromRecords(
  { db, limits }: { db: Db; limits: RowLimits },
  account: Account,
  values: typeof campaigns.$inferInsert,
  records: Record<string, unknown[]>,
  bodies: Map<string, string>,
): Promise<ImportResult> {
  const sections = new Map<string, unknown[]>();
  for (const section of archiveSections)
    sections.set(
      section.key,
      (records[section.key] ?? []).map((record) => section.record.parse(record)),
    );
  const read = async (path: string) => {
    const body = bodies.get(path);
    if (body === undefined) refuse(`“${path}” is named by a record but has no text.`);
    return body;
  };
  return createAll(db, account, limits, [{ values, keys: archiveKeys(sections), parts: sectionParts(sections) }], read);
}

/** Imports the archive as new campaigns of `account` (our archive) or one new campaign (a vault). */
export async function createFromImport(
  { db, limits }: { db: Db; limits: RowLimits },
  account: Account,
  bytes: Uint8Array,
  fileName: string,
  form: ImportForm,
): Promise<ImportResult> {
  const archive = openArchive(bytes, { keepTop: (folder) => suggestedTarget(folder) !== null });
  if (archive.has(MANIFEST_PATH)) {
    const { campaigns: parsed } = await readManifest(archive);
    // Every Markdown file is read and checked before anything is written.
    const bodies = new Map<string, string>();
    const read = async (path: string, maxLength?: number) => {
      const known = bodies.get(path);
      if (known !== undefined) return known;
      const body = await bodyIn(archive, path, maxLength);
      bodies.set(path, body);
      return body;
    };
    const planned: PlannedCampaign[] = [];
    const unknown = new Set<string>();
    for (const campaign of parsed) {
      const { record } = campaign;
      for (const key of campaign.unknownSections) unknown.add(key);
      const name = parsed.length === 1 && form.name ? form.name : record.name;
      planned.push({
        values: {
          id: crypto.randomUUID(),
          username: account.username,
          name,
          description: await read(record.file),
          status: record.status,
          metadata: record.metadata,
        },
        keys: archiveKeys(campaign.sections),
        parts: sectionParts(campaign.sections),
      });
    }
    const result = await createAll(db, account, limits, planned, read);
    for (const key of unknown)
      result.notRestored.push(`the “${key}” section (made by a newer LoreSmith; this one does not know it)`);
    return result;
  }
  // A vault: the preview's mapping, read again from the same bytes.
  const scan = await scanVault(archive);
  const { create } = mapVault(scan, mappingFrom(mappingChoices(scan), form));
  if (create.length === 0)
    refuse("Nothing in this vault is set to be imported. Change the mapping, or choose another archive.");
  const titleOf = new Map<string, string>();
  for (const note of create) {
    titleOf.set(linkKey(note.baseName), note.title);
    titleOf.set(linkKey(note.path.replace(/\.md$/i, "")), note.title);
  }
  const now = Date.now();
  const name = (form.name || vaultName(fileName)).slice(0, 120);
  const planned: PlannedCampaign = {
    values: {
      id: crypto.randomUUID(),
      username: account.username,
      name,
      description: `Imported from ${fileName.slice(0, 200)}.`,
      status: "planning",
      metadata: {},
    },
    keys: new Map(),
    parts: async (ctx) => {
      const statements = create.map((note) => {
        const body = normalizeLinks(note.body, titleOf);
        if (note.target === "npc" || note.target === "pc") {
          return insertWhen(
            db,
            campaignCharacters,
            {
              campaignId: ctx.campaignId,
              characterName: note.title.slice(0, 120),
              aliases: otherNames(note.title, note.aliases),
              characterType: note.target,
              status: note.character.status ?? "alive",
              backstory: body,
              backstoryPublic: withoutSecrets(body),
              audience: note.audience,
              audienceTokens: newRowAudienceTokens(note.audience),
              metadata: { ...note.character, status: undefined, stats: [] },
              createdAt: now,
              updatedAt: now,
            },
            ctx.whenCampaign,
          );
        }
        const contextType: ContextType = (contextTypes as readonly string[]).includes(note.target)
          ? (note.target as ContextType)
          : "lore";
        return insertWhen(
          db,
          campaignContext,
          {
            campaignId: ctx.campaignId,
            contextType,
            title: note.title,
            aliases: otherNames(note.title, note.aliases),
            content: body,
            contentPublic: withoutSecrets(body),
            tags: encodeTags(note.tags),
            audience: note.audience,
            audienceTokens: newRowAudienceTokens(note.audience),
            createdAt: now,
            updatedAt: now,
          },
          ctx.whenCampaign,
        );
      });
      const characters = create.filter((note) => note.target === "npc" || note.target === "pc").length;
      return [{ statements, entries: create.length - characters, characters, notRestored: [] }];
    },
  };
  return createAll(db, account, limits, [planned], async () => "");
}
