import { parseWithZod } from "@conform-to/zod/v4";
import { data, Link } from "react-router";
import { PageHeader } from "~/components/app-shell";
import { CampaignForm } from "~/components/campaign-form";
import { campaignSchema } from "~/lib/campaign-schemas";
import { createCampaign } from "~/server/campaigns/campaigns.server";
import { QuotaExceeded } from "~/server/db/quota.server";
import { getServices, requireUser } from "~/server/request.server";
import { redirectWithToast } from "~/server/toast.server";
import type { Route } from "./+types/new";

export const meta: Route.MetaFunction = () => [{ title: "New campaign — LoreSmith AI" }];

export function loader({ request, context }: Route.LoaderArgs) {
  requireUser(context, request);
  return null;
}

export async function action({ request, context }: Route.ActionArgs) {
  const user = requireUser(context, request);
  const submission = parseWithZod(await request.formData(), { schema: campaignSchema });
  if (submission.status !== "success") {
    return data(submission.reply(), { status: submission.status === "error" ? 400 : 200 });
  }
  const { db, limits } = getServices(context);
  let campaign: Awaited<ReturnType<typeof createCampaign>>;
  try {
    campaign = await createCampaign(db, user.username, submission.value, limits.rows.campaigns);
  } catch (error) {
    if (!(error instanceof QuotaExceeded)) throw error;
    return data(submission.reply({ formErrors: [error.message] }), { status: error.status });
  }
  return redirectWithToast(context, request, `/campaigns/${campaign.id}`, `Campaign “${campaign.name}” created.`);
}

export default function NewCampaign({ actionData }: Route.ComponentProps) {
  return (
    <div className="max-w-2xl">
      <p className="mb-2">
        <Link to="/campaigns" className="text-ember-700 underline">
          ← Campaigns
        </Link>
      </p>
      <PageHeader title="New campaign">Start with a name; everything else can be filled in later.</PageHeader>
      <CampaignForm lastResult={actionData} submitLabel="Create campaign" />
    </div>
  );
}
