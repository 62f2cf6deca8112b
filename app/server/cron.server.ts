import { sweepDeletedAccounts } from "./auth/accounts.server";
import { queueWaitingFiles } from "./files/files.server";
import { auditStorage } from "./files/storage-audit.server";
import { sweepStaleUploads } from "./files/uploads.server";
import { pruneOldVersions } from "./files/version-retention.server";
import { createServices } from "./services.server";

/**
 * What the Cron Trigger runs (`[triggers]` in wrangler.toml): finish account deletions a
 * crash or deploy interrupted, queue stored files that never reached their tracker, and
 * remove uploads that went stale (their rows and their own unfinished bytes), delete
 * versions beyond the newest KEEP_FILE_VERSIONS of each file, and audit a
 * slice of storage (orphaned objects deleted, versions without bytes reported).
 * Each task is safe to repeat and bounded per run.
 */
export async function runScheduled(env: Env): Promise<void> {
  const services = createServices(env);
  const finished = await sweepDeletedAccounts(services);
  if (finished) console.log(`cron: finished ${finished} interrupted account deletion(s)`);
  const queued = await queueWaitingFiles(services.fileStores);
  if (queued) console.log(`cron: queued ${queued} file(s) that were stored but never processed`);
  const swept = await sweepStaleUploads(services.fileStores);
  if (swept) console.log(`cron: removed ${swept} stale upload(s)`);
  const pruned = await pruneOldVersions(services.fileStores, services.limits.keepFileVersions);
  if (pruned.length)
    console.log(`cron: deleted ${pruned.length} version(s) older than the newest ${services.limits.keepFileVersions}`);
  const audit = await auditStorage(services.fileStores);
  if (audit.orphansDeleted.length) console.log(`cron: deleted ${audit.orphansDeleted.length} orphaned object(s)`);
  for (const lost of audit.missingBytes) {
    console.error(`cron: file ${lost.fileKey} version ${lost.versionNumber} has no bytes in R2 (${lost.r2Key})`);
  }
}
