import { secureCookies } from "../sessions/session.server";

/**
 * HTTP hardening applied by the Worker entry to every dynamic response: CSRF defence by
 * Origin check, and security headers with a nonce-based Content-Security-Policy, HSTS
 * outside localhost, and no-store on pages and JSON.
 */

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

export function createNonce(): string {
  return btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(16))));
}

/**
 * Refuses state-changing requests that do not come from this site. Browsers send
 * `Origin` on every POST (forms and fetch alike); a request without it and without a
 * same-origin `Sec-Fetch-Site` is refused too, since the check cannot be made.
 * WebSocket upgrades are GETs but carry cookies, so they are checked as well.
 */
export function rejectCrossSite(request: Request): Response | null {
  const isUpgrade = request.headers.get("Upgrade")?.toLowerCase() === "websocket";
  if (SAFE_METHODS.has(request.method) && !isUpgrade) return null;
  // The public API authenticates only by bearer token and never reads the cookie (ADR 0032):
  // a cross-site request carries no credential it would act on.
  if (new URL(request.url).pathname.startsWith("/api/v1/")) return null;
  const expected = new URL(request.url).origin;
  const origin = request.headers.get("Origin");
  if (origin === expected) return null;
  if (!origin && request.headers.get("Sec-Fetch-Site") === "same-origin") return null;
  return new Response(
    "This request did not come from LoreSmith AI, so it was refused. Reload the page and try again.",
    { status: 403, headers: { "Content-Type": "text/plain; charset=utf-8" } },
  );
}

export function contentSecurityPolicy(nonce: string, dev: boolean): string {
  return [
    "default-src 'self'",
    // React Router's inline hydration scripts carry the nonce; bundles come from 'self'.
    `script-src 'self' 'nonce-${nonce}'${dev ? " 'unsafe-inline'" : ""}`,
    // Vite injects styles through JS in dev; the built app ships one stylesheet.
    `style-src 'self'${dev ? " 'unsafe-inline'" : ""}`,
    "img-src 'self' data: blob:",
    "font-src 'self'",
    // 'self' covers same-origin ws:/wss: for live updates (CSP3).
    `connect-src 'self'${dev ? " ws: wss:" : ""}`,
    // The file viewer embeds the user's own PDFs from this origin.
    "frame-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
}

/** Two years, as browsers' HSTS preload lists expect. */
const HSTS = "max-age=63072000; includeSubDomains";

export function withSecurityHeaders(response: Response, request: Request, nonce: string, dev = false): Response {
  // 101 (WebSocket) responses cannot be copied; they carry no document anyway.
  if (response.status === 101) return response;
  const secured = new Response(response.body, response);
  const headers = secured.headers;
  const type = headers.get("Content-Type") ?? "";
  if (type.startsWith("text/html")) {
    headers.set("Content-Security-Policy", contentSecurityPolicy(nonce, dev));
  }
  // Pages and JSON are per person (and each page has its own nonce): never kept by a
  // browser or a shared cache. Routes that know better (file bytes) say so themselves.
  if ((type.startsWith("text/html") || type.includes("json")) && !headers.has("Cache-Control")) {
    headers.set("Cache-Control", "no-store");
  }
  // Browsers only honour HSTS over HTTPS; local development stays on plain http.
  if (secureCookies(request.url)) headers.set("Strict-Transport-Security", HSTS);
  headers.set("X-Content-Type-Options", "nosniff");
  headers.set("Referrer-Policy", "strict-origin-when-cross-origin");
  headers.set("X-Frame-Options", "DENY");
  headers.set("Cross-Origin-Opener-Policy", "same-origin");
  headers.set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()");
  return secured;
}
