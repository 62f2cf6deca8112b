// Shared helpers of the benchmarks in bench/: start the built app (as `npm start` serves it:
// scripts/serve.mjs, workerd)
// on a fresh local state folder, an HTTP client that signs up through the real forms, and a
// runner that cleans up on exit, Ctrl-C and an overall timeout. See bench/README.md.
//
// Dependency-free: Node 20 built-ins only.
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";

export const ROOT = resolve(fileURLToPath(new URL("..", import.meta.url)));
export const REQUEST_TIMEOUT_MS = 60_000;
const SERVER_START_TIMEOUT_MS = 90_000;

/** Progress goes to stderr so that stdout carries only the result. */
export function log(/** @type {string} */ message) {
  process.stderr.write(`bench: ${message}\n`);
}

export function sleep(/** @type {number} */ ms) {
  return new Promise((r) => setTimeout(r, ms).unref());
}

/** @param {string} name @param {string} raw @param {number} min */
export function intOption(name, raw, min) {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer ≥ ${min} (got "${raw}")`);
  return n;
}

export async function freePort() {
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

// ---------------------------------------------------------------------------------------
// The app under test: the built app on a fresh state folder

/**
 * The built app as `npm start` serves it (scripts/serve.mjs: workerd, no proxy in front),
 * on a fresh local state folder with the D1 migrations applied. Stopping it stops its whole
 * process group and removes the folder.
 *
 * With `vars`, the server runs from a temporary copy of the build whose wrangler.json has
 * those vars replaced (e.g. higher upload limits): the same bundle, bindings and runner,
 * with nothing in the project changed. The copy is removed on stop.
 */
export class PreviewServer {
  constructor() {
    /** @type {import("node:child_process").ChildProcess | null} */
    this.child = null;
    /** @type {string | null} */
    this.stateDir = null;
    /** @type {string | null} the temporary build copy (only with `vars`) */
    this.previewRoot = null;
    this.output = "";
    /** @type {Promise<void> | null} */
    this.stopped = null;
    /** Whether stopping removes the state folder (not when it was handed over: `keepState`). */
    this.ownsState = true;
  }

  /**
   * `vars` serves a copy of the build with those vars; `serveVars` sets vars (and secrets)
   * for this server only through `scripts/serve.mjs --var`.
   * `keepState`: start on `stateDir` as another server left it (same data and sessions),
   * and leave it in place when stopping; whoever created it removes it.
   * `ratelimits` replaces the `simple` setting of the named rate limits in the copy (with `vars`).
   * @param {{ stateDir?: string, vars?: Record<string, string>, serveVars?: Record<string, string>,
   *   keepState?: boolean, ratelimits?: Record<string, { limit: number, period: number }> }} [options]
   * @returns {Promise<string>} the base URL
   */
  async start(options = {}) {
    if (!existsSync(join(ROOT, "build/server/index.js"))) {
      throw new Error("no build found (build/server/index.js). Run `npm run build` first.");
    }
    if (!existsSync(join(ROOT, ".dev.vars"))) {
      throw new Error("no .dev.vars (SESSION_SECRET). Run `node scripts/ensure-dev-vars.mjs` first.");
    }
    const stateDir = options.stateDir ?? join(ROOT, ".wrangler", `bench-state-${process.pid}`);
    this.stateDir = stateDir;
    this.ownsState = !options.keepState;
    if (this.ownsState) rmSync(stateDir, { recursive: true, force: true });
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

    const configArgs = [];
    if (options.vars) configArgs.push("--config", this.copyBuildWithVars(options.vars, options.ratelimits));
    for (const [name, value] of Object.entries(options.serveVars ?? {})) configArgs.push("--var", `${name}=${value}`);

    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    log(`starting the app (scripts/serve.mjs, as npm start) on ${base}`);
    // detached: its own process group, so the server and the workerd it spawns are stopped together.
    const child = spawn(
      process.execPath,
      [join(ROOT, "scripts/serve.mjs"), ...configArgs, "--host", "127.0.0.1", "--port", String(port)],
      {
        cwd: ROOT,
        env,
        detached: true,
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    this.child = child;
    const keep = (/** @type {Buffer} */ chunk) => {
      this.output = (this.output + chunk.toString()).slice(-20_000);
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
      if (exited) throw new Error(`the app server ${exited} before answering:\n${this.output}`);
      try {
        const res = await fetch(`${base}/login`, { signal: AbortSignal.timeout(5_000) });
        await res.arrayBuffer();
        if (res.status === 200) return base;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`the app server did not answer within 90 s:\n${this.output}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  /**
   * Copies the build (the Worker and its assets) to a temporary folder with `vars` replaced
   * in its wrangler.json; returns the copy's wrangler.json for `scripts/serve.mjs --config`.
   * and `ratelimits` (by name) given a new `simple` setting.
   * @param {Record<string, string>} vars
   * @param {Record<string, { limit: number, period: number }>} [ratelimits]
   */
  copyBuildWithVars(vars, ratelimits = {}) {
    const configPath = join(ROOT, "build/server/wrangler.json");
    const config = JSON.parse(readFileSync(configPath, "utf8"));
    for (const name of Object.keys(vars)) {
      if (!(name in (config.vars ?? {}))) throw new Error(`the build's wrangler.json has no var ${name}`);
    }
    /** @type {{ name: string, simple?: unknown }[]} */
    const limits = config.ratelimits ?? [];
    for (const name of Object.keys(ratelimits)) {
      if (!limits.some((l) => l.name === name)) throw new Error(`the build's wrangler.json has no rate limit ${name}`);
    }
    const root = mkdtempSync(join(tmpdir(), "loresmith-bench-build-"));
    this.previewRoot = root;
    const serverDir = dirname(configPath);
    cpSync(serverDir, join(root, "build/server"), { recursive: true });
    cpSync(resolve(serverDir, config.assets.directory), join(root, "build/client"), { recursive: true });
    const copy = join(root, "build/server/wrangler.json");
    writeFileSync(
      copy,
      JSON.stringify({
        ...config,
        assets: { ...config.assets, directory: "../client" },
        vars: { ...config.vars, ...vars },
        ratelimits: limits.map((l) => (l.name in ratelimits ? { ...l, simple: ratelimits[l.name] } : l)),
      }),
    );
    // A .dev.vars entry would override a var of the same name: drop those lines.
    const devVars = join(root, "build/server/.dev.vars");
    if (existsSync(devVars)) {
      const lines = readFileSync(devVars, "utf8").split("\n");
      writeFileSync(devVars, lines.filter((line) => !(line.split("=")[0].trim() in vars)).join("\n"));
    }
    return copy;
  }

  /** The workerd process that runs the app (a descendant of the server process), or undefined. */
  workerdPid() {
    return this.child?.pid ? findWorkerd(this.child.pid) : undefined;
  }

  /** Stops the server and removes its state folder; every caller waits for the same stop. */
  stop() {
    this.stopped ??= this.stopNow();
    return this.stopped;
  }

  async stopNow() {
    const child = this.child;
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
    this.child = null;
    this.removeFolders();
  }

  /** Last resort on a hard exit: synchronous, so it runs inside process.on("exit"). */
  stopSync() {
    const pid = this.child?.pid;
    if (pid) {
      try {
        process.kill(-pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    this.removeFolders();
  }

  removeFolders() {
    for (const dir of [this.ownsState ? this.stateDir : null, this.previewRoot]) {
      if (dir) rmSync(dir, { recursive: true, force: true });
    }
    this.stateDir = null;
    this.previewRoot = null;
  }
}

// ---------------------------------------------------------------------------------------
// Processes (Linux /proc)

/** Parent pid of a process, or undefined when it is gone. @param {number} pid */
function parentOf(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  } catch {
    return undefined;
  }
}

function cmdlineOf(/** @type {number} */ pid) {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
  } catch {
    return "";
  }
}

/**
 * The `workerd` process below `ancestor`: its cmdline names workerd and its parent chain
 * reaches `ancestor` within `maxDepth` steps (so never someone else's server).
 * @param {number} ancestor @param {number} [maxDepth]
 */
export function findWorkerd(ancestor, maxDepth = 10) {
  for (const name of readdirSync("/proc")) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid === ancestor) continue;
    if (!/(^|\/)workerd serve /.test(cmdlineOf(pid))) continue;
    for (let p = parentOf(pid), depth = 1; p && p > 1 && depth <= maxDepth; p = parentOf(p), depth++) {
      if (p === ancestor) return pid;
    }
  }
  return undefined;
}

/** TCP ports a process listens on (IPv4 and IPv6). @param {number} pid */
export function listeningPorts(pid) {
  const inodes = new Set();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const match = readlinkSync(`/proc/${pid}/fd/${fd}`).match(/^socket:\[(\d+)\]$/);
      if (match) inodes.add(match[1]);
    } catch {
      // closed meanwhile
    }
  }
  const ports = new Set();
  for (const table of ["tcp", "tcp6"]) {
    let text = "";
    try {
      text = readFileSync(`/proc/${pid}/net/${table}`, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const cols = line.trim().split(/\s+/);
      // cols: sl local_address rem_address st ... inode (10th)
      if (cols.length < 10 || cols[3] !== "0A" || !inodes.has(cols[9])) continue;
      ports.add(Number.parseInt(cols[1].split(":")[1], 16));
    }
  }
  return [...ports];
}

const CLOCK_TICKS = Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout) || 100;

/** CPU time (user + system) a process has used so far, in seconds. @param {number} pid */
export function cpuSecondsOf(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/** At least `size` bytes of one generated sentence repeated, each followed by `separator` (" " or "\n"). */
export function repeatedSentence(/** @type {number} */ size, /** @type {string} */ separator) {
  const sentence = `The drowned knights rise to walk the causeway until dawn.${separator}`;
  return Buffer.from(sentence.repeat(Math.ceil(size / sentence.length)));
}

/** VmRSS and VmHWM of a process in KiB. @param {number} pid */
export function memoryOf(pid) {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kib = (/** @type {string} */ key) =>
    Number(status.match(new RegExp(`${key}:\\s+(\\d+) kB`))?.[1] ?? Number.NaN);
  // RssFile: pages of mapped files (workerd's SQLite storage among them); RssAnon: heaps.
  return { rssKiB: kib("VmRSS"), hwmKiB: kib("VmHWM"), anonKiB: kib("RssAnon"), fileKiB: kib("RssFile") };
}

// ---------------------------------------------------------------------------------------
// HTTP client: a one-cookie jar, the site's Origin on every POST, no redirects followed

export class Client {
  /** @param {string} base */
  constructor(base) {
    this.base = base;
    /** @type {Map<string, string>} */
    this.cookies = new Map();
    // A documentation-range address, unique to this run, so the sign-up/sign-in throttle
    // never mixes this run with anything else.
    this.ip = `198.18.${randomBytes(1)[0]}.${randomBytes(1)[0]}`;
  }

  /** The same session (cookies, address) against another base URL of the same app. */
  withBase(/** @type {string} */ base) {
    const other = new Client(base);
    other.cookies = this.cookies;
    other.ip = this.ip;
    return other;
  }

  /** Only the session cookie is kept: a pending `__toast` would add work to measured requests. */
  remember(/** @type {Response | { headers: { getSetCookie(): string[] } }} */ res) {
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
   * One timed GET: from just before the request to the last byte of the body. With
   * `retries`, a 429 waits for its Retry-After and asks again (up to that many times),
   * untimed: the time is the last try's.
   * @param {string} path @param {{ accept?: string, retries?: number }} [options]
   */
  timedGet(path, { accept, retries = 0 } = {}) {
    return this.timedRequest(path, { headers: accept ? { Accept: accept } : {} }, { retries });
  }

  /**
   * timedGet for any method: `init` is fetch's (its headers added to the session's, the body
   * one that can be sent again, as a retry may). Anything but 200 throws.
   * @param {string} path @param {{ method?: string, headers?: Record<string, string>, body?: URLSearchParams | string }} init
   * @param {{ retries?: number }} [options]
   */
  async timedRequest(path, { method = "GET", headers = {}, body } = {}, { retries = 0 } = {}) {
    for (let attempt = 0; ; attempt++) {
      const start = performance.now();
      const res = await fetch(this.base + path, {
        method,
        headers: this.headers(headers),
        body,
        redirect: "manual",
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      const bytes = await res.arrayBuffer();
      const ms = performance.now() - start;
      this.remember(res);
      if (res.status === 429 && attempt < retries) {
        await waitRetryAfter(res);
        continue;
      }
      const text = new TextDecoder().decode(bytes);
      if (res.status !== 200) throw new Error(`${method} ${path} answered ${res.status}: ${text.slice(0, 1_000)}`);
      return {
        ms,
        bytes: bytes.byteLength,
        contentType: res.headers.get("Content-Type") ?? "",
        serverTiming: res.headers.get("Server-Timing"),
        text,
      };
    }
  }

  /**
   * PUT /api/files?name=<name> with the raw bytes, as the library's upload widget does.
   * Returns the answer as it is (status, parsed JSON or {}, text) for the caller to judge.
   * @param {string} name @param {Buffer | Uint8Array} bytes
   */
  async putFile(name, bytes) {
    const res = await fetch(`${this.base}/api/files?name=${encodeURIComponent(name)}`, {
      method: "PUT",
      headers: this.headers({ Origin: this.base, "Content-Type": "application/octet-stream" }),
      body: bytes,
      duplex: "half",
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const text = await res.text();
    this.remember(res);
    /** @type {any} */
    let body = {};
    try {
      body = JSON.parse(text);
    } catch {
      // not JSON: the caller reports the text
    }
    return { status: res.status, body, text };
  }

  /**
   * Uploads a file the app must accept with one of the `expected` statuses; returns its key.
   * @param {string} name @param {Buffer | Uint8Array} bytes @param {number[]} [expected]
   * @returns {Promise<string>}
   */
  async uploadFile(name, bytes, expected = [201]) {
    const { status, body, text } = await this.putFile(name, bytes);
    if (!expected.includes(status)) throw new Error(`uploading ${name} answered ${status}: ${text.slice(0, 500)}`);
    return body.fileKey;
  }

  /** Signs up a throwaway account through the real form (named for the run unless `username` is given). */
  async signUp(username = `bench_${process.pid}_${randomBytes(3).toString("hex")}`.slice(0, 32)) {
    const password = `bench-${randomBytes(12).toString("hex")}`;
    log(`signing up ${username}`);
    await this.submit("/signup", { username, password, confirmPassword: password }, /^\/settings\/recovery-codes$/);
    if (!this.cookies.has("__session")) throw new Error("sign-up did not set a __session cookie");
    return { username, password };
  }

  /** Deletes the account through Settings (its data goes with it); logs instead of throwing. */
  async deleteAccount(/** @type {{ username: string, password: string }} */ account) {
    log(`deleting the throwaway account ${account.username}`);
    await this.submit(
      "/settings",
      { intent: "delete-account", password: account.password, confirmUsername: account.username },
      /^\/$/,
    ).catch((error) => log(`could not delete the throwaway account ${account.username}: ${error.message}`));
  }
}

// ---------------------------------------------------------------------------------------
// Runner

/**
 * Runs `main`, then `stop` — also on SIGINT/SIGTERM and after `timeoutMs` — and exits with
 * main's outcome. `stopSync` is the last resort on a hard exit (process.on("exit")).
 * @param {() => Promise<void>} main
 * @param {{ timeoutMs: number, stop: () => Promise<void>, stopSync: () => void }} options
 */
export async function run(main, { timeoutMs, stop, stopSync }) {
  /** Set once the run is being aborted (signal or overall timeout): its exit code wins. */
  let abortCode = 0;
  /** @param {number} code @param {string} why */
  const abort = (code, why) => {
    if (abortCode) return;
    abortCode = code;
    log(why);
    void stop().finally(() => process.exit(code));
  };
  const overall = setTimeout(() => abort(1, `gave up after ${timeoutMs / 60_000} minutes`), timeoutMs);
  overall.unref();
  process.once("SIGINT", () => abort(130, "SIGINT: stopping"));
  process.once("SIGTERM", () => abort(143, "SIGTERM: stopping"));
  process.on("exit", stopSync);

  let code = 0;
  try {
    await main();
  } catch (error) {
    code = 1;
    // Once aborting, requests fail because the server is going away: not worth reporting.
    if (!abortCode) log(`failed: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    await stop();
    clearTimeout(overall);
  }
  process.exit(abortCode || code);
}

// ---------------------------------------------------------------------------------------
// Statistics

/**
 * Waits for a 429's Retry-After (at most a minute; 10 s when it names none). A timer that
 * keeps the process alive, unlike sleep(): nothing else is pending meanwhile.
 * @param {{ headers: Headers }} res
 */
export function waitRetryAfter(res) {
  const seconds = Number(res.headers.get("Retry-After"));
  const ms = (Number.isFinite(seconds) && seconds > 0 ? Math.min(seconds, 60) : 10) * 1_000;
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Nearest-rank percentile of an ascending array. @param {number[]} sorted @param {number} p */
export function percentile(sorted, p) {
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** Median (mean of the middle two for an even count). @param {number[]} samples */
export function median(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export const round = (/** @type {number} */ x, digits = 2) => Number(x.toFixed(digits));
