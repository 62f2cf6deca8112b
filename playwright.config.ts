import { existsSync } from "node:fs";
import { defineConfig } from "@playwright/test";

/**
 * End-to-end tests against the built app served by `vite preview` (workerd), on a fresh
 * local D1/R2/KV/DO state in .wrangler/e2e-state. `npm run test:e2e` builds first; the web
 * server below does not build (see e2e/web-server.mjs).
 *
 * Browsers cannot be downloaded on these machines (`npx playwright install` fails), so the
 * suite drives the system Chromium (Debian package `chromium`).
 */
const chromiumPath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
if (!existsSync(chromiumPath)) {
  throw new Error(
    `No Chromium found at ${chromiumPath}. Install it with \`apt-get install -y chromium\` or set CHROMIUM_PATH.`,
  );
}

// 4173 is the developers' `vite preview`; the suite uses its own port and its own state.
const port = Number(process.env.E2E_PORT ?? 4317);
const baseURL = `http://localhost:${port}`;
const isCI = Boolean(process.env.CI);

export default defineConfig({
  testDir: "./e2e",
  fullyParallel: true,
  forbidOnly: isCI,
  retries: isCI ? 1 : 0,
  // Two cores: two browsers plus workerd is what the machine carries comfortably.
  workers: 2,
  timeout: 30_000,
  expect: { timeout: 5_000 },
  reporter: [["list"], ["html", { open: "never" }]],
  use: {
    baseURL,
    browserName: "chromium",
    launchOptions: {
      executablePath: chromiumPath,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    },
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
  },
  projects: [
    {
      name: "desktop",
      use: { viewport: { width: 1280, height: 800 } },
    },
    {
      name: "mobile",
      use: { viewport: { width: 375, height: 812 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 },
    },
  ],
  webServer: {
    command: "node e2e/web-server.mjs",
    url: baseURL,
    env: { E2E_PORT: String(port) },
    reuseExistingServer: !isCI,
    timeout: 90_000,
    stdout: "ignore",
    stderr: "pipe",
  },
});
