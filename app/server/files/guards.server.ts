import { createContext, type MiddlewareFunction, type RouterContextProvider } from "react-router";
import { notFound } from "../http/responses.server";
import { getServices, requireUser } from "../request.server";
import { fileWithVersions } from "./files.server";
import type { FileRow, FileVersionRow } from "./library.server";

const fileContext = createContext<{ file: FileRow; versions: FileVersionRow[] }>();

/**
 * Middleware of every route with a `:fileKey` (the file's page and reader, its bytes,
 * its passages in the API): checks the key's form and loads the file and its versions
 * once, scoped to the signed-in user, through the read-model cache (ADR 0029). Anyone
 * else's file, or a made-up key, is a 404.
 */
export const requireFileMiddleware: MiddlewareFunction<Response> = async ({ request, context, params }) => {
  const user = requireUser(context, request);
  const found = await fileWithVersions(getServices(context), user, params.fileKey ?? "");
  if (!found) notFound("file");
  context.set(fileContext, found);
};

/** The file the middleware loaded; only callable in a route that runs it. */
export function getFileFromContext(context: Readonly<RouterContextProvider>): FileRow {
  return context.get(fileContext).file;
}

/** Its versions, newest first, as the middleware loaded them. */
export function getFileVersionsFromContext(context: Readonly<RouterContextProvider>): FileVersionRow[] {
  return context.get(fileContext).versions;
}
