#!/usr/bin/env node
// Retrieval evaluation: how often does the app's search put a passage that answers the
// question in its top results, and how fast? Uploads every file of a corpus folder through
// the app (a fresh local server, or --url), waits until all are indexed, asks each question
// of one or more QA sets through GET /api/search and prints recall@1/5/10, MRR and p50/p95
// latency, for all questions, per set and per kind of question (book / paraphrase). In the
// same run, the same metrics for a baseline: MiniSearch (BM25) in this process over exactly
// the chunks the app indexed (GET /api/files/:fileKey/chunks). See bench/README.md and
// docs/decisions/0013-retrieval-evaluation.md.
//
// With --answers, every question is also asked of the assistant, through the endpoint its
// conversation page uses (POST /api/campaigns/:id/chats/:chatId/ask, in a campaign with
// every file attached): locally no chat model is configured, so the answer is the
// extractive one (quoted passages). Reports how often the answer contains an answer text,
// beside search's recall@1 and recall@5.
//
//   npm run build && node bench/eval-retrieval.mjs --corpus <dir> --qa <file.json> [--qa <file.json> ...]
//     [--url <base>] [--k 10] [--answers] [--json] [--details <out.json>]
//
// QA file: [{"q": "question", "a": ["answer substring", ...], "kind"?: "book" | "paraphrase"}].
// A hit is a returned chunk whose text contains any answer substring (case-insensitive,
// whitespace collapsed).
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";
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
/** A search answered 429 (rate limit) is retried after Retry-After, this many times at most. */
const RATE_LIMIT_RETRIES = 20;
/** How the results of a question without a "kind" are grouped. */
const UNTAGGED = "untagged";
/**
 * With --answers on the app this run starts: the rate limits of its copy of the build
 * (never of wrangler.toml). Production allows 10 questions a minute per account and 60
 * form posts (a new conversation each); the evaluation asks 150 and more, one at a time.
 */
const ANSWER_RATE_LIMITS = {
  ASK_LIMITER: { limit: 10_000, period: 60 },
  WRITE_LIMITER: { limit: 10_000, period: 60 },
};

const USAGE =
  "Usage: node bench/eval-retrieval.mjs --corpus <dir> --qa <file.json> [--qa <file.json> ...] [--url <base>] [--k 10] [--answers] [--json] [--details <out.json>]\n" +
  "  --corpus <dir>     upload every regular file of this folder through the app (required)\n" +
  "  --qa <file>        questions: [{ q: string, a: [answer substring, ...], kind?: string }] (required;\n" +
  "                     repeat it to evaluate several sets in one run: each is reported alone and all together)\n" +
  "  --url <base>       use a running app instead of starting the built one (the account is deleted at the end)\n" +
  `  --k <n>            results asked for per question, 1..${MAX_K} (default 10)\n` +
  "  --answers          also ask every question of the assistant (POST /api/campaigns/:id/chats/:chatId/ask,\n" +
  "                     a campaign with every file attached; extractive when no chat model is configured) and\n" +
  "                     report how often its answer contains an answer text, beside recall@1 and recall@5\n" +
  "                     (the app this run starts gets raised ask and write rate limits in its build copy)\n" +
  "  --json             print one JSON object instead of the tables\n" +
  "  --details <file>   also write, for diagnosis, every question's top results, the chunks that answer it\n" +
  "                     and every chunk's text (it holds corpus text: keep it out of the repository)";

const { values: options } = parseArgs({
  options: {
    corpus: { type: "string" },
    qa: { type: "string", multiple: true },
    url: { type: "string" },
    k: { type: "string", default: "10" },
    answers: { type: "boolean", default: false },
    json: { type: "boolean", default: false },
    details: { type: "string" },
    help: { type: "boolean", default: false },
  },
});
if (options.help) {
  console.log(USAGE);
  process.exit(0);
}
if (!options.corpus || !options.qa?.length) {
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
 * @typedef {{ q: string, a: string[], kind: string, set: string }} Question
 * @typedef {{ fileKey: string, version: number, fileName: string, status: string, chunksTotal: number, error: string | null }} Job
 * @typedef {{ id: string, text: string, fileName: string, headingPath: string[] }} Chunk
 * @typedef {{ id: string, text: string, score?: number, matchedBy?: string[] }} Hit
 * @typedef {{ ms: number, hits: Hit[], server?: Record<string, number> }} Response
 * @typedef {{ rank: number | null, ms: number, hits: Hit[], server?: Record<string, number> }} Answer
 * @typedef {Record<string, number>} Metrics
 * @typedef {{ questions: number, ours: Metrics, baseline: Metrics }} Group
 * @typedef {{ content: string, provider: string, citations: { n: number, excerpt: string }[], ms: number }} Reply
 * @typedef {{ contains: boolean, inSources: boolean, quote: number | null, sources: number, ms: number, provider: string }} Judged
 * @typedef {{ questions: number, answer: number, in_sources: number, "recall@1": number, "recall@5": number, p50_ms: number, p95_ms: number }} AnswerMetrics
 */

/** Lower case, runs of whitespace as one space: how answers and chunk texts are compared. */
function normalize(/** @type {string} */ text) {
  return text.toLowerCase().replace(/\s+/g, " ").trim();
}

/**
 * Reads and checks one QA file; its questions carry the set's name and their kind.
 * @param {string} path @param {string} set @returns {Question[]}
 */
function readQa(path, set) {
  const parsed = JSON.parse(readFileSync(path, "utf8"));
  if (!Array.isArray(parsed) || parsed.length === 0) throw new Error(`${path}: expected a non-empty JSON array`);
  return parsed.map((item, i) => {
    const ok =
      item &&
      typeof item.q === "string" &&
      item.q.trim() &&
      Array.isArray(item.a) &&
      item.a.length > 0 &&
      item.a.every((/** @type {unknown} */ s) => typeof s === "string" && normalize(s)) &&
      (item.kind === undefined || (typeof item.kind === "string" && item.kind.trim()));
    if (!ok) {
      throw new Error(
        `${path}: item ${i} must be { "q": "question", "a": ["answer substring", ...], "kind"?: "book" | "paraphrase" }`,
      );
    }
    return { q: item.q, a: item.a, kind: item.kind?.trim() ?? UNTAGGED, set };
  });
}

/**
 * The sets named by --qa, in order: each named by its file name (the path as given if two
 * share a name).
 * @param {string[]} paths @returns {{ name: string, questions: Question[] }[]}
 */
function readSets(paths) {
  const names = paths.map((path) => basename(path));
  return paths.map((path, i) => {
    const name = names.filter((n) => n === names[i]).length > 1 ? path : names[i];
    return { name, questions: readQa(resolve(path), name) };
  });
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
  for (let attempt = 0; ; attempt++) {
    const { status, body, text } = await client.putFile(name, bytes);
    if (status === 201 || status === 200) return { fileKey: body.fileKey };
    if (status === 429 && attempt < RATE_LIMIT_RETRIES) {
      log(`uploading ${name}: rate limited, waiting`);
      await wait(10_000);
      continue;
    }
    // 4xx: the app refused this file (type, size, exact duplicate): the run goes on without it.
    if (status >= 400 && status < 500 && status !== 401) {
      return { refused: `${status} ${body.error ?? text.slice(0, 300)}` };
    }
    throw new Error(`uploading ${name} answered ${status}: ${text.slice(0, 1_000)}`);
  }
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
 * The time the server reports for one search, if it does: `tookMs`, and each number of a
 * `timings` object (`{ fts, vectors, fusion, snippets }` or whatever parts it has; one
 * level of nesting becomes `part.sub`). Undefined when the answer carries neither.
 * @param {any} body @returns {Record<string, number> | undefined}
 */
function serverTimings(body) {
  /** @type {Record<string, number>} */
  const parts = {};
  const isNumber = (/** @type {unknown} */ v) => typeof v === "number" && Number.isFinite(v);
  if (isNumber(body.tookMs)) parts.tookMs = body.tookMs;
  if (body.timings && typeof body.timings === "object" && !Array.isArray(body.timings)) {
    for (const [part, value] of Object.entries(body.timings)) {
      if (isNumber(value)) parts[part] = value;
      else if (value && typeof value === "object" && !Array.isArray(value)) {
        for (const [sub, v] of Object.entries(value)) if (isNumber(v)) parts[`${part}.${sub}`] = v;
      }
    }
  }
  return Object.keys(parts).length ? parts : undefined;
}

/**
 * One timed GET /api/search, from just before the request to the last byte of the body.
 * A 429 (the search rate limit) waits for its Retry-After and asks again, untimed.
 * @param {Client} client @param {string} q @returns {Promise<Response>}
 */
async function searchApp(client, q) {
  const path = `/api/search?q=${encodeURIComponent(q)}&k=${K}`;
  const { ms, text } = await client.timedGet(path, { accept: "application/json", retries: RATE_LIMIT_RETRIES });
  const body = JSON.parse(text);
  if (!Array.isArray(body.results)) throw new Error(`GET ${path}: no "results" array in ${text.slice(0, 300)}`);
  /** @type {{ id?: string, rank?: number, score?: number, text?: string, matchedBy?: string[] }[]} */
  const results = body.results;
  // Results come best first; if they all carry a rank, order by it to be sure.
  if (results.every((r) => typeof r.rank === "number")) results.sort((a, b) => Number(a.rank) - Number(b.rank));
  const hits = results.slice(0, K).map((r) => ({
    id: String(r.id ?? ""),
    text: String(r.text ?? ""),
    score: r.score,
    matchedBy: r.matchedBy,
  }));
  return { ms, hits, server: serverTimings(body) };
}

/** The baseline: BM25 full-text search (MiniSearch) over the same chunks, in this process. */
function baselineIndex(/** @type {Chunk[]} */ chunks) {
  const index = new MiniSearch({
    fields: ["text"],
    idField: "id",
    searchOptions: { prefix: false, fuzzy: false, combineWith: "OR" },
  });
  index.addAll(chunks.map(({ id, text }) => ({ id, text })));
  const textById = new Map(chunks.map((chunk) => [chunk.id, chunk.text]));
  /** @param {string} q @returns {Response} */
  return (q) => {
    const start = performance.now();
    const found = index.search(q);
    const ms = performance.now() - start;
    return {
      ms,
      hits: found
        .slice(0, K)
        .map((hit) => ({ id: String(hit.id), text: textById.get(hit.id) ?? "", score: hit.score })),
    };
  };
}

/**
 * Warm-up, then every question in order, one at a time.
 * @param {Question[]} qa
 * @param {(q: string) => Promise<Response> | Response} search
 * @returns {Promise<Answer[]>}
 */
async function ask(qa, search) {
  for (const { q } of qa.slice(0, WARM_UP_QUERIES)) await search(q);
  const answers = [];
  for (const { q, a } of qa) {
    const { ms, hits, server } = await search(q);
    answers.push({
      rank: rankOf(
        hits.map((hit) => hit.text),
        a.map(normalize),
      ),
      ms,
      hits,
      server,
    });
  }
  return answers;
}

/** recall@1/5/10, MRR (over the top k) and p50/p95 latency of one system. */
function metrics(/** @type {Answer[]} */ answers) {
  const n = answers.length;
  /** @type {Metrics} */
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

/**
 * Both systems' metrics over the questions whose index passes `keep`; null when none does.
 * @param {Question[]} qa @param {Answer[]} ours @param {Answer[]} baseline
 * @param {(question: Question) => boolean} keep @returns {Group | null}
 */
function group(qa, ours, baseline, keep) {
  const at = qa.flatMap((question, i) => (keep(question) ? [i] : []));
  if (at.length === 0) return null;
  return {
    questions: at.length,
    ours: metrics(at.map((i) => ours[i])),
    baseline: metrics(at.map((i) => baseline[i])),
  };
}

/** The kinds in the questions, book and paraphrase first, untagged last. */
function kindsOf(/** @type {Question[]} */ qa) {
  const order = ["book", "paraphrase"];
  const weight = (/** @type {string} */ kind) => {
    const known = order.indexOf(kind);
    return known >= 0 ? known : kind === UNTAGGED ? order.length + 1 : order.length;
  };
  return [...new Set(qa.map((x) => x.kind))].sort((a, b) => weight(a) - weight(b) || a.localeCompare(b));
}

/**
 * Metrics by kind of question (only the kinds present).
 * @param {Question[]} qa @param {Answer[]} ours @param {Answer[]} baseline @param {(q: Question) => boolean} inScope
 */
function byKind(qa, ours, baseline, inScope) {
  /** @type {Record<string, Group>} */
  const out = {};
  for (const kind of kindsOf(qa.filter(inScope))) {
    const g = group(qa, ours, baseline, (x) => inScope(x) && x.kind === kind);
    if (g) out[kind] = g;
  }
  return out;
}

/**
 * p50/p95 of each part of the server's own timing, over the requests that reported it;
 * empty when the API reports none.
 * @param {Answer[]} answers
 */
function serverLatency(answers) {
  /** @type {Map<string, number[]>} */
  const samples = new Map();
  for (const answer of answers) {
    for (const [part, ms] of Object.entries(answer.server ?? {})) {
      const list = samples.get(part) ?? [];
      list.push(ms);
      samples.set(part, list);
    }
  }
  /** @type {Record<string, { p50_ms: number, p95_ms: number, requests: number }>} */
  const out = {};
  for (const [part, list] of samples) {
    list.sort((a, b) => a - b);
    out[part] = {
      p50_ms: round(percentile(list, 50), 3),
      p95_ms: round(percentile(list, 95), 3),
      requests: list.length,
    };
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// --answers: the assistant's answers

/**
 * The app this run starts, with --answers: the same build, run from PreviewServer's copy
 * (the `vars` mechanism) whose wrangler.json also carries ANSWER_RATE_LIMITS. The
 * project's wrangler.toml and build stay as they are.
 */
class AnswerPreviewServer extends PreviewServer {
  /** @param {Record<string, string>} vars */
  copyBuildWithVars(vars) {
    /** @type {any} the copy's wrangler.json, or (lib.mjs before scripts/serve.mjs) `{ root }` of the copy */
    const copy = super.copyBuildWithVars(vars);
    const path = typeof copy === "string" ? copy : join(copy.root, "build/server/wrangler.json");
    const config = JSON.parse(readFileSync(path, "utf8"));
    /** @type {{ name: string, simple?: unknown }[]} */
    const limits = config.ratelimits ?? [];
    for (const name of Object.keys(ANSWER_RATE_LIMITS)) {
      if (!limits.some((l) => l.name === name)) throw new Error(`the build's wrangler.json has no rate limit ${name}`);
    }
    config.ratelimits = limits.map((l) =>
      l.name in ANSWER_RATE_LIMITS
        ? { ...l, simple: ANSWER_RATE_LIMITS[/** @type {keyof typeof ANSWER_RATE_LIMITS} */ (l.name)] }
        : l,
    );
    writeFileSync(path, JSON.stringify(config));
    return copy;
  }
}

/**
 * A form POST that must redirect to a path matching `expected`; a 429 (write limit with
 * --url) waits and posts again.
 * @param {Client} client @param {string} path @param {Record<string, string>} fields @param {RegExp} expected
 */
async function submitRetrying(client, path, fields, expected) {
  for (let attempt = 0; ; attempt++) {
    const res = await client.post(path, fields);
    if (res.status === 429 && attempt < RATE_LIMIT_RETRIES) {
      await wait(10_000);
      continue;
    }
    const location = res.location ? new URL(res.location, client.base).pathname : "";
    const match = location.match(expected);
    if (res.status < 300 || res.status >= 400 || !match) {
      throw new Error(
        `POST ${path} answered ${res.status}${res.location ? ` → ${res.location}` : ""}: ${res.text.slice(0, 500)}`,
      );
    }
    return match;
  }
}

/**
 * The assistant answers from a campaign's material: a campaign with every searchable file
 * attached, through the campaign's Files form.
 * @param {Client} client @param {Job[]} jobs @returns {Promise<string>} its id
 */
async function answerCampaign(client, jobs) {
  const [, id] = await submitRetrying(
    client,
    "/campaigns/new",
    { intent: "save", name: "Benchmark: retrieval evaluation", status: "active" },
    /^\/campaigns\/([^/]+)$/,
  );
  for (const job of jobs) {
    if (job.status !== "ready") continue;
    await submitRetrying(
      client,
      `/campaigns/${id}/files`,
      { intent: "attach", fileKey: job.fileKey },
      /^\/campaigns\/[^/]+\/files$/,
    );
  }
  return /** @type {string} */ (id);
}

/**
 * One question in a new conversation of the campaign (so no earlier turn colours it),
 * asked as the conversation page asks: POST …/ask with the form field `question`, read to
 * its last event. A 429 waits for Retry-After and asks again; the time is the last try's.
 * @param {Client} client @param {string} campaignId @param {string} question @returns {Promise<Reply>}
 */
async function askAssistant(client, campaignId, question) {
  const [, chatId] = await submitRetrying(
    client,
    `/campaigns/${campaignId}/assistant`,
    {},
    /^\/campaigns\/[^/]+\/assistant\/([^/]+)$/,
  );
  const path = `/api/campaigns/${campaignId}/chats/${chatId}/ask`;
  const { ms, text } = await client.timedRequest(
    path,
    {
      method: "POST",
      headers: { Origin: client.base, "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ question }),
    },
    { retries: RATE_LIMIT_RETRIES },
  );
  /** @type {any[]} */
  const events = text
    .split("\n")
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line));
  const failed = events.find((e) => e.type === "error");
  if (failed) throw new Error(`POST ${path} ("${question}"): ${failed.message}`);
  const sources = events.find((e) => e.type === "sources");
  const done = events.find((e) => e.type === "done");
  if (!done) throw new Error(`POST ${path} ("${question}"): no "done" event in ${text.slice(0, 300)}`);
  return { content: String(done.content), provider: String(done.provider), citations: sources?.citations ?? [], ms };
}

/**
 * Text as an answer is compared with it: without Markdown emphasis and blockquote marks
 * (what a reader does not see as words), then normalize().
 */
function plain(/** @type {string} */ text) {
  return normalize(text.replace(/^[ \t]*>[ \t]?/gm, "").replace(/\*+|(?<![\p{L}\p{N}])_+|_+(?![\p{L}\p{N}])/gu, ""));
}

/**
 * Does the reply contain an answer text, did one of its sources, and which quote ([n] at
 * the end of the paragraph) holds it.
 * @param {Reply} reply @param {string[]} answers @returns {Judged}
 */
function judge(reply, answers) {
  const wanted = answers.map(plain);
  const has = (/** @type {string} */ text) => {
    const flat = plain(text);
    return wanted.some((answer) => flat.includes(answer));
  };
  const block = reply.content.split(/\n[ \t]*\n/).find(has);
  const cited = block?.match(/\[(\d+)\][^[]*$/);
  return {
    contains: has(reply.content),
    inSources: reply.citations.some((c) => has(c.excerpt)),
    quote: cited ? Number(cited[1]) : null,
    sources: reply.citations.length,
    ms: reply.ms,
    provider: reply.provider,
  };
}

/**
 * The answer rate over the questions whose index passes `keep`, beside search's recall@1
 * and recall@5 for the same questions; null when none does.
 * @param {Question[]} qa @param {Answer[]} ours @param {Judged[]} judged
 * @param {(question: Question) => boolean} keep @returns {AnswerMetrics | null}
 */
function answerGroup(qa, ours, judged, keep) {
  const at = qa.flatMap((question, i) => (keep(question) ? [i] : []));
  if (at.length === 0) return null;
  const rate = (/** @type {(i: number) => boolean} */ yes) => round(at.filter(yes).length / at.length, 3);
  const ms = at.map((i) => judged[i]?.ms ?? 0).sort((a, b) => a - b);
  return {
    questions: at.length,
    answer: rate((i) => Boolean(judged[i]?.contains)),
    in_sources: rate((i) => Boolean(judged[i]?.inSources)),
    "recall@1": rate((i) => (ours[i]?.rank ?? Number.POSITIVE_INFINITY) <= 1),
    "recall@5": rate((i) => (ours[i]?.rank ?? Number.POSITIVE_INFINITY) <= 5),
    p50_ms: round(percentile(ms, 50), 3),
    p95_ms: round(percentile(ms, 95), 3),
  };
}

/**
 * The --answers part of the result: all questions, per kind, per set and its kinds, and
 * which modes answered (a configured model's answers are judged the same way).
 * @param {{ name: string }[]} sets @param {Question[]} qa @param {Answer[]} ours @param {Judged[]} judged
 */
function answerReport(sets, qa, ours, judged) {
  const kinds = (/** @type {(q: Question) => boolean} */ inScope) =>
    Object.fromEntries(
      kindsOf(qa.filter(inScope)).map((kind) => [
        kind,
        answerGroup(qa, ours, judged, (x) => inScope(x) && x.kind === kind),
      ]),
    );
  /** @type {Record<string, number>} */
  const providers = {};
  for (const j of judged) providers[j.provider] = (providers[j.provider] ?? 0) + 1;
  return {
    ...answerGroup(qa, ours, judged, () => true),
    kinds: kinds(() => true),
    sets: Object.fromEntries(
      sets.map(({ name }) => {
        const inSet = (/** @type {Question} */ x) => x.set === name;
        return [name, { ...answerGroup(qa, ours, judged, inSet), kinds: kinds(inSet) }];
      }),
    ),
    providers,
  };
}

const server = options.answers ? new AnswerPreviewServer() : new PreviewServer();

async function main() {
  const corpusDir = resolve(/** @type {string} */ (options.corpus));
  const sets = readSets(/** @type {string[]} */ (options.qa));
  /** @type {Question[]} every set's questions, in order */
  const qa = sets.flatMap((set) => set.questions);
  const files = corpusFiles(corpusDir);
  log(
    `${qa.length} questions (${sets.map((s) => `${s.name}: ${s.questions.length}`).join(", ")}); ` +
      `${files.length} files in ${corpusDir}`,
  );

  const base = options.url
    ? options.url.replace(/\/+$/, "")
    : // With --answers, from a copy of the build with raised ask and write limits, and a
      // daily question quota (200 in production) above the questions asked.
      await server.start(options.answers ? { vars: { DAILY_QUESTIONS: String(10 * qa.length) } } : {});
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
      /** @type {{ passages: { id: string, body: string, headingPath: string[] }[] }} */
      const body = await client.getJson(`/api/files/${encodeURIComponent(job.fileKey)}/chunks`);
      if (body.passages.length !== job.chunksTotal) {
        log(`note: ${job.fileName}: ${body.passages.length} passages listed, the job counted ${job.chunksTotal}`);
      }
      for (const passage of body.passages) {
        const headingPath = passage.headingPath.map(String);
        // The baseline indexes what the app indexes: the heading path and the body.
        const heading = headingPath.length ? `${headingPath.join(" › ")}\n` : "";
        chunks.push({ id: passage.id, text: `${heading}${passage.body}`, fileName: job.fileName, headingPath });
      }
    }
    if (chunks.length === 0) throw new Error("no file of the corpus is searchable: nothing to evaluate");
    log(`${chunks.length} chunks; baseline: MiniSearch over the same chunks`);
    // A question no chunk can answer is a miss for both systems: a flaw of the QA set, so say so.
    const normalizedChunks = chunks.map((chunk) => normalize(chunk.text));
    const answeringChunks = qa.map(({ a }) => {
      const answers = a.map(normalize);
      return chunks.filter((_, i) => answers.some((answer) => normalizedChunks[i]?.includes(answer))).map((c) => c.id);
    });
    qa.forEach(({ q, set }, i) => {
      if (answeringChunks[i]?.length === 0)
        log(`warning: ${set}: no chunk contains an answer to "${q}" (a miss for both)`);
    });
    const searchBaseline = baselineIndex(chunks);

    log(`asking ${qa.length} questions through /api/search (k=${K}, after ${WARM_UP_QUERIES} warm-up queries)`);
    const ours = await ask(qa, (q) => searchApp(client, q));
    const baseline = await ask(qa, searchBaseline);

    /** @type {Reply[]} */
    const replies = [];
    /** @type {Judged[]} */
    const judged = [];
    if (options.answers) {
      const campaignId = await answerCampaign(client, jobs);
      log(`asking ${qa.length} questions of the assistant (POST /api/campaigns/:id/chats/:chatId/ask)`);
      let lastProgress = Date.now();
      for (const [i, { q, a }] of qa.entries()) {
        const reply = await askAssistant(client, campaignId, q);
        replies.push(reply);
        judged.push(judge(reply, a));
        if (Date.now() - lastProgress > PROGRESS_EVERY_MS) {
          lastProgress = Date.now();
          log(`asked ${i + 1}/${qa.length}`);
        }
      }
      const others = judged.filter((j) => j.provider !== "extractive").length;
      if (others) log(`note: ${others} answers were written by a model, not quoted (a chat model is configured)`);
    }

    const all = () => true;
    const result = {
      ours: metrics(ours),
      baseline: metrics(baseline),
      kinds: byKind(qa, ours, baseline, all),
      sets: Object.fromEntries(
        sets.map(({ name }) => {
          const inSet = (/** @type {Question} */ x) => x.set === name;
          return [name, { ...group(qa, ours, baseline, inSet), kinds: byKind(qa, ours, baseline, inSet) }];
        }),
      ),
      server_ms: serverLatency(ours),
      ...(options.answers ? { answers: answerReport(sets, qa, ours, judged) } : {}),
      questions: qa.map(({ q, set, kind }, i) => ({
        q,
        set,
        kind,
        rank_ours: ours[i]?.rank ?? null,
        rank_baseline: baseline[i]?.rank ?? null,
        ...(judged[i]
          ? {
              answer_contains: judged[i].contains,
              answer_in_sources: judged[i].inSources,
              answer_quote: judged[i].quote,
              answer_sources: judged[i].sources,
            }
          : {}),
      })),
    };
    if (options.details) {
      writeDetails(resolve(options.details), { qa, ours, baseline, chunks, answeringChunks, replies });
      log(`details written to ${resolve(options.details)} (it holds corpus text)`);
    }
    if (options.json) console.log(JSON.stringify(result, null, 2));
    else printTables(result, { files: fileKeys.length, refused, chunks: chunks.length });
  } finally {
    if (options.url) await client.deleteAccount(account);
  }
}

/**
 * The --details file: for each question its top results in both systems and the chunks
 * that contain an answer; then every chunk of the corpus with its text and heading path,
 * so a miss can be looked into (or a retriever replayed) without running the app again.
 * @param {string} path
 * With --answers, each question's reply too (its text and the citations' labels).
 * @param {{ qa: Question[], ours: Answer[], baseline: Answer[], chunks: Chunk[], answeringChunks: string[][], replies: Reply[] }} data
 */
function writeDetails(path, { qa, ours, baseline, chunks, answeringChunks, replies }) {
  // The app's results carry their text as the API returned it (neighbouring chunks folded into one).
  const top = (/** @type {Answer | undefined} */ answer, withText = false) =>
    (answer?.hits ?? []).map((hit) => ({
      id: hit.id,
      score: hit.score,
      matchedBy: hit.matchedBy,
      ...(withText ? { text: hit.text } : {}),
    }));
  const questions = qa.map((question, i) => ({
    ...question,
    rank_ours: ours[i]?.rank ?? null,
    rank_baseline: baseline[i]?.rank ?? null,
    answer_chunks: answeringChunks[i] ?? [],
    top_ours: top(ours[i], true),
    top_baseline: top(baseline[i]),
    ...(replies[i] ? { reply: replies[i].content, reply_sources: replies[i].citations } : {}),
  }));
  writeFileSync(path, `${JSON.stringify({ k: K, questions, chunks }, null, 1)}\n`);
}

/**
 * @param {{ ours: Metrics, baseline: Metrics, kinds: Record<string, Group>, sets: Record<string, Partial<Group> & { kinds: Record<string, Group> }>, server_ms: Record<string, { p50_ms: number, p95_ms: number, requests: number }>, answers?: ReturnType<typeof answerReport>, questions: { q: string, set: string, kind: string, rank_ours: number | null, rank_baseline: number | null, answer_contains?: boolean, answer_quote?: number | null }[] }} result
 * @param {{ files: number, refused: string[], chunks: number }} corpus
 */
function printTables(result, corpus) {
  const show = (/** @type {number | null} */ rank) => (rank === null ? "—" : String(rank));
  const setNames = Object.keys(result.sets);
  console.log(
    `${result.questions.length} questions` +
      (setNames.length > 1 ? ` in ${setNames.length} sets (${setNames.join(", ")})` : "") +
      ` over ${corpus.files} files (${corpus.chunks} chunks), top ${K}` +
      (corpus.refused.length ? `; refused by the app: ${corpus.refused.join(", ")}` : ""),
  );
  console.log();
  console.log("| metric | LoreSmith (/api/search) | MiniSearch BM25 (baseline) |");
  console.log("|---|---|---|");
  for (const key of Object.keys(result.ours)) {
    console.log(`| ${key} | ${result.ours[key]} | ${result.baseline[key]} |`);
  }
  console.log();

  // Per set and kind: each cell is "ours / baseline".
  const quality = ["recall@1", "recall@5", "recall@10", "mrr"];
  /** @type {[string, string, Partial<Group> | undefined][]} */
  const rows = [];
  for (const name of setNames) {
    const set = result.sets[name];
    if (!set) continue;
    rows.push([name, "all", set]);
    for (const [kind, g] of Object.entries(set.kinds)) rows.push([name, kind, g]);
  }
  if (setNames.length > 1) {
    rows.push([
      "all sets",
      "all",
      { questions: result.questions.length, ours: result.ours, baseline: result.baseline },
    ]);
    for (const [kind, g] of Object.entries(result.kinds)) rows.push(["all sets", kind, g]);
  }
  console.log("By set and kind of question (each cell: LoreSmith / BM25):");
  console.log();
  console.log(`| set | kind | questions | ${quality.join(" | ")} |`);
  console.log(`|---|---|---|${quality.map(() => "---").join("|")}|`);
  for (const [name, kind, g] of rows) {
    if (!g?.ours || !g.baseline) continue;
    const { ours, baseline } = g;
    const cells = quality.map((key) => `${ours[key]} / ${baseline[key]}`);
    console.log(`| ${name} | ${kind} | ${g.questions} | ${cells.join(" | ")} |`);
  }
  console.log();

  const parts = Object.entries(result.server_ms);
  if (parts.length) {
    console.log("Time the server reports per search (ms; tookMs, and each part of `timings` when present):");
    console.log();
    console.log("| part | p50 | p95 | requests |");
    console.log("|---|---|---|---|");
    for (const [part, x] of parts) console.log(`| ${part} | ${x.p50_ms} | ${x.p95_ms} | ${x.requests} |`);
  } else {
    console.log("The search API reported no time of its own (no tookMs, no timings).");
  }
  console.log();

  const answers = result.answers;
  if (answers) {
    console.log(
      "Assistant answers (POST …/ask; " +
        Object.entries(answers.providers)
          .map(([provider, n]) => `${provider}: ${n}`)
          .join(", ") +
        "): answer = the reply contains an answer text; in sources = one of its cited passages does; " +
        "recall@1/@5 = search's, for the same questions:",
    );
    console.log();
    console.log("| set | kind | questions | answer | in sources | recall@1 | recall@5 | ask p50 ms | ask p95 ms |");
    console.log("|---|---|---|---|---|---|---|---|---|");
    /** @type {[string, string, AnswerMetrics | Partial<AnswerMetrics> | null | undefined][]} */
    const answerRows = [];
    for (const name of setNames) {
      const set = answers.sets[name];
      if (!set) continue;
      answerRows.push([name, "all", set]);
      for (const [kind, g] of Object.entries(set.kinds)) answerRows.push([name, kind, g]);
    }
    if (setNames.length > 1) {
      answerRows.push(["all sets", "all", answers]);
      for (const [kind, g] of Object.entries(answers.kinds)) answerRows.push(["all sets", kind, g]);
    }
    for (const [name, kind, g] of answerRows) {
      if (!g?.questions) continue;
      console.log(
        `| ${name} | ${kind} | ${g.questions} | ${g.answer} | ${g.in_sources} | ${g["recall@1"]} | ${g["recall@5"]} | ${g.p50_ms} | ${g.p95_ms} |`,
      );
    }
    console.log();
  }

  const answerCell = (/** @type {(typeof result.questions)[number]} */ x) =>
    x.answer_contains ? `yes [${x.answer_quote ?? "?"}]` : "no";
  console.log(`| # | rank ours | rank baseline |${answers ? " answer |" : ""} kind | set | question |`);
  console.log(`|---|---|---|${answers ? "---|" : ""}---|---|---|`);
  result.questions.forEach((x, i) => {
    console.log(
      `| ${i + 1} | ${show(x.rank_ours)} | ${show(x.rank_baseline)} |${answers ? ` ${answerCell(x)} |` : ""} ${x.kind} | ${x.set} | ${x.q.replaceAll("|", "\\|")} |`,
    );
  });
  console.log();
  console.log(
    `Rank: position of the first result containing an answer (— = not in the top ${K}). ` +
      "Latency: ours is the wall time of each HTTP request (sequential, after warm-up); " +
      "the baseline's is MiniSearch's search() in this process, without any HTTP." +
      (answers ? " Answer: does the assistant's reply contain an answer text, and in which quote [n]." : ""),
  );
}

await run(main, {
  timeoutMs: OVERALL_TIMEOUT_MS,
  stop: () => server.stop(),
  stopSync: () => server.stopSync(),
});
