import { httpError } from "./responses.server";

/**
 * Rate limits (ADR 0018, ADR 0032), through the Workers Rate Limiting binding: one limiter
 * per kind of request, keyed by the client for signing in and up, by the account for the
 * rest — the same keys whether the app's pages or the API ask — and, for the API, by the
 * token as well. Past the limit a request answers 429 with Retry-After, the RateLimit
 * headers and a sentence saying what to do. The binding counts per location and
 * approximately: it bounds abuse, it is not billing (the daily quotas are; quotas.server.ts).
 */
export const rateLimitKinds = ["auth", "upload", "search", "ask", "write", "api", "apiAccount"] as const;
export type RateLimitKind = (typeof rateLimitKinds)[number];

export type RateLimiters = Record<RateLimitKind, RateLimit>;

/** Each limiter's `simple` setting in wrangler.toml, for the RateLimit headers (tests/limits.test.ts holds the two equal). */
export const RATE_LIMITS: Record<RateLimitKind, { limit: number; period: number }> = {
  auth: { limit: 10, period: 60 },
  upload: { limit: 600, period: 60 },
  search: { limit: 30, period: 10 },
  ask: { limit: 10, period: 60 },
  write: { limit: 60, period: 60 },
  api: { limit: 120, period: 60 },
  apiAccount: { limit: 300, period: 60 },
};

const MESSAGES: Record<RateLimitKind, string> = {
  auth: "Too many sign-in or sign-up attempts from this network. Wait a minute, then try again.",
  upload: "You are uploading faster than LoreSmith AI accepts. Wait a minute, then upload or resume again.",
  search: "You are searching very fast. Wait a few seconds, then search again.",
  ask: "You asked a lot of questions in the last minute. Wait a minute, then ask again.",
  write: "You are saving very fast. Wait a minute, then try again.",
  api: "This token made more than 120 requests in a minute. Wait a minute, then send fewer requests at once.",
  apiAccount:
    "Your tokens together made more than 300 requests in a minute. Wait a minute, then send fewer requests at once.",
};

/** True if a request of `kind` for `key` is within its limit (and counts it). */
export async function withinRateLimit(limiters: RateLimiters, kind: RateLimitKind, key: string): Promise<boolean> {
  const { success } = await limiters[kind].limit({ key: `${kind}:${key}` });
  return success;
}

/**
 * The IETF RateLimit fields (draft-ietf-httpapi-ratelimit-headers): the policy `kind`
 * answers under, and — past it — nothing remaining until the window ends (at most a period).
 */
export function rateLimitHeaders(kind: RateLimitKind, exhausted: boolean): Record<string, string> {
  const { limit, period } = RATE_LIMITS[kind];
  const headers: Record<string, string> = { "RateLimit-Policy": `"${kind}";q=${limit};w=${period}` };
  if (exhausted) {
    headers.RateLimit = `"${kind}";r=0;t=${period}`;
    headers["Retry-After"] = String(period);
  }
  return headers;
}

export function rateLimited(kind: RateLimitKind): Response {
  return httpError(429, MESSAGES[kind], rateLimitHeaders(kind, true));
}

/** For a form that shows the refusal beside its fields: the message, and the headers of a 429. */
export function rateLimitReply(kind: RateLimitKind) {
  return { message: MESSAGES[kind], init: { status: 429, headers: rateLimitHeaders(kind, true) } };
}
