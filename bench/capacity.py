#!/usr/bin/env python3
"""Capacity: how many bytes a library costs where it is stored (docs/decisions/0020).

Reads a local state folder the app wrote (npm start, or a benchmark run with its state
kept) and reports, per user's UserFileTracker SQLite, the bytes of each part — passage
rows, the FTS5 index, the offline vectors, the queue — per passage; then rebuilds the same
passages in the layout they had before ADR 0020 (one D1 database for every tenant:
file_chunks with the owner token, file_chunks_fts, local_vectors as base64 int8) and
measures that too, so the two are compared on exactly the same text.

    python3 bench/capacity.py <state-dir>        e.g. .wrangler/state

SQLite's dbstat table gives the bytes per table and index; Node 20 has no SQLite, hence
Python (standard library only). Nothing here is copied into the project: it reads the
state folder and writes nothing to it (it opens the files read-only).
"""

import base64
import glob
import json
import os
import sqlite3
import sys

GROUPS = {
    "passages": ("passages", "passages_file", "sqlite_autoindex_passages_1", "published",
                 "sqlite_autoindex_published_1"),
    "fts": ("passages_fts", "passages_fts_data", "passages_fts_idx", "passages_fts_docsize",
            "passages_fts_config"),
    "vectors": ("vectors", "sqlite_autoindex_vectors_1"),
}
OLD_GROUPS = {
    "passages": ("file_chunks", "file_chunks_id_idx", "file_chunks_file_version_idx", "file_chunks_username_idx"),
    "fts": ("file_chunks_fts_data", "file_chunks_fts_idx", "file_chunks_fts_docsize", "file_chunks_fts_config"),
    "vectors": ("local_vectors", "sqlite_autoindex_local_vectors_1", "local_vectors_namespace_file_idx"),
}


def table_bytes(db):
    return dict(db.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name"))


def grouped(sizes, groups):
    out = {group: sum(sizes.get(name, 0) for name in names) for group, names in groups.items()}
    known = {name for names in groups.values() for name in names}
    out["other"] = sum(size for name, size in sizes.items() if name not in known)
    out["total"] = sum(sizes.values())
    return out


def old_layout(rows, vectors):
    """The same passages in the pre-0020 D1 tables (migrations 0000-0005), in memory."""
    db = sqlite3.connect(":memory:")
    db.executescript("""
      CREATE TABLE file_chunks (seq INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, id TEXT NOT NULL,
        file_key TEXT NOT NULL, username TEXT NOT NULL, file_version INTEGER DEFAULT 1 NOT NULL,
        chunk_text TEXT NOT NULL, chunk_index INTEGER NOT NULL, embedding_id TEXT,
        metadata TEXT DEFAULT '{}' NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
        owner_token TEXT GENERATED ALWAYS AS ('u' || hex(username) || '0') VIRTUAL);
      CREATE UNIQUE INDEX file_chunks_id_idx ON file_chunks (id);
      CREATE INDEX file_chunks_file_version_idx ON file_chunks (file_key, file_version, chunk_index);
      CREATE INDEX file_chunks_username_idx ON file_chunks (username);
      CREATE VIRTUAL TABLE file_chunks_fts USING fts5(chunk_text, owner_token, content='file_chunks',
        content_rowid='seq', tokenize='porter unicode61 remove_diacritics 2');
      CREATE TABLE local_vectors (id TEXT PRIMARY KEY NOT NULL, namespace TEXT NOT NULL, file_key TEXT,
        vector BLOB NOT NULL, scale REAL NOT NULL, metadata TEXT DEFAULT '{}' NOT NULL, created_at INTEGER NOT NULL);
      CREATE INDEX local_vectors_namespace_file_idx ON local_vectors (namespace, file_key);
    """)
    user = "a-typical-username"
    now = 1_790_000_000_000
    for row in rows:
        path = json.loads(row["heading_path"])
        text = (" › ".join(path) + "\n" if path else "") + row["body"]
        meta = json.dumps({"headingPath": path, "page": row["page"]})
        cur = db.execute(
            "INSERT INTO file_chunks (id, file_key, username, file_version, chunk_text, chunk_index, metadata,"
            " created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?)",
            (row["id"], row["file_key"], user, row["version"], text, row["idx"], meta, now, now))
        db.execute("INSERT INTO file_chunks_fts (rowid, chunk_text, owner_token) VALUES (?, ?, ?)",
                   (cur.lastrowid, text, "u" + user.encode().hex().upper() + "0"))
    for vector in vectors:
        packed = base64.b64encode(bytes(vector["values"])).decode()
        db.execute("INSERT INTO local_vectors VALUES (?,?,?,?,?,?,?)",
                   (vector["id"], user, vector["file_key"], packed, vector["scale"], "{}", now))
    db.commit()
    return grouped(table_bytes(db), OLD_GROUPS)


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    state = sys.argv[1]
    files = [f for f in glob.glob(os.path.join(state, "v3", "do", "*UserFileTracker*", "*.sqlite"))]
    if not files:
        sys.exit(f"No UserFileTracker storage under {state}/v3/do: is this the app's state folder?")
    report = []
    for path in sorted(files):
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        names = {name for (name,) in db.execute("SELECT name FROM sqlite_master")}
        if "passages" not in names:
            continue
        passages = db.execute("SELECT count(*) FROM passages").fetchone()[0]
        if passages == 0:
            continue
        files_ = db.execute("SELECT count(*) FROM published").fetchone()[0]
        text = db.execute("SELECT sum(length(CAST(body AS BLOB))) FROM passages").fetchone()[0]
        sizes = grouped(table_bytes(db), GROUPS)
        rows = [dict(zip(("id", "file_key", "version", "idx", "heading_path", "body", "page"), r))
                for r in db.execute("SELECT id, file_key, version, idx, heading_path, body, page FROM passages")]
        vectors = []
        if "vectors" in names:
            for vid, fkey, blob, scale in db.execute("SELECT id, file_key, data, scale FROM vectors"):
                vectors.append({"id": vid, "file_key": fkey, "values": blob, "scale": scale})
        old = old_layout(rows, vectors)
        report.append({
            "tracker": os.path.basename(path)[:12],
            "files": files_,
            "passages": passages,
            "textBytes": text,
            "now": sizes,
            "nowPerPassage": {k: round(v / passages) for k, v in sizes.items()},
            "before": old,
            "beforePerPassage": {k: round(v / passages) for k, v in old.items()},
        })
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
