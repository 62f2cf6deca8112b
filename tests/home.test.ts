import { describe, expect, it } from "vitest";
import { createCampaign } from "~/server/campaigns/campaigns.server";
import { createContextEntry } from "~/server/campaigns/context-entries.server";
import { campaignMembers } from "~/server/db/schema";
import { homeModel } from "~/server/home.server";
import { switcherMatches } from "~/server/switcher.server";
import { db, newUser } from "./helpers";

/**
 * The home page's model: across every campaign the account is in, what changed lately and
 * the next session — only what the account may see (a player never learns of a GM-only
 * entry's title from the home page).
 */
describe("a GM's home", () => {
  it("lists recent changes across campaigns with their campaign, hiding GM-only material from players", async () => {
    const gm = await newUser();
    const player = await newUser("player");
    const campaign = await createCampaign(db, gm.username, {
      name: "Tides of Ruin",
      description: "",
      status: "active",
      nextSessionAt: "2999-01-02",
      tags: [],
    });
    await createCampaign(db, gm.username, {
      name: "Long past",
      description: "",
      status: "active",
      nextSessionAt: "2000-01-01",
      tags: [],
    });
    await db
      .insert(campaignMembers)
      .values({ campaignId: campaign.id, accountId: player.id, role: "player", addedBy: gm.id });
    const gossip = await createContextEntry(db, campaign, {
      contextType: "lore",
      title: "Harbour gossip",
      content: "",
      tags: [],
      audience: "campaign",
    });
    await createContextEntry(db, campaign, {
      contextType: "plot_hook",
      title: "The abbot's crime",
      content: "",
      tags: [],
    });

    const today = new Date().toISOString().slice(0, 10);
    const mine = await homeModel(db, gm, today);
    expect(mine.recent.map((r) => [r.title, r.campaignName])).toEqual([
      ["The abbot's crime", "Tides of Ruin"],
      ["Harbour gossip", "Tides of Ruin"],
    ]);
    // The soonest session still ahead, never one in the past.
    expect(mine.nextSession?.name).toBe("Tides of Ruin");

    // Each links to its own page: the entry's id in its campaign.
    expect(mine.recent[1]).toMatchObject({ kind: "entry", id: gossip.id, campaignId: campaign.id });

    const theirs = await homeModel(db, player, today);
    expect(theirs.recent.map((r) => r.title)).toEqual(["Harbour gossip"]);
    expect(theirs.campaigns.map((c) => [c.name, c.mayEdit])).toEqual([["Tides of Ruin", false]]);
    expect(theirs.nextSession?.mayEdit).toBe(false);
  });
});

describe("the quick switcher", () => {
  it("finds by name only what the account may open, best fits first", async () => {
    const gm = await newUser();
    const player = await newUser("player");
    const stranger = await newUser("stranger");
    const campaign = await createCampaign(db, gm.username, {
      name: "Crown of Tides",
      description: "",
      status: "active",
      tags: [],
    });
    await db
      .insert(campaignMembers)
      .values({ campaignId: campaign.id, accountId: player.id, role: "player", addedBy: gm.id });
    const shared = await createContextEntry(db, campaign, {
      contextType: "item",
      title: "The Tide Crown",
      content: "",
      tags: [],
      audience: "campaign",
    });
    await createContextEntry(db, campaign, { contextType: "plot_hook", title: "Crown thief", content: "", tags: [] });

    const titles = async (user: typeof gm, q: string) => (await switcherMatches(db, user, q)).map((m) => m.title);
    // Names starting with the words come first; the campaign is named where each entry lives.
    expect(await titles(gm, "crown")).toEqual(["Crown of Tides", "Crown thief", "The Tide Crown"]);
    expect((await switcherMatches(db, gm, "tide crown"))[0]).toEqual({
      kind: "entry",
      title: "The Tide Crown",
      where: "Crown of Tides",
      href: `/campaigns/${campaign.id}/context/${shared.id}`,
    });
    expect(await titles(player, "crown")).toEqual(["Crown of Tides", "The Tide Crown"]);
    expect(await titles(stranger, "crown")).toEqual([]);
    // LIKE's own characters match only themselves.
    expect(await titles(gm, "%")).toEqual([]);
  });
});
