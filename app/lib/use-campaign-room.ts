import { useEffect, useRef, useState } from "react";
import { type UIMatch, useLocation, useMatches, useRevalidator } from "react-router";
import {
  type CampaignChange,
  type LiveHandle,
  type PresentPerson,
  ROOM_CLOSED,
  type RoomMessage,
  type RoomPoll,
} from "./campaign-live";
import { backOff, type LiveConnection, POLL_AFTER_FAILURES, POLL_INTERVAL_MS, socketUrl } from "./live-connection";

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
  const matches = useMatches();
  const currentMatches = useRef(matches);
  currentMatches.current = matches;

  useEffect(() => {
    let socket: WebSocket | null = null;
    let failures = 0;
    let wasOpen = false;
    let stopped = false;
    let reconnectTimer: ReturnType<typeof setTimeout> | undefined;
    let reloadTimer: ReturnType<typeof setTimeout> | undefined;
    let pollTimer: ReturnType<typeof setInterval> | undefined;
    let pollAfter = Date.now() - POLL_OVERLAP_MS;
    const heard = new Set<string>();

    const reload = () => {
      clearTimeout(reloadTimer);
      reloadTimer = setTimeout(() => {
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
    const stop = () => {
      stopped = true;
      setConnection("closed");
      setPeople([]);
      stopPolling();
      revalidate.current();
    };

    const poll = async () => {
      try {
        const response = await fetch(`/api/campaigns/${campaignId}/live?after=${pollAfter}`, {
          headers: { Accept: "application/json" },
        });
        if (response.status === 401 || response.status === 404) return stop();
        if (!response.ok) return;
        const answer = (await response.json()) as RoomPoll;
        pollAfter = answer.now - POLL_OVERLAP_MS;
        setPeople(answer.people);
        for (const change of answer.changes) hear(change);
      } catch {
        // Offline for a moment: the next poll tries again.
      }
    };
    const startPolling = () => {
      setConnection("polling");
      if (pollTimer) return;
      void poll();
      pollTimer = setInterval(poll, POLL_INTERVAL_MS);
    };
    const stopPolling = () => {
      clearInterval(pollTimer);
      pollTimer = undefined;
    };

    const connect = () => {
      if (stopped) return;
      if (typeof WebSocket === "undefined") return startPolling();
      setConnection((state) => (state === "polling" ? state : "connecting"));
      socket = new WebSocket(socketUrl(`/ws/campaigns/${campaignId}`));
      socket.onopen = () => {
        failures = 0;
        stopPolling();
        setConnection("live");
        // What changed while the page was not listening.
        if (wasOpen) reload();
        wasOpen = true;
      };
      socket.onmessage = (event) => {
        const message = JSON.parse(String(event.data)) as RoomMessage;
        if (message.type === "presence") setPeople(message.people);
        else hear(message.change);
      };
      socket.onclose = (event) => {
        socket = null;
        if (stopped) return;
        if (event.code === ROOM_CLOSED.gone) return stop();
        if (event.code === ROOM_CLOSED.recheck) {
          // Their standing changed: come back in as the policy now sees them (or be refused).
          reload();
          reconnectTimer = setTimeout(connect, backOff(0));
          return;
        }
        failures += 1;
        if (failures >= POLL_AFTER_FAILURES) startPolling();
        reconnectTimer = setTimeout(connect, backOff(failures));
      };
    };
    connect();
    return () => {
      stopped = true;
      clearTimeout(reconnectTimer);
      clearTimeout(reloadTimer);
      stopPolling();
      socket?.close(1000, "page closed");
    };
  }, [campaignId, me]);

  return { people, connection, changedWhileEditing: held?.page === page ? held.change : null };
}

/** The innermost route's `handle.live`, if it has one. */
function liveHandleOf(matches: UIMatch[]): LiveHandle["live"] | undefined {
  const handle = matches.at(-1)?.handle as Partial<LiveHandle> | undefined;
  return handle?.live;
}
