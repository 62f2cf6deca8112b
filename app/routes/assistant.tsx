import { ComingSoon } from "~/components/coming-soon";
import { requireUser } from "~/server/request.server";
import type { Route } from "./+types/assistant";

export const meta: Route.MetaFunction = () => [{ title: "Assistant — LoreSmith AI" }];

export function loader({ request, context }: Route.LoaderArgs) {
  requireUser(context, request);
  return null;
}

export default function Assistant() {
  return (
    <ComingSoon
      title="Assistant"
      summary="Ask questions about your campaign and get answers from your own material."
      points={[
        "Conversations per campaign, kept for later.",
        "Every answer cites its sources, linked to the file and page.",
        "Save an answer as a lore entry or turn it into an NPC.",
      ]}
    />
  );
}
