import { connectLiveUpdates } from "../live/live-updates.server";
import { limitBody } from "./body-limits.server";
import { rejectCrossSite } from "./security.server";

/**
 * What the Worker does with a request before React Router sees it, in both entries (the
 * real one and the tests'): refuse cross-site writes, hand `/ws` to the live-update
 * socket, bound the body. Answers the response to send, or the request to route.
 */
export async function beforeRouter(request: Request, env: Env): Promise<Request | Response> {
  const refused = rejectCrossSite(request);
  if (refused) return refused;
  if (new URL(request.url).pathname === "/ws") return connectLiveUpdates(request, env);
  return limitBody(request);
}
