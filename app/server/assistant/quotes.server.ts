import { queryTerms, termMatchers } from "../search/query.server";

/**
 * What the assistant quotes from a passage when no model writes the answer: whole
 * sentences (a table row, a list item) that hold the question's words, as readable text.
 *
 * A passage is a search result's text: Markdown or plain text extracted from a file, or
 * an entry. It may start inside a sentence (chunks overlap their neighbour by a few words)
 * and end inside one (a long paragraph is cut). So a passage is read as blocks
 * (paragraphs, list items, tables, headings, code), each block as quotable units, and
 * what no reader would call a sentence — a leading or trailing fragment, table pipes, a
 * row of numbers without its header, emphasis markers — is never quoted.
 */

/** A passage this short (as prose) is quoted whole. */
export const SHORT_PASSAGE_CHARS = 320;
/** One passage's quote stops growing at this length (its first sentence is always whole)… */
export const MAX_QUOTE_CHARS = 500;
/** …and a run-on "sentence" (a flattened list, a stat line) is cut at a word past this, marked "…". */
export const MAX_SENTENCE_CHARS = 600;
/** Everything a quote is taken from lies within this many characters of the passage (the citation's excerpt). */
export const MAX_EXCERPT_CHARS = 1_500;

type BlockKind = "paragraph" | "item" | "table" | "stats" | "heading" | "code" | "rule";

interface Block {
  kind: BlockKind;
  lines: string[];
  /** Offsets of the block in the passage's text. */
  start: number;
  end: number;
}

/** One quotable piece of a passage: a sentence, a list item's sentence, a table row. */
export interface Unit {
  text: string;
  /** Index of its block (units of one block are consecutive). */
  block: number;
  /** A table row or stat lines (read as "Name: value; …"), not a sentence. */
  row: boolean;
  /** The first sentence of a paragraph that opens with a bold lead-in ("Age. …"): a rule of its own. */
  labelled: boolean;
}

export interface ParsedPassage {
  blocks: Block[];
  units: Unit[];
}

const TABLE_SEPARATOR = /^\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?$/;
const LIST_MARKER = /^\s*(?:[-*+]|\d{1,3}[.)])\s+/;
const HEADING = /^#{1,6}(?:\s|$)/;
const RULE = /^([-*_])(?:\s*\1){2,}$/;
const FENCE = /^(```|~~~)/;

/** The passage's lines grouped into Markdown blocks, with their offsets. */
function blocksOf(text: string): Block[] {
  const blocks: Block[] = [];
  let open: Block | null = null;
  let fence: string | null = null;
  let offset = 0;
  for (const raw of text.split("\n")) {
    const at = offset;
    offset += raw.length + 1;
    // CRLF text: the offsets count the \r, the lines do not carry it.
    const line = raw.replace(/\r$/, "");
    const trimmed = line.trim();
    const extend = (block: Block) => {
      block.lines.push(line);
      block.end = at + line.length;
    };
    const start = (kind: BlockKind) => {
      const block: Block = { kind, lines: [line], start: at, end: at + line.length };
      blocks.push(block);
      return block;
    };
    if (fence !== null) {
      if (open) extend(open);
      if (trimmed.startsWith(fence)) {
        fence = null;
        open = null;
      }
      continue;
    }
    if (!trimmed) {
      open = null;
      continue;
    }
    if (FENCE.test(trimmed)) {
      fence = trimmed.slice(0, 3);
      open = start("code");
      continue;
    }
    if (HEADING.test(trimmed) || RULE.test(trimmed)) {
      start(HEADING.test(trimmed) ? "heading" : "rule");
      open = null;
      continue;
    }
    // A table line starts or ends with a pipe (a row cut by a chunk boundary may do only one).
    if (trimmed.startsWith("|") || trimmed.endsWith("|") || (open?.kind === "table" && trimmed.includes("|"))) {
      if (open?.kind === "table") extend(open);
      else open = start("table");
      continue;
    }
    if (LIST_MARKER.test(line)) {
      open = start("item");
      continue;
    }
    // A line of a paragraph (or a list item's continuation), unless it opens with bold text:
    // stat blocks and rule lead-ins put one entry a line.
    if (open && (open.kind === "paragraph" || open.kind === "item") && !/^(\*\*|__)/.test(trimmed)) extend(open);
    else open = start("paragraph");
  }
  return blocks;
}

/** Inline Markdown as the words a reader sees: no emphasis markers, links as their text, no HTML tags. */
export function plainInline(markdown: string): string {
  // Most cells and many sentences have no markup at all.
  if (!/[*_~`[\]<\\]/.test(markdown)) return markdown.replace(/\s+/g, " ").trim();
  // Escaped punctuation (\* \_ \|) is text: kept aside from the marker stripping below.
  let text = markdown.replace(/\\([!-/:-@[-`{-~])/g, (_, c: string) => String.fromCharCode(0xe000 + c.charCodeAt(0)));
  text = text
    .replace(/<\/?[a-z][^<>]*>/gi, " ")
    .replace(/!\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/\[([^\]]+)\]\([^)]*\)/g, "$1")
    .replace(/\[([^\]]+)\]\[[^\]]*\]/g, "$1")
    .replace(/`+([^`]*)`+/g, "$1");
  for (let pass = 0; pass < 3; pass++) {
    text = text
      .replace(/(\*{1,3})(?=\S)([^*]*?\S)\1/g, "$2")
      .replace(/(?<![\p{L}\p{N}])(_{1,3})(?=\S)([^_]*?\S)\1(?![\p{L}\p{N}])/gu, "$2")
      .replace(/~~(?=\S)([^~]*?\S)~~/g, "$1");
  }
  // Markers left unpaired (emphasis a chunk boundary cut in two).
  text = text.replace(/\*+/g, "").replace(/(?<![\p{L}\p{N}])_+|_+(?![\p{L}\p{N}])/gu, "");
  text = text.replace(/[\ue000-\ue07f]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xe000));
  return text.replace(/\s+/g, " ").trim();
}

/** A period after these is not the end of a sentence ("e.g. Dwarves", "Mr. Vance"). */
const ABBREVIATION = /(?:^|[\s(])(?:e\.g|i\.e|vs|cf|mr|mrs|ms|dr|st|[A-Z])$/i;
/** What a sentence may start with: a capital, a digit, an opening quote or bracket. */
const SENTENCE_START = /^[\p{Lu}\p{N}"“‘'([]/u;
/** A sentence's last characters: its end mark and any closing quotes or brackets. */
const TERMINATED = /[.!?…:]["”’')\]]*$/;

/** Plain text split into sentences (a closing quote or bracket stays with its sentence). */
export function sentencesOf(text: string): string[] {
  const out: string[] = [];
  let from = 0;
  for (const mark of text.matchAll(/[.!?…]+["”’')\]]*(?=\s|$)/g)) {
    const end = (mark.index ?? 0) + mark[0].length;
    const next = text.slice(end).trimStart();
    if (next && !SENTENCE_START.test(next)) continue;
    const at = mark.index ?? 0;
    if (mark[0] === "." && ABBREVIATION.test(text.slice(Math.max(from, at - 16), at))) continue;
    const sentence = text.slice(from, end).trim();
    if (sentence) out.push(sentence);
    from = end;
  }
  const rest = text.slice(from).trim();
  if (rest) out.push(rest);
  return out;
}

/** A sentence shorter than this is quoted together with the next one of its paragraph. */
const SHORT_SENTENCE_CHARS = 25;

/** Text that starts inside a sentence: a small letter, or punctuation that only follows words. */
const MID_SENTENCE = /^[\p{Ll},;:.!?)\]}’”…–—]/u;

/** A paragraph or list item as sentences; a bold lead-in ("Escaping a Grapple.") stays with its first sentence. */
function proseUnits(block: Block, last: boolean): { texts: string[]; labelled: boolean } {
  // Lines of a paragraph read on; a word a PDF broke at a line's end ("long-" / "standing") stays one word.
  const joined = block.lines
    .map((line) => line.trim())
    .reduce(
      (text, line) => (!text ? line : /\p{L}-$/u.test(text) && /^\p{Ll}/u.test(line) ? text + line : `${text} ${line}`),
      "",
    );
  const raw = block.kind === "item" ? joined.replace(LIST_MARKER, "") : joined.replace(/^(>\s?)+/, "");
  // "***Age.***", and "***Strength Drain.** Melee Weapon Attack:*" (bold inside italics).
  const lead = /^(\*{2,3}|_{2,3})(?=\S)([^*_]{1,120}?[.:!?])(\*{1,3}|_{1,3})\s*/.exec(raw);
  const labelled = Boolean(lead?.[2]);
  // A lead-in the passage ends on: its rule is in the next chunk.
  if (last && labelled && lead && raw.length === lead[0].length) return { texts: [], labelled };
  const label = labelled && lead?.[2] && raw.length > lead[0].length ? plainInline(lead[2]) : "";
  const flat = plainInline(label && lead ? raw.slice(lead[0].length) : raw);
  let sentences = sentencesOf(flat);
  // The overlap with the previous chunk starts mid-sentence: the rest of that sentence is a fragment.
  if (!label && block.kind === "paragraph" && MID_SENTENCE.test(flat)) sentences = sentences.slice(1);
  if (label && sentences[0]) sentences[0] = `${label} ${sentences[0]}`;
  // A sentence of a few words ("Strength Drain.", "It returns.") is quoted with the next one.
  const units: string[] = [];
  for (const sentence of sentences) {
    const previous = units.at(-1);
    if (previous !== undefined && previous.length < SHORT_SENTENCE_CHARS)
      units[units.length - 1] = `${previous} ${sentence}`;
    else units.push(sentence);
  }
  return { texts: units, labelled: Boolean(label) };
}

/** Splits a table row into its cells' text (outer pipes optional). */
function cellsOf(row: string): string[] {
  return row
    .trim()
    .replace(/^\|/, "")
    .replace(/\|$/, "")
    .split(/(?<!\\)\|/)
    .map((cell) => plainInline(cell));
}

/** A table's header cells, if the block starts with a header row and its separator. */
function headerOf(block: Block): string[] | null {
  return block.lines.length > 1 && TABLE_SEPARATOR.test(block.lines[1]?.trim() ?? "")
    ? cellsOf(block.lines[0] ?? "")
    : null;
}

/** A cell that says something in words ("Poseidon, god of the sea"), not a code or a number. */
const WORDY_CELL = /^\S+(?:\s+\S+){3,}$/;

/**
 * A table as one unit a row, each cell with its column's header ("Armor: Chain mail;
 * Cost: 75 gp"). A table going on after a blank line (where a long table was split) keeps
 * the header of its first part. Without a header in the passage (a chunk cut it off), a
 * row is quoted only if one of its cells says something in words; rows of bare numbers
 * and codes are left out.
 */
function tableUnits(block: Block, inherited: string[] | null): string[] {
  const own = headerOf(block);
  const header = own ?? inherited;
  // In a table written with outer pipes, a row without one was cut by a chunk boundary.
  const trimmed = block.lines.map((line) => line.trim());
  const piped = trimmed.filter((line) => line.startsWith("|") && line.endsWith("|")).length > trimmed.length / 2;
  return trimmed.slice(own ? 2 : 0).flatMap((line) => {
    if (TABLE_SEPARATOR.test(line)) return [];
    if (piped && !(line.startsWith("|") && line.endsWith("|"))) return [];
    const cells = cellsOf(line);
    if (!header) {
      const filled = cells.filter((cell) => cell && cell !== "—" && cell !== "-");
      return filled.some((cell) => WORDY_CELL.test(cell)) ? [filled.join("; ")] : [];
    }
    const pairs = cells.flatMap((cell, i) => {
      if (!cell || cell === "—" || cell === "-") return [];
      const name = header[i];
      return [name && name !== cell ? `${name}: ${cell}` : cell];
    });
    return pairs.length ? [pairs.join("; ")] : [];
  });
}

/**
 * Paragraphs text extraction broke inside a sentence ("…make a DC 10" / "Strength check,
 * freeing…"): a long paragraph that ends without an end mark goes on in the next one.
 */
function joinBrokenParagraphs(blocks: Block[]): Block[] {
  const out: Block[] = [];
  for (const block of blocks) {
    const previous = out.at(-1);
    if (previous?.kind === "paragraph" && block.kind === "paragraph" && !/^\s*(\*\*|__)/.test(block.lines[0] ?? "")) {
      const length = previous.lines.reduce((n, line) => n + line.length, 0);
      if (length > 100 && !TERMINATED.test(plainInline(previous.lines.at(-1) ?? ""))) {
        previous.lines.push(...block.lines);
        previous.end = block.end;
        continue;
      }
    }
    out.push(block);
  }
  return out;
}

/** "**Armor Class** 17", "**Casting Time:** 1 action": a one-line paragraph led by a bold name that is no sentence. */
const STAT_LINE = /^(\*\*|__)(?=\S)[^*_]{1,60}?[^.*_](\*\*|__)/;

/**
 * Stat lines one after the other (a spell's casting time, range and components, a
 * monster's armor class, hit points and speed) are read as one entry: "Casting Time:
 * 1 action; Range: Touch; Components: …".
 */
function joinStatLines(blocks: Block[]): Block[] {
  const out: Block[] = [];
  for (const block of blocks) {
    const stat = block.kind === "paragraph" && block.lines.length === 1 && STAT_LINE.test(block.lines[0]?.trim() ?? "");
    const previous = out.at(-1);
    if (stat && previous?.kind === "stats") {
      previous.lines.push(...block.lines);
      previous.end = block.end;
    } else out.push(stat ? { ...block, kind: "stats" } : block);
  }
  return out;
}

/** A passage's blocks and quotable units, in order. */
export function parsePassage(text: string): ParsedPassage {
  const blocks = joinStatLines(joinBrokenParagraphs(blocksOf(text)));
  const units: Unit[] = [];
  let header: string[] | null = null;
  blocks.forEach((block, i) => {
    // The header a table's next part (after a blank line) goes on with.
    if (block.kind !== "table") header = null;
    else header = headerOf(block) ?? header;
    if (block.kind === "paragraph" || block.kind === "item") {
      const { texts, labelled } = proseUnits(block, i === blocks.length - 1);
      for (const [j, text] of texts.entries())
        units.push({ text, block: i, row: false, labelled: labelled && j === 0 });
    } else if (block.kind === "table") {
      for (const text of tableUnits(block, header)) units.push({ text, block: i, row: true, labelled: false });
    } else if (block.kind === "stats") {
      const text = block.lines.map((line) => plainInline(line)).join("; ");
      units.push({ text, block: i, row: true, labelled: false });
    }
  });
  // A passage cut inside its last sentence (or right after a paragraph's lead-in): that
  // sentence is a fragment too.
  const last = units.at(-1);
  const lastBlock = last ? blocks[last.block] : undefined;
  if (last && lastBlock?.kind === "paragraph" && !TERMINATED.test(last.text)) {
    const ofBlock = units.filter((unit) => unit.block === last.block).length;
    if (ofBlock > 1 || last.text.length > 200) units.pop();
  }
  return { blocks, units };
}

const wordsOf = (text: string) => text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];

/** Which of the question's terms (by index) a text holds, by the search module's matchers. */
function termsIn(text: string, matchers: ((word: string) => boolean)[]): number[] {
  const words = [...new Set(wordsOf(text))];
  return matchers.flatMap((matches, i) => (words.some(matches) ? [i] : []));
}

/** What a quote needs to know of a source: its text and what it is about (heading path, title). */
export interface QuoteSource {
  text: string;
  about: string[];
}

export interface Quote {
  /** The quoted words: plain text on one line. */
  text: string;
  /** Where in the source's text they come from (whole blocks). */
  start: number;
  end: number;
}

/** Cut at a word past `max` characters, marked "…". */
function bounded(text: string, max: number): string {
  if (text.length <= max) return text;
  const space = text.lastIndexOf(" ", max);
  return `${text.slice(0, space > max / 2 ? space : max).trimEnd()}…`;
}

/** A passage's opening sentence as a quote (for when no sentence holds the question's words), or null. */
export function openingQuote(text: string): Quote | null {
  const { units, blocks } = parsePassage(text);
  const first = units[0];
  const block = first && blocks[first.block];
  return first && block ? { text: bounded(first.text, MAX_SENTENCE_CHARS), start: block.start, end: block.end } : null;
}

/** Units of one quote: consecutive ones read on, others are marked as left out. */
function joinUnits(units: Unit[], indices: number[]): string {
  let out = "";
  indices.forEach((index, i) => {
    const unit = units[index];
    if (!unit) return;
    const text = bounded(unit.text, MAX_SENTENCE_CHARS);
    if (i === 0) out = text;
    else {
      const previous = indices[i - 1] ?? -2;
      const gap = index !== previous + 1 ? " … " : TERMINATED.test(out) ? " " : " — ";
      out += `${gap}${text}`;
    }
  });
  return out;
}

/**
 * One passage's quote picks at most this many sentences by their words; the best one's
 * next sentence and one between two picked may join them, all within MAX_QUOTE_CHARS.
 */
export const MAX_QUOTE_UNITS = 3;

/**
 * For each source (in rank order), what to quote from it, or null when it holds nothing
 * to quote: the whole passage when it is short, else its best sentence — the one holding
 * the most of the question's terms, each term weighted by how few sentences of all the
 * sources hold it (so "live" counts for more than "dwarves" in a dwarf's passage) — and
 * up to two more that add terms to it or read on from it, then, with room left, the
 * sentence after the best one (a rule goes on where it is stated). Table rows and stat
 * lines are quoted like sentences, whole (only a run-on past MAX_SENTENCE_CHARS is cut, marked "…"). A
 * source whose heading names the question's subject but whose sentences do not (a
 * "Grappling" section that says "grapple") is quoted from its start, where a section
 * says what it is about.
 */
export function planQuotes(question: string, sources: QuoteSource[], synonyms: string[] = []): (Quote | null)[] {
  const matchers = termMatchers([...queryTerms(question), ...synonyms]);
  const parsed = sources.map((source) => parsePassage(source.text));
  const unitTerms = parsed.map((passage) => passage.units.map((unit) => termsIn(unit.text, matchers)));
  const all = unitTerms.flat();
  const weight = matchers.map((_, t) => {
    const holding = all.filter((terms) => terms.includes(t)).length;
    return Math.log(1 + (all.length + 1) / (holding + 1));
  });
  const scoreOf = (terms: number[]) => terms.reduce((sum, t) => sum + (weight[t] ?? 0), 0);

  return parsed.map((passage, s) => {
    const { units, blocks } = passage;
    if (units.length === 0) return null;
    const termsOfUnit = unitTerms[s] ?? [];
    const scores = termsOfUnit.map(scoreOf);
    const headingNames = termsIn((sources[s]?.about ?? []).join(" "), matchers).length > 0;
    const matching = scores.some((score) => score > 0);
    if (!matching && !headingNames) return null;

    const blockOf = (unit: number) => blocks[units[unit]?.block ?? 0];
    const span = (chosen: number[]): Quote => {
      const indices = [...chosen].sort((a, b) => a - b);
      return {
        text: joinUnits(units, indices),
        start: blockOf(indices[0] ?? 0)?.start ?? 0,
        end: blockOf(indices.at(-1) ?? 0)?.end ?? 0,
      };
    };
    /** Within one quote's length, and all from one excerpt's stretch of the passage. */
    const fits = (chosen: number[]) => {
      const chars = chosen.reduce((n, i) => n + Math.min(units[i]?.text.length ?? 0, MAX_SENTENCE_CHARS) + 1, 0);
      const first = blockOf(Math.min(...chosen));
      const last = blockOf(Math.max(...chosen));
      return chars <= MAX_QUOTE_CHARS && (last?.end ?? 0) - (first?.start ?? 0) <= MAX_EXCERPT_CHARS;
    };

    /**
     * How well unit `i` reads with the quote: the next sentence of a quoted paragraph best,
     * the one before it next, then the end of the paragraph leading into the quote or the
     * start of the one after it, last a paragraph after it that opens another rule.
     */
    const readsOn = (chosen: number[], i: number) => {
      const same = (c: number) => units[c]?.block === units[i]?.block;
      if (chosen.some((c) => c === i - 1 && same(c))) return 0.3;
      if (chosen.some((c) => c === i + 1 && same(c))) return 0.2;
      if (chosen.includes(i + 1)) return 0.1;
      // The next paragraph goes on with the subject, unless it opens another rule ("Alignment. …").
      if (chosen.includes(i - 1)) return units[i]?.labelled ? 0.05 : 0.1;
      return 0;
    };

    const length = units.reduce((n, unit) => n + unit.text.length + 1, 0);
    if (length <= SHORT_PASSAGE_CHARS) return span(units.map((_, i) => i));
    if (!matching) return span(units.length > 1 && fits([0, 1]) ? [0, 1] : [0]);

    let best = 0;
    for (let i = 1; i < scores.length; i++) if ((scores[i] ?? 0) > (scores[best] ?? 0)) best = i;
    const chosen = [best];
    const covered = new Set(termsOfUnit[best]);
    // More sentences: one holding terms not yet quoted counts fully, one repeating them
    // half and only where it reads with the quote, a neighbour a little more.
    while (chosen.length < MAX_QUOTE_UNITS) {
      let next = -1;
      let nextValue = 0;
      for (const [i, terms] of termsOfUnit.entries()) {
        if (chosen.includes(i) || terms.length === 0 || !fits([...chosen, i])) continue;
        const fresh = scoreOf(terms.filter((t) => !covered.has(t)));
        const reads = readsOn(chosen, i);
        // A sentence adding no new term must read with the quote: inside a quoted paragraph,
        // or leading into it.
        if (fresh === 0 && reads < 0.1) continue;
        const value = fresh + 0.5 * scoreOf(terms.filter((t) => covered.has(t))) + reads;
        if (value > nextValue) [next, nextValue] = [i, value];
      }
      if (next < 0) break;
      chosen.push(next);
      for (const t of termsOfUnit[next] ?? []) covered.add(t);
    }
    // With room left, the best sentence's next one in its paragraph (when it too holds a
    // term): a rule goes on where it is stated.
    const after = best + 1;
    if (
      !chosen.includes(after) &&
      units[after]?.block === units[best]?.block &&
      termsOfUnit[after]?.length &&
      fits([...chosen, after])
    ) {
      chosen.push(after);
    }
    // A sentence between two quoted ones is quoted too, so the quote reads on.
    for (const i of [...chosen]) {
      if (chosen.includes(i + 2) && !chosen.includes(i + 1) && fits([...chosen, i + 1])) chosen.push(i + 1);
    }
    // A line that is no sentence ("Prerequisite: Strength 13") reads on into the next, and
    // a short sentence into the next of its paragraph ("When you take the Dodge action, you
    // focus on avoiding attacks." says little without what follows).
    const lone = units[best];
    if (
      chosen.length === 1 &&
      lone &&
      !lone.row &&
      (!TERMINATED.test(lone.text) || (lone.text.length < 80 && units[best + 1]?.block === lone.block)) &&
      best + 1 < units.length &&
      fits([best, best + 1])
    ) {
      chosen.push(best + 1);
    }
    return span(chosen);
  });
}
