import { data, type RouterContextProvider } from "react-router";
import { getRequestState } from "../request.server";
import { UploadRefused, type UploadResult } from "./files.server";

/** JSON endpoints of the library: 401 signed out, refusals as `{ error }` with their status. */
export async function jsonApi<T>(
  context: Readonly<RouterContextProvider>,
  handle: (username: string) => Promise<T>,
): Promise<T | ReturnType<typeof data<{ error: string }>>> {
  const { user } = getRequestState(context);
  if (!user) return data({ error: "Sign in to use your library." }, { status: 401 });
  try {
    return await handle(user.username);
  } catch (error) {
    if (error instanceof UploadRefused) return data({ error: error.message }, { status: error.status });
    throw error;
  }
}

export function contentLength(request: Request): number {
  return Number(request.headers.get("Content-Length") ?? Number.NaN);
}

/** What the upload endpoints answer once a file is stored. */
export function uploadResultJson(result: UploadResult) {
  const name = result.file.fileName;
  return data(
    {
      fileKey: result.file.fileKey,
      fileName: name,
      version: result.version,
      created: result.created,
      message: result.created ? `“${name}” uploaded.` : `“${name}” uploaded as version ${result.version}.`,
    },
    { status: result.created ? 201 : 200 },
  );
}
