import { jsonApi } from "~/server/files/api.server";
import { fileStores } from "~/server/files/stores.server";
import type { Route } from "./+types/jobs";

/**
 * GET /api/jobs: the signed-in user's processing jobs, for browsers whose WebSocket
 * does not get through (the Library polls this instead).
 */
export async function loader({ context }: Route.LoaderArgs) {
  return jsonApi(context, async (username) => {
    const { tracker } = fileStores(context);
    return { jobs: await tracker.get(tracker.idFromName(username)).listJobs() };
  });
}
