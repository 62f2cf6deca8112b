import { data, Link } from "react-router";
import { AlsoKnownAs, Backlinks } from "~/components/backlinks";
import { MarkdownView } from "~/components/markdown";
import { RelationsSection } from "~/components/relations-section";
import { RevealPanel } from "~/components/reveal-panel";
import { linkButtonClass } from "~/components/ui/button";
import { contextTypeLabels } from "~/lib/domain";
import { formatRelative } from "~/lib/format";
import { audienceLabels } from "~/lib/members";
import { getContextEntry } from "~/server/campaigns/context-entries.server";
import { mayAlso, parseRowId, requireCampaign } from "~/server/campaigns/guards.server";
import { backlinksTo, renderLinked } from "~/server/campaigns/links.server";
import { handleRelationForm, relationIntents, relationsOf, relationTargets } from "~/server/campaigns/relations.server";
import { handleRevealForm, revealPanel } from "~/server/campaigns/reveals.server";
import { notFound } from "~/server/http/responses.server";
import { announced } from "~/server/live/campaign-room.server";
import { getServices } from "~/server/request.server";
import { redirectWithToast } from "~/server/toast.server";
import type { Route } from "./+types/entry";

export const meta: Route.MetaFunction = ({ loaderData }) => [
  { title: `${loaderData?.entry.title ?? "Entry"} — LoreSmith AI` },
];

export async function loader({ context, params }: Route.LoaderArgs) {
  const access = requireCampaign(context, "view");
  const entry = await getContextEntry(getServices(context).db, access, parseRowId(params.entryId, "entry"));
  if (!entry) notFound("entry");
  const seesSecrets = mayAlso(context, "seeSecrets");
  const mayEdit = mayAlso(context, "editMaterial");
  const here = { kind: "entry", id: entry.id } as const;
  return {
    campaignId: access.campaign.id,
    mayEdit,
    relations: await relationsOf(getServices(context).db, access, here),
    relationTargets: mayEdit ? await relationTargets(getServices(context).db, access) : null,
    reveals: await revealPanel(
      getServices(context).db,
      access,
      { kind: "entry", id: String(entry.id) },
      entry.audience,
    ),
    // Who sees it is the GMs' business; a player only ever opens what is shared with them.
    audience: seesSecrets ? entry.audience : null,
    entry: {
      id: entry.id,
      title: entry.title,
      contextType: entry.contextType,
      tags: entry.tagList,
      aliases: entry.aliases,
      updatedAt: entry.updatedAt,
      html: await renderLinked(getServices(context).db, access, entry.content),
    },
    backlinks: await backlinksTo(getServices(context).db, access, {
      kind: "entry",
      id: entry.id,
      names: [entry.title, ...entry.aliases],
    }),
    now: Date.now(),
  };
}

/**
 * The GMs reveal the entry to chosen players, share it with everyone, or hide it again
 * (RevealPanel); who may edit material adds and removes its relations (RelationsSection).
 */
export async function action({ request, context, params }: Route.ActionArgs) {
  const entryId = parseRowId(params.entryId, "entry");
  const services = getServices(context);
  const formData = await request.formData();
  if (relationIntents.includes(String(formData.get("intent")))) {
    const access = requireCampaign(context, "editMaterial");
    const outcome = await handleRelationForm(services.db, access, { kind: "entry", id: entryId }, formData);
    if ("result" in outcome) return data({ relationResult: outcome.result }, { status: outcome.status });
    return redirectWithToast(context, request, `/campaigns/${access.campaign.id}/context/${entryId}`, outcome.message);
  }
  const access = requireCampaign(context, "reveal");
  const subject = { kind: "entry", id: String(entryId) } as const;
  const message = await announced(services, access, subject, () =>
    handleRevealForm(services.db, access, subject, formData),
  );
  if (!message) notFound("entry");
  return redirectWithToast(context, request, `/campaigns/${access.campaign.id}/context/${entryId}`, message);
}

export default function ContextEntryPage({ loaderData, actionData }: Route.ComponentProps) {
  const { campaignId, mayEdit, audience, reveals, entry, now } = loaderData;
  const base = `/campaigns/${campaignId}/context`;
  return (
    <>
      <article className="max-w-3xl space-y-4">
        <p>
          <Link to={`${base}?type=${entry.contextType}`} className="text-ember-700 underline">
            ← {contextTypeLabels[entry.contextType]} entries
          </Link>
        </p>
        <header className="flex flex-wrap items-start justify-between gap-3">
          <div>
            <h1 className="font-serif text-3xl font-semibold">{entry.title}</h1>
            <p className="text-sm text-stone-700">
              {contextTypeLabels[entry.contextType]}
              {audience ? ` · ${audienceLabels[audience]}` : ""} · updated {formatRelative(entry.updatedAt, now)}
            </p>
            <AlsoKnownAs names={entry.aliases} />
          </div>
          {mayEdit ? (
            <Link to={`${base}/${entry.id}/edit`} className={linkButtonClass.secondary}>
              Edit entry
            </Link>
          ) : null}
        </header>
        {entry.tags.length ? (
          <ul className="flex flex-wrap gap-2" aria-label="Tags">
            {entry.tags.map((tag) => (
              <li key={tag}>
                <Link
                  to={`${base}?tag=${encodeURIComponent(tag)}`}
                  className="inline-flex min-h-11 items-center rounded-full bg-stone-200 px-3 text-sm hover:bg-stone-300"
                >
                  {tag}
                </Link>
              </li>
            ))}
          </ul>
        ) : null}
        <div className="rounded-lg border border-stone-300 bg-white p-4">
          <MarkdownView html={entry.html} />
          <Backlinks links={loaderData.backlinks} />
        </div>
      </article>
      <RelationsSection
        name={entry.title}
        here={{ kind: "entry", id: entry.id }}
        relations={loaderData.relations.relations}
        more={loaderData.relations.more}
        targets={loaderData.relationTargets}
        lastResult={actionData?.relationResult}
        relationsHref={`/campaigns/${campaignId}/relations`}
      />
      {reveals ? <RevealPanel data={reveals} what="entry" now={now} /> : null}
    </>
  );
}
