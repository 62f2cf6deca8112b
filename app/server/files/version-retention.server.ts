import { sql } from "drizzle-orm";
import { fileVersions } from "../db/schema";
import type { FileStores } from "./library.server";

/** How many versions of a file are kept when the var says nothing usable. */
export const DEFAULT_KEEP_FILE_VERSIONS = 5;

/** Old versions removed per run, so one cron run stays short. */
const PRUNED_PER_RUN = 100;

/**
 * Whether version `v` of file `m` (aliases in the caller's query) may go when `keep`
 * versions are kept. Never the current version (the only one the tracker processes: a
 * new version replaces an older one's job), nor the newest ready one, which search
 * serves until a newer one is ready.
 */
export const prunable = (keep: number) => sql`v.version_number <= m.current_version - ${keep}
  AND v.version_number <> m.current_version
  AND v.version_number <> coalesce((SELECT max(r.version_number) FROM file_versions r
    WHERE r.file_key = v.file_key AND r.status = 'ready'), 0)`;

/**
 * Keeps the newest `keep` versions of every file (ADR 0027): older versions lose their
 * row, then their bytes (never those `prunable` keeps). No campaign links to a version
 * (campaigns, sheets and citations name the file), so nothing that links anywhere loses
 * its target. Rows go first, in one statement that hands them to this run alone; bytes
 * whose delete fails are left to the storage audit, which finds objects no row names.
 * Bounded per run and safe to repeat. Answers the versions removed.
 */
export async function pruneOldVersions(
  stores: Pick<FileStores, "db" | "files">,
  keep: number,
  { limit = PRUNED_PER_RUN, username }: { limit?: number; username?: string } = {},
): Promise<{ fileKey: string; versionNumber: number; fileSize: number }[]> {
  // Every account's files (the cron), or one account's (a GM's own clean-up).
  const ofAccount = username ? sql`AND m.username = ${username}` : sql``;
  const removed = await stores.db
    .delete(fileVersions)
    .where(
      sql`(file_key, version_number) IN (
        SELECT v.file_key, v.version_number FROM file_versions v
        JOIN file_metadata m ON m.file_key = v.file_key
        WHERE ${prunable(keep)} ${ofAccount}
        LIMIT ${limit})`,
    )
    .returning({
      fileKey: fileVersions.fileKey,
      versionNumber: fileVersions.versionNumber,
      fileSize: fileVersions.fileSize,
      r2Key: fileVersions.r2Key,
    });
  if (removed.length) {
    try {
      await stores.files.delete(removed.map((version) => version.r2Key));
    } catch (error) {
      console.error("could not delete the bytes of old versions (the storage audit will):", error);
    }
  }
  return removed.map(({ fileKey, versionNumber, fileSize }) => ({ fileKey, versionNumber, fileSize }));
}

/**
 * A GM's own clean-up: deletes every old version of their files, keeping each file's
 * current one (and the one search serves while a newer one is processed). Runs the bounded prune until nothing is left (or a ceiling is reached,
 * then the cron finishes it). Answers how many versions went and the bytes freed.
 */
export async function deleteOldVersions(
  stores: Pick<FileStores, "db" | "files">,
  username: string,
): Promise<{ versions: number; bytes: number }> {
  let versions = 0;
  let bytes = 0;
  for (let run = 0; run < 20; run++) {
    const removed = await pruneOldVersions(stores, 1, { username });
    versions += removed.length;
    bytes += removed.reduce((total, version) => total + version.fileSize, 0);
    if (removed.length < PRUNED_PER_RUN) break;
  }
  return { versions, bytes };
}
