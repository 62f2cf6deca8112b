import { sweepDeletedAccounts } from "./auth/accounts.server";
import { queueWaitingFiles } from "./files/files.server";
import { auditStorage } from "./files/storage-audit.server";
import { sweepStaleUploads } from "./files/uploads.server";
import { pruneOldVersions } from "./files/version-retention.server";
import { pruneDailyUsage } from "./http/daily-quotas.server";
import { unpinnedOperators } from "./metrics/metrics.server";
import { recordStorageGauges, runAlerts } from "./metrics/operations.server";
import { createServices, webhookServices } from "./services.server";
import { drainWebhookOutbox, pruneDeliveries, requeueStalledDeliveries } from "./webhooks/delivery.server";

/**
 * What the Cron Trigger runs (`[triggers]` in wrangler.toml): finish account deletions a
 * crash or deploy interrupted, queue stored files that never reached their tracker, and
 * remove uploads that went stale (their rows and their own unfinished bytes), delete
 * versions beyond the newest KEEP_FILE_VERSIONS of each file, and audit a
 * slice of storage (orphaned objects deleted, versions without bytes reported); then
 * fan out webhook events and produce deliveries whose message was lost, prune old
 * deliveries and quota days; then sample what R2 holds and evaluate the alerts (ADR 0030).
 * Each task is safe to repeat and bounded per run.
 */
export async function runScheduled(env: Env): Promise<void> {
  // From the primary: what the tasks delete is decided on rows no replica lags behind.
  const services = createServices(env, { bookmark: "first-primary" });
  const { fileStores, limits } = services;
  // Each task on its own: one that fails (a store down for a moment) must not stop the others.
  const tasks: [string, () => Promise<string | null>][] = [
    [
      "account deletions",
      async () => {
        const finished = await sweepDeletedAccounts(services);
        return finished ? `finished ${finished} interrupted account deletion(s)` : null;
      },
    ],
    [
      "waiting files",
      async () => {
        const queued = await queueWaitingFiles(fileStores);
        return queued ? `queued ${queued} file(s) that were stored but never processed` : null;
      },
    ],
    [
      "stale uploads",
      async () => {
        const swept = await sweepStaleUploads(fileStores);
        return swept ? `removed ${swept} stale upload(s)` : null;
      },
    ],
    [
      "old versions",
      async () => {
        const pruned = await pruneOldVersions(fileStores, limits.keepFileVersions);
        return pruned.length
          ? `deleted ${pruned.length} version(s) older than the newest ${limits.keepFileVersions}`
          : null;
      },
    ],
    [
      "storage audit",
      async () => {
        const audit = await auditStorage(fileStores);
        for (const lost of audit.missingBytes) {
          console.error(`cron: file ${lost.fileKey} version ${lost.versionNumber} has no bytes in R2 (${lost.r2Key})`);
        }
        return audit.orphansDeleted.length ? `deleted ${audit.orphansDeleted.length} orphaned object(s)` : null;
      },
    ],
    [
      "webhooks",
      async () => {
        const deps = webhookServices(env);
        const drained = await drainWebhookOutbox(deps);
        const requeued = await requeueStalledDeliveries(deps);
        const pruned = await pruneDeliveries(deps.db);
        const parts = [
          drained && `produced ${drained} webhook delivery(ies)`,
          requeued && `produced ${requeued} stalled webhook delivery(ies) again`,
          pruned && `removed ${pruned} webhook delivery(ies) older than 30 days`,
        ].filter(Boolean);
        return parts.length ? parts.join("; ") : null;
      },
    ],
    [
      "daily usage",
      async () => {
        const pruned = await pruneDailyUsage(services.db);
        return pruned ? `removed ${pruned} day(s) of quota usage` : null;
      },
    ],
    [
      "storage metrics",
      async () => {
        await recordStorageGauges(env, services.db);
        return null;
      },
    ],
    [
      "alerts",
      async () => {
        const unpinned = unpinnedOperators(services.operations.operators);
        if (unpinned.length) {
          console.warn(
            `cron: OPERATOR_USERNAMES names ${unpinned.join(", ")} without an account id; pin each as name@u_… (the operations page shows the entry), so a reused username is not an operator.`,
          );
        }
        const { alerts, notified } = await runAlerts(services.operations);
        const firing = alerts.filter((a) => a.firing).map((a) => a.rule);
        return firing.length ? `alerts firing: ${firing.join(", ")} (${notified.length} posted now)` : null;
      },
    ],
  ];
  for (const [name, task] of tasks) {
    try {
      const done = await task();
      if (done) console.log(`cron: ${done}`);
    } catch (error) {
      console.error(`cron: ${name} failed (the next run tries again):`, error);
    }
  }
}
