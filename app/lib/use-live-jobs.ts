import { useEffect, useRef, useState } from "react";
import { useRevalidator } from "react-router";
import type { JobProgress, LiveMessage } from "./jobs";
import { type LiveConnection, openLiveSocket } from "./live-connection";

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
    const apply = (list: JobProgress[], replace: boolean) => {
      if (list.some((job) => !known.current.has(job.fileKey))) revalidate.current();
      setJobs((previous) => merge(replace ? new Map() : previous, list));
    };
    return openLiveSocket({
      path: "/ws",
      onState: setConnection,
      onMessage: (data) => {
        const message = JSON.parse(data) as LiveMessage;
        if (message.type === "snapshot") apply(message.jobs, true);
        else if (message.type === "job") apply([message.job], false);
        else if (message.type === "deleted") revalidate.current();
      },
      poll: async () => {
        const response = await fetch("/api/jobs", { headers: { Accept: "application/json" } });
        if (response.ok) apply(((await response.json()) as { jobs: JobProgress[] }).jobs, true);
        return undefined;
      },
    });
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
