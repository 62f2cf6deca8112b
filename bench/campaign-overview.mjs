#!/usr/bin/env node
// Benchmark: server time of the campaign overview page (`/campaigns/:id`) with many
// context entries and characters, against the same request to an empty campaign in the
// same run. See bench/README.md.
//
//   npm run build && node bench/campaign-overview.mjs [--requests 100] [--entries 200]
//       [--characters 50] [--json] [--url http://localhost:5173]
//
// Without --url it starts the built app itself (`vite preview`, workerd) on a fresh local
// state folder with the D1 migrations applied, and removes both at the end. With --url it
// uses that running server, and deletes its throwaway account (and so its data) at the end.
//
// Dependency-free: Node 20 built-ins only (fetch, child_process, fs, net, perf_hooks).
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const ROOT = resolve(fileURLToPath(new URL("..", import.meta.url)));
const OVERALL_TIMEOUT_MS = 10 * 60_000;
const REQUEST_TIMEOUT_MS = 60_000;
const SERVER_START_TIMEOUT_MS = 90_000;
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
  /** @param {string} name @param {string} raw @param {number} min */
  const int = (name, raw, min) => {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer ≥ ${min} (got "${raw}")`);
    return n;
  };
  return {
    url: values.url ? values.url.replace(/\/+$/, "") : undefined,
    requests: int("requests", values.requests, 1),
    entries: int("entries", values.entries, 0),
    characters: int("characters", values.characters, 0),
    json: values.json,
  };
}

/** Progress goes to stderr so that stdout carries only the result. */
function log(/** @type {string} */ message) {
  process.stderr.write(`bench: ${message}\n`);
}

// ---------------------------------------------------------------------------------------
// The app under test: built app on a fresh state folder (unless --url)

/** @type {{ child: import("node:child_process").ChildProcess | null, stateDir: string | null, output: string }} */
const server = { child: null, stateDir: null, output: "" };

async function freePort() {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.unref();
    probe.on("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      const port = typeof address === "object" && address ? address.port : 0;
      probe.close(() => resolvePort(port));
    });
  });
}

/** @returns {Promise<string>} the base URL */
async function startServer() {
  if (!existsSync(join(ROOT, "build/server/index.js"))) {
    throw new Error("no build found (build/server/index.js). Run `npm run build` first.");
  }
  if (!existsSync(join(ROOT, ".dev.vars"))) {
    throw new Error("no .dev.vars (SESSION_SECRET). Run `node scripts/ensure-dev-vars.mjs` first.");
  }
  const stateDir = join(ROOT, ".wrangler", `bench-state-${process.pid}`);
  server.stateDir = stateDir;
  rmSync(stateDir, { recursive: true, force: true });
  const env = {
    ...process.env,
    CI: "1",
    WRANGLER_SEND_METRICS: "false",
    CLOUDFLARE_CF_FETCH_ENABLED: "false",
    LORESMITH_STATE_DIR: stateDir,
  };

  log(`applying D1 migrations to ${stateDir}`);
  const wranglerBin = join(ROOT, "node_modules/wrangler/bin/wrangler.js");
  const migrate = spawnSync(
    process.execPath,
    [wranglerBin, "d1", "migrations", "apply", "DB", "--local", "--persist-to", stateDir],
    { cwd: ROOT, env, encoding: "utf8", timeout: 120_000 },
  );
  if (migrate.status !== 0) {
    throw new Error(`applying the D1 migrations failed:\n${migrate.stdout}\n${migrate.stderr}`);
  }
  if (!existsSync(join(stateDir, "v3", "d1"))) {
    throw new Error(`wrangler did not write ${join(stateDir, "v3", "d1")}; the preview server would not see it.`);
  }

  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  log(`starting vite preview on ${base}`);
  const viteBin = join(ROOT, "node_modules/vite/bin/vite.js");
  // detached: its own process group, so vite and the workerd it spawns are stopped together.
  const child = spawn(
    process.execPath,
    [viteBin, "preview", "--host", "127.0.0.1", "--port", String(port), "--strictPort"],
    {
      cwd: ROOT,
      env,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  server.child = child;
  const keep = (/** @type {Buffer} */ chunk) => {
    server.output = (server.output + chunk.toString()).slice(-20_000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  /** @type {string | null} */
  let exited = null;
  child.on("exit", (code, signal) => {
    exited = `exited (code ${code}, signal ${signal})`;
  });

  const deadline = Date.now() + SERVER_START_TIMEOUT_MS;
  for (;;) {
    if (exited) throw new Error(`vite preview ${exited} before answering:\n${server.output}`);
    try {
      const res = await fetch(`${base}/login`, { signal: AbortSignal.timeout(5_000) });
      await res.arrayBuffer();
      if (res.status === 200) return base;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`vite preview did not answer within 90 s:\n${server.output}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** @type {Promise<void> | null} */
let stopped = null;
/** Stops the server and removes its state folder; every caller waits for the same stop. */
function stopServer() {
  stopped ??= stopServerNow();
  return stopped;
}

async function stopServerNow() {
  const child = server.child;
  if (child?.pid && child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((r) => child.once("exit", r));
    try {
      process.kill(-child.pid, "SIGTERM");
    } catch {
      // already gone
    }
    const timedOut = await Promise.race([exited.then(() => false), sleep(5_000).then(() => true)]);
    if (timedOut) {
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {
        // already gone
      }
      await Promise.race([exited, sleep(2_000)]);
    }
  }
  server.child = null;
  if (server.stateDir) {
    rmSync(server.stateDir, { recursive: true, force: true });
    server.stateDir = null;
  }
}

/** Last resort on a hard exit: synchronous, so it runs inside process.on("exit"). */
function stopServerSync() {
  const pid = server.child?.pid;
  if (pid) {
    try {
      process.kill(-pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  if (server.stateDir) rmSync(server.stateDir, { recursive: true, force: true });
}

function sleep(/** @type {number} */ ms) {
  return new Promise((r) => setTimeout(r, ms).unref());
}

// ---------------------------------------------------------------------------------------
// HTTP client: a one-cookie jar, the site's Origin on every POST, no redirects followed

class Client {
  /** @param {string} base */
  constructor(base) {
    this.base = base;
    /** @type {Map<string, string>} */
    this.cookies = new Map();
    // A documentation-range address, unique to this run, so the sign-up/sign-in throttle
    // never mixes this run with anything else.
    this.ip = `198.18.${randomBytes(1)[0]}.${randomBytes(1)[0]}`;
  }

  /** Only the session cookie is kept: a pending `__toast` would add work to measured requests. */
  remember(/** @type {Response} */ res) {
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(";");
      const eq = pair.indexOf("=");
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (name !== "__session") continue;
      const expired = attributes.some((a) => /^\s*max-age=0\s*$/i.test(a) || /^\s*expires=thu, 01 jan 1970/i.test(a));
      if (!value || expired) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  headers(/** @type {Record<string, string>} */ extra = {}) {
    /** @type {Record<string, string>} */
    const headers = { "CF-Connecting-IP": this.ip, ...extra };
    if (this.cookies.size) headers.Cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
    return headers;
  }

  /** @param {string} path @param {Record<string, string | number>} fields */
  async post(path, fields) {
    const body = new URLSearchParams(Object.entries(fields).map(([k, v]) => [k, String(v)]));
    const res = await fetch(this.base + path, {
      method: "POST",
      headers: this.headers({ Origin: this.base, "Content-Type": "application/x-www-form-urlencoded" }),
      body,
      redirect: "manual",
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const text = await res.text();
    this.remember(res);
    return { status: res.status, location: res.headers.get("Location"), text };
  }

  /** A form POST that must answer with a redirect to a path matching `expected`. */
  async submit(
    /** @type {string} */ path,
    /** @type {Record<string, string | number>} */ fields,
    /** @type {RegExp} */ expected,
  ) {
    const res = await this.post(path, fields);
    const location = res.location ? new URL(res.location, this.base).pathname : "";
    const match = location.match(expected);
    if (res.status < 300 || res.status >= 400 || !match) {
      throw new Error(
        `POST ${path} answered ${res.status}${res.location ? ` → ${res.location}` : ""}, expected a redirect to ${expected}:\n${res.text.slice(0, 2_000)}`,
      );
    }
    return match;
  }

  /** @param {string} path */
  async getJson(path) {
    const res = await fetch(this.base + path, {
      headers: this.headers({ Accept: "application/json" }),
      redirect: "manual",
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const text = await res.text();
    this.remember(res);
    if (res.status !== 200) throw new Error(`GET ${path} answered ${res.status}:\n${text.slice(0, 1_000)}`);
    return JSON.parse(text);
  }

  /**
   * One timed GET: from just before the request to the last byte of the body.
   * @param {string} path
   */
  async timedGet(path) {
    const headers = this.headers();
    const start = performance.now();
    const res = await fetch(this.base + path, {
      headers,
      redirect: "manual",
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const body = await res.arrayBuffer();
    const ms = performance.now() - start;
    this.remember(res);
    if (res.status !== 200) {
      throw new Error(`GET ${path} answered ${res.status}: ${new TextDecoder().decode(body).slice(0, 1_000)}`);
    }
    return { ms, bytes: body.byteLength, contentType: res.headers.get("Content-Type") ?? "" };
  }
}

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

/** Nearest-rank percentile of an ascending array. @param {number[]} sorted @param {number} p */
function percentile(sorted, p) {
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)];
}

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

const round = (/** @type {number} */ x, digits = 2) => Number(x.toFixed(digits));

// ---------------------------------------------------------------------------------------
// Main

async function main() {
  const options = parseOptions();
  const t0 = performance.now();
  const base = options.url ?? (await startServer());
  const client = new Client(base);
  const startedOwnServer = !options.url;

  // 1. A throwaway account, through the real sign-up form.
  const username = `bench_${process.pid}_${randomBytes(3).toString("hex")}`.slice(0, 32);
  const password = `bench-${randomBytes(12).toString("hex")}`;
  log(`signing up ${username}`);
  await client.submit("/signup", { username, password, confirmPassword: password }, /^\/home$/);
  if (!client.cookies.has("__session")) throw new Error("sign-up did not set a __session cookie");

  try {
    // 2. Two campaigns through the real form: one stays empty.
    const createCampaign = async (/** @type {string} */ name) =>
      (await client.submit("/campaigns/new", { intent: "save", name, status: "active" }, /^\/campaigns\/([^/]+)$/))[1];
    const fullId = await createCampaign("Benchmark: The Drowned Lantern");
    const emptyId = await createCampaign("Benchmark: Empty campaign");

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

    // 4. Measure. Each round runs every variant once, sequentially; the full/empty order
    //    flips every round so neither always follows the other.
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

    log(`measuring (${options.requests} requests per variant, interleaved, one at a time)`);
    const tMeasure = performance.now();
    for (let round = 0; round < options.requests; round++) {
      for (const v of round % 2 ? orderB : orderA) {
        const r = await client.timedGet(variants[v].path);
        samples[v].push(r.ms);
        sizes[v] = r.bytes;
      }
    }
    const measureSeconds = (performance.now() - tMeasure) / 1_000;

    const rows = variants.map((v, i) => ({
      request: v.request,
      campaign: v.campaign,
      path: v.path,
      bytes: sizes[i],
      ...summarise(samples[i]),
    }));
    const ratios = ["document", ".data"].map((request) => {
      const full = rows.find((r) => r.request === request && r.campaign === "full");
      const empty = rows.find((r) => r.request === request && r.campaign === "empty");
      if (!full || !empty) throw new Error("unreachable");
      return { request, p50: full.p50 / empty.p50, p95: full.p95 / empty.p95, mean: full.mean / empty.mean };
    });

    const result = {
      benchmark: "campaign-overview",
      note: "Wall-clock times on loopback from a client on the same machine (server time + loopback), sequential requests, measured in the same run.",
      date: new Date().toISOString(),
      node: process.version,
      server: startedOwnServer ? "vite preview (built app, workerd), fresh local state" : base,
      full: { entries: options.entries, characters: options.characters },
      requestsPerVariant: options.requests,
      warmupPerVariant: WARMUP,
      seedSeconds: round(seedSeconds, 1),
      measureSeconds: round(measureSeconds, 1),
      rows: rows.map((r) => ({
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
        p50: round(r.p50),
        p95: round(r.p95),
        mean: round(r.mean),
      })),
      totalSeconds: 0,
    };

    result.totalSeconds = round((performance.now() - t0) / 1_000, 1);
    if (options.json) console.log(JSON.stringify(result));
    else printTable(result);
  } finally {
    // On someone else's server the account goes away, and its campaigns with it (cascade).
    // Our own server's state folder is removed whole in run().
    if (!startedOwnServer) {
      log(`deleting the throwaway account ${username}`);
      await client
        .submit("/settings", { intent: "delete-account", password, confirmUsername: username }, /^\/$/)
        .catch((error) => log(`could not delete the throwaway account ${username}: ${error.message}`));
    }
  }
}

/** @param {any} result */
function printTable(result) {
  const label = `${result.full.entries} entries + ${result.full.characters} characters`;
  const header = ["request", "campaign", "n", "p50 ms", "p95 ms", "mean ms", "size KB"];
  const body = result.rows.map((/** @type {any} */ r) => [
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
    cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
  const out = [
    "",
    `Campaign overview benchmark — ${result.date}, Node ${result.node}`,
    `Server: ${result.server}`,
    `${result.requestsPerVariant} requests per variant after ${result.warmupPerVariant} warm-up requests; the four variants interleaved, one request at a time.`,
    "Times are wall-clock on loopback from a client on the same machine (server time + loopback),",
    "from request start to the last body byte, all measured in the same run.",
    "",
    line(header),
    line(widths.map((w) => "-".repeat(w))),
    ...body.map(line),
    "",
    ...result.ratios.map(
      (/** @type {any} */ r) =>
        `full/empty ${r.request.padEnd(8)}  p50 ×${r.p50.toFixed(2)}   p95 ×${r.p95.toFixed(2)}   mean ×${r.mean.toFixed(2)}`,
    ),
    "",
    `Seeding took ${result.seedSeconds} s, measuring ${result.measureSeconds} s; the whole run ${result.totalSeconds} s.`,
    "",
  ];
  console.log(out.join("\n"));
}

async function run() {
  /** Set once the run is being aborted (signal or overall timeout): its exit code wins. */
  let abortCode = 0;
  /** @param {number} code @param {string} why */
  const abort = (code, why) => {
    if (abortCode) return;
    abortCode = code;
    log(why);
    void stopServer().finally(() => process.exit(code));
  };
  const overall = setTimeout(
    () => abort(1, `gave up after ${OVERALL_TIMEOUT_MS / 60_000} minutes`),
    OVERALL_TIMEOUT_MS,
  );
  overall.unref();
  process.once("SIGINT", () => abort(130, "SIGINT: stopping"));
  process.once("SIGTERM", () => abort(143, "SIGTERM: stopping"));
  process.on("exit", stopServerSync);

  let code = 0;
  try {
    await main();
  } catch (error) {
    code = 1;
    // Once aborting, requests fail because the server is going away: not worth reporting.
    if (!abortCode) log(`failed: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    await stopServer();
    clearTimeout(overall);
  }
  process.exit(abortCode || code);
}

await run();
