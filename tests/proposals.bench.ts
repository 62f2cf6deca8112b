/**
 * Benchmark (ADR 0038): how many of the SRD's creatures the offline proposals find in
 * `srd-monsters.pdf` (recall), how many proposals are no creature (precision) and how many
 * carry the right page — and the same on the module-like Markdown fixture of our own. Inside
 * workerd on the real local bindings, as the app does it: the PDF is stored and processed by
 * the user's tracker, attached to a campaign, and read by `findProposals`; the figures are
 * over the stored proposals.
 *
 *   npm run bench:proposals      (npx vitest run --config bench/vitest.proposals.config.ts)
 *
 * The ground truth is derived by tests/proposals-truth.ts (never typed in).
 */
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createCampaign } from "~/server/campaigns/campaigns.server";
import { attachFile } from "~/server/campaigns/resources.server";
import { campaignProposals } from "~/server/db/schema";
import { getFile } from "~/server/files/files.server";
import { openPdf } from "~/server/ingest/extract.server";
import { findProposals } from "~/server/proposals/proposals.server";
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
import monstersMarkdown from "../../shared/corpus/srd5/11-monsters.md?raw";
import conditions from "../../shared/corpus/srd5/12-conditions.md?raw";
import gods from "../../shared/corpus/srd5/13-gods.md?raw";
import planes from "../../shared/corpus/srd5/14-planes.md?raw";
import creatures from "../../shared/corpus/srd5/15-creatures.md?raw";
import npcs from "../../shared/corpus/srd5/16-npcs.md?raw";
import adventure from "./fixtures/the-drowned-lantern.md?raw";
import truthOfAdventure from "./fixtures/the-drowned-lantern.truth.json";
import { db, newUser, ownerAccess, services } from "./helpers";
import { drain, storeFile, withQueue } from "./ingest-helpers";
import { creaturesOfMarkdown, pagesOf, score } from "./proposals-truth";

async function proposalsFor(name: string, bytes: Uint8Array, contentType: string) {
  const gm = await newUser();
  const stored = await storeFile(gm.username, name, bytes, contentType);
  const ingestStart = Date.now();
  await withQueue(gm.id, async (queue) => {
    await queue.enqueue(stored);
    await drain(queue);
  });
  const ingestMs = Date.now() - ingestStart;
  const file = await getFile(db, gm.username, stored.fileKey);
  if (file?.status !== "ready") throw new Error(`${name}: ${file?.status} ${file?.error}`);
  const campaign = await createCampaign(db, gm.username, {
    name: "Bench",
    description: "",
    status: "active",
    tags: [],
  });
  await attachFile(db, campaign, file, { description: "", tags: [] });
  const access = await ownerAccess(gm, campaign);
  const started = Date.now();
  const result = await findProposals({ db, tracker: services.tracker, model: null }, access, file);
  const findMs = Date.now() - started;
  const again = await findProposals({ db, tracker: services.tracker, model: null }, access, file);
  const rows = await db.select().from(campaignProposals).where(eq(campaignProposals.campaignId, campaign.id));
  return { rows, result, again, ingestMs, findMs };
}

const percent = (x: number) => `${(100 * x).toFixed(1)} %`;

/** Each page's text, through the app's own PDF reader (unpdf). */
async function pdfPages(buffer: ArrayBuffer): Promise<string[]> {
  const pdf = await openPdf(new Uint8Array(buffer.slice(0)));
  const pages: string[] = [];
  for (let page = 1; page <= pdf.pageCount; page++) {
    pages.push((await pdf.pages(page, page)).map((block) => block.text).join("\n"));
  }
  await pdf.close();
  return pages;
}

async function measurePdf(label: string, buffer: ArrayBuffer | undefined, chapters: string[]) {
  if (!buffer) throw new Error("Run with --config bench/vitest.proposals.config.ts (it binds the PDFs).");
  // The truth: names from the Markdown chapters, pages from the PDF's own text.
  const truth = pagesOf(chapters.flatMap(creaturesOfMarkdown), await pdfPages(buffer));
  const { rows, result, again, ingestMs, findMs } = await proposalsFor(
    label,
    new Uint8Array(buffer.slice(0)),
    "application/pdf",
  );
  const figures = score(truth, rows);
  const count = (key: "origin" | "kind") =>
    JSON.stringify(
      Object.fromEntries(
        [...new Set(rows.map((r) => r[key]))].map((v) => [v, rows.filter((r) => r[key] === v).length]),
      ),
    );
  console.log(
    [
      `── ${label}, offline ──`,
      `creatures in the truth: ${figures.truth} (${truth.filter((t) => t.page === null).length} without a page in the PDF text)`,
      `proposals: ${figures.proposed}; by origin ${count("origin")}; by kind ${count("kind")}`,
      `recall: ${figures.found}/${figures.truth} = ${percent(figures.recall)}`,
      `precision: ${figures.proposed - figures.notCreatures.length}/${figures.proposed} = ${percent(figures.precision)}`,
      `right page: ${figures.foundAtPage}/${figures.found} = ${percent(figures.pageAccuracy)}`,
      `not creatures: ${JSON.stringify(figures.notCreatures)}`,
      `missed: ${JSON.stringify(figures.missed)}`,
      `wrong page: ${JSON.stringify(figures.wrongPage)}`,
      `found ${result.found}, re-run added ${again.added}; ingest ${ingestMs} ms, find ${findMs} ms`,
    ].join("\n"),
  );
  expect(again.added).toBe(0);
}

describe("proposals benchmark", () => {
  it("srd-monsters.pdf: creatures proposed, with their pages", async () => {
    await measurePdf("srd-monsters.pdf (182 pages)", env.CORPUS_MONSTERS_PDF, [monstersMarkdown]);
  });

  it("srd-all.pdf: every stat block of the whole SRD, among its spells, items and rules", async () => {
    const chapters = [legal, races, classes, beyond, equipment, feats, mechanics, combat, spellcasting, running].concat(
      [magicItems, monstersMarkdown, conditions, gods, planes, creatures, npcs],
    );
    await measurePdf("srd-all.pdf (664 pages)", env.CORPUS_ALL_PDF, chapters);
  });

  it("the module-like Markdown fixture: NPCs, places, items, factions and its stat block", async () => {
    const { rows, again } = await proposalsFor(
      "the-drowned-lantern.md",
      new TextEncoder().encode(adventure),
      "text/markdown",
    );
    const key = (kind: string, name: string) => `${kind}\u0000${name.toLowerCase()}`;
    const truth = new Map(truthOfAdventure.items.map((item) => [key(item.kind, item.name), item]));
    const right = rows.filter((r) => truth.has(key(r.kind, r.name)));
    const atHeading = right.filter((r) => truth.get(key(r.kind, r.name))?.heading === r.heading);
    const named = new Set(rows.map((r) => r.name.toLowerCase()));
    const found = truthOfAdventure.items.filter((item) => named.has(item.name.toLowerCase()));
    console.log(
      [
        "── tests/fixtures/the-drowned-lantern.md, offline ──",
        `recall (name): ${found.length}/${truth.size} = ${percent(found.length / truth.size)}`,
        `right kind: ${right.length}/${found.length}`,
        `precision: ${right.length}/${rows.length} = ${percent(rows.length ? right.length / rows.length : 0)}`,
        `right heading: ${atHeading.length}/${right.length}`,
        `not in the truth: ${JSON.stringify(rows.filter((r) => !truth.has(key(r.kind, r.name))).map((r) => `${r.kind}:${r.name}`))}`,
      ].join("\n"),
    );
    expect(again.added).toBe(0);
  });
});
