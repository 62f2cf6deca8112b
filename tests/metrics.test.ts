import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { bucketOf, emptyBuckets, emptySample, LATENCY_BUCKETS_MS, type MetricSample, quantile } from "~/lib/metrics";
import { createAccount } from "~/server/auth/accounts.server";
import { createCampaign } from "~/server/campaigns/campaigns.server";
import { IngestionQueue } from "~/server/ingest/queue.server";
import { isOperator, type OperationsDeps, operationsDeps, unpinnedOperators } from "~/server/metrics/metrics.server";
import { runAlerts } from "~/server/metrics/operations.server";
import { MetricsRecorder, requestName, statementName, statusClass } from "~/server/metrics/recorder.server";
import {
  D1_ALERT_MIN_STATEMENTS,
  MAX_SERIES_PER_MINUTE,
  MetricsTables,
  RETENTION_MINUTES,
} from "~/server/metrics/store.server";
import { createTrackerServices } from "~/server/services.server";
import type { MetricsStore } from "../functions/metrics-store";
import { db, newRouterContext, newUser, PASSWORD, sessionCookieFor } from "./helpers";
import { storeFile } from "./ingest-helpers";
import { callRoute, routeAt } from "./route-walk";

/** A MetricsStore of the test's own (the deployment's one is "global"). */
function ownStore() {
  return env.METRICS_STORE.get(env.METRICS_STORE.idFromName(`test-${crypto.randomUUID()}`));
}

function sample(partial: Partial<MetricSample> & Pick<MetricSample, "kind" | "name">): MetricSample {
  return { ...emptySample(partial.kind, partial.name), ...partial };
}

/** `n` D1 statements of `ms` each, as one request's recorder would hand them over. */
function d1Statements(n: number, ms: number): MetricSample[] {
  const recorder = new MetricsRecorder();
  for (let i = 0; i < n; i++) recorder.observe("d1", "select campaigns", "", ms, true);
  return recorder.drain();
}

const thresholds = { d1P95Ms: 100, r2Bytes: 1e12, kvDailyOperations: 1e9, doStorageBytes: 1e12 };

describe("metrics while the app runs", () => {
  it("names statements by verb and table, never by their values", () => {
    expect(statementName('select "id", "name" from "campaigns" where "username" = ?')).toBe("select campaigns");
    expect(statementName('insert into "file_versions" ("file_key") values (?)')).toBe("insert file_versions");
    expect(statementName('update "context_entries" set "title" = ? where id = ?')).toBe("update context_entries");
    expect(statementName('delete from "campaigns" where "id" = ?')).toBe("delete campaigns");
    expect(statementName("WITH x AS (SELECT 1) SELECT * FROM x")).toBe("with x");
  });

  it("names requests by method, route pattern and status class, so a client cannot mint labels", () => {
    expect(requestName("GET", "campaigns/:campaignId")).toBe("GET /campaigns/:campaignId");
    expect(requestName("BREW", "/home")).toBe("OTHER /home");
    expect(requestName("POST", null)).toBe("POST (not routed)");
    expect([200, 302, 404, 418, 503, 999].map(statusClass)).toEqual(["2xx", "3xx", "4xx", "4xx", "5xx", "other"]);
  });

  it("folds series beyond the per-minute cap into one", async () => {
    await runInDurableObject(ownStore(), async (_instance: MetricsStore, state) => {
      const tables = new MetricsTables(state.storage.sql);
      const now = Date.UTC(2026, 11, 3, 13, 0, 0);
      const many = Array.from({ length: MAX_SERIES_PER_MINUTE + 50 }, (_, i) =>
        sample({ kind: "d1", name: `select t${i}`, count: 1, buckets: bucketsAt(1, 1) }),
      );
      tables.record(many, now);
      const rows = state.storage.sql.exec<{ name: string; count: number }>("SELECT name, count FROM minutes").toArray();
      expect(rows).toHaveLength(MAX_SERIES_PER_MINUTE + 1);
      expect(rows.find((r) => r.name === "(other)")?.count).toBe(50);
      // A series the minute already holds still counts as itself.
      tables.record([sample({ kind: "d1", name: "select t0", count: 1, buckets: bucketsAt(1, 1) })], now);
      expect(
        state.storage.sql.exec<{ count: number }>("SELECT count FROM minutes WHERE name = 'select t0'").one().count,
      ).toBe(2);
    });
  });

  it("tells the browser which read models an answer came from (Server-Timing), and records them", async () => {
    const gm = await newUser();
    const campaign = await createCampaign(db, gm.username, {
      name: "Cached",
      description: "",
      status: "active",
    } as never);
    const cookie = await sessionCookieFor(gm);
    const view = async () => {
      const recorder = new MetricsRecorder();
      const response = await callRoute(
        routeAt("/campaigns/:campaignId"),
        "loader",
        `http://localhost/campaigns/${campaign.id}`,
        {
          cookie,
          params: { campaignId: campaign.id },
          context: newRouterContext(recorder),
        },
      );
      return { timing: response?.headers.get("Server-Timing") ?? "", samples: recorder.drain() };
    };
    const first = await view();
    expect(first.timing).toMatch(/cache-overview;desc=miss;dur=[\d.]+/);
    const second = await view();
    expect(second.timing).toMatch(/cache-overview;desc=hit;dur=[\d.]+/);
    expect(second.samples.find((s) => s.kind === "cache" && s.name === "overview" && s.label === "hit")?.count).toBe(1);
  });

  it("reads percentiles from the histogram to within a bucket", () => {
    const buckets = emptyBuckets();
    // 90 statements at 1.5 ms (the 1–2 ms bucket), 10 at 300 ms (250–500 ms).
    buckets[bucketOf(1.5)] = 90;
    buckets[bucketOf(300)] = 10;
    const p50 = quantile(buckets, 0.5) ?? 0;
    const p95 = quantile(buckets, 0.95) ?? 0;
    expect(p50).toBeGreaterThan(1);
    expect(p50).toBeLessThanOrEqual(2);
    expect(p95).toBeGreaterThan(250);
    expect(p95).toBeLessThanOrEqual(500);
    expect(quantile(emptyBuckets(), 0.5)).toBeNull();
    expect(LATENCY_BUCKETS_MS.length + 1).toBe(buckets.length);
  });

  it("times every D1 statement, KV read and R2 operation a request makes, by name", async () => {
    const gm = await newUser();
    await createCampaign(db, gm.username, { name: "The Sunken Crown", description: "", status: "active" } as never);
    const recorder = new MetricsRecorder();
    const response = await callRoute(routeAt("/campaigns"), "loader", "http://localhost/campaigns", {
      cookie: await sessionCookieFor(gm),
      params: {},
      context: newRouterContext(recorder),
    });
    expect(response?.status).toBe(200);
    const samples = recorder.drain();
    const d1 = samples.filter((s) => s.kind === "d1");
    expect(d1.map((s) => s.name)).toContain("select campaigns");
    expect(d1.every((s) => s.count > 0 && s.buckets.reduce((a, b) => a + b, 0) === s.count)).toBe(true);
    // The session cookie's KV entry was read, and found.
    expect(samples.find((s) => s.kind === "kv" && s.name === "SESSIONS" && s.label === "hit")?.count).toBe(1);
  });

  it("keeps per-minute aggregates it can chart, and forgets them after the retention", async () => {
    await runInDurableObject(ownStore(), async (_instance: MetricsStore, state) => {
      const tables = new MetricsTables(state.storage.sql);
      const now = Date.UTC(2026, 11, 3, 12, 0, 30);
      tables.record(
        [
          sample({ kind: "request", name: "GET /home", label: "200", count: 3, sumMs: 30, buckets: bucketsAt(10, 3) }),
          sample({
            kind: "request",
            name: "GET /home",
            label: "500",
            count: 1,
            errors: 1,
            sumMs: 5,
            buckets: bucketsAt(5, 1),
          }),
          sample({ kind: "kv", name: "CACHE", label: "hit", count: 3, buckets: bucketsAt(1, 3) }),
          sample({ kind: "kv", name: "CACHE", label: "miss", count: 1, buckets: bucketsAt(1, 1) }),
          sample({ kind: "gauge", name: "r2_bytes_stored", count: 1, value: 12_345 }),
          sample({ kind: "d1", name: "select campaigns", count: 4, sumMs: 400, buckets: bucketsAt(100, 4) }),
          sample({ kind: "d1", name: "select users", count: 4, sumMs: 4, buckets: bucketsAt(1, 4) }),
          sample({ kind: "gauge", name: "do_storage", label: "UserFileTracker a", count: 1, value: 4096 }),
        ],
        now,
      );
      const hour = tables.dashboard("hour", thresholds, now);
      const latest = <T>(points: { value: T }[]) => points.at(-1)?.value;
      expect(hour.requests.p50).toHaveLength(60);
      // Statements one by one, the busiest first, each with its p95 over time.
      expect(hour.d1.busiest.map((st) => st.name)).toEqual(["select campaigns", "select users"]);
      expect(latest(hour.d1.busiest[0]?.p95 ?? [])).toBeGreaterThan(50);
      expect(latest(hour.requests.errorRate)).toBe(0.25);
      expect(latest(hour.kv.hitRate)).toBe(0.75);
      expect(latest(hour.r2.bytesStored)).toBe(12_345);
      expect(hour.durableObjects.largest).toEqual([{ object: "UserFileTracker a", bytes: 4096, at: now }]);
      expect(latest(hour.durableObjects.totalBytes)).toBe(4096);
      expect(hour.requests.routes.map((r) => [r.name, r.label, r.count])).toEqual([
        ["GET /home", "200", 3],
        ["GET /home", "500", 1],
      ]);
      // An hour later the hour chart is empty, the day chart still has it.
      const later = now + 61 * 60_000;
      expect(tables.dashboard("hour", thresholds, later).requests.p50.every((p) => p.value === null)).toBe(true);
      expect(tables.dashboard("day", thresholds, later).requests.errorRate.some((p) => p.value === 0.25)).toBe(true);
      // A write after the retention removes the old minutes (the totals stay, for /metrics).
      tables.record(
        [sample({ kind: "d1", name: "select users", count: 1, buckets: bucketsAt(1, 1) })],
        now + (RETENTION_MINUTES + 1) * 60_000,
      );
      const rows = state.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM minutes").one().n;
      expect(rows).toBe(1);
      expect(tables.totals().series.find((s) => s.name === "GET /home" && s.label === "200")?.count).toBe(3);
    });
  });

  it("records each ingestion step and the tracker's storage size when its alarm runs", async () => {
    const gm = await newUser();
    const tracker = env.USER_FILE_TRACKER.get(env.USER_FILE_TRACKER.idFromName(gm.id));
    const request = await storeFile(
      gm.username,
      "notes.md",
      new TextEncoder().encode("# Notes\n\nThe duke owes a favour.\n"),
      "text/markdown",
    );
    await runInDurableObject(tracker, async (_instance, state) => {
      const { ingestion } = createTrackerServices(env, state.storage);
      await new IngestionQueue(state.storage.sql, ingestion, () => {}).enqueue(request);
      await state.storage.setAlarm(Date.now() + 60 * 60_000);
    });
    const before = await globalTotals();
    expect(await runDurableObjectAlarm(tracker)).toBe(true);
    const after = await globalTotals();
    const steps = (totals: typeof after, name: string) =>
      totals.series.find((s) => s.kind === "ingest" && s.name === name && s.label === "")?.count ?? 0;
    expect(steps(after, "extract") - steps(before, "extract")).toBe(1);
    expect(steps(after, "index") - steps(before, "index")).toBeGreaterThanOrEqual(1);
    const chunks = (t: typeof after) =>
      t.series.find((s) => s.kind === "ingest" && s.name === "index" && s.label === "chunks")?.bytes ?? 0;
    expect(chunks(after) - chunks(before)).toBeGreaterThan(0);
    const trackerId = tracker.id.toString().slice(0, 16);
    expect(after.objects.find((o) => o.object === `UserFileTracker ${trackerId}`)?.bytes).toBeGreaterThan(0);
  });
});

async function globalTotals() {
  return operationsDeps(env).store.totals();
}

function bucketsAt(ms: number, n: number): number[] {
  const recorder = new MetricsRecorder();
  for (let i = 0; i < n; i++) recorder.observe("d1", "x", "", ms, true);
  return recorder.drain()[0]?.buckets ?? emptyBuckets();
}

describe("alerts", () => {
  /** The operations deps over a store of the test's own, with a webhook. */
  function depsWith(overrides: Partial<OperationsDeps> = {}): OperationsDeps {
    return {
      ...operationsDeps(env),
      store: ownStore(),
      webhookUrl: "https://hooks.example.com/loresmith",
      ...overrides,
    };
  }
  function webhook(status = 200) {
    const posts: { url: string; body: Record<string, unknown> }[] = [];
    const send = (async (url: string, init: RequestInit) => {
      posts.push({ url, body: JSON.parse(String(init.body)) });
      return new Response(null, { status });
    }) as typeof fetch;
    return { posts, send };
  }

  it("fires once when D1 is slow, posts the webhook once, and clears when it is fast again", async () => {
    const deps = depsWith({ thresholds });
    await deps.store.record(d1Statements(D1_ALERT_MIN_STATEMENTS, 400));
    const hook = webhook();

    const first = await runAlerts(deps, hook.send);
    expect(first.alerts.find((a) => a.rule === "d1_latency")).toMatchObject({ firing: true, threshold: 100 });
    expect(hook.posts).toHaveLength(1);
    expect(hook.posts[0]?.body).toMatchObject({ alert: "d1_latency", unit: "ms", threshold: 100 });
    expect(String(hook.posts[0]?.body.text)).toContain("D1 latency");

    // Still slow: still firing, and not posted again.
    const second = await runAlerts(deps, hook.send);
    expect(second.alerts.find((a) => a.rule === "d1_latency")).toMatchObject({ firing: true, notified: true });
    expect(hook.posts).toHaveLength(1);

    // Fast statements bring the p95 under the threshold: it clears.
    await deps.store.record(d1Statements(20 * D1_ALERT_MIN_STATEMENTS, 1));
    const third = await runAlerts(deps, hook.send);
    expect(third.alerts.find((a) => a.rule === "d1_latency")?.firing).toBe(false);
    expect(await deps.store.history()).toMatchObject([{ rule: "d1_latency", clearedAt: expect.any(Number) }]);

    // Slow again: a new firing, posted once more.
    await deps.store.record(d1Statements(40 * D1_ALERT_MIN_STATEMENTS, 2000));
    await runAlerts(deps, hook.send);
    expect(hook.posts).toHaveLength(2);
    expect(await deps.store.history()).toHaveLength(2);
  });

  it("does not fire on too few statements, and fires for R2, KV and Durable Object storage over their thresholds", async () => {
    const deps = depsWith({ thresholds: { d1P95Ms: 100, r2Bytes: 1000, kvDailyOperations: 5, doStorageBytes: 2000 } });
    await deps.store.record([
      ...d1Statements(D1_ALERT_MIN_STATEMENTS - 1, 5000),
      sample({ kind: "gauge", name: "r2_bytes_stored", count: 1, value: 1500 }),
      sample({ kind: "kv", name: "CACHE", label: "hit", count: 6, buckets: bucketsAt(1, 6) }),
    ]);
    const hook = webhook();
    const { alerts } = await runAlerts(deps, hook.send);
    const firing = alerts.filter((a) => a.firing).map((a) => a.rule);
    // The store's own database (a few KB) is over 2000 bytes: the largest object.
    expect(firing.sort()).toEqual(["do_storage", "kv_usage", "r2_storage"]);
    expect(hook.posts.map((p) => p.body.alert).sort()).toEqual(["do_storage", "kv_usage", "r2_storage"]);
  });

  it("tries a failed delivery again on the next run, and posts nothing without a webhook", async () => {
    const deps = depsWith({ thresholds: { ...thresholds, r2Bytes: 10 } });
    await deps.store.record([sample({ kind: "gauge", name: "r2_bytes_stored", count: 1, value: 50 })]);
    const down = webhook(503);
    expect((await runAlerts(deps, down.send)).failed.map((a) => a.rule)).toEqual(["r2_storage"]);
    const up = webhook();
    expect((await runAlerts(deps, up.send)).notified.map((a) => a.rule)).toEqual(["r2_storage"]);
    expect(up.posts).toHaveLength(1);

    const silent = depsWith({ thresholds: { ...thresholds, r2Bytes: 10 }, webhookUrl: "" });
    await silent.store.record([sample({ kind: "gauge", name: "r2_bytes_stored", count: 1, value: 50 })]);
    const never = webhook();
    const run = await runAlerts(silent, never.send);
    expect(run.alerts.find((a) => a.rule === "r2_storage")?.firing).toBe(true);
    expect(never.posts).toEqual([]);
    // Not https: refused, nothing posted.
    const plain = depsWith({ thresholds: { ...thresholds, r2Bytes: 10 }, webhookUrl: "http://example.com/hook" });
    await plain.store.record([sample({ kind: "gauge", name: "r2_bytes_stored", count: 1, value: 50 })]);
    await runAlerts(plain, never.send);
    expect(never.posts).toEqual([]);
  });
});

describe("the operations page and /metrics", () => {
  it("opens for the operator named in OPERATOR_USERNAMES and answers 404 to everyone else", async () => {
    const operator = await createAccount(db, "ops-operator", PASSWORD);
    const someone = await newUser();
    const page = routeAt("/operations");
    const asOperator = await callRoute(page, "loader", "http://localhost/operations?window=day", {
      cookie: await sessionCookieFor(operator),
      params: {},
    });
    expect(asOperator?.status).toBe(200);
    const body = (await asOperator?.json()) as { dashboard: { window: string; alerts: unknown[] }; pinned: boolean };
    expect(body.dashboard.window).toBe("day");
    expect(body.dashboard.alerts).toHaveLength(4);
    expect(body.pinned).toBe(false);
    const asSomeone = await callRoute(page, "loader", "http://localhost/operations", {
      cookie: await sessionCookieFor(someone),
      params: {},
    });
    expect(asSomeone?.status).toBe(404);
  });

  it("pins an operator to an account id, so a username taken again is not an operator", () => {
    const first = { username: "ops", id: "u_00000000000000000000000000000001" };
    const later = { username: "ops", id: "u_00000000000000000000000000000002" };
    expect(isOperator("ops", later)).toBe(true);
    expect(isOperator(`ops@${first.id}`, first)).toBe(true);
    expect(isOperator(`ops@${first.id}`, later)).toBe(false);
    expect(isOperator(" other , ops@u_00000000000000000000000000000001 ", first)).toBe(true);
    expect(isOperator("", first)).toBe(false);
    // The cron warns of the unpinned ones.
    expect(unpinnedOperators(`ops, other@${first.id}, third`)).toEqual(["ops", "third"]);
    expect(isOperator("ops", null)).toBe(false);
  });

  it("serves Prometheus text with the bearer token, 401 without it", async () => {
    const metrics = routeAt("/metrics");
    await operationsDeps(env).store.record(d1Statements(3, 4));
    const withoutToken = await callRoute(metrics, "loader", "http://localhost/metrics", { cookie: "", params: {} });
    expect(withoutToken?.status).toBe(401);
    const wrong = await callRoute(metrics, "loader", "http://localhost/metrics", {
      cookie: "",
      params: {},
      headers: { Authorization: "Bearer not-the-token" },
    });
    expect(wrong?.status).toBe(401);
    const scraped = await callRoute(metrics, "loader", "http://localhost/metrics", {
      cookie: "",
      params: {},
      headers: { Authorization: "Bearer test-metrics-token" },
    });
    expect(scraped?.status).toBe(200);
    expect(scraped?.headers.get("Content-Type")).toContain("text/plain; version=0.0.4");
    const text = (await scraped?.text()) ?? "";
    expect(text).toContain("# TYPE loresmith_d1_statement_duration_seconds histogram");
    expect(text).toMatch(
      /loresmith_d1_statement_duration_seconds_bucket\{statement="select campaigns",le="0.005"\} \d+/,
    );
    expect(text).toMatch(/loresmith_d1_statement_duration_seconds_count\{statement="select campaigns"\} \d+/);
    expect(text).toContain("loresmith_r2_bytes_stored ");
    // Every line is a comment or `name{labels} value`.
    for (const line of text.trim().split("\n"))
      expect(line).toMatch(/^(# (HELP|TYPE) .+|[a-z0-9_]+(\{.*\})? -?[\d.e+]+)$/);
  });
});
