import { createContext, data, type MiddlewareFunction, type RouterContextProvider } from "react-router";
import { getDb, requireUser } from "../request.server";
import { type Campaign, getCampaign } from "./campaigns.server";

/** A 404 that says nothing about whether the thing exists for someone else. */
export function notFound(what = "page"): never {
  throw data(`There is no such ${what}, or it is not yours.`, { status: 404 });
}

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
  const campaign = params.campaignId ? await getCampaign(getDb(context), user.username, params.campaignId) : undefined;
  if (!campaign) notFound("campaign");
  context.set(campaignContext, campaign);
};

/** The campaign the layout middleware loaded; only callable below that layout. */
export function getCampaignFromContext(context: Readonly<RouterContextProvider>): Campaign {
  return context.get(campaignContext);
}
