import { MAX_IMPORT_BYTES, MAX_IMPORT_FILES, MAX_IMPORT_INFLATED_BYTES } from "~/lib/archives";
import { formatBytes } from "~/lib/format";
import { Refusal } from "../http/responses.server";
import { readZipDirectory, readZipEntry, type ZipEntry, ZipError } from "../ingest/zip.server";

/**
 * An uploaded archive, opened for reading (ADR 0039), with every check made before any of
 * it is trusted: it is a ZIP; it has at most MAX_IMPORT_FILES entries (counted from its
 * end record, before the directory is read); no path is absolute, climbs out with `..`,
 * or appears twice (also in another case); no entry's data overlaps another's (so no
 * byte is counted twice); nothing is encrypted. Reading inflates through the capped
 * reader of app/server/ingest (its DEFLATE counter stops at the cap, whatever the
 * headers declare), against one budget for the whole archive.
 */

/** The archive is refused as a whole; the message says why and what to do. */
export class ArchiveRefused extends Refusal {
  override name = "ArchiveRefused";
}

export interface OpenedArchive {
  /** Paths of the files (not folders), as given, without the one top folder they may share. */
  paths: string[];
  /** The file's bytes, or null when it alone would inflate past `limit`. */
  read(path: string, limit: number): Promise<Uint8Array | null>;
  has(path: string): boolean;
}

const LOCAL = 0x04034b50;

function refuse(message: string): never {
  throw new ArchiveRefused(message, 400);
}

/** A path as an archive may hold it; anything else refuses the archive. */
function checkedPath(name: string): string {
  const shown = JSON.stringify(name.slice(0, 120));
  if ([...name].some((char) => char.charCodeAt(0) < 0x20))
    refuse(`The archive holds a file name with control characters (${shown}). It cannot be imported.`);
  if (name.startsWith("/") || name.includes("\\") || /^[A-Za-z]:/.test(name)) {
    refuse(`The archive holds an absolute path (${shown}). Only paths inside the archive can be imported.`);
  }
  const segments = name.replace(/\/$/, "").split("/");
  if (segments.some((segment) => segment === ".." || segment === ".")) {
    refuse(`The archive holds a path that leaves its folder (${shown}). It cannot be imported.`);
  }
  if (segments.some((segment) => segment === "")) refuse(`The archive holds an empty path segment (${shown}).`);
  return name;
}

/** Opens `bytes` as an archive, or refuses it with a message for the person. */
export function openArchive(
  bytes: Uint8Array,
  { keepTop = () => false }: { keepTop?: (folder: string) => boolean } = {},
): OpenedArchive {
  if (bytes.length > MAX_IMPORT_BYTES) {
    refuse(
      `The archive is ${formatBytes(bytes.length)}; at most ${formatBytes(MAX_IMPORT_BYTES)} can be imported at once.`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const looksLikeZip =
    bytes.length >= 22 && (view.getUint32(0, true) === LOCAL || view.getUint32(0, true) === 0x06054b50);
  let entries: ZipEntry[];
  try {
    if (!looksLikeZip) throw new ZipError("no local header");
    entries = readZipDirectory(bytes, MAX_IMPORT_FILES);
  } catch (error) {
    if (!(error instanceof ZipError)) throw error;
    if (error.tooManyEntries) {
      refuse(
        `The archive holds ${Number.parseInt(error.message, 10).toLocaleString("en")} files; at most ${MAX_IMPORT_FILES.toLocaleString("en")} can be imported at once. Split it into smaller archives.`,
      );
    }
    if (error.message === "ZIP64")
      refuse("The archive is in the ZIP64 format, which only very large archives need: it is too large to import.");
    refuse(
      "This is not a .zip file (or it is damaged). Choose a .zip archive: a LoreSmith export, or a zipped Obsidian vault.",
    );
  }
  // Every entry's data must lie inside the file and before the next entry: no byte counted twice.
  const byOffset = [...entries].sort((a, b) => a.localHeader - b.localHeader);
  for (const [i, entry] of byOffset.entries()) {
    const at = entry.localHeader;
    if (at + 30 > bytes.length || view.getUint32(at, true) !== LOCAL)
      refuse("The archive is damaged: an entry points at nothing. It cannot be imported.");
    const end = at + 30 + view.getUint16(at + 26, true) + view.getUint16(at + 28, true) + entry.compressedSize;
    const next = byOffset[i + 1]?.localHeader ?? bytes.length;
    if (end > next) refuse("The archive is damaged or crafted: its entries overlap. It cannot be imported.");
    if (entry.encrypted)
      refuse(
        `The archive holds an encrypted file (${JSON.stringify(entry.name.slice(0, 120))}). Export it again without a password.`,
      );
  }
  const files = entries.filter((entry) => !entry.name.endsWith("/"));
  for (const entry of entries) checkedPath(entry.name);
  const seen = new Map<string, string>();
  for (const entry of files) {
    const key = entry.name.normalize("NFC").toLowerCase();
    const other = seen.get(key);
    if (other !== undefined) {
      refuse(
        other === entry.name
          ? `The archive holds “${entry.name.slice(0, 120)}” twice. Which one is meant cannot be told: it cannot be imported.`
          : `The archive holds “${other.slice(0, 120)}” and “${entry.name.slice(0, 120)}”, which differ only in case. Rename one and import again.`,
      );
    }
    seen.set(key, entry.name);
  }
  // A vault zipped with its folder: the folder is not part of any note's path (unless it means something, as "NPCs").
  const tops = new Set(files.map((entry) => (entry.name.includes("/") ? entry.name.split("/")[0] : "")));
  const [onlyTop] = tops;
  const strip = tops.size === 1 && onlyTop && !keepTop(onlyTop) ? onlyTop.length + 1 : 0;
  const byPath = new Map(files.map((entry) => [entry.name.slice(strip), entry]));
  let budget = MAX_IMPORT_INFLATED_BYTES;
  return {
    paths: [...byPath.keys()],
    has: (path) => byPath.has(path),
    async read(path, limit) {
      const entry = byPath.get(path);
      if (!entry) return null;
      const cap = Math.min(limit, budget);
      let data: Uint8Array | null;
      try {
        data = await readZipEntry(bytes, entry, cap);
      } catch (error) {
        if (!(error instanceof ZipError)) throw error;
        refuse(`The archive is damaged (${error.message} in “${path.slice(0, 120)}”). It cannot be imported.`);
      }
      if (data === null) {
        if (cap < limit) {
          refuse(
            `The archive inflates to more than ${formatBytes(MAX_IMPORT_INFLATED_BYTES)}: a zip bomb, or too much at once. Nothing was imported.`,
          );
        }
        return null;
      }
      budget -= data.length;
      return data;
    },
  };
}

/** Text as UTF-8, or null when it is not (a binary file named .md). */
export function utf8(bytes: Uint8Array): string | null {
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    return null;
  }
}
