import { data, Link, useActionData } from "react-router";
import { PageHeader } from "~/components/app-shell";
import { FileProgress } from "~/components/file-progress";
import { linkButtonClass } from "~/components/ui/button";
import { UsageBar } from "~/components/ui/usage-bar";
import { UploadPanel } from "~/components/upload-panel";
import { NO_SCRIPT_UPLOAD_LIMIT } from "~/lib/file-kinds";
import { formatBytes, formatRelative, formatShare } from "~/lib/format";
import type { LiveConnection } from "~/lib/live-connection";
import { useLiveJobs } from "~/lib/use-live-jobs";
import { libraryModel, listJobs, uploadFile } from "~/server/files/files.server";
import { UploadRefused } from "~/server/files/library.server";
import { DailyQuotaExceeded, withDailyQuota } from "~/server/http/daily-quotas.server";
import { getServices, limitRequest, requireUser } from "~/server/request.server";
import { redirectWithToast } from "~/server/toast.server";
import type { Route } from "./+types/index";

export const meta: Route.MetaFunction = () => [{ title: "Library — LoreSmith AI" }];

export async function loader({ request, context }: Route.LoaderArgs) {
  const user = requireUser(context, request);
  const services = getServices(context);
  const { fileStores, limits } = services;
  const [{ files, used }, jobs] = await Promise.all([libraryModel(services, user), listJobs(fileStores, user)]);
  return { files, used, jobs, limits, now: Date.now() };
}

export async function action({ request, context }: Route.ActionArgs) {
  const user = requireUser(context, request);
  await limitRequest(context, request, "upload");
  if (Number(request.headers.get("Content-Length") ?? Number.POSITIVE_INFINITY) > NO_SCRIPT_UPLOAD_LIMIT) {
    return data(
      {
        errors: [
          `Without JavaScript, uploads are limited to ${formatBytes(NO_SCRIPT_UPLOAD_LIMIT)} at a time. Turn JavaScript on to upload larger files (they stream, show progress and can resume).`,
        ],
        done: [],
      },
      { status: 413 },
    );
  }
  const form = await request.formData();
  const files = form.getAll("files").filter((entry): entry is File => typeof entry !== "string" && entry.size > 0);
  if (files.length === 0) return data({ errors: ["Choose at least one file to upload."], done: [] }, { status: 400 });
  const services = getServices(context);
  const { fileStores } = services;
  const done: string[] = [];
  const errors: string[] = [];
  for (const file of files) {
    try {
      const result = await withDailyQuota(services, user.id, "uploadBytes", file.size, () =>
        uploadFile(fileStores, user, { fileName: file.name, size: file.size, body: file.stream() }),
      );
      done.push(result.created ? `“${file.name}”` : `“${file.name}” (version ${result.version})`);
    } catch (error) {
      if (!(error instanceof UploadRefused || error instanceof DailyQuotaExceeded)) throw error;
      errors.push(error.message);
    }
  }
  if (errors.length) return data({ errors, done }, { status: done.length ? 207 : 400 });
  return redirectWithToast(context, request, "/library", `Uploaded ${done.join(", ")}.`);
}

export default function Library({ loaderData }: Route.ComponentProps) {
  const { files, used, limits, now } = loaderData;
  const actionData = useActionData<typeof action>();
  const { jobs, connection } = useLiveJobs(loaderData.jobs);
  return (
    <>
      <PageHeader title="Library">The rulebooks, modules, notes and character sheets your campaigns run on.</PageHeader>
      <section aria-labelledby="usage-heading" className="mb-6">
        <h2 id="usage-heading" className="font-medium">
          Storage: {formatBytes(used)} of {formatBytes(limits.maxUserBytes)} used (
          {formatShare(used, limits.maxUserBytes)})
        </h2>
        <UsageBar used={used} quota={limits.maxUserBytes} labelledBy="usage-heading" />
        <p className="mt-1 text-sm">
          <Link to="/settings#storage" className="text-ember-700 underline">
            What takes the space, and old versions
          </Link>
        </p>
      </section>
      {actionData?.errors?.length ? (
        <div role="alert" className="mb-4 rounded-md border border-red-300 bg-red-50 p-3 text-red-800">
          {actionData.done.length ? <p>Uploaded {actionData.done.join(", ")}.</p> : null}
          {actionData.errors.map((error) => (
            <p key={error}>{error}</p>
          ))}
        </div>
      ) : null}
      <UploadPanel maxFileBytes={limits.maxFileBytes} noScriptLimit={NO_SCRIPT_UPLOAD_LIMIT} />
      <LiveStatus connection={connection} />
      {files.length === 0 ? (
        <p className="rounded-lg border border-stone-300 border-dashed bg-white p-6 text-center">
          Your library is empty. Upload a rulebook, a module or your session notes to start.
        </p>
      ) : (
        <ul className="space-y-3" aria-label="Files">
          {files.map((file) => (
            <li
              key={file.fileKey}
              className="flex flex-col gap-2 rounded-lg border border-stone-300 bg-white p-4 sm:flex-row sm:items-center sm:justify-between"
            >
              <div className="min-w-0">
                <Link to={`/library/${file.fileKey}`} className="break-all font-semibold text-lg hover:underline">
                  {file.fileName}
                </Link>
                <p className="text-sm text-stone-700">
                  {formatBytes(file.fileSize)} · version {file.currentVersion}
                  {file.campaignCount
                    ? ` · used by ${file.campaignCount} campaign${file.campaignCount === 1 ? "" : "s"}`
                    : ""}
                </p>
                <p className="text-stone-600 text-xs">Updated {formatRelative(file.updatedAt, now)}</p>
                <FileProgress file={file} job={jobs.get(file.fileKey)} returnTo="/library" />
              </div>
              <div className="flex gap-2">
                <a href={`/files/${file.fileKey}`} target="_blank" rel="noopener" className={linkButtonClass.secondary}>
                  View<span className="sr-only"> {file.fileName}</span>
                </a>
                <a href={`/files/${file.fileKey}?download=1`} className={linkButtonClass.secondary}>
                  Download<span className="sr-only"> {file.fileName}</span>
                </a>
              </div>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}

const liveText: Record<LiveConnection, string> = {
  // Said only once it is true: a "connecting" line would flash on every page load.
  connecting: "",
  live: "Progress updates live.",
  polling: "Live updates are unavailable here; progress refreshes every few seconds.",
};

function LiveStatus({ connection }: { connection: LiveConnection }) {
  return (
    <p className="mb-2 min-h-4 text-stone-600 text-xs" data-testid="live-status" data-connection={connection}>
      <span className="js:hidden">Reload the page to see how processing is going.</span>
      <span className="hidden js:inline">{liveText[connection]}</span>
    </p>
  );
}
