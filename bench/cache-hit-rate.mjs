#!/usr/bin/env node
// Benchmark: the read-model cache's hit rate under a mixed workload (ADR 0029), counted
// twice — by the benchmark from each answer's Server-Timing (`cache-overview;desc=hit`) and
// by the app's own metrics (`/metrics`, ADR 0030) — and whether a view after a save ever
// shows the old content. See bench/README.md.
//
//   npm run build && node bench/cache-hit-rate.mjs [--readers 20] [--seconds 20]
//       [--write-every-ms 1000] [--entries 30] [--json]
//
// Dependency-free: Node 20 built-ins only; the shared helpers are in bench/lib.mjs.
import { randomBytes } from "node:crypto";
import { parseArgs } from "node:util";
import { Client, intOption, log, PreviewServer, percentile, round, run, sleep } from "./lib.mjs";

const OVERALL_TIMEOUT_MS = 10 * 60_000;

const { values } = parseArgs({
  options: {
    readers: { type: "string", default: "20" },
    seconds: { type: "string", default: "20" },
    "write-every-ms": { type: "string", default: "1000" },
    entries: { type: "string", default: "30" },
    json: { type: "boolean", default: false },
  },
  strict: true,
});
const readers = intOption("--readers", values.readers, 1);
const seconds = intOption("--seconds", values.seconds, 1);
const writeEveryMs = intOption("--write-every-ms", values["write-every-ms"], 50);
const entries = intOption("--entries", values.entries, 0);
const token = randomBytes(16).toString("hex");
/** The GM is also the operator, so the run can read back the operations page. */
const OPERATOR = `bench-ops-${randomBytes(3).toString("hex")}`;
const server = new PreviewServer();

const entry = (/** @type {string} */ title) => ({
  intent: "save",
  contextType: "lore",
  title,
  content: `## ${title}\n\nThe ferry is shut and **the tide** is rising.\n`,
  tags: "rumour",
});

/** The overview's cache read in an answer's Server-Timing: "hit", "miss", or null (none). */
function overviewRead(/** @type {string | null} */ serverTiming) {
  return /cache-overview;desc=(hit|miss)/.exec(serverTiming ?? "")?.[1] ?? null;
}

/** The overview's hit and miss counts in the app's own metrics. */
async function metricsCounts(/** @type {string} */ base) {
  const text = await fetch(`${base}/metrics`, { headers: { Authorization: `Bearer ${token}` } }).then((r) => r.text());
  const count = (/** @type {string} */ result) =>
    Number(
      new RegExp(`loresmith_read_model_duration_seconds_count\\{model="overview",result="${result}"\\} (\\d+)`).exec(
        text,
      )?.[1] ?? 0,
    );
  return { hits: count("hit"), misses: count("miss") };
}

/** The operations page in words: each chart's description, each alert, the read-model row. */
async function operationsPage(/** @type {Client} */ client) {
  const { text } = await client.timedGet("/operations");
  const decode = (/** @type {string} */ html) =>
    html
      .replace(/<[^>]+>/g, " ")
      .replace(/&#x27;|&#39;/g, "'")
      .replace(/&amp;/g, "&")
      .replace(/\s+/g, " ")
      .trim();
  const charts = [...text.matchAll(/role="img" aria-label="([^"]+)"/g)].map((m) => decode(m[1] ?? ""));
  const alerts = [...text.matchAll(/<li[^>]*data-alert="[^"]+"[^>]*>(.*?)<\/li>/gs)].map((m) => decode(m[1] ?? ""));
  const overviewRow = /<tr[^>]*><th scope="row"[^>]*>overview<\/th>(.*?)<\/tr>/s.exec(text);
  return [
    ...charts,
    ...alerts.map((a) => `alert: ${a}`),
    `read model "overview" (reads, hit rate, p50, p95): ${decode(overviewRow?.[1] ?? "not shown")}`,
  ];
}

async function main() {
  const t0 = performance.now();
  const base = await server.start({
    vars: {},
    // The writer saves faster than the 60-a-minute a person is allowed.
    ratelimits: { WRITE_LIMITER: { limit: 100_000, period: 60 } },
    serveVars: { METRICS_TOKEN: token, OPERATOR_USERNAMES: OPERATOR },
  });
  const gm = new Client(base);
  const account = { username: OPERATOR, password: `bench-${randomBytes(12).toString("hex")}` };
  log(`signing up ${OPERATOR}`);
  await gm.submit(
    "/signup",
    { username: account.username, password: account.password, confirmPassword: account.password },
    /^\/settings\/recovery-codes$/,
  );
  const [, campaignId] = await gm.submit(
    "/campaigns/new",
    { intent: "save", name: "Benchmark: the cache", status: "active" },
    /^\/campaigns\/([^/]+)$/,
  );
  const overview = `/campaigns/${campaignId}`;
  log(`adding ${entries} entries`);
  for (let i = 0; i < entries; i++) {
    await gm.submit(`${overview}/context/new`, entry(`Rumour ${i + 1}`), /^\/campaigns\/[^/]+\/context\/[^/]+$/);
  }
  // The readers: the same GM signed in on other devices (GMs share one cached copy).
  log(`signing in ${readers} readers`);
  const readerClients = [];
  for (let i = 0; i < readers; i++) {
    const reader = new Client(base);
    await reader.submit(
      "/login",
      { username: account.username, password: account.password, redirectTo: "/home" },
      /^\/home$/,
    );
    readerClients.push(reader);
  }

  const before = await metricsCounts(base);
  const own = { hits: 0, misses: 0, unmarked: 0 };
  /** @type {{ hit: number[], miss: number[] }} */
  const latency = { hit: [], miss: [] };
  const count = (/** @type {{ ms: number, serverTiming: string | null }} */ answer) => {
    const read = overviewRead(answer.serverTiming);
    if (read === "hit") own.hits++;
    else if (read === "miss") own.misses++;
    else own.unmarked++;
    if (read) latency[read].push(answer.ms);
  };

  const deadline = performance.now() + seconds * 1000;
  let writes = 0;
  let staleViews = 0;
  const writer = async () => {
    while (performance.now() < deadline) {
      writes++;
      const title = `Fresh news ${writes} ${randomBytes(3).toString("hex")}`;
      await gm.submit(`${overview}/context/new`, entry(title), /^\/campaigns\/[^/]+\/context\/[^/]+$/);
      // Save, then view: the overview must show what was just saved (in its recent changes).
      const answer = await gm.timedGet(overview);
      count(answer);
      if (!answer.text.includes(title)) staleViews++;
      await sleep(writeEveryMs);
    }
  };
  const reader = async (/** @type {Client} */ client) => {
    while (performance.now() < deadline) count(await client.timedGet(overview));
  };
  log(`running ${readers} readers and 1 writer for ${seconds} s`);
  await Promise.all([writer(), ...readerClients.map(reader)]);
  const after = await metricsCounts(base);
  const operations = await operationsPage(gm);

  const metrics = { hits: after.hits - before.hits, misses: after.misses - before.misses };
  const reads = own.hits + own.misses;
  const sorted = (/** @type {number[]} */ xs) => [...xs].sort((a, b) => a - b);
  const result = {
    date: new Date().toISOString(),
    node: process.version,
    readers,
    seconds,
    writes,
    reads,
    own: { ...own, hitRate: round(own.hits / reads, 4) },
    metrics: { ...metrics, hitRate: round(metrics.hits / (metrics.hits + metrics.misses), 4) },
    agree: metrics.hits === own.hits && metrics.misses === own.misses && own.unmarked === 0,
    staleViews,
    latencyMs: {
      hit: { p50: round(percentile(sorted(latency.hit), 50)), p95: round(percentile(sorted(latency.hit), 95)) },
      miss: { p50: round(percentile(sorted(latency.miss), 50)), p95: round(percentile(sorted(latency.miss), 95)) },
    },
    operations,
    totalSeconds: round((performance.now() - t0) / 1000, 1),
  };
  if (values.json) console.log(JSON.stringify(result, null, 2));
  else {
    console.log(
      [
        "",
        `Read-model cache hit rate — ${result.date}, Node ${result.node}`,
        `${readers} readers and 1 writer (a new entry every ${writeEveryMs} ms, then a view) on one campaign overview, ${seconds} s.`,
        "",
        `overview reads: ${reads}; writes: ${writes}`,
        `counted by the benchmark (Server-Timing): ${own.hits} hits, ${own.misses} misses, hit rate ${result.own.hitRate}${own.unmarked ? ` (${own.unmarked} answers without a cache read)` : ""}`,
        `counted by the app's metrics (/metrics):  ${metrics.hits} hits, ${metrics.misses} misses, hit rate ${result.metrics.hitRate}`,
        `the two counts ${result.agree ? "agree" : "DISAGREE"}`,
        `views right after a save that showed the old content: ${staleViews} of ${writes}`,
        `latency: hit p50 ${result.latencyMs.hit.p50} ms, p95 ${result.latencyMs.hit.p95} ms; miss p50 ${result.latencyMs.miss.p50} ms, p95 ${result.latencyMs.miss.p95} ms`,
        "What the operations page said at the end (its charts' descriptions and the read-model table):",
        ...operations.map((line) => `  ${line}`),
        `The run took ${result.totalSeconds} s.`,
        "",
      ].join("\n"),
    );
  }
  if (!result.agree || staleViews) process.exitCode = 1;
}

await run(main, { timeoutMs: OVERALL_TIMEOUT_MS, stop: () => server.stop(), stopSync: () => server.stopSync() });
