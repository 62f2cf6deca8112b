import { sweepDeletedAccounts } from "./auth/accounts.server";
import { createServices } from "./services.server";

/**
 * What the Cron Trigger runs (`[triggers]` in wrangler.toml): finish account deletions a
 * crash or deploy interrupted. Each task is safe to repeat and bounded per run.
 */
export async function runScheduled(env: Env): Promise<void> {
  const services = createServices(env);
  const finished = await sweepDeletedAccounts(services);
  if (finished) console.log(`cron: finished ${finished} interrupted account deletion(s)`);
}
