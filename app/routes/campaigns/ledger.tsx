import { Link } from "react-router";
import { formatRelative } from "~/lib/format";
import { requireCampaign } from "~/server/campaigns/guards.server";
import { knowledgeLedger } from "~/server/campaigns/reveals.server";
import { getServices } from "~/server/request.server";
import type { Route } from "./+types/ledger";

export const meta: Route.MetaFunction = () => [{ title: "Knowledge ledger — LoreSmith AI" }];

/** The GMs' knowledge ledger: who learned what, when, in which session (newest first). */
export async function loader({ context }: Route.LoaderArgs) {
  const access = requireCampaign(context, "reveal");
  return {
    campaignId: access.campaign.id,
    rows: await knowledgeLedger(getServices(context).db, access),
    now: Date.now(),
  };
}

const kindLabels = { entry: "Entry", character: "Character", file: "File" } as const;

export default function Ledger({ loaderData }: Route.ComponentProps) {
  const { campaignId, rows, now } = loaderData;
  const base = `/campaigns/${campaignId}`;
  const hrefOf = (row: (typeof rows)[number]) =>
    row.subjectKind === "entry"
      ? `${base}/context/${row.subjectId}`
      : row.subjectKind === "character"
        ? `${base}/characters/${row.subjectId}`
        : `${base}/files`;
  return (
    <div className="max-w-3xl space-y-4">
      <header className="space-y-1">
        <h1 className="font-serif text-3xl font-semibold">Knowledge ledger</h1>
        <p className="text-stone-700">Who learned what, and when. Reveal from an entry’s or a character’s page.</p>
      </header>
      {rows.length === 0 ? (
        <p className="rounded-lg border border-stone-300 border-dashed bg-white p-4">Nothing has been revealed yet.</p>
      ) : (
        <ol className="divide-y divide-stone-200 rounded-lg border border-stone-300 bg-white" aria-label="Reveals">
          {rows.map((row) => (
            <li key={row.id} className="space-y-0.5 p-3">
              <p>
                <span className="text-sm text-stone-600">{kindLabels[row.subjectKind]} · </span>
                {row.title ? (
                  <Link to={hrefOf(row)} className="font-medium text-ember-700 underline">
                    {row.title}
                  </Link>
                ) : (
                  <span className="font-medium">(since removed)</span>
                )}
              </p>
              <p className="text-sm text-stone-700">
                {row.to ? `Revealed to ${row.to}` : "Shared with everyone"} by {row.by ?? "a former GM"}{" "}
                {formatRelative(row.revealedAt, now)}
                {row.sessionLabel ? ` · ${row.sessionLabel}` : ""}
              </p>
            </li>
          ))}
        </ol>
      )}
    </div>
  );
}
