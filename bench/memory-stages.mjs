#!/usr/bin/env node
// Diagnostic (not a timing): where workerd's memory rises while one big text file is uploaded and
// ingested. Starts the built app on a fresh state, signs up, uploads generated text through
// `PUT /api/files`, and prints workerd's anonymous RSS rise (`RssAnon`) at the end of the upload and
// at each stage of the job (`GET /api/jobs`, polled every 100 ms), plus every further 5 MB.
// See bench/README.md.
//
//   node bench/memory-stages.mjs [--mb 20] [--one-line]
//
// Dependency-free: Node 20 built-ins only; the shared helpers are in bench/lib.mjs.
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import { Client, intOption, log, memoryOf, PreviewServer, repeatedSentence } from "./lib.mjs";

const { values: args } = parseArgs({
  options: { mb: { type: "string", default: "20" }, "one-line": { type: "boolean", default: false } },
});
const MB = intOption("mb", args.mb, 1);
const TIMEOUT_MS = 120_000;

const server = new PreviewServer();
const base = await server.start();
try {
  const workerd = server.workerdPid();
  if (!workerd) throw new Error("workerd not found under the server");
  const client = new Client(base);
  await client.signUp();
  const bytes = repeatedSentence(MB * 1024 * 1024, args["one-line"] ? " " : "\n");
  const start = memoryOf(workerd).anonKiB;
  const rise = () => `${((memoryOf(workerd).anonKiB - start) / 1024).toFixed(0)} MB`;
  log(`workerd anonymous RSS at start: ${(start / 1024).toFixed(0)} MB; uploading ${MB} MiB`);
  const t0 = Date.now();
  const upload = client.putFile(args["one-line"] ? "one-line.txt" : "lines.txt", bytes).then((result) => {
    console.log(`${Date.now() - t0} ms  upload answered ${result.status}  anon +${rise()}`);
  });
  let stage = "";
  let reported = 0;
  for (;;) {
    const res = await fetch(`${base}/api/jobs`, { headers: client.headers({ Accept: "application/json" }) });
    const job = (await res.json()).jobs?.[0];
    const now = (memoryOf(workerd).anonKiB - start) / 1024;
    const status = job?.status ?? "no job yet";
    if (status !== stage || now > reported + 5) {
      const progress = job
        ? ` (indexed ${job.chunksIndexed}, embedded ${job.chunksEmbedded} of ${job.chunksTotal})`
        : "";
      console.log(`${Date.now() - t0} ms  ${status}${progress}  anon +${now.toFixed(0)} MB`);
      stage = status;
      reported = Math.max(reported, now);
    }
    if (status === "ready" || status === "failed" || Date.now() - t0 > TIMEOUT_MS) break;
    await sleep(100);
  }
  await upload;
  console.log(`end: anon +${rise()}`);
} finally {
  await server.stop();
}
