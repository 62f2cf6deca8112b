#!/usr/bin/env node
// Check (not a timing): the server killed at random moments loses, duplicates and orphans
// nothing. On ONE persistent state folder, each run does a seeded random mix of work —
// single uploads (PUT /api/files), resumable uploads (POST /api/uploads, parts, finish),
// new versions of existing files, the ingestion that follows, and account deletion through
// Settings — SIGKILLs the whole server process group at a random moment, restarts it on the
// same state, lets it settle (GET /api/jobs until nothing is processing, at most 60 s),
// stops it and reads the persisted D1 database and R2 bucket directly (Miniflare on the same
// persist folders), then starts it again and reads each surviving file's passages through
// the app's API. Prints one row per run and the totals; exits 1 if any invariant failed.
// See bench/README.md.
//
//   node bench/crash.mjs [--runs 10] [--seed 1] [--keep-state]
//
// Dependency-free: Node 20 built-ins plus `miniflare` (installed with wrangler).
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import { Client, freePort, intOption, log, REQUEST_TIMEOUT_MS, ROOT } from "./lib.mjs";

const USAGE = "Usage: node bench/crash.mjs [--runs 10] [--seed 1] [--keep-state]";
const SETTLE_MS = 60_000;
/** The work of a run starts within this window; the kill comes within KILL_WINDOW_MS of the start. */
const START_WINDOW_MS = 500;
const KILL_WINDOW_MS = [200, 2_500];
/** With an account deletion in the run, the kill comes this soon after the deletion's request. */
const DELETION_KILL_MS = 600;
const MiB = 1024 * 1024;
const PART_SIZE = 10 * MiB; // app/lib/file-kinds.ts
const PROCESSING = new Set(["queued", "extracting", "indexing", "embedding"]);

const { values: args } = parseArgs({
  options: {
    runs: { type: "string", default: "10" },
    seed: { type: "string", default: "1" },
    "keep-state": { type: "boolean", default: false },
    help: { type: "boolean", default: false },
  },
});
if (args.help) {
  console.log(USAGE);
  process.exit(0);
}
const RUNS = intOption("runs", args.runs, 1);
const SEED = intOption("seed", args.seed, 0);

// ---------------------------------------------------------------------------------------
// Seeded PRNG (mulberry32)

let prngState = SEED >>> 0 || 0x9e3779b9;
function random() {
  prngState = (prngState + 0x6d2b79f5) >>> 0;
  let t = prngState;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const between = (/** @type {number} */ lo, /** @type {number} */ hi) => lo + Math.floor(random() * (hi - lo + 1));
const pick = (/** @type {any[]} */ list) => list[Math.floor(random() * list.length)];

// ---------------------------------------------------------------------------------------
// Generated Markdown / text (never the corpus)

const WORDS =
  "dragon keep ember vault rune sword crown tide forest lantern oracle shadow mire beacon river scroll goblin knight throne ash frost hollow tower chapel relic wyrm bard cinder grove harbor spire moon wolf".split(
    " ",
  );
let fileCounter = 0;

/** A unique Markdown (or text) document of about `size` bytes. */
function makeDocument(/** @type {number} */ size, /** @type {boolean} */ markdown) {
  const id = `${SEED}-${++fileCounter}-${Math.floor(random() * 1e9)}`;
  const parts = [markdown ? `# Chronicle ${id}\n\n` : `Chronicle ${id}\n\n`];
  let length = parts[0].length;
  let section = 0;
  while (length < size) {
    let paragraph = "";
    if (markdown && random() < 0.15) paragraph += `## Section ${++section} of ${id}\n\n`;
    const words = between(40, 120);
    for (let i = 0; i < words; i++) paragraph += `${pick(WORDS)}${i % 13 === 12 ? ". " : " "}`;
    paragraph += `(${id}.${section}.${length})\n\n`;
    parts.push(paragraph);
    length += paragraph.length;
  }
  return Buffer.from(parts.join("")).subarray(0, size);
}

// ---------------------------------------------------------------------------------------
// The server: scripts/serve.mjs on the one state folder, restarted on the same state

const stateDir = mkdtempSync(join(tmpdir(), "loresmith-crash-state-"));
const env = {
  ...process.env,
  CI: "1",
  WRANGLER_SEND_METRICS: "false",
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
  LORESMITH_STATE_DIR: stateDir,
};
/** @type {import("node:child_process").ChildProcess | null} */
let server = null;
let serverOutput = "";
let port = 0;
let base = "";

async function startServer() {
  const child = spawn(
    process.execPath,
    [join(ROOT, "scripts/serve.mjs"), "--host", "127.0.0.1", "--port", String(port)],
    { cwd: ROOT, env, detached: true, stdio: ["ignore", "pipe", "pipe"] },
  );
  server = child;
  const keep = (/** @type {Buffer} */ chunk) => {
    serverOutput = (serverOutput + chunk.toString()).slice(-20_000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`the server exited before answering:\n${serverOutput}`);
    }
    try {
      const res = await fetch(`${base}/login`, { signal: AbortSignal.timeout(5_000) });
      await res.arrayBuffer();
      if (res.status === 200) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`the server did not answer within 90 s:\n${serverOutput}`);
    await sleep(250);
  }
}

/** Stops the whole process group (server, workerd) with `signal` and waits for the exit. */
async function stopServer(/** @type {NodeJS.Signals} */ signal) {
  const child = server;
  server = null;
  if (!child?.pid || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  try {
    process.kill(-child.pid, signal);
  } catch {
    return;
  }
  if (await Promise.race([exited.then(() => false), sleep(5_000).then(() => true)])) {
    try {
      process.kill(-child.pid, "SIGKILL");
    } catch {
      // gone
    }
    await Promise.race([exited, sleep(2_000)]);
  }
  // workerd (same group) may outlive the node parent by a moment: wait for the port to close.
  for (let i = 0; i < 40; i++) {
    try {
      await fetch(`${base}/login`, { signal: AbortSignal.timeout(500) });
      await sleep(100);
    } catch {
      return;
    }
  }
}

process.on("exit", () => {
  if (server?.pid) {
    try {
      process.kill(-server.pid, "SIGKILL");
    } catch {
      // gone
    }
  }
  if (!args["keep-state"]) rmSync(stateDir, { recursive: true, force: true });
});
for (const signal of /** @type {const} */ (["SIGINT", "SIGTERM"])) process.once(signal, () => process.exit(130));

// ---------------------------------------------------------------------------------------
// Reading the persisted state directly: Miniflare with the app's D1 and R2 bindings

const config = JSON.parse(readFileSync(join(ROOT, "build/server/wrangler.json"), "utf8"));
const DATABASE_ID = config.d1_databases.find((/** @type {any} */ d) => d.binding === "DB").database_id;
const BUCKET = config.r2_buckets.find((/** @type {any} */ b) => b.binding === "FILES").bucket_name;
const TRACKER_CLASS = config.durable_objects.bindings.find(
  (/** @type {any} */ b) => b.name === "USER_FILE_TRACKER",
).class_name;

/**
 * Stands in for the app's UserFileTracker class under the same worker and class name, so
 * Miniflare opens each account's persisted tracker SQLite and reports its passages and vectors.
 */
const TRACKER_READER = `
import { DurableObject } from "cloudflare:workers";
export class ${TRACKER_CLASS} extends DurableObject {
  async fetch() {
    const sql = this.ctx.storage.sql;
    const tables = new Set([...sql.exec("SELECT name FROM sqlite_master WHERE type = 'table'")].map((r) => r.name));
    const all = (query) => [...sql.exec(query)];
    const has = (...names) => names.every((n) => tables.has(n));
    return Response.json({
      jobs: has("ingest_jobs") ? all("SELECT file_key, version, status FROM ingest_jobs") : [],
      passages: has("passages") ? all("SELECT file_key, version, COUNT(*) AS n FROM passages GROUP BY file_key, version") : [],
      published: has("published") ? all("SELECT file_key, version FROM published") : [],
      vectors: has("vectors") ? all("SELECT file_key, COUNT(*) AS n FROM vectors GROUP BY file_key") : [],
      vectorsWithoutPassage: has("vectors", "passages")
        ? all("SELECT v.id FROM vectors v LEFT JOIN passages p ON p.id = v.id WHERE p.id IS NULL LIMIT 5").map((r) => r.id)
        : [],
      publishedWithoutVector: has("vectors", "passages", "published")
        ? all(\`SELECT p.file_key, COUNT(*) AS n FROM passages p JOIN published u ON u.file_key = p.file_key AND u.version = p.version
            LEFT JOIN vectors v ON v.id = p.id WHERE v.id IS NULL GROUP BY p.file_key\`)
        : [],
    });
  }
}
export default {
  async fetch(request, env) {
    const account = new URL(request.url).searchParams.get("account");
    return env.TRACKER.get(env.TRACKER.idFromName(account)).fetch("http://tracker/");
  },
};`;

async function readState() {
  const { Miniflare } = await import("miniflare");
  const mf = new Miniflare({
    name: config.name,
    modules: true,
    script: TRACKER_READER,
    compatibilityDate: config.compatibility_date,
    compatibilityFlags: config.compatibility_flags,
    d1Databases: { DB: DATABASE_ID },
    d1Persist: join(stateDir, "v3", "d1"),
    r2Buckets: { FILES: BUCKET },
    r2Persist: join(stateDir, "v3", "r2"),
    durableObjects: { TRACKER: { className: TRACKER_CLASS, useSQLite: true } },
    durableObjectsPersist: join(stateDir, "v3", "do"),
  });
  try {
    await mf.ready;
    const db = await mf.getD1Database("DB");
    const all = async (/** @type {string} */ sql) => (await db.prepare(sql).all()).results;
    const state = {
      users: await all("SELECT id, username FROM users"),
      devices: await all("SELECT id, user_id FROM user_devices"),
      deletedAccounts: await all("SELECT id, username FROM deleted_accounts"),
      files: await all(
        "SELECT file_key, username, file_name, file_size, content_hash, status, current_version FROM file_metadata",
      ),
      versions: await all(
        "SELECT file_key, version_number, r2_key, file_size, content_hash, status FROM file_versions ORDER BY file_key, version_number",
      ),
      uploads: await all("SELECT id, username, file_name, r2_key, r2_upload_id, total_size FROM file_uploads"),
      /** @type {Map<string, number>} key → size */
      objects: new Map(),
    };
    // Every account seen in this bench, deleted ones too: their trackers must be empty.
    /** @type {Map<string, any>} account id → what its tracker holds */
    state.trackers = new Map();
    const ids = new Set([...state.users.map((u) => u.id), ...users.map((u) => u.id).filter(Boolean)]);
    for (const id of ids) {
      const res = await mf.dispatchFetch(`http://reader/?account=${encodeURIComponent(id)}`);
      state.trackers.set(id, await res.json());
    }
    const bucket = await mf.getR2Bucket("FILES");
    let cursor;
    do {
      const page = await bucket.list({ cursor, limit: 1000 });
      for (const object of page.objects) state.objects.set(object.key, object.size);
      cursor = page.truncated ? page.cursor : undefined;
    } while (cursor);
    return state;
  } finally {
    await mf.dispose();
  }
}

// ---------------------------------------------------------------------------------------
// The work: users, uploads, versions, deletions

/**
 * @typedef {{ client: Client, account: { username: string, password: string }, id?: string,
 *   deletion: "none" | "requested" | "finished" | "pending" | "not-started", files: string[] }} User
 * @typedef {{ kind: string, user: User, step: string, outcome: string }} Op
 */
/** @type {User[]} */
const users = [];

/** Retries a 429 (rate limit) after its Retry-After, at most twice. */
async function withRetry(/** @type {() => Promise<Response>} */ send) {
  for (let attempt = 0; ; attempt++) {
    const res = await send();
    if (res.status !== 429 || attempt >= 2) return res;
    await res.arrayBuffer();
    await sleep(Math.min(Number(res.headers.get("Retry-After")) || 10, 60) * 1_000);
  }
}

async function jsonOf(/** @type {Response} */ res) {
  const text = await res.text();
  try {
    return JSON.parse(text);
  } catch {
    return { text: text.slice(0, 300) };
  }
}

/** @param {Op} op @param {string} name @param {Buffer} bytes */
async function putOp(op, name, bytes) {
  const { client } = op.user;
  op.step = `PUT /api/files (${(bytes.length / MiB).toFixed(1)} MiB)`;
  const res = await withRetry(() =>
    fetch(`${base}/api/files?name=${encodeURIComponent(name)}`, {
      method: "PUT",
      headers: client.headers({ Origin: base, "Content-Type": "application/octet-stream" }),
      body: bytes,
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    }),
  );
  const body = await jsonOf(res);
  if (res.status !== 201 && res.status !== 200) throw new Error(`PUT answered ${res.status}: ${JSON.stringify(body)}`);
  if (body.fileKey && !op.user.files.includes(name)) op.user.files.push(name);
  op.step = "done";
}

/** @param {Op} op @param {string} name @param {Buffer} bytes */
async function multipartOp(op, name, bytes) {
  const { client } = op.user;
  const headers = (/** @type {Record<string, string>} */ extra = {}) => client.headers({ Origin: base, ...extra });
  op.step = "POST /api/uploads";
  const started = await withRetry(() =>
    fetch(`${base}/api/uploads`, {
      method: "POST",
      headers: headers({ "Content-Type": "application/json" }),
      body: JSON.stringify({ fileName: name, size: bytes.length }),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    }),
  );
  const state = await jsonOf(started);
  if (started.status !== 201) throw new Error(`POST /api/uploads answered ${started.status}: ${JSON.stringify(state)}`);
  for (let n = 1; n <= state.partCount; n++) {
    op.step = `part ${n}/${state.partCount}`;
    const start = (n - 1) * state.partSize;
    const res = await withRetry(() =>
      fetch(`${base}/api/uploads/${state.uploadId}/parts/${n}`, {
        method: "PUT",
        headers: headers({ "Content-Type": "application/octet-stream" }),
        body: bytes.subarray(start, Math.min(start + state.partSize, bytes.length)),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      }),
    );
    const body = await jsonOf(res);
    if (res.status !== 200) throw new Error(`part ${n} answered ${res.status}: ${JSON.stringify(body)}`);
  }
  op.step = "finish (POST /api/uploads/:id)";
  const done = await withRetry(() =>
    fetch(`${base}/api/uploads/${state.uploadId}`, {
      method: "POST",
      headers: headers(),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    }),
  );
  const body = await jsonOf(done);
  if (done.status !== 201 && done.status !== 200)
    throw new Error(`finish answered ${done.status}: ${JSON.stringify(body)}`);
  if (!op.user.files.includes(name)) op.user.files.push(name);
  op.step = "done";
}

/** @param {Op} op */
async function deleteOp(op) {
  op.step = "POST /settings delete-account";
  op.user.deletion = "requested";
  const { account } = op.user;
  await op.user.client.submit(
    "/settings",
    { intent: "delete-account", password: account.password, confirmUsername: account.username },
    /^\/$/,
  );
  op.step = "done";
}

/** A random upload op: a new Markdown/text file (single PUT or multipart), or a new version of one. */
function uploadOp(/** @type {User} */ user) {
  const roll = random();
  const markdown = random() < 0.7;
  if (roll < 0.2 && user.files.length) {
    const name = pick(user.files);
    const bytes = makeDocument(between(20_000, 1_500_000), name.endsWith(".md"));
    return { kind: "new version (PUT)", run: (/** @type {Op} */ op) => putOp(op, name, bytes) };
  }
  const name = `chronicle-${fileCounter + 1}.${markdown ? "md" : "txt"}`;
  if (roll < 0.6) {
    const bytes = makeDocument(between(5_000, 3 * MiB), markdown);
    return {
      kind: `PUT ${(bytes.length / MiB).toFixed(1)} MiB`,
      run: (/** @type {Op} */ op) => putOp(op, name, bytes),
    };
  }
  const bytes = makeDocument(random() < 0.7 ? between(50_000, 2 * MiB) : PART_SIZE + between(50_000, MiB), markdown);
  return {
    kind: `multipart ${(bytes.length / MiB).toFixed(1)} MiB`,
    run: (/** @type {Op} */ op) => multipartOp(op, name, bytes),
  };
}

async function signUp() {
  const client = new Client(base);
  const account = await client.signUp();
  /** @type {User} */
  const user = { client, account, deletion: "none", files: [] };
  users.push(user);
  return user;
}

const live = () => users.filter((u) => u.deletion === "none" || u.deletion === "not-started");

/** The signed-in user's jobs, or null when the session is gone (a deleted account). */
async function jobsOf(/** @type {User} */ user) {
  try {
    const res = await fetch(`${base}/api/jobs`, {
      headers: user.client.headers({ Accept: "application/json" }),
      redirect: "manual",
      signal: AbortSignal.timeout(10_000),
    });
    if (res.status !== 200) {
      await res.arrayBuffer();
      return null;
    }
    return /** @type {any[]} */ ((await res.json()).jobs);
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------
// Invariants

/**
 * @param {Awaited<ReturnType<typeof readState>>} persisted
 * @returns {Record<string, { ok: boolean, note: string }>}
 */
function checkState(persisted) {
  let state = persisted;
  const usersByName = new Map(state.users.map((u) => [u.username, u]));
  const pendingIds = new Set(state.deletedAccounts.map((d) => d.id));
  for (const user of users) {
    const row = usersByName.get(user.account.username);
    if (row) user.id = row.id;
    if (user.deletion === "requested" || user.deletion === "pending") {
      if (user.id && pendingIds.has(user.id)) user.deletion = "pending";
      else if (row) user.deletion = "not-started";
      else user.deletion = "finished";
    }
  }
  const versionsOf = new Map();
  for (const v of state.versions) {
    if (!versionsOf.has(v.file_key)) versionsOf.set(v.file_key, []);
    versionsOf.get(v.file_key).push(v);
  }
  // An interrupted deletion may have removed objects before rows (D1 goes last): its account is
  // judged in 5 only, not as lost bytes or wrong storage.
  const pendingNames = new Set(state.deletedAccounts.map((d) => d.username));
  const allFiles = state.files;
  const fileOf = new Map(allFiles.map((f) => [f.file_key, f]));
  state = {
    ...state,
    files: allFiles.filter((f) => !pendingNames.has(f.username)),
    versions: state.versions.filter((v) => !pendingNames.has(fileOf.get(v.file_key)?.username)),
  };

  // 1. No lost bytes: every recorded version has its R2 object, of its size.
  const lost = [];
  for (const f of state.files) {
    const vs = versionsOf.get(f.file_key) ?? [];
    if (!vs.some((/** @type {any} */ v) => v.version_number === f.current_version)) {
      lost.push(`${f.file_name}: no version ${f.current_version}`);
    }
  }
  for (const v of state.versions) {
    const size = state.objects.get(v.r2_key);
    if (size === undefined) lost.push(`${fileOf.get(v.file_key)?.file_name} v${v.version_number}: no object`);
    else if (size !== v.file_size) lost.push(`${v.r2_key}: ${size} bytes, recorded ${v.file_size}`);
  }

  // 2. Orphans: objects under uploads/ that no version names; those an in-flight upload names are counted apart.
  const recorded = new Set(state.versions.map((v) => v.r2_key));
  const inFlightKeys = new Set(state.uploads.map((u) => u.r2_key));
  let inFlight = 0;
  const orphans = [];
  for (const key of state.objects.keys()) {
    if (!key.startsWith("uploads/") || recorded.has(key)) continue;
    const owner = key.split("/")[1];
    if (pendingIds.has(owner)) continue; // a deletion still under way: judged in 5
    if (inFlightKeys.has(key)) inFlight++;
    else orphans.push(key);
  }
  const notUnder = [...state.objects.keys()].filter((k) => !k.startsWith("uploads/"));

  // 3. Duplicates: two rows of one name, version numbers not 1..current, the same bytes twice.
  const dups = [];
  const names = new Set();
  for (const f of state.files) {
    const key = `${f.username}/${f.file_name}`;
    if (names.has(key)) dups.push(`two rows named ${key}`);
    names.add(key);
    const numbers = (versionsOf.get(f.file_key) ?? []).map((/** @type {any} */ v) => v.version_number);
    const expected = Array.from({ length: f.current_version }, (_, i) => i + 1);
    if (numbers.join(",") !== expected.join(","))
      dups.push(`${f.file_name}: versions [${numbers}] for current ${f.current_version}`);
  }
  const shas = new Map();
  for (const v of state.versions) {
    const owner = fileOf.get(v.file_key)?.username;
    const key = `${owner}/${v.content_hash}`;
    if (v.content_hash && shas.has(key)) dups.push(`same bytes twice: ${shas.get(key)} and ${v.r2_key}`);
    shas.set(key, v.r2_key);
  }
  const r2Keys = new Set();
  for (const v of state.versions) {
    if (r2Keys.has(v.r2_key)) dups.push(`two versions on ${v.r2_key}`);
    r2Keys.add(v.r2_key);
  }

  // 4. Storage used (the app sums file_versions.file_size) = the bytes in R2 of those versions;
  //    each file's size = its current version's.
  const storage = [];
  const perUser = new Map();
  for (const v of state.versions) {
    const owner = fileOf.get(v.file_key)?.username;
    const entry = perUser.get(owner) ?? { recorded: 0, stored: 0 };
    entry.recorded += v.file_size;
    entry.stored += state.objects.get(v.r2_key) ?? 0;
    perUser.set(owner, entry);
  }
  for (const [owner, { recorded: r, stored: s }] of perUser) {
    if (r !== s) storage.push(`${owner}: storage used ${r}, R2 holds ${s}`);
  }
  for (const f of state.files) {
    const current = (versionsOf.get(f.file_key) ?? []).find(
      (/** @type {any} */ v) => v.version_number === f.current_version,
    );
    if (current && current.file_size !== f.file_size)
      storage.push(`${f.file_name}: size ${f.file_size}, current version ${current.file_size}`);
  }

  // 5. A finished deletion leaves no rows and no objects; a pending one is left for the sweep (cron).
  const deletion = [];
  const pendingNotes = [];
  let pending = 0;
  for (const user of users) {
    if (user.deletion === "pending") {
      pending++;
      const rows = allFiles.filter((f) => f.username === user.account.username).length;
      const objects = [...state.objects.keys()].filter((k) => k.startsWith(`uploads/${user.id}/`)).length;
      pendingNotes.push(`${user.account.username}: ${rows} file rows, ${objects} objects left`);
    }
    if (user.deletion !== "finished") continue;
    const name = user.account.username;
    const rows =
      state.files.filter((f) => f.username === name).length +
      state.uploads.filter((u) => u.username === name).length +
      (user.id ? state.devices.filter((d) => d.user_id === user.id).length : 0);
    const objects = user.id ? [...state.objects.keys()].filter((k) => k.startsWith(`uploads/${user.id}/`)).length : 0;
    if (!user.id) deletion.push(`${name}: id never seen`);
    if (rows || objects) deletion.push(`${name}: ${rows} rows, ${objects} objects left`);
  }

  // 7. Chunks vs files, vectors vs chunks, in each account's tracker: every passage and vector belongs to
  //    a file D1 still has; every vector to a passage; every published passage has its vector; a version
  //    left unpublished only while its file's job is still open; a finished deletion leaves an empty tracker.
  const tracker = [];
  for (const [id, held] of state.trackers) {
    const name = state.users.find((u) => u.id === id)?.username;
    const deleted = users.find((u) => u.id === id);
    if (!name) {
      if (pendingIds.has(id)) continue; // judged in 5
      const left = held.jobs.length + held.passages.length + held.vectors.length;
      if (left) tracker.push(`deleted ${deleted?.account.username ?? id}: ${left} tracker rows left`);
      continue;
    }
    const keys = new Set(allFiles.filter((f) => f.username === name).map((f) => f.file_key));
    const published = new Map(held.published.map((/** @type {any} */ p) => [p.file_key, p.version]));
    const open = new Set(
      held.jobs.filter((/** @type {any} */ j) => PROCESSING.has(j.status)).map((j) => `${j.file_key}:${j.version}`),
    );
    for (const p of held.passages) {
      if (!keys.has(p.file_key)) tracker.push(`${name}: ${p.n} passages of a file D1 does not have`);
      else if (published.get(p.file_key) !== p.version && !open.has(`${p.file_key}:${p.version}`))
        tracker.push(`${name}: ${p.n} passages of unpublished v${p.version} of ${fileOf.get(p.file_key)?.file_name}`);
    }
    for (const v of held.vectors)
      if (!keys.has(v.file_key)) tracker.push(`${name}: ${v.n} vectors of a file D1 does not have`);
    for (const v of held.vectorsWithoutPassage) tracker.push(`${name}: vector ${v} without its passage`);
    for (const p of held.publishedWithoutVector)
      tracker.push(`${name}: ${p.n} passages of ${fileOf.get(p.file_key)?.file_name} without a vector`);
  }
  const trackerPassages = [...state.trackers.values()].reduce(
    (n, held) => n + held.passages.reduce((m, /** @type {any} */ p) => m + p.n, 0),
    0,
  );
  const trackerVectors = [...state.trackers.values()].reduce(
    (n, held) => n + held.vectors.reduce((m, /** @type {any} */ v) => m + v.n, 0),
    0,
  );

  const stuck = state.files.filter((f) => !["ready", "failed", "cancelled", "stored"].includes(f.status));
  return {
    lost: { ok: lost.length === 0, note: lost.length ? lost.slice(0, 3).join("; ") : "" },
    orphans: {
      ok: orphans.length === 0 && notUnder.length === 0,
      note: `${orphans.length} orphan, ${inFlight} in-flight, ${state.uploads.length} upload rows${notUnder.length ? `, ${notUnder.length} outside uploads/` : ""}${orphans.length ? `: ${orphans.slice(0, 2).join(", ")}` : ""}`,
    },
    duplicates: { ok: dups.length === 0, note: dups.slice(0, 3).join("; ") },
    storage: { ok: storage.length === 0, note: storage.slice(0, 3).join("; ") },
    deleted: {
      ok: deletion.length === 0,
      note: `${pending} pending sweep${pendingNotes.length ? ` (${pendingNotes.join("; ")})` : ""}${deletion.length ? `; ${deletion.join("; ")}` : ""}`,
    },
    tracker: {
      ok: tracker.length === 0,
      note: `${state.trackers.size} trackers, ${trackerPassages} passages, ${trackerVectors} vectors${tracker.length ? `; ${tracker.slice(0, 3).join("; ")}` : ""}`,
    },
    _stuck: {
      ok: true,
      note: stuck.length ? stuck.map((f) => `${f.file_name}:${f.status}`).join(", ") : "",
    },
  };
}

/** 6. Every ready file has passages, every failed or cancelled one none (through the app's API). */
async function checkPassages(/** @type {Awaited<ReturnType<typeof readState>>} */ state) {
  const problems = [];
  const stuck = [];
  let waiting = 0;
  let checked = 0;
  for (const user of live()) {
    const jobs = new Map(((await jobsOf(user)) ?? []).map((j) => [j.fileKey, j]));
    for (const f of state.files.filter((row) => row.username === user.account.username)) {
      if (f.status === "uploaded") waiting++;
      if (!PROCESSING.has(f.status)) continue;
      const job = jobs.get(f.file_key);
      if (!job || !PROCESSING.has(job.status)) {
        stuck.push(`${f.file_name}: D1 ${f.status}, tracker ${job ? `${job.status} v${job.version}` : "no job"}`);
      }
    }
    for (const f of state.files.filter((row) => row.username === user.account.username)) {
      if (!["ready", "failed", "cancelled"].includes(f.status)) continue;
      const res = await fetch(`${base}/api/files/${f.file_key}/chunks`, {
        headers: user.client.headers({ Accept: "application/json" }),
        redirect: "manual",
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      const body = await jsonOf(res);
      if (res.status !== 200) {
        problems.push(`${f.file_name}: chunks answered ${res.status}`);
        continue;
      }
      checked++;
      const n = body.passages?.length ?? 0;
      if (f.status === "ready" && n === 0) problems.push(`${f.file_name} ready with 0 passages`);
      if (f.status !== "ready" && n > 0) problems.push(`${f.file_name} ${f.status} with ${n} passages`);
      if (f.status === "ready" && body.version !== f.current_version) {
        problems.push(`${f.file_name}: passages of v${body.version}, current v${f.current_version}`);
      }
    }
  }
  return {
    passages: {
      ok: problems.length === 0,
      note: `${checked} files${problems.length ? `; ${problems.slice(0, 3).join("; ")}` : ""}`,
    },
    stuck: {
      ok: stuck.length === 0,
      note: `${stuck.length} stuck, ${waiting} uploaded waiting for the cron${stuck.length ? `: ${stuck.slice(0, 3).join("; ")}` : ""}`,
    },
  };
}

// ---------------------------------------------------------------------------------------
// One run

async function oneRun(/** @type {number} */ n) {
  // Outside the kill window: a new user (so each run has fresh uploads) and one already there.
  await signUp();
  if (live().length < 2) await signUp();
  const candidates = live();
  /** @type {Op[]} */
  const ops = [];
  /** @type {Promise<void>[]} */
  const running = [];
  const launch = (
    /** @type {string} */ kind,
    /** @type {User} */ user,
    /** @type {(op: Op) => Promise<void>} */ work,
  ) => {
    /** @type {Op} */
    const op = { kind, user, step: "waiting", outcome: "" };
    ops.push(op);
    const delay = between(0, START_WINDOW_MS);
    running.push(
      sleep(delay)
        .then(() => work(op))
        .then(
          () => {
            op.outcome = "ok";
          },
          (error) => {
            op.outcome = `error: ${String(error.message).slice(0, 120)}`;
          },
        ),
    );
    return delay;
  };
  // Deletion: an account of an earlier run (its id is known) with files, in about 6 runs of 10.
  const deletable = candidates.filter((u) => u.id && u.files.length);
  const deleting = deletable.length && random() < 0.6 ? pick(deletable) : null;
  const uploaders = candidates.filter((u) => u !== deleting);
  const uploads = between(2, 5);
  for (let i = 0; i < uploads; i++) {
    const user = pick(uploaders);
    const { kind, run } = uploadOp(user);
    launch(kind, user, run);
  }
  const deletionAt = deleting ? launch("delete account", deleting, deleteOp) : null;

  // Watch the jobs, so the report can say what ingestion was doing at the kill.
  /** @type {Map<string, string>} fileKey → status */
  const lastJobs = new Map();
  let watching = true;
  const watcher = (async () => {
    while (watching) {
      for (const user of uploaders) {
        const jobs = await jobsOf(user);
        for (const j of jobs ?? []) lastJobs.set(j.fileKey, j.status);
      }
      await sleep(200);
    }
  })();

  const killAt =
    deletionAt === null ? between(KILL_WINDOW_MS[0], KILL_WINDOW_MS[1]) : deletionAt + between(0, DELETION_KILL_MS);
  const t0 = performance.now();
  await sleep(killAt);
  const inFlight = ops.filter((op) => !op.outcome && op.step !== "waiting").map((op) => `${op.kind} @ ${op.step}`);
  const notStarted = ops.filter((op) => op.step === "waiting").length;
  const processing = [...lastJobs.values()].filter((s) => PROCESSING.has(s));
  /** @type {Map<string, number>} */
  const counts = new Map();
  for (const s of processing) counts.set(s, (counts.get(s) ?? 0) + 1);
  const byStatus = [...counts].map(([s, k]) => `${k} ${s}`).join(", ");
  const happening = [
    ...inFlight,
    processing.length ? `ingesting ${byStatus}` : "",
    notStarted ? `${notStarted} not started` : "",
  ].filter(Boolean);
  log(`run ${n}: SIGKILL at ${killAt} ms: ${happening.join("; ") || "idle"}`);
  await stopServer("SIGKILL");
  watching = false;
  await Promise.all(running);
  await watcher;
  const killMs = Math.round(performance.now() - t0);

  // Restart on the same state and let it settle.
  const r0 = performance.now();
  await startServer();
  const restartS = (performance.now() - r0) / 1000;
  const s0 = performance.now();
  let settled = false;
  while (performance.now() - s0 < SETTLE_MS) {
    let busy = 0;
    for (const user of live()) busy += ((await jobsOf(user)) ?? []).filter((j) => PROCESSING.has(j.status)).length;
    if (!busy) {
      settled = true;
      break;
    }
    await sleep(500);
  }
  const settleS = (performance.now() - s0) / 1000;

  // Read the persisted state with the server stopped, then the passages through the API.
  await stopServer("SIGTERM");
  const state = await readState();
  const results = checkState(state);
  await startServer();
  Object.assign(results, await checkPassages(state));
  const stuck = results._stuck.note;
  delete results._stuck;
  const outcomes = ops.map(
    (op) =>
      `${op.kind}: ${op.outcome === "ok" ? "ok" : /fetch failed|socket|closed|ECONNRE/i.test(op.outcome) ? "killed" : op.outcome}${op.kind === "delete account" ? ` → ${op.user.deletion === "not-started" ? "not started (account kept)" : op.user.deletion}` : ""}`,
  );
  return {
    run: n,
    killAtMs: killAt,
    killMs,
    happening: happening.join("; ") || "idle (work done, nothing processing)",
    ops: outcomes,
    restartS,
    settleS,
    settled,
    stuck,
    files: state.files.length,
    objects: state.objects.size,
    results,
  };
}

// ---------------------------------------------------------------------------------------

async function main() {
  if (!existsSync(join(ROOT, "build/server/index.js")))
    throw new Error("no build (build/server/index.js): run `npm run build`.");
  if (!existsSync(join(ROOT, ".dev.vars"))) throw new Error("no .dev.vars: run `node scripts/ensure-dev-vars.mjs`.");
  log(`state folder ${stateDir}; applying the D1 migrations`);
  const migrate = spawnSync(
    process.execPath,
    [
      join(ROOT, "node_modules/wrangler/bin/wrangler.js"),
      "d1",
      "migrations",
      "apply",
      "DB",
      "--local",
      "--persist-to",
      stateDir,
    ],
    { cwd: ROOT, env, encoding: "utf8", timeout: 120_000 },
  );
  if (migrate.status !== 0) throw new Error(`migrations failed:\n${migrate.stdout}\n${migrate.stderr}`);
  port = await freePort();
  base = `http://127.0.0.1:${port}`;
  await startServer();
  const rows = [];
  for (let n = 1; n <= RUNS; n++) {
    const row = await oneRun(n);
    rows.push(row);
    const verdict = Object.entries(row.results)
      .map(([k, v]) => `${k} ${v.ok ? "ok" : "FAIL"}${v.note ? ` (${v.note})` : ""}`)
      .join(", ");
    log(`run ${n}: settled in ${row.settleS.toFixed(1)} s${row.settled ? "" : " (NOT settled)"}; ${verdict}`);
  }
  await stopServer("SIGTERM");

  const names = Object.keys(rows[0].results);
  console.log(`crash benchmark: ${RUNS} runs, seed ${SEED}, one state folder`);
  console.log(`| run | kill at | happening at the kill | restart s | settle s | ${names.join(" | ")} |`);
  console.log(`|---|---|---|---|---|${names.map(() => "---").join("|")}|`);
  for (const r of rows) {
    const cells = names.map(
      (k) => `${r.results[k].ok ? "pass" : "FAIL"}${r.results[k].note ? ` (${r.results[k].note})` : ""}`,
    );
    console.log(
      `| ${r.run} | ${r.killAtMs} ms | ${r.happening} | ${r.restartS.toFixed(1)} | ${r.settleS.toFixed(1)}${r.settled ? "" : " (not settled)"} | ${cells.join(" | ")} |`,
    );
  }
  console.log("");
  for (const r of rows) {
    console.log(
      `run ${r.run}: ${r.ops.join("; ")}; ${r.files} files, ${r.objects} objects${r.stuck ? `; not final: ${r.stuck}` : ""}`,
    );
  }
  const failures = names.map((k) => [k, rows.filter((r) => !r.results[k].ok).length]);
  console.log("");
  console.log(`totals: ${failures.map(([k, f]) => `${k} ${RUNS - Number(f)}/${RUNS} pass`).join(", ")}`);
  const settleTimes = rows.map((r) => r.settleS).sort((a, b) => a - b);
  console.log(
    `settle: median ${settleTimes[Math.floor(settleTimes.length / 2)].toFixed(1)} s, max ${settleTimes.at(-1)?.toFixed(1)} s, ${rows.filter((r) => !r.settled).length} not settled within 60 s`,
  );
  if (args["keep-state"]) console.log(`state kept in ${stateDir}`);
  const failed = failures.some(([, f]) => Number(f) > 0);
  process.exit(failed ? 1 : 0);
}

main().catch((error) => {
  log(`failed: ${error instanceof Error ? error.stack : String(error)}`);
  process.exit(1);
});
