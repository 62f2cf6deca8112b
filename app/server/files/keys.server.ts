/**
 * R2 keys: `uploads/{username}/{fileKey}/v{n}/{safe-name}`. The person's file name is
 * kept as given in D1; the key uses a safe form of it (ASCII letters, digits, - _ .),
 * so no name — `../`, emoji, reserved characters, 500 characters long — can escape the
 * user's prefix or make an invalid key.
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

export function userPrefix(username: string): string {
  return `uploads/${username}/`;
}

export function objectKey(username: string, fileKey: string, version: number, fileName: string): string {
  return `${userPrefix(username)}${fileKey}/v${version}/${safeFileName(fileName)}`;
}

/** File keys are random and URL-safe; anything else in a URL is simply not found. */
export function newFileKey(): string {
  return crypto.randomUUID().replaceAll("-", "");
}

export const FILE_KEY_PATTERN = /^[0-9a-f]{32}$/;
