/**
 * `[[Name]]` and `[[Name|shown text]]` links between a campaign's entries and characters
 * (issue 16). Browser-safe: the server resolves them when it renders Markdown, and forms
 * can use the same shape.
 */

/** One link: the target's name and the text shown (the name itself unless given). */
export const WIKI_LINK = /\[\[([^[\]|\n]{1,200})(?:\|([^[\]|\n]{1,200}))?\]\]/g;

/**
 * The most distinct names one text's links resolve; the rest render as their shown text. Each
 * is a bound value of one D1 statement, and D1 binds at most 100.
 */
export const MAX_LINKS_PER_TEXT = 50;

/** How names compare: trimmed, inner spaces collapsed, case folded. */
export function linkKey(name: string): string {
  return name.trim().replace(/\s+/g, " ").toLowerCase();
}

/** The distinct names `markdown` links to, in order of first use, at most MAX_LINKS_PER_TEXT. */
export function wikiLinkNames(markdown: string): string[] {
  const names = new Map<string, string>();
  for (const match of markdown.matchAll(WIKI_LINK)) {
    const name = match[1]?.trim().replace(/\s+/g, " ");
    if (!name) continue;
    if (!names.has(linkKey(name))) names.set(linkKey(name), name);
    if (names.size >= MAX_LINKS_PER_TEXT) break;
  }
  return [...names.values()];
}
