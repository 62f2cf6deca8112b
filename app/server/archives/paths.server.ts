/**
 * Paths inside an export (ADR 0039): a folder per kind, and a file named as the entry is
 * titled, so Obsidian resolves `[[The Duke]]` to `The Duke.md`. Characters a file system
 * or Obsidian does not take in a name become "-"; the front matter keeps the exact title
 * (and names it as an alias, for Obsidian, when the file name had to differ).
 */
import type { CharacterType, ContextType } from "~/lib/domain";

export const entryFolders: Record<ContextType, string> = {
  lore: "lore",
  location: "locations",
  faction: "factions",
  item: "items",
  plot_hook: "plot-hooks",
  session_note: "session-notes",
  house_rule: "house-rules",
  other: "other",
};

export const characterFolders: Record<CharacterType, string> = {
  pc: "characters/pcs",
  npc: "characters/npcs",
};

export const FILES_FOLDER = "files";
export const CAMPAIGN_FILE = "campaign.md";

const MAX_NAME = 120;

/** A title as one path segment: no separators, reserved or control characters, no leading dot. */
export function safeSegment(title: string): string {
  const cleaned = [
    ...title
      .normalize("NFC")
      .replace(/[\\/:*?"<>|#^[\]\p{Cc}\u2028\u2029]/gu, "-")
      .replace(/\s+/g, " ")
      .trim()
      .replace(/^\.+/, ""),
  ]
    .slice(0, MAX_NAME)
    .join("")
    .replace(/[. ]+$/, "");
  return cleaned || "Untitled";
}

/** Hands out paths, each once: a second "The Duke" becomes "The Duke (2)" (case does not tell paths apart). */
export class PathBook {
  private readonly used = new Set<string>();

  take(folder: string, title: string, extension: string): string {
    const base = safeSegment(title);
    for (let n = 1; ; n++) {
      const name = n === 1 ? base : `${base} (${n})`;
      const path = `${folder ? `${folder}/` : ""}${name}${extension}`;
      if (!this.used.has(path.toLowerCase())) {
        this.used.add(path.toLowerCase());
        return path;
      }
    }
  }

  /** Reserves a fixed path (campaign.md, loresmith.json). */
  reserve(path: string): string {
    this.used.add(path.toLowerCase());
    return path;
  }
}

/** A library file's name as a path segment, keeping its extension. */
export function fileSegment(fileName: string): { title: string; extension: string } {
  const match = /^(.*?)(\.[A-Za-z0-9]{1,10})?$/.exec(fileName);
  return { title: match?.[1] || fileName, extension: match?.[2] ?? "" };
}
