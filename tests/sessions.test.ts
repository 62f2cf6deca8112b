import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { changePassword, createAccount, deleteAccount } from "~/server/auth/accounts.server";
import {
  describeUserAgent,
  listDevices,
  REMEMBERED_LIFETIME_MS,
  removeOtherDevices,
  SESSION_LIFETIME_MS,
} from "~/server/auth/devices.server";
import { knownDeviceCookie, readKnownDevice } from "~/server/auth/known-device.server";
import { endSession, startSession } from "~/server/auth/sign-in.server";
import { userDevices } from "~/server/db/schema";
import { createSessionStore, IDLE_TTL_SECONDS } from "~/server/sessions/session.server";
import { cookiesOf, db, newUser, PASSWORD, services, signIn, uniqueName, withSession } from "./helpers";

/** The KV entries of sessions (the namespace holds nothing else). */
const sessionKeys = async () => (await env.SESSIONS.list()).keys;
const from = { clientId: "test-client", knownDevice: null };
const sessionCookieOf = (cookies: string) => cookies.split("; ").find((c) => c.startsWith("__session=")) ?? "";

describe("sessions", () => {
  it("put only a signed random id in the cookie, and the data in KV with a 1 hour idle TTL", async () => {
    const user = await newUser();
    const { response } = await withSession(null, async (state, request) => {
      return new Response(null, { headers: await startSession(state, services, user, { remember: false, request }) });
    });
    const setCookie = response.headers.getSetCookie().find((c) => c.startsWith("__session=")) ?? "";
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Lax/i);
    expect(setCookie).not.toMatch(/Max-Age|Expires/i); // ends with the browser
    expect(setCookie).not.toContain(user.username);
    expect(setCookie).not.toContain(user.id);

    const { state } = await withSession(cookiesOf(response));
    expect(state.user?.id).toBe(user.id);
    const key = (await sessionKeys()).find((k) => k.name === state.session.id);
    expect(key?.expiration).toBeGreaterThan(Date.now() / 1000 + IDLE_TTL_SECONDS - 60);
    expect(key?.expiration).toBeLessThanOrEqual(Date.now() / 1000 + IDLE_TTL_SECONDS + 1);
  });

  it("keep a remembered session 30 days from sign-in at most, however active it is", async () => {
    const user = await newUser();
    const before = new Set((await sessionKeys()).map((k) => k.name));
    const cookies = await signIn(user, { remember: true });
    const created = (await sessionKeys()).find((k) => !before.has(k.name));
    const end = Date.now() + REMEMBERED_LIFETIME_MS;
    expect(created?.expiration).toBeGreaterThan(end / 1000 - 60);
    expect(created?.expiration).toBeLessThanOrEqual(end / 1000 + 1);
    const [device] = await listDevices(db, user);
    expect(device?.remember).toBe(true);

    // Past its absolute end the device no longer signs anyone in, even with its cookie.
    await db
      .update(userDevices)
      .set({ expiresAt: Date.now() - 1 })
      .where(eq(userDevices.userId, user.id));
    const { state, response } = await withSession(cookies);
    expect(state.user).toBeNull();
    expect(response.headers.getSetCookie().join()).toMatch(/__session=;/);
  });

  it("end 12 hours after sign-in without keep me signed in, active or not", async () => {
    const user = await newUser();
    await signIn(user);
    const [row] = await db.select().from(userDevices).where(eq(userDevices.userId, user.id));
    expect((row?.expiresAt ?? 0) - (row?.createdAt ?? 0)).toBe(SESSION_LIFETIME_MS);
  });

  it("use __Host- cookies (Secure, this host only) everywhere but localhost", async () => {
    const store = createSessionStore(env.SESSIONS, "s", "https://loresmith.example/");
    const session = await store.getSession();
    session.set("deviceId", "x");
    const secure = await store.commitSession(session);
    expect(secure).toMatch(/^__Host-session=/);
    expect(secure).toMatch(/Secure/);
    expect(secure).toMatch(/Path=\//);
    expect(secure).not.toMatch(/Domain/i);
    const local = createSessionStore(env.SESSIONS, "s", "http://localhost:4173/");
    const plain = await local.commitSession(await local.getSession());
    expect(plain).toMatch(/^__session=/);
    expect(plain).not.toMatch(/Secure/);
    expect(await knownDeviceCookie("s", "https://loresmith.example/").serialize({})).toMatch(/^__Host-device=/);
  });

  it("reject a cookie whose signature was tampered with", async () => {
    const cookies = await signIn(await newUser());
    // The signature's first base64 character: all six of its bits count (the last one's low bits
    // may be padding, so changing it alone can leave the same signature).
    const value = decodeURIComponent(sessionCookieOf(cookies).slice("__session=".length));
    const at = value.lastIndexOf(".") + 1;
    const forged = `${value.slice(0, at)}${value[at] === "A" ? "B" : "A"}${value.slice(at + 1)}`;
    expect(at).toBeGreaterThan(0);
    // The same cookie, decoded and encoded again without the change, still opens the session.
    expect((await withSession(`__session=${encodeURIComponent(value)}`)).state.user).not.toBeNull();
    const tampered = `__session=${encodeURIComponent(forged)}`;
    const { state } = await withSession(tampered);
    expect(state.user).toBeNull();
  });

  it("rotate the id and the device at sign-in, and remove both at sign-out", async () => {
    const user = await newUser();
    const first = await signIn(user);
    const firstState = (await withSession(first)).state;
    // Signing in again from that browser issues a new id and device, and ends the old ones.
    const again = await withSession(first, async (state, request) => {
      return new Response(null, { headers: await startSession(state, services, user, { remember: false, request }) });
    });
    const second = cookiesOf(again.response);
    const secondState = (await withSession(second)).state;
    expect(secondState.session.id).not.toBe(firstState.session.id);
    expect(secondState.device?.id).not.toBe(firstState.device?.id);
    expect(await env.SESSIONS.get(firstState.session.id)).toBeNull();
    expect((await withSession(first)).state.user).toBeNull();

    await withSession(second, async (state) => new Response(null, { headers: await endSession(state, services) }));
    expect(await env.SESSIONS.get(secondState.session.id)).toBeNull();
    expect((await withSession(second)).state.user).toBeNull();
    expect((await listDevices(db, user)).map((d) => d.id)).not.toContain(secondState.device?.id);
  });

  it("extend an idle session's TTL (sliding expiry) without a write on every request", async () => {
    const user = await newUser();
    const cookies = await signIn(user);
    const fresh = await withSession(cookies);
    expect(fresh.response.headers.getSetCookie()).toEqual([]);

    // Pretend the last refresh was 10 minutes ago.
    const id = fresh.state.session.id;
    const data = await env.SESSIONS.get<Record<string, unknown>>(id, "json");
    await env.SESSIONS.put(id, JSON.stringify({ ...data, refreshedAt: Date.now() - 10 * 60_000 }), {
      expirationTtl: 120,
    });
    const stale = await withSession(cookies);
    expect(stale.response.headers.getSetCookie().join()).toContain("__session=");
    const key = (await sessionKeys()).find((k) => k.name === id);
    expect(key?.expiration).toBeGreaterThan(Date.now() / 1000 + IDLE_TTL_SECONDS - 60);
    expect((await listDevices(db, user))[0]?.lastSeenAt).toBeGreaterThan(Date.now() - 5_000);
  });

  it("all end when the password changes, and their cookies are cleared", async () => {
    const user = await newUser();
    const [a, b] = [await signIn(user), await signIn(user, { remember: true })];
    await changePassword(db, user, PASSWORD, "a different password", from);
    for (const cookies of [a, b]) {
      const { state, response } = await withSession(cookies);
      expect(state.user).toBeNull();
      expect(response.headers.getSetCookie().join()).toMatch(/__session=;|Max-Age=0|Expires=Thu, 01 Jan 1970/);
    }
  });

  it("of a deleted account never open a new account that reuses the username", async () => {
    // The reported takeover: two sessions of eve, eve deleted, a stranger signs up as eve.
    const name = uniqueName("eve");
    const eve = await createAccount(db, name, PASSWORD);
    await signIn(eve);
    const unused = await signIn(eve, { remember: true });
    await deleteAccount(services, eve, PASSWORD, from);
    const stranger = await createAccount(db, name, "the stranger's own password");
    expect(stranger.id).not.toBe(eve.id);
    const { state } = await withSession(unused);
    expect(state.user).toBeNull();
    expect(await listDevices(db, stranger)).toEqual([]);
  });

  it("list each device by browser, and sign out the others but this one", async () => {
    const user = await newUser();
    const firefox = "Mozilla/5.0 (Android 14; Mobile; rv:128.0) Gecko/128.0 Firefox/128.0";
    const safari =
      "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";
    const phone = await signIn(user, { userAgent: firefox });
    await signIn(user, { userAgent: safari });
    expect((await listDevices(db, user)).map((d) => d.label).sort()).toEqual([
      "Firefox on Android",
      "Safari on iPhone",
    ]);
    const keep = (await withSession(phone)).state.device?.id;
    expect(await removeOtherDevices(db, user, keep)).toHaveLength(1);
    expect((await listDevices(db, user)).map((d) => d.label)).toEqual(["Firefox on Android"]);
    expect((await withSession(phone)).state.user?.id).toBe(user.id);
    expect(describeUserAgent("")).toBe("Unknown browser");
  });

  it("mark the browser as a known device of the account, signed so it cannot be forged", async () => {
    const user = await newUser();
    const cookies = await signIn(user);
    const cookie = knownDeviceCookie(env.SESSION_SECRET, "http://localhost/");
    const known = await readKnownDevice(cookie, cookies);
    expect(known?.userId).toBe(user.id);
    expect(known?.nonce).toMatch(/^[0-9a-f-]{36}$/);
    const forged = `__device=${btoa(JSON.stringify({ userId: user.id, nonce: "x" }))}`;
    expect(await readKnownDevice(cookie, forged)).toBeNull();
  });
});
