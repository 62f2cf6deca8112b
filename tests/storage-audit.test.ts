import { env } from "cloudflare:workers";
import { and, eq, lt } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { fileVersions } from "~/server/db/schema";
import { getFileVersions, storageUsed, uploadFile } from "~/server/files/files.server";
import { newFileKey, objectKey, userPrefix } from "~/server/files/keys.server";
import type { Account, FileRow } from "~/server/files/library.server";
import { auditStorage, ORPHAN_GRACE_MS } from "~/server/files/storage-audit.server";
import { reserveUpload } from "~/server/files/uploads.server";
import type { StorageUsage } from "~/server/files/usage.server";
import { deleteOldVersions, pruneOldVersions } from "~/server/files/version-retention.server";
import { db, fileStores, newUser, sessionCookieFor } from "./helpers";
import { storeFile } from "./ingest-helpers";
import { callRoute, routeAt } from "./route-walk";

const stores = fileStores();
/**
 * A file with `count` versions, stored as uploads leave them but kept from the tracker
 * (storeFile), so no job rewrites the statuses a test sets.
 */
async function versionsStored(account: Account, fileName: string, count: number) {
  const fileKey = newFileKey();
  for (let n = 1; n <= count; n++) {
    await storeFile(
      account.username,
      fileName,
      new TextEncoder().encode(`# ${fileName}\n\nDraft ${n}.\n`.repeat(n)),
      "text/markdown",
      fileKey,
    );
  }
  return { fileKey } as FileRow;
}

/** Every version of the file processed, as the tracker leaves them once each was ready in turn. */
const markReady = (fileKey: string) =>
  db.update(fileVersions).set({ status: "ready" }).where(eq(fileVersions.fileKey, fileKey));
const later = () => Date.now() + ORPHAN_GRACE_MS + 60_000;
const keysOf = async (account: Account) =>
  (await env.FILES.list({ prefix: userPrefix(account.id) })).objects.map((object) => object.key).sort();

async function storeNote(account: Account, fileName: string, text: string) {
  const bytes = new TextEncoder().encode(text);
  const result = await uploadFile(stores, account, { fileName, size: bytes.length, body: new Blob([bytes]).stream() });
  return (await getFileVersions(db, result.file)).map((version) => version.r2Key);
}

describe("the storage audit", () => {
  it("deletes objects no version or upload names once they are old, and nothing else", async () => {
    const gm = await newUser();
    const stored = await storeNote(gm, "Session 1.md", "# Session 1\n\nThe party met at the mill.\n");
    // An upload in flight: its row names its key before its bytes arrive.
    const inFlight = await reserveUpload(stores, gm, { fileName: "Map.md", size: 5 });
    await env.FILES.put(inFlight.r2Key, "# Map");
    // Bytes a crashed server wrote and never recorded.
    const orphan = objectKey(gm.id, crypto.randomUUID(), "Lost.md");
    await env.FILES.put(orphan, "# Lost");

    // Too young to tell from a cancel in progress: kept.
    const now = await auditStorage(stores, { accountId: gm.id });
    expect(now.orphansDeleted).toEqual([]);
    expect(await keysOf(gm)).toContain(orphan);

    const audit = await auditStorage(stores, { accountId: gm.id, now: later() });
    expect(audit.orphansDeleted).toEqual([orphan]);
    expect(await keysOf(gm)).toEqual([...stored, inFlight.r2Key].sort());
    // Repeating it finds nothing more to do.
    expect((await auditStorage(stores, { accountId: gm.id, now: later() })).orphansDeleted).toEqual([]);
  });

  it("deletes nothing when most of a slice has no row, as when D1 is not this bucket's", async () => {
    const gm = await newUser();
    await storeNote(gm, "Kept.md", "# Kept\n\nStill here.\n");
    const unnamed = Array.from({ length: 12 }, (_, n) => objectKey(gm.id, crypto.randomUUID(), `Restored ${n}.md`));
    for (const key of unnamed) await env.FILES.put(key, "# Restored");

    const audit = await auditStorage(stores, { accountId: gm.id, now: later() });
    expect(audit).toMatchObject({ objectsChecked: 13, orphansDeleted: [], suspicious: true });
    expect(await keysOf(gm)).toHaveLength(13);
  });

  it("reports a version whose bytes are gone, and leaves its rows for the GM to see", async () => {
    const gm = await newUser();
    const [kept] = await storeNote(gm, "Kept.md", "# Kept\n\nStill here.\n");
    const [lost] = await storeNote(gm, "Lost.md", "# Lost\n\nGone from R2.\n");
    await env.FILES.delete(lost ?? "");

    const audit = await auditStorage(stores, { accountId: gm.id });
    expect(audit.versionsChecked).toBe(2);
    expect(audit.missingBytes).toEqual([expect.objectContaining({ r2Key: lost, versionNumber: 1 })]);
    expect(await keysOf(gm)).toEqual([kept]);
  });

  it("works in bounded slices that resume where the last run stopped and start over at the end", async () => {
    const gm = await newUser();
    const stored: string[] = [];
    for (const n of [1, 2, 3]) stored.push(...(await storeNote(gm, `Note ${n}.md`, `# Note ${n}\n\nText ${n}.\n`)));
    const orphans = [1, 2, 3].map((n) => objectKey(gm.id, crypto.randomUUID(), `Orphan ${n}.md`));
    for (const key of orphans) await env.FILES.put(key, "# Orphan");
    for (const key of stored.slice(0, 2)) await env.FILES.delete(key);

    const limits = { objects: 2, versions: 2 };
    const runs = [];
    for (let run = 0; run < 3; run++) runs.push(await auditStorage(stores, { accountId: gm.id, now: later(), limits }));
    // Four objects in two slices, then from the beginning again (the one left).
    expect(runs.map((run) => run.objectsChecked)).toEqual([2, 2, 1]);
    expect(runs.flatMap((run) => run.orphansDeleted).sort()).toEqual(orphans.sort());
    // Three versions in two slices, then from the beginning again.
    expect(runs.map((run) => run.versionsChecked)).toEqual([2, 1, 2]);
    const reported = runs.slice(0, 2).flatMap((run) => run.missingBytes.map((missing) => missing.r2Key));
    expect(reported.sort()).toEqual(stored.slice(0, 2).sort());
    expect(await keysOf(gm)).toEqual([stored[2]]);
  });
});

describe("keeping the newest versions of a file", () => {
  it("deletes the rows and bytes of versions older than the newest N, bounded per run, and nothing else", async () => {
    const gm = await newUser();
    const versionsOf = async (file: FileRow) => (await getFileVersions(db, file)).map((v) => v.versionNumber).sort();
    const prep = await versionsStored(gm, "Prep.md", 7);
    // As once the tracker has processed each of them in turn.
    await markReady(prep.fileKey);
    const other = await storeNote(gm, "Map notes.md", "# Map\n\nOne version.\n");
    const before = await getFileVersions(db, prep);
    const usedBefore = await storageUsed(db, gm.username);

    // Bounded: one version a run, then the other; then nothing is left to do.
    const mine = { username: gm.username };
    expect(await pruneOldVersions(stores, 5, { ...mine, limit: 1 })).toHaveLength(1);
    expect(await pruneOldVersions(stores, 5, { ...mine, limit: 1 })).toHaveLength(1);
    expect(await pruneOldVersions(stores, 5, mine)).toEqual([]);

    expect(await versionsOf(prep)).toEqual([3, 4, 5, 6, 7]);
    const stillStored = async (key: string) => (await env.FILES.head(key)) !== null;
    expect(await Promise.all(before.map((v) => stillStored(v.r2Key)))).toEqual(before.map((v) => v.versionNumber >= 3));
    expect(await Promise.all(other.map(stillStored))).toEqual([true]);
    const freed = before.filter((v) => v.versionNumber < 3).reduce((sum, v) => sum + v.fileSize, 0);
    expect(await storageUsed(db, gm.username)).toBe(usedBefore - freed);
  });
});

describe("the version search still serves", () => {
  it("is kept while a newer version is processed, even by Delete old versions", async () => {
    const gm = await newUser();
    const { fileKey } = await versionsStored(gm, "Lore.md", 3);
    // Versions 1 and 2 were ready in turn; version 3 (current) is still being processed.
    await db
      .update(fileVersions)
      .set({ status: "ready" })
      .where(and(eq(fileVersions.fileKey, fileKey), lt(fileVersions.versionNumber, 3)));
    await db
      .update(fileVersions)
      .set({ status: "embedding" })
      .where(and(eq(fileVersions.fileKey, fileKey), eq(fileVersions.versionNumber, 3)));

    expect(await deleteOldVersions(stores, gm.username)).toMatchObject({ versions: 1 });
    const left = await getFileVersions(db, { fileKey } as FileRow);
    expect(left.map((v) => v.versionNumber).sort()).toEqual([2, 3]);
  });
});

describe("a GM's own storage, in Settings", () => {
  const settings = routeAt("/settings");
  async function twoVersions(account: Account, fileName: string) {
    const file = await versionsStored(account, fileName, 2);
    await markReady(file.fileKey);
    return getFileVersions(db, file);
  }

  it("shows the quota, the largest files and what old versions cost, and deletes only the GM's old versions", async () => {
    const gm = await newUser();
    const other = await newUser();
    const versions = await twoVersions(gm, "Prep.md");
    const theirs = await twoVersions(other, "Prep.md");
    const [old, current] = [...versions].sort((a, b) => a.versionNumber - b.versionNumber);
    const cookie = await sessionCookieFor(gm);

    const page = (await (
      await callRoute(settings, "loader", "http://localhost/settings", { cookie, params: {} })
    )?.json()) as {
      storage: StorageUsage;
    };
    expect(page.storage).toMatchObject({
      usedBytes: (old?.fileSize ?? 0) + (current?.fileSize ?? 0),
      quotaBytes: Number(env.MAX_USER_BYTES),
      fileCount: 1,
      oldVersions: 1,
      oldBytes: old?.fileSize,
      files: [{ fileName: "Prep.md", currentBytes: current?.fileSize, oldVersions: 1, oldBytes: old?.fileSize }],
    });

    const deleted = await callRoute(settings, "action", "http://localhost/settings", {
      cookie,
      params: {},
      form: { intent: "delete-old-versions" },
    });
    expect(deleted?.status).toBe(302);
    expect((await getFileVersions(db, { fileKey: current?.fileKey } as FileRow)).map((v) => v.versionNumber)).toEqual([
      current?.versionNumber,
    ]);
    expect(await storageUsed(db, gm.username)).toBe(current?.fileSize);
    // The other GM's versions are theirs to keep.
    expect(await getFileVersions(db, { fileKey: theirs[0]?.fileKey } as FileRow)).toHaveLength(2);
  });
});
