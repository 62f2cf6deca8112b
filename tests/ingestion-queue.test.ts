import { env, runInDurableObject } from "cloudflare:test";
import { eq, inArray } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { fileMetadata } from "~/server/db/schema";
import {
  type IngestRequest,
  MAX_ATTEMPTS,
  MAX_PDF_BYTES,
  MAX_STEP_DEATHS,
  MAX_WHOLE_FILE_EXTRACT_BYTES,
  PAGES_PER_STEP,
  type QueueDeps,
  STEP_BUDGET_MS,
} from "~/server/ingest/queue.server";
import type { Embedder } from "~/server/vectors/ports.server";
import conditions from "../../shared/corpus/srd5/12-conditions.md?raw";
import { db, newUser } from "./helpers";
import {
  chunksOf,
  drain,
  ftsHits,
  gate,
  localDeps,
  never,
  stages,
  storeFile,
  vectorIdsOf,
  withQueue,
} from "./ingest-helpers";
import { bookPages, buildPdf } from "./pdf-fixtures";

const corpusPdf = () => new Uint8Array(env.CORPUS_RACES_PDF.slice(0));
const text = (s: string) => new TextEncoder().encode(s);

const statusOf = async (fileKey: string) =>
  (await db.select().from(fileMetadata).where(eq(fileMetadata.fileKey, fileKey)))[0];

describe("ingestion queue", () => {
  it("turns a real PDF into page-cited, searchable chunks with one vector each", async () => {
    const gm = await newUser();
    const file = await storeFile(gm.username, "srd-races.pdf", corpusPdf(), "application/pdf");
    const events = await withQueue(gm.username, async (queue, events) => {
      await queue.enqueue(file);
      await drain(queue);
      return events;
    });
    expect(stages(events)).toEqual(["queued", "extracting", "indexing", "embedding", "ready"]);
    expect(events.at(-1)).toMatchObject({ pagesDone: 8, pageCount: 8, error: null });
    const chunks = await chunksOf(file.fileKey);
    expect(chunks.length).toBe(events.at(-1)?.chunksTotal);
    expect(new Set(chunks.map((c) => c.page))).toEqual(new Set([1, 2, 3, 4, 5, 6, 7, 8]));
    expect(await ftsHits(file.fileKey, "darkvision")).toBeGreaterThan(0);
    expect(await vectorIdsOf(file.fileKey)).toEqual(chunks.map((c) => c.id).sort());
    expect(await statusOf(file.fileKey)).toMatchObject({ status: "ready", pageCount: 8, error: null });
  });

  it("works through a long PDF a page range per step, reporting pages as it goes", async () => {
    const gm = await newUser();
    const pages = 2 * PAGES_PER_STEP + 5;
    const file = await storeFile(gm.username, "keep.pdf", buildPdf({ pages: bookPages(pages) }), "application/pdf");
    const events = await withQueue(gm.username, async (queue, events) => {
      await queue.enqueue(file);
      await drain(queue);
      return events;
    });
    const extracting = events.filter((e) => e.status === "extracting" || e.status === "indexing");
    expect(extracting.map((e) => e.pagesDone)).toEqual([0, PAGES_PER_STEP, 2 * PAGES_PER_STEP, pages]);
    const chunks = await chunksOf(file.fileKey);
    expect(chunks.find((c) => c.text.includes("page44 "))?.page).toBe(44);
    expect(await ftsHits(file.fileKey, "page44")).toBe(1);
  });

  it("resumes after a crash between steps with exactly the result of an uninterrupted run", async () => {
    const gm = await newUser();
    const bytes = buildPdf({ pages: bookPages(PAGES_PER_STEP * 2) });
    const clean = await storeFile(gm.username, "clean.pdf", bytes, "application/pdf");
    await withQueue(gm.username, async (queue) => {
      await queue.enqueue(clean);
      await drain(queue);
    });
    const crashed = await storeFile(gm.username, "crashed.pdf", bytes, "application/pdf");
    await withQueue(`${gm.username}-crash`, async (queue) => {
      await queue.enqueue(crashed);
      await queue.runStep();
      await queue.runStep();
    });
    // The object is gone: only its storage survives. A new one picks up where it stopped.
    const steps = await withQueue(`${gm.username}-crash`, (queue) => drain(queue));
    expect(steps).toBeGreaterThan(1);
    const strip = (rows: Awaited<ReturnType<typeof chunksOf>>, key: string) =>
      rows.map((r) => ({ ...r, id: r.id.replace(key, "") }));
    expect(strip(await chunksOf(crashed.fileKey), crashed.fileKey)).toEqual(
      strip(await chunksOf(clean.fileKey), clean.fileKey),
    );
    expect((await vectorIdsOf(crashed.fileKey)).length).toBe((await chunksOf(clean.fileKey)).length);
  });

  it("retries a failing step with back-off, and a re-run step duplicates nothing", async () => {
    const gm = await newUser();
    const file = await storeFile(gm.username, "conditions.md", text(conditions), "text/markdown");
    let failures = 2;
    // The network boundary fails after the vectors were written, before the checkpoint.
    const deps = (app: QueueDeps): QueueDeps => ({
      ...app,
      vectors: {
        ...app.vectors,
        upsert: async (namespace, vectors) => {
          await app.vectors.upsert(namespace, vectors);
          if (failures-- > 0) throw new Error("network hiccup");
        },
        query: app.vectors.query.bind(app.vectors),
        deleteByIds: app.vectors.deleteByIds.bind(app.vectors),
      },
    });
    const now = Date.now();
    await withQueue(
      gm.username,
      async (queue) => {
        await queue.enqueue(file);
        while (await queue.runStep(now)) {}
        expect(queue.list()[0]).toMatchObject({ status: "embedding", attempts: 1 });
        // Not due until the back-off has passed.
        expect(await queue.runStep(now + 1_000)).toBe(false);
        await drain(queue, { skipBackOff: true });
        expect(queue.list()[0]).toMatchObject({ status: "ready", attempts: 0 });
      },
      deps,
    );
    const chunks = await chunksOf(file.fileKey);
    expect(chunks.length).toBeGreaterThan(3);
    expect(chunks[0]?.headingPath).toEqual(["Appendix PH-A: Conditions"]);
    expect(await vectorIdsOf(file.fileKey)).toEqual(chunks.map((c) => c.id).sort());
  });

  it("gives up after a bounded number of attempts, says why and leaves nothing half-written", async () => {
    const gm = await newUser();
    const file = await storeFile(
      gm.username,
      "notes.md",
      text("# Notes\n\nThe crown lies in the well."),
      "text/markdown",
    );
    const broken: Embedder = {
      name: "down",
      dimensions: 3,
      batchSize: 10,
      semantic: true,
      minSimilarity: 0.5,
      embed: () => Promise.reject(new Error("AI unavailable")),
    };
    await withQueue(
      gm.username,
      async (queue) => {
        await queue.enqueue(file);
        await drain(queue, { skipBackOff: true });
        expect(queue.list()[0]).toMatchObject({ status: "failed", attempts: MAX_ATTEMPTS });
        expect(queue.list()[0]?.error).toMatch(/stopped after 4 attempts.*AI unavailable.*Retry/);
      },
      localDeps(broken),
    );
    expect(await chunksOf(file.fileKey)).toEqual([]);
    expect(await statusOf(file.fileKey)).toMatchObject({ status: "failed" });
    // Retry, with the service back, makes it searchable.
    await withQueue(gm.username, async (queue) => {
      await queue.enqueue(file);
      await drain(queue);
      expect(queue.list()[0]).toMatchObject({ status: "ready" });
    });
    expect(await ftsHits(file.fileKey, "crown")).toBe(1);
  });

  it.each([
    ["damaged", new TextEncoder().encode("%PDF-1.7\nthis is not really a pdf at all\n%%EOF"), /damaged/],
    ["encrypted", buildPdf({ pages: bookPages(2), encrypted: true }), /password-protected/],
    ["image-only", buildPdf({ pages: [null, null, null] }), /no text layer.*scanned/],
    ["empty", buildPdf({ pages: [] }), /no pages/],
  ])("fails a %s PDF at once with a reason a person understands", async (_kind, bytes, reason) => {
    const gm = await newUser();
    const file = await storeFile(gm.username, "book.pdf", bytes, "application/pdf");
    await withQueue(gm.username, async (queue) => {
      await queue.enqueue(file);
      await drain(queue);
      expect(queue.list()[0]).toMatchObject({ status: "failed", attempts: 1 });
      expect(queue.list()[0]?.error).toMatch(reason);
    });
    expect(await statusOf(file.fileKey)).toMatchObject({ status: "failed", error: expect.stringMatching(reason) });
    expect(await chunksOf(file.fileKey)).toEqual([]);
  });

  it("refuses, with a way forward, files too large to read within a Worker's memory", async () => {
    const gm = await newUser();
    const pdf = await storeFile(gm.username, "huge.pdf", buildPdf({ pages: bookPages(1) }), "application/pdf");
    const notes = await storeFile(gm.username, "huge.md", text("# Huge\n\nNotes."), "text/markdown");
    await withQueue(gm.username, async (queue) => {
      await queue.enqueue({ ...pdf, fileSize: MAX_PDF_BYTES + 1 });
      await queue.enqueue({ ...notes, fileSize: MAX_WHOLE_FILE_EXTRACT_BYTES + 1 });
      await drain(queue);
      const jobs = queue.list();
      expect(jobs.find((j) => j.fileKey === pdf.fileKey)?.error).toMatch(
        /larger than 64 MB.*stays in your library.*smaller copy/,
      );
      expect(jobs.find((j) => j.fileKey === notes.fileKey)?.error).toMatch(/too large.*Split it/);
    });
  });

  it("stores images without extracting them, and flattens JSON character sheets", async () => {
    const gm = await newUser();
    const png = await storeFile(gm.username, "map.png", new Uint8Array([0x89, 0x50, 0x4e, 0x47]), "image/png");
    const sheet = await storeFile(
      gm.username,
      "vessa.json",
      text(JSON.stringify({ name: "Vessa", stats: { dexterity: 17 } })),
      "application/json",
    );
    await withQueue(gm.username, async (queue) => {
      await queue.enqueue(png);
      await queue.enqueue(sheet);
      await drain(queue);
    });
    expect(await statusOf(png.fileKey)).toMatchObject({ status: "stored" });
    expect(await chunksOf(png.fileKey)).toEqual([]);
    expect((await chunksOf(sheet.fileKey)).map((c) => c.text)).toContainEqual(
      expect.stringContaining("stats › dexterity: 17"),
    );
  });

  it("takes turns: a long PDF in progress yields to a note uploaded after it", async () => {
    const gm = await newUser();
    const book = await storeFile(
      gm.username,
      "a.pdf",
      buildPdf({ pages: bookPages(PAGES_PER_STEP * 8) }),
      "application/pdf",
    );
    const note = await storeFile(gm.username, "b.md", text("# B\n\nSecond file."), "text/markdown");
    const events = await withQueue(gm.username, async (queue, events) => {
      await queue.enqueue(book, 1);
      await queue.runStep(); // checked
      await queue.runStep(); // pages 1–20
      await queue.enqueue(note, 2);
      await drain(queue);
      return events;
    });
    // The note's four steps took turns with the book's: it was ready while the book was
    // still on its pages, instead of waiting for all 160 of them.
    const noteReady = events.findIndex((e) => e.fileName === "b.md" && e.status === "ready");
    const bookThen = events.slice(0, noteReady).findLast((e) => e.fileName === "a.pdf");
    expect(noteReady).toBeGreaterThan(-1);
    expect(bookThen).toMatchObject({ status: "extracting" });
    expect(bookThen?.pagesDone).toBeLessThan(PAGES_PER_STEP * 6);
    // Turns change nothing in what each file becomes.
    expect(await ftsHits(book.fileKey, "page159")).toBe(1);
    expect(await statusOf(book.fileKey)).toMatchObject({ status: "ready" });
  });

  it("fails a file whose step stopped the processor three times, and goes on with the next file", async () => {
    const gm = await newUser();
    const poison = await storeFile(gm.username, "poison.md", text("# P\n\nNever read."), "text/markdown");
    const note = await storeFile(gm.username, "note.md", text("# N\n\nThe duke owes a favour."), "text/markdown");
    // Reading this file "kills the object": the step never returns, and the next queue
    // over the same storage is the restarted object.
    const files = env.FILES;
    const deadly = {
      ...localDeps(),
      files: new Proxy(files, {
        get: (target, prop) =>
          prop === "get"
            ? (key: string, ...rest: unknown[]) =>
                key === poison.r2Key ? never() : (target.get as (...a: unknown[]) => unknown)(key, ...rest)
            : Reflect.get(target, prop),
      }),
    };
    const name = `${gm.username}-deaths`;
    await withQueue(name, async (queue) => {
      await queue.enqueue(poison, 1);
      await queue.runStep(); // queued → extracting
    });
    for (let death = 1; death <= MAX_STEP_DEATHS; death++) {
      await withQueue(
        name,
        async (queue) => {
          void queue.runStep(); // dies inside: never resolves
          await new Promise((resolve) => setTimeout(resolve, 20));
          // Not a thrown error: no retry was recorded, and the file is not failed yet.
          expect(queue.list()[0]).toMatchObject({ status: "extracting", attempts: 0, error: null });
        },
        deadly,
      );
    }
    await withQueue(
      name,
      async (queue) => {
        await queue.enqueue(note, 2);
        await drain(queue);
        const jobs = queue.list();
        expect(jobs.find((j) => j.fileKey === note.fileKey)).toMatchObject({ status: "ready" });
        expect(jobs.find((j) => j.fileKey === poison.fileKey)).toMatchObject({ status: "failed" });
        expect(jobs.find((j) => j.fileKey === poison.fileKey)?.error).toMatch(
          /stopped the processor 3 times.*may be damaged.*stays in your library.*upload that/,
        );
      },
      deadly,
    );
    expect(await statusOf(poison.fileKey)).toMatchObject({ status: "failed" });
  });

  it("leaves no vectors behind when the file is deleted while its chunks are being embedded", async () => {
    const gm = await newUser();
    const file = await storeFile(
      gm.username,
      "lich.md",
      text("# Lich\n\nThe phylactery is in the well."),
      "text/markdown",
    );
    const held = gate();
    const local = localDeps();
    const slow: Embedder = {
      ...local.embedder,
      name: local.embedder.name,
      dimensions: local.embedder.dimensions,
      batchSize: local.embedder.batchSize,
      embed: async (texts) => {
        const values = await local.embedder.embed(texts);
        await held.pass(); // the AI call takes its time…
        return values;
      },
    };
    await withQueue(
      gm.username,
      async (queue) => {
        await queue.enqueue(file);
        for (let i = 0; i < 3; i++) await queue.runStep(); // → embedding
        const step = queue.runStep();
        await held.waiting;
        await queue.forget(gm.username, file.fileKey); // …and the file is deleted meanwhile
        held.open();
        await step;
        expect(await queue.runStep()).toBe(false);
      },
      { ...local, embedder: slow },
    );
    expect(await vectorIdsOf(file.fileKey)).toEqual([]);
  });

  it("leaves no passages behind, and the right stage in D1, when a file goes while its stage is recorded", async () => {
    const gm = await newUser();
    for (const how of ["cancel", "forget"] as const) {
      const file = await storeFile(
        gm.username,
        `${how}.md`,
        text("# Lich\n\nThe phylactery is in the well."),
        "text/markdown",
      );
      const held = gate();
      const local = localDeps();
      // The D1 write of "embedding" after the indexing step is slow, and the file goes meanwhile.
      let holdNext = false;
      const slowDb = new Proxy(local.db, {
        get: (target, prop) =>
          prop === "batch"
            ? async (...args: unknown[]) => {
                if (holdNext) {
                  holdNext = false;
                  await held.pass();
                }
                return (target.batch as (...a: unknown[]) => unknown).apply(target, args);
              }
            : Reflect.get(target, prop),
      });
      await withQueue(
        `${gm.username}-${how}`,
        async (queue, _events, sql) => {
          await queue.enqueue(file);
          await queue.runStep(); // queued → extracting
          await queue.runStep(); // extracting → indexing
          holdNext = true;
          const step = queue.runStep(); // indexing → embedding, held while D1 is told
          await held.waiting;
          const gone = how === "cancel" ? queue.cancel(file.fileKey) : queue.forget(gm.username, file.fileKey);
          await new Promise((resolve) => setTimeout(resolve, 10));
          held.open();
          await Promise.all([step, gone]);
          expect(await queue.runStep()).toBe(false);
          const staged = sql.exec("SELECT count(*) AS n FROM staged_chunks WHERE file_key = ?", file.fileKey).one();
          expect(staged.n).toBe(0);
        },
        { ...local, db: slowDb },
      );
      expect(await chunksOf(file.fileKey)).toEqual([]);
      // The older stage's write, held up, never lands after the cancel's.
      if (how === "cancel") expect(await statusOf(file.fileKey)).toMatchObject({ status: "cancelled" });
    }
  });

  it("stages nothing for a file deleted while it was being read", async () => {
    const gm = await newUser();
    const file = await storeFile(
      gm.username,
      "gone.md",
      text("# Gone\n\nThe crown lies in the well."),
      "text/markdown",
    );
    const held = gate();
    const local = localDeps();
    const slowFiles = new Proxy(local.files, {
      get: (target, prop) =>
        prop === "get"
          ? async (...args: unknown[]) => {
              await held.pass();
              return (target.get as (...a: unknown[]) => unknown).apply(target, args);
            }
          : Reflect.get(target, prop),
    });
    await withQueue(
      gm.username,
      async (queue, _events, sql) => {
        await queue.enqueue(file);
        await queue.runStep(); // queued → extracting
        const step = queue.runStep();
        await held.waiting;
        await queue.forget(gm.username, file.fileKey);
        held.open();
        await step;
        expect(sql.exec("SELECT count(*) AS n FROM staged_chunks WHERE file_key = ?", file.fileKey).one().n).toBe(0);
        expect(queue.list()).toEqual([]);
      },
      { ...local, files: slowFiles },
    );
  });

  it("replaces the old version's chunks and vectors only once the new version is ready", async () => {
    const gm = await newUser();
    const v1 = await storeFile(
      gm.username,
      "lich.md",
      text("# Lich\n\nThe phylactery is in the well."),
      "text/markdown",
    );
    await withQueue(gm.username, async (queue) => {
      await queue.enqueue(v1);
      await drain(queue);
    });
    const v2 = await storeFile(
      gm.username,
      "lich.md",
      text("# Lich\n\nThe phylactery moved to the tower."),
      "text/markdown",
      v1.fileKey,
    );
    await withQueue(gm.username, async (queue) => {
      await queue.enqueue(v2);
      await queue.runStep(); // queued → extracting
      await queue.runStep(); // extracting → indexing
      await queue.runStep(); // indexing → embedding: v2 is in D1, v1 still answers
      expect(await ftsHits(v1.fileKey, "well")).toBe(1);
      await drain(queue);
    });
    expect((await chunksOf(v1.fileKey)).map((c) => c.version)).toEqual([2]);
    expect(await ftsHits(v1.fileKey, "well")).toBe(0);
    expect(await ftsHits(v1.fileKey, "tower")).toBe(1);
    expect(await vectorIdsOf(v1.fileKey)).toEqual([`${v1.fileKey}:v2:0`]);
  });

  it("cancels a file mid-way, dropping what it had written, and stops working on it", async () => {
    const gm = await newUser();
    const file = await storeFile(
      gm.username,
      "big.pdf",
      buildPdf({ pages: bookPages(PAGES_PER_STEP * 3) }),
      "application/pdf",
    );
    await withQueue(gm.username, async (queue) => {
      await queue.enqueue(file);
      await queue.runStep();
      await queue.runStep();
      expect(queue.list()[0]).toMatchObject({ status: "extracting", pagesDone: PAGES_PER_STEP });
      await queue.cancel(file.fileKey);
      expect(await queue.runStep()).toBe(false);
      expect(queue.list()[0]).toMatchObject({ status: "cancelled" });
    });
    expect(await chunksOf(file.fileKey)).toEqual([]);
    expect(await statusOf(file.fileKey)).toMatchObject({ status: "cancelled" });
  });
});

/** A note of made-up campaign text that only `word` finds. */
const note = (i: number, word: string) =>
  text(
    `# Session ${i}\n\nThe ferryman ${word} hid a brass key under the old mill.\n\n` +
      `## Rumours\n\n- The harbour deed is forged.\n- The lantern was cracked on purpose.\n`,
  );
/** A word of letters only (the index in base 26), one per index, that no other note holds. */
const wordFor = (i: number) => {
  let letters = "";
  for (let n = i; letters === "" || n > 0; n = Math.floor(n / 26))
    letters = String.fromCharCode(97 + (n % 26)) + letters;
  return `qxv${letters}zz`;
};

/** The embedder as the app builds it, counting calls; `refuse` makes a call fail when any of its texts contains it. */
function countingEmbedder(refuse?: string) {
  const inner = localDeps().embedder;
  const calls: number[] = [];
  const embedder: Embedder = {
    name: inner.name,
    dimensions: inner.dimensions,
    batchSize: inner.batchSize,
    semantic: inner.semantic,
    minSimilarity: inner.minSimilarity,
    embed: async (texts) => {
      calls.push(texts.length);
      if (refuse && texts.some((t) => t.includes(refuse))) throw new Error("the embedder refused the batch");
      return inner.embed(texts);
    },
  };
  return { embedder, calls };
}

/** D1 as the app builds it, counting batches (the queue writes statuses only in batches). */
function countingDb() {
  const counts = { batches: 0 };
  const db = new Proxy(localDeps().db, {
    get: (target, prop) =>
      prop === "batch"
        ? (...args: unknown[]) => {
            counts.batches++;
            return (target.batch as (...a: unknown[]) => unknown).apply(target, args);
          }
        : Reflect.get(target, prop),
  });
  return { db, counts };
}

/** R2 whose `get` of the given keys does `what` instead (never returns, throws once, …). */
function filesWith(special: Record<string, (key: string) => Promise<unknown>>) {
  const files = env.FILES;
  return new Proxy(files, {
    get: (target, prop) =>
      prop === "get"
        ? (key: string, ...rest: unknown[]) => {
            const instead = special[key];
            return instead ? instead(key) : (target.get as (...a: unknown[]) => unknown).call(target, key, ...rest);
          }
        : Reflect.get(target, prop),
  });
}

/**
 * In one call to the tracker named `name`: every passage and vector (its values as stored),
 * and the files each word finds in the full-text index.
 */
async function contentsOf(name: string, words: string[] = []) {
  const tracker = env.USER_FILE_TRACKER.get(env.USER_FILE_TRACKER.idFromName(name));
  return runInDurableObject(tracker, (_instance, state) => {
    const sql = state.storage.sql;
    const rows = <T extends Record<string, SqlStorageValue>>(query: string, ...args: SqlStorageValue[]) =>
      sql.exec<T>(query, ...args).toArray();
    const found = (word: string) =>
      rows<{ file_key: string }>(
        "SELECT p.file_key FROM passages_fts JOIN passages p ON p.seq = passages_fts.rowid WHERE passages_fts MATCH ?",
        word,
      ).map((row) => row.file_key);
    return {
      passages: rows<{ id: string; file_key: string }>("SELECT id, file_key FROM passages"),
      vectors: rows<{ id: string; file_key: string; scale: number; data: ArrayBuffer }>(
        "SELECT id, file_key, scale, data FROM vectors",
      ).map((row) => ({
        id: row.id,
        fileKey: row.file_key,
        values: `${row.scale}:${new Int8Array(row.data).join(",")}`,
      })),
      found: Object.fromEntries(words.map((word) => [word, found(word)])),
    };
  });
}

/** The D1 status and error of each file, in one query. */
const statusesOf = async (fileKeys: string[]) =>
  new Map(
    (
      await db
        .select({ fileKey: fileMetadata.fileKey, status: fileMetadata.status, error: fileMetadata.error })
        .from(fileMetadata)
        .where(inArray(fileMetadata.fileKey, fileKeys))
    ).map((row) => [row.fileKey, row]),
  );

describe("many small files (shared steps)", () => {
  it("makes a folder of small files searchable in a few shared steps, each file as if it were alone", async () => {
    const gm = await newUser();
    const notes: IngestRequest[] = [];
    for (let i = 0; i < 40; i++)
      notes.push(await storeFile(gm.username, `n${i}.md`, note(i, wordFor(i)), "text/markdown"));
    const sheet = await storeFile(gm.username, "sheet.json", text('{"name":"Vessa","hp":12}'), "application/json");
    const broken = await storeFile(gm.username, "broken.json", text('{"name": "Vessa",'), "application/json");
    const empty = await storeFile(gm.username, "empty.md", text("\n\n   \n"), "text/markdown");
    const png = await storeFile(gm.username, "map.png", new Uint8Array([0x89, 0x50, 0x4e, 0x47]), "image/png");
    // One long enough to be embedded over several steps, in part beside other files' chunks.
    const sections = Array.from({ length: 150 }, (_, i) => `## Room ${i}\n\nDust, a chest and ${wordFor(500 + i)}.`);
    const long = await storeFile(
      gm.username,
      "dungeon.md",
      text(`# Dungeon\n\n${sections.join("\n\n")}\n`),
      "text/markdown",
    );
    // One note's bytes cannot be read the first time (storage hiccup): it retries, alone, later.
    let hiccups = 1;
    const flaky = notes[7] as IngestRequest;
    const files = filesWith({
      [flaky.r2Key]: async (key) => {
        if (hiccups-- > 0) throw new Error("R2 hiccup");
        return env.FILES.get(key);
      },
    });
    const { embedder, calls } = countingEmbedder();
    const { db: countedDb, counts } = countingDb();
    const all = [...notes.slice(0, 20), long, ...notes.slice(20), sheet, broken, empty, png];
    const steps = await withQueue(
      gm.username,
      async (queue) => {
        for (const file of all) await queue.enqueue(file);
        const enqueueWrites = counts.batches;
        const steps = await drain(queue, { skipBackOff: true });
        const jobs = queue.list();
        for (const file of notes) {
          expect(jobs.find((j) => j.fileKey === file.fileKey)).toMatchObject({
            status: "ready",
            attempts: 0,
            error: null,
          });
        }
        expect(jobs.find((j) => j.fileKey === broken.fileKey)).toMatchObject({ status: "failed", attempts: 1 });
        expect(jobs.find((j) => j.fileKey === empty.fileKey)?.error).toMatch(/no text/);
        expect(jobs.find((j) => j.fileKey === png.fileKey)).toMatchObject({ status: "stored" });
        expect(jobs.find((j) => j.fileKey === sheet.fileKey)).toMatchObject({ status: "ready" });
        expect(jobs.find((j) => j.fileKey === long.fileKey)).toMatchObject({ status: "ready", chunksEmbedded: 150 });
        // One D1 batch per step at most (every status of the step in it), besides each upload's "queued".
        expect(counts.batches - enqueueWrites).toBeLessThanOrEqual(steps);
        const counted = queue.takeCounters();
        expect(counted.steps).toBe(steps);
        expect(counted.jobSteps).toBeGreaterThan(4 * notes.length - 1);
        return steps;
      },
      { db: countedDb, files, embedder },
    );
    // Alone, each of the 44 files would take four steps and each text file an embedder call.
    expect(steps).toBeLessThan(20);
    expect(calls.length).toBeLessThanOrEqual(4);
    const contents = await contentsOf(
      gm.username,
      notes.map((_file, i) => wordFor(i)),
    );
    const statuses = await statusesOf([...notes, long, sheet].map((file) => file.fileKey));
    const ids = (rows: { id: string }[], file: IngestRequest) =>
      rows
        .filter((row) => row.id.startsWith(`${file.fileKey}:`))
        .map((row) => row.id)
        .sort();
    for (const [i, file] of [...notes, long, sheet].entries()) {
      // Found by its own word only; one vector for each of its passages; "ready" in D1 too.
      if (i < notes.length) expect(contents.found[wordFor(i)]).toEqual([file.fileKey]);
      expect(ids(contents.vectors, file)).toEqual(ids(contents.passages, file));
      expect(ids(contents.passages, file).length).toBeGreaterThan(0);
      expect(statuses.get(file.fileKey)).toMatchObject({ status: "ready", error: null });
    }
    expect(ids(contents.vectors, long)).toHaveLength(150);
    expect(await statusOf(broken.fileKey)).toMatchObject({ status: "failed", error: expect.stringMatching(/JSON/) });
    expect(await statusOf(empty.fileKey)).toMatchObject({ status: "failed" });
    expect(await statusOf(png.fileKey)).toMatchObject({ status: "stored" });
    expect(await chunksOf(broken.fileKey)).toEqual([]);
    // The same note processed on its own gives exactly the same passages.
    const alone = await storeFile(gm.username, "alone.md", note(3, wordFor(3)), "text/markdown");
    await withQueue(`${gm.username}-alone`, async (queue) => {
      await queue.enqueue(alone);
      await drain(queue);
    });
    const strip = (rows: Awaited<ReturnType<typeof chunksOf>>, key: string) =>
      rows.map((r) => ({ ...r, id: r.id.replace(key, "") }));
    const shared = notes[3] as IngestRequest;
    expect(strip(await chunksOf(shared.fileKey), shared.fileKey)).toEqual(
      strip(await chunksOf(alone.fileKey), alone.fileKey),
    );
    // …and the same vectors: a shared embedder call gave each chunk its own.
    const vectorsOf = (rows: { id: string; fileKey: string; values: string }[], key: string) =>
      rows
        .filter((row) => row.fileKey === key)
        .map((row) => ({ id: row.id.replace(key, ""), values: row.values }))
        .sort((a, b) => a.id.localeCompare(b.id));
    const aloneContents = await contentsOf(`${gm.username}-alone`);
    expect(vectorsOf(contents.vectors, shared.fileKey)).toEqual(vectorsOf(aloneContents.vectors, alone.fileKey));
  });

  it("takes companions into a step only within its time budget; those left out wait unharmed", async () => {
    const gm = await newUser();
    const files: IngestRequest[] = [];
    for (let i = 0; i < 6; i++)
      files.push(await storeFile(gm.username, `n${i}.md`, note(i, wordFor(i)), "text/markdown"));
    // Each read takes a good part of a step's budget.
    const slow = filesWith(
      Object.fromEntries(
        files.map((file) => [
          file.r2Key,
          async (key: string) => {
            await new Promise((resolve) => setTimeout(resolve, STEP_BUDGET_MS / 2));
            return env.FILES.get(key);
          },
        ]),
      ),
    );
    await withQueue(
      gm.username,
      async (queue, _events, sql) => {
        for (const file of files) await queue.enqueue(file);
        await queue.runStep(); // all six: queued → extracting
        await queue.runStep(); // reads some of them, not all
        const rows = sql
          .exec<{ status: string; step_starts: number }>("SELECT status, step_starts FROM ingest_jobs")
          .toArray();
        const read = rows.filter((row) => row.status === "indexing").length;
        expect(read).toBeGreaterThanOrEqual(1);
        expect(read).toBeLessThan(files.length);
        // Those not reached are as they were: not counted as started, so not taken for files that died.
        expect(rows.filter((row) => row.step_starts > 0)).toEqual([]);
        await drain(queue);
        expect(queue.list().every((job) => job.status === "ready" && job.attempts === 0)).toBe(true);
      },
      { files: slow },
    );
  });

  it("finds out, alone, a file that kills a shared step, and its companions become searchable", async () => {
    const gm = await newUser();
    const batch: IngestRequest[] = [];
    for (let i = 0; i < 5; i++)
      batch.push(await storeFile(gm.username, `n${i}.md`, note(i, wordFor(i)), "text/markdown"));
    const poison = await storeFile(gm.username, "poison.md", note(99, "never"), "text/markdown");
    batch.splice(2, 0, poison);
    // Reading the poison "kills the object": its read never returns, and the next queue over
    // the same storage is the restarted object.
    let reached = () => {};
    const deadly = () => ({
      files: filesWith({
        [poison.r2Key]: () => {
          reached();
          return never();
        },
      }),
    });
    const name = `${gm.username}-batch-deaths`;
    await withQueue(name, async (queue) => {
      for (const file of batch) await queue.enqueue(file);
      await queue.runStep(); // all six: queued → extracting, in one step
      expect(queue.list().every((j) => j.status === "extracting")).toBe(true);
    });
    // Uploaded after the first death: it must never share a step with the file that died.
    const late = await storeFile(gm.username, "late.md", note(50, wordFor(50)), "text/markdown");
    batch.push(late);
    for (let death = 1; death <= MAX_STEP_DEATHS; death++) {
      await withQueue(
        name,
        async (queue, _events, sql) => {
          if (death === 2) await queue.enqueue(late);
          const died = new Promise<void>((resolve) => {
            reached = resolve;
          });
          // Steps until one dies inside (never resolves); the others complete.
          for (;;) {
            const step = queue.runStep();
            const finished = await Promise.race([step.then((ran) => (ran ? "ran" : "idle")), died.then(() => "died")]);
            if (finished === "died") break;
            if (finished === "idle") throw new Error("the poison was never read");
          }
          await new Promise((resolve) => setTimeout(resolve, 20));
          const lateStarts = sql.exec<{ n: number }>(
            "SELECT step_starts AS n FROM ingest_jobs WHERE file_key = ?",
            late.fileKey,
          );
          expect(lateStarts.toArray()[0]?.n ?? 0).toBe(0);
        },
        deadly(),
      );
    }
    await withQueue(
      name,
      async (queue) => {
        await drain(queue);
        const jobs = queue.list();
        expect(jobs.find((j) => j.fileKey === poison.fileKey)?.error).toMatch(/stopped the processor 3 times/);
        for (const file of batch.filter((f) => f !== poison)) {
          expect(jobs.find((j) => j.fileKey === file.fileKey)).toMatchObject({ status: "ready", attempts: 0 });
        }
      },
      deadly(),
    );
    expect(await statusOf(poison.fileKey)).toMatchObject({ status: "failed" });
    for (const file of batch.filter((f) => f !== poison)) {
      expect(await statusOf(file.fileKey)).toMatchObject({ status: "ready" });
      expect((await chunksOf(file.fileKey)).length).toBeGreaterThan(0);
    }
    expect(await chunksOf(poison.fileKey)).toEqual([]);
  });

  it("counts a failed shared embedder call against nobody: each file runs alone, and only the one that fails it fails", async () => {
    const gm = await newUser();
    const files: IngestRequest[] = [];
    for (let i = 0; i < 4; i++)
      files.push(await storeFile(gm.username, `n${i}.md`, note(i, wordFor(i)), "text/markdown"));
    const refused = await storeFile(gm.username, "refused.md", note(9, "unembeddable"), "text/markdown");
    files.splice(1, 0, refused);
    const { embedder, calls } = countingEmbedder("unembeddable");
    const events = await withQueue(
      gm.username,
      async (queue, events) => {
        for (const file of files) await queue.enqueue(file);
        await drain(queue, { skipBackOff: true });
        const jobs = queue.list();
        expect(jobs.find((j) => j.fileKey === refused.fileKey)).toMatchObject({
          status: "failed",
          attempts: MAX_ATTEMPTS,
          error: expect.stringMatching(/stopped after 4 attempts.*refused the batch/),
        });
        for (const file of files.filter((f) => f !== refused)) {
          expect(jobs.find((j) => j.fileKey === file.fileKey)).toMatchObject({ status: "ready", attempts: 0 });
        }
        return events;
      },
      { embedder },
    );
    // The others never had an attempt counted: the shared failure was nobody's.
    expect(events.filter((e) => e.fileKey !== refused.fileKey && e.attempts > 0)).toEqual([]);
    expect(calls[0]).toBeGreaterThan(5); // the first call held every file's chunks
    for (const file of files.filter((f) => f !== refused)) {
      expect(await statusOf(file.fileKey)).toMatchObject({ status: "ready" });
    }
    expect(await vectorIdsOf(refused.fileKey)).toEqual([]);
    expect(await statusOf(refused.fileKey)).toMatchObject({ status: "failed" });
  });

  it.each([
    ["deleted", "embedded"],
    ["cancelled", "embedded"],
    ["deleted", "written"],
    ["cancelled", "written"],
  ] as const)(
    "keeps the companions of a file %s while a shared step's vectors are %s, and none of its passages or vectors",
    async (how, when) => {
      const gm = await newUser();
      const files: IngestRequest[] = [];
      for (let i = 0; i < 3; i++)
        files.push(await storeFile(gm.username, `n${i}.md`, note(i, wordFor(i)), "text/markdown"));
      const gone = files[1] as IngestRequest;
      const held = gate();
      const deps = (app: QueueDeps): QueueDeps => ({
        ...app,
        // The embedder call, or the vector write after it, takes its time…
        embedder: {
          ...app.embedder,
          embed: async (texts) => {
            const values = await app.embedder.embed(texts);
            if (when === "embedded") await held.pass();
            return values;
          },
        },
        vectors: {
          upsert: async (namespace, vectors) => {
            await app.vectors.upsert(namespace, vectors);
            if (when === "written") await held.pass();
          },
          query: app.vectors.query.bind(app.vectors),
          deleteByIds: app.vectors.deleteByIds.bind(app.vectors),
        },
      });
      await withQueue(
        gm.username,
        async (queue) => {
          for (const file of files) await queue.enqueue(file);
          for (let i = 0; i < 3; i++) await queue.runStep(); // all three: → extracting → indexing → embedding
          expect(queue.list().map((j) => j.status)).toEqual(["embedding", "embedding", "embedding"]);
          const step = queue.runStep(); // one embedder call and one write for all three…
          await held.waiting;
          // …and one of them goes meanwhile.
          await (how === "deleted" ? queue.forget(gm.username, gone.fileKey) : queue.cancel(gone.fileKey));
          held.open();
          await step;
          await drain(queue);
          const jobs = queue.list();
          for (const file of files.filter((f) => f !== gone)) {
            expect(jobs.find((j) => j.fileKey === file.fileKey)).toMatchObject({ status: "ready", attempts: 0 });
          }
          if (how === "cancelled") expect(jobs.find((j) => j.fileKey === gone.fileKey)?.status).toBe("cancelled");
          else expect(jobs.find((j) => j.fileKey === gone.fileKey)).toBeUndefined();
        },
        deps,
      );
      expect(await vectorIdsOf(gone.fileKey)).toEqual([]);
      expect(await chunksOf(gone.fileKey)).toEqual([]);
      for (const [i, file] of files.entries()) {
        if (file === gone) continue;
        expect(await ftsHits(file.fileKey, wordFor(i))).toBe(1);
        expect((await vectorIdsOf(file.fileKey)).length).toBe((await chunksOf(file.fileKey)).length);
      }
    },
  );

  it("gives a long PDF its turns while a folder of notes goes through in shared steps", async () => {
    const gm = await newUser();
    const book = await storeFile(
      gm.username,
      "book.pdf",
      buildPdf({ pages: bookPages(PAGES_PER_STEP * 8) }),
      "application/pdf",
    );
    const notes: IngestRequest[] = [];
    for (let i = 0; i < 60; i++)
      notes.push(await storeFile(gm.username, `n${i}.md`, note(i, wordFor(i)), "text/markdown"));
    const events = await withQueue(gm.username, async (queue, events) => {
      await queue.enqueue(book, 1);
      await queue.runStep(); // checked
      await queue.runStep(); // pages 1–20
      for (const [i, file] of notes.entries()) await queue.enqueue(file, 2 + i);
      await drain(queue);
      return events;
    });
    const lastNoteReady = events.findLastIndex((e) => e.fileName.startsWith("n") && e.status === "ready");
    const bookBefore = events.slice(0, lastNoteReady).findLast((e) => e.fileName === "book.pdf");
    // The notes did not wait for the book, and the book was not held back by sixty notes
    // taking four turns each: it read more pages while they went through.
    expect(bookBefore).toMatchObject({ status: "extracting" });
    expect(bookBefore?.pagesDone).toBeGreaterThanOrEqual(PAGES_PER_STEP * 2);
    expect(bookBefore?.pagesDone).toBeLessThan(PAGES_PER_STEP * 8);
    const noteSteps = new Set(
      events.filter((e) => e.fileName.startsWith("n") && e.status !== "queued").map((e) => e.updatedAt),
    );
    expect(noteSteps.size).toBeLessThan(notes.length);
    const contents = await contentsOf(
      gm.username,
      notes.map((_file, i) => wordFor(i)),
    );
    const statuses = await statusesOf(notes.map((file) => file.fileKey));
    for (const [i, file] of notes.entries()) {
      expect(statuses.get(file.fileKey)).toMatchObject({ status: "ready" });
      expect(contents.found[wordFor(i)]).toEqual([file.fileKey]);
      // Embedded across steps too (sixty notes are more than one embedder batch): every passage has its vector.
      const ids = (rows: { id: string }[]) =>
        rows.filter((row) => row.id.startsWith(file.fileKey)).map((row) => row.id);
      expect(ids(contents.vectors).sort()).toEqual(ids(contents.passages).sort());
    }
    expect(await statusOf(book.fileKey)).toMatchObject({ status: "ready", pageCount: PAGES_PER_STEP * 8 });
  });
});
