import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { RoomMessage } from "~/lib/campaign-live";
import { createCampaign } from "~/server/campaigns/campaigns.server";
import { createContextEntry } from "~/server/campaigns/context-entries.server";
import { createInvite, joinWithInvite, removeMember } from "~/server/campaigns/members.server";
import { type CampaignAccess, campaignAccess } from "~/server/campaigns/policy.server";
import { reveal } from "~/server/campaigns/reveals.server";
import type { User } from "~/server/db/schema";
import { announce, audienceNow, closeRoomSockets } from "~/server/live/campaign-room.server";
import { db, newUser, ownerAccess, services, sessionCookieFor } from "./helpers";
import { callRoute, routeAt } from "./route-walk";

const app = () => exports.default;

function connect(campaignId: string, cookie?: string) {
  return app().fetch(`http://localhost/ws/campaigns/${campaignId}`, {
    headers: { Upgrade: "websocket", Origin: "http://localhost", ...(cookie ? { Cookie: cookie } : {}) },
  });
}

/** An open socket and every message it has received so far. */
async function open(campaignId: string, user: User) {
  const response = await connect(campaignId, await sessionCookieFor(user));
  expect(response.status).toBe(101);
  const ws = response.webSocket;
  if (!ws) throw new Error("no WebSocket");
  const messages: RoomMessage[] = [];
  const closed = new Promise<number>((resolve) => ws.addEventListener("close", (event) => resolve(event.code)));
  ws.addEventListener("message", (event) => messages.push(JSON.parse(event.data as string)));
  ws.accept();
  return { ws, messages, closed };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 100));
const changes = (messages: RoomMessage[]) =>
  messages.flatMap((message) => (message.type === "change" ? [message.change] : []));

async function table() {
  const gm = await newUser("gm");
  const player = await newUser("player");
  const stranger = await newUser("stranger");
  const campaign = await createCampaign(db, gm.username, {
    name: "Live table",
    description: "",
    status: "active",
    tags: [],
  });
  const access = await ownerAccess(gm, campaign);
  const { token } = await createInvite(db, access, { role: "player", lifetimeDays: 7, maxUses: 1 });
  await joinWithInvite(db, player, token);
  return { gm, player, stranger, campaign, access: access as CampaignAccess };
}

describe("campaign room socket", () => {
  it("lets in only signed-in members: signed out 401, a stranger or a made-up campaign 404", async () => {
    const { campaign, stranger } = await table();
    expect((await connect(campaign.id)).status).toBe(401);
    expect((await connect(campaign.id, await sessionCookieFor(stranger))).status).toBe(404);
    expect((await connect("00000000-0000-0000-0000-000000000000", await sessionCookieFor(stranger))).status).toBe(404);
  });

  it("shows who is here, and tells each page only of changes its reader may see", async () => {
    const { gm, player, campaign, access } = await table();
    const gmSocket = await open(campaign.id, gm);
    const playerSocket = await open(campaign.id, player);
    await settle();
    const lastPresence = [...playerSocket.messages].reverse().find((message) => message.type === "presence");
    expect(lastPresence).toEqual({
      type: "presence",
      people: [
        { username: gm.username, role: "owner" },
        { username: player.username, role: "player" },
      ],
    });

    // A GM-only entry: the GM's page hears of it, the player's never sees its id.
    const secret = await createContextEntry(db, campaign, {
      contextType: "lore",
      title: "The hidden lich",
      content: "Lives below.",
      tags: [],
      audience: "gm",
    });
    await announce(services, access, { kind: "entry", id: String(secret.id) });
    await settle();
    expect(changes(gmSocket.messages).map((change) => change.id)).toEqual([String(secret.id)]);
    expect(JSON.stringify(playerSocket.messages)).not.toContain(`"id":"${secret.id}"`);

    // Revealed to the player: now they hear of it, with who did it.
    const before = await audienceNow(services, access, { kind: "entry", id: String(secret.id) });
    await reveal(db, access, { kind: "entry", id: String(secret.id) }, [player.id], "Session 3");
    await announce(services, access, { kind: "entry", id: String(secret.id) }, before);
    await settle();
    expect(changes(playerSocket.messages)).toMatchObject([{ kind: "entry", id: String(secret.id), by: gm.username }]);
  });

  it("closes a removed member's socket, and the polling answer is filtered the same way", async () => {
    const { gm, player, campaign, access } = await table();
    const playerSocket = await open(campaign.id, player);
    const hidden = await createContextEntry(db, campaign, {
      contextType: "lore",
      title: "Still hidden",
      content: "",
      tags: [],
      audience: "gm",
    });
    await announce(services, access, { kind: "entry", id: String(hidden.id) });
    const playerAccess = await campaignAccess(db, player, campaign.id);
    if (!playerAccess) throw new Error("player not in the campaign");
    const polled = await services
      .room(campaign.id)
      .poll({ accountId: player.id, username: player.username, role: "player" }, 0);
    expect(polled.changes).toEqual([]);
    const gmPoll = await services.room(campaign.id).poll({ accountId: gm.id, username: gm.username, role: "owner" }, 0);
    expect(gmPoll.changes.map((change) => change.id)).toEqual([String(hidden.id)]);

    expect(await removeMember(db, campaign, player.id)).toBe(true);
    await closeRoomSockets(services, campaign.id, [player.id]);
    expect(await playerSocket.closed).toBe(4003);
    expect((await connect(campaign.id, await sessionCookieFor(player))).status).toBe(404);
  });

  it("hears the routes: a GM's reveal on the entry page reaches the player's open page, and removing them closes it", async () => {
    const { gm, player, campaign } = await table();
    const entry = await createContextEntry(db, campaign, {
      contextType: "lore",
      title: "The sealed door",
      content: "",
      tags: [],
      audience: "gm",
    });
    const playerSocket = await open(campaign.id, player);
    const cookie = await sessionCookieFor(gm);
    const entryUrl = `http://localhost/campaigns/${campaign.id}/context/${entry.id}`;
    const revealed = await callRoute(routeAt("/campaigns/:campaignId/context/:entryId"), "action", entryUrl, {
      cookie,
      params: { campaignId: campaign.id, entryId: String(entry.id) },
      form: { intent: "reveal", to: player.id, sessionLabel: "Session 4" },
    });
    expect(revealed?.status).toBe(302);
    await settle();
    expect(changes(playerSocket.messages)).toMatchObject([{ kind: "entry", id: String(entry.id), by: gm.username }]);

    const removed = await callRoute(
      routeAt("/campaigns/:campaignId/members"),
      "action",
      `http://localhost/campaigns/${campaign.id}/members`,
      {
        cookie,
        params: { campaignId: campaign.id },
        form: { intent: "remove", accountId: player.id },
      },
    );
    expect(removed?.status).toBe(302);
    expect(await playerSocket.closed).toBe(4003);
  });
});
