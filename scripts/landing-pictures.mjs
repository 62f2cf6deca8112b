#!/usr/bin/env node
// Takes the landing page's pictures of the product from the built app itself: a new account
// adds the sample campaign, asks one of its suggested questions and searches it; Chromium
// photographs the answer on a phone and the search on a laptop. Rerun after a visible change:
//
//   npm run build && node scripts/landing-pictures.mjs
//
// Writes app/assets/landing/*.jpg (Vite fingerprints them; the landing page imports them).
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "@playwright/test";
import { Client, log, PreviewServer, ROOT, run } from "../bench/lib.mjs";

const OUT = join(ROOT, "app/assets/landing");
const QUESTION = "What happens when the bell rings?";
const SEARCH = "lantern oil";

const server = new PreviewServer();

async function main() {
  const base = await server.start();
  const client = new Client(base);
  await client.signUp("mira_gm");
  const [, campaignId] = await client.submit("/home", { intent: "add-sample" }, /^\/campaigns\/([^/]+)$/);
  mkdirSync(OUT, { recursive: true });

  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu"],
  });
  try {
    /** A signed-in page of the given size, at twice the pixels (sharp on phones and retina screens). */
    const open = async (/** @type {{ width: number, height: number }} */ viewport, isMobile = false) => {
      const ctx = await browser.newContext({ viewport, deviceScaleFactor: 2, isMobile, hasTouch: isMobile });
      await ctx.addCookies(
        [...client.cookies].map(([name, value]) => ({ name, value, url: base, httpOnly: true, sameSite: "Lax" })),
      );
      await ctx.setExtraHTTPHeaders({ "CF-Connecting-IP": client.ip });
      return ctx.newPage();
    };

    // The house rules are ingested in the background: search until they are found.
    const desktop = await open({ width: 1200, height: 760 });
    for (let attempt = 0; ; attempt++) {
      await desktop.goto(`${base}/search?q=${encodeURIComponent(SEARCH)}`);
      if ((await desktop.getByText("house rules (sample)").count()) > 0) break;
      if (attempt > 60) throw new Error("the sample's house rules never became searchable");
      await desktop.waitForTimeout(500);
    }
    await desktop.screenshot({ path: join(OUT, "search-desktop.jpg"), type: "jpeg", quality: 80 });
    log("search-desktop.jpg");

    const phone = await open({ width: 375, height: 740 }, true);
    await phone.goto(`${base}/campaigns/${campaignId}/assistant`);
    await phone.getByLabel("Ask a question to start a conversation").fill(QUESTION);
    await phone.getByRole("button", { name: "Ask" }).click();
    await phone.getByRole("article", { name: "Answer" }).waitFor();
    // The conversation from its title down: the question, the answer and its quotes, the ask box.
    await phone.getByRole("heading", { level: 1 }).evaluate((el) => {
      el.scrollIntoView();
      window.scrollBy(0, -12);
    });
    await phone.screenshot({ path: join(OUT, "assistant-phone.jpg"), type: "jpeg", quality: 80 });
    log("assistant-phone.jpg");
  } finally {
    await browser.close();
  }
}

await run(main, { timeoutMs: 5 * 60_000, stop: () => server.stop(), stopSync: () => server.stopSync() });
