import { z } from "zod";
import type { RoomPoll } from "~/lib/campaign-live";
import { previewingGm, requireCampaign, requireCampaignMiddleware } from "~/server/campaigns/guards.server";
import { jsonApi } from "~/server/http/api.server";
import { visitorOf } from "~/server/live/campaign-room.server";
import type { Route } from "./+types/campaign-live";

export const middleware: Route.MiddlewareFunction[] = [requireCampaignMiddleware];

const afterSchema = z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER).catch(0);

/**
 * GET /api/campaigns/:campaignId/live?after=<ms>: the campaign room's polling fallback,
 * for a page whose WebSocket does not get through. It answers the changes since `after`
 * that the caller may hear of (the room filters them by the policy's audience, as it
 * does for sockets) and who has the campaign open; polling counts as being there.
 */
export async function loader({ request, context }: Route.LoaderArgs) {
  return jsonApi(context, async ({ services }): Promise<RoomPoll> => {
    const access = requireCampaign(context, "view");
    // A GM looking as a player is there as themself.
    const visitor = visitorOf(previewingGm(context) ?? access);
    const after = afterSchema.parse(new URL(request.url).searchParams.get("after") ?? 0);
    const { changes, people } = await services.room(access.campaign.id).poll(visitor, after);
    return { changes, people, now: Date.now() };
  });
}
