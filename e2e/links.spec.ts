import {
  createAccountViaHttp,
  createCampaignViaHttp,
  createCharacterViaHttp,
  expect,
  expectNoHorizontalOverflow,
  test,
  uniquePassword,
  uniqueUsername,
} from "./fixtures";

/**
 * `[[Links]]` as a GM writes them (issue 16): typed in an entry, a link to nothing offers to
 * create it, the new entry shows where it is linked from, and a rename keeps the link.
 */

test("a GM links entries by typing [[…]], creates the missing one, sees backlinks, and renames without breaking the link", async ({
  page,
  baseURL,
}) => {
  const username = uniqueUsername("links");
  await createAccountViaHttp(page.request, baseURL, username, uniquePassword());
  const campaignId = await createCampaignViaHttp(page.request, baseURL, { name: "The Salt Road" });
  const base = `/campaigns/${campaignId}`;
  await createCharacterViaHttp(page.request, baseURL, campaignId, {
    characterName: "Duke Aldric",
    aliases: "The Duke",
  });

  // An entry that links a character by an alias and a place nothing has written yet.
  await page.goto(`${base}/context/new`);
  await page.getByLabel("Title").fill("The Toll Bridge");
  await page
    .getByLabel("Content")
    .fill("[[The Duke|His Grace]] collects the toll at the bridge. Smugglers cross at [[Greywater Ford]].");
  await page.getByRole("button", { name: "Add entry" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("The Toll Bridge");
  await expectNoHorizontalOverflow(page, "an entry with links");

  const article = page.getByRole("article");
  await expect(article.getByRole("link", { name: "His Grace" })).toHaveAttribute(
    "href",
    new RegExp(`${base}/characters/\\d+$`),
  );
  // The missing place: a link that opens a new entry with that title.
  await article.getByRole("link", { name: /Greywater Ford/ }).click();
  await expect(page.getByLabel("Title")).toHaveValue("Greywater Ford");
  await page.getByLabel("Type").selectOption("location");
  await page.getByLabel("Content").fill("A shallow crossing, watched at night.");
  await page.getByRole("button", { name: "Add entry" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Greywater Ford");
  // Backlinks: the ford knows the bridge links to it.
  const linkedFrom = page.getByRole("region", { name: "Linked from" });
  await expect(linkedFrom.getByRole("link", { name: "The Toll Bridge" })).toBeVisible();
  const fordUrl = page.url();

  // Renamed, the bridge's [[Greywater Ford]] still leads here, and the old name is listed as an alias.
  await page.getByRole("link", { name: "Edit entry" }).click();
  await page.getByLabel("Title").fill("Greywater Crossing");
  await page.getByRole("button", { name: "Save entry" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Greywater Crossing");
  await expect(page.getByText("Also known as Greywater Ford")).toBeVisible();
  await linkedFrom.getByRole("link", { name: "The Toll Bridge" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("The Toll Bridge");
  const ford = page.getByRole("article").getByRole("link", { name: "Greywater Ford" });
  await expect(ford).toHaveAttribute("href", new URL(fordUrl).pathname);
  await expect(ford, "a resolved link, not the offer to create it").not.toHaveAttribute("title", /not written yet/);
});
