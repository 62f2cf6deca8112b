import { useEffect, useRef, useState } from "react";
import { useRevalidator } from "react-router";
import type { JobProgress, LiveMessage } from "./jobs";
import { backOff, type LiveConnection, POLL_AFTER_FAILURES, POLL_INTERVAL_MS, socketUrl } from "./live-connection";

/**
 * Live processing progress for the user's files: a WebSocket to the user's tracker,
 * reconnecting with back-off, and polling `/api/jobs` whenever WebSockets do not get
 * through. Files that appear or disappear elsewhere (another tab, the phone) make the
 * page's data reload, so the list itself stays current too.
 */
export function useLiveJobs(initial: JobProgress[]): { jobs: Map<string, JobProgress>; connection: LiveConnection } {
  const [jobs, setJobs] = useState(() => new Map(initial.map((job) => [job.fileKey, job])));
  const [connection, setConnection] = useState<LiveConnection>("connecting");
  const revalidator = useRevalidator();
  const revalidate = useRef(revalidator.revalidate);
  revalidate.current = revalidator.revalidate;
  const known = useRef(new Set(initial.map((job) => job.fileKey)));

  // Loader data (after an upload or an action) is the newer truth for jobs it carries.
  useEffect(() => {
    known.current = new Set(initial.map((job) => job.fileKey));
    setJobs((previous) => merge(previous, initial));
  }, [initial]);

  useEffect(() => {
    let socket: WebSocket | null = null;
    let failures = 0;
    let stopped = false;
    let reconnectTimer: ReturnType<typeof setTimeout> | undefined;
    let pollTimer: ReturnType<typeof setInterval> | undefined;

    const apply = (list: JobProgress[], replace: boolean) => {
      if (list.some((job) => !known.current.has(job.fileKey))) revalidate.current();
      setJobs((previous) => merge(replace ? new Map() : previous, list));
    };
    const poll = async () => {
      try {
        const response = await fetch("/api/jobs", { headers: { Accept: "application/json" } });
        if (response.ok) apply(((await response.json()) as { jobs: JobProgress[] }).jobs, true);
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
      socket = new WebSocket(socketUrl("/ws"));
      socket.onopen = () => {
        failures = 0;
        stopPolling();
        setConnection("live");
      };
      socket.onmessage = (event) => {
        const message = JSON.parse(String(event.data)) as LiveMessage;
        if (message.type === "snapshot") apply(message.jobs, true);
        else if (message.type === "job") apply([message.job], false);
        else if (message.type === "deleted") revalidate.current();
      };
      socket.onclose = () => {
        socket = null;
        if (stopped) return;
        failures += 1;
        if (failures >= POLL_AFTER_FAILURES) startPolling();
        reconnectTimer = setTimeout(connect, backOff(failures));
      };
    };
    connect();
    return () => {
      stopped = true;
      clearTimeout(reconnectTimer);
      stopPolling();
      socket?.close(1000, "page closed");
    };
  }, []);

  return { jobs, connection };
}

/** Keeps, for each file, whichever report is newer. */
function merge(previous: Map<string, JobProgress>, incoming: JobProgress[]): Map<string, JobProgress> {
  const next = new Map(previous);
  for (const job of incoming) {
    const seen = next.get(job.fileKey);
    if (!seen || seen.updatedAt <= job.updatedAt || seen.version !== job.version) next.set(job.fileKey, job);
  }
  return next;
}
