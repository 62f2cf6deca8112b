import { MAX_PROPOSAL_EXCERPT, MAX_PROPOSAL_NAME, type ProposalKind } from "~/lib/proposals";
import { plainInline } from "../assistant/quotes.server";
import { withoutOverlap } from "../ingest/chunk.server";

/**
 * Offline proposals (ADR 0038): what a file describes, read from the structure the
 * extractor kept — PDF pages, Markdown heading paths, and the lines of each passage — with
 * no model. Four patterns, each with the place it was found:
 *
 * - **Stat blocks**: an "Armor Class N" line with "Hit Points" right after it; the creature's
 *   name is the line (or the heading) above its "Size type, alignment" line. Humanoids are
 *   NPCs, everything else a monster.
 * - **Headings under a section named for a kind** ("NPCs", "Locations", "Treasure",
 *   "Factions"): each direct sub-heading is one; keyed headings ("3. The Crypt", "Area B2:
 *   Vault") are places wherever they are.
 * - **Bold names at a paragraph's start** ("**Sister Orla.** The abbess…") directly in such a
 *   section.
 * - **Table rows** whose table is in such a section, or whose first column is headed by a kind
 *   ("Name", "Location", "Item").
 *
 * It reads passages one at a time (a book arrives in pieces) and keeps only a few lines of
 * state; every regular expression is linear (no nested unbounded quantifiers).
 */

export interface SourcePassage {
  index: number;
  page: number | null;
  headingPath: string[];
  body: string;
}

export type ProposalOrigin = "stat-block" | "heading" | "bold" | "table" | "model";

export interface Candidate {
  kind: ProposalKind;
  name: string;
  excerpt: string;
  page: number | null;
  heading: string;
  passage: number;
  origin: ProposalOrigin;
}

/** A name folded for uniqueness: one proposal per (kind, folded name). */
export function nameKeyOf(name: string): string {
  return name.normalize("NFKC").toLowerCase().replace(/\s+/g, " ").trim();
}

export const HEADING_SEPARATOR = " › ";

interface Line {
  /** A heading starts here (Markdown: the heading path changed); `text` is its title. */
  heading: boolean;
  text: string;
  page: number | null;
  path: string[];
  passage: number;
}

const SIZES = "Tiny|Small|Medium|Large|Huge|Gargantuan";
/** "Large aberration, lawful evil", "Medium humanoid (any race), any alignment", "Medium swarm of Tiny beasts, unaligned". */
const TYPE_LINE = new RegExp(`^(?:${SIZES})(?: or (?:${SIZES}))? [A-Za-z][^,\\n]{1,80}, ?[A-Za-z][^\\n]{1,60}$`);
const ARMOR_CLASS = /^Armor Class:? \d{1,2}\b/;
/** "Hit Points 84 (8d10 + 40)", and "Hit Points half the hit point maximum of its summoner". */
const HIT_POINTS = /^Hit Points:? \S/;
const CHALLENGE = /^Challenge:? [\d/]+/;
/** Lines a stat block's excerpt keeps at most (name to challenge is about 12). */
const STAT_BLOCK_LINES = 16;

/** What a section's heading says its sub-headings, bold names and table rows are. */
const SECTION_KINDS: [ProposalKind, RegExp][] = [
  [
    "npc",
    /\b(?:npcs?|non-player characters?|characters|cast|personalities|dramatis personae|notable (?:people|figures|residents)|who(?:'|’)s who|villains?|allies)\b/i,
  ],
  [
    "place",
    /\b(?:locations?|places|areas|sites|regions|geography|settlements|landmarks|keyed (?:areas|locations)|map key|districts)\b/i,
  ],
  ["item", /\b(?:items?|treasures?|artifacts?|artefacts?|equipment|loot|rewards|relics)\b/i],
  ["faction", /\b(?:factions?|organi[sz]ations?|guilds?|cults?|secret societies|power groups)\b/i],
];

/** A table's first column header that names what its rows are. */
const COLUMN_KINDS: [ProposalKind, RegExp][] = [
  ["npc", /^(?:npcs?|characters?|people|persons?|who)$/i],
  ["place", /^(?:locations?|places?|areas?|sites?|rooms?)$/i],
  ["item", /^(?:items?|treasures?|objects?|artifacts?)$/i],
  ["faction", /^(?:factions?|organi[sz]ations?|guilds?|groups?)$/i],
];

/** "3. The Crypt", "B2. Vault", "Area 7: Shrine", "Room 4 — Cellar": a module's keyed location. */
const KEYED = /^(?:(?:area|room|location|site)\s+)?[A-Z]?\d{1,3}[a-z]?(?:[.:)]|\s+[-–—])\s*(\S.{0,119})$/i;

/** "**Name.** text", "***Name.*** text", "__Name__: text". */
const BOLD_NAME = /^(\*\*\*?|__)([^*_\n]{2,120}?)\1[.:]?(?:\s+(.*))?$/;

/** Bold labels that are a stat block's fields or a rule's, never a name. */
const NOT_NAMES = new Set(
  [
    "armor class",
    "hit points",
    "speed",
    "saving throws",
    "skills",
    "senses",
    "languages",
    "challenge",
    "damage resistances",
    "damage immunities",
    "damage vulnerabilities",
    "condition immunities",
    "actions",
    "reactions",
    "legendary actions",
    "lair actions",
    "regional effects",
    "note",
    "notes",
    "example",
    "variant",
    "tip",
    "name",
    "description",
    "effect",
    "cost",
    "weight",
    "type",
    "appearance",
    "personality",
    "motivation",
    "roleplaying",
    "tactics",
    "treasure",
    "development",
    "developments",
    "background",
  ].map((name) => name),
);

const sectionKindOf = (title: string): ProposalKind | null => {
  for (const [kind, pattern] of SECTION_KINDS) if (pattern.test(title)) return kind;
  return null;
};

/** A Markdown table row as text: "| a | b |" → "a — b"; a separator row is nothing. */
function plainRow(line: string): string {
  const cells = tableCells(line);
  if (cells.every((cell) => /^:?-{2,}:?$/.test(cell) || cell === "")) return "";
  return cells.map(plainInline).filter(Boolean).join(" — ");
}

function tableCells(line: string): string[] {
  const inner = line.trim().replace(/^\|/, "").replace(/\|$/, "");
  return inner.split("|").map((cell) => cell.trim());
}

/** A cleaned name, or null when the text is not one (too long, a sentence, no capital). */
export function cleanName(raw: string): string | null {
  const name = plainInline(raw)
    .replace(/[.:;,]+$/, "")
    .trim();
  if (name.length < 2 || name.length > MAX_PROPOSAL_NAME) return null;
  if (!/^[\p{Lu}\d"“‘'(]/u.test(name)) return null;
  if (!/\p{L}/u.test(name)) return null;
  const words = name.split(" ");
  if (words.length > 8) return null;
  if (NOT_NAMES.has(name.toLowerCase())) return null;
  // A sentence is no name: a full stop inside, or mostly lower-case words.
  if (/[.!?] \p{Lu}/u.test(name)) return null;
  const lower = words.filter(
    (word) => /^\p{Ll}/u.test(word) && !/^(?:of|the|and|a|an|in|on|at|to|de|du|von|van|la|le)$/.test(word),
  );
  if (lower.length > Math.max(1, words.length / 2)) return null;
  return name;
}

const clip = (text: string, max = MAX_PROPOSAL_EXCERPT) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

interface StatBlock {
  kind: ProposalKind;
  name: string;
  at: Line;
  lines: string[];
  /** Saw the Challenge line: the block is done. */
  done: boolean;
}

interface PendingAc {
  lookback: Line[];
  ac: Line;
  after: Line[];
}

interface SectionEntry {
  kind: ProposalKind;
  name: string;
  at: Line;
  origin: ProposalOrigin;
  lines: string[];
}

/**
 * Reads passages in order and hands out candidates as it finds them. `format` says what the
 * file's structure is: PDF pages (no headings, no Markdown), Markdown, or plain text.
 */
export class ProposalReader {
  private previous: SourcePassage | null = null;
  private recent: Line[] = [];
  private pendingAc: PendingAc | null = null;
  private statBlock: StatBlock | null = null;
  /** Inside a stat block's section (its bold trait names are no names). */
  private inStatBlock = false;
  private entry: SectionEntry | null = null;
  /** The current Markdown table: its column-header kind, and whether its header row was read. */
  private table: { kind: ProposalKind | null; headerRead: boolean } | null = null;

  constructor(
    private readonly format: "pdf" | "markdown" | "text",
    private readonly emit: (candidate: Candidate) => void,
  ) {}

  push(passage: SourcePassage): void {
    const previous = this.previous;
    const samePlace =
      previous !== null &&
      previous.page === passage.page &&
      previous.headingPath.join("\u0000") === passage.headingPath.join("\u0000");
    if (this.format === "markdown" && !samePlace) {
      const changed = firstDifference(previous?.headingPath ?? [], passage.headingPath);
      // Each heading that starts here, outermost first (a passage may open under several new ones).
      for (let depth = changed; depth < passage.headingPath.length; depth++) {
        const path = passage.headingPath.slice(0, depth + 1);
        this.line({ heading: true, text: path[depth] ?? "", page: passage.page, path, passage: passage.index });
      }
    }
    const body = previous && samePlace ? withoutOverlap(previous.body, passage.body) : passage.body;
    this.previous = passage;
    for (const text of body.split("\n")) {
      this.line({
        heading: false,
        text: text.trim(),
        page: passage.page,
        path: passage.headingPath,
        passage: passage.index,
      });
    }
  }

  end(): void {
    this.finishStatBlock();
    this.finishEntry();
  }

  private line(line: Line): void {
    if (line.heading) {
      this.finishStatBlock();
      this.finishEntry();
      this.pendingAc = null;
      this.inStatBlock = false;
      this.table = null;
      this.headingLine(line);
    } else {
      this.statBlockLine(line);
      if (this.format === "markdown") this.markdownLine(line);
    }
    this.recent.push(line);
    if (this.recent.length > 8) this.recent.shift();
  }

  // ── Stat blocks ────────────────────────────────────────────────────────────

  private statBlockLine(line: Line): void {
    const text = plainInline(line.text);
    const block = this.statBlock;
    if (block && !block.done) {
      if (text) block.lines.push(this.format === "markdown" && line.text.startsWith("|") ? plainRow(line.text) : text);
      if (CHALLENGE.test(text)) block.done = true;
      if (block.done || block.lines.length >= STAT_BLOCK_LINES) this.finishStatBlock();
    }
    const pending = this.pendingAc;
    if (pending && text) {
      pending.after.push(line);
      if (HIT_POINTS.test(text)) {
        this.pendingAc = null;
        this.startStatBlock(pending);
      } else if (pending.after.length >= 4) this.pendingAc = null;
    }
    if (ARMOR_CLASS.test(text)) this.pendingAc = { lookback: [...this.recent], ac: line, after: [] };
  }

  private startStatBlock({ lookback, ac, after }: PendingAc): void {
    this.finishStatBlock();
    const above = lookback.filter((line) => line.heading || plainInline(line.text) !== "").reverse();
    let typeLine: string | null = null;
    let nameLine: Line | null = null;
    for (const [i, line] of above.entries()) {
      const text = plainInline(line.text);
      if (i === 0 && !line.heading && TYPE_LINE.test(text)) {
        typeLine = text;
        continue;
      }
      if (line.heading || cleanName(text)) nameLine = line;
      break;
    }
    // Under a heading that names it (Markdown), the name is the heading even without a type line.
    if (!nameLine && this.format === "markdown" && ac.path.length) {
      nameLine = { heading: true, text: ac.path.at(-1) ?? "", page: ac.page, path: ac.path, passage: ac.passage };
    }
    const name = nameLine ? cleanName(nameLine.text) : null;
    if (!nameLine || !name) return;
    const kind: ProposalKind = typeLine && /\bhumanoid\b/i.test(typeLine) ? "npc" : "monster";
    const lines = [typeLine, plainInline(ac.text), ...after.map((line) => plainInline(line.text))].filter(
      (text): text is string => !!text,
    );
    this.statBlock = { kind, name, at: nameLine, lines, done: false };
    this.inStatBlock = true;
  }

  private finishStatBlock(): void {
    const block = this.statBlock;
    this.statBlock = null;
    if (!block) return;
    this.emit({
      kind: block.kind,
      name: block.name,
      excerpt: clip(block.lines.join("\n")),
      page: block.at.page,
      heading: headingOf(block.at),
      passage: block.at.passage,
      origin: "stat-block",
    });
  }

  // ── Markdown sections: headings, bold names, table rows ───────────────────

  private headingLine(line: Line): void {
    const title = line.text;
    const keyed = KEYED.exec(plainInline(title));
    const parent = line.path.at(-2);
    const parentKind = parent ? sectionKindOf(parent) : null;
    const ownKind = sectionKindOf(title);
    let kind: ProposalKind | null = null;
    let raw = title;
    if (keyed?.[1]) {
      kind = "place";
      raw = keyed[1];
    } else if (parentKind && !ownKind) kind = parentKind;
    const name = kind ? cleanName(raw) : null;
    if (kind && name) this.entry = { kind, name, at: line, origin: "heading", lines: [] };
  }

  private markdownLine(line: Line): void {
    const text = line.text;
    const sectionKind = sectionKindOf(line.path.at(-1) ?? "");
    if (text.startsWith("|")) {
      this.tableLine(line, sectionKind);
      return;
    }
    this.table = null;
    // "**Name.** text", "***Name.*** text", "**Name**: text" at a paragraph's start, directly in a kind's section.
    const bold = sectionKind && !this.inStatBlock ? BOLD_NAME.exec(text) : null;
    const name = bold ? cleanName(bold[2] ?? "") : null;
    if (sectionKind && bold && name) {
      this.finishEntry();
      this.entry = { kind: sectionKind, name, at: line, origin: "bold", lines: bold[3] ? [plainInline(bold[3])] : [] };
      return;
    }
    const entry = this.entry;
    if (!entry) return;
    if (!text) {
      if (entry.lines.length) this.finishEntry();
      return;
    }
    if (entry.lines.reduce((n, l) => n + l.length, 0) < 400) entry.lines.push(plainInline(text));
  }

  private tableLine(line: Line, sectionKind: ProposalKind | null): void {
    const cells = tableCells(line.text);
    if (!this.table) {
      const header = plainInline(cells[0] ?? "");
      let kind: ProposalKind | null = null;
      for (const [k, pattern] of COLUMN_KINDS) if (pattern.test(header)) kind = k;
      if (!kind && /^names?$/i.test(header)) kind = sectionKind;
      this.table = { kind, headerRead: true };
      return;
    }
    const kind = this.table.kind;
    if (!kind || cells.every((cell) => /^:?-{2,}:?$/.test(cell) || cell === "")) return;
    const name = cleanName(cells[0] ?? "");
    if (!name) return;
    this.emit({
      kind,
      name,
      excerpt: clip(plainRow(line.text)),
      page: line.page,
      heading: line.path.join(HEADING_SEPARATOR),
      passage: line.passage,
      origin: "table",
    });
  }

  private finishEntry(): void {
    const entry = this.entry;
    this.entry = null;
    if (!entry) return;
    this.emit({
      kind: entry.kind,
      name: entry.name,
      excerpt: clip(entry.lines.join(" ").trim()),
      page: entry.at.page,
      heading: headingOf(entry.at),
      passage: entry.at.passage,
      origin: entry.origin,
    });
  }
}

function headingOf(line: Line): string {
  return line.path.join(HEADING_SEPARATOR);
}

function firstDifference(a: string[], b: string[]): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

/** Candidates of a whole file at once (tests, the bench): the same reader, fed every passage. */
export function proposeFromPassages(
  passages: Iterable<SourcePassage>,
  format: "pdf" | "markdown" | "text",
): Candidate[] {
  const found: Candidate[] = [];
  const reader = new ProposalReader(format, (candidate) => found.push(candidate));
  for (const passage of passages) reader.push(passage);
  reader.end();
  return found;
}
