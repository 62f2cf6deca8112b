import { describe, expect, it } from "vitest";
import { type AttemptOrigin, verifyLogin } from "~/server/auth/accounts.server";
import { FREE_ATTEMPTS, lockDurationMs, reserveAttempt } from "~/server/auth/throttle.server";
import { db, newUser, PASSWORD, uniqueName } from "./helpers";

const from = (clientId = uniqueName("ip"), knownDevice: AttemptOrigin["knownDevice"] = null): AttemptOrigin => ({
  clientId,
  knownDevice,
});

const attempt = (username: string, password: string, origin = from()) =>
  verifyLogin(db, username, password, origin).then(
    () => "ok",
    (error: Error) => error.message,
  );

describe("sign-in throttling", () => {
  it("allows five failures, then locks the username even for the right password", async () => {
    const user = await newUser();
    for (let i = 1; i < FREE_ATTEMPTS; i++) {
      expect(await attempt(user.username, "wrong password")).toBe("Wrong username or password.");
    }
    expect(await attempt(user.username, "wrong password")).toMatch(/Too many failed attempts: wait 30 seconds/);
    // Locked per username: a new client with the right password must still wait.
    expect(await attempt(user.username, PASSWORD)).toMatch(
      /^Too many failed attempts\. Wait \d+ seconds and try again\.$/,
    );
  });

  it("gives a parallel burst exactly the free attempts, not one check more", async () => {
    const user = await newUser();
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) => attempt(user.username, `guess ${i}`, from())),
    );
    // A check that ran says the password was wrong; the rest were refused before any check.
    const checked = results.filter((message) => message.startsWith("Wrong username or password."));
    expect(checked).toHaveLength(FREE_ATTEMPTS);
    expect(results.filter((message) => message.startsWith("Too many failed attempts. Wait"))).toHaveLength(
      30 - FREE_ATTEMPTS,
    );
  });

  it("cannot be turned against the owner on a device that signed in before (the known-device cookie)", async () => {
    const owner = await newUser();
    const ownersDevice = { userId: owner.id, nonce: crypto.randomUUID() };
    // A stranger (many addresses) burns the username's attempts and more.
    for (let i = 0; i < FREE_ATTEMPTS + 3; i++) await attempt(owner.username, `guess ${i}`, from());
    expect(await attempt(owner.username, PASSWORD, from())).toMatch(/Too many failed attempts/);
    // The owner, from their own browser, is not locked out.
    expect(await attempt(owner.username, PASSWORD, from("home-ip", ownersDevice))).toBe("ok");
    // Someone else's known-device cookie buys nothing for this account.
    const other = await newUser();
    const othersDevice = { userId: other.id, nonce: crypto.randomUUID() };
    expect(await attempt(owner.username, PASSWORD, from(uniqueName("ip"), othersDevice))).toMatch(/Too many failed/);
  });

  it("locks a known device that guesses wrong five times, for that device only", async () => {
    const owner = await newUser();
    const stolen = { userId: owner.id, nonce: crypto.randomUUID() };
    for (let i = 1; i < FREE_ATTEMPTS; i++) {
      expect(await attempt(owner.username, `guess ${i}`, from(uniqueName("ip"), stolen))).toBe(
        "Wrong username or password.",
      );
    }
    expect(await attempt(owner.username, "guess 5", from(uniqueName("ip"), stolen))).toMatch(/Too many failed/);
    expect(await attempt(owner.username, PASSWORD, from(uniqueName("ip"), stolen))).toMatch(/Too many failed/);
    // Neither the username nor other devices were locked by it.
    expect(await attempt(owner.username, PASSWORD, from())).toBe("ok");
  });

  it("locks a client that fails across many usernames", async () => {
    const client = uniqueName("ip");
    for (let i = 0; i < FREE_ATTEMPTS; i++) await attempt(uniqueName("guess"), "wrong password", from(client));
    const victim = await newUser();
    expect(await attempt(victim.username, PASSWORD, from(client))).toMatch(/Too many failed attempts\. Wait/);
    // The same account from another client is unaffected.
    expect(await attempt(victim.username, PASSWORD, from())).toBe("ok");
  });

  it("makes the wait grow with each further attempt, up to an hour", async () => {
    expect(lockDurationMs(FREE_ATTEMPTS - 1)).toBe(0);
    expect(lockDurationMs(FREE_ATTEMPTS)).toBe(30_000);
    expect(lockDurationMs(FREE_ATTEMPTS + 1)).toBe(60_000);
    expect(lockDurationMs(FREE_ATTEMPTS + 2)).toBe(120_000);
    expect(lockDurationMs(100)).toBe(3_600_000);

    const key = [`user:${uniqueName()}`];
    let now = Date.now();
    for (let i = 0; i < FREE_ATTEMPTS; i++) expect(await reserveAttempt(db, key, now)).toEqual({ allowed: true });
    expect(await reserveAttempt(db, key, now)).toEqual({ allowed: false, waitMs: 30_000 });
    now += 30_001;
    expect(await reserveAttempt(db, key, now)).toEqual({ allowed: true });
    expect(await reserveAttempt(db, key, now)).toEqual({ allowed: false, waitMs: 60_000 });
    now += 60_001;
    expect(await reserveAttempt(db, key, now)).toEqual({ allowed: true });
    expect(await reserveAttempt(db, key, now)).toEqual({ allowed: false, waitMs: 120_000 });
  });

  it("forgets old attempts after an hour and clears the username on success", async () => {
    const key = [`user:${uniqueName()}`];
    const start = Date.now();
    for (let i = 0; i < FREE_ATTEMPTS - 1; i++) await reserveAttempt(db, key, start);
    // An hour later the count starts again: four more attempts and this one do not lock.
    for (let i = 0; i < FREE_ATTEMPTS - 1; i++) {
      expect(await reserveAttempt(db, key, start + 61 * 60_000)).toEqual({ allowed: true });
    }

    const user = await newUser();
    for (let i = 0; i < FREE_ATTEMPTS - 1; i++) await attempt(user.username, "wrong password");
    expect(await attempt(user.username, PASSWORD)).toBe("ok");
    // The counter restarted: four more failures still do not lock.
    for (let i = 0; i < FREE_ATTEMPTS - 1; i++) {
      expect(await attempt(user.username, "wrong password")).toBe("Wrong username or password.");
    }
  });
});
