import { listJobs } from "~/server/files/files.server";
import { jsonApi } from "~/server/http/api.server";
import type { Route } from "./+types/jobs";

/**
 * GET /api/jobs: the signed-in user's processing jobs, for browsers whose WebSocket
 * does not get through (the Library polls this instead). `?timings=1` adds where each
 * job's time went (bench/ingest.mjs, ADR 0022).
 */
export async function loader({ request, context }: Route.LoaderArgs) {
  const timings = new URL(request.url).searchParams.get("timings") === "1";
  return jsonApi(context, async ({ user, services }) => ({
    jobs: await listJobs(services.fileStores, user, { timings }),
  }));
}
