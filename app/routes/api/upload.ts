import { data } from "react-router";
import { jsonApi, uploadResultJson } from "~/server/files/api.server";
import { UploadRefused } from "~/server/files/files.server";
import { abortMultipartUpload, completeMultipartUpload, getUploadState } from "~/server/files/multipart.server";
import { fileStores } from "~/server/files/stores.server";
import type { Route } from "./+types/upload";

/** GET /api/uploads/:uploadId — which parts R2 already has (to resume). */
export async function loader({ context, params }: Route.LoaderArgs) {
  return jsonApi(context, (username) => getUploadState(fileStores(context), username, params.uploadId));
}

/** POST /api/uploads/:uploadId (?intent=complete) finishes it; DELETE cancels it. */
export async function action({ request, context, params }: Route.ActionArgs) {
  return jsonApi(context, async (username) => {
    const stores = fileStores(context);
    if (request.method === "DELETE") {
      await abortMultipartUpload(stores, username, params.uploadId);
      return data({ cancelled: true });
    }
    if (request.method !== "POST") {
      await getUploadState(stores, username, params.uploadId); // someone else's upload: 404 first
      throw new UploadRefused("Use POST to finish or DELETE to cancel.", 405);
    }
    const result = await completeMultipartUpload(stores, username, params.uploadId);
    return uploadResultJson(result);
  });
}
