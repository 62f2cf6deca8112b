import { sessionSecret, sessionUser } from "../auth/middleware.server";
import { createDb } from "../db/db.server";
import { createSessionStore } from "../sessions/session.server";

/**
 * GET /ws: upgrades to a WebSocket joined to the caller's own UserFileTracker.
 * The session cookie is the only credential; without a valid session the upgrade is
 * refused, and the object is always chosen by the session's username, never by input.
 */
export async function connectLiveUpdates(request: Request, env: Env): Promise<Response> {
  if (request.headers.get("Upgrade")?.toLowerCase() !== "websocket") {
    return new Response("This endpoint only accepts WebSocket connections.", { status: 426 });
  }
  const store = createSessionStore(env.SESSIONS, sessionSecret(env), request.url);
  const session = await store.getSession(request.headers.get("Cookie"));
  const { user } = await sessionUser(createDb(env.DB), session);
  if (!user) {
    return new Response("Sign in to receive live updates.", { status: 401 });
  }
  const tracker = env.USER_FILE_TRACKER.get(env.USER_FILE_TRACKER.idFromName(user.username));
  return tracker.fetch(request);
}
