import { randomBytes, randomInt } from "node:crypto";
import { type APIRequestContext, test as base, expect, type Locator, type Page, type Response } from "@playwright/test";

/**
 * Shared fixtures and steps for the e2e suite.
 *
 * Sign-in throttling counts failures per username and per client, and the client is the
 * `CF-Connecting-IP` header. Every test therefore gets its own random client address (and
 * makes its own usernames), so tests running in parallel never lock each other out.
 */

/** A username nobody else in this run has: lower case, within the 3–32 character rule. */
export function uniqueUsername(prefix = "e2e"): string {
  return `${prefix}-${randomBytes(6).toString("hex")}`;
}

/** A fresh password that satisfies the ≥ 10 characters rule. */
export function uniquePassword(): string {
  return `pw-${randomBytes(9).toString("base64url")}`;
}

/** A random private IPv4 address, used as this client's identity for throttling. */
export function randomClientIp(): string {
  return `10.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`;
}

export interface Fixtures {
  /** The CF-Connecting-IP this test's browser context and `request` send. */
  clientIp: string;
  /** Opens a page in a new browser context that is another client (its own IP and cookies). */
  newClient: () => Promise<Page>;
}

/**
 * workerd closes a kept-alive connection after 5 s without a request, and a request sent on it
 * at that very moment meets ECONNRESET before the server has read it. Browsers send such a
 * request again; Playwright's API client does so only when asked. Every API request of the
 * suite is asked to, once.
 */
function retryingResets(api: APIRequestContext): APIRequestContext {
  const methods = new Set(["get", "post", "put", "patch", "delete", "head", "fetch"]);
  return new Proxy(api, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== "function") return value;
      if (typeof property === "string" && methods.has(property)) {
        return (url: unknown, options: Record<string, unknown> = {}) =>
          value.call(target, url, { maxRetries: 1, ...options });
      }
      return value.bind(target);
    },
  });
}

function withRetryingRequests(page: Page): Page {
  Object.defineProperty(page, "request", { value: retryingResets(page.request), configurable: true });
  return page;
}

export const test = base.extend<Fixtures>({
  // biome-ignore lint/correctness/noEmptyPattern: Playwright fixtures take a destructured first argument.
  clientIp: async ({}, use) => {
    await use(randomClientIp());
  },
  extraHTTPHeaders: async ({ extraHTTPHeaders, clientIp }, use) => {
    await use({ ...extraHTTPHeaders, "CF-Connecting-IP": clientIp });
  },
  request: async ({ request }, use) => {
    await use(retryingResets(request));
  },
  page: async ({ page }, use) => {
    await use(withRetryingRequests(page));
  },
  newClient: async ({ browser, baseURL, viewport, isMobile, hasTouch, deviceScaleFactor, javaScriptEnabled }, use) => {
    const contexts: Awaited<ReturnType<typeof browser.newContext>>[] = [];
    await use(async () => {
      const context = await browser.newContext({
        baseURL,
        viewport,
        isMobile,
        hasTouch,
        deviceScaleFactor,
        javaScriptEnabled,
        extraHTTPHeaders: { "CF-Connecting-IP": randomClientIp() },
      });
      contexts.push(context);
      return withRetryingRequests(await context.newPage());
    });
    for (const context of contexts) await context.close();
  },
});

export { expect };

/** The Origin a same-site form post carries; non-GET requests without it are refused. */
export function originOf(baseURL: string | undefined): string {
  if (!baseURL) throw new Error("baseURL is not configured (playwright.config.ts).");
  return new URL(baseURL).origin;
}

/**
 * Creates an account with a plain form post (no UI), for tests about something else. With
 * `page.request` the new session cookie lands in that page's browser context (signed in).
 */
export async function createAccountViaHttp(
  request: APIRequestContext,
  baseURL: string | undefined,
  username: string,
  password: string,
): Promise<void> {
  const response = await request.post("/signup", {
    headers: { Origin: originOf(baseURL) },
    form: { username, password, confirmPassword: password },
    maxRedirects: 0,
  });
  expect(response.status(), `sign-up of ${username} should redirect`).toBe(302);
  expect(response.headers().location).toBe("/settings/recovery-codes?welcome=1");
}

/** Fills and submits the sign-up form (the page must be on /signup). */
export async function fillSignUp(page: Page, username: string, password: string, confirmPassword = password) {
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByLabel("Repeat the password").fill(confirmPassword);
  await page.getByRole("button", { name: "Create account" }).click();
}

/** Signs up through the form and checks the welcome page. */
export async function signUp(page: Page, username: string, password: string) {
  await page.goto("/signup");
  await fillSignUp(page, username, password);
  // First the recovery codes, shown once, then home.
  await expect(page).toHaveURL(/\/settings\/recovery-codes\?welcome=1$/);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(`Welcome, ${username}`);
  await expect(page.getByRole("list", { name: "Your recovery codes" }).getByRole("listitem")).toHaveCount(10);
  await page.getByRole("link", { name: "I have saved them — continue" }).click();
  await expect(page).toHaveURL(/\/home$/);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(`Welcome, ${username}`);
}

/**
 * Fills and submits the sign-in form (the page must be on /login) and waits until the
 * server has answered, so that consecutive attempts are really counted one by one.
 */
export async function submitSignIn(page: Page, username: string, password: string): Promise<Response> {
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password", { exact: true }).fill(password);
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === "POST" && new URL(r.url()).pathname.startsWith("/login")),
    page.getByRole("button", { name: "Sign in", exact: true }).click(),
  ]);
  return response;
}

/** The form-level error of the page's current form (role="alert"). */
export function formError(page: Page): Locator {
  return page.getByRole("alert");
}

/** Signs in through the form and waits for the signed-in page it lands on. */
export async function signIn(page: Page, username: string, password: string) {
  await page.goto("/login");
  await submitSignIn(page, username, password);
  await expect(page).toHaveURL(/\/home$/);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(`Welcome, ${username}`);
}

/** The "Menu" disclosure (a <summary>, which has no ARIA role) shown below 1024 px. */
export function menuToggle(page: Page): Locator {
  return page.locator("summary").filter({ hasText: /^Menu$/ });
}

/**
 * The visible main navigation. On a phone it lives in the closed "Menu" disclosure, so
 * this opens it first (and checks that it is needed: the nav is hidden until then).
 */
export async function openMainNav(page: Page, isMobile: boolean): Promise<Locator> {
  const nav = page.getByRole("navigation", { name: "Main" });
  if (isMobile) {
    await expect(nav).toBeHidden();
    await menuToggle(page).click();
  } else {
    await expect(menuToggle(page)).toBeHidden();
  }
  await expect(nav).toBeVisible();
  return nav;
}

/** Signs out with the header button (through the Menu on a phone). */
export async function signOut(page: Page, isMobile: boolean) {
  const button = page.getByRole("button", { name: "Sign out", exact: true });
  if (isMobile) {
    await expect(button).toBeHidden();
    await menuToggle(page).click();
  }
  await button.click();
  await expect(page).toHaveURL(/\/login\?signedOut=1$/);
  await expect(page.getByRole("status")).toHaveText("You are signed out.");
}

/**
 * Checks the one-shot message a redirect carried ("Campaign saved."): the role="status"
 * toast, whose text is the message (besides its "Dismiss message" button).
 */
export async function expectToast(page: Page, message: string) {
  await expect(page.getByRole("status").getByText(message, { exact: true })).toBeVisible();
}

/** The toast after renaming an entry or character: saved, and the old name kept for links (ADR 0035). */
export function renamedToast(saved: string, oldName: string): string {
  return `${saved} Links to “${oldName}” still work: the old name is now under Also known as, which anyone who can see this can read.`;
}

/** The bits of the DOM the overflow check reads (tsconfig.node.json has no DOM typings). */
interface ScrollBox {
  scrollWidth: number;
  clientWidth: number;
}

/** Fails when the page scrolls sideways (something is wider than the viewport). */
export async function expectNoHorizontalOverflow(page: Page, where: string) {
  const sizes = await page.evaluate(() => {
    const { document } = globalThis as unknown as {
      document: { scrollingElement: ScrollBox | null; documentElement: ScrollBox };
    };
    const root = document.scrollingElement ?? document.documentElement;
    return { scrollWidth: root.scrollWidth, clientWidth: root.clientWidth };
  });
  expect(sizes.scrollWidth, `horizontal overflow on ${where}`).toBeLessThanOrEqual(sizes.clientWidth);
}

/**
 * Posts a form like a browser without JavaScript would (same-site Origin, no redirects
 * followed) and returns the redirect's target. For setting up data a test is not about.
 */
export async function postFormExpectingRedirect(
  request: APIRequestContext,
  baseURL: string | undefined,
  path: string,
  form: Record<string, string>,
): Promise<string> {
  const response = await request.post(path, { headers: { Origin: originOf(baseURL) }, form, maxRedirects: 0 });
  expect(response.status(), `POST ${path} should redirect (body: ${(await response.text()).slice(0, 200)})`).toBe(302);
  const location = response.headers().location;
  if (!location) throw new Error(`POST ${path} redirected without a Location header.`);
  return location;
}

/** Creates a campaign of the signed-in user behind `request`; returns its id. */
export async function createCampaignViaHttp(
  request: APIRequestContext,
  baseURL: string | undefined,
  fields: { name: string; status?: string } & Record<string, string>,
): Promise<string> {
  const location = await postFormExpectingRedirect(request, baseURL, "/campaigns/new", {
    status: "planning",
    ...fields,
  });
  const id = /^\/campaigns\/([^/?]+)$/.exec(location)?.[1];
  if (!id) throw new Error(`Unexpected redirect after creating a campaign: ${location}`);
  return id;
}

/** Adds a context entry to a campaign of the user behind `request`; returns its id. */
export async function createContextEntryViaHttp(
  request: APIRequestContext,
  baseURL: string | undefined,
  campaignId: string,
  fields: { title: string; contextType?: string } & Record<string, string>,
): Promise<string> {
  const path = `/campaigns/${campaignId}/context`;
  const location = await postFormExpectingRedirect(request, baseURL, `${path}/new`, { contextType: "lore", ...fields });
  const id = new RegExp(`^${path}/(\\d+)$`).exec(location)?.[1];
  if (!id) throw new Error(`Unexpected redirect after adding an entry: ${location}`);
  return id;
}

/** Adds a character to a campaign of the user behind `request`; returns its id. */
export async function createCharacterViaHttp(
  request: APIRequestContext,
  baseURL: string | undefined,
  campaignId: string,
  fields: { characterName: string } & Record<string, string>,
): Promise<string> {
  const path = `/campaigns/${campaignId}/characters`;
  const location = await postFormExpectingRedirect(request, baseURL, `${path}/new`, {
    characterType: "npc",
    status: "alive",
    ...fields,
  });
  const id = new RegExp(`^${path}/(\\d+)$`).exec(location)?.[1];
  if (!id) throw new Error(`Unexpected redirect after adding a character: ${location}`);
  return id;
}

/**
 * Waits until React has hydrated the page after a full load. Typing earlier is not safe:
 * hydration resets a <textarea> (and a <select>) to the value the server rendered, and a
 * click before it posts the form natively instead of through React Router.
 */
export async function waitForHydration(page: Page) {
  await page
    .waitForFunction(
      () => {
        const { document } = globalThis as unknown as { document: { getElementById(id: string): object | null } };
        const main = document.getElementById("main");
        // React tags each DOM node it has hydrated with an internal "__reactFiber$…" key.
        return main !== null && Object.keys(main).some((key) => key.startsWith("__reactFiber$"));
      },
      undefined,
      { timeout: 15_000 },
    )
    .catch((error: Error) => {
      throw new Error(
        `${page.url()} did not hydrate (did its scripts load? a rebuild during the run?): ${error.message}`,
      );
    });
}
