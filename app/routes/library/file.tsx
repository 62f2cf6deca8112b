import { getFormProps, getInputProps, getTextareaProps, useForm } from "@conform-to/react";
import { parseWithZod } from "@conform-to/zod/v4";
import { data, Form, Link, useNavigation } from "react-router";
import { FileProgress } from "~/components/file-progress";
import { Button, linkButtonClass } from "~/components/ui/button";
import { Field, FormErrors, inputClass } from "~/components/ui/field";
import { schemaValidation } from "~/components/ui/form-kit";
import { fileDetailsSchema } from "~/lib/campaign-schemas";
import { kindLabel } from "~/lib/file-kinds";
import { formatRelative, formatStoredBytes } from "~/lib/format";
import { useLiveJobs } from "~/lib/use-live-jobs";
import { getCampaign } from "~/server/campaigns/campaigns.server";
import { VersionConflictError } from "~/server/campaigns/errors.server";
import { attachFile, detachFile, listCampaignsWithoutFile } from "~/server/campaigns/resources.server";
import {
  campaignsUsingFile,
  cancelProcessing,
  deleteFile,
  getFileVersions,
  listJobs,
  reprocessFile,
  updateFileDetails,
} from "~/server/files/files.server";
import { getFileFromContext, requireFileMiddleware } from "~/server/files/guards.server";
import type { FileRow } from "~/server/files/library.server";
import { notFound, unknownIntent } from "~/server/http/responses.server";
import { getServices, requireUser } from "~/server/request.server";
import { redirectWithToast } from "~/server/toast.server";
import type { Route } from "./+types/file";

export const meta: Route.MetaFunction = ({ loaderData }) => [
  { title: `${loaderData?.file.fileName ?? "File"} — LoreSmith AI` },
];

/** 404 unless the signed-in user owns the file. */
export const middleware: Route.MiddlewareFunction[] = [requireFileMiddleware];

export async function loader({ request, context }: Route.LoaderArgs) {
  const user = requireUser(context, request);
  const file = getFileFromContext(context);
  const { db, fileStores, limits } = getServices(context);
  const [versions, usedBy, otherCampaigns, jobs] = await Promise.all([
    getFileVersions(db, file),
    campaignsUsingFile(db, file.username, file.fileKey),
    listCampaignsWithoutFile(db, file),
    listJobs(fileStores, user),
  ]);
  return {
    file: {
      fileKey: file.fileKey,
      fileName: file.fileName,
      description: file.description,
      tags: file.tags,
      fileSize: file.fileSize,
      contentType: file.contentType,
      status: file.status,
      error: file.error,
      pageCount: file.pageCount,
      version: file.version,
      currentVersion: file.currentVersion,
    },
    jobs: jobs.filter((job) => job.fileKey === file.fileKey),
    versions: versions.map((v) => ({
      number: v.versionNumber,
      size: v.fileSize,
      storedSize: v.storedSize,
      createdAt: v.createdAt,
    })),
    keepVersions: limits.keepFileVersions,
    usedBy,
    otherCampaigns,
    now: Date.now(),
  };
}

export async function action({ request, context }: Route.ActionArgs) {
  const user = requireUser(context, request);
  const file = getFileFromContext(context);
  const { db, fileStores } = getServices(context);
  const formData = await request.formData();
  const intent = formData.get("intent");
  const here = `/library/${file.fileKey}`;
  // Back to where a processing button was (the Library or this page); nowhere else.
  const returnTo = formData.get("returnTo") === "/library" ? "/library" : here;
  switch (intent) {
    case "attach":
    case "detach": {
      // The campaign must be the user's own: anyone else's id is simply not found.
      const campaign = await getCampaign(db, file.username, String(formData.get("campaignId") ?? ""));
      if (!campaign) notFound("campaign");
      if (intent === "detach") {
        await detachFile(db, campaign, file.fileKey);
        return redirectWithToast(context, request, here, `Detached from “${campaign.name}”.`);
      }
      await attachFile(db, campaign, file, { description: "", tags: [] });
      return redirectWithToast(context, request, here, `Attached to “${campaign.name}”.`);
    }
    case "cancel":
      await cancelProcessing(fileStores, user, file.fileKey);
      return redirectWithToast(context, request, returnTo, `Stopped processing “${file.fileName}”.`);
    case "retry":
      await reprocessFile(fileStores, user, file.fileKey);
      return redirectWithToast(context, request, returnTo, `“${file.fileName}” is queued for processing.`);
    case "delete":
      await deleteFile(fileStores, user, file.fileKey);
      return redirectWithToast(context, request, "/library", `“${file.fileName}” deleted.`);
    case "save":
      return saveDetails(request, context, file, formData);
    default:
      unknownIntent(intent);
  }
}

async function saveDetails(request: Request, context: Route.ActionArgs["context"], file: FileRow, formData: FormData) {
  const submission = parseWithZod(formData, { schema: fileDetailsSchema });
  if (submission.status !== "success") {
    return data({ result: submission.reply(), conflict: null }, { status: 400 });
  }
  const { version, description, tags } = submission.value;
  try {
    await updateFileDetails(getServices(context).db, file.username, file.fileKey, version, {
      description: description ?? "",
      tags,
    });
    return redirectWithToast(context, request, `/library/${file.fileKey}`, "Details saved.");
  } catch (error) {
    if (!(error instanceof VersionConflictError)) throw error;
    const current = error.current as FileRow;
    return data(
      {
        result: submission.reply({
          formErrors: [
            `These details were changed elsewhere to: “${current.description || "(no description)"}”, tags: ${current.tags.join(", ") || "none"}. Save again to keep yours.`,
          ],
        }),
        conflict: { version: current.version },
      },
      { status: 409 },
    );
  }
}

export default function FilePage({ loaderData, actionData }: Route.ComponentProps) {
  const { file, versions, keepVersions, usedBy, otherCampaigns, now } = loaderData;
  const { jobs } = useLiveJobs(loaderData.jobs);
  const current = versions.find((version) => version.number === file.currentVersion);
  const navigation = useNavigation();
  const busy = navigation.state === "submitting" ? navigation.formData?.get("intent") : null;
  const [form, fields] = useForm({
    id: "file-details",
    lastResult: actionData?.result,
    defaultValue: { description: file.description, tags: file.tags.join(", ") },
    ...schemaValidation(fileDetailsSchema),
  });
  return (
    <div className="max-w-3xl space-y-6">
      <p>
        <Link to="/library" className="text-ember-700 underline">
          ← Library
        </Link>
      </p>
      <header className="space-y-1">
        <h1 className="break-all font-serif text-3xl font-semibold">{file.fileName}</h1>
        <p className="text-stone-700">
          {formatStoredBytes(file.fileSize, current?.storedSize ?? null)} · {kindLabel(file.contentType)} · version{" "}
          {file.currentVersion}
        </p>
        <div className="flex flex-wrap gap-2 pt-2">
          <a href={`/files/${file.fileKey}`} target="_blank" rel="noopener" className={linkButtonClass.primary}>
            View
          </a>
          <a href={`/files/${file.fileKey}?download=1`} className={linkButtonClass.secondary}>
            Download
          </a>
        </div>
      </header>

      <section aria-labelledby="processing-heading" className="rounded-lg border border-stone-300 bg-white p-4">
        <h2 id="processing-heading" className="mb-2 font-serif text-xl font-semibold">
          Search index
        </h2>
        <FileProgress file={file} job={jobs.get(file.fileKey)} returnTo={`/library/${file.fileKey}`} />
      </section>

      <section aria-labelledby="details-heading" className="rounded-lg border border-stone-300 bg-white p-4">
        <h2 id="details-heading" className="mb-3 font-serif text-xl font-semibold">
          Details
        </h2>
        <Form method="post" {...getFormProps(form)} className="space-y-4">
          <input type="hidden" name="intent" value="save" />
          <input type="hidden" name="version" value={actionData?.conflict?.version ?? file.version} />
          <FormErrors id={form.errorId} errors={form.errors} />
          <Field label="Description" id={fields.description.id} errors={fields.description.errors}>
            <textarea {...getTextareaProps(fields.description)} rows={3} className={inputClass} />
          </Field>
          <Field
            label="Tags"
            id={fields.tags.id}
            errors={fields.tags.errors}
            hint="Separate tags with commas, e.g. core rules, monsters."
          >
            <input {...getInputProps(fields.tags, { type: "text" })} className={inputClass} />
          </Field>
          <Button type="submit" pending={busy === "save"}>
            {busy === "save" ? "Saving…" : "Save details"}
          </Button>
        </Form>
      </section>

      <section aria-labelledby="campaigns-heading" className="rounded-lg border border-stone-300 bg-white p-4">
        <h2 id="campaigns-heading" className="mb-2 font-serif text-xl font-semibold">
          Campaigns
        </h2>
        {usedBy.length === 0 ? (
          <p className="text-stone-700">Not attached to any campaign.</p>
        ) : (
          <ul className="space-y-1" aria-label="Campaigns using this file">
            {usedBy.map((campaign) => (
              <li key={campaign.id} className="flex flex-wrap items-center justify-between gap-2">
                <Link to={`/campaigns/${campaign.id}`} className="text-ember-700 underline">
                  {campaign.name}
                </Link>
                <Form method="post">
                  <input type="hidden" name="intent" value="detach" />
                  <input type="hidden" name="campaignId" value={campaign.id} />
                  <Button type="submit" variant="secondary" pending={busy === "detach"}>
                    Detach<span className="sr-only"> from {campaign.name}</span>
                  </Button>
                </Form>
              </li>
            ))}
          </ul>
        )}
        {otherCampaigns.length ? (
          <Form method="post" className="mt-3 flex flex-col gap-2 sm:flex-row sm:items-end">
            <input type="hidden" name="intent" value="attach" />
            <div className="flex-1">
              <label htmlFor="attach-campaign" className="block font-medium text-sm">
                Attach to a campaign
              </label>
              <select id="attach-campaign" name="campaignId" required className={inputClass}>
                {otherCampaigns.map((campaign) => (
                  <option key={campaign.id} value={campaign.id}>
                    {campaign.name}
                  </option>
                ))}
              </select>
            </div>
            <Button type="submit" pending={busy === "attach"}>
              Attach
            </Button>
          </Form>
        ) : null}
      </section>

      <section aria-labelledby="versions-heading" className="rounded-lg border border-stone-300 bg-white p-4">
        <h2 id="versions-heading" className="mb-2 font-serif text-xl font-semibold">
          Versions
        </h2>
        <p className="mb-2 text-sm text-stone-700">
          Upload a file with the same name to add a new version. The newest {keepVersions} versions are kept; older ones
          are deleted, so download any you want to keep.
        </p>
        <ol className="space-y-1">
          {versions.map((version) => (
            <li key={version.number} className="flex flex-wrap items-center justify-between gap-2">
              <span>
                Version {version.number}
                {version.number === file.currentVersion ? " (current)" : ""} ·{" "}
                {formatStoredBytes(version.size, version.storedSize)} · {formatRelative(version.createdAt, now)}
              </span>
              <a
                href={`/files/${file.fileKey}?v=${version.number}&download=1`}
                className="inline-flex min-h-11 items-center text-ember-700 underline"
              >
                Download version {version.number}
              </a>
            </li>
          ))}
        </ol>
      </section>

      <details className="rounded-lg border border-red-300 bg-white p-4">
        <summary className="flex min-h-11 cursor-pointer items-center font-medium text-red-800">
          Delete this file…
        </summary>
        <div className="mt-3 space-y-3">
          {usedBy.length ? (
            <p className="text-stone-800">
              This file is used by{" "}
              {usedBy.map((campaign, i) => (
                <span key={campaign.id}>
                  {i > 0 ? ", " : ""}
                  <Link to={`/campaigns/${campaign.id}`} className="text-ember-700 underline">
                    {campaign.name}
                  </Link>
                </span>
              ))}
              . Deleting it removes it from {usedBy.length === 1 ? "that campaign" : "those campaigns"} too.
            </p>
          ) : null}
          <p className="text-stone-700">
            Every version, its search index and its links are removed. This cannot be undone.
          </p>
          <Form method="post">
            <input type="hidden" name="intent" value="delete" />
            <Button type="submit" variant="danger" pending={busy === "delete"}>
              {busy === "delete" ? "Deleting…" : "Yes, delete this file"}
            </Button>
          </Form>
        </div>
      </details>
    </div>
  );
}
