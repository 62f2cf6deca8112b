import type { MiddlewareFunction } from "react-router";
import type { CacheRead } from "../cache/read-models.server";
import { cloudflareContext } from "../context.server";
import { bookmarkOf, bookmarkSetCookie } from "../db/d1-session.server";
import { Timings } from "../http/timing.server";
import { requestStateContext, servicesContext } from "../request.server";
import { createServices, knownDeviceCookieFor, sessionStoreFor } from "../services.server";
import { cookieName, cookieOptions, REFRESH_EVERY_MS } from "../sessions/session.server";
import { findSignedIn, touchDevice } from "./devices.server";

/** Refreshing a remembered session this close to its absolute end is pointless (and KV needs 60 s). */
const MIN_REFRESH_REMAINING_MS = 2 * 60_000;

/**
 * Root middleware: builds the request's services (the composition root), loads the
 * session and, through its device row, the signed-in user; on the way out it extends an
 * active session (sliding idle TTL, last seen) at most every REFRESH_EVERY_MS and clears
 * a cookie whose device was signed out (elsewhere, by a password change, by deletion).
 */
export const sessionMiddleware: MiddlewareFunction<Response> = async ({ request, context, pattern }, next) => {
  const timings = new Timings();
  const { env, metrics } = context.get(cloudflareContext);
  if (metrics) metrics.route = pattern;
  const reading = request.method === "GET" || request.method === "HEAD";
  const bookmark = await bookmarkOf(request);
  const cacheReads: CacheRead[] = [];
  const services = createServices(env, {
    cacheReads: reading,
    metrics,
    // A request that may write reads from the primary: who may do it (its device, its role)
    // is decided on rows no replica lags behind (ADR 0031 addendum).
    bookmark: reading ? bookmark : "first-primary",
    onCacheRead: (read) => cacheReads.push(read),
  });
  const store = sessionStoreFor(env, request.url, metrics);
  const { session, deviceId, signedIn } = await timings.time("session", async () => {
    const session = await store.getSession(request.headers.get("Cookie"));
    const deviceId = session.get("deviceId");
    return { session, deviceId, signedIn: deviceId ? await findSignedIn(services.db, deviceId) : null };
  });
  context.set(servicesContext, services);
  context.set(requestStateContext, {
    store,
    session,
    user: signedIn?.user ?? null,
    device: signedIn?.device ?? null,
    knownDevice: knownDeviceCookieFor(env, request.url),
    timings,
  });

  const response = await next();
  // Which read models this answer came from (the browser's network panel; the hit-rate benchmark counts them).
  for (const read of cacheReads) {
    response.headers.append(
      "Server-Timing",
      `cache-${read.model};desc=${read.hit ? "hit" : "miss"};dur=${read.ms.toFixed(1)}`,
    );
  }
  const sessionCookie = `${cookieName("session", request.url)}=`;
  const setsSession = response.headers.getSetCookie().some((c) => c.startsWith(sessionCookie));
  // The device's own writes, to read back (ADR 0031): a signed-in device's, and a new
  // session's (its device row must be there when the next page looks it up). Not for a
  // refusal, nor for what an anonymous client wrote (sign-in attempts).
  if ((signedIn || setsSession) && response.status < 400) {
    const moved = await bookmarkSetCookie(request, bookmark, services.d1Bookmark());
    if (moved) response.headers.append("Set-Cookie", moved);
  }
  // A route that already set the session cookie (sign-in, sign-out) has the last word.
  if (setsSession) return response;
  const now = Date.now();
  if (deviceId && !signedIn) {
    response.headers.append("Set-Cookie", await store.destroySession(session));
  } else if (
    signedIn &&
    now - (session.get("refreshedAt") ?? 0) > REFRESH_EVERY_MS &&
    signedIn.device.expiresAt - now > MIN_REFRESH_REMAINING_MS
  ) {
    session.set("refreshedAt", now);
    response.headers.append("Set-Cookie", await store.commitSession(session, cookieOptions(signedIn.device)));
    await touchDevice(services.db, signedIn.device.id, now);
  }
  return response;
};
