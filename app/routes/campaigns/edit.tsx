import { parseWithZod } from "@conform-to/zod/v4";
import { data, Form, useNavigation } from "react-router";
import { PageHeader } from "~/components/app-shell";
import { CampaignForm, type CampaignFormValues } from "~/components/campaign-form";
import { ConflictNotice } from "~/components/conflict-notice";
import { DeleteDisclosure } from "~/components/delete-disclosure";
import { Button } from "~/components/ui/button";
import type { LiveHandle } from "~/lib/campaign-live";
import { campaignUpdateSchema, versionField } from "~/lib/campaign-schemas";
import { campaignStatusLabels } from "~/lib/domain";
import { formatDate } from "~/lib/format";
import { type Campaign, deleteCampaign, setCampaignStatus, updateCampaign } from "~/server/campaigns/campaigns.server";
import { VersionConflictError } from "~/server/campaigns/errors.server";
import { mayAlso, requireCampaign } from "~/server/campaigns/guards.server";
import type { CampaignAccess } from "~/server/campaigns/policy.server";
import { notFound, unknownIntent } from "~/server/http/responses.server";
import { announce, campaignWide, closeRoom } from "~/server/live/campaign-room.server";
import { getServices } from "~/server/request.server";
import { redirectWithToast } from "~/server/toast.server";
import type { Route } from "./+types/edit";

/** Someone else saving the campaign shows a notice; the form keeps what was typed. */
export const handle: LiveHandle = { live: { editing: "campaign", param: "campaignId" } };

export const meta: Route.MetaFunction = ({ loaderData }) => [
  { title: `Edit ${loaderData?.campaign.name ?? "campaign"} — LoreSmith AI` },
];

function formValues(campaign: Campaign): CampaignFormValues {
  return {
    name: campaign.name,
    description: campaign.description,
    status: campaign.status,
    system: campaign.metadata.system,
    setting: campaign.metadata.setting,
    nextSessionAt: campaign.metadata.nextSessionAt,
    tags: campaign.metadata.tags?.join(", ") ?? "",
  };
}

export function loader({ context }: Route.LoaderArgs) {
  const { campaign } = requireCampaign(context, "editCampaign");
  return {
    campaign: { id: campaign.id, name: campaign.name, status: campaign.status, version: campaign.version },
    values: formValues(campaign),
    mayDelete: mayAlso(context, "deleteCampaign"),
  };
}

export async function action({ request, context }: Route.ActionArgs) {
  const access = requireCampaign(context, "editCampaign");
  const { campaign, owner } = access;
  const services = getServices(context);
  const { db } = services;
  const formData = await request.formData();
  const intent = formData.get("intent");
  const back = `/campaigns/${campaign.id}`;

  switch (intent) {
    case "delete":
      requireCampaign(context, "deleteCampaign");
      if (!(await deleteCampaign(db, owner.username, campaign.id))) notFound("campaign");
      await closeRoom(services, campaign.id);
      return redirectWithToast(context, request, "/campaigns", `Campaign “${campaign.name}” deleted.`);
    case "archive":
    case "unarchive": {
      const version = versionField.safeParse(Number(formData.get("version")));
      if (!version.success) return data({ result: null, conflict: null }, { status: 400 });
      try {
        const status = intent === "archive" ? "archived" : "active";
        await setCampaignStatus(db, owner.username, campaign.id, version.data, status);
        await announce(services, access, campaignWide(access, "campaign"));
        return redirectWithToast(
          context,
          request,
          back,
          intent === "archive" ? "Campaign archived." : "Campaign restored to Active.",
        );
      } catch (error) {
        if (!(error instanceof VersionConflictError)) throw error;
        return redirectWithToast(
          context,
          request,
          `${back}/edit`,
          "The campaign changed elsewhere; here is the latest version.",
        );
      }
    }
    case "save":
      return saveCampaign(request, context, access, formData);
    default:
      unknownIntent(intent);
  }
}

async function saveCampaign(
  request: Request,
  context: Route.ActionArgs["context"],
  access: CampaignAccess,
  formData: FormData,
) {
  const { campaign } = access;
  const services = getServices(context);
  const submission = parseWithZod(formData, { schema: campaignUpdateSchema });
  if (submission.status !== "success") {
    return data({ result: submission.reply(), conflict: null }, { status: submission.status === "error" ? 400 : 200 });
  }
  const { version, ...input } = submission.value;
  try {
    const saved = await updateCampaign(services.db, campaign.username, campaign.id, version, input);
    if (!saved) notFound("campaign");
    await announce(services, access, campaignWide(access, "campaign"));
    return redirectWithToast(context, request, `/campaigns/${campaign.id}`, "Campaign saved.");
  } catch (error) {
    if (!(error instanceof VersionConflictError)) throw error;
    const current = error.current as Campaign;
    return data(
      { result: submission.reply(), conflict: { version: current.version, values: formValues(current) } },
      { status: 409 },
    );
  }
}

export default function EditCampaign({ loaderData, actionData }: Route.ComponentProps) {
  const { campaign, values, mayDelete } = loaderData;
  const navigation = useNavigation();
  const busyIntent = navigation.state === "submitting" ? navigation.formData?.get("intent") : null;
  const conflict = actionData?.conflict;
  return (
    <div className="max-w-2xl space-y-6">
      <PageHeader title={`Edit ${campaign.name}`} />
      {conflict ? (
        <ConflictNotice
          discardHref={`/campaigns/${campaign.id}/edit`}
          fields={[
            { label: "Name", saved: conflict.values.name },
            {
              label: "Status",
              saved: campaignStatusLabels[conflict.values.status as keyof typeof campaignStatusLabels],
            },
            { label: "Game system", saved: conflict.values.system },
            { label: "Setting", saved: conflict.values.setting },
            {
              label: "Next session",
              saved: conflict.values.nextSessionAt ? formatDate(conflict.values.nextSessionAt) : "",
            },
            { label: "Tags", saved: conflict.values.tags },
            { label: "Description", saved: conflict.values.description },
          ]}
        />
      ) : null}
      <CampaignForm
        // A conflict re-keys the form so "Save mine anyway" carries the saved version.
        key={conflict ? `conflict-${conflict.version}` : `v${campaign.version}`}
        defaultValue={values}
        lastResult={actionData?.result}
        version={conflict?.version ?? campaign.version}
        submitLabel="Save campaign"
        conflict={Boolean(conflict)}
      />

      <section aria-labelledby="archive-heading" className="rounded-lg border border-stone-300 bg-white p-4">
        <h2 id="archive-heading" className="font-semibold">
          {campaign.status === "archived" ? "Archived" : "Archive"}
        </h2>
        <p className="mb-3 text-stone-700">
          {campaign.status === "archived"
            ? "This campaign is archived. Restore it to make it active again."
            : "Archiving keeps everything but moves the campaign out of your active list."}
        </p>
        <Form method="post">
          <input type="hidden" name="version" value={campaign.version} />
          <Button
            type="submit"
            name="intent"
            value={campaign.status === "archived" ? "unarchive" : "archive"}
            variant="secondary"
            pending={busyIntent === "archive" || busyIntent === "unarchive"}
          >
            {campaign.status === "archived" ? "Restore campaign" : "Archive campaign"}
          </Button>
        </Form>
      </section>

      {mayDelete ? (
        <DeleteDisclosure
          what="this campaign"
          detail="Deletes the campaign with all its lore entries, characters, file links and conversations, for every member. Files stay in your Library. This cannot be undone."
          pending={busyIntent === "delete"}
        />
      ) : (
        <p className="text-stone-700">Only the campaign’s owner can delete it.</p>
      )}
    </div>
  );
}
