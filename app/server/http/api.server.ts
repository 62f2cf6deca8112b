import type { MiddlewareFunction, RouterContextProvider } from "react-router";
import type { User } from "../db/schema";
import { getRequestState, getServices } from "../request.server";
import type { Services } from "../services.server";
import { httpError, Refusal } from "./responses.server";

/**
 * The JSON API (app/routes/api/*): one layout middleware answers 401 to a signed-out
 * caller, and one wrapper gives each handler the caller and the services and turns
 * refusals into `{ error }` with their status. Guards' 404s are `{ error }` already.
 */

function unauthorized(): Response {
  return httpError(401, "Sign in to use the API.");
}

/** Middleware of the API layout: nothing below it runs for a signed-out caller. */
export const requireApiUserMiddleware: MiddlewareFunction<Response> = ({ context }) => {
  if (!getRequestState(context).user) return unauthorized();
};

export interface ApiCaller {
  user: User;
  services: Services;
}

export async function jsonApi<T>(
  context: Readonly<RouterContextProvider>,
  handle: (caller: ApiCaller) => Promise<T>,
): Promise<T | Response> {
  const { user } = getRequestState(context);
  if (!user) return unauthorized();
  try {
    return await handle({ user, services: getServices(context) });
  } catch (error) {
    if (error instanceof Refusal) return httpError(error.status, error.message, error.headers);
    throw error;
  }
}

export function contentLength(request: Request): number {
  return Number(request.headers.get("Content-Length") ?? Number.NaN);
}
