import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { JobProgress, LiveMessage } from "~/lib/jobs";
import { deleteFile, uploadFile } from "~/server/files/files.server";
import { IngestionQueue } from "~/server/ingest/queue.server";
import { createTrackerServices } from "~/server/services.server";
import conditions from "../../shared/corpus/srd5/12-conditions.md?raw";
import { alarmToSet } from "../functions/user-file-tracker";
import { fileStores, newUser, sessionCookieFor, trackerOf } from "./helpers";
import { chunksOf, storeFile, vectorIdsOf } from "./ingest-helpers";

/**
 * The UserFileTracker Durable Object around the ingestion queue: its alarm runs the
 * queue, and its socket tells the user's tabs. (The queue's steps are tested on their
 * own in ingestion-queue.test.ts.)
 */

const app = () => exports.default;
const markdown = (text: string) => new TextEncoder().encode(text);

/** Opens the user's live socket and resolves with the first job update that satisfies `done`. */
async function liveUntil(cookie: string, done: (job: JobProgress) => boolean): Promise<JobProgress> {
  const response = await app().fetch("http://localhost/ws", {
    headers: { Upgrade: "websocket", Origin: "http://localhost", Cookie: cookie },
  });
  const ws = response.webSocket;
  if (!ws) throw new Error(`no WebSocket (status ${response.status})`);
  ws.accept();
  return new Promise((resolve) => {
    ws.addEventListener("message", (event) => {
      const message = JSON.parse(event.data as string) as LiveMessage;
      const jobs = message.type === "snapshot" ? message.jobs : message.type === "job" ? [message.job] : [];
      const match = jobs.find(done);
      if (match) {
        ws.close(1000, "done");
        resolve(match);
      }
    });
  });
}

describe("the UserFileTracker", () => {
  it("processes an upload by itself, and deleting the file removes its chunks and vectors", async () => {
    const gm = await newUser();
    const stores = fileStores();
    const cookie = await sessionCookieFor(gm);
    const bytes = markdown(conditions);
    const ready = liveUntil(cookie, (job) => job.fileName === "conditions.md" && job.status === "ready");
    const { file } = await uploadFile(stores, gm, {
      fileName: "conditions.md",
      size: bytes.length,
      body: new Blob([bytes]).stream(),
    });
    const job = await ready;
    expect(job.chunksEmbedded).toBe(job.chunksTotal);
    expect((await chunksOf(file.fileKey)).length).toBe(job.chunksTotal);
    expect((await vectorIdsOf(file.fileKey)).length).toBe(job.chunksTotal);
    await deleteFile(stores, gm, file.fileKey);
    expect(await chunksOf(file.fileKey)).toEqual([]);
    expect(await vectorIdsOf(file.fileKey)).toEqual([]);
  });

  it("works through what is due when its alarm runs, and schedules nothing once the queue is done", async () => {
    const gm = await newUser();
    const tracker = trackerOf(gm.id);
    const request = await storeFile(
      gm.username,
      "notes.md",
      markdown("# Notes\n\nThe duke owes the party a favour.\n"),
      "text/markdown; charset=utf-8",
    );
    // Queue the file in the tracker's own storage, with its alarm set far ahead, so that
    // only runDurableObjectAlarm below runs it (an alarm due now would fire by itself).
    await runInDurableObject(tracker, async (_instance, state) => {
      const { ingestion } = createTrackerServices(env, state.storage);
      await new IngestionQueue(state.storage.sql, ingestion, () => {}).enqueue(request);
      await state.storage.setAlarm(Date.now() + 60 * 60_000);
    });
    expect((await tracker.listJobs()).map((job) => job.status)).toEqual(["queued"]);

    expect(await runDurableObjectAlarm(tracker)).toBe(true);
    const [job] = await tracker.listJobs();
    expect(job).toMatchObject({ status: "ready", chunksIndexed: job?.chunksTotal, chunksEmbedded: job?.chunksTotal });
    expect((await chunksOf(request.fileKey)).length).toBe(job?.chunksTotal);
    expect(await runInDurableObject(tracker, (_instance, state) => state.storage.getAlarm())).toBeNull();
    expect(await runDurableObjectAlarm(tracker)).toBe(false);
  });

  it("keeps an alarm that is about to fire when more uploads arrive, and brings a later one forward", () => {
    const now = 1_000_000;
    expect(alarmToSet(null, 0, now)).toBe(now);
    // Set for a moment ago (an upload just before): it fires now. Moving it to "now" on
    // every upload would hold processing back while a folder of uploads keeps arriving.
    expect(alarmToSet(now - 10, 0, now)).toBeNull();
    expect(alarmToSet(now, 0, now)).toBeNull();
    // A retry's alarm, later than new work: brought forward.
    expect(alarmToSet(now + 5_000, 0, now)).toBe(now);
    expect(alarmToSet(now + 5_000, now + 3_000, now)).toBe(now + 3_000);
    expect(alarmToSet(now + 2_000, now + 3_000, now)).toBeNull();
  });
});
