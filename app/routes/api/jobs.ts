import { listJobs } from "~/server/files/files.server";
import { jsonApi } from "~/server/http/api.server";
import type { Route } from "./+types/jobs";

/**
 * GET /api/jobs: the signed-in user's processing jobs, for browsers whose WebSocket
 * does not get through (the Library polls this instead).
 */
export async function loader({ context }: Route.LoaderArgs) {
  return jsonApi(context, async ({ user, services }) => ({ jobs: await listJobs(services.fileStores, user) }));
}
