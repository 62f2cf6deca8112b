import { createContext, type RouterContextProvider, redirect } from "react-router";
import type { KnownDeviceCookie } from "./auth/known-device.server";
import type { Device, User } from "./db/schema";
import { type RateLimitKind, rateLimited, withinRateLimit } from "./http/rate-limits.server";
import type { Timings } from "./http/timing.server";
import type { Services } from "./services.server";
import type { AppSession, SessionStore } from "./sessions/session.server";

/**
 * What the root session middleware (app/server/auth/middleware.server.ts) puts on every
 * request's router context: the services of the composition root, and who is asking.
 */
export interface RequestState {
  store: SessionStore;
  session: AppSession;
  /** The signed-in user, or null. */
  user: User | null;
  /** The signed-in device (its session's row), or null. */
  device: Device | null;
  /** Marks browsers that signed in before (throttling, ADR 0017). */
  knownDevice: KnownDeviceCookie;
  /** Where this request's time goes (the session lookup first). */
  timings: Timings;
}

export const servicesContext = createContext<Services>();
export const requestStateContext = createContext<RequestState>();

/** Everything a loader or action works with: D1, R2, the user's tracker, search, the assistant, limits. */
export function getServices(context: Readonly<RouterContextProvider>): Services {
  return context.get(servicesContext);
}

export function getRequestState(context: Readonly<RouterContextProvider>): RequestState {
  return context.get(requestStateContext);
}

/** The signed-in user, or a redirect to sign-in that comes back here afterwards. */
export function requireUser(context: Readonly<RouterContextProvider>, request: Request): User {
  const { user } = context.get(requestStateContext);
  if (user) return user;
  const url = new URL(request.url);
  const back = url.pathname + url.search;
  throw redirect(back === "/" ? "/login" : `/login?${new URLSearchParams({ redirectTo: back })}`);
}

/** Sign-in and sign-up pages send a signed-in user home. */
export function requireAnonymous(context: Readonly<RouterContextProvider>): void {
  if (context.get(requestStateContext).user) throw redirect("/home");
}

/**
 * Counts this request against its kind's rate limit — by client for signing in and up, by
 * account for the rest — and throws a 429 `{ error }` response past it (ADR 0018).
 */
export async function limitRequest(
  context: Readonly<RouterContextProvider>,
  request: Request,
  kind: RateLimitKind,
): Promise<void> {
  if (!(await withinRequestLimit(context, request, kind))) throw rateLimited(kind);
}

/** The same check for forms that show the refusal beside their fields instead of throwing. */
export async function withinRequestLimit(
  context: Readonly<RouterContextProvider>,
  request: Request,
  kind: RateLimitKind,
): Promise<boolean> {
  const { user } = getRequestState(context);
  const key = kind === "auth" || !user ? `client:${clientId(request)}` : `account:${user.id}`;
  return withinRateLimit(getServices(context).rateLimits, kind, key);
}

/** Identifies the client for throttling: Cloudflare sets CF-Connecting-IP and overwrites any sent. */
export function clientId(request: Request): string {
  return request.headers.get("CF-Connecting-IP") ?? "local";
}
