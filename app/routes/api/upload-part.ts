import { contentLength, jsonApi } from "~/server/files/api.server";
import { UploadRefused } from "~/server/files/files.server";
import { getUploadState, uploadPart } from "~/server/files/multipart.server";
import { fileStores } from "~/server/files/stores.server";
import type { Route } from "./+types/upload-part";

/** PUT /api/uploads/:uploadId/parts/:partNumber — one part's raw bytes, streamed to R2. */
export async function action({ request, context, params }: Route.ActionArgs) {
  return jsonApi(context, async (username) => {
    const stores = fileStores(context);
    if (request.method !== "PUT" || !request.body) {
      await getUploadState(stores, username, params.uploadId); // someone else's upload: 404 first
      throw new UploadRefused("Send the part's bytes with PUT.", 405);
    }
    const partNumber = Number(params.partNumber);
    return uploadPart(stores, username, params.uploadId, partNumber, {
      size: contentLength(request),
      body: request.body,
    });
  });
}
