import { describe, expect, it } from "vitest";
import { createCampaign } from "~/server/campaigns/campaigns.server";
import { createContextEntry } from "~/server/campaigns/context-entries.server";
import { createInvite, joinWithInvite, removeMember } from "~/server/campaigns/members.server";
import { type CampaignAccess, campaignAccess } from "~/server/campaigns/policy.server";
import { reveal } from "~/server/campaigns/reveals.server";
import { announce, audienceNow, closeRoomSockets } from "~/server/live/campaign-room.server";
import { db, newUser, ownerAccess, services, sessionCookieFor } from "./helpers";
import { connectRoom as connect, openRoom as open } from "./room-socket";
import { callRoute, routeAt } from "./route-walk";

const settle = () => new Promise((resolve) => setTimeout(resolve, 100));

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
    expect(gmSocket.changes.map((change) => change.id)).toEqual([String(secret.id)]);
    expect(JSON.stringify(playerSocket.messages)).not.toContain(`"id":"${secret.id}"`);

    // Revealed to the player: now they hear of it, with who did it.
    const before = await audienceNow(services, access, { kind: "entry", id: String(secret.id) });
    await reveal(db, access, { kind: "entry", id: String(secret.id) }, [player.id], "Session 3");
    await announce(services, access, { kind: "entry", id: String(secret.id) }, before);
    await settle();
    expect(playerSocket.changes).toMatchObject([{ kind: "entry", id: String(secret.id), by: gm.username }]);
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
    expect(playerSocket.changes).toMatchObject([{ kind: "entry", id: String(entry.id), by: gm.username }]);

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

  it("carries the session log: everyone present hears a note arrive, a GM-only note reaches only the GMs", async () => {
    const { gm, player, campaign } = await table();
    const gmSocket = await open(campaign.id, gm);
    const playerSocket = await open(campaign.id, player);
    const [gmCookie, playerCookie] = [await sessionCookieFor(gm), await sessionCookieFor(player)];
    const logUrl = `http://localhost/campaigns/${campaign.id}/log`;
    const log = routeAt("/campaigns/:campaignId/log");
    const params = { campaignId: campaign.id };
    const add = (cookie: string, form: Record<string, string>) =>
      callRoute(log, "action", logUrl, { cookie, params, form: { intent: "add", ...form } });
    const read = async (cookie: string) => (await callRoute(log, "loader", logUrl, { cookie, params }))?.text();

    expect((await add(playerCookie, { body: "We owe the ferryman a silver coin." }))?.status).toBe(302);
    // A player cannot keep a note for the GMs: asking for it still writes one for everyone.
    expect((await add(playerCookie, { body: "Mirela flirted with the guard.", gmOnly: "on" }))?.status).toBe(302);
    expect((await add(gmCookie, { body: "ZANTHOR-MARKER is the guard's true name.", gmOnly: "on" }))?.status).toBe(302);
    // Too long: refused with what to do, and nothing is written.
    const tooLong = await add(playerCookie, { body: "x".repeat(501) });
    expect(tooLong?.status).toBe(400);
    expect(await tooLong?.text()).toContain("Keep a note under 500 characters");
    await settle();

    expect(gmSocket.changes.map((change) => [change.kind, change.by])).toEqual([
      ["log", player.username],
      ["log", player.username],
      ["log", gm.username],
    ]);
    expect(playerSocket.changes).toHaveLength(2);
    const gmNoteId = gmSocket.changes[2]?.id;
    expect(JSON.stringify(playerSocket.messages)).not.toContain(`"id":"${gmNoteId}"`);

    const playerView = await read(playerCookie);
    expect(playerView).toContain("We owe the ferryman a silver coin.");
    expect(playerView).toContain("Mirela flirted with the guard.");
    expect(playerView).not.toContain("ZANTHOR-MARKER");
    const gmView = await read(gmCookie);
    expect(gmView).toContain("ZANTHOR-MARKER");
    expect(gmView?.match(/"audience":"gm"/g)).toHaveLength(1);

    // The polling fallback answers the same: the player's poll never names the GM's note.
    const poll = await callRoute(
      routeAt("/api/campaigns/:campaignId/live"),
      "loader",
      `http://localhost/api/campaigns/${campaign.id}/live?after=0`,
      { cookie: playerCookie, params },
    );
    const polled = (await poll?.json()) as { changes: { id: string }[]; people: { username: string }[] };
    expect(polled.changes).toHaveLength(2);
    expect(polled.changes.map((change) => change.id)).not.toContain(gmNoteId);
    expect(polled.people.map((person) => person.username)).toContain(player.username);
  });

  it("tells whoever may see an entry that it was edited, and closes every socket when the campaign is deleted", async () => {
    const { gm, player, campaign } = await table();
    const entry = (audience: "gm" | "campaign", title: string) =>
      createContextEntry(db, campaign, { contextType: "lore", title, content: "", tags: [], audience });
    const [shared, hidden] = [await entry("campaign", "The ferry"), await entry("gm", "The lich")];
    const playerSocket = await open(campaign.id, player);
    const cookie = await sessionCookieFor(gm);
    const save = (id: number, title: string) =>
      callRoute(
        routeAt("/campaigns/:campaignId/context/:entryId/edit"),
        "action",
        `http://localhost/campaigns/${campaign.id}/context/${id}/edit`,
        {
          cookie,
          params: { campaignId: campaign.id, entryId: String(id) },
          form: { intent: "save", version: "1", contextType: "lore", title, content: "", audience: "campaign" },
        },
      );
    expect((await save(shared.id, "The ferry at dusk"))?.status).toBe(302);
    await settle();
    expect(playerSocket.changes).toMatchObject([{ kind: "entry", id: String(shared.id), by: gm.username }]);

    // Saved as shared: the player hears of it now, and not before (no earlier message named it).
    const hiddenBefore = JSON.stringify(playerSocket.messages).includes(`"id":"${hidden.id}"`);
    expect(hiddenBefore).toBe(false);
    expect((await save(hidden.id, "The lich, unveiled"))?.status).toBe(302);
    await settle();
    expect(playerSocket.changes.map((change) => change.id)).toEqual([String(shared.id), String(hidden.id)]);

    const deleted = await callRoute(
      routeAt("/campaigns/:campaignId/edit"),
      "action",
      `http://localhost/campaigns/${campaign.id}/edit`,
      { cookie, params: { campaignId: campaign.id }, form: { intent: "delete" } },
    );
    expect(deleted?.status).toBe(302);
    expect(await playerSocket.closed).toBe(4004);
  });
});
