import { exports } from "cloudflare:workers";
import { expect } from "vitest";
import type { CampaignChange, RoomMessage } from "~/lib/campaign-live";
import type { User } from "~/server/db/schema";
import { sessionCookieFor } from "./helpers";

/** A request to open a campaign's room socket, as the browser sends it. */
export function connectRoom(campaignId: string, cookie?: string) {
  return exports.default.fetch(`http://localhost/ws/campaigns/${campaignId}`, {
    headers: { Upgrade: "websocket", Origin: "http://localhost", ...(cookie ? { Cookie: cookie } : {}) },
  });
}

/** `user`'s open socket in the campaign's room, with every message it has received so far. */
export async function openRoom(campaignId: string, user: User) {
  const response = await connectRoom(campaignId, await sessionCookieFor(user));
  expect(response.status).toBe(101);
  const ws = response.webSocket;
  if (!ws) throw new Error("no WebSocket");
  const messages: RoomMessage[] = [];
  const closed = new Promise<number>((resolve) => ws.addEventListener("close", (event) => resolve(event.code)));
  ws.addEventListener("message", (event) => messages.push(JSON.parse(event.data as string)));
  ws.accept();
  return {
    ws,
    messages,
    closed,
    /** The changes among the messages, in order. */
    get changes(): CampaignChange[] {
      return messages.flatMap((message) => (message.type === "change" ? [message.change] : []));
    },
  };
}
