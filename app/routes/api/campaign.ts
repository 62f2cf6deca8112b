import { getCampaignOverview } from "~/server/campaigns/campaigns.server";
import { requireCampaign, requireCampaignMiddleware } from "~/server/campaigns/guards.server";
import { jsonApi } from "~/server/http/api.server";
import type { Route } from "./+types/campaign";

export const middleware: Route.MiddlewareFunction[] = [requireCampaignMiddleware];

/** GET /api/campaigns/:campaignId — the campaign with its entry and character index and the caller's role, as JSON. */
export async function loader({ context }: Route.LoaderArgs) {
  return jsonApi(context, async ({ services }) => {
    const { campaign, role } = requireCampaign(context, "view");
    const { entries, characters, resources } = await getCampaignOverview(services.db, campaign);
    const { username: _owner, ...fields } = campaign;
    return Response.json({ campaign: fields, role, entries, characters, resources });
  });
}
