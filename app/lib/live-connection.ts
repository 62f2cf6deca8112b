/**
 * What every live page shares (the library's progress, a campaign's room): how it
 * reconnects, and when it falls back to polling. Browser-only helpers.
 */
export type LiveConnection = "connecting" | "live" | "polling";

/** Reconnect back-off: 1 s doubling to 30 s, with jitter so tabs do not reconnect in step. */
export const backOff = (attempt: number) => Math.min(30_000, 1_000 * 2 ** attempt) * (0.75 + Math.random() / 2);
/** After this many failed connections in a row, poll until the socket comes back. */
export const POLL_AFTER_FAILURES = 2;
export const POLL_INTERVAL_MS = 3_000;

/** The WebSocket URL of a path on this site (wss behind https). */
export const socketUrl = (path: string) => `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}${path}`;
