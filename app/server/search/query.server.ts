import type { SnippetPart } from "~/lib/search";

/**
 * Turning what a person types into something an index can use, and showing them why a
 * passage matched: terms for FTS5, and snippets with the matched words marked.
 */

/** Words that match nearly every passage and tell bm25 nothing. */
const STOPWORDS = new Set(
  (
    "a an and are as at be but by can could did do does for from had has have how i if in into is it its " +
    "me my of on or our she he should so than that the their them then there these they this those to " +
    "was we were what when where which who whom why will with would you your about any all also"
  ).split(" "),
);

/** At most this many terms reach the index: long questions stay fast. */
const MAX_TERMS = 16;

/** Lower-cased words of the query, without stopwords and duplicates (all of them if only stopwords). */
export function queryTerms(query: string): string[] {
  const words = (
    query
      .toLowerCase()
      .normalize("NFKC")
      .match(/[\p{L}\p{N}]+(?:['’][\p{L}]+)?/gu) ?? []
  ).map((w) => w.replace(/['’]s$/u, "").replace(/['’]/gu, ""));
  const meaningful = words.filter((word) => !STOPWORDS.has(word) && word.length > 1);
  return [...new Set(meaningful.length ? meaningful : words)].slice(0, MAX_TERMS);
}

/**
 * An FTS5 expression matching any of the terms in the given columns. Terms are quoted
 * (nothing the person types is FTS5 syntax); the last one also matches as a prefix, so
 * results follow a word being typed.
 */
export function ftsAnyTerm(terms: string[], columns: string[], prefixLast = false): string {
  return `{${columns.join(" ")}} : (${quoteTerms(terms, prefixLast).join(" OR ")})`;
}

/** Every term (in any order): passages about the whole question, not one word of it. */
export function ftsAllTerms(terms: string[], columns: string[], prefixLast = false): string {
  return `{${columns.join(" ")}} : (${quoteTerms(terms, prefixLast).join(" AND ")})`;
}

/**
 * A prefix query walks every term in the index that starts with it — everyone's, since
 * one FTS5 table holds every tenant — so one or two letters would read most of it. Shorter
 * words being typed match as whole words until they are this long.
 */
export const MIN_PREFIX_LENGTH = 3;

function quoteTerms(terms: string[], prefixLast: boolean): string[] {
  return terms.map((term, i) => {
    const prefix = prefixLast && i === terms.length - 1 && [...term].length >= MIN_PREFIX_LENGTH;
    return `"${term.replaceAll('"', '""')}"${prefix ? "*" : ""}`;
  });
}

/** The owner's token (or several, any of them) that the scoped FTS5 indexes carry (ADR 0014). */
export function ftsTokenFilter(column: string, tokens: string[]): string {
  return `${column} : (${tokens.map((token) => `"${token}"`).join(" OR ")})`;
}

const hex = (text: string) => [...new TextEncoder().encode(text)].map((b) => b.toString(16).padStart(2, "0")).join("");
/** Must match the generated columns `owner_token` and `campaign_token` (schema.ts). */
export const ownerToken = (username: string) => `u${hex(username)}0`;
export const campaignToken = (campaignId: string) => `c${hex(campaignId)}0`;

const SNIPPET_CHARS = 280;

/**
 * One test per term: does a lower-cased word count as that term? A word matches when it
 * starts with the term's stem (the stemmer's job, roughly): "grappled" for "grapple";
 * short terms must match whole.
 */
export function termMatchers(terms: string[]): ((word: string) => boolean)[] {
  return terms.map((term) => {
    const stem = term.length > 4 ? term.slice(0, Math.max(4, term.length - 2)) : term;
    return stem.length <= 3 ? (word) => word === stem : (word) => word.startsWith(stem);
  });
}

/**
 * A window of the text around the densest cluster of matched words, split into parts
 * so the page can mark the matches (as elements, never as HTML).
 */
export function snippet(text: string, terms: string[]): SnippetPart[] {
  const clean = text.replace(/\s+/g, " ").trim();
  const matchers = termMatchers(terms);
  const words = [...clean.matchAll(/[\p{L}\p{N}]+/gu)];
  const isMatch = (word: string) => {
    const lower = word.toLowerCase();
    return matchers.some((matches) => matches(lower));
  };
  const hits = words.filter((w) => isMatch(w[0])).map((w) => w.index ?? 0);
  let start = 0;
  if (clean.length > SNIPPET_CHARS && hits.length) {
    let best = 0;
    let bestCount = 0;
    for (const hit of hits) {
      const count = hits.filter((h) => h >= hit && h < hit + SNIPPET_CHARS * 0.8).length;
      if (count > bestCount) [best, bestCount] = [hit, count];
    }
    start = Math.max(0, best - 60);
    const space = clean.lastIndexOf(" ", start);
    start = space > 0 && start - space < 30 ? space + 1 : start;
  }
  const end = Math.min(clean.length, start + SNIPPET_CHARS);
  const window = clean.slice(start, end);
  const parts: SnippetPart[] = [];
  let last = 0;
  for (const word of window.matchAll(/[\p{L}\p{N}]+/gu)) {
    if (!isMatch(word[0])) continue;
    const at = word.index ?? 0;
    if (at > last) parts.push({ text: window.slice(last, at), match: false });
    parts.push({ text: word[0], match: true });
    last = at + word[0].length;
  }
  if (last < window.length) parts.push({ text: window.slice(last), match: false });
  if (start > 0) parts.unshift({ text: "…", match: false });
  if (end < clean.length) parts.push({ text: "…", match: false });
  return parts;
}

/**
 * Reciprocal rank fusion: each list votes 1 / (k + rank) for its items; items found by
 * several retrievers rise. k = 60 is the constant of the original paper (Cormack et al.).
 */
export function reciprocalRankFusion(lists: string[][], k = 60): Map<string, number> {
  const scores = new Map<string, number>();
  for (const list of lists) {
    for (const [i, id] of list.entries()) scores.set(id, (scores.get(id) ?? 0) + 1 / (k + i + 1));
  }
  return scores;
}
