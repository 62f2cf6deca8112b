import { describe, expect, it } from "vitest";
import { verifyLogin } from "~/server/auth/accounts.server";
import { FREE_ATTEMPTS, lockDurationMs, recordFailure, remainingLockMs } from "~/server/auth/throttle.server";
import { db, newUser, PASSWORD, uniqueName } from "./helpers";

const attempt = (username: string, password: string, client: string) =>
  verifyLogin(db, username, password, client).then(
    () => "ok",
    (error: Error) => error.message,
  );

describe("sign-in throttling", () => {
  it("allows five failures, then locks the username even for the right password", async () => {
    const user = await newUser();
    for (let i = 1; i < FREE_ATTEMPTS; i++) {
      expect(await attempt(user.username, "wrong password", uniqueName("ip"))).toBe("Wrong username or password.");
    }
    expect(await attempt(user.username, "wrong password", uniqueName("ip"))).toMatch(
      /Too many failed attempts: wait 30 seconds/,
    );
    // Locked per username: a new client with the right password must still wait.
    expect(await attempt(user.username, PASSWORD, uniqueName("ip"))).toMatch(
      /^Too many failed attempts\. Wait \d+ seconds and try again\.$/,
    );
  });

  it("locks a client that fails across many usernames", async () => {
    const client = uniqueName("ip");
    for (let i = 0; i < FREE_ATTEMPTS; i++) await attempt(uniqueName("guess"), "wrong password", client);
    const victim = await newUser();
    expect(await attempt(victim.username, PASSWORD, client)).toMatch(/Too many failed attempts\. Wait/);
    // The same account from another client is unaffected.
    expect(await attempt(victim.username, PASSWORD, uniqueName("ip"))).toBe("ok");
  });

  it("makes the wait grow with each further failure, up to an hour", async () => {
    expect(lockDurationMs(FREE_ATTEMPTS - 1)).toBe(0);
    expect(lockDurationMs(FREE_ATTEMPTS)).toBe(30_000);
    expect(lockDurationMs(FREE_ATTEMPTS + 1)).toBe(60_000);
    expect(lockDurationMs(FREE_ATTEMPTS + 2)).toBe(120_000);
    expect(lockDurationMs(100)).toBe(3_600_000);

    const key = [`user:${uniqueName()}`];
    const now = Date.now();
    const waits: number[] = [];
    for (let i = 0; i < FREE_ATTEMPTS + 2; i++) waits.push(await recordFailure(db, key, now));
    expect(waits).toEqual([0, 0, 0, 0, 30_000, 60_000, 120_000]);
    expect(await remainingLockMs(db, key, now)).toBe(120_000);
    expect(await remainingLockMs(db, key, now + 120_001)).toBe(0);
  });

  it("forgets old failures after an hour and clears the username on success", async () => {
    const key = [`user:${uniqueName()}`];
    const start = Date.now();
    for (let i = 0; i < FREE_ATTEMPTS - 1; i++) await recordFailure(db, key, start);
    // An hour later the count starts again, so this failure does not lock.
    expect(await recordFailure(db, key, start + 61 * 60_000)).toBe(0);

    const user = await newUser();
    for (let i = 0; i < FREE_ATTEMPTS - 1; i++) await attempt(user.username, "wrong password", uniqueName("ip"));
    expect(await attempt(user.username, PASSWORD, uniqueName("ip"))).toBe("ok");
    // The counter restarted: four more failures still do not lock.
    for (let i = 0; i < FREE_ATTEMPTS - 1; i++) {
      expect(await attempt(user.username, "wrong password", uniqueName("ip"))).toBe("Wrong username or password.");
    }
  });
});
