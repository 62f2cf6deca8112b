import { z } from "zod";
import type { ApiScope } from "~/lib/api";
import type { RateLimitKind } from "../../http/rate-limits.server";
import type { Services } from "../../services.server";
import type { TokenCaller } from "../tokens.server";

/**
 * One /api/v1 operation (ADR 0032): its method and path, the scope a token needs, the
 * app's own zod schemas for its path parameters, query and body, what it answers, and its
 * handler. The router (router.server.ts) validates with these schemas before the handler
 * runs, and the OpenAPI document (openapi.server.ts) is generated from the same objects,
 * so the document cannot drift from what the API accepts.
 */

export type HttpMethod = "GET" | "POST" | "PUT" | "DELETE";

export interface ApiResponseSpec {
  description: string;
  /** JSON body; omitted: no JSON schema (a stream, bytes, or nothing). */
  schema?: z.ZodType;
  /** A body that is not JSON: its media type (file bytes, NDJSON). */
  contentType?: string;
}

export interface ApiHandlerContext<P, Q, B> {
  request: Request;
  caller: TokenCaller;
  services: Services;
  params: P;
  query: Q;
  body: B;
}

export interface ApiOperation<P = unknown, Q = unknown, B = unknown> {
  id: string;
  method: HttpMethod;
  /** OpenAPI form: "/campaigns/{campaignId}". */
  path: string;
  tag: string;
  summary: string;
  description?: string;
  /** What a token needs for it. */
  scope: ApiScope;
  /** The account's own limiter this counts against as well (the same one the app's pages use). */
  limit?: RateLimitKind;
  /** A library-wide operation: a token limited to one campaign may not call it. */
  library?: boolean;
  params?: z.ZodType<P>;
  query?: z.ZodType<Q>;
  /** A JSON body, validated; or `raw`: the handler streams the body itself (uploads). */
  body?: z.ZodType<B> | { raw: string; description: string };
  responses: Record<number, ApiResponseSpec>;
  handle: (context: ApiHandlerContext<P, Q, B>) => Promise<Response | object>;
}

/** Declares an operation with its handler typed by its schemas' outputs. */
export function operation<
  PS extends z.ZodType = z.ZodObject<Record<string, never>>,
  QS extends z.ZodType = z.ZodObject<Record<string, never>>,
  BS extends z.ZodType = z.ZodUnknown,
>(
  definition: Omit<ApiOperation, "params" | "query" | "body" | "handle"> & {
    params?: PS;
    query?: QS;
    body?: BS | { raw: string; description: string };
    handle: (context: ApiHandlerContext<z.output<PS>, z.output<QS>, z.output<BS>>) => Promise<Response | object>;
  },
): ApiOperation {
  return definition as unknown as ApiOperation;
}

/** Path parameters, bounded and shaped before any lookup. */
export const campaignIdParam = z.uuid("That is not a campaign id.");
export const rowIdParam = z.coerce
  .number({ error: "That is not an id." })
  .int("That is not an id.")
  .min(1, "That is not an id.")
  .max(Number.MAX_SAFE_INTEGER);
export const fileKeyParam = z.string().regex(/^[0-9a-f]{32}$/, "That is not a file key.");
