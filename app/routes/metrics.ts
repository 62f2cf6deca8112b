import { notFound } from "~/server/http/responses.server";
import { metricsTokenMatches } from "~/server/metrics/metrics.server";
import { prometheusText } from "~/server/metrics/prometheus.server";
import { getServices } from "~/server/request.server";
import type { Route } from "./+types/metrics";

/**
 * The app's metrics for Prometheus (and anything that scrapes its text format), behind
 * the METRICS_TOKEN secret as a bearer token. Without the secret it does not exist (404);
 * a wrong or missing token is told to authenticate (401).
 */
export async function loader({ request, context }: Route.LoaderArgs) {
  const { operations } = getServices(context);
  if (!operations.metricsToken) notFound();
  if (!(await metricsTokenMatches(operations.metricsToken, request.headers.get("Authorization")))) {
    return new Response("Send the METRICS_TOKEN secret as `Authorization: Bearer <token>`.\n", {
      status: 401,
      headers: {
        "WWW-Authenticate": 'Bearer realm="metrics"',
        "Content-Type": "text/plain; charset=utf-8",
        "Cache-Control": "no-store",
      },
    });
  }
  await operations.flush();
  return new Response(prometheusText(await operations.store.totals()), {
    headers: { "Content-Type": "text/plain; version=0.0.4; charset=utf-8", "Cache-Control": "no-store" },
  });
}
