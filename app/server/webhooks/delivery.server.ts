import { and, eq, inArray, sql } from "drizzle-orm";
import { z } from "zod";
import type { WebhookEvent } from "~/lib/api";
import type { Db } from "../db/db.server";
import { insertWithinQuota } from "../db/quota.server";
import { type WebhookDelivery, webhookDeliveries, webhookEndpoints, webhookOutbox } from "../db/schema";
import { toHex } from "../files/files.server";
import type { Account } from "../files/library.server";
import { Refusal } from "../http/responses.server";
import { enabledEndpointsOf, getDelivery, getWebhookEndpoint, type WebhookRules } from "./endpoints.server";
import { webhookUrlProblem } from "./ssrf.server";

/**
 * Webhook delivery (ADR 0033). A change writes its event to `webhook_outbox` in the same
 * statement (migration 0017's triggers). A drain — after each write request, after the
 * UserFileTracker's work, and in the cron — claims outbox rows, writes one delivery per
 * subscribed endpoint and produces a message for each to the WEBHOOKS queue. The queue
 * consumer signs and POSTs them the Standard Webhooks way, retries failures with back-off
 * (`message.retry`), and after the last attempt the queue moves the message to the
 * dead-letter queue, whose consumer marks it failed and disables an endpoint that keeps failing.
 */

/** Outbox rows one drain takes (the next drain takes the rest). */
const DRAIN_BATCH = 100;
/** A claim older than this was a drain that died: another may take the rows. */
const CLAIM_TIMEOUT_MS = 60_000;
/** Seconds before each retry (attempt 1 failed → wait 10 s, …); max_retries = 5 in wrangler.toml. */
export const RETRY_DELAYS_S = [10, 60, 300, 1_800, 7_200] as const;
/** Dead deliveries in a row (each with every retry used) that disable an endpoint. */
export const DISABLE_AFTER_DEAD = 5;
/** How long a receiver has to answer. */
const SEND_TIMEOUT_MS = 10_000;
/** A pending delivery with no attempt for this long lost its message (the produce failed): sent again. */
const STALLED_MS = 2 * 60_000;
/** The shortest time between two test events to one endpoint. */
const TEST_INTERVAL_MS = 10_000;
/** Deliveries are kept this long for Settings. */
const KEEP_DELIVERIES_MS = 30 * 86_400_000;

export const deliveryMessageSchema = z.object({
  eventId: z.string().regex(/^evt_[0-9a-f]{24}$/),
  endpointId: z.string().regex(/^wh_[0-9a-f]{24}$/),
});
export type DeliveryMessage = z.infer<typeof deliveryMessageSchema>;

export interface DeliveryDeps {
  db: Db;
  queue: Queue<DeliveryMessage>;
}

/** The body every attempt of a delivery sends: `{ type, timestamp, data }` (Standard Webhooks). */
export function webhookBody(type: WebhookEvent, createdAt: number, data: unknown): string {
  return JSON.stringify({ type, timestamp: new Date(createdAt).toISOString(), data });
}

async function produce(queue: Queue<DeliveryMessage>, messages: DeliveryMessage[]): Promise<void> {
  for (let i = 0; i < messages.length; i += 100) {
    await queue.sendBatch(messages.slice(i, i + 100).map((body) => ({ body, contentType: "json" })));
  }
}

/**
 * Fans the outbox out into deliveries and produces their messages; answers how many
 * deliveries it made. A delivery's key is (event, endpoint), so a drain that repeats a
 * claim another died in makes no second delivery.
 */
export async function drainWebhookOutbox(deps: DeliveryDeps, now = Date.now()): Promise<number> {
  const claimed = await deps.db.all<{
    seq: number;
    id: string;
    user_id: string;
    event_type: WebhookEvent;
    data: string;
    created_at: number;
  }>(sql`
    UPDATE webhook_outbox SET claimed_at = ${now}
    WHERE seq IN (SELECT seq FROM webhook_outbox WHERE claimed_at IS NULL OR claimed_at < ${now - CLAIM_TIMEOUT_MS}
                  ORDER BY seq LIMIT ${DRAIN_BATCH})
    RETURNING seq, id, user_id, event_type, data, created_at`);
  if (claimed.length === 0) return 0;
  const endpoints = await enabledEndpointsOf(deps.db, [...new Set(claimed.map((event) => event.user_id))]);
  const deliveries: (typeof webhookDeliveries.$inferInsert)[] = [];
  for (const event of claimed) {
    for (const endpoint of endpoints) {
      if (endpoint.userId !== event.user_id || !endpoint.events.includes(event.event_type)) continue;
      deliveries.push({
        eventId: event.id,
        endpointId: endpoint.id,
        eventType: event.event_type,
        body: webhookBody(event.event_type, event.created_at, JSON.parse(event.data)),
        createdAt: event.created_at,
        updatedAt: now,
      });
    }
  }
  // D1 binds at most 100 parameters a statement: 12 deliveries of 7 columns each.
  const inserts = [];
  for (let i = 0; i < deliveries.length; i += 12) {
    inserts.push(
      deps.db
        .insert(webhookDeliveries)
        .values(deliveries.slice(i, i + 12))
        .onConflictDoNothing(),
    );
  }
  const seqs = claimed.map((event) => event.seq);
  await deps.db.batch([
    ...inserts,
    deps.db.delete(webhookOutbox).where(inArray(webhookOutbox.seq, seqs)),
  ] as unknown as Parameters<Db["batch"]>[0]);
  await produce(
    deps.queue,
    deliveries.map(({ eventId, endpointId }) => ({ eventId, endpointId })),
  );
  return deliveries.length;
}

/**
 * Deliveries whose message was never produced (a drain died after its commit): produced
 * again (the cron). One statement claims them (their updated_at moves, so the next run
 * leaves them alone) with a fixed number of bound values: D1 takes at most 100 a statement.
 */
export async function requeueStalledDeliveries(deps: DeliveryDeps, now = Date.now()): Promise<number> {
  const stalled = await deps.db.all<{ event_id: string; endpoint_id: string }>(sql`
    UPDATE webhook_deliveries SET updated_at = ${now}
    WHERE rowid IN (SELECT rowid FROM webhook_deliveries
                    WHERE status = 'pending' AND attempts = 0 AND updated_at < ${now - STALLED_MS}
                    LIMIT ${DRAIN_BATCH})
    RETURNING event_id, endpoint_id`);
  if (stalled.length === 0) return 0;
  await produce(
    deps.queue,
    stalled.map((row) => ({ eventId: row.event_id, endpointId: row.endpoint_id })),
  );
  return stalled.length;
}

/** Deliveries older than KEEP_DELIVERIES_MS (the cron), a bounded number a run. */
export async function pruneDeliveries(db: Db, now = Date.now()): Promise<number> {
  const rows = await db.all<{ event_id: string }>(sql`
    DELETE FROM webhook_deliveries WHERE rowid IN (
      SELECT rowid FROM webhook_deliveries WHERE created_at < ${now - KEEP_DELIVERIES_MS} LIMIT 1000)
    RETURNING event_id`);
  return rows.length;
}

function base64(bytes: ArrayBuffer): string {
  return btoa(String.fromCharCode(...new Uint8Array(bytes)));
}

/**
 * The Standard Webhooks signature: "v1," and base64 of HMAC-SHA256, keyed by the secret's
 * base64 part, over "id.timestamp.body".
 */
export async function signWebhook(secret: string, id: string, timestamp: number, body: string): Promise<string> {
  const keyBytes = Uint8Array.from(atob(secret.replace(/^whsec_/, "")), (c) => c.charCodeAt(0));
  const key = await crypto.subtle.importKey("raw", keyBytes, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const signature = await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(`${id}.${timestamp}.${body}`));
  return `v1,${base64(signature)}`;
}

export interface SendDeps {
  db: Db;
  rules: WebhookRules;
  /** The outbound fetch: the receivers are on the other side of the network. */
  fetch: typeof fetch;
  now?: () => number;
  /** How long a receiver has to answer (SEND_TIMEOUT_MS unless a test says). */
  timeoutMs?: number;
}

type Outcome = { ok: true; status: number } | { ok: false; status: number | null; error: string };

async function send(deps: SendDeps, url: string, secret: string, delivery: WebhookDelivery): Promise<Outcome> {
  const problem = webhookUrlProblem(url, deps.rules);
  if (problem) return { ok: false, status: null, error: `Not sent: ${problem}` };
  const timestamp = Math.floor((deps.now?.() ?? Date.now()) / 1000);
  const timeoutMs = deps.timeoutMs ?? SEND_TIMEOUT_MS;
  try {
    const response = await deps.fetch(url, {
      method: "POST",
      redirect: "manual",
      signal: AbortSignal.timeout(timeoutMs),
      headers: {
        "Content-Type": "application/json",
        "User-Agent": "LoreSmith-AI-Webhooks/1",
        "webhook-id": delivery.eventId,
        "webhook-timestamp": String(timestamp),
        "webhook-signature": await signWebhook(secret, delivery.eventId, timestamp, delivery.body),
      },
      body: delivery.body,
    });
    await response.body?.cancel();
    if (response.status >= 200 && response.status < 300) return { ok: true, status: response.status };
    const error =
      response.status >= 300 && response.status < 400
        ? "The receiver answered with a redirect; webhooks do not follow redirects. Register the final address."
        : `The receiver answered HTTP ${response.status}.`;
    return { ok: false, status: response.status, error };
  } catch (error) {
    const timedOut = error instanceof Error && error.name === "TimeoutError";
    // What the runtime said ("DNS lookup failed", "Network connection lost"), unless it is opaque.
    const said = error instanceof Error ? error.message : "";
    const detail = said && !/^internal error/i.test(said) ? ` (${said.slice(0, 200)})` : "";
    return {
      ok: false,
      status: null,
      error: timedOut
        ? `The receiver did not answer within ${timeoutMs / 1000} seconds.`
        : `The receiver could not be reached${detail}. Check that the address is right and the server is up.`,
    };
  }
}

/**
 * The WEBHOOKS queue's consumer: sends each message's delivery, records the attempt, and
 * acks a success (or a delivery with nothing left to do) or retries with back-off.
 */
export async function deliverWebhooks(batch: MessageBatch<unknown>, deps: SendDeps): Promise<void> {
  for (const message of batch.messages) {
    const parsed = deliveryMessageSchema.safeParse(message.body);
    if (!parsed.success) {
      console.error("webhooks: a message that is not a delivery was dropped");
      message.ack();
      continue;
    }
    const { eventId, endpointId } = parsed.data;
    const [row] = await deps.db
      .select({ delivery: webhookDeliveries, endpoint: webhookEndpoints })
      .from(webhookDeliveries)
      .innerJoin(webhookEndpoints, eq(webhookEndpoints.id, webhookDeliveries.endpointId))
      .where(and(eq(webhookDeliveries.eventId, eventId), eq(webhookDeliveries.endpointId, endpointId)));
    // Deleted with its endpoint, or already delivered (a message produced twice): nothing to do.
    if (!row || row.delivery.status === "delivered") {
      message.ack();
      continue;
    }
    const where = and(eq(webhookDeliveries.eventId, eventId), eq(webhookDeliveries.endpointId, endpointId));
    const now = deps.now?.() ?? Date.now();
    if (row.endpoint.disabledAt !== null) {
      await deps.db
        .update(webhookDeliveries)
        .set({
          status: "failed",
          lastError: "Not sent: the endpoint is disabled. Enable it, then resend.",
          updatedAt: now,
        })
        .where(where);
      message.ack();
      continue;
    }
    const outcome = await send(deps, row.endpoint.url, row.endpoint.secret, row.delivery);
    const attempt = {
      attempts: sql`${webhookDeliveries.attempts} + 1`,
      responseStatus: outcome.status,
      updatedAt: deps.now?.() ?? Date.now(),
    };
    if (outcome.ok) {
      await deps.db.batch([
        deps.db
          .update(webhookDeliveries)
          .set({ ...attempt, status: "delivered", lastError: null })
          .where(where),
        deps.db.update(webhookEndpoints).set({ consecutiveFailures: 0 }).where(eq(webhookEndpoints.id, endpointId)),
      ]);
      message.ack();
    } else {
      await deps.db
        .update(webhookDeliveries)
        .set({ ...attempt, status: "retrying", lastError: outcome.error })
        .where(where);
      const delay = RETRY_DELAYS_S[Math.min(message.attempts, RETRY_DELAYS_S.length) - 1] ?? RETRY_DELAYS_S[0];
      message.retry({ delaySeconds: delay });
    }
  }
}

/**
 * The dead-letter queue's consumer: each message is a delivery whose every retry failed.
 * Marks it failed, and counts it against its endpoint, which is disabled (with the reason
 * Settings shows) once DISABLE_AFTER_DEAD deliveries in a row died.
 */
export async function recordDeadDeliveries(batch: MessageBatch<unknown>, deps: Pick<SendDeps, "db" | "now">) {
  for (const message of batch.messages) {
    const parsed = deliveryMessageSchema.safeParse(message.body);
    if (parsed.success) {
      const { eventId, endpointId } = parsed.data;
      const now = deps.now?.() ?? Date.now();
      const [dead] = await deps.db
        .update(webhookDeliveries)
        .set({ status: "failed", updatedAt: now })
        .where(
          and(
            eq(webhookDeliveries.eventId, eventId),
            eq(webhookDeliveries.endpointId, endpointId),
            // Not yet settled: a dead message the queue hands over twice is counted once.
            inArray(webhookDeliveries.status, ["pending", "retrying"]),
          ),
        )
        .returning({ error: webhookDeliveries.lastError });
      if (dead) {
        const last = (dead.error ?? "No answer.").replace(/\.$/, "");
        const reason = `Disabled after ${DISABLE_AFTER_DEAD} deliveries in a row failed every retry. The last one: ${last}. Fix the receiver, then enable it again.`;
        await deps.db
          .update(webhookEndpoints)
          .set({
            consecutiveFailures: sql`${webhookEndpoints.consecutiveFailures} + 1`,
            disabledAt: sql`CASE WHEN ${webhookEndpoints.disabledAt} IS NULL AND ${webhookEndpoints.consecutiveFailures} + 1 >= ${DISABLE_AFTER_DEAD} THEN ${now} ELSE ${webhookEndpoints.disabledAt} END`,
            disabledReason: sql`CASE WHEN ${webhookEndpoints.disabledAt} IS NULL AND ${webhookEndpoints.consecutiveFailures} + 1 >= ${DISABLE_AFTER_DEAD} THEN ${reason} ELSE ${webhookEndpoints.disabledReason} END`,
          })
          .where(eq(webhookEndpoints.id, endpointId));
      }
    }
    message.ack();
  }
}

/** A `webhook.test` event to one endpoint, at once (not through the outbox: nothing changed). */
export async function sendTestEvent(deps: DeliveryDeps, account: Account, endpointId: string, now = Date.now()) {
  const endpoint = await getWebhookEndpoint(deps.db, account, endpointId);
  if (!endpoint) return null;
  if (endpoint.disabledAt !== null) throw new Refusal("This endpoint is disabled. Enable it, then send a test.", 409);
  const eventId = `evt_${toHex(crypto.getRandomValues(new Uint8Array(12)))}`;
  // At most one test event per endpoint every TEST_INTERVAL_MS, decided in the insert itself: Settings
  // cannot be scripted into a stream of rows and outbound POSTs.
  const inserted = await insertWithinQuota(
    deps.db,
    webhookDeliveries,
    {
      eventId,
      endpointId,
      eventType: "webhook.test",
      body: webhookBody("webhook.test", now, { message: "A test event from LoreSmith AI.", endpointId }),
      createdAt: now,
      updatedAt: now,
    },
    sql`(SELECT count(*) FROM webhook_deliveries WHERE endpoint_id = ${endpointId} AND event_type = 'webhook.test'
      AND created_at > ${now - TEST_INTERVAL_MS})`,
    1,
  );
  if (!inserted)
    throw new Refusal("A test event was just sent to this endpoint. Wait a few seconds, then send another.", 429);
  await produce(deps.queue, [{ eventId, endpointId }]);
  return eventId;
}

/** Sends a failed delivery again (same id and body; a receiver that saw it can tell). */
export async function resendDelivery(
  deps: DeliveryDeps,
  account: Account,
  endpointId: string,
  eventId: string,
  now = Date.now(),
) {
  const found = await getDelivery(deps.db, account, endpointId, eventId);
  if (!found) return false;
  if (found.endpoint.disabledAt !== null) throw new Refusal("This endpoint is disabled. Enable it, then resend.", 409);
  const [reset] = await deps.db
    .update(webhookDeliveries)
    .set({ status: "pending", updatedAt: now })
    .where(
      and(
        eq(webhookDeliveries.eventId, eventId),
        eq(webhookDeliveries.endpointId, endpointId),
        eq(webhookDeliveries.status, "failed"),
      ),
    )
    .returning({ eventId: webhookDeliveries.eventId });
  if (!reset) throw new Refusal("Only a failed delivery can be sent again.", 409);
  await produce(deps.queue, [{ eventId, endpointId }]);
  return true;
}
