import { useEffect, useRef } from "react";
import { Form, Link, NavLink, Outlet, useLocation } from "react-router";
import { ErrorPage } from "~/components/error-page";
import { StatusBadge } from "~/components/status-badge";
import type { CampaignChange, PresentPerson } from "~/lib/campaign-live";
import type { LiveConnection } from "~/lib/live-connection";
import { roleLabels } from "~/lib/members";
import { useCampaignRoom } from "~/lib/use-campaign-room";
import { mayAlso, previewingGm, requireCampaign, requireCampaignMiddleware } from "~/server/campaigns/guards.server";
import type { Route } from "./+types/campaign";

/** Layout of one campaign: its guard (404 unless the signed-in user is in it) and the tabs their role opens. */
export const middleware: Route.MiddlewareFunction[] = [requireCampaignMiddleware];

export function loader({ context }: Route.LoaderArgs) {
  const access = requireCampaign(context, "view");
  const { campaign, role, owner, account } = access;
  const gm = previewingGm(context);
  return {
    // A GM looking as a player: whose eyes, and the way back.
    preview: gm ? { username: account.username, role } : null,
    campaign: { id: campaign.id, name: campaign.name, status: campaign.status },
    role,
    // Who this page is in the campaign's room: the GM themself while looking as a player.
    me: (gm ?? access).account.username,
    ownerUsername: owner.username,
    tabs: {
      assistant: mayAlso(context, "useAssistant"),
      notes: mayAlso(context, "keepNotes"),
      members: mayAlso(context, "seeMembers"),
      ledger: mayAlso(context, "reveal"),
      edit: mayAlso(context, "editCampaign"),
    },
  };
}

/**
 * On a phone the tabs scroll sideways: after each navigation the active one is scrolled to
 * the middle of the strip (the strip only, never the page), so it is never off-screen.
 */
function useActiveTabInView() {
  const ref = useRef<HTMLElement>(null);
  const { pathname } = useLocation();
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs again when the path (and so the active tab) changes.
  useEffect(() => {
    const strip = ref.current;
    const active = strip?.querySelector<HTMLElement>('[aria-current="page"]');
    if (!strip || !active) return;
    const offset = active.getBoundingClientRect().left - strip.getBoundingClientRect().left;
    strip.scrollLeft += offset - (strip.clientWidth - active.offsetWidth) / 2;
  }, [pathname]);
  return ref;
}

const tabClass = ({ isActive }: { isActive: boolean }) =>
  `inline-flex min-h-11 items-center whitespace-nowrap border-b-2 px-3 font-medium ${
    isActive ? "border-ember-600 text-ember-700" : "border-transparent hover:border-stone-400"
  }`;

export default function CampaignLayout({ loaderData }: Route.ComponentProps) {
  const { campaign, role, ownerUsername, tabs, preview, me } = loaderData;
  const base = `/campaigns/${campaign.id}`;
  const room = useCampaignRoom(campaign.id, me);
  const tabsRef = useActiveTabInView();
  return (
    <>
      <div className="mb-2 flex flex-wrap items-center gap-2 text-sm">
        <NavLink to="/campaigns" end className="text-ember-700 underline">
          Campaigns
        </NavLink>
        <span aria-hidden="true">/</span>
        <span className="font-medium">{campaign.name}</span>
        <StatusBadge status={campaign.status} />
        {role === "owner" || preview ? null : (
          <span className="text-stone-700">
            {roleLabels[role]} in {ownerUsername}’s campaign
          </span>
        )}
      </div>
      {preview ? (
        <div
          role="status"
          className="mb-3 flex flex-wrap items-center justify-between gap-2 rounded-lg border-2 border-violet-700 bg-violet-50 p-3"
        >
          <p>
            You see the campaign as <span className="font-semibold">{preview.username}</span> (
            {roleLabels[preview.role]}) sees it. Nothing can be changed meanwhile.
          </p>
          <Form method="post" action={`${base}/preview`}>
            <input type="hidden" name="intent" value="stop" />
            <button
              type="submit"
              className="min-h-11 rounded-md border border-stone-400 bg-white px-4 font-medium hover:bg-stone-100"
            >
              Back to my view
            </button>
          </Form>
        </div>
      ) : null}
      {/* On a phone the tabs scroll sideways; the faded edge says there are more than fit. */}
      <div className="relative -mx-4 mb-6">
        <nav
          ref={tabsRef}
          aria-label="Campaign sections"
          className="overflow-x-auto border-stone-300 border-b px-4 pr-10 sm:pr-4"
        >
          <ul className="flex gap-1 sm:flex-wrap">
            <li>
              <NavLink to={base} end className={tabClass}>
                Overview
              </NavLink>
            </li>
            <li>
              <NavLink to={`${base}/context`} className={tabClass}>
                Lore &amp; context
              </NavLink>
            </li>
            <li>
              <NavLink to={`${base}/characters`} className={tabClass}>
                Characters
              </NavLink>
            </li>
            <li>
              <NavLink to={`${base}/files`} className={tabClass}>
                Files
              </NavLink>
            </li>
            <li>
              <NavLink to={`${base}/sessions`} className={tabClass}>
                Sessions
              </NavLink>
            </li>
            <li>
              <NavLink to={`${base}/log`} className={tabClass}>
                Session log
              </NavLink>
            </li>
            <li>
              <NavLink to={`${base}/relations`} className={tabClass}>
                Relations
              </NavLink>
            </li>
            {tabs.notes ? (
              <li>
                <NavLink to={`${base}/notes`} className={tabClass}>
                  My notes
                </NavLink>
              </li>
            ) : null}
            {tabs.assistant ? (
              <li>
                <NavLink to={`${base}/assistant`} className={tabClass}>
                  Assistant
                </NavLink>
              </li>
            ) : null}
            {tabs.members ? (
              <li>
                <NavLink to={`${base}/members`} className={tabClass}>
                  Members
                </NavLink>
              </li>
            ) : null}
            {tabs.ledger ? (
              <li>
                <NavLink to={`${base}/ledger`} className={tabClass}>
                  Ledger
                </NavLink>
              </li>
            ) : null}
            <li>
              <NavLink to={`${base}/export`} className={tabClass}>
                Export
              </NavLink>
            </li>
            {tabs.edit ? (
              <li>
                <NavLink to={`${base}/edit`} className={tabClass}>
                  Edit campaign
                </NavLink>
              </li>
            ) : null}
          </ul>
        </nav>
        <div
          aria-hidden="true"
          className="pointer-events-none absolute inset-y-0 right-0 w-12 bg-gradient-to-l from-parchment to-transparent sm:hidden"
        />
      </div>
      <Presence people={room.people} connection={room.connection} me={me} />
      {room.changedWhileEditing ? <ChangedWhileEditing change={room.changedWhileEditing} /> : null}
      <Outlet />
    </>
  );
}

const connectionNotes: Partial<Record<LiveConnection | "closed", string>> = {
  connecting: "reconnecting…",
  polling: "updates every few seconds",
};

/** Who has the campaign open now; shown once the room answers (never without JavaScript). */
function Presence({
  people,
  connection,
  me,
}: {
  people: PresentPerson[];
  connection: LiveConnection | "closed";
  me: string;
}) {
  if (!people.length) return null;
  const note = connectionNotes[connection];
  return (
    <section
      aria-label="Who is here now"
      data-testid="presence"
      data-connection={connection}
      className="-mt-3 mb-4 flex flex-wrap items-center gap-x-2 gap-y-1 text-sm text-stone-700"
    >
      <span aria-hidden="true" className="inline-block size-2 rounded-full bg-emerald-600" />
      <span>Here now:</span>
      <ul className="contents">
        {people.map((person) => (
          <li key={person.username}>
            <span className="font-medium text-stone-900">{person.username === me ? "you" : person.username}</span>
            <span className="text-stone-600"> ({roleLabels[person.role]})</span>
          </li>
        ))}
      </ul>
      {note ? <span className="text-stone-600">· {note}</span> : null}
    </section>
  );
}

const editedThings: Record<string, string> = {
  entry: "entry",
  character: "character",
  campaign: "campaign",
  session: "session",
};

/** On an edit form: someone else saved what is being edited. What was typed stays; saving will show both. */
function ChangedWhileEditing({ change }: { change: CampaignChange }) {
  const { pathname } = useLocation();
  const thing = editedThings[change.kind] ?? "page";
  return (
    <div role="status" className="mb-4 max-w-2xl rounded-lg border-2 border-amber-600 bg-amber-50 p-3">
      <p>
        <span className="font-semibold">{change.by}</span> just changed this {thing}. What you typed is still here:
        saving will show their version beside yours, to choose from.
      </p>
      <p className="mt-1">
        <Link to={pathname} className="text-ember-700 underline">
          Load their version instead (discards your changes)
        </Link>
      </p>
    </div>
  );
}

export function ErrorBoundary({ error }: Route.ErrorBoundaryProps) {
  return <ErrorPage error={error} />;
}
