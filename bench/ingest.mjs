#!/usr/bin/env node
// Benchmark: ingestion, from upload to searchable. Scenarios (see bench/README.md):
//
//   --pdf        ../shared/corpus/pdf/srd-all.pdf (664 pages), one upload
//   --srd-md     the 17 Markdown files of ../shared/corpus/srd5 (1.5 MB)
//   --notes <n>  n generated Markdown notes of 0.5–3 KB of made-up campaign text
//
// With none of them: --pdf and --srd-md (the run this benchmark always made). --behind-pdf
// first uploads srd-all.pdf to each scenario's account and starts the files once its pages
// are being read (a rulebook, then a folder of notes), reporting the pages it read meanwhile. Each scenario
// signs up its own account (its own UserFileTracker) and uploads through the app's real
// upload API (`PUT /api/files`), --concurrency at a time as a browser does (its upload
// panel starts every dropped file at once; a browser keeps 6 connections to a host),
// listening on the app's live socket (`/ws`) as the Library page does. It times, from the
// completion of the last upload, until every file is `ready`, and until a search
// (`GET /api/search`, scoped to the file) finds the last of them; then checks that every
// file is found. The breakdown of where the time went comes from the tracker's job rows
// (`timings` in `GET /api/jobs`) and its alarm log lines. In the same run it times raw
// text extraction of the PDF and the Markdown files on the same runtime: a minimal Worker
// (Miniflare, the same workerd) that reads the file from its R2 and runs pdf.js over every
// page (or decodes the Markdown), nothing else — the floor no pipeline can beat.
//
//   npm run build && node bench/ingest.mjs [--pdf] [--srd-md] [--notes 500] [--runs 3]
//     [--concurrency 6] [--pad 50,100] [--json] [--url <base> [--workerd-pid <pid>]]
//
// --pad adds runs of srd-all.pdf grown to those sizes (MB) by an appended incremental
// update holding an unreferenced object: same pages and text, a bigger file, to see how
// memory follows file size.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import WebSocket from "ws";
import { Client, intOption, log, median, memoryOf, PreviewServer, ROOT, round, run, sleep } from "./lib.mjs";

const CORPUS = resolve(ROOT, "../shared/corpus");
const PDF = join(CORPUS, "pdf/srd-all.pdf");
const MARKDOWN_DIR = join(CORPUS, "srd5");
const OVERALL_TIMEOUT_MS = 30 * 60_000;
const READY_TIMEOUT_MS = 15 * 60_000;
const POLL_MS = 250;
const SAMPLE_MS = 50;
const MiB = 1024 * 1024;
/** Rate limits the benchmark's own build copy raises: 500 uploads would take 8 minutes at 60 a minute. */
const RAISED_LIMITS = ["UPLOAD_LIMITER", "SEARCH_LIMITER"];

const { values: options } = parseArgs({
  options: {
    pdf: { type: "boolean", default: false },
    "srd-md": { type: "boolean", default: false },
    "behind-pdf": { type: "boolean", default: false },
    notes: { type: "string" },
    runs: { type: "string", default: "1" },
    concurrency: { type: "string", default: "6" },
    pad: { type: "string", default: "" },
    json: { type: "boolean", default: false },
    url: { type: "string" },
    "workerd-pid": { type: "string" },
    help: { type: "boolean", default: false },
  },
});
if (options.help) {
  console.log(
    "Usage: node bench/ingest.mjs [--pdf] [--srd-md] [--notes <n>] [--behind-pdf] [--runs <n>] [--concurrency <n>] [--pad 50,100] [--json] [--url <base> [--workerd-pid <pid>]]",
  );
  process.exit(0);
}
const noteCount = options.notes === undefined ? 0 : intOption("notes", options.notes, 1);
const runs = intOption("runs", options.runs, 1);
const concurrency = intOption("concurrency", options.concurrency, 1);
const anyScenario = options.pdf || options["srd-md"] || noteCount > 0;
const scenarios = {
  pdf: options.pdf || !anyScenario,
  srdMd: options["srd-md"] || !anyScenario,
  notes: noteCount,
};
const padSizes = options.pad
  ? options.pad.split(",").map((s) => {
      const mb = Number(s);
      if (!Number.isFinite(mb) || mb <= 11) throw new Error(`--pad sizes are MB above the PDF's 10.8 MB, got ${s}`);
      return mb;
    })
  : [];

/**
 * The built app, from a copy of the build whose upload and search rate limits are raised
 * (nothing else differs): this benchmark measures processing, not the limiter, and a
 * 500-note import at the app's 60 uploads a minute would spread over 8 minutes.
 */
class IngestPreview extends PreviewServer {
  /** @param {Record<string, string>} vars */
  copyBuildWithVars(vars) {
    const copy = super.copyBuildWithVars(vars);
    // (The copy's wrangler.json, or the folder of a copy for `vite preview`.)
    const path = typeof copy === "string" ? copy : join(copy.root, "build/server/wrangler.json");
    const config = JSON.parse(readFileSync(path, "utf8"));
    config.ratelimits = (config.ratelimits ?? []).map((/** @type {any} */ limit) =>
      RAISED_LIMITS.includes(limit.name) ? { ...limit, simple: { ...limit.simple, limit: 1_000_000 } } : limit,
    );
    writeFileSync(path, JSON.stringify(config));
    return copy;
  }
}

const server = new IngestPreview();
/** Uploads sent a second time after the connection dropped before any answer. */
let uploadRetries = 0;
/** The app's log lines (the tracker's `ingest alarm: {...}`), as they arrive. */
const serverLines = [];

/** Samples the workerd process's resident memory while `work` runs; reports the peak. */
async function withMemory(pid, work) {
  const before = pid ? memoryOf(pid).rssKiB : Number.NaN;
  let peak = before;
  let sampling = true;
  const sampler = (async () => {
    while (sampling && pid) {
      peak = Math.max(peak, memoryOf(pid).rssKiB);
      await sleep(SAMPLE_MS);
    }
  })();
  try {
    return { result: await work(), beforeMiB: before / 1024, peakMiB: peak / 1024 };
  } finally {
    sampling = false;
    await sampler;
  }
}

/**
 * The account's live socket, as the Library page opens it: remembers when each file was
 * first seen in each status. Falls back to polling `GET /api/jobs` if it cannot connect.
 */
class JobWatcher {
  constructor(/** @type {Client} */ client) {
    this.client = client;
    /** @type {Map<string, Record<string, number>>} fileName → status → first seen (performance.now()) */
    this.seen = new Map();
    /** @type {Map<string, any>} fileName → latest job */
    this.latest = new Map();
    this.messages = 0;
    /** @type {WebSocket | null} */
    this.ws = null;
    this.polling = false;
  }

  note(/** @type {any} */ job) {
    const at = performance.now();
    const seen = this.seen.get(job.fileName) ?? {};
    seen[job.status] ??= at;
    this.seen.set(job.fileName, seen);
    this.latest.set(job.fileName, job);
  }

  async open() {
    const url = `${this.client.base.replace(/^http/, "ws")}/ws`;
    try {
      await new Promise((resolveOpen, reject) => {
        const ws = new WebSocket(url, { headers: this.client.headers({ Origin: this.client.base }) });
        ws.on("open", () => {
          this.ws = ws;
          resolveOpen(undefined);
        });
        ws.on("error", reject);
        ws.on("message", (data) => {
          this.messages++;
          const message = JSON.parse(String(data));
          if (message.type === "snapshot") for (const job of message.jobs) this.note(job);
          if (message.type === "job") this.note(message.job);
        });
      });
    } catch (error) {
      log(`no live socket (${error instanceof Error ? error.message : error}): polling /api/jobs instead`);
      this.polling = true;
    }
  }

  /** Resolves when every named file is ready; with a failed one, says which. */
  async until(/** @type {string[]} */ names) {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      if (this.polling || !this.ws || this.ws.readyState !== WebSocket.OPEN) {
        const { jobs } = await this.client.getJson("/api/jobs");
        for (const job of jobs) this.note(job);
      }
      const failed = names.map((name) => this.latest.get(name)).find((job) => job?.status === "failed");
      if (failed) return { failed };
      if (names.every((name) => this.seen.get(name)?.ready !== undefined)) return {};
      if (Date.now() > deadline) throw new Error(`not ready after ${READY_TIMEOUT_MS / 60_000} minutes`);
      await sleep(this.polling ? POLL_MS : 20);
    }
  }

  close() {
    this.ws?.close();
  }
}

/** Runs `work` over `items`, `limit` at a time; results in order. */
async function pool(items, limit, work) {
  const results = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await work(items[i], i);
      }
    }),
  );
  return results;
}

/**
 * Uploads srd-all.pdf and waits until its pages are being read; `stop` says how many pages
 * it read while the measured files went through, then cancels it (so that it does not run
 * on under the next measurement).
 */
async function readingPdf(client, watcher) {
  const name = "srd-all.pdf";
  const fileKey = await client.uploadFile(name, readFileSync(PDF));
  const deadline = Date.now() + 5 * 60_000;
  while ((watcher.latest.get(name)?.pagesDone ?? 0) < 20) {
    if (watcher.latest.get(name)?.status === "failed") throw new Error(`${name} failed`);
    if (Date.now() > deadline) throw new Error(`${name} was not being read after 5 minutes`);
    await sleep(50);
  }
  const pagesAtStart = watcher.latest.get(name)?.pagesDone ?? 0;
  const startedAt = performance.now();
  return {
    async stop(/** @type {{ ready?: number }} */ result) {
      const pagesAtEnd = watcher.latest.get(name)?.pagesDone ?? 0;
      const seconds = ((result.ready ?? performance.now()) - startedAt) / 1000;
      await client.post(`/library/${fileKey}`, { intent: "cancel" });
      return { pagesAtStart, pagesAtEnd, pagesPerSecond: round((pagesAtEnd - pagesAtStart) / seconds, 1) };
    },
  };
}

/** A search scoped to one file that must find it; resolves with the time it took. */
async function findable(client, fileKey, query) {
  const started = performance.now();
  const params = new URLSearchParams({ q: query, fileKey, k: "1" });
  const answer = await client.getJson(`/api/search?${params}`);
  return { found: answer.results.length > 0, ms: performance.now() - started };
}

/**
 * One scenario on a fresh account: uploads `files` ({ name, bytes, query }) `concurrency`
 * at a time and waits until all are ready and findable.
 */
async function ingest(base, pid, files, { behindPdf = false } = {}) {
  const client = new Client(base);
  const account = await client.signUp();
  const watcher = new JobWatcher(client);
  await watcher.open();
  // The account's tracker is already reading a long PDF when the files arrive.
  const book = behindPdf ? await readingPdf(client, watcher) : null;
  const linesBefore = serverLines.length;
  const loadBefore = loadavg()[0];
  const measured = await withMemory(pid, async () => {
    const start = performance.now();
    const uploads = await pool(files, concurrency, async (file) => {
      const began = performance.now();
      const fileKey = await client.uploadFile(file.name, file.bytes).catch((error) => {
        // A kept-alive connection the server closed as the request went out: like a browser,
        // send it again once (nothing arrived: the request never reached the app).
        const cause = error.cause?.code ?? error.cause?.message ?? "";
        if (!/UND_ERR_SOCKET|ECONNRESET|other side closed/.test(cause)) throw error;
        log(`uploading ${file.name}: ${error.message} (${cause}); sending it again`);
        uploadRetries++;
        return client.uploadFile(file.name, file.bytes);
      });
      return { fileKey, began, ended: performance.now() };
    });
    const uploaded = Math.max(...uploads.map((u) => u.ended));
    const { failed } = await watcher.until(files.map((file) => file.name));
    const ready = performance.now();
    if (failed) return { failed };
    // The file that became ready last is searched first: that is when the whole set is findable.
    const order = files
      .map((file, i) => ({ file, upload: uploads[i], readyAt: watcher.seen.get(file.name)?.ready ?? 0 }))
      .sort((a, b) => b.readyAt - a.readyAt);
    const last = order[0];
    const first = await findable(client, last.upload.fileKey, last.file.query);
    const searchable = performance.now();
    const rest = await pool(order.slice(1), 4, ({ file, upload }) => findable(client, upload.fileKey, file.query));
    const found = [first, ...rest].filter((r) => r.found).length;
    const notFound = order.filter((_o, i) => ![first, ...rest][i].found).map((o) => o.file.name);
    return { start, uploaded, ready, searchable, uploads, found, notFound, firstSearchMs: first.ms };
  });
  const loadAfter = loadavg()[0];
  const pdfWhile = book ? await book.stop(measured.result) : null;
  watcher.close();
  const result = measured.result;
  const totalBytes = files.reduce((n, file) => n + file.bytes.length, 0);
  if (result.failed) {
    return { failed: `${result.failed.fileName}: ${result.failed.error}`, MB: round(totalBytes / MiB, 2) };
  }
  const { jobs } = await client.getJson("/api/jobs?timings=1");
  const mine = jobs.filter((job) => result.uploads.some((u) => u.fileKey === job.fileKey));
  const alarms = serverLines
    .slice(linesBefore)
    .map((line) => /ingest alarm: (\{.*\})/.exec(line)?.[1])
    .filter(Boolean)
    .map((json) => JSON.parse(/** @type {string} */ (json)));
  if (options.url) await client.deleteAccount(account);
  const seconds = (a, b) => round((b - a) / 1000, 2);
  const chunks = mine.reduce((n, job) => n + job.chunksTotal, 0);
  const pages = mine.reduce((n, job) => n + (job.pageCount ?? 0), 0);
  const stage = (name) => {
    const times = files.map((file) => watcher.seen.get(file.name)?.[name]).filter((t) => t !== undefined);
    return times.length ? seconds(result.uploaded, Math.min(...times)) : null;
  };
  return {
    files: files.length,
    MB: round(totalBytes / MiB, 2),
    pages,
    chunks,
    concurrency,
    uploadSeconds: seconds(result.start, result.uploaded),
    medianUploadMs: round(median(result.uploads.map((u) => u.ended - u.began)), 0),
    lastUploadToReadySeconds: seconds(result.uploaded, result.ready),
    lastUploadToSearchableSeconds: seconds(result.uploaded, result.searchable),
    secondsToSearchable: seconds(result.start, result.searchable),
    firstSearchMs: round(result.firstSearchMs, 0),
    foundBySearch: `${result.found}/${files.length}`,
    notFound: result.notFound,
    pagesPerSecond: pages ? round(pages / ((result.searchable - result.start) / 1000), 1) : null,
    MBPerSecond: round(totalBytes / MiB / ((result.searchable - result.start) / 1000), 3),
    chunksPerSecond: round(chunks / ((result.searchable - result.start) / 1000), 1),
    firstSeenAfterLastUploadSeconds: {
      extracting: stage("extracting"),
      indexing: stage("indexing"),
      embedding: stage("embedding"),
      ready: stage("ready"),
    },
    ...(pdfWhile ? { pdfWhile } : {}),
    liveMessages: watcher.messages,
    uploadRetries,
    breakdown: breakdownOf(mine, alarms),
    loadAverage1m: { before: round(loadBefore, 2), after: round(loadAfter, 2) },
    workerdRssBeforeMiB: round(measured.beforeMiB, 1),
    workerdRssPeakMiB: round(measured.peakMiB, 1),
    workerdRssRiseMiB: round(measured.peakMiB - measured.beforeMiB, 1),
  };
}

/**
 * Where the time went, from the tracker: its job rows' timings (summed over the files:
 * work shared by several files is split between them, so the sums are the object's busy
 * time per kind) and its alarm log lines (how late each alarm ran, how long it worked).
 */
function breakdownOf(jobs, alarms) {
  const timed = jobs.filter((job) => job.timings);
  if (timed.length === 0) return { note: "this build's jobs carry no timings" };
  const sum = (key) =>
    round(
      timed.reduce((n, job) => n + (job.timings.ms[key] ?? 0), 0),
      0,
    );
  const queuedAt = Math.min(...timed.map((job) => job.timings.queuedAt));
  const firstStep = Math.min(...timed.map((job) => job.timings.firstStepAt ?? Number.POSITIVE_INFINITY));
  const done = Math.max(...timed.map((job) => job.timings.doneAt ?? 0));
  const lastQueued = Math.max(...timed.map((job) => job.timings.queuedAt));
  const busy = ["sync", "extract", "index", "embed", "status"].reduce((n, key) => n + sum(key), 0);
  return {
    jobSteps: timed.reduce((n, job) => n + job.timings.steps, 0),
    msInTracker: {
      stepStartsMadeDurable: sum("sync"),
      extract: sum("extract"),
      index: sum("index"),
      embed: sum("embed"),
      d1StatusWrites: sum("status"),
      total: busy,
    },
    firstQueuedToFirstStepMs: firstStep - queuedAt,
    firstQueuedToLastDoneMs: done - queuedAt,
    lastQueuedToLastDoneMs: done - lastQueued,
    notInSteps: done - queuedAt - busy,
    alarms: alarms.length,
    alarmMsLateMedian: alarms.length ? median(alarms.map((a) => a.late ?? 0)) : null,
    alarmMsLateMax: alarms.length ? Math.max(...alarms.map((a) => a.late ?? 0)) : null,
    alarmMsWorking: alarms.reduce((n, a) => n + (a.took ?? a.ms), 0),
    // What the alarms' steps cost (the tracker's counters; absent from builds before ADR 0022).
    counted: Object.fromEntries(
      ["steps", "jobSteps", "syncs", "statusWrites", "statusStatements", "embedCalls", "embeddedChunks"]
        .filter((key) => alarms.some((a) => key in a))
        .map((key) => [key, alarms.reduce((n, a) => n + (a[key] ?? 0), 0)]),
    ),
    // The same milliseconds as msInTracker, from the alarms' lines (including other users' files, a PDF's pages…).
    ...(alarms.some((a) => typeof a.ms === "object")
      ? {
          alarmMsByKind: Object.fromEntries(
            ["sync", "extract", "index", "embed", "status"].map((key) => [
              key,
              alarms.reduce((n, a) => n + (a.ms?.[key] ?? 0), 0),
            ]),
          ),
        }
      : {}),
  };
}

/**
 * The raw baseline: one Worker with one R2 bucket. `PUT /put?key=` stores a file
 * (untimed); `POST /pdf?key=` reads it from R2 and extracts every page's text with the
 * same pdf.js build the app uses; `POST /text?keys=` reads and decodes text files.
 */
const RAW_WORKER = `
import { getDocument } from "./pdfjs.mjs";
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (request.method === "PUT") {
      await env.BUCKET.put(url.searchParams.get("key"), request.body);
      return new Response(null, { status: 201 });
    }
    if (url.pathname === "/pdf") {
      const object = await env.BUCKET.get(url.searchParams.get("key"));
      const data = new Uint8Array(await object.arrayBuffer());
      const pdf = await getDocument({ data, isEvalSupported: false, useSystemFonts: false, disableFontFace: true, verbosity: 0 }).promise;
      let characters = 0;
      for (let n = 1; n <= pdf.numPages; n++) {
        const page = await pdf.getPage(n);
        for (const item of (await page.getTextContent()).items) characters += item.str?.length ?? 0;
        page.cleanup();
      }
      const pages = pdf.numPages;
      await pdf.destroy();
      return Response.json({ pages, characters });
    }
    let characters = 0;
    for (const key of url.searchParams.getAll("key")) {
      characters += new TextDecoder().decode(await (await env.BUCKET.get(key)).arrayBuffer()).length;
    }
    return Response.json({ characters });
  },
};
`;

/** @type {any} */
let rawMiniflare = null;

async function startRawWorker() {
  const { Miniflare } = await import("miniflare");
  const config = JSON.parse(readFileSync(join(ROOT, "build/server/wrangler.json"), "utf8"));
  rawMiniflare = new Miniflare({
    modules: [
      { type: "ESModule", path: join(ROOT, "bench/raw-worker.mjs"), contents: RAW_WORKER },
      {
        type: "ESModule",
        path: join(ROOT, "bench/pdfjs.mjs"),
        contents: readFileSync(join(ROOT, "node_modules/unpdf/dist/pdfjs.mjs"), "utf8"),
      },
    ],
    compatibilityDate: config.compatibility_date,
    compatibilityFlags: config.compatibility_flags,
    r2Buckets: ["BUCKET"],
  });
  return (await rawMiniflare.ready).origin;
}

/** Wall time of one request to the raw Worker, from send to the last byte. */
async function timedRaw(base, path) {
  const start = performance.now();
  const res = await fetch(base + path, { method: "POST" });
  const body = await res.json();
  if (!res.ok) throw new Error(`raw Worker ${path} answered ${res.status}`);
  return { seconds: round((performance.now() - start) / 1000, 3), ...body };
}

async function rawExtraction(pdfBytes, markdownPaths) {
  const base = await startRawWorker();
  const put = (key, body) =>
    fetch(`${base}/put?key=${encodeURIComponent(key)}`, { method: "PUT", body, duplex: "half" });
  if (pdfBytes) await put("srd-all.pdf", pdfBytes);
  for (const path of markdownPaths) await put(path.split("/").at(-1), readFileSync(path));
  // One warm-up each (module load, JIT), then the timed run.
  const keys = markdownPaths.map((path) => `key=${encodeURIComponent(path.split("/").at(-1))}`).join("&");
  if (pdfBytes) await timedRaw(base, "/pdf?key=srd-all.pdf");
  await timedRaw(base, `/text?${keys}`);
  return {
    pdf: pdfBytes ? await timedRaw(base, "/pdf?key=srd-all.pdf") : null,
    markdown: await timedRaw(base, `/text?${keys}`),
  };
}

/** srd-all.pdf grown to `mb` MB by an incremental update with one unreferenced object. */
function paddedPdf(original, mb) {
  const text = original.toString("latin1");
  const startxref = Number(
    text
      .slice(text.lastIndexOf("startxref") + 9)
      .trim()
      .split(/\s+/)[0],
  );
  const size = Number(/\/Size\s+(\d+)/.exec(text.slice(text.lastIndexOf("trailer")))?.[1] ?? Number.NaN);
  const root = /\/Root\s+(\d+\s+\d+\s+R)/.exec(text.slice(text.lastIndexOf("/Root") - 1))?.[1];
  if (!Number.isFinite(startxref) || !Number.isFinite(size) || !root) {
    throw new Error("could not read srd-all.pdf's trailer to pad it");
  }
  const padding = Math.max(0, mb * MiB - original.length - 400);
  const head = `\n${size} 0 obj\n<< /Length ${padding} >>\nstream\n`;
  const objectOffset = original.length + 1;
  const body = Buffer.concat([
    Buffer.from(head, "latin1"),
    Buffer.alloc(padding, 0x20),
    Buffer.from("\nendstream\nendobj\n"),
  ]);
  const xrefOffset = original.length + body.length;
  const tail = `xref\n${size} 1\n${String(objectOffset).padStart(10, "0")} 00000 n \ntrailer\n<< /Size ${size + 1} /Root ${root} /Prev ${startxref} >>\nstartxref\n${xrefOffset}\n%%EOF\n`;
  return Buffer.concat([original, body, Buffer.from(tail, "latin1")]);
}

/** Live memory of extracting a PDF as the queue does (bench/pdf-memory.mjs, in a child Node). */
function pdfLiveMemory(bytes) {
  const dir = mkdtempSync(join(tmpdir(), "loresmith-bench-pdf-"));
  try {
    const path = join(dir, "book.pdf");
    writeFileSync(path, bytes);
    const child = spawnSync(process.execPath, ["--expose-gc", join(ROOT, "bench/pdf-memory.mjs"), path], {
      cwd: ROOT,
      encoding: "utf8",
      timeout: 10 * 60_000,
    });
    if (child.status !== 0) throw new Error(`bench/pdf-memory.mjs failed:\n${child.stderr}`);
    return JSON.parse(child.stdout.trim().split("\n").at(-1));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------
// Generated notes: made-up campaign text (never corpus text), deterministic

/** mulberry32: a small seeded generator, so every run uploads the same notes. */
function random(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SYLLABLES = [
  "ka",
  "vor",
  "el",
  "mir",
  "tha",
  "dun",
  "ris",
  "ob",
  "lan",
  "zer",
  "quo",
  "wyn",
  "bel",
  "gar",
  "ith",
  "sul",
];
const WORDS = {
  role: [
    "innkeeper",
    "smuggler",
    "priestess",
    "ferryman",
    "captain",
    "hermit",
    "cartographer",
    "bard",
    "warden",
    "alchemist",
  ],
  thing: [
    "a sealed letter",
    "a brass key",
    "the ledger",
    "a cracked lantern",
    "three silver rings",
    "a map of the marsh",
    "the harbour deed",
    "a vial of green ink",
  ],
  place: [
    "the old mill",
    "the salt road",
    "the drowned chapel",
    "the market square",
    "the north gate",
    "the ferry landing",
    "the watchtower",
    "the cellar vaults",
  ],
  verb: [
    "was seen near",
    "asked the party about",
    "hid something in",
    "bargained for passage to",
    "swore never to return to",
    "left a message at",
  ],
  mood: ["nervous", "cheerful", "tight-lipped", "furious", "exhausted", "curious"],
};

/** A note of `bytes` bytes or a little more: a heading, paragraphs, sometimes a list; one unique word to find it by. */
function noteOf(index, bytes, next) {
  const pick = (list) => list[Math.floor(next() * list.length)];
  const name = () => {
    const word = Array.from({ length: 2 + Math.floor(next() * 2) }, () => pick(SYLLABLES)).join("");
    return word[0].toUpperCase() + word.slice(1);
  };
  // Letters only (the index in base 26), so every tokenizer keeps it one word.
  let tag = "";
  for (let n = index; tag.length === 0 || n > 0; n = Math.floor(n / 26)) tag = String.fromCharCode(97 + (n % 26)) + tag;
  const marker = `qxv${tag}`;
  const npc = name();
  const lines = [`# Session ${index + 1}: ${npc} and ${pick(WORDS.place)}`, ""];
  lines.push(`Ledger mark ${marker}. ${npc} the ${pick(WORDS.role)} ${pick(WORDS.verb)} ${pick(WORDS.place)}.`, "");
  while (lines.join("\n").length < bytes) {
    const roll = next();
    if (roll < 0.15) lines.push(`## ${name()} of ${pick(WORDS.place)}`, "");
    else if (roll < 0.3) {
      for (let i = 0; i < 3; i++) lines.push(`- ${name()} keeps ${pick(WORDS.thing)} at ${pick(WORDS.place)}.`);
      lines.push("");
    } else {
      const sentences = Array.from(
        { length: 2 + Math.floor(next() * 3) },
        () => `${name()}, ${pick(WORDS.mood)}, ${pick(WORDS.verb)} ${pick(WORDS.place)} with ${pick(WORDS.thing)}.`,
      );
      lines.push(sentences.join(" "), "");
    }
  }
  return { name: `note-${String(index + 1).padStart(4, "0")}.md`, bytes: Buffer.from(lines.join("\n")), query: marker };
}

function generatedNotes(count) {
  const next = random(0x5eed);
  return Array.from({ length: count }, (_, i) => noteOf(i, 512 + Math.floor(next() * 2560), next));
}

/** The SRD Markdown files, each with its first line (its title) to find it by. */
function srdMarkdown(paths) {
  return paths.map((path) => {
    const bytes = readFileSync(path);
    const title =
      bytes
        .toString("utf8")
        .split("\n")
        .find((line) => line.trim()) ?? "";
    return { name: path.split("/").at(-1), bytes, query: title.replace(/[^\p{L}\p{N} ]/gu, " ").trim() };
  });
}

/** Runs a scenario `runs` times (fresh accounts); the median run by time to searchable, and all runs. */
async function repeated(label, base, pid, files) {
  const all = [];
  for (let i = 0; i < runs; i++) {
    log(`${label}: run ${i + 1} of ${runs} (${files.length} files, ${concurrency} uploads at a time)`);
    const result = await ingest(base, pid, files, { behindPdf: options["behind-pdf"] });
    if (result.failed) throw new Error(result.failed);
    log(
      `${label}: last upload → ready ${result.lastUploadToReadySeconds} s, → searchable ${result.lastUploadToSearchableSeconds} s (found ${result.foundBySearch}); load ${result.loadAverage1m.before}→${result.loadAverage1m.after}`,
    );
    all.push(result);
  }
  const sorted = [...all].sort((a, b) => a.lastUploadToSearchableSeconds - b.lastUploadToSearchableSeconds);
  return {
    ...sorted[Math.floor((sorted.length - 1) / 2)],
    runs: all.map((r) => r.lastUploadToSearchableSeconds),
    runsFromFirstUpload: all.map((r) => r.secondsToSearchable),
  };
}

async function main() {
  const markdownPaths = readdirSync(MARKDOWN_DIR)
    .filter((name) => name.endsWith(".md"))
    .sort()
    .map((name) => join(MARKDOWN_DIR, name));
  if (markdownPaths.length !== 17) log(`note: ${markdownPaths.length} Markdown files in ${MARKDOWN_DIR}, expected 17`);
  const pdfBytes = scenarios.pdf || padSizes.length ? readFileSync(PDF) : null;

  let base = options.url;
  let pid = options["workerd-pid"] ? Number(options["workerd-pid"]) : undefined;
  if (!base) {
    base = await server.start({ vars: {} });
    pid = server.workerdPid();
    const keep = (/** @type {Buffer} */ chunk) => serverLines.push(...chunk.toString().split("\n"));
    server.child?.stdout?.on("data", keep);
    server.child?.stderr?.on("data", keep);
  } else log("with --url the server's rate limits apply, and no alarm log lines are seen");
  if (!pid) log("no workerd process to sample: memory is not reported");

  log("raw extraction (baseline) of the inputs, in a minimal Worker");
  const raw = await rawExtraction(scenarios.pdf ? pdfBytes : null, markdownPaths);
  await rawMiniflare.dispose();
  rawMiniflare = null;

  /** @type {Record<string, any>} */
  const result = {
    machine: { cores: (await import("node:os")).cpus().length, loadAverage: loadavg().map((l) => round(l, 2)) },
  };
  if (scenarios.srdMd) {
    const markdown = await repeated("SRD Markdown", base, pid, srdMarkdown(markdownPaths));
    result.markdown = {
      ...markdown,
      rawExtractionSeconds: raw.markdown.seconds,
      ratioToRaw: round(markdown.lastUploadToSearchableSeconds / raw.markdown.seconds, 0),
    };
  }
  if (scenarios.notes)
    result.notes = await repeated(`${scenarios.notes} notes`, base, pid, generatedNotes(scenarios.notes));
  if (scenarios.pdf && pdfBytes) {
    log(`ingesting srd-all.pdf (${round(pdfBytes.length / MiB, 1)} MB) through the app`);
    const pdf = await ingest(base, pid, [{ name: "srd-all.pdf", bytes: pdfBytes, query: "fireball" }]);
    if (pdf.failed) throw new Error(pdf.failed);
    result.pdf = {
      ...pdf,
      rawExtractionSeconds: raw.pdf?.seconds,
      ratioToRaw: round(pdf.secondsToSearchable / raw.pdf.seconds, 1),
    };
  }
  const padded = [];
  for (const mb of padSizes) {
    log(`ingesting srd-all.pdf padded to ${mb} MB`);
    const bytes = paddedPdf(/** @type {Buffer} */ (pdfBytes), mb);
    const measured = await ingest(base, pid, [{ name: `srd-all-${mb}mb.pdf`, bytes, query: "fireball" }]);
    padded.push({ paddedToMB: mb, ...measured, bytes });
  }
  // After the app runs: the probe blocks this process and uses a core of its own.
  if (result.pdf) {
    log("live memory of PDF extraction (bench/pdf-memory.mjs)");
    result.pdf.extractionLiveMemory = pdfLiveMemory(pdfBytes);
  }
  for (const p of padded) {
    p.extractionLiveMemory = pdfLiveMemory(p.bytes);
    delete p.bytes;
  }
  result.padded = padded;
  result.raw = raw;

  if (options.json) {
    console.log(JSON.stringify(result, null, 2));
    return;
  }
  console.log(
    `Machine: ${result.machine.cores} cores, load average ${result.machine.loadAverage.join(" / ")} at the start.`,
  );
  console.log();
  console.log(
    "| input | files | MB | chunks | upload s (×conc.) | last upload → ready s | → searchable s | found | start → searchable s | chunks/s | load 1m | workerd RSS peak MiB (rise) |",
  );
  console.log("|---|---|---|---|---|---|---|---|---|---|---|---|");
  const row = (name, r) =>
    `| ${name} | ${r.files} | ${r.MB} | ${r.chunks} | ${r.uploadSeconds} (×${r.concurrency}) | ${r.lastUploadToReadySeconds} | ${r.lastUploadToSearchableSeconds}${r.runs?.length > 1 ? ` (runs ${r.runs.join(", ")})` : ""} | ${r.foundBySearch} | ${r.secondsToSearchable} | ${r.chunksPerSecond} | ${r.loadAverage1m.before}→${r.loadAverage1m.after} | ${r.workerdRssPeakMiB} (+${r.workerdRssRiseMiB}) |`;
  if (result.markdown) console.log(row("17 SRD Markdown files", result.markdown));
  if (result.notes) console.log(row(`${scenarios.notes} generated notes`, result.notes));
  if (result.pdf) console.log(row("srd-all.pdf", result.pdf));
  for (const p of padded) {
    if (p.failed)
      console.log(`| srd-all.pdf padded to ${p.paddedToMB} MB | 1 | ${p.MB} | refused: over the 64 MB limit |`);
    else console.log(row(`srd-all.pdf padded to ${p.paddedToMB} MB`, p));
  }
  console.log();
  for (const [name, r] of [
    ["17 SRD Markdown files", result.markdown],
    [`${scenarios.notes} notes`, result.notes],
    ["srd-all.pdf", result.pdf],
  ]) {
    if (!r) continue;
    console.log(`Where the time went, ${name}: ${JSON.stringify(r.breakdown)}`);
    console.log(
      `  statuses first seen (s after the last upload): ${JSON.stringify(r.firstSeenAfterLastUploadSeconds)}; live messages ${r.liveMessages}`,
    );
    if (r.notFound.length) console.log(`  NOT FOUND by search: ${r.notFound.join(", ")}`);
    if (r.pdfWhile) console.log(`  srd-all.pdf read meanwhile: ${JSON.stringify(r.pdfWhile)}`);
  }
  if (result.pdf) {
    console.log(
      `PDF: ${result.pdf.pages} pages, ${result.pdf.pagesPerSecond} pages/s; raw extraction ${raw.pdf.seconds} s → ratio ${result.pdf.ratioToRaw}×; extraction live MB ${result.pdf.extractionLiveMemory?.peakLiveMB} (heap + ArrayBuffers after GC, bench/pdf-memory.mjs; what counts against a Worker's 128 MB).`,
    );
  }
  if (result.markdown) {
    console.log(
      `Raw decoding of the Markdown files in a minimal Worker on the same workerd: ${raw.markdown.seconds} s → last upload → searchable is ${result.markdown.ratioToRaw}× that.`,
    );
  }
}

/** On a failure, the app's last words say more than "fetch failed". */
async function mainWithServerLog() {
  try {
    await main();
  } catch (error) {
    const tail = serverLines.filter((line) => line.trim() && !line.includes("ingest alarm:")).slice(-30);
    if (tail.length) log(`the app's last log lines:\n${tail.join("\n")}`);
    throw error;
  }
}

await run(mainWithServerLog, {
  timeoutMs: OVERALL_TIMEOUT_MS,
  stop: async () => {
    await rawMiniflare?.dispose().catch(() => {});
    await server.stop();
  },
  stopSync: () => server.stopSync(),
});
