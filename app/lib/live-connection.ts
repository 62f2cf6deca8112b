/**
 * What every live page shares (the library's progress, a campaign's room): how it
 * reconnects, and when it falls back to polling (openLiveSocket). Browser-only.
 */
export type LiveConnection = "connecting" | "live" | "polling";

/** Reconnect back-off: 1 s doubling to 30 s, with jitter so tabs do not reconnect in step. */
const backOff = (attempt: number) => Math.min(30_000, 1_000 * 2 ** attempt) * (0.75 + Math.random() / 2);
/** After this many failed connections in a row, poll until the socket comes back. */
const POLL_AFTER_FAILURES = 2;
const POLL_INTERVAL_MS = 3_000;

/** The WebSocket URL of a path on this site (wss behind https). */
const socketUrl = (path: string) => `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}${path}`;

export interface LiveSocketOptions {
  /** The socket's path on this site ("/ws"). */
  path: string;
  onMessage: (data: string) => void;
  /** One poll while the socket does not get through; answers "stop" when the server says it is over. */
  poll: () => Promise<"stop" | undefined>;
  onState: (state: LiveConnection) => void;
  /** The socket opened again after a drop: what changed meanwhile was not heard. */
  onReopen?: () => void;
  /** How to meet a close code: "stop" for good, "now" to come back at once, else the back-off. */
  closeAction?: (code: number) => "stop" | "now" | undefined;
  /** It stopped for good (a close code or a poll said so). */
  onStop?: () => void;
}

/**
 * A socket that reconnects with back-off and polls while it cannot get through: the one
 * loop behind every live page. Answers the function that closes it (an effect's cleanup).
 */
export function openLiveSocket(options: LiveSocketOptions): () => void {
  const { path, onMessage, onState, onReopen, closeAction, onStop } = options;
  let socket: WebSocket | null = null;
  let failures = 0;
  let wasOpen = false;
  let stopped = false;
  let reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  let pollTimer: ReturnType<typeof setInterval> | undefined;
  let state: LiveConnection = "connecting";
  const setState = (next: LiveConnection) => {
    state = next;
    onState(next);
  };

  const stopPolling = () => {
    clearInterval(pollTimer);
    pollTimer = undefined;
  };
  const stop = () => {
    stopped = true;
    stopPolling();
    onStop?.();
  };
  const poll = async () => {
    try {
      if ((await options.poll()) === "stop" && !stopped) stop();
    } catch {
      // Offline for a moment: the next poll tries again.
    }
  };
  const startPolling = () => {
    setState("polling");
    if (pollTimer) return;
    void poll();
    pollTimer = setInterval(poll, POLL_INTERVAL_MS);
  };
  const connect = () => {
    if (stopped) return;
    if (typeof WebSocket === "undefined") return startPolling();
    // While polling, the page keeps saying so until the socket is really back.
    if (state !== "polling") setState("connecting");
    socket = new WebSocket(socketUrl(path));
    socket.onopen = () => {
      failures = 0;
      stopPolling();
      setState("live");
      if (wasOpen) onReopen?.();
      wasOpen = true;
    };
    socket.onmessage = (event) => onMessage(String(event.data));
    socket.onclose = (event) => {
      socket = null;
      if (stopped) return;
      const action = closeAction?.(event.code);
      if (action === "stop") return stop();
      if (action === "now") {
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
    stopPolling();
    socket?.close(1000, "page closed");
  };
}
