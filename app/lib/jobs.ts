/**
 * File processing, as both sides see it: the statuses a file (and each version) moves
 * through, the progress of its job in the user's UserFileTracker, and the messages the
 * tracker pushes to open tabs. Browser-safe: the schema, the queue, the Durable Object
 * and the Library's live hook all take these from here.
 */

/** Lifecycle of a stored file (and of each version). */
export const fileStatuses = [
  "uploading",
  "uploaded",
  "queued",
  "extracting",
  "indexing",
  "embedding",
  "ready",
  "failed",
  "cancelled",
  "stored", // kept but not extracted (images)
] as const;
export type FileStatus = (typeof fileStatuses)[number];

/** Still being processed: the queue works on these, and search does not see them yet. */
export const processingStatuses = ["queued", "extracting", "indexing", "embedding"] as const satisfies FileStatus[];
export type ProcessingStatus = (typeof processingStatuses)[number];

export function isProcessing(status: string): status is ProcessingStatus {
  return (processingStatuses as readonly string[]).includes(status);
}

/** A job's status is the file's status once it has been handed over for processing. */
export type JobStatus = Exclude<FileStatus, "uploading" | "uploaded">;

/** What the browser sees of a job: no storage keys, only what a progress display needs. */
export interface JobProgress {
  fileKey: string;
  version: number;
  fileName: string;
  status: JobStatus;
  pagesDone: number;
  pageCount: number | null;
  chunksTotal: number;
  chunksIndexed: number;
  chunksEmbedded: number;
  attempts: number;
  error: string | null;
  updatedAt: number;
}

/** What the tracker sends over the live-update socket (`/ws`). */
export type LiveMessage =
  /** On connect (and on any message from the tab): every job. */
  | { type: "snapshot"; jobs: JobProgress[] }
  /** One job changed. */
  | { type: "job"; job: JobProgress }
  /** A file was deleted. */
  | { type: "deleted"; fileKey: string };
