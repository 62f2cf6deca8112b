import { parseWithZod } from "@conform-to/zod/v4";
import { data, Link, useNavigation } from "react-router";
import { ConflictNotice } from "~/components/conflict-notice";
import { ContextEntryForm, type ContextEntryFormValues } from "~/components/context-entry-form";
import { DeleteDisclosure } from "~/components/delete-disclosure";
import type { LiveHandle } from "~/lib/campaign-live";
import { contextEntryUpdateSchema } from "~/lib/campaign-schemas";
import { contextTypeLabels } from "~/lib/domain";
import { type Audience, audienceLabels } from "~/lib/members";
import {
  type ContextEntry,
  deleteContextEntry,
  getContextEntry,
  updateContextEntry,
} from "~/server/campaigns/context-entries.server";
import { decodeTags, VersionConflictError } from "~/server/campaigns/errors.server";
import { parseRowId, requireCampaign } from "~/server/campaigns/guards.server";
import { keptNameNotice } from "~/server/campaigns/links.server";
import { notFound, unknownIntent } from "~/server/http/responses.server";
import { announced } from "~/server/live/campaign-room.server";
import { getServices } from "~/server/request.server";
import { redirectWithToast } from "~/server/toast.server";
import type { Route } from "./+types/edit";

/** Someone else saving this entry shows a notice; the form keeps what was typed. */
export const handle: LiveHandle = { live: { editing: "entry", param: "entryId" } };

export const meta: Route.MetaFunction = ({ loaderData }) => [
  { title: `Edit ${loaderData?.values.title ?? "entry"} — LoreSmith AI` },
];

function formValues(entry: {
  contextType: string;
  title: string;
  content: string;
  tags: string;
  aliases: string[];
  audience: string;
}) {
  return {
    contextType: entry.contextType,
    title: entry.title,
    content: entry.content,
    tags: decodeTags(entry.tags).join(", "),
    aliases: entry.aliases.join(", "),
    audience: entry.audience,
  } satisfies ContextEntryFormValues;
}

export async function loader({ context, params }: Route.LoaderArgs) {
  const access = requireCampaign(context, "editMaterial");
  const { campaign } = access;
  const entry = await getContextEntry(getServices(context).db, access, parseRowId(params.entryId, "entry"));
  if (!entry) notFound("entry");
  return { campaignId: campaign.id, entryId: entry.id, version: entry.version, values: formValues(entry) };
}

export async function action({ request, context, params }: Route.ActionArgs) {
  const access = requireCampaign(context, "editMaterial");
  const { campaign } = access;
  const entryId = parseRowId(params.entryId, "entry");
  const services = getServices(context);
  const { db } = services;
  const formData = await request.formData();
  const base = `/campaigns/${campaign.id}/context`;
  // Whoever could see the entry hears that it changed (or went).
  const subject = { kind: "entry", id: String(entryId) } as const;

  const intent = formData.get("intent");
  switch (intent) {
    case "delete": {
      const entry = await getContextEntry(db, access, entryId);
      const deleted =
        entry && (await announced(services, access, subject, () => deleteContextEntry(db, campaign, entryId)));
      if (!entry || !deleted) notFound("entry");
      return redirectWithToast(context, request, base, `Entry “${entry.title}” deleted.`);
    }
    case "save":
      break;
    default:
      unknownIntent(intent);
  }

  const submission = parseWithZod(formData, { schema: contextEntryUpdateSchema });
  if (submission.status !== "success") {
    return data({ result: submission.reply(), conflict: null }, { status: submission.status === "error" ? 400 : 200 });
  }
  const { version, ...input } = submission.value;
  try {
    const saved = await announced(services, access, subject, () =>
      updateContextEntry(db, campaign, entryId, version, input),
    );
    if (!saved) notFound("entry");
    return redirectWithToast(context, request, `${base}/${entryId}`, `Entry saved.${keptNameNotice(saved, input)}`);
  } catch (error) {
    if (!(error instanceof VersionConflictError)) throw error;
    const current = error.current as ContextEntry;
    return data(
      { result: submission.reply(), conflict: { version: current.version, values: formValues(current) } },
      { status: 409 },
    );
  }
}

export default function EditContextEntry({ loaderData, actionData }: Route.ComponentProps) {
  const { campaignId, entryId, version, values } = loaderData;
  const navigation = useNavigation();
  const conflict = actionData?.conflict;
  const base = `/campaigns/${campaignId}/context/${entryId}`;
  return (
    <div className="max-w-2xl space-y-6">
      <p>
        <Link to={base} className="text-ember-700 underline">
          ← Back to the entry
        </Link>
      </p>
      <h1 className="font-serif text-3xl font-semibold">Edit {values.title}</h1>
      {conflict ? (
        <ConflictNotice
          discardHref={`${base}/edit`}
          fields={[
            { label: "Type", saved: contextTypeLabels[conflict.values.contextType as keyof typeof contextTypeLabels] },
            { label: "Title", saved: conflict.values.title },
            { label: "Tags", saved: conflict.values.tags },
            { label: "Who can see it", saved: audienceLabels[conflict.values.audience as Audience] },
            { label: "Content", saved: conflict.values.content },
          ]}
        />
      ) : null}
      <ContextEntryForm
        key={conflict ? `conflict-${conflict.version}` : `v${version}`}
        defaultValue={values}
        lastResult={actionData?.result}
        version={conflict?.version ?? version}
        submitLabel="Save entry"
        conflict={Boolean(conflict)}
      />
      <DeleteDisclosure
        what="this entry"
        detail="The entry is removed from the campaign and from search. This cannot be undone."
        pending={navigation.state === "submitting" && navigation.formData?.get("intent") === "delete"}
      />
    </div>
  );
}
