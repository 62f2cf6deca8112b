import { resolve } from "node:path";
import {
  createCampaignViaHttp,
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
 * From the books to entries (ADR 0038), in a browser: a GM uploads the SRD's 182-page monsters
 * PDF from a campaign's Files tab (read in place from the shared corpus), waits for it to be
 * processed, asks for proposals, accepts one and opens the new NPC with its page link.
 */

const monstersPdf = resolve("../shared/corpus/pdf/srd-monsters.pdf");

test("a GM turns a stat block of srd-monsters.pdf into an NPC with its page", async ({ page, baseURL }) => {
  test.slow();
  await signUp(page, uniqueUsername("props"), uniquePassword());
  const campaignId = await createCampaignViaHttp(page.request, baseURL, { name: "Monster Hunt" });
  await page.goto(`/campaigns/${campaignId}/files`);
  await waitForHydration(page);
  await page.locator("#upload-input").setInputFiles([monstersPdf]);
  await expect(page.getByText("“srd-monsters.pdf” uploaded.")).toBeVisible({ timeout: 60_000 });
  // Processing: the Library shows it live.
  await page.goto("/library");
  const row = page.getByRole("list", { name: "Files" }).getByRole("listitem").filter({ hasText: "srd-monsters.pdf" });
  await expect(row.getByRole("status")).toHaveText("Ready", { timeout: 180_000 });

  await page.goto(`/campaigns/${campaignId}/files`);
  await page.getByRole("button", { name: "Find NPCs, places and items in srd-monsters.pdf" }).click();
  await expectToast(page, "201 found in “srd-monsters.pdf”, 201 new.");
  await expect(page).toHaveURL(/\/proposals\?file=[0-9a-f]{32}$/);
  await expect(page.getByText("201 proposals · page 1 of 5")).toBeVisible();
  await expectNoHorizontalOverflow(page, "the proposals page");

  const proposals = page.getByRole("list", { name: "Proposals" });
  const aboleth = proposals.getByRole("listitem", { name: "Aboleth" });
  await expect(aboleth.getByRole("link", { name: "srd-monsters.pdf, page 11" })).toHaveAttribute(
    "href",
    new RegExp(`^/campaigns/${campaignId}/files/[0-9a-f]{32}/download#page=11$`),
  );
  await aboleth.getByRole("button", { name: "Accept Aboleth" }).click();
  await expectToast(page, "“Aboleth” added, for the GMs only.");
  await expect(proposals.getByRole("listitem", { name: "Aboleth" })).toHaveCount(0);

  // The new NPC, with its stat block and the link to its page.
  await page.goto(`/campaigns/${campaignId}/characters`);
  await page.getByRole("link", { name: /^Aboleth\b/ }).click();
  await expect(page.getByRole("heading", { name: "Aboleth", level: 1 })).toBeVisible();
  await expect(page.getByText("Large aberration, lawful evil")).toBeVisible();
  const source = page.getByRole("link", { name: "srd-monsters.pdf, page 11" });
  await expect(source).toHaveAttribute("href", /\/files\/[0-9a-f]{32}\/download#page=11$/);
  await expectNoHorizontalOverflow(page, "the new NPC");

  // Accepted proposals stay listed under "Accepted", with a way to the NPC.
  await page.goto(`/campaigns/${campaignId}/proposals?status=accepted`);
  await expect(page.getByRole("list", { name: "Proposals" }).getByRole("listitem", { name: "Aboleth" })).toContainText(
    "Accepted",
  );
});
