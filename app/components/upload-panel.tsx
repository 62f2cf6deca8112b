import { useCallback, useRef, useState } from "react";
import { useRevalidator } from "react-router";
import { acceptAttribute, formatBytes } from "~/lib/file-types";

interface UploadItem {
  id: string;
  name: string;
  size: number;
  sent: number;
  state: "uploading" | "done" | "failed" | "cancelled";
  message?: string;
  xhr?: XMLHttpRequest;
}

/**
 * Drag-and-drop or pick several files; each uploads on its own with a progress bar,
 * bytes sent and a Cancel button. XHR (not fetch) because only XHR reports upload
 * progress. The body is the raw file, which the server streams into R2.
 */
export function UploadPanel({ maxFileBytes }: { maxFileBytes: number }) {
  const [items, setItems] = useState<UploadItem[]>([]);
  const [dragging, setDragging] = useState(false);
  const inputRef = useRef<HTMLInputElement>(null);
  const revalidator = useRevalidator();

  const update = useCallback((id: string, patch: Partial<UploadItem>) => {
    setItems((current) => current.map((item) => (item.id === id ? { ...item, ...patch } : item)));
  }, []);

  const start = useCallback(
    (files: FileList | File[]) => {
      for (const file of Array.from(files)) {
        const id = crypto.randomUUID();
        if (file.size > maxFileBytes) {
          setItems((current) => [
            ...current,
            {
              id,
              name: file.name,
              size: file.size,
              sent: 0,
              state: "failed",
              message: `Too big: ${formatBytes(file.size)}; the limit is ${formatBytes(maxFileBytes)} a file.`,
            },
          ]);
          continue;
        }
        const xhr = new XMLHttpRequest();
        setItems((current) => [...current, { id, name: file.name, size: file.size, sent: 0, state: "uploading", xhr }]);
        xhr.open("PUT", `/api/files?name=${encodeURIComponent(file.name)}`);
        xhr.responseType = "json";
        xhr.upload.onprogress = (event) => update(id, { sent: event.loaded });
        xhr.onload = () => {
          const body = (xhr.response ?? {}) as { message?: string; error?: string };
          if (xhr.status >= 200 && xhr.status < 300) {
            update(id, { state: "done", sent: file.size, message: body.message ?? "Uploaded." });
            revalidator.revalidate();
          } else {
            update(id, { state: "failed", message: body.error ?? `The upload failed (${xhr.status}). Try again.` });
          }
        };
        xhr.onerror = () =>
          update(id, { state: "failed", message: "The connection dropped. Check your network and try again." });
        xhr.onabort = () => update(id, { state: "cancelled", message: "Cancelled. Nothing was kept." });
        xhr.send(file);
      }
    },
    [maxFileBytes, revalidator, update],
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
          PDF, Markdown, text, JSON character sheets, Word (.docx), PNG, JPEG, WebP — up to {formatBytes(maxFileBytes)}{" "}
          each.
        </span>
      </label>
      <input
        ref={inputRef}
        id="upload-input"
        type="file"
        multiple
        accept={acceptAttribute}
        className="sr-only"
        onChange={(event) => {
          if (event.target.files?.length) start(event.target.files);
          event.target.value = "";
        }}
      />
      {items.length > 0 ? (
        <ul className="mt-4 space-y-3" aria-label="Uploads" aria-live="polite">
          {items.map((item) => (
            <li key={item.id} className="rounded-md border border-stone-200 p-3">
              <div className="flex flex-wrap items-center justify-between gap-2">
                <span className="break-all font-medium">{item.name}</span>
                {item.state === "uploading" ? (
                  <button
                    type="button"
                    onClick={() => item.xhr?.abort()}
                    className="min-h-11 rounded-md border border-stone-400 px-3 text-sm hover:bg-stone-100"
                  >
                    Cancel<span className="sr-only"> upload of {item.name}</span>
                  </button>
                ) : null}
              </div>
              <progress
                className="mt-2 h-2 w-full accent-ember-600"
                max={item.size}
                value={item.sent}
                aria-label={`Upload of ${item.name}`}
              />
              <p
                className={`mt-1 text-sm ${item.state === "failed" ? "text-red-700" : "text-stone-700"}`}
                data-state={item.state}
              >
                {item.state === "uploading"
                  ? `${formatBytes(item.sent)} of ${formatBytes(item.size)} sent`
                  : item.message}
              </p>
            </li>
          ))}
        </ul>
      ) : null}
    </section>
  );
}
