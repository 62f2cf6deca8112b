import type { User } from "../db/schema";
import { clientId, type RequestState } from "../request.server";
import type { Services } from "../services.server";
import { cookieOptions, type SessionFlash } from "../sessions/session.server";
import type { AttemptOrigin } from "./accounts.server";
import { createDevice, removeDevice } from "./devices.server";
import { newKnownDevice, readKnownDevice } from "./known-device.server";

/** Where a password check comes from: the client, and whether this browser signed in before. */
export async function attemptOrigin(state: RequestState, request: Request): Promise<AttemptOrigin> {
  return {
    clientId: clientId(request),
    knownDevice: await readKnownDevice(state.knownDevice, request.headers.get("Cookie")),
  };
}

/**
 * Starts a fresh session for `user` on a new device row and answers the cookies to set.
 * The old session is ended first (rotation at sign-in: an id planted before sign-in is
 * worthless after it). The browser also becomes a known device of the account.
 */
export async function startSession(
  state: RequestState,
  services: Pick<Services, "db">,
  user: User,
  { remember, request, flash }: { remember: boolean; request: Request; flash?: SessionFlash },
): Promise<Headers> {
  const { store, session: previous } = state;
  const headers = new Headers();
  if (state.device) await removeDevice(services.db, { id: state.device.userId }, state.device.id);
  if (previous.id) await store.destroySession(previous);
  const device = await createDevice(services.db, user, {
    remember,
    userAgent: request.headers.get("User-Agent") ?? "",
  });
  const session = await store.getSession();
  session.set("deviceId", device.id);
  session.set("remember", remember);
  session.set("refreshedAt", Date.now());
  if (flash) session.flash("recoveryCodes", flash.recoveryCodes);
  headers.append("Set-Cookie", await store.commitSession(session, cookieOptions(device)));
  const known = await readKnownDevice(state.knownDevice, request.headers.get("Cookie"));
  if (known?.userId !== user.id)
    headers.append("Set-Cookie", await state.knownDevice.serialize(newKnownDevice(user.id)));
  return headers;
}

/** Signs this device out: its row, its open sockets and its KV entry go. */
export async function endSession(state: RequestState, services: Pick<Services, "db" | "tracker">): Promise<Headers> {
  const { device } = state;
  if (device) {
    await removeDevice(services.db, { id: device.userId }, device.id);
    await closeDeviceSockets(services, { id: device.userId }, [device.id]);
  }
  return new Headers({ "Set-Cookie": await state.store.destroySession(state.session) });
}

/** Closes the live-update sockets of devices that were just signed out. */
export async function closeDeviceSockets(
  services: Pick<Services, "tracker">,
  user: Pick<User, "id">,
  deviceIds: string[],
): Promise<void> {
  if (deviceIds.length) await services.tracker(user.id).closeSockets(deviceIds);
}
