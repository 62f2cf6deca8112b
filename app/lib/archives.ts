/**
 * Export and import archives (ADR 0039): the limits and vocabularies the pages and the
 * server share. Browser-safe: no server imports here.
 */
import { z } from "zod";
import { type ContextType, contextTypeLabels, contextTypes } from "./domain";

/**
 * The archive format's name and version, in loresmith.json. Version 2 (ADR 0040) adds
 * aliases, relations and sessions; version 1 archives are read as before.
 */
export const ARCHIVE_FORMAT = "loresmith-archive";
export const ARCHIVE_VERSION = 2;
export const MANIFEST_PATH = "loresmith.json";

/** An upload to import: bounded before it is parsed (body-limits.server.ts adds the form's framing). */
export const MAX_IMPORT_BYTES = 20 * 1024 * 1024;
/** Files in an archive: counted from its directory before any is read. */
export const MAX_IMPORT_FILES = 5_000;
/** Everything an archive's entries may inflate to, together, whatever their headers say. */
export const MAX_IMPORT_INFLATED_BYTES = 64 * 1024 * 1024;
/** One note (its front matter and Markdown) inflated. Longer text than an entry holds is refused anyway. */
export const MAX_IMPORT_NOTE_BYTES = 1024 * 1024;
/** loresmith.json inflated. */
export const MAX_MANIFEST_BYTES = 16 * 1024 * 1024;
/** Nesting in loresmith.json (the format itself nests five deep). */
export const MAX_MANIFEST_DEPTH = 16;
/** How long an uploaded archive waits for its preview to be confirmed. */
export const STAGED_IMPORT_SECONDS = 3600;

/** What a note of a vault can become: an entry of a type, a character, or nothing. */
export const noteTargets = [...contextTypes, "npc", "pc", "skip"] as const;
export type NoteTarget = (typeof noteTargets)[number];
export const noteTargetLabels: Record<NoteTarget, string> = {
  ...(contextTypeLabels as Record<ContextType, string>),
  npc: "NPC (character)",
  pc: "Player character",
  skip: "Do not import",
};
/** A tag's mapping may also leave the decision to the folder. */
export const tagTargets = ["", ...noteTargets] as const;

/** The most folders and tags a preview offers to map (the rest follow the defaults). */
export const MAX_MAPPED_FOLDERS = 100;
export const MAX_MAPPED_TAGS = 100;

const target = z.enum(noteTargets).catch("lore");

/**
 * The preview form: the staged archive, and for a vault how its folders and tags map.
 * Fields `folder.N`/`folderTarget.N` and `tag.N`/`tagTarget.N` pair up by N.
 */
export const importFormSchema = z.object({
  intent: z.enum(["preview", "create", "cancel"]),
  staged: z.string().regex(/^[0-9a-f]{32}$/, "This upload has expired: choose the file again."),
  name: z.string().trim().max(120, "A campaign's name is at most 120 characters.").optional(),
  defaultTarget: target.optional(),
  folders: z
    .array(z.object({ path: z.string().max(400), target }))
    .max(MAX_MAPPED_FOLDERS)
    .optional(),
  tags: z
    .array(z.object({ tag: z.string().max(80), target: z.enum(tagTargets).catch("") }))
    .max(MAX_MAPPED_TAGS)
    .optional(),
});
export type ImportForm = z.output<typeof importFormSchema>;

/** Why a note of a vault was not imported. */
export type UnmappedReason =
  | "not-markdown"
  | "empty"
  | "too-large"
  | "name-clash"
  | "front-matter"
  | "skipped"
  | "settings"
  | "not-text";
