"""The monitor's state: one DuckDB file, ``DIR/state.duckdb`` (why DuckDB: docs/monitoring.md, "State").

Posts are keyed by account+id (or account+time+text hash) so a post seen twice is stored once. Only what a later
run needs is kept: per post its scores, element bits and, for posts at/above watch, the score detail (evidence
spans, element probabilities); the contact keys of posts at/above watch; the MinHash signatures of flagged posts
that offer a way to join. Everything the outputs show is recomputed from these tables on every run, which is why
part 1 + part 2 gives the same accounts and networks as one run over both.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

STATE_FILE = "state.duckdb"
POSTS = """
CREATE TABLE IF NOT EXISTS posts (
  key VARCHAR{key}, account VARCHAR NOT NULL{small}, id VARCHAR{zstd}, time VARCHAR NOT NULL{zstd},
  day VARCHAR NOT NULL{small}, channel VARCHAR{small}, text VARCHAR{zstd}, probability DOUBLE, risk INTEGER,
  level VARCHAR{small}, flagged BOOLEAN, elements INTEGER, detail VARCHAR{zstd}, model VARCHAR{small}, cta BOOLEAN);
"""
#: Compression of the posts' string columns, chosen instead of DuckDB's per-segment choice (which picked DICT_FSST
#: for every column and made writing 1M posts cost ~3.3 CPU s, against ~2.3 s with these, for a file ~25 % larger):
#: zstd for texts, ids, times and score detail, dictionary + FSST for the few-valued columns, none for the md5 keys.
POSTS_COMPRESSION = {"key": " USING COMPRESSION uncompressed", "small": " USING COMPRESSION dict_fsst",
                     "zstd": " USING COMPRESSION zstd"}
SCHEMA = """
CREATE TABLE IF NOT EXISTS contacts (key VARCHAR, account VARCHAR, ckey VARCHAR);
CREATE TABLE IF NOT EXISTS sigs (key VARCHAR, account VARCHAR, sig BLOB);
CREATE TABLE IF NOT EXISTS tiers (kind VARCHAR, name VARCHAR, tier VARCHAR);
CREATE TABLE IF NOT EXISTS runs (run_at VARCHAR, files VARCHAR, read BIGINT, added BIGINT, duplicates BIGINT,
  bad BIGINT, scored BIGINT);
"""
ELEMENT_BITS = {"lart": 1, "fee": 2, "team": 4, "ponzi": 8}
#: DuckDB's own memory cap: beyond it, joins and sorts spill to DIR/tmp instead of growing the process.
MEMORY_LIMIT = "512MB"


def open_state(directory: str | Path, create: bool = True) -> duckdb.DuckDBPyConnection:
    directory = Path(directory)
    if create:
        directory.mkdir(parents=True, exist_ok=True)
    db = duckdb.connect(str(directory / STATE_FILE))
    db.execute("SET TimeZone = 'UTC'")
    db.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
    db.execute("SET threads = 2")
    db.execute(f"SET temp_directory = '{directory / 'tmp'}'")
    db.execute("SET preserve_insertion_order = false")  # every output is sorted; lets big writes run in parallel
    db.execute("SET enable_progress_bar = false")
    try:
        db.execute(POSTS.format(**POSTS_COMPRESSION))
    except duckdb.Error:  # a DuckDB without these methods: its own choice
        db.execute(POSTS.format(**{k: "" for k in POSTS_COMPRESSION}))
    db.execute(SCHEMA)
    return db


def previous_tiers(db, kind: str) -> dict[str, str]:
    return dict(db.execute("SELECT name, tier FROM tiers WHERE kind = ?", [kind]).fetchall())


def save_tiers(db, kind: str, tiers: dict[str, str]) -> None:
    import pyarrow as pa

    db.execute("DELETE FROM tiers WHERE kind = ?", [kind])
    table = pa.table({"kind": [kind] * len(tiers), "name": list(tiers), "tier": list(tiers.values())})
    db.register("new_tiers", table)
    db.execute("INSERT INTO tiers SELECT kind, name, tier FROM new_tiers")
    db.unregister("new_tiers")


def post_lookup(db, keys: list[str], columns: str = "id") -> dict[str, tuple]:
    """``{key: (columns…)}`` for the stored posts with these keys, in one join (a query per key scanned the whole
    posts table each time: 1M posts, ~50 ms a lookup)."""
    if not keys:
        return {}
    rows = db.execute(f"SELECT key, {columns} FROM posts WHERE key IN (SELECT unnest(?::VARCHAR[]))",
                      [sorted(set(keys))]).fetchall()
    return {r[0]: tuple(r[1:]) for r in rows}
