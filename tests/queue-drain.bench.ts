/**
 * Benchmark: the ingestion queue alone draining a backlog — files
 * already stored and queued, as when they arrive faster than they are processed — inside
 * workerd with the real local D1, R2 and Durable Object storage, the way the workerd tests
 * drive it (no uploads, no alarms, no server in front). Prints per input the wall time to
 * drain, the steps, the D1 status batches and the embedder calls. See bench/README.md.
 *
 *   npx vitest run --config bench/vitest.queue.config.ts
 *
 * (Named .bench.ts, not .test.ts, so that `npm test` leaves it out.)
 */
import { describe, expect, it } from "vitest";
import type { IngestRequest } from "~/server/ingest/queue.server";
import legal from "../../shared/corpus/srd5/00-legal.md?raw";
import races from "../../shared/corpus/srd5/01-races.md?raw";
import classes from "../../shared/corpus/srd5/02-classes.md?raw";
import beyond from "../../shared/corpus/srd5/03-beyond1st.md?raw";
import equipment from "../../shared/corpus/srd5/04-equipment.md?raw";
import feats from "../../shared/corpus/srd5/05-feats.md?raw";
import mechanics from "../../shared/corpus/srd5/06-mechanics.md?raw";
import combat from "../../shared/corpus/srd5/07-combat.md?raw";
import spellcasting from "../../shared/corpus/srd5/08-spellcasting.md?raw";
import running from "../../shared/corpus/srd5/09-running.md?raw";
import magicItems from "../../shared/corpus/srd5/10-magic-items.md?raw";
import monsters from "../../shared/corpus/srd5/11-monsters.md?raw";
import conditions from "../../shared/corpus/srd5/12-conditions.md?raw";
import gods from "../../shared/corpus/srd5/13-gods.md?raw";
import planes from "../../shared/corpus/srd5/14-planes.md?raw";
import creatures from "../../shared/corpus/srd5/15-creatures.md?raw";
import npcs from "../../shared/corpus/srd5/16-npcs.md?raw";
import { newUser } from "./helpers";
import { drain, storeFile, withQueue } from "./ingest-helpers";

const ROUNDS = 3;
const NOTES = 500;
const encode = (s: string) => new TextEncoder().encode(s);
const srd = [legal, races, classes, beyond, equipment, feats, mechanics, combat, spellcasting, running]
  .concat([magicItems, monsters, conditions, gods, planes, creatures, npcs])
  .map(encode);

/** A note of 0.5–3 KB of made-up campaign text (never corpus text), deterministic. */
function note(i: number): Uint8Array {
  const size = 512 + ((i * 7919) % 2560);
  const parts = [`# Session ${i + 1}\n\nThe ferryman hid a brass key under the old mill, says the ledger.`];
  while (parts.join("\n\n").length < size) {
    parts.push(
      parts.length % 3 === 0
        ? `## Rumour ${parts.length}`
        : "The harbour deed is forged, the smuggler swears, and the lantern at the north gate was cracked on purpose.",
    );
  }
  return encode(parts.join("\n\n"));
}

async function drained(bodies: Uint8Array[]) {
  const gm = await newUser();
  const files: IngestRequest[] = [];
  for (const [i, bytes] of bodies.entries())
    files.push(await storeFile(gm.username, `f${i}.md`, bytes, "text/markdown"));
  return withQueue(gm.username, async (queue) => {
    for (const file of files) await queue.enqueue(file);
    queue.takeCounters();
    const started = performance.now();
    const steps = await drain(queue);
    const ms = Math.round(performance.now() - started);
    const jobs = queue.list();
    expect(jobs.every((job) => job.status === "ready")).toBe(true);
    const { statusWrites, embedCalls } = queue.takeCounters();
    const chunks = jobs.reduce((n, job) => n + job.chunksTotal, 0);
    return { files: files.length, chunks, ms, steps, d1StatusBatches: statusWrites, embedCalls };
  });
}

describe("the ingestion queue draining a backlog", () => {
  it("of the 17 SRD Markdown files and of 500 notes", async () => {
    const rows: string[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      for (const [name, bodies] of [
        ["17 SRD Markdown files", srd],
        [`${NOTES} notes`, Array.from({ length: NOTES }, (_, i) => note(i))],
      ] as const) {
        const r = await drained([...bodies]);
        rows.push(
          `| ${round} | ${name} | ${r.files} | ${r.chunks} | ${r.ms} | ${r.steps} | ${r.d1StatusBatches} | ${r.embedCalls} |`,
        );
      }
    }
    console.log(
      [
        "| round | input | files | chunks | drain ms | steps | D1 status batches | embedder calls |",
        "|---|---|---|---|---|---|---|---|",
        ...rows,
      ].join("\n"),
    );
  }, 900_000);
});
