import type { APIRequestContext } from "@playwright/test";
import {
  createCampaignViaHttp,
  expect,
  expectNoHorizontalOverflow,
  expectToast,
  originOf,
  postFormExpectingRedirect,
  signUp,
  test,
  uniquePassword,
  uniqueUsername,
  waitForHydration,
} from "./fixtures";

/**
 * Search and the assistant in a browser: a Markdown chapter found from a phone and opened
 * at its passage; a cited answer (extractive: no model runs here) saved as a lore entry;
 * and the search form without JavaScript. The chapter is the project's own text.
 */

const CHAPTER = `# The Drowned Abbey

## The Bell

The abbey bell still hangs in the flooded tower. At low tide it rings by itself, and the drowned knights rise from the nave.

## The Lich Vecnaar

Vecnaar keeps its phylactery inside the bell. If Vecnaar is destroyed it returns in 1d10 days, unless the phylactery is shattered with a blessed hammer.
`;

/** Fourteen rooms, each with a lantern: more results than one page holds. */
const ROOMS = Array.from(
  { length: 14 },
  (_, i) => `## Room ${i + 1}\n\nA *brass* lantern hangs in room ${i + 1}, beside ${i + 2} barrels of pickled eels.\n`,
).join("\n");

/** Uploads the chapter through the API and waits until it is searchable; returns its key. */
async function uploadChapter(
  request: APIRequestContext,
  baseURL: string | undefined,
  name = "Drowned Abbey.md",
  text = CHAPTER,
) {
  const response = await request.put(`/api/files?name=${encodeURIComponent(name)}`, {
    headers: { Origin: originOf(baseURL), "Content-Type": "application/octet-stream" },
    data: Buffer.from(text),
  });
  expect(response.status()).toBe(201);
  const { fileKey } = (await response.json()) as { fileKey: string };
  await expect
    .poll(async () => {
      const { jobs } = (await (await request.get("/api/jobs")).json()) as {
        jobs: { fileKey: string; status: string }[];
      };
      return jobs.find((job) => job.fileKey === fileKey)?.status;
    })
    .toBe("ready");
  return fileKey;
}

test("search a chapter as you type, from a phone, and open the result at its passage", async ({ page, baseURL }) => {
  await signUp(page, uniqueUsername("search"), uniquePassword());
  await uploadChapter(page.request, baseURL);
  await page.goto("/search");
  await waitForHydration(page);
  // No submit: results follow the typing.
  await page.getByLabel("Search your material").pressSequentially("phylactery blessed", { delay: 30 });
  const results = page.getByRole("list", { name: "Search results" });
  const first = results.getByRole("listitem").first();
  await expect(first.getByRole("heading", { name: "The Lich Vecnaar" })).toBeVisible();
  await expect(first).toContainText("Drowned Abbey.md, The Drowned Abbey › The Lich Vecnaar");
  await expect(first.locator("mark").first()).toHaveText(/phylactery|blessed/);
  await expect(page).toHaveURL(/\/search\?q=phylactery\+blessed/);
  await expectNoHorizontalOverflow(page, "search results");
  await first.getByRole("link", { name: /Open at this passage/ }).click();
  await expect(page).toHaveURL(/\/library\/[0-9a-f]+\/read#passage-\d+$/);
  const passage = page.locator("li:target");
  await expect(passage).toContainText("unless the phylactery is shattered with a blessed hammer");
  await expect(passage).toContainText("The Drowned Abbey › The Lich Vecnaar");
});

test("results show Markdown formatted, and the next page takes the focus", async ({ page, baseURL }) => {
  await signUp(page, uniqueUsername("pages"), uniquePassword());
  await uploadChapter(page.request, baseURL, "Cellar rooms.md", `# Cellar\n\n${ROOMS}`);
  await page.goto("/search?q=lantern");
  await waitForHydration(page);
  const results = page.getByRole("list", { name: "Search results" });
  await expect(results.getByRole("listitem")).toHaveCount(10);
  await expect(results.locator("mark").first()).toHaveText(/lantern/i);
  // Markdown formatted, not shown as its syntax.
  await expect(results.locator("em").first()).toHaveText("brass");
  await expect(results).not.toContainText("*");
  await expectNoHorizontalOverflow(page, "search results");
  await page.getByRole("link", { name: "Next results" }).click();
  await expect(page).toHaveURL(/page=2$/);
  await expect(page.getByRole("status")).toHaveText(/^Results 11–14 for “lantern”\./);
  await expect(page.getByRole("status")).toBeFocused();
  await expect(results.getByRole("listitem")).toHaveCount(4);
});

test("ask the campaign assistant, get a cited answer, save it as a lore entry", async ({ page, baseURL }) => {
  test.slow();
  await signUp(page, uniqueUsername("ask"), uniquePassword());
  const fileKey = await uploadChapter(page.request, baseURL);
  const campaignId = await createCampaignViaHttp(page.request, baseURL, { name: "Tides of Ruin" });
  await postFormExpectingRedirect(page.request, baseURL, `/library/${fileKey}`, { intent: "attach", campaignId });

  await page.goto(`/campaigns/${campaignId}/assistant`);
  await waitForHydration(page);
  // Typing the first question starts the conversation: Enter sends it.
  await page.getByLabel("Ask a question to start a conversation").fill("What does the lich need to come back?");
  await page.getByLabel("Ask a question to start a conversation").press("Enter");
  await expect(page).toHaveURL(new RegExp(`/campaigns/${campaignId}/assistant/[0-9a-f-]+#latest$`));
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("What does the lich need to come back?");
  await waitForHydration(page);
  const box = page.getByLabel("Ask about this campaign");
  // Shift+Enter breaks the line; Enter sends, and the answer streams in.
  await box.fill("What does the lich need");
  await box.press("Shift+Enter");
  await box.pressSequentially("to come back?");
  await expect(box).toHaveValue("What does the lich need\nto come back?");
  const streamed = page.waitForResponse((response) => response.url().endsWith("/ask"));
  await box.press("Enter");
  // The answer came as a stream of events, not as a page load.
  expect((await streamed).headers()["content-type"]).toContain("application/x-ndjson");

  const answer = page.getByRole("article", { name: "Answer" }).last();
  await expect(answer).toContainText("No AI model is connected");
  await expect(answer).toContainText("returns in 1d10 days");
  await expect(answer).toContainText("Quoted from your material (no AI model connected)");
  // [1] points at the first source, which opens the chapter at its passage.
  await answer.getByRole("link", { name: "[1]" }).first().click();
  const source = answer.getByRole("list", { name: "Sources" }).getByRole("listitem").first();
  await expect(source).toContainText("Drowned Abbey.md");
  await expect(source.getByRole("link", { name: /Drowned Abbey\.md/ })).toHaveAttribute("href", /\/read#passage-\d+$/);
  // The conversation was saved and titled after the question.
  await page.reload();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("What does the lich need to come back?");

  await page.getByRole("link", { name: "Save as context entry" }).last().click();
  await expect(page.getByLabel("Title")).toHaveValue("What does the lich need to come back?");
  await expect(page.getByLabel("Content")).toHaveValue(/1d10 days[\s\S]*\*\*Sources\*\*/);
  await waitForHydration(page);
  await page.getByRole("button", { name: "Add entry" }).click();
  await expectToast(page, "Entry “What does the lich need to come back?” added.");
  await expect(page.getByRole("link", { name: /Drowned Abbey\.md/ })).toBeVisible();
});

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  test("the search page is a plain form", async ({ page, baseURL, isMobile }) => {
    test.skip(isMobile, "the same form at any width");
    await signUp(page, uniqueUsername("nojs"), uniquePassword());
    await uploadChapter(page.request, baseURL, "Abbey notes.md");
    await page.goto("/search");
    await page.getByLabel("Search your material").fill("drowned knights");
    await page.getByRole("button", { name: "Search" }).click();
    await expect(page).toHaveURL(/\/search\?q=drowned\+knights/);
    await expect(page.getByRole("list", { name: "Search results" })).toContainText("Abbey notes.md");
  });

  test("pages through results with plain links that keep the search", async ({ page, baseURL, isMobile }) => {
    test.skip(isMobile, "the same links at any width");
    await signUp(page, uniqueUsername("nojs"), uniquePassword());
    await uploadChapter(page.request, baseURL, "Cellar rooms.md", `# Cellar\n\n${ROOMS}`);
    await page.goto("/search?q=lantern&type=markdown");
    const results = page.getByRole("list", { name: "Search results" });
    await expect(page.getByRole("status")).toHaveText(/^Results 1–10 for “lantern”\./);
    await expect(results.getByRole("listitem")).toHaveCount(10);
    await expect(page.getByRole("link", { name: "Previous results" })).toHaveCount(0);
    await page.getByRole("link", { name: "Next results" }).click();
    // A plain link: a new page, carrying every parameter of the search.
    await expect(page).toHaveURL(/\/search\?q=lantern&type=markdown&page=2$/);
    await expect(page.getByRole("status")).toHaveText(/^Results 11–14 for “lantern”\./);
    await expect(results.getByRole("listitem")).toHaveCount(4);
    await expect(results).toHaveAttribute("start", "11");
    await expect(page.getByRole("link", { name: "Next results" })).toHaveCount(0);
    await page.getByRole("link", { name: "Previous results" }).click();
    await expect(page).toHaveURL(/\/search\?q=lantern&type=markdown$/);
    await expect(results.getByRole("listitem")).toHaveCount(10);
  });

  test("the assistant answers a plain form post", async ({ page, baseURL, isMobile }) => {
    test.skip(isMobile, "the same forms at any width");
    await signUp(page, uniqueUsername("nojs"), uniquePassword());
    const fileKey = await uploadChapter(page.request, baseURL, "Abbey lore.md");
    const campaignId = await createCampaignViaHttp(page.request, baseURL, { name: "Quiet Tides" });
    await postFormExpectingRedirect(page.request, baseURL, `/library/${fileKey}`, { intent: "attach", campaignId });
    await page.goto(`/campaigns/${campaignId}/assistant`);
    await page.getByLabel("Ask a question to start a conversation").fill("When does the bell ring?");
    await page.getByRole("button", { name: "Ask" }).click();
    await expect(page).toHaveURL(/#latest$/);
    const answer = page.getByRole("article", { name: "Answer" });
    await expect(answer).toContainText("At low tide it rings by itself");
    await expect(answer.getByRole("list", { name: "Sources" })).toContainText("Abbey lore.md");
  });
});
