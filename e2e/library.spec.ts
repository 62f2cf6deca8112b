import { closeSync, ftruncateSync, mkdtempSync, openSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  createCampaignViaHttp,
  expect,
  expectNoHorizontalOverflow,
  expectToast,
  originOf,
  signUp,
  test,
  uniquePassword,
  uniqueUsername,
  waitForHydration,
} from "./fixtures";

/**
 * The file library in a browser: several uploads with progress, refusals with reasons,
 * Range downloads, versions, attaching to a campaign, deleting, and isolation.
 * Files are the project's own fixtures, written here (none of the shared corpus).
 */

let dir: string;
const files: Record<string, string> = {};

test.beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "loresmith-e2e-"));
  const write = (name: string, content: string | Uint8Array) => {
    files[name] = join(dir, name);
    writeFileSync(files[name], content);
  };
  write("Sunken Crown notes.md", `# The Sunken Crown\n\n${"The abbey bells ring at low tide.\n".repeat(4000)}`);
  write("Vessa.json", JSON.stringify({ name: "Vessa", class: "Rogue", level: 3, stats: { dex: 17 } }));
  write("Tomb of Ash.pdf", `%PDF-1.7\n${"1 0 obj << /Type /Page >> endobj\n".repeat(3000)}%%EOF\n`);
  // A program pretending to be notes: ELF magic bytes with a Markdown name.
  write("innocent notes.md", new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, ...new Array(200).fill(0)]));
  // 201 MB without writing 201 MB: a sparse file, over the 200 MB limit.
  files["huge module.pdf"] = join(dir, "huge module.pdf");
  const fd = openSync(files["huge module.pdf"], "w");
  ftruncateSync(fd, 201 * 1024 * 1024);
  closeSync(fd);
});

test.afterAll(() => rmSync(dir, { recursive: true, force: true }));

const path = (name: string) => {
  const file = files[name];
  if (!file) throw new Error(`no fixture ${name}`);
  return file;
};

test("upload several files with progress, refuse bad ones, version, attach, download a range, delete", async ({
  page,
  baseURL,
  isMobile,
}) => {
  test.slow();
  const username = uniqueUsername("lib");
  await signUp(page, username, uniquePassword());
  const campaignId = await createCampaignViaHttp(page.request, baseURL, { name: "The Sunken Crown" });

  await page.goto("/library");
  await waitForHydration(page);
  await expect(page.getByRole("heading", { name: /^Storage: 0 B of 1\.0 GB used/ })).toBeVisible();

  // Several at once: each gets its own progress bar, then its row gives way to the file's own
  // row in the list (one row per file, never two) and "uploaded" is said.
  await page
    .locator("#upload-input")
    .setInputFiles([path("Sunken Crown notes.md"), path("Vessa.json"), path("Tomb of Ash.pdf")]);
  const uploads = page.getByRole("list", { name: "Uploads" });
  const finished = page.getByRole("status", { name: "Finished uploads" });
  const list = page.getByRole("list", { name: "Files" });
  for (const name of ["Sunken Crown notes.md", "Vessa.json", "Tomb of Ash.pdf"]) {
    await expect(finished.getByText(`“${name}” uploaded.`)).toBeVisible();
    await expect(list.getByRole("link", { name, exact: true })).toBeVisible();
  }
  await expect(uploads).toHaveCount(0);
  await expect(list.getByRole("link", { name: "Tomb of Ash.pdf", exact: true })).toBeVisible();
  await expect(page.getByRole("heading", { name: /^Storage: \d+ KB of 1\.0 GB used/ })).toBeVisible();

  // Refusals say why, and store nothing.
  await page.locator("#upload-input").setInputFiles([path("huge module.pdf"), path("innocent notes.md")]);
  await expect(uploads.getByText("Too big: 201 MB; the limit is 200 MB a file.")).toBeVisible();
  await expect(
    uploads.getByText(
      "“innocent notes.md” is named like a Markdown file, but its contents are not. It may be damaged or a different kind of file.",
    ),
  ).toBeVisible();
  await expect(list.getByRole("listitem")).toHaveCount(3);

  // The same name again makes version 2; identical bytes are recognised.
  writeFileSync(path("Sunken Crown notes.md"), "# The Sunken Crown\n\nRevised after session 4.\n");
  await page.locator("#upload-input").setInputFiles([path("Sunken Crown notes.md"), path("Vessa.json")]);
  await expect(finished.getByText("“Sunken Crown notes.md” uploaded as version 2.")).toBeVisible();
  await expect(uploads.getByText(/You already have exactly this file: “Vessa\.json” \(version 1\)/)).toBeVisible();
  if (isMobile) await expectNoHorizontalOverflow(page, "/library");

  // The file page: versions, attach to the campaign.
  await list.getByRole("link", { name: "Sunken Crown notes.md", exact: true }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Sunken Crown notes.md");
  await expect(page.getByText("Version 2 (current)")).toBeVisible();
  await expect(page.getByRole("link", { name: "Download version 1" })).toBeVisible();
  // Version 1 is long, repetitive Markdown: stored compressed, and the page gives both sizes (ADR 0028).
  await expect(page.getByText(/^Version 1 · 133 KB \(\d+(\.\d)? (B|KB) stored\) ·/)).toBeVisible();
  if (isMobile) await expectNoHorizontalOverflow(page, "the file page");
  await page.getByLabel("Attach to a campaign").selectOption({ label: "The Sunken Crown" });
  await page.getByRole("button", { name: "Attach", exact: true }).click();
  await expectToast(page, "Attached to “The Sunken Crown”.");
  const fileUrl = new URL(page.url()).pathname;
  const fileKey = fileUrl.split("/").at(-1) ?? "";

  await page.goto(`/campaigns/${campaignId}`);
  await expect(page.getByRole("complementary").getByRole("link", { name: "Sunken Crown notes.md" })).toBeVisible();

  // Range download: the first bytes only, with the original name in the disposition.
  const pdfKey = await (async () => {
    await page.goto("/library");
    const href = await list.getByRole("link", { name: "Tomb of Ash.pdf", exact: true }).getAttribute("href");
    return href?.split("/").at(-1) ?? "";
  })();
  const range = await page.request.get(`/files/${pdfKey}`, { headers: { Range: "bytes=0-7" } });
  expect(range.status()).toBe(206);
  expect(range.headers()["content-range"]).toMatch(/^bytes 0-7\/\d+$/);
  expect(await range.text()).toBe("%PDF-1.7");
  expect(range.headers()["content-disposition"]).toContain("filename*=UTF-8''Tomb%20of%20Ash.pdf");
  const old = await page.request.get(`/files/${fileKey}?v=1&download=1`);
  expect(old.status()).toBe(200);
  expect(await old.text()).toBe(`# The Sunken Crown\n\n${"The abbey bells ring at low tide.\n".repeat(4000)}`);
  // The compressed version: a range of the uploaded bytes, and a revalidation that answers 304.
  const slice = await page.request.get(`/files/${fileKey}?v=1`, { headers: { Range: "bytes=20-52" } });
  expect(slice.status()).toBe(206);
  expect(await slice.text()).toBe("The abbey bells ring at low tide.");
  const etag = old.headers().etag ?? "";
  expect(old.headers()["cache-control"]).toBe("private, max-age=0, must-revalidate");
  const again = await page.request.get(`/files/${fileKey}?v=1&download=1`, { headers: { "If-None-Match": etag } });
  expect(again.status()).toBe(304);

  // Delete: the page says which campaign uses it, then everything goes.
  await page.goto(fileUrl);
  await page.getByText("Delete this file…").click();
  await expect(page.getByText(/This file is used by The Sunken Crown/)).toBeVisible();
  await page.getByRole("button", { name: "Yes, delete this file" }).click();
  await expectToast(page, "“Sunken Crown notes.md” deleted.");
  await expect(list.getByRole("link", { name: "Sunken Crown notes.md", exact: true })).toHaveCount(0);
  expect((await page.request.get(`/files/${fileKey}`)).status()).toBe(404);
  await page.goto(`/campaigns/${campaignId}`);
  await expect(page.getByRole("complementary").getByText("No files attached yet.")).toBeVisible();
});

test("another user gets 404 for every URL of someone's file", async ({ page, baseURL, newClient }) => {
  await signUp(page, uniqueUsername("owner"), uniquePassword());
  const upload = await page.request.put(`/api/files?name=${encodeURIComponent("secret lair.md")}`, {
    headers: { Origin: originOf(baseURL) },
    data: Buffer.from("# The lich's phylactery is under the well."),
  });
  expect(upload.status()).toBe(201);
  const { fileKey } = (await upload.json()) as { fileKey: string };

  const intruder = await newClient();
  await signUp(intruder, uniqueUsername("intruder"), uniquePassword());
  for (const url of [`/files/${fileKey}`, `/files/${fileKey}?download=1`, `/files/${fileKey}?v=1`]) {
    const response = await intruder.request.get(url);
    expect(response.status(), url).toBe(404);
    expect(await response.text()).not.toContain("phylactery");
  }
  const page404 = await intruder.goto(`/library/${fileKey}`);
  expect(page404?.status()).toBe(404);
  await expect(intruder.getByRole("heading", { level: 1 })).toHaveText("Page not found");
  // Guessing the R2 key's path does not help either: only the app's routes serve bytes.
  expect((await intruder.request.get(`/uploads/${fileKey}/v1/secret-lair.md`)).status()).toBe(404);
  const del = await intruder.request.post(`/library/${fileKey}`, {
    headers: { Origin: originOf(baseURL) },
    form: { intent: "delete" },
    maxRedirects: 0,
  });
  expect(del.status()).toBe(404);
  expect((await page.request.get(`/files/${fileKey}`)).status()).toBe(200);
});

test("uploading from a campaign's Files tab stores the file and attaches it", async ({ page, baseURL }) => {
  await signUp(page, uniqueUsername("camp"), uniquePassword());
  const campaignId = await createCampaignViaHttp(page.request, baseURL, { name: "Curse of the Reef" });
  await page.goto(`/campaigns/${campaignId}/files`);
  await waitForHydration(page);
  await page.locator("#upload-input").setInputFiles([path("Tomb of Ash.pdf")]);
  await expect(page.getByText("“Tomb of Ash.pdf” uploaded.")).toBeVisible();
  const attached = page.getByRole("list", { name: "Attached files" });
  await expect(attached.getByRole("link", { name: "Tomb of Ash.pdf", exact: true })).toBeVisible();
  await page.goto("/library");
  await expect(page.getByRole("list", { name: "Files" }).getByText("used by 1 campaign")).toBeVisible();
});

test("Settings shows what the library stores and deletes old versions, without JavaScript too", async ({
  browser,
  baseURL,
  isMobile,
}) => {
  const context = await browser.newContext({
    baseURL,
    javaScriptEnabled: false,
    ...(isMobile ? { viewport: { width: 375, height: 812 }, isMobile: true, hasTouch: true } : {}),
  });
  try {
    const page = await context.newPage();
    await signUp(page, uniqueUsername("gm"), uniquePassword());
    // A new file (201), then a second version of it (200).
    for (const [draft, status] of [
      ["# Prep\n\nThe mill burns.", 201],
      ["# Prep\n\nThe mill burns. The miller escapes by boat.", 200],
    ] as const) {
      const upload = await page.request.put(`/api/files?name=${encodeURIComponent("Prep.md")}`, {
        headers: { Origin: originOf(baseURL) },
        data: Buffer.from(draft),
      });
      expect(upload.status()).toBe(status);
    }
    // Until the new version is ready, search serves the old one, and it is not offered for deletion.
    await expect
      .poll(async () => {
        const { jobs } = (await (await page.request.get("/api/jobs")).json()) as {
          jobs: { fileName: string; version: number; status: string }[];
        };
        return jobs.find((job) => job.fileName === "Prep.md" && job.version === 2)?.status;
      })
      .toBe("ready");
    await page.goto("/settings");
    const storage = page.getByRole("region", { name: "Storage" });
    await expect(storage).toContainText(/of 1\.0 GB used \(under 1%\), in 1 file\./);
    await expect(storage.getByRole("row", { name: /Prep\.md/ })).toContainText("1 · ");
    await expectNoHorizontalOverflow(page, "the storage section");

    await storage.getByText("Delete old versions…").click();
    await storage.getByRole("button", { name: "Yes, delete old versions" }).click();
    await expectToast(page, "Deleted 1 old version, freeing 23 B. Every file keeps its current version.");
    await expect(storage).toContainText("No old versions: every file holds only its current version.");
    await expect(storage.getByRole("row", { name: /Prep\.md/ })).toContainText("—");
  } finally {
    await context.close();
  }
});
