import { streamFile } from "~/server/files/download.server";
import { getFile, getFileVersions } from "~/server/files/files.server";
import { FILE_KEY_PATTERN } from "~/server/files/keys.server";
import { getDb, getEnv, requireUser } from "~/server/request.server";
import type { Route } from "./+types/download";

/**
 * GET /files/:fileKey — the current version inline (`?v=N` for an older one,
 * `?download=1` to save it). Anyone else's file key, or a made-up one, is a 404.
 */
export async function loader({ request, context, params }: Route.LoaderArgs) {
  const user = requireUser(context, request);
  const notFound = () => new Response("There is no such file, or it is not yours.", { status: 404 });
  if (!FILE_KEY_PATTERN.test(params.fileKey)) return notFound();
  const db = getDb(context);
  const file = await getFile(db, user.username, params.fileKey);
  if (!file) return notFound();
  const url = new URL(request.url);
  const wanted = Number(url.searchParams.get("v") ?? file.currentVersion);
  const version = (await getFileVersions(db, file)).find((v) => v.versionNumber === wanted);
  if (!version) return notFound();
  return streamFile(getEnv(context).FILES, request, file, version, { download: url.searchParams.has("download") });
}
