import type { RouterContextProvider } from "react-router";
import type { z } from "zod";
import { apiScopeLabels } from "~/lib/api";
import { cloudflareContext } from "../../context.server";
import { chargeDailyQuota, quotaHeaders } from "../../http/daily-quotas.server";
import { type RateLimitKind, rateLimitHeaders, rateLimitReply, withinRateLimit } from "../../http/rate-limits.server";
import { Timings } from "../../http/timing.server";
import { getServices } from "../../request.server";
import { authenticateToken, bearerToken, touchToken } from "../tokens.server";
import { apiError, apiErrorFrom, invalidRequest } from "./errors.server";
import { openApiDocument } from "./openapi.server";
import type { ApiOperation } from "./operation.server";
import { apiOperations } from "./operations.server";

/**
 * The /api/v1 router (ADR 0032). For each request: find the operation; authenticate the
 * bearer token (cookies are never looked at: no ambient credential, so no cross-site
 * request can act as anyone); check its scope and campaign limit; count it against the
 * token's limiter, the account's limiter for its kind (the same one the app's pages use)
 * and the daily API-call quota; validate path, query and body with the operation's zod
 * schemas; run it; and answer every refusal in the one error shape.
 */

export const API_PREFIX = "/api/v1";

interface CompiledOperation {
  operation: ApiOperation;
  pattern: RegExp;
}

const compiled: CompiledOperation[] = apiOperations.map((operation) => ({
  operation,
  pattern: new RegExp(`^${operation.path.replace(/\{(\w+)\}/g, "(?<$1>[^/]+)")}$`),
}));

/** CORS: any origin may call the API from a browser (a VTT module); it carries no cookies, so none are trusted. */
const CORS: Record<string, string> = {
  "Access-Control-Allow-Origin": "*",
  "Access-Control-Expose-Headers": "RateLimit, RateLimit-Policy, Retry-After, Server-Timing, ETag, Content-Range",
};

function finish(response: Response, extra: Record<string, string> = {}): Response {
  const headers = new Headers(response.headers);
  // The response's own (a 429's RateLimit) win over what the request gathered on the way.
  for (const [name, value] of Object.entries({ ...CORS, ...extra })) if (!headers.has(name)) headers.set(name, value);
  if (!headers.has("Cache-Control")) headers.set("Cache-Control", "no-store");
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}

export async function handleApiV1(request: Request, context: Readonly<RouterContextProvider>): Promise<Response> {
  const url = new URL(request.url);
  const path = url.pathname.slice(API_PREFIX.length) || "/";
  if (request.method === "OPTIONS") {
    return new Response(null, {
      status: 204,
      headers: {
        ...CORS,
        "Access-Control-Allow-Methods": "GET, POST, PUT, DELETE",
        "Access-Control-Allow-Headers": "Authorization, Content-Type, Range, If-None-Match",
        "Access-Control-Max-Age": "86400",
      },
    });
  }
  if (path === "/openapi.json" && (request.method === "GET" || request.method === "HEAD")) {
    return finish(Response.json(openApiDocument(url.origin)), { "Cache-Control": "public, max-age=300" });
  }
  const candidates = compiled.filter((entry) => entry.pattern.test(path));
  if (candidates.length === 0) {
    return finish(
      apiError(
        404,
        "not_found",
        `There is no ${path} in this API. The operations are listed at ${API_PREFIX}/openapi.json.`,
      ),
    );
  }
  const method = request.method === "HEAD" ? "GET" : request.method;
  const match = candidates.find((entry) => entry.operation.method === method);
  if (!match) {
    const allow = candidates.map((entry) => entry.operation.method).join(", ");
    return finish(apiError(405, "method_not_allowed", `${path} answers ${allow}.`), { Allow: allow });
  }
  const { metrics, ctx } = context.get(cloudflareContext);
  if (metrics) metrics.route = `${API_PREFIX}${match.operation.path}`;
  const headers: Record<string, string> = {};
  try {
    const response = await run(request, url, context, match, headers, (work) => ctx.waitUntil(work));
    return finish(response, headers);
  } catch (thrown) {
    return finish(await apiErrorFrom(thrown), headers);
  }
}

async function run(
  request: Request,
  url: URL,
  context: Readonly<RouterContextProvider>,
  { operation, pattern }: CompiledOperation,
  headers: Record<string, string>,
  waitUntil: (work: Promise<unknown>) => void,
): Promise<Response> {
  const services = getServices(context);
  const timings = new Timings();
  const token = bearerToken(request);
  if (!token) {
    return apiError(
      401,
      "unauthorized",
      "Send an access token: “Authorization: Bearer <token>”. Create one in Settings → API and webhooks.",
      { headers: { "WWW-Authenticate": 'Bearer realm="loresmith-api"' } },
    );
  }
  const caller = await timings.time("auth", () => authenticateToken(services.db, services.apiKeys(), token));
  headers["Server-Timing"] = timings.header();
  if (!caller.token.scopes.includes(operation.scope)) {
    return apiError(
      403,
      "insufficient_scope",
      `This token may not do this: it needs the “${operation.scope}” scope (${apiScopeLabels[operation.scope].toLowerCase()}). Create a token with it in Settings → API and webhooks.`,
    );
  }
  if (operation.library && caller.token.campaignId) {
    return apiError(
      403,
      "campaign_limited",
      "This token is limited to one campaign, and this reaches your whole library. Use a token without a campaign limit.",
    );
  }
  Object.assign(headers, rateLimitHeaders("api", false));
  // Per token, per account over all its tokens (more tokens are not more allowance), and the
  // account's limiter for this kind of request — the one the app's pages count against too.
  const limits: [RateLimitKind, string][] = [
    ["api", `token:${caller.token.id}`],
    ["apiAccount", `account:${caller.user.id}`],
  ];
  if (operation.limit) limits.push([operation.limit, `account:${caller.user.id}`]);
  for (const [kind, key] of limits) {
    if (!(await withinRateLimit(services.rateLimits, kind, key))) {
      const { message, init } = rateLimitReply(kind);
      return apiError(429, "rate_limited", message, { headers: init.headers });
    }
  }
  // Every answer says what is left of the day's calls (and the token's per-minute policy).
  const quota = quotaHeaders(await chargeDailyQuota(services, caller.user.id, "apiCalls"));
  headers.RateLimit = quota.RateLimit ?? "";
  headers["RateLimit-Policy"] = `${headers["RateLimit-Policy"]}, ${quota["RateLimit-Policy"]}`;
  const touch = touchToken(services.db, caller.token);
  if (touch) waitUntil(touch.then(() => undefined).catch(() => undefined));

  const params = parse(operation.params, pattern.exec(url.pathname.slice(API_PREFIX.length))?.groups ?? {}, "path");
  if (params instanceof Response) return params;
  const query = parse(operation.query, Object.fromEntries(url.searchParams), "query");
  if (query instanceof Response) return query;
  let body: unknown;
  if (operation.body && !("raw" in operation.body)) {
    if (!(request.headers.get("Content-Type") ?? "").toLowerCase().startsWith("application/json")) {
      return apiError(415, "unsupported_type", "Send the body as JSON, with “Content-Type: application/json”.");
    }
    const json = await request.json().catch(() => undefined);
    if (json === undefined) return apiError(400, "invalid_request", "The body is not valid JSON.");
    const parsed = parse(operation.body, json, "body");
    if (parsed instanceof Response) return parsed;
    body = parsed;
  }
  const result = await operation.handle({ request, caller, services, params, query, body });
  return result instanceof Response ? result : Response.json(result);
}

function parse(schema: z.ZodType | undefined, value: unknown, where: string): unknown {
  if (!schema) return {};
  const parsed = schema.safeParse(value);
  return parsed.success ? parsed.data : invalidRequest(where, parsed.error);
}
