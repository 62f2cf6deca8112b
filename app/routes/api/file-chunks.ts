import { getFileFromContext, requireFileMiddleware } from "~/server/files/guards.server";
import { jsonApi } from "~/server/http/api.server";
import type { Route } from "./+types/file-chunks";

export const middleware: Route.MiddlewareFunction[] = [requireFileMiddleware];

/** GET /api/files/:fileKey/chunks: the searchable passages of the file's current version. */
export async function loader({ context }: Route.LoaderArgs) {
  return jsonApi(context, async ({ user, services }) => {
    const file = getFileFromContext(context);
    const { version, passages } = await services.tracker(user.id).readablePassages(file.fileKey);
    return { fileKey: file.fileKey, version, status: file.status, passages };
  });
}
