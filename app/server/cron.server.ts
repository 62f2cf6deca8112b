import { sweepDeletedAccounts } from "./auth/accounts.server";
import { queueWaitingFiles } from "./files/files.server";
import { createServices } from "./services.server";

/**
 * What the Cron Trigger runs (`[triggers]` in wrangler.toml): finish account deletions a
 * crash or deploy interrupted, and queue stored files that never reached their tracker.
 * Each task is safe to repeat and bounded per run.
 */
export async function runScheduled(env: Env): Promise<void> {
  const services = createServices(env);
  const finished = await sweepDeletedAccounts(services);
  if (finished) console.log(`cron: finished ${finished} interrupted account deletion(s)`);
  const queued = await queueWaitingFiles(services.fileStores);
  if (queued) console.log(`cron: queued ${queued} file(s) that were stored but never processed`);
}
