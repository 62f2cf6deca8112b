import { Form, Link, useNavigation } from "react-router";
import { PageHeader } from "~/components/app-shell";
import { StatusBadge } from "~/components/status-badge";
import { linkButtonClass } from "~/components/ui/button";
import { inputClass } from "~/components/ui/field";
import { campaignListQuerySchema } from "~/lib/campaign-schemas";
import { campaignStatuses, campaignStatusLabels } from "~/lib/domain";
import { formatDate, formatRelative } from "~/lib/format";
import { roleLabels } from "~/lib/members";
import { countCampaignsByStatus, listCampaigns } from "~/server/campaigns/campaigns.server";
import { getServices, requireUser } from "~/server/request.server";
import type { Route } from "./+types/index";

export const meta: Route.MetaFunction = () => [{ title: "Campaigns — LoreSmith AI" }];

export async function loader({ request, context }: Route.LoaderArgs) {
  const user = requireUser(context, request);
  const url = new URL(request.url);
  const query = campaignListQuerySchema.parse(Object.fromEntries(url.searchParams));
  const { db } = getServices(context);
  const [campaigns, counts] = await Promise.all([listCampaigns(db, user, query), countCampaignsByStatus(db, user)]);
  return { campaigns, counts, query, now: Date.now() };
}

type CampaignCard = Route.ComponentProps["loaderData"]["campaigns"][number];

/** One group of campaign cards, under its heading when the page has two groups. */
function CampaignGroup({ title, campaigns, now }: { title: string | null; campaigns: CampaignCard[]; now: number }) {
  if (campaigns.length === 0) return null;
  const list = (
    <ul className="grid gap-3 md:grid-cols-2" aria-label={title ?? "Campaigns"}>
      {campaigns.map((campaign) => (
        <li key={campaign.id}>
          <Link
            to={`/campaigns/${campaign.id}`}
            className="block h-full rounded-lg border border-stone-300 bg-white p-4 hover:border-ember-600"
          >
            <span className="flex items-start justify-between gap-2">
              <span className="font-serif text-xl font-semibold">{campaign.name}</span>
              <StatusBadge status={campaign.status} />
            </span>
            {campaign.role === "owner" ? null : (
              <span className="mt-1 block font-medium text-sm">
                {roleLabels[campaign.role]} · run by {campaign.owner}
              </span>
            )}
            <span className="mt-1 block text-sm text-stone-700">
              {[campaign.metadata.system, campaign.metadata.setting].filter(Boolean).join(" · ") || "No system set"}
            </span>
            <span className="mt-2 block text-sm text-stone-700">
              {campaign.contextCount} {campaign.contextCount === 1 ? "entry" : "entries"} · {campaign.characterCount}{" "}
              {campaign.characterCount === 1 ? "character" : "characters"}
              {campaign.metadata.nextSessionAt ? ` · next session ${formatDate(campaign.metadata.nextSessionAt)}` : ""}
            </span>
            <span className="mt-1 block text-stone-600 text-xs">Updated {formatRelative(campaign.updatedAt, now)}</span>
          </Link>
        </li>
      ))}
    </ul>
  );
  if (!title) return <div className="mb-6">{list}</div>;
  return (
    <section aria-label={title} className="mb-6">
      <h2 className="mb-2 font-serif text-xl font-semibold">{title}</h2>
      {list}
    </section>
  );
}

export default function Campaigns({ loaderData }: Route.ComponentProps) {
  const { campaigns, counts, query, now } = loaderData;
  const own = campaigns.filter((campaign) => campaign.role === "owner");
  const shared = campaigns.filter((campaign) => campaign.role !== "owner");
  const navigation = useNavigation();
  const searching = navigation.state === "loading" && navigation.location.pathname === "/campaigns";
  const filterHref = (status: string) => {
    const params = new URLSearchParams();
    if (status !== "all") params.set("status", status);
    if (query.q) params.set("q", query.q);
    if (query.sort !== "updated") params.set("sort", query.sort);
    const search = params.toString();
    return search ? `/campaigns?${search}` : "/campaigns";
  };
  return (
    <>
      <div className="flex flex-wrap items-start justify-between gap-3">
        <PageHeader title="Campaigns">Every campaign you run or play in, with its world and its people.</PageHeader>
        <div className="flex flex-wrap gap-2">
          <Link to="/campaigns/import" className={linkButtonClass.secondary}>
            Import
          </Link>
          <Link to="/campaigns/new" className={linkButtonClass.primary}>
            New campaign
          </Link>
        </div>
      </div>

      {/* Nothing to filter or search before the first campaign; after it, only the statuses some campaign has (and the one chosen). */}
      {counts.all === 0 ? null : (
        <>
          <nav aria-label="Filter by status" className="-mx-4 mb-4 overflow-x-auto px-4">
            <ul className="flex gap-2">
              {(["all", ...campaignStatuses] as const)
                .filter((status) => status === "all" || counts[status] > 0 || query.status === status)
                .map((status) => (
                  <li key={status}>
                    <Link
                      to={filterHref(status)}
                      aria-current={query.status === status ? "page" : undefined}
                      className="inline-flex min-h-11 items-center gap-1 whitespace-nowrap rounded-full border border-stone-300 bg-white px-3 aria-[current=page]:border-ember-600 aria-[current=page]:bg-ember-50 aria-[current=page]:font-semibold"
                    >
                      {status === "all" ? "All" : campaignStatusLabels[status]}
                      <span className="text-stone-600">({counts[status]})</span>
                    </Link>
                  </li>
                ))}
            </ul>
          </nav>

          <Form method="get" role="search" className="mb-6 flex flex-col gap-2 sm:flex-row sm:items-end">
            {query.status !== "all" ? <input type="hidden" name="status" value={query.status} /> : null}
            <div className="flex-1">
              <label htmlFor="campaign-q" className="block font-medium text-sm">
                Search by name
              </label>
              <input id="campaign-q" name="q" type="search" defaultValue={query.q} className={inputClass} />
            </div>
            <div>
              <label htmlFor="campaign-sort" className="block font-medium text-sm">
                Sort by
              </label>
              <select id="campaign-sort" name="sort" defaultValue={query.sort} className={inputClass}>
                <option value="updated">Last updated</option>
                <option value="name">Name</option>
                <option value="created">Newest</option>
              </select>
            </div>
            <button
              type="submit"
              className="min-h-11 rounded-md border border-stone-400 bg-white px-4 font-medium hover:bg-stone-100"
            >
              {searching ? "Searching…" : "Apply"}
            </button>
          </Form>
        </>
      )}

      {campaigns.length === 0 ? (
        <div className="rounded-lg border border-stone-300 border-dashed bg-white p-6 text-center">
          {counts.all === 0 ? (
            <>
              <p className="font-medium">No campaigns yet.</p>
              <p className="mt-1 text-stone-700">
                <Link to="/campaigns/new" className="text-ember-700 underline">
                  Create your first campaign
                </Link>{" "}
                to start collecting its lore and characters.
              </p>
            </>
          ) : (
            <p>No campaign matches these filters.</p>
          )}
        </div>
      ) : (
        <>
          <CampaignGroup title={shared.length ? "Campaigns you run" : null} campaigns={own} now={now} />
          <CampaignGroup title={shared.length ? "Campaigns you are in" : null} campaigns={shared} now={now} />
        </>
      )}
    </>
  );
}
