import type { MiddlewareFunction } from "react-router";
import { cloudflareContext } from "../context.server";
import type { Db } from "../db/db.server";
import type { User } from "../db/schema";
import { requestStateContext, servicesContext } from "../request.server";
import { createServices, sessionStoreFor } from "../services.server";
import { type AppSession, cookieOptions, REFRESH_EVERY_MS } from "../sessions/session.server";
import { findUser } from "./accounts.server";

/**
 * The user a session belongs to, if it is still valid: the account exists and its
 * password has not changed since the session was issued (same epoch). A session that
 * names a user but fails that is `voided`.
 */
export async function sessionUser(db: Db, session: AppSession): Promise<{ user: User | null; voided: boolean }> {
  const username = session.get("username");
  if (!username) return { user: null, voided: false };
  const found = await findUser(db, username);
  return found && found.sessionEpoch === session.get("epoch")
    ? { user: found, voided: false }
    : { user: null, voided: true };
}

/**
 * Root middleware: builds the request's services (the composition root), loads the
 * session and the signed-in user, then on the way out extends an active session's idle
 * TTL (sliding expiry) and clears a cookie whose session was voided (password changed
 * elsewhere, account deleted, expired).
 */
export const sessionMiddleware: MiddlewareFunction<Response> = async ({ request, context }, next) => {
  const { env } = context.get(cloudflareContext);
  const services = createServices(env);
  const store = sessionStoreFor(env, request.url);
  const session = await store.getSession(request.headers.get("Cookie"));
  const { user, voided } = await sessionUser(services.db, session);
  context.set(servicesContext, services);
  context.set(requestStateContext, { store, session, user });

  const response = await next();
  // A route that already set the session cookie (sign-in, sign-out) has the last word.
  if (response.headers.getSetCookie().some((c) => c.startsWith("__session="))) return response;
  if (voided) {
    response.headers.append("Set-Cookie", await store.destroySession(session));
  } else if (user && Date.now() - (session.get("refreshedAt") ?? 0) > REFRESH_EVERY_MS) {
    session.set("refreshedAt", Date.now());
    response.headers.append("Set-Cookie", await store.commitSession(session, cookieOptions(session)));
  }
  return response;
};
