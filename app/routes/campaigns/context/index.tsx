import { Link } from "react-router";
import { linkButtonClass } from "~/components/ui/button";
import { FilterForm, FilterSelect } from "~/components/ui/filters";
import { contextListQuerySchema } from "~/lib/campaign-schemas";
import { contextTypeLabels } from "~/lib/domain";
import { formatRelative } from "~/lib/format";
import { listContextEntries, listContextTags } from "~/server/campaigns/context-entries.server";
import { mayAlso, requireCampaign } from "~/server/campaigns/guards.server";
import { markdownToPlainText } from "~/server/markdown.server";
import { getServices } from "~/server/request.server";
import type { Route } from "./+types/index";

export const meta: Route.MetaFunction = () => [{ title: "Lore & context — LoreSmith AI" }];

export async function loader({ request, context }: Route.LoaderArgs) {
  const access = requireCampaign(context, "view");
  const filter = contextListQuerySchema.parse(Object.fromEntries(new URL(request.url).searchParams));
  const { db } = getServices(context);
  const [entries, tags] = await Promise.all([listContextEntries(db, access, filter), listContextTags(db, access)]);
  return {
    campaignId: access.campaign.id,
    mayEdit: mayAlso(context, "editMaterial"),
    filter,
    tags,
    entries: entries.map(({ excerpt, ...entry }) => ({ ...entry, excerpt: markdownToPlainText(excerpt, 160) })),
    now: Date.now(),
  };
}

export default function ContextEntries({ loaderData }: Route.ComponentProps) {
  const { campaignId, mayEdit, filter, tags, entries, now } = loaderData;
  const base = `/campaigns/${campaignId}/context`;
  return (
    <>
      <div className="mb-4 flex flex-wrap items-center justify-between gap-3">
        <h1 className="font-serif text-3xl font-semibold">Lore &amp; context</h1>
        {mayEdit ? (
          <Link
            to={`${base}/new${filter.type !== "all" ? `?type=${filter.type}` : ""}`}
            className={linkButtonClass.primary}
          >
            New entry
          </Link>
        ) : null}
      </div>
      <FilterForm>
        <FilterSelect
          id="filter-type"
          name="type"
          label="Type"
          value={filter.type}
          options={[["all", "All types"], ...Object.entries(contextTypeLabels)]}
        />
        <FilterSelect
          id="filter-tag"
          name="tag"
          label="Tag"
          value={filter.tag}
          options={[["", "Any tag"], ...tags.map((tag): [string, string] => [tag, tag])]}
        />
      </FilterForm>
      {entries.length === 0 ? (
        <p className="rounded-lg border border-stone-300 border-dashed bg-white p-6 text-center">
          {filter.type === "all" && !filter.tag
            ? mayEdit
              ? "No entries yet. Add the places, factions, secrets and rules of your world."
              : "Nothing has been shared with you here yet. Your GM decides what you see."
            : "No entry matches these filters."}
        </p>
      ) : (
        <ul className="space-y-3" aria-label="Entries">
          {entries.map((entry) => (
            <li key={entry.id}>
              <Link
                to={`${base}/${entry.id}`}
                className="block rounded-lg border border-stone-300 bg-white p-4 hover:border-ember-600"
              >
                <span className="flex flex-wrap items-baseline gap-2">
                  <span className="font-semibold text-lg">{entry.title}</span>
                  <span className="text-sm text-stone-700">{contextTypeLabels[entry.contextType]}</span>
                  {entry.audience === "gm" ? (
                    <span className="rounded bg-stone-800 px-1.5 py-0.5 text-white text-xs">GMs only</span>
                  ) : null}
                </span>
                {entry.excerpt ? <span className="mt-1 block text-stone-700">{entry.excerpt}</span> : null}
                <span className="mt-1 block text-stone-600 text-xs">
                  {entry.tags.length ? `${entry.tags.join(", ")} · ` : ""}updated {formatRelative(entry.updatedAt, now)}
                </span>
              </Link>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}
