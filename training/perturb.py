"""Evasive rewrites of real posts, for EVALUATION: how much recall survives when a promoter disguises a post?

Each perturbation is ``(text, rng) -> str`` and is deterministic given the state of ``rng``; ``perturb(text, kind,
seed)`` runs one with a fresh ``random.Random(seed)``. They mimic what keyword-filter users report promoters do
(docs/design_facts.md §6): traditional characters, separators between characters, homophones, full-width letters and zero-width
characters. ``homophones`` draws its variants from the folding table (``data/folding.tsv``) read backwards, so it
measures how well the normaliser undoes the spellings it knows; it is not a source of new evasions.

Use these on held-out real positives and negatives only; training on them would teach the model the rewrites and
the evaluation would stop measuring robustness.
"""

from __future__ import annotations

import functools
import random
import re
from collections.abc import Callable
from pathlib import Path

from mlmrisk.training.folding import load_folding_table

#: Separators inserted between Chinese characters (ASCII, middle dot and a few emoji promoters use).
SEPARATORS: tuple[str, ...] = (".", "*", " ", "|", "·", "_", "🔥", "✨", "💰", "👉", "❤")
#: Zero-width and invisible format characters.
ZERO_WIDTH: tuple[str, ...] = ("\u200b", "\u200c", "\u200d", "\ufeff", "\u2060")

SEPARATOR_RATE = 0.5
ZERO_WIDTH_RATE = 0.3

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f]")


def _is_cjk(ch: str) -> bool:
    return bool(_CJK.fullmatch(ch))


@functools.lru_cache(maxsize=1)
def _s2t():
    import opencc

    return opencc.OpenCC("s2t")


def traditional(text: str, rng: random.Random) -> str:
    """Simplified → traditional Chinese (OpenCC ``s2t``): 发展下线 → 發展下線. ``rng`` is unused."""
    return _s2t().convert(text)


def separators(text: str, rng: random.Random) -> str:
    """Insert a separator (., *, space, |, ·, _ or an emoji) between about half of the adjacent Chinese characters."""
    slots = [i for i in range(len(text) - 1) if _is_cjk(text[i]) and _is_cjk(text[i + 1])]
    if not slots:
        return text
    chosen = {i for i in slots if rng.random() < SEPARATOR_RATE}
    if not chosen:
        chosen = {rng.choice(slots)}
    out: list[str] = []
    for i, ch in enumerate(text):
        out.append(ch)
        if i in chosen:
            out.append(rng.choice(SEPARATORS))
    return "".join(out)


def _match_key(ch: str) -> str:
    """How a character of a raw post is compared with a canonical spelling (ASCII case-folded, digits as 0)."""
    if "A" <= ch <= "Z":
        return ch.lower()
    if "0" <= ch <= "9":
        return "0"
    return ch


@functools.lru_cache(maxsize=4)
def _reverse_table(path: str | None) -> tuple[dict[str, tuple[str, ...]], tuple[int, ...]]:
    variants: dict[str, list[str]] = {}
    for entry in load_folding_table(Path(path) if path else None):
        variants.setdefault(entry.canonical, []).append(entry.variant)
    table = {canonical: tuple(sorted(vs)) for canonical, vs in variants.items()}
    lengths = tuple(sorted({len(c) for c in table}, reverse=True))
    return table, lengths


def homophones(text: str, rng: random.Random, folding_path: str | Path | None = None) -> str:
    """Replace every canonical phrase of the folding table by one of its variants (longest phrase first).

    Matching ignores ASCII case and treats any ASCII digit as the table's ``0``; the digits of the original are
    kept (月入3万 → 月入3w). Text without any canonical phrase is returned unchanged.
    """
    table, lengths = _reverse_table(str(folding_path) if folding_path is not None else None)
    key = "".join(_match_key(ch) for ch in text)
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        for length in lengths:
            if i + length <= n and key[i : i + length] in table:
                canonical = key[i : i + length]
                variant = rng.choice(table[canonical])
                out.append(
                    "".join(
                        text[i + j] if v == "0" and canonical[j] == "0" else v for j, v in enumerate(variant)
                    )
                )
                i += length
                break
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def _fullwidth(ch: str) -> str:
    if "!" <= ch <= "~":
        return chr(ord(ch) + 0xFEE0)
    if ch == " ":
        return "\u3000"
    return ch


def fullwidth_zero_width(text: str, rng: random.Random) -> str:
    """ASCII → full-width forms (Ａ, １, ＋, ideographic space), and zero-width characters between characters."""
    chars = [_fullwidth(ch) for ch in text]
    if len(chars) < 2:
        return "".join(chars)
    gaps = range(1, len(chars))
    chosen = {g for g in gaps if rng.random() < ZERO_WIDTH_RATE}
    if not chosen:
        chosen = {rng.choice(gaps)}
    out: list[str] = []
    for i, ch in enumerate(chars):
        if i in chosen:
            out.append(rng.choice(ZERO_WIDTH))
        out.append(ch)
    return "".join(out)


PERTURBATIONS: dict[str, Callable[[str, random.Random], str]] = {
    "traditional": traditional,
    "separators": separators,
    "homophones": homophones,
    "fullwidth_zero_width": fullwidth_zero_width,
}


def perturb(text: str, kind: str, seed: int = 0) -> str:
    """Apply the perturbation ``kind`` to ``text`` with a fresh ``random.Random(seed)``."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, not {type(text).__name__}")
    try:
        function = PERTURBATIONS[kind]
    except KeyError:
        raise ValueError(f"unknown perturbation {kind!r} (expected one of {', '.join(PERTURBATIONS)})") from None
    return function(text, random.Random(seed))
