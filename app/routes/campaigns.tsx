import { ComingSoon } from "~/components/coming-soon";
import { requireUser } from "~/server/request.server";
import type { Route } from "./+types/campaigns";

export const meta: Route.MetaFunction = () => [{ title: "Campaigns — LoreSmith AI" }];

export function loader({ request, context }: Route.LoaderArgs) {
  requireUser(context, request);
  return null;
}

export default function Campaigns() {
  return (
    <ComingSoon
      title="Campaigns"
      summary="Every campaign you run, with its world and its people."
      points={[
        "Create, edit, archive and delete campaigns: name, description, status, game system, setting and next session.",
        "Lore and context entries by type: locations, factions, items, plot hooks, session notes, house rules.",
        "Player characters and NPCs with backstories and stats.",
      ]}
    />
  );
}
