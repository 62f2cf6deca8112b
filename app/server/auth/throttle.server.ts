import { eq, inArray, sql } from "drizzle-orm";
import type { Db } from "../db/db.server";
import { loginThrottle } from "../db/schema";

/**
 * Failed sign-in throttling, per username and per client. After FREE_ATTEMPTS failures
 * within WINDOW_MS, each further failure locks the key for a wait that doubles, up to
 * MAX_LOCK_MS. Counters live in D1 so every Worker instance sees the same count.
 */
export const FREE_ATTEMPTS = 5;
const FIRST_LOCK_MS = 30_000;
const MAX_LOCK_MS = 60 * 60_000;
const WINDOW_MS = 60 * 60_000;

export function throttleKeys(username: string, clientId: string): string[] {
  return [`user:${username}`, `client:${clientId}`];
}

export function lockDurationMs(failures: number): number {
  if (failures < FREE_ATTEMPTS) return 0;
  return Math.min(FIRST_LOCK_MS * 2 ** (failures - FREE_ATTEMPTS), MAX_LOCK_MS);
}

/** Milliseconds until any of the keys may try again (0 when none is locked). */
export async function remainingLockMs(db: Db, keys: string[], now = Date.now()): Promise<number> {
  const rows = await db.select().from(loginThrottle).where(inArray(loginThrottle.key, keys));
  return Math.max(0, ...rows.map((row) => row.lockedUntil - now));
}

export async function recordFailure(db: Db, keys: string[], now = Date.now()): Promise<number> {
  let longest = 0;
  for (const key of keys) {
    // One atomic upsert per key: concurrent failures cannot undercount.
    const [row] = await db
      .insert(loginThrottle)
      .values({ key, failures: 1, lockedUntil: 0, updatedAt: now })
      .onConflictDoUpdate({
        target: loginThrottle.key,
        set: {
          failures: sql`CASE WHEN ${loginThrottle.updatedAt} < ${now - WINDOW_MS} THEN 1 ELSE ${loginThrottle.failures} + 1 END`,
          updatedAt: now,
        },
      })
      .returning({ failures: loginThrottle.failures });
    const lock = lockDurationMs(row?.failures ?? 1);
    if (lock > 0) {
      await db
        .update(loginThrottle)
        .set({ lockedUntil: now + lock })
        .where(eq(loginThrottle.key, key));
      longest = Math.max(longest, lock);
    }
  }
  return longest;
}

/** A successful sign-in clears the username's counter (the client's decays on its own). */
export async function clearFailures(db: Db, username: string): Promise<void> {
  await db.delete(loginThrottle).where(eq(loginThrottle.key, `user:${username}`));
}

export function formatWait(ms: number): string {
  const seconds = Math.ceil(ms / 1000);
  if (seconds < 90) return `${seconds} second${seconds === 1 ? "" : "s"}`;
  return `${Math.ceil(seconds / 60)} minutes`;
}
