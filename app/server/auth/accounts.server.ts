import { and, eq, isNull, lt } from "drizzle-orm";
import { revokeAllApiTokens } from "../api/tokens.server";
import { accountModels, readModels } from "../cache/read-models.server";
import type { Db } from "../db/db.server";
import { campaigns, deletedAccounts, type User, userDevices, users } from "../db/schema";
import { userPrefix } from "../files/keys.server";
import type { Tracker } from "../files/library.server";
import { deleteR2Prefix } from "../files/r2.server";
import { Refusal } from "../http/responses.server";
import { removeOtherDevices } from "./devices.server";
import type { KnownDevice } from "./known-device.server";
import { getDecoyHash, hashPassword, needsRehash, verifyPassword } from "./password.server";
import { consumeRecoveryCode } from "./recovery.server";
import { clearAttempts, formatWait, lockAfterFailure, reserveAttempt, throttleKeys } from "./throttle.server";

/** A refusal of a sign-in, sign-up or account change, safe to show the person. */
export class AccountError extends Refusal {
  override name = "AccountError";
}

/** Where a password (or recovery code) check comes from: it decides which counters it spends. */
export interface AttemptOrigin {
  clientId: string;
  /** The browser's known-device cookie, if it has a valid one. */
  knownDevice: KnownDevice | null;
}

/** The account with this username — unless it is being deleted (then it signs nobody in). */
export async function findUser(db: Db, username: string): Promise<User | undefined> {
  const [row] = await db
    .select({ user: users })
    .from(users)
    .leftJoin(deletedAccounts, eq(deletedAccounts.id, users.id))
    .where(and(eq(users.username, username), isNull(deletedAccounts.id)));
  return row?.user;
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
 * Checks a secret of `username` (a password, or a recovery code), throttled: sign-in,
 * password change, account deletion and recovery all go through here, so no form offers
 * unlimited guesses. An unknown username costs the same time as a wrong secret and gets
 * the same message. Recovery counts separately from passwords, so locking one does not
 * lock the other.
 */
async function verifyThrottled(
  db: Db,
  username: string,
  from: AttemptOrigin,
  wrongMessage: string,
  scope: "password" | "recovery",
  check: (user: User | undefined) => Promise<boolean>,
): Promise<User> {
  const user = await findUser(db, username);
  const known = user && from.knownDevice?.userId === user.id ? from.knownDevice.nonce : null;
  const keys = throttleKeys(username, from.clientId, known).map((key) => `${scope}:${key}`);
  const reservation = await reserveAttempt(db, keys);
  if (!reservation.allowed) {
    throw new AccountError(`Too many failed attempts. Wait ${formatWait(reservation.waitMs)} and try again.`, 429);
  }
  const valid = await check(user);
  if (!user || !valid) {
    const lock = await lockAfterFailure(db, keys);
    throw lock > 0
      ? new AccountError(`${wrongMessage} Too many failed attempts: wait ${formatWait(lock)} before trying again.`, 429)
      : new AccountError(wrongMessage, 401);
  }
  await clearAttempts(db, keys);
  return user;
}

function passwordOf(password: string) {
  return async (user: User | undefined) => verifyPassword(password, user?.passwordHash ?? (await getDecoyHash()));
}

export async function verifyLogin(db: Db, username: string, password: string, from: AttemptOrigin): Promise<User> {
  const user = await verifyThrottled(
    db,
    username,
    from,
    "Wrong username or password.",
    "password",
    passwordOf(password),
  );
  if (needsRehash(user.passwordHash)) {
    await db
      .update(users)
      .set({ passwordHash: await hashPassword(password), updatedAt: Date.now() })
      .where(eq(users.id, user.id));
  }
  return user;
}

/** Asks for the password again before something sensitive (new recovery codes), throttled like sign-in. */
export async function confirmPassword(db: Db, user: User, password: string, from: AttemptOrigin): Promise<void> {
  await verifyThrottled(db, user.username, from, "That password is not right.", "password", passwordOf(password));
}

/**
 * Sets a new password, revokes every API token (in the same transaction) and signs every
 * device of the account out; answers the devices that were.
 */
async function replacePassword(db: Db, user: User, newPassword: string): Promise<{ user: User; signedOut: string[] }> {
  const passwordHash = await hashPassword(newPassword);
  const [[updated]] = await db.batch([
    db.update(users).set({ passwordHash, updatedAt: Date.now() }).where(eq(users.id, user.id)).returning(),
    revokeAllApiTokens(db, user),
  ]);
  if (!updated) throw new AccountError("Your account no longer exists.", 404);
  return { user: updated, signedOut: await removeOtherDevices(db, updated) };
}

/** Changes the password; every session of the account ends (the caller signs this device in again). */
export async function changePassword(
  db: Db,
  user: User,
  currentPassword: string,
  newPassword: string,
  from: AttemptOrigin,
): Promise<{ user: User; signedOut: string[] }> {
  await verifyThrottled(
    db,
    user.username,
    from,
    "Your current password is not right.",
    "password",
    passwordOf(currentPassword),
  );
  return replacePassword(db, user, newPassword);
}

/** A forgotten password: a recovery code (used up) lets the person set a new one; every session ends. */
export async function resetPasswordWithCode(
  db: Db,
  username: string,
  code: string,
  newPassword: string,
  from: AttemptOrigin,
): Promise<{ user: User; signedOut: string[] }> {
  const user = await verifyThrottled(
    db,
    username,
    from,
    "That username and recovery code do not match, or the code was used already.",
    "recovery",
    async (found) => {
      if (found) return consumeRecoveryCode(db, found, code);
      await getDecoyHash();
      return false;
    },
  );
  return replacePassword(db, user, newPassword);
}

export interface AccountStores {
  db: Db;
  bucket: R2Bucket;
  cache: KVNamespace;
  tracker: (accountId: string) => Tracker;
  /** A campaign's live room: the account's own campaigns close theirs when it goes. */
  room: (campaignId: string) => { destroy(): Promise<void> };
}

/**
 * Deletes an account and everything it owns. First, in one D1 transaction, the account
 * is marked deleted (a row in deleted_accounts, so it signs nobody in) and every device is
 * signed out; then its R2 objects, cache entries and Durable Object (vectors, queue,
 * sockets) go; last its D1 rows (one delete; foreign keys cascade to campaigns, files,
 * chunks, vectors, chats, recovery codes) with the mark. Every step can run again: if
 * anything interrupts it, the sweep (`sweepDeletedAccounts`, on a cron) finishes it.
 * Every key is the account's immutable id: nothing of an account that reuses the name
 * is touched, now or later.
 */
export async function deleteAccount(
  stores: AccountStores,
  user: User,
  password: string,
  from: AttemptOrigin,
): Promise<void> {
  await verifyThrottled(
    stores.db,
    user.username,
    from,
    "That password is not right, so nothing was deleted.",
    "password",
    passwordOf(password),
  );
  await stores.db.batch([
    stores.db
      .insert(deletedAccounts)
      .values({ id: user.id, username: user.username, deletedAt: Date.now() })
      .onConflictDoNothing(),
    stores.db.delete(userDevices).where(eq(userDevices.userId, user.id)),
    // Its API tokens stop at once too, not when the purge reaches the users row.
    revokeAllApiTokens(stores.db, user),
  ]);
  await purgeAccount(stores, { id: user.id, username: user.username });
}

/** Removes a deleted account's storage everywhere, D1 last; safe to repeat. */
async function purgeAccount(stores: AccountStores, account: { id: string; username: string }): Promise<void> {
  await stores.tracker(account.id).destroy(account);
  const owned = await stores.db
    .select({ id: campaigns.id })
    .from(campaigns)
    .where(eq(campaigns.username, account.username));
  for (const { id } of owned) {
    await stores.room(id).destroy();
    await deleteKvPrefix(stores.cache, `${readModels.overview}:${id}:`);
  }
  await deleteR2Prefix(stores.bucket, userPrefix(account.id));
  await deleteKvPrefix(stores.cache, `u:${account.id}:`);
  // Cached read models (ADR 0029): keyed by the id, so never another account's anyway.
  for (const model of accountModels) await deleteKvPrefix(stores.cache, `${readModels[model]}:${account.id}:`);
  await stores.db.batch([
    stores.db.delete(users).where(eq(users.id, account.id)),
    stores.db.delete(deletedAccounts).where(eq(deletedAccounts.id, account.id)),
  ]);
}

/** A deletion this old that is still marked was interrupted (a crash, a deploy): finish it. */
export const INTERRUPTED_DELETION_MS = 5 * 60_000;

/** The cron's part: finishes deletions that were interrupted. Answers how many. */
export async function sweepDeletedAccounts(stores: AccountStores, now = Date.now()): Promise<number> {
  const pending = await stores.db
    .select()
    .from(deletedAccounts)
    .where(lt(deletedAccounts.deletedAt, now - INTERRUPTED_DELETION_MS))
    .limit(20);
  for (const account of pending) await purgeAccount(stores, account);
  return pending.length;
}

async function deleteKvPrefix(kv: KVNamespace, prefix: string): Promise<void> {
  let cursor: string | undefined;
  do {
    const page = await kv.list({ prefix, cursor });
    await Promise.all(page.keys.map((k) => kv.delete(k.name)));
    cursor = page.list_complete ? undefined : page.cursor;
  } while (cursor);
}
