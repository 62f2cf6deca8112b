import { MAX_IMPORT_BYTES } from "~/lib/archives";
import { NO_SCRIPT_UPLOAD_LIMIT, PART_SIZE } from "~/lib/file-kinds";
import { formatBytes } from "~/lib/format";

/**
 * Every request body is bounded before anything parses it (ADR 0018): a body larger than
 * its route takes is refused with 413 from its Content-Length, before it is read; a body
 * without one (chunked) is read up to the limit and refused past it. Streaming uploads
 * are bounded by their own routes, which require a Content-Length and check it against
 * the file limit (`FixedLengthStream` then holds the body to it).
 */

/** Forms and JSON: the longest Markdown field (50,000 characters), URL-encoded, with room to spare. */
export const DEFAULT_BODY_LIMIT = 1024 * 1024;
/** Sign-in, sign-up, recovery, asking, starting an upload: a few fields. */
const SMALL_BODY_LIMIT = 16 * 1024;

interface BodyRule {
  pattern: RegExp;
  /** null: the route streams the body itself and requires a Content-Length it checks. */
  limit: number | null;
}

const RULES: BodyRule[] = [
  { pattern: /^\/api\/files$/, limit: null },
  { pattern: /^\/api\/uploads\/[^/]+\/parts\/\d+$/, limit: PART_SIZE },
  // The upload form without JavaScript (multipart, parsed in memory): its cap plus the form's framing.
  { pattern: /^\/library$/, limit: NO_SCRIPT_UPLOAD_LIMIT + 64 * 1024 },
  // An archive to import (ADR 0039): its cap plus the form's framing (`.data`: the same form sent with JavaScript).
  { pattern: /^\/campaigns\/import(\.data)?$/, limit: MAX_IMPORT_BYTES + 64 * 1024 },
  { pattern: /^\/(login|signup|recover|logout)$/, limit: SMALL_BODY_LIMIT },
  { pattern: /^\/api\/uploads$/, limit: SMALL_BODY_LIMIT },
  { pattern: /^\/api\/campaigns\/[^/]+\/chats\/[^/]+\/ask$/, limit: SMALL_BODY_LIMIT },
  // The public API (ADR 0032): the same bounds for the same work.
  { pattern: /^\/api\/v1\/files$/, limit: null },
  { pattern: /^\/api\/v1\/uploads\/[^/]+\/parts\/\d+$/, limit: PART_SIZE },
  { pattern: /^\/api\/v1\/uploads$/, limit: SMALL_BODY_LIMIT },
  { pattern: /^\/api\/v1\/campaigns\/[^/]+\/conversations(\/[^/]+\/messages)?$/, limit: SMALL_BODY_LIMIT },
];

export function bodyLimitFor(pathname: string): number | null {
  const rule = RULES.find((candidate) => candidate.pattern.test(pathname));
  return rule ? rule.limit : DEFAULT_BODY_LIMIT;
}

function tooLarge(request: Request, limit: number): Response {
  const message = `That was more than this page takes at once (${formatBytes(limit)}). Go back, send less (shorten the text, or upload large files with JavaScript on), and try again.`;
  const wantsHtml = (request.headers.get("Accept") ?? "").includes("text/html");
  if (!wantsHtml) return Response.json({ error: message }, { status: 413 });
  const html = `<!doctype html><html lang="en"><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Too much at once — LoreSmith AI</title><main><h1>Too much at once</h1><p>${message}</p><p>Use your browser's Back button to return to what you wrote, or go <a href="/home">home</a>.</p></main></html>`;
  return new Response(html, { status: 413, headers: { "Content-Type": "text/html; charset=utf-8" } });
}

/**
 * The request with its body bounded, or the refusal. GET and HEAD carry no body to read.
 * A chunked body is buffered (it is at most the limit, and only small-limit routes take one).
 */
export async function limitBody(request: Request): Promise<Request | Response> {
  if (request.method === "GET" || request.method === "HEAD" || !request.body) return request;
  const limit = bodyLimitFor(new URL(request.url).pathname);
  if (limit === null) return request;
  const declared = request.headers.get("Content-Length");
  if (declared !== null) {
    if (!/^\d{1,15}$/.test(declared))
      return Response.json({ error: "The request's length is not a number." }, { status: 400 });
    return Number(declared) > limit ? tooLarge(request, limit) : request;
  }
  if (limit > DEFAULT_BODY_LIMIT) {
    return Response.json({ error: "Send this request with a Content-Length." }, { status: 411 });
  }
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      return tooLarge(request, limit);
    }
    chunks.push(value);
  }
  const body = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return new Request(request, { body });
}
