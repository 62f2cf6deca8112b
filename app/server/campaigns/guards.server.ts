import { createContext, type MiddlewareFunction, type RouterContextProvider } from "react-router";
import type { FileRow } from "../files/library.server";
import { notFound } from "../http/responses.server";
import { getRequestState, getServices, requireUser } from "../request.server";
import {
  type CampaignAccess,
  type CampaignAction,
  campaignAccess,
  can,
  canInPreview,
  previewAccess,
} from "./policy.server";
import { getCampaignFile } from "./resources.server";

/** Route ids of entries and characters are integers; anything else is simply not found. */
export function parseRowId(param: string | undefined, what: string): number {
  if (!param || !/^\d{1,15}$/.test(param)) notFound(what);
  return Number(param);
}

interface CampaignRequest {
  /** What the request may do: the caller's own access, or while a GM previews, the player's. */
  access: CampaignAccess;
  /** The signed-in GM's own access while they preview the campaign as a player; else null. */
  previewedBy: CampaignAccess | null;
  /** Every action this request asked the policy about (the role-matrix test reads them). */
  decisions: CampaignAction[];
}

const campaignRequestContext = createContext<CampaignRequest>();

/**
 * Middleware of every route with a `:campaignId`: loads the campaign once with the
 * signed-in user's role in it, before any nested loader or action runs. A campaign they
 * are not in (or a missing one) is a 404.
 */
export const requireCampaignMiddleware: MiddlewareFunction<Response> = async ({ request, context, params }) => {
  const user = requireUser(context, request);
  const actual = params.campaignId ? await campaignAccess(getServices(context).db, user, params.campaignId) : null;
  if (!actual || !can(actual.role, "view")) notFound("campaign");
  const previewed = await previewedAccess(context, actual);
  context.set(campaignRequestContext, {
    access: previewed ?? actual,
    previewedBy: previewed ? actual : null,
    decisions: [],
  });
};

/**
 * The access a GM who previews this campaign as a player (the session's previewAs) reads
 * with: that player's, computed by the same policy; null when not previewing it.
 */
export async function previewedAccess(
  context: Readonly<RouterContextProvider>,
  actual: CampaignAccess,
): Promise<CampaignAccess | null> {
  const previewAs = getRequestState(context).session.get("previewAs");
  if (previewAs?.campaignId !== actual.campaign.id) return null;
  return previewAccess(getServices(context).db, actual, previewAs.accountId);
}

/** While a GM previews a campaign as a player, only reading is allowed (canInPreview). */
function allows(state: CampaignRequest, action: CampaignAction): boolean {
  return state.previewedBy ? canInPreview(state.access.role, action) : can(state.access.role, action);
}

/**
 * What every campaign loader and action starts with: the campaign and the caller's
 * standing, if the policy lets them do `action`; otherwise a 404, so a hidden thing and a
 * missing one look the same. Only callable below `requireCampaignMiddleware`.
 */
export function requireCampaign(context: Readonly<RouterContextProvider>, action: CampaignAction): CampaignAccess {
  const state = context.get(campaignRequestContext);
  state.decisions.push(action);
  if (!allows(state, action)) notFound("campaign");
  return state.access;
}

/** The GM's own access while they preview as a player, or null: for the banner and for stopping it. */
export function previewingGm(context: Readonly<RouterContextProvider>): CampaignAccess | null {
  const state = context.get(campaignRequestContext);
  state.decisions.push("reveal");
  return state.previewedBy;
}

/** Whether the caller may also do `action` (to offer or hide a button); recorded like a requirement. */
export function mayAlso(context: Readonly<RouterContextProvider>, action: CampaignAction): boolean {
  const state = context.get(campaignRequestContext);
  state.decisions.push(action);
  return allows(state, action);
}

/** The policy questions this request asked, in order (empty when it never reached a campaign). */
export function policyDecisions(context: Readonly<RouterContextProvider>): CampaignAction[] {
  try {
    return context.get(campaignRequestContext).decisions;
  } catch {
    return [];
  }
}

/**
 * One of the campaign's files (an attachment or a character's sheet), for a caller the
 * policy lets read them; anything else, the owner's other library files included, is a 404.
 */
export async function requireCampaignFile(
  context: Readonly<RouterContextProvider>,
  fileKey: string | undefined,
): Promise<{ access: CampaignAccess; file: FileRow }> {
  const access = requireCampaign(context, "readFiles");
  const file = await getCampaignFile(getServices(context).db, access, fileKey ?? "");
  if (!file) notFound("file");
  return { access, file };
}
