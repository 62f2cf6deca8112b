#!/usr/bin/env node
// Serves the built app (build/) straight from workerd: Miniflare, configured from the
// build's own wrangler.json, with the same local bindings and state folder as `vite
// preview`, but with no Node HTTP proxy in front — every request, page or asset, goes to
// workerd's socket directly (docs/decisions/0021). `npm start` runs it.
//
//   node scripts/serve.mjs [--host 127.0.0.1] [--port 4173] [--config build/server/wrangler.json]
//       [--var NAME=value ...]
//
// LORESMITH_STATE_DIR moves the local D1/R2/KV/DO state, as for `vite preview`. --config
// serves another copy of the build; its .dev.vars applies. --var overrides one var for this
// server only (the e2e suite names an operator, a benchmark turns metrics off). The cron
// runs at start, every N minutes, and at once with
// `curl -X POST -H 'Origin: http://localhost:<port>' http://localhost:<port>/__cron`.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { Log, LogLevel, Miniflare } from "miniflare";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

const { values: options } = parseArgs({
  options: {
    host: { type: "string", default: "127.0.0.1" },
    port: { type: "string", default: "4173" },
    config: { type: "string", default: resolve(ROOT, "build/server/wrangler.json") },
    var: { type: "string", multiple: true, default: [] },
  },
});
// A GM's own machine: the cron on demand, and webhooks to a receiver on localhost (ADR 0033).
const overrides = { LOCAL_CRON_TRIGGER: "on", WEBHOOK_ALLOW_LOOPBACK: "on" };
for (const entry of options.var) {
  const match = /^([A-Z][A-Z0-9_]*)=(.*)$/s.exec(entry);
  if (!match) {
    console.error(`--var takes NAME=value (an upper-case var name), not "${entry}".`);
    process.exit(2);
  }
  overrides[match[1]] = match[2];
}
const CONFIG = resolve(options.config);
const port = Number(options.port);
if (!Number.isInteger(port) || port < 0 || port > 65_535) {
  console.error(`--port must be a port number (0–65535), not "${options.port}".`);
  process.exit(2);
}
if (!existsSync(CONFIG)) {
  console.error(`No build found (${CONFIG}). Run \`npm run build\` first (or \`npm start\`).`);
  process.exit(1);
}

// Fully offline, as in vite.config.ts: no usage metrics, no fetch of `request.cf` from Cloudflare.
process.env.WRANGLER_SEND_METRICS ??= "false";
process.env.CLOUDFLARE_CF_FETCH_ENABLED ??= "false";
// Wrangler warns that AI and Vectorize bindings are remote; they are left out below.
process.env.WRANGLER_LOG ??= "error";
const { unstable_getMiniflareWorkerOptions } = await import("wrangler");

const { workerOptions, main } = unstable_getMiniflareWorkerOptions(CONFIG, undefined, {});
// Workers AI and Vectorize exist only on Cloudflare: locally the app uses its own adapters
// (AI_PROVIDER=local, ADR 0005), so the bindings that would reach the network are left out.
const { ai: _ai, vectorize: _vectorize, modulesRules = [], ...localOptions } = workerOptions;
const stateDir = resolve(ROOT, process.env.LORESMITH_STATE_DIR ?? ".wrangler/state");
const serverDir = dirname(main ?? CONFIG);

/**
 * Every module of the server build, typed by the config's rules (".js" files are ES modules, …):
 * the build imports its chunks dynamically, which Miniflare cannot follow by itself
 * (the Vite plugin lists them the same way for `vite preview`).
 */
function buildModules() {
  const suffixes = modulesRules.flatMap(({ type, include }) =>
    include.map((glob) => ({ type, suffix: glob.replace(/^\*\*\/\*/, "").replace(/\?module$/, "") })),
  );
  const entry = relative(serverDir, main);
  const modules = [{ type: "ESModule", path: entry }];
  for (const entryPath of readdirSync(serverDir, { recursive: true })) {
    const path = String(entryPath);
    if (path === entry) continue;
    const rule = suffixes.find(({ suffix }) => path.endsWith(suffix));
    if (rule) modules.push({ type: rule.type, path });
  }
  return modules.map((module) => ({ ...module, path: join(serverDir, module.path) }));
}

const miniflare = new Miniflare({
  ...localOptions,
  bindings: { ...localOptions.bindings, ...overrides },
  name: "loresmith-ai",
  modulesRoot: serverDir,
  modules: buildModules(),
  host: options.host,
  port,
  defaultPersistRoot: resolve(stateDir, "v3"),
  log: new Log(LogLevel.INFO),
});

const url = await miniflare.ready;
console.log(`LoreSmith AI is ready at ${url.href.replace("127.0.0.1", "localhost")}  (state: ${stateDir})`);

// Cron Triggers do not fire by themselves locally: run the config's schedules here (at
// start, then every N minutes for the "*/N * * * *" form wrangler.toml uses), so that
// files stored but never processed are queued as they would be on Cloudflare.
const worker = await miniflare.getWorker();
const crons = JSON.parse(readFileSync(CONFIG, "utf8")).triggers?.crons ?? [];
for (const cron of crons) {
  const minutes = Number(/^\*\/(\d+) \* \* \* \*$/.exec(cron)?.[1]);
  if (!minutes) {
    console.warn(`Cron "${cron}" is not of the form "*/N * * * *": it will not run locally.`);
    continue;
  }
  const run = () => worker.scheduled({ cron }).catch((error) => console.error(`cron ${cron} failed:`, error));
  run();
  setInterval(run, minutes * 60_000);
}

let stopping = false;
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, async () => {
    if (stopping) return;
    stopping = true;
    await miniflare.dispose();
    process.exit(0);
  });
}
