import { findSecretBlocks, renderMarkdown, SECRET_LABEL, type WikiLinkResolver } from "../markdown.server";
import { type CampaignReader, can } from "./policy.server";

/**
 * Secret blocks (ADR 0026): inside an entry, a backstory or a campaign's description, a
 * block fenced as ```secret (or ~~~secret) is for GMs only, even where the rest is shared.
 *
 * The parser that renders the Markdown decides what a secret block is (findSecretBlocks),
 * at any depth, so what is hidden and what is shown can never disagree. The public text
 * that is stored, indexed and shown to players is the text with those blocks cut out; the
 * GMs' view boxes each of them as hidden from players.
 */

/** Cutting can, in principle, make a new block out of what is left: cut until none remain, or give up (empty). */
const MAX_PASSES = 4;

/** `markdown` inside a secret block, fenced with more backticks than it holds, so nothing in it can close the fence. */
export function asSecretBlock(markdown: string): string {
  let longest = 2;
  for (const run of markdown.matchAll(/`+/g)) longest = Math.max(longest, run[0].length);
  const fence = "`".repeat(longest + 1);
  return `${fence}secret\n${markdown}\n${fence}`;
}

/** The text players may read: every secret block cut out. What is stored as `*_public` and indexed for them. */
export function withoutSecrets(markdown: string): string {
  let text = markdown;
  for (let pass = 0; pass < MAX_PASSES; pass++) {
    const { source, blocks } = findSecretBlocks(text);
    if (blocks.length === 0) return source;
    let kept = "";
    let at = 0;
    for (const block of blocks) {
      kept += source.slice(at, block.start);
      at = block.end;
    }
    text = kept + source.slice(at);
  }
  return findSecretBlocks(text).blocks.length === 0 ? text : "";
}

/**
 * The GMs' view of campaign Markdown: each top-level secret block in a box marked as
 * hidden from players, one inside a list or a quote as a labelled quote. Players' pages
 * render the public text (withoutSecrets) and never reach this.
 */
export function renderWithSecrets(markdown: string, wikiLinks?: WikiLinkResolver): string {
  const { source, blocks } = findSecretBlocks(markdown);
  const parts: string[] = [];
  let at = 0;
  for (const block of blocks.filter((b) => b.topLevel)) {
    parts.push(renderMarkdown(source.slice(at, block.start), { labelSecrets: true, wikiLinks }));
    parts.push(
      `<aside class="my-3 rounded-md border-2 border-dashed border-violet-700 bg-violet-50 px-4 py-2" aria-label="Secret, hidden from players"><p class="mb-1 font-semibold text-sm text-violet-900">${SECRET_LABEL}</p>${renderMarkdown(block.value, { wikiLinks })}</aside>`,
    );
    at = block.end;
  }
  parts.push(renderMarkdown(source.slice(at), { labelSecrets: true, wikiLinks }));
  return parts.filter((part) => part !== "").join("\n");
}

/**
 * Campaign Markdown as the reader may see it: with its secret blocks boxed for a GM,
 * without them for anyone else (cut again here even from text that is already public).
 */
export function renderForReader(
  markdown: string,
  reader: Pick<CampaignReader, "role">,
  wikiLinks?: WikiLinkResolver,
): string {
  return can(reader.role, "seeSecrets")
    ? renderWithSecrets(markdown, wikiLinks)
    : renderMarkdown(withoutSecrets(markdown), { wikiLinks });
}
