import { and, eq, sql } from "drizzle-orm";
import type { Db } from "../db/db.server";
import { recoveryCodes, type User } from "../db/schema";

/**
 * Recovery codes (ADR 0017): the way back into an account without e-mail. Each is 80
 * random bits written as 16 characters of Crockford base32 in groups of four; only its
 * SHA-256 is stored (80 bits cannot be brute-forced offline, so a slow hash adds
 * nothing), and a code works once.
 */
export const RECOVERY_CODE_COUNT = 10;
const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

function newCode(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(10));
  let bits = 0;
  let value = 0;
  let out = "";
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return out.match(/.{4}/g)?.join("-") ?? out;
}

/** What a person types, read generously: case, spaces, dashes, and O/I/L for 0/1/1. */
export function normaliseCode(typed: string): string {
  return typed.toUpperCase().replace(/[\s-]/g, "").replace(/O/g, "0").replace(/[IL]/g, "1");
}

async function hashCode(code: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(normaliseCode(code)));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Replaces the account's codes with new ones and answers them (shown once, never stored). */
export async function issueRecoveryCodes(db: Db, user: Pick<User, "id">): Promise<string[]> {
  const codes = Array.from({ length: RECOVERY_CODE_COUNT }, newCode);
  const hashes = await Promise.all(codes.map(hashCode));
  await db.batch([
    db.delete(recoveryCodes).where(eq(recoveryCodes.userId, user.id)),
    db.insert(recoveryCodes).values(hashes.map((codeHash) => ({ userId: user.id, codeHash }))),
  ]);
  return codes;
}

/** Uses up a code: true only if it was one of the account's and had not been used (one statement). */
export async function consumeRecoveryCode(db: Db, user: Pick<User, "id">, typed: string): Promise<boolean> {
  const used = await db
    .delete(recoveryCodes)
    .where(and(eq(recoveryCodes.userId, user.id), eq(recoveryCodes.codeHash, await hashCode(typed))))
    .returning({ userId: recoveryCodes.userId });
  return used.length > 0;
}

export async function remainingRecoveryCodes(db: Db, user: Pick<User, "id">): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`count(*)` })
    .from(recoveryCodes)
    .where(eq(recoveryCodes.userId, user.id));
  return Number(row?.n ?? 0);
}
