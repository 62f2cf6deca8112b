import { data } from "react-router";
import { parseSearchParams } from "~/lib/search";
import { jsonApi } from "~/server/http/api.server";
import { httpError, notFound } from "~/server/http/responses.server";
import { getRequestState, limitRequest } from "~/server/request.server";
import { resolveScope, scopedSearchOptions, search } from "~/server/search/search.server";
import type { Route } from "./+types/search";

/**
 * GET /api/search?q=&campaignId=&fileKey=&type=&tag=&k=&page=&prefix=&explain=: the signed-in
 * user's results as JSON, with scores and provenance (for the page and for evaluation),
 * where the time went (`timings`, also as Server-Timing), and with explain=1 the FTS5
 * expressions run over the passages (`explain`). Another user's campaign or
 * file answers 404, as does one that does not exist.
 */
export async function loader({ request, context }: Route.LoaderArgs) {
  const { timings } = getRequestState(context);
  const answer = await jsonApi(context, async ({ user, services }) => {
    await timings.time("limit", () => limitRequest(context, request, "search"));
    const parsed = parseSearchParams(new URL(request.url).searchParams);
    if (!parsed.success) return httpError(400, parsed.error.issues[0]?.message ?? "That search is not valid.");
    const params = parsed.data;
    const scope = await timings.time("scope", () =>
      resolveScope(services.db, user, params, getRequestState(context).session.get("previewAs")),
    );
    if (!scope) notFound("campaign or file");
    const started = performance.now();
    const { results, more, explain } = await search(
      services.search,
      scope.owner,
      scopedSearchOptions(params, scope),
      timings,
    );
    return {
      query: params.q,
      page: params.page,
      results,
      more,
      tookMs: Math.round(performance.now() - started),
      timings: timings.toJSON(),
      ...(explain ? { explain } : {}),
    };
  });
  return answer instanceof Response ? answer : data(answer, { headers: { "Server-Timing": timings.header() } });
}
