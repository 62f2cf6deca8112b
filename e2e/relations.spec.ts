import type { Page } from "@playwright/test";
import {
  createAccountViaHttp,
  createCampaignViaHttp,
  createCharacterViaHttp,
  createContextEntryViaHttp,
  expect,
  expectNoHorizontalOverflow,
  expectToast,
  postFormExpectingRedirect,
  test,
  uniquePassword,
  uniqueUsername,
  waitForHydration,
} from "./fixtures";

/**
 * Relations (ADR 0036): a GM relates a character to an entry in the plain forms, sees it
 * on both pages with the inverse label, and opens the campaign's relations view — a graph
 * that pans (by touch on a phone, by dragging with a mouse) beside the same as a list.
 */

function relationsSection(page: Page) {
  return page.getByRole("region", { name: "Relations", exact: true });
}

test("a GM relates a character to an entry, sees it from both sides, and pans the relations graph", async ({
  page,
  baseURL,
  isMobile,
}) => {
  test.slow();
  await createAccountViaHttp(page.request, baseURL, uniqueUsername("e2e-rel"), uniquePassword());
  const campaignId = await createCampaignViaHttp(page.request, baseURL, { name: "Silver Marches" });
  const handId = await createContextEntryViaHttp(page.request, baseURL, campaignId, {
    title: "The Silver Hand",
    contextType: "faction",
  });
  const dukeId = await createCharacterViaHttp(page.request, baseURL, campaignId, { characterName: "Duke Aldric" });

  // On the duke's page: "member of" The Silver Hand, with a note, shared with the campaign.
  await page.goto(`/campaigns/${campaignId}/characters/${dukeId}`);
  await waitForHydration(page);
  const section = relationsSection(page);
  await expect(section.getByText("No relations yet.")).toBeVisible();
  await section.getByLabel("Relation (read from here)").selectOption({ label: "member of" });
  await section.getByLabel("Related to").selectOption({ label: "The Silver Hand" });
  await section.getByLabel("Note (optional)").fill("Sworn in after the siege");
  await section.getByLabel("Who can see this relation").selectOption({ label: "Everyone in the campaign" });
  await section.getByRole("button", { name: "Add relation" }).click();
  await expectToast(page, "Relation added.");
  const fromDuke = section.getByRole("list", { name: "Relations of Duke Aldric" }).getByRole("listitem");
  await expect(fromDuke).toHaveCount(1);
  await expect(fromDuke).toContainText("member of");
  await expect(fromDuke).toContainText("Sworn in after the siege");

  // A custom one, read from here: "owes a favour to" the Hand, which "is owed a favour by" the duke.
  await section.getByLabel("Relation (read from here)").selectOption({ label: "Custom…" });
  await section.getByLabel("Related to").selectOption({ label: "The Silver Hand" });
  await section.getByLabel("Label from here").fill("owes a favour to");
  await section.getByLabel("Label from the other side").fill("is owed a favour by");
  await section.getByRole("button", { name: "Add relation" }).click();
  await expectToast(page, "Relation added.");
  await expect(fromDuke).toHaveCount(2);
  // The form starts empty again after each relation added.
  await expect(section.getByLabel("Note (optional)")).toHaveValue("");
  await expect(fromDuke.filter({ hasText: "owes a favour to" })).not.toContainText("Sworn in");
  await expectNoHorizontalOverflow(page, "a character page with relations");

  // The other end shows both, with their inverse labels.
  await fromDuke.filter({ hasText: "member of" }).getByRole("link", { name: "The Silver Hand" }).click();
  await expect(page).toHaveURL(new RegExp(`/campaigns/${campaignId}/context/${handId}$`));
  const fromHand = relationsSection(page)
    .getByRole("list", { name: "Relations of The Silver Hand" })
    .getByRole("listitem");
  await expect(fromHand).toHaveCount(2);
  await expect(fromHand.filter({ hasText: "has member" }).getByRole("link", { name: "Duke Aldric" })).toBeVisible();
  await expect(
    fromHand.filter({ hasText: "is owed a favour by" }).getByRole("link", { name: "Duke Aldric" }),
  ).toBeVisible();

  // A few more, so that the graph is bigger than a phone.
  const names = ["Citadel Adbar", "Lady Sera", "Mithral Hall", "The Zhentarim", "Old Tessaril", "Sundabar"];
  const ids: string[] = [];
  for (const title of names) ids.push(await createContextEntryViaHttp(page.request, baseURL, campaignId, { title }));
  for (const [i, id] of ids.entries()) {
    await postFormExpectingRedirect(page.request, baseURL, `/campaigns/${campaignId}/context/${id}`, {
      intent: "relate",
      phrase: i % 2 ? "ally_of" : "~located_in",
      target: `entry:${handId}`,
      audience: "campaign",
    });
  }

  await page
    .getByRole("navigation", { name: "Campaign sections" })
    .getByRole("link", { name: "Relations", exact: true })
    .click();
  await expect(page).toHaveURL(new RegExp(`/campaigns/${campaignId}/relations$`));
  await expect(page.getByRole("heading", { name: "Relations", level: 1 })).toBeVisible();
  await waitForHydration(page);
  const graph = page.getByTestId("relation-graph");
  await expect(graph).toBeVisible();
  await expect(graph.locator("svg a")).toHaveCount(8);
  await expect(graph.getByText("The Silver Hand", { exact: true })).toBeVisible();
  // The list says the same in words.
  const list = page.getByTestId("relation-list");
  await expect(list).toContainText("Duke Aldric — member of — The Silver Hand");
  await expect(list).toContainText("The Silver Hand — has member — Duke Aldric");
  await expect(list).toContainText("The Silver Hand — is owed a favour by — Duke Aldric");
  await expect(list).toContainText("Sworn in after the siege");
  await expectNoHorizontalOverflow(page, "the relations view");

  const scroll = () => graph.evaluate((el) => ({ left: el.scrollLeft, top: el.scrollTop }));
  const size = () =>
    graph.evaluate((el) => ({
      scrollWidth: el.scrollWidth,
      clientWidth: el.clientWidth,
      scrollHeight: el.scrollHeight,
    }));
  if (isMobile) {
    // At 375 px the graph is wider than its box: it pans by scrolling, as a finger does.
    const { scrollWidth, clientWidth } = await size();
    expect(scrollWidth).toBeGreaterThan(clientWidth);
    const box = await graph.boundingBox();
    expect(box?.width ?? 0).toBeLessThanOrEqual(375);
    await graph.evaluate((el) => el.scrollBy({ left: 120, top: 60 }));
    await expect.poll(async () => (await scroll()).left).toBeGreaterThan(0);
  } else {
    // On a desktop, zoom in until it is bigger than its box, then drag it with the mouse.
    await page.getByRole("button", { name: "Zoom in" }).click();
    await page.getByRole("button", { name: "Zoom in" }).click();
    await expect(page.getByText("200%")).toBeVisible();
    await expect.poll(async () => (await size()).scrollWidth).toBeGreaterThan((await size()).clientWidth);
    const before = await scroll();
    const box = await graph.boundingBox();
    if (!box) throw new Error("no graph box");
    // Start on empty canvas (a corner), not on a node's link.
    await page.mouse.move(box.x + 8, box.y + 8);
    await page.mouse.down();
    await page.mouse.move(box.x - 150, box.y - 100, { steps: 5 });
    await page.mouse.up();
    await expect.poll(async () => (await scroll()).left).toBeGreaterThan(before.left);
  }
  // A node is a link to its page.
  await graph.locator("svg a text", { hasText: "Duke Aldric" }).click();
  await expect(page).toHaveURL(new RegExp(`/campaigns/${campaignId}/characters/${dukeId}$`));
});

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  test("the relation forms are plain posts: add from the entry's side, share, remove", async ({
    page,
    baseURL,
    isMobile,
  }) => {
    test.skip(!isMobile, "Plain form posts are the same at any width; the 375 px run also checks overflow.");
    await createAccountViaHttp(page.request, baseURL, uniqueUsername("e2e-rel-nojs"), uniquePassword());
    const campaignId = await createCampaignViaHttp(page.request, baseURL, { name: "No script marches" });
    const keepId = await createContextEntryViaHttp(page.request, baseURL, campaignId, {
      title: "Citadel Felbarr",
      contextType: "location",
    });
    await createCharacterViaHttp(page.request, baseURL, campaignId, { characterName: "King Emerus" });

    await page.goto(`/campaigns/${campaignId}/context/${keepId}`);
    const section = relationsSection(page);
    // From the keep's page, "owned by" the king: the king owns it.
    await section.getByLabel("Relation (read from here)").selectOption({ label: "owned by" });
    await section.getByLabel("Related to").selectOption({ label: "King Emerus" });
    const [posted] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === "POST"),
      section.getByRole("button", { name: "Add relation" }).click(),
    ]);
    expect(posted.request().resourceType()).toBe("document");
    await expectToast(page, "Relation added.");
    const item = section.getByRole("list", { name: "Relations of Citadel Felbarr" }).getByRole("listitem");
    await expect(item).toContainText("owned by");
    await expect(item).toContainText("GMs only");
    // A custom relation without its labels: the server's message, on the form.
    await section.getByLabel("Relation (read from here)").selectOption({ label: "Custom…" });
    await section.getByLabel("Related to").selectOption({ label: "King Emerus" });
    await section.getByRole("button", { name: "Add relation" }).click();
    await expect(section.getByText("Name the custom relation.")).toBeVisible();

    await item.getByRole("button", { name: /^Share/ }).click();
    await expectToast(page, "Shared: everyone who may see both ends sees this relation.");
    await expect(item).not.toContainText("GMs only");
    await item.getByRole("button", { name: /^Remove/ }).click();
    await expectToast(page, "Relation removed.");
    await expect(section.getByText("No relations yet.")).toBeVisible();
    await expectNoHorizontalOverflow(page, "an entry page with the relation form (no JS)");
  });
});
