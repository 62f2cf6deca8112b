import { and, desc, eq, sql } from "drizzle-orm";
import { errors, jwtVerify, SignJWT } from "jose";
import { type ApiScope, MAX_TOKENS_PER_ACCOUNT } from "~/lib/api";
import { campaignAccess } from "../campaigns/policy.server";
import type { Db } from "../db/db.server";
import { insertWithinQuota, QuotaExceeded } from "../db/quota.server";
import { type ApiToken, apiTokens, campaigns, type User, users } from "../db/schema";
import { toHex } from "../files/files.server";
import type { Account } from "../files/library.server";
import { Refusal } from "../http/responses.server";

/**
 * API access tokens (ADR 0032): HS256 JWTs signed with a key from the API_TOKEN_KEYS secret
 * (its id in the header, so a rotated key still verifies until it is removed), carrying the
 * account's immutable id, the scopes and the token's id. Every request looks the id up in
 * D1: deleting the row revokes the token at once, and the row — not the claims — says what
 * it may do.
 */

const ISSUER = "loresmith-ai";
const AUDIENCE = "loresmith-api";
/** A JWT of ours is a few hundred characters; anything much longer is not one. */
const MAX_TOKEN_LENGTH = 2_048;
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
/** Last use is written at most this often (a busy bot would otherwise write on every call). */
export const LAST_USED_RESOLUTION_MS = 60_000;
const DAY_MS = 86_400_000;

export interface SigningKey {
  kid: string;
  secret: Uint8Array;
}

export class TokenRefused extends Refusal {
  override name = "TokenRefused";
  constructor(
    message: string,
    readonly code: "unauthorized" | "token_expired" = "unauthorized",
  ) {
    super(message, 401);
  }
}

const parsedKeys = new Map<string, SigningKey[]>();

/**
 * "kid:secret,kid:secret" → the keys, the signing one first. Refuses a value that is not
 * that shape or a secret under 32 characters, with what to do.
 */
export function signingKeys(value: string | undefined): SigningKey[] {
  const cached = parsedKeys.get(value ?? "");
  if (cached) return cached;
  const keys = (value ?? "")
    .split(",")
    .map((pair) => pair.trim())
    .filter(Boolean)
    .map((pair) => {
      const colon = pair.indexOf(":");
      const kid = pair.slice(0, colon);
      const secret = pair.slice(colon + 1);
      if (colon < 1 || !/^[A-Za-z0-9._-]{1,40}$/.test(kid) || secret.length < 32) {
        throw new Error(
          "API_TOKEN_KEYS must be “key-id:secret” pairs separated by commas, each secret at least 32 characters.",
        );
      }
      return { kid, secret: new TextEncoder().encode(secret) };
    });
  if (keys.length === 0) {
    throw new Refusal(
      "API tokens are not set up on this server: its operator must set the API_TOKEN_KEYS secret.",
      503,
    );
  }
  parsedKeys.set(value ?? "", keys);
  return keys;
}

const newTokenId = () => `tok_${toHex(crypto.getRandomValues(new Uint8Array(12)))}`;

export interface NewToken {
  name: string;
  scopes: ApiScope[];
  campaignId?: string;
  days: number;
}

/** Creates a token; the JWT is returned once and never stored. */
export async function createApiToken(
  db: Db,
  keys: SigningKey[],
  account: Account,
  input: NewToken,
  now = Date.now(),
): Promise<{ token: string; row: ApiToken }> {
  if (input.campaignId && !(await campaignAccess(db, account, input.campaignId))) {
    throw new Refusal("Choose one of your campaigns, or none for all of them.", 400);
  }
  const expiresAt = now + input.days * DAY_MS;
  const row = await insertWithinQuota(
    db,
    apiTokens,
    {
      id: newTokenId(),
      userId: account.id,
      name: input.name,
      // The order of apiScopes, without repeats: the row reads the same however it was asked for.
      scopes: [...new Set(input.scopes)],
      campaignId: input.campaignId ?? null,
      createdAt: now,
      expiresAt,
    },
    sql`(SELECT count(*) FROM api_tokens WHERE user_id = ${account.id})`,
    MAX_TOKENS_PER_ACCOUNT,
  );
  if (!row) {
    throw new QuotaExceeded(
      `You have ${MAX_TOKENS_PER_ACCOUNT} tokens, the most one account can hold. Revoke one you no longer use first.`,
    );
  }
  const [signing] = keys;
  if (!signing) throw new Refusal("API tokens are not set up on this server.", 503);
  const token = await new SignJWT({ scope: row.scopes.join(" "), ...(row.campaignId ? { cid: row.campaignId } : {}) })
    .setProtectedHeader({ alg: "HS256", kid: signing.kid, typ: "JWT" })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setSubject(account.id)
    .setJti(row.id)
    .setIssuedAt(Math.floor(now / 1000))
    .setExpirationTime(Math.floor(expiresAt / 1000))
    .sign(signing.secret);
  return { token, row };
}

export interface TokenCaller {
  user: User;
  token: ApiToken;
}

/** The bearer token of an `Authorization` header, or null when there is none. */
export function bearerToken(request: Request): string | null {
  const header = request.headers.get("Authorization");
  if (!header) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match?.[1]) throw new TokenRefused("Send the token as “Authorization: Bearer <token>”.");
  return match[1];
}

/**
 * Who a bearer token speaks for, or a TokenRefused saying why not: bounded and shaped
 * before it is parsed, its signature and claims checked, then its row looked up (revoked:
 * gone; expired; another account's id in `sub`).
 */
export async function authenticateToken(
  db: Db,
  keys: SigningKey[],
  token: string,
  now = Date.now(),
): Promise<TokenCaller> {
  if (token.length > MAX_TOKEN_LENGTH || !JWT_SHAPE.test(token)) {
    throw new TokenRefused("That is not a LoreSmith AI token. Copy the whole token from Settings → API.");
  }
  let claims: { jti?: string; sub?: string };
  try {
    ({ payload: claims } = await jwtVerify(
      token,
      (header) => {
        const key = keys.find((candidate) => candidate.kid === header.kid);
        if (!key) throw new errors.JWKSNoMatchingKey();
        return key.secret;
      },
      { issuer: ISSUER, audience: AUDIENCE, algorithms: ["HS256"], currentDate: new Date(now) },
    ));
  } catch (error) {
    if (error instanceof errors.JWTExpired) {
      throw new TokenRefused("This token has expired. Create a new one in Settings → API.", "token_expired");
    }
    throw new TokenRefused("This token is not valid here. Create a new one in Settings → API.");
  }
  if (!claims.jti || !claims.sub) throw new TokenRefused("This token is not valid here.");
  const [found] = await db
    .select({ token: apiTokens, user: users })
    .from(apiTokens)
    .innerJoin(users, eq(users.id, apiTokens.userId))
    .where(and(eq(apiTokens.id, claims.jti), eq(apiTokens.userId, claims.sub)));
  if (!found) throw new TokenRefused("This token was revoked. Create a new one in Settings → API.");
  if (found.token.expiresAt <= now) {
    throw new TokenRefused("This token has expired. Create a new one in Settings → API.", "token_expired");
  }
  return found;
}

/** Records the token's use, at most once a minute (one conditional UPDATE). */
export function touchToken(db: Db, token: ApiToken, now = Date.now()) {
  if (token.lastUsedAt !== null && now - token.lastUsedAt < LAST_USED_RESOLUTION_MS) return null;
  return db
    .update(apiTokens)
    .set({ lastUsedAt: now })
    .where(
      and(
        eq(apiTokens.id, token.id),
        sql`(${apiTokens.lastUsedAt} IS NULL OR ${apiTokens.lastUsedAt} < ${now - LAST_USED_RESOLUTION_MS})`,
      ),
    );
}

/** The account's tokens for Settings, newest first, with the campaign each is limited to. */
export async function listApiTokens(db: Db, account: Account) {
  return db
    .select({
      id: apiTokens.id,
      name: apiTokens.name,
      scopes: apiTokens.scopes,
      campaignId: apiTokens.campaignId,
      campaignName: campaigns.name,
      createdAt: apiTokens.createdAt,
      expiresAt: apiTokens.expiresAt,
      lastUsedAt: apiTokens.lastUsedAt,
    })
    .from(apiTokens)
    .leftJoin(campaigns, eq(campaigns.id, apiTokens.campaignId))
    .where(eq(apiTokens.userId, account.id))
    .orderBy(desc(apiTokens.createdAt));
}

export async function revokeApiToken(db: Db, account: Account, tokenId: string): Promise<boolean> {
  const removed = await db
    .delete(apiTokens)
    .where(and(eq(apiTokens.id, tokenId), eq(apiTokens.userId, account.id)))
    .returning({ id: apiTokens.id });
  return removed.length > 0;
}

/** Every token of the account (a password change): the statement, to run beside the password's. */
export function revokeAllApiTokens(db: Db, account: Pick<Account, "id">) {
  return db.delete(apiTokens).where(eq(apiTokens.userId, account.id));
}
