import type { TextBlock } from "./extract.server";

/**
 * Packs extracted blocks into retrieval chunks: a target size that suits embedding and
 * bm25 alike, never splitting a block that fits, splitting long blocks at sentence or
 * word boundaries, and carrying a small overlap so a fact on a boundary is findable from
 * both sides. Every chunk keeps its provenance (page or heading path, offsets).
 */

export const TARGET_CHARS = 1_200;
export const MAX_CHARS = 1_800;
export const OVERLAP_CHARS = 150;

export interface Chunk {
  index: number;
  text: string;
  page?: number;
  headingPath?: string[];
  start: number;
  end: number;
}

/** Shorter repeats are left alone: they may be a coincidence rather than the overlap. */
const MIN_OVERLAP_CHARS = 20;

/**
 * `next` without the start it repeats from the end of `previous` (the overlap two
 * neighbouring chunks share), so a reader or a folded result shows that text once.
 */
export function withoutOverlap(previous: string, next: string): string {
  // The carried text starts at a word start at most OVERLAP_CHARS from the end, so a
  // word longer than that margin can make it longer.
  const longest = Math.min(2 * OVERLAP_CHARS, previous.length, next.length);
  const end = previous.trimEnd();
  for (let length = longest; length >= MIN_OVERLAP_CHARS; length--) {
    const head = next.slice(0, length).trimEnd();
    if (head.length >= MIN_OVERLAP_CHARS && end.endsWith(head)) return next.slice(length).trimStart();
  }
  return next;
}

/** Deterministic: the same file version always yields the same ids (retries never duplicate). */
export function chunkId(fileKey: string, version: number, index: number): string {
  return `${fileKey}:v${version}:${index}`;
}

function sameSource(a: TextBlock, b: TextBlock): boolean {
  return a.page === b.page && (a.headingPath ?? []).join("\u0000") === (b.headingPath ?? []).join("\u0000");
}

/** Splits one over-long block into pieces ≤ MAX_CHARS at sentence, then word, boundaries. */
function splitBlock(block: TextBlock): TextBlock[] {
  if (block.text.length <= MAX_CHARS) return [block];
  const pieces: TextBlock[] = [];
  let from = 0;
  while (from < block.text.length) {
    let to = Math.min(from + TARGET_CHARS, block.text.length);
    if (to < block.text.length) {
      const window = block.text.slice(from, to);
      const sentence = Math.max(window.lastIndexOf(". "), window.lastIndexOf("\n"));
      const space = window.lastIndexOf(" ");
      const cut = sentence > TARGET_CHARS / 2 ? sentence + 1 : space > TARGET_CHARS / 2 ? space : window.length;
      to = from + cut;
    }
    const text = block.text.slice(from, to).trim();
    if (text) pieces.push({ ...block, text, start: block.start + from, end: block.start + to });
    if (to >= block.text.length) break;
    // Overlap: the next piece starts a little before this one ended, at a word start.
    // Searched within this piece only: text without spaces must not rescan from the start.
    const overlapAt = Math.max(from + 1, to - OVERLAP_CHARS);
    const back = block.text.slice(from + 1, overlapAt + 1).lastIndexOf(" ");
    from = back >= 0 ? from + 1 + back + 1 : to;
  }
  return pieces;
}

function headingPrefix(block: TextBlock): string {
  return block.headingPath?.length ? `${block.headingPath.join(" › ")}\n` : "";
}

/**
 * Packs blocks into chunks as they arrive, handing each chunk out once it is complete,
 * so a whole file's chunks never need to be held at once (`chunkBlocks` collects them).
 */
export class Chunker {
  private pending: TextBlock[] = [];
  /** The pending block is only the overlap carried from the last chunk. */
  private overlapOnly = false;

  constructor(
    private readonly emitChunk: (chunk: Chunk) => void,
    private index = 0,
  ) {}

  push(input: TextBlock): void {
    for (const block of splitBlock(input)) {
      const first = this.pending[0];
      if (first && !sameSource(first, block)) {
        if (!this.overlapOnly) this.emit();
        this.pending = [];
        this.overlapOnly = false;
      }
      const size = this.pending.reduce((n, b) => n + b.text.length + 2, 0);
      if (this.pending.length && !this.overlapOnly && size + block.text.length > TARGET_CHARS) this.emit();
      if (this.overlapOnly && this.pending.length && size + block.text.length > MAX_CHARS) this.pending = [];
      this.pending.push(block);
      this.overlapOnly = false;
    }
  }

  end(): void {
    if (!this.overlapOnly) this.emit();
    this.pending = [];
  }

  private emit(): void {
    const pending = this.pending;
    const first = pending[0];
    const last = pending.at(-1);
    if (!first || !last) return;
    const body = pending.map((b) => b.text).join("\n\n");
    this.emitChunk({
      index: this.index++,
      // The heading path goes into the text too: "Spellcasting › Wizard › Cantrips" matters for search.
      text: `${headingPrefix(first)}${body}`,
      page: first.page,
      headingPath: first.headingPath,
      start: first.start,
      end: last.end,
    });
    // Carry the tail of the last block as overlap into the next chunk of the same source.
    const tail = last.text.length > OVERLAP_CHARS ? last.text.slice(-OVERLAP_CHARS) : "";
    const wordStart = tail.indexOf(" ");
    this.pending =
      tail && last.kind === "paragraph"
        ? [{ ...last, text: tail.slice(wordStart + 1), start: last.end - tail.length + wordStart + 1 }]
        : [];
    this.overlapOnly = this.pending.length > 0;
  }
}

export function chunkBlocks(blocks: Iterable<TextBlock>): Chunk[] {
  const chunks: Chunk[] = [];
  const chunker = new Chunker((chunk) => chunks.push(chunk));
  for (const block of blocks) chunker.push(block);
  chunker.end();
  return chunks;
}
