import { createRequestHandler, RouterContextProvider } from "react-router";
import { cloudflareContext } from "../app/server/context.server";
import { runScheduled } from "../app/server/cron.server";
import { beforeRouter } from "../app/server/http/before-router.server";
import { createNonce, withSecurityHeaders } from "../app/server/http/security.server";
import { collectMetrics, metricsEnabled } from "../app/server/metrics/metrics.server";
import { MetricsRecorder, requestName, statusClass } from "../app/server/metrics/recorder.server";
import { webhookServices } from "../app/server/services.server";
import { deliverWebhooks, drainWebhookOutbox, recordDeadDeliveries } from "../app/server/webhooks/delivery.server";

export { CampaignRoom } from "./campaign-room";
export { MetricsStore } from "./metrics-store";
export { UserFileTracker } from "./user-file-tracker";

function mayHaveWritten(request: Request, response: Response): boolean {
  if (request.method === "GET" || request.method === "HEAD" || request.method === "OPTIONS") return false;
  if (response.status >= 400) return false;
  return request.headers.has("Cookie") || request.headers.has("Authorization");
}

async function drainQuietly(env: Env): Promise<void> {
  await drainWebhookOutbox(webhookServices(env)).catch((error) => console.error("webhooks: drain failed:", error));
}

const requestHandler = createRequestHandler(() => import("virtual:react-router/server-build"), import.meta.env.MODE);

/** Small bodies a refusal never read (a 404 before the form was parsed) are read anyway. */
const DRAIN_MAX_BYTES = 1024 * 1024;

/**
 * A response sent before its request's body was read makes workerd close the connection,
 * and a client that sends its next request on that kept-alive connection meets a reset
 * (seen locally, where nothing buffers in front of workerd). Reading what is left of a
 * small body keeps the connection usable; a large one is left (and the connection closed).
 */
async function drainUnreadBody(request: Request): Promise<void> {
  if (!request.body || request.bodyUsed) return;
  const length = Number(request.headers.get("Content-Length"));
  if (!Number.isFinite(length) || length <= 0 || length > DRAIN_MAX_BYTES) return;
  await request.arrayBuffer().catch(() => undefined);
}

async function handle(request: Request, env: Env, ctx: ExecutionContext, metrics: MetricsRecorder | null) {
  const nonce = createNonce();
  const routed = await beforeRouter(request, env);
  if (routed instanceof Response) return withSecurityHeaders(routed, request, nonce, import.meta.env.DEV);

  const context = new RouterContextProvider();
  context.set(cloudflareContext, { env, ctx, cspNonce: nonce, metrics });
  const response = await requestHandler(routed, context);
  await drainUnreadBody(routed);
  return withSecurityHeaders(response, request, nonce, import.meta.env.DEV);
}

export default {
  async fetch(request, env, ctx) {
    const started = performance.now();
    const metrics = metricsEnabled(env) ? new MetricsRecorder() : null;
    const response = await handle(request, env, ctx, metrics);
    if (metrics) {
      // Until the headers are ready: a streamed body (the assistant) is not waited for.
      const ms = performance.now() - started;
      metrics.observe(
        "request",
        requestName(request.method, metrics.route),
        statusClass(response.status),
        ms,
        response.status < 500,
      );
      collectMetrics(env, metrics, (work) => ctx.waitUntil(work));
    }
    // A request that may have written may have left webhook events: fan them out now. Only one
    // that carried a credential and succeeded can have (a refused or anonymous flood costs no
    // primary query); the UserFileTracker and the cron drain whatever else there is.
    if (mayHaveWritten(request, response)) ctx.waitUntil(drainQuietly(env));
    return response;
  },

  async queue(batch, env) {
    const deps = webhookServices(env);
    if (batch.queue.endsWith("-dlq")) await recordDeadDeliveries(batch, deps);
    else await deliverWebhooks(batch, deps);
  },

  async scheduled(_controller, env, ctx) {
    ctx.waitUntil(runScheduled(env));
  },
} satisfies ExportedHandler<Env>;
