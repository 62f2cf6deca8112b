import { accountArchiveResponse } from "~/server/archives/export.server";
import { getServices, limitRequest, requireUser } from "~/server/request.server";
import type { Route } from "./+types/settings-export";

/**
 * GET /settings/export — every campaign the account can open as one .zip (ADR 0039), each
 * as the account sees it: all of its own, and what is shared with it in the others.
 */
export async function loader({ request, context }: Route.LoaderArgs) {
  const user = requireUser(context, request);
  await limitRequest(context, request, "write");
  const { db, bucket } = getServices(context);
  const includeFiles = new URL(request.url).searchParams.get("files") === "1";
  return accountArchiveResponse(db, user, { db, bucket, includeFiles });
}
