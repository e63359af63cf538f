"""The folding table: evasive spellings (薇信, vx号, 夏线, …) and the canonical spelling the normaliser puts back.

The table lives in ``data/folding.tsv`` (UTF-8, tab separated, header ``variant canonical kind note``, ``#``
comment lines and blank lines allowed). See ``docs/normalization_data.md`` for how entries are chosen and vetted.

Rules every row must satisfy (``load_folding_table`` raises ``ValueError`` naming the line otherwise):

- ``variant`` and ``canonical`` are non-empty, different, and have the SAME length: the normaliser replaces a
  variant in place, which keeps its map back to the original code points exact.
- Both are written in the normalised alphabet, i.e. the normaliser's character rules leave them unchanged:
  simplified Chinese, lower-case ASCII, half-width forms, every ASCII digit written as ``0``. They contain only
  letters and digits: spaces, punctuation and symbols are removed or collapsed before folding, so an entry that
  contains them could never match.
- ``kind`` is one of ``KINDS``; ``variant`` appears only once in the table; no ``canonical`` is itself a variant
  (folding is a single pass).
"""

from __future__ import annotations

import functools
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from mlmrisk.resources import data_path

KINDS: tuple[str, ...] = ("homophone", "lookalike", "pinyin", "abbreviation")
HEADER: tuple[str, ...] = ("variant", "canonical", "kind", "note")
DEFAULT_FOLDING_PATH: Path = data_path("folding.tsv")


@dataclass(frozen=True)
class FoldingEntry:
    """One row of the folding table."""

    variant: str
    canonical: str
    kind: str
    note: str = ""


@functools.lru_cache(maxsize=1)
def _t2s():
    try:
        import opencc
    except ImportError:  # pragma: no cover - opencc is a training dependency
        return None
    return opencc.OpenCC("t2s")


def _is_cjk(cp: int) -> bool:
    return (
        0x3400 <= cp < 0x4DC0
        or 0x4E00 <= cp < 0xA000
        or 0xF900 <= cp < 0xFB00
        or 0x20000 <= cp < 0x2FA20
        or 0x30000 <= cp < 0x323B0
        or cp == 0x3007
    )


def normalise_char(ch: str) -> str:
    """What the normaliser's character rules make of one character (mirrors ``training/normalization_spec.py``)."""
    out = ch
    folded = unicodedata.normalize("NFKC", out)
    if len(folded) == 1:
        out = folded
    lowered = out.lower()
    if len(lowered) == 1:
        out = lowered
    if _is_cjk(ord(out)):
        converter = _t2s()
        if converter is not None:
            simplified = converter.convert(out)
            if len(simplified) == 1:
                out = simplified
    if "1" <= out <= "9":
        out = "0"
    return out


def _alphabet_problem(field: str, value: str) -> str | None:
    """Why ``value`` is not written in the normalised alphabet, or None if it is."""
    for ch in value:
        category = unicodedata.category(ch)
        if category[0] not in "LN":
            return f"{field} {value!r} contains {ch!r} (U+{ord(ch):04X}), which is not a letter or digit"
        target = normalise_char(ch)
        if target != ch:
            return (
                f"{field} {value!r} is not in the normalised alphabet: the normaliser turns {ch!r} into {target!r} "
                "(write simplified Chinese, lower-case half-width ASCII and 0 for every digit)"
            )
    return None


def load_folding_table(path: str | Path | None = None) -> list[FoldingEntry]:
    """Read and validate the folding table (default: the repository's ``data/folding.tsv``)."""
    path = Path(path) if path is not None else DEFAULT_FOLDING_PATH
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise FileNotFoundError(f"folding table not found: {path}") from None
    try:
        content = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path}: not valid UTF-8 ({exc})") from None

    entries: list[FoldingEntry] = []
    first_line_of: dict[str, int] = {}
    header_seen = False
    for number, line in enumerate(content.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue

        def bad(message: str, _number: int = number) -> ValueError:
            return ValueError(f"{path}, line {_number}: {message}")

        fields = line.split("\t")
        if not header_seen:
            if tuple(f.strip() for f in fields) != HEADER:
                raise bad(f"expected the header {chr(9).join(HEADER)!r}, got {line!r}")
            header_seen = True
            continue
        if len(fields) == 3:
            fields.append("")
        if len(fields) != 4:
            raise bad(f"expected 4 tab-separated fields (variant, canonical, kind, note), got {len(fields)}")
        variant, canonical, kind, note = fields
        note = note.strip()
        for name, value in (("variant", variant), ("canonical", canonical), ("kind", kind)):
            if not value:
                raise bad(f"empty {name}")
            if value != value.strip():
                raise bad(f"{name} {value!r} has leading or trailing whitespace")
        if kind not in KINDS:
            raise bad(f"unknown kind {kind!r} (expected one of {', '.join(KINDS)})")
        if variant == canonical:
            raise bad(f"variant and canonical are the same ({variant!r})")
        if len(variant) != len(canonical):
            raise bad(
                f"variant {variant!r} has {len(variant)} characters but canonical {canonical!r} has "
                f"{len(canonical)}: entries must keep their length"
            )
        for name, value in (("variant", variant), ("canonical", canonical)):
            problem = _alphabet_problem(name, value)
            if problem:
                raise bad(problem)
        if variant in first_line_of:
            raise bad(f"duplicate variant {variant!r} (first on line {first_line_of[variant]})")
        first_line_of[variant] = number
        entries.append(FoldingEntry(variant, canonical, kind, note))
    if not header_seen:
        raise ValueError(f"{path}: no header line {chr(9).join(HEADER)!r}")
    for entry in entries:
        # One pass replaces variants; a canonical that is itself a variant would need a second pass.
        if entry.canonical in first_line_of:
            raise ValueError(
                f"{path}, line {first_line_of[entry.variant]}: canonical {entry.canonical!r} is itself a variant "
                f"(line {first_line_of[entry.canonical]}); fold straight to the final spelling"
            )
    return entries
