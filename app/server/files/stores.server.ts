import type { RouterContextProvider } from "react-router";
import { getDb, getEnv } from "../request.server";
import { type FileStores, uploadLimits } from "./files.server";

/** The file library's bindings for this request. */
export function fileStores(context: Readonly<RouterContextProvider>): FileStores {
  const env = getEnv(context);
  return { db: getDb(context), files: env.FILES, tracker: env.USER_FILE_TRACKER, limits: uploadLimits(env) };
}
