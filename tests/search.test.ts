import { describe, expect, it } from "vitest";
import type { SearchResult } from "~/lib/search";
import { createCampaign } from "~/server/campaigns/campaigns.server";
import { createCharacter } from "~/server/campaigns/characters.server";
import { createContextEntry } from "~/server/campaigns/context-entries.server";
import { attachFile } from "~/server/campaigns/resources.server";
import type { Campaign } from "~/server/db/schema";
import { getFile } from "~/server/files/files.server";
import { ftsAnyTerm, queryTerms, reciprocalRankFusion, snippet } from "~/server/search/query.server";
import { resolveScope, type SearchDeps, search } from "~/server/search/search.server";
import { D1VectorIndex, HashingEmbedder } from "~/server/vectors/local.server";
import { db, newUser } from "./helpers";
import { drain, storeFile, withQueue } from "./ingest-helpers";
import { bookPages, buildPdf } from "./pdf-fixtures";

const deps: SearchDeps = { db, embedder: new HashingEmbedder(), vectors: new D1VectorIndex(db), reranker: null };
const text = (s: string) => new TextEncoder().encode(s);

/** Stores and fully processes files for a user (as uploads would be). */
async function ingest(username: string, files: { name: string; body: string | Uint8Array; type?: string }[]) {
  const stored: Awaited<ReturnType<typeof storeFile>>[] = [];
  for (const file of files) {
    const body = typeof file.body === "string" ? text(file.body) : file.body;
    stored.push(await storeFile(username, file.name, body, file.type ?? "text/markdown"));
  }
  await withQueue(username, async (queue) => {
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
  const [lich, crown, loose] = await ingest(gm.username, [
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
  await ingest(rival.username, [
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
    gmOnly: true,
  });
  await createContextEntry(db, ash, {
    contextType: "location",
    title: "The ash crown",
    content: "A crown of cinders sits on the volcano throne.",
    tags: [],
    gmOnly: false,
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
    gmOnly: false,
  });
  return { gm, rival, lich, crown, loose, tide, ash };
}

/** What each result is: the file name of a passage, the title of an entry or character. */
const titles = (results: SearchResult[]) =>
  results.map((r) => (r.source.kind === "chunk" ? r.source.fileName : r.title));

describe("query handling", () => {
  it("keeps the meaningful words and never lets typed text become FTS5 syntax", () => {
    expect(queryTerms("What does the lich need to come back?")).toEqual(["lich", "need", "come", "back"]);
    expect(queryTerms("Vessa's dagger")).toEqual(["vessa", "dagger"]);
    expect(ftsAnyTerm(['he said "NEAR(a b)"'], ["chunk_text"])).toBe('{chunk_text} : ("he said ""NEAR(a b)""")');
  });

  it("matches the word being typed as a prefix only once it has three letters", () => {
    // One or two letters would walk every tenant's terms that start with them.
    expect(ftsAnyTerm(["grapple", "a"], ["chunk_text"], true)).toBe('{chunk_text} : ("grapple" OR "a")');
    expect(ftsAnyTerm(["gr"], ["chunk_text"], true)).toBe('{chunk_text} : ("gr")');
    expect(ftsAnyTerm(["gra"], ["chunk_text"], true)).toBe('{chunk_text} : ("gra"*)');
    expect(ftsAnyTerm(["gra"], ["chunk_text"], false)).toBe('{chunk_text} : ("gra")');
  });

  it("fuses rankings so that what several retrievers agree on comes first", () => {
    const fused = reciprocalRankFusion([
      ["a", "b", "c"],
      ["c", "d"],
    ]);
    const order = [...fused.entries()].sort((x, y) => y[1] - x[1]).map(([id]) => id);
    expect(order[0]).toBe("c");
    expect(fused.get("a")).toBeCloseTo(1 / 61);
    expect(fused.get("c")).toBeCloseTo(1 / 63 + 1 / 61);
  });

  it("marks matched words in a window around them", () => {
    const long = `${"Filler words about nothing. ".repeat(30)}The phylactery hides in the bell tower. ${"More filler. ".repeat(30)}`;
    const parts = snippet(long, ["phylactery", "bell"]);
    expect(parts.filter((p) => p.match).map((p) => p.text)).toEqual(["phylactery", "bell"]);
    expect(parts[0]?.text).toBe("…");
    expect(parts.map((p) => p.text).join("").length).toBeLessThan(300);
  });
});

describe("hybrid search", () => {
  it("searches the whole library: files, lore and characters, never another user's", async () => {
    const { gm } = await world();
    const results = await search(deps, gm, { query: "crown", k: 20 });
    expect(titles(results)).toEqual(
      expect.arrayContaining(["Sunken crown.md", "Who wants the crown", "The ash crown", "Maren the Harbour Master"]),
    );
    expect(titles(results)).not.toContain("The rival's crown");
    const lich = await search(deps, gm, { query: "lich phylactery", k: 20 });
    expect(titles(lich)).toContain("Lich lore.md");
    expect(titles(lich)).not.toContain("Rival lich.md");
    // Found by its words and by its embedding: both retrievers agree.
    expect(lich.find((r) => r.source.kind === "chunk" && r.source.fileName === "Lich lore.md")?.matchedBy).toEqual([
      "words",
      "meaning",
    ]);
  });

  it("keeps a campaign search inside the campaign: its files, entries and characters only", async () => {
    const { gm, tide, ash } = await world();
    const results = await search(deps, gm, { query: "crown tavern eel", k: 20, campaign: tide });
    expect(titles(results)).toEqual(
      expect.arrayContaining(["Sunken crown.md", "Who wants the crown", "Maren the Harbour Master"]),
    );
    // Not attached to this campaign, or in the other campaign.
    expect(titles(results)).not.toContain("Tavern menu.md");
    expect(titles(results)).not.toContain("The ash crown");
    const other = await search(deps, gm, { query: "crown", k: 20, campaign: ash });
    expect(titles(other)).toEqual(["The ash crown"]);
  });

  it("narrows to one file, a kind of material or a tag", async () => {
    const { gm, crown } = await world();
    const inFile = await search(deps, gm, { query: "crown drowned", k: 20, fileKey: crown?.fileKey });
    expect(new Set(titles(inFile))).toEqual(new Set(["Sunken crown.md"]));
    const lore = await search(deps, gm, { query: "crown", k: 20, type: "context" });
    expect(lore.every((r) => r.kind === "context")).toBe(true);
    const tagged = await search(deps, gm, { query: "crown", k: 20, tag: "crown" });
    expect(titles(tagged)).toEqual(["Who wants the crown"]);
  });

  it("links each result to its source: the passage, the PDF page, the entry", async () => {
    const { gm, lich, tide } = await world();
    const [pdf] = await ingest(gm.username, [
      { name: "Keep.pdf", body: buildPdf({ pages: bookPages(3) }), type: "application/pdf" },
    ]);
    const [hit] = await search(deps, gm, { query: "page2 warden", k: 1, fileKey: pdf?.fileKey });
    expect(hit).toMatchObject({ href: `/files/${pdf?.fileKey}#page=2`, source: { page: 2, fileName: "Keep.pdf" } });
    const [note] = await search(deps, gm, { query: "phylactery", k: 1, fileKey: lich?.fileKey });
    expect(note?.href).toBe(`/library/${lich?.fileKey}/read#passage-0`);
    expect(note?.source).toMatchObject({ headingPath: ["The Lich", "Phylactery"] });
    expect(note?.snippet.filter((p) => p.match).map((p) => p.text)).toContain("phylactery");
    const [entry] = await search(deps, gm, { query: "harbour master wants", k: 1, type: "context" });
    expect(entry?.href).toMatch(new RegExp(`^/campaigns/${tide.id}/context/\\d+$`));
    expect(entry?.source).toMatchObject({ kind: "context", gmOnly: true, campaignName: "Tides of Ruin" });
  });

  it("answers from the ready version while a new one is processed, never from both", async () => {
    const gm = await newUser();
    const [v1] = await ingest(gm.username, [{ name: "lich.md", body: "# Lich\n\nThe phylactery is in the well." }]);
    const v2 = await storeFile(
      gm.username,
      "lich.md",
      text("# Lich\n\nThe phylactery is in the tower."),
      "text/markdown",
      v1?.fileKey,
    );
    await withQueue(gm.username, async (queue) => {
      await queue.enqueue(v2);
      for (let i = 0; i < 3; i++) await queue.runStep(); // v2 indexed, not yet embedded
      const during = await search(deps, gm, { query: "phylactery", k: 10 });
      expect(during.map((r) => r.text)).toEqual([expect.stringContaining("well")]);
      await drain(queue);
    });
    const after = await search(deps, gm, { query: "phylactery", k: 10 });
    expect(after.map((r) => r.text)).toEqual([expect.stringContaining("tower")]);
  });

  it("refuses a scope that is not the user's own", async () => {
    const { gm, rival, lich, tide } = await world();
    expect(await resolveScope(db, rival.username, { campaignId: tide.id })).toBeNull();
    expect(await resolveScope(db, rival.username, { fileKey: lich?.fileKey })).toBeNull();
    expect(await resolveScope(db, gm.username, { campaignId: tide.id })).toMatchObject({ campaign: { id: tide.id } });
  });
});
