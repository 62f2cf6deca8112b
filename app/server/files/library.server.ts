import type { Db } from "../db/db.server";
import type { fileMetadata, fileVersions, User } from "../db/schema";
import { Refusal } from "../http/responses.server";

/** The shapes the file library's modules (files, uploads, multipart, downloads) share. */

/** An account's UserFileTracker Durable Object (functions/user-file-tracker.ts), as an RPC stub. */
export type Tracker = ReturnType<Env["USER_FILE_TRACKER"]["get"]>;

/** What the file library works with; built by the composition root (services.server.ts). */
export interface FileStores {
  db: Db;
  files: R2Bucket;
  /** By account id. */
  tracker: (accountId: string) => Tracker;
  limits: UploadLimits;
  /** Whether text files are stored compressed (COMPRESS_TEXT_FILES, default on; ADR 0028). */
  compressText: boolean;
}

export interface UploadLimits {
  maxFileBytes: number;
  maxUserBytes: number;
}

/** A refusal the person can act on; nothing was left behind in R2 or D1. */
export class UploadRefused extends Refusal {
  override name = "UploadRefused";
}

export type FileRow = typeof fileMetadata.$inferSelect;
export type FileVersionRow = typeof fileVersions.$inferSelect;

/** Whose library: D1 rows key on the username, R2 keys and the tracker on the immutable id. */
export type Account = Pick<User, "id" | "username">;
