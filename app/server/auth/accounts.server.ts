import { eq, sql } from "drizzle-orm";
import type { Db } from "../db/db.server";
import { type User, users } from "../db/schema";
import type { Tracker } from "../files/files.server";
import { userPrefix } from "../files/keys.server";
import { deleteR2Prefix } from "../files/r2.server";
import { Refusal } from "../http/responses.server";
import { getDecoyHash, hashPassword, needsRehash, verifyPassword } from "./password.server";
import { clearFailures, formatWait, recordFailure, remainingLockMs, throttleKeys } from "./throttle.server";

/** A refusal of a sign-in, sign-up or account change, safe to show the person. */
export class AccountError extends Refusal {
  override name = "AccountError";
}

export async function findUser(db: Db, username: string): Promise<User | undefined> {
  return db.query.users.findFirst({ where: eq(users.username, username) });
}

export async function createAccount(db: Db, username: string, password: string): Promise<User> {
  const passwordHash = await hashPassword(password);
  const [user] = await db
    .insert(users)
    .values({ username, passwordHash })
    .onConflictDoNothing({ target: users.username })
    .returning();
  if (!user) throw new AccountError("That username is taken. Choose another one.", 409);
  return user;
}

/**
 * Checks a password, throttled per username and per client: sign-in, password change and
 * account deletion all go through here, so no form offers unlimited guesses. An unknown
 * username costs the same time as a wrong password and gets the same message.
 */
async function verifyThrottled(
  db: Db,
  username: string,
  password: string,
  clientId: string,
  wrongMessage: string,
): Promise<User> {
  const keys = throttleKeys(username, clientId);
  const locked = await remainingLockMs(db, keys);
  if (locked > 0) {
    throw new AccountError(`Too many failed attempts. Wait ${formatWait(locked)} and try again.`, 429);
  }
  const user = await findUser(db, username);
  const valid = await verifyPassword(password, user?.passwordHash ?? (await getDecoyHash()));
  if (!user || !valid) {
    const lock = await recordFailure(db, keys);
    throw lock > 0
      ? new AccountError(`${wrongMessage} Too many failed attempts: wait ${formatWait(lock)} before trying again.`, 429)
      : new AccountError(wrongMessage, 401);
  }
  await clearFailures(db, username);
  return user;
}

export async function verifyLogin(db: Db, username: string, password: string, clientId: string): Promise<User> {
  const user = await verifyThrottled(db, username, password, clientId, "Wrong username or password.");
  if (needsRehash(user.passwordHash)) {
    await db
      .update(users)
      .set({ passwordHash: await hashPassword(password), updatedAt: Date.now() })
      .where(eq(users.username, username));
  }
  return user;
}

/** Changes the password and voids every other session (their epoch no longer matches). */
export async function changePassword(
  db: Db,
  username: string,
  currentPassword: string,
  newPassword: string,
  clientId: string,
): Promise<User> {
  await verifyThrottled(db, username, currentPassword, clientId, "Your current password is not right.");
  const [updated] = await db
    .update(users)
    .set({
      passwordHash: await hashPassword(newPassword),
      sessionEpoch: sql`${users.sessionEpoch} + 1`,
      updatedAt: Date.now(),
    })
    .where(eq(users.username, username))
    .returning();
  if (!updated) throw new AccountError("Your account no longer exists.", 404);
  return updated;
}

export interface AccountStores {
  db: Db;
  bucket: R2Bucket;
  cache: KVNamespace;
  tracker: (username: string) => Tracker;
}

/**
 * Deletes an account and everything it owns: R2 objects under the user's prefix, cache
 * entries, the user's Durable Object storage, then the D1 rows (one delete; foreign keys
 * cascade to campaigns, files, chunks, vectors, chats). D1 goes last so that a failure
 * part-way leaves an account that can be deleted again, never an orphan.
 */
export async function deleteAccount(
  stores: AccountStores,
  username: string,
  password: string,
  clientId: string,
): Promise<void> {
  await verifyThrottled(stores.db, username, password, clientId, "That password is not right, so nothing was deleted.");
  await deleteR2Prefix(stores.bucket, userPrefix(username));
  await deleteKvPrefix(stores.cache, `u:${username}:`);
  await stores.tracker(username).destroy(username);
  await stores.db.delete(users).where(eq(users.username, username));
}

async function deleteKvPrefix(kv: KVNamespace, prefix: string): Promise<void> {
  let cursor: string | undefined;
  do {
    const page = await kv.list({ prefix, cursor });
    await Promise.all(page.keys.map((k) => kv.delete(k.name)));
    cursor = page.list_complete ? undefined : page.cursor;
  } while (cursor);
}
