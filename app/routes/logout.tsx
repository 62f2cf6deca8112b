import { redirect } from "react-router";
import { endSession } from "~/server/auth/sign-in.server";
import { getRequestState, getServices } from "~/server/request.server";
import type { Route } from "./+types/logout";

/** Signing out is a POST (a link cannot sign someone out); GET just goes home. */
export function loader() {
  return redirect("/");
}

export async function action({ context }: Route.ActionArgs) {
  return redirect("/login?signedOut=1", { headers: await endSession(getRequestState(context), getServices(context)) });
}
