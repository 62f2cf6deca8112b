#!/usr/bin/env node --expose-gc
// Live memory of PDF text extraction as the ingestion queue does it: pdf.js reading the
// file by byte ranges (256 KiB), 20 pages a step, one open document throughout. Run
// with --expose-gc: after every step it collects garbage and records heap + ArrayBuffers,
// which is what counts against a Worker isolate's 128 MB (the resident size of a local
// workerd process mostly shows garbage that no memory pressure made V8 collect).
// Prints one JSON line. Used by bench/ingest.mjs; also runs alone:
//
//   node --expose-gc bench/pdf-memory.mjs <file.pdf>
import { readFileSync } from "node:fs";

if (typeof gc !== "function") throw new Error("run with node --expose-gc");
// Node 20 lacks the iterator helpers pdf.js's range loader uses; workerd has them.
const iteratorPrototype = Object.getPrototypeOf(Object.getPrototypeOf([].keys()));
iteratorPrototype.find ??= function find(predicate) {
  for (const value of this) if (predicate(value)) return value;
  return undefined;
};

const PAGES_PER_STEP = 20; // as app/server/ingest/queue.server.ts
const RANGE_CHUNK = 256 * 1024; // as app/server/ingest/extract.server.ts
const MiB = 1024 * 1024;

const path = process.argv[2];
if (!path) throw new Error("usage: node --expose-gc bench/pdf-memory.mjs <file.pdf>");
const { getResolvedPDFJS } = await import("unpdf");
const pdfjs = await getResolvedPDFJS();
const file = readFileSync(path);
const live = () => {
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};
// The file itself stands in for R2 here: its bytes are not the extraction's memory.
const before = live();
let peak = 0;
let fetched = 0;
class Ranges extends pdfjs.PDFDataRangeTransport {
  requestDataRange(begin, end) {
    fetched += end - begin;
    const bytes = new Uint8Array(file.subarray(begin, end));
    queueMicrotask(() => this.onDataRange(begin, bytes));
  }
}
const doc = await pdfjs.getDocument({
  range: new Ranges(file.length, null),
  length: file.length,
  rangeChunkSize: RANGE_CHUNK,
  disableAutoFetch: true,
  disableStream: true,
  isEvalSupported: false,
  useSystemFonts: false,
  disableFontFace: true,
  verbosity: 0,
}).promise;
const pages = doc.numPages;
for (let first = 1; first <= pages; first += PAGES_PER_STEP) {
  for (let page = first; page < first + PAGES_PER_STEP && page <= pages; page++) {
    const proxy = await doc.getPage(page);
    await proxy.getTextContent();
    proxy.cleanup();
  }
  peak = Math.max(peak, live() - before);
}
await doc.destroy();
console.log(
  JSON.stringify({
    fileMB: Math.round((file.length / MiB) * 10) / 10,
    pages,
    peakLiveMB: Math.round((peak / MiB) * 10) / 10,
    readMB: Math.round((fetched / MiB) * 10) / 10,
  }),
);
