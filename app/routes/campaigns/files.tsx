import { getFormProps, getInputProps, getSelectProps, useForm } from "@conform-to/react";
import { parseWithZod } from "@conform-to/zod/v4";
import { useCallback } from "react";
import { data, Form, Link, useNavigation } from "react-router";
import { Button } from "~/components/ui/button";
import { Field, FormErrors, inputClass } from "~/components/ui/field";
import { schemaValidation } from "~/components/ui/form-kit";
import { UploadPanel } from "~/components/upload-panel";
import { attachFileSchema } from "~/lib/campaign-schemas";
import { NO_SCRIPT_UPLOAD_LIMIT } from "~/lib/file-kinds";
import { fileLinks } from "~/lib/file-links";
import { mayAlso, requireCampaign } from "~/server/campaigns/guards.server";
import {
  attachFile,
  detachFile,
  listAttachableFiles,
  listCampaignResources,
} from "~/server/campaigns/resources.server";
import { getFile } from "~/server/files/files.server";
import { notFound, unknownIntent } from "~/server/http/responses.server";
import { getServices } from "~/server/request.server";
import { redirectWithToast } from "~/server/toast.server";
import type { Route } from "./+types/files";

export const meta: Route.MetaFunction = () => [{ title: "Campaign files — LoreSmith AI" }];

export async function loader({ context }: Route.LoaderArgs) {
  const { campaign } = requireCampaign(context, "readFiles");
  const { db, limits } = getServices(context);
  // Attaching picks from the owner's library, which only the owner sees.
  const manages = mayAlso(context, "manageFiles");
  const [attached, attachable] = await Promise.all([
    listCampaignResources(db, campaign),
    manages ? listAttachableFiles(db, campaign) : [],
  ]);
  return { campaignId: campaign.id, attached, attachable, manages, limits };
}

export async function action({ request, context }: Route.ActionArgs) {
  const { campaign } = requireCampaign(context, "manageFiles");
  const { db } = getServices(context);
  const formData = await request.formData();
  const here = `/campaigns/${campaign.id}/files`;
  const intent = formData.get("intent");
  switch (intent) {
    case "detach": {
      const fileKey = String(formData.get("fileKey") ?? "");
      if (!(await detachFile(db, campaign, fileKey))) notFound("file link");
      return redirectWithToast(context, request, here, "File detached. It stays in your Library.");
    }
    case "attach": {
      const submission = parseWithZod(formData, { schema: attachFileSchema });
      if (submission.status !== "success") return data(submission.reply(), { status: 400 });
      // The file must be the user's own: anyone else's key is simply not found.
      const file = await getFile(db, campaign.username, submission.value.fileKey);
      if (!file) notFound("file");
      await attachFile(db, campaign, file, {
        description: submission.value.description ?? "",
        tags: submission.value.tags,
      });
      return redirectWithToast(context, request, here, `“${file.fileName}” attached.`);
    }
    default:
      unknownIntent(intent);
  }
}

export default function CampaignFiles({ loaderData, actionData }: Route.ComponentProps) {
  const { campaignId, attached, attachable, manages, limits } = loaderData;
  const links = fileLinks(campaignId);
  // Files uploaded here go to the Library and are attached to this campaign.
  const attachUploaded = useCallback(
    async (fileKey: string) => {
      await fetch(`/campaigns/${campaignId}/files`, {
        method: "POST",
        body: new URLSearchParams({ intent: "attach", fileKey }),
      });
    },
    [campaignId],
  );
  const navigation = useNavigation();
  const busy = navigation.state === "submitting" ? navigation.formData?.get("intent") : null;
  const [form, fields] = useForm({
    id: "attach-file",
    lastResult: actionData,
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
                {resource.description ? <p className="text-sm text-stone-700">{resource.description}</p> : null}
              </div>
              {manages ? (
                <Form method="post">
                  <input type="hidden" name="intent" value="detach" />
                  <input type="hidden" name="fileKey" value={resource.fileKey} />
                  <Button type="submit" variant="secondary" pending={busy === "detach"}>
                    Detach<span className="sr-only"> {resource.fileName}</span>
                  </Button>
                </Form>
              ) : (
                <a href={links.bytes(resource.fileKey)} className="text-ember-700 underline">
                  Open<span className="sr-only"> {resource.fileName}</span>
                </a>
              )}
            </li>
          ))}
        </ul>
      )}
      {manages ? (
        <section aria-labelledby="attach-heading" className="rounded-lg border border-stone-300 bg-white p-4">
          <h2 id="attach-heading" className="mb-3 font-serif text-xl font-semibold">
            Attach a file
          </h2>
          {attachable.length === 0 ? (
            <p className="text-stone-700">
              Every file in your Library is already attached.{" "}
              <Link to="/library" className="text-ember-700 underline">
                Upload more files
              </Link>
              .
            </p>
          ) : (
            <Form method="post" {...getFormProps(form)} className="space-y-4">
              <input type="hidden" name="intent" value="attach" />
              <FormErrors id={form.errorId} errors={form.errors} />
              <Field label="File" id={fields.fileKey.id} errors={fields.fileKey.errors}>
                <select {...getSelectProps(fields.fileKey)} className={inputClass}>
                  <option value="">Choose a file…</option>
                  {attachable.map((file) => (
                    <option key={file.fileKey} value={file.fileKey}>
                      {file.fileName}
                    </option>
                  ))}
                </select>
              </Field>
              <Field
                label="Note for this campaign"
                id={fields.description.id}
                errors={fields.description.errors}
                hint="Optional, e.g. “Chapter 3 is the abbey”."
              >
                <input {...getInputProps(fields.description, { type: "text" })} className={inputClass} />
              </Field>
              <Field label="Tags" id={fields.tags.id} errors={fields.tags.errors} hint="Separate tags with commas.">
                <input {...getInputProps(fields.tags, { type: "text" })} className={inputClass} />
              </Field>
              <Button type="submit" pending={busy === "attach"}>
                {busy === "attach" ? "Attaching…" : "Attach file"}
              </Button>
            </Form>
          )}
        </section>
      ) : null}
    </div>
  );
}
