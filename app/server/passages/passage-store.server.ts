import { type Chunk, chunkId } from "../ingest/chunk.server";
import { ftsAnyTerm, ftsNearPairs } from "../search/query.server";
import { MAX_RELATED, type RelatedWords } from "../search/synonyms.server";

/**
 * One account's searchable passages, in the SQLite storage of its UserFileTracker
 * (docs/decisions/0020): the rows, an FTS5 index over each passage's title (its own
 * heading), the headings above it and its body, and which version of each file search sees. Search therefore reads only this
 * account's index, never a table shared with every other tenant, and a library grows
 * into its own object's storage instead of the one D1 database.
 *
 * The ingestion queue in the same object writes here; the Worker reads through the
 * object's RPC methods (functions/user-file-tracker.ts).
 */

export interface Passage {
  /** `fileKey:vN:index` (chunk.server.ts), also the id of its vector. */
  id: string;
  fileKey: string;
  version: number;
  index: number;
  headingPath: string[];
  page: number | null;
  /** The passage without its heading path (that is `headingPath`). */
  body: string;
  /** The file's name and media type when this version was published: results need no other lookup. */
  fileName: string;
  contentType: string;
}

/** What search shows of a file besides its passages, stored when a version is published. */
export interface PublishedFile {
  fileName: string;
  contentType: string;
}

export interface PassageHit extends Passage {
  /** bm25 with the heading weighted (higher is better; only comparable within one query). */
  score: number;
}

export interface PassageQuery {
  /** An FTS5 expression over the columns `title`, `context` and `body` (query.server.ts builds it). */
  match: string;
  /** Only these files (a campaign's, a tag's); null: every file. */
  fileKeys: string[] | null;
  limit: number;
}

/**
 * bm25 weights of a passage's own heading (its title), the headings above it (context)
 * and its body: a spell's, rule's or monster's own section outranks the tables and lists
 * that only mention its name, and a section outranks its chapter's other sections.
 * Tuned on the dev questions (ADR 0020).
 */
export const PASSAGE_COLUMNS = ["title", "context", "body"] as const;
const COLUMN_WEIGHTS = "4.0, 1.0, 1.0";

/** Passages per ranking at most. */
const MAX_LIMIT = 100;

/**
 * A word in more passages than this is too common to rank by (its bm25 weight is small
 * anyway) and would make a query score a share of the whole library: it is left out of the
 * word and heading rankings and kept only beside a rarer word in the proximity vote. So a
 * query reads at most this many postings per word to count them, and scores at most this
 * many passages per word it keeps, however large the library grows (ADR 0020).
 */
export const COMMON_WORD_PASSAGES = 2_000;

/** A question's word in fewer passages than this is rare here: its synonyms are tried too. */
const RARE_WORD_PASSAGES = 10;
/** A synonym in more passages than this is too general to stand for a rare word. */
const SYNONYM_PASSAGES = 200;

/** The question's words (query.server.ts `queryTerms`), for the rankings one search fuses. */
export interface PassageRankingQuery {
  terms: string[];
  /** The last term is still being typed: it also matches as a prefix. */
  prefix: boolean;
  /** Words of like meaning for the terms (synonyms.server.ts): those of rare terms are ranked in `reworded`. */
  related?: RelatedWords[];
  fileKeys: string[] | null;
  limit: number;
}

/** A place in one ranking: the passage (in PassageRankings.passages) and its bm25 score there. */
export interface RankedPassage {
  id: string;
  score: number;
}

/**
 * The rankings name their passages by id; each passage travels once in `passages`, however
 * many rankings hold it (they mostly hold the same ones): less to copy over the RPC.
 */
export interface PassageRankings {
  /** Any of the (not too common) words, in any column. */
  words: RankedPassage[];
  /** Those words in a passage's own heading. */
  titles: RankedPassage[];
  /** Neighbouring words of the question close together (one of each pair not too common). */
  near: RankedPassage[];
  /** The words and the related words of the rare ones together (empty: no such word in the library). */
  reworded: RankedPassage[];
  /** Every passage the rankings name, once each. */
  passages: Passage[];
  /** The related words `reworded` ranked with the question's words. */
  synonyms: string[];
  /** The words (and related words) left out of the rankings as too common. */
  common: string[];
  /** The FTS5 expressions the rankings ran (null: that ranking did not run). */
  matches: { words: string | null; titles: string | null; near: string | null; reworded: string | null };
}

const HEADING_SEPARATOR = " › ";

interface PassageRow extends Record<string, SqlStorageValue> {
  id: string;
  file_key: string;
  version: number;
  idx: number;
  heading_path: string;
  body: string;
  page: number | null;
  file_name: string;
  content_type: string;
}

const COLUMNS = "p.id, p.file_key, p.version, p.idx, p.heading_path, p.body, p.page, f.file_name, f.content_type";

/** Only each file's published version: never half-processed text, never an old version beside the new. */
const PUBLISHED = "JOIN published f ON f.file_key = p.file_key AND f.version = p.version";

export class PassageStore {
  constructor(private readonly storage: Pick<DurableObjectStorage, "sql" | "transactionSync">) {
    this.ensureSchema();
  }

  private get sql(): SqlStorage {
    return this.storage.sql;
  }

  /** (Again after the object's storage was wiped.) */
  ensureSchema(): void {
    this.sql.exec(`CREATE TABLE IF NOT EXISTS passages (
      seq INTEGER PRIMARY KEY,
      id TEXT NOT NULL UNIQUE,
      file_key TEXT NOT NULL,
      version INTEGER NOT NULL,
      idx INTEGER NOT NULL,
      title TEXT NOT NULL,
      context TEXT NOT NULL,
      heading_path TEXT NOT NULL,
      body TEXT NOT NULL,
      page INTEGER
    )`);
    this.sql.exec("CREATE INDEX IF NOT EXISTS passages_file ON passages (file_key, version, idx)");
    // External content (ADR 0007): the text is stored once, in `passages`; the index follows by trigger.
    this.sql.exec(`CREATE VIRTUAL TABLE IF NOT EXISTS passages_fts USING fts5(
      title, context, body, content = 'passages', content_rowid = 'seq',
      tokenize = 'porter unicode61 remove_diacritics 2'
    )`);
    this.sql.exec(`CREATE TRIGGER IF NOT EXISTS passages_fts_ai AFTER INSERT ON passages BEGIN
      INSERT INTO passages_fts (rowid, title, context, body) VALUES (new.seq, new.title, new.context, new.body);
    END`);
    this.sql.exec(`CREATE TRIGGER IF NOT EXISTS passages_fts_ad AFTER DELETE ON passages BEGIN
      INSERT INTO passages_fts (passages_fts, rowid, title, context, body)
        VALUES ('delete', old.seq, old.title, old.context, old.body);
    END`);
    this.sql.exec(`CREATE TRIGGER IF NOT EXISTS passages_fts_au AFTER UPDATE OF title, context, body ON passages BEGIN
      INSERT INTO passages_fts (passages_fts, rowid, title, context, body)
        VALUES ('delete', old.seq, old.title, old.context, old.body);
      INSERT INTO passages_fts (rowid, title, context, body) VALUES (new.seq, new.title, new.context, new.body);
    END`);
    this.sql.exec(`CREATE TABLE IF NOT EXISTS published (
      file_key TEXT PRIMARY KEY,
      version INTEGER NOT NULL,
      file_name TEXT NOT NULL,
      content_type TEXT NOT NULL
    )`);
  }

  /** Writes a version's chunks; a re-run of the same step rewrites the same rows. */
  write(fileKey: string, version: number, chunks: Chunk[]): void {
    this.storage.transactionSync(() => {
      for (const chunk of chunks) {
        const headingPath = chunk.headingPath ?? [];
        this.sql.exec(
          `INSERT INTO passages (id, file_key, version, idx, title, context, heading_path, body, page)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (id) DO UPDATE SET title = excluded.title, context = excluded.context,
             heading_path = excluded.heading_path, body = excluded.body, page = excluded.page`,
          chunkId(fileKey, version, chunk.index),
          fileKey,
          version,
          chunk.index,
          headingPath.at(-1) ?? "",
          headingPath.slice(0, -1).join(HEADING_SEPARATOR),
          JSON.stringify(headingPath),
          bodyOf(chunk),
          chunk.page ?? null,
        );
      }
    });
  }

  /** Ids of a file's passages: of one version, of every version but one, or all. */
  ids(fileKey: string, version?: { only: number } | { except: number }): string[] {
    const rows =
      version === undefined
        ? this.sql.exec<{ id: string }>("SELECT id FROM passages WHERE file_key = ?", fileKey)
        : "only" in version
          ? this.sql.exec<{ id: string }>(
              "SELECT id FROM passages WHERE file_key = ? AND version = ?",
              fileKey,
              version.only,
            )
          : this.sql.exec<{ id: string }>(
              "SELECT id FROM passages WHERE file_key = ? AND version != ?",
              fileKey,
              version.except,
            );
    return rows.toArray().map((row) => row.id);
  }

  allIds(): string[] {
    return this.sql
      .exec<{ id: string }>("SELECT id FROM passages")
      .toArray()
      .map((row) => row.id);
  }

  count(fileKey: string, version: number): number {
    const [row] = this.sql
      .exec<{ n: number }>("SELECT count(*) AS n FROM passages WHERE file_key = ? AND version = ?", fileKey, version)
      .toArray();
    return row?.n ?? 0;
  }

  /** The version becomes the one search sees, and every other version's passages go, in one transaction. */
  publish(fileKey: string, version: number, file: PublishedFile): void {
    this.storage.transactionSync(() => {
      this.sql.exec(
        `INSERT INTO published (file_key, version, file_name, content_type) VALUES (?, ?, ?, ?)
         ON CONFLICT (file_key) DO UPDATE SET version = excluded.version, file_name = excluded.file_name,
           content_type = excluded.content_type`,
        fileKey,
        version,
        file.fileName,
        file.contentType,
      );
      this.sql.exec("DELETE FROM passages WHERE file_key = ? AND version != ?", fileKey, version);
    });
  }

  /** Drops one version's passages (a failed or cancelled run); if it was the published one, search loses the file. */
  discard(fileKey: string, version: number): void {
    this.storage.transactionSync(() => {
      this.sql.exec("DELETE FROM passages WHERE file_key = ? AND version = ?", fileKey, version);
      this.sql.exec("DELETE FROM published WHERE file_key = ? AND version = ?", fileKey, version);
    });
  }

  /** The file is deleted: every version's passages go. */
  forget(fileKey: string): void {
    this.storage.transactionSync(() => {
      this.sql.exec("DELETE FROM published WHERE file_key = ?", fileKey);
      this.sql.exec("DELETE FROM passages WHERE file_key = ?", fileKey);
    });
  }

  /**
   * The three rankings search fuses, with the work bounded by COMMON_WORD_PASSAGES: each
   * word's passages are counted up to that many, and too common words are left out. If
   * every word is that common, the rankings use headings only.
   */
  rank({ terms, prefix, related = [], fileKeys, limit }: PassageRankingQuery): PassageRankings {
    const words = terms.slice(0, 16);
    if (words.length === 0) {
      return {
        words: [],
        titles: [],
        near: [],
        reworded: [],
        passages: [],
        synonyms: [],
        common: [],
        matches: { words: null, titles: null, near: null, reworded: null },
      };
    }
    const last = words.length - 1;
    const columns = [...PASSAGE_COLUMNS];
    const counts = words.map((word, i) => this.countUpTo(ftsAnyTerm([word], columns, prefix && i === last)));
    const common = new Set(words.filter((_, i) => (counts[i] as number) > COMMON_WORD_PASSAGES));
    const passagesWith = (word: string) => {
      const i = words.indexOf(word);
      return i >= 0 ? (counts[i] as number) : this.countUpTo(ftsAnyTerm([word], columns));
    };
    // A word the library (almost) never uses is likely not the book's word for it: its
    // synonyms join the question, each if the library has it and not too often (ADR 0041).
    const relatedKept = related
      .filter(({ word }) => passagesWith(word) < RARE_WORD_PASSAGES)
      .flatMap(({ synonyms }) => synonyms)
      .slice(0, MAX_RELATED)
      .filter((word) => {
        const passages = passagesWith(word);
        if (passages > COMMON_WORD_PASSAGES) common.add(word);
        return passages > 0 && passages <= SYNONYM_PASSAGES;
      });
    const kept = words.filter((word) => !common.has(word));
    const keepsLast = kept.at(-1) === words[last];
    const search = (match: string | null) => (match ? this.search({ match, fileKeys, limit }) : []);
    const pairs = words.slice(1).flatMap((word, i) => {
      const before = words[i] ?? "";
      return common.has(word) && common.has(before) ? [] : [[before, word]];
    });
    const matches = {
      words: kept.length ? ftsAnyTerm(kept, columns, prefix && keepsLast) : null,
      titles: ftsAnyTerm(kept.length ? kept : words, ["title"], prefix && (kept.length ? keepsLast : true)),
      near: pairs.length ? ftsNearPairs(pairs, columns) : null,
      reworded: relatedKept.length ? ftsAnyTerm([...kept, ...relatedKept], columns) : null,
    };
    const passages = new Map<string, Passage>();
    const ranked = (hits: PassageHit[]): RankedPassage[] =>
      hits.map(({ score, ...passage }) => {
        passages.set(passage.id, passage);
        return { id: passage.id, score };
      });
    const titles = search(matches.titles);
    return {
      words: ranked(matches.words ? search(matches.words) : titles),
      titles: ranked(matches.words ? titles : []),
      near: ranked(search(matches.near)),
      reworded: ranked(search(matches.reworded)),
      passages: [...passages.values()],
      synonyms: relatedKept,
      common: [...common],
      matches,
    };
  }

  /** How many passages (any version) match, counting no further than just past the common-word bound. */
  private countUpTo(match: string): number {
    const [row] = this.sql
      .exec<{ n: number }>(
        "SELECT count(*) AS n FROM (SELECT 1 FROM passages_fts WHERE passages_fts MATCH ? LIMIT ?)",
        match,
        COMMON_WORD_PASSAGES + 1,
      )
      .toArray();
    return row?.n ?? 0;
  }

  /** The best `limit` published passages for an FTS5 expression, best first. */
  search({ match, fileKeys, limit }: PassageQuery): PassageHit[] {
    if (fileKeys?.length === 0) return [];
    const rank = `bm25(passages_fts, ${COLUMN_WEIGHTS})`;
    const rows = this.sql
      .exec<PassageRow & { rank: number }>(
        `SELECT ${COLUMNS}, ${rank} AS rank
         FROM passages_fts JOIN passages p ON p.seq = passages_fts.rowid ${PUBLISHED}
         WHERE passages_fts MATCH ?1
           ${fileKeys ? "AND p.file_key IN (SELECT value FROM json_each(?3))" : "AND ?3 IS NULL"}
         ORDER BY rank LIMIT ?2`,
        match,
        Math.min(limit, MAX_LIMIT),
        fileKeys ? JSON.stringify(fileKeys) : null,
      )
      .toArray();
    // bm25() is lower-is-better (negative); scores read the other way round.
    return rows.map((row) => ({ ...toPassage(row), score: -row.rank }));
  }

  /** Published passages by id (vector matches), in no particular order; unknown or stale ids are left out. */
  byIds(ids: string[]): Passage[] {
    if (ids.length === 0) return [];
    return this.sql
      .exec<PassageRow>(
        `SELECT ${COLUMNS} FROM passages p ${PUBLISHED} WHERE p.id IN (SELECT value FROM json_each(?))`,
        JSON.stringify(ids),
      )
      .toArray()
      .map(toPassage);
  }

  /** The published version of a file and its passages in order (the passage reader); null version: none yet. */
  readable(fileKey: string): { version: number | null; passages: Passage[] } {
    const [published] = this.sql
      .exec<{ version: number }>("SELECT version FROM published WHERE file_key = ?", fileKey)
      .toArray();
    if (!published) return { version: null, passages: [] };
    const passages = this.sql
      .exec<PassageRow>(`SELECT ${COLUMNS} FROM passages p ${PUBLISHED} WHERE p.file_key = ? ORDER BY p.idx`, fileKey)
      .toArray()
      .map(toPassage);
    return { version: published.version, passages };
  }

  /**
   * The published version of a file and at most `limit` of its passages from index `from` on,
   * in order: a reader of a whole book in bounded pieces (the proposals of ADR 0038).
   */
  readableFrom(fileKey: string, from: number, limit: number): { version: number | null; passages: Passage[] } {
    const [published] = this.sql
      .exec<{ version: number }>("SELECT version FROM published WHERE file_key = ?", fileKey)
      .toArray();
    if (!published) return { version: null, passages: [] };
    const passages = this.sql
      .exec<PassageRow>(
        `SELECT ${COLUMNS} FROM passages p ${PUBLISHED} WHERE p.file_key = ? AND p.idx >= ? ORDER BY p.idx LIMIT ?`,
        fileKey,
        Math.max(0, Math.floor(from)),
        Math.min(Math.max(1, Math.floor(limit)), READ_LIMIT),
      )
      .toArray()
      .map(toPassage);
    return { version: published.version, passages };
  }
}

/** Passages one `readableFrom` call answers at most. */
const READ_LIMIT = 500;

/** A chunk's text starts with its heading path (it helps the embedder); the index keeps the two apart. */
function bodyOf(chunk: Chunk): string {
  const prefix = chunk.headingPath?.length ? `${chunk.headingPath.join(HEADING_SEPARATOR)}\n` : "";
  return chunk.text.startsWith(prefix) ? chunk.text.slice(prefix.length) : chunk.text;
}

function toPassage(row: PassageRow): Passage {
  return {
    id: row.id,
    fileKey: row.file_key,
    version: row.version,
    index: row.idx,
    headingPath: JSON.parse(row.heading_path) as string[],
    page: row.page,
    body: row.body,
    fileName: row.file_name,
    contentType: row.content_type,
  };
}
