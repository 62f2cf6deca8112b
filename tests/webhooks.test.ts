import { createExecutionContext, createMessageBatch, env, getQueueResult } from "cloudflare:test";
import { and, eq, gt, inArray, sql } from "drizzle-orm";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { type WebhookEvent, webhookEvents } from "~/lib/api";
import { campaignSchema, characterSchema, contextEntrySchema } from "~/lib/campaign-schemas";
import { type AttemptOrigin, deleteAccount } from "~/server/auth/accounts.server";
import {
  createCampaign,
  deleteCampaign,
  setCampaignStatus,
  touchCampaign,
  updateCampaign,
} from "~/server/campaigns/campaigns.server";
import { createCharacter, deleteCharacter, updateCharacter } from "~/server/campaigns/characters.server";
import { createContextEntry, deleteContextEntry, updateContextEntry } from "~/server/campaigns/context-entries.server";
import { VersionConflictError } from "~/server/campaigns/errors.server";
import { reveal } from "~/server/campaigns/reveals.server";
import {
  type Campaign,
  campaignContext,
  campaigns,
  fileMetadata,
  type User,
  type WebhookEndpoint,
  webhookDeliveries,
  webhookEndpoints,
  webhookOutbox,
} from "~/server/db/schema";
import { Refusal } from "~/server/http/responses.server";
import { webhookServices } from "~/server/services.server";
import {
  type DeliveryMessage,
  DISABLE_AFTER_DEAD,
  deliverWebhooks,
  drainWebhookOutbox,
  RETRY_DELAYS_S,
  recordDeadDeliveries,
  requeueStalledDeliveries,
  resendDelivery,
  sendTestEvent,
  webhookBody,
} from "~/server/webhooks/delivery.server";
import { createWebhookEndpoint, enableWebhookEndpoint, listWebhookEndpoints } from "~/server/webhooks/endpoints.server";
import { webhookUrlProblem } from "~/server/webhooks/ssrf.server";
import { db, newUser, ownerAccess, PASSWORD, services, uniqueName } from "./helpers";
import { drain, storeFile, withQueue } from "./ingest-helpers";

/**
 * Webhooks (ADR 0033), end to end in workerd: migration 0017's triggers write an event with
 * each change; the drain fans events out into deliveries and produces them to the real
 * WEBHOOKS queue; the queue's real consumer (tests/worker.ts, as in production) signs and
 * POSTs them; the dead-letter consumer marks them failed and disables an endpoint that
 * keeps failing. The only stand-in is the network on the far side of `fetch`: receivers.
 */

// ── receivers: the network boundary ────────────────────────────────────────────────────

interface Received {
  url: string;
  method: string;
  redirect: RequestRedirect | undefined;
  headers: Record<string, string>;
  body: string;
}

async function record(input: RequestInfo | URL, init?: RequestInit): Promise<Received> {
  const request = new Request(input, init);
  return {
    url: request.url,
    method: request.method,
    redirect: init?.redirect,
    headers: Object.fromEntries(request.headers),
    body: await request.text(),
  };
}

/** A receiver given to the consumer as its `fetch`: records each request, answers with `answer`. */
function receiver(answer: (request: Received, init?: RequestInit) => Response | Promise<Response> = () => ok()) {
  const calls: Received[] = [];
  const fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = await record(input, init);
    calls.push(request);
    return answer(request, init);
  }) as typeof globalThis.fetch;
  return { calls, fetch };
}

const ok = () => new Response(null, { status: 204 });

/**
 * The queue's real consumer sends with the global fetch (webhookServices). Addresses a test
 * registered here are answered by the test's receiver (and recorded); any other address
 * goes to the real network, which here (offline) reaches nothing.
 */
const internet = new Map<string, { received: Received[]; answer: () => Response }>();
const realFetch = globalThis.fetch;
beforeAll(() => {
  vi.stubGlobal("fetch", async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = new Request(input, init).url;
    const host = internet.get(url);
    if (!host) return realFetch(input, init);
    host.received.push(await record(input, init));
    return host.answer();
  });
});
afterAll(() => vi.unstubAllGlobals());

/** A public address of its own, answered by a receiver on the (stubbed) internet. */
function hostedUrl(answer: () => Response = ok) {
  const url = `https://hooks.example.com/${crypto.randomUUID()}`;
  const host = { received: [] as Received[], answer };
  internet.set(url, host);
  return { url, received: host.received };
}

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string, ms = 15_000) {
  const started = Date.now();
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() - started > ms) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value)}`);
    await scheduler.wait(50);
  }
}

// ── fixtures ───────────────────────────────────────────────────────────────────────────

const RULES = { allowLoopback: false };
const campaignInput = (name: string, extra: Record<string, unknown> = {}) =>
  campaignSchema.parse({ name, status: "planning", ...extra });
const entryInput = (title: string, extra: Record<string, unknown> = {}) =>
  contextEntrySchema.parse({ title, contextType: "lore", ...extra });
const characterInput = (name: string, extra: Record<string, unknown> = {}) =>
  characterSchema.parse({ characterName: name, characterType: "npc", status: "alive", ...extra });

/** An endpoint of `user`'s at an address of its own on the stubbed internet. */
async function endpointOf(user: User, events: readonly WebhookEvent[] = webhookEvents, answer: () => Response = ok) {
  const { url, received } = hostedUrl(answer);
  const { endpoint, secret } = await createWebhookEndpoint(db, user, { url, events: [...events] }, RULES);
  return { endpoint, secret, url, received };
}

async function gmWithEndpoint(events: readonly WebhookEvent[] = webhookEvents) {
  const gm = await newUser();
  return { gm, ...(await endpointOf(gm, events)) };
}

const lastSeq = async () =>
  (await db.select({ seq: sql<number>`coalesce(max(${webhookOutbox.seq}), 0)` }).from(webhookOutbox))[0]?.seq ?? 0;

/** The outbox events `user`'s account got while `work` ran, oldest first. */
async function eventsDuring(user: User, work: () => Promise<unknown>) {
  const since = await lastSeq();
  await work();
  const rows = await db
    .select()
    .from(webhookOutbox)
    .where(and(eq(webhookOutbox.userId, user.id), gt(webhookOutbox.seq, since)))
    .orderBy(webhookOutbox.seq);
  return rows.map((row) => ({ id: row.id, type: row.eventType, data: JSON.parse(row.data) }));
}

const deliveriesOf = (endpoint: Pick<WebhookEndpoint, "id">) =>
  db.select().from(webhookDeliveries).where(eq(webhookDeliveries.endpointId, endpoint.id));

const deliveryOf = async (eventId: string, endpointId: string) =>
  (
    await db
      .select()
      .from(webhookDeliveries)
      .where(and(eq(webhookDeliveries.eventId, eventId), eq(webhookDeliveries.endpointId, endpointId)))
  )[0];

const endpointRow = async (id: string) =>
  (await db.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, id)))[0];

const hex = (bytes: number) =>
  [...crypto.getRandomValues(new Uint8Array(bytes))].map((b) => b.toString(16).padStart(2, "0")).join("");

/**
 * A delivery as the drain writes it, without producing its message: the consumer tests
 * hand its message to `deliverWebhooks` themselves, so the queue's own consumer never sees it.
 */
async function pendingDelivery(endpoint: Pick<WebhookEndpoint, "id">, type: WebhookEvent = "entry.created") {
  const eventId = `evt_${hex(12)}`;
  const now = Date.now();
  const data = { campaignId: crypto.randomUUID(), entry: { id: 1, title: "The drowned bell" } };
  await db.insert(webhookDeliveries).values({
    eventId,
    endpointId: endpoint.id,
    eventType: type,
    body: webhookBody(type, now, data),
    createdAt: now,
    updatedAt: now,
  });
  return { eventId, endpointId: endpoint.id } satisfies DeliveryMessage;
}

let messageCounter = 0;
function batchOf(queue: string, messages: unknown[], attempts = 1) {
  return createMessageBatch(
    queue,
    messages.map((body) => ({ id: `msg-${++messageCounter}`, timestamp: new Date(), attempts, body })),
  );
}

/** The WEBHOOKS consumer run on `messages` (each on its `attempts`th try), sending through `fetch`. */
async function consume(
  messages: unknown[],
  fetch: typeof globalThis.fetch,
  { attempts = 1, timeoutMs }: { attempts?: number; timeoutMs?: number } = {},
) {
  const batch = batchOf("loresmith-webhooks", messages, attempts);
  // The pool's queue result names the retried messages but not their delays: those are
  // read from the calls to `retry` (which still goes to the pool's own).
  const retries = batch.messages.map((message) => vi.spyOn(message, "retry"));
  const ctx = createExecutionContext();
  await deliverWebhooks(batch, { db, rules: RULES, fetch, timeoutMs });
  const delays = retries.flatMap((spy) => spy.mock.calls.map(([options]) => options?.delaySeconds));
  return { batch, result: await getQueueResult(batch, ctx), delays };
}

async function consumeDead(messages: unknown[]) {
  const batch = batchOf("loresmith-webhooks-dlq", messages, 6);
  const ctx = createExecutionContext();
  await recordDeadDeliveries(batch, { db });
  return getQueueResult(batch, ctx);
}

/** A secret of the right form that is not the endpoint's. */
const otherSecret = () => `whsec_${btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))))}`;

const from = (): AttemptOrigin => ({ clientId: uniqueName("ip"), knownDevice: null });

// ── 1. events: once per change, only after commit ──────────────────────────────────────

describe("webhook events", () => {
  it("an entry's create, edit and delete each write one event with its data; a failed edit writes none", async () => {
    const { gm } = await gmWithEndpoint();
    const campaign = await createCampaign(db, gm.username, campaignInput("Tides of Ruin"));

    let entryId = 0;
    const created = await eventsDuring(gm, async () => {
      entryId = (await createContextEntry(db, campaign, entryInput("The drowned bell"))).id;
    });
    expect(created).toEqual([
      {
        id: expect.stringMatching(/^evt_[0-9a-f]{24}$/),
        type: "entry.created",
        data: {
          campaignId: campaign.id,
          entry: expect.objectContaining({ id: entryId, title: "The drowned bell", type: "lore", version: 1 }),
        },
      },
    ]);

    const edited = await eventsDuring(gm, () =>
      updateContextEntry(db, campaign, entryId, 1, entryInput("The drowned bell tolls")),
    );
    expect(edited).toMatchObject([
      {
        type: "entry.updated",
        data: { campaignId: campaign.id, entry: { id: entryId, title: "The drowned bell tolls", version: 2 } },
      },
    ]);

    // Edited from a version that is no longer the saved one: refused, and nothing to tell.
    const conflicted = await eventsDuring(gm, async () => {
      await expect(updateContextEntry(db, campaign, entryId, 1, entryInput("Stale edit"))).rejects.toBeInstanceOf(
        VersionConflictError,
      );
    });
    expect(conflicted).toEqual([]);

    const deleted = await eventsDuring(gm, () => deleteContextEntry(db, campaign, entryId));
    expect(deleted).toMatchObject([
      {
        type: "entry.deleted",
        data: { campaignId: campaign.id, entry: { id: entryId, title: "The drowned bell tolls" } },
      },
    ]);
    expect(new Set([...created, ...edited, ...deleted].map((e) => e.id)).size).toBe(3);
  });

  it("a character's create, edit and delete each write one event; a failed edit writes none", async () => {
    const { gm } = await gmWithEndpoint();
    const campaign = await createCampaign(db, gm.username, campaignInput("Curse of Strahd"));
    let characterId = 0;
    const created = await eventsDuring(gm, async () => {
      characterId = (await createCharacter(db, campaign, characterInput("Sister Maren"))).id;
    });
    expect(created).toMatchObject([
      {
        type: "character.created",
        data: {
          campaignId: campaign.id,
          character: { id: characterId, name: "Sister Maren", type: "npc", version: 1 },
        },
      },
    ]);
    const edited = await eventsDuring(gm, () =>
      updateCharacter(db, campaign, characterId, 1, characterInput("Sister Maren", { status: "dead" })),
    );
    expect(edited).toMatchObject([
      { type: "character.updated", data: { character: { id: characterId, status: "dead", version: 2 } } },
    ]);
    const conflicted = await eventsDuring(gm, async () => {
      await expect(updateCharacter(db, campaign, characterId, 1, characterInput("Stale"))).rejects.toBeInstanceOf(
        VersionConflictError,
      );
    });
    expect(conflicted).toEqual([]);
    const deleted = await eventsDuring(gm, () => deleteCharacter(db, campaign, characterId));
    expect(deleted).toMatchObject([{ type: "character.deleted", data: { character: { id: characterId } } }]);
  });

  it("a campaign's create, edit, status change and delete each write one event; a failed edit writes none", async () => {
    const { gm } = await gmWithEndpoint();
    let campaign: Campaign | undefined;
    const created = await eventsDuring(gm, async () => {
      campaign = await createCampaign(db, gm.username, campaignInput("The Sunken Crown"));
    });
    if (!campaign) throw new Error("no campaign");
    const { id } = campaign;
    expect(created).toEqual([
      {
        id: expect.any(String),
        type: "campaign.created",
        data: { campaign: expect.objectContaining({ id, name: "The Sunken Crown", status: "planning", version: 1 }) },
      },
    ]);
    const edited = await eventsDuring(gm, () =>
      updateCampaign(db, gm.username, id, 1, campaignInput("The Risen Crown")),
    );
    expect(edited).toMatchObject([
      { type: "campaign.updated", data: { campaign: { id, name: "The Risen Crown", version: 2 } } },
    ]);
    const status = await eventsDuring(gm, () => setCampaignStatus(db, gm.username, id, 2, "active"));
    expect(status).toMatchObject([{ type: "campaign.updated", data: { campaign: { status: "active", version: 3 } } }]);
    const conflicted = await eventsDuring(gm, async () => {
      await expect(updateCampaign(db, gm.username, id, 1, campaignInput("Stale"))).rejects.toBeInstanceOf(
        VersionConflictError,
      );
    });
    expect(conflicted).toEqual([]);
    const deleted = await eventsDuring(gm, () => deleteCampaign(db, gm.username, id));
    expect(deleted).toMatchObject([{ type: "campaign.deleted", data: { campaign: { id, name: "The Risen Crown" } } }]);
  });

  it("a reveal, a touch of updated_at and a cache-generation bump write none", async () => {
    const { gm } = await gmWithEndpoint();
    const campaign = await createCampaign(db, gm.username, campaignInput("Quiet changes"));
    const entry = await createContextEntry(db, campaign, entryInput("A secret door"));
    const character = await createCharacter(db, campaign, characterInput("The doorman"));
    const access = await ownerAccess(gm, campaign);
    const none = await eventsDuring(gm, async () => {
      expect(await reveal(db, access, { kind: "entry", id: String(entry.id) }, [], "Session 2")).toBe(1);
      expect(await reveal(db, access, { kind: "character", id: String(character.id) }, [], null)).toBe(1);
      await touchCampaign(db, campaign, Date.now() + 1_000);
      await db
        .update(campaigns)
        .set({ cacheGeneration: sql`${campaigns.cacheGeneration} + 1` })
        .where(eq(campaigns.id, campaign.id));
    });
    expect(none).toEqual([]);
    // The reveal did happen: the entry is shared now, with its version where it was.
    const [shared] = await db.select().from(campaignContext).where(eq(campaignContext.id, entry.id));
    expect(shared).toMatchObject({ audience: "campaign", version: 1 });
  });

  it("deleting a campaign tells campaign.deleted alone, not each entry and character it took with it", async () => {
    const { gm } = await gmWithEndpoint();
    const campaign = await createCampaign(db, gm.username, campaignInput("Doomed"));
    const entries = [
      await createContextEntry(db, campaign, entryInput("One")),
      await createContextEntry(db, campaign, entryInput("Two")),
    ];
    await createCharacter(db, campaign, characterInput("Three"));
    const events = await eventsDuring(gm, () => deleteCampaign(db, gm.username, campaign.id));
    expect(events.map((e) => e.type)).toEqual(["campaign.deleted"]);
    // SQLite did cascade: the entries are gone, only without events of their own.
    expect(
      await db
        .select()
        .from(campaignContext)
        .where(
          inArray(
            campaignContext.id,
            entries.map((e) => e.id),
          ),
        ),
    ).toEqual([]);
  });

  it("a file's status reaching ready or failed writes file.ready or file.failed once", async () => {
    const { gm } = await gmWithEndpoint();
    const notes = await storeFile(
      gm.username,
      "notes.md",
      new TextEncoder().encode("# Tides\nThe bell tolls."),
      "text/markdown",
    );
    const ready = await eventsDuring(gm, () =>
      withQueue(gm.username, async (queue) => {
        await queue.enqueue(notes);
        await drain(queue);
      }),
    );
    expect(ready).toMatchObject([
      { type: "file.ready", data: { file: { fileKey: notes.fileKey, fileName: "notes.md", version: 1 } } },
    ]);

    const broken = await storeFile(
      gm.username,
      "bad.json",
      new TextEncoder().encode('{"name": "Vessa",'),
      "application/json",
    );
    const failed = await eventsDuring(gm, () =>
      withQueue(gm.username, async (queue) => {
        await queue.enqueue(broken);
        await drain(queue);
      }),
    );
    expect(failed).toMatchObject([
      {
        type: "file.failed",
        data: { file: { fileKey: broken.fileKey, error: expect.stringMatching(/not valid JSON/) } },
      },
    ]);

    // Written again with the status it has: not a new outcome.
    const again = await eventsDuring(gm, () =>
      db.update(fileMetadata).set({ status: "ready" }).where(eq(fileMetadata.fileKey, notes.fileKey)),
    );
    expect(again).toEqual([]);
  });

  it("an account without an enabled endpoint gets no events", async () => {
    const nobody = await newUser();
    const { gm: disabled, endpoint } = await gmWithEndpoint();
    await db.update(webhookEndpoints).set({ disabledAt: Date.now() }).where(eq(webhookEndpoints.id, endpoint.id));
    for (const user of [nobody, disabled]) {
      const events = await eventsDuring(user, async () => {
        const campaign = await createCampaign(db, user.username, campaignInput("Unwatched"));
        const entry = await createContextEntry(db, campaign, entryInput("Unseen"));
        await updateContextEntry(db, campaign, entry.id, 1, entryInput("Still unseen"));
        await deleteCampaign(db, user.username, campaign.id);
      });
      expect(events).toEqual([]);
    }
    expect(
      await db
        .select()
        .from(webhookOutbox)
        .where(inArray(webhookOutbox.userId, [nobody.id, disabled.id])),
    ).toEqual([]);
  });

  it("a write that is rolled back leaves no event", async () => {
    const { gm } = await gmWithEndpoint();
    const campaign = await createCampaign(db, gm.username, campaignInput("Rolled back"));
    const events = await eventsDuring(gm, async () => {
      await expect(
        db.batch([
          db
            .insert(campaignContext)
            .values({ campaignId: campaign.id, contextType: "lore", title: "Never saved", content: "" }),
          // A second statement that fails: the batch is one transaction, so the insert goes too.
          db.insert(campaigns).values({ id: campaign.id, username: gm.username, name: "duplicate id" }),
        ]),
      ).rejects.toThrow();
    });
    expect(events).toEqual([]);
    expect(await db.select().from(campaignContext).where(eq(campaignContext.campaignId, campaign.id))).toEqual([]);
  });

  it("deleting an account with an endpoint and campaigns works and leaves no events behind", async () => {
    const { gm } = await gmWithEndpoint();
    const campaign = await createCampaign(db, gm.username, campaignInput("Farewell"));
    await createContextEntry(db, campaign, entryInput("Last words"));
    const events = await eventsDuring(gm, () => deleteAccount(services, gm, PASSWORD, from()));
    expect(events).toEqual([]);
  });
});

// ── 2. the drain ───────────────────────────────────────────────────────────────────────

describe("draining the outbox", () => {
  it("makes one delivery per subscribed endpoint, empties the outbox and produces to the WEBHOOKS queue, once", async () => {
    const deps = webhookServices(env);
    await drainWebhookOutbox(deps); // what earlier tests left
    const gm = await newUser();
    const entries = await endpointOf(gm, ["entry.created", "entry.updated"]);
    const campaignsOnly = await endpointOf(gm, ["campaign.created"]);
    const everything = await endpointOf(gm);
    const stranger = await gmWithEndpoint();

    const events = await eventsDuring(gm, async () => {
      const campaign = await createCampaign(db, gm.username, campaignInput("Fan-out"));
      await createContextEntry(db, campaign, entryInput("Fanned"));
    });
    expect(events.map((e) => e.type)).toEqual(["campaign.created", "entry.created"]);
    const [campaignEvent, entryEvent] = events as [(typeof events)[0], (typeof events)[0]];
    // Another account's change in the same drain: its endpoint gets that, and nothing of gm's.
    const [strangerEvent] = await eventsDuring(stranger.gm, () =>
      createCampaign(db, stranger.gm.username, campaignInput("Elsewhere")),
    );

    expect(await drainWebhookOutbox(deps)).toBe(5);
    expect(await db.select().from(webhookOutbox).where(eq(webhookOutbox.userId, gm.id))).toEqual([]);
    const byEndpoint = async (endpoint: WebhookEndpoint) => (await deliveriesOf(endpoint)).map((d) => d.eventId).sort();
    expect(await byEndpoint(entries.endpoint)).toEqual([entryEvent.id]);
    expect(await byEndpoint(campaignsOnly.endpoint)).toEqual([campaignEvent.id]);
    expect(await byEndpoint(everything.endpoint)).toEqual([campaignEvent.id, entryEvent.id].sort());
    expect(await byEndpoint(stranger.endpoint)).toEqual([strangerEvent?.id]);

    // The body is the Standard Webhooks envelope around the event's data.
    const delivery = await deliveryOf(entryEvent.id, everything.endpoint.id);
    expect(JSON.parse(delivery?.body ?? "")).toEqual({
      type: "entry.created",
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      data: entryEvent.data,
    });

    // Drained again: nothing new.
    expect(await drainWebhookOutbox(deps)).toBe(0);
    expect((await deliveriesOf(everything.endpoint)).length).toBe(2);

    // What was produced reached the queue's real consumer, which sent each delivery once, signed.
    const sent = [entries, campaignsOnly, everything];
    await until(
      async () => sent.map((e) => e.received.length),
      (counts) => counts.join() === "1,1,2",
      "the consumer to send the four deliveries",
    );
    for (const { received, secret } of sent) {
      for (const request of received) {
        expect(new Webhook(secret).verify(request.body, request.headers)).toMatchObject({ data: expect.any(Object) });
      }
    }
    expect(everything.received.map((r) => r.headers["webhook-id"]).sort()).toEqual(
      [campaignEvent.id, entryEvent.id].sort(),
    );
    await until(
      () => deliveriesOf(everything.endpoint),
      (rows) => rows.every((row) => row.status === "delivered" && row.attempts === 1 && row.responseStatus === 204),
      "the deliveries to be recorded as delivered",
    );
    await until(
      async () => stranger.received.length,
      (n) => n === 1,
      "the other account's delivery",
    );
    expect(stranger.received[0]?.headers["webhook-id"]).toBe(strangerEvent?.id);
  });

  it("takes what a drain that died had claimed, but not what a live one holds, with no second delivery", async () => {
    const deps = webhookServices(env);
    await drainWebhookOutbox(deps);
    const { gm, endpoint } = await gmWithEndpoint(["campaign.created"]);
    const [event] = await eventsDuring(gm, () => createCampaign(db, gm.username, campaignInput("Claimed")));
    if (!event) throw new Error("no event");
    // Another drain claimed it just now and is still at work: left to it.
    const now = Date.now();
    await db.update(webhookOutbox).set({ claimedAt: now }).where(eq(webhookOutbox.id, event.id));
    expect(await drainWebhookOutbox(deps, now + 1_000)).toBe(0);
    // That drain wrote the delivery and died before deleting the outbox row; a minute on, it is taken again.
    await db.insert(webhookDeliveries).values({
      eventId: event.id,
      endpointId: endpoint.id,
      eventType: "campaign.created",
      body: webhookBody("campaign.created", now, event.data),
      createdAt: now,
      updatedAt: now,
    });
    await drainWebhookOutbox(deps, now + 61_000);
    expect(await db.select().from(webhookOutbox).where(eq(webhookOutbox.id, event.id))).toEqual([]);
    expect((await deliveriesOf(endpoint)).map((d) => d.eventId)).toEqual([event.id]);
  });

  it("drains a large outbox in bounded batches, within D1's bound values per statement", async () => {
    const deps = webhookServices(env);
    await drainWebhookOutbox(deps);
    const { gm, endpoint, received } = await gmWithEndpoint(["entry.created"]);
    const second = await endpointOf(gm, ["entry.created"]);
    const campaign = await createCampaign(db, gm.username, campaignInput("Busy"));
    for (let i = 0; i < 105; i++) await createContextEntry(db, campaign, entryInput(`Entry ${i}`));
    // 100 events a drain: campaign.created (which neither endpoint takes) and 99 entries, each
    // to both endpoints; then the other 6 entries.
    expect(await drainWebhookOutbox(deps)).toBe(198);
    expect(await drainWebhookOutbox(deps)).toBe(12);
    expect(await drainWebhookOutbox(deps)).toBe(0);
    expect((await deliveriesOf(endpoint)).length).toBe(105);
    expect((await deliveriesOf(second.endpoint)).length).toBe(105);
    await until(
      async () => [received.length, second.received.length],
      ([a, b]) => a === 105 && b === 105,
      "all 210 deliveries to be sent",
      25_000,
    );
  });

  it("produces deliveries whose message was lost again, however many, each once", async () => {
    const deps = webhookServices(env);
    const { endpoint, received } = await gmWithEndpoint();
    const lost: string[] = [];
    const stalledAt = Date.now() - 10 * 60_000;
    for (let i = 0; i < 60; i++) lost.push((await pendingDelivery(endpoint)).eventId);
    await db
      .update(webhookDeliveries)
      .set({ updatedAt: stalledAt })
      .where(eq(webhookDeliveries.endpointId, endpoint.id));
    // A delivery that is only just pending is not stalled.
    const fresh = await pendingDelivery(endpoint);
    const requeued = await requeueStalledDeliveries(deps);
    expect(requeued).toBe(60);
    expect(await requeueStalledDeliveries(deps)).toBe(0);
    await until(
      async () => received.map((r) => r.headers["webhook-id"]).sort(),
      (ids) => ids.length >= 60,
      "the stalled deliveries to be sent",
      25_000,
    );
    expect(received.map((r) => r.headers["webhook-id"]).sort()).toEqual(lost.sort());
    expect((await deliveryOf(fresh.eventId, endpoint.id))?.attempts).toBe(0);
  });
});

// ── 3. the consumer ────────────────────────────────────────────────────────────────────

describe("the delivery consumer", () => {
  it("signs each delivery the Standard Webhooks way, so the reference verifier accepts it", async () => {
    const { endpoint, secret, url } = await gmWithEndpoint();
    const message = await pendingDelivery(endpoint);
    const target = receiver();
    const { result } = await consume([message], target.fetch);
    expect(target.calls).toHaveLength(1);
    const [request] = target.calls as [Received];
    expect(request).toMatchObject({ url, method: "POST", redirect: "manual" });
    expect(request.headers).toMatchObject({
      "content-type": "application/json",
      "webhook-id": message.eventId,
      "webhook-timestamp": expect.stringMatching(/^\d{10}$/),
      "webhook-signature": expect.stringMatching(/^v1,[A-Za-z0-9+/]+=*$/),
    });
    expect(Math.abs(Number(request.headers["webhook-timestamp"]) - Date.now() / 1000)).toBeLessThan(60);
    const delivery = await deliveryOf(message.eventId, endpoint.id);
    expect(request.body).toBe(delivery?.body);
    expect(new Webhook(secret).verify(request.body, request.headers)).toEqual(JSON.parse(request.body));
    expect(() => new Webhook(otherSecret()).verify(request.body, request.headers)).toThrow();
    expect(() => new Webhook(secret).verify(request.body.replace("drowned", "dry"), request.headers)).toThrow();
    expect(result).toMatchObject({ explicitAcks: [expect.any(String)], retryMessages: [] });
  });

  it("a 500 is retried with back-off and recorded; a 2xx is delivered, acked, and resets the endpoint's failures", async () => {
    const { endpoint } = await gmWithEndpoint();
    await db.update(webhookEndpoints).set({ consecutiveFailures: 3 }).where(eq(webhookEndpoints.id, endpoint.id));
    const message = await pendingDelivery(endpoint);
    const failing = receiver(() => new Response("boom", { status: 500 }));
    const first = await consume([message], failing.fetch);
    const [msg] = first.batch.messages;
    expect(first.result.explicitAcks).toEqual([]);
    expect(first.result.retryMessages).toEqual([{ msgId: msg?.id }]);
    expect(first.delays).toEqual([RETRY_DELAYS_S[0]]);
    expect(await deliveryOf(message.eventId, endpoint.id)).toMatchObject({
      status: "retrying",
      attempts: 1,
      responseStatus: 500,
      lastError: expect.stringMatching(/HTTP 500/),
    });
    // The queue's third try waits longer.
    const third = await consume([message], failing.fetch, { attempts: 3 });
    expect(third.result.retryMessages).toEqual([{ msgId: third.batch.messages[0]?.id }]);
    expect(third.delays).toEqual([RETRY_DELAYS_S[2]]);
    expect((await deliveryOf(message.eventId, endpoint.id))?.attempts).toBe(2);

    const healthy = receiver(() => new Response("thanks", { status: 200 }));
    const fourth = await consume([message], healthy.fetch, { attempts: 4 });
    expect(fourth.result).toMatchObject({ explicitAcks: [fourth.batch.messages[0]?.id], retryMessages: [] });
    expect(await deliveryOf(message.eventId, endpoint.id)).toMatchObject({
      status: "delivered",
      attempts: 3,
      responseStatus: 200,
      lastError: null,
    });
    expect((await endpointRow(endpoint.id))?.consecutiveFailures).toBe(0);
    // Every try sent the same signed bytes under the same id.
    expect(new Set([...failing.calls, ...healthy.calls].map((c) => `${c.headers["webhook-id"]}|${c.body}`)).size).toBe(
      1,
    );

    // The same message again (queues deliver at least once): acked, not sent a second time.
    const again = receiver();
    const repeat = await consume([message], again.fetch);
    expect(again.calls).toEqual([]);
    expect(repeat.result.explicitAcks).toHaveLength(1);
  });

  it("a redirect is a failure: not followed, recorded with its status", async () => {
    const { endpoint } = await gmWithEndpoint();
    const message = await pendingDelivery(endpoint);
    const target = receiver((_request, init) =>
      init?.redirect === "manual"
        ? new Response(null, { status: 302, headers: { Location: "https://10.0.0.1/admin" } })
        : new Response("followed", { status: 200 }),
    );
    const { result } = await consume([message], target.fetch);
    expect(target.calls).toHaveLength(1);
    expect(result.retryMessages).toHaveLength(1);
    expect(await deliveryOf(message.eventId, endpoint.id)).toMatchObject({
      status: "retrying",
      responseStatus: 302,
      lastError: expect.stringMatching(/redirect/),
    });
  });

  it("a receiver that does not answer in time, or cannot be reached, is recorded with what happened", async () => {
    const { endpoint } = await gmWithEndpoint();
    const slow = await pendingDelivery(endpoint);
    const silent = receiver(
      (_request, init) =>
        new Promise<Response>((_resolve, reject) => {
          const signal = init?.signal;
          if (!signal) return; // no timeout given: hangs, and the test times out
          signal.addEventListener("abort", () => reject(signal.reason));
        }),
    );
    const timedOut = await consume([slow], silent.fetch, { timeoutMs: 50 });
    expect(timedOut.result.retryMessages).toHaveLength(1);
    expect(await deliveryOf(slow.eventId, endpoint.id)).toMatchObject({
      status: "retrying",
      attempts: 1,
      responseStatus: null,
      lastError: expect.stringMatching(/did not answer within 0\.05 seconds/),
    });

    const unreachable = await pendingDelivery(endpoint);
    const down = receiver(() => Promise.reject(new TypeError("Network connection lost.")));
    const lost = await consume([unreachable], down.fetch);
    expect(lost.result.retryMessages).toHaveLength(1);
    expect(await deliveryOf(unreachable.eventId, endpoint.id)).toMatchObject({
      status: "retrying",
      attempts: 1,
      responseStatus: null,
      lastError: expect.stringMatching(/could not be reached.*Network connection lost/),
    });
  });

  it("checks the address again before sending, and drops a message that is not a delivery", async () => {
    const { endpoint } = await gmWithEndpoint();
    const message = await pendingDelivery(endpoint);
    // An address that slipped in some other way (an old row, a rule since tightened).
    await db
      .update(webhookEndpoints)
      .set({ url: "https://169.254.169.254/latest" })
      .where(eq(webhookEndpoints.id, endpoint.id));
    const target = receiver();
    const { result } = await consume([message, { eventId: "evt_nope", endpointId: "x" }, "junk"], target.fetch);
    expect(target.calls).toEqual([]);
    expect(await deliveryOf(message.eventId, endpoint.id)).toMatchObject({
      status: "retrying",
      lastError: expect.stringMatching(/^Not sent: .*private or reserved/),
    });
    expect(result.explicitAcks).toHaveLength(2);
    expect(result.retryMessages).toHaveLength(1);
  });
});

// ── 4. the dead-letter path, resend, test events ───────────────────────────────────────

describe("dead deliveries and disabled endpoints", () => {
  it("a dead delivery is failed; DISABLE_AFTER_DEAD in a row disable the endpoint with a reason; a success between resets", async () => {
    const { endpoint } = await gmWithEndpoint();
    const dieOnce = async () => {
      const message = await pendingDelivery(endpoint);
      await consume([message], receiver(() => new Response(null, { status: 503 })).fetch, { attempts: 6 });
      const result = await consumeDead([message]);
      expect(result.explicitAcks).toHaveLength(1);
      expect((await deliveryOf(message.eventId, endpoint.id))?.status).toBe("failed");
      return message;
    };
    for (let i = 0; i < DISABLE_AFTER_DEAD - 1; i++) await dieOnce();
    expect(await endpointRow(endpoint.id)).toMatchObject({
      consecutiveFailures: DISABLE_AFTER_DEAD - 1,
      disabledAt: null,
    });
    // One gets through: the run of failures starts over.
    await consume([await pendingDelivery(endpoint)], receiver().fetch);
    expect((await endpointRow(endpoint.id))?.consecutiveFailures).toBe(0);
    for (let i = 0; i < DISABLE_AFTER_DEAD - 1; i++) await dieOnce();
    // The queue hands the same dead message over twice: counted once.
    const last = await dieOnce();
    expect((await endpointRow(endpoint.id))?.disabledAt).not.toBeNull();
    await consumeDead([last]);
    const disabled = await endpointRow(endpoint.id);
    expect(disabled).toMatchObject({
      consecutiveFailures: DISABLE_AFTER_DEAD,
      disabledAt: expect.any(Number),
      disabledReason: expect.stringMatching(/failed every retry.*HTTP 503.*enable it again/),
    });
  });

  it("a disabled endpoint is sent nothing: its messages are failed and acked, and the drain skips it", async () => {
    const { gm, endpoint } = await gmWithEndpoint();
    const message = await pendingDelivery(endpoint);
    await db
      .update(webhookEndpoints)
      .set({ disabledAt: Date.now(), disabledReason: "kept failing" })
      .where(eq(webhookEndpoints.id, endpoint.id));
    const target = receiver();
    const { result } = await consume([message], target.fetch);
    expect(target.calls).toEqual([]);
    expect(result).toMatchObject({ explicitAcks: [expect.any(String)], retryMessages: [] });
    expect(await deliveryOf(message.eventId, endpoint.id)).toMatchObject({
      status: "failed",
      attempts: 0,
      lastError: expect.stringMatching(/disabled/),
    });
    // Listed for Settings with its reason, and never with its secret.
    const [listed] = await listWebhookEndpoints(db, gm);
    expect(listed).toMatchObject({ id: endpoint.id, disabledReason: "kept failing" });
    expect(listed).not.toHaveProperty("secret");

    // Enabled again: failures start over and deliveries are sent.
    expect(await enableWebhookEndpoint(db, gm, endpoint.id)).toBe(true);
    expect(await endpointRow(endpoint.id)).toMatchObject({
      disabledAt: null,
      disabledReason: null,
      consecutiveFailures: 0,
    });
    const next = await pendingDelivery(endpoint);
    await consume([next], target.fetch);
    expect(target.calls).toHaveLength(1);
    expect((await deliveryOf(next.eventId, endpoint.id))?.status).toBe("delivered");
  });

  it("a failed delivery is sent again with the same webhook-id and body; a delivered one is not", async () => {
    const deps = webhookServices(env);
    const { gm, endpoint, secret, received } = await gmWithEndpoint();
    const stranger = await newUser();
    const message = await pendingDelivery(endpoint);
    await consume([message], receiver(() => new Response(null, { status: 500 })).fetch, { attempts: 6 });
    await consumeDead([message]);
    const failed = await deliveryOf(message.eventId, endpoint.id);
    expect(failed?.status).toBe("failed");

    expect(await resendDelivery(deps, stranger, endpoint.id, message.eventId)).toBe(false);
    expect(await resendDelivery(deps, gm, endpoint.id, message.eventId)).toBe(true);
    // Through the real queue to the real consumer, which sends it to the receiver.
    await until(
      () => deliveryOf(message.eventId, endpoint.id),
      (row) => row?.status === "delivered",
      "the resent delivery to be delivered",
    );
    expect(received).toHaveLength(1);
    expect(received[0]?.headers["webhook-id"]).toBe(message.eventId);
    expect(received[0]?.body).toBe(failed?.body);
    expect(new Webhook(secret).verify(received[0]?.body ?? "", received[0]?.headers ?? {})).toBeTruthy();

    await expect(resendDelivery(deps, gm, endpoint.id, message.eventId)).rejects.toMatchObject({
      status: 409,
      message: expect.stringMatching(/Only a failed delivery/),
    });
    // A disabled endpoint's failed delivery waits for the endpoint to be enabled.
    const other = await pendingDelivery(endpoint);
    await db.update(webhookDeliveries).set({ status: "failed" }).where(eq(webhookDeliveries.eventId, other.eventId));
    await db.update(webhookEndpoints).set({ disabledAt: Date.now() }).where(eq(webhookEndpoints.id, endpoint.id));
    await expect(resendDelivery(deps, gm, endpoint.id, other.eventId)).rejects.toBeInstanceOf(Refusal);
    expect((await deliveryOf(other.eventId, endpoint.id))?.status).toBe("failed");
  });

  it("a test event goes to the endpoint at once, signed, and only to the owner's enabled endpoint", async () => {
    const deps = webhookServices(env);
    const { gm, endpoint, secret, received } = await gmWithEndpoint(["campaign.created"]);
    const stranger = await newUser();
    expect(await sendTestEvent(deps, stranger, endpoint.id)).toBeNull();
    const eventId = await sendTestEvent(deps, gm, endpoint.id);
    expect(eventId).toMatch(/^evt_[0-9a-f]{24}$/);
    await until(
      async () => received.length,
      (n) => n === 1,
      "the test event to arrive",
    );
    const payload = new Webhook(secret).verify(received[0]?.body ?? "", received[0]?.headers ?? {});
    expect(payload).toMatchObject({ type: "webhook.test", data: { endpointId: endpoint.id } });
    expect(received[0]?.headers["webhook-id"]).toBe(eventId);
    await until(
      () => deliveryOf(eventId ?? "", endpoint.id),
      (row) => row?.status === "delivered",
      "the test event to be recorded",
    );
    // A second test within seconds is refused: Settings cannot be scripted into a stream of POSTs.
    await expect(sendTestEvent(deps, gm, endpoint.id)).rejects.toMatchObject({ status: 429 });
    await db.update(webhookEndpoints).set({ disabledAt: Date.now() }).where(eq(webhookEndpoints.id, endpoint.id));
    await expect(sendTestEvent(deps, gm, endpoint.id)).rejects.toMatchObject({ status: 409 });
  });
});

// ── 5. SSRF ────────────────────────────────────────────────────────────────────────────

describe("where webhooks may be sent", () => {
  const refusedEverywhere = [
    "https://10.0.0.1/x",
    "https://10.255.255.255/x",
    "https://172.16.0.1/x",
    "https://172.31.255.255/x",
    "https://192.168.1.1/x",
    "https://169.254.169.254/latest/meta-data",
    "https://100.64.0.1/x",
    "https://0.0.0.0/x",
    "https://[fc00::1]/x",
    "https://[fd12:3456::1]/x",
    "https://[fe80::1]/x",
    "https://[::]/x",
    "https://[::ffff:10.0.0.1]/x",
    // IPv4 wrapped in IPv6 (6to4 of 127.0.0.1, Teredo) and the documentation ranges.
    "https://[2002:7f00:1::]/x",
    "https://[2001:0:4136:e378::1]/x",
    "https://[2001:db8::1]/x",
    // A public host on a port that is not HTTPS's.
    "https://hooks.example.com:22/x",
    "https://8.8.8.8:6379/x",
    "https://intranet/x",
    "https://printer.local/x",
    "https://metadata.google.internal/x",
    "https://app.localhost/x",
    "https://user:secret@hooks.example.com/x",
    "https://hooks.example.com@10.0.0.1/x",
    "ftp://hooks.example.com/x",
    "not a url",
  ];
  const loopback = [
    "https://localhost/x",
    "https://localhost./x",
    "https://127.0.0.1/x",
    "https://127.1/x",
    "https://0x7f.1/x",
    "https://2130706433/x",
    "https://[::1]/x",
    "https://[::ffff:127.0.0.1]/x",
  ];

  it.each([...refusedEverywhere, ...loopback, "http://hooks.example.com/x", "http://8.8.8.8/x"])(
    "refuses %s in production",
    (url) => {
      expect(webhookUrlProblem(url, { allowLoopback: false })).toEqual(expect.any(String));
    },
  );

  it.each([
    "https://hooks.example.com/x",
    "https://8.8.8.8/hook",
    "https://[2606:4700:4700::1111]/hook",
    "https://172.32.0.1/x",
  ])("accepts %s", (url) => {
    expect(webhookUrlProblem(url, { allowLoopback: false })).toBeNull();
  });

  it("with loopback allowed (the local server) takes loopback addresses, and still nothing private", () => {
    const local = { allowLoopback: true };
    for (const url of [
      "http://localhost:8787/x",
      "http://127.0.0.1:9/x",
      "http://[::1]:8787/x",
      "https://localhost/x",
    ]) {
      expect(webhookUrlProblem(url, local), url).toBeNull();
    }
    for (const url of [...refusedEverywhere, "http://10.0.0.1/x", "https://10.0.0.1/x", "http://hooks.example.com/x"]) {
      expect(webhookUrlProblem(url, local), url).toEqual(expect.any(String));
    }
  });

  it("an endpoint cannot be registered at a refused address; a good one gets a secret shown once", async () => {
    const gm = await newUser();
    for (const url of [
      "http://hooks.example.com/x",
      "https://127.0.0.1/x",
      "https://[::ffff:127.0.0.1]/x",
      "https://192.168.0.10/x",
    ]) {
      await expect(createWebhookEndpoint(db, gm, { url, events: ["entry.created"] }, RULES)).rejects.toMatchObject({
        status: 400,
      });
    }
    expect(await listWebhookEndpoints(db, gm)).toEqual([]);
    const { endpoint, secret } = await createWebhookEndpoint(
      db,
      gm,
      { url: "https://hooks.example.com/x", events: ["entry.created", "entry.created"] },
      RULES,
    );
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(endpoint).toMatchObject({ id: expect.stringMatching(/^wh_[0-9a-f]{24}$/), events: ["entry.created"] });
    const local = await createWebhookEndpoint(
      db,
      gm,
      { url: "http://localhost:8787/x", events: ["entry.created"] },
      { allowLoopback: true },
    );
    expect(local.endpoint.url).toBe("http://localhost:8787/x");
  });
});

// ── 6. the real queue, end to end ──────────────────────────────────────────────────────

describe("the WEBHOOKS queue in the pool", () => {
  it("delivers a change to an unreachable receiver through the real queue and records the failed attempt", async () => {
    const deps = webhookServices(env);
    await drainWebhookOutbox(deps);
    const gm = await newUser();
    // Not registered on the stubbed internet: the consumer's fetch goes to the real network, offline.
    const { endpoint } = await createWebhookEndpoint(
      db,
      gm,
      { url: `https://unreachable-${hex(4)}.example.net/hook`, events: ["campaign.created"] },
      RULES,
    );
    await createCampaign(db, gm.username, campaignInput("Into the void"));
    expect(await drainWebhookOutbox(deps)).toBe(1);
    const [delivery] = await until(
      () => deliveriesOf(endpoint),
      (rows) => (rows[0]?.attempts ?? 0) >= 1,
      "the queue's consumer to make its first attempt",
    );
    expect(delivery).toMatchObject({
      status: "retrying",
      responseStatus: null,
      lastError: expect.stringMatching(/could not be reached/),
    });
  });
});
