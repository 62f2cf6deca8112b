#!/usr/bin/env node
// Benchmark: what recording metrics costs a request (ADR 0030). Two copies of the built
// app run side by side, one with METRICS on, one with METRICS off, each on a fresh state
// with the same account content; the same pages are asked of both, interleaved, and the
// difference is the recording. See bench/README.md.
//
//   npm run build && node bench/metrics-overhead.mjs [--requests 200] [--entries 20] [--json]
//
// Dependency-free: Node 20 built-ins only; the shared helpers are in bench/lib.mjs.
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { Client, intOption, log, PreviewServer, percentile, ROOT, round, run } from "./lib.mjs";

const OVERALL_TIMEOUT_MS = 10 * 60_000;
const WARMUP = 20;

const { values } = parseArgs({
  options: {
    requests: { type: "string", default: "200" },
    entries: { type: "string", default: "20" },
    json: { type: "boolean", default: false },
  },
  strict: true,
});
const requests = intOption("--requests", values.requests, 10);
const entries = intOption("--entries", values.entries, 0);
const token = randomBytes(16).toString("hex");

const servers = { on: new PreviewServer(), off: new PreviewServer() };

/** A signed-up account with a campaign of `entries` entries; answers the paths to measure. */
async function seed(/** @type {Client} */ client) {
  await client.signUp();
  const [, campaignId] = await client.submit(
    "/campaigns/new",
    { intent: "save", name: "Benchmark: metrics", status: "active" },
    /^\/campaigns\/([^/]+)$/,
  );
  for (let i = 0; i < entries; i++) {
    await client.submit(
      `/campaigns/${campaignId}/context/new`,
      {
        intent: "save",
        contextType: "lore",
        title: `Rumour ${i + 1}`,
        content: `## Rumour ${i + 1}\n\nThe ferry is shut and **the tide** is rising.\n`,
        tags: "rumour",
      },
      /^\/campaigns\/[^/]+\/context\/[^/]+$/,
    );
  }
  return [`/campaigns/${campaignId}`, "/campaigns", "/home"];
}

function summarise(/** @type {number[]} */ samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    p50: round(percentile(sorted, 50)),
    p95: round(percentile(sorted, 95)),
    mean: round(sorted.reduce((a, b) => a + b, 0) / sorted.length),
  };
}

async function main() {
  const t0 = performance.now();
  const stateDir = (/** @type {string} */ name) => join(ROOT, ".wrangler", `bench-metrics-${process.pid}-${name}`);
  const onBase = await servers.on.start({
    stateDir: stateDir("on"),
    serveVars: { METRICS: "on", METRICS_TOKEN: token },
  });
  const offBase = await servers.off.start({ stateDir: stateDir("off"), serveVars: { METRICS: "off" } });
  const clients = { on: new Client(onBase), off: new Client(offBase) };
  log(`seeding a campaign with ${entries} entries on both servers`);
  const paths = { on: await seed(clients.on), off: await seed(clients.off) };

  /** @type {Record<"on" | "off", Record<string, number[]>>} */
  const samples = { on: {}, off: {} };
  const names = ["campaign overview", "campaigns list", "home"];
  for (let round = 0; round < WARMUP + requests; round++) {
    // Interleaved, and the order flips every round, so background noise hits both alike.
    const order = /** @type {const} */ (round % 2 ? ["on", "off"] : ["off", "on"]);
    for (const [i, name] of names.entries()) {
      for (const variant of order) {
        const { ms } = await clients[variant].timedGet(paths[variant][i] ?? "/home");
        if (round < WARMUP) continue;
        samples[variant][name] ??= [];
        samples[variant][name].push(ms);
      }
    }
  }

  // The recording really happened: the metrics of the "on" server count the requests.
  const metricsText = await fetch(`${onBase}/metrics`, { headers: { Authorization: `Bearer ${token}` } }).then((r) =>
    r.text(),
  );
  const recorded = Number(
    /loresmith_request_duration_seconds_count\{route="GET \/campaigns\/:campaignId",status="2xx"\} (\d+)/.exec(
      metricsText,
    )?.[1] ?? 0,
  );
  const offMetrics = await fetch(`${offBase}/metrics`).then((r) => r.status);

  const rows = names.map((name) => {
    const on = summarise(samples.on[name] ?? []);
    const off = summarise(samples.off[name] ?? []);
    return {
      page: name,
      on,
      off,
      overheadP50Ms: round(on.p50 - off.p50),
      overheadP95Ms: round(on.p95 - off.p95),
      ratioP50: round(on.p50 / off.p50),
    };
  });
  const all = { on: summarise(Object.values(samples.on).flat()), off: summarise(Object.values(samples.off).flat()) };
  const result = {
    date: new Date().toISOString(),
    node: process.version,
    requestsPerPage: requests,
    entries,
    rows,
    all: { ...all, overheadP50Ms: round(all.on.p50 - all.off.p50), ratioP50: round(all.on.p50 / all.off.p50) },
    recordedOverviewRequests: recorded,
    metricsEndpointWithMetricsOffAndNoToken: offMetrics,
    totalSeconds: round((performance.now() - t0) / 1000, 1),
  };
  if (values.json) {
    console.log(JSON.stringify(result, null, 2));
    return;
  }
  const line = (/** @type {string[]} */ c) => c.map((x, i) => (i ? x.padStart(12) : x.padEnd(18))).join("");
  console.log(
    [
      "",
      `Metrics overhead — ${result.date}, Node ${result.node}; ${requests} requests per page and variant after ${WARMUP} warm-up rounds, interleaved.`,
      "Wall-clock ms on loopback, request start to last body byte; both servers in the same run.",
      "",
      line(["page", "on p50", "off p50", "Δ p50", "on p95", "off p95", "Δ p95", "on/off p50"]),
      ...rows.map((r) =>
        line([
          r.page,
          String(r.on.p50),
          String(r.off.p50),
          String(r.overheadP50Ms),
          String(r.on.p95),
          String(r.off.p95),
          String(r.overheadP95Ms),
          `×${r.ratioP50.toFixed(2)}`,
        ]),
      ),
      line([
        "all pages",
        String(all.on.p50),
        String(all.off.p50),
        String(result.all.overheadP50Ms),
        String(all.on.p95),
        String(all.off.p95),
        String(round(all.on.p95 - all.off.p95)),
        `×${result.all.ratioP50.toFixed(2)}`,
      ]),
      "",
      `The "on" server's /metrics counted ${recorded} overview requests (${requests + WARMUP} were sent).`,
      `The run took ${result.totalSeconds} s.`,
      "",
    ].join("\n"),
  );
}

await run(main, {
  timeoutMs: OVERALL_TIMEOUT_MS,
  stop: async () => {
    await Promise.all([servers.on.stop(), servers.off.stop()]);
  },
  stopSync: () => {
    servers.on.stopSync();
    servers.off.stopSync();
  },
});
