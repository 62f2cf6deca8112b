import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { CachedQueryEmbedder } from "~/server/vectors/cached-embedder.server";
import { VectorizeVectorIndex, WorkersAiEmbedder, WorkersAiReranker } from "~/server/vectors/cloudflare.server";
import { HashingEmbedder } from "~/server/vectors/local.server";
import { quantise, TrackerVectorIndex, TrackerVectorStore } from "~/server/vectors/tracker-index.server";
import { newUser, trackerOf } from "./helpers";

const cosine = (a: number[], b: number[]) => a.reduce((sum, v, i) => sum + v * (b[i] ?? 0), 0);

describe("local adapters", () => {
  it("embeds deterministically into unit vectors where shared words mean nearness", async () => {
    const embedder = new HashingEmbedder();
    const [lich, lichAgain, liches, market] = await embedder.embed([
      "The lich hides its phylactery",
      "The lich hides its phylactery",
      "Liches hide their phylacteries",
      "Prices at the harbour market",
    ]);
    if (!lich || !lichAgain || !liches || !market) throw new Error("missing vectors");
    expect(lich).toEqual(lichAgain);
    expect(Math.hypot(...lich)).toBeCloseTo(1, 5);
    expect(cosine(lich, liches)).toBeGreaterThan(cosine(lich, market) + 0.2);
  });

  it("hashes exactly the words and trigrams the word pattern defines, in every script", async () => {
    // The definition the scanner implements, written the slow and obvious way: a stored
    // vector must not change when the embedder gets faster.
    const fnv = (text: string) => {
      let h = 0x811c9dc5;
      for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
      return h >>> 0;
    };
    const reference = (text: string) => {
      const vector = new Array<number>(256).fill(0);
      const add = (feature: string, weight: number) => {
        const h = fnv(feature);
        vector[h % 256] = (vector[h % 256] ?? 0) + (h & 0x80000000 ? -weight : weight);
      };
      for (const word of text
        .toLowerCase()
        .normalize("NFKD")
        .match(/\p{L}[\p{L}\p{N}']*|\p{N}+/gu) ?? []) {
        add(`w:${word}`, 1);
        const padded = ` ${word} `;
        for (let i = 0; i + 3 <= padded.length; i++) add(`t:${padded.slice(i, i + 3)}`, 0.5);
      }
      const norm = Math.hypot(...vector) || 1;
      return vector.map((v) => v / norm);
    };
    const texts = [
      "A 3rd-level spell: don't stop at 1,000 gp — O'Brien's ‘quoted’ tower",
      "𝐀𝐁𝐂 mathematical letters, ١٢٣ Arabic digits, 二十 and ½ and x²",
      "'leading apostrophe, trailing' and a lone \ud800 surrogate",
      "Ǆungla İstanbul straße ÅÍÎÏ ﬁre ball Ω≈ç√",
      "",
    ];
    const vectors = await new HashingEmbedder().embed(texts);
    const worstDifference = texts.map((text, i) => {
      const expected = reference(text);
      return Math.max(...(vectors[i] ?? []).map((v, d) => Math.abs(v - (expected[d] ?? Number.NaN))));
    });
    expect(worstDifference.every((d) => d < 1e-12)).toBe(true);
    expect(vectors.map((v) => v.length)).toEqual(texts.map(() => 256));
  });
  it("keeps each account's vectors in its own tracker, filters by file, replaces and deletes at once", async () => {
    const [gm, other] = [await newUser(), await newUser()];
    const index = new TrackerVectorIndex(trackerOf);
    const embedder = new HashingEmbedder();
    const [crown, tower] = await embedder.embed(["the sunken crown", "the wizard's tower"]);
    if (!crown || !tower) throw new Error("missing vectors");
    await index.upsert(gm.id, [
      { id: "a:v1:0", values: crown, fileKey: "a" },
      { id: "b:v1:0", values: tower, fileKey: "b" },
    ]);
    await index.upsert(other.id, [{ id: "c:v1:0", values: crown, fileKey: "c" }]);
    const mine = await index.query(gm.id, crown, { topK: 5 });
    expect(mine.map((m) => m.id)).toEqual(["a:v1:0", "b:v1:0"]);
    // int8 storage keeps the score within a hundredth.
    expect(mine[0]?.score).toBeCloseTo(1, 2);
    expect((await index.query(gm.id, crown, { topK: 5, fileKeys: ["b"] })).map((m) => m.id)).toEqual(["b:v1:0"]);
    // Upserting the same id replaces, never duplicates.
    await index.upsert(gm.id, [{ id: "a:v1:0", values: tower, fileKey: "a" }]);
    expect((await index.query(gm.id, tower, { topK: 5 })).length).toBe(2);
    await index.deleteByIds(gm.id, ["a:v1:0", "c:v1:0"]);
    expect((await index.query(gm.id, crown, { topK: 5 })).map((m) => m.id)).toEqual(["b:v1:0"]);
    expect((await index.query(other.id, crown, { topK: 5 })).map((m) => m.id)).toEqual(["c:v1:0"]);
  });

  it("refuses a vector of another size without storing it, and takes a new size once empty", async () => {
    const { id } = await newUser();
    const index = new TrackerVectorIndex(trackerOf);
    const unit = (n: number) => Array.from({ length: n }, (_, i) => (i === 0 ? 1 : 0));
    await index.upsert(id, [{ id: "a:v1:0", values: unit(256), fileKey: "a" }]);
    await expect(index.upsert(id, [{ id: "b:v1:0", values: unit(8), fileKey: "b" }])).rejects.toThrow(/dimensions/);
    // Nothing of the refused vector reached SQLite: a restarted object still reads its index.
    const reread = await runInDurableObject(trackerOf(id), (_instance, state) =>
      new TrackerVectorStore(state.storage.sql).query(unit(256), { topK: 5 }).map((m) => m.id),
    );
    expect(reread).toEqual(["a:v1:0"]);
    await index.deleteByIds(id, ["a:v1:0"]);
    await index.upsert(id, [{ id: "b:v1:0", values: unit(8), fileKey: "b" }]);
    expect((await index.query(id, unit(8), { topK: 5 })).map((m) => m.id)).toEqual(["b:v1:0"]);
  });

  it("answers exactly what a scan of every vector would, also after the object restarts", async () => {
    const { id } = await newUser();
    const random = (seed: number) => {
      let x = seed;
      const values = Array.from({ length: 256 }, () => {
        x = (Math.imul(x, 1_103_515_245) + 12_345) >>> 0;
        return x / 2 ** 31 - 1;
      });
      const norm = Math.hypot(...values);
      return values.map((v) => v / norm);
    };
    // More than two of the index's blocks of 1,024 vectors.
    const records = Array.from({ length: 2_500 }, (_, i) => ({
      id: `f${i % 7}:v1:${i}`,
      values: random(i + 1),
      fileKey: `f${i % 7}`,
    }));
    const query = random(9_999);
    const index = new TrackerVectorIndex(trackerOf);
    await index.upsert(id, records);
    // The reference: every stored (int8) vector scored, best first.
    const expected = records
      .map((r) => {
        const { scale, values } = quantise(r.values);
        return { id: r.id, score: (values.reduce((sum, v, i) => sum + v * (query[i] ?? 0), 0) * scale) / 127 };
      })
      .sort((a, b) => b.score - a.score);
    const top = await index.query(id, query, { topK: 10 });
    expect(top.map((m) => m.id)).toEqual(expected.slice(0, 10).map((m) => m.id));
    const inTwo = await index.query(id, query, { topK: 10, fileKeys: ["f2", "f5"] });
    expect(inTwo.map((m) => m.id)).toEqual(
      expected
        .filter((m) => m.id.startsWith("f2:") || m.id.startsWith("f5:"))
        .slice(0, 10)
        .map((m) => m.id),
    );
    // A restarted object reads its vectors back from SQLite.
    const afterRestart = await runInDurableObject(trackerOf(id), (_instance, state) =>
      new TrackerVectorStore(state.storage.sql).query(query, { topK: 10 }),
    );
    expect(afterRestart).toEqual(top);
    // Deleting from anywhere (the best ones among them) leaves exactly the rest, in memory and in SQLite.
    const deleted = new Set([
      ...expected.slice(0, 5).map((m) => m.id),
      ...records.filter((_, i) => i % 3 === 0).map((r) => r.id),
    ]);
    await index.deleteByIds(id, [...deleted]);
    const remaining = expected.filter((m) => !deleted.has(m.id)).slice(0, 10);
    expect((await index.query(id, query, { topK: 10 })).map((m) => m.id)).toEqual(remaining.map((m) => m.id));
    const reread = await runInDurableObject(trackerOf(id), (_instance, state) =>
      new TrackerVectorStore(state.storage.sql).query(query, { topK: 2_500 }),
    );
    expect(reread.length).toBe(records.length - deleted.size);
    expect(reread.slice(0, 10).map((m) => m.id)).toEqual(remaining.map((m) => m.id));
  });
});

describe("Cloudflare adapters, against stand-ins for the bindings (the network boundary)", () => {
  it("asks Workers AI for bge-base embeddings in one call per batch and checks the answer", async () => {
    const calls: unknown[][] = [];
    const ai = {
      run: async (...args: unknown[]) => {
        calls.push(args);
        return { shape: [2, 768], data: [new Array(768).fill(0.1), new Array(768).fill(0.2)] };
      },
    } as unknown as Ai;
    const embedder = new WorkersAiEmbedder(ai);
    expect(await embedder.embed(["a", "b"])).toHaveLength(2);
    expect(calls).toEqual([["@cf/baai/bge-base-en-v1.5", { text: ["a", "b"] }]]);
    await expect(embedder.embed(["a", "b", "c"])).rejects.toThrow(/2 embeddings for 3 texts/);
  });

  it("asks the model once per query text and model: a repeated search reads the vector from KV", async () => {
    const texts: string[][] = [];
    const ai = {
      run: async (_model: string, input: { text: string[] }) => {
        texts.push(input.text);
        return { shape: [input.text.length, 768], data: input.text.map((t) => new Array(768).fill(t.length / 100)) };
      },
    } as unknown as Ai;
    const embedder = new CachedQueryEmbedder(new WorkersAiEmbedder(ai), env.CACHE);
    const query = `how does grappling work ${crypto.randomUUID()}`;
    const [first] = await embedder.embed([query]);
    const [again] = await embedder.embed([query]);
    expect(again).toEqual(first);
    expect(texts).toEqual([[query]]);
    // Another text is another entry; batches (ingestion) are never cached.
    await embedder.embed([`${query}?`]);
    await embedder.embed(["a", "b"]);
    await embedder.embed(["a", "b"]);
    expect(texts).toEqual([[query], [`${query}?`], ["a", "b"], ["a", "b"]]);
  });

  it("writes Vectorize vectors in the user's namespace and filters queries by file", async () => {
    const calls: { op: string; args: unknown[] }[] = [];
    const binding = {
      upsert: async (...args: unknown[]) => calls.push({ op: "upsert", args }),
      deleteByIds: async (...args: unknown[]) => calls.push({ op: "delete", args }),
      query: async (...args: unknown[]) => {
        calls.push({ op: "query", args });
        return { count: 1, matches: [{ id: "a:v1:0", score: 0.9, metadata: { fileKey: "a" } }] };
      },
    } as unknown as VectorizeIndex;
    const index = new VectorizeVectorIndex(binding);
    await index.upsert("gm", [{ id: "a:v1:0", values: [1, 0], fileKey: "a" }]);
    expect(await index.query("gm", [1, 0], { topK: 3, fileKeys: ["a"] })).toEqual([
      { id: "a:v1:0", score: 0.9, fileKey: "a" },
    ]);
    expect(await index.query("gm", [1, 0], { topK: 3, fileKeys: [] })).toEqual([]);
    await index.deleteByIds("gm", ["a:v1:0"]);
    expect(calls).toEqual([
      { op: "upsert", args: [[{ id: "a:v1:0", values: [1, 0], namespace: "gm", metadata: { fileKey: "a" } }]] },
      {
        op: "query",
        args: [[1, 0], { topK: 3, namespace: "gm", returnMetadata: "indexed", filter: { fileKey: { $in: ["a"] } } }],
      },
      { op: "delete", args: [["a:v1:0"]] },
    ]);
  });

  it("reranks with Workers AI's bge reranker, mapping its scores back to the passages", async () => {
    const calls: unknown[][] = [];
    const ai = {
      run: async (...args: unknown[]) => {
        calls.push(args);
        return {
          response: [
            { id: 1, score: 0.9 },
            { id: 0, score: 0.2 },
          ],
        };
      },
    } as unknown as Ai;
    expect(await new WorkersAiReranker(ai).rerank("lich", ["tavern menu", "the lich's phylactery", "weather"])).toEqual(
      [0.2, 0.9, 0],
    );
    expect(calls).toEqual([
      [
        "@cf/baai/bge-reranker-base",
        { query: "lich", contexts: [{ text: "tavern menu" }, { text: "the lich's phylactery" }, { text: "weather" }] },
      ],
    ]);
  });
});
