import { createRequestHandler, RouterContextProvider } from "react-router";
import { cloudflareContext } from "../app/server/context.server";
import { runScheduled } from "../app/server/cron.server";
import { beforeRouter } from "../app/server/http/before-router.server";
import { createNonce, withSecurityHeaders } from "../app/server/http/security.server";

export { UserFileTracker } from "./user-file-tracker";

const requestHandler = createRequestHandler(() => import("virtual:react-router/server-build"), import.meta.env.MODE);

export default {
  async fetch(request, env, ctx) {
    const nonce = createNonce();
    const routed = await beforeRouter(request, env);
    if (routed instanceof Response) return withSecurityHeaders(routed, request, nonce, import.meta.env.DEV);

    const context = new RouterContextProvider();
    context.set(cloudflareContext, { env, ctx, cspNonce: nonce });
    const response = await requestHandler(routed, context);
    return withSecurityHeaders(response, request, nonce, import.meta.env.DEV);
  },

  async scheduled(_controller, env, ctx) {
    ctx.waitUntil(runScheduled(env));
  },
} satisfies ExportedHandler<Env>;
