#!/usr/bin/env node
// Benchmark: ingestion. Uploads ../shared/corpus/pdf/srd-all.pdf (664 pages) and the 17
// Markdown files of ../shared/corpus/srd5 through the app and times each from the start
// of its upload until it is searchable ("ready"), with pages or MB per second, chunks per
// second and the peak memory of the Worker's workerd process. In the same run it times raw
// text extraction of the same files on the same runtime: a minimal Worker (Miniflare, the
// same workerd) that reads the file from its R2 and runs pdf.js over every page (or
// decodes the Markdown), nothing else — the floor no pipeline can beat. See bench/README.md.
//
//   npm run build && node bench/ingest.mjs [--pad 50,100] [--json] [--url <base> [--workerd-pid <pid>]]
//
// --pad adds runs of srd-all.pdf grown to those sizes (MB) by an appended incremental
// update holding an unreferenced object: same pages and text, a bigger file, to see how
// memory follows file size.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { Client, log, memoryOf, PreviewServer, ROOT, round, run, sleep } from "./lib.mjs";

const CORPUS = resolve(ROOT, "../shared/corpus");
const PDF = join(CORPUS, "pdf/srd-all.pdf");
const MARKDOWN_DIR = join(CORPUS, "srd5");
const OVERALL_TIMEOUT_MS = 30 * 60_000;
const READY_TIMEOUT_MS = 15 * 60_000;
const POLL_MS = 100;
const SAMPLE_MS = 50;
const MiB = 1024 * 1024;

const { values: options } = parseArgs({
  options: {
    pad: { type: "string", default: "" },
    json: { type: "boolean", default: false },
    url: { type: "string" },
    "workerd-pid": { type: "string" },
    help: { type: "boolean", default: false },
  },
});
if (options.help) {
  console.log("Usage: node bench/ingest.mjs [--pad 50,100] [--json] [--url <base> [--workerd-pid <pid>]]");
  process.exit(0);
}
const padSizes = options.pad
  ? options.pad.split(",").map((s) => {
      const mb = Number(s);
      if (!Number.isFinite(mb) || mb <= 11) throw new Error(`--pad sizes are MB above the PDF's 10.8 MB, got ${s}`);
      return mb;
    })
  : [];

const server = new PreviewServer();

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

/** Polls /api/jobs until every file is ready; records when each stage was first seen. */
async function waitUntilReady(client, fileKeys) {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  const stagesSeen = {};
  for (;;) {
    const { jobs } = await client.getJson("/api/jobs");
    const mine = jobs.filter((job) => fileKeys.includes(job.fileKey));
    for (const job of mine) stagesSeen[job.status] ??= performance.now();
    const failed = mine.find((job) => job.status === "failed");
    if (failed) return { failed };
    if (mine.length === fileKeys.length && mine.every((job) => job.status === "ready")) {
      return { jobs: mine, stagesSeen };
    }
    if (Date.now() > deadline) throw new Error(`not ready after ${READY_TIMEOUT_MS / 60_000} minutes`);
    await sleep(POLL_MS);
  }
}

/** Uploads the files one after another and waits until all are searchable. */
async function ingest(client, pid, files) {
  const measured = await withMemory(pid, async () => {
    const start = performance.now();
    const keys = [];
    for (const file of files) keys.push(await client.uploadFile(file.name, file.bytes));
    const uploaded = performance.now();
    const { jobs, stagesSeen, failed } = await waitUntilReady(client, keys);
    const end = performance.now();
    return { start, uploaded, end, jobs, stagesSeen, failed };
  });
  const { start, uploaded, end, jobs, stagesSeen, failed } = measured.result;
  if (failed) return { failed: `${failed.fileName}: ${failed.error}`, MB: round(files[0].bytes.length / MiB, 1) };
  const seconds = (end - start) / 1000;
  const chunks = jobs.reduce((n, job) => n + job.chunksTotal, 0);
  const pages = jobs.reduce((n, job) => n + (job.pageCount ?? 0), 0);
  const bytes = files.reduce((n, file) => n + file.bytes.length, 0);
  const stage = (name) => (stagesSeen[name] ? round((stagesSeen[name] - start) / 1000, 1) : null);
  return {
    files: files.length,
    MB: round(bytes / MiB, 2),
    pages,
    chunks,
    uploadSeconds: round((uploaded - start) / 1000, 2),
    secondsToSearchable: round(seconds, 2),
    pagesPerSecond: pages ? round(pages / seconds, 1) : null,
    MBPerSecond: round(bytes / MiB / seconds, 3),
    chunksPerSecond: round(chunks / seconds, 1),
    stagesFirstSeenAtSeconds: {
      extracting: stage("extracting"),
      indexing: stage("indexing"),
      embedding: stage("embedding"),
    },
    workerdRssBeforeMiB: round(measured.beforeMiB, 1),
    workerdRssPeakMiB: round(measured.peakMiB, 1),
    workerdRssRiseMiB: round(measured.peakMiB - measured.beforeMiB, 1),
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
  await put("srd-all.pdf", pdfBytes);
  for (const path of markdownPaths) await put(path.split("/").at(-1), readFileSync(path));
  // One warm-up each (module load, JIT), then the timed run.
  const keys = markdownPaths.map((path) => `key=${encodeURIComponent(path.split("/").at(-1))}`).join("&");
  await timedRaw(base, "/pdf?key=srd-all.pdf");
  await timedRaw(base, `/text?${keys}`);
  return { pdf: await timedRaw(base, "/pdf?key=srd-all.pdf"), markdown: await timedRaw(base, `/text?${keys}`) };
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

async function main() {
  const pdfBytes = readFileSync(PDF);
  const markdownPaths = readdirSync(MARKDOWN_DIR)
    .filter((name) => name.endsWith(".md"))
    .sort()
    .map((name) => join(MARKDOWN_DIR, name));
  if (markdownPaths.length !== 17) log(`note: ${markdownPaths.length} Markdown files in ${MARKDOWN_DIR}, expected 17`);

  let base = options.url;
  let pid = options["workerd-pid"] ? Number(options["workerd-pid"]) : undefined;
  if (!base) {
    base = await server.start();
    pid = server.workerdPid();
  }
  if (!pid) log("no workerd process to sample: memory is not reported");
  const client = new Client(base);
  const account = await client.signUp();

  log("raw extraction (baseline) of srd-all.pdf and the Markdown files, in a minimal Worker");
  const raw = await rawExtraction(pdfBytes, markdownPaths);
  await rawMiniflare.dispose();
  rawMiniflare = null;

  log(`ingesting srd-all.pdf (${round(pdfBytes.length / MiB, 1)} MB) through the app`);
  const mustSucceed = (result) => {
    if (result.failed) throw new Error(result.failed);
    return result;
  };
  const pdf = mustSucceed(await ingest(client, pid, [{ name: "srd-all.pdf", bytes: pdfBytes }]));
  log(`ingesting ${markdownPaths.length} Markdown files through the app`);
  const markdown = mustSucceed(
    await ingest(
      client,
      pid,
      markdownPaths.map((path) => ({ name: path.split("/").at(-1), bytes: readFileSync(path) })),
    ),
  );
  const padded = [];
  for (const mb of padSizes) {
    log(`ingesting srd-all.pdf padded to ${mb} MB`);
    const bytes = paddedPdf(pdfBytes, mb);
    const measured = await ingest(client, pid, [{ name: `srd-all-${mb}mb.pdf`, bytes }]);
    padded.push({ paddedToMB: mb, ...measured, bytes });
  }
  if (options.url) await client.deleteAccount(account);
  // After the app runs: the probe blocks this process and uses a core of its own.
  log("live memory of PDF extraction (bench/pdf-memory.mjs)");
  pdf.extractionLiveMemory = pdfLiveMemory(pdfBytes);
  for (const run of padded) {
    run.extractionLiveMemory = pdfLiveMemory(run.bytes);
    delete run.bytes;
  }

  const result = {
    pdf: {
      ...pdf,
      rawExtractionSeconds: raw.pdf.seconds,
      ratioToRaw: round(pdf.secondsToSearchable / raw.pdf.seconds, 1),
    },
    markdown: {
      ...markdown,
      rawExtractionSeconds: raw.markdown.seconds,
      ratioToRaw: round(markdown.secondsToSearchable / raw.markdown.seconds, 0),
    },
    padded,
    raw,
  };
  if (options.json) {
    console.log(JSON.stringify(result, null, 2));
    return;
  }
  const row = (name, r) =>
    `| ${name} | ${r.MB} | ${r.pages || "—"} | ${r.chunks} | ${r.secondsToSearchable} | ${r.pagesPerSecond ?? "—"} | ${r.MBPerSecond} | ${r.chunksPerSecond} | ${r.workerdRssPeakMiB} (+${r.workerdRssRiseMiB}) | ${r.extractionLiveMemory?.peakLiveMB ?? "—"} |`;
  console.log(
    "| input | MB | pages | chunks | upload → searchable (s) | pages/s | MB/s | chunks/s | workerd RSS peak MiB (rise) | extraction live MB |",
  );
  console.log("|---|---|---|---|---|---|---|---|---|---|");
  console.log(row("srd-all.pdf", pdf));
  console.log(row(`${markdown.files} Markdown files`, markdown));
  for (const p of padded) {
    if (p.failed) {
      console.log(
        `| srd-all.pdf padded to ${p.paddedToMB} MB | ${p.MB} | refused: over the 64 MB limit | | | | | | | ${p.extractionLiveMemory?.peakLiveMB ?? "—"} |`,
      );
    } else console.log(row(`srd-all.pdf padded to ${p.paddedToMB} MB`, p));
  }
  console.log();
  console.log(
    `Raw extraction in a minimal Worker on the same workerd (same run): srd-all.pdf ${raw.pdf.seconds} s (${raw.pdf.pages} pages) → ratio ${result.pdf.ratioToRaw}×; ` +
      `Markdown ${raw.markdown.seconds} s → ratio ${result.markdown.ratioToRaw}×.`,
  );
  console.log(`Stages first seen (s after upload start), PDF: ${JSON.stringify(pdf.stagesFirstSeenAtSeconds)}`);
  console.log(
    "Extraction live MB: heap + ArrayBuffers after GC while extracting as the queue does (bench/pdf-memory.mjs, Node); " +
      "what counts against a Worker's 128 MB. The workerd RSS includes uncollected garbage.",
  );
}

await run(main, {
  timeoutMs: OVERALL_TIMEOUT_MS,
  stop: async () => {
    await rawMiniflare?.dispose().catch(() => {});
    await server.stop();
  },
  stopSync: () => server.stopSync(),
});
