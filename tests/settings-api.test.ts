import { eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { authenticateToken, TokenRefused } from "~/server/api/tokens.server";
import { createCampaign } from "~/server/campaigns/campaigns.server";
import { apiTokens, type User, webhookDeliveries, webhookEndpoints } from "~/server/db/schema";
import { chargeDailyQuota } from "~/server/http/daily-quotas.server";
import { db, newUser, services, sessionCookieFor } from "./helpers";
import { callRoute, routeAt } from "./route-walk";

/**
 * Settings → API and webhooks (app/routes/settings-api.tsx), through its loader and action
 * with the app layout's middleware in front, as React Router runs them: a token and a
 * webhook secret are in the creating POST's response once and nowhere after; another
 * account's ids answer 404 and change nothing; internal webhook addresses are refused.
 */

const URL_HERE = "http://localhost/settings/api";
const route = routeAt("/settings/api");
/** Fails fast wherever a delivery is attempted (`.invalid` never resolves), and passes the SSRF rules. */
const RECEIVER = "https://receiver.example.invalid/loresmith";

interface Person {
  user: User;
  cookie: string;
}

async function person(prefix: string): Promise<Person> {
  const user = await newUser(prefix);
  return { user, cookie: await sessionCookieFor(user) };
}

async function page(who: Person) {
  const response = await callRoute(route, "loader", URL_HERE, { cookie: who.cookie, params: {} });
  if (!response) throw new Error("no loader");
  expect(response.status).toBe(200);
  const text = await response.text();
  return { text, body: JSON.parse(text) as PageData };
}

interface PageData {
  tokens: {
    id: string;
    name: string;
    scopes: string[];
    campaignName: string | null;
    lastUsedAt: number | null;
    expiresAt: number;
  }[];
  endpoints: { id: string; url: string; events: string[]; disabledAt: number | null; deliveries: unknown[] }[];
  usage: { apiCalls: number; questions: number; uploadBytes: number };
  quotas: { apiCalls: number; questions: number; uploadBytes: number };
  resetSeconds: number;
}

function post(who: Person, form: Record<string, string> | [string, string][]) {
  return callRoute(route, "action", URL_HERE, { cookie: who.cookie, params: {}, form }).then((response) => {
    if (!response) throw new Error("no action");
    return response;
  });
}

const cookieNames = (response: Response) => response.headers.getSetCookie().map((c) => c.split("=")[0]);

const tokenForm = (fields: Record<string, string>, scopes: string[]): [string, string][] => [
  ["intent", "create-token"],
  ...Object.entries(fields),
  ...scopes.map((scope): [string, string] => ["scopes", scope]),
];

const webhookForm = (url: string, events: string[]): [string, string][] => [
  ["intent", "create-webhook"],
  ["url", url],
  ...events.map((event): [string, string] => ["events", event]),
];

async function makeToken(who: Person, name: string) {
  const response = await post(who, tokenForm({ name, days: "30" }, ["read"]));
  expect(response.status).toBe(200);
  const body = (await response.json()) as { created: { token: string } };
  const [row] = await db.select().from(apiTokens).where(eq(apiTokens.name, name));
  if (!row) throw new Error("token not stored");
  return { token: body.created.token, id: row.id };
}

async function makeEndpoint(who: Person, url = RECEIVER) {
  const response = await post(who, webhookForm(url, ["entry.created", "entry.updated"]));
  expect(response.status).toBe(200);
  const body = (await response.json()) as { created: { secret: string; url: string } };
  const [row] = await db.select().from(webhookEndpoints).where(eq(webhookEndpoints.secret, body.created.secret));
  if (!row) throw new Error("endpoint not stored");
  return { secret: body.created.secret, id: row.id };
}

/** A delivery whose every retry failed, as the dead-letter consumer leaves it. */
async function failedDelivery(endpointId: string) {
  const eventId = `evt_${[...crypto.getRandomValues(new Uint8Array(12))].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
  await db.insert(webhookDeliveries).values({
    eventId,
    endpointId,
    eventType: "entry.created",
    body: "{}",
    status: "failed",
    attempts: 6,
    responseStatus: 500,
    lastError: "The receiver answered HTTP 500.",
  });
  return eventId;
}

describe("Settings → API: access tokens", () => {
  let gm: Person;
  let stranger: Person;
  beforeAll(async () => {
    gm = await person("api-gm");
    stranger = await person("api-stranger");
  });

  it("sends a signed-out visitor to sign in, and back here afterwards", async () => {
    const response = await callRoute(route, "loader", URL_HERE, { cookie: "", params: {} });
    expect(response?.status).toBe(302);
    expect(response?.headers.get("Location")).toBe("/login?redirectTo=%2Fsettings%2Fapi");
    const write = await callRoute(route, "action", URL_HERE, { cookie: "", params: {}, form: { intent: "x" } });
    expect(write?.status).toBe(302);
  });

  it("shows a new token once, in the POST's response only, and lists it without the secret", async () => {
    const campaign = await createCampaign(db, gm.user.username, {
      name: "Curse of the Mill",
      description: "",
      status: "active",
      tags: [],
    });
    const response = await post(
      gm,
      tokenForm({ name: "Discord bot", days: "90", campaignId: campaign.id }, ["read", "assistant"]),
    );
    expect(response.status).toBe(200);
    const body = (await response.json()) as { intent: string; created: { token: string; name: string } };
    // Nothing of it goes into a cookie: no session flash, no toast (only D1's read-your-writes bookmark).
    expect(cookieNames(response)).toEqual(["__d1"]);
    expect(body.intent).toBe("create-token");
    expect(body.created.name).toBe("Discord bot");
    const { token } = body.created;
    expect(token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    // It is a real token of this account, with what was asked for.
    const caller = await authenticateToken(db, services.apiKeys(), token);
    expect(caller.user.id).toBe(gm.user.id);
    expect(caller.token).toMatchObject({ name: "Discord bot", scopes: ["read", "assistant"], campaignId: campaign.id });
    // The stored row has no copy of it.
    const [row] = await db.select().from(apiTokens).where(eq(apiTokens.id, caller.token.id));
    expect(JSON.stringify(row)).not.toContain(token.split(".")[2]);

    const { text, body: listed } = await page(gm);
    expect(text).not.toContain(token);
    expect(text).not.toContain(token.split(".")[2]);
    const [first] = listed.tokens;
    expect(listed.tokens).toHaveLength(1);
    expect(first).toMatchObject({
      id: caller.token.id,
      name: "Discord bot",
      scopes: ["read", "assistant"],
      campaignName: "Curse of the Mill",
      lastUsedAt: null,
    });
    // 90 days, give or take the test's own run time.
    expect((first?.expiresAt ?? 0) - Date.now()).toBeGreaterThan(89 * 86_400_000);
    // The stranger's page lists none of it.
    const theirs = await page(stranger);
    expect(theirs.body.tokens).toEqual([]);
    expect(theirs.text).not.toContain("Discord bot");
  });

  it("refuses a form it cannot take, saying what to do, and stores nothing", async () => {
    const before = (await page(gm)).body.tokens.length;
    const cases: { form: [string, string][]; field: string; message: RegExp }[] = [
      { form: tokenForm({ name: "No scopes", days: "30" }, []), field: "scopes", message: /at least one thing/ },
      { form: tokenForm({ name: "", days: "30" }, ["read"]), field: "name", message: /Name the token/ },
      { form: tokenForm({ name: "x".repeat(61), days: "30" }, ["read"]), field: "name", message: /under 60/ },
      { form: tokenForm({ name: "Odd lifetime", days: "5" }, ["read"]), field: "days", message: /how long/ },
      { form: tokenForm({ name: "Bad scope", days: "30" }, ["admin"]), field: "scopes", message: /./ },
      {
        form: tokenForm({ name: "Not a campaign", days: "30", campaignId: "nope" }, ["read"]),
        field: "campaignId",
        message: /Choose a campaign/,
      },
    ];
    for (const { form, field, message } of cases) {
      const response = await post(gm, form);
      expect(response.status, field).toBe(400);
      const body = (await response.json()) as { created: null; result: { error: Record<string, string[]> } };
      expect(body.created).toBeNull();
      expect(Object.values(body.result.error).flat().join(" "), field).toMatch(message);
    }
    // A campaign that is someone else's is refused like one that does not exist.
    const theirs = await createCampaign(db, stranger.user.username, {
      name: "Stranger's game",
      description: "",
      status: "active",
      tags: [],
    });
    const response = await post(gm, tokenForm({ name: "Snoop", days: "30", campaignId: theirs.id }, ["read"]));
    expect(response.status).toBe(400);
    const body = (await response.json()) as { result: { error: Record<string, string[]> } };
    expect(body.result.error.campaignId?.join(" ")).toMatch(/Choose one of your campaigns/);
    expect((await page(gm)).body.tokens).toHaveLength(before);
  });

  it("revokes a token at once", async () => {
    const { token, id } = await makeToken(gm, "Backup script");
    const response = await post(gm, { intent: "revoke-token", tokenId: id });
    expect(response.status).toBe(302);
    expect(response.headers.get("Location")).toBe("/settings/api#tokens");
    expect((await page(gm)).body.tokens.map((t) => t.id)).not.toContain(id);
    await expect(authenticateToken(db, services.apiKeys(), token)).rejects.toBeInstanceOf(TokenRefused);
    // Revoking it again: there is no such token any more.
    expect((await post(gm, { intent: "revoke-token", tokenId: id })).status).toBe(404);
  });

  it("answers 404 for another account's token id, or one that is not a token id, and revokes nothing", async () => {
    const { token, id } = await makeToken(gm, "VTT module");
    for (const tokenId of [id, "tok_123", `${id}0`, "", "'; DROP TABLE api_tokens; --"]) {
      const response = await post(stranger, { intent: "revoke-token", tokenId });
      expect(response.status, tokenId).toBe(404);
    }
    expect((await page(gm)).body.tokens.map((t) => t.id)).toContain(id);
    await expect(authenticateToken(db, services.apiKeys(), token)).resolves.toBeDefined();
  });

  it("answers 400 for an intent the page does not have", async () => {
    expect((await post(gm, { intent: "make-me-admin" })).status).toBe(400);
    expect((await post(gm, {})).status).toBe(400);
  });
});

describe("Settings → API: today's usage", () => {
  it("shows what the account used today against the daily quotas, and when they reset", async () => {
    const gm = await person("usage-gm");
    const fresh = (await page(gm)).body;
    expect(fresh.usage).toEqual({ apiCalls: 0, questions: 0, uploadBytes: 0 });
    expect(fresh.quotas).toEqual(services.dailyQuotas);
    expect(fresh.resetSeconds).toBeGreaterThan(0);
    expect(fresh.resetSeconds).toBeLessThanOrEqual(86_400);
    await chargeDailyQuota(services, gm.user.id, "questions", 3);
    await chargeDailyQuota(services, gm.user.id, "uploadBytes", 2048);
    expect((await page(gm)).body.usage).toEqual({ apiCalls: 0, questions: 3, uploadBytes: 2048 });
  });
});

describe("Settings → API: webhooks", () => {
  let gm: Person;
  let stranger: Person;
  beforeAll(async () => {
    gm = await person("hooks-gm");
    stranger = await person("hooks-stranger");
  });

  it("refuses internal and plain-http addresses with the reason, and stores nothing", async () => {
    const cases: [string, RegExp][] = [
      ["https://192.168.1.10/hook", /private or reserved/],
      ["https://10.0.0.7/hook", /private or reserved/],
      ["https://169.254.169.254/latest/meta-data", /private or reserved/],
      ["https://[::1]/hook", /private or reserved/],
      ["https://localhost/hook", /private network/],
      ["https://printer.local/hook", /private network/],
      ["http://127.0.0.1:8080/hook", /https:\/\//],
      ["http://hooks.example.com/hook", /https:\/\//],
      ["https://user:pass@hooks.example.com/hook", /user name and password/],
    ];
    for (const [url, message] of cases) {
      const response = await post(gm, webhookForm(url, ["entry.created"]));
      expect(response.status, url).toBe(400);
      const body = (await response.json()) as { created: null; result: { error: Record<string, string[]> } };
      expect(body.created, url).toBeNull();
      expect(body.result.error.url?.join(" "), url).toMatch(message);
    }
    const notUrl = await post(gm, webhookForm("not an address", ["entry.created"]));
    expect(notUrl.status).toBe(400);
    const noEvents = await post(gm, webhookForm(RECEIVER, []));
    const noEventsBody = (await noEvents.json()) as { result: { error: Record<string, string[]> } };
    expect(noEventsBody.result.error.events?.join(" ")).toMatch(/at least one event/);
    const unknownEvent = await post(gm, webhookForm(RECEIVER, ["user.deleted"]));
    expect(unknownEvent.status).toBe(400);
    expect((await page(gm)).body.endpoints).toEqual([]);
  });

  it("shows the signing secret once, and lists the endpoint without it", async () => {
    const response = await post(gm, webhookForm(RECEIVER, ["entry.created", "file.ready"]));
    expect(response.status).toBe(200);
    expect(cookieNames(response)).toEqual(["__d1"]);
    const body = (await response.json()) as { created: { secret: string; url: string } };
    expect(body.created.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(body.created.url).toBe(RECEIVER);
    const { text, body: listed } = await page(gm);
    expect(text).not.toContain(body.created.secret);
    expect(text).not.toContain(body.created.secret.slice(6));
    expect(listed.endpoints).toHaveLength(1);
    expect(listed.endpoints[0]).toMatchObject({
      url: RECEIVER,
      events: ["entry.created", "file.ready"],
      disabledAt: null,
      deliveries: [],
    });
    expect(Object.keys(listed.endpoints[0] ?? {})).not.toContain("secret");
  });

  it("sends a test event, enables a disabled endpoint again, resends a failed delivery and deletes", async () => {
    const { id } = await makeEndpoint(gm);
    const test = await post(gm, { intent: "test-webhook", endpointId: id });
    expect(test.status).toBe(302);
    expect(test.headers.get("Location")).toBe(`/settings/api#${id}`);
    const [sent] = await db.select().from(webhookDeliveries).where(eq(webhookDeliveries.endpointId, id));
    expect(sent?.eventType).toBe("webhook.test");

    await db
      .update(webhookEndpoints)
      .set({ disabledAt: Date.now(), disabledReason: "Disabled after 5 deliveries in a row failed." })
      .where(eq(webhookEndpoints.id, id));
    const refused = await post(gm, { intent: "test-webhook", endpointId: id });
    expect(refused.status).toBe(409);
    expect(await refused.json()).toEqual({
      intent: "endpoint-refused",
      endpointId: id,
      error: expect.stringMatching(/Enable it/),
    });
    const enabled = await post(gm, { intent: "enable-webhook", endpointId: id });
    expect(enabled.status).toBe(302);
    expect((await page(gm)).body.endpoints.find((e) => e.id === id)?.disabledAt).toBeNull();

    const eventId = await failedDelivery(id);
    const resent = await post(gm, { intent: "resend-delivery", endpointId: id, eventId });
    expect(resent.status).toBe(302);
    const [again] = await db.select().from(webhookDeliveries).where(eq(webhookDeliveries.eventId, eventId));
    expect(again?.status).not.toBe("failed");

    const deleted = await post(gm, { intent: "delete-webhook", endpointId: id });
    expect(deleted.status).toBe(302);
    expect((await page(gm)).body.endpoints.map((e) => e.id)).not.toContain(id);
    expect(await db.select().from(webhookDeliveries).where(eq(webhookDeliveries.endpointId, id))).toEqual([]);
  });

  it("answers 404 for another account's endpoint or delivery, and changes nothing", async () => {
    const { id } = await makeEndpoint(gm);
    const eventId = await failedDelivery(id);
    await db
      .update(webhookEndpoints)
      .set({ disabledAt: 1, disabledReason: "Disabled for the test." })
      .where(eq(webhookEndpoints.id, id));
    const attempts: Record<string, string>[] = [
      { intent: "delete-webhook", endpointId: id },
      { intent: "enable-webhook", endpointId: id },
      { intent: "test-webhook", endpointId: id },
      { intent: "resend-delivery", endpointId: id, eventId },
      { intent: "delete-webhook", endpointId: "wh_nope" },
      { intent: "resend-delivery", endpointId: id, eventId: "evt_nope" },
    ];
    for (const form of attempts) {
      const response = await post(stranger, form);
      expect(response.status, JSON.stringify(form)).toBe(404);
    }
    // Nor may the owner resend a delivery of theirs under an id that is not one.
    expect((await post(gm, { intent: "resend-delivery", endpointId: id, eventId: `${eventId}x` })).status).toBe(404);
    const [endpoint] = await db.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, id));
    expect(endpoint?.disabledAt).toBe(1);
    const deliveries = await db.select().from(webhookDeliveries).where(eq(webhookDeliveries.endpointId, id));
    expect(deliveries.map((d) => [d.eventId, d.status])).toEqual([[eventId, "failed"]]);
    expect((await page(stranger)).body.endpoints).toEqual([]);
  });
});
