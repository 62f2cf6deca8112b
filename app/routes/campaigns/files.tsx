import { getFormProps, getInputProps, useForm } from "@conform-to/react";
import { parseWithZod } from "@conform-to/zod/v4";
import { useCallback } from "react";
import { data, Form, Link, useNavigation } from "react-router";
import { FileStatusNote } from "~/components/file-progress";
import { RevealPanel } from "~/components/reveal-panel";
import { Button } from "~/components/ui/button";
import { SelectField } from "~/components/ui/controls";
import { Field, FieldErrors, FormErrors, inputClass } from "~/components/ui/field";
import { schemaValidation } from "~/components/ui/form-kit";
import { UploadPanel } from "~/components/upload-panel";
import { attachFileSchema, fileAudienceSchema } from "~/lib/campaign-schemas";
import { NO_SCRIPT_UPLOAD_LIMIT } from "~/lib/file-kinds";
import { fileLinks } from "~/lib/file-links";
import { audienceLabels } from "~/lib/members";
import { mayAlso, requireCampaign } from "~/server/campaigns/guards.server";
import {
  attachFiles,
  detachFile,
  listAttachableFiles,
  listCampaignResources,
  ownFiles,
  setResourceAudience,
} from "~/server/campaigns/resources.server";
import { handleRevealForm, revealPanels } from "~/server/campaigns/reveals.server";
import { notFound, unknownIntent } from "~/server/http/responses.server";
import { announce, announced } from "~/server/live/campaign-room.server";
import { getServices } from "~/server/request.server";
import { redirectWithToast } from "~/server/toast.server";
import type { Route } from "./+types/files";

export const meta: Route.MetaFunction = () => [{ title: "Campaign files — LoreSmith AI" }];

export async function loader({ context }: Route.LoaderArgs) {
  const access = requireCampaign(context, "readFiles");
  const { campaign } = access;
  const { db, limits } = getServices(context);
  // Attaching picks from the owner's library, which only the owner sees.
  const manages = mayAlso(context, "manageFiles");
  const [resources, attachable] = await Promise.all([
    listCampaignResources(db, access),
    manages ? listAttachableFiles(db, campaign) : [],
  ]);
  // Each file's reveal panel, for the GMs (null for everyone else).
  const panels = await revealPanels(
    db,
    access,
    "file",
    resources.map((resource) => ({ id: resource.fileKey, audience: resource.audience })),
  );
  const attached = resources.map((resource) => ({ ...resource, reveals: panels?.get(resource.fileKey) ?? null }));
  return {
    campaignId: campaign.id,
    attached,
    attachable,
    manages,
    seesSecrets: mayAlso(context, "seeSecrets"),
    // Proposals from a processed file are for those who edit the material (ADR 0038).
    proposes: mayAlso(context, "editMaterial"),
    limits,
    now: Date.now(),
  };
}

export async function action({ request, context }: Route.ActionArgs) {
  const formData = await request.formData();
  const intent = formData.get("intent");
  const services = getServices(context);
  const { db } = services;
  // Revealing a file to chosen players is the GMs'; attaching, sharing and detaching the owner's.
  if (intent === "reveal" || intent === "hide") {
    const access = requireCampaign(context, "reveal");
    const fileKey = fileAudienceSchema.shape.fileKey.safeParse(formData.get("fileKey"));
    const subject = { kind: "file", id: fileKey.data ?? "" } as const;
    const message = fileKey.success
      ? await announced(services, access, subject, () => handleRevealForm(db, access, subject, formData))
      : null;
    if (!message) notFound("file link");
    return redirectWithToast(context, request, `/campaigns/${access.campaign.id}/files`, message);
  }
  const access = requireCampaign(context, "manageFiles");
  const { campaign } = access;
  const here = `/campaigns/${campaign.id}/files`;
  const fileSubject = (fileKey: string) => ({ kind: "file", id: fileKey }) as const;
  switch (intent) {
    case "detach": {
      const fileKey = String(formData.get("fileKey") ?? "");
      if (!(await announced(services, access, fileSubject(fileKey), () => detachFile(db, campaign, fileKey)))) {
        notFound("file link");
      }
      return redirectWithToast(context, request, here, "File detached. It stays in your Library.");
    }
    case "attach": {
      const submission = parseWithZod(formData, { schema: attachFileSchema });
      if (submission.status !== "success") return data(submission.reply(), { status: 400 });
      // Every file must be the owner's own: anyone else's key is simply not found.
      const keys = [...new Set(submission.value.fileKeys)];
      const files = await ownFiles(db, campaign.username, keys);
      if (files.length !== keys.length) notFound("file");
      await attachFiles(db, campaign, files, {
        description: submission.value.description ?? "",
        tags: submission.value.tags,
        audience: submission.value.audience,
      });
      for (const file of files) await announce(services, access, fileSubject(file.fileKey));
      // Named in the order they were ticked (the list's order), whatever order D1 answers in.
      const names = files
        .sort((a, b) => keys.indexOf(a.fileKey) - keys.indexOf(b.fileKey))
        .map((file) => `“${file.fileName}”`);
      return redirectWithToast(
        context,
        request,
        here,
        names.length === 1 ? `${names[0]} attached.` : `${names.length} files attached: ${names.join(", ")}.`,
      );
    }
    case "share": {
      const parsed = fileAudienceSchema.safeParse(Object.fromEntries(formData));
      const shared =
        parsed.success &&
        (await announced(services, access, fileSubject(parsed.data.fileKey), () =>
          setResourceAudience(db, campaign, parsed.data.fileKey, parsed.data.audience),
        ));
      if (!parsed.success || !shared) notFound("file link");
      return redirectWithToast(
        context,
        request,
        here,
        parsed.data.audience === "campaign"
          ? "Shared: everyone in the campaign can read it, search it and get answers from it."
          : "Kept for the GMs: players and viewers no longer see it.",
      );
    }
    default:
      unknownIntent(intent);
  }
}

export default function CampaignFiles({ loaderData, actionData }: Route.ComponentProps) {
  const { campaignId, attached, attachable, manages, seesSecrets, proposes, limits, now } = loaderData;
  const links = fileLinks(campaignId);
  // Files uploaded here go to the Library and are attached to this campaign.
  const attachUploaded = useCallback(
    async (fileKey: string) => {
      await fetch(`/campaigns/${campaignId}/files`, {
        method: "POST",
        body: new URLSearchParams({ intent: "attach", fileKeys: fileKey }),
      });
    },
    [campaignId],
  );
  const navigation = useNavigation();
  const busy = navigation.state === "submitting" ? navigation.formData?.get("intent") : null;
  const [form, fields] = useForm({
    id: "attach-file",
    lastResult: actionData,
    defaultValue: { audience: "gm" },
    ...schemaValidation(attachFileSchema),
  });
  return (
    <div className="max-w-3xl space-y-6">
      <h1 className="font-serif text-3xl font-semibold">Files</h1>
      {manages ? (
        <>
          <p className="text-stone-700">
            Rulebooks, modules and handouts this campaign runs on. Attaching links a file from your{" "}
            <Link to="/library" className="text-ember-700 underline">
              Library
            </Link>
            ; detaching never deletes it.
          </p>
          <UploadPanel
            maxFileBytes={limits.maxFileBytes}
            noScriptLimit={NO_SCRIPT_UPLOAD_LIMIT}
            noScriptAction="/library"
            onUploaded={attachUploaded}
          />
        </>
      ) : (
        <p className="text-stone-700">
          Rulebooks, modules and handouts this campaign runs on. They come from the owner’s library, so only the owner
          attaches and detaches them.
        </p>
      )}
      {proposes && attached.length > 0 ? (
        <p className="text-sm text-stone-700">
          <Link to={`/campaigns/${campaignId}/proposals`} className="text-ember-700 underline">
            Review proposals
          </Link>{" "}
          drawn from these files.
        </p>
      ) : null}
      {attached.length === 0 ? (
        <p className="rounded-lg border border-stone-300 border-dashed bg-white p-4">No files attached yet.</p>
      ) : (
        <ul className="space-y-2" aria-label="Attached files">
          {attached.map((resource) => (
            <li
              key={resource.id}
              className="flex flex-wrap items-center justify-between gap-2 rounded-lg border border-stone-300 bg-white p-3"
            >
              <div className="min-w-0">
                <Link
                  to={manages ? `/library/${resource.fileKey}` : links.reader(resource.fileKey)}
                  className="break-all font-medium hover:underline"
                >
                  {resource.fileName}
                </Link>
                <FileStatusNote file={resource} />
                {resource.description ? <p className="text-sm text-stone-700">{resource.description}</p> : null}
                {seesSecrets ? <p className="text-sm text-stone-700">{audienceLabels[resource.audience]}</p> : null}
              </div>
              {proposes && resource.status === "ready" ? (
                <Form method="post" action={`/campaigns/${campaignId}/proposals`} className="w-full sm:w-auto">
                  <input type="hidden" name="intent" value="find" />
                  <input type="hidden" name="fileKey" value={resource.fileKey} />
                  <Button type="submit" variant="secondary">
                    Find NPCs, places and items<span className="sr-only"> in {resource.fileName}</span>
                  </Button>
                </Form>
              ) : null}
              {manages ? (
                <div className="flex flex-wrap gap-2">
                  <Form method="post">
                    <input type="hidden" name="intent" value="share" />
                    <input type="hidden" name="fileKey" value={resource.fileKey} />
                    <input type="hidden" name="audience" value={resource.audience === "campaign" ? "gm" : "campaign"} />
                    <Button type="submit" variant="secondary" pending={busy === "share"}>
                      {resource.audience === "campaign" ? "Keep for GMs" : "Share with everyone"}
                      <span className="sr-only"> {resource.fileName}</span>
                    </Button>
                  </Form>
                  <Form method="post">
                    <input type="hidden" name="intent" value="detach" />
                    <input type="hidden" name="fileKey" value={resource.fileKey} />
                    <Button type="submit" variant="secondary" pending={busy === "detach"}>
                      Detach<span className="sr-only"> {resource.fileName}</span>
                    </Button>
                  </Form>
                </div>
              ) : (
                <a href={links.bytes(resource.fileKey)} className="text-ember-700 underline">
                  Open<span className="sr-only"> {resource.fileName}</span>
                </a>
              )}
              {resource.reveals ? (
                <details className="w-full">
                  <summary className="flex min-h-11 cursor-pointer items-center text-sm font-medium text-ember-700">
                    Reveal {resource.fileName} to players…
                  </summary>
                  <RevealPanel data={resource.reveals} what="file" now={now} fileKey={resource.fileKey} />
                </details>
              ) : null}
            </li>
          ))}
        </ul>
      )}
      {manages ? (
        <section aria-labelledby="attach-heading" className="rounded-lg border border-stone-300 bg-white p-4">
          <h2 id="attach-heading" className="mb-3 font-serif text-xl font-semibold">
            Attach files
          </h2>
          {attachable.length === 0 ? (
            <p className="text-stone-700">
              {attached.length === 0
                ? "Your Library has no files yet: upload one above and it is attached here."
                : "Every file in your Library is already attached: upload more above."}
            </p>
          ) : (
            <Form method="post" {...getFormProps(form)} className="space-y-4">
              <input type="hidden" name="intent" value="attach" />
              <FormErrors id={form.errorId} errors={form.errors} />
              <fieldset aria-describedby={fields.fileKeys.errors ? fields.fileKeys.errorId : undefined}>
                <legend className="font-medium">Files</legend>
                <p className="text-sm text-stone-700">Choose one or several; they are attached with the same note.</p>
                <ul className="mt-2 max-h-80 divide-y divide-stone-200 overflow-y-auto rounded-md border border-stone-300">
                  {attachable.map((file) => (
                    <li key={file.fileKey}>
                      <label className="flex min-h-11 cursor-pointer items-center gap-3 px-3 py-2 hover:bg-stone-50">
                        <input
                          type="checkbox"
                          name={fields.fileKeys.name}
                          value={file.fileKey}
                          className="size-5 shrink-0 accent-ember-600"
                        />
                        <span className="min-w-0 break-all">{file.fileName}</span>
                      </label>
                    </li>
                  ))}
                </ul>
                <FieldErrors id={fields.fileKeys.errorId} errors={fields.fileKeys.errors} />
              </fieldset>
              <Field
                label="Note for this campaign"
                id={fields.description.id}
                errors={fields.description.errors}
                hint="Optional, e.g. “Chapter 3 is the abbey”."
              >
                <input {...getInputProps(fields.description, { type: "text" })} className={inputClass} />
              </Field>
              <SelectField
                field={fields.audience}
                label="Who can read it"
                options={audienceLabels}
                hint="Kept for the GMs unless you share it; players’ search and assistant use shared files only."
              />
              <Field label="Tags" id={fields.tags.id} errors={fields.tags.errors} hint="Separate tags with commas.">
                <input {...getInputProps(fields.tags, { type: "text" })} className={inputClass} />
              </Field>
              <Button type="submit" pending={busy === "attach"}>
                {busy === "attach" ? "Attaching…" : "Attach"}
              </Button>
            </Form>
          )}
        </section>
      ) : null}
    </div>
  );
}
