import { and, desc, eq, gt, ne } from "drizzle-orm";
import type { Db } from "../db/db.server";
import { type Device, type User, userDevices, users } from "../db/schema";

/**
 * Signed-in devices (ADR 0017): one D1 row per session. A session is valid while its row
 * exists and has not passed its absolute end, so ending sessions is a delete, effective
 * at once wherever the KV copy of the session still lingers.
 */

/** "Keep me signed in": at most 30 days from sign-in, however active. */
export const REMEMBERED_LIFETIME_MS = 30 * 24 * 60 * 60_000;
/** Otherwise: 1 hour idle (the KV TTL) and at most 12 hours from sign-in. */
export const SESSION_LIFETIME_MS = 12 * 60 * 60_000;
/** A User-Agent is stored only to name the device; it needs no more. */
const MAX_USER_AGENT = 256;

function randomId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export async function createDevice(
  db: Db,
  user: Pick<User, "id">,
  { remember, userAgent, now = Date.now() }: { remember: boolean; userAgent: string; now?: number },
): Promise<Device> {
  const [device] = await db
    .insert(userDevices)
    .values({
      id: randomId(),
      userId: user.id,
      remember,
      userAgent: userAgent.slice(0, MAX_USER_AGENT),
      createdAt: now,
      lastSeenAt: now,
      expiresAt: now + (remember ? REMEMBERED_LIFETIME_MS : SESSION_LIFETIME_MS),
    })
    .returning();
  if (!device) throw new Error("device insert returned nothing");
  return device;
}

/** The user a device's session belongs to, if the device is still signed in (one query). */
export async function findSignedIn(
  db: Db,
  deviceId: string,
  now = Date.now(),
): Promise<{ user: User; device: Device } | null> {
  const [row] = await db
    .select({ user: users, device: userDevices })
    .from(userDevices)
    .innerJoin(users, eq(users.id, userDevices.userId))
    .where(and(eq(userDevices.id, deviceId), gt(userDevices.expiresAt, now)))
    .limit(1);
  return row ?? null;
}

export async function touchDevice(db: Db, deviceId: string, now = Date.now()): Promise<void> {
  await db.update(userDevices).set({ lastSeenAt: now }).where(eq(userDevices.id, deviceId));
}

export async function listDevices(db: Db, user: Pick<User, "id">, now = Date.now()) {
  const rows = await db
    .select()
    .from(userDevices)
    .where(and(eq(userDevices.userId, user.id), gt(userDevices.expiresAt, now)))
    .orderBy(desc(userDevices.lastSeenAt));
  return rows.map((device) => ({
    id: device.id,
    label: describeUserAgent(device.userAgent),
    remember: device.remember,
    createdAt: device.createdAt,
    lastSeenAt: device.lastSeenAt,
  }));
}

/** Ends one device's session (only the user's own); true if there was one. */
export async function removeDevice(db: Db, user: Pick<User, "id">, deviceId: string): Promise<boolean> {
  const removed = await db
    .delete(userDevices)
    .where(and(eq(userDevices.id, deviceId), eq(userDevices.userId, user.id)))
    .returning({ id: userDevices.id });
  return removed.length > 0;
}

/** Ends every session of the user but `keep` (none kept when it is omitted). */
export async function removeOtherDevices(db: Db, user: Pick<User, "id">, keep?: string): Promise<string[]> {
  const removed = await db
    .delete(userDevices)
    .where(keep ? and(eq(userDevices.userId, user.id), ne(userDevices.id, keep)) : eq(userDevices.userId, user.id))
    .returning({ id: userDevices.id });
  return removed.map((row) => row.id);
}

const browsers: [RegExp, string][] = [
  [/Edg\//, "Edge"],
  [/OPR\/|Opera/, "Opera"],
  [/Firefox\/|FxiOS/, "Firefox"],
  [/SamsungBrowser/, "Samsung Internet"],
  [/Chrome\/|CriOS/, "Chrome"],
  [/Safari\//, "Safari"],
];
const systems: [RegExp, string][] = [
  [/iPhone/, "iPhone"],
  [/iPad/, "iPad"],
  [/Android/, "Android"],
  [/Windows/, "Windows"],
  [/Mac OS X|Macintosh/, "macOS"],
  [/CrOS/, "ChromeOS"],
  [/Linux/, "Linux"],
];

/** "Firefox on Android", from a User-Agent; "Unknown browser" when it says nothing we know. */
export function describeUserAgent(userAgent: string): string {
  const browser = browsers.find(([pattern]) => pattern.test(userAgent))?.[1];
  const system = systems.find(([pattern]) => pattern.test(userAgent))?.[1];
  if (browser && system) return `${browser} on ${system}`;
  return browser ?? system ?? "Unknown browser";
}
