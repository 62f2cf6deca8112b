import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Page } from "@playwright/test";
import {
  expect,
  expectNoHorizontalOverflow,
  expectToast,
  signUp,
  test,
  uniquePassword,
  uniqueUsername,
  waitForHydration,
} from "./fixtures";

/**
 * Processing after upload, in a browser: live stages to "ready" (also in a second tab that
 * never reloads), a damaged PDF failing with its reason, and Retry. The PDF is the shared
 * corpus's 8-page SRD extract (read in place); the other files are written here.
 */

const racesPdf = resolve("../shared/corpus/pdf/srd-races.pdf");
let dir: string;
let notes: string;
let damaged: string;

test.beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "loresmith-e2e-ingest-"));
  notes = join(dir, "Harbour rumours.md");
  writeFileSync(
    notes,
    "# Harbour rumours\n\n## The drowned bell\n\nFishermen swear the abbey bell rings beneath the waves at low tide.\n\n## Smugglers\n\nThe Gull's Rest keeps a second cellar behind the salt barrels.\n",
  );
  damaged = join(dir, "Torn module.pdf");
  writeFileSync(damaged, `%PDF-1.7\n${"this page was torn out\n".repeat(200)}%%EOF\n`);
});

test.afterAll(() => rmSync(dir, { recursive: true, force: true }));

const row = (page: Page, name: string) =>
  page.getByRole("list", { name: "Files" }).getByRole("listitem").filter({ hasText: name });

/** Every job update the page's live socket receives: file name → statuses in order. */
function listenToJobs(page: Page) {
  const statuses = new Map<string, string[]>();
  page.on("websocket", (socket) => {
    socket.on("framereceived", ({ payload }) => {
      const message = JSON.parse(String(payload)) as { type: string; job?: { fileName: string; status: string } };
      if (message.type !== "job" || !message.job) return;
      const seen = statuses.get(message.job.fileName) ?? [];
      if (seen.at(-1) !== message.job.status) seen.push(message.job.status);
      statuses.set(message.job.fileName, seen);
    });
  });
  return statuses;
}

test("uploads become searchable with live progress, in every open tab", async ({ page, context }) => {
  test.slow();
  await signUp(page, uniqueUsername("ingest"), uniquePassword());
  const pushed = listenToJobs(page);
  await page.goto("/library");
  await waitForHydration(page);
  // A second tab (the phone, say) that is never reloaded.
  const other = await context.newPage();
  const pushedToOther = listenToJobs(other);
  await other.goto("/library");
  await waitForHydration(other);
  for (const tab of [page, other]) {
    await expect(tab.getByTestId("live-status")).toHaveAttribute("data-connection", "live");
  }

  await page.locator("#upload-input").setInputFiles([racesPdf, notes]);
  for (const tab of [page, other]) {
    for (const name of ["srd-races.pdf", "Harbour rumours.md"]) {
      await expect(row(tab, name).getByRole("status")).toHaveText("Ready", { timeout: 60_000 });
      await expect(row(tab, name)).toContainText(/\d+ passages? searchable\./);
    }
  }
  // Both tabs were told of every stage as it happened.
  for (const stages of [pushed, pushedToOther]) {
    for (const name of ["srd-races.pdf", "Harbour rumours.md"]) {
      expect(stages.get(name), name).toEqual(["queued", "extracting", "indexing", "embedding", "ready"]);
    }
  }
  await expectNoHorizontalOverflow(page, "the library with processed files");
  await other.close();
});

test("a damaged PDF fails with a reason, and Retry runs it again", async ({ page }) => {
  test.slow();
  await signUp(page, uniqueUsername("ingest"), uniquePassword());
  const pushed = listenToJobs(page);
  await page.goto("/library");
  await waitForHydration(page);
  await page.locator("#upload-input").setInputFiles([damaged]);
  const file = row(page, "Torn module.pdf");
  await expect(file.getByRole("status")).toHaveText("Failed", { timeout: 30_000 });
  await expect(file).toContainText("damaged or not really a PDF");
  const before = [...(pushed.get("Torn module.pdf") ?? [])];
  await file.getByRole("button", { name: "Retry Torn module.pdf" }).click();
  await expectToast(page, "“Torn module.pdf” is queued for processing.");
  await expect(file.getByRole("status")).toHaveText("Failed", { timeout: 30_000 });
  await expect(file).toContainText("damaged or not really a PDF");
  // It really went round again.
  expect(before).toEqual(["queued", "extracting", "failed"]);
  await expect.poll(() => pushed.get("Torn module.pdf")).toEqual([...before, "queued", "extracting", "failed"]);

  // The file's own page says the same, and offers the same way forward.
  await file.getByRole("link", { name: "Torn module.pdf", exact: true }).click();
  await expect(page.getByRole("heading", { name: "Search index" })).toBeVisible();
  await expect(page.getByRole("button", { name: "Retry Torn module.pdf" })).toBeVisible();
});

test("without a WebSocket (a strict proxy, say) progress still arrives, by polling", async ({ page, isMobile }) => {
  test.skip(isMobile, "the fallback is the same at any width");
  await signUp(page, uniqueUsername("ingest"), uniquePassword());
  // Every WebSocket to the app is refused as soon as it opens.
  await page.routeWebSocket(/\/ws$/, (socket) => socket.close({ code: 1011, reason: "blocked" }));
  await page.goto("/library");
  await waitForHydration(page);
  await expect(page.getByTestId("live-status")).toHaveAttribute("data-connection", "polling", { timeout: 15_000 });
  const polled = page.waitForResponse((response) => new URL(response.url()).pathname === "/api/jobs");
  await page.locator("#upload-input").setInputFiles([notes]);
  expect((await polled).status()).toBe(200);
  await expect(row(page, "Harbour rumours.md").getByRole("status")).toHaveText("Ready", { timeout: 30_000 });
});
