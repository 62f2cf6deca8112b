import { requireApiUserMiddleware } from "~/server/http/api.server";
import type { Route } from "./+types/layout";

/** The JSON API: no page of its own; a signed-out caller gets 401 before any endpoint runs. */
export const middleware: Route.MiddlewareFunction[] = [requireApiUserMiddleware];
