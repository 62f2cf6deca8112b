import { runScheduled } from "../cron.server";
import { connectCampaignRoom, ROOM_PATH } from "../live/campaign-room.server";
import { connectLiveUpdates } from "../live/live-updates.server";
import { limitBody } from "./body-limits.server";
import { rejectCrossSite } from "./security.server";

/**
 * What the Worker does with a request before React Router sees it, in both entries (the
 * real one and the tests'): refuse cross-site writes, hand `/ws` to the live-update
 * socket and `/ws/campaigns/:id` to the campaign's room, run the cron on `POST /__cron` when
 * the local server allows it, bound the body. Answers the response to send, or the request to route.
 */
export async function beforeRouter(request: Request, env: Env): Promise<Request | Response> {
  const refused = rejectCrossSite(request);
  if (refused) return refused;
  const { pathname } = new URL(request.url);
  if (pathname === "/ws") return connectLiveUpdates(request, env);
  const room = ROOM_PATH.exec(pathname);
  if (room?.[1]) return connectCampaignRoom(request, env, room[1]);
  if (pathname === "/__cron" && env.LOCAL_CRON_TRIGGER === "on" && request.method === "POST" && isLoopback(request)) {
    // Local only: scripts/serve.mjs sets the var (crons never fire by themselves there), and
    // only for a loopback host — not a LAN address, not a rebound DNS name.
    await runScheduled(env);
    return new Response("The cron ran.\n", { headers: { "Content-Type": "text/plain; charset=utf-8" } });
  }
  return limitBody(request);
}

const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);

function isLoopback(request: Request): boolean {
  return LOOPBACK_HOSTS.has(new URL(request.url).hostname);
}
