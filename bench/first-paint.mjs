#!/usr/bin/env node
// Benchmark, in a real browser: first contentful paint of the main pages against the
// server's response time for the same navigation, and the time a tab switch inside a
// campaign takes on a warm app. See bench/README.md.
//
//   npm run build && node bench/first-paint.mjs [--loads 8] [--switches 12] [--json] [--url http://localhost:4173]
//
// Each page is loaded `--loads` times with a warm cache (one context, after an untimed load)
// and half as often cold (a new context each time). From the Navigation Timing entry, `server`
// is the time to the document's last byte (responseEnd) and `fcp` the first-contentful-paint
// entry, both from navigation start; the issue bounds fcp ÷ server (≤ 1.5). The baseline in the
// same run is the browser's own floor: FCP of a bare paragraph Playwright answers itself. A tab
// switch is a click on a campaign tab until that tab is marked current, with the app hydrated
// (client-side navigation, its loader fetched over HTTP).
//
// Without --url it starts the built app (scripts/serve.mjs, workerd) on a fresh state folder
// and removes it at the end. Chromium comes from CHROMIUM_PATH or /usr/bin/chromium.
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { chromium } from "@playwright/test";
import { Client, intOption, log, PreviewServer, percentile, round, run } from "./lib.mjs";

const OVERALL_TIMEOUT_MS = 10 * 60_000;

const { values } = parseArgs({
  options: {
    url: { type: "string" },
    loads: { type: "string", default: "8" },
    switches: { type: "string", default: "12" },
    json: { type: "boolean", default: false },
  },
  strict: true,
});
const options = {
  url: values.url?.replace(/\/+$/, ""),
  loads: intOption("loads", values.loads, 1),
  switches: intOption("switches", values.switches, 1),
  json: values.json,
};

const server = new PreviewServer();

/** @param {number[]} xs */
const summary = (xs) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return { p50: round(percentile(sorted, 50)), p95: round(percentile(sorted, 95)) };
};

/** A campaign with a long description, some lore and characters: what a GM opens mid-campaign. */
async function seed(/** @type {Client} */ client) {
  const description = Array.from(
    { length: 12 },
    (_, i) => `Paragraph ${i + 1}: the river barons of Vellmoor feud over tolls while the fog keeps rising.`,
  ).join("\n\n");
  const [, campaignId] = await client.submit(
    "/campaigns/new",
    { intent: "save", name: "Fog over Vellmoor", status: "active", description },
    /^\/campaigns\/([^/]+)$/,
  );
  for (let i = 0; i < 12; i++) {
    await client.submit(
      `/campaigns/${campaignId}/context/new`,
      {
        intent: "save",
        contextType: i % 2 ? "location" : "lore",
        title: `Vellmoor note ${i + 1}`,
        content: `The toll bridge ${i + 1} is held by House Orrin.\n\n- rumour one\n- rumour two`,
        tags: "",
      },
      /^\/campaigns\/[^/]+\/context\/[^/]+$/,
    );
  }
  for (let i = 0; i < 6; i++) {
    await client.submit(
      `/campaigns/${campaignId}/characters/new`,
      { intent: "save", characterName: `Brannoc ${i + 1}`, characterType: i ? "npc" : "pc", status: "alive" },
      /^\/campaigns\/[^/]+\/characters\/[^/]+$/,
    );
  }
  return campaignId;
}

async function main() {
  const base = options.url ?? (await server.start());
  const client = new Client(base);
  const account = await client.signUp();
  try {
    const campaignId = await seed(client);
    const pages = {
      home: "/home",
      campaigns: "/campaigns",
      overview: `/campaigns/${campaignId}`,
      lore: `/campaigns/${campaignId}/context`,
      characters: `/campaigns/${campaignId}/characters`,
      search: `/search?q=${encodeURIComponent("toll bridge")}`,
      library: "/library",
      assistant: `/campaigns/${campaignId}/assistant`,
    };

    const browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking"],
    });
    try {
      /** One load of `url` in `ctx`: server time (responseEnd) and first contentful paint, in ms. */
      const measure = async (
        /** @type {import("@playwright/test").BrowserContext} */ ctx,
        /** @type {string} */ url,
      ) => {
        const page = await ctx.newPage();
        await page.goto(url, { waitUntil: "load" });
        const timing = await page.evaluate(async () => {
          // FCP may be reported just after load: wait for it (at most 5 s).
          const fcp = await new Promise((resolve) => {
            const seen = performance.getEntriesByName("first-contentful-paint")[0];
            if (seen) return resolve(seen.startTime);
            new PerformanceObserver((list) => resolve(list.getEntries()[0].startTime)).observe({ type: "paint" });
            setTimeout(() => resolve(Number.NaN), 5_000);
          });
          const nav = /** @type {PerformanceNavigationTiming} */ (performance.getEntriesByType("navigation")[0]);
          return { server: nav.responseEnd, fcp };
        });
        await page.close();
        if (!Number.isFinite(timing.fcp)) throw new Error(`no first-contentful-paint on ${url}`);
        return timing;
      };
      /** A new browser context with the session and an empty cache (a GM's first visit). */
      const signedInContext = async () => {
        const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
        await ctx.addCookies(
          [...client.cookies].map(([name, value]) => ({ name, value, url: base, httpOnly: true, sameSite: "Lax" })),
        );
        await ctx.setExtraHTTPHeaders({ "CF-Connecting-IP": client.ip });
        return ctx;
      };
      const context = await signedInContext();

      // The browser's own floor in the same run: a one-paragraph page answered by Playwright
      // itself (no server, no CSS, no script).
      const floorUrl = `${base}/__first-paint-floor`;
      await context.route(floorUrl, (route) =>
        route.fulfill({ contentType: "text/html", body: "<!doctype html><title>floor</title><p>A paragraph.</p>" }),
      );
      /** @type {number[]} */
      const floor = [];
      for (let i = 0; i <= options.loads; i++) {
        const { fcp } = await measure(context, floorUrl);
        if (i > 0) floor.push(fcp);
      }

      /** @type {Record<string, { server: number[], fcp: number[], coldServer: number[], coldFcp: number[] }>} */
      const loads = {};
      for (const [name, path] of Object.entries(pages)) {
        const samples = { server: [], fcp: [], coldServer: [], coldFcp: [] };
        loads[name] = samples;
        // Warm: the same context (cache filled); one untimed load first warms it and the Worker.
        for (let i = 0; i <= options.loads; i++) {
          const t = await measure(context, base + path);
          if (i === 0) continue;
          samples.server.push(t.server);
          samples.fcp.push(t.fcp);
        }
        // Cold: a new context each time, so every asset is fetched.
        for (let i = 0; i < Math.ceil(options.loads / 2); i++) {
          const ctx = await signedInContext();
          const t = await measure(ctx, base + path);
          await ctx.close();
          samples.coldServer.push(t.server);
          samples.coldFcp.push(t.fcp);
        }
        log(`${name}: ${options.loads} warm and ${samples.coldFcp.length} cold loads`);
      }

      // Tab switches: hydrated campaign page, click through the tabs in turn; done when the
      // clicked tab is marked current (React Router commits the navigation after its loaders).
      const tabs = ["Lore & context", "Characters", "Sessions", "Files", "Overview"];
      const page = await context.newPage();
      await page.goto(`${base}/campaigns/${campaignId}`, { waitUntil: "networkidle" });
      const nav = page.getByRole("navigation", { name: "Campaign sections" });
      /** @type {number[]} */
      const switches = [];
      for (let i = 0; i < options.switches + tabs.length; i++) {
        const link = nav.getByRole("link", { name: tabs[i % tabs.length], exact: true });
        const t0 = performance.now();
        await link.click();
        await link.and(page.locator('[aria-current="page"]')).waitFor();
        const ms = performance.now() - t0;
        if (i >= tabs.length) switches.push(ms); // the first round warms each loader
      }
      await page.close();

      const floorFcp = summary(floor);
      const result = {
        loads: options.loads,
        floor: floorFcp,
        pages: Object.fromEntries(
          Object.entries(loads).map(([name, x]) => {
            const server = summary(x.server);
            const fcp = summary(x.fcp);
            const coldServer = summary(x.coldServer);
            const coldFcp = summary(x.coldFcp);
            return [
              name,
              {
                warm: { server, fcp, ratio: round(fcp.p50 / server.p50), overFloor: round(fcp.p50 - floorFcp.p50) },
                cold: { server: coldServer, fcp: coldFcp, ratio: round(coldFcp.p50 / coldServer.p50) },
              },
            ];
          }),
        ),
        tabSwitch: summary(switches),
      };
      if (options.json) console.log(JSON.stringify(result, null, 2));
      else {
        const cell = (/** @type {{ p50: number, p95: number }} */ x) => `${Math.round(x.p50)}/${Math.round(x.p95)}`;
        console.log(
          `browser floor (a bare paragraph, no server): FCP p50 ${floorFcp.p50} ms, p95 ${floorFcp.p95} ms\n`,
        );
        console.log("             ---------- warm cache ----------------------   ------- cold cache -------");
        console.log("page         server p50/p95  FCP p50/p95  FCP÷server  −floor   server  FCP    FCP÷server");
        for (const [name, { warm, cold }] of Object.entries(result.pages)) {
          console.log(
            [
              name.padEnd(12),
              cell(warm.server).padStart(14),
              cell(warm.fcp).padStart(12),
              String(warm.ratio).padStart(11),
              String(Math.round(warm.overFloor)).padStart(7),
              String(Math.round(cold.server.p50)).padStart(8),
              String(Math.round(cold.fcp.p50)).padStart(6),
              String(cold.ratio).padStart(11),
            ].join(" "),
          );
        }
        console.log(
          `\ntab switch inside a campaign (hydrated, ${switches.length} clicks): p50 ${result.tabSwitch.p50} ms, p95 ${result.tabSwitch.p95} ms`,
        );
      }
    } finally {
      await browser.close();
    }
  } finally {
    if (options.url) await client.deleteAccount(account);
  }
}

await run(main, { timeoutMs: OVERALL_TIMEOUT_MS, stop: () => server.stop(), stopSync: () => server.stopSync() });
