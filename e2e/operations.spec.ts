import {
  createAccountViaHttp,
  createCampaignViaHttp,
  expect,
  expectNoHorizontalOverflow,
  originOf,
  test,
  uniquePassword,
  uniqueUsername,
} from "./fixtures";

/**
 * The operations page in a browser, as an operator (named by e2e/web-server.mjs) sees it
 * after some traffic and a cron run: charts with data, the tables beside them, an alert
 * that fires (the KV threshold is set low for the suite), and 404 for everyone else.
 */
test("an operator sees charts, tables and a firing alert; anyone else gets 404", async ({
  page,
  baseURL,
}, testInfo) => {
  const username = `ops-${testInfo.project.name}-${testInfo.retry}`;
  await createAccountViaHttp(page.request, baseURL, username, uniquePassword());
  const campaignId = await createCampaignViaHttp(page.request, baseURL, { name: "Ops Watch" });
  for (const path of ["/home", "/campaigns", `/campaigns/${campaignId}`, "/library", "/search?q=dragon"]) {
    expect((await page.request.get(path)).status()).toBe(200);
  }
  // The cron samples storage and evaluates the alerts (locally run on request).
  expect((await page.request.post("/__cron", { headers: { Origin: originOf(baseURL) } })).ok()).toBe(true);

  await page.goto("/operations");
  await expect(page.getByRole("heading", { level: 1, name: "Operations" })).toBeVisible();
  await expect(page.getByText("You are an operator by username alone.")).toBeVisible();

  const kvAlert = page.locator('[data-alert="kv_usage"]');
  await expect(kvAlert).toContainText("KV operations (last 24 hours)");
  await expect(kvAlert).toContainText("Firing since");
  await expect(page.locator('[data-alert="d1_latency"]')).toContainText("OK");

  // Charts drawn with data: an SVG image per chart, described in words.
  const latency = page.getByRole("img", { name: /^Request latency: p50: latest/ });
  await expect(latency).toBeVisible();
  await expect(page.getByRole("img", { name: /^D1 statement latency: p50: latest/ })).toBeVisible();
  await expect(page.getByRole("img", { name: /^KV hit rate: hit rate: latest \d+%/ })).toBeVisible();
  await expect(page.getByRole("img", { name: /^p95 of the busiest statements: select / })).toBeVisible();
  await expect(page.getByRole("table", { name: "Statements, by total time" })).toContainText("select user_devices");
  // Named by route pattern and status class (other tests' traffic shares the server: any route will do).
  await expect(page.getByRole("table", { name: "Busiest routes" })).toContainText(/(GET|POST) \/\S*\s*[2-5]xx/);
  await expect(page.getByRole("table", { name: "Reads by namespace" })).toContainText("SESSIONS");

  // The day window, by a plain link.
  await page.getByRole("link", { name: "Last day" }).click();
  await expect(page).toHaveURL(/window=day$/);
  await expect(page.getByRole("link", { name: "Last day" })).toHaveAttribute("aria-current", "page");
  await expect(page.getByText("last day, per 15 minutes")).toBeVisible();
  await expectNoHorizontalOverflow(page, "the operations page");

  // Someone else: the page does not exist for them.
  const other = await page.context().browser()?.newContext();
  if (!other) throw new Error("no browser");
  const stranger = await other.newPage();
  await createAccountViaHttp(stranger.request, baseURL, uniqueUsername("notops"), uniquePassword());
  expect((await stranger.request.get("/operations")).status()).toBe(404);
  await other.close();
});
