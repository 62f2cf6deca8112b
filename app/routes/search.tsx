import { ComingSoon } from "~/components/coming-soon";
import { requireUser } from "~/server/request.server";
import type { Route } from "./+types/search";

export const meta: Route.MetaFunction = () => [{ title: "Search — LoreSmith AI" }];

export function loader({ request, context }: Route.LoaderArgs) {
  requireUser(context, request);
  return null;
}

export default function Search() {
  return (
    <ComingSoon
      title="Search"
      summary="Find any passage in your files, lore and characters."
      points={[
        "Search as you type across your whole library, one campaign or one file.",
        "Each result shows its source and opens it at the right page or heading.",
      ]}
    />
  );
}
