"""Read monitored posts (account, time, text; optional channel, id) from JSONL, CSV or Parquet (gzip/zstd too).

A record that already carries ``probability`` and ``level`` (the output of ``mlmrisk score`` joined with account and
time, in the current or the new record shape) is taken as scored and never rescored. Bad records (no account, no
parsable time, neither text nor scores) are counted and skipped, never fatal.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import orjson

from mlmrisk.classifier.errors import InputFormatError
from mlmrisk.serving.readers import detect_input, open_decompressed


@dataclass
class FieldMap:
    account: str = "account"
    time: str = "time"
    text: str = "text"
    id: str = "id"
    channel: str = "channel"


@dataclass
class Post:
    key: str  # dedup key: account+id, else account+time+text hash
    account: str
    id: str
    time: str  # UTC, "YYYY-MM-DDTHH:MM:SS"
    channel: str
    text: str
    scored: dict | None  # the score record when the input was already scored


@dataclass
class IngestStats:
    read: int = 0
    bad: int = 0
    reasons: dict = field(default_factory=dict)

    def reject(self, code: str) -> None:
        self.bad += 1
        self.reasons[code] = self.reasons.get(code, 0) + 1


def parse_time(value: Any) -> str | None:
    """ISO 8601 (or epoch seconds) → sortable UTC string; None when unparsable."""
    if value is None or value == "":
        return None
    try:
        if isinstance(value, (int, float)):
            dt = datetime.fromtimestamp(float(value), tz=timezone.utc)
        elif isinstance(value, datetime):
            dt = value
        else:
            s = str(value).strip()
            if s.endswith(("Z", "z")):
                s = s[:-1] + "+00:00"
            dt = datetime.fromisoformat(s)
    except (ValueError, OverflowError, OSError):
        return None
    if dt.tzinfo is not None:
        dt = dt.astimezone(timezone.utc).replace(tzinfo=None)
    return dt.strftime("%Y-%m-%dT%H:%M:%S")


def post_key(account: str, post_id: str | None, time: str, text: str) -> str:
    if post_id:
        raw = f"id\x1f{account}\x1f{post_id}"
    else:
        raw = f"tt\x1f{account}\x1f{time}\x1f{hashlib.sha1(text.encode('utf-8', 'surrogatepass')).hexdigest()}"
    return hashlib.sha1(raw.encode("utf-8", "surrogatepass")).hexdigest()[:20]


def is_scored(record: dict) -> bool:
    return "probability" in record and "level" in record and record.get("probability") is not None


def to_post(record: Any, fields: FieldMap, stats: IngestStats) -> Post | None:
    stats.read += 1
    if not isinstance(record, dict):
        stats.reject("not_an_object")
        return None
    account = record.get(fields.account)
    if account is None or account == "":
        stats.reject("missing_account")
        return None
    time = parse_time(record.get(fields.time))
    if time is None:
        stats.reject("bad_time")
        return None
    text = record.get(fields.text)
    scored = record if is_scored(record) else None
    if not isinstance(text, str):
        if scored is None:
            stats.reject("missing_text")
            return None
        text = ""
    if scored is not None and scored.get("error"):
        stats.reject("scored_error")
        return None
    raw_id = record.get(fields.id)
    post_id = "" if raw_id is None else str(raw_id)
    account = str(account)
    channel = record.get(fields.channel)
    key = post_key(account, post_id, time, text)
    return Post(key, account, post_id or key, time,
                "" if channel is None else str(channel), text, scored)


def iter_raw(path: str) -> Iterator[Any]:
    """Raw records (dicts, or whatever a JSONL line holds) of one file."""
    spec = detect_input(path)
    if spec.format == "parquet":
        import pyarrow.parquet as pq

        pf = pq.ParquetFile(spec.path)
        for batch in pf.iter_batches(batch_size=65536):
            yield from batch.to_pylist()
        return
    if spec.format not in ("jsonl", "csv", "tsv"):
        raise InputFormatError(f"monitor reads JSONL, CSV or Parquet; {path!r} is {spec.format}")
    with open_decompressed(spec) as stream:
        if spec.format == "jsonl":
            for line in io.BufferedReader(stream, buffer_size=1 << 20):  # type: ignore[arg-type]
                line = line.strip()
                if not line:
                    continue
                try:
                    yield orjson.loads(line)
                except orjson.JSONDecodeError:
                    yield None
        else:
            text = io.TextIOWrapper(stream, encoding="utf-8", errors="replace", newline="")  # type: ignore[arg-type]
            yield from csv.DictReader(text, delimiter="\t" if spec.format == "tsv" else ",")


def iter_posts(paths: list[str], fields: FieldMap, stats: IngestStats) -> Iterator[Post]:
    for path in paths:
        for record in iter_raw(path):
            post = to_post(record, fields, stats)
            if post is not None:
                yield post
