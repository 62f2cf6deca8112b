import { httpError } from "./responses.server";

/**
 * Rate limits (ADR 0018), through the Workers Rate Limiting binding: one limiter per kind
 * of request, keyed by the client for signing in and up and by the account for the rest.
 * Past the limit a request answers 429 with Retry-After and a sentence saying what to do.
 * The binding counts per location and approximately: it bounds abuse, it is not billing.
 */
export const rateLimitKinds = ["auth", "upload", "search", "ask", "write"] as const;
export type RateLimitKind = (typeof rateLimitKinds)[number];

export type RateLimiters = Record<RateLimitKind, RateLimit>;

/** Each limiter's window (wrangler.toml), so Retry-After can say how long to wait at most. */
const PERIOD_SECONDS: Record<RateLimitKind, number> = { auth: 60, upload: 60, search: 10, ask: 60, write: 60 };

const MESSAGES: Record<RateLimitKind, string> = {
  auth: "Too many sign-in or sign-up attempts from this network. Wait a minute, then try again.",
  upload: "You are uploading faster than LoreSmith AI accepts. Wait a minute, then upload or resume again.",
  search: "You are searching very fast. Wait a few seconds, then search again.",
  ask: "You asked a lot of questions in the last minute. Wait a minute, then ask again.",
  write: "You are saving very fast. Wait a minute, then try again.",
};

/** True if a request of `kind` for `key` is within its limit (and counts it). */
export async function withinRateLimit(limiters: RateLimiters, kind: RateLimitKind, key: string): Promise<boolean> {
  const { success } = await limiters[kind].limit({ key: `${kind}:${key}` });
  return success;
}

export function rateLimited(kind: RateLimitKind): Response {
  return httpError(429, MESSAGES[kind], { "Retry-After": String(PERIOD_SECONDS[kind]) });
}

/** For a form that shows the refusal beside its fields: the message, and the headers of a 429. */
export function rateLimitReply(kind: RateLimitKind) {
  return { message: MESSAGES[kind], init: { status: 429, headers: { "Retry-After": String(PERIOD_SECONDS[kind]) } } };
}
