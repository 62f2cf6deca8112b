/**
 * Turning what a person types into something an index can use, and showing them why a
 * passage matched: terms for FTS5, and snippets with the matched words marked.
 */

/**
 * Words that tell bm25 nothing about what is asked: a standard English stop list, and the
 * words a question is framed with ("what happens", "how does … work", "is it like").
 */
const STOPWORDS = new Set(
  (
    "a about above after again against all also am an and any are as at be because been before being below " +
    "between both but by can could did do does doing down during each few for from further had has have " +
    "having he her here hers herself him himself his how i if in into is it its itself just me more most my " +
    "myself no nor not now of off on once only or other our ours ourselves out over own same she should so " +
    "some such than that the their theirs them themselves then there these they this those through to too " +
    "under until up very was we were what when where which while who whom why will with would you your " +
    "yours yourself yourselves get gets got getting happen happens happened like let lets work works " +
    "mean means tell use used back able really actually " +
    // Contractions, as queryTerms spells them without the apostrophe: "can't" is not the word "cant".
    "cant wont dont doesnt didnt isnt arent wasnt werent hasnt havent hadnt couldnt wouldnt shouldnt " +
    "im ive youre youve theyre theyve weve hes shes thats whats hows theres"
  ).split(" "),
);

/** A word that only frames a question ("what", "does", "happen"): never a search term. */
export const isFramingWord = (word: string) => STOPWORDS.has(word);

/** "How long", "how far", "how much", "how many", "how often" ask for a number: the second word is framing too. */
const AFTER_HOW = new Set(["long", "far", "much", "many", "often", "big", "old"]);

/** Number words as tables and stat blocks write them: "four" is also "4", "fifth" also "5th". */
const CARDINALS =
  "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen twenty".split(
    " ",
  );
const ORDINALS =
  "zeroth first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth thirteenth fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth twentieth".split(
    " ",
  );
const ordinal = (n: number) => {
  const teen = n % 100 >= 11 && n % 100 <= 13;
  const suffix = teen ? "th" : (({ 1: "st", 2: "nd", 3: "rd" } as Record<number, string>)[n % 10] ?? "th");
  return `${n}${suffix}`;
};

/**
 * English plurals that a stemmer cannot join to their singular ("elves" stems to "elv",
 * "feet" stays "feet"): each form of a pair also counts as the other. Fantasy text is full
 * of them (elves, dwarves, wolves, feet, teeth, dice).
 */
const IRREGULAR_PLURALS = new Map<string, string>(
  (
    "elf elves,dwarf dwarves,wolf wolves,thief thieves,knife knives,life lives,half halves,staff staves," +
    "leaf leaves,self selves,shelf shelves,wife wives,calf calves,hoof hooves,scarf scarves,wharf wharves," +
    "foot feet,tooth teeth,goose geese,man men,woman women,child children,person people,mouse mice," +
    "louse lice,die dice,ox oxen,fungus fungi,larva larvae,cactus cacti,nucleus nuclei,criterion criteria"
  )
    .split(",")
    .flatMap((pair) => {
      const [one = "", many = ""] = pair.split(" ");
      return [
        [one, many],
        [many, one],
      ] as [string, string][];
    }),
);

/**
 * Other tokens that count as the term: digits for number words, the bare number of an
 * ordinal, the other form of an irregular plural.
 */
export function alternativesOf(term: string): string[] {
  const irregular = IRREGULAR_PLURALS.get(term);
  if (irregular) return [irregular];
  const cardinal = CARDINALS.indexOf(term);
  if (cardinal >= 0) return [String(cardinal)];
  const nth = ORDINALS.indexOf(term);
  if (nth > 0) return [ordinal(nth), String(nth)];
  const numbered = /^(\d+)(?:st|nd|rd|th)$/.exec(term);
  return numbered?.[1] ? [numbered[1]] : [];
}

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
  const meaningful = words.filter(
    (word, i) =>
      !STOPWORDS.has(word) &&
      // One letter says nothing, one digit does ("0 hit points").
      (word.length > 1 || /\p{N}/u.test(word)) &&
      !(words[i - 1] === "how" && AFTER_HOW.has(word)),
  );
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

/** Tokens allowed between two words that count as "close together". */
const NEAR_DISTANCE = 6;

/**
 * Passages where neighbouring words of the question stand close together ("death
 * saving throw", "hold … breath"): an FTS5 expression over the given pairs of words,
 * or null for none.
 */
export function ftsNearPairs(pairs: string[][], columns: string[]): string | null {
  if (pairs.length === 0) return null;
  const near = pairs.map(([a = "", b = ""]) => `NEAR(${quote(a)} ${quote(b)}, ${NEAR_DISTANCE})`);
  return `{${columns.join(" ")}} : (${near.join(" OR ")})`;
}

/**
 * A prefix query walks every term in the index that starts with it — in D1 everyone's,
 * since one FTS5 table holds every tenant's entries — so one or two letters would read
 * most of it. Shorter words being typed match as whole words until they are this long.
 */
export const MIN_PREFIX_LENGTH = 3;

function quoteTerms(terms: string[], prefixLast: boolean): string[] {
  return terms.map((term, i) => {
    const prefix = prefixLast && i === terms.length - 1 && [...term].length >= MIN_PREFIX_LENGTH;
    const alternatives = alternativesOf(term);
    const quoted = `${quote(term)}${prefix ? "*" : ""}`;
    return alternatives.length ? `(${[quoted, ...alternatives.map(quote)].join(" OR ")})` : quoted;
  });
}

const quote = (term: string) => `"${term.replaceAll('"', '""')}"`;

/** The owner's token (or several, any of them) that the scoped FTS5 indexes carry (ADR 0014). */
export function ftsTokenFilter(column: string, tokens: string[]): string {
  return `${column} : (${tokens.map((token) => `"${token}"`).join(" OR ")})`;
}

const hex = (text: string) => [...new TextEncoder().encode(text)].map((b) => b.toString(16).padStart(2, "0")).join("");
/** Must match the generated columns `owner_token` and `campaign_token` (schema.ts). */
export const ownerToken = (username: string) => `u${hex(username)}0`;
export const campaignToken = (campaignId: string) => `c${hex(campaignId)}0`;
/**
 * Audience tokens of entries and characters (ADR 0026; policy.server.ts decides who holds
 * which): the GMs only, everyone in the campaign, one member it was revealed to. Letters
 * and digits only, ending in a digit, so the tokenizer and the stemmer keep them whole.
 */
export const AUDIENCE_GM = "zgm0";
export const AUDIENCE_ALL = "zall0";
export const memberAudienceToken = (accountId: string) => `z${hex(accountId)}0`;

/**
 * One test per term: does a lower-cased word count as that term? A word matches when it
 * starts with the term's stem (the stemmer's job, roughly): "grappled" for "grapple";
 * short terms must match whole.
 */
export function termMatchers(terms: string[]): ((word: string) => boolean)[] {
  return terms.map((term) => {
    const stem = term.length > 4 ? term.slice(0, Math.max(4, term.length - 2)) : term;
    const alternatives = alternativesOf(term);
    const matches = stem.length <= 3 ? (word: string) => word === stem : (word: string) => word.startsWith(stem);
    return alternatives.length ? (word) => matches(word) || alternatives.includes(word) : matches;
  });
}

/**
 * Weighted reciprocal rank fusion: each list votes weight / (k + rank) for its items;
 * items found by several retrievers rise. k = 60 is the constant of the original paper
 * (Cormack et al.).
 */
export function reciprocalRankFusion(lists: { ids: string[]; weight: number }[], k = 60): Map<string, number> {
  const scores = new Map<string, number>();
  for (const { ids, weight } of lists) {
    for (const [i, id] of ids.entries()) scores.set(id, (scores.get(id) ?? 0) + weight / (k + i + 1));
  }
  return scores;
}
