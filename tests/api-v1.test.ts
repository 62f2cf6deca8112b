import { env } from "cloudflare:test";
import { eq, sql } from "drizzle-orm";
import { decodeJwt, decodeProtectedHeader } from "jose";
import { describe, expect, it } from "vitest";
import { apiScopes } from "~/lib/api";
import { authenticateToken, revokeApiToken, signingKeys } from "~/server/api/tokens.server";
import { apiOperations } from "~/server/api/v1/operations.server";
import { changePassword, deleteAccount } from "~/server/auth/accounts.server";
import { createCampaign } from "~/server/campaigns/campaigns.server";
import { createCharacter } from "~/server/campaigns/characters.server";
import { createContextEntry } from "~/server/campaigns/context-entries.server";
import { apiTokens, campaignMembers, dailyUsage } from "~/server/db/schema";
import { utcDay } from "~/server/http/daily-quotas.server";
import { api, json, tokenFor } from "./api-helpers";
import { db, newUser, PASSWORD, services } from "./helpers";
import { storeFile } from "./ingest-helpers";

const keys = signingKeys(env.API_TOKEN_KEYS);
const from = { clientId: "test", knownDevice: null };

async function gmWithCampaign() {
  const gm = await newUser("api");
  const campaign = await createCampaign(db, gm.username, {
    name: `Sunken Crown ${gm.username}`,
    description: "A drowned kingdom.",
    status: "active",
    tags: [],
  });
  return { gm, campaign };
}

describe("API tokens", () => {
  it("authenticate as the account that made them, whose id the token carries", async () => {
    const { gm, campaign } = await gmWithCampaign();
    const { token } = await tokenFor(gm);
    const response = await api("GET", `/campaigns/${campaign.id}`, { token });
    expect(response.status).toBe(200);
    const body = await json(response);
    expect(body).toMatchObject({ id: campaign.id, name: campaign.name, role: "owner" });
    const payload = decodeJwt(token);
    expect(payload.sub).toBe(gm.id);
    expect(payload.scope).toBe("read write files assistant");
  });

  it("answer 401 without a token, with a malformed one, and ignore the session cookie", async () => {
    const { campaign } = await gmWithCampaign();
    const none = await api("GET", `/campaigns/${campaign.id}`);
    expect(none.status).toBe(401);
    expect((await json(none)).error.code).toBe("unauthorized");
    expect(none.headers.get("WWW-Authenticate")).toContain("Bearer");
    const garbage = await api("GET", `/campaigns/${campaign.id}`, { token: "x".repeat(5000) });
    expect(garbage.status).toBe(401);
    const forged = await api("GET", `/campaigns/${campaign.id}`, { token: "aaa.bbb.ccc" });
    expect(forged.status).toBe(401);
  });

  it("expire: a token past its expiry answers 401 token_expired", async () => {
    const { gm, campaign } = await gmWithCampaign();
    const { token } = await tokenFor(gm, { days: 7, now: Date.now() - 8 * 86_400_000 });
    const response = await api("GET", `/campaigns/${campaign.id}`, { token });
    expect(response.status).toBe(401);
    expect((await json(response)).error.code).toBe("token_expired");
  });

  it("are revoked at once: the next request after revoking answers 401", async () => {
    const { gm, campaign } = await gmWithCampaign();
    const { token, id } = await tokenFor(gm);
    expect((await api("GET", `/campaigns/${campaign.id}`, { token })).status).toBe(200);
    expect(await revokeApiToken(db, gm, id)).toBe(true);
    const after = await api("GET", `/campaigns/${campaign.id}`, { token });
    expect(after.status).toBe(401);
    expect((await json(after)).error.message).toMatch(/revoked/);
  });

  it("are revoked by a password change and by deleting the account", async () => {
    const { gm, campaign } = await gmWithCampaign();
    const { token } = await tokenFor(gm);
    await changePassword(db, gm, PASSWORD, `${PASSWORD} again`, from);
    expect((await api("GET", `/campaigns/${campaign.id}`, { token })).status).toBe(401);
    const rows = await db.select().from(apiTokens).where(eq(apiTokens.userId, gm.id));
    expect(rows).toHaveLength(0);

    const leaving = await newUser("api");
    const kept = await tokenFor(leaving);
    await deleteAccount(services, leaving, PASSWORD, from);
    expect((await api("GET", "/campaigns", { token: kept.token })).status).toBe(401);
    expect(await db.select().from(apiTokens).where(eq(apiTokens.id, kept.id))).toHaveLength(0);
  });

  it("stop the moment an account's deletion starts, even if removing its storage is interrupted", async () => {
    const leaving = await newUser("api");
    const { token } = await tokenFor(leaving);
    const interrupted = {
      ...services,
      tracker: () => ({
        destroy: async () => {
          throw new Error("the Durable Object is unreachable");
        },
      }),
    } as unknown as typeof services;
    await expect(deleteAccount(interrupted, leaving, PASSWORD, from)).rejects.toThrow(/unreachable/);
    expect((await api("GET", "/campaigns", { token })).status).toBe(401);
    const create = await api("POST", "/campaigns", { token, body: { name: "After deletion", status: "active" } });
    expect(create.status).toBe(401);
  });

  it("cannot be revoked by another account", async () => {
    const { gm } = await gmWithCampaign();
    const other = await newUser("api");
    const { id } = await tokenFor(gm);
    expect(await revokeApiToken(db, other, id)).toBe(false);
    expect(await db.select().from(apiTokens).where(eq(apiTokens.id, id))).toHaveLength(1);
  });

  it("rotate: a token signed with the older key still verifies until that key is removed", async () => {
    const { gm } = await gmWithCampaign();
    const [current, older] = env.API_TOKEN_KEYS.split(",");
    // Signed while the older key was the signing one.
    const { token } = await tokenFor(gm, { keys: `${older},${current}` });
    expect(decodeProtectedHeader(token).kid).toBe("test-1");
    await expect(authenticateToken(db, keys, token)).resolves.toMatchObject({ user: { id: gm.id } });
    // The older key removed: the token no longer verifies.
    await expect(authenticateToken(db, signingKeys(current), token)).rejects.toThrow(/not valid/);
    // New tokens are signed with the current key.
    const fresh = await tokenFor(gm);
    expect(decodeProtectedHeader(fresh.token).kid).toBe("test-2");
  });

  it("refuse a token whose claims were altered (the signature no longer matches)", async () => {
    const { gm, campaign } = await gmWithCampaign();
    const other = await newUser("api");
    const { token } = await tokenFor(gm, { scopes: ["read"] });
    const [header, , signature] = token.split(".");
    const claims = decodeJwt(token);
    const forged = btoa(JSON.stringify({ ...claims, sub: other.id, scope: "read write files assistant" }))
      .replaceAll("+", "-")
      .replaceAll("/", "_")
      .replace(/=+$/, "");
    const response = await api("GET", `/campaigns/${campaign.id}`, { token: `${header}.${forged}.${signature}` });
    expect(response.status).toBe(401);
  });

  it("record their last use", async () => {
    const { gm, campaign } = await gmWithCampaign();
    const { token, id } = await tokenFor(gm);
    await api("GET", `/campaigns/${campaign.id}`, { token });
    const [row] = await db.select().from(apiTokens).where(eq(apiTokens.id, id));
    expect(row?.lastUsedAt).toBeGreaterThan(Date.now() - 60_000);
  });
});

describe("scopes", () => {
  it("every operation refuses a token without its scope with 403 insufficient_scope", async () => {
    const { gm } = await gmWithCampaign();
    const tokens = Object.fromEntries(
      await Promise.all(
        apiScopes.map(async (scope) => [
          scope,
          (await tokenFor(gm, { scopes: apiScopes.filter((s) => s !== scope) })).token,
        ]),
      ),
    );
    for (const operation of apiOperations) {
      const path = operation.path.replace(/\{\w+\}/g, "1");
      const response = await api(operation.method, path, { token: tokens[operation.scope] });
      expect(response.status, `${operation.method} ${operation.path} without ${operation.scope}`).toBe(403);
      expect((await json(response)).error.code).toBe("insufficient_scope");
    }
  });

  it("a read-only token reads but cannot write", async () => {
    const { gm, campaign } = await gmWithCampaign();
    const { token } = await tokenFor(gm, { scopes: ["read"] });
    expect((await api("GET", `/campaigns/${campaign.id}/entries`, { token })).status).toBe(200);
    const write = await api("POST", `/campaigns/${campaign.id}/entries`, {
      token,
      body: { contextType: "lore", title: "Nope", audience: "gm" },
    });
    expect(write.status).toBe(403);
  });

  it("a campaign-limited token sees only its campaign, and no library-wide operation", async () => {
    const { gm, campaign } = await gmWithCampaign();
    const other = await createCampaign(db, gm.username, {
      name: "Another",
      description: "",
      status: "active",
      tags: [],
    });
    const { token } = await tokenFor(gm, { campaignId: campaign.id });
    const list = await json(await api("GET", "/campaigns", { token }));
    expect(list.data.map((c: { id: string }) => c.id)).toEqual([campaign.id]);
    expect((await api("GET", `/campaigns/${other.id}`, { token })).status).toBe(404);
    const files = await api("GET", "/files", { token });
    expect(files.status).toBe(403);
    expect((await json(files)).error.code).toBe("campaign_limited");
    expect((await api("GET", `/search?q=x&campaignId=${other.id}`, { token })).status).toBe(404);
  });
});

describe("API v1 resources", () => {
  it("creates, reads, pages through, updates (with versions) and deletes entries", async () => {
    const { gm, campaign } = await gmWithCampaign();
    const { token } = await tokenFor(gm);
    const ids: number[] = [];
    for (let i = 1; i <= 5; i++) {
      const created = await api("POST", `/campaigns/${campaign.id}/entries`, {
        token,
        body: {
          contextType: "lore",
          title: `Rumour ${i}`,
          content: `Rumour number ${i}.`,
          tags: "rumour, port",
          audience: "campaign",
        },
      });
      expect(created.status).toBe(201);
      const entry = await json(created);
      expect(entry).toMatchObject({ title: `Rumour ${i}`, tags: ["rumour", "port"], audience: "campaign", version: 1 });
      ids.push(entry.id);
    }
    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const page = await json(
        await api("GET", `/campaigns/${campaign.id}/entries?limit=2${cursor ? `&cursor=${cursor}` : ""}`, { token }),
      );
      expect(page.data.length).toBeLessThanOrEqual(2);
      seen.push(...page.data.map((e: { id: number }) => e.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(ids);

    const [first] = ids;
    const update = {
      contextType: "lore",
      title: "Rumour one, confirmed",
      content: "True.",
      audience: "gm",
      version: 1,
    };
    const saved = await api("PUT", `/campaigns/${campaign.id}/entries/${first}`, { token, body: update });
    expect(saved.status).toBe(200);
    const savedJson = await json(saved);
    expect(savedJson).toMatchObject({ title: "Rumour one, confirmed", version: 2, audience: "gm" });
    // The rename kept the old name for links; what a GET answers can be sent back as it is (arrays or text).
    expect(savedJson.aliases).toHaveLength(1);
    const again = await api("PUT", `/campaigns/${campaign.id}/entries/${first}`, {
      token,
      body: { ...update, tags: ["rumour", "docks"], aliases: savedJson.aliases, version: 2 },
    });
    expect(again.status).toBe(200);
    expect(await json(again)).toMatchObject({ tags: ["rumour", "docks"], aliases: savedJson.aliases, version: 3 });
    const stale = await api("PUT", `/campaigns/${campaign.id}/entries/${first}`, { token, body: update });
    expect(stale.status).toBe(409);
    expect((await json(stale)).error.code).toBe("version_conflict");

    expect((await api("DELETE", `/campaigns/${campaign.id}/entries/${first}`, { token })).status).toBe(204);
    expect((await api("GET", `/campaigns/${campaign.id}/entries/${first}`, { token })).status).toBe(404);
  });

  it("validates bodies and queries with the app's schemas, naming the field", async () => {
    const { gm, campaign } = await gmWithCampaign();
    const { token } = await tokenFor(gm);
    const missing = await api("POST", `/campaigns/${campaign.id}/entries`, { token, body: { contextType: "lore" } });
    expect(missing.status).toBe(400);
    const error = (await json(missing)).error;
    expect(error.code).toBe("invalid_request");
    expect(error.issues.map((i: { path: string }) => i.path)).toContain("body.title");
    const notJson = await api("POST", `/campaigns/${campaign.id}/entries`, {
      token,
      body: "{",
      headers: { "Content-Type": "application/json" },
    });
    expect([400, 415]).toContain(notJson.status);
    const text = await api("POST", `/campaigns/${campaign.id}/entries`, {
      token,
      body: new TextEncoder().encode("title=x"),
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
    });
    expect(text.status).toBe(415);
    expect((await api("GET", `/campaigns/${campaign.id}/entries?limit=5000`, { token })).status).toBe(400);
    expect((await api("GET", `/campaigns/${campaign.id}/entries?cursor=bm9wZQ`, { token })).status).toBe(400);
    expect((await api("GET", "/campaigns/not-a-uuid", { token })).status).toBe(400);
    expect((await api("GET", "/nowhere", { token })).status).toBe(404);
    const wrongMethod = await api("PUT", "/campaigns", { token });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get("Allow")).toBe("GET, POST");
  });

  it("players read only what is shared with them, without secret blocks", async () => {
    const { gm, campaign } = await gmWithCampaign();
    const player = await newUser("player");
    await db
      .insert(campaignMembers)
      .values({ campaignId: campaign.id, accountId: player.id, role: "player", addedBy: gm.id });
    await createContextEntry(db, campaign, {
      contextType: "lore",
      title: "The duke's secret",
      content: "Only GMs.",
      tags: [],
      audience: "gm",
    });
    await createContextEntry(db, campaign, {
      contextType: "lore",
      title: "The harbour",
      content: "Ships come and go.\n\n```secret\nThe harbourmaster is a smuggler.\n```\n",
      tags: [],
      audience: "campaign",
    });
    await createCharacter(db, campaign, {
      characterName: "Hidden villain",
      characterType: "npc",
      status: "alive",
      backstory: "",
      stats: [],
      audience: "gm",
    });
    const { token } = await tokenFor(player);
    const entries = await json(await api("GET", `/campaigns/${campaign.id}/entries`, { token }));
    expect(entries.data.map((e: { title: string }) => e.title)).toEqual(["The harbour"]);
    expect(JSON.stringify(entries)).not.toContain("smuggler");
    const characters = await json(await api("GET", `/campaigns/${campaign.id}/characters`, { token }));
    expect(characters.data).toEqual([]);
    // A shared character whose sheet is a library file the player may not open: the key is not hinted at.
    const sheet = await storeFile(
      gm.username,
      "villain-sheet.json",
      new TextEncoder().encode("{}"),
      "application/json",
    );
    const shared = await createCharacter(db, campaign, {
      characterName: "Harbourmaster",
      characterType: "npc",
      status: "alive",
      backstory: "",
      stats: [],
      sheetFileKey: sheet.fileKey,
      audience: "campaign",
    });
    const seen = await json(await api("GET", `/campaigns/${campaign.id}/characters/${shared.id}`, { token }));
    expect(seen).toMatchObject({ name: "Harbourmaster", sheetFileKey: null });
    const gmToken = (await tokenFor(gm)).token;
    const asGm = await json(await api("GET", `/campaigns/${campaign.id}/characters/${shared.id}`, { token: gmToken }));
    expect(asGm.sheetFileKey).toBe(sheet.fileKey);
    // A player may not write material, whatever the token's scopes: the same 404 as the pages.
    const write = await api("POST", `/campaigns/${campaign.id}/entries`, {
      token,
      body: { contextType: "lore", title: "Mine now", audience: "campaign" },
    });
    expect(write.status).toBe(404);
  });
});

describe("limits and quotas", () => {
  it("a token past its per-minute limit gets 429 with Retry-After and the RateLimit fields", async () => {
    const { gm } = await gmWithCampaign();
    const { token } = await tokenFor(gm, { scopes: ["read"] });
    let limited: Response | null = null;
    // Past a fixed window's boundary the count starts again: 400 calls reach 120 in one window.
    for (let i = 0; i < 400 && !limited; i++) {
      const response = await api("GET", "/jobs", { token });
      if (response.status === 429) limited = response;
      else expect(response.status).toBe(200);
    }
    expect(limited, "the limiter never refused").not.toBeNull();
    expect(limited?.headers.get("Retry-After")).toBe("60");
    expect(limited?.headers.get("RateLimit")).toBe('"api";r=0;t=60');
    expect(limited?.headers.get("RateLimit-Policy")).toContain('"api";q=120;w=60');
    expect((await json(limited as Response)).error.code).toBe("rate_limited");
    // Another token of the same account still has its own allowance.
    const second = await tokenFor(gm, { scopes: ["read"] });
    expect((await api("GET", "/jobs", { token: second.token })).status).toBe(200);
  });

  it("an account's tokens share one per-minute allowance: more tokens are not more requests", async () => {
    const { gm } = await gmWithCampaign();
    const tokens = await Promise.all([1, 2, 3].map(() => tokenFor(gm, { scopes: ["read"] })));
    let limited: Response | null = null;
    // The binding counts in fixed 60-second windows, and a slow machine can spread these calls
    // across a boundary: keep going into the next window. In any one window the account's 300
    // come before any token's 120 (each token sends a third of the calls), so the first 429 is the account's.
    for (let i = 0; i < 400 && !limited; i++) {
      for (const { token } of tokens) {
        const response = await api("GET", "/jobs", { token });
        if (response.status === 429) {
          limited = response;
          break;
        }
      }
    }
    expect(limited, "three tokens made 1,200 requests unrefused").not.toBeNull();
    expect(limited?.headers.get("RateLimit")).toBe('"apiAccount";r=0;t=60');
    expect((await json(limited as Response)).error.message).toMatch(/tokens together/);
  });

  it("counts API calls against the daily quota, says what is left, and refuses past it until the next UTC day", async () => {
    const { gm } = await gmWithCampaign();
    const { token } = await tokenFor(gm, { scopes: ["read"] });
    const quota = Number(env.DAILY_API_CALLS);
    const first = await api("GET", "/jobs", { token });
    expect(first.headers.get("RateLimit")).toBe(
      `"daily-api-calls";r=${quota - 1};t=${first.headers.get("RateLimit")?.split("t=")[1]}`,
    );
    expect(first.headers.get("RateLimit-Policy")).toContain(`"daily-api-calls";q=${quota};w=86400`);
    // Spend the rest of today's calls at once.
    await db
      .update(dailyUsage)
      .set({ apiCalls: quota - 1 })
      .where(sql`${dailyUsage.userId} = ${gm.id} AND ${dailyUsage.day} = ${utcDay(Date.now())}`);
    const last = await api("GET", "/jobs", { token });
    expect(last.status).toBe(200);
    expect(last.headers.get("RateLimit")).toMatch(/^"daily-api-calls";r=0;t=\d+$/);
    const refused = await api("GET", "/jobs", { token });
    expect(refused.status).toBe(429);
    const body = await json(refused);
    expect(body.error.code).toBe("quota_exceeded");
    expect(body.error.message).toMatch(/midnight UTC/);
    expect(Number(refused.headers.get("Retry-After"))).toBeGreaterThan(0);
    expect(Number(refused.headers.get("Retry-After"))).toBeLessThanOrEqual(86_400);
  });
});

describe("files, search and the assistant through the API", () => {
  it("uploads in one request, reads the details, downloads with Range, and deletes", async () => {
    const { gm } = await gmWithCampaign();
    const { token } = await tokenFor(gm);
    const bytes = new TextEncoder().encode("# Harbour rules\n\nNo duels on the docks.\n");
    const put = await api("PUT", "/files?name=harbour.md", { token, body: bytes });
    expect(put.status).toBe(201);
    const stored = await json(put);
    expect(stored).toMatchObject({ fileName: "harbour.md", created: true, version: 1, size: bytes.length });
    const details = await json(await api("GET", `/files/${stored.fileKey}`, { token }));
    expect(details).toMatchObject({ fileKey: stored.fileKey, fileName: "harbour.md", size: bytes.length });
    const listed = await json(await api("GET", "/files", { token }));
    expect(listed.data.map((f: { fileKey: string }) => f.fileKey)).toContain(stored.fileKey);
    const whole = await api("GET", `/files/${stored.fileKey}/content`, { token });
    expect(new Uint8Array(await whole.arrayBuffer())).toEqual(bytes);
    const part = await api("GET", `/files/${stored.fileKey}/content`, { token, headers: { Range: "bytes=2-8" } });
    expect(part.status).toBe(206);
    expect(await part.text()).toBe("Harbour");
    expect((await api("DELETE", `/files/${stored.fileKey}`, { token })).status).toBe(204);
    expect((await api("GET", `/files/${stored.fileKey}`, { token })).status).toBe(404);
  });

  it("counts uploaded bytes against the daily quota and gives back what a refused upload took", async () => {
    const { gm } = await gmWithCampaign();
    const { token } = await tokenFor(gm);
    const exe = new Uint8Array([0x4d, 0x5a, 0x90, 0x00, ...new Uint8Array(60)]);
    const refused = await api("PUT", "/files?name=tool.exe", { token, body: exe });
    expect(refused.status).toBeGreaterThanOrEqual(400);
    const bytes = new TextEncoder().encode("# Notes\n");
    expect((await api("PUT", "/files?name=notes.md", { token, body: bytes })).status).toBe(201);
    const [usage] = await db.select().from(dailyUsage).where(eq(dailyUsage.userId, gm.id));
    expect(usage?.uploadBytes).toBe(bytes.length);
  });

  it("runs the resumable multipart protocol: start, parts, state, complete", async () => {
    const { gm } = await gmWithCampaign();
    const { token } = await tokenFor(gm);
    const size = 10 * 1024 * 1024 + 100;
    const content = new Uint8Array(size);
    content.set(new TextEncoder().encode("%PDF-1.4\n"));
    const started = await api("POST", "/uploads", { token, body: { fileName: "module.pdf", size } });
    expect(started.status).toBe(201);
    const upload = await json(started);
    expect(upload).toMatchObject({ partCount: 2, partsDone: [] });
    const first = await api("PUT", `/uploads/${upload.uploadId}/parts/1`, {
      token,
      body: content.slice(0, upload.partSize),
    });
    expect(first.status).toBe(200);
    expect((await json(await api("GET", `/uploads/${upload.uploadId}`, { token }))).partsDone).toEqual([1]);
    await api("PUT", `/uploads/${upload.uploadId}/parts/2`, { token, body: content.slice(upload.partSize) });
    const done = await api("POST", `/uploads/${upload.uploadId}/complete`, { token });
    expect(done.status).toBe(201);
    expect(await json(done)).toMatchObject({ fileName: "module.pdf", size, created: true });
  });

  it("searches what the token's account may see, and streams an assistant answer with its sources", async () => {
    const { gm, campaign } = await gmWithCampaign();
    await createContextEntry(db, campaign, {
      contextType: "lore",
      title: "The bell of Saint Orlo",
      content: "The drowned bell of Saint Orlo rings when the tide turns, and the dead answer it.",
      tags: [],
      audience: "gm",
    });
    const { token } = await tokenFor(gm);
    const found = await json(await api("GET", `/search?q=drowned+bell&campaignId=${campaign.id}`, { token }));
    expect(found.data[0]).toMatchObject({ kind: "context", title: "The bell of Saint Orlo" });
    expect(found.data[0].snippet).toContain("bell");

    const conversation = await json(
      await api("POST", `/campaigns/${campaign.id}/conversations`, { token, body: { title: "Bells" } }),
    );
    const answer = await api("POST", `/campaigns/${campaign.id}/conversations/${conversation.id}/messages`, {
      token,
      body: { question: "What happens when the bell of Saint Orlo rings?" },
    });
    expect(answer.status).toBe(200);
    expect(answer.headers.get("Content-Type")).toContain("application/x-ndjson");
    const events = (await answer.text())
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(events[0].type).toBe("sources");
    expect(events[0].citations[0].title).toBe("The bell of Saint Orlo");
    expect(events.at(-1).type).toBe("done");
    const messages = await json(
      await api("GET", `/campaigns/${campaign.id}/conversations/${conversation.id}/messages`, { token }),
    );
    expect(messages.data.map((m: { role: string }) => m.role)).toEqual(["user", "assistant"]);
    const [usage] = await db.select().from(dailyUsage).where(eq(dailyUsage.userId, gm.id));
    expect(usage?.questions).toBe(1);
  });
});

describe("the OpenAPI document", () => {
  it("describes every operation from its schemas, and every reference resolves", async () => {
    const response = await api("GET", "/openapi.json");
    expect(response.status).toBe(200);
    const document = await json(response);
    expect(document.openapi).toBe("3.1.0");
    for (const operation of apiOperations) {
      const described = document.paths[operation.path]?.[operation.method.toLowerCase()];
      expect(described, `${operation.method} ${operation.path}`).toMatchObject({
        operationId: operation.id,
        security: [{ bearerToken: [operation.scope] }],
      });
    }
    // The entry body is the app's own form schema: its fields and their bounds.
    const entryBody = document.components.schemas.createEntryBody;
    expect(entryBody.required).toEqual(expect.arrayContaining(["contextType", "title"]));
    expect(entryBody.properties.title.maxLength).toBe(200);
    expect(entryBody.properties.content.maxLength).toBe(50_000);
    expect(document.components.schemas.Entry.properties.version.type).toBe("integer");
    const refs = JSON.stringify(document).match(/"#\/components\/schemas\/[^"]+"/g) ?? [];
    for (const ref of refs) {
      const name = ref.slice('"#/components/schemas/'.length, -1);
      expect(document.components.schemas[name], ref).toBeDefined();
    }
  });
});
