import { z } from "zod";
import { DailyQuotaExceeded } from "../../http/daily-quotas.server";
import { Refusal } from "../../http/responses.server";

/**
 * The API's one error shape: `{ error: { code, message, issues? } }` — a code a program
 * can branch on and a sentence a person can act on. Refusals, the guards' `{ error }`
 * responses and zod issues all leave the API in this shape.
 */
export const apiErrorSchema = z
  .object({
    error: z.object({
      code: z.string().describe("Stable, machine-readable: not_found, invalid_request, insufficient_scope, …"),
      message: z.string().describe("What went wrong and what to do, for a person."),
      issues: z
        .array(z.object({ path: z.string(), message: z.string() }))
        .optional()
        .describe("For invalid_request: each field that is wrong."),
    }),
  })
  .meta({ id: "Error" });

const CODES: Record<number, string> = {
  400: "invalid_request",
  401: "unauthorized",
  403: "forbidden",
  404: "not_found",
  405: "method_not_allowed",
  409: "conflict",
  411: "length_required",
  413: "too_large",
  415: "unsupported_type",
  416: "range_not_satisfiable",
  429: "rate_limited",
  503: "unavailable",
};

export function codeFor(status: number): string {
  return CODES[status] ?? (status >= 500 ? "internal_error" : "error");
}

export function apiError(
  status: number,
  code: string,
  message: string,
  init: { headers?: HeadersInit; issues?: { path: string; message: string }[] } = {},
): Response {
  return Response.json(
    { error: { code, message, ...(init.issues ? { issues: init.issues } : {}) } },
    { status, headers: init.headers },
  );
}

/** A zod failure as 400 invalid_request, naming each field. */
export function invalidRequest(where: string, error: z.ZodError): Response {
  const issues = error.issues.slice(0, 20).map((issue) => ({
    path: [where, ...issue.path.map(String)].join("."),
    message: issue.message,
  }));
  const first = issues[0];
  return apiError(400, "invalid_request", first ? `${first.path}: ${first.message}` : "The request is not valid.", {
    issues,
  });
}

/**
 * What a handler threw, in the API's shape: a Refusal (with its status and headers), or a
 * guard's `{ error }` Response (its status, headers and message kept). Anything else is a bug: rethrown.
 */
export async function apiErrorFrom(thrown: unknown): Promise<Response> {
  if (thrown instanceof Refusal) {
    const code =
      thrown instanceof DailyQuotaExceeded
        ? "quota_exceeded"
        : "code" in thrown && typeof thrown.code === "string"
          ? thrown.code
          : codeFor(thrown.status);
    return apiError(thrown.status, code, thrown.message, { headers: thrown.headers });
  }
  if (thrown instanceof Response) {
    if (thrown.status < 400) return thrown;
    const body = (await thrown
      .clone()
      .json()
      .catch(() => null)) as { error?: unknown } | null;
    const message = typeof body?.error === "string" ? body.error : "The request was refused.";
    const headers = new Headers(thrown.headers);
    headers.delete("Content-Type");
    headers.delete("Content-Length");
    return apiError(thrown.status, codeFor(thrown.status), message, { headers });
  }
  throw thrown;
}
