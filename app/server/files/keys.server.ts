/**
 * R2 keys: `uploads/{accountId}/{uploadId}/{safe-name}` — the account's immutable id
 * (never a reusable username) and the upload attempt's own random id, so no two attempts
 * ever write the same key (ADR 0017; files stored before that keep their recorded
 * `…/{fileKey}/v{n}/…` keys). The person's file name is kept as given in D1; the key uses
 * a safe form of it (ASCII letters, digits, - _ .), so no name — `../`, emoji, reserved
 * characters, 500 characters long — can escape the account's prefix or make an invalid key.
 */

const MAX_SAFE_NAME = 80;

export function safeFileName(fileName: string): string {
  const match = /^(.*)\.([A-Za-z0-9]{1,10})$/.exec(fileName);
  const base = match?.[1] ?? fileName;
  const extension = match?.[2] ?? "";
  const clean = (text: string) =>
    text
      .normalize("NFKD")
      .replace(/[\u0300-\u036f]/g, "") // accents: é → e
      .replace(/[^A-Za-z0-9_-]+/g, "-")
      .replace(/-{2,}/g, "-")
      .replace(/^-+|-+$/g, "")
      .toLowerCase();
  const safeExtension = clean(extension).slice(0, 10);
  const safeBase = clean(base).slice(0, MAX_SAFE_NAME - safeExtension.length - 1) || "file";
  return safeExtension ? `${safeBase}.${safeExtension}` : safeBase;
}

export function userPrefix(accountId: string): string {
  return `uploads/${accountId}/`;
}

export function objectKey(accountId: string, uploadId: string, fileName: string): string {
  return `${userPrefix(accountId)}${uploadId}/${safeFileName(fileName)}`;
}

/** File keys are random and URL-safe; anything else in a URL is simply not found. */
export function newFileKey(): string {
  return crypto.randomUUID().replaceAll("-", "");
}

export const FILE_KEY_PATTERN = /^[0-9a-f]{32}$/;
