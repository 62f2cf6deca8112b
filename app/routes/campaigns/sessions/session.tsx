import { Form, Link, useNavigation } from "react-router";
import { MarkdownView } from "~/components/markdown";
import { Button, linkButtonClass } from "~/components/ui/button";
import { formatDate } from "~/lib/format";
import { sessionAudienceLabels } from "~/lib/session-schemas";
import { mayAlso, parseRowId, requireCampaign } from "~/server/campaigns/guards.server";
import { renderLinked } from "~/server/campaigns/links.server";
import { sessionView } from "~/server/campaigns/sessions.server";
import { notFound } from "~/server/http/responses.server";
import { getServices } from "~/server/request.server";
import type { Route } from "./+types/session";

export const meta: Route.MetaFunction = ({ loaderData }) => [
  { title: `Session ${loaderData?.session.number ?? ""} — LoreSmith AI` },
];

/**
 * One session: when, who was there, the recap, and what its text links to. The GMs also
 * read their notes here; anyone else opens only a shared session, and reads its recap.
 */
export async function loader({ context, params }: Route.LoaderArgs) {
  const access = requireCampaign(context, "view");
  const { db } = getServices(context);
  const session = await sessionView(db, access, parseRowId(params.sessionId, "session"));
  if (!session) notFound("session");
  const gm = mayAlso(context, "seeSecrets");
  const [notesHtml, recapHtml] = await Promise.all([
    gm ? renderLinked(db, access, session.notes) : "",
    renderLinked(db, access, session.recap),
  ]);
  return {
    campaignId: access.campaign.id,
    mayEdit: mayAlso(context, "editMaterial"),
    session: {
      id: session.id,
      number: session.number,
      title: session.title,
      playedOn: session.playedOn,
      attendees: session.attendees,
      guests: session.guests,
      audience: gm ? session.audience : null,
      links: session.links,
      missing: session.missing,
      notesHtml: gm ? notesHtml : null,
      recapHtml,
    },
  };
}

export default function SessionPage({ loaderData }: Route.ComponentProps) {
  const { campaignId, mayEdit, session } = loaderData;
  const navigation = useNavigation();
  const base = `/campaigns/${campaignId}/sessions`;
  const drafting = navigation.state === "submitting" && navigation.formData?.get("intent") === "draft";
  return (
    <article className="max-w-3xl space-y-4">
      <p>
        <Link to={base} className="text-ember-700 underline">
          ← All sessions
        </Link>
      </p>
      <header className="flex flex-wrap items-start justify-between gap-3">
        <div>
          <h1 className="font-serif text-3xl font-semibold">
            Session {session.number}
            {session.title ? `: ${session.title}` : ""}
          </h1>
          <p className="text-sm text-stone-700">
            Played on <time dateTime={session.playedOn}>{formatDate(session.playedOn)}</time>
            {session.audience ? ` · ${sessionAudienceLabels[session.audience]}` : ""}
          </p>
        </div>
        {mayEdit ? (
          <div className="flex flex-wrap gap-2">
            <Link to={`${base}/${session.id}/edit`} className={linkButtonClass.secondary}>
              Edit session
            </Link>
            <Form method="post" action={`${base}/${session.id}/edit`}>
              <Button type="submit" name="intent" value="draft" variant="secondary" pending={drafting}>
                {drafting ? "Drafting…" : "Draft recap"}
              </Button>
            </Form>
          </div>
        ) : null}
      </header>
      <section aria-labelledby="attendees-heading">
        <h2 id="attendees-heading" className="font-semibold">
          Who was there
        </h2>
        {session.attendees.length || session.guests.length ? (
          <ul className="mt-2 flex flex-wrap gap-2">
            {session.attendees.map((attendee) => (
              <li key={attendee.id}>
                <Link
                  to={attendee.href}
                  className="inline-flex min-h-11 items-center rounded-md border border-stone-300 bg-white px-3 text-sm hover:bg-stone-100"
                >
                  {attendee.name}
                </Link>
              </li>
            ))}
            {session.guests.map((guest) => (
              <li key={guest} className="inline-flex min-h-11 items-center rounded-md bg-stone-200 px-3 text-sm">
                {guest} <span className="ml-1 text-stone-600">(guest)</span>
              </li>
            ))}
          </ul>
        ) : (
          <p className="text-stone-600 italic">Nobody recorded.</p>
        )}
      </section>
      <section aria-labelledby="recap-heading" className="rounded-lg border border-stone-300 bg-white p-4">
        <h2 id="recap-heading" className="mb-2 font-serif text-xl font-semibold">
          Recap
        </h2>
        <MarkdownView html={session.recapHtml} empty="No recap yet." />
      </section>
      {session.notesHtml !== null ? (
        <section aria-labelledby="notes-heading" className="rounded-lg border-2 border-violet-700 bg-violet-50 p-4">
          <h2 id="notes-heading" className="mb-2 font-serif text-xl font-semibold">
            GM notes <span className="font-sans font-normal text-sm text-violet-900">(GMs only)</span>
          </h2>
          <MarkdownView html={session.notesHtml} empty="No notes." />
        </section>
      ) : null}
      {session.links.length || session.missing.length ? (
        <section aria-labelledby="links-heading">
          <h2 id="links-heading" className="font-semibold">
            What came up
          </h2>
          <p className="text-sm text-stone-700">The entries and characters this session links to.</p>
          <ul className="mt-2 flex flex-wrap gap-2">
            {session.links.map((link) => (
              <li key={link.href}>
                <Link
                  to={link.href ?? ""}
                  className="inline-flex min-h-11 items-center rounded-md border border-stone-300 bg-white px-3 text-sm hover:bg-stone-100"
                >
                  {link.name}
                </Link>
              </li>
            ))}
            {session.missing.map((link) =>
              link.createHref ? (
                <li key={link.name}>
                  <Link
                    to={link.createHref}
                    className="inline-flex min-h-11 items-center rounded-md border border-stone-400 border-dashed px-3 text-sm hover:bg-stone-100"
                  >
                    {link.name} <span className="ml-1 text-stone-600">(not written yet)</span>
                  </Link>
                </li>
              ) : null,
            )}
          </ul>
        </section>
      ) : null}
    </article>
  );
}
