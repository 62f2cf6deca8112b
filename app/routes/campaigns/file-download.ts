import { requireCampaignFile, requireCampaignMiddleware } from "~/server/campaigns/guards.server";
import { streamFile } from "~/server/files/download.server";
import { getFileVersions } from "~/server/files/files.server";
import { notFound } from "~/server/http/responses.server";
import { getServices } from "~/server/request.server";
import type { Route } from "./+types/file-download";

export const middleware: Route.MiddlewareFunction[] = [requireCampaignMiddleware];

/**
 * GET /campaigns/:campaignId/files/:fileKey/download — a campaign file's current version
 * inline (`?download=1` to save it), for everyone the policy lets read the campaign's
 * files. Older versions stay on the owner's library page.
 */
export async function loader({ request, context, params }: Route.LoaderArgs) {
  const { file } = await requireCampaignFile(context, params.fileKey);
  const { db, bucket } = getServices(context);
  const version = (await getFileVersions(db, file)).find((v) => v.versionNumber === file.currentVersion);
  if (!version) notFound("version of this file");
  return streamFile(bucket, request, file, version, { download: new URL(request.url).searchParams.has("download") });
}
