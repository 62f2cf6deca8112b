#!/usr/bin/env node
// Benchmark: text files stored compressed (ADR 0028). The compression ratio on the SRD
// Markdown chapters, and upload/download throughput of compressed text against the same
// text stored uncompressed, as ratios within one run. See bench/README.md.
//
//   npm run build && node bench/compression.mjs [--rounds 5] [--book-mb 8] [--json]
//
// It starts the built app twice (scripts/serve.mjs, workerd, each on a fresh local state
// folder): as built, and from a temporary copy of the build whose only change is
// COMPRESS_TEXT_FILES=false. Both run the same code; only whether new text is compressed
// differs. Rounds alternate which server goes first. Everything it starts and writes is
// removed at the end, also on an error, Ctrl-C or the 15-minute timeout.
//
// The SRD chapters are read from ../shared/corpus/srd5 (never copied into the project).
//
// Dependency-free: Node 20 built-ins only.
import { readdirSync, readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { Client, intOption, log, median, PreviewServer, REQUEST_TIMEOUT_MS, ROOT, round, run, sleep } from "./lib.mjs";

const OVERALL_TIMEOUT_MS = 15 * 60_000;
const CORPUS = resolve(ROOT, "../shared/corpus/srd5");
const MiB = 1024 * 1024;
const RANGE_BYTES = 64 * 1024;
const SETTLE_TIMEOUT_MS = 120_000;

function parseOptions() {
  const { values } = parseArgs({
    options: {
      rounds: { type: "string", default: "5" },
      "book-mb": { type: "string", default: "8" },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(
      [
        "Usage: node bench/compression.mjs [options]",
        "",
        "  --rounds <n>     measured rounds, each variant once per round (default 5)",
        "  --book-mb <n>    size of the one large Markdown file, in MiB (default 8; at most 50, one request)",
        "  --json           print one JSON object on stdout instead of the tables",
      ].join("\n"),
    );
    process.exit(0);
  }
  const bookMiB = intOption("book-mb", values["book-mb"], 1);
  if (bookMiB > 50)
    throw new Error("--book-mb must be at most 50 (larger files go as resumable uploads, stored as is)");
  return { rounds: intOption("rounds", values.rounds, 1), bookMiB, json: values.json };
}

const servers = { on: new PreviewServer(), off: new PreviewServer() };
const stopAll = async () => {
  await Promise.all([servers.on.stop(), servers.off.stop()]);
};
const stopAllSync = () => {
  servers.on.stopSync();
  servers.off.stopSync();
};

/** The SRD Markdown chapters, in order. */
function chapters() {
  const names = readdirSync(CORPUS)
    .filter((name) => name.endsWith(".md"))
    .sort();
  if (names.length === 0) throw new Error(`no Markdown chapters in ${CORPUS}`);
  return names.map((name) => ({ name, bytes: readFileSync(join(CORPUS, name)) }));
}

/** The chapters again and again up to `size` bytes; each copy is marked, so no two books are identical. */
function book(/** @type {{ bytes: Buffer }[]} */ parts, /** @type {number} */ size, /** @type {string} */ tag) {
  const pieces = [];
  let length = 0;
  for (let copy = 0; length < size; copy++) {
    for (const part of parts) {
      const marker = Buffer.from(`\n<!-- ${tag}, copy ${copy} -->\n\n`);
      pieces.push(marker, part.bytes);
      length += marker.length + part.bytes.length;
      if (length >= size) break;
    }
  }
  return Buffer.concat(pieces);
}

/** One timed request to the last body byte. @returns {Promise<{ ms: number, status: number, bytes: Buffer, res: Response }>} */
async function timed(/** @type {Client} */ client, /** @type {string} */ path, /** @type {RequestInit} */ init = {}) {
  const start = performance.now();
  const res = await fetch(client.base + path, {
    ...init,
    headers: client.headers(/** @type {Record<string, string>} */ (init.headers ?? {})),
    redirect: "manual",
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  const bytes = Buffer.from(await res.arrayBuffer());
  return { ms: performance.now() - start, status: res.status, bytes, res };
}

/** PUT /api/files, timed; must store a new file. */
async function timedUpload(/** @type {Client} */ client, /** @type {string} */ name, /** @type {Buffer} */ bytes) {
  const {
    ms,
    status,
    bytes: body,
  } = await timed(client, `/api/files?name=${encodeURIComponent(name)}`, {
    method: "PUT",
    headers: { Origin: client.base, "Content-Type": "application/octet-stream" },
    body: bytes,
  });
  const json = JSON.parse(body.toString() || "{}");
  if (status !== 201) throw new Error(`uploading ${name} answered ${status}: ${body.toString().slice(0, 300)}`);
  return { ms, fileKey: String(json.fileKey), size: Number(json.size), storedSize: Number(json.storedSize) };
}

/** GET /files/:key (with a Range if given), timed, checked byte for byte against `expected`. */
async function timedDownload(
  /** @type {Client} */ client,
  /** @type {string} */ fileKey,
  /** @type {Buffer} */ expected,
  /** @type {{ offset: number, length: number } | null} */ range = null,
) {
  const headers = range ? { Range: `bytes=${range.offset}-${range.offset + range.length - 1}` } : {};
  const { ms, status, bytes } = await timed(client, `/files/${fileKey}`, { headers });
  const want = range ? expected.subarray(range.offset, range.offset + range.length) : expected;
  if (status !== (range ? 206 : 200)) throw new Error(`GET /files/${fileKey} answered ${status}`);
  if (!bytes.equals(want)) throw new Error(`GET /files/${fileKey} did not answer the uploaded bytes`);
  return ms;
}

/** Waits until the account's tracker has nothing in progress (ingestion would compete with the next timing). */
async function settle(/** @type {Client} */ client) {
  const deadline = Date.now() + SETTLE_TIMEOUT_MS;
  for (;;) {
    const { jobs } = await client.getJson("/api/jobs");
    if (jobs.every((/** @type {{ status: string }} */ job) => ["ready", "failed", "cancelled"].includes(job.status)))
      return;
    if (Date.now() > deadline) throw new Error("ingestion did not settle within 2 minutes");
    await sleep(250);
  }
}

async function main() {
  const options = parseOptions();
  const parts = chapters();
  const corpusBytes = parts.reduce((n, part) => n + part.bytes.length, 0);
  log(
    `${parts.length} SRD chapters, ${round(corpusBytes / MiB)} MiB; ${options.rounds} rounds; book ${options.bookMiB} MiB`,
  );

  // Each server its own state folder (a folder holds one workerd's SQLite files).
  const stateDir = (/** @type {string} */ name) => join(ROOT, ".wrangler", `bench-state-${process.pid}-${name}`);
  const [onBase, offBase] = await Promise.all([
    servers.on.start({ stateDir: stateDir("on") }),
    servers.off.start({ stateDir: stateDir("off"), vars: { COMPRESS_TEXT_FILES: "false" } }),
  ]);
  const clients = { on: new Client(onBase), off: new Client(offBase) };
  await Promise.all([clients.on.signUp(), clients.off.signUp()]);

  // 1. The compression ratio, chapter by chapter, as the app stores them.
  /** @type {{ name: string, size: number, stored: number }[]} */
  const ratio = [];
  for (const part of parts) {
    const on = await timedUpload(clients.on, part.name, part.bytes);
    const off = await timedUpload(clients.off, part.name, part.bytes);
    if (on.size !== part.bytes.length || off.size !== part.bytes.length) throw new Error(`${part.name}: wrong size`);
    if (off.storedSize !== off.size) throw new Error(`${part.name}: stored compressed with compression off`);
    await timedDownload(clients.on, on.fileKey, part.bytes);
    ratio.push({ name: part.name, size: on.size, stored: on.storedSize });
  }
  const totalSize = ratio.reduce((n, r) => n + r.size, 0);
  const totalStored = ratio.reduce((n, r) => n + r.stored, 0);
  await Promise.all([settle(clients.on), settle(clients.off)]);

  // 2. Throughput: the chapters one by one, and one large file; each variant once a round.
  /** @type {Record<string, Record<"on" | "off", number[]>>} */
  const samples = {};
  const record = (/** @type {string} */ what, /** @type {"on" | "off"} */ variant, /** @type {number} */ value) => {
    samples[what] ??= { on: [], off: [] };
    samples[what][variant].push(value);
  };
  const bookSize = options.bookMiB * MiB;
  for (let r = 1; r <= options.rounds; r++) {
    const order = /** @type {("on" | "off")[]} */ (r % 2 ? ["on", "off"] : ["off", "on"]);
    for (const variant of order) {
      const client = clients[variant];
      const tag = `round ${r}`;
      // The chapters, each marked with the round so that it is not a duplicate of an earlier one.
      const files = parts.map((part) => ({
        name: `r${r}-${part.name}`,
        bytes: Buffer.concat([Buffer.from(`<!-- ${tag} -->\n`), part.bytes]),
      }));
      let uploadMs = 0;
      const keys = [];
      for (const file of files) {
        const up = await timedUpload(client, file.name, file.bytes);
        uploadMs += up.ms;
        keys.push(up.fileKey);
      }
      const chapterBytes = files.reduce((n, f) => n + f.bytes.length, 0);
      record("chapters upload MB/s", variant, chapterBytes / MiB / (uploadMs / 1000));
      await settle(client);
      let downloadMs = 0;
      for (const [i, file] of files.entries()) downloadMs += await timedDownload(client, keys[i], file.bytes);
      record("chapters download MB/s", variant, chapterBytes / MiB / (downloadMs / 1000));

      // One large Markdown file; its processing is cancelled so that it does not compete with the downloads.
      const big = book(parts, bookSize, `${tag} ${variant}`);
      const up = await timedUpload(client, `r${r}-srd-book.md`, big);
      record("book upload MB/s", variant, big.length / MiB / (up.ms / 1000));
      await client.submit(`/library/${up.fileKey}`, { intent: "cancel" }, /^\/library\//);
      await settle(client);
      const downloads = [];
      for (let i = 0; i < 3; i++) downloads.push(await timedDownload(client, up.fileKey, big));
      record("book download MB/s", variant, big.length / MiB / (median(downloads) / 1000));
      const middle = { offset: Math.floor(big.length / 2), length: RANGE_BYTES };
      const ranges = [];
      for (let i = 0; i < 3; i++) ranges.push(await timedDownload(client, up.fileKey, big, middle));
      record("book 64 KB range from the middle, ms", variant, median(ranges));
      const end = { offset: big.length - RANGE_BYTES, length: RANGE_BYTES };
      const tails = [];
      for (let i = 0; i < 3; i++) tails.push(await timedDownload(client, up.fileKey, big, end));
      record("book last 64 KB, ms", variant, median(tails));
      await client.submit(`/library/${up.fileKey}`, { intent: "delete" }, /^\/library$/);
    }
    log(`round ${r} done (load ${loadavg()[0].toFixed(2)})`);
  }

  const rows = Object.entries(samples).map(([what, { on, off }]) => {
    const [a, b] = [median(on), median(off)];
    return { what, compressed: round(a), uncompressed: round(b), ratio: round(a / b) };
  });
  const result = {
    chapters: ratio,
    total: { size: totalSize, stored: totalStored, storedFraction: round(totalStored / totalSize, 3) },
    rounds: options.rounds,
    bookBytes: bookSize,
    throughput: rows,
    load: loadavg().map((x) => round(x)),
  };
  if (options.json) {
    console.log(JSON.stringify(result, null, 2));
    return;
  }
  console.log("\nSRD Markdown chapters as stored (gzip, CompressionStream):\n");
  console.log("| chapter | bytes | stored | stored / bytes |");
  console.log("| --- | ---: | ---: | ---: |");
  for (const r of ratio) console.log(`| ${r.name} | ${r.size} | ${r.stored} | ${round(r.stored / r.size, 3)} |`);
  console.log(
    `| all ${ratio.length} | ${totalSize} | ${totalStored} | ${round(totalStored / totalSize, 3)} (${round(totalSize / totalStored)}× smaller) |`,
  );
  console.log(`\nThroughput, median of ${options.rounds} rounds (ratio: compressed / uncompressed):\n`);
  console.log("| measure | compressed | uncompressed | ratio |");
  console.log("| --- | ---: | ---: | ---: |");
  for (const row of rows) console.log(`| ${row.what} | ${row.compressed} | ${row.uncompressed} | ${row.ratio} |`);
  console.log(`\nload average after: ${result.load.join(" ")}`);
}

run(main, { timeoutMs: OVERALL_TIMEOUT_MS, stop: stopAll, stopSync: stopAllSync });
