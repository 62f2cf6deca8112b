import { parseWithZod } from "@conform-to/zod/v4";
import { data, useSearchParams } from "react-router";
import { ContextEntryForm } from "~/components/context-entry-form";
import { contextEntrySchema } from "~/lib/campaign-schemas";
import { contextTypes } from "~/lib/domain";
import { answerDraft } from "~/server/assistant/conversations.server";
import { createContextEntry } from "~/server/campaigns/context-entries.server";
import { requireCampaign } from "~/server/campaigns/guards.server";
import { QuotaExceeded } from "~/server/db/quota.server";
import { announce } from "~/server/live/campaign-room.server";
import { getServices } from "~/server/request.server";
import { redirectWithToast } from "~/server/toast.server";
import type { Route } from "./+types/new";

export const meta: Route.MetaFunction = () => [{ title: "New entry — LoreSmith AI" }];

export async function loader({ request, context }: Route.LoaderArgs) {
  const access = requireCampaign(context, "editMaterial");
  const { campaign } = access;
  // "Save as context entry" from an assistant answer opens this form filled in.
  const fromAnswer = new URL(request.url).searchParams.get("fromAnswer");
  return { campaignId: campaign.id, draft: await answerDraft(getServices(context).db, access, fromAnswer) };
}

export async function action({ request, context }: Route.ActionArgs) {
  const access = requireCampaign(context, "editMaterial");
  const { campaign } = access;
  const submission = parseWithZod(await request.formData(), { schema: contextEntrySchema });
  if (submission.status !== "success") {
    return data(submission.reply(), { status: submission.status === "error" ? 400 : 200 });
  }
  const services = getServices(context);
  const { db, limits } = services;
  let entry: Awaited<ReturnType<typeof createContextEntry>>;
  try {
    entry = await createContextEntry(db, campaign, submission.value, limits.rows.entries);
  } catch (error) {
    if (!(error instanceof QuotaExceeded)) throw error;
    return data(submission.reply({ formErrors: [error.message] }), { status: error.status });
  }
  await announce(services, access, { kind: "entry", id: String(entry.id) });
  return redirectWithToast(
    context,
    request,
    `/campaigns/${campaign.id}/context/${entry.id}`,
    `Entry “${entry.title}” added.`,
  );
}

export default function NewContextEntry({ loaderData, actionData }: Route.ComponentProps) {
  const { draft } = loaderData;
  const [searchParams] = useSearchParams();
  const type = searchParams.get("type");
  return (
    <div className="max-w-2xl">
      <h1 className="mb-4 font-serif text-3xl font-semibold">New entry</h1>
      <ContextEntryForm
        lastResult={actionData}
        defaultValue={{
          contextType: contextTypes.find((t) => t === type) ?? "lore",
          // A `[[link]]` to nothing yet opens this form with its name as the title.
          title: (searchParams.get("title") ?? "").slice(0, 200),
          ...(draft ? { title: draft.title, content: draft.markdown } : {}),
        }}
        submitLabel="Add entry"
      />
    </div>
  );
}
