// Starts the already-built app for the e2e suite (Playwright's `webServer.command`):
// wipes the e2e state folder, applies the D1 migrations to it, then serves the build on it
// as `npm start` does (scripts/serve.mjs). It does not build: `npm run test:e2e` builds first.
//
// Both wrangler (`--persist-to <dir>`) and scripts/serve.mjs (LORESMITH_STATE_DIR) keep
// their data in `<dir>/v3/...`, so the server sees exactly the database migrated here.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";

const port = process.env.E2E_PORT ?? "4317";
const stateDir = resolve(process.env.E2E_STATE_DIR ?? ".wrangler/e2e-state");
const wranglerBin = resolve("node_modules/wrangler/bin/wrangler.js");
const serveScript = resolve("scripts/serve.mjs");

if (!existsSync("build/server/index.js")) {
  console.error("e2e: no build found (build/server/index.js). Run `npm run build` first, or `npm run test:e2e`.");
  process.exit(1);
}

rmSync(stateDir, { recursive: true, force: true });
const env = { ...process.env, WRANGLER_SEND_METRICS: "false", LORESMITH_STATE_DIR: stateDir };

const migrate = spawnSync(
  process.execPath,
  [wranglerBin, "d1", "migrations", "apply", "DB", "--local", "--persist-to", stateDir],
  { stdio: ["ignore", "pipe", "inherit"], env, encoding: "utf8" },
);
if (migrate.status !== 0) {
  console.error(migrate.stdout);
  console.error(`e2e: applying the D1 migrations to ${stateDir} failed.`);
  process.exit(migrate.status ?? 1);
}
// The server reads <dir>/v3; fail loudly if wrangler ever lays the folder out differently.
if (!existsSync(join(stateDir, "v3", "d1"))) {
  console.error(`e2e: wrangler did not write ${join(stateDir, "v3", "d1")}; the preview server would not see it.`);
  process.exit(1);
}

// The operations page's operators (e2e/operations.spec.ts signs them up, one per project and
// retry), and a KV threshold every run passes, so that an alert fires when the cron runs.
const operators = ["desktop", "mobile"].flatMap((project) => [0, 1].map((retry) => `ops-${project}-${retry}`));
const vars = [`OPERATOR_USERNAMES=${operators.join(",")}`, "ALERT_KV_DAILY_OPERATIONS=5"];
const server = spawn(process.execPath, [serveScript, "--port", port, ...vars.flatMap((v) => ["--var", v])], {
  stdio: "inherit",
  env,
});
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => server.kill(signal));
}
server.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
