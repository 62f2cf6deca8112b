import type { Page } from "@playwright/test";
import {
  createAccountViaHttp,
  expect,
  menuToggle,
  openMainNav,
  originOf,
  submitSignIn,
  test,
  uniquePassword,
  uniqueUsername,
} from "./fixtures";

/** The sections of the signed-in app, in the order of the main navigation. */
const SECTIONS = [
  { name: "Campaigns", path: "/campaigns" },
  { name: "Library", path: "/library" },
  { name: "Search", path: "/search" },
  { name: "Assistant", path: "/assistant" },
  { name: "Settings", path: "/settings" },
];

/** The bits of the DOM the overflow check reads (tsconfig.node.json has no DOM typings). */
interface ScrollBox {
  scrollWidth: number;
  clientWidth: number;
}

async function expectNoHorizontalOverflow(page: Page, where: string) {
  const sizes = await page.evaluate(() => {
    const { document } = globalThis as unknown as {
      document: { scrollingElement: ScrollBox | null; documentElement: ScrollBox };
    };
    const root = document.scrollingElement ?? document.documentElement;
    return { scrollWidth: root.scrollWidth, clientWidth: root.clientWidth };
  });
  expect(sizes.scrollWidth, `horizontal overflow on ${where}`).toBeLessThanOrEqual(sizes.clientWidth);
}

test("signed-in navigation reaches every section, each saying what it is for", async ({ page, baseURL, isMobile }) => {
  const username = uniqueUsername();
  await createAccountViaHttp(page.request, baseURL, username, uniquePassword());
  await page.goto("/home");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(`Welcome, ${username}`);
  if (isMobile) await expectNoHorizontalOverflow(page, "/home");

  for (const section of SECTIONS) {
    await test.step(section.name, async () => {
      const nav = await openMainNav(page, isMobile);
      const link = nav.getByRole("link", { name: section.name, exact: true });
      // The phone menu also carries the quick switcher, which the desktop header shows as a button.
      const links = SECTIONS.map((s) => s.name).concat(isMobile ? ["Jump to…"] : []);
      await expect(nav.getByRole("link")).toHaveText(links);
      if (isMobile) await expectNoHorizontalOverflow(page, `${page.url()} with the menu open`);
      await link.click();

      await expect(page).toHaveURL(new RegExp(`${section.path}$`));
      await expect(page).toHaveTitle(new RegExp(`^${section.name} — LoreSmith AI$`));
      await expect(page.getByRole("heading", { level: 1 })).toHaveText(section.name);
      const main = page.getByRole("main");
      if (section.path === "/settings") {
        await expect(main.getByRole("heading", { level: 2, name: "Change password" })).toBeVisible();
        await expect(main.getByRole("heading", { level: 2, name: "Danger zone" })).toBeVisible();
        await expect(main.getByRole("heading", { level: 3, name: "Delete account" })).toBeVisible();
      } else if (section.path === "/campaigns") {
        // Built (e2e/campaigns.spec.ts covers it): an empty list with the way to start one.
        await expect(main.getByRole("link", { name: "New campaign" })).toBeVisible();
        await expect(main.getByText("No campaigns yet.")).toBeVisible();
      } else if (section.path === "/library") {
        // Built (e2e/library.spec.ts covers it): the storage meter and the upload area.
        await expect(main.getByRole("heading", { name: /^Storage: 0 B of 1\.0 GB used/ })).toBeVisible();
        await expect(main.getByText("Drop files here, or tap to choose")).toBeVisible();
      } else if (section.path === "/search") {
        // Built (e2e/search-assistant.spec.ts covers it): the search box, and how to use it.
        await expect(main.getByRole("searchbox", { name: "Search your material" })).toBeVisible();
        await expect(main.getByText(/^Type a question or a few words/)).toBeVisible();
      } else if (section.path === "/assistant") {
        // Built (e2e/search-assistant.spec.ts covers it): with no campaign yet, the way to start one.
        await expect(main.getByText("The assistant answers per campaign.")).toBeVisible();
        await expect(main.getByRole("link", { name: "Create a campaign" })).toBeVisible();
      } else {
        throw new Error(`no check for ${section.path}: add one`);
      }

      if (isMobile) {
        // The menu closes once a link was followed, and nothing is wider than the phone.
        await expect(page.getByRole("navigation", { name: "Main" })).toBeHidden();
        await expectNoHorizontalOverflow(page, section.path);
      }
      // The current section is marked in the navigation.
      const current = (await openMainNav(page, isMobile)).getByRole("link", { name: section.name, exact: true });
      await expect(current).toHaveAttribute("aria-current", "page");
      if (isMobile) await menuToggle(page).click();
    });
  }
});

test("the longest username fits: it wraps on a phone and the header keeps Sign out on screen", async ({
  page,
  baseURL,
  isMobile,
}) => {
  const username = uniqueUsername("a-rather-long-game-master").slice(0, 32);
  expect(username).toHaveLength(32);
  await createAccountViaHttp(page.request, baseURL, username, uniquePassword());
  const signOut = page.getByRole("banner").getByRole("button", { name: "Sign out", exact: true });
  // A phone, and on a desktop the narrowest width with the full header and the one where the name joins it.
  for (const width of isMobile ? [375] : [1024, 1280]) {
    if (!isMobile) await page.setViewportSize({ width, height: 800 });
    for (const path of ["/home", "/settings"]) {
      await page.goto(path);
      await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
      await expectNoHorizontalOverflow(page, `${path} at ${width} px`);
      if (isMobile) await openMainNav(page, isMobile);
      await expect(signOut, `Sign out at ${width} px`).toBeInViewport({ ratio: 1 });
    }
  }
});

test("an unknown address shows the friendly 404 page", async ({ page }) => {
  const response = await page.goto("/no-such-page/really");
  expect(response?.status()).toBe(404);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Page not found");
  await expect(page.getByRole("link", { name: "Go to the start page" })).toHaveAttribute("href", "/");
});

test("a signed-out visit to a signed-in page signs in and comes back", async ({ page, request, baseURL }) => {
  const username = uniqueUsername();
  const password = uniquePassword();
  await createAccountViaHttp(request, baseURL, username, password);

  await page.goto("/settings");
  await expect(page).toHaveURL(/\/login\?redirectTo=%2Fsettings$/);
  await submitSignIn(page, username, password);
  await expect(page).toHaveURL(/\/settings$/);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Settings");
});

test("HTML responses carry a nonce-based CSP and the hardening headers", async ({ page, request }) => {
  const first = await request.get("/");
  expect(first.status()).toBe(200);
  const headers = first.headers();
  const csp = headers["content-security-policy"] ?? "";
  const nonce = /script-src [^;]*'nonce-([A-Za-z0-9+/=]+)'/.exec(csp)?.[1];
  expect(nonce, `a script nonce in: ${csp}`).toBeTruthy();
  expect(csp).not.toContain("'unsafe-inline'");
  expect(csp).toMatch(/(^|;\s*)frame-ancestors 'none'(;|$)/);
  expect(headers["x-content-type-options"]).toBe("nosniff");
  expect(headers["referrer-policy"]).toBeTruthy();

  // Every inline script carries this response's nonce, and the nonce changes per response.
  const html = await first.text();
  const scriptNonces = [...html.matchAll(/<script\b[^>]*\bnonce="([^"]*)"/g)].map((m) => m[1]);
  expect(scriptNonces.length).toBeGreaterThan(0);
  expect(new Set(scriptNonces)).toEqual(new Set([nonce]));
  const second = await request.get("/");
  expect(second.headers()["content-security-policy"]).not.toContain(`'nonce-${nonce}'`);

  // The browser runs the page under that policy without a single violation.
  const violations: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error" && /Content Security Policy/i.test(message.text())) violations.push(message.text());
  });
  await page.goto("/");
  await expect(page.getByRole("link", { name: "Create your account" })).toBeVisible();
  await page.getByRole("link", { name: "Create your account" }).click();
  await expect(page).toHaveURL(/\/signup$/);
  expect(violations).toEqual([]);
});

test("a cross-site POST is refused with 403", async ({ request, baseURL }) => {
  const form = { username: uniqueUsername(), password: "not-the-password" };
  const crossSite = await request.post("/login", { headers: { Origin: "https://evil.example" }, form });
  expect(crossSite.status()).toBe(403);
  // The same post from the site itself is answered normally (here: wrong credentials).
  const sameSite = await request.post("/login", { headers: { Origin: originOf(baseURL) }, form });
  expect(sameSite.status()).toBe(401);
});

test("the skip link is the first thing Tab reaches", async ({ page }) => {
  await page.goto("/");
  await page.keyboard.press("Tab");
  const skip = page.getByRole("link", { name: "Skip to content" });
  await expect(skip).toBeFocused();
  await expect(skip).toBeVisible();
  await expect(skip).toHaveAttribute("href", "#main");
  await expect(page.locator("#main")).toHaveCount(1);
});
