import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { contentSecurityPolicy } from "~/server/http/security.server";

const app = () => exports.default;

describe("cross-site request refusal", () => {
  const post = (headers: Record<string, string>) =>
    app().fetch("http://localhost/login", { method: "POST", headers, body: "username=x" });

  it("accepts same-origin posts", async () => {
    expect((await post({ Origin: "http://localhost" })).status).toBe(200);
    expect((await post({ "Sec-Fetch-Site": "same-origin" })).status).toBe(200);
  });

  it("refuses posts from another origin, or with no origin at all", async () => {
    const refused: Record<string, string>[] = [
      { Origin: "https://evil.example" },
      { Origin: "null" },
      {},
      { "Sec-Fetch-Site": "cross-site" },
    ];
    for (const headers of refused) {
      const response = await post(headers);
      expect(response.status, JSON.stringify(headers)).toBe(403);
      expect(await response.text()).toMatch(/did not come from LoreSmith AI/);
    }
  });

  it("lets safe methods through", async () => {
    expect((await app().fetch("http://localhost/", { headers: { Origin: "https://evil.example" } })).status).toBe(200);
  });
});

describe("security headers", () => {
  it("sends a nonce CSP and the hardening headers on HTML", async () => {
    const response = await app().fetch("http://localhost/");
    const csp = response.headers.get("Content-Security-Policy") ?? "";
    expect(csp).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9+/=]{24}'(;|$)/);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("object-src 'none'");
    expect(csp).not.toContain("unsafe-inline");
    expect(response.headers.get("X-Content-Type-Options")).toBe("nosniff");
    expect(response.headers.get("Referrer-Policy")).toBe("strict-origin-when-cross-origin");
    // A fresh nonce per response.
    const again = (await app().fetch("http://localhost/")).headers.get("Content-Security-Policy");
    expect(again).not.toBe(csp);
  });

  it("relaxes only what Vite's dev server needs, and only in dev", () => {
    expect(contentSecurityPolicy("n", true)).toContain("'unsafe-inline'");
    expect(contentSecurityPolicy("n", false)).not.toContain("'unsafe-inline'");
  });
});
