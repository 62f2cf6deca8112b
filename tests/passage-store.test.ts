import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { chunkBlocks, withoutOverlap } from "~/server/ingest/chunk.server";
import { extractMarkdown } from "~/server/ingest/extract.server";
import {
  COMMON_WORD_PASSAGES,
  PASSAGE_COLUMNS,
  type PassageRankings,
  PassageStore,
} from "~/server/passages/passage-store.server";
import { ftsAnyTerm } from "~/server/search/query.server";
import { relatedWords } from "~/server/search/synonyms.server";
import races from "../../shared/corpus/srd5/01-races.md?raw";

/** Runs `work` on a PassageStore over the storage of a Durable Object of its own. */
function withStore<T>(work: (store: PassageStore) => T | Promise<T>) {
  const stub = env.USER_FILE_TRACKER.get(env.USER_FILE_TRACKER.idFromName(`passages:${crypto.randomUUID()}`));
  return runInDurableObject(stub, (_instance, state) => work(new PassageStore(state.storage)));
}

const chunksOf = (markdown: string) => chunkBlocks(extractMarkdown(markdown));
const match = (...terms: string[]) => ftsAnyTerm(terms, [...PASSAGE_COLUMNS]);
const ids = (hits: { id: string }[]) => hits.map((hit) => hit.id);
const markdown = { fileName: "notes.md", contentType: "text/markdown" };
/** One ranking's passages, in its order. */
const inOrder = (rankings: PassageRankings, list: "words" | "near" | "reworded") =>
  rankings[list].map(({ id }) => rankings.passages.find((passage) => passage.id === id));

describe("the passage store", () => {
  it("indexes a real chapter with its headings, and a re-run of the same step changes nothing", async () => {
    await withStore((store) => {
      const chunks = chunksOf(races);
      store.write("races", 1, chunks);
      store.publish("races", 1, markdown);
      expect(store.count("races", 1)).toBe(chunks.length);
      const hits = store.search({ match: match("darkvision"), fileKeys: null, limit: 50 });
      expect(hits.length).toBeGreaterThan(3);
      // The heading path is kept apart from the body, whole.
      const [first] = store.readable("races").passages;
      expect(first?.headingPath.length).toBeGreaterThan(0);
      expect(first?.body.startsWith(first.headingPath.join(" › "))).toBe(false);

      store.write("races", 1, chunks);
      expect(store.count("races", 1)).toBe(chunks.length);
      expect(ids(store.search({ match: match("darkvision"), fileKeys: null, limit: 50 }))).toEqual(ids(hits));
    });
  });

  it("finds stems of words and weights headings above bodies", async () => {
    await withStore((store) => {
      store.write("a", 1, chunksOf("# Combat\n\nA creature can try to grab another; see the grappled condition."));
      store.write("b", 1, chunksOf("# Grappling\n\nYou can use the Attack action to make a special melee attack."));
      store.publish("a", 1, markdown);
      store.publish("b", 1, markdown);
      const hits = store.search({ match: match("grapple"), fileKeys: null, limit: 10 });
      expect(hits.map((hit) => hit.fileKey)).toEqual(["b", "a"]);
      expect(hits[0]?.score).toBeGreaterThan(hits[1]?.score ?? 0);
    });
  });

  it("bounds a query's work: words in more passages than the bound are left out, headings stand in for all-common queries", async () => {
    await withStore((store) => {
      const many = COMMON_WORD_PASSAGES + 50;
      const chunk = (index: number, heading: string, text: string) => ({
        index,
        text,
        headingPath: [heading],
        start: 0,
        end: text.length,
      });
      store.write("bestiary", 1, [
        ...Array.from({ length: many }, (_, i) =>
          chunk(i, `Beast ${i}`, `This creature roams the hills, number ${i}.`),
        ),
        chunk(many, "Lich", "An undead creature that hides its phylactery."),
        chunk(many + 1, "Creatures of the deep", "They rarely surface."),
      ]);
      store.publish("bestiary", 1, markdown);

      const rare = store.rank({ terms: ["creature", "phylactery"], prefix: false, fileKeys: null, limit: 10 });
      expect(rare.common).toEqual(["creature"]);
      expect(inOrder(rare, "words").map((hit) => hit?.headingPath)).toEqual([["Lich"]]);
      // "creature" still counts beside the rarer word in the proximity vote.
      expect(inOrder(rare, "near").map((hit) => hit?.headingPath)).toEqual([["Lich"]]);

      const common = store.rank({ terms: ["creature"], prefix: false, fileKeys: null, limit: 10 });
      expect(common.common).toEqual(["creature"]);
      expect(inOrder(common, "words").map((hit) => hit?.headingPath[0])).toEqual(["Creatures of the deep"]);
    });
  });

  it("ranks a rare word's synonyms with the question's words, but not those of a word the library uses often", async () => {
    await withStore((store) => {
      store.write("port", 1, chunksOf("# Saltmere\n\nA haven for smugglers on the grey coast."));
      store.write("inn", 1, chunksOf("# The Gull\n\nAn inn with a harbour view."));
      store.publish("port", 1, markdown);
      store.publish("inn", 1, markdown);
      const query = {
        terms: ["harbour"],
        prefix: false,
        related: relatedWords(["harbour"]),
        fileKeys: null,
        limit: 10,
      };

      const rare = store.rank(query);
      expect(rare.synonyms).toEqual(["haven"]);
      expect(
        inOrder(rare, "reworded")
          .map((hit) => hit?.fileKey)
          .sort(),
      ).toEqual(["inn", "port"]);
      // The words' own ranking is untouched: only the inn says "harbour".
      expect(inOrder(rare, "words").map((hit) => hit?.fileKey)).toEqual(["inn"]);

      // Used this often, "harbour" is the library's own word: no synonym joins it.
      store.write(
        "docks",
        1,
        chunksOf(Array.from({ length: 12 }, (_, i) => `# Pier ${i}\n\nThe harbour, pier ${i}.`).join("\n\n")),
      );
      store.publish("docks", 1, markdown);
      const common = store.rank(query);
      expect(common.synonyms).toEqual([]);
      expect(common.reworded).toEqual([]);
      expect(common.matches.reworded).toBeNull();
    });
  });

  it("shows search only the published version, replacing the old one in one step", async () => {
    await withStore((store) => {
      store.write("lich", 1, chunksOf("# Lich\n\nThe phylactery is in the well."));
      // Written but not published: a version still being processed is not searched.
      expect(store.search({ match: match("phylactery"), fileKeys: null, limit: 10 })).toEqual([]);
      expect(store.readable("lich")).toEqual({ version: null, passages: [] });
      store.publish("lich", 1, markdown);
      store.write("lich", 2, chunksOf("# Lich\n\nThe phylactery moved to the tower."));
      const during = store.search({ match: match("phylactery"), fileKeys: null, limit: 10 });
      expect(during.map((hit) => hit.body)).toEqual(["The phylactery is in the well."]);
      expect(store.byIds(["lich:v1:0", "lich:v2:0"]).map((p) => p.id)).toEqual(["lich:v1:0"]);
      store.publish("lich", 2, markdown);
      expect(store.search({ match: match("well"), fileKeys: null, limit: 10 })).toEqual([]);
      expect(store.search({ match: match("tower"), fileKeys: null, limit: 10 }).map((hit) => hit.id)).toEqual([
        "lich:v2:0",
      ]);
      expect(store.ids("lich")).toEqual(["lich:v2:0"]);
      expect(store.readable("lich").version).toBe(2);
    });
  });

  it("narrows to the files asked for, and forgets a file or a failed version at once", async () => {
    await withStore((store) => {
      for (const key of ["a", "b", "c"]) {
        store.write(key, 1, chunksOf(`# Crown ${key}\n\nThe crown of ${key} lies under the abbey.`));
        store.publish(key, 1, markdown);
      }
      const only = (fileKeys: string[] | null) =>
        store.search({ match: match("crown"), fileKeys, limit: 10 }).map((hit) => hit.fileKey);
      expect(only(["a", "c"]).sort()).toEqual(["a", "c"]);
      expect(only([])).toEqual([]);
      store.forget("a");
      expect(only(null).sort()).toEqual(["b", "c"]);
      expect(store.ids("a")).toEqual([]);
      store.write("b", 2, chunksOf("# Crown b\n\nA second version."));
      store.discard("b", 2);
      expect(store.ids("b")).toEqual(["b:v1:0"]);
      expect(only(null).sort()).toEqual(["b", "c"]);
    });
  });

  it("never lets FTS5 syntax typed into a search reach the index as syntax", async () => {
    await withStore((store) => {
      store.write("a", 1, chunksOf('# Notes\n\nHe said "NEAR" and AND and OR.'));
      store.publish("a", 1, markdown);
      for (const typed of ['"', "NEAR(", "a OR", "*", "body:", "{heading}"]) {
        expect(() => store.search({ match: match(typed), fileKeys: null, limit: 5 }), typed).not.toThrow();
      }
    });
  });
});

describe("overlap between neighbouring passages", () => {
  it("is shown once: the start of a passage that repeats the end of the one before is cut", () => {
    const previous = "The bell tolls at low tide. The drowned knights rise and walk the causeway until dawn.";
    const next = "rise and walk the causeway until dawn. Then they sink back beneath the waves.";
    expect(withoutOverlap(previous, next)).toBe("Then they sink back beneath the waves.");
    // A short coincidence is not an overlap.
    expect(withoutOverlap("He said no.", "no. She said yes.")).toBe("no. She said yes.");
    expect(withoutOverlap(previous, "Something else entirely.")).toBe("Something else entirely.");
  });

  it("cuts exactly what the chunker carried over", () => {
    const long = Array.from({ length: 40 }, (_, i) => `Sentence ${i} about the lich and its phylactery.`).join(" ");
    const chunks = chunkBlocks(extractMarkdown(`# Lich\n\n${long}`));
    expect(chunks.length).toBeGreaterThan(1);
    const bodies = chunks.map((chunk) => chunk.text.replace(/^Lich\n/, ""));
    const joined = bodies.map((body, i) => (i === 0 ? body : withoutOverlap(bodies[i - 1] ?? "", body))).join(" ");
    expect(joined.replace(/\s+/g, " ")).toBe(long);
  });
});
