#!/usr/bin/env node
// Benchmark: search latency through the server `npm start` runs (scripts/serve.mjs,
// workerd), as data grows in two directions: the measured user's own library (1×, then
// 10× the SRD) and other users' libraries (50 other users holding 1× each), which must
// not slow this user down. Per phase it times GET /api/search for the questions of
// bench/qa/srd5.json, in full and as typed (prefix=1, the last word cut mid-way), beside
// the time inside the Worker (tookMs, the `timings` breakdown) and, in the same run and
// interleaved query by query, two baselines: the serving path alone (a static asset, a
// signed-in cheap JSON route) and one bare FTS5 query on a copy of the user's passages in
// a minimal Worker's SQLite Durable Object. See bench/README.md.
//
//   npm run build && node bench/search.mjs [--copies 10] [--others 50] [--queries 74]
//       [--rounds 3] [--json] [--url <base>]
//
// Dependency-free: Node 20 built-ins plus `miniflare` (already installed with wrangler).
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { setTimeout as wait } from "node:timers/promises";
import { parseArgs } from "node:util";
import {
  Client,
  cpuSecondsOf,
  findWorkerd,
  intOption,
  log,
  PreviewServer,
  percentile,
  REQUEST_TIMEOUT_MS,
  ROOT,
  round,
  run,
} from "./lib.mjs";

const SRD_DIR = resolve(ROOT, "../shared/corpus/srd5");
const QA_FILE = join(ROOT, "bench/qa/srd5.json");
const OVERALL_TIMEOUT_MS = 120 * 60_000;
const READY_TIMEOUT_MS = 60 * 60_000;
const POLL_MS = 500;
const PROGRESS_EVERY_MS = 15_000;
const WARM_UP_QUERIES = 5;
/** Other users signed up and ingesting at the same time (each has its own Durable Object). */
const USERS_AT_A_TIME = 4;
const K = 10;
/** A request answered 429 (only with --url: our own server's limits are raised) waits and is sent again. */
const RATE_LIMIT_RETRIES = 20;
/** The static asset of the serving baseline (build/client, served by workerd's asset service). */
const STATIC_ASSET = "/favicon.svg";
/** The signed-in JSON route of the serving baseline (asked by an account without files: constant work). */
const SIGNED_IN_ROUTE = "/api/jobs";
/**
 * Rate limits of the app's copy of the build (never of wrangler.toml): this benchmark sends
 * hundreds of searches a minute for one account and uploads 153 files for it in phase C,
 * against 30 searches / 10 s and 60 uploads a minute in production. The limiter is still
 * called on every request (the same code path); only the number differs.
 */
const RAISED_LIMITS = ["SEARCH_LIMITER", "UPLOAD_LIMITER"];
/** Targets of issue 12 (p95 of GET /api/search over HTTP, ms; growth with 50 other users). */
const TARGETS = { p95A: 25, p95C: 40, growthB: 1.2 };

const USAGE =
  "Usage: node bench/search.mjs [--copies 10] [--others 50] [--queries 74] [--rounds 3] [--json] [--url <base>]\n" +
  "  --copies <n>    copies of the SRD the measured user holds in phase C (default 10; 1 skips phase C)\n" +
  "  --others <n>    other users holding 1× the SRD each from phase B on (default 50; 0 skips phase B)\n" +
  "  --queries <n>   the first n questions of bench/qa/srd5.json (default: all 74)\n" +
  "  --rounds <n>    timed rounds over the queries per phase, after 5 warm-up queries (default 3)\n" +
  "  --json          print one JSON object instead of the tables\n" +
  "  --url <base>    use a running app (its throwaway accounts are deleted at the end)";

const { values: options } = parseArgs({
  options: {
    copies: { type: "string", default: "10" },
    others: { type: "string", default: "50" },
    queries: { type: "string" },
    rounds: { type: "string", default: "3" },
    json: { type: "boolean", default: false },
    url: { type: "string" },
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
} catch (error) {
  console.error(`${error instanceof Error ? error.message : error}\n${USAGE}`);
  process.exit(2);
}
const othersLabel = `${OTHERS} other${OTHERS === 1 ? "" : "s"} × 1×`;

// ---------------------------------------------------------------------------------------
// The app's search terms, ported from app/server/search/query.server.ts (queryTerms): keep
// in step with it. Only the typed form of a question needs them; the FTS5 expressions the
// app runs come from the app itself (GET /api/search?explain=1).

const STOPWORDS = new Set(
  (
    "a about above after again against all also am an and any are as at be because been before being below " +
    "between both but by can could did do does doing down during each few for from further had has have " +
    "having he her here hers herself him himself his how i if in into is it its itself just me more most my " +
    "myself no nor not now of off on once only or other our ours ourselves out over own same she should so " +
    "some such than that the their theirs them themselves then there these they this those through to too " +
    "under until up very was we were what when where which while who whom why will with would you your " +
    "yours yourself yourselves get gets got getting happen happens happened like let lets work works " +
    "mean means tell use used back able really actually"
  ).split(" "),
);
const AFTER_HOW = new Set(["long", "far", "much", "many", "often", "big", "old"]);
const MAX_TERMS = 16;
const MIN_PREFIX_LENGTH = 3;

/** @param {string} word */
const normalWord = (word) => word.replace(/['’]s$/u, "").replace(/['’]/gu, "");
const WORD = /[\p{L}\p{N}]+(?:['’][\p{L}]+)?/gu;

/** @param {string} query @returns {string[]} */
function queryTerms(query) {
  const words = (query.toLowerCase().normalize("NFKC").match(WORD) ?? []).map(normalWord);
  const meaningful = words.filter(
    (word, i) =>
      !STOPWORDS.has(word) &&
      (word.length > 1 || /\p{N}/u.test(word)) &&
      !(words[i - 1] === "how" && AFTER_HOW.has(word)),
  );
  return [...new Set(meaningful.length ? meaningful : words)].slice(0, MAX_TERMS);
}

/**
 * The question as it reads while being typed: up to its last search term (not a stopword)
 * of at least 4 letters, cut to half its length (at least 3 letters, where the app starts
 * matching a prefix) — "How does grappling work?" → "How does grap". Deterministic.
 * @param {string} question
 */
function typedPrefix(question) {
  const words = [...question.matchAll(WORD)];
  const terms = new Set(queryTerms(question));
  const long = words.filter((w) => [...w[0]].length >= 4);
  const word = long.findLast((w) => terms.has(normalWord(w[0].toLowerCase().normalize("NFKC")))) ?? long.at(-1) ?? null;
  if (!word) return question;
  const cut = Math.max(MIN_PREFIX_LENGTH, Math.floor([...word[0]].length / 2));
  return question.slice(0, (word.index ?? 0) + [...word[0]].slice(0, cut).join("").length);
}

/** @typedef {{ full: string, typed: string }} Query */
/** @type {Query[]} */
const QUERY_SET = QA.slice(0, QUERIES).map(({ q }) => ({ full: q, typed: typedPrefix(q) }));

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
// The app this run starts: the build's copy with the search and upload limits raised

class SearchBenchServer extends PreviewServer {
  /** @param {Record<string, string>} vars */
  copyBuildWithVars(vars) {
    const copy = super.copyBuildWithVars(vars);
    const config = JSON.parse(readFileSync(copy, "utf8"));
    /** @type {{ name: string, simple: { limit: number, period: number } }[]} */
    const limits = config.ratelimits ?? [];
    for (const name of RAISED_LIMITS) {
      if (!limits.some((l) => l.name === name)) throw new Error(`the build's wrangler.json has no rate limit ${name}`);
    }
    config.ratelimits = limits.map((l) =>
      RAISED_LIMITS.includes(l.name) ? { ...l, simple: { ...l.simple, limit: 1_000_000 } } : l,
    );
    writeFileSync(copy, JSON.stringify(config));
    return copy;
  }
}

const server = new SearchBenchServer();

/** Someone else may be building: wait until build/ has been left alone for 10 s (at most 5 min). */
async function buildSettled() {
  const files = ["build/server/index.js", "build/server/wrangler.json"].map((f) => join(ROOT, f));
  const deadline = Date.now() + 5 * 60_000;
  for (let said = false; ; said = true) {
    const ages = files.map((f) => {
      try {
        return Date.now() - statSync(f).mtimeMs;
      } catch {
        return -1;
      }
    });
    if (ages.every((age) => age >= 10_000) || Date.now() > deadline) return;
    if (!said) log("build/ is being written (a build in progress?): waiting until it settles");
    await wait(2_000);
  }
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

/** Uploads one copy of an SRD file (a new version of a name is fine: 200); a 429 waits and retries. */
async function upload(/** @type {Client} */ client, /** @type {SrdFile} */ file) {
  for (let attempt = 0; ; attempt++) {
    const { status, body, text } = await client.putFile(file.name, file.bytes);
    if (status === 201 || status === 200) return /** @type {string} */ (body.fileKey);
    if (status === 429 && attempt < RATE_LIMIT_RETRIES) {
      await wait(10_000);
      continue;
    }
    throw new Error(`uploading ${file.name} answered ${status}: ${text.slice(0, 500)}`);
  }
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
      log(`${user.label}: ${ready.length}/${user.fileKeys.length} files ready, ${chunks} passages so far`);
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
        `${user.label} ready (${user.chunks} passages); ${others.filter((u) => u.chunks).length}/${count} ready, ${total} passages`,
      );
    }
  };
  await Promise.all(Array.from({ length: Math.min(USERS_AT_A_TIME, count) }, worker));
  return others;
}

// ---------------------------------------------------------------------------------------
// The raw baseline: a minimal Worker whose SQLite Durable Object holds a copy of the
// measured user's passages, in the table definition of passage-store.server.ts

const RAW_WORKER = `
import { DurableObject } from "cloudflare:workers";

const TOP = "SELECT rowid FROM passages_fts WHERE passages_fts MATCH ?1 ORDER BY rank LIMIT 10";
const COUNT = "SELECT count(*) AS n FROM passages_fts WHERE passages_fts MATCH ?1";

export class RawPassages extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    // As PassageStore.ensureSchema() (app/server/passages/passage-store.server.ts).
    this.sql.exec(\`CREATE TABLE IF NOT EXISTS passages (
      seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, file_key TEXT NOT NULL, version INTEGER NOT NULL,
      idx INTEGER NOT NULL, title TEXT NOT NULL, context TEXT NOT NULL, heading_path TEXT NOT NULL,
      body TEXT NOT NULL, page INTEGER)\`);
    this.sql.exec("CREATE INDEX IF NOT EXISTS passages_file ON passages (file_key, version, idx)");
    this.sql.exec(\`CREATE VIRTUAL TABLE IF NOT EXISTS passages_fts USING fts5(
      title, context, body, content = 'passages', content_rowid = 'seq',
      tokenize = 'porter unicode61 remove_diacritics 2')\`);
    this.sql.exec(\`CREATE TRIGGER IF NOT EXISTS passages_fts_ai AFTER INSERT ON passages BEGIN
      INSERT INTO passages_fts (rowid, title, context, body) VALUES (new.seq, new.title, new.context, new.body);
    END\`);
  }
  load(rows) {
    this.ctx.storage.transactionSync(() => {
      for (const r of rows) {
        this.sql.exec(
          "INSERT OR IGNORE INTO passages (id, file_key, version, idx, title, context, heading_path, body, page) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
          r.id, r.fileKey, r.version, r.index, r.title, r.context, r.headingPath, r.body, r.page,
        );
      }
    });
    return this.total();
  }
  total() {
    return this.sql.exec("SELECT count(*) AS n FROM passages").one().n;
  }
  top(match) {
    const start = performance.now();
    const rows = this.sql.exec(TOP, match).toArray().length;
    return { rows, sqlMs: performance.now() - start };
  }
  count(match) {
    return this.sql.exec(COUNT, match).one().n;
  }
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const store = env.RAW.get(env.RAW.idFromName("measured user"));
    try {
      if (url.pathname === "/top") {
        const start = performance.now();
        const { rows, sqlMs } = await store.top(url.searchParams.get("match"));
        return Response.json({ rows, sqlMs, workerMs: performance.now() - start });
      }
      if (url.pathname === "/count") return Response.json({ matches: await store.count(url.searchParams.get("match")) });
      if (url.pathname === "/total") return Response.json({ passages: await store.total() });
      if (url.pathname === "/load" && request.method === "POST") {
        return Response.json({ passages: await store.load(await request.json()) });
      }
      return new Response("not found", { status: 404 });
    } catch (error) {
      return Response.json({ error: String(error) }, { status: 500 });
    }
  },
};
`;

/** @type {any} the raw Worker's Miniflare */
let rawMiniflare = null;
/** @type {string | null} where the raw Durable Object's SQLite lives */
let rawPersist = null;
/** The measured user's files whose passages the raw Durable Object holds. */
const rawLoaded = new Set();

/** @returns {Promise<string>} the raw Worker's base URL */
async function startRawWorker() {
  const { Miniflare } = await import("miniflare");
  // Same compatibility settings as the app's Worker (from our copy of the build when we
  // started the app: build/ may be rebuilt by someone else meanwhile).
  const built = server.previewRoot ? join(server.previewRoot, "build/server") : join(ROOT, "build/server");
  const config = JSON.parse(readFileSync(join(built, "wrangler.json"), "utf8"));
  // On disk beside the app's state, as the app's Durable Objects are (not in memory).
  rawPersist = join(ROOT, ".wrangler", `bench-raw-search-${process.pid}`);
  rmSync(rawPersist, { recursive: true, force: true });
  mkdirSync(rawPersist, { recursive: true });
  rawMiniflare = new Miniflare({
    modules: [{ type: "ESModule", path: join(ROOT, "bench/raw-search-worker.mjs"), contents: RAW_WORKER }],
    compatibilityDate: config.compatibility_date,
    compatibilityFlags: config.compatibility_flags,
    durableObjects: { RAW: { className: "RawPassages", useSQLite: true } },
    durableObjectsPersist: rawPersist,
    host: "127.0.0.1",
    port: 0,
  });
  const url = await rawMiniflare.ready;
  log(
    `raw FTS5 Worker on ${url.origin} (compatibility ${config.compatibility_date} ${config.compatibility_flags.join(",")})`,
  );
  return url.origin;
}

async function stopRawWorker() {
  const mf = rawMiniflare;
  rawMiniflare = null;
  await mf?.dispose();
  if (rawPersist) rmSync(rawPersist, { recursive: true, force: true });
  rawPersist = null;
}

/** GET (or POST with a JSON body) a raw Worker path; returns its JSON (untimed). */
async function rawJson(
  /** @type {string} */ base,
  /** @type {string} */ path,
  /** @type {unknown} */ body = undefined,
) {
  const res = await fetch(base + path, {
    method: body === undefined ? "GET" : "POST",
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  const json = await res.json();
  if (res.status !== 200) throw new Error(`raw Worker ${path} answered ${res.status}: ${JSON.stringify(json)}`);
  return json;
}

/**
 * Copies the passages of the measured user's files not copied yet into the raw Durable
 * Object, as the app serves them (GET /api/files/:key/chunks), and checks the totals.
 * @param {string} rawBase @param {User} me @returns {Promise<number>} the passages it holds
 */
async function syncRawPassages(rawBase, me) {
  let total = 0;
  for (const fileKey of me.fileKeys) {
    if (rawLoaded.has(fileKey)) continue;
    /** @type {{ version: number, passages: { id: string, fileKey: string, version: number, index: number, headingPath: string[], page: number | null, body: string }[] }} */
    const file = await me.client.getJson(`/api/files/${encodeURIComponent(fileKey)}/chunks`);
    const rows = file.passages.map((p) => ({
      id: p.id,
      fileKey: p.fileKey ?? fileKey,
      version: p.version ?? file.version,
      index: p.index,
      // As PassageStore.write(): the own heading, the headings above it, the body without them.
      title: p.headingPath.at(-1) ?? "",
      context: p.headingPath.slice(0, -1).join(" › "),
      headingPath: JSON.stringify(p.headingPath),
      body: p.body,
      page: p.page ?? null,
    }));
    total = (await rawJson(rawBase, "/load", rows)).passages;
    rawLoaded.add(fileKey);
  }
  total = (await rawJson(rawBase, "/total")).passages;
  if (total !== me.chunks) {
    log(`note: the raw copy holds ${total} passages, /api/jobs counts ${me.chunks} for the user's files`);
  }
  return total;
}

// ---------------------------------------------------------------------------------------
// Timed requests

/** @typedef {{ ms: number, bytes: number, tookMs: number, timings: Record<string, number>, results: number }} SearchSample */

/**
 * One timed GET through the client's session: from just before the request to the last
 * body byte. A 429 (only with --url) waits for Retry-After and asks again, untimed.
 * @param {Client} client @param {string} path
 */
const timedGet = (client, path) => client.timedGet(path, { retries: RATE_LIMIT_RETRIES });

/**
 * The FTS5 expression of the app's first passage ranking for a query (any of its words that
 * are not too common; the heading-only one when all are), as the app itself reports it.
 * Untimed. @param {Client} client @param {string} q @param {boolean} prefix @returns {Promise<string>}
 */
async function appExpression(client, q, prefix) {
  const path = `/api/search?q=${encodeURIComponent(q)}&k=1&explain=1${prefix ? "&prefix=1" : ""}`;
  const { text } = await timedGet(client, path);
  const passages = JSON.parse(text).explain?.passages;
  const expression = passages?.words ?? passages?.titles;
  if (!expression) throw new Error(`GET ${path} answered no explain.passages expression: ${text.slice(0, 300)}`);
  return expression;
}

/** @param {Client} client @param {string} q @param {boolean} prefix @returns {Promise<SearchSample>} */
async function timedSearch(client, q, prefix) {
  const path = `/api/search?q=${encodeURIComponent(q)}&k=${K}${prefix ? "&prefix=1" : ""}`;
  const { ms, text, serverTiming } = await timedGet(client, path);
  const body = JSON.parse(text);
  /** @type {Record<string, number>} */
  let timings = body.timings ?? {};
  if (!body.timings && serverTiming) {
    timings = Object.fromEntries(
      serverTiming.split(",").map((part) => {
        const [name, ...params] = part.trim().split(";");
        const dur = params.find((p) => p.trim().startsWith("dur="));
        return [name.trim(), Number(dur?.trim().slice(4) ?? Number.NaN)];
      }),
    );
  }
  return {
    ms,
    bytes: Buffer.byteLength(text),
    tookMs: Number(body.tookMs),
    timings,
    results: Array.isArray(body.results) ? body.results.length : 0,
  };
}

/** @typedef {{ ms: number, workerMs: number, sqlMs: number }} RawSample */

/**
 * One timed raw FTS5 query: wall time from the client, send to last byte; beside it the
 * raw Worker's own clock around the RPC (workerMs) and the Durable Object's around the
 * statement (sqlMs). @returns {Promise<RawSample>}
 */
async function timedRaw(/** @type {string} */ base, /** @type {string} */ match) {
  const path = `/top?match=${encodeURIComponent(match)}`;
  const start = performance.now();
  const res = await fetch(base + path, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  const text = await res.text();
  const ms = performance.now() - start;
  if (res.status !== 200) throw new Error(`raw Worker ${path} answered ${res.status}: ${text.slice(0, 500)}`);
  const body = JSON.parse(text);
  return { ms, workerMs: Number(body.workerMs), sqlMs: Number(body.sqlMs) };
}

// ---------------------------------------------------------------------------------------
// Statistics and the machine

/** p50, p95 (nearest rank) and mean in ms. @param {number[]} samples */
function stats(samples) {
  if (samples.length === 0) return null;
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
 * p50/p95 of each phase of the Worker's `timings` over the samples (a phase a request did
 * not go through counts 0 ms there), and in how many requests it occurred.
 * @param {SearchSample[]} samples
 */
function timingStats(samples) {
  const names = [...new Set(samples.flatMap((s) => Object.keys(s.timings)))];
  /** @type {Record<string, { p50: number, p95: number, mean: number, in: number }>} */
  const out = {};
  for (const name of names) {
    const xs = samples.map((s) => s.timings[name] ?? 0);
    const st = stats(xs);
    if (st)
      out[name] = { p50: st.p50, p95: st.p95, mean: st.mean, in: samples.filter((s) => name in s.timings).length };
  }
  return out;
}

/** Busy and total jiffies of the whole machine (/proc/stat). */
function machineTicks() {
  const [cpu] = readFileSync("/proc/stat", "utf8").split("\n");
  const fields = cpu.trim().split(/\s+/).slice(1).map(Number);
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
  const total = fields.slice(0, 8).reduce((s, x) => s + x, 0);
  return { busy: total - idle, total };
}
const CLOCK_TICKS = 100;

/** Our processes: this client, the app's server process and its workerd, the raw Worker's workerd. */
function ourPids() {
  const pids = [process.pid];
  if (server.child?.pid) pids.push(server.child.pid);
  const appWorkerd = server.workerdPid();
  if (appWorkerd) pids.push(appWorkerd);
  // The raw Worker's workerd is a direct child of this process (the app's is below serve.mjs).
  const rawWorkerd = findWorkerd(process.pid, 1);
  if (rawWorkerd && rawWorkerd !== appWorkerd) pids.push(rawWorkerd);
  return pids;
}

/** CPU seconds used so far by the given processes (those still running). @param {number[]} pids */
function cpuOf(pids) {
  let s = 0;
  for (const pid of pids) {
    try {
      s += cpuSecondsOf(pid);
    } catch {
      // gone
    }
  }
  return s;
}

/** Starts watching the machine: load average now, and at the end the cores other processes used meanwhile. */
function watchMachine() {
  const pids = ourPids();
  const startLoad = loadavg()[0];
  const startTicks = machineTicks();
  const startOurs = cpuOf(pids);
  const startWall = performance.now();
  return () => {
    const seconds = (performance.now() - startWall) / 1000;
    const ticks = machineTicks();
    // /proc/stat counts in USER_HZ (100 on Linux) like /proc/<pid>/stat.
    const machineCores = (ticks.busy - startTicks.busy) / CLOCK_TICKS / seconds;
    const oursCores = (cpuOf(pids) - startOurs) / seconds;
    return {
      loadAverage1m: { start: round(startLoad, 2), end: round(loadavg()[0], 2) },
      cores: cpus().length,
      machineBusyCores: round(machineCores, 2),
      // Without the app's processes (--url) "ours" is only this client and the raw Worker.
      otherProcessesCores: options.url ? null : round(Math.max(0, machineCores - oursCores), 2),
      seconds: round(seconds, 1),
      watchedProcesses: pids.length,
    };
  };
}

// ---------------------------------------------------------------------------------------
// Measuring one phase

/**
 * Times, per query and round: the app's search in full and as typed, the raw FTS5 query
 * for each, a static asset and a signed-in JSON route — interleaved query by query, the
 * order flipping every round, so that noise on the machine hits all alike.
 * @param {{ id: string, label: string }} phase @param {User} me @param {User} probe @param {User[]} others
 * @param {string} rawBase
 */
async function measurePhase(phase, me, probe, others, rawBase) {
  const rawPassages = await syncRawPassages(rawBase, me);
  const allPassages = me.chunks + others.reduce((n, u) => n + u.chunks, 0);
  log(`${phase.id}: the raw Durable Object holds ${rawPassages} passages (the user's, via /api/files/:key/chunks)`);

  // Untimed: the app's own first passage expression for each query in this phase (which
  // words it leaves out as too common depends on the library), and the rows it matches.
  /** @type {{ full: string, typed: string }[]} */
  const expressions = [];
  /** @type {{ full: number, typed: number }[]} */
  const matching = [];
  for (const query of QUERY_SET) {
    const full = await appExpression(me.client, query.full, false);
    const typed = await appExpression(me.client, query.typed, true);
    expressions.push({ full, typed });
    matching.push({
      full: (await rawJson(rawBase, `/count?match=${encodeURIComponent(full)}`)).matches,
      typed: (await rawJson(rawBase, `/count?match=${encodeURIComponent(typed)}`)).matches,
    });
  }

  log(
    `${phase.id}: measuring ${QUERY_SET.length} queries × ${ROUNDS} rounds (${me.chunks} passages of this user, ${allPassages} of all users)`,
  );
  for (const [i, query] of QUERY_SET.slice(0, WARM_UP_QUERIES).entries()) {
    await timedSearch(me.client, query.full, false);
    await timedSearch(me.client, query.typed, true);
    await timedRaw(rawBase, expressions[i]?.full ?? "");
    await timedRaw(rawBase, expressions[i]?.typed ?? "");
    await timedGet(probe.client, STATIC_ASSET);
    await timedGet(probe.client, SIGNED_IN_ROUTE);
  }

  const machine = watchMachine();
  /** @type {SearchSample[]} */ const full = [];
  /** @type {SearchSample[]} */ const typed = [];
  /** @type {RawSample[]} */ const rawFull = [];
  /** @type {RawSample[]} */ const rawTyped = [];
  /** @type {number[]} */ const asset = [];
  /** @type {number[]} */ const signedIn = [];
  /** @type {{ full: number[], typed: number[] }[]} per query, for --json */
  const perQuery = QUERY_SET.map(() => ({ full: [], typed: [] }));
  for (let r = 0; r < ROUNDS; r++) {
    const roundStart = performance.now();
    for (const [i, query] of QUERY_SET.entries()) {
      const tasks = [
        async () => {
          const s = await timedSearch(me.client, query.full, false);
          full.push(s);
          perQuery[i].full.push(s.ms);
        },
        async () => {
          const s = await timedSearch(me.client, query.typed, true);
          typed.push(s);
          perQuery[i].typed.push(s.ms);
        },
        async () => rawFull.push(await timedRaw(rawBase, expressions[i]?.full ?? "")),
        async () => rawTyped.push(await timedRaw(rawBase, expressions[i]?.typed ?? "")),
        async () => asset.push((await timedGet(probe.client, STATIC_ASSET)).ms),
        async () => signedIn.push((await timedGet(probe.client, SIGNED_IN_ROUTE)).ms),
      ];
      for (const task of r % 2 === 0 ? tasks : tasks.reverse()) await task();
    }
    const sorted = full.map((s) => s.ms).sort((a, b) => a - b);
    log(
      `${phase.id}: round ${r + 1}/${ROUNDS} took ${round((performance.now() - roundStart) / 1000, 1)} s (search median so far ${round(percentile(sorted, 50), 1)} ms)`,
    );
  }
  const machineUse = machine();
  const empty = {
    full: full.filter((s) => s.results === 0).length,
    typed: typed.filter((s) => s.results === 0).length,
  };
  if (empty.full || empty.typed) {
    log(`${phase.id}: note: ${empty.full} full and ${empty.typed} typed searches of ${full.length} each found nothing`);
  }

  /** @param {SearchSample[]} samples @param {RawSample[]} raw */
  const searchFigures = (samples, raw) => {
    const http = stats(samples.map((s) => s.ms));
    const rawStats = stats(raw.map((s) => s.ms));
    return {
      http,
      inWorker: {
        tookMs: stats(samples.map((s) => s.tookMs)),
        total: stats(samples.map((s) => s.timings.total ?? Number.NaN).filter(Number.isFinite)),
        phases: timingStats(samples),
      },
      // What the HTTP time spends outside the Worker's own clock (workerd's HTTP, loopback, the client).
      outsideWorker: stats(samples.map((s) => s.ms - (s.timings.total ?? 0))),
      responseKB: round(mean(samples.map((s) => s.bytes)) / 1024, 1),
      raw: rawStats,
      rawInWorker: stats(raw.map((s) => s.workerMs)),
      rawStatement: stats(raw.map((s) => s.sqlMs)),
      appToRaw:
        http && rawStats ? { p50: round(http.p50 / rawStats.p50, 1), p95: round(http.p95 / rawStats.p95, 1) } : null,
    };
  };
  const assetStats = stats(asset);
  const signedInStats = stats(signedIn);
  const fullFigures = searchFigures(full, rawFull);
  const typedFigures = searchFigures(typed, rawTyped);
  const minus = (/** @type {any} */ a, /** @type {any} */ b) =>
    a && b ? { p50: round(a.p50 - b.p50, 2), p95: round(a.p95 - b.p95, 2) } : null;
  const matchFull = matching.map((m) => m.full);
  const matchTyped = matching.map((m) => m.typed);
  return {
    phase: phase.id,
    label: phase.label,
    users: 1 + others.length,
    userPassages: me.chunks,
    rawPassages,
    allUsersPassages: allPassages,
    search: fullFigures,
    typed: typedFigures,
    serving: {
      staticAsset: assetStats,
      signedInJson: signedInStats,
      // The search's own cost read as app minus the serving path (signed-in JSON).
      searchMinusSignedIn: minus(fullFigures.http, signedInStats),
      typedMinusSignedIn: minus(typedFigures.http, signedInStats),
    },
    matchingRows: {
      full: { mean: round(mean(matchFull), 1), max: Math.max(...matchFull) },
      typed: { mean: round(mean(matchTyped), 1), max: Math.max(...matchTyped) },
      shareOfLibrary: {
        full: round(mean(matchFull) / rawPassages, 3),
        typed: round(mean(matchTyped) / rawPassages, 3),
      },
    },
    emptyResults: empty,
    machine: machineUse,
    perQuery: perQuery.map((q, i) => ({
      q: QUERY_SET[i].full,
      typed: QUERY_SET[i].typed,
      matchingRows: matching[i],
      fullMs: stats(q.full)?.p50 ?? null,
      typedMs: stats(q.typed)?.p50 ?? null,
    })),
  };
}

// ---------------------------------------------------------------------------------------

async function main() {
  const started = performance.now();
  const srd = srdFiles();
  const srdBytes = srd.reduce((n, file) => n + file.bytes.length, 0);
  log(
    `${QUERY_SET.length} queries (each in full and as typed) × ${ROUNDS} rounds; the SRD: ${srd.length} files, ` +
      `${round(srdBytes / 1024 / 1024, 2)} MB; phases A (1×), B (+${othersLabel}), C (${COPIES}×)`,
  );

  let base;
  if (options.url) {
    base = options.url.replace(/\/+$/, "");
    log(`using the app at ${base}: its own rate limits apply (a 429 waits and asks again, untimed)`);
  } else {
    await buildSettled();
    // From a copy of the build with the search and upload limits raised (see RAISED_LIMITS);
    // build/ may also be rebuilt by someone else meanwhile.
    base = await server.start({ vars: {} });
  }

  /** @type {Record<string, number>} seconds spent getting each phase's data ready */
  const ingestSeconds = {};
  const phases = [];
  try {
    const me = await newUser(base, "measured user");
    // The serving baseline's account: signed in, no files, no campaigns (its /api/jobs stays constant work).
    const probe = await newUser(base, "serving probe");
    let t = performance.now();
    log("phase A: the measured user uploads 1× the SRD");
    await ingest(me, srd, [1], true);
    ingestSeconds.A = round((performance.now() - t) / 1000, 1);
    log(`phase A: ready in ${ingestSeconds.A} s: ${me.chunks} passages`);
    const rawBase = await startRawWorker();
    phases.push(await measurePhase({ id: "A", label: "user 1×, no others" }, me, probe, [], rawBase));

    /** @type {User[]} */
    let others = [];
    if (OTHERS > 0) {
      t = performance.now();
      log(`phase B: ${OTHERS} other users upload 1× the SRD each, ${USERS_AT_A_TIME} at a time`);
      others = await addOthers(base, srd, OTHERS);
      ingestSeconds.B = round((performance.now() - t) / 1000, 1);
      log(`phase B: ready in ${ingestSeconds.B} s: ${others.reduce((n, u) => n + u.chunks, 0)} passages of others`);
      phases.push(await measurePhase({ id: "B", label: `user 1×, ${othersLabel}` }, me, probe, others, rawBase));
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
      log(`phase C: ready in ${ingestSeconds.C} s: ${me.chunks} passages`);
      phases.push(
        await measurePhase({ id: "C", label: `user ${COPIES}×, ${othersLabel}` }, me, probe, others, rawBase),
      );
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
  /** @param {any} search @param {any} serving */
  const perServing = (search, serving) =>
    search && serving ? { p50: search.p50 / serving.p50, p95: search.p95 / serving.p95 } : null;
  /** @param {string} id @param {(p: any) => any} pick */
  const growth = (id, pick) => {
    const a = byId.A ? pick(byId.A) : null;
    const x = byId[id] ? pick(byId[id]) : null;
    return a && x ? { p50: round(x.p50 / a.p50, 2), p95: round(x.p95 / a.p95, 2) } : null;
  };
  /** @type {Record<string, (p: any) => any>} */
  const measures = {
    search: (p) => p.search.http,
    typed: (p) => p.typed.http,
    searchInWorker: (p) => p.search.inWorker.total,
    typedInWorker: (p) => p.typed.inWorker.total,
    rawFts5: (p) => p.search.raw,
    rawFts5Typed: (p) => p.typed.raw,
    signedInJson: (p) => p.serving.signedInJson,
    // The search in units of the serving path measured in the same rounds: discounts a machine
    // that is busier in one phase than in another (both slow down alike).
    searchPerSignedIn: (p) => perServing(p.search.http, p.serving.signedInJson),
    typedPerSignedIn: (p) => perServing(p.typed.http, p.serving.signedInJson),
  };
  const growthTable = Object.fromEntries(
    Object.entries(measures).map(([name, pick]) => [name, { BoverA: growth("B", pick), CoverA: growth("C", pick) }]),
  );
  /** @type {{ target: string, measured: number | null, limit: number, met: boolean | null }[]} */
  const targets = [];
  for (const [kind, label] of /** @type {const} */ ([
    ["search", "full"],
    ["typed", "as typed"],
  ])) {
    const p95 = (/** @type {string} */ id) => byId[id]?.[kind].http?.p95 ?? null;
    const add = (/** @type {string} */ target, /** @type {number | null} */ measured, /** @type {number} */ limit) =>
      targets.push({ target, measured, limit, met: measured === null ? null : measured <= limit });
    add(`A: p95 ${label} (ms)`, p95("A"), TARGETS.p95A);
    if (COPIES === 10) add(`C: p95 ${label}, 10× (ms)`, p95("C"), TARGETS.p95C);
    if (OTHERS === 50) {
      add(`B/A: p50 ${label}`, growthTable[kind].BoverA?.p50 ?? null, TARGETS.growthB);
      add(`B/A: p95 ${label}`, growthTable[kind].BoverA?.p95 ?? null, TARGETS.growthB);
    }
  }
  const totalSeconds = round((performance.now() - started) / 1000, 1);
  const result = {
    options: {
      copies: COPIES,
      others: OTHERS,
      queries: QUERY_SET.length,
      rounds: ROUNDS,
      k: K,
      warmUp: WARM_UP_QUERIES,
    },
    server: options.url
      ? options.url
      : "scripts/serve.mjs (npm start) from a copy of build/ with raised search/upload limits",
    baselines: {
      raw: "SELECT rowid FROM passages_fts WHERE passages_fts MATCH ? ORDER BY rank LIMIT 10 with the app's own first passage expression (GET /api/search?explain=1, per phase), one RPC to a SQLite Durable Object of a minimal Worker (Miniflare, the app's compatibility settings) holding a copy of the user's passages in passage-store.server.ts's table definition",
      staticAsset: `GET ${STATIC_ASSET}`,
      signedInJson: `GET ${SIGNED_IN_ROUTE} of a signed-in account without files`,
    },
    targets,
    phases,
    growth: growthTable,
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
  const pp = (/** @type {any} */ s) => (s ? `${s.p50} / ${s.p95}` : "—");
  const table = (/** @type {string[]} */ head, /** @type {unknown[][]} */ rows) => {
    console.log(`| ${head.join(" | ")} |`);
    console.log(`|${head.map(() => "---").join("|")}|`);
    for (const row of rows) console.log(`| ${row.map(dash).join(" | ")} |`);
    console.log();
  };
  const o = result.options;
  console.log(
    `Search latency through the server npm start runs; ${o.queries} questions, each in full and as typed (prefix=1), × ${o.rounds} rounds per phase (after ${o.warmUp} warm-up), k=${o.k}. ms, p50 / p95, wall time from the client unless said otherwise.`,
  );
  console.log();
  table(
    [
      "phase",
      "user passages",
      "all users' passages",
      "search",
      "search mean",
      "as typed",
      "as typed mean",
      "raw FTS5",
      "raw FTS5 as typed",
      "app/raw",
      "app/raw as typed",
    ],
    result.phases.map((/** @type {any} */ p) => [
      `${p.phase}: ${p.label}`,
      p.userPassages,
      p.allUsersPassages,
      pp(p.search.http),
      p.search.http.mean,
      pp(p.typed.http),
      p.typed.http.mean,
      pp(p.search.raw),
      pp(p.typed.raw),
      pp(p.search.appToRaw),
      pp(p.typed.appToRaw),
    ]),
  );
  console.log(
    "Raw FTS5 baseline (p50 / p95): over HTTP (as in the table above), the raw Worker's clock around its RPC, the Durable Object's clock around the statement:",
  );
  console.log();
  table(
    ["phase", "HTTP", "in Worker", "statement", "as typed: HTTP", "in Worker", "statement"],
    result.phases.map((/** @type {any} */ p) => [
      p.phase,
      pp(p.search.raw),
      pp(p.search.rawInWorker),
      pp(p.search.rawStatement),
      pp(p.typed.raw),
      pp(p.typed.rawInWorker),
      pp(p.typed.rawStatement),
    ]),
  );
  console.log(
    "Serving path alone, in the same rounds (p50 / p95), and the search's own cost read as search − signed-in JSON:",
  );
  console.log();
  table(
    ["phase", `static asset ${STATIC_ASSET}`, `signed-in JSON ${SIGNED_IN_ROUTE}`, "search − JSON", "as typed − JSON"],
    result.phases.map((/** @type {any} */ p) => [
      p.phase,
      pp(p.serving.staticAsset),
      pp(p.serving.signedInJson),
      pp(p.serving.searchMinusSignedIn),
      pp(p.serving.typedMinusSignedIn),
    ]),
  );
  const names = [
    ...new Set(
      result.phases.flatMap((/** @type {any} */ p) => [
        ...Object.keys(p.search.inWorker.phases),
        ...Object.keys(p.typed.inWorker.phases),
      ]),
    ),
  ].filter((n) => n !== "total");
  console.log(
    "Inside the Worker (p50 / p95): the response's timings (`total` since the request reached the Worker; phases that run in parallel each count their own time), tookMs (search() alone), and HTTP minus total:",
  );
  console.log();
  table(
    ["phase", "kind", "HTTP", "total", "tookMs", ...names, "outside the Worker", "response KB"],
    result.phases.flatMap((/** @type {any} */ p) =>
      [
        ["full", p.search],
        ["as typed", p.typed],
      ].map(([kind, f]) => [
        p.phase,
        kind,
        pp(f.http),
        pp(f.inWorker.total),
        pp(f.inWorker.tookMs),
        ...names.map((n) => pp(f.inWorker.phases[n])),
        pp(f.outsideWorker),
        f.responseKB,
      ]),
    ),
  );
  const g = (/** @type {any} */ x) => (x ? `${x.p50}× / ${x.p95}×` : "—");
  console.log(
    `Growth vs phase A (p50 / p95): B = ${result.options.others} other users hold the SRD too; C = the user's own library × ${result.options.copies}.`,
  );
  console.log();
  table(
    ["measure", "B/A", "C/A"],
    Object.entries(result.growth).map(([name, x]) => [
      name,
      g(/** @type {any} */ (x).BoverA),
      g(/** @type {any} */ (x).CoverA),
    ]),
  );
  if (result.targets.length) {
    table(
      ["target (issue 12)", "measured", "limit", "met"],
      result.targets.map((/** @type {any} */ t) => [
        t.target,
        t.measured,
        `≤ ${t.limit}`,
        t.met === null ? "—" : t.met ? "yes" : "NO",
      ]),
    );
  }
  console.log(
    "Per-query work: rows the app's first passage ranking scores per query (count(*) in the raw copy of the expression the app reports with explain=1: its words less those in more than 2,000 passages) against the library's size:",
  );
  console.log();
  table(
    [
      "phase",
      "user passages",
      "matching rows/query, full (mean, max)",
      "as typed (mean, max)",
      "share of library, full / typed",
    ],
    result.phases.map((/** @type {any} */ p) => [
      p.phase,
      p.rawPassages,
      `${p.matchingRows.full.mean}, ${p.matchingRows.full.max}`,
      `${p.matchingRows.typed.mean}, ${p.matchingRows.typed.max}`,
      `${p.matchingRows.shareOfLibrary.full} / ${p.matchingRows.shareOfLibrary.typed}`,
    ]),
  );
  console.log("The machine during each phase's timed rounds:");
  console.log();
  table(
    [
      "phase",
      "load avg 1 min (start → end)",
      "cores",
      "machine busy cores",
      "other processes' cores",
      "seconds",
      "empty results full/typed",
    ],
    result.phases.map((/** @type {any} */ p) => [
      p.phase,
      `${p.machine.loadAverage1m.start} → ${p.machine.loadAverage1m.end}`,
      p.machine.cores,
      p.machine.machineBusyCores,
      p.machine.otherProcessesCores,
      p.machine.seconds,
      `${p.emptyResults.full}/${p.emptyResults.typed}`,
    ]),
  );
  console.log(
    `raw FTS5: ${result.baselines.raw}. Serving: ${result.baselines.staticAsset}; ${result.baselines.signedInJson}. Server: ${result.server}.`,
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
  stopSync: () => {
    server.stopSync();
    if (rawPersist) rmSync(rawPersist, { recursive: true, force: true });
  },
});
