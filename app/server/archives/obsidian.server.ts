import {
  MAX_IMPORT_NOTE_BYTES,
  MAX_MAPPED_FOLDERS,
  MAX_MAPPED_TAGS,
  type NoteTarget,
  noteTargets,
  type UnmappedReason,
} from "~/lib/archives";
import { MAX_ALIASES, MAX_MARKDOWN_LENGTH, MAX_TAGS } from "~/lib/campaign-schemas";
import { type CharacterStatus, characterStatuses } from "~/lib/domain";
import type { audiences } from "~/lib/members";
import { linkKey } from "~/lib/wiki-links";
import { type OpenedArchive, utf8 } from "./archive-reader.server";
import {
  FrontMatterError,
  type ReadValue,
  readFrontMatter,
  splitFrontMatter,
  UNSUPPORTED,
} from "./front-matter.server";

/**
 * An Obsidian vault (a zip of Markdown notes with optional YAML front matter and
 * `[[links]]`) as entries and characters (ADR 0039). Each note's kind is decided, in this
 * order, by its front matter (`type:` naming a kind, as our own exports write it), by the
 * first of its tags that is mapped to a kind, by its folder's mapping — folders and tags
 * get defaults from their names ("NPCs", "Locations", "#npc"…), which the person adjusts in
 * the preview — and what cannot become anything is listed with the reason.
 */

export interface VaultNote {
  path: string;
  /** Its folder ("" at the top of the vault). */
  folder: string;
  /** The file's name without .md: what Obsidian links by. */
  baseName: string;
  title: string;
  /** Other names it answers to: its front matter's `aliases` (Obsidian's), as LoreSmith keeps them (ADR 0035). */
  aliases: string[];
  body: string;
  tags: string[];
  /** A kind its front matter names. */
  frontTarget: NoteTarget | null;
  audience: (typeof audiences)[number];
  character: {
    status?: CharacterStatus;
    ancestry?: string;
    characterClass?: string;
    level?: number;
    alignment?: string;
    playerName?: string;
  };
}

export interface Unmapped {
  path: string;
  reason: UnmappedReason;
  detail: string;
}

export interface VaultScan {
  notes: VaultNote[];
  unmapped: Unmapped[];
}

/** Folder and tag names that say what their notes are. Compared lower-case, "-" and "_" as spaces, numbering dropped. */
const SYNONYMS: [NoteTarget, string[]][] = [
  [
    "npc",
    ["npc", "npcs", "characters", "character", "people", "persons", "non player characters", "villains", "allies"],
  ],
  ["pc", ["pc", "pcs", "players", "player characters", "player character", "party", "heroes"]],
  [
    "location",
    [
      "location",
      "locations",
      "places",
      "place",
      "cities",
      "city",
      "towns",
      "town",
      "regions",
      "region",
      "geography",
      "settlements",
      "dungeons",
    ],
  ],
  [
    "faction",
    [
      "faction",
      "factions",
      "organizations",
      "organization",
      "organisations",
      "organisation",
      "guilds",
      "guild",
      "groups",
    ],
  ],
  ["item", ["item", "items", "artifacts", "artifact", "artefacts", "loot", "treasure", "equipment", "magic items"]],
  ["plot_hook", ["plot hook", "plot hooks", "hooks", "quests", "quest", "plots", "adventures", "plot_hook"]],
  [
    "session_note",
    ["session", "sessions", "session notes", "session note", "journal", "logs", "recaps", "session_note"],
  ],
  ["house_rule", ["rules", "house rules", "house rule", "mechanics", "house_rule"]],
  [
    "lore",
    ["lore", "history", "gods", "deities", "religions", "religion", "world", "cosmology", "legends", "worldbuilding"],
  ],
];
const synonymTargets = new Map(SYNONYMS.flatMap(([target, names]) => names.map((name) => [name, target] as const)));

function normalName(name: string): string {
  return name
    .toLowerCase()
    .replace(/[-_]+/g, " ")
    .replace(/^\d+[\s.)-]*/, "")
    .replace(/\s+/g, " ")
    .trim();
}

/** The kind a folder or tag name suggests, if any. */
export function suggestedTarget(name: string): NoteTarget | null {
  const normal = normalName(name.split("/").at(-1) ?? name);
  if ((noteTargets as readonly string[]).includes(normal)) return normal as NoteTarget;
  return synonymTargets.get(normal) ?? null;
}

/** A folder's default: the nearest of its folders whose name says a kind; else lore. */
export function folderDefault(folder: string): NoteTarget {
  const segments = folder ? folder.split("/") : [];
  for (let i = segments.length - 1; i >= 0; i--) {
    const target = suggestedTarget(segments[i] ?? "");
    if (target) return target;
  }
  return "lore";
}

const asText = (value: ReadValue | undefined): string | undefined =>
  typeof value === "string" ? value : typeof value === "number" ? String(value) : undefined;

function tagsFrom(value: ReadValue | undefined): string[] {
  if (value === undefined || value === null || value === UNSUPPORTED) return [];
  const raw = Array.isArray(value)
    ? value.map((v) => asText(v ?? undefined) ?? "")
    : (asText(value) ?? "").split(/[,\s]+/);
  return raw.map((tag) => tag.trim().replace(/^#/, "")).filter(Boolean);
}

/** A tag as LoreSmith stores it: no "|" (its separator) or "," (the form's), spaces collapsed. */
function cleanTag(tag: string): string {
  return tag.replace(/[|,]/g, "-").replace(/\s+/g, " ").trim();
}

/** `#tag` in the text (outside code): Obsidian's inline tags. */
function inlineTags(body: string): string[] {
  const tags: string[] = [];
  let fenced = false;
  for (const line of body.split("\n")) {
    if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
    if (fenced) continue;
    for (const match of line
      .replace(/`[^`]*`/g, "")
      .matchAll(/(?:^|\s)#([\p{L}\p{N}_/-]*[\p{L}_/-][\p{L}\p{N}_/-]*)/gu)) {
      if (match[1]) tags.push(match[1]);
    }
  }
  return tags;
}

function uniqueTags(tags: string[]): string[] {
  const seen = new Map<string, string>();
  for (const raw of tags) {
    const tag = cleanTag(raw);
    if (tag && tag.length <= 40 && !seen.has(tag.toLowerCase())) seen.set(tag.toLowerCase(), tag);
  }
  return [...seen.values()].slice(0, MAX_TAGS);
}

/**
 * A note's `aliases` (or `alias`), a list or one name: trimmed, spaces collapsed, without
 * names a link cannot hold (over 120 characters, or with [ ] |), de-duplicated
 * case-insensitively, its own title left out, at most MAX_ALIASES.
 */
function aliasesFrom(values: Map<string, ReadValue>, title: string): string[] {
  const raw = [values.get("aliases"), values.get("alias")].flatMap((value) =>
    Array.isArray(value)
      ? value.map((v) => (typeof v === "string" ? v : undefined))
      : [typeof value === "string" ? value : undefined],
  );
  const seen = new Set([title.toLowerCase()]);
  const aliases: string[] = [];
  for (const name of raw) {
    const alias = name?.trim().replace(/\s+/g, " ");
    if (!alias || alias.length > 120 || /[[\]|]/.test(alias) || seen.has(alias.toLowerCase())) continue;
    seen.add(alias.toLowerCase());
    aliases.push(alias);
  }
  return aliases.slice(0, MAX_ALIASES);
}

const SETTINGS = /^(\.obsidian|\.trash|__MACOSX)\//;

/** Every file of the vault: a note it could hold, or why not. */
export async function scanVault(archive: OpenedArchive): Promise<VaultScan> {
  const notes: VaultNote[] = [];
  const unmapped: Unmapped[] = [];
  const settings: string[] = [];
  for (const path of [...archive.paths].sort((a, b) => a.localeCompare(b))) {
    const baseName = path.split("/").at(-1) ?? path;
    if (SETTINGS.test(path) || baseName === ".DS_Store" || baseName.startsWith("._")) {
      settings.push(path);
      continue;
    }
    if (!/\.md$/i.test(path)) {
      unmapped.push({
        path,
        reason: "not-markdown",
        detail: "not a Markdown note (upload images and PDFs to your library)",
      });
      continue;
    }
    const bytes = await archive.read(path, MAX_IMPORT_NOTE_BYTES);
    if (bytes === null) {
      unmapped.push({ path, reason: "too-large", detail: `larger than ${MAX_IMPORT_NOTE_BYTES / 1024 / 1024} MB` });
      continue;
    }
    const text = utf8(bytes);
    if (text === null) {
      unmapped.push({ path, reason: "not-text", detail: "not UTF-8 text" });
      continue;
    }
    let split: ReturnType<typeof splitFrontMatter>;
    let values: Map<string, ReadValue>;
    try {
      split = splitFrontMatter(text);
      values = split.frontMatter === null ? new Map() : readFrontMatter(split.frontMatter);
    } catch (error) {
      if (!(error instanceof FrontMatterError)) throw error;
      unmapped.push({ path, reason: "front-matter", detail: `its front matter could not be read (${error.message})` });
      continue;
    }
    const body = split.body;
    if (body.length > MAX_MARKDOWN_LENGTH) {
      unmapped.push({
        path,
        reason: "too-large",
        detail: `longer than an entry holds (${MAX_MARKDOWN_LENGTH.toLocaleString("en")} characters)`,
      });
      continue;
    }
    if (body.trim() === "" && values.size === 0) {
      unmapped.push({ path, reason: "empty", detail: "an empty note" });
      continue;
    }
    const name = baseName.replace(/\.md$/i, "");
    const title =
      (asText(values.get("title"))?.trim() || name || "Untitled").replace(/\s+/g, " ").trim().slice(0, 200) ||
      "Untitled";
    const typeName = asText(values.get("type")) ?? asText(values.get("loresmith_type"));
    const frontTarget = typeName ? suggestedTarget(typeName) : null;
    const status = asText(values.get("status"));
    const level = values.get("level");
    const audience = asText(values.get("audience"));
    const short = (key: string, max: number) => asText(values.get(key))?.trim().slice(0, max) || undefined;
    notes.push({
      path,
      folder: path.includes("/") ? path.slice(0, path.lastIndexOf("/")) : "",
      baseName: name,
      title,
      aliases: aliasesFrom(values, title),
      body,
      tags: uniqueTags([...tagsFrom(values.get("tags")), ...tagsFrom(values.get("tag")), ...inlineTags(body)]),
      frontTarget,
      audience: audience === "campaign" ? "campaign" : "gm",
      character: {
        status: characterStatuses.includes(status as CharacterStatus) ? (status as CharacterStatus) : undefined,
        ancestry: short("ancestry", 80),
        characterClass: short("class", 80),
        level: typeof level === "number" && Number.isInteger(level) && level >= 0 && level <= 30 ? level : undefined,
        alignment: short("alignment", 40),
        playerName: short("player", 80),
      },
    });
  }
  if (settings.length) {
    unmapped.push({
      path: settings.length === 1 ? (settings[0] ?? "") : `${settings.length} files`,
      reason: "settings",
      detail: "the vault's settings and system files (.obsidian/, .trash/, __MACOSX/)",
    });
  }
  return { notes, unmapped };
}

export interface VaultMapping {
  folders: Map<string, NoteTarget>;
  /** Tags that decide a note's kind ("" entries are left out). */
  tags: Map<string, NoteTarget>;
}

/** The folders and tags of the vault, with the defaults their names suggest (for the preview form). */
export function mappingChoices(scan: VaultScan) {
  const folders = new Map<string, number>();
  const tags = new Map<string, { tag: string; notes: number }>();
  for (const note of scan.notes) {
    folders.set(note.folder, (folders.get(note.folder) ?? 0) + 1);
    for (const tag of note.tags) {
      const known = tags.get(tag.toLowerCase());
      tags.set(tag.toLowerCase(), { tag: known?.tag ?? tag, notes: (known?.notes ?? 0) + 1 });
    }
  }
  return {
    folders: [...folders.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .slice(0, MAX_MAPPED_FOLDERS)
      .map(([path, notes]) => ({ path, notes, target: folderDefault(path) })),
    tags: [...tags.values()]
      .sort((a, b) => b.notes - a.notes || a.tag.localeCompare(b.tag))
      .slice(0, MAX_MAPPED_TAGS)
      .map(({ tag, notes }) => ({ tag, notes, target: (suggestedTarget(tag) ?? "") as NoteTarget | "" })),
  };
}

export interface MappedNote extends VaultNote {
  target: Exclude<NoteTarget, "skip">;
}

/** What each note becomes under `mapping`, and what is left out (skipped, or a name another note has). */
export function mapVault(scan: VaultScan, mapping: VaultMapping): { create: MappedNote[]; unmapped: Unmapped[] } {
  const create: MappedNote[] = [];
  const unmapped = [...scan.unmapped];
  const titles = new Map<string, string>();
  for (const note of scan.notes) {
    const byTag = note.tags.map((tag) => mapping.tags.get(tag.toLowerCase())).find((target) => target !== undefined);
    const target = note.frontTarget ?? byTag ?? mapping.folders.get(note.folder) ?? folderDefault(note.folder);
    if (target === "skip") {
      unmapped.push({ path: note.path, reason: "skipped", detail: "its folder or tag is set to “Do not import”" });
      continue;
    }
    if ((target === "npc" || target === "pc") && note.title.length > 120) {
      unmapped.push({ path: note.path, reason: "too-large", detail: "a character's name is at most 120 characters" });
      continue;
    }
    // Links find notes by name: two of one name would make every link to it ambiguous.
    const key = linkKey(note.title);
    const other = titles.get(key);
    if (other !== undefined) {
      unmapped.push({
        path: note.path,
        reason: "name-clash",
        detail: `“${other}” has the same name; rename one and import again`,
      });
      continue;
    }
    titles.set(key, note.path);
    create.push({ ...note, target });
  }
  return { create, unmapped };
}

/**
 * Obsidian's link forms LoreSmith does not resolve, as the ones it does: `[[Folder/Note]]`
 * and `[[Note#Heading]]` become `[[Note]]` (the shown text kept), and a link to a note by
 * its file name becomes a link to the title it was imported under. Embeds (`![[…]]`)
 * and links to headings of the same note stay as written.
 */
export function normalizeLinks(body: string, titleOf: Map<string, string>): string {
  return body.replace(
    /(!?)\[\[([^[\]|\n]{1,400})(\|[^[\]\n]{1,400})?\]\]/g,
    (whole, embed: string, target: string, shown?: string) => {
      if (embed || target.startsWith("#")) return whole;
      const name = (target.split("#")[0] ?? target).split("/").at(-1)?.replace(/\.md$/i, "").trim() ?? target;
      const title = titleOf.get(linkKey(name)) ?? name;
      if (title === target && !shown) return whole;
      const visible = shown ?? (title === name ? "" : `|${name}`);
      return `[[${title}${visible}]]`;
    },
  );
}
