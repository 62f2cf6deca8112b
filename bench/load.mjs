#!/usr/bin/env node
// Benchmark: many people using the app at once. Simulated users, each with their own
// account and campaign, browse, edit, search, upload and ask through the real forms and
// URLs for a fixed time, paced like a person (think time, per-account rate limits never
// met); the same run measures a small baseline group first, on the same server, and
// compares. Reports requests, errors by status and request (429s apart: rate limits are
// not what it measures), throughput, p50/p95/p99 per kind, and the CPU per request of the
// workerd process that serves every request (the Worker, its Durable Objects and the local
// D1/KV/R2 simulators) and of scripts/serve.mjs's Node process (Miniflare's host: not on the
// request path since ADR 0021; it only receives workerd's log lines). See bench/README.md.
//
//   npm run build && node bench/load.mjs [--users 50] [--baseline-users 5] [--seconds 60]
//       [--think-ms 1000] [--warmup-seconds 10] [--json]
//       [--url http://localhost:4173 [--server-pid <scripts/serve.mjs or workerd pid>]]
//
// Dependency-free: Node 20 built-ins only; the shared helpers are in bench/lib.mjs.
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { availableParallelism, loadavg } from "node:os";
import { performance } from "node:perf_hooks";
// A timer that keeps the process alive: lib.mjs's sleep() is unref'd, and while every simulated
// user is thinking nothing else would, so the process would just end.
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import { Client, findWorkerd, intOption, log, memoryOf, PreviewServer, percentile, round, run } from "./lib.mjs";

const OVERALL_TIMEOUT_MS = 20 * 60_000;
const REQUEST_TIMEOUT_MS = 60_000;
/** Accounts set up at the same time before the measured phases. */
const SETUP_CONCURRENCY = 4;
const SETUP_ENTRIES = 3;
const SETUP_CHARACTERS = 2;
/** How long to wait, between phases, for uploaded files to finish processing. */
const SETTLE_TIMEOUT_MS = 60_000;

/**
 * The app's per-account limits (wrangler.toml [[ratelimits]], ADR 0018) and the share of
 * them a simulated person may use in any sliding window of that length. The mix and the
 * think time keep a user far below these on average; the guard only stops a random burst
 * (say eight questions in one minute) from ever reaching a limit: a person that fast would
 * be unusual, and the bench measures the app, not its limits. Each use is reported as
 * "deferred"; a 429 that still happens is counted on its own, never as an error.
 */
const LIMITS = {
  write: { limit: 60, periodMs: 60_000 },
  search: { limit: 30, periodMs: 10_000 },
  ask: { limit: 10, periodMs: 60_000 },
  upload: { limit: 600, periodMs: 60_000 },
};
const GUARD_SHARE = 0.7;

/**
 * What a person does next, and how often (weights). Each kind is one or more requests;
 * every request a person starts (rather than the browser) follows a think time.
 */
const KIND_WEIGHTS = /** @type {const} */ ({ browse: 62, search: 15, edit: 12, ask: 6, upload: 5 });
/** Browsing: which page (all signed-in HTML documents). */
const PAGE_WEIGHTS = /** @type {const} */ ({
  overview: 22,
  entry: 18,
  campaigns: 14,
  home: 14,
  library: 12,
  character: 8,
  context: 6,
  settings: 6,
});
/** Editing: create or change an entry or a character through the real forms. */
const EDIT_WEIGHTS = /** @type {const} */ ({
  "edit entry": 40,
  "new entry": 30,
  "edit character": 20,
  "new character": 10,
});

const KINDS = /** @type {const} */ (["browse", "search", "edit", "ask", "upload"]);

// ---------------------------------------------------------------------------------------
// Options

const USAGE = [
  "Usage: node bench/load.mjs [options]",
  "",
  "  --users <n>            simulated users in the measured phase (default 50)",
  "  --baseline-users <n>   users in the baseline phase, same run and server (default 5; 0 skips it)",
  "  --seconds <n>          length of each measured phase (default 60)",
  "  --think-ms <n>         mean think time before each action a person starts (default 1000)",
  "  --warmup-seconds <n>   unmeasured load before the first phase (default 10)",
  "  --json                 print one JSON object on stdout instead of the tables",
  "  --url <base>           load a running server instead of starting the built app",
  "  --server-pid <pid>     with --url: that server's scripts/serve.mjs process (or its workerd),",
  "                         for the CPU figures",
].join("\n");

/**
 * @typedef {{ url: string | undefined, users: number, baselineUsers: number, seconds: number,
 *   thinkMs: number, warmupSeconds: number, json: boolean, serverPid: number | undefined }} Options
 */

/** @returns {Options} */
function parseOptions() {
  const { values } = parseArgs({
    options: {
      url: { type: "string" },
      users: { type: "string", default: "50" },
      "baseline-users": { type: "string", default: "5" },
      seconds: { type: "string", default: "60" },
      "think-ms": { type: "string", default: "1000" },
      "warmup-seconds": { type: "string", default: "10" },
      "server-pid": { type: "string" },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  if (values["server-pid"] && !values.url) throw new Error("--server-pid goes with --url");
  return {
    url: values.url ? values.url.replace(/\/+$/, "") : undefined,
    users: intOption("users", values.users, 1),
    baselineUsers: intOption("baseline-users", values["baseline-users"], 0),
    seconds: intOption("seconds", values.seconds, 5),
    thinkMs: intOption("think-ms", values["think-ms"], 0),
    warmupSeconds: intOption("warmup-seconds", values["warmup-seconds"], 0),
    serverPid: values["server-pid"] ? intOption("server-pid", values["server-pid"], 2) : undefined,
    json: values.json,
  };
}

const server = new PreviewServer();

// ---------------------------------------------------------------------------------------
// Invented campaign content: small, and full of the words the searches and questions use

const PLACES = ["Saltmarsh Deep", "the Ashen Reach", "Vellmoor", "the Glass Barrows", "Kestrel Ford", "Duskhollow"];
const FOLK = ["the Lantern Guild", "House Orrin", "the Grey Wardens", "the Tidewives", "the Cinder Court"];
const THINGS = ["the cracked astrolabe", "the Moonwell key", "a ledger in cipher", "the iron crown", "a bell of bone"];
const NAMES = ["Ysolde", "Brannoc", "Tamsin", "Orrik", "Lio", "Maelis", "Dunstan", "Sable", "Wren", "Hobb"];
const CONTEXT_TYPES = ["lore", "location", "faction", "item", "plot_hook", "session_note", "house_rule", "other"];
const SEARCHES = [
  "ferry",
  "Moonwell key",
  "Lantern Guild",
  "watchtower bell",
  "smuggler",
  "ledger cipher",
  "iron crown",
  "tide lower town",
  "Drowned Lantern prices",
  "Grey Wardens",
];
const QUESTIONS = [
  "Who is looking for the Moonwell key?",
  "Why is the ferry shut?",
  "What do the Lantern Guild want?",
  "Where was the iron crown hidden?",
  "Who sold the party's names?",
  "What happens if nobody climbs the tower?",
];

/** @template T @param {readonly T[]} list @returns {T} */
const any = (list) => list[Math.floor(Math.random() * list.length)];

/** @param {number} i @param {string} stamp */
function entryFields(i, stamp, version = 0) {
  const place = PLACES[i % PLACES.length];
  const folk = FOLK[(i * 3 + 1) % FOLK.length];
  const thing = THINGS[(i * 5 + 2) % THINGS.length];
  return {
    intent: "save",
    ...(version ? { version } : {}),
    contextType: CONTEXT_TYPES[i % CONTEXT_TYPES.length],
    title: `${place}: notes ${i + 1}`,
    content: [
      `## ${place}`,
      "",
      `Rain has not stopped in **${place}** for nine days. ${folk} say the ferry is shut for good;`,
      `prices at the *Drowned Lantern* have doubled. ${folk} are looking for ${thing} and pay in old coin.`,
      "",
      `- The bell at the old watchtower rang once at midnight, though it has no rope.`,
      `- ${NAMES[i % NAMES.length]} sold the party's names for a debt of ${(i % 9) + 3} silver.`,
      "- If nobody climbs the tower before the new moon, the tide takes the lower town.",
      "",
      `_Edited ${stamp}._`,
    ].join("\n"),
    tags: [place.replace(/^the /, ""), folk.replace(/^the /, "")].join(", "),
  };
}

/** @param {number} i @param {string} stamp */
function characterFields(i, stamp, version = 0) {
  return {
    intent: "save",
    ...(version ? { version } : {}),
    characterName: `${NAMES[i % NAMES.length]} ${i + 1}`,
    characterType: i % 3 === 0 ? "pc" : "npc",
    status: "alive",
    level: (i % 10) + 1,
    "stats[0].key": "AC",
    "stats[0].value": 12 + (i % 5),
    backstory: `Born in ${PLACES[i % PLACES.length]}; owes ${FOLK[i % FOLK.length]} a favour. Carries ${THINGS[i % THINGS.length]}. (${stamp})`,
  };
}

/** @param {string} who @param {number} n */
function noteFile(who, n) {
  const place = any(PLACES);
  const text = [
    `# Session notes ${n} (${who})`,
    "",
    `The party reached ${place} at dusk. ${any(FOLK)} met them at the ferry and asked about ${any(THINGS)}.`,
    "",
    `- ${any(NAMES)} has the ledger; the cipher is a simple shift.`,
    "- The smuggler's boat leaves at the next high tide.",
    "",
    `<!-- ${randomBytes(8).toString("hex")} -->`,
    "",
  ].join("\n");
  return { name: `notes-${n}.${n % 3 === 0 ? "txt" : "md"}`, bytes: Buffer.from(text) };
}

// ---------------------------------------------------------------------------------------
// One simulated user: their account, campaign, and the requests they make

/**
 * @typedef {{ kind: string, label: string, method: string, status: number, ms: number,
 *   start: number, end: number, ok: boolean, error?: string }} Sample
 * @typedef {{ samples: Sample[], deferred: Record<string, number> } | null} Recorder
 */

class User {
  /** @param {string} base @param {number} index */
  constructor(base, index) {
    this.base = base;
    this.index = index;
    this.client = new Client(base);
    /** @type {{ username: string, password: string } | null} */
    this.account = null;
    this.campaignId = "";
    this.chatId = "";
    /** @type {{ id: string, n: number }[]} */
    this.entries = [];
    /** @type {{ id: string, n: number }[]} */
    this.characters = [];
    this.uploads = 0;
    /** When each request counted by a rate limit was sent (ms, performance.now()). */
    /** @type {Record<keyof typeof LIMITS, number[]>} */
    this.sent = { write: [], search: [], ask: [], upload: [] };
    /** @type {Recorder} */
    this.recorder = null;
  }

  /** True if `counts` more requests fit in each limit's guarded share right now. */
  fits(/** @type {Partial<Record<keyof typeof LIMITS, number>>} */ counts) {
    const now = performance.now();
    for (const [name, n] of Object.entries(counts)) {
      const { limit, periodMs } = LIMITS[/** @type {keyof typeof LIMITS} */ (name)];
      const list = this.sent[/** @type {keyof typeof LIMITS} */ (name)];
      while (list.length && list[0] <= now - periodMs) list.shift();
      if (list.length + (n ?? 0) > Math.floor(limit * GUARD_SHARE)) return false;
    }
    return true;
  }

  /**
   * One request with this user's session; timed from just before it is sent to the last
   * body byte. Records it when a phase is being measured. Never throws: a failure is an
   * error sample (status 0 for no answer at all).
   * @param {string} kind @param {string} label @param {string} path
   * @param {{ method?: string, form?: Record<string, string | number>, body?: Buffer,
   *   counts?: (keyof typeof LIMITS)[], expect: number[], check?: (text: string) => string | undefined }} spec
   */
  async request(kind, label, path, spec) {
    const method = spec.method ?? (spec.form ? "POST" : "GET");
    /** @type {Record<string, string>} */
    const extra = {};
    /** @type {BodyInit | undefined} */
    let body;
    if (spec.form) {
      extra["Content-Type"] = "application/x-www-form-urlencoded";
      body = new URLSearchParams(Object.entries(spec.form).map(([k, v]) => [k, String(v)]));
    } else if (spec.body) {
      extra["Content-Type"] = "application/octet-stream";
      body = new Uint8Array(spec.body);
    }
    if (method !== "GET") extra.Origin = this.base;
    const headers = this.client.headers(extra);
    const start = performance.now();
    for (const name of spec.counts ?? []) this.sent[name].push(start);
    let status = 0;
    let text = "";
    let location = "";
    /** @type {string | undefined} */
    let error;
    try {
      const res = await fetch(this.base + path, {
        method,
        headers,
        body,
        redirect: "manual",
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      text = await res.text();
      status = res.status;
      location = res.headers.get("Location") ?? "";
      this.client.remember(res);
    } catch (e) {
      // undici says only "fetch failed"; the reason (ECONNRESET, a timeout, …) is its cause.
      const cause = e instanceof Error && e.cause instanceof Error ? e.cause : undefined;
      const code = cause && "code" in cause ? ` ${String(cause.code)}` : "";
      error = e instanceof Error ? `${e.name}: ${e.message}${cause ? ` (${cause.message}${code})` : ""}` : String(e);
    }
    const end = performance.now();
    let ok = spec.expect.includes(status);
    const wrong = ok ? spec.check?.(text) : undefined;
    if (wrong) {
      ok = false;
      error = `${method} ${path}: ${wrong}`;
    }
    if (!ok && !error) error = `${method} ${path} answered ${status}: ${text.slice(0, 300)}`;
    this.recorder?.samples.push({ kind, label, method, status, ms: end - start, start, end, ok, error });
    return { ok, status, text, location: location ? new URL(location, this.base).pathname : "", error };
  }

  /** A pause like a person's between two things they do: uniform in [0.5, 1.5] × mean. */
  think(/** @type {number} */ meanMs) {
    return sleep(meanMs * (0.5 + Math.random()));
  }

  // --- set-up (before any measured phase; not recorded, but counted by the guard) -------

  /** Signs up through the real form and creates this user's campaign with a little content. */
  async setUp() {
    const username = `bench_${process.pid}_${randomBytes(4).toString("hex")}`.slice(0, 32);
    const password = `bench-${randomBytes(12).toString("hex")}`;
    const signup = await this.request("setup", "POST /signup", "/signup", {
      form: { username, password, confirmPassword: password },
      expect: [302, 303],
    });
    // Sign-up lands on the recovery codes (or home, in older versions).
    if (!signup.ok || !/^\/(home|settings\/recovery-codes)$/.test(signup.location)) {
      throw new Error(`signing up ${username} failed: ${signup.error ?? `redirected to ${signup.location}`}`);
    }
    if (!this.client.cookies.has("__session")) throw new Error("sign-up did not set a __session cookie");
    this.account = { username, password };

    const campaign = await this.expectRedirect("/campaigns/new", {
      intent: "save",
      name: `Load test campaign ${this.index + 1}`,
      status: "active",
      system: "D&D 5e",
      description: "A campaign in the rain: the ferry, the Lantern Guild and the Moonwell key.",
    });
    this.campaignId = campaign.split("/")[2];
    for (let i = 0; i < SETUP_ENTRIES; i++) await this.newEntry(null);
    for (let i = 0; i < SETUP_CHARACTERS; i++) await this.newCharacter(null);
    this.chatId = (await this.expectRedirect(`/campaigns/${this.campaignId}/assistant`, {})).split("/")[4];
    const file = noteFile(username, ++this.uploads);
    const put = await this.request("setup", "PUT /api/files", `/api/files?name=${encodeURIComponent(file.name)}`, {
      method: "PUT",
      body: file.bytes,
      counts: ["upload"],
      expect: [200, 201],
    });
    if (!put.ok) throw new Error(`uploading during set-up failed: ${put.error}`);
  }

  /** A form POST during set-up that must redirect; returns the target path. */
  async expectRedirect(/** @type {string} */ path, /** @type {Record<string, string | number>} */ form) {
    const res = await this.request("setup", `POST ${path}`, path, { form, counts: ["write"], expect: [302, 303] });
    if (!res.ok || !res.location) throw new Error(`set-up: ${res.error ?? `POST ${path} did not redirect`}`);
    return res.location;
  }

  /** @param {number | null} thinkMs null: set-up (no form page, no think time) */
  async newEntry(thinkMs, kind = "setup") {
    const path = `/campaigns/${this.campaignId}/context/new`;
    if (thinkMs !== null) {
      if (!(await this.request(kind, "GET …/context/new", path, { expect: [200] })).ok) return;
      await this.think(thinkMs);
    }
    const n = this.entries.length;
    const res = await this.request(kind, "POST …/context/new", path, {
      form: entryFields(n + this.index, new Date().toISOString()),
      counts: ["write"],
      expect: [302, 303],
    });
    const id = res.location.match(/^\/campaigns\/[^/]+\/context\/([^/]+)$/)?.[1];
    if (!res.ok || !id) {
      if (thinkMs === null) throw new Error(`set-up: ${res.error ?? `new entry redirected to ${res.location}`}`);
      return;
    }
    this.entries.push({ id, n });
    if (thinkMs !== null) await this.request(kind, "GET …/context/:id", res.location, { expect: [200] });
  }

  /** @param {number | null} thinkMs */
  async newCharacter(thinkMs, kind = "setup") {
    const path = `/campaigns/${this.campaignId}/characters/new`;
    if (thinkMs !== null) {
      if (!(await this.request(kind, "GET …/characters/new", path, { expect: [200] })).ok) return;
      await this.think(thinkMs);
    }
    const n = this.characters.length;
    const res = await this.request(kind, "POST …/characters/new", path, {
      form: characterFields(n + this.index, new Date().toISOString()),
      counts: ["write"],
      expect: [302, 303],
    });
    const id = res.location.match(/^\/campaigns\/[^/]+\/characters\/([^/]+)$/)?.[1];
    if (!res.ok || !id) {
      if (thinkMs === null) throw new Error(`set-up: ${res.error ?? `new character redirected to ${res.location}`}`);
      return;
    }
    this.characters.push({ id, n });
    if (thinkMs !== null) await this.request(kind, "GET …/characters/:id", res.location, { expect: [200] });
  }

  /** Opens the edit form, reads its version, changes the text, saves, lands on the page. */
  async editRow(/** @type {"context" | "characters"} */ what, /** @type {number} */ thinkMs) {
    const list = what === "context" ? this.entries : this.characters;
    const row = any(list);
    const page = `/campaigns/${this.campaignId}/${what}/${row.id}`;
    const label = what === "context" ? "context/:id" : "characters/:id";
    const versionOf = (/** @type {string} */ html) => Number(html.match(/name="version" value="(\d+)"/)?.[1]);
    const form = await this.request("edit", `GET …/${label}/edit`, `${page}/edit`, {
      expect: [200],
      check: (html) => (versionOf(html) ? undefined : "the form has no version field"),
    });
    if (!form.ok) return;
    const version = versionOf(form.text);
    await this.think(thinkMs);
    const stamp = new Date().toISOString();
    const fields =
      what === "context"
        ? entryFields(row.n + this.index, stamp, version)
        : characterFields(row.n + this.index, stamp, version);
    const saved = await this.request("edit", `POST …/${label}/edit`, `${page}/edit`, {
      form: fields,
      counts: ["write"],
      expect: [302, 303],
    });
    if (saved.ok) await this.request("edit", `GET …/${label}`, saved.location, { expect: [200] });
  }

  // --- what a person does ---------------------------------------------------------------

  /** @param {number} thinkMs @returns {Promise<string>} the kind done */
  async act(thinkMs) {
    let kind = pickWeighted(KIND_WEIGHTS);
    const needs = { search: { search: 1 }, edit: { write: 1 }, ask: { ask: 1, write: 1 }, upload: { upload: 1 } };
    if (kind !== "browse" && !this.fits(needs[kind])) {
      if (this.recorder) this.recorder.deferred[kind] = (this.recorder.deferred[kind] ?? 0) + 1;
      kind = "browse";
    }
    const c = `/campaigns/${this.campaignId}`;
    switch (kind) {
      case "browse": {
        const page = pickWeighted(PAGE_WEIGHTS);
        const paths = {
          home: ["/home", "GET /home"],
          campaigns: ["/campaigns", "GET /campaigns"],
          overview: [c, "GET /campaigns/:id"],
          context: [`${c}/context`, "GET …/context"],
          entry: [`${c}/context/${any(this.entries).id}`, "GET …/context/:id"],
          character: [`${c}/characters/${any(this.characters).id}`, "GET …/characters/:id"],
          library: ["/library", "GET /library"],
          settings: ["/settings", "GET /settings"],
        };
        const [path, label] = paths[page];
        await this.request("browse", label, path, { expect: [200] });
        break;
      }
      case "search": {
        const q = encodeURIComponent(any(SEARCHES));
        // As-you-type results (the JSON API) or the search page itself, half and half.
        if (Math.random() < 0.5) {
          await this.request("search", "GET /api/search?q=", `/api/search?q=${q}`, {
            counts: ["search"],
            expect: [200],
          });
        } else {
          await this.request("search", "GET /search?q=", `/search?q=${q}`, { counts: ["search"], expect: [200] });
        }
        break;
      }
      case "edit": {
        const what = pickWeighted(EDIT_WEIGHTS);
        if (what === "new entry") await this.newEntry(thinkMs, "edit");
        else if (what === "new character") await this.newCharacter(thinkMs, "edit");
        else await this.editRow(what === "edit entry" ? "context" : "characters", thinkMs);
        break;
      }
      case "ask": {
        const chat = `${c}/assistant/${this.chatId}`;
        const question = any(QUESTIONS);
        if (Math.random() < 0.5) {
          // With JavaScript: the streamed answer, then the page's data revalidated.
          const asked = await this.request("ask", "POST /api/…/ask", `/api${c}/chats/${this.chatId}/ask`, {
            form: { question },
            counts: ["ask"],
            expect: [200],
            // The stream answers 200 and reports a failure inside it.
            check: (text) =>
              /"type":"done"/.test(text) ? undefined : `the answer did not end with "done": ${text.slice(-200)}`,
          });
          if (asked.ok) await this.request("ask", "GET …/assistant/:chatId.data", `${chat}.data`, { expect: [200] });
        } else {
          // Without JavaScript: the form post, then the page it redirects to.
          const asked = await this.request("ask", "POST …/assistant/:chatId", chat, {
            form: { intent: "ask", question },
            counts: ["ask", "write"],
            expect: [302, 303],
          });
          if (asked.ok) await this.request("ask", "GET …/assistant/:chatId", asked.location, { expect: [200] });
        }
        break;
      }
      case "upload": {
        const file = noteFile(this.account?.username ?? "", ++this.uploads);
        await this.request("upload", "PUT /api/files", `/api/files?name=${encodeURIComponent(file.name)}`, {
          method: "PUT",
          body: file.bytes,
          counts: ["upload"],
          expect: [200, 201],
        });
        break;
      }
    }
    return kind;
  }

  /** Acts until `deadline` (performance.now()), a think time before each action. */
  async loop(/** @type {number} */ deadline, /** @type {number} */ thinkMs) {
    // People do not all click at the same instant: start somewhere in the first think time.
    await sleep(Math.random() * thinkMs);
    while (performance.now() < deadline) {
      await this.act(thinkMs);
      if (performance.now() >= deadline) break;
      await this.think(thinkMs);
    }
  }

  /** Files still being processed (uploaded, not yet ready/stored/failed). */
  async pendingJobs() {
    try {
      /** @type {{ jobs: { status: string }[] }} */
      const { jobs } = await this.client.getJson("/api/jobs");
      return jobs.filter((j) => !["ready", "stored", "failed", "cancelled"].includes(j.status)).length;
    } catch {
      return 0;
    }
  }
}

/** @template {string} K @param {Readonly<Record<K, number>>} weights @returns {K} */
function pickWeighted(weights) {
  const entries = /** @type {[K, number][]} */ (Object.entries(weights));
  let r = Math.random() * entries.reduce((sum, [, w]) => sum + w, 0);
  for (const [key, w] of entries) {
    r -= w;
    if (r < 0) return key;
  }
  return entries[entries.length - 1][0];
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
// CPU: the server's processes, this client, and the whole machine

/** USER_HZ: the unit of /proc/stat and /proc/<pid>/stat, 100 on Linux. */
const CLOCK_TICKS = 100;

/** Busy and total CPU time of the whole machine so far, in seconds (all cores). */
function machineCpu() {
  const line = readFileSync("/proc/stat", "utf8").split("\n")[0];
  const ticks = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0);
  const total = ticks.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busy: (total - idle) / CLOCK_TICKS, total: total / CLOCK_TICKS };
}

/** User and system CPU seconds of a process (or of one thread: /proc/<pid>/task/<tid>). @param {string} dir */
function procCpu(dir) {
  const stat = readFileSync(`${dir}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return { user: Number(fields[11]) / CLOCK_TICKS, system: Number(fields[12]) / CLOCK_TICKS };
}

/**
 * CPU seconds and name of each thread of a process (workerd runs every isolate, its Durable
 * Objects and the local simulators on one thread; the others do I/O and V8's background work).
 * @param {number} pid
 */
function threadCpu(pid) {
  /** @type {Map<string, { name: string, seconds: number }>} */
  const threads = new Map();
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        const { user, system } = procCpu(`/proc/${pid}/task/${tid}`);
        const name = readFileSync(`/proc/${pid}/task/${tid}/comm`, "utf8").trim();
        threads.set(tid, { name, seconds: user + system });
      } catch {
        // ended meanwhile
      }
    }
  } catch {
    // the process is gone
  }
  return threads;
}

/** @typedef {{ server?: number, workerd?: number }} Pids */

/** True if `pid` is a `workerd serve` process. @param {number} pid */
function isWorkerd(pid) {
  try {
    return /(^|\/)workerd serve /.test(readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " "));
  } catch {
    return false;
  }
}

/** Parent pid of a process, or undefined. @param {number} pid */
function parentOf(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) || undefined;
  } catch {
    return undefined;
  }
}

/** @param {Pids} pids */
function cpuSnapshot(pids) {
  const read = (/** @type {number | undefined} */ pid) => {
    if (!pid) return undefined;
    try {
      return procCpu(`/proc/${pid}`);
    } catch {
      return undefined;
    }
  };
  const self = process.cpuUsage();
  return {
    at: performance.now(),
    server: read(pids.server),
    workerd: read(pids.workerd),
    client: { user: self.user / 1e6, system: self.system / 1e6 },
    machine: machineCpu(),
    workerdThreads: pids.workerd ? threadCpu(pids.workerd) : new Map(),
  };
}

/** @param {ReturnType<typeof cpuSnapshot>} a @param {ReturnType<typeof cpuSnapshot>} b @param {number} requests */
function cpuBetween(a, b, requests) {
  const wall = (b.at - a.at) / 1000;
  /** @param {{ user: number, system: number } | undefined} x @param {{ user: number, system: number } | undefined} y */
  const part = (x, y) => {
    if (x === undefined || y === undefined) return null;
    const seconds = y.user + y.system - (x.user + x.system);
    return {
      seconds: round(seconds, 2),
      cores: round(seconds / wall, 2),
      msPerRequest: round((seconds * 1000) / requests, 2),
      // Kernel time: sockets, files (the local state is SQLite files and blobs on disk), wake-ups.
      systemShare: seconds > 0 ? round((y.system - x.system) / seconds, 2) : null,
    };
  };
  const busy = b.machine.busy - a.machine.busy;
  const spent = (/** @type {{ user: number, system: number } | undefined} */ x, /** @type {typeof x} */ y) =>
    x === undefined || y === undefined ? 0 : y.user + y.system - (x.user + x.system);
  const ours = spent(a.server, b.server) + spent(a.workerd, b.workerd) + spent(a.client, b.client);
  /** @type {{ name: string, cores: number, msPerRequest: number }[]} */
  const threads = [];
  for (const [tid, { name, seconds }] of b.workerdThreads) {
    const used = seconds - (a.workerdThreads.get(tid)?.seconds ?? 0);
    if (used > 0)
      threads.push({ name, cores: round(used / wall, 2), msPerRequest: round((used * 1000) / requests, 2) });
  }
  threads.sort((x, y) => y.cores - x.cores);
  return {
    wallSeconds: round(wall, 1),
    // scripts/serve.mjs: Miniflare in Node. Not on the request path; per request it receives
    // the entry worker's log line (POST /core/log on its loopback server) and prints it.
    server: part(a.server, b.server),
    workerd: part(a.workerd, b.workerd),
    // workerd runs the Worker, its Durable Objects and the local D1/KV/R2 simulators on one
    // thread: near 1.00 here, that thread is the limit, however many cores are free.
    workerdBusiestThreadCores: a.workerd === undefined ? null : (threads[0]?.cores ?? 0),
    workerdThreads: threads.slice(0, 4),
    client: part(a.client, b.client),
    machine: { busyCores: round(busy / wall, 2), msPerRequest: round((busy * 1000) / requests, 2) },
    // Everything else that ran meanwhile (other people's tests, the kernel): noise to judge by.
    othersCores: round(Math.max(0, busy - ours) / wall, 2),
  };
}

// ---------------------------------------------------------------------------------------
// Statistics

/** @param {number[]} ms */
function latency(ms) {
  if (!ms.length) return { p50: null, p95: null, p99: null, mean: null, max: null };
  const sorted = [...ms].sort((a, b) => a - b);
  return {
    p50: round(percentile(sorted, 50), 1),
    p95: round(percentile(sorted, 95), 1),
    p99: round(percentile(sorted, 99), 1),
    mean: round(sorted.reduce((s, x) => s + x, 0) / sorted.length, 1),
    max: round(sorted[sorted.length - 1], 1),
  };
}

/** @param {Sample[]} samples @param {number} windowEnd @param {number} seconds */
function summarise(samples, windowEnd, seconds) {
  /** @type {Record<string, number>} */
  const errors = {};
  let rateLimited = 0;
  let otherErrors = 0;
  for (const s of samples) {
    if (s.ok) continue;
    // A rate limit's answer is not the app failing: counted on its own (the target is none).
    if (s.status === 429) {
      rateLimited++;
      continue;
    }
    otherErrors++;
    const key = s.status === 0 ? "no answer" : String(s.status);
    errors[key] = (errors[key] ?? 0) + 1;
  }
  const completed = samples.filter((s) => s.end <= windowEnd).length;
  return {
    requests: samples.length,
    completedInWindow: completed,
    throughput: round(completed / seconds, 1),
    errors: otherErrors,
    rateLimited,
    errorsByStatus: errors,
    ...latency(samples.map((s) => s.ms)),
  };
}

// ---------------------------------------------------------------------------------------
// One measured phase

/**
 * Every failed request but the 429s, grouped by status and request: what failed, how often,
 * and the first answer (with the real path).
 * @param {Sample[]} samples
 */
function errorList(samples) {
  /** @type {Map<string, { status: string, kind: string, request: string, count: number, first: string }>} */
  const groups = new Map();
  for (const s of samples) {
    if (s.ok || s.status === 429) continue;
    const status = s.status === 0 ? "no answer" : String(s.status);
    const key = `${status}\t${s.label}`;
    const group = groups.get(key);
    if (group) group.count++;
    else groups.set(key, { status, kind: s.kind, request: s.label, count: 1, first: (s.error ?? "").slice(0, 400) });
  }
  return [...groups.values()].sort((a, b) => b.count - a.count);
}

/**
 * @param {string} name @param {User[]} users @param {Options} options @param {Pids} pids
 */
async function measure(name, users, options, pids) {
  /** @type {NonNullable<Recorder>} */
  const recorder = { samples: [], deferred: {} };
  for (const u of users) u.recorder = recorder;
  log(`${name}: ${users.length} users for ${options.seconds} s (think time ${options.thinkMs} ms on average)`);
  const load = loadavg()[0];
  let loadMax = load;
  const loadSampler = setInterval(() => {
    loadMax = Math.max(loadMax, loadavg()[0]);
  }, 2_000);
  const before = cpuSnapshot(pids);
  const t0 = performance.now();
  const windowEnd = t0 + options.seconds * 1000;
  /** @type {ReturnType<typeof cpuSnapshot> | null} */
  let atWindowEnd = null;
  const snap = setTimeout(() => {
    atWindowEnd = cpuSnapshot(pids);
  }, options.seconds * 1000);
  const progress = setInterval(() => {
    const done = recorder.samples.length;
    const limited = recorder.samples.filter((s) => s.status === 429).length;
    const bad = recorder.samples.filter((s) => !s.ok && s.status !== 429).length;
    log(
      `${name}: ${Math.round((performance.now() - t0) / 1000)} s, ${done} requests, ${bad} errors, ${limited}×429, load average ${loadavg()[0].toFixed(2)}`,
    );
  }, 15_000);
  const workerdMemory = pids.workerd ? memoryOf(pids.workerd).rssKiB : undefined;
  try {
    await Promise.all(users.map((u) => u.loop(windowEnd, options.thinkMs)));
  } finally {
    clearInterval(progress);
    clearInterval(loadSampler);
    clearTimeout(snap);
    for (const u of users) u.recorder = null;
  }
  const loadAtEnd = loadavg()[0];
  const drainSeconds = Math.max(0, (performance.now() - windowEnd) / 1000);
  const after = atWindowEnd ?? cpuSnapshot(pids);
  const samples = recorder.samples;
  const total = summarise(samples, windowEnd, options.seconds);
  const errors = errorList(samples);
  for (const e of errors.slice(0, 5)) log(`${name}: ${e.count}× ${e.status} ${e.request}: ${e.first}`);
  const rateLimited = samples.filter((s) => s.status === 429);
  if (rateLimited.length) {
    log(`${name}: ${rateLimited.length}× 429 (${[...new Set(rateLimited.map((s) => s.label))].join(", ")})`);
  }

  /** @type {Map<string, Sample[]>} */
  const byLabel = new Map();
  for (const s of samples) {
    const key = `${s.kind}\t${s.label}`;
    byLabel.set(key, [...(byLabel.get(key) ?? []), s]);
  }
  return {
    name,
    users: users.length,
    seconds: options.seconds,
    loadAverage: { start: round(load, 2), max: round(Math.max(loadMax, loadAtEnd), 2), end: round(loadAtEnd, 2) },
    drainSeconds: round(drainSeconds, 1),
    workerdRssMiB: pids.workerd
      ? { before: round((workerdMemory ?? 0) / 1024, 0), after: round(memoryOf(pids.workerd).rssKiB / 1024, 0) }
      : null,
    total,
    byKind: Object.fromEntries(
      KINDS.map((kind) => [
        kind,
        summarise(
          samples.filter((s) => s.kind === kind),
          windowEnd,
          options.seconds,
        ),
      ]),
    ),
    byRequest: [...byLabel]
      .map(([key, list]) => {
        const [kind, label] = key.split("\t");
        return { kind, request: label, ...summarise(list, windowEnd, options.seconds) };
      })
      .sort(
        (a, b) =>
          KINDS.indexOf(/** @type {any} */ (a.kind)) - KINDS.indexOf(/** @type {any} */ (b.kind)) ||
          b.requests - a.requests,
      ),
    deferredByGuard: recorder.deferred,
    cpu: cpuBetween(before, after, Math.max(1, total.completedInWindow)),
    errors,
  };
}

/** Waits until no user of `users` has a file still being processed (bounded). */
async function settle(/** @type {User[]} */ users) {
  const deadline = Date.now() + SETTLE_TIMEOUT_MS;
  for (;;) {
    let pending = 0;
    for (const u of users) pending += await u.pendingJobs();
    if (!pending) return;
    if (Date.now() > deadline) {
      log(`${pending} files still processing after ${SETTLE_TIMEOUT_MS / 1000} s; going on`);
      return;
    }
    await sleep(500);
  }
}

// ---------------------------------------------------------------------------------------
// Main

/** @type {User[]} */
let everyone = [];
let cleanUpAccounts = false;

async function main() {
  const options = parseOptions();
  const t0 = performance.now();
  const base = options.url ?? (await server.start());
  // The server process (scripts/serve.mjs, Miniflare in Node) and the workerd below it that
  // answers every request on the server's port. With --url, --server-pid may name either.
  let serverPid = options.url ? options.serverPid : server.child?.pid;
  let workerdPid = serverPid ? findWorkerd(serverPid) : undefined;
  if (serverPid && !workerdPid && isWorkerd(serverPid)) {
    workerdPid = serverPid;
    serverPid = parentOf(workerdPid);
  }
  if (!serverPid) log("no server pid (--server-pid): the CPU figures cover this client and the machine only");
  else if (!workerdPid) log(`no workerd found below pid ${serverPid}: no workerd CPU figures`);
  cleanUpAccounts = Boolean(options.url);
  /** @type {Pids} */
  const pids = { server: serverPid, workerd: workerdPid };

  // 1. Accounts: each user signs up through the real form (their own client address) and
  //    gets a campaign with a few entries, characters, a conversation and a file.
  const users = Array.from({ length: options.baselineUsers + options.users }, (_, i) => new User(base, i));
  everyone = users;
  const baseline = users.slice(0, options.baselineUsers);
  const crowd = users.slice(options.baselineUsers);
  log(`setting up ${users.length} accounts (${SETUP_CONCURRENCY} at a time)`);
  const tSetup = performance.now();
  await pool(users.length, SETUP_CONCURRENCY, async (i) => {
    await users[i].setUp();
    if ((i + 1) % 10 === 0) log(`${i + 1} accounts ready`);
  });
  await settle(users);
  const setupSeconds = (performance.now() - tSetup) / 1000;
  log(`set-up took ${setupSeconds.toFixed(1)} s`);

  // 2. Warm-up: the same traffic, unmeasured, so the first phase does not pay for JIT.
  if (options.warmupSeconds > 0) {
    const warm = baseline.length ? baseline : crowd.slice(0, 5);
    log(`warming up for ${options.warmupSeconds} s with ${warm.length} users`);
    await Promise.all(warm.map((u) => u.loop(performance.now() + options.warmupSeconds * 1000, options.thinkMs)));
    await settle(warm);
  }

  // 3. The phases, one after the other, on the same server. First a look at how busy the
  //    machine is without us: other processes' load shows in every figure.
  const idleBefore = cpuSnapshot(pids);
  await sleep(3_000);
  const idle = cpuBetween(idleBefore, cpuSnapshot(pids), 1);
  if (idle.othersCores > 0.3) {
    log(`the machine is busy: other processes use ${idle.othersCores} cores; expect disturbed figures`);
  }
  const phases = [];
  if (baseline.length) {
    phases.push(await measure("baseline", baseline, options, pids));
    await settle(baseline);
    await sleep(2_000);
  }
  phases.push(await measure("load", crowd, options, pids));
  await settle(crowd);

  const [small, big] = phases.length === 2 ? phases : [null, phases[0]];
  const ratio = (/** @type {number | null} */ a, /** @type {number | null} */ b) =>
    a === null || b === null || b === 0 ? null : round(a / b, 2);
  const ratios =
    small && big
      ? {
          users: ratio(big.users, small.users),
          throughput: ratio(big.total.throughput, small.total.throughput),
          p95: ratio(big.total.p95, small.total.p95),
          byKind: Object.fromEntries(
            KINDS.map((k) => [
              k,
              {
                throughput: ratio(big.byKind[k].throughput, small.byKind[k].throughput),
                p95: ratio(big.byKind[k].p95, small.byKind[k].p95),
              },
            ]),
          ),
          cpuMsPerRequest: {
            server: ratio(big.cpu.server?.msPerRequest ?? null, small.cpu.server?.msPerRequest ?? null),
            workerd: ratio(big.cpu.workerd?.msPerRequest ?? null, small.cpu.workerd?.msPerRequest ?? null),
          },
        }
      : null;

  const result = {
    benchmark: "load",
    note: "Wall-clock latency from this client (same machine, loopback) from request start to the last body byte. Throughput counts requests completed inside the window. CPU per request = CPU seconds of the process during the window ÷ requests completed in it.",
    date: new Date().toISOString(),
    node: process.version,
    cores: availableParallelism(),
    server: options.url
      ? base
      : "scripts/serve.mjs as npm start runs it (built app on workerd, no proxy in front), fresh local state",
    target: base,
    pids,
    thinkMs: options.thinkMs,
    weights: { kinds: KIND_WEIGHTS, pages: PAGE_WEIGHTS, edits: EDIT_WEIGHTS },
    setupSeconds: round(setupSeconds, 1),
    otherProcessesCoresBefore: idle.othersCores,
    phases,
    ratios,
    totalSeconds: 0,
  };
  result.totalSeconds = round((performance.now() - t0) / 1000, 1);
  if (options.json) console.log(JSON.stringify(result));
  else printTables(result);
}

// ---------------------------------------------------------------------------------------
// Output

/** @param {string[]} header @param {string[][]} rows @param {number} [leftColumns] */
function markdownTable(header, rows, leftColumns = 1) {
  const widths = header.map((h, i) => Math.max(3, h.length, ...rows.map((r) => r[i].length)));
  const line = (/** @type {string[]} */ cells) =>
    `| ${cells.map((c, i) => (i < leftColumns ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(" | ")} |`;
  const rule = `| ${widths.map((w, i) => (i < leftColumns ? `${"-".repeat(w)}` : `${"-".repeat(w - 1)}:`)).join(" | ")} |`;
  return [line(header), rule, ...rows.map(line)].join("\n");
}

const f = (/** @type {number | null | undefined} */ x, digits = 0) =>
  x === null || x === undefined ? "—" : x.toFixed(digits);

/** @param {any} result */
function printTables(result) {
  const out = [
    "",
    `## Load benchmark — ${result.date}, Node ${result.node}, ${result.cores} cores`,
    "",
    `Server: ${result.server}; requests to ${result.target}. Think time ${result.thinkMs} ms on average`,
    "(uniform 0.5–1.5×) before each action a person starts. Latency: wall clock from this client on the same",
    "machine, request start to last body byte. Throughput: requests completed inside the window ÷ its length.",
    `Other processes used ${f(result.otherProcessesCoresBefore, 2)} of ${result.cores} cores just before the first phase.`,
    "",
  ];
  /** @param {any} s */
  const errorCell = (s) =>
    Object.entries(s.errorsByStatus)
      .map(([k, n]) => `${n}×${k}`)
      .join(" ") || "0";
  const header = ["phase", "kind", "requests", "errors", "429", "req/s", "p50 ms", "p95 ms", "p99 ms"];
  const rows = [];
  for (const p of result.phases) {
    for (const kind of [...KINDS, "all"]) {
      const s = kind === "all" ? p.total : p.byKind[kind];
      rows.push([
        kind === "all" ? `**${p.name} (${p.users} users)**` : `${p.name} (${p.users} users)`,
        kind === "all" ? "**all**" : kind,
        String(s.requests),
        errorCell(s),
        String(s.rateLimited),
        f(s.throughput, 1),
        f(s.p50),
        f(s.p95),
        f(s.p99),
      ]);
    }
  }
  out.push(markdownTable(header, rows, 2), "");

  if (result.ratios) {
    const r = result.ratios;
    const [small, big] = result.phases;
    out.push(
      `### ${big.users} vs ${small.users} users (×${f(r.users, 1)} users)`,
      "",
      markdownTable(
        ["kind", "throughput ratio", "p95 ratio"],
        [
          ...KINDS.map((k) => [k, `×${f(r.byKind[k].throughput, 2)}`, `×${f(r.byKind[k].p95, 2)}`]),
          ["**all**", `**×${f(r.throughput, 2)}**`, `**×${f(r.p95, 2)}**`],
        ],
      ),
      "",
      `Perfect scaling: throughput ×${f(r.users, 1)} at p95 ×1.00.`,
      "",
    );
  }

  out.push(
    "### CPU per request (during each window)",
    "",
    markdownTable(
      [
        "phase",
        "workerd ms/req",
        "workerd cores",
        "workerd busiest thread",
        "workerd kernel share",
        "serve.mjs (Node) ms/req",
        "serve.mjs cores",
        "client ms/req",
        "client cores",
        "other processes cores",
        "machine busy cores",
        "load average (start / max / end)",
      ],
      result.phases.map((/** @type {any} */ p) => [
        `${p.name} (${p.users} users)`,
        f(p.cpu.workerd?.msPerRequest, 2),
        f(p.cpu.workerd?.cores, 2),
        f(p.cpu.workerdBusiestThreadCores, 2),
        f(p.cpu.workerd?.systemShare, 2),
        f(p.cpu.server?.msPerRequest, 2),
        f(p.cpu.server?.cores, 2),
        f(p.cpu.client?.msPerRequest, 2),
        f(p.cpu.client?.cores, 2),
        f(p.cpu.othersCores, 2),
        f(p.cpu.machine.busyCores, 2),
        `${f(p.loadAverage.start, 2)} / ${f(p.loadAverage.max, 2)} / ${f(p.loadAverage.end, 2)}`,
      ]),
    ),
    "",
    "workerd = the process that answers every request on the server's port: the Worker, its Durable Objects,",
    "the local D1/KV/R2/rate-limit simulators, the static assets and Miniflare's entry worker; its busiest",
    "thread is the one that runs all of that (1.00 = saturated, whatever the other cores do); kernel share =",
    "its system time ÷ its CPU time. serve.mjs = scripts/serve.mjs, Miniflare in Node: not on the request path,",
    "it only receives and prints the entry worker's per-request log line. client = this benchmark; other",
    "processes = the machine's busy time minus those three (other people's builds and tests disturb a run:",
    "judge the figures by this column).",
    "",
  );
  const threadRows = result.phases.flatMap((/** @type {any} */ p) =>
    (p.cpu.workerdThreads ?? []).map((/** @type {any} */ t) => [
      `${p.name} (${p.users} users)`,
      t.name,
      f(t.cores, 2),
      f(t.msPerRequest, 2),
    ]),
  );
  if (threadRows.length) {
    out.push(
      "workerd's busiest threads:",
      "",
      markdownTable(["phase", "thread", "cores", "ms/req"], threadRows, 2),
      "",
    );
  }
  for (const p of result.phases) {
    if (!p.errors.length) continue;
    out.push(
      `Errors (${p.name}, 429s apart):`,
      "",
      markdownTable(
        ["status", "request", "n", "first answer"],
        p.errors.map((/** @type {any} */ e) => [
          e.status,
          e.request,
          String(e.count),
          e.first.replaceAll("|", "\\|").replace(/\s+/g, " ").slice(0, 200),
        ]),
        2,
      ),
      "",
    );
  }
  out.push("### By request", "");
  for (const p of result.phases) {
    out.push(
      `${p.name} (${p.users} users):`,
      "",
      markdownTable(
        ["kind", "request", "n", "errors", "429", "p50 ms", "p95 ms", "p99 ms"],
        p.byRequest.map((/** @type {any} */ r) => [
          r.kind,
          r.request,
          String(r.requests),
          errorCell(r),
          String(r.rateLimited),
          f(r.p50),
          f(r.p95),
          f(r.p99),
        ]),
        2,
      ),
      "",
    );
    const deferred = Object.entries(p.deferredByGuard);
    out.push(
      `Actions the pacing guard turned into browsing (a burst near ${GUARD_SHARE * 100}% of a limit): ${deferred.length ? deferred.map(([k, n]) => `${k} ${n}`).join(", ") : "none"}. ` +
        `Drain after the window: ${p.drainSeconds} s.${p.workerdRssMiB ? ` workerd RSS ${p.workerdRssMiB.before} → ${p.workerdRssMiB.after} MiB.` : ""}`,
      "",
    );
  }
  out.push(
    `Set-up (${result.phases.reduce((/** @type {number} */ n, /** @type {any} */ p) => n + p.users, 0)} accounts) took ${result.setupSeconds} s; the whole run ${result.totalSeconds} s.`,
    "",
  );
  console.log(out.join("\n"));
}

await run(main, {
  timeoutMs: OVERALL_TIMEOUT_MS,
  stop: async () => {
    // On someone else's server, every throwaway account goes (and its data with it).
    // Our own server's state folder is removed whole when it stops.
    if (cleanUpAccounts) {
      const signedUp = everyone.filter((u) => u.account);
      if (signedUp.length) log(`deleting ${signedUp.length} throwaway accounts`);
      await pool(signedUp.length, SETUP_CONCURRENCY, async (i) => {
        const u = signedUp[i];
        if (u.account) await u.client.deleteAccount(u.account);
      });
      cleanUpAccounts = false;
    }
    await server.stop();
  },
  stopSync: () => server.stopSync(),
});
