import { env } from "cloudflare:workers";
import type { RouteConfigEntry } from "@react-router/dev/routes";
import { isRouteErrorResponse, type RouterContextProvider } from "react-router";
import { beforeAll, describe, expect, it } from "vitest";
import routes from "~/routes";
import { createConversation } from "~/server/assistant/conversations.server";
import { createCampaign } from "~/server/campaigns/campaigns.server";
import { createCharacter } from "~/server/campaigns/characters.server";
import { createContextEntry } from "~/server/campaigns/context-entries.server";
import type { Campaign, User } from "~/server/db/schema";
import { uploadFile } from "~/server/files/files.server";
import { startMultipartUpload } from "~/server/files/multipart.server";
import { db, newRouterContext, newUser, sessionCookieFor } from "./helpers";

/**
 * Walks the real route table: every route whose path carries an id (campaign, entry,
 * character, …) is requested by a second user with the first user's ids — loader and
 * action alike — and must answer 404. A route added later without a guard fails here.
 */

type Middleware = (args: unknown, next: () => Promise<Response>) => Promise<Response | undefined>;
interface RouteModule {
  middleware?: Middleware[];
  loader?: (args: unknown) => unknown;
  action?: (args: unknown) => unknown;
}

const modules = import.meta.glob<RouteModule>(["../app/root.tsx", "../app/routes/**/*.{ts,tsx}"]);
const load = (file: string): Promise<RouteModule> => {
  const importer = modules[`../app/${file}`];
  if (!importer) throw new Error(`route module ${file} not found`);
  return importer();
};

interface FlatRoute {
  path: string;
  files: string[]; // root first, leaf last
}

function flatten(entries: RouteConfigEntry[], parentPath: string, parentFiles: string[]): FlatRoute[] {
  return entries.flatMap((entry) => {
    const path = entry.path ? `${parentPath}/${entry.path}`.replace(/\/+/g, "/") : parentPath;
    const files = [...parentFiles, entry.file];
    return [{ path: path || "/", files }, ...flatten(entry.children ?? [], path, files)];
  });
}

const allRoutes = flatten(routes, "", ["root.tsx"]);
const idRoutes = allRoutes.filter((route) => route.path.includes("/:"));

/** Status of whatever a loader/action returned or threw. */
function statusOf(outcome: unknown): number {
  if (outcome instanceof Response) return outcome.status;
  if (isRouteErrorResponse(outcome)) return outcome.status;
  if (outcome && typeof outcome === "object" && "init" in outcome && "data" in outcome) {
    return (outcome as { init?: { status?: number } }).init?.status ?? 200;
  }
  if (outcome instanceof Error) throw outcome;
  return 200;
}

/** Runs the route's middleware chain (root → leaf) around its loader or action, as React Router does. */
async function call(
  route: FlatRoute,
  kind: "loader" | "action",
  url: string,
  cookie: string,
  params: Record<string, string>,
  form: Record<string, string> = { intent: "delete", version: "1" },
) {
  const chain = await Promise.all(route.files.map(load));
  const leaf = chain.at(-1);
  const handler = leaf?.[kind];
  if (!handler) return null;
  const request = new Request(url, {
    method: kind === "loader" ? "GET" : "POST",
    headers: { Cookie: cookie, Origin: "http://localhost", "Content-Type": "application/x-www-form-urlencoded" },
    body: kind === "action" ? new URLSearchParams(form) : undefined,
  });
  const context: RouterContextProvider = newRouterContext();
  const args = { request, context, params, unstable_pattern: route.path };
  const middlewares = chain.flatMap((module) => module.middleware ?? []);
  const run = async (index: number): Promise<Response> => {
    try {
      const middleware = middlewares[index];
      if (middleware) return (await middleware(args, () => run(index + 1))) ?? run(index + 1);
      return new Response(null, { status: statusOf(await handler(args)) });
    } catch (thrown) {
      return new Response(null, { status: statusOf(thrown) });
    }
  };
  return (await run(0)).status;
}

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
    const { file } = await uploadFile(
      { db, files: env.FILES, tracker: env.USER_FILE_TRACKER, limits: { maxFileBytes: 1e6, maxUserBytes: 1e7 } },
      owner.username,
      { fileName: "secret notes.md", size: 14, body: new Blob(["# Secret lair\n"]).stream() },
    );
    const upload = await startMultipartUpload(
      { db, files: env.FILES, tracker: env.USER_FILE_TRACKER, limits: { maxFileBytes: 1e9, maxUserBytes: 1e10 } },
      owner.username,
      { fileName: "big secret.pdf", size: 60 * 1024 * 1024 },
    );
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
    const file = allRoutes.find((route) => route.path === "/library/:fileKey");
    if (!file) throw new Error("no file route");
    for (const intent of ["cancel", "retry"]) {
      const form = { intent, returnTo: "/library" };
      expect(await call(file, "action", fill(file.path), intruderCookie, params, form), intent).toBe(404);
      expect(await call(file, "action", fill(file.path), ownerCookie, params, form), intent).toBe(302);
    }
    const { loader } = await load("routes/api/jobs.ts");
    const jobsOf = async (cookie: string) => {
      const context = newRouterContext();
      const request = new Request("http://localhost/api/jobs", { headers: { Cookie: cookie } });
      const args = { request, context, params: {} };
      const [session] = (await load("root.tsx")).middleware ?? [];
      let body: unknown;
      await session?.(args, async () => {
        body = await loader?.(args);
        return new Response();
      });
      return (body as { jobs: { fileKey: string }[] }).jobs.map((job) => job.fileKey);
    };
    expect(await jobsOf(ownerCookie)).toContain(params.fileKey);
    expect(await jobsOf(intruderCookie)).toEqual([]);
  });

  it("refuses searches scoped to another user's campaign or file, in the API and the page", async () => {
    for (const path of ["/api/search", "/search"]) {
      const route = allRoutes.find((r) => r.path === path);
      if (!route) throw new Error(`no ${path} route`);
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
    expect(env.DB).toBeDefined();
  });
});
