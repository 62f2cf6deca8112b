import { createContext, type MiddlewareFunction, type RouterContextProvider } from "react-router";
import { notFound } from "../http/responses.server";
import { getServices, requireUser } from "../request.server";
import { getFile } from "./files.server";
import type { FileRow } from "./library.server";

const fileContext = createContext<FileRow>();

/**
 * Middleware of every route with a `:fileKey` (the file's page and reader, its bytes,
 * its passages in the API): checks the key's form and loads the file once, scoped to the
 * signed-in user. Anyone else's file, or a made-up key, is a 404.
 */
export const requireFileMiddleware: MiddlewareFunction<Response> = async ({ request, context, params }) => {
  const user = requireUser(context, request);
  const file = await getFile(getServices(context).db, user.username, params.fileKey ?? "");
  if (!file) notFound("file");
  context.set(fileContext, file);
};

/** The file the middleware loaded; only callable in a route that runs it. */
export function getFileFromContext(context: Readonly<RouterContextProvider>): FileRow {
  return context.get(fileContext);
}
