#!/usr/bin/env node
// Check (not a timing): a killed server resumes ingestion where it stopped. Uploads
// ../shared/corpus/pdf/srd-all.pdf to the built app, SIGKILLs the whole server (vite
// preview and workerd, no clean shutdown) once extraction passes page 200, starts it
// again on the same local state without touching the user's tracker for 5 s (so only
// the persisted alarm can restart the work), then waits for "ready" and compares the
// chunk count with an uninterrupted run of the same file in the same state. Exits 1 if
// they differ or the work does not resume.
//
//   npm run build && node bench/ingest-crash.mjs
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Client, freePort, log, ROOT } from "./lib.mjs";

const PDF = resolve(ROOT, "../shared/corpus/pdf/srd-all.pdf");
const KILL_AFTER_PAGE = 200;
const wait = (ms) => new Promise((r) => setTimeout(r, ms));
const stateDir = mkdtempSync(join(tmpdir(), "loresmith-crash-"));
const env = {
  ...process.env,
  CI: "1",
  WRANGLER_SEND_METRICS: "false",
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
  LORESMITH_STATE_DIR: stateDir,
};
/** @type {import("node:child_process").ChildProcess | null} */
let server = null;
const kill = (signal) => {
  if (server?.pid) {
    try {
      process.kill(-server.pid, signal);
    } catch {
      // gone already
    }
  }
  server = null;
};
process.on("exit", () => {
  kill("SIGKILL");
  rmSync(stateDir, { recursive: true, force: true });
});

async function start(port) {
  server = spawn(
    process.execPath,
    [
      join(ROOT, "node_modules/vite/bin/vite.js"),
      "preview",
      "--host",
      "127.0.0.1",
      "--port",
      String(port),
      "--strictPort",
    ],
    { cwd: ROOT, env, detached: true, stdio: "ignore" },
  );
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/login`)).ok) return;
    } catch {
      // not up yet
    }
    await wait(250);
  }
  throw new Error("the server did not start");
}

async function job(client, fileKey) {
  const { jobs } = await client.getJson("/api/jobs");
  return jobs.find((j) => j.fileKey === fileKey);
}

async function untilDone(client, fileKey) {
  for (let i = 0; i < 3_000; i++) {
    const j = await job(client, fileKey);
    if (j?.status === "ready" || j?.status === "failed") return j;
    await wait(200);
  }
  throw new Error("ingestion did not finish");
}

const migrate = spawnSync(
  process.execPath,
  [
    join(ROOT, "node_modules/wrangler/bin/wrangler.js"),
    "d1",
    "migrations",
    "apply",
    "DB",
    "--local",
    "--persist-to",
    stateDir,
  ],
  { cwd: ROOT, env, encoding: "utf8" },
);
if (migrate.status !== 0) throw new Error(`migrations failed: ${migrate.stderr}`);
const port = await freePort();
await start(port);
const client = new Client(`http://127.0.0.1:${port}`);
await client.signUp();
const bytes = readFileSync(PDF);

log("uninterrupted run");
const clean = await untilDone(client, await client.uploadFile("clean.pdf", bytes));

log(`interrupted run: killing the server after page ${KILL_AFTER_PAGE}`);
const fileKey = await client.uploadFile("killed.pdf", Buffer.concat([bytes, Buffer.from("\n")]));
for (;;) {
  const j = await job(client, fileKey);
  if (j && j.pagesDone >= KILL_AFTER_PAGE) {
    log(`killed at ${j.status}, page ${j.pagesDone} of ${j.pageCount}`);
    break;
  }
  await wait(50);
}
kill("SIGKILL");
await wait(1_000);
await start(port);
log("restarted; leaving the tracker alone for 5 s");
await wait(5_000);
const resumedAt = await job(client, fileKey);
log(`5 s after the restart: ${resumedAt?.status}, page ${resumedAt?.pagesDone}`);
const resumed = await untilDone(client, fileKey);
kill("SIGTERM");
const same = resumed.status === "ready" && resumed.chunksTotal === clean.chunksTotal;
console.log(
  `uninterrupted: ${clean.status}, ${clean.chunksTotal} chunks; killed and restarted: ${resumed.status}, ${resumed.chunksTotal} chunks → ${same ? "same result" : "DIFFERENT"}`,
);
process.exit(same ? 0 : 1);
