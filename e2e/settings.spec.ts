/// <reference lib="dom" />
import type { Locator } from "@playwright/test";
import { createAccountViaHttp, expect, originOf, test, uniquePassword, uniqueUsername } from "./fixtures";

/** Settings: a storage bar that fills in proportion, and account deletion apart as a danger zone. */

/** The share of a bar's width drawn in the fill colour (ember-600), read from a screenshot of it. */
async function filledShare(bar: Locator): Promise<number> {
  const png = (await bar.screenshot({ animations: "disabled" })).toString("base64");
  return bar.page().evaluate(async (data) => {
    const image = new Image();
    image.src = `data:image/png;base64,${data}`;
    await image.decode();
    const canvas = document.createElement("canvas");
    canvas.width = image.width;
    canvas.height = image.height;
    const context = canvas.getContext("2d");
    if (!context) throw new Error("no 2d context");
    context.drawImage(image, 0, 0);
    // The middle row of pixels: reddish-brown ones are the fill, greys the track.
    const row = context.getImageData(0, Math.floor(image.height / 2), image.width, 1).data;
    let filled = 0;
    for (let x = 0; x < image.width; x++) {
      const [r, g, b] = [row[x * 4], row[x * 4 + 1], row[x * 4 + 2]];
      if (r - g > 60 && r - b > 60) filled++;
    }
    return filled / image.width;
  }, png);
}

test("the storage bar fills in proportion: empty at 0 B, a sliver under 1 %", async ({ page, baseURL }) => {
  await createAccountViaHttp(page.request, baseURL, uniqueUsername("store"), uniquePassword());
  await page.goto("/settings");
  const storage = page.getByRole("region", { name: "Storage" });
  const bar = storage.getByRole("progressbar", { name: /used/ });
  await expect(storage).toContainText(/0 B of 1\.0 GB used \(0%\), in 0 files\./);
  expect(await filledShare(bar), "nothing used: no fill").toBe(0);

  const upload = await page.request.put(`/api/files?name=${encodeURIComponent("Notes.md")}`, {
    headers: { Origin: originOf(baseURL) },
    data: Buffer.from("# Notes\n\nA few bytes of a 1 GB quota."),
  });
  expect(upload.status()).toBe(201);
  await page.reload();
  await expect(storage).toContainText(/of 1\.0 GB used \(under 1%\), in 1 file\./);
  const share = await filledShare(bar);
  expect(share, "a visible sliver").toBeGreaterThan(0);
  expect(share, "not a full-looking bar").toBeLessThan(0.05);

  // The Library's bar is the same one.
  await page.goto("/library");
  const libraryBar = page.getByRole("progressbar", { name: /^Storage: .* used \(under 1%\)$/ });
  expect(await filledShare(libraryBar)).toBeLessThan(0.05);
});

test("deleting the account sits apart, under its own danger-zone heading, in a lighter style than the password form", async ({
  page,
  baseURL,
}) => {
  const username = uniqueUsername("danger");
  await createAccountViaHttp(page.request, baseURL, username, uniquePassword());
  await page.goto("/settings");
  const danger = page.getByRole("region", { name: "Danger zone" });
  await expect(danger.getByRole("heading", { level: 2, name: "Danger zone" })).toBeVisible();
  const deletion = danger.getByRole("region", { name: "Delete account" });
  await expect(deletion.getByRole("heading", { level: 3, name: "Delete account" })).toBeVisible();
  // The confirmation stays: the username and the password.
  await expect(deletion.getByLabel(/^Type your username/)).toBeVisible();
  await expect(deletion.getByLabel("Your password")).toBeVisible();

  // Last on the page, below the password form.
  const password = page.getByRole("region", { name: "Change password" });
  const [passwordBox, dangerBox] = [await password.boundingBox(), await danger.boundingBox()];
  expect(dangerBox?.y).toBeGreaterThan((passwordBox?.y ?? 0) + (passwordBox?.height ?? 0));

  // Outlined (a white face), not the filled look of the primary button; still a 44 px target.
  const remove = deletion.getByRole("button", { name: "Delete my account" });
  const change = password.getByRole("button", { name: "Change password" });
  const background = (button: Locator) => button.evaluate((el) => getComputedStyle(el).backgroundColor);
  expect(await background(remove)).toBe("rgb(255, 255, 255)");
  expect(await background(change)).not.toBe("rgb(255, 255, 255)");
  expect((await remove.boundingBox())?.height).toBeGreaterThanOrEqual(44);
});
