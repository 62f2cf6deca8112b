import { requireUser } from "~/server/request.server";
import type { Route } from "./+types/import";

export function loader({ request, context }: Route.LoaderArgs) {
  requireUser(context, request);
  return null;
}

export default function ImportCampaign() {
  return <h1>Import</h1>;
}
