import { memberTargetSchema } from "~/lib/members";
import { previewingGm, requireCampaign } from "~/server/campaigns/guards.server";
import { previewAccess } from "~/server/campaigns/policy.server";
import { notFound } from "~/server/http/responses.server";
import { getRequestState, getServices } from "~/server/request.server";
import { cookieOptions } from "~/server/sessions/session.server";
import { redirectWithToast } from "~/server/toast.server";
import type { Route } from "./+types/preview";

/**
 * POST /campaigns/:campaignId/preview — a GM starts looking at the campaign as one of its
 * players (`accountId`), or stops (`intent=stop`). Kept in their session, so every page,
 * search and list of the campaign answers as that player until they stop; meanwhile
 * nothing can be changed (canInPreview).
 */
export async function action({ request, context }: Route.ActionArgs) {
  const gm = previewingGm(context) ?? requireCampaign(context, "reveal");
  const form = Object.fromEntries(await request.formData());
  const { session, store, device } = getRequestState(context);
  const base = `/campaigns/${gm.campaign.id}`;
  let response: Response;
  if (form.intent === "stop") {
    session.unset("previewAs");
    response = await redirectWithToast(context, request, `${base}/members`, "Back to your own view.");
  } else {
    const target = memberTargetSchema.safeParse(form);
    const as = target.success ? await previewAccess(getServices(context).db, gm, target.data.accountId) : null;
    if (!as) notFound("player");
    session.set("previewAs", { campaignId: gm.campaign.id, accountId: as.account.id });
    response = await redirectWithToast(context, request, base, `You see the campaign as ${as.account.username} does.`);
  }
  if (device) response.headers.append("Set-Cookie", await store.commitSession(session, cookieOptions(device)));
  return response;
}
