#!/usr/bin/env node
// Benchmark, in a real browser: first contentful paint of the main pages against the
// server's response time for the same navigation, and the time a tab switch inside a
// campaign takes on a warm app. See bench/README.md.
//
//   npm run build && node bench/first-paint.mjs [--loads 8] [--switches 12] [--json] [--url http://localhost:4173]
//
// Each page is loaded `--loads` times with a warm cache in three ways: in the same tab, from
// another page of the app that has hydrated and settled (a GM follows a link or reloads); in a
// new tab of the same browser (a bookmark); and, half as often, cold (a new context, every
// asset fetched). From the Navigation Timing entry, `server` is the time to the document's
// last byte (responseEnd) and `fcp` the first-contentful-paint entry, both from navigation
// start; the issue bounds fcp ÷ server (≤ 1.5). The baseline in the same run is the browser's
// own floor: FCP of a bare paragraph Playwright answers itself, the same three ways (the new
// tab also with the app's Cross-Origin-Opener-Policy). A tab switch is a click on a campaign
// tab until that tab is marked current, with the app hydrated (client-side navigation, its
// loader fetched over HTTP).
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
      /** Server time (responseEnd) and first contentful paint of the document `page` shows, in ms. */
      const timingOf = async (/** @type {import("@playwright/test").Page} */ page, /** @type {string} */ url) => {
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
        if (!Number.isFinite(timing.fcp)) throw new Error(`no first-contentful-paint on ${url}`);
        return timing;
      };
      /** A load in a new tab of `ctx` (a bookmark, a link opened in a new tab). */
      const newTabLoad = async (
        /** @type {import("@playwright/test").BrowserContext} */ ctx,
        /** @type {string} */ url,
      ) => {
        const page = await ctx.newPage();
        await page.goto(url, { waitUntil: "load" });
        const timing = await timingOf(page, url);
        await page.close();
        return timing;
      };
      /** A signed-in context with an empty cache (a GM's first visit). */
      const signedInContext = async () => {
        const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
        await ctx.addCookies(
          [...client.cookies].map(([name, value]) => ({ name, value, url: base, httpOnly: true, sameSite: "Lax" })),
        );
        await ctx.setExtraHTTPHeaders({ "CF-Connecting-IP": client.ip });
        return ctx;
      };
      const context = await signedInContext();
      // The tab for same-tab loads: it shows another page of the app, hydrated and idle (a GM
      // reads a page before following a link or reloading), then loads the measured one.
      const tab = await context.newPage();
      const fromPage = `${base}/settings`;
      const sameTabLoad = async (/** @type {import("@playwright/test").Page} */ inTab, /** @type {string} */ url) => {
        await inTab.goto(fromPage, { waitUntil: "load" });
        await inTab.waitForFunction(() => {
          const main = document.getElementById("main");
          // React tags each DOM node it has hydrated with an internal "__reactFiber$…" key.
          return main !== null && Object.keys(main).some((key) => key.startsWith("__reactFiber$"));
        });
        // …and until the browser is idle (hydration's effects done, nothing queued).
        await inTab.evaluate(() => new Promise((resolve) => requestIdleCallback(resolve, { timeout: 1_000 })));
        await inTab.goto(url, { waitUntil: "load" });
        return timingOf(inTab, url);
      };

      // The browser's own floor in the same run: a one-paragraph page answered by Playwright
      // itself (no server, no CSS, no script), in a new tab and in the same tab; and in a new
      // tab with the app's Cross-Origin-Opener-Policy, which makes Chromium move the page to a
      // new browsing context group (a new renderer) when the response arrives. In a context of
      // its own: a route makes Playwright intercept every request of its context, which would
      // slow the app's stylesheet and modules down.
      const floorContext = await signedInContext();
      const floorTab = await floorContext.newPage();
      const floorBody = "<!doctype html><title>floor</title><p>A paragraph.</p>";
      const floorUrl = `${base}/__first-paint-floor`;
      const floorCoopUrl = `${base}/__first-paint-floor-coop`;
      await floorContext.route(floorUrl, (route) => route.fulfill({ contentType: "text/html", body: floorBody }));
      await floorContext.route(floorCoopUrl, (route) =>
        route.fulfill({
          contentType: "text/html",
          body: floorBody,
          headers: { "Cross-Origin-Opener-Policy": "same-origin" },
        }),
      );
      /** @type {{ newTab: number[], sameTab: number[], newTabCoop: number[] }} */
      const floor = { newTab: [], sameTab: [], newTabCoop: [] };
      for (let i = 0; i <= options.loads; i++) {
        const t = await sameTabLoad(floorTab, floorUrl);
        if (i > 0) floor.sameTab.push(t.fcp);
      }
      for (let i = 0; i <= options.loads; i++) {
        const newTab = await newTabLoad(floorContext, floorUrl);
        const newTabCoop = await newTabLoad(floorContext, floorCoopUrl);
        if (i === 0) continue;
        floor.newTab.push(newTab.fcp);
        floor.newTabCoop.push(newTabCoop.fcp);
      }
      await floorContext.close();

      /** @typedef {{ server: number[], fcp: number[] }} Samples */
      /** @type {Record<string, { sameTab: Samples, newTab: Samples, cold: Samples }>} */
      const loads = {};
      for (const [name, path] of Object.entries(pages)) {
        const samples = {
          sameTab: { server: [], fcp: [] },
          newTab: { server: [], fcp: [] },
          cold: { server: [], fcp: [] },
        };
        loads[name] = samples;
        const add = (/** @type {Samples} */ into, /** @type {{ server: number, fcp: number }} */ t) => {
          into.server.push(t.server);
          into.fcp.push(t.fcp);
        };
        // Warm (cache filled); one untimed load first warms the cache and the Worker. The same-tab
        // loads run apart from the new-tab ones, whose closing tabs would compete with them.
        for (let i = 0; i <= options.loads; i++) {
          const t = await sameTabLoad(tab, base + path);
          if (i > 0) add(samples.sameTab, t);
        }
        for (let i = 0; i <= options.loads; i++) {
          const t = await newTabLoad(context, base + path);
          if (i > 0) add(samples.newTab, t);
        }
        // Cold: a new context each time, so every asset is fetched.
        for (let i = 0; i < Math.ceil(options.loads / 2); i++) {
          const ctx = await signedInContext();
          add(samples.cold, await newTabLoad(ctx, base + path));
          await ctx.close();
        }
        log(`${name}: ${options.loads} same-tab, ${options.loads} new-tab and ${samples.cold.fcp.length} cold loads`);
      }
      await tab.close();

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

      const floors = {
        sameTab: summary(floor.sameTab),
        newTab: summary(floor.newTab),
        newTabCoop: summary(floor.newTabCoop),
      };
      /**
       * p50/p95 of server and FCP, FCP ÷ server at p50, FCP above the browser's floor at p50, and
       * per load the time from the document's last byte to first paint (`afterServer`, p50/p95):
       * against the floor, what the page itself costs the browser.
       */
      const row = (/** @type {Samples} */ x, /** @type {{ p50: number }} */ floorOf) => {
        const server = summary(x.server);
        const fcp = summary(x.fcp);
        const afterServer = summary(x.fcp.map((ms, i) => ms - (x.server[i] ?? 0)));
        return {
          server,
          fcp,
          ratio: round(fcp.p50 / server.p50),
          overFloor: round(fcp.p50 - floorOf.p50),
          afterServer,
        };
      };
      const result = {
        loads: options.loads,
        floor: floors,
        pages: Object.fromEntries(
          Object.entries(loads).map(([name, x]) => [
            name,
            {
              sameTab: row(x.sameTab, floors.sameTab),
              newTab: row(x.newTab, floors.newTabCoop),
              cold: row(x.cold, floors.newTabCoop),
            },
          ]),
        ),
        tabSwitch: summary(switches),
      };
      if (options.json) console.log(JSON.stringify(result, null, 2));
      else {
        const cell = (/** @type {{ p50: number, p95: number }} */ x) => `${Math.round(x.p50)}/${Math.round(x.p95)}`;
        console.log(
          [
            "browser floor, a bare paragraph answered without a server (FCP p50/p95 ms):",
            `  same tab ${cell(floors.sameTab)}, new tab ${cell(floors.newTab)}, new tab with the app's COOP header ${cell(floors.newTabCoop)}`,
            "",
            "                 ------- same tab, warm ---------   ------- new tab, warm ----------   ------- new tab, cold ----------",
            "page             server  FCP      ÷server  FCP−server   server  FCP      ÷server  FCP−server   server  FCP      ÷server  FCP−server",
          ].join("\n"),
        );
        for (const [name, modes] of Object.entries(result.pages)) {
          const cells = [modes.sameTab, modes.newTab, modes.cold].map(
            (m) =>
              `${String(Math.round(m.server.p50)).padStart(6)}  ${cell(m.fcp).padEnd(8)} ${String(m.ratio).padStart(7)}  ${cell(m.afterServer).padStart(10)}`,
          );
          console.log(`${name.padEnd(14)} ${cells.join("   ")}`);
        }
        console.log(
          "(p50 server, p50/p95 FCP, FCP ÷ server at p50, FCP − server per load p50/p95; FCP − floor is in --json)",
        );
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
