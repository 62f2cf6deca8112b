import type { RouteConfigEntry } from "@react-router/dev/routes";
import { isRouteErrorResponse, type RouterContextProvider } from "react-router";
import routes from "~/routes";
import { newRouterContext } from "./helpers";

/**
 * Walks the real route table (app/routes.ts) and calls any route's loader or action the
 * way React Router does: with the middleware of every route above it, root first. The
 * role matrix (role-matrix.test.ts) uses it, and every later role or scope check extends
 * it rather than copying it.
 */

type Middleware = (args: unknown, next: () => Promise<Response>) => Promise<Response | undefined>;
export interface RouteModule {
  middleware?: Middleware[];
  loader?: (args: unknown) => unknown;
  action?: (args: unknown) => unknown;
}

const modules = import.meta.glob<RouteModule>(["../app/root.tsx", "../app/routes/**/*.{ts,tsx}"]);

export function loadRouteModule(file: string): Promise<RouteModule> {
  const importer = modules[`../app/${file}`];
  if (!importer) throw new Error(`route module ${file} not found`);
  return importer();
}

export interface FlatRoute {
  path: string;
  /** Module files from the root to this route. */
  files: string[];
}

function flatten(entries: RouteConfigEntry[], parentPath: string, parentFiles: string[]): FlatRoute[] {
  return entries.flatMap((entry) => {
    const path = entry.path ? `${parentPath}/${entry.path}`.replace(/\/+/g, "/") : parentPath;
    const files = [...parentFiles, entry.file];
    return [{ path: path || "/", files }, ...flatten(entry.children ?? [], path, files)];
  });
}

/** Every route, layouts included (a layout and its index route share a path). */
export const allRoutes: FlatRoute[] = flatten(routes, "", ["root.tsx"]);

/** The route that answers `path`: the deepest of those with that path (an index below its layout). */
export function routeAt(path: string): FlatRoute {
  const route = allRoutes.findLast((r) => r.path === path);
  if (!route) throw new Error(`no route at ${path}`);
  return route;
}

/** The HTTP status of whatever a loader/action returned or threw. */
export function statusOf(outcome: unknown): number {
  if (outcome instanceof Response) return outcome.status;
  if (isRouteErrorResponse(outcome)) return outcome.status;
  if (outcome && typeof outcome === "object" && "init" in outcome && "data" in outcome) {
    return (outcome as { init?: { status?: number } }).init?.status ?? 200;
  }
  if (outcome instanceof Error) throw outcome;
  return 200;
}

export interface CallOptions {
  cookie: string;
  params: Record<string, string>;
  /** The action's form fields (urlencoded); pairs where a field repeats (checkboxes). */
  form?: Record<string, string> | [string, string][];
  headers?: Record<string, string>;
  /** The request's router context, to read back what the handlers put on it. */
  context?: RouterContextProvider;
  /** A multipart body instead of `form` (a file upload). */
  multipart?: FormData;
}

/** What a handler returned, as the response React Router would send (plain data as JSON). */
function asResponse(outcome: unknown): Response {
  if (outcome instanceof Response) return outcome;
  if (outcome && typeof outcome === "object" && "init" in outcome && "data" in outcome) {
    const { data, init } = outcome as { data: unknown; init?: ResponseInit };
    return Response.json(data, init);
  }
  return Response.json(outcome ?? null);
}

/**
 * Runs the route's middleware chain around its loader (GET) or action (POST) and
 * answers its response; null when the route has no such handler.
 */
export async function callRoute(
  route: FlatRoute,
  kind: "loader" | "action",
  url: string,
  {
    cookie,
    params,
    form = { intent: "delete", version: "1" },
    headers = {},
    context = newRouterContext(),
    multipart,
  }: CallOptions,
): Promise<Response | null> {
  const chain = await Promise.all(route.files.map(loadRouteModule));
  const handler = chain.at(-1)?.[kind];
  if (!handler) return null;
  const request = new Request(url, {
    method: kind === "loader" ? "GET" : "POST",
    headers: {
      Cookie: cookie,
      Origin: "http://localhost",
      // A multipart body sets its own Content-Type (with its boundary).
      ...(multipart ? {} : { "Content-Type": "application/x-www-form-urlencoded" }),
      ...headers,
    },
    body: kind === "action" ? (multipart ?? new URLSearchParams(form)) : undefined,
  });
  const args = { request, context, params, pattern: route.path, unstable_pattern: route.path };
  const middlewares = chain.flatMap((module) => module.middleware ?? []);
  const run = async (index: number): Promise<Response> => {
    try {
      const middleware = middlewares[index];
      if (middleware) return (await middleware(args, () => run(index + 1))) ?? run(index + 1);
      return asResponse(await handler(args));
    } catch (thrown) {
      return thrown instanceof Response ? thrown : new Response(null, { status: statusOf(thrown) });
    }
  };
  return run(0);
}
