import { isFramingWord, termMatchers } from "./query.server";
import WORDNET from "./wordnet-synonyms.txt?raw";

/**
 * Words of like meaning for a question's words, from WordNet (ADR 0041): a GM asks about a
 * "wolf-man" or someone "beguiled" while the book says lycanthrope and charmed. Search ranks
 * the question with these words added as one more, lighter list, so a passage in the book's
 * words can still be found when the question uses others.
 *
 * The table is scripts/wordnet-synonyms.mjs's output: one sorted line per word, the word and
 * then its synonyms. It is searched in place (binary search over line starts), so an isolate
 * neither parses it into a map nor keeps a string per word.
 */

/** Words added per question at most: each costs a bounded count in the passage index. */
export const MAX_RELATED = 24;
/** Synonyms taken per question word at most (WordNet lists the most used senses first). */
const PER_TERM = 8;

let lineStarts: Int32Array | null = null;
function starts(): Int32Array {
  if (lineStarts) return lineStarts;
  const offsets: number[] = [0];
  for (let at = WORDNET.indexOf("\n"); at !== -1 && at + 1 < WORDNET.length; at = WORDNET.indexOf("\n", at + 1))
    offsets.push(at + 1);
  lineStarts = Int32Array.from(offsets);
  return lineStarts;
}

/** The synonyms WordNet's table lists for exactly this lemma. */
function lookUp(lemma: string): string[] {
  const lines = starts();
  let low = 0;
  let high = lines.length - 1;
  while (low <= high) {
    const mid = (low + high) >>> 1;
    const start = lines[mid] as number;
    const end = WORDNET.indexOf(" ", start);
    const key = WORDNET.slice(start, end);
    if (key === lemma) {
      const lineEnd = WORDNET.indexOf("\n", end);
      return WORDNET.slice(end + 1, lineEnd === -1 ? undefined : lineEnd).split(" ");
    }
    if (key < lemma) low = mid + 1;
    else high = mid - 1;
  }
  return [];
}

/**
 * The forms WordNet may list a word under: itself, then its base forms by English
 * inflection (WordNet's own "morphy" detachment rules, and a doubled consonant undone:
 * "stabbed" → "stab").
 */
function lemmasOf(word: string): string[] {
  const forms = [word];
  const rules: [string, string][] = [
    ["ies", "y"],
    ["ches", "ch"],
    ["shes", "sh"],
    ["ses", "s"],
    ["xes", "x"],
    ["es", "e"],
    ["s", ""],
    ["ied", "y"],
    ["ed", "e"],
    ["ed", ""],
    ["ing", "e"],
    ["ing", ""],
    ["er", ""],
    ["est", ""],
  ];
  for (const [suffix, ending] of rules) {
    if (word.length <= suffix.length + 2 || !word.endsWith(suffix)) continue;
    const base = word.slice(0, -suffix.length) + ending;
    forms.push(base);
    if (ending === "" && /([b-df-hj-np-tv-z])\1$/.test(base)) forms.push(base.slice(0, -1));
  }
  return forms;
}

/** A word of the question and WordNet's words of like meaning for it. */
export interface RelatedWords {
  /** A term of the query, or two neighbouring terms as one word ("wolfman" for "wolf-man"). */
  word: string;
  synonyms: string[];
}

/**
 * Words of like meaning for the query's terms, none of them a term or a form of one, nor a
 * framing word: at most PER_TERM per term and MAX_RELATED in all, compounds first, then the
 * terms in order. The passage index decides which it uses (PassageStore.rank).
 */
export function relatedWords(terms: string[]): RelatedWords[] {
  const isTerm = termMatchers(terms);
  const taken = new Set<string>();
  const related: RelatedWords[] = [];
  // Two neighbouring words may be one word split ("wolf-man", "fire ball").
  const compounds = terms.slice(1).flatMap((term, i) => [`${terms[i]}${term}`, `${terms[i]}-${term}`]);
  for (const word of [...compounds, ...terms]) {
    // Every form WordNet has: "laughing" is an adjective of its own and a form of "laugh".
    const synonyms: string[] = [];
    for (const synonym of lemmasOf(word).flatMap(lookUp)) {
      if (synonyms.length === PER_TERM || taken.size === MAX_RELATED) break;
      if (taken.has(synonym) || isFramingWord(synonym) || isTerm.some((matches) => matches(synonym))) continue;
      taken.add(synonym);
      synonyms.push(synonym);
    }
    if (synonyms.length) related.push({ word, synonyms });
  }
  return related;
}
