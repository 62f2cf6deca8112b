import { Outlet } from "react-router";
import { AppShell } from "~/components/app-shell";
import { ErrorPage } from "~/components/error-page";
import { ToastMessage } from "~/components/toast";
import { limitRequest, requireUser } from "~/server/request.server";
import type { Route } from "./+types/app-layout";

/**
 * Guards every signed-in page before any of their loaders or actions run, and counts
 * every change a person makes against the account's write limit (ADR 0018).
 */
export const middleware: Route.MiddlewareFunction[] = [
  async ({ request, context }) => {
    requireUser(context, request);
    if (request.method !== "GET" && request.method !== "HEAD") await limitRequest(context, request, "write");
  },
];

export function loader({ request, context }: Route.LoaderArgs) {
  const user = requireUser(context, request);
  return { username: user.username };
}

export default function AppLayout({ loaderData }: Route.ComponentProps) {
  return (
    <AppShell username={loaderData.username}>
      <Outlet />
      <ToastMessage />
    </AppShell>
  );
}

export function ErrorBoundary({ error }: Route.ErrorBoundaryProps) {
  return <ErrorPage error={error} />;
}
