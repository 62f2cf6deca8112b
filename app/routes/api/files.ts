import { uploadFile, uploadResultJson } from "~/server/files/files.server";
import { UploadRefused } from "~/server/files/library.server";
import { contentLength, jsonApi } from "~/server/http/api.server";
import { withDailyQuota } from "~/server/http/daily-quotas.server";
import { httpError } from "~/server/http/responses.server";
import { limitRequest } from "~/server/request.server";
import type { Route } from "./+types/files";

/**
 * PUT /api/files?name=<file name> with the raw bytes as the body (and Content-Length):
 * streams one file into the library. The browser's upload widget uses it (XHR gives it
 * upload progress and cancel). Answers JSON: the stored file, or `{ error }` saying why not.
 */
export async function action({ request, context }: Route.ActionArgs) {
  return jsonApi(context, async ({ user, services }) => {
    await limitRequest(context, request, "upload");
    if (request.method !== "PUT" || !request.body) throw new UploadRefused("Upload the file's bytes with PUT.", 405);
    const fileName = new URL(request.url).searchParams.get("name") ?? "";
    const body = request.body;
    const size = contentLength(request);
    const result = await withDailyQuota(services, user.id, "uploadBytes", size || 0, () =>
      uploadFile(services.fileStores, user, { fileName, size, body }),
    );
    return uploadResultJson(result);
  });
}

export function loader() {
  return httpError(405, "Upload with PUT.", { Allow: "PUT" });
}
