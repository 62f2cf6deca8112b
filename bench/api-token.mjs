#!/usr/bin/env node
// Benchmark: what an API access token costs a request against a cookie session (ADR 0032).
// One copy of the built app; one account with a campaign of entries; the same search asked
// through the app's own JSON route with the session cookie (GET /api/search) and through
// the public API with a bearer token (GET /api/v1/search), interleaved. Reports the HTTP
// times of both, their difference, and the Worker's own measure of each check (Server-Timing:
// `session` for the cookie, `auth` for the token). See bench/README.md.
//
//   npm run build && node bench/api-token.mjs [--requests 300] [--entries 40] [--json]
//
// Dependency-free: Node 20 built-ins only; the shared helpers are in bench/lib.mjs.
import { join } from "node:path";
import { parseArgs } from "node:util";
import { Client, intOption, log, PreviewServer, percentile, ROOT, round, run } from "./lib.mjs";

const OVERALL_TIMEOUT_MS = 10 * 60_000;
const WARMUP = 30;

const { values } = parseArgs({
  options: {
    requests: { type: "string", default: "300" },
    entries: { type: "string", default: "40" },
    json: { type: "boolean", default: false },
  },
  strict: true,
});
const requests = intOption("--requests", values.requests, 10);
const entries = intOption("--entries", values.entries, 1);

const server = new PreviewServer();

/** A Server-Timing entry's duration (ms), or null. */
function timing(/** @type {string | null} */ header, /** @type {string} */ name) {
  const match = new RegExp(`(?:^|,)\\s*${name};dur=([\\d.]+)`).exec(header ?? "");
  return match ? Number(match[1]) : null;
}

function summarise(/** @type {number[]} */ samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  return { n: sorted.length, p50: round(percentile(sorted, 50), 3), p95: round(percentile(sorted, 95), 3) };
}

async function main() {
  const t0 = performance.now();
  const base = await server.start({
    stateDir: join(ROOT, ".wrangler", `bench-api-token-${process.pid}`),
    // The limits are not what is measured: room for every request of the run.
    vars: {},
    ratelimits: {
      SEARCH_LIMITER: { limit: 100_000, period: 60 },
      API_LIMITER: { limit: 100_000, period: 60 },
      API_ACCOUNT_LIMITER: { limit: 100_000, period: 60 },
      WRITE_LIMITER: { limit: 100_000, period: 60 },
    },
  });
  const client = new Client(base);
  await client.signUp();
  const [, campaignId] = await client.submit(
    "/campaigns/new",
    { intent: "save", name: "Benchmark: API token", status: "active" },
    /^\/campaigns\/([^/]+)$/,
  );
  log(`seeding ${entries} entries`);
  for (let i = 0; i < entries; i++) {
    await client.submit(
      `/campaigns/${campaignId}/context/new`,
      {
        intent: "save",
        contextType: "lore",
        title: `Harbour rumour ${i + 1}`,
        content: `The ferry to the isle is shut, the tide is rising, and rumour ${i + 1} says the lighthouse keeper saw a grappling hook.`,
        tags: "rumour",
      },
      /^\/campaigns\/[^/]+\/context\/[^/]+$/,
    );
  }
  // A token, created in Settings as a person would: the page shows it once.
  const created = await client.post("/settings/api", {
    intent: "create-token",
    name: "bench",
    scopes: "read",
    days: 30,
  });
  const token = /eyJ[\w-]+\.[\w-]+\.[\w-]+/.exec(created.text)?.[0];
  if (!token)
    throw new Error(`Settings did not show a new token (status ${created.status}):\n${created.text.slice(0, 1_000)}`);

  const query = `q=grappling+hook&campaignId=${campaignId}`;
  const cookie = { path: `/api/search?${query}`, headers: {} };
  const bearer = { path: `/api/v1/search?${query}`, headers: { Authorization: `Bearer ${token}` } };
  // The bearer request must carry no session: a client without cookies.
  const anonymous = new Client(base);

  /** @type {Record<"cookie" | "token", { http: number[], check: number[], results: number }>} */
  const samples = { cookie: { http: [], check: [], results: 0 }, token: { http: [], check: [], results: 0 } };
  for (let i = 0; i < WARMUP + requests; i++) {
    const order = /** @type {const} */ (i % 2 ? ["cookie", "token"] : ["token", "cookie"]);
    for (const variant of order) {
      const response =
        variant === "cookie"
          ? await client.timedGet(cookie.path, { accept: "application/json" })
          : await anonymous.timedRequest(bearer.path, { headers: bearer.headers });
      if (i < WARMUP) continue;
      const body = JSON.parse(response.text);
      samples[variant].http.push(response.ms);
      const check = timing(response.serverTiming, variant === "cookie" ? "session" : "auth");
      if (check !== null) samples[variant].check.push(check);
      samples[variant].results = (variant === "cookie" ? body.results : body.data).length;
    }
  }
  const cookieHttp = summarise(samples.cookie.http);
  const tokenHttp = summarise(samples.token.http);
  const result = {
    date: new Date().toISOString(),
    node: process.version,
    requests,
    entries,
    results: { cookie: samples.cookie.results, token: samples.token.results },
    http: {
      cookie: cookieHttp,
      token: tokenHttp,
      deltaP50Ms: round(tokenHttp.p50 - cookieHttp.p50, 3),
      ratioP50: round(tokenHttp.p50 / cookieHttp.p50, 3),
    },
    inWorker: { sessionCheck: summarise(samples.cookie.check), tokenCheck: summarise(samples.token.check) },
    totalSeconds: round((performance.now() - t0) / 1000, 1),
  };
  if (values.json) {
    console.log(JSON.stringify(result, null, 2));
    return;
  }
  console.log(
    [
      "",
      `API token vs cookie session — ${result.date}, Node ${result.node}; ${requests} searches each after ${WARMUP} warm-up rounds, interleaved.`,
      `Both find ${result.results.cookie} / ${result.results.token} results for the same query in a campaign of ${entries} entries.`,
      "",
      "                     p50 ms     p95 ms",
      `cookie  /api/search  ${String(cookieHttp.p50).padStart(8)}  ${String(cookieHttp.p95).padStart(9)}`,
      `token   /api/v1/…    ${String(tokenHttp.p50).padStart(8)}  ${String(tokenHttp.p95).padStart(9)}`,
      `token − cookie p50: ${result.http.deltaP50Ms} ms (ratio ${result.http.ratioP50})`,
      "",
      "Inside the Worker (Server-Timing):",
      `  session check (cookie: KV session + device row)  p50 ${result.inWorker.sessionCheck.p50} ms  p95 ${result.inWorker.sessionCheck.p95} ms`,
      `  token check (JWT verify + token row)             p50 ${result.inWorker.tokenCheck.p50} ms  p95 ${result.inWorker.tokenCheck.p95} ms`,
      "",
      `(${result.totalSeconds} s)`,
    ].join("\n"),
  );
}

run(main, { timeoutMs: OVERALL_TIMEOUT_MS, stop: () => server.stop(), stopSync: () => server.stopSync() });
