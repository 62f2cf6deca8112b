import { createCookie } from "react-router";
import { cookieName, secureCookies } from "../sessions/session.server";

/**
 * D1's Sessions API (read replication; ADR 0031). Each request reads through a D1
 * session that starts at the device's bookmark — the point in the database's history its
 * last write reached — so a replica answers only once it has caught up with that write:
 * a GM always sees their own saves. Without a bookmark the session starts anywhere
 * ("first-unconstrained": the nearest replica). Writes always go to the primary.
 */

/** A bookmark as D1 writes it is short hex with dashes; anything else is ignored. */
const BOOKMARK = /^[\w-]{1,256}$/;
/** Longer than any replica lags; a device that has not written for this long needs no bookmark. */
const BOOKMARK_MAX_AGE_SECONDS = 60 * 60;

function bookmarkCookie(requestUrl: string) {
  return createCookie(cookieName("d1", requestUrl), {
    httpOnly: true,
    sameSite: "lax",
    path: "/",
    secure: secureCookies(requestUrl),
    maxAge: BOOKMARK_MAX_AGE_SECONDS,
  });
}

/** The device's bookmark from its cookie, or null (none, or not a bookmark). */
export async function bookmarkOf(request: Request): Promise<string | null> {
  const value: unknown = await bookmarkCookie(request.url).parse(request.headers.get("Cookie"));
  return typeof value === "string" && BOOKMARK.test(value) ? value : null;
}

/**
 * The D1 session a request reads through: from the bookmark, or from anywhere. Work that
 * decides what to delete (the cron) starts at the primary instead ("first-primary").
 */
export function d1Session(db: D1Database, start: string | null): D1DatabaseSession {
  return db.withSession(start ?? "first-unconstrained");
}

/**
 * After a request that may have written (anything but GET and HEAD): the bookmark its
 * session reached, as a cookie, when it moved on from the one the request came with.
 */
export async function bookmarkSetCookie(
  request: Request,
  before: string | null,
  after: string | null,
): Promise<string | null> {
  if (request.method === "GET" || request.method === "HEAD") return null;
  if (!after || after === before || !BOOKMARK.test(after)) return null;
  return bookmarkCookie(request.url).serialize(after);
}
