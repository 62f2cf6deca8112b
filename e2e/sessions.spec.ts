import type { Page } from "@playwright/test";
import {
  createAccountViaHttp,
  createCampaignViaHttp,
  createCharacterViaHttp,
  createContextEntryViaHttp,
  expect,
  expectNoHorizontalOverflow,
  expectToast,
  test,
  uniquePassword,
  uniqueUsername,
  waitForHydration,
} from "./fixtures";

/**
 * Sessions and recaps (ADR 0037): a GM records a session with who was there and notes that
 * link an entry, drafts the recap from them (quoted and cited: generation is off in the
 * suite), edits the draft, saves it, and finds the session on the campaign's timeline —
 * at desktop width and at 375 px, and the same forms as plain posts without JavaScript.
 */

const SESSION_URL = /\/campaigns\/[^/]+\/sessions\/(\d+)$/;

async function campaignWithParty(page: Page, baseURL: string | undefined) {
  await createAccountViaHttp(page.request, baseURL, uniqueUsername("gm"), uniquePassword());
  const campaignId = await createCampaignViaHttp(page.request, baseURL, { name: `Saltmarsh ${uniqueUsername("c")}` });
  await createContextEntryViaHttp(page.request, baseURL, campaignId, {
    title: "The Drowned Mill",
    contextType: "location",
    content: "The mill stands where the river meets the marsh. Its wheel has not turned in years.",
  });
  for (const name of ["Wren Ashdown", "Tobin Reed"]) {
    await createCharacterViaHttp(page.request, baseURL, campaignId, { characterName: name, characterType: "pc" });
  }
  return campaignId;
}

const NOTES =
  "The party reached [[The Drowned Mill]] at dusk. They found the door barred from inside.\n\nWren picked the lock while Tobin kept watch.";

test("a GM records a session, drafts its recap from the notes, edits and saves it, and sees it on the timeline", async ({
  page,
  baseURL,
  isMobile,
}) => {
  test.slow();
  const campaignId = await campaignWithParty(page, baseURL);

  await test.step("open Sessions from the campaign's tabs: empty, with New session", async () => {
    await page.goto(`/campaigns/${campaignId}`);
    await page.getByRole("navigation", { name: "Campaign sections" }).getByRole("link", { name: "Sessions" }).click();
    await expect(page.getByRole("heading", { level: 1 })).toHaveText("Sessions");
    await expect(page.getByText("No sessions yet.")).toBeVisible();
    await page.getByRole("link", { name: "New session" }).click();
  });

  await test.step("record session 1: who was there and notes linking an entry", async () => {
    await expect(page.getByRole("heading", { level: 1 })).toHaveText("New session");
    await waitForHydration(page);
    await expect(page.getByLabel("Number")).toHaveValue("1");
    await page.getByLabel("Played on").fill("2026-11-20");
    await page.getByLabel("Title (optional)").fill("The mill");
    await page.getByRole("checkbox", { name: "Wren Ashdown" }).check();
    await page.getByRole("checkbox", { name: "Tobin Reed" }).check();
    await page.getByLabel("Guests (optional)").fill("Ada");
    await page.getByLabel("GM notes").fill(NOTES);
    if (isMobile) await expectNoHorizontalOverflow(page, "the new-session form");
    await page.getByRole("button", { name: "Record session" }).click();
    await expect(page).toHaveURL(SESSION_URL);
    await expectToast(page, "Session 1 recorded.");
    await expect(page.getByRole("heading", { level: 1 })).toHaveText("Session 1: The mill");
    const there = page.getByRole("region", { name: "Who was there" });
    await expect(there.getByRole("link", { name: "Wren Ashdown" })).toBeVisible();
    await expect(there.getByText("Ada")).toBeVisible();
    const notes = page.getByRole("region", { name: /GM notes/ });
    await expect(notes.getByRole("link", { name: "The Drowned Mill" })).toBeVisible();
    await expect(
      page.getByRole("region", { name: "What came up" }).getByRole("link", { name: "The Drowned Mill" }),
    ).toBeVisible();
    if (isMobile) await expectNoHorizontalOverflow(page, "the session page");
  });

  await test.step("draft the recap: the notes' sentences, cited, with the entry as a source; nothing saved yet", async () => {
    await page.getByRole("button", { name: "Draft recap" }).click();
    await expect(page).toHaveURL(/\/edit$/);
    await expect(page.getByText("Drafted — not saved yet.")).toBeVisible();
    await waitForHydration(page);
    const recap = page.getByRole("textbox", { name: "Recap", exact: true });
    await expect(recap).toHaveValue(/^The party reached \[\[The Drowned Mill\]\] at dusk\. .* \[1\]/);
    await expect(recap).toHaveValue(/- \[\[The Drowned Mill\]\]: The mill stands where the river meets the marsh\./);
    await expect(recap).toHaveValue(
      /\*\*Sources\*\*\n\n1\. \[Session 1 notes\]\(.+\)\n2\. \[The Drowned Mill\]\(.+\/context\/\d+\)/,
    );
    await page.getByText(/^Sources \(2\)$/).click();
    await expect(page.getByRole("link", { name: "The Drowned Mill" })).toBeVisible();
    if (isMobile) await expectNoHorizontalOverflow(page, "the edit page with a draft");

    const draft = await recap.inputValue();
    await recap.fill(`The heroes crept into the mill.\n\n${draft}`);
    await page.getByLabel("Who can read the session and its recap").selectOption("campaign");
    await page.getByRole("button", { name: "Save session" }).click();
    await expectToast(page, "Session saved.");
  });

  await test.step("the saved recap shows with its citations' links; the timeline lists the session", async () => {
    const recap = page.getByRole("region", { name: "Recap" });
    await expect(recap.getByText("The heroes crept into the mill.")).toBeVisible();
    await expect(recap.getByRole("link", { name: "Session 1 notes" })).toBeVisible();
    await expect(page.getByText("Shared with everyone in the campaign")).toBeVisible();
    await page.getByRole("link", { name: "← All sessions" }).click();
    const item = page.getByRole("list", { name: "Sessions, newest first" }).getByRole("listitem").first();
    await expect(item.getByRole("link", { name: "Session 1: The mill" })).toBeVisible();
    await expect(item.getByText("There: Tobin Reed, Wren Ashdown, Ada")).toBeVisible();
    await expect(
      item.getByText(/^The heroes crept into the mill\. The party reached The Drowned Mill at dusk\./),
    ).toBeVisible();
    await expect(item.getByRole("link", { name: "The Drowned Mill" })).toBeVisible();
    if (isMobile) await expectNoHorizontalOverflow(page, "the timeline");
  });
});

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  test("the session forms and the draft work as plain posts, with the server's validation", async ({
    page,
    baseURL,
    isMobile,
  }) => {
    test.skip(!isMobile, "Plain form posts are the same at any width; the 375 px run also checks overflow.");
    test.slow();
    const campaignId = await campaignWithParty(page, baseURL);
    await page.goto(`/campaigns/${campaignId}/sessions/new`);
    await page.getByLabel("Played on").fill("");
    await page.getByRole("button", { name: "Record session" }).click();
    await expect(page.getByText("Enter the day it was played, like 2026-12-05.")).toBeVisible();
    await page.getByLabel("Played on").fill("2026-11-20");
    await page.getByRole("checkbox", { name: "Wren Ashdown" }).check();
    await page.getByLabel("GM notes").fill(NOTES);
    await page.getByRole("button", { name: "Record session" }).click();
    await expect(page).toHaveURL(SESSION_URL);
    await page.getByRole("link", { name: "Edit session" }).click();
    await page.getByRole("button", { name: "Draft recap from the notes" }).click();
    await expect(page.getByText("Drafted — not saved yet.")).toBeVisible();
    await expect(page.getByRole("textbox", { name: "Recap", exact: true })).toHaveValue(
      /They found the door barred from inside\. \[1\]/,
    );
    await expect(page.getByRole("checkbox", { name: "Wren Ashdown" })).toBeChecked();
    await expectNoHorizontalOverflow(page, "the edit page without JavaScript");
    await page.getByRole("button", { name: "Save session" }).click();
    await expect(page).toHaveURL(SESSION_URL);
    await expect(page.getByRole("region", { name: "Recap" }).getByText(/They found the door barred/)).toBeVisible();
    // A second session with the same number is refused, saying which one is free.
    await page.goto(`/campaigns/${campaignId}/sessions/new`);
    await page.getByLabel("Number").fill("1");
    await page.getByRole("button", { name: "Record session" }).click();
    await expect(
      page.getByText("Session 1 is already in this campaign. Choose another number (2 is free)."),
    ).toBeVisible();
  });
});
