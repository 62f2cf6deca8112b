import { useEffect, useRef, useState } from "react";
import { type UIMatch, useLocation, useMatches, useNavigation, useRevalidator } from "react-router";
import {
  type CampaignChange,
  type LiveHandle,
  type PresentPerson,
  ROOM_CLOSED,
  type RoomMessage,
  type RoomPoll,
} from "./campaign-live";
import { type LiveConnection, openLiveSocket } from "./live-connection";

/** Changes arriving within this window reload the page once. */
const RELOAD_DEBOUNCE_MS = 250;
/** A poll asks again for this much before the last answer's clock, and drops what it has heard. */
const POLL_OVERLAP_MS = 2_000;
/** Event ids remembered to act on each change once (socket and poll may both bring it). */
const REMEMBERED_EVENTS = 200;

export interface CampaignRoomState {
  /** Who has the campaign open now (empty until the room answers). */
  people: PresentPerson[];
  connection: LiveConnection | "closed";
  /** Someone else changed what this page's form is editing: the form keeps its text, the page says so. */
  changedWhileEditing: CampaignChange | null;
}

/**
 * The campaign's live room for its open pages (ADR 0026): a WebSocket to
 * `/ws/campaigns/:id`, reconnecting with back-off and polling `/api/campaigns/:id/live`
 * whenever WebSockets do not get through. A change it hears of reloads the page's data
 * (once per burst, and once after every reconnect, for what it missed), except where the
 * route's `handle.live` says otherwise (an edit form, a conversation). A closed room
 * (signed out, removed, campaign deleted) stops it after one reload, which shows the
 * page its reader may now see.
 */
export function useCampaignRoom(campaignId: string, me: string): CampaignRoomState {
  const [people, setPeople] = useState<PresentPerson[]>([]);
  const [connection, setConnection] = useState<CampaignRoomState["connection"]>("connecting");
  // Held with the page it was heard on: another page (or reloading this one) starts without it.
  const [held, setHeld] = useState<{ change: CampaignChange; page: string } | null>(null);
  const page = useLocation().key;
  const currentPage = useRef(page);
  currentPage.current = page;
  const revalidator = useRevalidator();
  const revalidate = useRef(revalidator.revalidate);
  revalidate.current = revalidator.revalidate;
  const navigating = useRef(false);
  navigating.current = useNavigation().state !== "idle";
  const matches = useMatches();
  const currentMatches = useRef(matches);
  currentMatches.current = matches;

  useEffect(() => {
    let reloadTimer: ReturnType<typeof setTimeout> | undefined;
    let pollAfter = Date.now() - POLL_OVERLAP_MS;
    const heard = new Set<string>();

    const reload = () => {
      clearTimeout(reloadTimer);
      reloadTimer = setTimeout(() => {
        // Not in the middle of a navigation (a save's redirect): a reload racing it could
        // read the one-shot toast the redirect left and be dropped. Once it lands, reload.
        if (navigating.current) return reload();
        if (liveHandleOf(currentMatches.current) === undefined) revalidate.current();
      }, RELOAD_DEBOUNCE_MS);
    };
    const hear = (change: CampaignChange) => {
      if (heard.has(change.eventId)) return;
      heard.add(change.eventId);
      if (heard.size > REMEMBERED_EVENTS) heard.delete(heard.values().next().value as string);
      const handle = liveHandleOf(currentMatches.current);
      if (handle === undefined) return reload();
      if (handle === "ignore") return;
      const editing = currentMatches.current.at(-1)?.params[handle.param];
      if (change.kind === handle.editing && change.id === editing && change.by !== me) {
        setHeld({ change, page: currentPage.current });
      }
    };

    const close = openLiveSocket({
      path: `/ws/campaigns/${campaignId}`,
      onState: setConnection,
      onMessage: (data) => {
        const message = JSON.parse(data) as RoomMessage;
        if (message.type === "presence") setPeople(message.people);
        else hear(message.change);
      },
      poll: async () => {
        const response = await fetch(`/api/campaigns/${campaignId}/live?after=${pollAfter}`, {
          headers: { Accept: "application/json" },
        });
        if (response.status === 401 || response.status === 404) return "stop";
        if (!response.ok) return undefined;
        const answer = (await response.json()) as RoomPoll;
        pollAfter = answer.now - POLL_OVERLAP_MS;
        setPeople(answer.people);
        for (const change of answer.changes) hear(change);
        return undefined;
      },
      // What changed while the page was not listening.
      onReopen: reload,
      closeAction: (code) => {
        if (code === ROOM_CLOSED.gone) return "stop";
        if (code !== ROOM_CLOSED.recheck) return undefined;
        // Their standing changed: come back in as the policy now sees them (or be refused).
        reload();
        return "now";
      },
      // Signed out, removed, campaign deleted: one reload shows the page its reader may now see.
      onStop: () => {
        setConnection("closed");
        setPeople([]);
        revalidate.current();
      },
    });
    return () => {
      clearTimeout(reloadTimer);
      close();
    };
  }, [campaignId, me]);

  return { people, connection, changedWhileEditing: held?.page === page ? held.change : null };
}

/** The innermost route's `handle.live`, if it has one. */
function liveHandleOf(matches: UIMatch[]): LiveHandle["live"] | undefined {
  const handle = matches.at(-1)?.handle as Partial<LiveHandle> | undefined;
  return handle?.live;
}
