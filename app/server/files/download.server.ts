import { httpError } from "../http/responses.server";
import { decodedBody, sized, sliceOf } from "./compression.server";
import type { FileRow, FileVersionRow } from "./library.server";

/**
 * Streams a stored file from R2 with what browsers need to view it well: its type, a
 * disposition carrying the original name, validators for caching, and HTTP Range support
 * (so the PDF viewer can open a 600-page book at page N without fetching it all).
 *
 * Every answer is about the uploaded bytes, however the version is stored (ADR 0028): a
 * compressed text file is decompressed, and a range is cut from the decompressed bytes,
 * so sizes, Content-Range, 206 and 416 are exactly those of the file as uploaded.
 *
 * Caching (ADR 0028): the ETag is the version's content hash, which names the uploaded
 * bytes and never changes for a version; a matching If-None-Match is answered 304 without
 * reading R2. The callers run the same authorization before this as before a full
 * download, and the response is `private`: no shared cache may keep it.
 */
export async function streamFile(
  bucket: R2Bucket,
  request: Request,
  file: FileRow,
  version: FileVersionRow,
  { download }: { download: boolean },
): Promise<Response> {
  const size = version.fileSize;
  const etag = await etagOf(version);
  const lastModified = new Date(version.createdAt).toUTCString();
  const validators = new Headers();
  validators.set("ETag", etag);
  validators.set("Last-Modified", lastModified);
  validators.set("Cache-Control", "private, max-age=0, must-revalidate");
  // Who asks decides what is answered (a 404 for anyone else): no cache may answer one cookie with another's response.
  validators.set("Vary", "Cookie");

  const preconditions = evaluatePreconditions(request.headers, etag, version.createdAt);
  if (preconditions !== null) return new Response(null, { status: preconditions, headers: validators });

  const range = ifRangeHolds(request.headers.get("If-Range"), etag, lastModified)
    ? parseRange(request.headers.get("Range"), size)
    : null;
  if (range === "unsatisfiable") {
    return httpError(416, "That byte range is not in this file.", { "Content-Range": `bytes */${size}` });
  }
  const compressed = version.contentEncoding === "gzip";
  // A compressed object is read whole and cut after decompressing: its byte offsets are not the file's.
  const object = await bucket.get(version.r2Key, compressed ? {} : { range: range ?? undefined });
  if (!object) {
    return httpError(404, "The stored bytes of this file are missing. Delete it and upload it again.");
  }
  const headers = new Headers(validators);
  headers.set("Content-Type", version.contentType);
  headers.set("Content-Disposition", contentDisposition(file.fileName, download));
  headers.set("Accept-Ranges", "bytes");
  // Only accepted types are served (no HTML or SVG), and never sniffed as anything else.
  // No CSP here: Chromium's PDF viewer does not render under a restrictive one.
  headers.set("X-Content-Type-Options", "nosniff");
  const length = range ? range.length : size;
  headers.set("Content-Length", String(length));
  if (range) headers.set("Content-Range", `bytes ${range.offset}-${range.offset + range.length - 1}/${size}`);
  let body: ReadableStream<Uint8Array> = object.body;
  if (compressed) {
    const decoded = decodedBody(object);
    body = range ? sliceOf(decoded, range.offset, range.length) : sized(decoded, size);
  }
  return new Response(body, { status: range ? 206 : 200, headers });
}

/**
 * A strong ETag from the version's content hash, which names the uploaded bytes (not how
 * they are stored): the same for every reader allowed to read it, and it changes whenever
 * another version is served at the same URL. A row without a hash (seeded in tests, or
 * written before hashes existed) falls back to its R2 key, equally immutable.
 */
async function etagOf(version: FileVersionRow): Promise<string> {
  if (version.contentHash) return `"${version.contentHash}"`;
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(version.r2Key));
  const hex = [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `"key-${hex.slice(0, 32)}"`;
}

/** The entity tags of an If-Match/If-None-Match header; "*" matches any. */
function entityTags(header: string): string[] {
  return header.split(",").map((tag) => tag.trim().replace(/^W\//, ""));
}

/**
 * RFC 9110 §13.2.2, for a GET of an existing representation: 412 when If-Match names
 * none of its tags, 304 when If-None-Match names one (or, without it, when it has not
 * changed since If-Modified-Since), null to answer in full.
 */
function evaluatePreconditions(headers: Headers, etag: string, createdAt: number): 304 | 412 | null {
  const ifMatch = headers.get("If-Match");
  if (ifMatch !== null && !entityTags(ifMatch).some((tag) => tag === "*" || tag === etag)) return 412;
  const ifNoneMatch = headers.get("If-None-Match");
  if (ifNoneMatch !== null) {
    return entityTags(ifNoneMatch).some((tag) => tag === "*" || tag === etag) ? 304 : null;
  }
  const since = Date.parse(headers.get("If-Modified-Since") ?? "");
  if (Number.isFinite(since) && Math.floor(createdAt / 1000) * 1000 <= since) return 304;
  return null;
}

/** If-Range: the range applies only to the representation it names (strongly), else the whole file is sent. */
function ifRangeHolds(ifRange: string | null, etag: string, lastModified: string): boolean {
  if (ifRange === null) return true;
  const value = ifRange.trim();
  return value.startsWith('"') ? value === etag : value === lastModified;
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
