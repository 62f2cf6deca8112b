import { data } from "react-router";
import { parseSearchParams } from "~/lib/search";
import { jsonApi } from "~/server/files/api.server";
import { getEnv } from "~/server/request.server";
import { resolveScope, search, searchDepsFor } from "~/server/search/search.server";
import type { Route } from "./+types/search";

/**
 * GET /api/search?q=&campaignId=&fileKey=&type=&tag=&k=: the signed-in user's results
 * as JSON, with scores and provenance (for the page and for evaluation). Another user's
 * campaign or file answers 404, as does one that does not exist.
 */
export async function loader({ request, context }: Route.LoaderArgs) {
  return jsonApi(context, async (username) => {
    const parsed = parseSearchParams(new URL(request.url).searchParams);
    if (!parsed.success) {
      return data({ error: parsed.error.issues[0]?.message ?? "That search is not valid." }, { status: 400 });
    }
    const params = parsed.data;
    const deps = searchDepsFor(getEnv(context));
    const scope = await resolveScope(deps.db, username, params);
    if (!scope) return data({ error: "No such campaign or file." }, { status: 404 });
    const started = performance.now();
    const results = await search(deps, username, { ...params, query: params.q, ...scope });
    return { query: params.q, results, tookMs: Math.round(performance.now() - started) };
  });
}
