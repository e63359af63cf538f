"""Build the normaliser spec that ``classifier.normalize.NormalizerTables.from_spec`` turns into lookup tables.

The spec is computed here, at training time, from Unicode data, OpenCC and ``data/folding.tsv``, and stored in the
model manifest. Serving reads it back, so a model normalises the same way on every machine whatever the local
Python Unicode version or OpenCC build (and serving needs neither OpenCC nor this repository's data folder).
"""

from __future__ import annotations

import functools
import unicodedata
from pathlib import Path

import opencc

from mlmrisk.classifier.normalize import (
    CLASS_CJK,
    CLASS_CONTENT,
    CLASS_STRONG,
    CLASS_WEAK,
    DROP,
    N_CODEPOINTS,
    RULE_BITS,
    SPEC_VERSION,
)
from mlmrisk.training.folding import load_folding_table  # noqa: E402

DEFAULT_MAX_CHARS = 20_000

_CJK_RANGES = (
    (0x3400, 0x4DC0),
    (0x4E00, 0xA000),
    (0xF900, 0xFB00),
    (0x20000, 0x2FA20),
    (0x30000, 0x323B0),
)
_STRONG = set("\n\r\t\v\f\u2028\u2029。！？!?；;…")
# Characters that render as nothing but are not category Cf.
_INVISIBLE_EXTRA = {0x115F, 0x1160, 0x3164, 0xFFA0, 0x2800, 0x180E, 0x034F, 0x17B4, 0x17B5}


def _is_cjk(cp: int) -> bool:
    return any(lo <= cp < hi for lo, hi in _CJK_RANGES) or cp == 0x3007


def _is_invisible(cp: int, category: str) -> bool:
    if cp in _INVISIBLE_EXTRA or 0xFE00 <= cp <= 0xFE0F or 0xE0100 <= cp <= 0xE01EF:
        return True
    if category in ("Cf", "Cs"):
        return True
    return category == "Cc" and chr(cp) not in _STRONG


def _char_class(cp: int) -> int:
    ch = chr(cp)
    if _is_cjk(cp):
        return CLASS_CJK
    if ch in _STRONG:
        return CLASS_STRONG
    category = unicodedata.category(ch)
    if category[0] in "LNM":
        return CLASS_CONTENT
    return CLASS_WEAK


@functools.lru_cache(maxsize=2)
def _unicode_tables() -> tuple[dict, list[list[int]]]:
    converter = opencc.OpenCC("t2s")
    sources: list[int] = []
    targets: list[int] = []
    rules: list[int] = []
    for cp in range(1, N_CODEPOINTS):
        ch = chr(cp)
        category = unicodedata.category(ch)
        if _is_invisible(cp, category):
            sources.append(cp)
            targets.append(DROP)
            rules.append(RULE_BITS["invisible"])
            continue
        bits = 0
        out = ch
        folded = unicodedata.normalize("NFKC", out)
        if len(folded) == 1 and folded != out:
            out = folded
            bits |= RULE_BITS["fullwidth"]
        lowered = out.lower()
        if len(lowered) == 1 and lowered != out:
            out = lowered
            bits |= RULE_BITS["case"]
        if _is_cjk(ord(out)):
            simplified = converter.convert(out)
            if len(simplified) == 1 and simplified != out:
                out = simplified
                bits |= RULE_BITS["traditional"]
        if "1" <= out <= "9":
            out = "0"
            bits |= RULE_BITS["digits"]
        if _char_class(ord(out)) >= CLASS_WEAK:
            # Chinese punctuation folds to ASCII on every ordinary post: not worth reporting as an evasion.
            bits &= ~RULE_BITS["fullwidth"]
        if out != ch:
            sources.append(cp)
            targets.append(ord(out))
            rules.append(bits)
    sources, targets, rules = _to_fixpoint(sources, targets, rules)
    classes: list[list[int]] = []
    run_start, run_class = 0, _char_class(0)
    for cp in range(1, N_CODEPOINTS + 1):
        klass = _char_class(cp) if cp < N_CODEPOINTS else -1
        if klass != run_class:
            if run_class != CLASS_CONTENT:
                classes.append([run_start, cp, run_class])
            run_start, run_class = cp, klass
    return {"source": sources, "target": targets, "rules": rules}, classes


def _to_fixpoint(sources: list[int], targets: list[int], rules: list[int]) -> tuple[list, list, list]:
    """Compose the map with itself until mapping twice equals mapping once (normalisation is idempotent).

    OpenCC can map a character to one that is itself converted again, and NFKC output can be upper-case.
    """
    mapping = dict(zip(sources, zip(targets, rules)))
    for source in list(mapping):
        target, bits = mapping[source]
        for _ in range(8):
            if target == DROP or target not in mapping:
                break
            target, more = mapping[target]
            bits |= more
        mapping[source] = (target, bits)
    ordered = sorted(mapping.items())
    return [s for s, _ in ordered], [t for _, (t, _) in ordered], [b for _, (_, b) in ordered]


def build_normalization_spec(folding_path: Path | None = None, max_chars: int = DEFAULT_MAX_CHARS) -> dict:
    """The JSON-able normaliser spec: character map, character classes and the folding table."""
    char_map, classes = _unicode_tables()
    folds = [[entry.variant, entry.canonical] for entry in load_folding_table(folding_path)]
    return {
        "version": SPEC_VERSION,
        "unicode_version": unicodedata.unidata_version,
        "opencc_version": getattr(opencc, "__version__", "unknown"),
        "max_chars": max_chars,
        "char_map": char_map,
        "char_class": classes,
        "folds": folds,
    }


@functools.lru_cache(maxsize=2)
def default_tables():
    """Tables from the repository's own data (for training and tests; serving reads them from the manifest)."""
    from mlmrisk.classifier.normalize import NormalizerTables

    return NormalizerTables.from_spec(build_normalization_spec())
