#!/usr/bin/env node
// Retrieval evaluation: how often does the app's search put a passage that answers the
// question in its top results, and how fast? Uploads every file of a corpus folder through
// the app (a fresh local server, or --url), waits until all are indexed, asks each question
// of a QA set through GET /api/search and prints recall@1/5/10, MRR and p50/p95 latency.
// In the same run, the same metrics for a baseline: MiniSearch (BM25) in this process over
// exactly the chunks the app indexed (GET /api/files/:fileKey/chunks). See bench/README.md
// and docs/decisions/0013-retrieval-evaluation.md.
//
//   npm run build && node bench/eval-retrieval.mjs --corpus <dir> --qa <file.json> [--url <base>] [--k 10] [--json]
//
// QA file: [{"q": "question", "a": ["answer substring", ...]}]. A hit is a returned chunk
// whose text contains any answer substring (case-insensitive, whitespace collapsed).
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { setTimeout as wait } from "node:timers/promises";
import { parseArgs } from "node:util";
import MiniSearch from "minisearch";
import { Client, intOption, log, PreviewServer, percentile, round, run } from "./lib.mjs";

const OVERALL_TIMEOUT_MS = 60 * 60_000;
const READY_TIMEOUT_MS = 30 * 60_000;
const POLL_MS = 250;
const PROGRESS_EVERY_MS = 5_000;
const WARM_UP_QUERIES = 3;
const MAX_K = 50; // what /api/search accepts
const RECALL_AT = [1, 5, 10];

const USAGE =
  "Usage: node bench/eval-retrieval.mjs --corpus <dir> --qa <file.json> [--url <base>] [--k 10] [--json]\n" +
  "  --corpus <dir>   upload every regular file of this folder through the app (required)\n" +
  "  --qa <file>      questions: [{ q: string, a: [answer substring, ...] }] (required)\n" +
  "  --url <base>     use a running app instead of starting the built one (the account is deleted at the end)\n" +
  `  --k <n>          results asked for per question, 1..${MAX_K} (default 10)\n` +
  "  --json           print one JSON object instead of the tables";

const { values: options } = parseArgs({
  options: {
    corpus: { type: "string" },
    qa: { type: "string" },
    url: { type: "string" },
    k: { type: "string", default: "10" },
    json: { type: "boolean", default: false },
    help: { type: "boolean", default: false },
  },
});
if (options.help) {
  console.log(USAGE);
  process.exit(0);
}
if (!options.corpus || !options.qa) {
  console.error(`${options.corpus ? "--qa" : "--corpus"} is required.\n${USAGE}`);
  process.exit(2);
}
/** Results asked for per question. */
let K = 10;
try {
  K = intOption("k", options.k, 1);
  if (K > MAX_K) throw new Error(`--k must be at most ${MAX_K} (what /api/search accepts), got ${K}`);
} catch (error) {
  console.error(`${error instanceof Error ? error.message : error}\n${USAGE}`);
  process.exit(2);
}
if (K < Math.max(...RECALL_AT)) log(`note: --k ${K} < 10: recall@10 counts only the top ${K}`);

/**
 * @typedef {{ q: string, a: string[] }} Question
 * @typedef {{ fileKey: string, version: number, fileName: string, status: string, chunksTotal: number, error: string | null }} Job
 * @typedef {{ id: string, text: string }} Chunk
 * @typedef {{ rank: number | null, ms: number }} Answer
 */

/** Lower case, runs of whitespace as one space: how answers and chunk texts are compared. */
function normalize(/** @type {string} */ text) {
  return text.toLowerCase().replace(/\s+/g, " ").trim();
}

/**
 * Reads and checks the QA file.
 * @param {string} path @returns {Question[]}
 */
function readQa(path) {
  const parsed = JSON.parse(readFileSync(path, "utf8"));
  if (!Array.isArray(parsed) || parsed.length === 0) throw new Error(`${path}: expected a non-empty JSON array`);
  parsed.forEach((item, i) => {
    const ok =
      item &&
      typeof item.q === "string" &&
      item.q.trim() &&
      Array.isArray(item.a) &&
      item.a.length > 0 &&
      item.a.every((/** @type {unknown} */ s) => typeof s === "string" && normalize(s));
    if (!ok) throw new Error(`${path}: item ${i} must be { "q": "question", "a": ["answer substring", ...] }`);
  });
  return parsed;
}

/**
 * Every regular file of the folder, sorted by name (symbolic links followed). Anything
 * else (subfolders, sockets) is named in the log, never skipped silently.
 * @param {string} dir
 */
function corpusFiles(dir) {
  const files = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    const stat = statSync(path);
    if (stat.isFile()) files.push({ name, path, bytes: stat.size });
    else log(`not uploaded: ${name} is not a regular file (${stat.isDirectory() ? "a folder" : "special"})`);
  }
  if (files.length === 0) throw new Error(`${dir} holds no regular files`);
  return files;
}

/**
 * PUT /api/files?name=<name> with the raw bytes, as the library's upload widget does.
 * @param {Client} client @param {string} name @param {Buffer} bytes
 * @returns {Promise<{ fileKey: string } | { refused: string }>}
 */
async function upload(client, name, bytes) {
  const { status, body, text } = await client.putFile(name, bytes);
  if (status === 201 || status === 200) return { fileKey: body.fileKey };
  // 4xx: the app refused this file (type, size, exact duplicate): the run goes on without it.
  if (status >= 400 && status < 500 && status !== 401) {
    return { refused: `${status} ${body.error ?? text.slice(0, 300)}` };
  }
  throw new Error(`uploading ${name} answered ${status}: ${text.slice(0, 1_000)}`);
}

/**
 * Polls /api/jobs until every file is ready (searchable) or stored (kept, not searchable,
 * e.g. images). A failed or cancelled file stops the run with its reason.
 * @param {Client} client @param {string[]} fileKeys @returns {Promise<Job[]>}
 */
async function waitUntilIndexed(client, fileKeys) {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let lastProgress = 0;
  for (;;) {
    /** @type {{ jobs: Job[] }} */
    const { jobs } = await client.getJson("/api/jobs");
    /** @type {Map<string, Job>} the newest version's job of each uploaded file */
    const mine = new Map();
    for (const job of jobs) {
      if (!fileKeys.includes(job.fileKey)) continue;
      const seen = mine.get(job.fileKey);
      if (!seen || job.version > seen.version) mine.set(job.fileKey, job);
    }
    const broken = [...mine.values()].find((job) => job.status === "failed" || job.status === "cancelled");
    if (broken) throw new Error(`${broken.fileName} ${broken.status}: ${broken.error ?? "no reason given"}`);
    const done = [...mine.values()].filter((job) => job.status === "ready" || job.status === "stored");
    if (done.length === fileKeys.length) return fileKeys.map((key) => /** @type {Job} */ (mine.get(key)));
    if (Date.now() > deadline) {
      const waiting = [...mine.values()].filter((job) => !done.includes(job)).map((j) => `${j.fileName} ${j.status}`);
      throw new Error(`not indexed after ${READY_TIMEOUT_MS / 60_000} minutes: ${waiting.join(", ") || "no jobs"}`);
    }
    if (Date.now() - lastProgress > PROGRESS_EVERY_MS) {
      lastProgress = Date.now();
      log(`indexed ${done.length}/${fileKeys.length} files`);
    }
    // Not lib's sleep(): its timer is unref'd, and with --url nothing else keeps Node running.
    await wait(POLL_MS);
  }
}

/**
 * The 1-based position of the first result whose text contains an answer, or null.
 * @param {string[]} texts in result order @param {string[]} answers normalized
 */
function rankOf(texts, answers) {
  const i = texts.findIndex((text) => {
    const normalized = normalize(text);
    return answers.some((answer) => normalized.includes(answer));
  });
  return i < 0 ? null : i + 1;
}

/**
 * One timed GET /api/search, from just before the request to the last byte of the body.
 * @param {Client} client @param {string} q @returns {Promise<{ ms: number, texts: string[] }>}
 */
async function searchApp(client, q) {
  const path = `/api/search?q=${encodeURIComponent(q)}&k=${K}`;
  const { ms, text } = await client.timedGet(path);
  const body = JSON.parse(text);
  if (!Array.isArray(body.results)) throw new Error(`GET ${path}: no "results" array in ${text.slice(0, 300)}`);
  /** @type {{ rank?: number, text?: string }[]} */
  const results = body.results;
  // Results come best first; if they all carry a rank, order by it to be sure.
  if (results.every((r) => typeof r.rank === "number")) results.sort((a, b) => Number(a.rank) - Number(b.rank));
  return { ms, texts: results.slice(0, K).map((r) => String(r.text ?? "")) };
}

/** The baseline: BM25 full-text search (MiniSearch) over the same chunks, in this process. */
function baselineIndex(/** @type {Chunk[]} */ chunks) {
  const index = new MiniSearch({
    fields: ["text"],
    idField: "id",
    searchOptions: { prefix: false, fuzzy: false, combineWith: "OR" },
  });
  index.addAll(chunks);
  const textById = new Map(chunks.map((chunk) => [chunk.id, chunk.text]));
  /** @param {string} q */
  return (q) => {
    const start = performance.now();
    const hits = index.search(q);
    const ms = performance.now() - start;
    return { ms, texts: hits.slice(0, K).map((hit) => textById.get(hit.id) ?? "") };
  };
}

/**
 * Warm-up, then every question in order, one at a time.
 * @param {Question[]} qa
 * @param {(q: string) => Promise<{ ms: number, texts: string[] }> | { ms: number, texts: string[] }} search
 * @returns {Promise<Answer[]>}
 */
async function ask(qa, search) {
  for (const { q } of qa.slice(0, WARM_UP_QUERIES)) await search(q);
  const answers = [];
  for (const { q, a } of qa) {
    const { ms, texts } = await search(q);
    answers.push({ rank: rankOf(texts, a.map(normalize)), ms });
  }
  return answers;
}

/** recall@1/5/10, MRR (over the top k) and p50/p95 latency of one system. */
function metrics(/** @type {Answer[]} */ answers) {
  const n = answers.length;
  /** @type {Record<string, number>} */
  const out = {};
  for (const at of RECALL_AT) {
    out[`recall@${at}`] = round(answers.filter((x) => x.rank !== null && x.rank <= at).length / n, 3);
  }
  out.mrr = round(answers.reduce((sum, x) => sum + (x.rank ? 1 / x.rank : 0), 0) / n, 3);
  const ms = answers.map((x) => x.ms).sort((a, b) => a - b);
  out.p50_ms = round(percentile(ms, 50), 3);
  out.p95_ms = round(percentile(ms, 95), 3);
  return out;
}

const server = new PreviewServer();

async function main() {
  const corpusDir = resolve(/** @type {string} */ (options.corpus));
  const qa = readQa(resolve(/** @type {string} */ (options.qa)));
  const files = corpusFiles(corpusDir);
  log(`${qa.length} questions; ${files.length} files in ${corpusDir}`);

  const base = options.url ? options.url.replace(/\/+$/, "") : await server.start();
  const client = new Client(base);
  const account = await client.signUp();
  try {
    /** @type {string[]} */
    const fileKeys = [];
    const refused = [];
    for (const file of files) {
      const result = await upload(client, file.name, readFileSync(file.path));
      if ("refused" in result) {
        refused.push(file.name);
        log(`REFUSED by the app, not in this evaluation: ${file.name} (${result.refused})`);
      } else {
        fileKeys.push(result.fileKey);
        log(`uploaded ${file.name} (${round(file.bytes / 1024, 1)} KiB)`);
      }
    }
    if (fileKeys.length === 0) throw new Error("the app refused every file of the corpus");
    const started = performance.now();
    const jobs = await waitUntilIndexed(client, fileKeys);
    log(`all ${jobs.length} files indexed in ${round((performance.now() - started) / 1000, 1)} s`);

    /** @type {Chunk[]} */
    const chunks = [];
    for (const job of jobs) {
      if (job.status === "stored") {
        log(`${job.fileName}: stored, not searchable (no chunks)`);
        continue;
      }
      /** @type {{ chunks: Chunk[] }} */
      const body = await client.getJson(`/api/files/${encodeURIComponent(job.fileKey)}/chunks`);
      if (body.chunks.length !== job.chunksTotal) {
        log(`note: ${job.fileName}: ${body.chunks.length} chunks listed, the job counted ${job.chunksTotal}`);
      }
      for (const chunk of body.chunks) chunks.push({ id: chunk.id, text: chunk.text });
    }
    if (chunks.length === 0) throw new Error("no file of the corpus is searchable: nothing to evaluate");
    log(`${chunks.length} chunks; baseline: MiniSearch over the same chunks`);
    // A question no chunk can answer is a miss for both systems: a flaw of the QA set, so say so.
    const normalizedChunks = chunks.map((chunk) => normalize(chunk.text));
    for (const { q, a } of qa) {
      const answers = a.map(normalize);
      if (!normalizedChunks.some((text) => answers.some((answer) => text.includes(answer)))) {
        log(`warning: no chunk contains an answer to "${q}" (a miss for both)`);
      }
    }
    const searchBaseline = baselineIndex(chunks);

    log(`asking ${qa.length} questions through /api/search (k=${K}, after ${WARM_UP_QUERIES} warm-up queries)`);
    const ours = await ask(qa, (q) => searchApp(client, q));
    const baseline = await ask(qa, searchBaseline);

    const result = {
      ours: metrics(ours),
      baseline: metrics(baseline),
      questions: qa.map(({ q }, i) => ({ q, rank_ours: ours[i].rank, rank_baseline: baseline[i].rank })),
    };
    if (options.json) console.log(JSON.stringify(result, null, 2));
    else printTables(result, { files: fileKeys.length, refused, chunks: chunks.length });
  } finally {
    if (options.url) await client.deleteAccount(account);
  }
}

/**
 * @param {{ ours: Record<string, number>, baseline: Record<string, number>, questions: { q: string, rank_ours: number | null, rank_baseline: number | null }[] }} result
 * @param {{ files: number, refused: string[], chunks: number }} corpus
 */
function printTables(result, corpus) {
  const show = (/** @type {number | null} */ rank) => (rank === null ? "—" : String(rank));
  console.log(
    `${result.questions.length} questions over ${corpus.files} files (${corpus.chunks} chunks), top ${K}` +
      (corpus.refused.length ? `; refused by the app: ${corpus.refused.join(", ")}` : ""),
  );
  console.log();
  console.log("| metric | LoreSmith (/api/search) | MiniSearch BM25 (baseline) |");
  console.log("|---|---|---|");
  for (const key of Object.keys(result.ours)) {
    console.log(`| ${key} | ${result.ours[key]} | ${result.baseline[key]} |`);
  }
  console.log();
  console.log("| # | rank ours | rank baseline | question |");
  console.log("|---|---|---|---|");
  result.questions.forEach((x, i) => {
    console.log(`| ${i + 1} | ${show(x.rank_ours)} | ${show(x.rank_baseline)} | ${x.q.replaceAll("|", "\\|")} |`);
  });
  console.log();
  console.log(
    `Rank: position of the first result containing an answer (— = not in the top ${K}). ` +
      "Latency: ours is the wall time of each HTTP request (sequential, after warm-up); " +
      "the baseline's is MiniSearch's search() in this process, without any HTTP.",
  );
}

await run(main, {
  timeoutMs: OVERALL_TIMEOUT_MS,
  stop: () => server.stop(),
  stopSync: () => server.stopSync(),
});
