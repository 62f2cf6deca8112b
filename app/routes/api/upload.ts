import { data } from "react-router";
import { uploadResultJson } from "~/server/files/files.server";
import { UploadRefused } from "~/server/files/library.server";
import { abortMultipartUpload, completeMultipartUpload, getUploadState } from "~/server/files/multipart.server";
import { jsonApi } from "~/server/http/api.server";
import { limitRequest } from "~/server/request.server";
import type { Route } from "./+types/upload";

/** GET /api/uploads/:uploadId — which parts R2 already has (to resume). */
export async function loader({ context, params }: Route.LoaderArgs) {
  return jsonApi(context, ({ user, services }) => getUploadState(services.fileStores, user, params.uploadId));
}

/** POST /api/uploads/:uploadId (?intent=complete) finishes it; DELETE cancels it. */
export async function action({ request, context, params }: Route.ActionArgs) {
  return jsonApi(context, async ({ user, services: { fileStores } }) => {
    await limitRequest(context, request, "upload");
    switch (request.method) {
      case "DELETE":
        await abortMultipartUpload(fileStores, user, params.uploadId);
        return data({ cancelled: true });
      case "POST":
        return uploadResultJson(await completeMultipartUpload(fileStores, user, params.uploadId));
      default:
        await getUploadState(fileStores, user, params.uploadId); // someone else's upload: 404 first
        throw new UploadRefused("Use POST to finish or DELETE to cancel.", 405);
    }
  });
}
