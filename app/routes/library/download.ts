import { streamFile } from "~/server/files/download.server";
import { getFileFromContext, getFileVersionsFromContext, requireFileMiddleware } from "~/server/files/guards.server";
import { notFound } from "~/server/http/responses.server";
import { getServices } from "~/server/request.server";
import type { Route } from "./+types/download";

export const middleware: Route.MiddlewareFunction[] = [requireFileMiddleware];

/**
 * GET /files/:fileKey — the current version inline (`?v=N` for an older one,
 * `?download=1` to save it). Anyone else's file key, or a made-up one, is a 404. The
 * file and its versions come from the guard, through the read-model cache (ADR 0029).
 */
export async function loader({ request, context }: Route.LoaderArgs) {
  const file = getFileFromContext(context);
  const url = new URL(request.url);
  const wanted = Number(url.searchParams.get("v") ?? file.currentVersion);
  const version = getFileVersionsFromContext(context).find((v) => v.versionNumber === wanted);
  if (!version) notFound("version of this file");
  return streamFile(getServices(context).bucket, request, file, version, {
    download: url.searchParams.has("download"),
  });
}
