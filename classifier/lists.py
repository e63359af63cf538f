"""Platform allow/deny lists, matched on NORMALISED text so an entry also catches its evasive spellings.

- An allow phrase (招商银行, a licensed 直销 company's name) is neutralised before scoring: its characters are
  replaced by post separators, so no n-gram of the model sees them. Text around it is still scored.
- A deny phrase forces at least its level (default ``high``) and is reported as evidence.

List files: plain text, one phrase per line (``#`` starts a comment; for deny lists an optional TAB and a level
name: ``发展下线<TAB>medium``), or JSON: a list of strings, or of objects ``{"phrase": "...", "level": "high"}``.
Parsing files is I/O and lives in ``PhraseList.read``; matching is pure.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from mlmrisk.classifier.errors import ListFormatError
from mlmrisk.classifier.normalize import SEPARATOR, NormalizedBatch, NormalizerTables, normalize_batch
from mlmrisk.classifier.phrases import PhraseMatcher
from mlmrisk.classifier.risk import RiskLevel

DEFAULT_DENY_LEVEL = RiskLevel.HIGH


@dataclass(frozen=True)
class ListEntry:
    phrase: str
    level: RiskLevel


@dataclass(frozen=True)
class DenyHit:
    entry: str
    level: RiskLevel
    start: int  # offsets into the ORIGINAL text
    end: int


@dataclass(frozen=True)
class PhraseList:
    """Entries plus their normalised forms, ready to match."""

    kind: str
    entries: tuple[ListEntry, ...]
    matcher: PhraseMatcher | None

    @classmethod
    def build(cls, entries: Sequence[ListEntry], tables: NormalizerTables, kind: str) -> "PhraseList":
        normalised = normalize_batch([e.phrase for e in entries], tables) if entries else None
        phrases, kept = [], []
        for i, entry in enumerate(entries):
            codes = normalised.codes[normalised.starts[i] : normalised.starts[i + 1] - 1]
            codes = codes[(codes != 0x20) & (codes != 0x0A)]
            if codes.size == 0:
                raise ListFormatError(f"{kind} list entry {entry.phrase!r} is empty after normalisation")
            phrases.append(codes.tolist())
            kept.append(entry)
        return cls(kind, tuple(kept), PhraseMatcher.build(phrases) if phrases else None)

    @classmethod
    def coerce(cls, value, tables: NormalizerTables, kind: str) -> "PhraseList | None":
        """None, a ``PhraseList``, a path to a list file, or a sequence of entries, each a phrase, a
        ``ListEntry`` or a ``{"phrase": ..., "level": ...}`` mapping (the JSON list file's objects, so the
        Python API takes what the files take)."""
        if value is None or isinstance(value, PhraseList):
            return value
        if isinstance(value, (str, Path)):
            return cls.build(read_list_file(Path(value), kind), tables, kind)
        if isinstance(value, (Mapping, bytes, bytearray)):
            raise ListFormatError(f"{kind} list: expected a path or a list of entries, got one "
                                  f"{type(value).__name__}; wrap a single entry in a list")
        entries = [list_entry(v, f"{kind} list item {i}", kind) for i, v in enumerate(value)]
        return cls.build(entries, tables, kind)


def list_entry(item: object, where: str, kind: str = "deny") -> ListEntry:
    """One entry of a list given as data: a phrase, a ``ListEntry``, or ``{"phrase": str, "level": name}``
    (``level`` optional, default ``high``; it matters for deny lists only). Anything else is an error rather
    than a phrase made of its ``repr``, which would silently match nothing; so is a deny level below medium."""
    entry = _entry(item, where, kind)
    _check_level(entry, kind, where)
    return entry


def _entry(item: object, where: str, kind: str) -> ListEntry:
    if isinstance(item, ListEntry):
        return item
    if isinstance(item, str):
        return ListEntry(item, DEFAULT_DENY_LEVEL)
    if isinstance(item, Mapping) and isinstance(item.get("phrase"), str):
        unknown = sorted(str(key) for key in item if key not in ("phrase", "level"))
        if unknown:
            raise ListFormatError(f"{where}: unknown keys {unknown}; an entry has \"phrase\" and \"level\"")
        if kind == "allow" and "level" in item:
            raise ListFormatError(f"{where}: an allow entry takes no level (levels are for deny lists)")
        level = item.get("level", DEFAULT_DENY_LEVEL)
        if isinstance(level, RiskLevel):
            return ListEntry(item["phrase"], level)
        if not isinstance(level, str):
            raise ListFormatError(f"{where}: level must be a level name, got {level!r}")
        return ListEntry(item["phrase"], _level(level, where))
    raise ListFormatError(f"{where}: expected a phrase or {{\"phrase\": ..., \"level\": ...}}, got {item!r}")


def _check_level(entry: ListEntry, kind: str, where: str) -> None:
    """A deny hit flags the post, and a flagged post is at least medium (classifier/risk.py)."""
    if kind == "deny" and entry.level.rank < RiskLevel.MEDIUM.rank:
        raise ListFormatError(f"{where}: deny entry {entry.phrase!r} has level {entry.level.value!r}, below medium; "
                              "a deny hit flags a post, so its level is medium, high or severe")


def _level(name: str, where: str) -> RiskLevel:
    try:
        return RiskLevel(name.strip().lower())
    except ValueError:
        raise ListFormatError(
            f"{where}: level {name!r} is not one of {', '.join(level.value for level in RiskLevel)}"
        ) from None


def read_list_file(path: Path, kind: str) -> list[ListEntry]:
    """Parse a plain-text or JSON list file (format in the module docstring)."""
    try:
        raw = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ListFormatError(f"{kind} list {path} does not exist") from None
    except IsADirectoryError:
        raise ListFormatError(f"{kind} list {path} is a directory, not a list file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ListFormatError(f"{kind} list {path} is not readable UTF-8 text ({exc})") from None
    entries: list[ListEntry] = []
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise ListFormatError(f"{kind} list {path} is not valid JSON: {exc}") from None
        if not isinstance(data, list):
            raise ListFormatError(f"{kind} list {path} must hold a JSON array, got {type(data).__name__}")
        return [list_entry(item, f"{path} item {i}", kind) for i, item in enumerate(data)]
    for number, line in enumerate(raw.splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        phrase, _, level = line.partition("\t")
        level = level.strip()
        if level and kind == "allow":
            raise ListFormatError(f"{path} line {number}: an allow entry takes no level (levels are for deny lists)")
        entries.append(ListEntry(phrase.strip(), _level(level, f"{path} line {number}") if level else DEFAULT_DENY_LEVEL))
        _check_level(entries[-1], kind, f"{path} line {number}")
    return entries


def apply_allow_list(batch: NormalizedBatch, allow: PhraseList) -> tuple[NormalizedBatch, dict[int, list[str]]]:
    """A copy of ``batch`` with allow-list matches blanked out, and which entries matched in which post."""
    if allow.matcher is None:
        return batch, {}
    codes = batch.codes.copy()
    applied: dict[int, list[str]] = {}
    for group in allow.matcher.groups:
        for position, entry in allow.matcher.find(batch.codes, group):
            codes[position : position + group.length] = SEPARATOR
            names = applied.setdefault(int(batch.doc[position]), [])
            if allow.entries[entry].phrase not in names:
                names.append(allow.entries[entry].phrase)
    blanked = NormalizedBatch(codes, batch.origin, batch.doc, batch.starts, batch.rules)
    return blanked, applied


def find_deny_hits(batch: NormalizedBatch, deny: PhraseList) -> dict[int, list[DenyHit]]:
    """Deny-list matches per post, with offsets into the original text."""
    hits: dict[int, list[DenyHit]] = {}
    if deny.matcher is None:
        return hits
    for position, length, entry in deny.matcher.find_all(batch.codes):
        doc = int(batch.doc[position])
        start = int(batch.origin[position])
        end = int(batch.origin[position + length - 1]) + 1
        item = deny.entries[entry]
        hits.setdefault(doc, []).append(DenyHit(item.phrase, item.level, start, end))
    return hits
