import { UploadRefused } from "~/server/files/library.server";
import { getUploadState, uploadPart } from "~/server/files/multipart.server";
import { contentLength, jsonApi } from "~/server/http/api.server";
import { limitRequest } from "~/server/request.server";
import type { Route } from "./+types/upload-part";

/** PUT /api/uploads/:uploadId/parts/:partNumber — one part's raw bytes, streamed to R2. */
export async function action({ request, context, params }: Route.ActionArgs) {
  return jsonApi(context, async ({ user, services: { fileStores } }) => {
    await limitRequest(context, request, "upload");
    if (request.method !== "PUT" || !request.body) {
      await getUploadState(fileStores, user, params.uploadId); // someone else's upload: 404 first
      throw new UploadRefused("Send the part's bytes with PUT.", 405);
    }
    return uploadPart(fileStores, user, params.uploadId, Number(params.partNumber), {
      size: contentLength(request),
      body: request.body,
    });
  });
}
