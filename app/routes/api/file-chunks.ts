import { data } from "react-router";
import { jsonApi } from "~/server/files/api.server";
import { getFile } from "~/server/files/files.server";
import { FILE_KEY_PATTERN } from "~/server/files/keys.server";
import { readableChunks } from "~/server/ingest/index-chunks.server";
import { getDb } from "~/server/request.server";
import type { Route } from "./+types/file-chunks";

/** GET /api/files/:fileKey/chunks: the searchable passages of the file's current version. */
export async function loader({ context, params }: Route.LoaderArgs) {
  return jsonApi(context, async (username) => {
    const db = getDb(context);
    const file = FILE_KEY_PATTERN.test(params.fileKey) ? await getFile(db, username, params.fileKey) : undefined;
    if (!file) return data({ error: "No such file." }, { status: 404 });
    const { version, chunks } = await readableChunks(db, file.fileKey);
    return { fileKey: file.fileKey, version, status: file.status, chunks };
  });
}
