import { findSignedIn } from "../auth/devices.server";
import type { Db } from "../db/db.server";
import { createServices, sessionStoreFor } from "../services.server";

/** The header that tells the tracker which signed-in device a socket belongs to. */
export const DEVICE_HEADER = "X-LoreSmith-Device";

/**
 * GET /ws: upgrades to a WebSocket joined to the caller's own UserFileTracker.
 * The session cookie is the only credential; without a signed-in device the upgrade is
 * refused, and the object is always chosen by the account's id, never by input. The
 * socket is tagged with the device, so signing that device out closes it.
 */
export async function connectLiveUpdates(request: Request, env: Env): Promise<Response> {
  if (request.headers.get("Upgrade")?.toLowerCase() !== "websocket") {
    return new Response("This endpoint only accepts WebSocket connections.", { status: 426 });
  }
  // From the primary: a device signed out a moment ago must not reconnect from a lagging replica.
  const services = createServices(env, { bookmark: "first-primary" });
  const signedIn = await signedInDevice(request, env, services.db);
  if (!signedIn) {
    return new Response("Sign in to receive live updates.", { status: 401 });
  }
  // Only the Worker sets the tag: whatever the browser sent under that name is replaced.
  const headers = new Headers(request.headers);
  headers.set(DEVICE_HEADER, signedIn.device.id);
  return services.tracker(signedIn.user.id).fetch(new Request(request, { headers }));
}

/** The signed-in account and device a socket's request carries (its session cookie), or null. */
export async function signedInDevice(request: Request, env: Env, db: Db) {
  const session = await sessionStoreFor(env, request.url).getSession(request.headers.get("Cookie"));
  const deviceId = session.get("deviceId");
  return deviceId ? findSignedIn(db, deviceId) : null;
}
