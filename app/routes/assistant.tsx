import { Link } from "react-router";
import { PageHeader } from "~/components/app-shell";
import { formatRelative } from "~/lib/format";
import { assistantHome } from "~/server/assistant/conversations.server";
import { getServices, requireUser } from "~/server/request.server";
import type { Route } from "./+types/assistant";

export const meta: Route.MetaFunction = () => [{ title: "Assistant — LoreSmith AI" }];

/** The assistant works per campaign: pick one, or go back to a recent conversation. */
export async function loader({ request, context }: Route.LoaderArgs) {
  const user = requireUser(context, request);
  const { campaigns: campaignRows, recent } = await assistantHome(getServices(context).db, user);
  return { campaigns: campaignRows, recent, now: Date.now() };
}

export default function Assistant({ loaderData }: Route.ComponentProps) {
  const { campaigns: campaignList, recent, now } = loaderData;
  return (
    <>
      <PageHeader title="Assistant">
        Ask questions about a campaign and get answers from your own material, every claim cited.
      </PageHeader>
      {campaignList.length === 0 ? (
        <p className="rounded-lg border border-stone-300 border-dashed bg-white p-6 text-center">
          The assistant answers per campaign.{" "}
          <Link to="/campaigns/new" className="text-ember-700 underline">
            Create a campaign
          </Link>{" "}
          and attach your rulebooks and notes to it first.
        </p>
      ) : (
        <div className="grid gap-6 md:grid-cols-2">
          <section aria-labelledby="pick-heading">
            <h2 id="pick-heading" className="mb-2 font-serif text-xl font-semibold">
              Ask about a campaign
            </h2>
            <ul className="space-y-2">
              {campaignList.map((campaign) => (
                <li key={campaign.id}>
                  <Link
                    to={`/campaigns/${campaign.id}/assistant`}
                    className="flex min-h-11 items-center rounded-lg border border-stone-300 bg-white px-4 py-2 font-medium text-ember-800 hover:bg-stone-50"
                  >
                    {campaign.name}
                  </Link>
                </li>
              ))}
            </ul>
          </section>
          <section aria-labelledby="recent-heading">
            <h2 id="recent-heading" className="mb-2 font-serif text-xl font-semibold">
              Recent conversations
            </h2>
            {recent.length === 0 ? (
              <p className="text-stone-700">None yet.</p>
            ) : (
              <ul className="space-y-2">
                {recent.map((chat) => (
                  <li key={chat.id}>
                    <Link
                      to={`/campaigns/${chat.campaignId}/assistant/${chat.id}#latest`}
                      className="block rounded-lg border border-stone-300 bg-white px-4 py-2 hover:bg-stone-50"
                    >
                      <span className="block break-words font-medium text-ember-800">{chat.title}</span>
                      <span className="text-sm text-stone-600">
                        {chat.campaignName} · {formatRelative(chat.updatedAt, now)}
                      </span>
                    </Link>
                  </li>
                ))}
              </ul>
            )}
          </section>
        </div>
      )}
    </>
  );
}
