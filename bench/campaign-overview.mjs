#!/usr/bin/env node
// Benchmark: server time of the campaign overview page (`/campaigns/:id`) with many
// context entries and characters, against the same request to an empty campaign in the
// same run. See bench/README.md.
//
//   npm run build && node bench/campaign-overview.mjs [--requests 100] [--entries 200]
//       [--characters 50] [--json] [--url http://localhost:5173]
//
// Without --url it starts the built app itself (scripts/serve.mjs, workerd) on a fresh local
// state folder with the D1 migrations applied, and removes both at the end. With --url it
// uses that running server, and deletes its throwaway account (and so its data) at the end.
//
// Dependency-free: Node 20 built-ins only; the shared helpers are in bench/lib.mjs.
import { rmSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { Client, intOption, log, PreviewServer, percentile, ROOT, round, run } from "./lib.mjs";

const OVERALL_TIMEOUT_MS = 10 * 60_000;
const SETUP_CONCURRENCY = 4;
const WARMUP = 10;

const CONTEXT_TYPES = ["lore", "location", "faction", "item", "plot_hook", "session_note", "house_rule", "other"];

// ---------------------------------------------------------------------------------------
// Options

/** @typedef {{ url: string | undefined, requests: number, entries: number, characters: number, json: boolean }} Options */

/** @returns {Options} */
function parseOptions() {
  const { values } = parseArgs({
    options: {
      url: { type: "string" },
      requests: { type: "string", default: "100" },
      entries: { type: "string", default: "200" },
      characters: { type: "string", default: "50" },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(
      [
        "Usage: node bench/campaign-overview.mjs [options]",
        "",
        "  --url <base>        benchmark a running server instead of starting the built app",
        "  --requests <n>      measured requests per variant (default 100)",
        "  --entries <n>       context entries in the full campaign (default 200)",
        "  --characters <n>    characters in the full campaign (default 50)",
        "  --json              print one JSON object on stdout instead of the table",
      ].join("\n"),
    );
    process.exit(0);
  }
  return {
    url: values.url ? values.url.replace(/\/+$/, "") : undefined,
    requests: intOption("requests", values.requests, 1),
    entries: intOption("entries", values.entries, 0),
    characters: intOption("characters", values.characters, 0),
    json: values.json,
  };
}

// ---------------------------------------------------------------------------------------
// The app under test: built app on a fresh state folder (unless --url; see lib.mjs)

let server = new PreviewServer();
/** Both phases' servers run on this folder (each in turn); removed at the end. */
const stateDir = join(ROOT, ".wrangler", `bench-state-${process.pid}`);
const removeState = () => rmSync(stateDir, { recursive: true, force: true });
/**
 * Both phases run a copy of the build: with the cache on or off, and a write limit that
 * lets the seeding's 250 saves through (the app's is 60 a minute per account).
 * @param {"on" | "off"} cache
 */
const serverOptions = (cache) => ({
  stateDir,
  keepState: true,
  vars: { READ_MODEL_CACHE: cache },
  ratelimits: { WRITE_LIMITER: { limit: 100_000, period: 60 } },
});

// ---------------------------------------------------------------------------------------
// Invented campaign content (deterministic, ~1 KB of Markdown per entry)

const PLACES = ["Saltmarsh Deep", "the Ashen Reach", "Vellmoor", "the Glass Barrows", "Kestrel Ford", "Duskhollow"];
const FOLK = ["the Lantern Guild", "House Orrin", "the Grey Wardens", "the Tidewives", "the Cinder Court"];
const THINGS = ["a cracked astrolabe", "the Moonwell key", "a ledger in cipher", "an iron crown", "a bell of bone"];
const NAMES = ["Ysolde", "Brannoc", "Tamsin", "Orrik", "Lio", "Maelis", "Dunstan", "Sable", "Wren", "Hobb"];
const EPITHETS = ["the Quiet", "Ashfoot", "of the Ford", "Two-Coins", "the Younger", "Blackwater", "Lanternlight"];

/** @template T @param {T[]} list @param {number} i @returns {T} */
const pick = (list, i) => list[i % list.length];

/** @param {number} i */
function entryFields(i) {
  const type = pick(CONTEXT_TYPES, i);
  const place = pick(PLACES, i * 7 + 1);
  const folk = pick(FOLK, i * 3 + 2);
  const thing = pick(THINGS, i * 5 + 3);
  const content = [
    `## ${place}: notes ${i + 1}`,
    "",
    `Rain has not stopped in **${place}** for nine days. ${folk} claim the weather is a punishment; the`,
    `fishwives say it is simply autumn. Either way the roads are mud, the ferry is shut, and prices`,
    `at the *Drowned Lantern* have doubled since the party last passed through.`,
    "",
    "### What the players know",
    "",
    `- ${folk} are looking for ${thing}, and pay in old coin.`,
    `- A stranger asked about the party by name at the ${pick(["mill", "chapel", "toll bridge", "market"], i)}.`,
    "- The bell at the old watchtower rang once at midnight, though it has no rope.",
    "",
    "### What the GM knows",
    "",
    `1. ${thing.charAt(0).toUpperCase()}${thing.slice(1)} was hidden under the ${pick(["well", "altar", "hearth"], i)} by the last warden.`,
    `2. ${pick(NAMES, i + 4)} ${pick(EPITHETS, i)} sold the party's names for a debt of ${(i % 9) + 3} silver.`,
    "3. If nobody climbs the tower before the next new moon, the tide takes the lower town.",
    "",
    `> "Keep the lamps lit and your boots by the door." — a saying in ${place}`,
    "",
    `| Roll | Rumour |\n| --- | --- |\n| 1–3 | The ferryman is a smuggler. |\n| 4–6 | ${folk} owe the Crown a fortune. |`,
  ].join("\n");
  return {
    intent: "save",
    contextType: type,
    title: `${pick(["The", "A", "Old", "Lost"], i)} ${place} ${pick(["Accord", "Rumour", "Map", "Oath", "Ledger"], i)} ${i + 1}`,
    content,
    tags: [place.replace(/^the /, ""), folk.replace(/^the /, ""), type].join(", "),
  };
}

/** @param {number} i */
function characterFields(i) {
  return {
    intent: "save",
    characterName: `${pick(NAMES, i)} ${pick(EPITHETS, i * 3 + 1)} ${i + 1}`,
    characterType: i % 5 === 0 ? "pc" : "npc",
    status: "alive",
    level: 3,
    "stats[0].key": "AC",
    "stats[0].value": 14,
    backstory: [
      `Born in ${pick(PLACES, i)} to a family of ${pick(["ferrymen", "lamplighters", "tax clerks", "beekeepers"], i)}.`,
      "",
      `Owes ${pick(FOLK, i)} a favour and has *not* told the party. Carries ${pick(THINGS, i + 2)}.`,
      "",
      "- Wants: a quiet life, and the ledger burned.",
      "- Fears: deep water, and being recognised.",
    ].join("\n"),
  };
}

/**
 * Runs `task(i)` for i in [0, count) with at most `limit` in flight.
 * @param {number} count @param {number} limit @param {(i: number) => Promise<unknown>} task
 */
async function pool(count, limit, task) {
  let next = 0;
  const worker = async () => {
    while (next < count) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, worker));
}

// ---------------------------------------------------------------------------------------
// Statistics

/** @param {number[]} samples */
function summarise(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  const mean = sorted.reduce((sum, x) => sum + x, 0) / sorted.length;
  return {
    n: sorted.length,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    mean,
    min: sorted[0],
    max: sorted[sorted.length - 1],
  };
}

// ---------------------------------------------------------------------------------------
// Main

async function main() {
  const options = parseOptions();
  const t0 = performance.now();
  if (!options.url) removeState();
  const base = options.url ?? (await server.start(serverOptions("on")));
  const client = new Client(base);
  const startedOwnServer = !options.url;

  // 1. A throwaway account, through the real sign-up form.
  const account = await client.signUp();

  try {
    // 2. Two campaigns through the real form: one stays empty.
    const createCampaign = async (/** @type {string} */ name) =>
      (await client.submit("/campaigns/new", { intent: "save", name, status: "active" }, /^\/campaigns\/([^/]+)$/))[1];
    const fullId = await createCampaign("Benchmark: The Drowned Lantern");
    const emptyId = await createCampaign("Benchmark: Empty campaign");
    const savesId = await createCampaign("Benchmark: Save then view");

    log(
      `adding ${options.entries} context entries and ${options.characters} characters (${SETUP_CONCURRENCY} at once)`,
    );
    const tSeed = performance.now();
    const jobs = [
      ...Array.from(
        { length: options.entries },
        (_, i) => () =>
          client.submit(`/campaigns/${fullId}/context/new`, entryFields(i), /^\/campaigns\/[^/]+\/context\/[^/]+$/),
      ),
      ...Array.from(
        { length: options.characters },
        (_, i) => () =>
          client.submit(
            `/campaigns/${fullId}/characters/new`,
            characterFields(i),
            /^\/campaigns\/[^/]+\/characters\/[^/]+$/,
          ),
      ),
    ];
    await pool(jobs.length, SETUP_CONCURRENCY, (i) => jobs[i]());
    const seedSeconds = (performance.now() - tSeed) / 1_000;

    // 3. The overviews really hold what we think.
    for (const [id, entries, characters] of [
      [fullId, options.entries, options.characters],
      [emptyId, 0, 0],
    ]) {
      const json = await client.getJson(`/api/campaigns/${id}`);
      if (json.entries?.length !== entries || json.characters?.length !== characters) {
        throw new Error(
          `campaign ${id} lists ${json.entries?.length} entries and ${json.characters?.length} characters, expected ${entries} and ${characters}`,
        );
      }
    }
    log(`seeded in ${seedSeconds.toFixed(1)} s; verified via /api/campaigns/:id`);

    // 4. Measure, with the read-model cache on (warm after the warm-up), then (own server
    //    only) with it off: the same state folder served by a copy of the build whose
    //    READ_MODEL_CACHE is "off". Within a phase the variants are interleaved.
    const phases = [{ cache: "warm", ...(await measure(client, fullId, emptyId, options.requests)) }];
    const saves = await saveThenView(client, savesId);
    if (startedOwnServer) {
      await server.stop();
      server = new PreviewServer();
      const offBase = await server.start(serverOptions("off"));
      phases.push({ cache: "off", ...(await measure(client.withBase(offBase), fullId, emptyId, options.requests)) });
    } else {
      log("--url: the cache-off variant needs the benchmark's own server (it changes a var); skipped");
    }

    const rows = phases.flatMap((phase) => phase.rows.map((r) => ({ cache: phase.cache, ...r })));
    /** @param {string} cache @param {string} request @param {string} campaign */
    const row = (cache, request, campaign) => {
      const found = rows.find((r) => r.cache === cache && r.request === request && r.campaign === campaign);
      if (!found) throw new Error("unreachable");
      return found;
    };
    /** @param {string} label @param {any} a @param {any} b */
    const ratio = (label, a, b) => ({ label, p50: a.p50 / b.p50, p95: a.p95 / b.p95, mean: a.mean / b.mean });
    const ratios = ["document", ".data"].flatMap((request) => [
      { request, ...ratio("full warm / empty warm", row("warm", request, "full"), row("warm", request, "empty")) },
      ...(phases.length > 1
        ? [
            { request, ...ratio("full off / empty off", row("off", request, "full"), row("off", request, "empty")) },
            { request, ...ratio("full warm / full off", row("warm", request, "full"), row("off", request, "full")) },
          ]
        : []),
    ]);

    const result = {
      benchmark: "campaign-overview",
      note: "Wall-clock times on loopback from a client on the same machine (server time + loopback), sequential requests; the variants of a phase interleaved, the phases (cache warm, cache off) one after the other on the same data.",
      date: new Date().toISOString(),
      node: process.version,
      server: startedOwnServer
        ? "scripts/serve.mjs (built app, workerd), fresh local state; cache off: a copy of the build with READ_MODEL_CACHE=off on the same state"
        : base,
      full: { entries: options.entries, characters: options.characters },
      requestsPerVariant: options.requests,
      warmupPerVariant: WARMUP,
      seedSeconds: round(seedSeconds, 1),
      measureSeconds: round(
        phases.reduce((sum, phase) => sum + phase.seconds, 0),
        1,
      ),
      rows: rows.map((r) => ({
        cache: r.cache,
        request: r.request,
        campaign: r.campaign,
        n: r.n,
        p50Ms: round(r.p50),
        p95Ms: round(r.p95),
        meanMs: round(r.mean),
        minMs: round(r.min),
        maxMs: round(r.max),
        sizeKB: round(r.bytes / 1024, 1),
      })),
      ratios: ratios.map((r) => ({
        request: r.request,
        label: r.label,
        p50: round(r.p50),
        p95: round(r.p95),
        mean: round(r.mean),
      })),
      saveThenView: saves,
      totalSeconds: 0,
    };

    result.totalSeconds = round((performance.now() - t0) / 1_000, 1);
    if (options.json) console.log(JSON.stringify(result));
    else printTable(result);
  } finally {
    // On someone else's server the account goes away, and its campaigns with it (cascade).
    // Our own server's state folder is removed whole when it stops (run() in lib.mjs).
    if (!startedOwnServer) await client.deleteAccount(account);
  }
}

/** Saves made, each followed at once by a view of the overview, with the cache on. */
const SAVES = 20;

/**
 * Read-your-own-writes with the cache on (ADR 0029): the overview is viewed (so cached),
 * then each save is followed at once by a view of the document and of its .data; each
 * must show what was just saved (the newest change heads "Recent changes"). Throws if not.
 * @param {Client} client @param {string} campaignId
 */
async function saveThenView(client, campaignId) {
  const paths = [`/campaigns/${campaignId}`, `/campaigns/${campaignId}.data`];
  for (const path of paths) await client.timedGet(path);
  let views = 0;
  for (let i = 0; i < SAVES; i++) {
    const title = `Saved then viewed ${i + 1}`;
    await client.submit(
      `/campaigns/${campaignId}/context/new`,
      { ...entryFields(i), title },
      /^\/campaigns\/[^/]+\/context\/[^/]+$/,
    );
    for (const path of paths) {
      const { text } = await client.timedGet(path);
      views++;
      if (!text.includes(title)) throw new Error(`${path} did not show “${title}” right after it was saved`);
    }
  }
  log(`save then view: ${SAVES} saves, ${views} views, each showed what was just saved`);
  return { saves: SAVES, views, stale: 0 };
}

/**
 * Warm-up, then `requests` timed GETs of each variant (document and .data of both
 * campaigns), interleaved, the full/empty order flipping every round.
 * @param {Client} client @param {string} fullId @param {string} emptyId @param {number} requests
 */
async function measure(client, fullId, emptyId, requests) {
  const variants = /** @type {const} */ ([
    { request: "document", campaign: "full", path: `/campaigns/${fullId}` },
    { request: "document", campaign: "empty", path: `/campaigns/${emptyId}` },
    { request: ".data", campaign: "full", path: `/campaigns/${fullId}.data` },
    { request: ".data", campaign: "empty", path: `/campaigns/${emptyId}.data` },
  ]);
  /** @type {number[][]} */
  const samples = variants.map(() => []);
  /** @type {number[]} */
  const sizes = variants.map(() => 0);
  /** @type {string[]} */
  const types = variants.map(() => "");
  const orderA = [0, 1, 2, 3];
  const orderB = [1, 0, 3, 2];

  log(`warming up (${WARMUP} requests per variant)`);
  for (let round = 0; round < WARMUP; round++) {
    for (const v of round % 2 ? orderB : orderA) {
      const r = await client.timedGet(variants[v].path);
      sizes[v] = r.bytes;
      types[v] = r.contentType;
    }
  }
  if (!types[0].startsWith("text/html") || !types[1].startsWith("text/html")) {
    throw new Error(`the overview document is not HTML (${types[0]}, ${types[1]})`);
  }

  log(`measuring (${requests} requests per variant, interleaved, one at a time)`);
  const tMeasure = performance.now();
  for (let round = 0; round < requests; round++) {
    for (const v of round % 2 ? orderB : orderA) {
      const r = await client.timedGet(variants[v].path);
      samples[v].push(r.ms);
      sizes[v] = r.bytes;
    }
  }
  return {
    seconds: (performance.now() - tMeasure) / 1_000,
    rows: variants.map((v, i) => ({
      request: v.request,
      campaign: v.campaign,
      path: v.path,
      bytes: sizes[i],
      ...summarise(samples[i]),
    })),
  };
}

/** @param {any} result */
function printTable(result) {
  const label = `${result.full.entries} entries + ${result.full.characters} characters`;
  const header = ["cache", "request", "campaign", "n", "p50 ms", "p95 ms", "mean ms", "size KB"];
  const body = result.rows.map((/** @type {any} */ r) => [
    r.cache,
    r.request === "document" ? "document  /campaigns/:id" : ".data     /campaigns/:id.data",
    r.campaign === "full" ? label : "empty",
    String(r.n),
    r.p50Ms.toFixed(2),
    r.p95Ms.toFixed(2),
    r.meanMs.toFixed(2),
    r.sizeKB.toFixed(1),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((/** @type {string[]} */ row) => row[i].length)));
  const line = (/** @type {string[]} */ cells) =>
    cells.map((c, i) => (i < 3 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
  const out = [
    "",
    `Campaign overview benchmark — ${result.date}, Node ${result.node}`,
    `Server: ${result.server}`,
    `${result.requestsPerVariant} requests per variant after ${result.warmupPerVariant} warm-up requests; in each phase (cache warm, cache off)`,
    "the four variants interleaved, one request at a time; the phases one after the other on the same data.",
    "Times are wall-clock on loopback from a client on the same machine (server time + loopback),",
    "from request start to the last body byte, all measured in the same run.",
    "",
    line(header),
    line(widths.map((w) => "-".repeat(w))),
    ...body.map(line),
    "",
    ...result.ratios.map(
      (/** @type {any} */ r) =>
        `${r.label.padEnd(22)}  ${r.request.padEnd(8)}  p50 ×${r.p50.toFixed(2)}   p95 ×${r.p95.toFixed(2)}   mean ×${r.mean.toFixed(2)}`,
    ),
    "",
    `Save then view (cache on): ${result.saveThenView.saves} saves, each followed at once by ${result.saveThenView.views / result.saveThenView.saves} views; stale views: ${result.saveThenView.stale}.`,
    "",
    `Seeding took ${result.seedSeconds} s, measuring ${result.measureSeconds} s; the whole run ${result.totalSeconds} s.`,
    "",
  ];
  console.log(out.join("\n"));
}

await run(main, {
  timeoutMs: OVERALL_TIMEOUT_MS,
  stop: async () => {
    await server.stop();
    removeState();
  },
  stopSync: () => {
    server.stopSync();
    removeState();
  },
});
