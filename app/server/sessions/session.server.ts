import { createCookie, createSessionStorage, type Session } from "react-router";

/**
 * Sessions: the cookie carries only a random, signed session id; the data lives in the
 * SESSIONS KV namespace with a TTL — 1 hour idle, or 30 days with "remember me".
 * See docs/decisions/0002-sessions-in-kv.md.
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

function ttlSeconds(data: Partial<SessionData>): number {
  return data.remember ? REMEMBER_TTL_SECONDS : IDLE_TTL_SECONDS;
}

function randomId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Cookies are Secure everywhere but localhost (browsers drop them on plain-http origins). */
export function secureCookies(requestUrl: string): boolean {
  return !LOCAL_HOSTS.has(new URL(requestUrl).hostname);
}

export function createSessionStore(kv: KVNamespace, secret: string, requestUrl: string) {
  const cookie = createCookie("__session", {
    httpOnly: true,
    sameSite: "lax",
    path: "/",
    secure: secureCookies(requestUrl),
    secrets: [secret],
  });
  return createSessionStorage<SessionData>({
    cookie,
    async createData(data) {
      const id = randomId();
      await kv.put(`session:${id}`, JSON.stringify(data), { expirationTtl: ttlSeconds(data) });
      return id;
    },
    async readData(id) {
      return kv.get(`session:${id}`, "json");
    },
    async updateData(id, data) {
      await kv.put(`session:${id}`, JSON.stringify(data), { expirationTtl: ttlSeconds(data) });
    },
    async deleteData(id) {
      await kv.delete(`session:${id}`);
    },
  });
}

export type SessionStore = ReturnType<typeof createSessionStore>;

/** Cookie lifetime matches the KV TTL for "remember me"; otherwise it ends with the browser. */
export function cookieOptions(session: AppSession) {
  return session.get("remember") ? { maxAge: REMEMBER_TTL_SECONDS } : {};
}
