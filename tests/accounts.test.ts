import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import {
  AccountError,
  changePassword,
  createAccount,
  deleteAccount,
  findUser,
  verifyLogin,
} from "~/server/auth/accounts.server";
import { createAuthenticator } from "~/server/auth/authenticator.server";
import { hashPassword } from "~/server/auth/password.server";
import { campaignCharacters, campaignContext, campaigns, fileChunks, fileMetadata, users } from "~/server/db/schema";
import { db, newUser, PASSWORD, services, trackerOf, uniqueName } from "./helpers";

const trackerJob = (username: string) =>
  runInDurableObject(trackerOf(username), (_, state) => state.storage.get<string>("job"));

const stores = () => services;

describe("sign-up", () => {
  it("creates a user whose password verifies, and refuses a taken username", async () => {
    const name = uniqueName();
    const user = await createAccount(db, name, PASSWORD);
    expect(user.username).toBe(name);
    expect(user.passwordHash).not.toContain(PASSWORD);
    await expect(createAccount(db, name, "another password!")).rejects.toMatchObject({
      name: "AccountError",
      status: 409,
    });
  });

  it("lets D1 itself refuse usernames outside 3–32 of a-z 0-9 _ -", async () => {
    for (const bad of ["ab", "UPPER", "has space", "x".repeat(33), "emoji🎲"]) {
      await expect(
        db.insert(users).values({ username: bad, passwordHash: "x" }),
        `username ${JSON.stringify(bad)}`,
      ).rejects.toThrow();
    }
  });
});

describe("sign-in", () => {
  it("answers an unknown username and a wrong password with the same message", async () => {
    const user = await newUser();
    const unknown = await verifyLogin(db, uniqueName("nobody"), PASSWORD, uniqueName("ip")).catch((e) => e);
    const wrong = await verifyLogin(db, user.username, "not the password", uniqueName("ip")).catch((e) => e);
    expect(unknown).toBeInstanceOf(AccountError);
    expect(wrong).toBeInstanceOf(AccountError);
    expect(unknown.message).toBe("Wrong username or password.");
    expect(wrong.message).toBe(unknown.message);
    await expect(verifyLogin(db, user.username, PASSWORD, uniqueName("ip"))).resolves.toMatchObject({
      username: user.username,
    });
  });

  it("upgrades a hash made at another cost on the next successful sign-in", async () => {
    const user = await newUser();
    const legacy = (await hashPassword(PASSWORD)).replace("$100000$", "$1000$");
    // Re-derive at 1,000 iterations so the legacy hash is genuinely valid.
    const [, , salt] = legacy.split("$");
    const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(PASSWORD), "PBKDF2", false, [
      "deriveBits",
    ]);
    const saltBytes = Uint8Array.from(atob(salt ?? ""), (c) => c.charCodeAt(0));
    const bits = new Uint8Array(
      await crypto.subtle.deriveBits({ name: "PBKDF2", hash: "SHA-256", salt: saltBytes, iterations: 1000 }, key, 256),
    );
    const legacyHash = `pbkdf2-sha256$1000$${salt}$${btoa(String.fromCharCode(...bits))}`;
    await db.update(users).set({ passwordHash: legacyHash }).where(eq(users.username, user.username));

    await verifyLogin(db, user.username, PASSWORD, uniqueName("ip"));
    const upgraded = await findUser(db, user.username);
    expect(upgraded?.passwordHash).toMatch(/^pbkdf2-sha256\$100000\$/);
    await expect(verifyLogin(db, user.username, PASSWORD, uniqueName("ip"))).resolves.toBeTruthy();
  });

  it("goes through remix-auth's form strategy", async () => {
    const user = await newUser();
    const form = (password: string) =>
      new Request("http://localhost/login", {
        method: "POST",
        headers: { "CF-Connecting-IP": uniqueName("ip") },
        body: new URLSearchParams({ username: user.username.toUpperCase(), password, remember: "on" }),
      });
    const result = await createAuthenticator(db).authenticate("form", form(PASSWORD));
    expect(result).toMatchObject({ user: { username: user.username }, remember: true });
    await expect(createAuthenticator(db).authenticate("form", form("wrong password"))).rejects.toBeInstanceOf(
      AccountError,
    );
  });
});

describe("change password", () => {
  it("requires the current password, replaces the hash and voids older sessions", async () => {
    const user = await newUser();
    await expect(
      changePassword(db, user.username, "not it at all", "a brand new password", uniqueName("ip")),
    ).rejects.toThrow("Your current password is not right.");
    const updated = await changePassword(db, user.username, PASSWORD, "a brand new password", uniqueName("ip"));
    expect(updated.sessionEpoch).toBe(user.sessionEpoch + 1);
    await expect(verifyLogin(db, user.username, PASSWORD, uniqueName("ip"))).rejects.toThrow();
    await expect(verifyLogin(db, user.username, "a brand new password", uniqueName("ip"))).resolves.toBeTruthy();
  });

  it("is throttled like sign-in, so a stolen session cannot guess the password", async () => {
    const user = await newUser();
    const client = uniqueName("ip");
    const tries = [];
    for (let i = 0; i < 6; i++) {
      tries.push(
        await changePassword(db, user.username, `guess number ${i}`, "a brand new password", client).catch(
          (e) => e.status,
        ),
      );
    }
    expect(tries).toEqual([401, 401, 401, 401, 429, 429]);
    // Locked even with the right password until the wait is over.
    await expect(changePassword(db, user.username, PASSWORD, "a brand new password", client)).rejects.toMatchObject({
      status: 429,
    });
  });
});

describe("delete account", () => {
  it("removes the user's rows, files, cache entries and tracker state, and nobody else's", async () => {
    const owner = await newUser("owner");
    const bystander = await newUser("bystander");
    for (const user of [owner, bystander]) {
      const campaignId = `c-${user.username}`;
      await db.insert(campaigns).values({ id: campaignId, username: user.username, name: "The Sunken Crown" });
      await db
        .insert(campaignContext)
        .values({ campaignId, title: "Drowned Abbey", content: "Lichwater flows here", contextType: "location" });
      await db.insert(campaignCharacters).values({ campaignId, characterName: "Sister Maren", backstory: "Lichwater" });
      await db
        .insert(fileMetadata)
        .values({ fileKey: `f-${user.username}`, username: user.username, fileName: "a.md" });
      await db.insert(fileChunks).values({
        id: `f-${user.username}:v1:0`,
        fileKey: `f-${user.username}`,
        username: user.username,
        chunkText: "Lichwater ritual",
        chunkIndex: 0,
      });
      await env.FILES.put(`uploads/${user.username}/f/v1/a.md`, "# notes");
      await env.CACHE.put(`u:${user.username}:campaigns`, "[]");
      await runInDurableObject(trackerOf(user.username), (_, state) => state.storage.put("job", "queued"));
    }

    await expect(deleteAccount(stores(), owner.username, "wrong password", uniqueName("ip"))).rejects.toThrow(
      "nothing was deleted",
    );
    expect(await findUser(db, owner.username)).toBeDefined();

    await deleteAccount(stores(), owner.username, PASSWORD, uniqueName("ip"));

    expect(await findUser(db, owner.username)).toBeUndefined();
    expect(await db.select().from(campaigns).where(eq(campaigns.username, owner.username))).toHaveLength(0);
    expect(await db.select().from(fileMetadata).where(eq(fileMetadata.username, owner.username))).toHaveLength(0);
    expect(await db.select().from(fileChunks).where(eq(fileChunks.username, owner.username))).toHaveLength(0);
    expect(await env.FILES.list({ prefix: `uploads/${owner.username}/` })).toMatchObject({ objects: [] });
    expect(await env.CACHE.get(`u:${owner.username}:campaigns`)).toBeNull();
    expect(await trackerJob(owner.username)).toBeUndefined();

    // Cascades reached the FTS indexes too: only the bystander's rows still match.
    const match = (table: string) =>
      db.all<{ n: number }>(sql.raw(`SELECT count(*) AS n FROM ${table} WHERE ${table} MATCH 'lichwater'`));
    expect((await match("campaign_context_fts"))[0]?.n).toBe(1);
    expect((await match("campaign_characters_fts"))[0]?.n).toBe(1);
    expect((await match("file_chunks_fts"))[0]?.n).toBe(1);

    // The bystander keeps everything.
    expect(await findUser(db, bystander.username)).toBeDefined();
    expect((await env.FILES.list({ prefix: `uploads/${bystander.username}/` })).objects).toHaveLength(1);
    expect(await env.CACHE.get(`u:${bystander.username}:campaigns`)).toBe("[]");
    expect(await trackerJob(bystander.username)).toBe("queued");
  });
});
