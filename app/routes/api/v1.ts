import { handleApiV1 } from "~/server/api/v1/router.server";
import type { Route } from "./+types/v1";

/**
 * /api/v1/* — the public API (ADR 0032): every operation is declared with its schemas in
 * app/server/api/v1 and served by one router; `GET /api/v1/openapi.json` describes them.
 */
export function loader({ request, context }: Route.LoaderArgs) {
  return handleApiV1(request, context);
}

export function action({ request, context }: Route.ActionArgs) {
  return handleApiV1(request, context);
}
