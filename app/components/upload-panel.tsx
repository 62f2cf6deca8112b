import { useCallback, useRef, useState } from "react";
import { Form, useRevalidator } from "react-router";
import { acceptAttribute, acceptedKindsText, MULTIPART_THRESHOLD } from "~/lib/file-kinds";
import { formatBytes } from "~/lib/format";

interface UploadItem {
  id: string;
  file: File;
  sent: number;
  state: "uploading" | "done" | "failed" | "paused" | "cancelled";
  message?: string;
  cancel?: () => void;
}

interface UploadState {
  uploadId: string;
  partSize: number;
  partCount: number;
  partsDone: number[];
}

class UploadError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

/** One request with upload progress (only XHR reports it) and a way to abort it. */
function send(
  method: string,
  url: string,
  body: Blob | null,
  onProgress: (loaded: number) => void,
  setAbort: (abort: () => void) => void,
): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(method, url);
    xhr.responseType = "json";
    xhr.upload.onprogress = (event) => onProgress(event.loaded);
    xhr.onload = () => {
      const response = (xhr.response ?? {}) as Record<string, unknown>;
      if (xhr.status >= 200 && xhr.status < 300) resolve(response);
      else
        reject(
          new UploadError(
            typeof response.error === "string" ? response.error : `The server answered ${xhr.status}.`,
            xhr.status >= 500,
          ),
        );
    };
    xhr.onerror = () => reject(new UploadError("The connection dropped.", true));
    xhr.onabort = () => reject(new UploadError("Cancelled.", false));
    setAbort(() => xhr.abort());
    xhr.send(body);
  });
}

const resumeKey = (file: File) => `loresmith-upload:${file.name}:${file.size}:${file.lastModified}`;

/**
 * Drag-and-drop or pick several files; each uploads with a progress bar, bytes sent and
 * Cancel. Files over 50 MB go in 10 MB parts (R2 multipart): if the connection drops, the
 * upload pauses and Resume continues from the last finished part — even after a reload,
 * when the same file is chosen again.
 */
export function UploadPanel({
  maxFileBytes,
  noScriptLimit,
  onUploaded,
  noScriptAction,
}: {
  maxFileBytes: number;
  noScriptLimit: number;
  /** Runs after each stored file, before the page refreshes (e.g. attach it to a campaign). */
  onUploaded?: (fileKey: string) => Promise<void>;
  /** Where the plain form posts without JavaScript (defaults to the current page). */
  noScriptAction?: string;
}) {
  const [items, setItems] = useState<UploadItem[]>([]);
  const [dragging, setDragging] = useState(false);
  /** What finished: said once each file is in the list, in place of its upload row. */
  const [finished, setFinished] = useState<string[]>([]);
  const inputRef = useRef<HTMLInputElement>(null);
  const revalidator = useRevalidator();

  const update = useCallback((id: string, patch: Partial<UploadItem>) => {
    setItems((current) => current.map((item) => (item.id === id ? { ...item, ...patch } : item)));
  }, []);

  const run = useCallback(
    async (id: string, file: File) => {
      let cancelled = false;
      let abortCurrent = () => {};
      const setAbort = (abort: () => void) => {
        abortCurrent = abort;
      };
      let uploadId: string | undefined;
      update(id, {
        state: "uploading",
        message: undefined,
        cancel: () => {
          cancelled = true;
          abortCurrent();
          if (uploadId) {
            void fetch(`/api/uploads/${uploadId}`, { method: "DELETE" });
            localStorage.removeItem(resumeKey(file));
          }
        },
      });
      try {
        let result: Record<string, unknown>;
        if (file.size <= MULTIPART_THRESHOLD) {
          result = await send(
            "PUT",
            `/api/files?name=${encodeURIComponent(file.name)}`,
            file,
            (sent) => update(id, { sent }),
            setAbort,
          );
        } else {
          const saved = localStorage.getItem(resumeKey(file));
          let state: UploadState | undefined;
          if (saved) {
            state = (await fetch(`/api/uploads/${saved}`).then((r) => (r.ok ? r.json() : undefined))) as
              | UploadState
              | undefined;
          }
          if (!state) {
            const response = await fetch("/api/uploads", {
              method: "POST",
              headers: { "Content-Type": "application/json" },
              body: JSON.stringify({ fileName: file.name, size: file.size }),
            });
            const body = (await response.json()) as UploadState & { error?: string };
            if (!response.ok) throw new UploadError(body.error ?? "The upload could not start.", false);
            state = body;
          }
          uploadId = state.uploadId;
          localStorage.setItem(resumeKey(file), state.uploadId);
          const done = new Set(state.partsDone);
          const partBytes = (n: number) => Math.min(state.partSize, file.size - (n - 1) * state.partSize);
          let finished = [...done].reduce((sum, n) => sum + partBytes(n), 0);
          if (done.size)
            update(id, {
              sent: finished,
              message: `Resuming: ${done.size} of ${state.partCount} parts were already uploaded.`,
            });
          for (let n = 1; n <= state.partCount; n++) {
            if (done.has(n)) continue;
            if (cancelled) throw new UploadError("Cancelled.", false);
            const blob = file.slice((n - 1) * state.partSize, n * state.partSize);
            const base = finished;
            await send(
              "PUT",
              `/api/uploads/${state.uploadId}/parts/${n}`,
              blob,
              (loaded) => update(id, { sent: base + loaded }),
              setAbort,
            );
            finished += blob.size;
          }
          result = await send("POST", `/api/uploads/${state.uploadId}`, null, () => {}, setAbort);
          localStorage.removeItem(resumeKey(file));
        }
        if (onUploaded && typeof result.fileKey === "string") await onUploaded(result.fileKey);
        update(id, { state: "done", sent: file.size, message: "Adding it to the list…", cancel: undefined });
        // Once the list below shows the file, its row here goes: one row per file, never two.
        await revalidator.revalidate();
        setItems((current) => current.filter((item) => item.id !== id));
        setFinished((current) => [...current, String(result.message ?? `“${file.name}” uploaded.`)]);
      } catch (error) {
        const message = error instanceof Error ? error.message : "The upload failed.";
        if (cancelled) update(id, { state: "cancelled", message: "Cancelled. Nothing was kept.", cancel: undefined });
        else if (error instanceof UploadError && error.retryable && file.size > MULTIPART_THRESHOLD)
          update(id, { state: "paused", message: `${message} Resume to continue from the last finished part.` });
        else
          update(id, {
            state: "failed",
            message: `${message}${error instanceof UploadError && error.retryable ? " Try again." : ""}`,
            cancel: undefined,
          });
      }
    },
    [onUploaded, revalidator, update],
  );

  const start = useCallback(
    (files: FileList | File[]) => {
      for (const file of Array.from(files)) {
        const id = crypto.randomUUID();
        const tooBig = file.size > maxFileBytes;
        setItems((current) => [
          ...current,
          {
            id,
            file,
            sent: 0,
            state: tooBig ? "failed" : "uploading",
            message: tooBig
              ? `Too big: ${formatBytes(file.size)}; the limit is ${formatBytes(maxFileBytes)} a file.`
              : undefined,
          },
        ]);
        if (!tooBig) void run(id, file);
      }
    },
    [maxFileBytes, run],
  );

  return (
    <section aria-labelledby="upload-heading" className="mb-6 rounded-lg border border-stone-300 bg-white p-4">
      <h2 id="upload-heading" className="font-serif text-xl font-semibold">
        Upload files
      </h2>
      <label
        htmlFor="upload-input"
        onDragOver={(event) => {
          event.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={(event) => {
          event.preventDefault();
          setDragging(false);
          start(event.dataTransfer.files);
        }}
        className={`mt-3 flex min-h-28 cursor-pointer flex-col items-center justify-center rounded-lg border-2 border-dashed p-4 text-center ${
          dragging ? "border-ember-600 bg-ember-50" : "border-stone-400"
        }`}
      >
        <span className="font-medium">Drop files here, or tap to choose</span>
        <span className="text-sm text-stone-700">
          {acceptedKindsText} — up to {formatBytes(maxFileBytes)} each.
        </span>
      </label>
      <Form
        method="post"
        action={noScriptAction}
        encType="multipart/form-data"
        reloadDocument
        className="mt-3 space-y-2"
      >
        <input
          ref={inputRef}
          id="upload-input"
          name="files"
          type="file"
          multiple
          accept={acceptAttribute}
          // `js:` (app.css) applies from the first paint when scripts run, so the plain picker never flashes.
          className="block w-full text-sm js:sr-only"
          onChange={(event) => {
            if (event.target.files?.length) start(event.target.files);
            event.target.value = "";
          }}
        />
        <p className="text-sm text-stone-700 js:hidden">
          Without JavaScript, files up to {formatBytes(noScriptLimit)} each can be uploaded here.
        </p>
        <button
          type="submit"
          className="min-h-11 rounded-md bg-ember-600 px-4 font-medium text-white hover:bg-ember-700 js:hidden"
        >
          Upload selected files
        </button>
      </Form>
      <div role="status" aria-label="Finished uploads" className="mt-2 space-y-1 text-green-800 text-sm empty:hidden">
        {finished.map((message, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: messages are only ever appended
          <p key={i}>{message}</p>
        ))}
      </div>
      {items.length > 0 ? (
        <ul className="mt-4 space-y-3" aria-label="Uploads" aria-live="polite">
          {items.map((item) => (
            <li key={item.id} className="rounded-md border border-stone-200 p-3" data-state={item.state}>
              <div className="flex flex-wrap items-center justify-between gap-2">
                <span className="break-all font-medium">{item.file.name}</span>
                <span className="flex gap-2">
                  {item.state === "paused" ? (
                    <button
                      type="button"
                      onClick={() => void run(item.id, item.file)}
                      className="min-h-11 rounded-md bg-ember-600 px-3 text-sm text-white hover:bg-ember-700"
                    >
                      Resume<span className="sr-only"> upload of {item.file.name}</span>
                    </button>
                  ) : null}
                  {(item.state === "uploading" || item.state === "paused") && item.cancel ? (
                    <button
                      type="button"
                      onClick={() => item.cancel?.()}
                      className="min-h-11 rounded-md border border-stone-400 px-3 text-sm hover:bg-stone-100"
                    >
                      Cancel<span className="sr-only"> upload of {item.file.name}</span>
                    </button>
                  ) : null}
                </span>
              </div>
              <progress
                className="mt-2 h-2 w-full accent-ember-600"
                max={item.file.size}
                value={item.sent}
                aria-label={`Upload of ${item.file.name}`}
              />
              <p className={`mt-1 text-sm ${item.state === "failed" ? "text-red-700" : "text-stone-700"}`}>
                {item.state === "uploading"
                  ? `${formatBytes(item.sent)} of ${formatBytes(item.file.size)} sent${item.message ? ` — ${item.message}` : ""}`
                  : item.message}
              </p>
            </li>
          ))}
        </ul>
      ) : null}
    </section>
  );
}
