import { describe, expect, it } from "vitest";
import { hashPassword, needsRehash, PBKDF2_ITERATIONS, verifyPassword } from "~/server/auth/password.server";

describe("password hashing", () => {
  it("stores a self-describing PBKDF2-SHA256 hash with a per-user salt", async () => {
    const a = await hashPassword("a long enough password");
    const b = await hashPassword("a long enough password");
    expect(a).toMatch(/^pbkdf2-sha256\$100000\$[A-Za-z0-9+/=]{24}\$[A-Za-z0-9+/=]{44}$/);
    // Same password, different salt, different hash.
    expect(a).not.toBe(b);
    expect(a.split("$")[2]).not.toBe(b.split("$")[2]);
  });

  it("accepts the right password and refuses wrong or tampered ones", async () => {
    const stored = await hashPassword("a long enough password");
    expect(await verifyPassword("a long enough password", stored)).toBe(true);
    expect(await verifyPassword("a long enough passwore", stored)).toBe(false);
    expect(await verifyPassword("", stored)).toBe(false);
    const [scheme, iterations, salt, hash] = stored.split("$");
    const flipped = `${hash?.startsWith("A") ? "B" : "A"}${hash?.slice(1)}`;
    expect(await verifyPassword("a long enough password", [scheme, iterations, salt, flipped].join("$"))).toBe(false);
    expect(await verifyPassword("a long enough password", "md5$1$x$y")).toBe(false);
  });

  it("refuses a stored hash that asks for more work than the cap, without deriving it", async () => {
    const stored = await hashPassword("a long enough password");
    const inflated = stored.replace(`$${PBKDF2_ITERATIONS}$`, `$${PBKDF2_ITERATIONS * 100}$`);
    expect(await verifyPassword("a long enough password", inflated)).toBe(false);
    expect(needsRehash(stored)).toBe(false);
    expect(needsRehash(inflated)).toBe(true);
  });
});
