import { createRequestHandler, RouterContextProvider } from "react-router";
import { cloudflareContext } from "../app/server/context.server";
import { runScheduled } from "../app/server/cron.server";
import { beforeRouter } from "../app/server/http/before-router.server";
import { createNonce, withSecurityHeaders } from "../app/server/http/security.server";

export { CampaignRoom } from "./campaign-room";
export { UserFileTracker } from "./user-file-tracker";

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

export default {
  async fetch(request, env, ctx) {
    const nonce = createNonce();
    const routed = await beforeRouter(request, env);
    if (routed instanceof Response) return withSecurityHeaders(routed, request, nonce, import.meta.env.DEV);

    const context = new RouterContextProvider();
    context.set(cloudflareContext, { env, ctx, cspNonce: nonce });
    const response = await requestHandler(routed, context);
    await drainUnreadBody(routed);
    return withSecurityHeaders(response, request, nonce, import.meta.env.DEV);
  },

  async scheduled(_controller, env, ctx) {
    ctx.waitUntil(runScheduled(env));
  },
} satisfies ExportedHandler<Env>;
