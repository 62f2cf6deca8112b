import { Link } from "react-router";
import { z } from "zod";
import { linkButtonClass } from "~/components/ui/button";
import { formatDate } from "~/lib/format";
import { MAX_SESSIONS_PER_CAMPAIGN, SESSIONS_PAGE, sessionAudienceLabels } from "~/lib/session-schemas";
import { mayAlso, requireCampaign } from "~/server/campaigns/guards.server";
import { listSessions } from "~/server/campaigns/sessions.server";
import { getServices } from "~/server/request.server";
import type { Route } from "./+types/index";

export const meta: Route.MetaFunction = () => [{ title: "Sessions — LoreSmith AI" }];

const pageSchema = z.coerce
  .number()
  .int()
  .min(1)
  .max(Math.ceil(MAX_SESSIONS_PER_CAMPAIGN / SESSIONS_PAGE))
  .catch(1);

/** The campaign's timeline: its sessions newest first, as far as the reader may see them. */
export async function loader({ request, context }: Route.LoaderArgs) {
  const access = requireCampaign(context, "view");
  const page = pageSchema.parse(new URL(request.url).searchParams.get("page") ?? 1);
  const { sessions, hasMore } = await listSessions(getServices(context).db, access, { page });
  return { campaignId: access.campaign.id, mayEdit: mayAlso(context, "editMaterial"), sessions, page, hasMore };
}

export default function Sessions({ loaderData }: Route.ComponentProps) {
  const { campaignId, mayEdit, sessions, page, hasMore } = loaderData;
  const base = `/campaigns/${campaignId}/sessions`;
  return (
    <div className="max-w-3xl">
      <div className="mb-4 flex flex-wrap items-center justify-between gap-3">
        <div>
          <h1 className="font-serif text-3xl font-semibold">Sessions</h1>
          <p className="text-stone-700">What happened at the table, newest first.</p>
        </div>
        {mayEdit ? (
          <Link to={`${base}/new`} className={linkButtonClass.primary}>
            New session
          </Link>
        ) : null}
      </div>
      {sessions.length === 0 ? (
        <p className="rounded-lg border border-stone-300 border-dashed bg-white p-6 text-center">
          {page > 1
            ? "No older sessions."
            : mayEdit
              ? "No sessions yet. Record the first one after you play: who was there, your notes, and a recap."
              : "No session recap has been shared with you here yet."}
        </p>
      ) : (
        <ol aria-label="Sessions, newest first" className="space-y-4 border-stone-300 border-l-2 pl-4">
          {sessions.map((session) => (
            <li key={session.id} className="relative rounded-lg border border-stone-300 bg-white p-4">
              <span
                aria-hidden="true"
                className="-left-[1.4rem] absolute top-5 size-3 rounded-full border-2 border-white bg-ember-600"
              />
              <h2 className="font-serif text-xl font-semibold">
                <Link to={session.href} className="text-ember-700 underline">
                  Session {session.number}
                  {session.title ? `: ${session.title}` : ""}
                </Link>
              </h2>
              <p className="text-sm text-stone-700">
                <time dateTime={session.playedOn}>{formatDate(session.playedOn)}</time>
                {session.audience ? ` · ${sessionAudienceLabels[session.audience]}` : ""}
              </p>
              {session.attendees.length || session.guests.length ? (
                <p className="mt-2 text-sm">
                  <span className="font-medium">There: </span>
                  {[...session.attendees.map((a) => a.name), ...session.guests].join(", ")}
                </p>
              ) : null}
              {session.recapExcerpt ? (
                <p className="mt-2 break-words text-stone-800">{session.recapExcerpt}</p>
              ) : (
                <p className="mt-2 text-stone-600 italic">No recap yet.</p>
              )}
              {session.links.length ? (
                <ul aria-label="Linked entries and characters" className="mt-3 flex flex-wrap gap-2">
                  {session.links.map((link) => (
                    <li key={link.href}>
                      <Link
                        to={link.href}
                        className="inline-flex min-h-11 items-center rounded-full bg-stone-200 px-3 text-sm hover:bg-stone-300"
                      >
                        {link.name}
                      </Link>
                    </li>
                  ))}
                </ul>
              ) : null}
            </li>
          ))}
        </ol>
      )}
      <nav aria-label="Older and newer sessions" className="mt-4 flex gap-4">
        {page > 1 ? (
          <Link to={page === 2 ? base : `${base}?page=${page - 1}`} className="text-ember-700 underline">
            Newer sessions
          </Link>
        ) : null}
        {hasMore ? (
          <Link to={`${base}?page=${page + 1}`} className="text-ember-700 underline">
            Older sessions
          </Link>
        ) : null}
      </nav>
    </div>
  );
}
