import { env } from "cloudflare:workers";
import { createAccount } from "~/server/auth/accounts.server";
import { createDb, type Db } from "~/server/db/db.server";

export const db: Db = createDb(env.DB);

let counter = 0;
/** A username no other test uses (tests share one D1 per file). */
export function uniqueName(prefix = "gm"): string {
  counter += 1;
  return `${prefix}-${counter}-${crypto.randomUUID().slice(0, 8)}`;
}

export const PASSWORD = "correct horse battery staple";

export async function newUser(prefix?: string) {
  return createAccount(db, uniqueName(prefix), PASSWORD);
}
