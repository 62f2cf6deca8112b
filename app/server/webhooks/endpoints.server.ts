import { and, desc, eq, inArray, sql } from "drizzle-orm";
import { MAX_WEBHOOKS_PER_ACCOUNT, type WebhookEvent } from "~/lib/api";
import type { Db } from "../db/db.server";
import { insertWithinQuota, QuotaExceeded } from "../db/quota.server";
import { type WebhookEndpoint, webhookDeliveries, webhookEndpoints } from "../db/schema";
import { toHex } from "../files/files.server";
import type { Account } from "../files/library.server";
import { Refusal } from "../http/responses.server";
import { webhookUrlProblem } from "./ssrf.server";

/**
 * A user's webhook endpoints (ADR 0033): registered with an address that passes the SSRF
 * rules (ssrf.server.ts) and the events to send; each gets a Standard Webhooks secret,
 * shown once. Settings lists them with their recent deliveries.
 */

/** Deliveries Settings shows per endpoint. */
export const RECENT_DELIVERIES = 10;

export interface WebhookRules {
  /** WEBHOOK_ALLOW_LOOPBACK = "on": http:// and loopback addresses are allowed (the local server). */
  allowLoopback: boolean;
}

export function webhookRules(env: Pick<Env, "WEBHOOK_ALLOW_LOOPBACK">): WebhookRules {
  return { allowLoopback: env.WEBHOOK_ALLOW_LOOPBACK === "on" };
}

/** "whsec_" and 32 random bytes in base64: the Standard Webhooks secret format. */
function newSecret(): string {
  return `whsec_${btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))))}`;
}

export async function createWebhookEndpoint(
  db: Db,
  account: Account,
  input: { url: string; events: WebhookEvent[] },
  rules: WebhookRules,
): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
  const problem = webhookUrlProblem(input.url, rules);
  if (problem) throw new Refusal(problem, 400);
  const secret = newSecret();
  const endpoint = await insertWithinQuota(
    db,
    webhookEndpoints,
    {
      id: `wh_${toHex(crypto.getRandomValues(new Uint8Array(12)))}`,
      userId: account.id,
      url: new URL(input.url).href,
      events: [...new Set(input.events)],
      secret,
    },
    sql`(SELECT count(*) FROM webhook_endpoints WHERE user_id = ${account.id})`,
    MAX_WEBHOOKS_PER_ACCOUNT,
  );
  if (!endpoint) {
    throw new QuotaExceeded(
      `You have ${MAX_WEBHOOKS_PER_ACCOUNT} webhook endpoints, the most one account can. Delete one you no longer use first.`,
    );
  }
  return { endpoint, secret };
}

export async function getWebhookEndpoint(db: Db, account: Account, endpointId: string) {
  return db.query.webhookEndpoints.findFirst({
    where: and(eq(webhookEndpoints.id, endpointId), eq(webhookEndpoints.userId, account.id)),
  });
}

/** The account's endpoints (never their secrets), each with its most recent deliveries. */
export async function listWebhookEndpoints(db: Db, account: Account) {
  const endpoints = await db
    .select({
      id: webhookEndpoints.id,
      url: webhookEndpoints.url,
      events: webhookEndpoints.events,
      consecutiveFailures: webhookEndpoints.consecutiveFailures,
      disabledAt: webhookEndpoints.disabledAt,
      disabledReason: webhookEndpoints.disabledReason,
      createdAt: webhookEndpoints.createdAt,
    })
    .from(webhookEndpoints)
    .where(eq(webhookEndpoints.userId, account.id))
    .orderBy(webhookEndpoints.createdAt);
  if (endpoints.length === 0) return [];
  const deliveries = await db.all<{
    event_id: string;
    endpoint_id: string;
    event_type: WebhookEvent;
    status: string;
    attempts: number;
    response_status: number | null;
    last_error: string | null;
    created_at: number;
    updated_at: number;
  }>(sql`
    SELECT event_id, endpoint_id, event_type, status, attempts, response_status, last_error, created_at, updated_at
    FROM (SELECT *, row_number() OVER (PARTITION BY endpoint_id ORDER BY created_at DESC) AS n
          FROM webhook_deliveries WHERE endpoint_id IN ${endpoints.map((e) => e.id)})
    WHERE n <= ${RECENT_DELIVERIES} ORDER BY created_at DESC`);
  return endpoints.map((endpoint) => ({
    ...endpoint,
    deliveries: deliveries
      .filter((d) => d.endpoint_id === endpoint.id)
      .map((d) => ({
        eventId: d.event_id,
        eventType: d.event_type,
        status: d.status,
        attempts: d.attempts,
        responseStatus: d.response_status,
        lastError: d.last_error,
        createdAt: d.created_at,
        updatedAt: d.updated_at,
      })),
  }));
}

export async function deleteWebhookEndpoint(db: Db, account: Account, endpointId: string): Promise<boolean> {
  const removed = await db
    .delete(webhookEndpoints)
    .where(and(eq(webhookEndpoints.id, endpointId), eq(webhookEndpoints.userId, account.id)))
    .returning({ id: webhookEndpoints.id });
  return removed.length > 0;
}

/** Enables an endpoint again (after it was disabled for failing): its failure count starts over. */
export async function enableWebhookEndpoint(db: Db, account: Account, endpointId: string): Promise<boolean> {
  const updated = await db
    .update(webhookEndpoints)
    .set({ disabledAt: null, disabledReason: null, consecutiveFailures: 0 })
    .where(and(eq(webhookEndpoints.id, endpointId), eq(webhookEndpoints.userId, account.id)))
    .returning({ id: webhookEndpoints.id });
  return updated.length > 0;
}

/** Deliveries of the account's endpoints, by (event, endpoint) — for a resend. */
export async function getDelivery(db: Db, account: Account, endpointId: string, eventId: string) {
  const [row] = await db
    .select({ delivery: webhookDeliveries, endpoint: webhookEndpoints })
    .from(webhookDeliveries)
    .innerJoin(webhookEndpoints, eq(webhookEndpoints.id, webhookDeliveries.endpointId))
    .where(
      and(
        eq(webhookDeliveries.eventId, eventId),
        eq(webhookDeliveries.endpointId, endpointId),
        eq(webhookEndpoints.userId, account.id),
      ),
    );
  return row;
}

/** Endpoints of these accounts that take deliveries now. */
export async function enabledEndpointsOf(db: Db, accountIds: string[]) {
  if (accountIds.length === 0) return [];
  return db
    .select({ id: webhookEndpoints.id, userId: webhookEndpoints.userId, events: webhookEndpoints.events })
    .from(webhookEndpoints)
    .where(and(inArray(webhookEndpoints.userId, accountIds), sql`${webhookEndpoints.disabledAt} IS NULL`))
    .orderBy(desc(webhookEndpoints.createdAt));
}
