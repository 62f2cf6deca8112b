import { getFileFromContext, requireFileMiddleware } from "~/server/files/guards.server";
import { jsonApi } from "~/server/http/api.server";
import { readableChunks } from "~/server/ingest/index-chunks.server";
import type { Route } from "./+types/file-chunks";

export const middleware: Route.MiddlewareFunction[] = [requireFileMiddleware];

/** GET /api/files/:fileKey/chunks: the searchable passages of the file's current version. */
export async function loader({ context }: Route.LoaderArgs) {
  return jsonApi(context, async ({ services }) => {
    const file = getFileFromContext(context);
    const { version, chunks } = await readableChunks(services.db, file.fileKey);
    return { fileKey: file.fileKey, version, status: file.status, chunks };
  });
}
