import { ComingSoon } from "~/components/coming-soon";
import { requireUser } from "~/server/request.server";
import type { Route } from "./+types/library";

export const meta: Route.MetaFunction = () => [{ title: "Library — LoreSmith AI" }];

export function loader({ request, context }: Route.LoaderArgs) {
  requireUser(context, request);
  return null;
}

export default function Library() {
  return (
    <ComingSoon
      title="Library"
      summary="The material your campaigns run on."
      points={[
        "Upload PDF rulebooks and modules, Markdown and text notes, character sheets and images, with progress.",
        "Versions, descriptions and tags for every file, and your storage use against your quota.",
        "Live processing status as each file becomes searchable.",
      ]}
    />
  );
}
