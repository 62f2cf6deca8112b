#!/usr/bin/env node
// Benchmark: upload throughput of a 10 MB and a 300 MB file through the app, as a ratio to
// a raw R2 put of the same bytes in the same run, and the peak memory of the Worker
// (its workerd process) during the upload. See bench/README.md.
//
//   npm run build && node bench/upload.mjs [--sizes 10,300] [--runs-small 5] [--runs-large 2]
//       [--json] [--url http://localhost:5173 [--workerd-pid <pid>]]
//
// Without --url it starts the built app itself (scripts/serve.mjs, workerd) on a fresh local
// state folder, from a temporary copy of the build whose only change is higher upload
// limits (the defaults refuse a 300 MB file). The raw baseline is a minimal Worker with one
// R2 binding, started here with Miniflare (the same workerd binary). Everything it starts
// and writes is removed at the end, also on an error, Ctrl-C or the 15-minute timeout.
//
// Dependency-free: Node 20 built-ins plus `miniflare` (already installed with wrangler).
import {
  closeSync,
  createReadStream,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { Agent, request as httpRequest } from "node:http";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { Worker } from "node:worker_threads";
import {
  Client,
  cpuSecondsOf,
  findWorkerd,
  intOption,
  listeningPorts,
  log,
  median,
  memoryOf,
  PreviewServer,
  ROOT,
  round,
  run,
} from "./lib.mjs";

const OVERALL_TIMEOUT_MS = 15 * 60_000;
const UPLOAD_TIMEOUT_MS = 5 * 60_000;
const MiB = 1024 * 1024;
/** Must match the app (app/server/files/multipart.server.ts, app/components/upload-panel.tsx). */
const MULTIPART_THRESHOLD = 50 * MiB;
const PART_SIZE = 10 * MiB;
/** Limits for the app under test: the defaults (200 MB a file, 1 GB a user) refuse 300 MB. */
const BENCH_LIMITS = { MAX_FILE_BYTES: String(1024 * MiB), MAX_USER_BYTES: String(10 * 1024 * MiB) };
const SAMPLE_INTERVAL_MS = 50;
const WARMUP_BYTES = 10 * MiB;

// ---------------------------------------------------------------------------------------
// Options

/**
 * @typedef {{ url: string | undefined, workerdPid: number | undefined, sizesMiB: number[],
 *   runsSmall: number, runsLarge: number, json: boolean }} Options
 */

/** @returns {Options} */
function parseOptions() {
  const { values } = parseArgs({
    options: {
      url: { type: "string" },
      "workerd-pid": { type: "string" },
      sizes: { type: "string", default: "10,300" },
      "runs-small": { type: "string", default: "5" },
      "runs-large": { type: "string", default: "2" },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(
      [
        "Usage: node bench/upload.mjs [options]",
        "",
        "  --sizes <MB,...>      file sizes in MB (MiB), comma-separated (default 10,300)",
        "  --runs-small <n>      measured runs per variant for files up to 50 MB (default 5)",
        "  --runs-large <n>      measured runs per variant for larger files (default 2)",
        "  --json                print one JSON object on stdout instead of the tables",
        "  --url <base>          upload to a running server instead of starting the built app",
        "                        (it must allow the largest size; no memory figures without --workerd-pid)",
        "  --workerd-pid <pid>   with --url: the workerd process serving it, for memory figures",
        "                        and the direct-to-workerd variant",
      ].join("\n"),
    );
    process.exit(0);
  }
  const sizesMiB = values.sizes.split(",").map((s) => intOption("sizes", s.trim(), 1));
  if (values["workerd-pid"] && !values.url) throw new Error("--workerd-pid only goes with --url");
  return {
    url: values.url ? values.url.replace(/\/+$/, "") : undefined,
    workerdPid: values["workerd-pid"] ? intOption("workerd-pid", values["workerd-pid"], 2) : undefined,
    sizesMiB: [...new Set(sizesMiB)].sort((a, b) => a - b),
    runsSmall: intOption("runs-small", values["runs-small"], 1),
    runsLarge: intOption("runs-large", values["runs-large"], 1),
    json: values.json,
  };
}

// ---------------------------------------------------------------------------------------
// Everything this run starts, so that it can all be stopped and removed

const server = new PreviewServer();
/** @type {{ workDir: string | null, miniflare: any, rawWorkerdPid: number | undefined, samplers: Set<Worker> }} */
const own = { workDir: null, miniflare: null, rawWorkerdPid: undefined, samplers: new Set() };

/** @type {Promise<void> | null} */
let stopping = null;
function stopAll() {
  stopping ??= (async () => {
    for (const sampler of own.samplers) await sampler.terminate().catch(() => {});
    if (own.miniflare) {
      await Promise.race([own.miniflare.dispose().catch(() => {}), new Promise((r) => setTimeout(r, 5_000))]);
      own.miniflare = null;
    }
    killRawWorkerd();
    await server.stop();
    removeWorkDir();
  })();
  return stopping;
}

function stopAllSync() {
  killRawWorkerd();
  server.stopSync();
  removeWorkDir();
}

/** Only the workerd that our own Miniflare spawned (a direct child of this process). */
function killRawWorkerd() {
  const pid = own.rawWorkerdPid;
  own.rawWorkerdPid = undefined;
  if (pid && findWorkerd(process.pid, 1) === pid) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
}

function removeWorkDir() {
  if (own.workDir) rmSync(own.workDir, { recursive: true, force: true });
  own.workDir = null;
}

// ---------------------------------------------------------------------------------------
// Test data: "%PDF-1.7\n" and deterministic printable bytes, written to disk in 1 MiB steps

const ALPHABET = Buffer.from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 \n");

/** @param {string} path @param {number} size @param {number} seed */
function writeTestFile(path, size, seed) {
  const fd = openSync(path, "w");
  try {
    const chunk = Buffer.alloc(MiB);
    let x = seed >>> 0 || 1;
    let written = 0;
    while (written < size) {
      const n = Math.min(MiB, size - written);
      for (let i = 0; i < n; i += 4) {
        // xorshift32; four 6-bit letters per step
        x ^= x << 13;
        x ^= x >>> 17;
        x ^= x << 5;
        chunk[i] = ALPHABET[x & 63];
        chunk[i + 1] = ALPHABET[(x >>> 6) & 63];
        chunk[i + 2] = ALPHABET[(x >>> 12) & 63];
        chunk[i + 3] = ALPHABET[(x >>> 18) & 63];
      }
      if (written === 0) chunk.write("%PDF-1.7\n", 0, "latin1");
      writeSync(fd, chunk, 0, n);
      written += n;
    }
  } finally {
    closeSync(fd);
  }
}

// ---------------------------------------------------------------------------------------
// HTTP: node:http, bodies streamed from the file on disk with backpressure. A fresh
// connection per request: workerd closes idle keep-alive connections, and reusing one
// just as it closes fails the request ("socket hang up"); a loopback connect costs ~0.1 ms.

const agent = new Agent({ keepAlive: false });

/**
 * @param {string} url
 * @param {{ method: string, headers?: Record<string, string>, file?: { path: string, start: number, length: number }, body?: string, client?: Client }} init
 * @returns {Promise<{ status: number, text: string, json: () => any }>}
 */
function send(url, init) {
  return new Promise((resolveSend, reject) => {
    /** @type {Record<string, string>} */
    const headers = { ...init.headers };
    if (init.file) headers["Content-Length"] = String(init.file.length);
    else if (init.body !== undefined) headers["Content-Length"] = String(Buffer.byteLength(init.body));
    const req = httpRequest(url, { method: init.method, headers, agent });
    const timer = setTimeout(
      () => req.destroy(new Error(`${init.method} ${url} took over ${UPLOAD_TIMEOUT_MS / 1000} s`)),
      UPLOAD_TIMEOUT_MS,
    );
    req.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    req.on("response", (res) => {
      /** @type {Buffer[]} */
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("error", reject);
      res.on("end", () => {
        clearTimeout(timer);
        const setCookie = res.headers["set-cookie"] ?? [];
        init.client?.remember({ headers: { getSetCookie: () => setCookie } });
        const text = Buffer.concat(chunks).toString("utf8");
        resolveSend({ status: res.statusCode ?? 0, text, json: () => JSON.parse(text) });
      });
    });
    if (init.file) {
      const { path, start, length } = init.file;
      const stream = createReadStream(path, { start, end: start + length - 1, highWaterMark: MiB });
      stream.on("error", (error) => req.destroy(error));
      stream.pipe(req);
    } else {
      req.end(init.body);
    }
  });
}

/** @param {{ status: number, text: string }} res @param {number[]} ok @param {string} what */
function expectStatus(res, ok, what) {
  if (ok.includes(res.status)) return;
  const hint =
    res.status === 413
      ? " (the server's MAX_FILE_BYTES or MAX_USER_BYTES is too low for this size; without --url the benchmark raises them)"
      : "";
  throw new Error(`${what} answered ${res.status}: ${res.text.slice(0, 500)}${hint}`);
}

// ---------------------------------------------------------------------------------------
// Upload variants. Each returns an async function that uploads the file once and cleans up
// after itself (the clean-up is not timed); the timed part is returned in seconds.

/**
 * @typedef {{ id: string, side: "app" | "raw", label: string, how: string,
 *   upload: (file: TestFile) => Promise<number>, memory: () => Record<string, number | undefined> }} Variant
 * @typedef {{ path: string, size: number, name: string }} TestFile
 */

/**
 * The app, as the browser's upload panel uses it: one PUT up to 50 MB, else a resumable
 * upload in 10 MiB parts sent one at a time.
 * @param {Client} client (its base is where requests go)
 * @param {Client} formClient for the (untimed) delete through the library page
 */
async function appUpload(
  client,
  formClient,
  /** @type {TestFile} */ file,
  multipart = file.size > MULTIPART_THRESHOLD,
) {
  const base = client.base;
  const headers = (/** @type {Record<string, string>} */ extra = {}) => client.headers({ Origin: base, ...extra });
  const t0 = performance.now();
  /** @type {any} */
  let result;
  if (!multipart) {
    const res = await send(`${base}/api/files?name=${encodeURIComponent(file.name)}`, {
      method: "PUT",
      headers: headers({ "Content-Type": "application/pdf" }),
      file: { path: file.path, start: 0, length: file.size },
      client,
    });
    expectStatus(res, [201], "PUT /api/files");
    result = res.json();
  } else {
    const started = await send(`${base}/api/uploads`, {
      method: "POST",
      headers: headers({ "Content-Type": "application/json" }),
      body: JSON.stringify({ fileName: file.name, size: file.size }),
      client,
    });
    expectStatus(started, [201], "POST /api/uploads");
    const state = started.json();
    if (state.partSize !== PART_SIZE)
      throw new Error(`the app's part size is ${state.partSize}, expected ${PART_SIZE}`);
    for (let n = 1; n <= state.partCount; n++) {
      const start = (n - 1) * state.partSize;
      const res = await send(`${base}/api/uploads/${state.uploadId}/parts/${n}`, {
        method: "PUT",
        headers: headers({ "Content-Type": "application/octet-stream" }),
        file: { path: file.path, start, length: Math.min(state.partSize, file.size - start) },
        client,
      });
      expectStatus(res, [200], `PUT part ${n}`);
    }
    const done = await send(`${base}/api/uploads/${state.uploadId}`, { method: "POST", headers: headers(), client });
    expectStatus(done, [201], "POST /api/uploads/:id (complete)");
    result = done.json();
  }
  const seconds = (performance.now() - t0) / 1000;
  if (!result.created || !result.fileKey)
    throw new Error(`the upload did not create a new file: ${JSON.stringify(result)}`);
  // Untimed: delete it through the library page, so every run is a fresh upload of a new
  // file (the app refuses exact duplicates) and the quota never fills up.
  await formClient.submit(`/library/${result.fileKey}`, { intent: "delete" }, /^\/library$/);
  return seconds;
}

/**
 * The raw baseline: the same bytes, sent the same way, to a Worker that only puts them in R2.
 * @param {string} base @param {TestFile} file @param {boolean} multipart
 */
async function rawUpload(base, file, multipart) {
  const key = `bench/${file.name}`;
  const q = (/** @type {Record<string, string | number>} */ params) =>
    new URLSearchParams(Object.entries({ key, ...params }).map(([k, v]) => [k, String(v)])).toString();
  const t0 = performance.now();
  /** @type {any} */
  let result;
  if (!multipart) {
    const res = await send(`${base}/put?${q({})}`, {
      method: "PUT",
      headers: { "Content-Type": "application/pdf" },
      file: { path: file.path, start: 0, length: file.size },
    });
    expectStatus(res, [201], "raw PUT /put");
    result = res.json();
  } else {
    const started = await send(`${base}/mpu?${q({})}`, { method: "POST" });
    expectStatus(started, [201], "raw POST /mpu");
    const { uploadId } = started.json();
    const partCount = Math.ceil(file.size / PART_SIZE);
    /** @type {{ partNumber: number, etag: string }[]} */
    const parts = [];
    for (let n = 1; n <= partCount; n++) {
      const start = (n - 1) * PART_SIZE;
      const res = await send(`${base}/mpu/part?${q({ uploadId, part: n })}`, {
        method: "PUT",
        headers: { "Content-Type": "application/octet-stream" },
        file: { path: file.path, start, length: Math.min(PART_SIZE, file.size - start) },
      });
      expectStatus(res, [200], `raw PUT part ${n}`);
      parts.push(res.json());
    }
    const done = await send(`${base}/mpu/complete?${q({ uploadId })}`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(parts),
    });
    expectStatus(done, [201], "raw POST /mpu/complete");
    result = done.json();
  }
  const seconds = (performance.now() - t0) / 1000;
  if (result.size !== file.size) throw new Error(`raw R2 stored ${result.size} bytes, expected ${file.size}`);
  expectStatus(await send(`${base}/object?${q({})}`, { method: "DELETE" }), [204], "raw DELETE /object");
  return seconds;
}

/** The raw Worker: R2 put / multipart upload of the request body, nothing else. */
const RAW_WORKER = `
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const key = url.searchParams.get("key") ?? "";
    const uploadId = url.searchParams.get("uploadId") ?? "";
    try {
      switch (request.method + " " + url.pathname) {
        case "PUT /put": {
          // The body has a Content-Length, so R2 knows its length.
          const object = await env.BUCKET.put(key, request.body);
          return Response.json({ size: object.size }, { status: 201 });
        }
        case "POST /mpu": {
          const upload = await env.BUCKET.createMultipartUpload(key);
          return Response.json({ uploadId: upload.uploadId }, { status: 201 });
        }
        case "PUT /mpu/part": {
          const upload = env.BUCKET.resumeMultipartUpload(key, uploadId);
          const part = await upload.uploadPart(Number(url.searchParams.get("part")), request.body);
          return Response.json(part);
        }
        case "POST /mpu/complete": {
          const upload = env.BUCKET.resumeMultipartUpload(key, uploadId);
          const object = await upload.complete(await request.json());
          return Response.json({ size: object.size }, { status: 201 });
        }
        case "DELETE /object":
          await env.BUCKET.delete(key);
          return new Response(null, { status: 204 });
      }
      return new Response("not found", { status: 404 });
    } catch (error) {
      return Response.json({ error: String(error) }, { status: 500 });
    }
  },
};
`;

/** @param {string} persistRoot @returns {Promise<string>} the base URL */
async function startRawWorker(persistRoot) {
  const { Miniflare } = await import("miniflare");
  // Same compatibility settings as the app's Worker (from our copy of the build, if any:
  // build/ may be rebuilt by someone else meanwhile).
  const built = server.previewRoot ? join(server.previewRoot, "build/server") : join(ROOT, "build/server");
  const config = JSON.parse(readFileSync(join(built, "wrangler.json"), "utf8"));
  const mf = new Miniflare({
    modules: true,
    script: RAW_WORKER,
    compatibilityDate: config.compatibility_date,
    compatibilityFlags: config.compatibility_flags,
    r2Buckets: ["BUCKET"],
    defaultPersistRoot: persistRoot,
    host: "127.0.0.1",
    port: 0,
  });
  own.miniflare = mf;
  const url = await mf.ready;
  own.rawWorkerdPid = findWorkerd(process.pid, 1);
  return url.origin;
}

function miniflareVersion() {
  return JSON.parse(readFileSync(join(ROOT, "node_modules/miniflare/package.json"), "utf8")).version;
}

/**
 * The app's workerd answers on its own entry socket too, without vite preview's Node proxy
 * in front: the port (of those it listens on) that serves the login page.
 * @param {number} pid
 */
async function findDirectBase(pid) {
  for (const port of listeningPorts(pid)) {
    const base = `http://127.0.0.1:${port}`;
    try {
      const res = await fetch(`${base}/login`, { signal: AbortSignal.timeout(3_000) });
      const text = await res.text();
      if (res.status === 200 && text.includes("<html")) return base;
    } catch {
      // not an HTTP entry (inspector, debug port, ...)
    }
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------
// Memory: VmRSS every 50 ms in a worker thread (unaffected by the upload's event loop),
// plus the kernel's own peak (VmHWM) after resetting it just before the upload.

const SAMPLER = `
const { parentPort, workerData } = require("node:worker_threads");
const { readFileSync } = require("node:fs");
const peaks = {};
const counts = {};
function sample() {
  for (const [name, pid] of Object.entries(workerData.pids)) {
    try {
      const m = readFileSync("/proc/" + pid + "/status", "utf8").match(/VmRSS:\\s+(\\d+) kB/);
      if (m) {
        peaks[name] = Math.max(peaks[name] ?? 0, Number(m[1]));
        counts[name] = (counts[name] ?? 0) + 1;
      }
    } catch {}
  }
}
sample();
const timer = setInterval(sample, workerData.intervalMs);
parentPort.on("message", () => {
  clearInterval(timer);
  sample();
  parentPort.postMessage({ peaks, counts });
});
`;

/**
 * @param {Record<string, number>} pids
 * @returns {{ stop: () => Promise<Record<string, { beforeKiB: number, sampledPeakKiB: number, hwmPeakKiB: number | undefined, samples: number, cpuSeconds: number }>> }}
 */
function watchMemory(pids) {
  /** @type {Record<string, { beforeKiB: number, hwmReset: boolean, cpu: number }>} */
  const start = {};
  for (const [name, pid] of Object.entries(pids)) {
    let hwmReset = false;
    try {
      writeFileSync(`/proc/${pid}/clear_refs`, "5"); // resets VmHWM to the current RSS
      hwmReset = true;
    } catch {
      // not permitted: only the sampled peak
    }
    start[name] = { beforeKiB: memoryOf(pid).rssKiB, hwmReset, cpu: cpuSecondsOf(pid) };
  }
  const worker = new Worker(SAMPLER, { eval: true, workerData: { pids, intervalMs: SAMPLE_INTERVAL_MS } });
  own.samplers.add(worker);
  const ready = new Promise((r) => worker.once("online", r));
  return {
    async stop() {
      await ready;
      const result = await new Promise((resolveStop, reject) => {
        worker.once("message", resolveStop);
        worker.once("error", reject);
        worker.postMessage("stop");
      });
      await worker.terminate();
      own.samplers.delete(worker);
      /** @type {Record<string, any>} */
      const out = {};
      for (const [name, pid] of Object.entries(pids)) {
        const hwm = start[name].hwmReset ? memoryOf(pid).hwmKiB : undefined;
        out[name] = {
          beforeKiB: start[name].beforeKiB,
          sampledPeakKiB: /** @type {any} */ (result).peaks[name] ?? 0,
          hwmPeakKiB: hwm,
          samples: /** @type {any} */ (result).counts[name] ?? 0,
          cpuSeconds: cpuSecondsOf(pid) - start[name].cpu,
        };
      }
      return out;
    },
  };
}

// ---------------------------------------------------------------------------------------
// Main

async function main() {
  const options = parseOptions();
  const t0 = performance.now();
  const loadBefore = loadavg();
  const startedOwnServer = !options.url;
  own.workDir = mkdtempSync(join(tmpdir(), "loresmith-bench-upload-"));

  // The app.
  const base = options.url ?? (await server.start({ vars: BENCH_LIMITS }));
  const appWorkerd = startedOwnServer ? server.workerdPid() : options.workerdPid;
  if (startedOwnServer && !appWorkerd) throw new Error("could not find the workerd process of vite preview");
  const vitePid = startedOwnServer ? server.child?.pid : undefined;
  const directBase = appWorkerd ? await findDirectBase(appWorkerd) : undefined;
  if (appWorkerd && !directBase) log("the app's workerd entry socket was not found: no direct-to-workerd variant");

  // The raw baseline.
  log("starting the raw R2 Worker (Miniflare)");
  const rawBase = await startRawWorker(join(own.workDir, "raw-state", "v3"));
  if (!own.rawWorkerdPid) throw new Error("could not find the workerd process of the raw Worker");
  log(`raw Worker on ${rawBase} (workerd ${own.rawWorkerdPid}); app workerd ${appWorkerd ?? "unknown"}`);

  const client = new Client(base);
  const account = await client.signUp();
  try {
    // Test files: one per size, plus the warm-up file.
    /** @type {Map<number, TestFile>} */
    const files = new Map();
    for (const mib of new Set([WARMUP_BYTES / MiB, ...options.sizesMiB])) {
      const path = join(own.workDir, `bench-upload-${mib}MiB.pdf`);
      const tGen = performance.now();
      writeTestFile(path, mib * MiB, 0x9e3779b9 ^ mib);
      log(`wrote ${mib} MiB of test data in ${((performance.now() - tGen) / 1000).toFixed(1)} s`);
      files.set(mib, { path, size: mib * MiB, name: `bench-upload-${mib}MiB.pdf` });
    }

    const directClient = directBase ? client.withBase(directBase) : undefined;
    const appMemory = () => ({ workerd: appWorkerd, vite: vitePid });
    const rawMemory = () => ({ workerd: own.rawWorkerdPid });
    const appLabel = startedOwnServer ? "app via vite preview" : `app at ${base}`;
    /** @type {(multipart: boolean) => Variant[]} */
    const variantsFor = (multipart) => {
      const how = multipart ? "resumable, 10 MiB parts" : "PUT /api/files";
      /** @type {Variant[]} */
      const list = [
        {
          id: "app",
          side: "app",
          label: appLabel,
          how,
          upload: (file) => appUpload(client, client, file, multipart),
          memory: appMemory,
        },
      ];
      if (directClient) {
        list.push({
          id: "app-direct",
          side: "app",
          label: "app direct to workerd",
          how,
          upload: (file) => appUpload(directClient, client, file, multipart),
          memory: () => ({ workerd: appWorkerd }), // vite preview is not on this path
        });
      }
      return list;
    };
    /** @type {Variant} */
    const rawPut = {
      id: "raw-put",
      side: "raw",
      label: "raw R2 put",
      how: "one PUT → BUCKET.put",
      upload: (file) => rawUpload(rawBase, file, false),
      memory: rawMemory,
    };
    /** @type {Variant} */
    const rawMultipart = {
      id: "raw-multipart",
      side: "raw",
      label: "raw R2 multipart",
      how: "10 MiB parts → uploadPart",
      upload: (file) => rawUpload(rawBase, file, true),
      memory: rawMemory,
    };

    // Warm-up: every code path once, with the small file (not measured).
    log("warming up (each variant once with 10 MiB)");
    const warm = /** @type {TestFile} */ (files.get(WARMUP_BYTES / MiB));
    for (const v of [...variantsFor(false), ...variantsFor(true), rawPut, rawMultipart]) await v.upload(warm);

    /** @type {any[]} */
    const cases = [];
    for (const mib of options.sizesMiB) {
      const file = /** @type {TestFile} */ (files.get(mib));
      const multipart = file.size > MULTIPART_THRESHOLD;
      const runs = multipart ? options.runsLarge : options.runsSmall;
      const app = variantsFor(multipart);
      // App and raw alternate; the order flips every round.
      /** @type {Variant[]} */
      const order = [];
      const raws = multipart ? [rawMultipart, rawPut] : [rawPut];
      for (let i = 0; i < Math.max(app.length, raws.length); i++) {
        if (app[i]) order.push(app[i]);
        if (raws[i]) order.push(raws[i]);
      }
      /** @type {Map<string, { variant: Variant, seconds: number[], memory: any[] }>} */
      const results = new Map(order.map((v) => [v.id, { variant: v, seconds: [], memory: [] }]));
      log(`${mib} MiB: ${runs} runs × ${order.map((v) => v.id).join(", ")}`);
      for (let round = 0; round < runs; round++) {
        for (const v of round % 2 ? [...order].reverse() : order) {
          const pids = Object.fromEntries(
            Object.entries({ ...v.memory(), client: process.pid }).filter((entry) => entry[1] !== undefined),
          );
          const watch = watchMemory(/** @type {Record<string, number>} */ (pids));
          let seconds;
          try {
            seconds = await v.upload(file);
          } finally {
            const memory = await watch.stop();
            /** @type {any} */ (results.get(v.id)).memory.push(memory);
          }
          /** @type {any} */ (results.get(v.id)).seconds.push(seconds);
          log(`  ${mib} MiB ${v.id.padEnd(13)} ${(file.size / MiB / seconds).toFixed(1).padStart(7)} MiB/s`);
        }
      }
      cases.push({ mib, file, multipart, runs, results: [...results.values()] });
    }

    const result = report(options, cases, {
      server: startedOwnServer
        ? `vite preview (built app, workerd) from a copy of the build with MAX_FILE_BYTES=${BENCH_LIMITS.MAX_FILE_BYTES}, MAX_USER_BYTES=${BENCH_LIMITS.MAX_USER_BYTES}; fresh local state`
        : base,
      direct: directBase,
      raw: `minimal Worker with one R2 binding on Miniflare ${miniflareVersion()} (the same workerd binary), R2 persisted to a temp folder`,
      totalSeconds: (performance.now() - t0) / 1000,
      load: { before: loadBefore.map((x) => round(x, 2)), after: loadavg().map((x) => round(x, 2)) },
    });
    if (options.json) console.log(JSON.stringify(result));
    else printTables(result);
  } finally {
    if (!startedOwnServer) await client.deleteAccount(account);
  }
}

const mibps = (/** @type {number} */ bytes, /** @type {number} */ seconds) => bytes / MiB / seconds;
const toMiB = (/** @type {number | undefined} */ kib) => (kib === undefined ? undefined : round(kib / 1024, 1));

/** @param {Options} options @param {any[]} cases @param {any} about */
function report(options, cases, about) {
  const rows = [];
  const ratios = [];
  const memory = [];
  let clientPeakKiB = 0;
  for (const c of cases) {
    /** @type {Record<string, number>} */
    const medians = {};
    /** @type {Record<string, number>} median CPU seconds of the variant's workerd per run */
    const workerdCpu = {};
    for (const r of c.results) {
      const speeds = r.seconds.map((/** @type {number} */ s) => mibps(c.file.size, s));
      medians[r.variant.id] = median(speeds);
      rows.push({
        sizeMiB: c.mib,
        variant: r.variant.id,
        label: r.variant.label,
        how: r.variant.how,
        n: speeds.length,
        medianMiBps: round(median(speeds), 1),
        minMiBps: round(Math.min(...speeds), 1),
        maxMiBps: round(Math.max(...speeds), 1),
        medianSeconds: round(median(r.seconds), 2),
        runsMiBps: speeds.map((/** @type {number} */ s) => round(s, 1)),
      });
      for (const m of r.memory) {
        clientPeakKiB = Math.max(clientPeakKiB, m.client?.hwmPeakKiB ?? 0, m.client?.sampledPeakKiB ?? 0);
      }
      for (const processName of Object.keys(r.memory[0] ?? {})) {
        if (processName === "client") continue;
        const perRun = r.memory.map((/** @type {any} */ m) => {
          const one = m[processName];
          const peak = Math.max(one.sampledPeakKiB, one.hwmPeakKiB ?? 0);
          return { ...one, peakKiB: peak, deltaKiB: peak - one.beforeKiB };
        });
        if (processName === "workerd") {
          workerdCpu[r.variant.id] = median(perRun.map((/** @type {any} */ p) => p.cpuSeconds));
        }
        const top = perRun.reduce((/** @type {any} */ a, /** @type {any} */ b) => (b.peakKiB > a.peakKiB ? b : a));
        memory.push({
          sizeMiB: c.mib,
          variant: r.variant.id,
          label: r.variant.label,
          process: processName === "workerd" ? "workerd" : "vite preview (node)",
          beforeMiB: toMiB(top.beforeKiB),
          peakMiB: toMiB(top.peakKiB),
          deltaMiB: toMiB(top.deltaKiB),
          cpuSecondsMedian: round(median(perRun.map((/** @type {any} */ p) => p.cpuSeconds)), 2),
          peakFrom: perRun.every((/** @type {any} */ p) => p.hwmPeakKiB !== undefined)
            ? "VmHWM (reset before each run)"
            : `VmRSS sampled every ${SAMPLE_INTERVAL_MS} ms`,
          runs: perRun.map((/** @type {any} */ p) => ({
            beforeMiB: toMiB(p.beforeKiB),
            peakMiB: toMiB(p.peakKiB),
            sampledPeakMiB: toMiB(p.sampledPeakKiB),
            hwmPeakMiB: toMiB(p.hwmPeakKiB),
            samples: p.samples,
            cpuSeconds: round(p.cpuSeconds, 2),
          })),
        });
      }
    }
    const rawRef = c.multipart ? "raw-multipart" : "raw-put";
    for (const app of ["app", "app-direct"]) {
      if (medians[app] === undefined) continue;
      ratios.push({
        sizeMiB: c.mib,
        app,
        raw: rawRef,
        ratio: round(medians[app] / medians[rawRef], 2),
        ...(c.multipart ? { vsRawPut: round(medians[app] / medians["raw-put"], 2) } : {}),
        ...(workerdCpu[app] !== undefined && workerdCpu[rawRef] !== undefined
          ? {
              appWorkerdCpuSeconds: round(workerdCpu[app], 2),
              rawWorkerdCpuSeconds: round(workerdCpu[rawRef], 2),
              cpuRatio: round(workerdCpu[rawRef] / workerdCpu[app], 2),
            }
          : {}),
      });
    }
  }
  return {
    benchmark: "upload",
    note: "Throughput = file size / wall-clock time from the first request's start to the last response's end, client on the same machine (loopback), file streamed from disk; multipart = start + parts one at a time + complete, as the browser does. Ratio = app MiB/s ÷ raw R2 MiB/s of the same bytes in the same run (1.00 = as fast as a raw put). Memory = RSS of the whole workerd process (isolate heap + runtime + the local R2 simulator), an upper bound on the Worker's memory; production isolates are limited to 128 MB.",
    date: new Date().toISOString(),
    node: process.version,
    server: about.server,
    direct: about.direct ?? null,
    raw: about.raw,
    mib: MiB,
    partSize: PART_SIZE,
    multipartThreshold: MULTIPART_THRESHOLD,
    cpus: availableParallelism(),
    loadAverage: about.load,
    sizesMiB: options.sizesMiB,
    runsSmall: options.runsSmall,
    runsLarge: options.runsLarge,
    rows,
    ratios,
    memory,
    clientPeakRssMiB: clientPeakKiB ? toMiB(clientPeakKiB) : null,
    totalSeconds: round(about.totalSeconds, 1),
  };
}

/** @param {string[]} header @param {string[][]} body @param {number} leftColumns */
function table(header, body, leftColumns) {
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i].length)));
  const line = (/** @type {string[]} */ cells) =>
    cells
      .map((c, i) => (i < leftColumns ? c.padEnd(widths[i]) : c.padStart(widths[i])))
      .join("  ")
      .trimEnd();
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...body.map(line)];
}

/** @param {any} result */
function printTables(result) {
  const labelOf = (/** @type {string} */ id) =>
    result.rows.find((/** @type {any} */ r) => r.variant === id)?.label ?? id;
  const out = [
    "",
    `Upload benchmark — ${result.date}, Node ${result.node}`,
    `App:  ${result.server}`,
    ...(result.direct
      ? [
          `      direct to workerd = the same app on its workerd entry socket (${result.direct}), without vite preview's Node proxy`,
        ]
      : []),
    `Raw:  ${result.raw}`,
    `Sizes in MiB (1 MB here = 2^20 bytes). Files up to ${result.multipartThreshold / MiB} MiB go in one PUT, larger ones in ${result.partSize / MiB} MiB parts one at a time, as the browser does.`,
    "Throughput = size / wall-clock time from the first request's start to the last response, client on the same machine",
    "(loopback), the file streamed from disk; app and raw alternate, the order flips every run.",
    "",
    ...table(
      ["size", "variant", "how", "n", "median MiB/s", "min", "max", "median s"],
      result.rows.map((/** @type {any} */ r) => [
        `${r.sizeMiB} MiB`,
        r.label,
        r.how,
        String(r.n),
        r.medianMiBps.toFixed(1),
        r.minMiBps.toFixed(1),
        r.maxMiBps.toFixed(1),
        r.medianSeconds.toFixed(2),
      ]),
      3,
    ),
    "",
    "Throughput ratio app / raw R2 (medians; 1.00 = as fast as a raw R2 put of the same bytes). The CPU columns",
    "are the median CPU seconds the Worker's workerd used per upload, and raw ÷ app of those (1.00 = the same CPU",
    "cost): less sensitive to a busy machine than wall-clock throughput.",
    "",
    ...table(
      ["size", "app", "raw baseline", "ratio", "vs raw single put", "app CPU s", "raw CPU s", "CPU ratio"],
      result.ratios.map((/** @type {any} */ r) => [
        `${r.sizeMiB} MiB`,
        labelOf(r.app),
        labelOf(r.raw),
        r.ratio.toFixed(2),
        r.vsRawPut === undefined ? "" : r.vsRawPut.toFixed(2),
        r.appWorkerdCpuSeconds === undefined ? "" : r.appWorkerdCpuSeconds.toFixed(2),
        r.rawWorkerdCpuSeconds === undefined ? "" : r.rawWorkerdCpuSeconds.toFixed(2),
        r.cpuRatio === undefined ? "" : r.cpuRatio.toFixed(2),
      ]),
      3,
    ),
    "",
  ];
  if (result.memory.length) {
    out.push(
      "Memory during the uploads: RSS of the whole process, in MiB. For workerd that is the isolate's heap plus the",
      "runtime and the local R2 simulator, so it bounds the Worker's own memory from above (a production isolate has",
      "128 MB). peak = highest RSS during any run of the variant; before = RSS just before that run; Δ = peak − before.",
      "CPU s = median CPU time (user + system) the process used per run.",
      "",
      ...table(
        ["size", "variant", "process", "before", "peak", "Δ", "CPU s", "peak measured by"],
        result.memory.map((/** @type {any} */ m) => [
          `${m.sizeMiB} MiB`,
          m.label,
          m.process,
          m.beforeMiB.toFixed(1),
          m.peakMiB.toFixed(1),
          m.deltaMiB.toFixed(1),
          m.cpuSecondsMedian.toFixed(2),
          m.peakFrom,
        ]),
        3,
      ),
      "",
    );
  } else {
    out.push("No memory figures: with --url, pass --workerd-pid <pid> of the server's workerd.", "");
  }
  const load = (/** @type {number[]} */ l) => l.map((x) => x.toFixed(2)).join(" ");
  if (result.clientPeakRssMiB !== null) {
    out.push(
      `This benchmark's own Node process peaked at ${result.clientPeakRssMiB.toFixed(1)} MiB RSS (the files are streamed from disk).`,
    );
  }
  out.push(
    `Load average (1/5/15 min) on ${result.cpus} CPUs: ${load(result.loadAverage.before)} at the start, ${load(result.loadAverage.after)} at the end.`,
    `The whole run took ${result.totalSeconds} s.`,
    "",
  );
  console.log(out.join("\n"));
}

await run(main, { timeoutMs: OVERALL_TIMEOUT_MS, stop: stopAll, stopSync: stopAllSync });
