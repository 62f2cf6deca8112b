import { parseSearchParams } from "~/lib/search";
import { jsonApi } from "~/server/http/api.server";
import { httpError, notFound } from "~/server/http/responses.server";
import { limitRequest } from "~/server/request.server";
import { resolveScope, search } from "~/server/search/search.server";
import type { Route } from "./+types/search";

/**
 * GET /api/search?q=&campaignId=&fileKey=&type=&tag=&k=: the signed-in user's results
 * as JSON, with scores and provenance (for the page and for evaluation). Another user's
 * campaign or file answers 404, as does one that does not exist.
 */
export async function loader({ request, context }: Route.LoaderArgs) {
  return jsonApi(context, async ({ user, services }) => {
    await limitRequest(context, request, "search");
    const parsed = parseSearchParams(new URL(request.url).searchParams);
    if (!parsed.success) return httpError(400, parsed.error.issues[0]?.message ?? "That search is not valid.");
    const params = parsed.data;
    const scope = await resolveScope(services.db, user.username, params);
    if (!scope) notFound("campaign or file");
    const started = performance.now();
    const results = await search(services.search, user, { ...params, query: params.q, ...scope });
    return { query: params.q, results, tookMs: Math.round(performance.now() - started) };
  });
}
