import { createContext, type MiddlewareFunction, type RouterContextProvider } from "react-router";
import { notFound } from "../http/responses.server";
import { getServices, requireUser } from "../request.server";
import { type Campaign, getCampaign } from "./campaigns.server";

/** Route ids of entries and characters are integers; anything else is simply not found. */
export function parseRowId(param: string | undefined, what: string): number {
  if (!param || !/^\d{1,15}$/.test(param)) notFound(what);
  return Number(param);
}

const campaignContext = createContext<Campaign>();

/**
 * Middleware of the /campaigns/:campaignId layout: loads the campaign once, scoped to
 * the signed-in user, before any nested loader or action runs. Anyone else's campaign
 * (or a missing one) is a 404.
 */
export const requireCampaignMiddleware: MiddlewareFunction<Response> = async ({ request, context, params }) => {
  const user = requireUser(context, request);
  const { db } = getServices(context);
  const campaign = params.campaignId ? await getCampaign(db, user.username, params.campaignId) : undefined;
  if (!campaign) notFound("campaign");
  context.set(campaignContext, campaign);
};

/** The campaign the layout middleware loaded; only callable below that layout. */
export function getCampaignFromContext(context: Readonly<RouterContextProvider>): Campaign {
  return context.get(campaignContext);
}
