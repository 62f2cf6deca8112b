import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import {
  AccountError,
  type AttemptOrigin,
  changePassword,
  createAccount,
  deleteAccount,
  findUser,
  resetPasswordWithCode,
  sweepDeletedAccounts,
  verifyLogin,
} from "~/server/auth/accounts.server";
import { createAuthenticator } from "~/server/auth/authenticator.server";
import { listDevices } from "~/server/auth/devices.server";
import { hashPassword } from "~/server/auth/password.server";
import { issueRecoveryCodes, remainingRecoveryCodes } from "~/server/auth/recovery.server";
import { runScheduled } from "~/server/cron.server";
import {
  campaignCharacters,
  campaignContext,
  campaigns,
  deletedAccounts,
  fileMetadata,
  userDevices,
  users,
} from "~/server/db/schema";
import { userPrefix } from "~/server/files/keys.server";
import { db, newUser, PASSWORD, services, signIn, trackerOf, uniqueName, withSession } from "./helpers";
import { chunksOf, ftsHits, seedPassages, vectorIdsOf } from "./ingest-helpers";

const trackerJob = (accountId: string) =>
  runInDurableObject(trackerOf(accountId), (_, state) => state.storage.get<string>("job"));

/** A check from a fresh client address, without a known-device cookie. */
const from = (): AttemptOrigin => ({ clientId: uniqueName("ip"), knownDevice: null });

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
    const unknown = await verifyLogin(db, uniqueName("nobody"), PASSWORD, from()).catch((e) => e);
    const wrong = await verifyLogin(db, user.username, "not the password", from()).catch((e) => e);
    expect(unknown).toBeInstanceOf(AccountError);
    expect(wrong).toBeInstanceOf(AccountError);
    expect(unknown.message).toBe("Wrong username or password.");
    expect(wrong.message).toBe(unknown.message);
    await expect(verifyLogin(db, user.username, PASSWORD, from())).resolves.toMatchObject({
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

    await verifyLogin(db, user.username, PASSWORD, from());
    const upgraded = await findUser(db, user.username);
    expect(upgraded?.passwordHash).toMatch(/^pbkdf2-sha256\$100000\$/);
    await expect(verifyLogin(db, user.username, PASSWORD, from())).resolves.toBeTruthy();
  });

  it("goes through remix-auth's form strategy", async () => {
    const user = await newUser();
    const form = (password: string) =>
      new Request("http://localhost/login", {
        method: "POST",
        headers: { "CF-Connecting-IP": uniqueName("ip") },
        body: new URLSearchParams({ username: user.username.toUpperCase(), password, remember: "on" }),
      });
    const { state } = await withSession(null);
    const result = await createAuthenticator(db, state).authenticate("form", form(PASSWORD));
    expect(result).toMatchObject({ user: { username: user.username }, remember: true });
    await expect(createAuthenticator(db, state).authenticate("form", form("wrong password"))).rejects.toBeInstanceOf(
      AccountError,
    );
  });
});

describe("change password", () => {
  it("requires the current password, replaces the hash and signs every device out", async () => {
    const user = await newUser();
    await signIn(user);
    await signIn(user, { remember: true });
    await expect(changePassword(db, user, "not it at all", "a brand new password", from())).rejects.toThrow(
      "Your current password is not right.",
    );
    expect(await listDevices(db, user)).toHaveLength(2);
    const changed = await changePassword(db, user, PASSWORD, "a brand new password", from());
    expect(changed.signedOut).toHaveLength(2);
    expect(await listDevices(db, user)).toEqual([]);
    await expect(verifyLogin(db, user.username, PASSWORD, from())).rejects.toThrow();
    await expect(verifyLogin(db, user.username, "a brand new password", from())).resolves.toBeTruthy();
  });

  it("is throttled like sign-in, so a stolen session cannot guess the password", async () => {
    const user = await newUser();
    const client = from();
    const tries = [];
    for (let i = 0; i < 6; i++) {
      tries.push(
        await changePassword(db, user, `guess number ${i}`, "a brand new password", client).catch((e) => e.status),
      );
    }
    expect(tries).toEqual([401, 401, 401, 401, 429, 429]);
    // Locked even with the right password until the wait is over.
    await expect(changePassword(db, user, PASSWORD, "a brand new password", client)).rejects.toMatchObject({
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
      await seedPassages(user.id, `f-${user.username}`, 1, ["Lichwater ritual"]);
      await env.FILES.put(`${userPrefix(user.id)}f/v1/a.md`, "# notes");
      await env.CACHE.put(`u:${user.id}:campaigns`, "[]");
      await runInDurableObject(trackerOf(user.id), (_, state) => state.storage.put("job", "queued"));
    }

    await expect(deleteAccount(services, owner, "wrong password", from())).rejects.toThrow("nothing was deleted");
    expect(await findUser(db, owner.username)).toBeDefined();

    await deleteAccount(services, owner, PASSWORD, from());

    expect(await findUser(db, owner.username)).toBeUndefined();
    expect(await db.select().from(campaigns).where(eq(campaigns.username, owner.username))).toHaveLength(0);
    expect(await db.select().from(fileMetadata).where(eq(fileMetadata.username, owner.username))).toHaveLength(0);
    expect(await chunksOf(`f-${owner.username}`)).toEqual([]);
    expect(await vectorIdsOf(`f-${owner.username}`)).toEqual([]);
    expect(await env.FILES.list({ prefix: userPrefix(owner.id) })).toMatchObject({ objects: [] });
    expect(await env.CACHE.get(`u:${owner.id}:campaigns`)).toBeNull();
    expect(await trackerJob(owner.id)).toBeUndefined();

    // Cascades reached the FTS indexes too: only the bystander's rows still match.
    const match = (table: string) =>
      db.all<{ n: number }>(sql.raw(`SELECT count(*) AS n FROM ${table} WHERE ${table} MATCH 'lichwater'`));
    expect((await match("campaign_context_fts"))[0]?.n).toBe(1);
    expect((await match("campaign_characters_fts"))[0]?.n).toBe(1);
    expect(await ftsHits(`f-${bystander.username}`, "lichwater")).toBe(1);

    // The bystander keeps everything.
    expect(await findUser(db, bystander.username)).toBeDefined();
    expect((await env.FILES.list({ prefix: userPrefix(bystander.id) })).objects).toHaveLength(1);
    expect(await env.CACHE.get(`u:${bystander.id}:campaigns`)).toBe("[]");
    expect(await trackerJob(bystander.id)).toBe("queued");
  });

  it("leaves nothing a new account with the same name can reach: a new id, a new prefix, a new tracker", async () => {
    const name = uniqueName("eve");
    const first = await createAccount(db, name, PASSWORD);
    await env.FILES.put(`${userPrefix(first.id)}x/a.md`, "# first");
    await deleteAccount(services, first, PASSWORD, from());
    const second = await createAccount(db, name, "someone else's password");
    expect(second.id).not.toBe(first.id);
    expect(second.id).toMatch(/^u_[0-9a-f]{32}$/);
    expect(trackerOf(second.id).id.toString()).not.toBe(trackerOf(first.id).id.toString());
    expect((await env.FILES.list({ prefix: userPrefix(second.id) })).objects).toEqual([]);
  });
});

describe("an interrupted account deletion", () => {
  it("signs nobody in while it runs, and the cron's sweep finishes it", async () => {
    const user = await newUser();
    const cookies = await signIn(user);
    await env.FILES.put(`${userPrefix(user.id)}x/notes.md`, "# notes");
    // As if the Worker died right after the first step of deleteAccount.
    await db
      .insert(deletedAccounts)
      .values({ id: user.id, username: user.username, deletedAt: Date.now() - 60 * 60_000 });
    await db.delete(userDevices).where(eq(userDevices.userId, user.id));
    await expect(verifyLogin(db, user.username, PASSWORD, from())).rejects.toThrow("Wrong username or password.");
    expect((await withSession(cookies)).state.user).toBeNull();

    // What the Cron Trigger runs.
    await runScheduled(env);
    expect(await findUser(db, user.username)).toBeUndefined();
    expect(await db.select().from(users).where(eq(users.id, user.id))).toEqual([]);
    expect(await db.select().from(deletedAccounts)).toEqual([]);
    expect((await env.FILES.list({ prefix: userPrefix(user.id) })).objects).toEqual([]);
    // Finished: the name is free again, for a new account with a new id.
    await expect(createAccount(db, user.username, PASSWORD)).resolves.toMatchObject({ username: user.username });
  });

  it("is left alone by the sweep while it may still be running", async () => {
    const user = await newUser();
    await db.insert(deletedAccounts).values({ id: user.id, username: user.username, deletedAt: Date.now() });
    expect(await sweepDeletedAccounts(services)).toBe(0);
    expect(await db.select().from(users).where(eq(users.id, user.id))).toHaveLength(1);
  });
});

describe("recovery codes", () => {
  it("reset a forgotten password once per code, and sign every device out", async () => {
    const user = await newUser();
    const codes = await issueRecoveryCodes(db, user);
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    for (const code of codes) expect(code).toMatch(/^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$/);
    await signIn(user, { remember: true });

    // Typed loosely: lower case, no dashes.
    const typed = codes[0]?.toLowerCase().replaceAll("-", "") ?? "";
    const reset = await resetPasswordWithCode(db, user.username, typed, "a new memorable phrase", from());
    expect(reset.signedOut).toHaveLength(1);
    expect(await listDevices(db, user)).toEqual([]);
    await expect(verifyLogin(db, user.username, "a new memorable phrase", from())).resolves.toBeTruthy();
    expect(await remainingRecoveryCodes(db, user)).toBe(9);
    // Used up: the same code does not work twice.
    await expect(resetPasswordWithCode(db, user.username, typed, "yet another phrase here", from())).rejects.toThrow(
      "the code was used already",
    );
  });

  it("are the account's own, refused for anyone else's username, and replaced when new ones are made", async () => {
    const [owner, other] = [await newUser(), await newUser()];
    const [code] = await issueRecoveryCodes(db, owner);
    await expect(
      resetPasswordWithCode(db, other.username, code ?? "", "a new memorable phrase", from()),
    ).rejects.toBeInstanceOf(AccountError);
    await issueRecoveryCodes(db, owner);
    await expect(
      resetPasswordWithCode(db, owner.username, code ?? "", "a new memorable phrase", from()),
    ).rejects.toThrow("do not match");
    expect(await remainingRecoveryCodes(db, owner)).toBe(10);
  });

  it("are throttled on their own: guesses lock recovery, not the owner's password sign-in", async () => {
    const user = await newUser();
    await issueRecoveryCodes(db, user);
    const statuses = [];
    for (let i = 0; i < 6; i++) {
      statuses.push(
        await resetPasswordWithCode(
          db,
          user.username,
          `GUESS-${i}000-0000-0000`,
          "a new memorable phrase",
          from(),
        ).catch((e) => e.status),
      );
    }
    expect(statuses).toEqual([401, 401, 401, 401, 429, 429]);
    await expect(verifyLogin(db, user.username, PASSWORD, from())).resolves.toBeTruthy();
  });
});
