import { httpError } from "../http/responses.server";
import type { FileRow, FileVersionRow } from "./library.server";

/**
 * Streams a stored file from R2 with what browsers need to view it well: its type, a
 * disposition carrying the original name, an ETag for caching, and HTTP Range support
 * (so the PDF viewer can open a 600-page book at page N without fetching it all).
 */
export async function streamFile(
  bucket: R2Bucket,
  request: Request,
  file: FileRow,
  version: FileVersionRow,
  { download }: { download: boolean },
): Promise<Response> {
  const range = parseRange(request.headers.get("Range"), version.fileSize);
  if (range === "unsatisfiable") {
    return httpError(416, "That byte range is not in this file.", { "Content-Range": `bytes */${version.fileSize}` });
  }
  const object = await bucket.get(version.r2Key, { range: range ?? undefined, onlyIf: request.headers });
  if (!object) {
    return httpError(404, "The stored bytes of this file are missing. Delete it and upload it again.");
  }
  const headers = new Headers();
  headers.set("Content-Type", version.contentType);
  headers.set("Content-Disposition", contentDisposition(file.fileName, download));
  headers.set("ETag", object.httpEtag);
  headers.set("Accept-Ranges", "bytes");
  headers.set("Cache-Control", "private, max-age=0, must-revalidate");
  // Only accepted types are served (no HTML or SVG), and never sniffed as anything else.
  // No CSP here: Chromium's PDF viewer does not render under a restrictive one.
  headers.set("X-Content-Type-Options", "nosniff");

  if (!("body" in object)) {
    // onlyIf failed: If-None-Match matched (304) or a precondition failed (412).
    const status = request.headers.has("If-None-Match") || request.headers.has("If-Modified-Since") ? 304 : 412;
    return new Response(null, { status, headers });
  }
  if (range) {
    headers.set("Content-Range", `bytes ${range.offset}-${range.offset + range.length - 1}/${object.size}`);
    headers.set("Content-Length", String(range.length));
    return new Response(object.body, { status: 206, headers });
  }
  headers.set("Content-Length", String(object.size));
  return new Response(object.body, { status: 200, headers });
}

/** RFC 6266: an ASCII fallback plus the exact UTF-8 name. */
export function contentDisposition(fileName: string, download: boolean): string {
  const fallback = fileName.replace(/[^\x20-\x7e]/g, "_").replace(/["\\]/g, "_");
  const encoded = encodeURIComponent(fileName).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `${download ? "attachment" : "inline"}; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}

/**
 * One `bytes=` range (start-end, start-, or -suffix), clamped to the file. Several ranges
 * or a malformed header mean "the whole file" (RFC 9110 lets a server ignore Range).
 */
export function parseRange(
  header: string | null,
  size: number,
): { offset: number; length: number } | "unsatisfiable" | null {
  const match = header ? /^bytes=(\d*)-(\d*)$/.exec(header.trim()) : null;
  if (!match) return null;
  const [, startText = "", endText = ""] = match;
  if (!startText && !endText) return null;
  if (!startText) {
    const suffix = Math.min(Number(endText), size);
    return suffix > 0 ? { offset: size - suffix, length: suffix } : "unsatisfiable";
  }
  const start = Number(startText);
  if (start >= size) return "unsatisfiable";
  const end = endText ? Math.min(Number(endText), size - 1) : size - 1;
  if (end < start) return null;
  return { offset: start, length: end - start + 1 };
}
