import { Link } from "react-router";
import { z } from "zod";
import { RelationGraph } from "~/components/relation-graph";
import { mayAlso, requireCampaign } from "~/server/campaigns/guards.server";
import { relationsView } from "~/server/campaigns/relation-graph.server";
import { getServices } from "~/server/request.server";
import type { Route } from "./+types/relations";

export const meta: Route.MetaFunction = () => [{ title: "Relations — LoreSmith AI" }];

const listFromSchema = z.coerce.number().int().min(0).max(100_000).catch(0);

/** The campaign's relations as the reader may see them: a graph to pan, and the same as a list. */
export async function loader({ request, context }: Route.LoaderArgs) {
  const access = requireCampaign(context, "view");
  const listFrom = listFromSchema.parse(new URL(request.url).searchParams.get("list") ?? 0);
  return {
    campaignId: access.campaign.id,
    mayEdit: mayAlso(context, "editMaterial"),
    view: await relationsView(getServices(context).db, access, listFrom),
  };
}

export default function RelationsPage({ loaderData }: Route.ComponentProps) {
  const { campaignId, mayEdit, view } = loaderData;
  const here = `/campaigns/${campaignId}/relations`;
  const { list } = view;
  return (
    <div className="space-y-6">
      <header className="max-w-3xl">
        <h1 className="font-serif text-3xl font-semibold">Relations</h1>
        <p className="text-stone-700">
          {view.totalRelations
            ? `${view.totalRelations} ${view.totalRelations === 1 ? "relation" : "relations"} between ${view.graph.totalNodes} entries and characters.`
            : "No relations yet."}{" "}
          {mayEdit
            ? "Add them on an entry’s or a character’s page, under Relations."
            : "Your GMs add them; you see those shared with you."}
        </p>
      </header>
      {view.totalRelations ? (
        <div className="grid gap-6 lg:grid-cols-[minmax(0,3fr)_minmax(18rem,2fr)]">
          <section aria-labelledby="graph-heading" className="min-w-0">
            <h2 id="graph-heading" className="sr-only">
              Graph
            </h2>
            <RelationGraph graph={view.graph} />
          </section>
          <section aria-labelledby="list-heading" className="min-w-0 space-y-3">
            <h2 id="list-heading" className="font-serif text-xl font-semibold">
              All relations
            </h2>
            <ul className="space-y-4" data-testid="relation-list">
              {list.groups.map((group) => (
                <li key={group.key} className="rounded-lg border border-stone-300 bg-white p-3">
                  <h3 className="font-semibold">
                    <Link to={group.href} className="text-ember-700 underline">
                      {group.name}
                    </Link>
                    <span className="font-normal text-sm text-stone-600">
                      {" "}
                      ({group.kind === "character" ? "character" : "entry"})
                    </span>
                  </h3>
                  <ul className="mt-1 space-y-1">
                    {group.lines.map((line) => (
                      <li key={`${line.id}-${line.other.href}`} className="break-words">
                        {group.name} — {line.label} —{" "}
                        <Link to={line.other.href} className="text-ember-700 underline">
                          {line.other.name}
                        </Link>
                        {mayEdit && line.gmOnly ? (
                          <span className="text-sm font-medium text-violet-800"> · GMs only</span>
                        ) : null}
                        {line.note ? <span className="block text-sm text-stone-700">{line.note}</span> : null}
                      </li>
                    ))}
                  </ul>
                </li>
              ))}
            </ul>
            {list.previous !== null || list.next !== null ? (
              <nav aria-label="More relations" className="flex flex-wrap gap-4">
                {list.previous !== null ? (
                  <Link
                    to={list.previous ? `${here}?list=${list.previous}` : here}
                    className="text-ember-700 underline"
                  >
                    Previous
                  </Link>
                ) : null}
                {list.next !== null ? (
                  <Link to={`${here}?list=${list.next}`} className="text-ember-700 underline">
                    Next
                  </Link>
                ) : null}
                <span className="text-sm text-stone-700">
                  {list.from + 1}–{list.from + list.groups.length} of {list.totalGroups}
                </span>
              </nav>
            ) : null}
          </section>
        </div>
      ) : null}
    </div>
  );
}
