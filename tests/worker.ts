/**
 * Test-only Worker entry: the real entry's behaviour minus React Router's server build
 * (a Vite virtual module). Requests that the real entry handles before React Router —
 * the cross-site check and the live-update socket — behave exactly as in production.
 */
import { createNonce, rejectCrossSite, withSecurityHeaders } from "~/server/http/security.server";
import { connectLiveUpdates } from "~/server/live/live-updates.server";

export { UserFileTracker } from "../functions/user-file-tracker";

export default {
  async fetch(request, env) {
    const nonce = createNonce();
    const refused = rejectCrossSite(request);
    if (refused) return withSecurityHeaders(refused, nonce);
    if (new URL(request.url).pathname === "/ws") return connectLiveUpdates(request, env);
    return withSecurityHeaders(new Response("ok", { headers: { "Content-Type": "text/html" } }), nonce);
  },
} satisfies ExportedHandler<Env>;
