import { describe, expect, it } from "vitest";
import { type SearchResult, sourceLabel } from "~/lib/search";
import { createCampaign } from "~/server/campaigns/campaigns.server";
import { createCharacter } from "~/server/campaigns/characters.server";
import { createContextEntry } from "~/server/campaigns/context-entries.server";
import { attachFile } from "~/server/campaigns/resources.server";
import type { Campaign } from "~/server/db/schema";
import { getFile } from "~/server/files/files.server";
import type { Account } from "~/server/files/library.server";
import { ftsAnyTerm, ftsNearPairs, queryTerms, reciprocalRankFusion } from "~/server/search/query.server";
import { resolveScope, type SearchOptions, search as searchPage } from "~/server/search/search.server";
import { MAX_RELATED, relatedWords } from "~/server/search/synonyms.server";
import combat from "../../shared/corpus/srd5/07-combat.md?raw";
import spellcasting from "../../shared/corpus/srd5/08-spellcasting.md?raw";
import { db, newUser, ownerAccess, services } from "./helpers";
import { drain, storeFile, withQueue } from "./ingest-helpers";
import { bookPages, buildPdf } from "./pdf-fixtures";

/** The app's search, as the search page and the API call it: one page of results. */
const search = async (owner: Account, options: SearchOptions) =>
  (await searchPage(services.search, owner, options)).results;
const text = (s: string) => new TextEncoder().encode(s);

/** Stores and fully processes files for a user (as uploads would be). */
async function ingest(owner: Account, files: { name: string; body: string | Uint8Array; type?: string }[]) {
  const stored: Awaited<ReturnType<typeof storeFile>>[] = [];
  for (const file of files) {
    const body = typeof file.body === "string" ? text(file.body) : file.body;
    stored.push(await storeFile(owner.username, file.name, body, file.type ?? "text/markdown"));
  }
  // In the owner's own tracker, where search looks.
  await withQueue(owner.id, async (queue) => {
    for (const file of stored) await queue.enqueue(file);
    await drain(queue);
  });
  return stored;
}

const campaignInput = (name: string) => ({ name, description: "", status: "active" as const, tags: [] });

/** A GM with two campaigns, notes attached to one of them, and a rival GM with similar notes. */
async function world() {
  const gm = await newUser();
  const rival = await newUser();
  const [lich, crown, loose] = await ingest(gm, [
    {
      name: "Lich lore.md",
      body: "# The Lich\n\n## Phylactery\n\nThe lich Vecnaar keeps its phylactery in a drowned bell tower. It returns in 1d10 days unless the phylactery is destroyed.\n",
    },
    {
      name: "Sunken crown.md",
      body: "# The Sunken Crown\n\nThe crown lies under the abbey at low tide, guarded by drowned knights.\n",
    },
    { name: "Tavern menu.md", body: "# Menu\n\nEel pie, salted herring and a mug of dark ale.\n" },
  ]);
  await ingest(rival, [
    { name: "Rival lich.md", body: "# Their lich\n\nA different lich hides its phylactery in a volcano.\n" },
  ]);
  const tide: Campaign = await createCampaign(db, gm.username, campaignInput("Tides of Ruin"));
  const ash: Campaign = await createCampaign(db, gm.username, campaignInput("Ashes"));
  const rivalCampaign: Campaign = await createCampaign(db, rival.username, campaignInput("Rival"));
  for (const file of [lich, crown]) {
    const row = await getFile(db, gm.username, file?.fileKey ?? "");
    if (row) await attachFile(db, tide, row, { description: "", tags: [] });
  }
  await createContextEntry(db, tide, {
    contextType: "plot_hook",
    title: "Who wants the crown",
    content: "The harbour master wants the sunken crown for himself.",
    tags: ["crown"],
    audience: "gm",
  });
  await createContextEntry(db, ash, {
    contextType: "location",
    title: "The ash crown",
    content: "A crown of cinders sits on the volcano throne.",
    tags: [],
    audience: "campaign",
  });
  await createCharacter(db, tide, {
    characterName: "Maren the Harbour Master",
    characterType: "npc",
    status: "alive",
    backstory: "Knows where the crown is and lies about it.",
    stats: [],
  });
  await createContextEntry(db, rivalCampaign, {
    contextType: "lore",
    title: "The rival's crown",
    content: "Another crown, in another GM's campaign.",
    tags: [],
    audience: "campaign",
  });
  return { gm, rival, lich, crown, loose, tide, ash };
}

/** What each result is: the file name of a passage, the title of an entry or character. */
const titles = (results: SearchResult[]) =>
  results.map((r) => (r.source.kind === "chunk" ? r.source.fileName : r.title));

describe("query handling", () => {
  it("keeps the meaningful words and never lets typed text become FTS5 syntax", () => {
    expect(queryTerms("What does the lich need to come back?")).toEqual(["lich", "need", "come"]);
    expect(queryTerms("Vessa's dagger")).toEqual(["vessa", "dagger"]);
    expect(ftsAnyTerm(['he said "NEAR(a b)"'], ["chunk_text"])).toBe('{chunk_text} : ("he said ""NEAR(a b)""")');
    expect(ftsNearPairs([["death", 'sav"ing']], ["body"])).toBe('{body} : (NEAR("death" "sav""ing", 6))');
    expect(ftsNearPairs([], ["body"])).toBeNull();
  });

  it("drops the words a question is framed with, but not the same word where it means something", () => {
    // "how long" asks for a number; the "long" of "long rest" is what is asked about.
    expect(queryTerms("How long does a long rest take?")).toEqual(["long", "rest", "take"]);
    expect(queryTerms("What happens when a creature is like, grappled?")).toEqual(["creature", "grappled"]);
    expect(queryTerms("How much damage does falling do?")).toEqual(["damage", "falling"]);
  });

  it("matches number words as tables and stat blocks write them", () => {
    expect(ftsAnyTerm(["four", "levels"], ["body"])).toBe('{body} : (("four" OR "4") OR "levels")');
    expect(ftsAnyTerm(["fifth"], ["body"])).toBe('{body} : (("fifth" OR "5th" OR "5"))');
    expect(ftsAnyTerm(["5th"], ["body"])).toBe('{body} : (("5th" OR "5"))');
    expect(ftsAnyTerm(["21st"], ["body"])).toBe('{body} : (("21st" OR "21"))');
  });

  it("finds the irregular plural of a word and the singular of one, which stemming cannot join", async () => {
    const gm = await newUser();
    await ingest(gm, [
      { name: "Trance.md", body: "# Trance\n\nElves never dream; they meditate for four hours instead.\n" },
      { name: "Pit.md", body: "# Spiked Pit\n\nA hidden pit, one foot across, lined with iron spikes.\n" },
      { name: "Harbour.md", body: "# Harbour\n\nFishing boats and gulls.\n" },
    ]);
    const [elf] = await search(gm, { query: "Does an elf dream?", k: 5 });
    expect(elf).toMatchObject({ title: "Trance" });
    const [feet] = await search(gm, { query: "pit two feet wide", k: 5 });
    expect(feet).toMatchObject({ title: "Spiked Pit" });
    expect(ftsAnyTerm(["dwarves"], ["body"])).toBe('{body} : (("dwarves" OR "dwarf"))');
  });

  it("explains, when asked, the passage expressions it ran and the words it left out", async () => {
    const gm = await newUser();
    await ingest(gm, [{ name: "Harbour.md", body: "# Harbour\n\nThe harbour master counts the eels.\n" }]);
    const page = await searchPage(services.search, gm, { query: "harbour eels", k: 5, explain: true });
    expect(page.explain).toEqual({
      passages: {
        words: ftsAnyTerm(["harbour", "eels"], ["title", "context", "body"]),
        titles: ftsAnyTerm(["harbour", "eels"], ["title"]),
        near: ftsNearPairs([["harbour", "eels"]], ["title", "context", "body"]),
        // "harbour" is rare here, but none of its synonyms is in this library.
        reworded: null,
      },
      commonWords: [],
    });
    expect((await searchPage(services.search, gm, { query: "harbour eels", k: 5 })).explain).toBeUndefined();
  });

  it("looks up words of like meaning for a question's words: split compounds, inflections, never the word itself", () => {
    const synonymsOf = (query: string) => relatedWords(queryTerms(query));
    expect(synonymsOf("bitten by a wolf-man")).toContainEqual({
      word: "wolfman",
      synonyms: ["werewolf", "lycanthrope", "loup-garou"],
    });
    expect(synonymsOf("The vampire beguiled the bard")).toContainEqual(
      expect.objectContaining({ word: "beguiled", synonyms: expect.arrayContaining(["charmed", "enchanted"]) }),
    );
    // "laughing" is a WordNet adjective and a form of "laugh": both are read.
    expect(synonymsOf("laughing sickness").flatMap((r) => r.synonyms)).toContain("laughter");
    // Forms of a term are the stemmer's, and framing words are never search terms.
    const jump = synonymsOf("jump").flatMap((r) => r.synonyms);
    expect(jump).toContain("leap");
    expect(jump).not.toContain("jumping");
    expect(synonymsOf("qwzxv grimbleflax")).toEqual([]);
    const long = synonymsOf("hold keep carry strike hit run walk break cut fall take give make set turn");
    expect(long.flatMap((r) => r.synonyms).length).toBeLessThanOrEqual(MAX_RELATED);
  });

  it("finds the book's word for a question in other words, and says so", async () => {
    const gm = await newUser();
    await ingest(gm, [
      {
        name: "Curses.md",
        body: "# Lycanthropy\n\nA humanoid hit by a werewolf's bite is cursed with lycanthropy until remove curse is cast.\n",
      },
      { name: "Harbour.md", body: "# Harbour\n\nFishing boats and gulls.\n" },
    ]);
    const [first] = await search(gm, { query: "Can a wolfman's curse be lifted?", k: 5 });
    expect(first).toMatchObject({ title: "Lycanthropy", matchedBy: ["words"] });
    const [only] = await search(gm, { query: "wolfman", k: 5 });
    expect(only).toMatchObject({ title: "Lycanthropy", matchedBy: ["related"] });
    // Its snippet marks the word that stood in for the question's.
    expect(only?.snippetHtml).toContain("<mark>werewolf</mark>");
  });

  it("names an entry's or character's kind as the forms do, never by its stored value", () => {
    const source = { campaignId: "c", campaignName: "The Sunken Crown", entryId: 1 };
    expect(sourceLabel({ source: { ...source, kind: "context", label: "plot_hook", gmOnly: true } })).toBe(
      "Plot hook in The Sunken Crown (GM only)",
    );
    expect(sourceLabel({ source: { ...source, kind: "character", label: "npc", gmOnly: false } })).toBe(
      "NPC in The Sunken Crown",
    );
  });

  it("matches the word being typed as a prefix only once it has three letters", () => {
    // One or two letters would walk every tenant's terms that start with them.
    expect(ftsAnyTerm(["grapple", "a"], ["chunk_text"], true)).toBe('{chunk_text} : ("grapple" OR "a")');
    expect(ftsAnyTerm(["gr"], ["chunk_text"], true)).toBe('{chunk_text} : ("gr")');
    expect(ftsAnyTerm(["gra"], ["chunk_text"], true)).toBe('{chunk_text} : ("gra"*)');
    expect(ftsAnyTerm(["gra"], ["chunk_text"], false)).toBe('{chunk_text} : ("gra")');
  });

  it("fuses rankings so that what several retrievers agree on comes first, each by its weight", () => {
    const fused = reciprocalRankFusion([
      { ids: ["a", "b", "c"], weight: 1 },
      { ids: ["c", "d"], weight: 1 },
      { ids: ["d"], weight: 0.5 },
    ]);
    const order = [...fused.entries()].sort((x, y) => y[1] - x[1]).map(([id]) => id);
    expect(order.slice(0, 2)).toEqual(["c", "d"]);
    expect(fused.get("a")).toBeCloseTo(1 / 61);
    expect(fused.get("c")).toBeCloseTo(1 / 63 + 1 / 61);
    expect(fused.get("d")).toBeCloseTo(1 / 62 + 0.5 / 61);
  });
});

describe("hybrid search", () => {
  it("searches the whole library: files, lore and characters, never another user's", async () => {
    const { gm } = await world();
    const results = await search(gm, { query: "crown", k: 20 });
    expect(titles(results)).toEqual(
      expect.arrayContaining(["Sunken crown.md", "Who wants the crown", "The ash crown", "Maren the Harbour Master"]),
    );
    expect(titles(results)).not.toContain("The rival's crown");
    const lich = await search(gm, { query: "lich phylactery", k: 20 });
    expect(titles(lich)).toContain("Lich lore.md");
    expect(titles(lich)).not.toContain("Rival lich.md");
    // Found by its words; the offline embedder, which only hashes words, does not vote beside them.
    expect(lich.find((r) => r.source.kind === "chunk" && r.source.fileName === "Lich lore.md")?.matchedBy).toEqual([
      "words",
    ]);
    // …but fills in when no word matches, as with a misspelling.
    const typo = await search(gm, { query: "phylactary", k: 5 });
    expect(typo[0]).toMatchObject({ matchedBy: ["meaning"], source: { fileName: "Lich lore.md" } });
    expect(titles(typo)).not.toContain("Rival lich.md");
  });

  it("puts a rule's own section above passages that only mention it", async () => {
    const gm = await newUser();
    // Real chapters: spell lists name "sleep" often, and hit points are everywhere.
    await ingest(gm, [
      { name: "Spellcasting.md", body: spellcasting },
      { name: "Combat.md", body: combat },
    ]);
    const firstTitle = async (query: string) => (await search(gm, { query, k: 5 }))[0]?.title;
    expect(await firstTitle("sleep spell")).toBe("Sleep");
    expect(await firstTitle("what happens at 0 hit points")).toBe("Dropping to 0 Hit Points");
  });

  it("puts an entry or character the search names first, above passages that mention it often", async () => {
    const gm = await newUser();
    await ingest(gm, [
      {
        name: "Classes.md",
        body: "# Morwen's table\n\n| Morwen | Morwen | Morwen |\n| --- | --- | --- |\n| Morwen level 1 | Morwen | Morwen |\n",
      },
    ]);
    const campaign = await createCampaign(db, gm.username, campaignInput("Tides"));
    await createCharacter(db, campaign, {
      characterName: "Morwen",
      characterType: "npc",
      status: "alive",
      backstory: "A sea witch who trades in names.",
      stats: [],
    });
    for (const query of ["Morwen", "morwen the sea witch"]) {
      const [first] = await search(gm, { query, k: 5 });
      expect(first, query).toMatchObject({ kind: "character", title: "Morwen" });
    }
  });

  it("shows the same text in two files once, and neighbouring passages of a section as one result", async () => {
    const gm = await newUser();
    const section = Array.from(
      { length: 30 },
      (_, i) => `The drowned abbey holds secret number ${i}, and the bell tolls for it at low tide.`,
    ).join(" ");
    const [copy] = await ingest(gm, [
      { name: "Abbey.md", body: `# Abbey\n\n${section}\n` },
      { name: "Abbey copy.md", body: `# Abbey\n\n${section}\n` },
    ]);
    const results = await search(gm, { query: "drowned abbey bell", k: 10 });
    expect(results).toHaveLength(1);
    const [result] = results;
    // Both passages of the section, their shared overlap once.
    expect(result?.text).toContain("secret number 0,");
    expect(result?.text).toContain("secret number 29,");
    expect(result?.text.split("secret number 12,").length).toBe(2);
    expect(result?.alsoIn).toEqual([
      {
        fileName: copy?.fileName === "Abbey.md" ? "Abbey copy.md" : "Abbey.md",
        href: expect.stringContaining("/read#passage-"),
      },
    ]);
  });

  it("shows a rule and the table under its sub-heading as one result, named after the passage that matched best", async () => {
    const gm = await newUser();
    const rule = Array.from(
      { length: 14 },
      (_, i) => `A tidecaller may spend tide points to raise a wave of strength ${i} against a ship.`,
    ).join(" ");
    const table = Array.from({ length: 14 }, (_, i) => `| ${i + 1} | ${i * 2} tide points |`).join("\n");
    await ingest(gm, [
      {
        name: "Tidecaller.md",
        body: `# Tidecaller\n\n## Raising Waves\n\n${rule}\n\n### Wave Costs\n\n| Wave | Cost |\n|---|---|\n${table}\n\n## Unrelated\n\nThe harbour cat sleeps all day.\n`,
      },
    ]);
    const results = await search(gm, { query: "tide points wave", k: 10 });
    const waves = results.filter((r) => r.source.kind === "chunk" && r.source.headingPath.includes("Raising Waves"));
    expect(waves).toHaveLength(1);
    // The table matches "tide points" on every row: the result keeps its name and link, read with its rule.
    expect(waves[0]).toMatchObject({ title: "Wave Costs" });
    expect(waves[0]?.text).toContain("strength 0 against");
    expect(waves[0]?.text).toContain("| 14 | 26 tide points |");
    expect(waves[0]?.href).toMatch(/#passage-\d+$/);
    // The assistant asks for them apart: it quotes and cites each passage on its own.
    const apart = await search(gm, { query: "tide points wave", k: 10, foldSubsections: false });
    expect(
      apart.filter((r) => r.source.kind === "chunk" && r.source.headingPath.includes("Raising Waves")),
    ).toHaveLength(2);
  });

  it("pages through more results than fit on one", async () => {
    const gm = await newUser();
    await ingest(
      gm,
      Array.from({ length: 14 }, (_, i) => ({
        name: `Tide ${i}.md`,
        body: `# Tide table ${i}\n\nHigh tide ${i} at the harbour.\n`,
      })),
    );
    const first = await searchPage(services.search, gm, { query: "tide harbour", k: 10 });
    const second = await searchPage(services.search, gm, { query: "tide harbour", k: 10, offset: 10 });
    expect(first).toMatchObject({ more: true });
    expect(first.results.map((r) => r.rank)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(second).toMatchObject({ more: false });
    expect(second.results.map((r) => r.rank)).toEqual([11, 12, 13, 14]);
    const all = new Set([...first.results, ...second.results].map((r) => r.id));
    expect(all.size).toBe(14);
  });

  it("keeps a campaign search inside the campaign: its files, entries and characters only", async () => {
    const { gm, tide, ash } = await world();
    const results = await search(gm, { query: "crown tavern eel", k: 20, campaign: await ownerAccess(gm, tide) });
    expect(titles(results)).toEqual(
      expect.arrayContaining(["Sunken crown.md", "Who wants the crown", "Maren the Harbour Master"]),
    );
    // Not attached to this campaign, or in the other campaign.
    expect(titles(results)).not.toContain("Tavern menu.md");
    expect(titles(results)).not.toContain("The ash crown");
    const other = await search(gm, { query: "crown", k: 20, campaign: await ownerAccess(gm, ash) });
    expect(titles(other)).toEqual(["The ash crown"]);
  });

  it("narrows to one file, a kind of material or a tag", async () => {
    const { gm, crown } = await world();
    const inFile = await search(gm, { query: "crown drowned", k: 20, fileKey: crown?.fileKey });
    expect(new Set(titles(inFile))).toEqual(new Set(["Sunken crown.md"]));
    const lore = await search(gm, { query: "crown", k: 20, type: "context" });
    expect(lore.every((r) => r.kind === "context")).toBe(true);
    const tagged = await search(gm, { query: "crown", k: 20, tag: "crown" });
    expect(titles(tagged)).toEqual(["Who wants the crown"]);
  });

  it("links each result to its source: the passage, the PDF page, the entry", async () => {
    const { gm, lich, tide } = await world();
    const [pdf] = await ingest(gm, [
      { name: "Keep.pdf", body: buildPdf({ pages: bookPages(3) }), type: "application/pdf" },
    ]);
    const [hit] = await search(gm, { query: "page2 warden", k: 1, fileKey: pdf?.fileKey });
    expect(hit).toMatchObject({ href: `/files/${pdf?.fileKey}#page=2`, source: { page: 2, fileName: "Keep.pdf" } });
    const [note] = await search(gm, { query: "phylactery", k: 1, fileKey: lich?.fileKey });
    expect(note?.href).toBe(`/library/${lich?.fileKey}/read#passage-0`);
    expect(note?.source).toMatchObject({ headingPath: ["The Lich", "Phylactery"] });
    expect(note?.snippet.filter((p) => p.match).map((p) => p.text)).toContain("phylactery");
    const [entry] = await search(gm, { query: "harbour master wants", k: 1, type: "context" });
    expect(entry?.href).toMatch(new RegExp(`^/campaigns/${tide.id}/context/\\d+$`));
    expect(entry?.source).toMatchObject({ kind: "context", gmOnly: true, campaignName: "Tides of Ruin" });
  });

  it("answers from the ready version while a new one is processed, never from both", async () => {
    const gm = await newUser();
    const [v1] = await ingest(gm, [{ name: "lich.md", body: "# Lich\n\nThe phylactery is in the well." }]);
    const v2 = await storeFile(
      gm.username,
      "lich.md",
      text("# Lich\n\nThe phylactery is in the tower."),
      "text/markdown",
      v1?.fileKey,
    );
    await withQueue(gm.id, async (queue) => {
      await queue.enqueue(v2);
      for (let i = 0; i < 3; i++) await queue.runStep(); // v2 indexed, not yet embedded
      const during = await search(gm, { query: "phylactery", k: 10 });
      expect(during.map((r) => r.text)).toEqual([expect.stringContaining("well")]);
      await drain(queue);
    });
    const after = await search(gm, { query: "phylactery", k: 10 });
    expect(after.map((r) => r.text)).toEqual([expect.stringContaining("tower")]);
  });

  it("refuses a scope that is not the user's own", async () => {
    const { gm, rival, lich, tide } = await world();
    expect(await resolveScope(db, rival, { campaignId: tide.id })).toBeNull();
    expect(await resolveScope(db, rival, { fileKey: lich?.fileKey })).toBeNull();
    expect(await resolveScope(db, gm, { campaignId: tide.id })).toMatchObject({
      campaign: { campaign: { id: tide.id }, role: "owner" },
    });
  });
});
