import { describe, expect, it } from "vitest";
import { redirectToSchema, signupSchema } from "~/lib/auth-schemas";

describe("auth form schemas", () => {
  it("only returns to paths on this site after sign-in", () => {
    const to = (value: string) => redirectToSchema.parse(value);
    expect(to("/settings")).toBe("/settings");
    expect(to("/campaigns?status=active#top")).toBe("/campaigns?status=active#top");
    for (const offSite of [
      "//evil.example",
      "/\\evil.example/x",
      "https://evil.example",
      "javascript:alert(1)",
      "/\t/evil.example",
      "",
    ]) {
      expect(to(offSite), offSite).toBeUndefined();
    }
  });

  it("case-folds usernames and enforces the username and password rules", () => {
    const base = { password: "ten chars!", confirmPassword: "ten chars!" };
    expect(signupSchema.parse({ ...base, username: "  Mira_The-GM " }).username).toBe("mira_the-gm");
    expect(signupSchema.safeParse({ ...base, username: "ab" }).success).toBe(false);
    expect(signupSchema.safeParse({ ...base, username: "a".repeat(33) }).success).toBe(false);
    expect(signupSchema.safeParse({ ...base, username: "dm.mira" }).success).toBe(false);
    expect(
      signupSchema.safeParse({ username: "mira", password: "nine char", confirmPassword: "nine char" }).success,
    ).toBe(false);
    const mismatch = signupSchema.safeParse({
      username: "mira",
      password: "ten chars!",
      confirmPassword: "ten chars?",
    });
    expect(mismatch.error?.issues[0]?.message).toBe("The passwords do not match.");
  });
});
