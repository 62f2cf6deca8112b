import { getCampaignOverview } from "~/server/campaigns/campaigns.server";
import { mayAlso, requireCampaign, requireCampaignMiddleware } from "~/server/campaigns/guards.server";
import { withoutSecrets } from "~/server/campaigns/secrets.server";
import { jsonApi } from "~/server/http/api.server";
import type { Route } from "./+types/campaign";

export const middleware: Route.MiddlewareFunction[] = [requireCampaignMiddleware];

/** GET /api/campaigns/:campaignId — the campaign with its entry and character index and the caller's role, as JSON. */
export async function loader({ context }: Route.LoaderArgs) {
  return jsonApi(context, async ({ services }) => {
    const access = requireCampaign(context, "view");
    const { campaign, role } = access;
    const { entries, characters, resources } = await getCampaignOverview(services.db, access);
    const { username: _owner, description, ...fields } = campaign;
    const readable = mayAlso(context, "seeSecrets") ? description : withoutSecrets(description);
    return Response.json({ campaign: { ...fields, description: readable }, role, entries, characters, resources });
  });
}
