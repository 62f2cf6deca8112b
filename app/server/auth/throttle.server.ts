import { and, eq, gt, inArray, sql } from "drizzle-orm";
import type { Db } from "../db/db.server";
import { loginThrottle } from "../db/schema";

/**
 * Password-check throttling (ADR 0017). Every check first reserves an attempt on its
 * keys in ONE statement: past FREE_ATTEMPTS within WINDOW_MS a key locks for a wait that
 * doubles up to MAX_LOCK_MS, and a locked key reserves nothing, so a parallel burst gets
 * exactly the free attempts and no more. Which keys an attempt counts against depends on
 * where it comes from (OWASP's device-cookie scheme):
 *
 * - from a device that signed in to this account before (its known-device cookie): that
 *   device's own key only, so a stranger's guesses cannot lock the owner out of it;
 * - from anywhere else: the username's key and the client's (IP) key.
 */
export const FREE_ATTEMPTS = 5;
const FIRST_LOCK_MS = 30_000;
const MAX_LOCK_MS = 60 * 60_000;
/** Doublings of FIRST_LOCK_MS after which MAX_LOCK_MS applies (30 s × 2^7 > 1 h). */
const MAX_DOUBLINGS = 7;
const WINDOW_MS = 60 * 60_000;

export function throttleKeys(username: string, clientId: string, knownDevice: string | null): string[] {
  return knownDevice ? [`device:${knownDevice}`] : [`user:${username}`, `client:${clientId}`];
}

export function lockDurationMs(attempts: number): number {
  if (attempts < FREE_ATTEMPTS) return 0;
  return Math.min(FIRST_LOCK_MS * 2 ** Math.min(attempts - FREE_ATTEMPTS, MAX_DOUBLINGS), MAX_LOCK_MS);
}

export type Reservation = { allowed: true } | { allowed: false; waitMs: number };

/**
 * Reserves one password check on every key, or answers how long to wait. The insert or
 * update of each row, the window reset, the lock check and the next lock are one
 * statement, so concurrent attempts cannot all see "not locked".
 */
export async function reserveAttempt(db: Db, keys: string[], now = Date.now()): Promise<Reservation> {
  const stale = sql`${loginThrottle.updatedAt} < ${now - WINDOW_MS}`;
  const attempts = sql`(CASE WHEN ${stale} THEN 1 ELSE ${loginThrottle.failures} + 1 END)`;
  const reserved = await db
    .insert(loginThrottle)
    .values(keys.map((key) => ({ key, failures: 1, lockedUntil: 0, updatedAt: now })))
    .onConflictDoUpdate({
      target: loginThrottle.key,
      set: {
        failures: attempts,
        lockedUntil: sql`CASE WHEN ${attempts} >= ${FREE_ATTEMPTS}
          THEN ${now} + min(${FIRST_LOCK_MS} << min(${attempts} - ${FREE_ATTEMPTS}, ${MAX_DOUBLINGS}), ${MAX_LOCK_MS})
          ELSE 0 END`,
        updatedAt: now,
      },
      setWhere: sql`${loginThrottle.lockedUntil} <= ${now}`,
    })
    .returning({ key: loginThrottle.key });
  if (reserved.length === keys.length) return { allowed: true };
  // Some key was locked: give back what this attempt reserved on the others.
  await releaseAttempt(
    db,
    reserved.map((row) => row.key),
  );
  const locked = await db
    .select({ until: loginThrottle.lockedUntil })
    .from(loginThrottle)
    .where(and(inArray(loginThrottle.key, keys), gt(loginThrottle.lockedUntil, now)));
  return { allowed: false, waitMs: Math.max(1_000, ...locked.map((row) => row.until - now)) };
}

/** A failed check keeps its reservation; this says how long the next one must wait. */
export async function lockAfterFailure(db: Db, keys: string[], now = Date.now()): Promise<number> {
  const rows = await db
    .select({ until: loginThrottle.lockedUntil })
    .from(loginThrottle)
    .where(inArray(loginThrottle.key, keys));
  return Math.max(0, ...rows.map((row) => row.until - now));
}

/** A successful check: the account's and device's counters start again, the client's gives back one. */
export async function clearAttempts(db: Db, keys: string[]): Promise<void> {
  const own = keys.filter((key) => !key.startsWith("client:"));
  if (own.length) await db.delete(loginThrottle).where(inArray(loginThrottle.key, own));
  await releaseAttempt(
    db,
    keys.filter((key) => key.startsWith("client:")),
  );
}

/** Gives back one reserved attempt, and the lock it may have set. */
async function releaseAttempt(db: Db, keys: string[]): Promise<void> {
  for (const key of keys) {
    await db
      .update(loginThrottle)
      .set({
        failures: sql`max(${loginThrottle.failures} - 1, 0)`,
        lockedUntil: sql`CASE WHEN ${loginThrottle.failures} - 1 >= ${FREE_ATTEMPTS} THEN ${loginThrottle.lockedUntil} ELSE 0 END`,
      })
      .where(eq(loginThrottle.key, key));
  }
}

export function formatWait(ms: number): string {
  const seconds = Math.ceil(ms / 1000);
  if (seconds < 90) return `${seconds} second${seconds === 1 ? "" : "s"}`;
  return `${Math.ceil(seconds / 60)} minutes`;
}
