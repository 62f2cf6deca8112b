/**
 * An edit started from `version` but the record has moved on (another tab, another
 * device). Carries the saved record so the person can compare and choose.
 */
export class VersionConflictError<T> extends Error {
  override name = "VersionConflictError";
  constructor(readonly current: T) {
    super("This was changed somewhere else since you opened it.");
  }
}

/** Escapes LIKE wildcards so a search for "50%" means the characters, not a pattern. */
export function likeContains(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** Tags are stored as "|Lore|Sword Coast|" so one LIKE finds a whole tag. */
export function encodeTags(tags: string[]): string {
  return tags.length ? `|${tags.join("|")}|` : "";
}

export function decodeTags(stored: string): string[] {
  return stored.split("|").filter(Boolean);
}
