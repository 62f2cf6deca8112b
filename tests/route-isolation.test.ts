import { beforeAll, describe, expect, it } from "vitest";
import { createConversation } from "~/server/assistant/conversations.server";
import { createCampaign } from "~/server/campaigns/campaigns.server";
import { createCharacter } from "~/server/campaigns/characters.server";
import { createContextEntry } from "~/server/campaigns/context-entries.server";
import { requireCampaignMiddleware } from "~/server/campaigns/guards.server";
import type { Campaign, User } from "~/server/db/schema";
import { uploadFile } from "~/server/files/files.server";
import { requireFileMiddleware } from "~/server/files/guards.server";
import { startMultipartUpload } from "~/server/files/multipart.server";
import { db, fileStores, newUser, sessionCookieFor } from "./helpers";
import { allRoutes, callRoute, type FlatRoute, loadRouteModule, routeAt } from "./route-walk";

/**
 * Walks the real route table: every route whose path carries an id (campaign, entry,
 * character, …) is requested by a second user with the first user's ids — loader and
 * action alike — and must answer 404. A route added later without a guard fails here.
 */

const idRoutes = allRoutes.filter((route) => route.path.includes("/:"));

/** The status a route answers (null: no such handler), its middleware chain run as React Router runs it. */
const call = async (
  route: FlatRoute,
  kind: "loader" | "action",
  url: string,
  cookie: string,
  params: Record<string, string>,
  form?: Record<string, string>,
) => (await callRoute(route, kind, url, { cookie, params, form }))?.status ?? null;

describe("every route with an id is scoped to its owner", () => {
  let owner: User;
  let intruderCookie: string;
  let ownerCookie: string;
  let params: Record<string, string>;

  beforeAll(async () => {
    owner = await newUser("owner");
    const intruder = await newUser("intruder");
    ownerCookie = await sessionCookieFor(owner);
    intruderCookie = await sessionCookieFor(intruder);
    const input = { name: "Owner's campaign", description: "", status: "active" as const, tags: [] };
    const campaign: Campaign = await createCampaign(db, owner.username, input);
    const entry = await createContextEntry(db, campaign, {
      contextType: "location",
      title: "Secret lair",
      content: "",
      tags: [],
      gmOnly: true,
    });
    const character = await createCharacter(db, campaign, {
      characterName: "Hidden villain",
      characterType: "npc",
      status: "alive",
      backstory: "",
      stats: [],
    });
    const { file } = await uploadFile(fileStores({ maxFileBytes: 1e6, maxUserBytes: 1e7 }), owner, {
      fileName: "secret notes.md",
      size: 14,
      body: new Blob(["# Secret lair\n"]).stream(),
    });
    const upload = await startMultipartUpload(fileStores({ maxFileBytes: 1e9, maxUserBytes: 1e10 }), owner, {
      fileName: "big secret.pdf",
      size: 60 * 1024 * 1024,
    });
    const conversation = await createConversation(db, campaign);
    params = {
      chatId: conversation.id,
      campaignId: campaign.id,
      entryId: String(entry.id),
      characterId: String(character.id),
      fileKey: file.fileKey,
      uploadId: upload.uploadId,
      partNumber: "1",
    };
  });

  const fill = (path: string) =>
    `http://localhost${path.replace(/:(\w+)\??/g, (_, name: string) => {
      const value = params[name];
      if (!value) throw new Error(`The isolation test has no value for :${name} in ${path}: add one.`);
      return value;
    })}`;

  it("covers every campaign, context, character and API route", () => {
    const paths = idRoutes.map((route) => route.path);
    for (const expected of [
      "/campaigns/:campaignId",
      "/campaigns/:campaignId/edit",
      "/campaigns/:campaignId/context/:entryId/edit",
      "/campaigns/:campaignId/characters/:characterId/edit",
      "/api/campaigns/:campaignId",
      "/library/:fileKey",
      "/files/:fileKey",
      "/api/uploads/:uploadId",
      "/api/uploads/:uploadId/parts/:partNumber",
    ]) {
      expect(paths).toContain(expected);
    }
    expect(idRoutes.length).toBeGreaterThanOrEqual(15);
  });

  it("loads every campaign and file in the URL through its guard middleware, before any handler runs", async () => {
    for (const route of idRoutes) {
      const chain = (await Promise.all(route.files.map(loadRouteModule))).flatMap((module) => module.middleware ?? []);
      if (route.path.includes(":campaignId")) expect(chain, route.path).toContain(requireCampaignMiddleware);
      if (route.path.includes(":fileKey")) expect(chain, route.path).toContain(requireFileMiddleware);
    }
  });

  it("answers 404 to another user for every loader and action", async () => {
    const failures: string[] = [];
    let checked = 0;
    for (const route of idRoutes) {
      for (const kind of ["loader", "action"] as const) {
        const status = await call(route, kind, fill(route.path), intruderCookie, params);
        if (status === null) continue;
        checked += 1;
        if (status !== 404) failures.push(`${kind} ${route.path} answered ${status}`);
      }
    }
    expect(failures).toEqual([]);
    expect(checked).toBeGreaterThanOrEqual(idRoutes.length);
  });

  it("answers the owner (so the 404s above are about ownership, not broken routes)", async () => {
    for (const route of idRoutes) {
      const status = await call(route, "loader", fill(route.path), ownerCookie, params);
      if (status === null) continue;
      expect(status, `loader ${route.path}`).toBe(200);
    }
  });

  it("answers 404 for ids that do not exist at all", async () => {
    const missing = {
      chatId: crypto.randomUUID(),
      campaignId: crypto.randomUUID(),
      entryId: "999999",
      characterId: "999999",
      fileKey: "0".repeat(32),
      uploadId: crypto.randomUUID(),
      partNumber: "1",
    };
    for (const route of idRoutes) {
      const url = `http://localhost${route.path.replace(/:(\w+)/g, (_, name: string) => missing[name as keyof typeof missing])}`;
      const status = await call(route, "loader", url, ownerCookie, missing);
      if (status === null) continue;
      expect(status, `loader ${route.path}`).toBe(404);
    }
  });

  it("lets only the owner retry or cancel a file's processing, and lists only the caller's jobs", async () => {
    const file = routeAt("/library/:fileKey");
    for (const intent of ["cancel", "retry"]) {
      const form = { intent, returnTo: "/library" };
      expect(await call(file, "action", fill(file.path), intruderCookie, params, form), intent).toBe(404);
      expect(await call(file, "action", fill(file.path), ownerCookie, params, form), intent).toBe(302);
    }
    const jobsOf = async (cookie: string) => {
      const response = await callRoute(routeAt("/api/jobs"), "loader", "http://localhost/api/jobs", {
        cookie,
        params: {},
      });
      if (!response) throw new Error("/api/jobs has no loader");
      const { jobs } = (await response.json()) as { jobs: { fileKey: string }[] };
      return jobs.map((job) => job.fileKey);
    };
    expect(await jobsOf(ownerCookie)).toContain(params.fileKey);
    expect(await jobsOf(intruderCookie)).toEqual([]);
  });

  it("refuses searches scoped to another user's campaign or file, in the API and the page", async () => {
    for (const path of ["/api/search", "/search"]) {
      const route = routeAt(path);
      for (const scope of [`campaignId=${params.campaignId}`, `fileKey=${params.fileKey}`]) {
        const url = `http://localhost${path}?q=secret&${scope}`;
        expect(await call(route, "loader", url, intruderCookie, {}), `${path}?${scope}`).toBe(404);
        expect(await call(route, "loader", url, ownerCookie, {}), `${path}?${scope}`).toBe(200);
      }
    }
  });

  it("answers the JSON API with 401 when signed out", async () => {
    const api = idRoutes.find((route) => route.path.startsWith("/api/"));
    if (!api) throw new Error("no API route");
    expect(await call(api, "loader", fill(api.path), "", params)).toBe(401);
  });
});

describe("account pages without ids answer only for the signed-in account", () => {
  it("sends a signed-out visitor of the recovery codes to sign in, shows a user only their own count, and lets anyone reach /recover", async () => {
    const owner = await newUser("codes-owner");
    const other = await newUser("codes-other");
    const codes = routeAt("/settings/recovery-codes");
    const signedOut = await callRoute(codes, "loader", "http://localhost/settings/recovery-codes", {
      cookie: "",
      params: {},
    });
    expect(signedOut?.status).toBe(302);
    expect(signedOut?.headers.get("Location")).toMatch(/^\/login/);
    const regenerate = await callRoute(codes, "action", "http://localhost/settings/recovery-codes", {
      cookie: "",
      params: {},
      form: { intent: "regenerate" },
    });
    expect(regenerate?.status).toBe(302);
    const page = await callRoute(codes, "loader", "http://localhost/settings/recovery-codes", {
      cookie: await sessionCookieFor(other),
      params: {},
    });
    const body = await page?.json();
    expect(body).toMatchObject({ username: other.username, codes: null });
    expect(JSON.stringify(body)).not.toContain(owner.username);
    const recover = await callRoute(routeAt("/recover"), "loader", "http://localhost/recover", {
      cookie: "",
      params: {},
    });
    expect(recover?.status).toBe(200);
  });
});
