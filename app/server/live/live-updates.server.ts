import { sessionUser } from "../auth/middleware.server";
import { createServices, sessionStoreFor } from "../services.server";

/**
 * GET /ws: upgrades to a WebSocket joined to the caller's own UserFileTracker.
 * The session cookie is the only credential; without a valid session the upgrade is
 * refused, and the object is always chosen by the session's username, never by input.
 */
export async function connectLiveUpdates(request: Request, env: Env): Promise<Response> {
  if (request.headers.get("Upgrade")?.toLowerCase() !== "websocket") {
    return new Response("This endpoint only accepts WebSocket connections.", { status: 426 });
  }
  const services = createServices(env);
  const session = await sessionStoreFor(env, request.url).getSession(request.headers.get("Cookie"));
  const { user } = await sessionUser(services.db, session);
  if (!user) {
    return new Response("Sign in to receive live updates.", { status: 401 });
  }
  return services.tracker(user.username).fetch(request);
}
