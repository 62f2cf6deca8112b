import { describe, expect, it } from "vitest";
import { fileMetadata } from "~/server/db/schema";
import { newFileKey } from "~/server/files/keys.server";
import { chunkBlocks } from "~/server/ingest/chunk.server";
import { extractMarkdown } from "~/server/ingest/extract.server";
import {
  chunkIdsOfOtherVersions,
  countChunks,
  deleteChunks,
  ROWS_PER_STATEMENT,
  writeChunks,
} from "~/server/ingest/index-chunks.server";
import races from "../../shared/corpus/srd5/01-races.md?raw";
import { db, newUser } from "./helpers";
import { ftsHits } from "./ingest-helpers";

/** A file row to hang chunks on (not handed to the tracker, which would index it itself). */
async function storedMarkdown() {
  const user = await newUser();
  const fileKey = newFileKey();
  await db.insert(fileMetadata).values({ fileKey, username: user.username, fileName: "races.md" });
  return { username: user.username, fileKey };
}

describe("writing chunks", () => {
  it("stays under D1's 100 bound parameters a statement", () => {
    expect(ROWS_PER_STATEMENT * 7).toBeLessThanOrEqual(100);
  });

  it("writes a real chapter's chunks with their FTS rows, and a re-run changes nothing", async () => {
    const file = await storedMarkdown();
    const chunks = chunkBlocks(extractMarkdown(races));
    const target = { ...file, version: 1 };
    await writeChunks(db, target, chunks);
    expect(await countChunks(db, target)).toBe(chunks.length);
    expect(await ftsHits(file.fileKey, "darkvision")).toBeGreaterThan(0);
    const hits = await ftsHits(file.fileKey, "darkvision");

    // A crash and a retry of the same step: same ids, same count, same index.
    await writeChunks(db, target, chunks);
    expect(await countChunks(db, target)).toBe(chunks.length);
    expect(await ftsHits(file.fileKey, "darkvision")).toBe(hits);
  });

  it("replaces the old version's chunks when a new version is indexed", async () => {
    const file = await storedMarkdown();
    await writeChunks(
      db,
      { ...file, version: 1 },
      chunkBlocks(extractMarkdown("# Old\n\nThe phylactery is in the well.")),
    );
    await writeChunks(
      db,
      { ...file, version: 2 },
      chunkBlocks(extractMarkdown("# New\n\nThe phylactery moved to the tower.")),
    );
    await deleteChunks(db, await chunkIdsOfOtherVersions(db, { ...file, version: 2 }));
    expect(await countChunks(db, { ...file, version: 1 })).toBe(0);
    expect(await countChunks(db, { ...file, version: 2 })).toBe(1);
    expect(await ftsHits(file.fileKey, "well")).toBe(0);
    expect(await ftsHits(file.fileKey, "tower")).toBe(1);
  });
});
