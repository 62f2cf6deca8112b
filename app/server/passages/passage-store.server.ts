import { type Chunk, chunkId } from "../ingest/chunk.server";

/**
 * One account's searchable passages, in the SQLite storage of its UserFileTracker
 * (docs/decisions/0020): the rows, an FTS5 index over each passage's heading path and
 * body, and which version of each file search sees. Search therefore reads only this
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
}

export interface PassageHit extends Passage {
  /** bm25 with the heading weighted (higher is better; only comparable within one query). */
  score: number;
}

export interface PassageQuery {
  /** An FTS5 expression over the columns `heading` and `body` (query.server.ts builds it). */
  match: string;
  /** Only these files (a campaign's, a tag's); null: every file. */
  fileKeys: string[] | null;
  limit: number;
}

/**
 * bm25 weight of the heading path against the body: a spell's, rule's or monster's own
 * section outranks the tables and lists that only mention its name.
 */
export const HEADING_WEIGHT = 4;

const HEADING_SEPARATOR = " › ";

interface PassageRow extends Record<string, SqlStorageValue> {
  id: string;
  file_key: string;
  version: number;
  idx: number;
  heading_path: string;
  body: string;
  page: number | null;
}

const COLUMNS = "p.id, p.file_key, p.version, p.idx, p.heading_path, p.body, p.page";

/** Only each file's published version: never half-processed text, never an old version beside the new. */
const PUBLISHED = "p.version = (SELECT version FROM published WHERE file_key = p.file_key)";

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
      heading TEXT NOT NULL,
      heading_path TEXT NOT NULL,
      body TEXT NOT NULL,
      page INTEGER
    )`);
    this.sql.exec("CREATE INDEX IF NOT EXISTS passages_file ON passages (file_key, version, idx)");
    // External content (ADR 0007): the text is stored once, in `passages`; the index follows by trigger.
    this.sql.exec(`CREATE VIRTUAL TABLE IF NOT EXISTS passages_fts USING fts5(
      heading, body, content = 'passages', content_rowid = 'seq',
      tokenize = 'porter unicode61 remove_diacritics 2'
    )`);
    this.sql.exec(`CREATE TRIGGER IF NOT EXISTS passages_fts_ai AFTER INSERT ON passages BEGIN
      INSERT INTO passages_fts (rowid, heading, body) VALUES (new.seq, new.heading, new.body);
    END`);
    this.sql.exec(`CREATE TRIGGER IF NOT EXISTS passages_fts_ad AFTER DELETE ON passages BEGIN
      INSERT INTO passages_fts (passages_fts, rowid, heading, body) VALUES ('delete', old.seq, old.heading, old.body);
    END`);
    this.sql.exec(`CREATE TRIGGER IF NOT EXISTS passages_fts_au AFTER UPDATE OF heading, body ON passages BEGIN
      INSERT INTO passages_fts (passages_fts, rowid, heading, body) VALUES ('delete', old.seq, old.heading, old.body);
      INSERT INTO passages_fts (rowid, heading, body) VALUES (new.seq, new.heading, new.body);
    END`);
    this.sql.exec(`CREATE TABLE IF NOT EXISTS published (
      file_key TEXT PRIMARY KEY,
      version INTEGER NOT NULL
    )`);
  }

  /** Writes a version's chunks; a re-run of the same step rewrites the same rows. */
  write(fileKey: string, version: number, chunks: Chunk[]): void {
    this.storage.transactionSync(() => {
      for (const chunk of chunks) {
        const headingPath = chunk.headingPath ?? [];
        this.sql.exec(
          `INSERT INTO passages (id, file_key, version, idx, heading, heading_path, body, page)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (id) DO UPDATE SET heading = excluded.heading, heading_path = excluded.heading_path,
             body = excluded.body, page = excluded.page`,
          chunkId(fileKey, version, chunk.index),
          fileKey,
          version,
          chunk.index,
          headingPath.join(HEADING_SEPARATOR),
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
  publish(fileKey: string, version: number): void {
    this.storage.transactionSync(() => {
      this.sql.exec(
        "INSERT INTO published (file_key, version) VALUES (?, ?) ON CONFLICT (file_key) DO UPDATE SET version = excluded.version",
        fileKey,
        version,
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

  /** The best `limit` published passages for an FTS5 expression, best first. */
  search({ match, fileKeys, limit }: PassageQuery): PassageHit[] {
    if (fileKeys?.length === 0) return [];
    const rank = `bm25(passages_fts, ${HEADING_WEIGHT}, 1.0)`;
    const rows = this.sql
      .exec<PassageRow & { rank: number }>(
        `SELECT ${COLUMNS}, ${rank} AS rank
         FROM passages_fts JOIN passages p ON p.seq = passages_fts.rowid
         WHERE passages_fts MATCH ?1 AND ${PUBLISHED}
           ${fileKeys ? "AND p.file_key IN (SELECT value FROM json_each(?3))" : "AND ?3 IS NULL"}
         ORDER BY rank LIMIT ?2`,
        match,
        limit,
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
        `SELECT ${COLUMNS} FROM passages p WHERE p.id IN (SELECT value FROM json_each(?)) AND ${PUBLISHED}`,
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
      .exec<PassageRow>(
        `SELECT ${COLUMNS} FROM passages p WHERE p.file_key = ? AND p.version = ? ORDER BY p.idx`,
        fileKey,
        published.version,
      )
      .toArray()
      .map(toPassage);
    return { version: published.version, passages };
  }
}

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
  };
}
