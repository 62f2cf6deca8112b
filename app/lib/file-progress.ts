import type { JobProgress } from "./jobs";

/** The D1 status a file row carries, for files whose tracker has no job (yet). */
export interface FileStatusRow {
  fileKey: string;
  fileName: string;
  status: string;
  error: string | null;
  pageCount: number | null;
  currentVersion: number;
}

export interface ProgressView {
  /** Short stage name: the part announced to screen readers when it changes. */
  label: string;
  /** Numbers and reasons: page 212 of 664, the reason a file failed. */
  detail: string | null;
  /** 0..1 within the current stage, when known. */
  fraction: number | null;
  tone: "working" | "done" | "problem" | "idle";
  canRetry: boolean;
  canCancel: boolean;
  retryLabel: string;
}

const count = (n: number) => n.toLocaleString("en");
const passages = (n: number) => `${count(n)} passage${n === 1 ? "" : "s"}`;

/** What a person sees for a file's processing state, from its live job or its stored row. */
export function describeProgress(file: FileStatusRow, job: JobProgress | undefined): ProgressView {
  const current = job && job.version === file.currentVersion ? job : undefined;
  const status = current?.status ?? file.status;
  const retrying =
    current && current.attempts > 0 ? ` Retrying after a problem (attempt ${current.attempts + 1}).` : "";
  const base = { canRetry: false, canCancel: false, retryLabel: "Retry", fraction: null, detail: null };
  switch (status) {
    case "uploading":
    case "uploaded":
      return {
        ...base,
        label: "Uploaded — not processed yet",
        tone: "idle",
        canRetry: true,
        retryLabel: "Process now",
      };
    case "queued":
      return {
        ...base,
        label: "Queued",
        detail: "Waiting for the files ahead of it.",
        tone: "working",
        canCancel: true,
      };
    case "extracting": {
      const total = current?.pageCount;
      return {
        ...base,
        label: "Extracting text",
        detail: total ? `Page ${count(current?.pagesDone ?? 0)} of ${count(total)}.${retrying}` : retrying || null,
        fraction: total ? (current?.pagesDone ?? 0) / total : null,
        tone: "working",
        canCancel: true,
      };
    }
    case "indexing":
    case "embedding": {
      const done = (status === "indexing" ? current?.chunksIndexed : current?.chunksEmbedded) ?? 0;
      const total = current?.chunksTotal ?? 0;
      return {
        ...base,
        label: status === "indexing" ? "Indexing" : "Embedding",
        detail: total ? `${count(done)} of ${passages(total)}.${retrying}` : retrying || null,
        fraction: total ? done / total : null,
        tone: "working",
        canCancel: true,
      };
    }
    case "ready":
      return {
        ...base,
        label: "Ready",
        detail: current ? `${passages(current.chunksTotal)} searchable.` : "Searchable.",
        tone: "done",
      };
    case "stored":
      return { ...base, label: "Stored", detail: "Images are kept but not searched: they have no text.", tone: "idle" };
    case "cancelled":
      return {
        ...base,
        label: "Cancelled",
        detail: "Not searchable.",
        tone: "idle",
        canRetry: true,
        retryLabel: "Process again",
      };
    case "failed":
      return {
        ...base,
        label: "Failed",
        detail: current?.error ?? file.error ?? "Something went wrong while processing this file.",
        tone: "problem",
        canRetry: true,
      };
    default:
      return { ...base, label: status, tone: "idle" };
  }
}
