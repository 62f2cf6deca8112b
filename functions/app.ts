import { createRequestHandler, RouterContextProvider } from "react-router";
import { cloudflareContext } from "../app/server/context.server";
import { createNonce, rejectCrossSite, withSecurityHeaders } from "../app/server/http/security.server";
import { connectLiveUpdates } from "../app/server/live/live-updates.server";

export { UserFileTracker } from "./user-file-tracker";

const requestHandler = createRequestHandler(() => import("virtual:react-router/server-build"), import.meta.env.MODE);

export default {
  async fetch(request, env, ctx) {
    const nonce = createNonce();
    const refused = rejectCrossSite(request);
    if (refused) return withSecurityHeaders(refused, nonce);

    if (new URL(request.url).pathname === "/ws") return connectLiveUpdates(request, env);

    const context = new RouterContextProvider();
    context.set(cloudflareContext, { env, ctx, cspNonce: nonce });
    const response = await requestHandler(request, context);
    return withSecurityHeaders(response, nonce, import.meta.env.DEV);
  },
} satisfies ExportedHandler<Env>;
