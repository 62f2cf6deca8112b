import { createContext, type RouterContextProvider, redirect } from "react-router";
import type { User } from "./db/schema";
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

/** Identifies the client for throttling: Cloudflare sets CF-Connecting-IP and overwrites any sent. */
export function clientId(request: Request): string {
  return request.headers.get("CF-Connecting-IP") ?? "local";
}
