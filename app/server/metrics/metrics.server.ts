import type { MetricSample } from "~/lib/metrics";
import type { User } from "../db/schema";
import { MetricsRecorder } from "./recorder.server";
import type { AlertThresholds } from "./store.server";

/** Analytics Engine takes at most this many data points per invocation. */
const MAX_DATA_POINTS = 250;
/**
 * Requests hand their samples to this isolate's buffer; the buffer goes to the MetricsStore
 * at most this often (and when it grows large), so a request costs a map update, not a
 * Durable Object call (ADR 0030).
 */
export const FLUSH_EVERY_MS = 10_000;
const MAX_BUFFERED_SERIES = 2_000;
const buffered = new MetricsRecorder(MAX_BUFFERED_SERIES);
let lastFlush = 0;

/** The one MetricsStore of the deployment (functions/metrics-store.ts). */
export function metricsStore(env: Pick<Env, "METRICS_STORE">) {
  return env.METRICS_STORE.get(env.METRICS_STORE.idFromName("global"));
}

export type MetricsStoreStub = ReturnType<typeof metricsStore>;

/** What the operations page, `/metrics` and the alerts work with (built by the composition root). */
export interface OperationsDeps {
  store: MetricsStoreStub;
  thresholds: AlertThresholds;
  /** OPERATOR_USERNAMES. */
  operators: string;
  /** ALERT_WEBHOOK_URL (empty: none). */
  webhookUrl: string;
  /** METRICS_TOKEN (empty: `/metrics` answers 404). */
  metricsToken: string;
  /** Hands this isolate's buffered samples to the store (before reading it). */
  flush: () => Promise<void>;
}

export function operationsDeps(env: Env): OperationsDeps {
  return {
    store: metricsStore(env),
    thresholds: alertThresholds(env),
    operators: env.OPERATOR_USERNAMES ?? "",
    webhookUrl: env.ALERT_WEBHOOK_URL ?? "",
    metricsToken: env.METRICS_TOKEN ?? "",
    flush: () => flushBuffered(env),
  };
}

/** `METRICS = "off"` records nothing (the overhead benchmark's baseline); anything else records. */
export function metricsEnabled(env: Pick<Env, "METRICS">): boolean {
  return env.METRICS !== "off";
}

type MetricsEnv = Pick<Env, "METRICS_STORE" | "ANALYTICS">;

/**
 * After a request: its samples go to Analytics Engine at once (production; locally a
 * no-op) and into this isolate's buffer, which is handed to the MetricsStore when it is
 * due (`waitUntil`). Nothing here can fail a request.
 */
export function collectMetrics(
  env: MetricsEnv,
  recorder: MetricsRecorder,
  waitUntil: (work: Promise<unknown>) => void,
): void {
  const samples = recorder.drain();
  try {
    writeDataPoints(env, samples);
  } catch (error) {
    console.error("metrics: Analytics Engine refused a data point (the app goes on):", error);
  }
  buffered.absorb(samples);
  const now = Date.now();
  if (now - lastFlush >= FLUSH_EVERY_MS || buffered.size >= MAX_BUFFERED_SERIES / 2) {
    lastFlush = now;
    waitUntil(flushBuffered(env));
  }
}

/** Hands this isolate's buffered samples to the MetricsStore now (readers call it first). */
export async function flushBuffered(env: MetricsEnv): Promise<void> {
  const samples = buffered.drain();
  if (!samples.length) return;
  try {
    await metricsStore(env).record(samples);
  } catch (error) {
    console.error("metrics: could not record (the app goes on):", error);
  }
}

/** What an alarm or the cron recorded, to Analytics Engine and the MetricsStore at once. */
export async function flushMetrics(env: MetricsEnv, recorder: MetricsRecorder): Promise<void> {
  const samples = recorder.drain();
  if (!samples.length) return;
  try {
    writeDataPoints(env, samples);
    await metricsStore(env).record(samples);
  } catch (error) {
    console.error("metrics: could not record (the app goes on):", error);
  }
}

function writeDataPoints(env: MetricsEnv, samples: MetricSample[]): void {
  for (const s of samples.slice(0, MAX_DATA_POINTS)) {
    env.ANALYTICS?.writeDataPoint({
      indexes: [s.kind],
      blobs: [s.kind, s.name, s.label],
      doubles: [s.count, s.errors, s.sumMs, s.maxMs, s.bytes, s.value],
    });
  }
}

/** The four alerts' thresholds, from the vars (an unset or invalid one keeps its default). */
export function alertThresholds(
  env: Pick<Env, "ALERT_D1_P95_MS" | "ALERT_R2_BYTES" | "ALERT_KV_DAILY_OPERATIONS" | "ALERT_DO_STORAGE_BYTES">,
): AlertThresholds {
  const positive = (value: string | undefined, fallback: number) => {
    const n = Number(value);
    return Number.isFinite(n) && n > 0 ? n : fallback;
  };
  return {
    d1P95Ms: positive(env.ALERT_D1_P95_MS, 250),
    r2Bytes: positive(env.ALERT_R2_BYTES, 8 * 1024 ** 3),
    kvDailyOperations: positive(env.ALERT_KV_DAILY_OPERATIONS, 80_000),
    doStorageBytes: positive(env.ALERT_DO_STORAGE_BYTES, 5 * 1024 ** 3),
  };
}

/**
 * Whether a user may see the operations page. OPERATOR_USERNAMES lists usernames,
 * comma-separated; an entry `name@u_…` also pins the account id, so that a username freed
 * by a deleted account and taken again by someone else is not an operator (ADR 0030).
 */
export function isOperator(operators: string, user: Pick<User, "username" | "id"> | null): boolean {
  if (!user) return false;
  return operatorEntries(operators).some(
    (e) => e.username === user.username && (e.accountId === null || e.accountId === user.id),
  );
}

/** Whether the operator's entry names their account id (else the page suggests pinning it). */
export function operatorPinned(operators: string, user: Pick<User, "username" | "id">): boolean {
  return operatorEntries(operators).some((e) => e.username === user.username && e.accountId === user.id);
}

/** The entries of OPERATOR_USERNAMES that name no account id (the cron warns of them). */
export function unpinnedOperators(operators: string): string[] {
  return operatorEntries(operators)
    .filter((e) => e.accountId === null)
    .map((e) => e.username);
}

function operatorEntries(operators: string) {
  return operators
    .split(",")
    .map((entry) => entry.trim().toLowerCase())
    .filter(Boolean)
    .map((entry) => {
      const [username = "", accountId = null] = entry.split("@");
      return { username, accountId };
    });
}

/** Whether an `Authorization: Bearer …` header carries the token, compared in constant time (over digests, so lengths do not leak). */
export async function metricsTokenMatches(token: string, authorization: string | null): Promise<boolean> {
  const given = /^Bearer (.+)$/.exec(authorization ?? "")?.[1];
  if (!token || !given) return false;
  const digest = async (text: string) => crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  const [a, b] = (await Promise.all([digest(token), digest(given)])).map((d) => new Uint8Array(d));
  let difference = 0;
  for (const [i, byte] of (a ?? []).entries()) difference |= byte ^ (b?.[i] ?? 0);
  return difference === 0;
}
