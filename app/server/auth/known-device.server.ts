import { createCookie } from "react-router";
import { cookieName, secureCookies } from "../sessions/session.server";

/**
 * The known-device cookie (OWASP's device cookie, ADR 0017): set on a browser once it
 * signs in, signed, naming the account and a random nonce. Password checks from that
 * browser count against the nonce's own throttle key, not the username's, so guesses
 * from anywhere else cannot lock the owner out of a device they have used before.
 */
export interface KnownDevice {
  userId: string;
  nonce: string;
}

/** Kept a year: it carries no access, only "this browser signed in to this account". */
const KNOWN_DEVICE_MAX_AGE_SECONDS = 365 * 24 * 60 * 60;

export function knownDeviceCookie(secret: string, requestUrl: string) {
  return createCookie(cookieName("device", requestUrl), {
    httpOnly: true,
    sameSite: "lax",
    path: "/",
    secure: secureCookies(requestUrl),
    secrets: [secret],
    maxAge: KNOWN_DEVICE_MAX_AGE_SECONDS,
  });
}

export type KnownDeviceCookie = ReturnType<typeof knownDeviceCookie>;

/** The cookie's value if its signature holds and it has the right shape. */
export async function readKnownDevice(cookie: KnownDeviceCookie, header: string | null): Promise<KnownDevice | null> {
  const value: unknown = await cookie.parse(header);
  if (!value || typeof value !== "object") return null;
  const { userId, nonce } = value as Record<string, unknown>;
  return typeof userId === "string" && typeof nonce === "string" ? { userId, nonce } : null;
}

export function newKnownDevice(userId: string): KnownDevice {
  return { userId, nonce: crypto.randomUUID() };
}
