/** What the library accepts, shared by the upload form (accept=…) and the server. */

export const fileKinds = ["pdf", "markdown", "text", "json", "docx", "png", "jpeg", "webp"] as const;
export type FileKind = (typeof fileKinds)[number];

export const fileKindInfo: Record<FileKind, { label: string; contentType: string; extensions: string[] }> = {
  pdf: { label: "PDF", contentType: "application/pdf", extensions: [".pdf"] },
  markdown: { label: "Markdown", contentType: "text/markdown; charset=utf-8", extensions: [".md", ".markdown"] },
  text: { label: "Text", contentType: "text/plain; charset=utf-8", extensions: [".txt", ".text"] },
  json: { label: "JSON", contentType: "application/json", extensions: [".json"] },
  docx: {
    label: "Word document",
    contentType: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    extensions: [".docx"],
  },
  png: { label: "PNG image", contentType: "image/png", extensions: [".png"] },
  jpeg: { label: "JPEG image", contentType: "image/jpeg", extensions: [".jpg", ".jpeg"] },
  webp: { label: "WebP image", contentType: "image/webp", extensions: [".webp"] },
};

/**
 * Without JavaScript the picker posts a plain multipart form, which workerd parses in
 * memory, so that path is capped (the JavaScript path streams any size and resumes).
 */
export const NO_SCRIPT_UPLOAD_LIMIT = 25 * 1024 * 1024;

/** For `<input type="file" accept>`. */
export const acceptAttribute = Object.values(fileKindInfo)
  .flatMap((info) => info.extensions)
  .join(",");

export function extensionOf(fileName: string): string {
  const dot = fileName.lastIndexOf(".");
  return dot > 0 ? fileName.slice(dot).toLowerCase() : "";
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ["KB", "MB", "GB", "TB"];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}
