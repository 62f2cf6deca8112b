import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { Webhook } from "standardwebhooks";
import { createAccountViaHttp, createCampaignViaHttp, expect, test, uniquePassword, uniqueUsername } from "./fixtures";

/**
 * The public API end to end, from the server `npm start` runs: a GM makes a token in
 * Settings, a program calls the API with it (plain HTTP, as curl would), a webhook receiver
 * on this machine is registered, and an entry made through the API reaches it, signed so
 * that the Standard Webhooks reference verifier accepts it.
 */

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

async function startReceiver() {
  const received: Received[] = [];
  const server = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk) => {
      body += chunk;
    });
    request.on("end", () => {
      received.push({ headers: request.headers, body });
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/loresmith`, received, close: () => server.close() };
}

test("a token made in Settings opens the API, and an entry made through it is delivered to a webhook, signed", async ({
  page,
  request,
  baseURL,
  isMobile,
}) => {
  test.skip(
    isMobile,
    "Server behaviour, the same at any width; the Settings page's phone layout is in the screenshots.",
  );
  const receiver = await startReceiver();
  try {
    const username = uniqueUsername("api");
    await createAccountViaHttp(page.request, baseURL, username, uniquePassword());
    const campaignId = await createCampaignViaHttp(page.request, baseURL, { name: "The Sunken Crown" });

    // A token, made in the browser and shown once.
    await page.goto("/settings/api");
    await page.getByLabel("Name").fill("Table bot");
    for (const scope of ["Read", "Write"]) await page.getByRole("checkbox", { name: new RegExp(`^${scope}`) }).check();
    await page.getByRole("button", { name: "Make token" }).click();
    const token = await page.getByLabel("API token").inputValue();
    expect(token).toMatch(/^eyJ[\w-]+\.[\w-]+\.[\w-]+$/);

    // A receiver on this machine (allowed on a GM's own server), told of new entries.
    await page.getByLabel("Address that receives the events").fill(receiver.url);
    await page.getByRole("checkbox", { name: /A context entry is added/ }).check();
    await page.getByRole("button", { name: "Add endpoint" }).click();
    const secret = await page.getByLabel("Signing secret").inputValue();
    expect(secret).toMatch(/^whsec_/);

    // The program's side: plain HTTP with the bearer token, no cookie.
    const auth = { Authorization: `Bearer ${token}` };
    const campaigns = await request.get("/api/v1/campaigns", { headers: auth });
    expect(campaigns.status()).toBe(200);
    expect((await campaigns.json()).data.map((c: { id: string }) => c.id)).toContain(campaignId);
    expect(campaigns.headers().ratelimit).toMatch(/^"daily-api-calls";r=\d+;t=\d+$/);
    const created = await request.post(`/api/v1/campaigns/${campaignId}/entries`, {
      headers: auth,
      data: {
        contextType: "lore",
        title: "The bell of Saint Orlo",
        content: "It rings at the turn of the tide.",
        audience: "gm",
      },
    });
    expect(created.status()).toBe(201);
    const entry = await created.json();
    const unauthenticated = await request.get("/api/v1/campaigns");
    expect(unauthenticated.status()).toBe(401);
    expect((await unauthenticated.json()).error.code).toBe("unauthorized");

    // The delivery: through the queue, signed, verified by the reference implementation.
    await expect.poll(() => receiver.received.length, { timeout: 20_000 }).toBeGreaterThan(0);
    const [delivery] = receiver.received;
    const headers = Object.fromEntries(
      Object.entries(delivery?.headers ?? {}).map(([name, value]) => [name, String(value)]),
    );
    const event = new Webhook(secret).verify(delivery?.body ?? "", headers) as {
      type: string;
      data: { campaignId: string; entry: { id: number; title: string } };
    };
    expect(event.type).toBe("entry.created");
    expect(event.data).toMatchObject({ campaignId, entry: { id: entry.id, title: "The bell of Saint Orlo" } });
    expect(() =>
      new Webhook(`whsec_${btoa("not the secret, not at all!!")}`).verify(delivery?.body ?? "", headers),
    ).toThrow();

    // Settings shows the delivery and the token's last use.
    await page.reload();
    const endpoint = page.getByRole("list", { name: "Your webhook endpoints" });
    await expect(endpoint.getByText("entry.created").first()).toBeVisible();
    await expect(endpoint.getByText(/Delivered/).first()).toBeVisible();
    await expect(page.getByRole("list", { name: "Your tokens" })).not.toContainText("never");
  } finally {
    receiver.close();
  }
});
