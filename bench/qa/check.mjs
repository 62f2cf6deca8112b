#!/usr/bin/env node
// Keeps the QA sets honest without starting the app: every answer substring of every QA
// file must occur in the corpus, compared as bench/eval-retrieval.mjs compares it with the
// chunks (lower case, runs of whitespace as one space). Also checks each file's shape, that
// answers carry no Markdown syntax (chunks keep the Markdown source, so `**bold**` would
// never match), that a question appears in one set only (a held-out question that is also
// in a development set is not held out), and says which answers are loose (found in many
// places: a chunk can contain them without answering).
//
//   node bench/qa/check.mjs [--corpus <dir>] [--loose <n>] [--verbose] [file.json ...]
//
// Without files it checks every *.json next to this script. The corpus defaults to
// ../shared/corpus/srd5 beside the project. Exits 1 if anything is wrong; loose answers
// are only reported. It cannot see chunk boundaries: an answer cut in two by the chunker
// is named by the evaluation's "no chunk contains an answer" warning.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const HERE = dirname(fileURLToPath(import.meta.url));
const DEFAULT_CORPUS = resolve(HERE, "../../../shared/corpus/srd5");
const KINDS = new Set(["book", "paraphrase"]);
/** Characters that are Markdown syntax in the corpus, never part of an answer. */
const MARKDOWN = /[*|#`]|\[|\]\(|__/;

const { values: options, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    corpus: { type: "string", default: DEFAULT_CORPUS },
    loose: { type: "string", default: "3" },
    verbose: { type: "boolean", default: false },
    help: { type: "boolean", default: false },
  },
});
if (options.help) {
  console.log("Usage: node bench/qa/check.mjs [--corpus <dir>] [--loose <n>] [--verbose] [file.json ...]");
  process.exit(0);
}
const LOOSE = Number(options.loose);
if (!Number.isInteger(LOOSE) || LOOSE < 1) {
  console.error(`--loose must be an integer ≥ 1 (got "${options.loose}")`);
  process.exit(2);
}

/** As the evaluation compares answers with chunk texts. */
const normalize = (/** @type {string} */ text) => text.toLowerCase().replace(/\s+/g, " ").trim();

const corpusDir = resolve(/** @type {string} */ (options.corpus));
/** @type {{ name: string, text: string }[]} */
const corpus = readdirSync(corpusDir)
  .sort()
  .map((name) => join(corpusDir, name))
  .filter((path) => statSync(path).isFile())
  .map((path) => ({ name: basename(path), text: normalize(readFileSync(path, "utf8")) }));
if (corpus.length === 0) {
  console.error(`${corpusDir} holds no files`);
  process.exit(2);
}

/** Where a normalized answer occurs: the number of places, and in which files. */
function occurrences(/** @type {string} */ answer) {
  let count = 0;
  const files = new Set();
  for (const { name, text } of corpus) {
    for (let at = text.indexOf(answer); at >= 0; at = text.indexOf(answer, at + 1)) {
      count++;
      files.add(name);
    }
  }
  return { count, files: [...files] };
}

const qaFiles = positionals.length
  ? positionals.map((path) => resolve(path))
  : readdirSync(HERE)
      .filter((name) => name.endsWith(".json"))
      .sort()
      .map((name) => join(HERE, name));

/** @type {string[]} */
const problems = [];
/** @type {string[]} */
const notes = [];
/** @type {Map<string, string>} normalized question → the file that has it */
const seen = new Map();
let questions = 0;
let answers = 0;

for (const path of qaFiles) {
  const file = basename(path);
  /** @type {unknown} */
  let parsed;
  try {
    parsed = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    problems.push(`${file}: not readable JSON (${error instanceof Error ? error.message : error})`);
    continue;
  }
  if (!Array.isArray(parsed) || parsed.length === 0) {
    problems.push(`${file}: expected a non-empty JSON array`);
    continue;
  }
  /** @type {Record<string, number>} */
  const kinds = {};
  parsed.forEach((/** @type {any} */ item, i) => {
    const where = `${file} #${i + 1}`;
    if (!item || typeof item.q !== "string" || !item.q.trim() || !Array.isArray(item.a) || item.a.length === 0) {
      problems.push(
        `${where}: must be { "q": "question", "a": ["answer substring", ...], "kind": "book" | "paraphrase" }`,
      );
      return;
    }
    questions++;
    const label = `${where} "${item.q}"`;
    const kind = item.kind ?? "untagged";
    kinds[kind] = (kinds[kind] ?? 0) + 1;
    if (item.kind === undefined) notes.push(`${label}: no "kind" (book or paraphrase)`);
    else if (!KINDS.has(item.kind))
      problems.push(`${label}: kind "${item.kind}" is not one of ${[...KINDS].join(", ")}`);
    const key = normalize(item.q);
    const other = seen.get(key);
    if (other) problems.push(`${label}: also in ${other}`);
    else seen.set(key, where);
    for (const answer of item.a) {
      answers++;
      if (typeof answer !== "string" || !normalize(answer)) {
        problems.push(`${label}: an answer is not a non-empty string`);
        continue;
      }
      if (MARKDOWN.test(answer)) problems.push(`${label}: answer "${answer}" holds Markdown syntax`);
      const { count, files } = occurrences(normalize(answer));
      if (count === 0) problems.push(`${label}: answer "${answer}" does not occur in the corpus`);
      else if (count > LOOSE)
        notes.push(`${label}: answer "${answer}" is loose: ${count} places (${files.join(", ")})`);
      else if (options.verbose) console.log(`ok ${label}: "${answer}" ${count}× (${files.join(", ")})`);
    }
  });
  const summary = Object.entries(kinds)
    .map(([kind, n]) => `${n} ${kind}`)
    .join(", ");
  console.log(`${file}: ${parsed.length} questions (${summary})`);
}

for (const note of notes) console.log(`note: ${note}`);
for (const problem of problems) console.log(`PROBLEM: ${problem}`);
console.log(
  `${qaFiles.length} files, ${questions} questions, ${answers} answers checked against ${corpus.length} files of ${corpusDir}: ` +
    (problems.length ? `${problems.length} problem(s)` : "all answers occur in the corpus"),
);
process.exit(problems.length ? 1 : 0);
