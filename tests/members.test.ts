import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { ask, createConversation, getConversation, listConversations } from "~/server/assistant/conversations.server";
import { createAccount, deleteAccount } from "~/server/auth/accounts.server";
import { createCampaign, listCampaigns } from "~/server/campaigns/campaigns.server";
import {
  createCharacter,
  getCharacter,
  listSheetOptions,
  SheetNotFoundError,
} from "~/server/campaigns/characters.server";
import {
  CampaignFull,
  changeMemberRole,
  createInvite,
  findOpenInvite,
  joinWithInvite,
  listMembers,
  listOpenInvites,
  removeMember,
  revokeInvite,
  TransferRefused,
  transferOwnership,
} from "~/server/campaigns/members.server";
import { type CampaignAccess, campaignAccess } from "~/server/campaigns/policy.server";
import { attachFile, listCampaignResources } from "~/server/campaigns/resources.server";
import { reveal } from "~/server/campaigns/reveals.server";
import { QuotaExceeded } from "~/server/db/quota.server";
import { type Campaign, campaignInvites, campaignMembers, type User } from "~/server/db/schema";
import { getFile } from "~/server/files/files.server";
import { resolveScope, search } from "~/server/search/search.server";
import { db, newUser, ownerAccess, PASSWORD, services, sessionCookieFor } from "./helpers";
import { drain, storeFile, withQueue } from "./ingest-helpers";
import { callRoute, routeAt } from "./route-walk";

const DAY = 24 * 60 * 60 * 1000;
const input = { name: "The Drowned Abbey", description: "", status: "active" as const, tags: [] };

async function campaignOf(owner: User): Promise<{ campaign: Campaign; access: CampaignAccess }> {
  const campaign = await createCampaign(db, owner.username, input);
  return { campaign, access: await ownerAccess(owner, campaign) };
}

async function inviteLink(access: CampaignAccess, options: { maxUses?: number | null; lifetimeDays?: number } = {}) {
  return createInvite(db, access, {
    role: "co-gm",
    lifetimeDays: options.lifetimeDays ?? 7,
    maxUses: options.maxUses ?? null,
  });
}

async function accessOf(user: User, campaign: Campaign) {
  return campaignAccess(db, user, campaign.id);
}

describe("invites", () => {
  it("let a person join with the link's role, and their Campaigns list shows the campaign beside their own", async () => {
    const owner = await newUser("gm");
    const friend = await newUser("friend");
    const { campaign, access } = await campaignOf(owner);
    await createCampaign(db, friend.username, { ...input, name: "Friend's own" });
    const { token } = await inviteLink(access, { maxUses: 1 });

    expect(await findOpenInvite(db, token)).toMatchObject({
      campaignName: input.name,
      ownerUsername: owner.username,
      role: "co-gm",
    });
    expect(await accessOf(friend, campaign)).toBeNull();
    expect(await joinWithInvite(db, friend, token)).toEqual({
      campaignId: campaign.id,
      role: "co-gm",
      alreadyIn: false,
    });
    expect((await accessOf(friend, campaign))?.role).toBe("co-gm");

    const listed = await listCampaigns(db, friend, { status: "all", q: "", sort: "name" });
    expect(listed.map((c) => [c.name, c.role, c.owner])).toEqual([
      ["Friend's own", "owner", friend.username],
      [input.name, "co-gm", owner.username],
    ]);
    const { members } = await listMembers(db, campaign);
    expect(members.map((m) => [m.username, m.role])).toEqual([[friend.username, "co-gm"]]);
  });

  it("never let more people in than the link allows, even all at once", async () => {
    const owner = await newUser("gm");
    const { campaign, access } = await campaignOf(owner);
    const { token, invite } = await inviteLink(access, { maxUses: 3 });
    const crowd = await Promise.all(Array.from({ length: 8 }, () => newUser("crowd")));
    const results = await Promise.all(crowd.map((person) => joinWithInvite(db, person, token)));
    expect(results.filter((result) => result?.alreadyIn === false)).toHaveLength(3);
    expect(results.filter((result) => result === null)).toHaveLength(5);
    expect((await listMembers(db, campaign)).members).toHaveLength(3);
    const [row] = await db.select().from(campaignInvites).where(eq(campaignInvites.id, invite.id));
    expect(row?.uses).toBe(3);
    // Used up: the link shows nothing about the campaign any more.
    expect(await findOpenInvite(db, token)).toBeUndefined();
  });

  it("count a person once: joining again, or the owner following their own link, changes nothing", async () => {
    const owner = await newUser("gm");
    const friend = await newUser("friend");
    const { campaign, access } = await campaignOf(owner);
    const { token, invite } = await inviteLink(access, { maxUses: 2 });
    await joinWithInvite(db, friend, token);
    const again = await Promise.all([joinWithInvite(db, friend, token), joinWithInvite(db, friend, token)]);
    expect(again).toEqual([
      { campaignId: campaign.id, role: "co-gm", alreadyIn: true },
      { campaignId: campaign.id, role: "co-gm", alreadyIn: true },
    ]);
    expect(await joinWithInvite(db, owner, token)).toMatchObject({ alreadyIn: true });
    expect((await accessOf(owner, campaign))?.role).toBe("owner");
    const [row] = await db.select().from(campaignInvites).where(eq(campaignInvites.id, invite.id));
    expect(row?.uses).toBe(1);
  });

  it("stop working when expired or revoked, exactly like a link that never existed", async () => {
    const owner = await newUser("gm");
    const friend = await newUser("friend");
    const { campaign, access } = await campaignOf(owner);
    const expiring = await inviteLink(access, { lifetimeDays: 1 });
    const later = { now: Date.now() + DAY + 1 };
    expect(await findOpenInvite(db, expiring.token, later.now)).toBeUndefined();
    expect(await joinWithInvite(db, friend, expiring.token, later)).toBeNull();

    const revoked = await inviteLink(access);
    expect(await revokeInvite(db, campaign, revoked.invite.id)).toBe(true);
    expect(await revokeInvite(db, campaign, revoked.invite.id)).toBe(false);
    expect(await joinWithInvite(db, friend, revoked.token)).toBeNull();
    expect(await joinWithInvite(db, friend, "0".repeat(32))).toBeNull();
    expect(await accessOf(friend, campaign)).toBeNull();
    expect((await listOpenInvites(db, campaign)).map((i) => i.id)).toEqual([expiring.invite.id]);

    // The page: the same 404 for a dead link and a made-up one.
    const join = routeAt("/join/:token");
    const cookie = await sessionCookieFor(friend);
    for (const token of [revoked.token, "f".repeat(32), "not-a-token"]) {
      const page = await callRoute(join, "loader", `http://localhost/join/${token}`, { cookie, params: { token } });
      expect(page?.status, token).toBe(404);
      expect(await page?.json()).toEqual({ invite: null, alreadyIn: false });
    }
  });

  it("are refused past the open-link limit, and another campaign's owner cannot revoke them", async () => {
    const owner = await newUser("gm");
    const { campaign, access } = await campaignOf(owner);
    const other = await campaignOf(await newUser("other"));
    const links = [];
    for (let i = 0; i < 20; i++) links.push(await inviteLink(access));
    await expect(inviteLink(access)).rejects.toBeInstanceOf(QuotaExceeded);
    expect(await revokeInvite(db, other.campaign, links[0]?.invite.id ?? "")).toBe(false);
    expect(await revokeInvite(db, campaign, links[0]?.invite.id ?? "")).toBe(true);
    await expect(inviteLink(access)).resolves.toBeDefined();
  });

  it("say so when the campaign is full, and let nobody past it", async () => {
    const owner = await newUser("gm");
    const { campaign, access } = await campaignOf(owner);
    const { token } = await inviteLink(access);
    const [first, second] = [await newUser("p"), await newUser("p")];
    await joinWithInvite(db, first, token, { maxMembers: 1 });
    await expect(joinWithInvite(db, second, token, { maxMembers: 1 })).rejects.toBeInstanceOf(CampaignFull);
    expect(await accessOf(second, campaign)).toBeNull();
  });

  it("join the account, not the name: a new account with a deleted member's username is not in", async () => {
    const owner = await newUser("gm");
    const { campaign, access } = await campaignOf(owner);
    const member = await newUser("gone");
    await joinWithInvite(db, member, (await inviteLink(access)).token);
    await deleteAccount(services, member, PASSWORD, { clientId: "test-client", knownDevice: null });
    const reborn = await createAccount(db, member.username, PASSWORD);
    expect(reborn.id).not.toBe(member.id);
    expect(await accessOf(reborn, campaign)).toBeNull();
    expect((await listMembers(db, campaign)).members).toEqual([]);
  });
});

describe("members", () => {
  async function withCoGm() {
    const owner = await newUser("gm");
    const coGm = await newUser("cogm");
    const { campaign, access } = await campaignOf(owner);
    await joinWithInvite(db, coGm, (await inviteLink(access)).token);
    return { owner, coGm, campaign, access };
  }

  it("can be removed, or leave; either way the campaign is closed to them at once", async () => {
    const { owner, coGm, campaign } = await withCoGm();
    const other = await newUser("other");
    expect(await changeMemberRole(db, campaign, other.id, "co-gm")).toBe(false);
    expect(await removeMember(db, campaign, coGm.id)).toBe(true);
    expect(await accessOf(coGm, campaign)).toBeNull();
    expect(await removeMember(db, campaign, owner.id)).toBe(false);
    expect((await accessOf(owner, campaign))?.role).toBe("owner");
  });

  it("take a campaign over from its owner in one step; its files stay in the old owner's library", async () => {
    const { owner, coGm, campaign, access } = await withCoGm();
    const handout = await storeFile(owner.username, "Handout.md", new TextEncoder().encode("# Map\n"), "text/markdown");
    const row = await getFile(db, owner.username, handout.fileKey);
    if (!row) throw new Error("no file");
    await attachFile(db, campaign, row, { description: "", tags: [] });
    const character = await createCharacter(db, campaign, {
      characterName: "Abbot",
      characterType: "npc",
      status: "alive",
      backstory: "",
      stats: [],
      sheetFileKey: row.fileKey,
    });
    const player = await newUser("player");
    await db
      .insert(campaignMembers)
      .values({ campaignId: campaign.id, accountId: player.id, role: "player", addedBy: owner.id });
    expect(await reveal(db, access, { kind: "file", id: row.fileKey }, [player.id], null)).toBe(1);

    expect(await transferOwnership(db, access, coGm.id)).toBe(true);
    const handedOver = await accessOf(coGm, campaign);
    expect(handedOver?.role).toBe("owner");
    expect((await accessOf(owner, campaign))?.role).toBe("co-gm");
    if (!handedOver) throw new Error("no access");
    const { owner: newOwner, members } = await listMembers(db, handedOver.campaign);
    expect(newOwner?.username).toBe(coGm.username);
    expect(members.map((m) => [m.username, m.role]).sort()).toEqual(
      [
        [owner.username, "co-gm"],
        [player.username, "player"],
      ].sort(),
    );
    expect(await listCampaignResources(db, handedOver)).toEqual([]);
    expect((await getCharacter(db, handedOver, character.id))?.sheetFileKey).toBeNull();
    expect(await getFile(db, owner.username, row.fileKey)).toBeDefined();
    // Handed back and the file attached again (for the GMs): what the player was shown before does not come back.
    const asNewOwner = await ownerAccess(coGm, handedOver.campaign);
    expect(await transferOwnership(db, asNewOwner, owner.id)).toBe(true);
    const back = await ownerAccess(owner, handedOver.campaign);
    await attachFile(db, back.campaign, row, { description: "", tags: [] });
    const asPlayer = await accessOf(player, campaign);
    if (!asPlayer) throw new Error("the player left");
    expect(await listCampaignResources(db, asPlayer)).toEqual([]);
  });

  it("refuse to hand over to anyone but a co-GM, or to someone with no room for another campaign", async () => {
    const { owner, coGm, campaign, access } = await withCoGm();
    const stranger = await newUser("stranger");
    expect(await transferOwnership(db, access, stranger.id)).toBe(false);
    await db.update(campaignMembers).set({ role: "viewer" }).where(eq(campaignMembers.accountId, coGm.id));
    await expect(transferOwnership(db, access, coGm.id)).rejects.toBeInstanceOf(TransferRefused);
    await changeMemberRole(db, campaign, coGm.id, "co-gm");
    await createCampaign(db, coGm.username, { ...input, name: "Their own" });
    await expect(transferOwnership(db, access, coGm.id, 1)).rejects.toThrow(/already holds 1 campaigns/);
    // Nothing moved.
    expect((await accessOf(owner, campaign))?.role).toBe("owner");
    expect((await accessOf(coGm, campaign))?.role).toBe("co-gm");
    expect((await listMembers(db, campaign)).members).toHaveLength(1);
  });
});

describe("a co-GM in the owner's campaign", () => {
  async function table() {
    const owner = await newUser("gm");
    const coGm = await newUser("cogm");
    const bytes = (text: string) => new TextEncoder().encode(text);
    const shared = await storeFile(
      owner.username,
      "Abbey.md",
      bytes("# The Abbey\n\nThe bell tolls at midnight.\n"),
      "text/markdown",
    );
    const privateFile = await storeFile(
      owner.username,
      "Diary.md",
      bytes("# Diary\n\nThe bell is cursed.\n"),
      "text/markdown",
    );
    await withQueue(owner.id, async (queue) => {
      await queue.enqueue(shared);
      await queue.enqueue(privateFile);
      await drain(queue);
    });
    const { campaign, access } = await campaignOf(owner);
    const row = await getFile(db, owner.username, shared.fileKey);
    if (!row) throw new Error("no file");
    await attachFile(db, campaign, row, { description: "", tags: [] });
    await joinWithInvite(db, coGm, (await inviteLink(access)).token);
    const coGmAccess = await accessOf(coGm, campaign);
    if (!coGmAccess) throw new Error("not joined");
    return { owner, coGm, campaign, access, coGmAccess, shared, privateFile };
  }

  it("searches the campaign's material, not the rest of the owner's library, with links into the campaign", async () => {
    const { coGm, campaign, coGmAccess, shared, privateFile } = await table();
    const scope = await resolveScope(db, coGm, { campaignId: campaign.id });
    expect(scope?.owner.id).toBe(coGmAccess.owner.id);
    const { results } = await search(services.search, coGmAccess.owner, {
      query: "bell",
      k: 10,
      campaign: coGmAccess,
    });
    expect(results.map((r) => r.source.kind === "chunk" && r.source.fileKey)).toEqual([shared.fileKey]);
    expect(results[0]?.href).toBe(`/campaigns/${campaign.id}/files/${shared.fileKey}/read#passage-0`);
    // The owner's other files cannot be named as a scope inside the campaign, nor outside it.
    expect(await resolveScope(db, coGm, { campaignId: campaign.id, fileKey: privateFile.fileKey })).toBeNull();
    expect(await resolveScope(db, coGm, { fileKey: shared.fileKey })).toBeNull();
  });

  it("reads the campaign's files through the campaign, never the owner's other files or their library pages", async () => {
    const { coGm, campaign, shared, privateFile } = await table();
    const cookie = await sessionCookieFor(coGm);
    const reader = routeAt("/campaigns/:campaignId/files/:fileKey/read");
    const bytes = routeAt("/campaigns/:campaignId/files/:fileKey/download");
    const open = async (route: typeof reader, fileKey: string) => {
      const params = { campaignId: campaign.id, fileKey };
      const suffix = route === reader ? "read" : "download";
      return callRoute(route, "loader", `http://localhost/campaigns/${campaign.id}/files/${fileKey}/${suffix}`, {
        cookie,
        params,
      });
    };
    const page = await open(reader, shared.fileKey);
    expect(page?.status).toBe(200);
    expect(JSON.stringify(await page?.json())).toContain("The bell tolls at midnight.");
    const download = await open(bytes, shared.fileKey);
    expect(await download?.text()).toContain("The bell tolls at midnight.");
    for (const route of [reader, bytes]) expect((await open(route, privateFile.fileKey))?.status).toBe(404);
    const library = await callRoute(
      routeAt("/library/:fileKey/read"),
      "loader",
      `http://localhost/library/${shared.fileKey}/read`,
      {
        cookie,
        params: { fileKey: shared.fileKey },
      },
    );
    expect(library?.status).toBe(404);
  });

  it("chooses character sheets only from the campaign's files", async () => {
    const { campaign, access, coGmAccess, shared, privateFile } = await table();
    expect((await listSheetOptions(db, coGmAccess)).map((f) => f.fileKey)).toEqual([shared.fileKey]);
    expect((await listSheetOptions(db, access)).map((f) => f.fileKey).sort()).toEqual(
      [shared.fileKey, privateFile.fileKey].sort(),
    );
    const npc = {
      characterName: "Bellringer",
      characterType: "npc" as const,
      status: "alive" as const,
      backstory: "",
      stats: [],
    };
    await expect(
      createCharacter(db, campaign, { ...npc, sheetFileKey: privateFile.fileKey }, undefined, coGmAccess),
    ).rejects.toBeInstanceOf(SheetNotFoundError);
    await expect(
      createCharacter(db, campaign, { ...npc, sheetFileKey: shared.fileKey }, undefined, coGmAccess),
    ).resolves.toMatchObject({
      sheetFileKey: shared.fileKey,
    });
  });

  it("keeps conversations of their own, which the owner cannot open, and the assistant cites through the campaign", async () => {
    const { access, coGmAccess, campaign } = await table();
    const mine = await createConversation(db, coGmAccess);
    const theirs = await createConversation(db, access);
    expect((await listConversations(db, coGmAccess)).map((c) => c.id)).toEqual([mine.id]);
    expect((await listConversations(db, access)).map((c) => c.id)).toEqual([theirs.id]);
    expect(await getConversation(db, access, mine.id)).toBeUndefined();
    expect(await getConversation(db, coGmAccess, theirs.id)).toBeUndefined();

    let cited: string[] = [];
    for await (const event of ask(
      { ...services.assistant, model: null },
      coGmAccess,
      mine,
      "When does the bell toll?",
    )) {
      if (event.type === "sources") cited = event.citations.map((c) => c.href);
    }
    expect(cited.length).toBeGreaterThan(0);
    for (const href of cited) expect(href).toMatch(new RegExp(`^/campaigns/${campaign.id}/files/`));
  });
});
