import { env } from "cloudflare:test";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { fileMetadata } from "~/server/db/schema";
import {
  MAX_ATTEMPTS,
  MAX_PDF_BYTES,
  MAX_STEP_DEATHS,
  MAX_WHOLE_FILE_EXTRACT_BYTES,
  PAGES_PER_STEP,
  type QueueDeps,
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
