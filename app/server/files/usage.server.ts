import { sql } from "drizzle-orm";
import type { Db } from "../db/db.server";
import { listJobs } from "./files.server";
import type { Account, FileStores } from "./library.server";
import { prunable } from "./version-retention.server";

/** Files listed by size on the usage page; the totals still count every file. */
const LARGEST_FILES = 50;

/** The versions Delete old versions would remove, counted and summed (aliases v and m). */
const OLD_VERSIONS = sql`count(CASE WHEN ${prunable(1)} THEN 1 END) AS oldVersions,
  coalesce(sum(CASE WHEN ${prunable(1)} THEN v.file_size END), 0) AS oldBytes`;

export interface FileUsage {
  fileKey: string;
  fileName: string;
  currentBytes: number;
  /** Versions Delete old versions would remove (not the one search serves meanwhile), and their bytes. */
  oldVersions: number;
  oldBytes: number;
  /** Searchable passages of the current version (null while it is not processed). */
  passages: number | null;
}

export interface StorageUsage {
  usedBytes: number;
  quotaBytes: number;
  fileCount: number;
  oldVersions: number;
  /** What deleting every file's old versions (keeping the current one) frees. */
  oldBytes: number;
  /** The largest files, biggest first. */
  files: FileUsage[];
}

/**
 * What a GM stores (issue 14, step 4): bytes by file, split into the current version and
 * the older ones, passages, and the quota. Two D1 queries (totals, largest files) and the
 * tracker's job list, whatever the size of the library.
 */
export async function storageUsage(
  stores: Pick<FileStores, "db" | "tracker" | "limits">,
  account: Account,
): Promise<StorageUsage> {
  const [[totals], largest, jobs] = await Promise.all([
    totalsOf(stores.db, account.username),
    stores.db.all<Omit<FileUsage, "passages">>(sql`
      SELECT m.file_key AS fileKey, m.file_name AS fileName,
        coalesce(sum(CASE WHEN v.version_number = m.current_version THEN v.file_size END), 0) AS currentBytes,
        ${OLD_VERSIONS}
      FROM file_metadata m JOIN file_versions v ON v.file_key = m.file_key
      WHERE m.username = ${account.username}
      GROUP BY m.file_key ORDER BY sum(v.file_size) DESC, m.file_name LIMIT ${LARGEST_FILES}`),
    // Passage counts are a nicety: a tracker that does not answer leaves them unknown.
    listJobs(stores, account).catch((error) => {
      console.error("storage usage: the tracker did not list jobs:", error);
      return [];
    }),
  ]);
  const passages = new Map(jobs.filter((job) => job.status === "ready").map((job) => [job.fileKey, job.chunksTotal]));
  return {
    usedBytes: totals?.usedBytes ?? 0,
    quotaBytes: stores.limits.maxUserBytes,
    fileCount: totals?.fileCount ?? 0,
    oldVersions: totals?.oldVersions ?? 0,
    oldBytes: totals?.oldBytes ?? 0,
    files: largest.map((file) => ({ ...file, passages: passages.get(file.fileKey) ?? null })),
  };
}

function totalsOf(db: Db, username: string) {
  return db.all<{ usedBytes: number; fileCount: number; oldVersions: number; oldBytes: number }>(sql`
    SELECT coalesce(sum(v.file_size), 0) AS usedBytes, count(DISTINCT m.file_key) AS fileCount,
      ${OLD_VERSIONS}
    FROM file_metadata m JOIN file_versions v ON v.file_key = m.file_key
    WHERE m.username = ${username}`);
}
