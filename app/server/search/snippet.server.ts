import { kindOfContentType } from "~/lib/file-kinds";
import type { SearchResult, SnippetPart } from "~/lib/search";
import { type HastNode, hastToHtml, renderMarkdownTree } from "../markdown.server";
import { termMatchers } from "./query.server";

/**
 * Snippets a person can read: the sentences (or table rows) of a passage that match the
 * query best, whole, formatted as the file formats them, with the matched words marked.
 *
 * Markdown goes through the app's one Markdown pipeline (markdown.server.ts: raw HTML
 * dropped, sanitized with GitHub's schema, javascript: and other schemes removed); the
 * snippet is cut and marked on that sanitized tree, never by splicing HTML strings. A
 * preview is stricter still: links become their text, images their alt text (nothing
 * loads from elsewhere), headings bold text, and ids go (many snippets share a page).
 * Plain text, PDF and JSON text is never read as Markdown.
 */

export type SnippetFormat = "markdown" | "text";

export interface RenderedSnippet {
  /** The snippet's plain text, matched words marked: for the API and the assistant. */
  parts: SnippetPart[];
  /** The same snippet as sanitized HTML, formatted, matched words in `<mark>`. */
  html: string;
}

/** Characters of prose a snippet shows at most: whole sentences; one longer sentence is cut. */
export const SNIPPET_CHARS = 320;
/** Rows of a table a snippet shows at most, besides its header row. */
export const SNIPPET_ROWS = 5;
/** A table cell in a snippet shows at most this many characters. */
const CELL_CHARS = 100;
/** A run-in heading this short ("***Escaping a Grapple.***") stays with its paragraph's sentences. */
const LEAD_CHARS = 60;
/** At most this much of the source is rendered for one snippet: the blocks around the best match. */
const SOURCE_CHARS = 4_000;
/** Blocks (paragraphs, lists) on either side of the best one a window may spill into… */
const NEIGHBOUR_BLOCKS = 2;
/** …when the best one is shorter than this (in source characters): else it fills the snippet itself. */
const NEIGHBOURS_BELOW = 0.6 * SNIPPET_CHARS;

const WORD = /[\p{L}\p{N}]+/gu;
/** The end of a sentence: a stop (and closing quotes or brackets) before a space and a capital or digit. */
const SENTENCE_END = /(?<![.!?…])[.!?…]+["'”’)\]]*(?=\s+["'“‘([]?[\p{Lu}\p{N}])/gu;
/** Elements that start a new line of text: a sentence never runs across them. */
const BLOCKS = new Set([
  "p",
  "li",
  "ul",
  "ol",
  "blockquote",
  "pre",
  "table",
  "thead",
  "tbody",
  "tr",
  "th",
  "td",
  "div",
  "dl",
  "dt",
  "dd",
]);

interface Score {
  /** How many of the query's terms it contains. */
  terms: number;
  /** How many of its words match a term. */
  hits: number;
}

const NO_MATCH: Score = { terms: 0, hits: 0 };
const compare = (a: Score, b: Score) => a.terms - b.terms || a.hits - b.hits;

class Matcher {
  private readonly matchers: ((word: string) => boolean)[];
  constructor(terms: string[]) {
    this.matchers = termMatchers(terms);
  }
  isMatch(word: string): boolean {
    const lower = word.toLowerCase();
    return this.matchers.some((matches) => matches(lower));
  }
  score(text: string): Score {
    const seen = new Set<number>();
    let hits = 0;
    for (const [word] of text.matchAll(WORD)) {
      const lower = word.toLowerCase();
      let hit = false;
      for (const [i, matches] of this.matchers.entries()) {
        if (matches(lower)) {
          seen.add(i);
          hit = true;
        }
      }
      if (hit) hits++;
    }
    return { terms: seen.size, hits };
  }
}

const element = (tagName: string, children: HastNode[], properties: Record<string, unknown> = {}): HastNode => ({
  type: "element",
  tagName,
  properties,
  children,
});
const textNode = (value: string): HastNode => ({ type: "text", value });

function textOf(node: HastNode): string {
  if (node.type === "text") return node.value ?? "";
  return (node.children ?? []).map(textOf).join("");
}

const isElement = (node: HastNode, tagName?: string): boolean =>
  node.type === "element" && (tagName === undefined || node.tagName === tagName);

/**
 * The snippet of `text` for a query's terms: the block with most of the terms; in it, the
 * sentence with most, and the sentences around it while they fit in SNIPPET_CHARS; for a
 * table, its header row and the rows that match.
 */
export function buildSnippet(text: string, terms: string[], format: SnippetFormat): RenderedSnippet {
  const matcher = new Matcher(terms);
  const source = sourceRegion(text, matcher);
  const blocks =
    format === "markdown"
      ? markdownBlocks(source, matcher)
      : (plainTextTree(source).children ?? []).filter((node) => isElement(node));
  if (blocks.length === 0) return { parts: [], html: "" };

  const scores = blocks.map((block) => matcher.score(textOf(block)));
  let best = 0;
  for (const [i, score] of scores.entries()) if (compare(score, scores[best] ?? NO_MATCH) > 0) best = i;
  const bestBlock = blocks[best] as HastNode;
  const chosen = isElement(bestBlock, "table")
    ? [tableSnippet(bestBlock, matcher)]
    : proseSnippet(blocks, best, matcher, scores[best] ?? NO_MATCH, format === "text");
  const root = element("div", chosen);
  mark(root, matcher);
  return { parts: plainParts(chosen), html: hastToHtml({ type: "root", children: chosen }) };
}

/** A search result's snippet, from its text and the kind of file (or entry) it comes from. */
export function resultSnippet(
  result: Pick<SearchResult, "title" | "text" | "source">,
  terms: string[],
): Pick<SearchResult, "snippet" | "snippetHtml"> {
  let text = result.text;
  let format: SnippetFormat = "markdown";
  if (result.source.kind === "chunk") {
    const kind = kindOfContentType(result.source.contentType);
    format = kind === "markdown" || kind === "docx" ? "markdown" : "text";
  } else if (text.startsWith(`${result.title}\n`)) {
    // An entry's text starts with its title, which the result shows as its heading.
    text = text.slice(result.title.length + 1);
  }
  const { parts, html } = buildSnippet(text, terms, format);
  return { snippet: parts, snippetHtml: html };
}

/**
 * A passage for the reader: Markdown through the same pipeline, with images as their alt
 * text and ids dropped (passages share the page); links stay (marked nofollow).
 */
export function passageHtml(markdown: string): string {
  // Link references, footnotes and indented lines (a list item's next paragraph, code)
  // need the whole passage parsed at once; else each block on its own, and text without
  // Markdown syntax without the parser (a long file has many such passages).
  const nodes = /\[[^\]\n]*\]:|\[\^|^[ \t]+\S/m.test(markdown)
    ? (renderMarkdownTree(markdown).children ?? []).flatMap((node) => forPreview(node, "reader"))
    : sourceBlocks(markdown).flatMap((block) => renderBlock(block, "reader"));
  // One block a line, as the pipeline writes them.
  const lines = nodes.flatMap((node, i) =>
    isElement(node) && i > 0 && isElement(nodes[i - 1] as HastNode) ? [textNode("\n"), node] : [node],
  );
  return hastToHtml({ type: "root", children: lines });
}

/**
 * A table cut across passages continues without its header row: the passage reader gives
 * it back the header of the table the previous passage ended with.
 */
export function continueTable(previous: string, next: string): string {
  if (!next.trimStart().startsWith("|") || isTableStart(next.trimStart())) return next;
  const lines = previous.trimEnd().split("\n");
  let end = lines.length;
  while (end > 0 && lines[end - 1]?.trimStart().startsWith("|")) end--;
  const table = lines.slice(end);
  if (table.length < 2 || !isDelimiterRow(table[1] ?? "")) return next;
  return `${table[0]}\n${table[1]}\n${next.trimStart()}`;
}

/** A table's second line ("|---|:-:|"). Trimmed first: no two runs of spaces meet in the pattern. */
const isDelimiterRow = (line: string) => /^\|?\s*:?-+:?\s*(?:\|\s*:?-+:?\s*)*\|?$/.test(line.trim());
function isTableStart(block: string): boolean {
  const newline = block.indexOf("\n");
  return newline > 0 && isDelimiterRow(block.slice(newline + 1, block.indexOf("\n", newline + 1) >>> 0));
}

/** Source characters of one block rendered at most: a longer one is cut to its best part first. */
const BLOCK_WINDOW = 2 * SNIPPET_CHARS;

/**
 * The Markdown blocks a snippet may show, rendered and made fit for a preview: the block
 * with most of the terms and the short or matching blocks beside it. Only these are
 * parsed (the Markdown parser costs about a millisecond per kilobyte), a long block only
 * around its best sentences, list items or table rows; a rendered block is remembered
 * (search as you type asks for the same passages again and again).
 */
function markdownBlocks(source: string, matcher: Matcher): HastNode[] {
  const blocks = sourceBlocks(source);
  if (blocks.length === 0) return [];
  const scores = blocks.map((block) => matcher.score(block));
  let best = 0;
  for (const [i, score] of scores.entries()) if (compare(score, scores[best] ?? NO_MATCH) > 0) best = i;
  // A short best block leaves room for its neighbours (not tables), together within BLOCK_WINDOW.
  let length = blocks[best]?.length ?? 0;
  const fits = (i: number) => {
    const block = blocks[i];
    if (block === undefined || isTableBlock(block) || length + block.length > BLOCK_WINDOW) return false;
    length += block.length;
    return true;
  };
  let first = best;
  let last = best;
  if (length < NEIGHBOURS_BELOW && !isTableBlock(blocks[best] ?? "")) {
    for (let step = 0; step < NEIGHBOUR_BLOCKS; step++) {
      if (fits(last + 1)) last++;
      if (fits(first - 1)) first--;
    }
  }
  return blocks
    .slice(first, last + 1)
    .flatMap((block, i) => renderBlock(first + i === best ? windowBlock(block, matcher) : block));
}

/** Blank-line separated blocks of Markdown source; a fenced code block is one block, blank lines and all. */
function sourceBlocks(source: string): string[] {
  const blocks: string[] = [];
  let lines: string[] = [];
  let fence: string | null = null;
  const flush = () => {
    if (lines.length) blocks.push(dedent(lines));
    lines = [];
  };
  for (const line of source.split("\n")) {
    const start = line.trimStart();
    if (fence !== null) {
      lines.push(line);
      if (start.startsWith(fence)) fence = null;
    } else if (start.startsWith("```") || start.startsWith("~~~")) {
      lines.push(line);
      fence = start.slice(0, 3);
    } else if (start === "") flush();
    else lines.push(line);
  }
  flush();
  return blocks.map(withTableHead);
}

/** A block on its own (a list item's continued paragraph) must not turn into indented code. */
function dedent(lines: string[]): string {
  const indent = Math.min(...lines.filter((line) => line.trim()).map((line) => line.length - line.trimStart().length));
  return (indent > 0 ? lines.map((line) => line.slice(Math.min(indent, line.length - line.trimStart().length))) : lines)
    .join("\n")
    .trimEnd();
}

const isTableBlock = (block: string) => block.startsWith("|") && isTableStart(block);
const isFenceBlock = (block: string) => block.startsWith("```") || block.startsWith("~~~");
const LIST_ITEM = /^(?:[-+*]|\d{1,9}[.)])(?:[ \t]|$)/;
/** Nothing in it is Markdown syntax: it renders to exactly one paragraph of its text. */
const PLAIN_MARKDOWN = /^[^*_`[\]<>|#!~&\\]*$/;
/** Lines that start a heading, list, quote or indented code, or end in a hard line break. */
const BLOCK_SYNTAX = /^(?:[ \t]*(?:[-+*=>#]|\d{1,9}[.)])| {4}|\t)| {2}$/m;

/**
 * A block rendered, made fit for a preview (a snippet's blocks are remembered); a copy the
 * caller may change.
 */
function renderBlock(block: string, mode: "snippet" | "reader" = "snippet"): HastNode[] {
  const cached = mode === "snippet" ? blockCache.get(block) : undefined;
  if (cached) {
    blockCache.delete(block);
    blockCache.set(block, cached);
    return cached.map(clone);
  }
  let nodes: HastNode[];
  if (PLAIN_MARKDOWN.test(block) && !BLOCK_SYNTAX.test(block)) {
    // What the pipeline makes of text without syntax, without running it.
    nodes = [
      element("p", [
        textNode(
          block
            .split("\n")
            .map((line) => line.trim())
            .join("\n"),
        ),
      ]),
    ];
  } else if (isFenceBlock(block)) {
    const lines = block.split("\n");
    const closed = lines.length > 1 && /^(?:```|~~~)/.test(lines.at(-1)?.trimStart() ?? "");
    nodes = [element("pre", [element("code", [textNode(`${lines.slice(1, closed ? -1 : undefined).join("\n")}\n`)])])];
  } else {
    nodes = (renderMarkdownTree(block).children ?? [])
      .flatMap((node) => forPreview(node, mode))
      .filter((node) => isElement(node));
  }
  if (mode === "reader") return nodes;
  blockCache.set(block, nodes);
  if (blockCache.size > BLOCK_CACHE_SIZE) blockCache.delete(blockCache.keys().next().value as string);
  return nodes.map(clone);
}

/** A deep copy of a tree (the cached one stays as it was). */
function clone(node: HastNode): HastNode {
  const copy: HastNode = { ...node };
  if (node.properties) copy.properties = { ...node.properties };
  if (node.children) copy.children = node.children.map(clone);
  return copy;
}

/** Rendered blocks this isolate remembers (by their source text: the same text renders the same). */
const BLOCK_CACHE_SIZE = 500;
const blockCache = new Map<string, HastNode[]>();

/** A long block cut to its best part at the source: whole sentences, list items, table rows or code lines. */
function windowBlock(block: string, matcher: Matcher): string {
  if (block.length <= BLOCK_WINDOW) return block;
  if (isTableBlock(block)) {
    const lines = block.split("\n");
    const rows = lines.slice(2).map((row, index) => ({ row, index, score: matcher.score(row) }));
    let chosen = rows
      .filter((row) => row.score.terms > 0)
      .sort((a, b) => compare(b.score, a.score) || a.index - b.index)
      .slice(0, SNIPPET_ROWS);
    if (chosen.length === 0) chosen = rows.slice(0, 3);
    chosen.sort((a, b) => a.index - b.index);
    return [lines[0], lines[1], ...chosen.map(({ row }) => row)].join("\n");
  }
  if (isFenceBlock(block)) {
    const lines = block.split("\n");
    const inner = lines.slice(1, /^(?:```|~~~)/.test(lines.at(-1)?.trimStart() ?? "") ? -1 : undefined);
    return `${lines[0]}\n${bestRun(inner, matcher, "\n")}\n${lines[0]?.trimStart().slice(0, 3)}`;
  }
  if (LIST_ITEM.test(block)) {
    const items = block.split(/\n(?=(?:[-+*]|\d{1,9}[.)])(?:[ \t]|$))/);
    return bestRun(items, matcher, "\n");
  }
  // A paragraph: cut only between sentences where no emphasis, code or link is open.
  const sentences: string[] = [];
  let from = 0;
  let open = 0;
  for (let i = 0; i < block.length; i++) {
    const c = block[i];
    if (c === "*" || c === "_" || c === "`") open ^= c === "*" ? 1 : c === "_" ? 2 : 4;
    else if (c === "[") open += 8;
    else if (c === "]" && open >= 8) open -= 8;
    else if (
      (c === "." || c === "!" || c === "?") &&
      open === 0 &&
      /^\s+["'“‘(]?[\p{Lu}\p{N}]/u.test(block.slice(i + 1, i + 4))
    ) {
      sentences.push(block.slice(from, i + 1));
      from = i + 1;
    }
  }
  sentences.push(block.slice(from));
  const window = bestRun(sentences, matcher, "");
  if (window.length === block.length || block.startsWith(window)) return window;
  // The paragraph's run-in heading ("***Escaping a Grapple.***") stays in front.
  const lead = /^(\*{1,3}|_{1,3})[^*_\n]{1,60}\1(?=\s)/.exec(block)?.[0];
  return lead && !window.trimStart().startsWith(lead) ? `${lead} … ${window.trimStart()}` : window.trimStart();
}

/** The piece with most of the terms and its neighbours (the next one first) within BLOCK_WINDOW characters. */
function bestRun(pieces: string[], matcher: Matcher, joiner: string): string {
  const scores = pieces.map((piece) => matcher.score(piece));
  let best = 0;
  for (const [i, score] of scores.entries()) if (compare(score, scores[best] ?? NO_MATCH) > 0) best = i;
  let low = best;
  let high = best;
  let length = pieces[best]?.length ?? 0;
  for (let grew = true; grew; ) {
    grew = false;
    const after = pieces[high + 1];
    if (after !== undefined && length + after.length <= BLOCK_WINDOW) {
      high++;
      length += after.length;
      grew = true;
    }
    const before = pieces[low - 1];
    if (before !== undefined && length + before.length <= BLOCK_WINDOW) {
      low--;
      length += before.length;
      grew = true;
    }
  }
  return pieces.slice(low, high + 1).join(joiner);
}

/**
 * Rows of a table without their header (a table cut across passages) read as a paragraph
 * of pipes: they get an empty header, which the snippet leaves out again.
 */
function withTableHead(block: string): string {
  if (!block.startsWith("|") || isTableStart(block)) return block;
  const lines = block.split("\n");
  if (!lines.every((line) => line.trimStart().startsWith("|"))) return block;
  const columns = (lines[0] ?? "").trim().replace(/^\|/, "").replace(/\|$/, "").split("|").length;
  return `|${" |".repeat(columns)}\n|${"---|".repeat(columns)}\n${block}`;
}

/** Long text (a long lore entry): only the blocks around the best-matching one are rendered. */
function sourceRegion(text: string, matcher: Matcher): string {
  if (text.length <= SOURCE_CHARS) return text;
  const blocks: { start: number; end: number }[] = [];
  let from = 0;
  for (const gap of text.matchAll(/\n[ \t]*\n/g)) {
    blocks.push({ start: from, end: gap.index });
    from = gap.index + gap[0].length;
  }
  blocks.push({ start: from, end: text.length });
  let best = 0;
  let bestScore = NO_MATCH;
  for (const [i, block] of blocks.entries()) {
    const score = matcher.score(text.slice(block.start, block.end));
    if (compare(score, bestScore) > 0) [best, bestScore] = [i, score];
  }
  const block = blocks[best] ?? { start: 0, end: text.length };
  let { start, end } = block;
  if (end - start > SOURCE_CHARS) {
    // One very long block: around its first match, from a line or sentence start.
    const body = text.slice(start, end);
    const hit = [...body.matchAll(WORD)].find((word) => matcher.isMatch(word[0]))?.index ?? 0;
    let at = Math.max(0, hit - SOURCE_CHARS / 4);
    const stop = Math.max(body.lastIndexOf("\n", hit), body.lastIndexOf(". ", hit) + 1);
    if (stop >= at) at = stop;
    start += at;
    end = Math.min(end, start + SOURCE_CHARS);
  } else {
    for (let before = best - 1, after = best + 1; before >= 0 || after < blocks.length; before--, after++) {
      const next = blocks[after];
      if (next && next.end - start <= SOURCE_CHARS) end = next.end;
      const previous = blocks[before];
      if (previous && end - previous.start <= SOURCE_CHARS) start = previous.start;
      if ((!next || next.end - start > SOURCE_CHARS) && (!previous || end - previous.start > SOURCE_CHARS)) break;
    }
  }
  return text.slice(start, end);
}

/** Plain text as paragraphs (blank-line separated), each on one line: nothing in it is markup. */
function plainTextTree(text: string): HastNode {
  const paragraphs = text
    .split(/\n[ \t]*\n/)
    .map((block) => block.replace(/\s+/g, " ").trim())
    .filter(Boolean);
  return { type: "root", children: paragraphs.map((paragraph) => element("p", [textNode(paragraph)])) };
}

/**
 * The sanitized tree made fit for showing on a page with others: no ids (passages and
 * results share the page), images as their alt text (nothing loads from elsewhere),
 * headings as bold paragraphs, in-page links as their text. A snippet also drops
 * footnotes and rules and shows every link as its text; the reader keeps footnotes
 * (without their back links) and links to other pages (marked nofollow).
 */
function forPreview(node: HastNode, mode: "snippet" | "reader" = "snippet"): HastNode[] {
  if (node.type === "text") return [node];
  if (node.type !== "element") return [];
  const tag = node.tagName ?? "";
  const properties = node.properties ?? {};
  const snippet = mode === "snippet";
  // GFM footnotes: the list at the end, the references to it, the links back.
  if ("dataFootnoteBackref" in properties) return [];
  if (snippet && (tag === "section" || tag === "hr" || "dataFootnoteRef" in properties)) return [];
  if (
    snippet &&
    tag === "sup" &&
    (node.children ?? []).some((child) => "dataFootnoteRef" in (child.properties ?? {}))
  ) {
    return [];
  }
  // The empty header a table cut from its own gets (withTableHead).
  if (tag === "thead" && textOf(node).trim() === "") return [];
  if (tag === "img") {
    const alt = typeof properties.alt === "string" ? properties.alt.trim() : "";
    return alt ? [textNode(alt)] : [];
  }
  const children = (node.children ?? []).flatMap((child) => forPreview(child, mode));
  if (tag === "a") {
    const href = properties.href;
    if (snippet || typeof href !== "string" || href.startsWith("#")) return children;
  }
  if (/^h[1-6]$/.test(tag)) return [element("p", [element("strong", children)])];
  const { id: _id, name: _name, ...rest } = properties;
  return [{ ...node, properties: rest, children }];
}

/** The header row and up to SNIPPET_ROWS rows that match (best first, shown in table order). */
function tableSnippet(table: HastNode, matcher: Matcher): HastNode {
  const sections = (table.children ?? []).filter((node) => isElement(node));
  const head = sections.find((node) => node.tagName === "thead");
  const rows = sections
    .filter((node) => node.tagName === "tbody")
    .flatMap((body) => (body.children ?? []).filter((node) => isElement(node, "tr")));
  const scored = rows.map((row, index) => ({ row, index, score: matcher.score(textOf(row)) }));
  let chosen = scored
    .filter((row) => row.score.terms > 0)
    .sort((a, b) => compare(b.score, a.score) || a.index - b.index)
    .slice(0, SNIPPET_ROWS);
  // Only the header matched: the first rows show what the table holds.
  if (chosen.length === 0) chosen = scored.slice(0, 3);
  chosen.sort((a, b) => a.index - b.index);
  const children: HastNode[] = [];
  if (head && textOf(head).trim() !== "") children.push(head);
  children.push(
    element(
      "tbody",
      chosen.map(({ row }) => row),
    ),
  );
  for (const cell of children.flatMap((section) => (section.children ?? []).flatMap((row) => row.children ?? []))) {
    truncate(cell, CELL_CHARS);
  }
  return { ...table, children };
}

/** Cuts the text under `node` after `max` characters (at a space where there is one), ending it with "…". */
function truncate(node: HastNode, max: number): void {
  let left = max;
  const visit = (parent: HastNode): boolean => {
    const kept: HastNode[] = [];
    let full = false;
    for (const child of parent.children ?? []) {
      if (full) break;
      if (child.type === "text") {
        const value = child.value ?? "";
        if (value.length <= left) {
          left -= value.length;
          kept.push(child);
          continue;
        }
        const head = value.slice(0, left);
        const space = head.lastIndexOf(" ");
        kept.push(textNode(`${(space > left / 2 ? head.slice(0, space) : head).trimEnd()}…`));
        full = true;
      } else {
        kept.push(child);
        full = visit(child);
      }
    }
    parent.children = kept;
    return full;
  };
  if (textOf(node).length > max) visit(node);
}

interface Unit {
  start: number;
  end: number;
  block: number;
  score: Score;
}

interface Range {
  start: number;
  end: number;
  /** Text put before or after the range's text (an ellipsis where a sentence is cut). */
  before?: string;
  after?: string;
}

/**
 * The best sentence of the best block and the sentences around it, whole, within
 * SNIPPET_CHARS; they may run into neighbouring paragraphs or list items, never into a table.
 */
function proseSnippet(
  blocks: HastNode[],
  best: number,
  matcher: Matcher,
  bestScore: Score,
  /** Paragraphs are lines of a layout (PDF, plain text), not a writer's: a sentence may run across them. */
  layout: boolean,
): HastNode[] {
  let first = best;
  let last = best;
  while (first > 0 && best - first < NEIGHBOUR_BLOCKS && !isElement(blocks[first - 1] as HastNode, "table")) first--;
  while (
    last < blocks.length - 1 &&
    last - best < NEIGHBOUR_BLOCKS &&
    !isElement(blocks[last + 1] as HastNode, "table")
  )
    last++;
  const run = blocks.slice(first, last + 1);

  // The run's text in one string; each text node knows its place in it.
  let linear = "";
  const places = new Map<HastNode, number>();
  const cuts: number[] = [];
  const blockStarts: number[] = [];
  const leads: ({ start: number; end: number } | null)[] = [];
  const newLine = () => {
    cuts.push(linear.length);
    linear += "\n";
  };
  const walk = (node: HastNode, inPre: boolean) => {
    if (node.type === "text") {
      const value = node.value ?? "";
      places.set(node, linear.length);
      if (inPre) for (const line of value.matchAll(/\n/g)) cuts.push(linear.length + line.index);
      linear += value;
      return;
    }
    const tag = node.tagName ?? "";
    const block = BLOCKS.has(tag);
    if (block) newLine();
    if (tag === "br" || tag === "input") places.set(node, linear.length);
    if (tag === "br") newLine();
    for (const child of node.children ?? []) walk(child, inPre || tag === "pre");
    if (block) newLine();
  };
  for (const node of run) {
    blockStarts.push(linear.length);
    const lead = node.tagName === "p" ? node.children?.[0] : undefined;
    const leadText = lead && isElement(lead) && ["strong", "em"].includes(lead.tagName ?? "") ? textOf(lead) : "";
    walk(node, false);
    const start = (blockStarts.at(-1) ?? 0) + 1;
    leads.push(leadText && leadText.length <= LEAD_CHARS ? { start, end: start + leadText.length } : null);
  }
  for (const stop of linear.matchAll(SENTENCE_END)) cuts.push(stop.index + stop[0].length);
  cuts.push(linear.length);
  cuts.sort((a, b) => a - b);

  const blockOf = (at: number) => {
    let i = 0;
    while (i + 1 < blockStarts.length && (blockStarts[i + 1] ?? 0) <= at) i++;
    return i;
  };
  const units: Unit[] = [];
  let from = 0;
  for (const cut of cuts) {
    const piece = linear.slice(from, cut);
    const lead = piece.length - piece.trimStart().length;
    const text = piece.trim();
    if (text) {
      const start = from + lead;
      units.push({ start, end: start + text.length, block: blockOf(start), score: matcher.score(text) });
    }
    from = cut;
  }
  if (units.length === 0) return [];

  const home = best - first;
  const isLeadOnly = (unit: Unit) => {
    const lead = leads[unit.block];
    return lead !== null && lead !== undefined && unit.start === lead.start && unit.end <= lead.end;
  };
  let center = units.findIndex((unit) => unit.block === home);
  for (const [i, unit] of units.entries()) {
    if (unit.block === home && compare(unit.score, units[center]?.score ?? NO_MATCH) > 0) center = i;
  }
  if (center < 0 || bestScore.terms === 0) center = 0;
  const middle = units[center] as Unit;

  let ranges: Range[];
  if (middle.end - middle.start > SNIPPET_CHARS) {
    ranges = [cutSentence(linear, middle, matcher)];
  } else {
    let low = center;
    let high = center;
    const length = () => (units[high]?.end ?? 0) - (units[low]?.start ?? 0);
    for (;;) {
      const options = [
        { side: "after" as const, unit: units[high + 1] },
        { side: "before" as const, unit: units[low - 1] },
      ]
        .filter((option): option is { side: "after" | "before"; unit: Unit } => option.unit !== undefined)
        .filter(({ side, unit }) =>
          side === "after"
            ? unit.end - (units[low]?.start ?? 0) <= SNIPPET_CHARS
            : (units[high]?.end ?? 0) - unit.start <= SNIPPET_CHARS,
        )
        // Another paragraph or item joins if it matches too, or to fill a short snippet.
        .filter(({ unit }) => unit.block === home || unit.score.terms > 0 || length() < SNIPPET_CHARS / 2)
        // A neighbour with more of the terms first, then one of the same block, then the one after.
        .sort(
          (a, b) =>
            compare(b.unit.score, a.unit.score) ||
            Number(b.unit.block === home) - Number(a.unit.block === home) ||
            Number(b.side === "after") - Number(a.side === "after"),
        );
      const pick = options[0];
      if (!pick || length() >= SNIPPET_CHARS) break;
      if (pick.side === "after") high++;
      else low--;
    }
    // Never end on a run-in heading without its sentence.
    while (high > center && isLeadOnly(units[high] as Unit)) high--;
    const startUnit = units[low] as Unit;
    const endUnit = units[high] as Unit;
    ranges = [{ start: startUnit.start, end: endUnit.end }];
    // The passage (or, in a layout, the window) starts or ends mid-sentence: say so.
    const inParagraph = (unit: Unit) => run[unit.block]?.tagName === "p";
    const range = ranges[0] as Range;
    if ((low === 0 || layout) && inParagraph(startUnit) && /^\p{Ll}/u.test(linear.slice(startUnit.start))) {
      range.before = "…";
    }
    const ended = /[.!?:;…"'”’)\]]$/u.test(linear.slice(0, endUnit.end));
    if ((high === units.length - 1 || layout) && inParagraph(endUnit) && !ended) range.after = "…";
    // A paragraph's run-in heading stays with its sentences.
    const lead = leads[startUnit.block];
    if (lead && lead.end <= startUnit.start) {
      if (linear.slice(lead.end, startUnit.start).trim() === "") range.start = lead.start;
      else {
        range.before = "… ";
        ranges.unshift({ start: lead.start, end: lead.end });
      }
    }
  }
  return run.flatMap((node) => {
    const kept = prune(node, places, ranges);
    return kept ? [kept] : [];
  });
}

/** A sentence longer than a snippet: the words around its densest cluster of matches, with "…". */
function cutSentence(linear: string, unit: Unit, matcher: Matcher): Range {
  const text = linear.slice(unit.start, unit.end);
  const hits = [...text.matchAll(WORD)].filter((word) => matcher.isMatch(word[0])).map((word) => word.index);
  let best = 0;
  let bestCount = 0;
  for (const hit of hits) {
    const count = hits.filter((h) => h >= hit && h < hit + SNIPPET_CHARS * 0.8).length;
    if (count > bestCount) [best, bestCount] = [hit, count];
  }
  let start = Math.max(0, best - 60);
  const space = text.lastIndexOf(" ", start);
  start = start === 0 ? 0 : space >= 0 ? space + 1 : start;
  let end = Math.min(text.length, start + SNIPPET_CHARS);
  if (end < text.length) {
    const stop = text.lastIndexOf(" ", end);
    if (stop > start) end = stop;
  }
  return {
    start: unit.start + start,
    end: unit.start + end,
    before: start > 0 ? "…" : undefined,
    after: end < text.length ? "…" : undefined,
  };
}

/** The part of `node` inside the ranges (places: where each text node starts in the run's text). */
function prune(node: HastNode, places: Map<HastNode, number>, ranges: Range[]): HastNode | null {
  if (node.type === "text") {
    const value = node.value ?? "";
    const at = places.get(node) ?? 0;
    const pieces: string[] = [];
    for (const range of ranges) {
      const start = Math.max(at, range.start);
      const end = Math.min(at + value.length, range.end);
      if (start >= end) continue;
      let piece = value.slice(start - at, end - at);
      if (range.before && start === range.start) piece = range.before + piece;
      if (range.after && end === range.end) piece += range.after;
      pieces.push(piece);
    }
    return pieces.length ? textNode(pieces.join("")) : null;
  }
  if (node.tagName === "br") {
    const at = places.get(node) ?? -1;
    return ranges.some((range) => at > range.start && at < range.end) ? node : null;
  }
  if (node.tagName === "input") return node;
  const children = (node.children ?? []).flatMap((child) => {
    const kept = prune(child, places, ranges);
    return kept ? [kept] : [];
  });
  if (!children.some((child) => child.type === "text" || (child.tagName !== "input" && child.tagName !== "br"))) {
    return null;
  }
  return { ...node, children };
}

/** Wraps each matched word of the text under `node` in `<mark>` (on the tree's text nodes). */
function mark(node: HastNode, matcher: Matcher): void {
  node.children = (node.children ?? []).flatMap((child) => {
    if (child.type === "text") return markText(child.value ?? "", matcher);
    if (isElement(child) && child.tagName !== "mark") mark(child, matcher);
    return [child];
  });
}

function markText(value: string, matcher: Matcher): HastNode[] {
  const out: HastNode[] = [];
  let last = 0;
  for (const word of value.matchAll(WORD)) {
    if (!matcher.isMatch(word[0])) continue;
    if (word.index > last) out.push(textNode(value.slice(last, word.index)));
    out.push(element("mark", [textNode(word[0])]));
    last = word.index + word[0].length;
  }
  if (last < value.length) out.push(textNode(value.slice(last)));
  return out;
}

const TABULAR = new Set(["table", "thead", "tbody", "tr"]);

/** The snippet as plain text: blocks and rows on one line, cells apart by " | ", marks kept. */
function plainParts(nodes: HastNode[]): SnippetPart[] {
  const parts: SnippetPart[] = [];
  const push = (text: string, match: boolean) => {
    const previous = parts.at(-1);
    if (previous && previous.match === match) previous.text += text;
    else parts.push({ text, match });
  };
  const walk = (node: HastNode, inMark: boolean) => {
    if (node.type === "text") {
      push((node.value ?? "").replace(/\s+/g, " "), inMark);
      return;
    }
    const tag = node.tagName ?? "";
    const tabular = TABULAR.has(tag);
    let index = 0;
    for (const child of node.children ?? []) {
      // The line breaks between a table's rows and cells are not text.
      if (tabular && child.type === "text" && !child.value?.trim()) continue;
      if (tabular && index++ > 0) push(tag === "tr" ? " | " : " / ", false);
      walk(child, inMark || tag === "mark");
    }
    if (BLOCKS.has(tag) && !tabular && tag !== "td" && tag !== "th") push(" ", false);
  };
  for (const node of nodes) walk(node, false);
  const joined = parts
    .map((part) => ({ ...part, text: part.text.replace(/ {2,}/g, " ") }))
    .filter((part) => part.text !== "");
  const head = joined[0];
  if (head) head.text = head.text.trimStart();
  const tail = joined.at(-1);
  if (tail) tail.text = tail.text.trimEnd();
  return joined.filter((part) => part.text !== "");
}
