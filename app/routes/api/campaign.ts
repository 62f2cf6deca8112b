import { data } from "react-router";
import { getCampaign, getCampaignOverview } from "~/server/campaigns/campaigns.server";
import { getDb, getRequestState } from "~/server/request.server";
import type { Route } from "./+types/campaign";

/** GET /api/campaigns/:campaignId — the campaign with its entry and character index, as JSON. */
export async function loader({ context, params }: Route.LoaderArgs) {
  const { user } = getRequestState(context);
  if (!user) throw data({ error: "Sign in to use the API." }, { status: 401 });
  const db = getDb(context);
  const campaign = await getCampaign(db, user.username, params.campaignId);
  if (!campaign) throw data({ error: "There is no such campaign, or it is not yours." }, { status: 404 });
  const { entries, characters, resources } = await getCampaignOverview(db, campaign);
  const { username: _owner, ...fields } = campaign;
  return Response.json({ campaign: fields, entries, characters, resources });
}
