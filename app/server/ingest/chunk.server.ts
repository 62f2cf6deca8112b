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
    const back = block.text.lastIndexOf(" ", Math.max(from + 1, to - OVERLAP_CHARS));
    from = back > from ? back + 1 : to;
  }
  return pieces;
}

function headingPrefix(block: TextBlock): string {
  return block.headingPath?.length ? `${block.headingPath.join(" › ")}\n` : "";
}

export function chunkBlocks(blocks: TextBlock[]): Chunk[] {
  const chunks: Chunk[] = [];
  let pending: TextBlock[] = [];
  const emit = () => {
    const first = pending[0];
    const last = pending.at(-1);
    if (!first || !last) return;
    const body = pending.map((b) => b.text).join("\n\n");
    chunks.push({
      index: chunks.length,
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
    pending =
      tail && last.kind === "paragraph"
        ? [{ ...last, text: tail.slice(wordStart + 1), start: last.end - tail.length + wordStart + 1 }]
        : [];
    overlapOnly = pending.length > 0;
  };
  let overlapOnly = false;

  for (const block of blocks.flatMap(splitBlock)) {
    const first = pending[0];
    if (first && !sameSource(first, block)) {
      if (!overlapOnly) emit();
      pending = [];
      overlapOnly = false;
    }
    const size = pending.reduce((n, b) => n + b.text.length + 2, 0);
    if (pending.length && !overlapOnly && size + block.text.length > TARGET_CHARS) emit();
    if (overlapOnly && pending.length && size + block.text.length > MAX_CHARS) pending = [];
    pending.push(block);
    overlapOnly = false;
  }
  if (!overlapOnly) emit();
  return chunks;
}
