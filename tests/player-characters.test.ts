import { describe, expect, it } from "vitest";
import type { CharacterInput } from "~/lib/campaign-schemas";
import { createConversation, readableConversation, shareConversation } from "~/server/assistant/conversations.server";
import { createCampaign } from "~/server/campaigns/campaigns.server";
import { createCharacter, getCharacter, updateCharacter } from "~/server/campaigns/characters.server";
import { createContextEntry } from "~/server/campaigns/context-entries.server";
import { addMemberNote, listMemberNotes, shareMemberNote } from "~/server/campaigns/member-notes.server";
import { createInvite, joinWithInvite, leaveCampaign, removeMember } from "~/server/campaigns/members.server";
import { assignPlayer, playableFields } from "~/server/campaigns/player-characters.server";
import { type CampaignAccess, campaignAccess } from "~/server/campaigns/policy.server";
import { hideFrom, reveal, revealPanel } from "~/server/campaigns/reveals.server";
import type { User } from "~/server/db/schema";
import { db, newUser, ownerAccess, sessionCookieFor } from "./helpers";
import { callRoute, routeAt } from "./route-walk";

const playRoute = routeAt("/campaigns/:campaignId/characters/:characterId/play");
const characterRoute = routeAt("/campaigns/:campaignId/characters/:characterId");

const wren: CharacterInput = {
  characterName: "Wren Ashdown",
  characterType: "pc",
  status: "alive",
  playerName: "",
  ancestry: "Halfling",
  characterClass: "Rogue",
  level: 3,
  alignment: "",
  backstory: "Grew up on the docks.",
  stats: [{ key: "HP", value: "21" }],
};

async function table() {
  const gm = await newUser("gm");
  const player = await newUser("player");
  const other = await newUser("other");
  const campaign = await createCampaign(db, gm.username, {
    name: "Players' own",
    description: "",
    status: "active",
    tags: [],
  });
  const access = (await ownerAccess(gm, campaign)) as CampaignAccess;
  for (const person of [player, other]) {
    const { token } = await createInvite(db, access, { role: "player", lifetimeDays: 7, maxUses: 1 });
    await joinWithInvite(db, person, token);
  }
  const character = await createCharacter(db, campaign, wren);
  const base = `http://localhost/campaigns/${campaign.id}/characters/${character.id}`;
  const params = { campaignId: campaign.id, characterId: String(character.id) };
  return { gm, player, other, campaign, access, character, base, params };
}

/** The character's version now: what a form loaded now carries. */
async function versionOf(access: CampaignAccess, characterId: number) {
  return (await getCharacter(db, access, characterId))?.version ?? 0;
}

async function save(user: User, base: string, params: Record<string, string>, form: Record<string, string>) {
  const response = await callRoute(playRoute, "action", `${base}/play`, {
    cookie: await sessionCookieFor(user),
    params,
    form,
  });
  return response as Response;
}

describe("players' characters", () => {
  it("the GM names who plays a character and what they may change; the character is shown to them", async () => {
    const { gm, player, access, character, base, params } = await table();
    const asPlayer = (await campaignAccess(db, player, access.campaign.id)) as CampaignAccess;
    expect(await getCharacter(db, asPlayer, character.id)).toBeUndefined();

    const assigned = await callRoute(characterRoute, "action", base, {
      cookie: await sessionCookieFor(gm),
      params,
      form: { intent: "player", playerId: player.id, playerFields: "stats" },
    });
    expect(assigned?.status).toBe(302);
    expect(await getCharacter(db, asPlayer, character.id)).toMatchObject({ characterName: "Wren Ashdown" });
    const page = await callRoute(characterRoute, "loader", base, { cookie: await sessionCookieFor(player), params });
    expect(await page?.json()).toMatchObject({ mayPlay: true, playedBy: null });
  });

  it("the GM's reveal panel names each player by the character they play, in the choices and in who learned it", async () => {
    const { player, other, access, character } = await table();
    await assignPlayer(db, access, character.id, player.id, ["stats"]);
    const entry = await createContextEntry(db, access.campaign, {
      title: "The smugglers' cove",
      content: "Below the lighthouse.",
      contextType: "location",
      tags: [],
      audience: "gm",
    });
    const subject = { kind: "entry" as const, id: String(entry.id) };
    const before = await revealPanel(db, access, subject, "gm");
    expect(before?.members).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ accountId: player.id, plays: "Wren Ashdown" }),
        expect.objectContaining({ accountId: other.id, plays: "" }),
      ]),
    );
    await reveal(db, access, subject, [player.id], "Session 3");
    const after = await revealPanel(db, access, subject, "gm");
    expect(after?.known).toEqual([expect.objectContaining({ accountId: player.id, plays: "Wren Ashdown" })]);
  });

  it("a player changes only the fields the GM allows: the name, class and other fields stay the GM's", async () => {
    const { player, access, character, base, params } = await table();
    await assignPlayer(db, access, character.id, player.id, ["backstory", "stats"]);

    const saved = await save(player, base, params, {
      version: String(await versionOf(access, character.id)),
      backstory: "Grew up on the docks. Owes the harbourmaster a favour.",
      "stats[0].key": "HP",
      "stats[0].value": "27",
      characterClass: "Wizard",
      characterName: "Renamed",
    });
    expect(saved.status).toBe(302);
    const now = await getCharacter(db, access, character.id);
    expect(now).toMatchObject({
      characterName: "Wren Ashdown",
      backstory: "Grew up on the docks. Owes the harbourmaster a favour.",
    });
    expect(now?.details).toMatchObject({ characterClass: "Rogue", ancestry: "Halfling", level: 3 });
    expect(now?.details.stats).toEqual([{ key: "HP", value: "27" }]);
  });

  it("a backstory holding a GM's secret block stays the GM's, even when the backstory was left to the player", async () => {
    const { player, access, character, base, params } = await table();
    await assignPlayer(db, access, character.id, player.id, ["backstory"]);
    const secretBackstory = "Grew up on the docks.\n\n```secret\nHer father is the smuggler king.\n```\n";
    const current = await getCharacter(db, access, character.id);
    await updateCharacter(db, access.campaign, character.id, current?.version ?? 1, {
      ...wren,
      backstory: secretBackstory,
    });

    // Nothing is left to them now: the page says why, a save answers 404, and nothing changed.
    const cookie = await sessionCookieFor(player);
    const page = await callRoute(playRoute, "loader", `${base}/play`, { cookie, params });
    expect(await page?.json()).toMatchObject({ fields: [], backstoryKept: true });
    const refused = await save(player, base, params, {
      version: String((current?.version ?? 1) + 1),
      backstory: "Mine now.",
    });
    expect(refused.status).toBe(404);
    expect((await getCharacter(db, access, character.id))?.backstory).toBe(secretBackstory);
  });

  it("only the player who plays it may open or save it: another player, a removed player and the GM answer 404", async () => {
    const { gm, player, other, access, character, base, params } = await table();
    await assignPlayer(db, access, character.id, player.id, ["stats"]);
    const form = { version: String(character.version), "stats[0].key": "HP", "stats[0].value": "1" };
    for (const someone of [other, gm]) {
      const cookie = await sessionCookieFor(someone);
      expect((await callRoute(playRoute, "loader", `${base}/play`, { cookie, params }))?.status).toBe(404);
      expect((await save(someone, base, params, form)).status).toBe(404);
    }
    await removeMember(db, access.campaign, player.id);
    expect((await save(player, base, params, form)).status).toBe(404);
    expect((await getCharacter(db, access, character.id))?.details.stats).toEqual([{ key: "HP", value: "21" }]);
  });

  it("a GM's save meanwhile is a conflict that keeps what the player typed; saving again keeps the player's version", async () => {
    const { player, access, character, base, params } = await table();
    await assignPlayer(db, access, character.id, player.id, ["stats"]);
    const loaded = await versionOf(access, character.id);
    await updateCharacter(db, access.campaign, character.id, loaded, {
      ...wren,
      stats: [{ key: "HP", value: "24" }],
    });

    const form = { version: String(loaded), "stats[0].key": "HP", "stats[0].value": "30" };
    const conflict = await save(player, base, params, form);
    expect(conflict.status).toBe(409);
    const body = (await conflict.json()) as { result: { error: Record<string, string[]> }; version: number };
    expect(body.result.error[""]?.[0]).toMatch(/Your GM changed this character/);
    expect((await getCharacter(db, access, character.id))?.details.stats).toEqual([{ key: "HP", value: "24" }]);

    expect((await save(player, base, params, { ...form, version: String(body.version) })).status).toBe(302);
    expect((await getCharacter(db, access, character.id))?.details.stats).toEqual([{ key: "HP", value: "30" }]);
  });

  it("a character hidden from its player again is not theirs to open or change, and its answers say nothing more", async () => {
    const { player, access, character, base, params } = await table();
    await assignPlayer(db, access, character.id, player.id, ["stats"]);
    const form = {
      version: String(await versionOf(access, character.id)),
      "stats[0].key": "HP",
      "stats[0].value": "1",
    };
    await hideFrom(db, access, { kind: "character", id: String(character.id) }, player.id);
    const cookie = await sessionCookieFor(player);
    expect((await callRoute(playRoute, "loader", `${base}/play`, { cookie, params }))?.status).toBe(404);
    expect((await save(player, base, params, form)).status).toBe(404);
    expect((await getCharacter(db, access, character.id))?.details.stats).toEqual([{ key: "HP", value: "21" }]);
  });

  it("a GM taking a field back while the player's form is open makes their save a conflict, never a write of it", async () => {
    const { player, access, character, base, params } = await table();
    await assignPlayer(db, access, character.id, player.id, ["stats", "backstory"]);
    const loaded = String(await versionOf(access, character.id));
    await assignPlayer(db, access, character.id, player.id, ["backstory"]);
    const stale = await save(player, base, params, {
      version: loaded,
      backstory: "Grew up on the docks.",
      "stats[0].key": "HP",
      "stats[0].value": "99",
    });
    expect(stale.status).toBe(409);
    expect((await getCharacter(db, access, character.id))?.details.stats).toEqual([{ key: "HP", value: "21" }]);
  });

  it("the play page sends only the fields left to the player; a backstory typed in a browser (CRLF) saves, and saves again", async () => {
    const { player, access, character, base, params } = await table();
    await assignPlayer(db, access, character.id, player.id, ["backstory"]);
    const cookie = await sessionCookieFor(player);
    const page = (await (await callRoute(playRoute, "loader", `${base}/play`, { cookie, params }))?.json()) as {
      values: Record<string, unknown>;
      version: number;
    };
    expect(Object.keys(page.values).sort()).toEqual(["backstory", "characterName"]);

    const first = await save(player, base, params, { version: String(page.version), backstory: "One.\r\nTwo." });
    expect(first.status).toBe(302);
    const again = await save(player, base, params, {
      version: String(page.version + 1),
      backstory: "One.\r\nTwo.\r\nThree.",
    });
    expect(again.status).toBe(302);
    expect((await getCharacter(db, access, character.id))?.backstory).toBe("One.\r\nTwo.\r\nThree.");
  });

  it("a player's own secret fence is refused with what to do, and nothing is saved", async () => {
    const { player, access, character, base, params } = await table();
    await assignPlayer(db, access, character.id, player.id, ["backstory"]);
    const refused = await save(player, base, params, {
      version: String(await versionOf(access, character.id)),
      backstory: "Mine.\n\n```secret\nHidden from me?\n```\n",
    });
    expect(refused.status).toBe(400);
    const body = (await refused.json()) as { result: { error: Record<string, string[]> } };
    expect(body.result.error.backstory?.[0]).toMatch(/remove the ```secret fence/);
    expect((await getCharacter(db, access, character.id))?.backstory).toBe("Grew up on the docks.");
  });

  it("a player who leaves stops playing their character and the GMs stop reading what they shared; joining again restores neither", async () => {
    const { gm, player, access, character, campaign } = await table();
    await assignPlayer(db, access, character.id, player.id, ["stats"]);
    const asPlayer = (await campaignAccess(db, player, campaign.id)) as CampaignAccess;
    const chat = await createConversation(db, asPlayer);
    await shareConversation(db, chat, true);
    const note = await addMemberNote(db, asPlayer, { title: "For the GM", body: "I want a duel." });
    await shareMemberNote(db, asPlayer, note.id, true);

    expect(await leaveCampaign(db, asPlayer)).toBe(true);
    const { token } = await createInvite(db, access, { role: "player", lifetimeDays: 7, maxUses: 1 });
    await joinWithInvite(db, player, token);
    const back = (await campaignAccess(db, player, campaign.id)) as CampaignAccess;
    expect(await playableFields(db, back, character.id)).toBeNull();
    const asGm = (await campaignAccess(db, gm, campaign.id)) as CampaignAccess;
    expect(await readableConversation(db, asGm, chat.id)).toBeUndefined();
    expect((await listMemberNotes(db, asGm)).sharedWithMe).toEqual([]);
  });
});
