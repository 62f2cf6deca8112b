import { sql } from "drizzle-orm";
import { z } from "zod";
import type { AlertView } from "~/lib/metrics";
import type { Db } from "../db/db.server";
import { fileMetadata, fileVersions } from "../db/schema";
import { flushMetrics, type OperationsDeps } from "./metrics.server";
import { MetricsRecorder } from "./recorder.server";
import type { Window } from "./store.server";

/** A webhook that does not answer within this long counts as failed (tried again on a later run). */
const WEBHOOK_TIMEOUT_MS = 5_000;
/** Users listed by bytes stored on the operations page. */
const TOP_USERS = 10;

/** A version's bytes in R2: compressed text is smaller than what was uploaded (ADR 0028). */
const storedSize = sql<number>`coalesce(${fileVersions.storedSize}, ${fileVersions.fileSize})`;

/** What the library holds in R2: every stored version's bytes, in total and for the largest users. */
export async function storedBytes(db: Db): Promise<{ total: number; users: { username: string; bytes: number }[] }> {
  const [total] = await db.select({ bytes: sql<number>`coalesce(sum(${storedSize}), 0)` }).from(fileVersions);
  const users = await db
    .select({ username: fileMetadata.username, bytes: sql<number>`sum(${storedSize})` })
    .from(fileVersions)
    .innerJoin(fileMetadata, sql`${fileMetadata.fileKey} = ${fileVersions.fileKey}`)
    .groupBy(fileMetadata.username)
    .orderBy(sql`2 DESC`)
    .limit(TOP_USERS);
  return { total: total?.bytes ?? 0, users };
}

/** The cron's sample of what R2 holds (a gauge: the alert and the chart read it). */
export async function recordStorageGauges(env: Env, db: Db): Promise<number> {
  const { total } = await storedBytes(db);
  const recorder = new MetricsRecorder();
  recorder.gauge("r2_bytes_stored", "", total);
  await flushMetrics(env, recorder);
  return total;
}

const webhookUrl = z
  .string()
  .url()
  .refine((u) => u.startsWith("https://"), "https only");

/**
 * Evaluates the alert rules (in the MetricsStore, atomically) and POSTs each newly firing
 * alert to ALERT_WEBHOOK_URL once. A failed delivery is tried again by a later run; an
 * alert that keeps firing is not posted again. `send` is the network (a test's recorder).
 */
export async function runAlerts(
  { store, thresholds, webhookUrl: configured, flush }: OperationsDeps,
  send: typeof fetch = fetch,
): Promise<{ alerts: AlertView[]; notified: AlertView[]; failed: AlertView[] }> {
  await flush();
  const { alerts, toNotify } = await store.evaluateAlerts(thresholds);
  const url = webhookUrl.safeParse(configured);
  const notified: AlertView[] = [];
  const failed: AlertView[] = [];
  if (!url.success) {
    if (configured) console.error("alerts: ALERT_WEBHOOK_URL is not an https URL; no alert is posted.");
    return { alerts, notified, failed };
  }
  for (const alert of toNotify) {
    if (alert.since === null) continue;
    let delivered = false;
    try {
      const response = await send(url.data, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(webhookPayload(alert)),
        signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
        // An https URL must not be redirected elsewhere (or to plain http).
        redirect: "error",
      });
      await response.body?.cancel();
      if (!response.ok) throw new Error(`the webhook answered ${response.status}`);
      delivered = true;
    } catch (error) {
      console.error(`alerts: could not post ${alert.rule} (tried again on a later run):`, error);
    }
    // Recorded apart from the delivery: a store that fails here must not make a delivered alert look undelivered.
    if (delivered) {
      await store.alertNotified(alert.rule, alert.since);
      notified.push(alert);
    } else {
      await store.alertNotifyFailed(alert.rule, alert.since);
      failed.push(alert);
    }
  }
  return { alerts, notified, failed };
}

/** JSON with a `text` line, which Slack- and Discord-style incoming webhooks show as is. */
export function webhookPayload(alert: AlertView) {
  const text = `LoreSmith AI alert: ${alert.title} is ${formatValue(alert.value, alert.unit)} (threshold ${formatValue(alert.threshold, alert.unit)}).`;
  return {
    text,
    content: text,
    alert: alert.rule,
    title: alert.title,
    value: alert.value,
    threshold: alert.threshold,
    unit: alert.unit,
    firingSince: alert.since === null ? null : new Date(alert.since).toISOString(),
  };
}

function formatValue(value: number | null, unit: AlertView["unit"]): string {
  if (value === null) return "unknown";
  if (unit === "ms") return `${Math.round(value)} ms`;
  if (unit === "bytes") return `${(value / 1024 ** 3).toFixed(2)} GiB`;
  return `${Math.round(value).toLocaleString("en")} operations`;
}

/** Everything the operations page shows. */
export async function operationsView(deps: OperationsDeps, db: Db, window: Window) {
  await deps.flush();
  const [dashboard, history, stored] = await Promise.all([
    deps.store.dashboard(window, deps.thresholds),
    deps.store.history(),
    storedBytes(db),
  ]);
  return { dashboard, history, stored, webhookConfigured: webhookUrl.safeParse(deps.webhookUrl).success };
}
