import { useFetcher } from "react-router";
import { describeProgress, type FileStatusRow } from "~/lib/file-progress";
import type { JobProgress } from "~/lib/jobs";
import { Button } from "./ui/button";

const toneClass = {
  working: "text-sky-900",
  done: "text-green-800",
  problem: "text-red-800",
  idle: "text-stone-700",
} as const;

/**
 * A file's processing state: stage, numbers, a progress bar while working, and the
 * Retry / Cancel buttons. The buttons are plain forms (they work without JavaScript)
 * posting to the file's page, which sends the person back to `returnTo`.
 */
export function FileProgress({
  file,
  job,
  returnTo,
}: {
  file: FileStatusRow;
  job: JobProgress | undefined;
  returnTo: string;
}) {
  const view = describeProgress(file, job);
  const fetcher = useFetcher();
  const pending = fetcher.state !== "idle" ? fetcher.formData?.get("intent") : null;
  return (
    <div className="space-y-1" data-testid="file-progress" data-status={job?.status ?? file.status}>
      <p className={`text-sm ${toneClass[view.tone]}`}>
        {/* Only the stage is announced; page counts would flood a screen reader. */}
        <span role="status" className="font-semibold">
          {view.label}
        </span>
        {view.detail ? <span> — {view.detail}</span> : null}
      </p>
      {view.tone === "working" ? (
        <progress
          className="h-2 w-full max-w-md accent-ember-600"
          aria-label={`${view.label}: ${file.fileName}`}
          {...(view.fraction === null ? {} : { max: 1, value: view.fraction })}
        />
      ) : null}
      {view.canRetry || view.canCancel ? (
        <fetcher.Form method="post" action={`/library/${file.fileKey}`} className="flex gap-2 pt-1">
          <input type="hidden" name="returnTo" value={returnTo} />
          {view.canRetry ? (
            <Button type="submit" name="intent" value="retry" variant="secondary" pending={pending === "retry"}>
              {view.retryLabel}
              <span className="sr-only"> {file.fileName}</span>
            </Button>
          ) : null}
          {view.canCancel ? (
            <Button type="submit" name="intent" value="cancel" variant="secondary" pending={pending === "cancel"}>
              Cancel processing<span className="sr-only"> of {file.fileName}</span>
            </Button>
          ) : null}
        </fetcher.Form>
      ) : null}
    </div>
  );
}

/** A file's processing state in one short line, where a file is listed without its controls; nothing once it is searchable. */
export function FileStatusNote({ file }: { file: { fileKey: string; fileName: string; status: string } }) {
  if (file.status === "ready") return null;
  const view = describeProgress({ ...file, error: null, pageCount: null, currentVersion: 0 }, undefined);
  return (
    <span className={`block text-sm ${toneClass[view.tone]}`} data-testid="file-status">
      {view.label}
    </span>
  );
}
