import type { Locator, Page } from "@playwright/test";
import {
  createAccountViaHttp,
  createCampaignViaHttp,
  createCharacterViaHttp,
  createContextEntryViaHttp,
  expect,
  expectNoHorizontalOverflow,
  expectToast,
  openMainNav,
  originOf,
  renamedToast,
  signUp,
  test,
  uniquePassword,
  uniqueUsername,
  waitForHydration,
} from "./fixtures";

/**
 * Campaigns, their lore & context entries and their characters: the phone-sized journey,
 * edit conflicts between two tabs, the same forms without JavaScript, and isolation
 * between accounts.
 */

/** The overview address of a campaign: /campaigns/<id>, but not /campaigns/new. */
const CAMPAIGN_URL = /\/campaigns\/(?!new$)([^/?#]+)$/;
const ENTRY_URL = /\/campaigns\/[^/]+\/context\/(\d+)$/;
const CHARACTER_URL = /\/campaigns\/[^/]+\/characters\/(\d+)$/;

/** The value (<dd>) next to a label (<dt>) in a description list inside `scope`. */
function fact(scope: Page | Locator, label: string): Locator {
  return scope
    .getByRole("term")
    .filter({ hasText: new RegExp(`^${label}$`) })
    .locator("xpath=..")
    .getByRole("definition");
}

/** A status filter link on /campaigns, e.g. "Archived (1)". */
function statusFilter(page: Page, label: string, count: number): Locator {
  return page
    .getByRole("navigation", { name: "Filter by status" })
    .getByRole("link", { name: new RegExp(`^${label}\\s*\\(${count}\\)$`) });
}

/** A tab of the campaign layout ("Overview", "Lore & context", "Characters", "Edit campaign"). */
async function openCampaignTab(page: Page, name: string) {
  await page.getByRole("navigation", { name: "Campaign sections" }).getByRole("link", { name, exact: true }).click();
}

/** The "Delete …" disclosure: a <summary> (no ARIA role) that reveals the real button. */
async function deleteViaDisclosure(page: Page, what: string) {
  const confirm = page.getByRole("button", { name: `Yes, delete ${what}` });
  await expect(confirm, "the delete button hides behind the disclosure").toBeHidden();
  await page
    .locator("summary")
    .filter({ hasText: `Delete ${what}…` })
    .click();
  await confirm.click();
}

const conflictAlert = (page: Page) => page.getByRole("alert", { name: "This was changed somewhere else" });

test("mobile-first journey: a campaign with lore, an NPC and a house rule; edits, a conflict, archive, delete", async ({
  page,
  isMobile,
}) => {
  // Each behaviour of this file runs once, at the width where it matters, to keep the suite quick.
  test.skip(!isMobile, "Phone-first: the 375 px project runs the journey.");
  // Three dozen page loads and form posts: longer than the default timeout on a busy machine.
  test.slow();
  const campaignName = "Saltmarsh Smugglers";
  let campaignUrl = "";
  let abbeyEditUrl = "";

  await test.step("sign up and open Campaigns (empty)", async () => {
    await signUp(page, uniqueUsername(), uniquePassword());
    await waitForHydration(page);
    const nav = await openMainNav(page, isMobile);
    await nav.getByRole("link", { name: "Campaigns", exact: true }).click();
    await expect(page).toHaveURL(/\/campaigns$/);
    await expect(page.getByRole("heading", { level: 1 })).toHaveText("Campaigns");
    await expect(page.getByText("No campaigns yet.")).toBeVisible();
    // Nothing to filter or search yet: no row of "(0)" chips, no search form.
    await expect(page.getByRole("navigation", { name: "Filter by status" })).toHaveCount(0);
    await expect(page.getByRole("search")).toHaveCount(0);
    await expectNoHorizontalOverflow(page, "/campaigns");
  });

  await test.step("create a campaign", async () => {
    await page.getByRole("link", { name: "New campaign" }).click();
    await expect(page).toHaveURL(/\/campaigns\/new$/);
    await page.getByLabel("Name").fill(campaignName);
    await page.getByLabel("Status").selectOption({ label: "Active" });
    const system = page.getByLabel("Game system");
    await system.fill("D&D 5e");
    // The suggestions are a datalist the field points at.
    const listId = await system.getAttribute("list");
    await expect(page.locator(`datalist[id="${listId}"] option[value="D&D 5e"]`)).toHaveCount(1);
    await page.getByLabel("Setting").fill("The Azure Coast");
    await page.getByLabel("Tags").fill("coastal, horror , Coastal");
    await page.getByLabel("Description").fill("Smugglers, **drowned** gods and a town that lies.");
    await page.getByRole("button", { name: "Create campaign" }).click();

    await expect(page).toHaveURL(CAMPAIGN_URL);
    campaignUrl = new URL(page.url()).pathname;
    await expectToast(page, `Campaign “${campaignName}” created.`);
    await expect(page.getByRole("heading", { level: 1 })).toHaveText(campaignName);
    await expect(fact(page, "Game system")).toHaveText("D&D 5e");
    await expect(fact(page, "Setting")).toHaveText("The Azure Coast");
    await expect(fact(page, "Tags"), "tags are trimmed and de-duplicated").toHaveText("coastal, horror");
    // The description is rendered Markdown.
    await expect(page.getByRole("region", { name: "About this campaign" }).locator("strong")).toHaveText("drowned");
    await expect(page.getByRole("heading", { name: /^Lore & context\s*\(0\)$/ })).toBeVisible();
    await expect(page.getByRole("heading", { name: /^Characters\s*\(0\)$/ })).toBeVisible();
    await expect(page.getByRole("region", { name: "Files" })).toContainText("No files attached");
    await expect(page.getByRole("region", { name: "Recent changes" }).getByRole("link")).toHaveText([campaignName]);
    const tabs = page.getByRole("navigation", { name: "Campaign sections" });
    for (const tab of ["Overview", "Lore & context", "Characters", "Edit campaign"]) {
      await expect(tabs.getByRole("link", { name: tab, exact: true })).toBeVisible();
    }
    await expect(tabs.getByRole("link", { name: "Overview", exact: true })).toHaveAttribute("aria-current", "page");
    await expectNoHorizontalOverflow(page, "the campaign overview");
  });

  await test.step("add a location whose Markdown renders as a heading and a list", async () => {
    await page.getByRole("link", { name: "Add entry" }).click();
    await expect(page).toHaveURL(/\/context\/new$/);
    await page.getByLabel("Type").selectOption({ label: "Location" });
    await page.getByLabel("Title").fill("Drowned Abbey");
    await page
      .getByLabel("Content")
      .fill("## Flooded nave\n\nWhat the party finds:\n\n- A cracked bell\n- Eel-priests at prayer");
    await page.getByLabel("Tags").fill("ruins, act 1");
    await page.getByLabel("Who can see this").selectOption({ label: "Everyone in the campaign" });
    await page.getByRole("button", { name: "Add entry" }).click();

    await expect(page).toHaveURL(ENTRY_URL);
    abbeyEditUrl = `${new URL(page.url()).pathname}/edit`;
    await expectToast(page, "Entry “Drowned Abbey” added.");
    const article = page.getByRole("article");
    await expect(article.getByRole("heading", { level: 1 })).toHaveText("Drowned Abbey");
    await expect(article).toContainText(/Location · Everyone in the campaign · updated/);
    await expect(article.getByRole("heading", { level: 2 })).toHaveText("Flooded nave");
    await expect(article.getByRole("list").filter({ hasText: "A cracked bell" }).getByRole("listitem")).toHaveText([
      "A cracked bell",
      "Eel-priests at prayer",
    ]);
    await expect(article, "no raw Markdown is shown").not.toContainText("## Flooded");
    await expect(article.getByRole("list", { name: "Tags" }).getByRole("link")).toHaveText(["ruins", "act 1"]);
    await expectNoHorizontalOverflow(page, "the entry page");
  });

  await test.step("add an NPC with stats and a level", async () => {
    await openCampaignTab(page, "Characters");
    await expect(page.getByText("No characters yet.")).toBeVisible();
    await page.getByRole("link", { name: "New character" }).click();
    await expect(page).toHaveURL(/\/characters\/new$/);
    await page.getByLabel("Name", { exact: true }).fill("Sister Maren");
    await waitForHydration(page);
    // An NPC has no player: the field shows only while "Player character" is chosen.
    const player = page.getByLabel("Player", { exact: true });
    await expect(player).toBeHidden();
    await page.getByLabel("PC or NPC").selectOption({ label: "Player character" });
    await expect(player).toBeVisible();
    await expect(player).toHaveAccessibleDescription(/Player characters only/);
    await page.getByLabel("PC or NPC").selectOption({ label: "NPC" });
    await expect(player).toBeHidden();
    await page.getByLabel("Status").selectOption({ label: "Alive" });
    await page.getByLabel("Ancestry").fill("Human");
    await page.getByLabel("Class").fill("Cleric");
    await page.getByLabel("Level").fill("7");

    // Two empty rows to start with; rows can be added and removed.
    await expect(page.getByLabel(/^Stat \d+ name$/)).toHaveCount(2);
    await page.getByLabel("Stat 1 name").fill("AC");
    await page.getByLabel("Stat 1 value").fill("15");
    await page.getByLabel("Stat 2 name").fill("Speed");
    await page.getByLabel("Stat 2 value").fill("30 ft");
    await page.getByRole("button", { name: "Add a stat" }).click();
    await expect(page.getByLabel(/^Stat \d+ name$/)).toHaveCount(3);
    await page.getByLabel("Stat 3 name").fill("HP");
    await page.getByLabel("Stat 3 value").fill("27");
    await page.getByRole("button", { name: "Remove stat 2" }).click();
    await expect(page.getByLabel(/^Stat \d+ name$/)).toHaveCount(2);
    await expect(page.getByLabel("Stat 2 name")).toHaveValue("HP");
    await page.getByLabel("Backstory").fill("Keeps the *abbey's* last bell.");
    await page.getByRole("button", { name: "Add character" }).click();

    await expect(page).toHaveURL(CHARACTER_URL);
    await expectToast(page, "Sister Maren added.");
    const article = page.getByRole("article");
    await expect(article.getByRole("heading", { level: 1 })).toHaveText("Sister Maren");
    await expect(article).toContainText("NPC · Alive");
    await expect(fact(article, "Level")).toHaveText("7");
    await expect(fact(article, "Class")).toHaveText("Cleric");
    await expect(fact(article, "AC")).toHaveText("15");
    await expect(fact(article, "HP")).toHaveText("27");
    await expect(article.getByRole("term").filter({ hasText: "Speed" }), "the removed row is gone").toHaveCount(0);
    await expect(article.getByRole("region", { name: "Backstory" }).locator("em")).toHaveText("abbey's");
  });

  await test.step("add a GM-only house rule", async () => {
    await openCampaignTab(page, "Lore & context");
    // Wait for the form: the list page has a "Type" filter too.
    await page.getByRole("link", { name: "New entry" }).click();
    await expect(page).toHaveURL(/\/context\/new$/);
    await page.getByLabel("Type").selectOption({ label: "House rule" });
    await page.getByLabel("Title").fill("Flanking");
    await page.getByLabel("Content").fill("Flanking grants advantage.");
    await expect(page.getByLabel("Who can see this"), "new entries are for the GMs until shared").toHaveValue("gm");
    await page.getByRole("button", { name: "Add entry" }).click();

    await expect(page).toHaveURL(ENTRY_URL);
    await expectToast(page, "Entry “Flanking” added.");
    await expect(page.getByRole("article")).toContainText(/House rule · GMs only · updated/);
  });

  await test.step("the overview groups the entries by type and lists the character", async () => {
    await openCampaignTab(page, "Overview");
    await expect(page).toHaveURL(new RegExp(`${campaignUrl}$`));
    const lore = page.getByRole("region", { name: /^Lore & context\s*\(2\)$/ });
    await expect(lore.getByRole("heading", { level: 3 })).toHaveText(["Location (1)", "House rule (1)"]);
    await expect(lore.getByRole("link", { name: "Drowned Abbey" })).toBeVisible();
    await expect(lore.getByRole("link", { name: /^Flanking\s*GMs only$/ })).toBeVisible();
    const characters = page.getByRole("region", { name: /^Characters\s*\(1\)$/ });
    await expect(characters.getByRole("link", { name: /^Sister Maren\s*NPC$/ })).toBeVisible();
    const recent = page.getByRole("region", { name: "Recent changes" }).getByRole("link");
    // Newest first; the campaign, not edited since it was created, stays last (no phantom
    // "Campaign · just now" beside each new entry).
    await expect(recent).toHaveText(["Flanking", "Sister Maren", "Drowned Abbey", campaignName]);
    await expect(page.getByRole("region", { name: "Recent changes" }).getByText(/^Campaign ·/)).toHaveCount(1);
  });

  await test.step("edit the location's title", async () => {
    // The overview's entry links are plain anchors with one click listener (useDelegatedLinks):
    // following one is still a client-side navigation, so this page's state survives it.
    await waitForHydration(page);
    await page.evaluate(() => Object.assign(globalThis, { stillThisDocument: true }));
    await page
      .getByRole("region", { name: /^Lore & context/ })
      .getByRole("link", { name: "Drowned Abbey" })
      .click();
    await expect(page.getByRole("link", { name: "Edit entry" })).toBeVisible();
    expect(await page.evaluate(() => (globalThis as { stillThisDocument?: boolean }).stillThisDocument)).toBe(true);
    await page.getByRole("link", { name: "Edit entry" }).click();
    await expect(page).toHaveURL(new RegExp(`${abbeyEditUrl}$`));
    await expect(page.getByLabel("Type")).toHaveValue("location");
    await expect(page.getByLabel("Title")).toHaveValue("Drowned Abbey");
    await page.getByLabel("Title").fill("The Drowned Abbey");
    await page.getByRole("button", { name: "Save entry" }).click();
    await expect(page).toHaveURL(ENTRY_URL);
    await expect(page.getByRole("heading", { level: 1 })).toHaveText("The Drowned Abbey");
    await expectToast(page, renamedToast("Entry saved.", "Drowned Abbey"));
  });

  await test.step("edit the NPC's name and level", async () => {
    await openCampaignTab(page, "Characters");
    await page.getByRole("link", { name: /Sister Maren/ }).click();
    await page.getByRole("link", { name: "Edit character" }).click();
    await expect(page.getByLabel("Name", { exact: true })).toHaveValue("Sister Maren");
    await expect(page.getByLabel("Level")).toHaveValue("7");
    // The saved stats come back, followed by the two spare rows.
    await expect(page.getByLabel(/^Stat \d+ name$/)).toHaveCount(4);
    await expect(page.getByLabel("Stat 1 name")).toHaveValue("AC");
    await expect(page.getByLabel("Stat 1 value")).toHaveValue("15");
    await expectNoHorizontalOverflow(page, "the character edit page");
    await page.getByLabel("Name", { exact: true }).fill("Abbess Maren");
    await page.getByLabel("Level").fill("8");
    await page.getByRole("button", { name: "Save character" }).click();
    await expect(page).toHaveURL(CHARACTER_URL);
    await expectToast(page, renamedToast("Abbess Maren saved.", "Sister Maren"));
    await expect(page.getByRole("heading", { level: 1 })).toHaveText("Abbess Maren");
    await expect(fact(page, "Level")).toHaveText("8");
    await expect(fact(page, "AC")).toHaveText("15");

    await page.getByRole("link", { name: "← Characters" }).click();
    await page.getByLabel("PC or NPC").selectOption({ label: "Player characters" });
    await page.getByRole("button", { name: "Filter" }).click();
    await expect(page).toHaveURL(/\/characters\?kind=pc&status=all$/);
    await expect(page.getByText("No character matches these filters.")).toBeVisible();
    await page.getByLabel("PC or NPC").selectOption({ label: "NPCs" });
    await page.getByRole("button", { name: "Filter" }).click();
    await expect(page.getByRole("list", { name: "Characters" }).getByRole("link")).toContainText(
      /Abbess Maren\s*NPC · GMs only\s*Human · Cleric · level 8/,
    );
  });

  await test.step("filter the entries by tag and by type, then edit the house rule (it stays for the GMs)", async () => {
    await openCampaignTab(page, "Lore & context");
    const entries = page.getByRole("list", { name: "Entries" }).getByRole("link");
    await expect(entries).toHaveCount(2);
    await page.getByLabel("Tag").selectOption("ruins");
    await page.getByRole("button", { name: "Filter" }).click();
    await expect(page).toHaveURL(/\/context\?type=all&tag=ruins$/);
    await expect(entries).toHaveCount(1);
    await expect(entries).toContainText("The Drowned Abbey");
    await page.getByLabel("Type").selectOption({ label: "House rule" });
    await page.getByLabel("Tag").selectOption({ label: "Any tag" });
    await page.getByRole("button", { name: "Filter" }).click();
    await expect(page).toHaveURL(/\/context\?type=house_rule&tag=$/);
    await expect(entries).toHaveCount(1);
    await expect(entries).toContainText(/Flanking\s*House rule\s*GMs only/);

    await entries.click();
    await page.getByRole("link", { name: "Edit entry" }).click();
    await expect(page.getByLabel("Who can see this")).toHaveValue("gm");
    await page.getByLabel("Content").fill("Flanking grants **+2** to hit, not advantage.");
    await page.getByRole("button", { name: "Save entry" }).click();
    await expect(page).toHaveURL(ENTRY_URL);
    const article = page.getByRole("article");
    await expect(article).toContainText("Flanking grants +2 to hit, not advantage.");
    await expect(article.locator("strong")).toHaveText("+2");
    await expect(article).toContainText(/House rule · GMs only/);
  });

  await test.step("a save from another tab meanwhile: conflict, then keep mine", async () => {
    await page.goto(abbeyEditUrl);
    await waitForHydration(page);
    await expect(page.getByLabel("Title")).toHaveValue("The Drowned Abbey");

    // Another tab of the same browser saves a change first.
    const otherTab = await page.context().newPage();
    await otherTab.goto(abbeyEditUrl);
    await waitForHydration(otherTab);
    await otherTab.getByLabel("Content").fill("Other tab: the bells ring at midnight.");
    await otherTab.getByRole("button", { name: "Save entry" }).click();
    await expect(otherTab).toHaveURL(ENTRY_URL);
    await expect(otherTab.getByRole("article")).toContainText("Other tab: the bells ring at midnight.");
    await otherTab.close();

    // This tab still has the old version; its save is refused and nothing is lost.
    await page.getByLabel("Title").fill("Abbey of the Drowned Bell");
    await page.getByLabel("Content").fill("## Flooded nave\n\nMy notes win.");
    await page.getByRole("button", { name: "Save entry" }).click();
    const alert = conflictAlert(page);
    await expect(alert).toBeVisible();
    await expect(fact(alert, "Content")).toHaveText("Other tab: the bells ring at midnight.");
    await expect(fact(alert, "Title")).toHaveText("The Drowned Abbey");
    await expect(page).toHaveURL(new RegExp(`${abbeyEditUrl}$`));
    await expect(page.getByLabel("Title")).toHaveValue("Abbey of the Drowned Bell");
    await expect(page.getByLabel("Content")).toHaveValue("## Flooded nave\n\nMy notes win.");
    await expect(page.getByRole("button", { name: "Save entry" })).toHaveCount(0);
    await expectNoHorizontalOverflow(page, "the entry edit page with a conflict");

    await page.getByRole("button", { name: "Save mine anyway" }).click();
    await expect(page).toHaveURL(ENTRY_URL);
    const article = page.getByRole("article");
    await expect(article.getByRole("heading", { level: 1 })).toHaveText("Abbey of the Drowned Bell");
    await expect(article).toContainText("My notes win.");
    await expect(article).not.toContainText("bells ring at midnight");
  });

  await test.step("archive the campaign: it moves to the Archived filter", async () => {
    await openCampaignTab(page, "Edit campaign");
    await expect(page.getByRole("heading", { level: 1 })).toHaveText(`Edit ${campaignName}`);
    await page.getByRole("button", { name: "Archive campaign" }).click();
    await expect(page).toHaveURL(new RegExp(`${campaignUrl}$`));
    await expectToast(page, "Campaign archived.");

    await page.getByRole("main").getByRole("link", { name: "Campaigns", exact: true }).click();
    await expect(page).toHaveURL(/\/campaigns$/);
    // Only the statuses some campaign has are offered.
    await expect(page.getByRole("navigation", { name: "Filter by status" }).getByRole("link")).toHaveText([
      /^All\s*\(1\)$/,
      /^Archived\s*\(1\)$/,
    ]);
    await statusFilter(page, "Archived", 1).click();
    await expect(page).toHaveURL(/\/campaigns\?status=archived$/);
    await expect(statusFilter(page, "Archived", 1)).toHaveAttribute("aria-current", "page");
    const card = page.getByRole("list", { name: "Campaigns" }).getByRole("link");
    await expect(card).toHaveCount(1);
    await expect(card).toContainText(campaignName);
    await expect(card).toContainText("Archived");
    await expect(card).toContainText("2 entries · 1 character");
    // A status no campaign has, asked for by address, still shows as the chosen filter.
    await page.goto("/campaigns?status=active");
    await expect(statusFilter(page, "Active", 0)).toHaveAttribute("aria-current", "page");
    await expect(page.getByText("No campaign matches these filters.")).toBeVisible();
  });

  await test.step("delete the campaign", async () => {
    await page.goto(`${campaignUrl}/edit`);
    await waitForHydration(page);
    await expect(page.getByRole("button", { name: "Restore campaign" })).toBeVisible();
    await deleteViaDisclosure(page, "this campaign");
    await expect(page).toHaveURL(/\/campaigns$/);
    await expectToast(page, `Campaign “${campaignName}” deleted.`);
    await expect(page.getByText("No campaigns yet.")).toBeVisible();
    await expect(page.getByRole("navigation", { name: "Filter by status" })).toHaveCount(0);

    for (const gone of [campaignUrl, abbeyEditUrl]) {
      const response = await page.goto(gone);
      expect(response?.status(), gone).toBe(404);
      await expect(page.getByRole("heading", { level: 1 })).toHaveText("Page not found");
    }
  });
});

test("the campaign list filters by status, searches by name and sorts", async ({ page, baseURL }) => {
  await createAccountViaHttp(page.request, baseURL, uniqueUsername(), uniquePassword());
  for (const [name, status] of [
    ["Curse of the Bell", "active"],
    ["Amber Tides", "paused"],
    ["Bellweather Keep", "active"],
  ]) {
    await createCampaignViaHttp(page.request, baseURL, { name, status });
  }
  await page.goto("/campaigns");
  await waitForHydration(page);
  const cards = page.getByRole("list", { name: "Campaigns" }).getByRole("link");
  // Newest change first by default.
  await expect(cards).toHaveText([/^Bellweather Keep/, /^Amber Tides/, /^Curse of the Bell/]);
  await expect(statusFilter(page, "All", 3)).toHaveAttribute("aria-current", "page");
  await expect(statusFilter(page, "Active", 2)).toBeVisible();
  await expect(statusFilter(page, "Paused", 1)).toBeVisible();
  // No chip for a status no campaign has.
  await expect(
    page.getByRole("navigation", { name: "Filter by status" }).getByRole("link", { name: /^Planning/ }),
  ).toHaveCount(0);

  await page.getByLabel("Search by name").fill("bell");
  await page.getByLabel("Sort by").selectOption({ label: "Name" });
  await page.getByRole("button", { name: "Apply" }).click();
  await expect(page).toHaveURL(/\/campaigns\?q=bell&sort=name$/);
  await expect(cards).toHaveText([/^Bellweather Keep/, /^Curse of the Bell/]);

  // The status filters keep the search and the order.
  await statusFilter(page, "Paused", 1).click();
  await expect(page).toHaveURL(/\/campaigns\?status=paused&q=bell&sort=name$/);
  await expect(page.getByText("No campaign matches these filters.")).toBeVisible();
  await expect(page.getByLabel("Search by name")).toHaveValue("bell");
});

test("an edit conflict on the campaign form can be resolved by discarding my changes", async ({
  page,
  baseURL,
  isMobile,
}) => {
  test.skip(isMobile, "The journey covers conflicts at 375 px; this one runs on the desktop.");
  await createAccountViaHttp(page.request, baseURL, uniqueUsername(), uniquePassword());
  const id = await createCampaignViaHttp(page.request, baseURL, { name: "Night Market", system: "Blades in the Dark" });
  const editUrl = `/campaigns/${id}/edit`;
  await page.goto(editUrl);
  await waitForHydration(page);
  await expect(page.getByLabel("Name")).toHaveValue("Night Market");

  const otherTab = await page.context().newPage();
  await otherTab.goto(editUrl);
  await waitForHydration(otherTab);
  await otherTab.getByLabel("Name").fill("Night Market of Doskvol");
  await otherTab.getByLabel("Setting").fill("Doskvol");
  await otherTab.getByRole("button", { name: "Save campaign" }).click();
  await expectToast(otherTab, "Campaign saved.");
  await otherTab.close();

  await page.getByLabel("Name").fill("My Night Market");
  await page.getByLabel("Status").selectOption({ label: "Paused" });
  await page.getByRole("button", { name: "Save campaign" }).click();
  const alert = conflictAlert(page);
  await expect(alert).toBeVisible();
  await expect(fact(alert, "Name")).toHaveText("Night Market of Doskvol");
  await expect(fact(alert, "Setting")).toHaveText("Doskvol");
  await expect(fact(alert, "Status")).toHaveText("Planning");
  await expect(page.getByLabel("Name")).toHaveValue("My Night Market");
  await expect(page.getByLabel("Status")).toHaveValue("paused");
  await expect(page.getByRole("button", { name: "Save mine anyway" })).toBeVisible();

  await alert.getByRole("link", { name: "discard your changes" }).click();
  await expect(conflictAlert(page)).toHaveCount(0);
  await expect(page).toHaveURL(new RegExp(`${editUrl}$`));
  await expect(page.getByLabel("Name")).toHaveValue("Night Market of Doskvol");
  await expect(page.getByLabel("Setting")).toHaveValue("Doskvol");
  await expect(page.getByLabel("Status")).toHaveValue("planning");
  await expect(page.getByLabel("Game system")).toHaveValue("Blades in the Dark");

  // The reloaded form carries the saved version: saving from it now succeeds.
  await page.getByLabel("Tags").fill("heist");
  await page.getByRole("button", { name: "Save campaign" }).click();
  await expect(page).toHaveURL(new RegExp(`/campaigns/${id}$`));
  await expectToast(page, "Campaign saved.");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Night Market of Doskvol");
  await expect(fact(page, "Tags")).toHaveText("heist");
});

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  test("campaign, entry and character forms work as plain posts, with the server's validation", async ({
    page,
    baseURL,
    isMobile,
  }) => {
    test.skip(!isMobile, "Plain form posts are the same at any width; the 375 px run also checks overflow.");
    test.slow();
    await createAccountViaHttp(page.request, baseURL, uniqueUsername("e2e-nojs"), uniquePassword());

    await page.goto("/campaigns/new");
    await page.getByLabel("Name").fill("Tomb of Ash");
    await page.getByLabel("Game system").fill("Shadowdark");
    const [created] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === "POST"),
      page.getByRole("button", { name: "Create campaign" }).click(),
    ]);
    // A document post, not React Router's fetch: JavaScript is really off.
    expect(created.request().resourceType()).toBe("document");
    expect(created.status()).toBe(302);
    await expect(page).toHaveURL(CAMPAIGN_URL);
    await expectToast(page, "Campaign “Tomb of Ash” created.");
    const campaignUrl = new URL(page.url()).pathname;
    await expectNoHorizontalOverflow(page, "the campaign overview (no JS)");

    // An entry.
    await page.getByRole("link", { name: "Add entry" }).click();
    await page.getByLabel("Type").selectOption({ label: "Faction" });
    await page.getByLabel("Title").fill("Ash Cult");
    await page.getByLabel("Content").fill("- Masks of soot\n- A burned saint");
    await page.getByRole("button", { name: "Add entry" }).click();
    await expect(page).toHaveURL(ENTRY_URL);
    await expectToast(page, "Entry “Ash Cult” added.");
    await expect(page.getByRole("article").getByRole("listitem")).toHaveText(["Masks of soot", "A burned saint"]);
    await expectNoHorizontalOverflow(page, "the entry page (no JS)");
    const entryUrl = new URL(page.url()).pathname;

    // A character with a stat: two spare rows stand in for "Add a stat".
    await page.goto(`${campaignUrl}/characters/new`);
    await expect(page.getByLabel(/^Stat \d+ name$/)).toHaveCount(2);
    await page.getByLabel("Name", { exact: true }).fill("Kell the Ashen");
    // Without JavaScript the Player field stays, labelled as for player characters only.
    await expect(page.getByLabel("Player", { exact: true })).toHaveAccessibleDescription(/Player characters only/);
    await page.getByLabel("PC or NPC").selectOption({ label: "Player character" });
    await page.getByLabel("Player", { exact: true }).fill("Sam");
    await page.getByLabel("Level").fill("3");
    await page.getByLabel("Stat 1 name").fill("AC");
    await page.getByLabel("Stat 1 value").fill("14");
    await page.getByRole("button", { name: "Add character" }).click();
    await expect(page).toHaveURL(CHARACTER_URL);
    await expectToast(page, "Kell the Ashen added.");
    await expect(page.getByRole("article")).toContainText("Player character · Alive");
    await expect(fact(page, "Player")).toHaveText("Sam");
    await expect(fact(page, "Level")).toHaveText("3");
    await expect(fact(page, "AC")).toHaveText("14");
    await page.getByRole("link", { name: "Edit character" }).click();
    await expect(page.getByLabel("Stat 1 name")).toHaveValue("AC");
    await expect(page.getByLabel(/^Stat \d+ name$/)).toHaveCount(3);
    await expectNoHorizontalOverflow(page, "the character edit page (no JS)");

    // Edit the entry.
    await page.goto(`${entryUrl}/edit`);
    await expect(page.getByLabel("Type")).toHaveValue("faction");
    await page.getByLabel("Title").fill("The Ash Cult");
    await page.getByRole("button", { name: "Save entry" }).click();
    await expect(page).toHaveURL(new RegExp(`${entryUrl}$`));
    await expectToast(page, renamedToast("Entry saved.", "Ash Cult"));
    await expect(page.getByRole("heading", { level: 1 })).toHaveText("The Ash Cult");

    // A title of spaces passes the browser, but the server trims it to nothing and refuses it.
    await page.getByRole("link", { name: "Edit entry" }).click();
    await page.getByLabel("Title").fill("   ");
    await page.getByLabel("Content").fill("Kept after the refusal.");
    const [refused] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === "POST"),
      page.getByRole("button", { name: "Save entry" }).click(),
    ]);
    expect(refused.status()).toBe(400);
    await expect(page).toHaveURL(new RegExp(`${entryUrl}/edit$`));
    await expect(page.getByText("Give the entry a title.")).toBeVisible();
    await expect(page.getByLabel("Content")).toHaveValue("Kept after the refusal.");
    await page.goto(entryUrl);
    await expect(page.getByRole("heading", { level: 1 }), "nothing was saved").toHaveText("The Ash Cult");

    // Delete it through the disclosure (a native <details>).
    await page.getByRole("link", { name: "Edit entry" }).click();
    await expect(page).toHaveURL(new RegExp(`${entryUrl}/edit$`));
    await deleteViaDisclosure(page, "this entry");
    await expect(page).toHaveURL(new RegExp(`${campaignUrl}/context$`));
    await expectToast(page, "Entry “The Ash Cult” deleted.");
    await expect(page.getByText("No entries yet.")).toBeVisible();
    expect((await page.goto(entryUrl))?.status()).toBe(404);
  });
});

test("another account gets 404 for every page, API and form post of a campaign", async ({
  page,
  baseURL,
  isMobile,
  newClient,
}) => {
  test.skip(isMobile, "Server-side scoping, the same at any width: the desktop project covers it.");
  const origin = originOf(baseURL);
  // Account A, with a campaign, an entry and a character.
  await createAccountViaHttp(page.request, baseURL, uniqueUsername("e2e-owner"), uniquePassword());
  const campaignName = `Secret campaign ${Date.now()}`;
  const id = await createCampaignViaHttp(page.request, baseURL, { name: campaignName });
  const entryId = await createContextEntryViaHttp(page.request, baseURL, id, {
    title: "Hidden vault",
    contextType: "location",
  });
  const characterId = await createCharacterViaHttp(page.request, baseURL, id, {
    characterName: "The Traitor",
    "stats[0].key": "AC",
    "stats[0].value": "12",
  });
  const pages = [
    `/campaigns/${id}`,
    `/campaigns/${id}/edit`,
    `/campaigns/${id}/files`,
    `/campaigns/${id}/context`,
    `/campaigns/${id}/context/${entryId}`,
    `/campaigns/${id}/context/${entryId}/edit`,
    `/campaigns/${id}/characters`,
    `/campaigns/${id}/characters/${characterId}`,
    `/campaigns/${id}/characters/${characterId}/edit`,
  ];
  const api = `/api/campaigns/${id}`;
  // The owner reaches all of them (so a 404 below is about ownership, not a wrong address).
  const ownerStatuses = await Promise.all([...pages, api].map(async (path) => (await page.request.get(path)).status()));
  expect(ownerStatuses, `owner: ${[...pages, api].join(", ")}`).toEqual([...pages, api].map(() => 200));
  const ownerApi = await (await page.request.get(api)).json();
  expect(ownerApi.campaign.name).toBe(campaignName);
  expect(ownerApi.entries).toHaveLength(1);
  expect(ownerApi.characters).toHaveLength(1);

  // Account B, in its own browser context.
  const intruder = await newClient();
  await createAccountViaHttp(intruder.request, baseURL, uniqueUsername("e2e-other"), uniquePassword());
  for (const path of pages) {
    await test.step(`B opens ${path}`, async () => {
      const response = await intruder.goto(path);
      expect(response?.status(), path).toBe(404);
      await expect(intruder.getByRole("heading", { level: 1 })).toHaveText("Page not found");
      expect(await intruder.content(), "the 404 page gives nothing away").not.toContain(campaignName);
    });
  }
  const apiAnswer = await intruder.request.get(api);
  expect(apiAnswer.status()).toBe(404);
  expect(await apiAnswer.text()).not.toContain(campaignName);

  // Writes are refused the same way.
  for (const path of [`/campaigns/${id}/edit`, `/campaigns/${id}/context/${entryId}/edit`]) {
    const post = await intruder.request.post(path, {
      headers: { Origin: origin },
      form: { intent: "delete" },
      maxRedirects: 0,
    });
    expect(post.status(), `B deletes via ${path}`).toBe(404);
  }
  const renamed = await intruder.request.post(`/campaigns/${id}/edit`, {
    headers: { Origin: origin },
    form: { intent: "save", version: "1", name: "Pwned", status: "active" },
    maxRedirects: 0,
  });
  expect(renamed.status()).toBe(404);

  // A's campaign and entry are untouched.
  const after = await page.request.get(api);
  expect(after.status()).toBe(200);
  const body = await after.json();
  expect(body.campaign.name).toBe(campaignName);
  expect(body.entries).toHaveLength(1);
});
