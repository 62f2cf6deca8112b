import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ask, createConversation } from "~/server/assistant/conversations.server";
import { createCampaign } from "~/server/campaigns/campaigns.server";
import { createCharacter } from "~/server/campaigns/characters.server";
import { createContextEntry } from "~/server/campaigns/context-entries.server";
import { QuotaExceeded } from "~/server/db/quota.server";
import { RATE_LIMITS, rateLimited, rateLimitKinds, withinRateLimit } from "~/server/http/rate-limits.server";
import { newUser, ownerAccess, services, signIn, uniqueName } from "./helpers";
import { callRoute, routeAt } from "./route-walk";

const campaignInput = (name: string) => ({ name, description: "", status: "active" as const, tags: [] });
const entryInput = (title: string) => ({
  contextType: "lore" as const,
  title,
  content: "",
  tags: [],
  audience: "campaign" as const,
});

describe("rate limits", () => {
  it("announce in their RateLimit headers exactly the limit and period wrangler.toml gives each binding", async () => {
    const configured = new Map(
      [...env.WRANGLER_TOML.matchAll(/\[\[ratelimits\]\][^[]*?name = "(\w+)"[^[]*?limit = (\d+), period = (\d+)/g)].map(
        ([, name, limit, period]) => [name ?? "", { limit: Number(limit), period: Number(period) }],
      ),
    );
    expect(configured.size).toBe(rateLimitKinds.length);
    for (const kind of rateLimitKinds) {
      const name = [...configured.keys()].find(
        (candidate) => (env as unknown as Record<string, unknown>)[candidate] === services.rateLimits[kind],
      );
      expect(name, `the binding behind "${kind}"`).toBeDefined();
      expect(configured.get(name ?? ""), kind).toEqual(RATE_LIMITS[kind]);
      const refusal = rateLimited(kind);
      expect(refusal.headers.get("RateLimit-Policy")).toBe(
        `"${kind}";q=${RATE_LIMITS[kind].limit};w=${RATE_LIMITS[kind].period}`,
      );
      expect(refusal.headers.get("Retry-After")).toBe(String(RATE_LIMITS[kind].period));
    }
  });

  it("refuse a kind's requests past its limit, per key, with 429 and Retry-After", async () => {
    // The local binding is a fixed window: count how many of many pass, never exact timing.
    const key = uniqueName("client");
    const outcomes = await Promise.all(
      Array.from({ length: 25 }, () => withinRateLimit(services.rateLimits, "auth", key)),
    );
    const passed = outcomes.filter(Boolean).length;
    expect(passed).toBeGreaterThan(0);
    expect(passed).toBeLessThanOrEqual(2 * 10); // 10 a minute, at most two windows touched
    expect(outcomes.some((ok) => !ok)).toBe(true);
    // Another key has its own allowance.
    expect(await withinRateLimit(services.rateLimits, "auth", uniqueName("client"))).toBe(true);
  });

  it("answer a signed-in person's changes past the write limit with 429, Retry-After and what to do", async () => {
    const user = await newUser();
    const cookie = await signIn(user);
    const route = routeAt("/campaigns/new");
    const statuses: number[] = [];
    let refusal: Response | null = null;
    for (let i = 0; i < 130 && !refusal; i++) {
      const response = await callRoute(route, "action", "http://localhost/campaigns/new", {
        cookie,
        params: {},
        form: { name: `Campaign ${i}`, status: "planning" },
      });
      statuses.push(response?.status ?? 0);
      if (response?.status === 429) refusal = response;
    }
    expect(refusal?.status).toBe(429);
    expect(refusal?.headers.get("Retry-After")).toBe("60");
    expect(await refusal?.json()).toMatchObject({ error: expect.stringMatching(/saving very fast\. Wait a minute/) });
    // Some went through before the limit, none past it in the same window.
    expect(statuses.filter((s) => s === 302).length).toBeGreaterThan(0);
    // Another account is not held back by this one.
    const other = await signIn(await newUser());
    const theirs = await callRoute(route, "action", "http://localhost/campaigns/new", {
      cookie: other,
      params: {},
      form: { name: "Mine", status: "planning" },
    });
    expect(theirs?.status).toBe(302);
  });

  it("show a sign-up form's refusal beside its fields, keyed by the client's address", async () => {
    const route = routeAt("/signup");
    const client = uniqueName("10.0.0");
    const password = "a long enough passphrase";
    let limited: Response | null = null;
    for (let i = 0; i < 40 && !limited; i++) {
      const response = await callRoute(route, "action", "http://localhost/signup", {
        cookie: "",
        params: {},
        form: { username: uniqueName("new"), password, confirmPassword: password },
        headers: { "CF-Connecting-IP": client },
      });
      if (response?.status === 429) limited = response;
    }
    expect(limited?.headers.get("Retry-After")).toBe("60");
    const body = (await limited?.json()) as { error?: { "": string[] } };
    expect(JSON.stringify(body)).toMatch(/Too many sign-in or sign-up attempts from this network/);
  });
});

describe("row quotas", () => {
  it("refuse the campaign past the limit, and concurrent creates cannot pass it together", async () => {
    const user = await newUser();
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        createCampaign(services.db, user.username, campaignInput(`Campaign ${i}`), 3).then(
          () => "created",
          (error) => error,
        ),
      ),
    );
    expect(results.filter((r) => r === "created")).toHaveLength(3);
    const refusals = results.filter((r) => r instanceof QuotaExceeded) as QuotaExceeded[];
    expect(refusals).toHaveLength(3);
    expect(refusals[0]?.status).toBe(409);
    expect(refusals[0]?.message).toMatch(/You have 3 campaigns, the most one account can hold\. Delete one/);
  });

  it("count entries, characters, conversations and messages across all of the account's campaigns", async () => {
    const user = await newUser();
    const [a, b] = [
      await createCampaign(services.db, user.username, campaignInput("A")),
      await createCampaign(services.db, user.username, campaignInput("B")),
    ];
    await createContextEntry(services.db, a, entryInput("One"), 2);
    await createContextEntry(services.db, b, entryInput("Two"), 2);
    await expect(createContextEntry(services.db, a, entryInput("Three"), 2)).rejects.toThrow(
      /2 lore and context entries/,
    );
    // Another account is not affected by this one's count.
    const other = await newUser();
    const theirs = await createCampaign(services.db, other.username, campaignInput("C"));
    await expect(createContextEntry(services.db, theirs, entryInput("Theirs"), 2)).resolves.toMatchObject({
      title: "Theirs",
    });

    const character = {
      characterName: "Vessa",
      characterType: "npc" as const,
      status: "alive" as const,
      backstory: "",
      stats: [],
    };
    await createCharacter(services.db, a, character, 1);
    await expect(createCharacter(services.db, b, character, 1)).rejects.toBeInstanceOf(QuotaExceeded);

    const [inA, inB] = [await ownerAccess(user, a), await ownerAccess(user, b)];
    const conversation = await createConversation(services.db, inA, undefined, 1);
    await expect(createConversation(services.db, inB, undefined, 1)).rejects.toThrow(/1 conversations/);
    // Two messages a question: with room for one question, the second is refused before any search.
    const deps = { ...services.assistant, messageLimit: 2 };
    for await (const _event of ask(deps, inA, conversation, "Who is Vessa?")) {
      // the answer is saved by the last step
    }
    const second = ask(deps, inA, conversation, "And her sister?");
    await expect(second.next()).rejects.toThrow(/2 messages, the most one account can keep/);
  });
});
