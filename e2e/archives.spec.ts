import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { strToU8, unzipSync, zipSync } from "fflate";
import {
  createCampaignViaHttp,
  createCharacterViaHttp,
  createContextEntryViaHttp,
  expect,
  expectNoHorizontalOverflow,
  expectToast,
  postFormExpectingRedirect,
  signUp,
  test,
  uniquePassword,
  uniqueUsername,
  waitForHydration,
} from "./fixtures";

/**
 * Export and import (ADR 0039): a GM downloads a campaign's archive (with the page's
 * progress), imports it again and finds the same entries; and imports a small Obsidian
 * vault after reading the preview of what each note becomes. Desktop and phone.
 */

const NEW_CAMPAIGN_URL = /\/campaigns\/([0-9a-f-]{36})$/;

test("a GM exports a campaign and imports it again as an unchanged copy", async ({ page, baseURL }, testInfo) => {
  test.slow();
  await signUp(page, uniqueUsername(), uniquePassword());
  const id = await createCampaignViaHttp(page.request, baseURL, { name: "Saltmarsh", status: "active" });
  const gossipId = await createContextEntryViaHttp(page.request, baseURL, id, {
    title: "Harbour gossip",
    content: "Ask [[Maren]] about the bell.",
  });
  await createContextEntryViaHttp(page.request, baseURL, id, { title: "The Lighthouse", contextType: "location" });
  const marenId = await createCharacterViaHttp(page.request, baseURL, id, {
    characterName: "Maren",
    backstory: "Runs the harbour.",
  });
  // A relation and a session travel too (archive format version 2, ADR 0040).
  await postFormExpectingRedirect(page.request, baseURL, `/campaigns/${id}/context/${gossipId}`, {
    intent: "relate",
    phrase: "custom",
    label: "spread by",
    inverseLabel: "spreads",
    target: `character:${marenId}`,
    audience: "gm",
  });
  await postFormExpectingRedirect(page.request, baseURL, `/campaigns/${id}/sessions/new`, {
    number: "1",
    playedOn: "2026-11-20",
    title: "The bell",
    notes: "The bell rang at midnight.",
    recap: "The bell rang.",
    audience: "gm",
  });

  let archivePath = "";
  await test.step("export: the page says what the archive holds and shows it arriving", async () => {
    await page.goto(`/campaigns/${id}`);
    await waitForHydration(page);
    await page.getByRole("navigation", { name: "Campaign sections" }).getByRole("link", { name: "Export" }).click();
    await expect(page.getByRole("heading", { level: 1 })).toHaveText("Export “Saltmarsh”");
    const holds = page.getByRole("list", { name: "What the archive holds" });
    await expect(holds).toContainText("2 entries of lore and context");
    await expect(holds).toContainText("1 character");
    await expectNoHorizontalOverflow(page, "export page");
    const download = page.waitForEvent("download");
    await page.getByRole("button", { name: "Download the archive" }).click();
    const saved = await download;
    expect(saved.suggestedFilename()).toMatch(/^Saltmarsh \d{4}-\d{2}-\d{2}\.zip$/);
    await expect(page.getByTestId("export-progress")).toContainText(/Saved Saltmarsh .*\.zip \(\d/);
    archivePath = testInfo.outputPath("saltmarsh.zip");
    await saved.saveAs(archivePath);
    const files = Object.keys(unzipSync(new Uint8Array(await readFile(archivePath)))).sort();
    expect(files).toEqual([
      "campaign.md",
      "characters/npcs/Maren.md",
      "locations/The Lighthouse.md",
      "lore/Harbour gossip.md",
      "loresmith.json",
      "sessions/001 The bell.md",
    ]);
  });

  await test.step("import: a preview, then a new campaign with the same entries", async () => {
    await page.goto("/campaigns");
    await page.getByRole("link", { name: "Import", exact: true }).click();
    await expect(page).toHaveURL(/\/campaigns\/import$/);
    await page.getByLabel("Archive (.zip)").setInputFiles(archivePath);
    await page.getByRole("button", { name: "Show what will be imported" }).click();
    const preview = page.getByRole("form", { name: "Import preview" });
    await expect(preview.getByRole("list", { name: "Campaigns to create" })).toContainText(
      "Saltmarsh: 2 entries, 1 character, 0 attached files, 1 relation, 1 session",
    );
    await preview.getByLabel("Name of the new campaign").fill("Saltmarsh (copy)");
    await expectNoHorizontalOverflow(page, "import preview");
    await preview.getByRole("button", { name: "Import", exact: true }).click();
    await expect(page).toHaveURL(NEW_CAMPAIGN_URL);
    expect(new URL(page.url()).pathname).not.toBe(`/campaigns/${id}`);
    await expectToast(page, "Imported: 2 entries and 1 character.");
    await expect(page.getByRole("heading", { level: 1 })).toHaveText("Saltmarsh (copy)");
    await page
      .getByRole("navigation", { name: "Campaign sections" })
      .getByRole("link", { name: "Lore & context" })
      .click();
    await expect(page).toHaveURL(/\/context$/);
    await expect(page.getByRole("link", { name: /^Harbour gossip/ })).toBeVisible();
    await expect(page.getByRole("link", { name: /^The Lighthouse/ })).toBeVisible();
    await page.getByRole("link", { name: /^Harbour gossip/ }).click();
    // The link inside came along and resolves in the copy; so did the relation, between the copy's own rows.
    await expect(page).toHaveURL(/\/context\/\d+$/);
    const newCopy = new URL(page.url()).pathname.split("/")[2];
    const relations = page.getByRole("list", { name: "Relations of Harbour gossip" });
    await expect(relations).toContainText("spread by");
    const marenLinks = page.getByRole("link", { name: "Maren", exact: true });
    await expect(marenLinks).toHaveCount(2);
    await expect(relations.getByRole("link", { name: "Maren", exact: true })).toBeVisible();
    for (const link of await marenLinks.all())
      await expect(link).toHaveAttribute("href", new RegExp(`/campaigns/${newCopy}/characters/\\d+$`));
    // And the session.
    await page.getByRole("navigation", { name: "Campaign sections" }).getByRole("link", { name: "Sessions" }).click();
    await expect(page.getByRole("list", { name: "Sessions, newest first" })).toContainText("Session 1: The bell");
  });
});

test("a GM imports an Obsidian vault after seeing what each note will become", async ({ page }, testInfo) => {
  await signUp(page, uniqueUsername(), uniquePassword());
  const vault = zipSync({
    "Sword Coast/NPCs/Duke Ulder.md": strToU8("---\ntags: [noble]\n---\nRules from [[Waterdeep]].\n"),
    "Sword Coast/Locations/Waterdeep.md": strToU8("The city of splendours, ruled by [[NPCs/Duke Ulder|the duke]].\n"),
    "Sword Coast/Sessions/Session 1.md": strToU8("We met at the Yawning Portal.\n"),
    // 1.5 MB that does not compress: the upload is larger than an ordinary form may be.
    "Sword Coast/map.png": randomBytes(1_500_000),
  });
  const path = testInfo.outputPath("Sword Coast.zip");
  const { writeFile } = await import("node:fs/promises");
  await writeFile(path, vault);

  await page.goto("/campaigns/import");
  // With JavaScript the form posts to /campaigns/import.data, which must take the same upload size.
  await waitForHydration(page);
  await page.getByLabel("Archive (.zip)").setInputFiles(path);
  await page.getByRole("button", { name: "Show what will be imported" }).click();
  const preview = page.getByRole("form", { name: "Import preview" });
  const toImport = preview.getByRole("list", { name: "Notes to import" });
  await expect(toImport.getByRole("listitem")).toHaveCount(3);
  await expect(toImport).toContainText("Duke Ulder");
  await expect(toImport).toContainText("NPC (character)");
  await expect(preview.getByRole("list", { name: "Not imported" })).toContainText("map.png");
  await expectNoHorizontalOverflow(page, "vault preview");

  // Sessions are not wanted: the folder is mapped away, and the preview says so.
  const sessions = preview.getByRole("listitem").filter({ hasText: "Sessions" }).getByLabel("Imported as");
  await sessions.selectOption("skip");
  await preview.getByRole("button", { name: "Update the preview" }).click();
  await expect(toImport.getByRole("listitem")).toHaveCount(2);
  await expect(preview.getByRole("list", { name: "Not imported" })).toContainText("Sessions/Session 1.md");
  await preview.getByLabel("Name of the new campaign").fill("Sword Coast");
  await preview.getByRole("button", { name: "Import 2 notes" }).click();

  await expect(page).toHaveURL(NEW_CAMPAIGN_URL);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Sword Coast");
  await page
    .getByRole("navigation", { name: "Campaign sections" })
    .getByRole("link", { name: "Lore & context" })
    .click();
  await expect(page).toHaveURL(/\/context$/);
  // The list has rendered (not the overview still on its way out, whose chip is a link of that name too).
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Lore & context");
  await page.getByRole("link", { name: /^Waterdeep Location/ }).click();
  // Obsidian's folder-qualified link resolves to the imported character.
  await expect(page.getByRole("link", { name: "the duke" })).toHaveAttribute("href", /\/characters\/\d+$/);
  await page.getByRole("navigation", { name: "Campaign sections" }).getByRole("link", { name: "Characters" }).click();
  await expect(page).toHaveURL(/\/characters$/);
  await expect(page.getByRole("link", { name: /^Duke Ulder/ })).toBeVisible();
});
