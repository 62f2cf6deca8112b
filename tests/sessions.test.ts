import { env } from "cloudflare:workers";
import { RouterContextProvider } from "react-router";
import { describe, expect, it } from "vitest";
import { changePassword } from "~/server/auth/accounts.server";
import { sessionMiddleware } from "~/server/auth/middleware.server";
import { endSession, startSession } from "~/server/auth/sign-in.server";
import { cloudflareContext } from "~/server/context.server";
import { getRequestState, type RequestState } from "~/server/request.server";
import { createSessionStore, IDLE_TTL_SECONDS, REMEMBER_TTL_SECONDS } from "~/server/sessions/session.server";
import { db, newUser, PASSWORD } from "./helpers";

const URL_BASE = "http://localhost/";

/** Runs the root session middleware for a request, capturing the state it sets up. */
async function runMiddleware(cookie: string | null, handler?: (state: RequestState) => Promise<Response>) {
  const context = new RouterContextProvider();
  context.set(cloudflareContext, { env, ctx: {} as ExecutionContext, cspNonce: "n" });
  const request = new Request(URL_BASE, { headers: cookie ? { Cookie: cookie } : {} });
  let state: RequestState | undefined;
  const response = (await sessionMiddleware(
    { request, context, params: {}, unstable_pattern: "/" } as never,
    async () => {
      state = getRequestState(context);
      return handler ? handler(state) : new Response("ok");
    },
  )) as Response;
  if (!state) throw new Error("middleware did not call next()");
  return { state, response };
}

const cookiePair = (setCookie: string | null) => setCookie?.split(";")[0] ?? "";
/** The KV entries of sessions (the namespace holds nothing else). */
const sessionKeys = async () => (await env.SESSIONS.list()).keys;

async function signIn(remember: boolean) {
  const user = await newUser();
  const { response } = await runMiddleware(null, (state) => startSession(state, user, remember, "/home"));
  return { user, cookie: cookiePair(response.headers.get("Set-Cookie")), response };
}

describe("sessions in KV", () => {
  it("puts only a signed random id in the cookie and the data in KV with a 1 hour idle TTL", async () => {
    const { user, cookie, response } = await signIn(false);
    const setCookie = response.headers.get("Set-Cookie") ?? "";
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Lax/i);
    expect(setCookie).not.toMatch(/Max-Age|Expires/i); // ends with the browser
    expect(cookie).not.toContain(user.username);

    const { state } = await runMiddleware(cookie);
    expect(state.user?.username).toBe(user.username);
    const key = (await sessionKeys()).find((k) => k.name === state.session.id);
    expect(key?.expiration).toBeGreaterThan(Date.now() / 1000 + IDLE_TTL_SECONDS - 60);
    expect(key?.expiration).toBeLessThanOrEqual(Date.now() / 1000 + IDLE_TTL_SECONDS + 1);
  });

  it("keeps a remembered session for 30 days", async () => {
    const before = new Set((await sessionKeys()).map((k) => k.name));
    const { response } = await signIn(true);
    expect(response.headers.get("Set-Cookie")).toMatch(/Max-Age=2592000/);
    const created = (await sessionKeys()).find((k) => !before.has(k.name));
    expect(created?.expiration).toBeGreaterThan(Date.now() / 1000 + REMEMBER_TTL_SECONDS - 60);
  });

  it("marks the cookie Secure everywhere but localhost", async () => {
    const store = createSessionStore(env.SESSIONS, "s", "https://loresmith.example/");
    const session = await store.getSession();
    session.set("username", "x");
    expect(await store.commitSession(session)).toMatch(/Secure/);
    const local = createSessionStore(env.SESSIONS, "s", "http://localhost:4173/");
    expect(await local.commitSession(await local.getSession())).not.toMatch(/Secure/);
  });

  it("rejects a cookie whose signature was tampered with", async () => {
    const { cookie } = await signIn(false);
    const tampered = cookie.replace(/.(?=%|$)/, (c) => (c === "A" ? "B" : "A"));
    const { state } = await runMiddleware(tampered);
    expect(state.user).toBeNull();
  });

  it("rotates the id at sign-in and destroys the KV entry at sign-out", async () => {
    const first = await signIn(false);
    const firstId = (await runMiddleware(first.cookie)).state.session.id;
    // Signing in again from that browser issues a new id and deletes the old one.
    const { response } = await runMiddleware(first.cookie, (state) => startSession(state, first.user, false, "/home"));
    const second = cookiePair(response.headers.get("Set-Cookie"));
    const secondState = (await runMiddleware(second)).state;
    expect(secondState.session.id).not.toBe(firstId);
    expect(await env.SESSIONS.get(firstId)).toBeNull();
    expect((await runMiddleware(first.cookie)).state.user).toBeNull();

    await runMiddleware(second, (state) => endSession(state));
    expect(await env.SESSIONS.get(secondState.session.id)).toBeNull();
    expect((await runMiddleware(second)).state.user).toBeNull();
  });

  it("extends an idle session's TTL (sliding expiry) without a write on every request", async () => {
    const { cookie } = await signIn(false);
    const fresh = await runMiddleware(cookie);
    expect(fresh.response.headers.get("Set-Cookie")).toBeNull();

    // Pretend the last refresh was 10 minutes ago.
    const id = fresh.state.session.id;
    const data = await env.SESSIONS.get<Record<string, unknown>>(id, "json");
    await env.SESSIONS.put(id, JSON.stringify({ ...data, refreshedAt: Date.now() - 10 * 60_000 }), {
      expirationTtl: 120,
    });
    const stale = await runMiddleware(cookie);
    expect(stale.response.headers.get("Set-Cookie")).toContain("__session=");
    const key = (await sessionKeys()).find((k) => k.name === id);
    expect(key?.expiration).toBeGreaterThan(Date.now() / 1000 + IDLE_TTL_SECONDS - 60);
  });

  it("voids every session issued before a password change and clears its cookie", async () => {
    const { user, cookie } = await signIn(false);
    await changePassword(db, user.username, PASSWORD, "a different password", "test-client");
    const { state, response } = await runMiddleware(cookie);
    expect(state.user).toBeNull();
    expect(response.headers.get("Set-Cookie")).toMatch(/__session=;|Max-Age=0|Expires=Thu, 01 Jan 1970/);
  });
});
