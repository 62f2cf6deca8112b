/**
 * The one HTTP idiom for refusals (docs/decisions/0015). Guards and routes throw these
 * Responses; React Router shows them in the route's error boundary on pages and returns
 * them as they are from resource and API routes. The body is always `{ error }` JSON,
 * so the API needs no translation.
 */

/** A refusal whose message is safe and useful to show the person (domain code throws these). */
export class Refusal extends Error {
  override name = "Refusal";
  constructor(
    message: string,
    /** The HTTP status the refusal answers with. */
    readonly status = 400,
    /** Headers its answer carries (a 429's Retry-After). */
    readonly headers?: Record<string, string>,
  ) {
    super(message);
  }
}

export function httpError(status: number, message: string, headers?: HeadersInit): Response {
  return Response.json({ error: message }, { status, headers });
}

/** A 404 that says nothing about whether the thing exists for someone else. */
export function notFound(what = "page"): never {
  throw httpError(404, `There is no such ${what}, or it is not yours.`);
}

/** Throws a `{ error }` response with `status` unless `condition` holds. */
export function invariantResponse(condition: unknown, message: string, status = 400): asserts condition {
  if (!condition) throw httpError(status, message);
}

/** An action was posted an intent it does not have (a stale page, a crafted form). */
export function unknownIntent(intent: unknown): never {
  throw httpError(
    400,
    `This page cannot do “${String(intent ?? "nothing")}”. Reload the page and try again.`.slice(0, 200),
  );
}
