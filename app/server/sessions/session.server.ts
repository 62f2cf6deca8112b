import { createWorkersKVSessionStorage } from "@react-router/cloudflare";
import { createCookie, type Session } from "react-router";

/**
 * Sessions: the cookie carries only a random, signed session id; the data lives in the
 * SESSIONS KV namespace with a TTL — 1 hour idle, or until the device's absolute end with
 * "remember me". The data names only the signed-in device (its D1 row decides whether
 * the session is valid, and whose it is). See docs/decisions/0016 and 0017.
 */
export interface SessionData {
  /** user_devices.id: the account is found through it, never through a name. */
  deviceId: string;
  remember: boolean;
  /** When the TTL was last extended (ms); extended at most every REFRESH_EVERY_MS. */
  refreshedAt: number;
  /** A GM looking at one campaign as one of its players sees it (ADR 0026, guards.server.ts). */
  previewAs: { campaignId: string; accountId: string };
}

/** Read once, then gone: new recovery codes on their way to the page that shows them. */
export interface SessionFlash {
  recoveryCodes: string[];
}

export type AppSession = Session<SessionData, SessionFlash>;

export const IDLE_TTL_SECONDS = 60 * 60;
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
/**
 * `__Host-` keeps the cookie to this exact host over HTTPS (no Domain, Path=/, Secure);
 * browsers refuse that prefix on plain-http localhost, so there it is a plain name.
 */
export function cookieName(name: string, requestUrl: string): string {
  return secureCookies(requestUrl) ? `__Host-${name}` : `__${name}`;
}

export function createSessionStore(kv: KVNamespace, secret: string, requestUrl: string) {
  const cookie = createCookie(cookieName("session", requestUrl), {
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
  return createWorkersKVSessionStorage<SessionData, SessionFlash>({ cookie, kv: withIdleExpiry as KVNamespace });
}

export type SessionStore = ReturnType<typeof createSessionStore>;

/**
 * A remembered session's cookie and KV entry end with its device (an absolute time);
 * otherwise the cookie ends with the browser and KV keeps the entry for the idle TTL.
 */
export function cookieOptions(device: { remember: boolean; expiresAt: number }) {
  return device.remember ? { expires: new Date(device.expiresAt) } : {};
}
