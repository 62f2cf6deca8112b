import { createWorkersKVSessionStorage } from "@react-router/cloudflare";
import { createCookie, type Session } from "react-router";

/**
 * Sessions: the cookie carries only a random, signed session id; the data lives in the
 * SESSIONS KV namespace with a TTL — 1 hour idle, or 30 days with "remember me".
 * See docs/decisions/0002-sessions-in-kv.md and 0016.
 */
export interface SessionData {
  username: string;
  /** users.session_epoch when issued; a password change bumps it and voids the session. */
  epoch: number;
  remember: boolean;
  /** When the TTL was last extended (ms); extended at most every REFRESH_EVERY_MS. */
  refreshedAt: number;
}

export type AppSession = Session<SessionData>;

export const IDLE_TTL_SECONDS = 60 * 60;
export const REMEMBER_TTL_SECONDS = 30 * 24 * 60 * 60;
/** Sliding expiry without a KV write on every request. */
export const REFRESH_EVERY_MS = 5 * 60_000;

const LOCAL_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);

/** Cookies are Secure everywhere but localhost (browsers drop them on plain-http origins). */
export function secureCookies(requestUrl: string): boolean {
  return !LOCAL_HOSTS.has(new URL(requestUrl).hostname);
}

/**
 * `@react-router/cloudflare`'s KV session storage (docs/decisions/0016). It gives an
 * entry an expiry only when the commit names a lifetime (`maxAge`, which the cookie
 * carries too); a session that ends with the browser names none, so its writes get the
 * idle TTL here instead of living in KV forever.
 */
export function createSessionStore(kv: KVNamespace, secret: string, requestUrl: string) {
  const cookie = createCookie("__session", {
    httpOnly: true,
    sameSite: "lax",
    path: "/",
    secure: secureCookies(requestUrl),
    secrets: [secret],
  });
  const withIdleExpiry: Pick<KVNamespace, "get" | "put" | "delete"> = {
    get: kv.get.bind(kv),
    delete: kv.delete.bind(kv),
    put: (key, value, options) =>
      kv.put(key, value, options?.expiration ? options : { ...options, expirationTtl: IDLE_TTL_SECONDS }),
  };
  // The storage only ever calls get, put and delete.
  return createWorkersKVSessionStorage<SessionData>({ cookie, kv: withIdleExpiry as KVNamespace });
}

export type SessionStore = ReturnType<typeof createSessionStore>;

/** Cookie lifetime matches the KV TTL for "remember me"; otherwise it ends with the browser. */
export function cookieOptions(session: AppSession) {
  return session.get("remember") ? { maxAge: REMEMBER_TTL_SECONDS } : {};
}
