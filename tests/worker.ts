/**
 * Test-only Worker entry: the real entry's behaviour minus React Router's server build
 * (a Vite virtual module). What the real entry does before React Router — the cross-site
 * check, the live-update socket, the body limits — runs exactly as in production; what
 * would be routed answers "ok" with the size of the body it was given.
 */
import { runScheduled } from "~/server/cron.server";
import { beforeRouter } from "~/server/http/before-router.server";
import { createNonce, withSecurityHeaders } from "~/server/http/security.server";
import { webhookServices } from "~/server/services.server";
import { deliverWebhooks, recordDeadDeliveries } from "~/server/webhooks/delivery.server";

export { CampaignRoom } from "../functions/campaign-room";
export { MetricsStore } from "../functions/metrics-store";
export { UserFileTracker } from "../functions/user-file-tracker";

export default {
  async fetch(request, env) {
    const nonce = createNonce();
    const routed = await beforeRouter(request, env);
    if (routed instanceof Response) return withSecurityHeaders(routed, request, nonce);
    const received = routed.body ? (await routed.arrayBuffer()).byteLength : 0;
    return withSecurityHeaders(
      new Response("ok", { headers: { "Content-Type": "text/html", "X-Received-Bytes": String(received) } }),
      request,
      nonce,
    );
  },

  async scheduled(_controller, env) {
    await runScheduled(env);
  },

  // The real consumers: what the tests produce to WEBHOOKS is delivered as in production.
  async queue(batch, env) {
    const deps = webhookServices(env);
    if (batch.queue.endsWith("-dlq")) await recordDeadDeliveries(batch, deps);
    else await deliverWebhooks(batch, deps);
  },
} satisfies ExportedHandler<Env>;
