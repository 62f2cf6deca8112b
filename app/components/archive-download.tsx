import { type FormEvent, type ReactNode, useRef, useState } from "react";
import { formatBytes } from "~/lib/format";

/**
 * A form that downloads an archive (ADR 0039). Without JavaScript it is a plain GET and
 * the browser's own download shows its progress. With JavaScript, archives of up to
 * FETCH_LIMIT are fetched here so the page shows the bytes as they arrive (the server
 * writes the archive while it reads it), then saved under the name the server gives.
 * Larger ones stay with the browser's download manager: holding them in the page would
 * cost a phone its memory.
 */
const FETCH_LIMIT = 200 * 1024 * 1024;

type State =
  | { phase: "idle" }
  | { phase: "receiving"; received: number }
  | { phase: "done"; received: number; name: string }
  | { phase: "failed"; message: string };

function fileNameOf(disposition: string | null): string {
  const encoded = /filename\*=UTF-8''([^;]+)/i.exec(disposition ?? "")?.[1];
  if (encoded) {
    try {
      return decodeURIComponent(encoded);
    } catch {
      // fall through to the plain name
    }
  }
  return /filename="([^"]+)"/i.exec(disposition ?? "")?.[1] ?? "loresmith-export.zip";
}

export function ArchiveDownload({
  action,
  estimate,
  children,
  label,
}: {
  action: string;
  /** At most about this many bytes (the text uncompressed, plus the files if chosen). */
  estimate: (form: HTMLFormElement) => number;
  children?: ReactNode;
  label: string;
}) {
  const [state, setState] = useState<State>({ phase: "idle" });
  const [max, setMax] = useState(0);
  const busy = useRef(false);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    const form = event.currentTarget;
    const expected = estimate(form);
    if (expected > FETCH_LIMIT || typeof ReadableStream === "undefined" || busy.current) return;
    event.preventDefault();
    busy.current = true;
    setMax(expected);
    setState({ phase: "receiving", received: 0 });
    try {
      const query = new URLSearchParams(
        [...new FormData(form).entries()].map(([key, value]) => [key, String(value)] as [string, string]),
      );
      const response = await fetch(`${action}?${query}`, { headers: { Accept: "application/zip" } });
      if (!response.ok || !response.body) {
        const body = (await response.json().catch(() => null)) as { error?: string } | null;
        throw new Error(body?.error ?? `The server answered ${response.status}. Try again.`);
      }
      const reader = response.body.getReader();
      const chunks: Uint8Array<ArrayBuffer>[] = [];
      let received = 0;
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        chunks.push(value);
        received += value.byteLength;
        setState({ phase: "receiving", received });
      }
      const name = fileNameOf(response.headers.get("Content-Disposition"));
      const url = URL.createObjectURL(new Blob(chunks, { type: "application/zip" }));
      const link = document.createElement("a");
      link.href = url;
      link.download = name;
      document.body.appendChild(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
      setState({ phase: "done", received, name });
    } catch (error) {
      setState({
        phase: "failed",
        message: error instanceof Error ? error.message : "The download stopped. Try again.",
      });
    } finally {
      busy.current = false;
    }
  }

  return (
    <form method="get" action={action} onSubmit={onSubmit} className="space-y-4">
      {children}
      <button
        type="submit"
        disabled={state.phase === "receiving"}
        className="inline-flex min-h-11 items-center justify-center rounded-md bg-ember-600 px-4 py-2 font-medium text-white hover:bg-ember-700 disabled:opacity-60"
      >
        {state.phase === "receiving" ? "Building the archive…" : label}
      </button>
      <div aria-live="polite" data-testid="export-progress">
        {state.phase === "receiving" ? (
          <div className="space-y-1">
            <progress
              className="h-2 w-full max-w-md"
              max={Math.max(max, state.received, 1)}
              value={state.received}
              aria-label="Archive received"
            />
            <p className="text-sm text-stone-700">
              {formatBytes(state.received)} received{max > 0 ? ` (at most about ${formatBytes(max)})` : ""}
            </p>
          </div>
        ) : state.phase === "done" ? (
          <p className="text-emerald-800 text-sm">
            Saved {state.name} ({formatBytes(state.received)}).
          </p>
        ) : state.phase === "failed" ? (
          <p role="alert" className="text-red-800 text-sm">
            {state.message}
          </p>
        ) : null}
      </div>
    </form>
  );
}
