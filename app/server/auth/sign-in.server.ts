import { redirect } from "react-router";
import type { User } from "../db/schema";
import type { RequestState } from "../request.server";
import { cookieOptions } from "../sessions/session.server";

/**
 * Starts a fresh session for `user` and redirects. The old session id is destroyed first
 * (rotation at login: an id planted before sign-in is worthless after it).
 */
export async function startSession(state: RequestState, user: User, remember: boolean, to: string): Promise<Response> {
  const { store, session: previous } = state;
  if (previous.id) await store.destroySession(previous);
  const session = await store.getSession();
  session.set("username", user.username);
  session.set("epoch", user.sessionEpoch);
  session.set("remember", remember);
  session.set("refreshedAt", Date.now());
  return redirect(to, { headers: { "Set-Cookie": await store.commitSession(session, cookieOptions(session)) } });
}

export async function endSession(state: RequestState, to = "/"): Promise<Response> {
  return redirect(to, { headers: { "Set-Cookie": await state.store.destroySession(state.session) } });
}
