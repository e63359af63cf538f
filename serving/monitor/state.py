"""The monitor's state: one SQLite file, ``DIR/state.sqlite`` (why SQLite: docs/monitoring.md, "State").

Posts are keyed by account+id (or account+time+text hash) so a post seen twice is stored once. Only what a later
run needs is kept: per post its scores, element bits and, for posts at/above watch, the score detail (evidence
spans, element probabilities); the contact keys of posts at/above watch; the MinHash signature of flagged posts.
Everything the outputs show is recomputed from these tables on every run, which is why part 1 + part 2 gives the
same accounts and networks as one run over both.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS posts (
  key TEXT PRIMARY KEY, account TEXT NOT NULL, id TEXT, time TEXT NOT NULL, day TEXT NOT NULL, channel TEXT,
  text TEXT, probability REAL, risk INTEGER, level TEXT, flagged INTEGER, elements INTEGER, detail TEXT, model TEXT,
  cta INTEGER
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS contacts (key TEXT, account TEXT, ckey TEXT, PRIMARY KEY (key, ckey)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS sigs (key TEXT PRIMARY KEY, account TEXT, sig BLOB) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS tiers (kind TEXT, name TEXT, tier TEXT, PRIMARY KEY (kind, name)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS runs (run INTEGER PRIMARY KEY, at TEXT, files TEXT, read INTEGER, added INTEGER,
  duplicates INTEGER, bad INTEGER, scored INTEGER);
"""
ELEMENT_BITS = {"lart": 1, "fee": 2, "team": 4, "ponzi": 8}


def open_state(directory: str | Path) -> sqlite3.Connection:
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(directory / "state.sqlite", isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("PRAGMA cache_size=-65536")  # 64 MB page cache: bounded memory at any state size
    db.execute("PRAGMA temp_store=FILE")
    db.executescript(SCHEMA)
    return db


def existing_keys(db: sqlite3.Connection, keys: list[str]) -> set[str]:
    found: set[str] = set()
    for i in range(0, len(keys), 900):
        part = keys[i:i + 900]
        q = f"SELECT key FROM posts WHERE key IN ({','.join('?' * len(part))})"
        found.update(r[0] for r in db.execute(q, part))
    return found


def previous_tiers(db: sqlite3.Connection, kind: str) -> dict[str, str]:
    return dict(db.execute("SELECT name, tier FROM tiers WHERE kind = ?", (kind,)))


def save_tiers(db: sqlite3.Connection, kind: str, tiers: dict[str, str]) -> None:
    db.execute("BEGIN")
    db.execute("DELETE FROM tiers WHERE kind = ?", (kind,))
    db.executemany("INSERT INTO tiers VALUES (?, ?, ?)", [(kind, k, v) for k, v in tiers.items()])
    db.execute("COMMIT")
