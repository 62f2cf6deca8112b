import { describe, expect, it } from "vitest";
import { wikiLinkNames } from "~/lib/wiki-links";
import { createCampaign } from "~/server/campaigns/campaigns.server";
import { createCharacter } from "~/server/campaigns/characters.server";
import { createContextEntry } from "~/server/campaigns/context-entries.server";
import { backlinksTo, linkResolver, renderLinked } from "~/server/campaigns/links.server";
import { renderForReader } from "~/server/campaigns/secrets.server";
import { campaignMembers } from "~/server/db/schema";
import { renderMarkdown } from "~/server/markdown.server";
import { db, newUser, ownerAccess } from "./helpers";

async function world() {
  const gm = await newUser("links");
  const player = await newUser("player");
  const campaign = await createCampaign(db, gm.username, {
    name: "Saltmarsh",
    description: "",
    status: "active",
    tags: [],
  });
  await db
    .insert(campaignMembers)
    .values({ campaignId: campaign.id, accountId: player.id, role: "player", addedBy: gm.id });
  const harbour = await createContextEntry(db, campaign, {
    contextType: "location",
    title: "The Harbour",
    content:
      "Ships from [[Duke Orlo|the duke]]'s fleet moor at the [[Lighthouse]].\n\n```secret\nThe [[Smugglers' Guild]] owns the dock.\n```\n",
    tags: [],
    audience: "campaign",
  });
  const guild = await createContextEntry(db, campaign, {
    contextType: "faction",
    title: "Smugglers' Guild",
    content: "They meet under [[the harbour]].",
    tags: [],
    audience: "gm",
  });
  const duke = await createCharacter(db, campaign, {
    characterName: "Duke Orlo",
    characterType: "npc",
    status: "alive",
    backstory: "Rules from [[The Harbour]]. Code: `[[The Harbour]]`.",
    stats: [],
    audience: "campaign",
  });
  const access = await ownerAccess(gm, campaign);
  const asPlayer = { campaign, role: "player" as const, account: player, owner: access.owner };
  return { campaign, harbour, guild, duke, access, asPlayer };
}

describe("[[links]] between entries and characters", () => {
  it("finds each linked name once, case-insensitively, with its shown text set aside", () => {
    expect(
      wikiLinkNames("[[Duke Orlo|the duke]] met [[duke  orlo]] at [[Lighthouse]]; [[]] and [[a|b|c]] are not links"),
    ).toEqual(["Duke Orlo", "Lighthouse"]);
  });

  it("renders a link to the entry or character of that name, with the shown text", async () => {
    const { harbour, duke, access, campaign } = await world();
    const html = renderForReader(harbour.content, access, await linkResolver(db, access, [harbour.content]));
    expect(html).toContain(`<a href="/campaigns/${campaign.id}/characters/${duke.id}">the duke</a>`);
    // Nothing is called "Lighthouse": a GM is offered to create it.
    expect(html).toContain(`href="/campaigns/${campaign.id}/context/new?title=Lighthouse"`);
    expect(html).toContain("is not written yet: create it");
    // Inside the GM's secret box, the GM-only guild links too.
    expect(html).toMatch(/<a href="\/campaigns\/[^"]+\/context\/\d+">Smugglers' Guild<\/a>/);
  });

  it("never links what the reader may not see, and offers a player nothing to create", async () => {
    const { guild, harbour, asPlayer, campaign, duke } = await world();
    const text = `${harbour.contentPublic}\n\nSee [[Smugglers' Guild]].`;
    const html = renderForReader(text, asPlayer, await linkResolver(db, asPlayer, [text]));
    expect(html).toContain(`<a href="/campaigns/${campaign.id}/characters/${duke.id}">the duke</a>`);
    expect(html).not.toContain(`/context/${guild.id}`);
    expect(html).toContain("See Smugglers' Guild.");
    expect(html).not.toContain("/context/new");
    expect(html).not.toContain("[[");
  });

  it("looks up, for a player, only the names of the text they may read", async () => {
    const { asPlayer, duke } = await world();
    // Fifty names inside a secret block, then a public link: the public one is still resolved.
    const secret = Array.from({ length: 60 }, (_, i) => `[[Hidden ${i}]]`).join(" ");
    const text = `\`\`\`secret\n${secret}\n\`\`\`\n\nSee [[Duke Orlo]].`;
    const html = await renderLinked(db, asPlayer, text);
    expect(html).toContain(`/characters/${duke.id}`);
    expect(html).not.toContain("Hidden");
  });

  it("resolves a text with more links than one statement may bind, for a player too", async () => {
    const { asPlayer, duke } = await world();
    const text = `${Array.from({ length: 120 }, (_, i) => `[[Place ${i}]]`).join(" ")} and [[Duke Orlo]]`;
    const html = renderForReader(text, asPlayer, await linkResolver(db, asPlayer, [text]));
    expect(html).toContain("Place 119");
    expect(html).not.toContain("[[");
    // Past the first 50 names nothing more is looked up: the duke renders as text.
    expect(html).not.toContain(`/characters/${duke.id}`);
    expect(html).toContain("Duke Orlo");
  });

  it("leaves code alone, and Markdown without a resolver as written", async () => {
    const { duke, access } = await world();
    const html = renderForReader(duke.backstory, access, await linkResolver(db, access, [duke.backstory]));
    expect(html).toMatch(/Rules from <a href="[^"]+">The Harbour<\/a>/);
    expect(html).toContain("<code>[[The Harbour]]</code>");
    expect(renderMarkdown("Plain [[The Harbour]] text")).toContain("Plain [[The Harbour]] text");
  });

  it("shows what links to an entry, as far as the reader may see", async () => {
    const { harbour, guild, duke, access, asPlayer } = await world();
    const forGm = await backlinksTo(db, access, harbour.title, { kind: "entry", id: harbour.id });
    expect(forGm.map((link) => link.title).sort()).toEqual(["Duke Orlo", "Smugglers' Guild"]);
    const forPlayer = await backlinksTo(db, asPlayer, harbour.title, { kind: "entry", id: harbour.id });
    expect(forPlayer.map((link) => link.title)).toEqual(["Duke Orlo"]);
    // The guild is linked only from inside the harbour's secret block: GMs see that, players do not.
    expect((await backlinksTo(db, access, guild.title, { kind: "entry", id: guild.id })).map((l) => l.title)).toEqual([
      "The Harbour",
    ]);
    expect(await backlinksTo(db, asPlayer, guild.title, { kind: "entry", id: guild.id })).toEqual([]);
    expect(
      (await backlinksTo(db, asPlayer, duke.characterName, { kind: "character", id: duke.id })).map((l) => l.title),
    ).toEqual(["The Harbour"]);
  });
});
