import { createContext, type RouterContextProvider, redirect } from "react-router";
import { cloudflareContext } from "./context.server";
import { createDb, type Db } from "./db/db.server";
import type { User } from "./db/schema";
import type { AppSession, SessionStore } from "./sessions/session.server";

/** Per-request state the session middleware (app/server/auth/middleware.server.ts) sets up. */
export interface RequestState {
  db: Db;
  store: SessionStore;
  session: AppSession;
  /** The signed-in user, or null. */
  user: User | null;
}

export const requestStateContext = createContext<RequestState>();

export function getEnv(context: Readonly<RouterContextProvider>): Env {
  return context.get(cloudflareContext).env;
}

export function getRequestState(context: Readonly<RouterContextProvider>): RequestState {
  return context.get(requestStateContext);
}

export function getDb(context: Readonly<RouterContextProvider>): Db {
  return context.get(requestStateContext).db;
}

export { createDb };

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
