/**
 * The ground truth of the proposals benchmark (bench/vitest.proposals.config.ts, ADR 0038),
 * derived, never typed in: the creatures of the SRD's monsters chapter and the PDF page each
 * one's stat block starts on.
 *
 * - **Names** from the Markdown chapters: every heading (or a line that is bold alone, as
 *   the NPC appendix names a few) whose next line of text is an italic "*Size type,
 *   alignment*" line followed by an "**Armor Class**" line is one creature's stat block,
 *   named by that heading.
 * - **Pages** from the PDF's own text, page by page: the page of the line that is the name,
 *   directly followed by that creature's type line (so "Solar" at the foot of page 14 is on
 *   14, though its Armor Class is on 15). Names the PDF never prints that way have no page.
 *
 * Pure functions over text, so the derivation can be read and checked apart from the app.
 */

export interface TruthCreature {
  name: string;
  typeLine: string;
  /** null: the PDF text has no line with the name above its type line. */
  page: number | null;
}

/** Text without Markdown emphasis, with single spaces and none before a comma (the PDF has "undead , lawful"). */
const squash = (text: string) =>
  text
    .replace(/[*_]/g, "")
    .replace(/\s+/g, " ")
    .replace(/ ([,.;:])/g, "$1")
    .trim();

/** The creatures of a Markdown chapter: heading (or bold line), italic type line, then Armor Class. */
export function creaturesOfMarkdown(markdown: string): { name: string; typeLine: string }[] {
  const lines = markdown.split(/\r?\n/);
  const found: { name: string; typeLine: string }[] = [];
  for (let i = 0; i < lines.length; i++) {
    const heading = /^#{1,6}\s+(.+?)\s*#*$/.exec(lines[i] ?? "") ?? /^\*\*([^*]+)\*\*$/.exec(lines[i] ?? "");
    if (!heading?.[1]) continue;
    const next: string[] = [];
    for (let j = i + 1; j < lines.length && next.length < 2; j++) {
      const text = (lines[j] ?? "").trim();
      if (text) next.push(text);
    }
    const [typeLine, armor] = next;
    if (typeLine && armor && /^\*[^*].*\*$/.test(typeLine) && squash(armor).startsWith("Armor Class")) {
      found.push({ name: squash(heading[1]), typeLine: squash(typeLine) });
    }
  }
  return found;
}

/** Each creature's page in the PDF text (`pages[0]` is page 1), as the module comment says. */
export function pagesOf(creatures: { name: string; typeLine: string }[], pages: string[]): TruthCreature[] {
  const lines: { text: string; page: number }[] = [];
  for (const [i, text] of pages.entries()) {
    for (const line of text.split("\n")) {
      const clean = squash(line);
      if (clean) lines.push({ text: clean, page: i + 1 });
    }
  }
  return creatures.map((creature) => {
    let page: number | null = null;
    for (let k = 0; k + 1 < lines.length; k++) {
      if (lines[k]?.text === creature.name && lines[k + 1]?.text === creature.typeLine) {
        page = lines[k]?.page ?? null;
        break;
      }
    }
    return { ...creature, page };
  });
}

export interface Figures {
  truth: number;
  proposed: number;
  /** Truth creatures proposed (by name, case-insensitive). */
  found: number;
  /** …and at the right page. */
  foundAtPage: number;
  /** Proposals that are no creature of the truth. */
  notCreatures: string[];
  missed: string[];
  wrongPage: string[];
  recall: number;
  precision: number;
  pageAccuracy: number;
}

/** Recall, precision and the share at the right page of `proposed` against `truth`. */
export function score(truth: TruthCreature[], proposed: { name: string; page: number | null }[]): Figures {
  const key = (name: string) => name.toLowerCase().replace(/\s+/g, " ").trim();
  const byName = new Map(proposed.map((p) => [key(p.name), p]));
  const truthNames = new Set(truth.map((t) => key(t.name)));
  const missed: string[] = [];
  const wrongPage: string[] = [];
  let found = 0;
  let foundAtPage = 0;
  for (const creature of truth) {
    const hit = byName.get(key(creature.name));
    if (!hit) {
      missed.push(creature.name);
      continue;
    }
    found++;
    if (hit.page === creature.page) foundAtPage++;
    else wrongPage.push(`${creature.name} (${hit.page ?? "no page"}, truth ${creature.page ?? "none"})`);
  }
  const notCreatures = [...byName.entries()].filter(([k]) => !truthNames.has(k)).map(([, p]) => p.name);
  const proposedCount = byName.size;
  return {
    truth: truth.length,
    proposed: proposedCount,
    found,
    foundAtPage,
    notCreatures,
    missed,
    wrongPage,
    recall: truth.length ? found / truth.length : 0,
    precision: proposedCount ? (proposedCount - notCreatures.length) / proposedCount : 0,
    pageAccuracy: found ? foundAtPage / found : 0,
  };
}
