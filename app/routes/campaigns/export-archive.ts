import { campaignArchiveResponse } from "~/server/archives/export.server";
import { mayAlso, requireCampaign, requireCampaignMiddleware } from "~/server/campaigns/guards.server";
import { getServices, limitRequest } from "~/server/request.server";
import type { Route } from "./+types/export-archive";

export const middleware: Route.MiddlewareFunction[] = [requireCampaignMiddleware];

/**
 * GET /campaigns/:campaignId/export/archive — the campaign as a .zip, written while it is
 * read (ADR 0039), holding what the caller may see; `?files=1` adds the attached files'
 * bytes for those who may read them.
 */
export async function loader({ request, context }: Route.LoaderArgs) {
  const access = requireCampaign(context, "view");
  const includeFiles = new URL(request.url).searchParams.get("files") === "1" && mayAlso(context, "readFiles");
  await limitRequest(context, request, "write");
  const { db, bucket } = getServices(context);
  return campaignArchiveResponse(access, { db, bucket, includeFiles });
}
