import { data } from "react-router";
import { UploadRefused, uploadFile } from "~/server/files/files.server";
import { fileStores } from "~/server/files/stores.server";
import { getRequestState } from "~/server/request.server";
import type { Route } from "./+types/files";

/**
 * PUT /api/files?name=<file name> with the raw bytes as the body (and Content-Length):
 * streams one file into the library. The browser's upload widget uses it (XHR gives it
 * upload progress and cancel). Answers JSON: the stored file, or `{ error }` saying why not.
 */
export async function action({ request, context }: Route.ActionArgs) {
  const { user } = getRequestState(context);
  if (!user) return data({ error: "Sign in to upload files." }, { status: 401 });
  if (request.method !== "PUT") return data({ error: "Upload with PUT." }, { status: 405, headers: { Allow: "PUT" } });
  const fileName = new URL(request.url).searchParams.get("name") ?? "";
  const size = Number(request.headers.get("Content-Length") ?? Number.NaN);
  if (!request.body) return data({ error: "The upload had no content." }, { status: 400 });
  try {
    const result = await uploadFile(fileStores(context), user.username, { fileName, size, body: request.body });
    return data(
      {
        fileKey: result.file.fileKey,
        fileName: result.file.fileName,
        version: result.version,
        created: result.created,
        message: result.created
          ? `“${result.file.fileName}” uploaded.`
          : `“${result.file.fileName}” uploaded as version ${result.version}.`,
      },
      { status: result.created ? 201 : 200 },
    );
  } catch (error) {
    if (error instanceof UploadRefused) return data({ error: error.message }, { status: error.status });
    throw error;
  }
}

export function loader() {
  return data({ error: "Upload with PUT." }, { status: 405, headers: { Allow: "PUT" } });
}
