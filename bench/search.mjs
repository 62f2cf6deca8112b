#!/usr/bin/env node
// Benchmark: search latency as data grows, in two directions. The measured user's own
// library grows (1×, then 10× the SRD) and other users' libraries grow (50 other users
// holding 1× each), which must not slow this user down: a shared index that matches
// everyone's chunks and filters afterwards would grow with the whole tenant base. Each
// phase times GET /api/search for the 74 questions of bench/qa/srd5.json, and in the same
// run the raw FTS5 query over the same D1 database, without any scoping, in a minimal
// Worker (Miniflare, the same workerd) that opens the app's persisted D1 file. See
// bench/README.md.
//
//   npm run build && node bench/search.mjs [--copies 10] [--others 50] [--queries 74]
//       [--rounds 3] [--json] [--url <base> [--state-dir <dir>]]
//
// Dependency-free: Node 20 built-ins plus `miniflare` (already installed with wrangler).
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { setTimeout as wait } from "node:timers/promises";
import { parseArgs } from "node:util";
import { Client, intOption, log, PreviewServer, percentile, REQUEST_TIMEOUT_MS, ROOT, round, run } from "./lib.mjs";

const SRD_DIR = resolve(ROOT, "../shared/corpus/srd5");
const QA_FILE = join(ROOT, "bench/qa/srd5.json");
const OVERALL_TIMEOUT_MS = 60 * 60_000;
const READY_TIMEOUT_MS = 45 * 60_000;
const POLL_MS = 500;
const PROGRESS_EVERY_MS = 15_000;
const WARM_UP_QUERIES = 5;
/** Other users signed up and ingesting at the same time (each has its own Durable Object). */
const USERS_AT_A_TIME = 4;
const K = 10;

const USAGE =
  "Usage: node bench/search.mjs [--copies 10] [--others 50] [--queries 74] [--rounds 3] [--json]\n" +
  "                             [--url <base> [--state-dir <dir>]]\n" +
  "  --copies <n>       copies of the SRD the measured user holds in phase C (default 10; 1 skips phase C)\n" +
  "  --others <n>       other users holding 1× the SRD each from phase B on (default 50; 0 skips phase B)\n" +
  "  --queries <n>      the first n questions of bench/qa/srd5.json (default: all 74)\n" +
  "  --rounds <n>       timed rounds over the queries per phase, after 5 warm-up queries (default 3)\n" +
  "  --json             print one JSON object instead of the tables\n" +
  "  --url <base>       use a running app (its throwaway accounts are deleted at the end)\n" +
  "  --state-dir <dir>  with --url: that server's local state folder (--persist-to), for the raw FTS5 baseline";

const { values: options } = parseArgs({
  options: {
    copies: { type: "string", default: "10" },
    others: { type: "string", default: "50" },
    queries: { type: "string" },
    rounds: { type: "string", default: "3" },
    json: { type: "boolean", default: false },
    url: { type: "string" },
    "state-dir": { type: "string" },
    help: { type: "boolean", default: false },
  },
});
if (options.help) {
  console.log(USAGE);
  process.exit(0);
}

/** @type {{ q: string }[]} */
const QA = JSON.parse(readFileSync(QA_FILE, "utf8"));
let COPIES = 10;
let OTHERS = 50;
let QUERIES = QA.length;
let ROUNDS = 3;
try {
  COPIES = intOption("copies", options.copies, 1);
  OTHERS = intOption("others", options.others, 0);
  QUERIES = options.queries === undefined ? QA.length : intOption("queries", options.queries, 1);
  if (QUERIES > QA.length) throw new Error(`--queries must be at most ${QA.length} (the questions in ${QA_FILE})`);
  ROUNDS = intOption("rounds", options.rounds, 1);
  if (options["state-dir"] && !options.url) {
    throw new Error("--state-dir is only for --url (without it the run starts its own server on a fresh folder)");
  }
} catch (error) {
  console.error(`${error instanceof Error ? error.message : error}\n${USAGE}`);
  process.exit(2);
}
const QUESTIONS = QA.slice(0, QUERIES).map((item) => item.q);
const othersLabel = `${OTHERS} other${OTHERS === 1 ? "" : "s"} × 1×`;

// ---------------------------------------------------------------------------------------
// The app's query, ported from app/server/search/query.server.ts (keep in step with it)

const STOPWORDS = new Set(
  (
    "a an and are as at be but by can could did do does for from had has have how i if in into is it its " +
    "me my of on or our she he should so than that the their them then there these they this those to " +
    "was we were what when where which who whom why will with would you your about any all also"
  ).split(" "),
);
const MAX_TERMS = 16;

/** queryTerms(): lower-cased words without stopwords and duplicates, at most 16. */
function queryTerms(/** @type {string} */ query) {
  const words = (
    query
      .toLowerCase()
      .normalize("NFKC")
      .match(/[\p{L}\p{N}]+(?:['’][\p{L}]+)?/gu) ?? []
  ).map((w) => w.replace(/['’]s$/u, "").replace(/['’]/gu, ""));
  const meaningful = words.filter((word) => !STOPWORDS.has(word) && word.length > 1);
  return [...new Set(meaningful.length ? meaningful : words)].slice(0, MAX_TERMS);
}

/** ftsAnyTerm(terms, ["chunk_text"]): the terms part of the app's MATCH expression. */
function termsExpression(/** @type {string} */ query) {
  const quoted = queryTerms(query).map((term) => `"${term.replaceAll('"', '""')}"`);
  return `{chunk_text} : (${quoted.join(" OR ")})`;
}

/** ownerToken(): the token the generated column `file_chunks.owner_token` carries. */
function ownerToken(/** @type {string} */ username) {
  const hex = [...new TextEncoder().encode(username)].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `u${hex}0`;
}

// ---------------------------------------------------------------------------------------
// Data: copies of the SRD's 17 Markdown files

/** @typedef {{ name: string, bytes: Buffer }} SrdFile */

function srdFiles() {
  const names = readdirSync(SRD_DIR)
    .filter((name) => name.endsWith(".md"))
    .sort();
  if (names.length !== 17) log(`note: ${names.length} Markdown files in ${SRD_DIR}, expected 17`);
  if (names.length === 0) throw new Error(`no Markdown files in ${SRD_DIR}`);
  return names.map((name) => ({ name, bytes: readFileSync(join(SRD_DIR, name)) }));
}

/**
 * Copy n of the SRD: copy 1 is the files as they are; copy n > 1 has its own names (same
 * name = a new version of the file) and its own bytes (identical bytes are refused).
 * @param {SrdFile[]} files @param {number} n @returns {SrdFile[]}
 */
function srdCopy(files, n) {
  if (n === 1) return files;
  return files.map((file) => ({
    name: `copy${n}-${file.name}`,
    bytes: Buffer.concat([file.bytes, Buffer.from(`\n\n<!-- copy ${n} -->\n`)]),
  }));
}

// ---------------------------------------------------------------------------------------
// Users: sign-up, uploads, waiting until everything is searchable

/**
 * @typedef {{ label: string, client: Client, account: { username: string, password: string },
 *   fileKeys: string[], chunks: number }} User
 */

/** Every account this run created (deleted at the end with --url). @type {User[]} */
const users = [];

/** @param {string} base @param {string} label @returns {Promise<User>} */
async function newUser(base, label) {
  const client = new Client(base);
  const account = await client.signUp();
  /** @type {User} */
  const user = { label, client, account, fileKeys: [], chunks: 0 };
  users.push(user);
  return user;
}

/** Uploads one copy of an SRD file; a new version of a name is fine here (200). */
function upload(/** @type {Client} */ client, /** @type {SrdFile} */ file) {
  return client.uploadFile(file.name, file.bytes, [201, 200]);
}

/**
 * Polls the user's /api/jobs until every one of their files is ready; sets user.chunks to
 * the sum of chunksTotal over their files. A failed or cancelled file stops the run.
 * @param {User} user @param {boolean} verbose log progress every 15 s
 */
async function waitUntilReady(user, verbose) {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let lastProgress = Date.now();
  for (;;) {
    /** @type {{ jobs: { fileKey: string, version: number, fileName: string, status: string, chunksTotal: number, error: string | null }[] }} */
    const { jobs } = await user.client.getJson("/api/jobs");
    /** @type {Map<string, (typeof jobs)[number]>} the newest version's job of each file */
    const mine = new Map();
    for (const job of jobs) {
      if (!user.fileKeys.includes(job.fileKey)) continue;
      const seen = mine.get(job.fileKey);
      if (!seen || job.version > seen.version) mine.set(job.fileKey, job);
    }
    const broken = [...mine.values()].find((job) => job.status === "failed" || job.status === "cancelled");
    if (broken) throw new Error(`${user.label}: ${broken.fileName} ${broken.status}: ${broken.error ?? "no reason"}`);
    const ready = [...mine.values()].filter((job) => job.status === "ready");
    const chunks = ready.reduce((n, job) => n + job.chunksTotal, 0);
    if (ready.length === user.fileKeys.length) {
      user.chunks = chunks;
      return;
    }
    if (Date.now() > deadline) {
      throw new Error(`${user.label}: ${ready.length}/${user.fileKeys.length} files ready after the time limit`);
    }
    if (verbose && Date.now() - lastProgress > PROGRESS_EVERY_MS) {
      lastProgress = Date.now();
      log(`${user.label}: ${ready.length}/${user.fileKeys.length} files ready, ${chunks} chunks so far`);
    }
    // Not lib's sleep(): its timer is unref'd and must keep this process alive here.
    await wait(POLL_MS);
  }
}

/** Uploads the given copies of the SRD for the user, then waits until all their files are ready. */
async function ingest(
  /** @type {User} */ user,
  /** @type {SrdFile[]} */ srd,
  /** @type {number[]} */ copies,
  verbose = false,
) {
  for (const n of copies) {
    for (const file of srdCopy(srd, n)) user.fileKeys.push(await upload(user.client, file));
  }
  if (verbose) log(`${user.label}: uploaded ${copies.length * srd.length} files; waiting until they are ready`);
  await waitUntilReady(user, verbose);
}

/** Signs up `count` other users and gives each 1× the SRD, USERS_AT_A_TIME at a time. */
async function addOthers(/** @type {string} */ base, /** @type {SrdFile[]} */ srd, /** @type {number} */ count) {
  /** @type {User[]} */
  const others = [];
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = ++next;
      const user = await newUser(base, `other user ${i}`);
      others.push(user);
      await ingest(user, srd, [1]);
      const total = others.reduce((n, u) => n + u.chunks, 0);
      log(
        `${user.label} ready (${user.chunks} chunks); ${others.filter((u) => u.chunks).length}/${count} ready, ${total} chunks`,
      );
    }
  };
  await Promise.all(Array.from({ length: Math.min(USERS_AT_A_TIME, count) }, worker));
  return others;
}

// ---------------------------------------------------------------------------------------
// The raw baseline: a minimal Worker on the app's persisted D1 database

const RAW_WORKER = `
const TOP = "SELECT rowid FROM file_chunks_fts WHERE file_chunks_fts MATCH ?1 ORDER BY rank LIMIT 10";
const COUNT = "SELECT count(*) AS n FROM file_chunks_fts WHERE file_chunks_fts MATCH ?1";
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    try {
      if (url.pathname === "/top") {
        const { results } = await env.DB.prepare(TOP).bind(url.searchParams.get("match")).all();
        return Response.json({ rows: results.length });
      }
      if (url.pathname === "/count") {
        const row = await env.DB.prepare(COUNT).bind(url.searchParams.get("match")).first();
        return Response.json({ matches: row.n });
      }
      if (url.pathname === "/chunks") {
        const { results } = await env.DB.prepare(
          "SELECT username, count(*) AS chunks FROM file_chunks GROUP BY username",
        ).all();
        return Response.json({ byUser: results });
      }
      return new Response("not found", { status: 404 });
    } catch (error) {
      return Response.json({ error: String(error) }, { status: 500 });
    }
  },
};
`;

/** @type {any} the raw Worker's Miniflare while a phase is measured */
let rawMiniflare = null;

/** @param {string} stateDir @returns {Promise<string>} the raw Worker's base URL */
async function startRawWorker(stateDir) {
  const { Miniflare } = await import("miniflare");
  // Same compatibility settings and D1 database as the app's Worker (from our copy of the
  // build: build/ may be rebuilt by someone else meanwhile).
  const built = server.previewRoot ? join(server.previewRoot, "build/server") : join(ROOT, "build/server");
  const config = JSON.parse(readFileSync(join(built, "wrangler.json"), "utf8"));
  const databaseId = config.d1_databases?.find((/** @type {any} */ d) => d.binding === "DB")?.database_id;
  if (!databaseId) throw new Error(`${built}/wrangler.json has no D1 database bound as DB`);
  const persist = join(stateDir, "v3", "d1");
  if (!existsSync(persist)) throw new Error(`${persist} does not exist: is ${stateDir} the app's state folder?`);
  rawMiniflare = new Miniflare({
    modules: [{ type: "ESModule", path: join(ROOT, "bench/raw-search-worker.mjs"), contents: RAW_WORKER }],
    compatibilityDate: config.compatibility_date,
    compatibilityFlags: config.compatibility_flags,
    d1Databases: { DB: databaseId },
    d1Persist: persist,
    host: "127.0.0.1",
    port: 0,
  });
  return (await rawMiniflare.ready).origin;
}

async function stopRawWorker() {
  const mf = rawMiniflare;
  rawMiniflare = null;
  await mf?.dispose();
}

/** GET a raw Worker path; returns its JSON (untimed). */
async function rawJson(/** @type {string} */ base, /** @type {string} */ path) {
  const res = await fetch(base + path, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  const body = await res.json();
  if (res.status !== 200) throw new Error(`raw Worker ${path} answered ${res.status}: ${JSON.stringify(body)}`);
  return body;
}

/** One timed raw FTS5 query: wall time from the client, send to last byte. */
async function timedRaw(/** @type {string} */ base, /** @type {string} */ match) {
  const path = `/top?match=${encodeURIComponent(match)}`;
  const start = performance.now();
  const res = await fetch(base + path, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  const text = await res.text();
  const ms = performance.now() - start;
  if (res.status !== 200) throw new Error(`raw Worker ${path} answered ${res.status}: ${text.slice(0, 500)}`);
  return ms;
}

// ---------------------------------------------------------------------------------------
// Measuring one phase

/** One timed GET /api/search: wall time from the client, send to last byte. */
async function timedSearch(/** @type {Client} */ client, /** @type {string} */ q) {
  const path = `/api/search?q=${encodeURIComponent(q)}&k=${K}`;
  const { ms, text } = await client.timedGet(path);
  const body = JSON.parse(text);
  return { ms, tookMs: Number(body.tookMs), results: Array.isArray(body.results) ? body.results.length : 0 };
}

/** p50, p95 (nearest rank) and mean in ms. @param {number[]} samples */
function stats(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    p50: round(percentile(sorted, 50), 2),
    p95: round(percentile(sorted, 95), 2),
    mean: round(sorted.reduce((s, x) => s + x, 0) / sorted.length, 2),
    n: sorted.length,
  };
}

const mean = (/** @type {number[]} */ xs) => (xs.length ? xs.reduce((s, x) => s + x, 0) / xs.length : 0);

/**
 * Checks that the raw Worker reads the app's rows: its chunk count for each of our users
 * must equal what /api/jobs reports. Returns the database's chunk total (all users).
 * @param {string} base @param {User[]} involved
 */
async function verifyRawSeesAppRows(base, involved) {
  /** @type {{ byUser: { username: string, chunks: number }[] }} */
  const { byUser } = await rawJson(base, "/chunks");
  const counts = new Map(byUser.map((row) => [row.username, row.chunks]));
  const wrong = involved.filter((user) => (counts.get(user.account.username) ?? 0) !== user.chunks);
  if (wrong.length) {
    throw new Error(
      "the raw Worker does not see the app's D1 rows: " +
        wrong
          .slice(0, 5)
          .map(
            (u) =>
              `${u.account.username}: ${counts.get(u.account.username) ?? 0} in file_chunks, ${u.chunks} in /api/jobs`,
          )
          .join("; "),
    );
  }
  return byUser.reduce((n, row) => n + row.chunks, 0);
}

/**
 * Times the app and the raw FTS5 query on every question, ROUNDS times, after warm-up.
 * App and raw alternate query by query, the order flipping every round, so that noise on
 * the machine hits both alike.
 * @param {{ id: string, label: string }} phase @param {User} me @param {User[]} others
 * @param {string | null} stateDir where the app's D1 lives, or null (no raw baseline)
 */
async function measurePhase(phase, me, others, stateDir) {
  const ourChunks = me.chunks + others.reduce((n, u) => n + u.chunks, 0);
  let allChunks = ourChunks;
  /** @type {string | null} */
  let rawBase = null;
  /** @type {{ all: number, mine: number } | null} mean matching rows per query */
  let matches = null;
  const matchAll = QUESTIONS.map(termsExpression);
  // The app's own MATCH expression (owner token AND terms), in the same bare statement.
  const matchMine = matchAll.map((match) => `owner_token : ("${ownerToken(me.account.username)}") AND ${match}`);
  if (stateDir) {
    rawBase = await startRawWorker(stateDir);
    allChunks = await verifyRawSeesAppRows(rawBase, [me, ...others]);
    log(`${phase.id}: the raw Worker sees the app's D1 (${allChunks} chunks in file_chunks, as /api/jobs reports)`);
    const all = [];
    const mine = [];
    for (let i = 0; i < QUESTIONS.length; i++) {
      all.push((await rawJson(rawBase, `/count?match=${encodeURIComponent(matchAll[i])}`)).matches);
      mine.push((await rawJson(rawBase, `/count?match=${encodeURIComponent(matchMine[i])}`)).matches);
    }
    matches = { all: round(mean(all), 1), mine: round(mean(mine), 1) };
  }

  log(
    `${phase.id}: measuring ${QUESTIONS.length} queries × ${ROUNDS} rounds (${me.chunks} chunks of this user, ${allChunks} in all)`,
  );
  for (let i = 0; i < Math.min(WARM_UP_QUERIES, QUESTIONS.length); i++) {
    await timedSearch(me.client, QUESTIONS[i]);
    if (rawBase) await timedRaw(rawBase, matchAll[i]);
    if (rawBase) await timedRaw(rawBase, matchMine[i]);
  }
  /** @type {number[]} */ const app = [];
  /** @type {number[]} */ const took = [];
  /** @type {number[]} */ const raw = [];
  /** @type {number[]} */ const scoped = [];
  let empty = 0;
  for (let r = 0; r < ROUNDS; r++) {
    const roundStart = performance.now();
    for (let i = 0; i < QUESTIONS.length; i++) {
      const timeApp = async () => {
        const answer = await timedSearch(me.client, QUESTIONS[i]);
        app.push(answer.ms);
        took.push(answer.tookMs);
        if (answer.results === 0) empty++;
      };
      const timeRaw = async () => {
        if (rawBase) raw.push(await timedRaw(rawBase, matchAll[i]));
      };
      const timeScoped = async () => {
        if (rawBase) scoped.push(await timedRaw(rawBase, matchMine[i]));
      };
      const order = r % 2 === 0 ? [timeApp, timeRaw, timeScoped] : [timeScoped, timeRaw, timeApp];
      for (const time of order) await time();
    }
    log(
      `${phase.id}: round ${r + 1}/${ROUNDS} took ${round((performance.now() - roundStart) / 1000, 1)} s (app median so far ${round(
        percentile(
          [...app].sort((a, b) => a - b),
          50,
        ),
        1,
      )} ms)`,
    );
  }
  if (empty) log(`${phase.id}: note: ${empty} of ${app.length} searches returned no results`);
  await stopRawWorker();

  const appStats = stats(app);
  const rawStats = raw.length ? stats(raw) : null;
  return {
    phase: phase.id,
    label: phase.label,
    users: 1 + others.length,
    userChunks: me.chunks,
    allChunks,
    app: appStats,
    appInWorker: stats(took),
    rawFts5: rawStats,
    rawFts5Scoped: scoped.length ? stats(scoped) : null,
    appToRaw: rawStats
      ? { p50: round(appStats.p50 / rawStats.p50, 1), p95: round(appStats.p95 / rawStats.p95, 1) }
      : null,
    meanMatchingRows: matches,
    emptyResults: empty,
    loadAverage: round(loadavg()[0], 2),
  };
}

// ---------------------------------------------------------------------------------------

const server = new PreviewServer();

async function main() {
  const started = performance.now();
  const srd = srdFiles();
  const srdBytes = srd.reduce((n, file) => n + file.bytes.length, 0);
  log(
    `${QUESTIONS.length} queries × ${ROUNDS} rounds; the SRD: ${srd.length} files, ${round(srdBytes / 1024 / 1024, 2)} MB; ` +
      `phases A (1×), B (+${othersLabel}), C (${COPIES}×)`,
  );

  /** @type {string | null} */
  let stateDir = null;
  let base;
  if (options.url) {
    base = options.url.replace(/\/+$/, "");
    stateDir = options["state-dir"] ? resolve(options["state-dir"]) : null;
    if (!stateDir) log("--url without --state-dir: the raw FTS5 baseline needs the app's D1 file and is skipped");
  } else {
    // From a copy of the build (no var changed): build/ may be rebuilt by someone else meanwhile.
    base = await server.start({ vars: {} });
    stateDir = server.stateDir;
  }

  /** @type {Record<string, number>} seconds spent getting each phase's data ready */
  const ingestSeconds = {};
  const phases = [];
  try {
    const me = await newUser(base, "measured user");
    let t = performance.now();
    log("phase A: the measured user uploads 1× the SRD");
    await ingest(me, srd, [1], true);
    ingestSeconds.A = round((performance.now() - t) / 1000, 1);
    log(`phase A: ready in ${ingestSeconds.A} s: ${me.chunks} chunks`);
    phases.push(await measurePhase({ id: "A", label: "user 1×, no others" }, me, [], stateDir));

    /** @type {User[]} */
    let others = [];
    if (OTHERS > 0) {
      t = performance.now();
      log(`phase B: ${OTHERS} other users upload 1× the SRD each, ${USERS_AT_A_TIME} at a time`);
      others = await addOthers(base, srd, OTHERS);
      ingestSeconds.B = round((performance.now() - t) / 1000, 1);
      log(`phase B: ready in ${ingestSeconds.B} s: ${others.reduce((n, u) => n + u.chunks, 0)} chunks of others`);
      phases.push(await measurePhase({ id: "B", label: `user 1×, ${othersLabel}` }, me, others, stateDir));
    } else log("--others 0: phase B skipped");

    if (COPIES > 1) {
      t = performance.now();
      log(`phase C: the measured user uploads ${COPIES - 1} more copies of the SRD`);
      await ingest(
        me,
        srd,
        Array.from({ length: COPIES - 1 }, (_, i) => i + 2),
        true,
      );
      ingestSeconds.C = round((performance.now() - t) / 1000, 1);
      log(`phase C: ready in ${ingestSeconds.C} s: ${me.chunks} chunks`);
      phases.push(await measurePhase({ id: "C", label: `user ${COPIES}×, ${othersLabel}` }, me, others, stateDir));
    } else log("--copies 1: phase C skipped");
  } finally {
    await stopRawWorker().catch(() => {});
    if (options.url) {
      for (let i = 0; i < users.length; i += USERS_AT_A_TIME) {
        await Promise.all(users.slice(i, i + USERS_AT_A_TIME).map((u) => u.client.deleteAccount(u.account)));
      }
    }
  }

  const byId = Object.fromEntries(phases.map((p) => [p.phase, p]));
  /** @param {string} id @param {"app" | "rawFts5" | "rawFts5Scoped"} key */
  const growth = (id, key) => {
    const a = byId.A?.[key];
    const x = byId[id]?.[key];
    return a && x ? { p50: round(x.p50 / a.p50, 2), p95: round(x.p95 / a.p95, 2) } : null;
  };
  const totalSeconds = round((performance.now() - started) / 1000, 1);
  const result = {
    options: {
      copies: COPIES,
      others: OTHERS,
      queries: QUESTIONS.length,
      rounds: ROUNDS,
      k: K,
      warmUp: WARM_UP_QUERIES,
    },
    baseline: stateDir
      ? "raw FTS5: SELECT rowid FROM file_chunks_fts WHERE file_chunks_fts MATCH ? ORDER BY rank LIMIT 10, the app's terms without owner scoping, in a minimal Worker (Miniflare) on the app's persisted D1 file"
      : null,
    phases,
    growth: {
      app: { BoverA: growth("B", "app"), CoverA: growth("C", "app") },
      rawFts5: { BoverA: growth("B", "rawFts5"), CoverA: growth("C", "rawFts5") },
      rawFts5Scoped: { BoverA: growth("B", "rawFts5Scoped"), CoverA: growth("C", "rawFts5Scoped") },
    },
    ingestSeconds,
    totalSeconds,
  };
  log(`done in ${round(totalSeconds / 60, 1)} minutes`);
  if (options.json) {
    console.log(JSON.stringify(result, null, 2));
    return;
  }
  printTables(result);
}

/** @param {any} result */
function printTables(result) {
  const dash = (/** @type {unknown} */ x) => (x === null || x === undefined ? "—" : String(x));
  console.log(
    `Search latency, ${result.options.queries} queries × ${result.options.rounds} rounds per phase (after ${result.options.warmUp} warm-up), k=${result.options.k}; ms, wall time from the client`,
  );
  console.log();
  console.log(
    "| phase | user chunks | all users' chunks | app p50 | app p95 | raw FTS5 p50 | raw FTS5 p95 | app/raw p50 | app/raw p95 |",
  );
  console.log("|---|---|---|---|---|---|---|---|---|");
  for (const p of result.phases) {
    console.log(
      `| ${p.phase}: ${p.label} | ${p.userChunks} | ${p.allChunks} | ${p.app.p50} | ${p.app.p95} | ${dash(p.rawFts5?.p50)} | ${dash(p.rawFts5?.p95)} | ${dash(p.appToRaw?.p50)} | ${dash(p.appToRaw?.p95)} |`,
    );
  }
  console.log();
  const g = (/** @type {any} */ x) => (x ? `p50 ${x.p50}×, p95 ${x.p95}×` : "—");
  console.log(
    `Growth of the app's latency: B/A ${g(result.growth.app.BoverA)} (other users' data: should stay near 1); C/A ${g(result.growth.app.CoverA)} (own library ×${result.options.copies}).`,
  );
  console.log(
    `Growth of the raw FTS5 query (one shared, unscoped index): B/A ${g(result.growth.rawFts5.BoverA)}; C/A ${g(result.growth.rawFts5.CoverA)}.`,
  );
  console.log(
    `Growth of the same statement scoped by the owner token: B/A ${g(result.growth.rawFts5Scoped.BoverA)}; C/A ${g(result.growth.rawFts5Scoped.CoverA)}.`,
  );
  console.log();
  console.log(
    "| phase | users | app mean | app in-Worker p50 | app in-Worker p95 | raw FTS5 mean | scoped FTS5 p50 | scoped FTS5 p95 | matching rows/query, all users | matching rows/query, this user | load avg |",
  );
  console.log("|---|---|---|---|---|---|---|---|---|---|---|");
  for (const p of result.phases) {
    console.log(
      `| ${p.phase} | ${p.users} | ${p.app.mean} | ${p.appInWorker.p50} | ${p.appInWorker.p95} | ${dash(p.rawFts5?.mean)} | ${dash(p.rawFts5Scoped?.p50)} | ${dash(p.rawFts5Scoped?.p95)} | ${dash(p.meanMatchingRows?.all)} | ${dash(p.meanMatchingRows?.mine)} | ${p.loadAverage} |`,
    );
  }
  console.log();
  console.log(
    "app: GET /api/search?q=&k=10 through vite preview (the whole search: owner-scoped FTS5, the local vector scan, fusion). " +
      "in-Worker: the response's tookMs. " +
      (result.baseline
        ? `${result.baseline}; one HTTP request per query. scoped FTS5: the same statement with the app's MATCH (owner token AND terms). ` +
          "Matching rows: count(*) of the unscoped MATCH, and with the measured user's owner token."
        : "raw and scoped FTS5: skipped (--url without --state-dir)."),
  );
  const ingest = Object.entries(result.ingestSeconds)
    .map(([id, s]) => `${id} ${s} s`)
    .join(", ");
  console.log(
    `Ingestion before each phase: ${ingest}. Total run time: ${round(result.totalSeconds / 60, 1)} min (${result.totalSeconds} s).`,
  );
}

await run(main, {
  timeoutMs: OVERALL_TIMEOUT_MS,
  stop: async () => {
    await stopRawWorker().catch(() => {});
    await server.stop();
  },
  stopSync: () => server.stopSync(),
});
