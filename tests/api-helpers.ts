import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { RouterContextProvider } from "react-router";
import type { ApiScope } from "~/lib/api";
import { createApiToken, signingKeys } from "~/server/api/tokens.server";
import { cloudflareContext } from "~/server/context.server";
import type { User } from "~/server/db/schema";
import { db } from "./helpers";
import { loadRouteModule, type RouteModule, routeAt } from "./route-walk";

/** Mints a token for `user` as Settings does (all scopes unless told). */
export async function tokenFor(
  user: User,
  options: { scopes?: ApiScope[]; campaignId?: string; days?: number; now?: number; keys?: string } = {},
) {
  const { token, row } = await createApiToken(
    db,
    signingKeys(options.keys ?? env.API_TOKEN_KEYS),
    user,
    {
      name: "test token",
      scopes: options.scopes ?? ["read", "write", "files", "assistant"],
      campaignId: options.campaignId,
      days: options.days ?? 30,
    },
    options.now,
  );
  return { token, id: row.id };
}

export interface ApiCall {
  token?: string | null;
  /** JSON, or raw bytes (uploads). */
  body?: unknown;
  headers?: Record<string, string>;
}

/**
 * Calls /api/v1 the way the Worker serves it: the root middleware (session, services),
 * then the `api/v1/*` route's loader (GET, HEAD) or action (anything else), with a real
 * execution context whose waitUntil work is awaited before answering.
 */
export async function api(method: string, path: string, call: ApiCall = {}): Promise<Response> {
  const route = routeAt("/api/v1/*");
  const chain: RouteModule[] = await Promise.all(route.files.map(loadRouteModule));
  const ctx = createExecutionContext();
  const context = new RouterContextProvider();
  context.set(cloudflareContext, { env, ctx, cspNonce: "test-nonce", metrics: null });
  const raw = call.body instanceof Uint8Array || call.body instanceof ReadableStream;
  const headers: Record<string, string> = {
    ...(call.token ? { Authorization: `Bearer ${call.token}` } : {}),
    ...(call.body !== undefined && !raw ? { "Content-Type": "application/json" } : {}),
    // A browser or curl sends the length of bytes it knows; the upload routes require it.
    ...(call.body instanceof Uint8Array ? { "Content-Length": String(call.body.byteLength) } : {}),
    ...call.headers,
  };
  const request = new Request(`http://localhost/api/v1${path}`, {
    method,
    headers,
    body: call.body === undefined ? undefined : raw ? (call.body as BodyInit) : JSON.stringify(call.body),
  });
  const handler = chain.at(-1)?.[method === "GET" || method === "HEAD" ? "loader" : "action"];
  if (!handler) throw new Error("the api/v1 route has no handler");
  const args = { request, context, params: { "*": path.slice(1) }, pattern: route.path, unstable_pattern: route.path };
  const middlewares = chain.flatMap((module) => module.middleware ?? []);
  const run = async (index: number): Promise<Response> => {
    const middleware = middlewares[index];
    if (middleware) return (await middleware(args, () => run(index + 1))) ?? run(index + 1);
    return (await handler(args)) as Response;
  };
  const response = await run(0);
  await waitOnExecutionContext(ctx);
  return response;
}

/** The body of an /api/v1 answer, typed loosely for assertions. */
// biome-ignore lint/suspicious/noExplicitAny: test assertions read arbitrary JSON.
export async function json(response: Response): Promise<any> {
  return response.json();
}
