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

# --- data for the spec-version-2 rules (docs/normalization_data.md §1b) ---------------------------------------
#: Chinese numerals folded to 0 only in a number context (before a measure word, after 第): 三级 → 0级, 一起 stays.
NUMERALS = "零〇一二三四五六七八九十百千两"
#: Financial numerals that are also ordinary words (队伍, 大陆, 收拾, 放肆): folded only in a number context, and
#: reported as evasive (``numbers``) when folded.
STYLED_NUMERALS = "肆伍陆拾"
#: Financial numerals that are not ordinary words: always folded to 0 by the character map (reported ``numbers``).
FINANCIAL_NUMERALS = "壹贰叁柒捌玖佰仟"
#: Measure words and classifiers after which a numeral is a number. 万/亿 are measures, not numerals, so 月入三万
#: and 月入3万 both become 月入0万 and keep their magnitude.
MEASURES = "级代层星人个位元块角毛万亿倍天日号月年次单轮份点名期成折岁周届批套张条件家斤克米度阶档段步遍回种类台部局寸尺秒分"
#: Words between two numbers that make them a range, ratio or list (3至5岁, 4比3, 第一第二): such digits are not
#: noise (拉1人1头 is).
NUMBER_LINKS = "至到比或和与及第减加乘除之"
#: Prefixes that make the following numerals a number: 第三代 → 第0代.
ORDINAL_PREFIXES = "第"
#: Interjections and onomatopoeia whose runs of three or more (哈哈哈) are routine, so ``repeats`` is not reported.
ORDINARY_REPEATS = "哈呵嘿嘻啊哦噢喔呜嗯啦嘛呀哇嘤嗷吼哼咚滴嘀啪咯咳哒嘟噜叭啧唉哎呃额嗝嘁嘎咦哟呦耶噗么嘛吧"
#: ASCII separators that are evasive when they alone sit between two Chinese characters (发*展), but ordinary in runs
#: (好**吧): a lone one is marked. A lone ``.`` is NOT marked: reviewers typing in half-width mode end sentences
#: with it (2.7% of online-shopping reviews); 发.展.下 is still reported as an alternation.
MARKED_ALONE = "*|_"
#: Enclosed ideograph blocks (㊙ 🈲 🈶): NFKC would fold them into a Chinese character; they stay symbols
#: (separators) instead, so 发🈲展 → 发展, not 发禁展. Numbered ones (㈠ ㊀) fold to the digit class.
_ENCLOSED_IDEOGRAPHS = ((0x3200, 0x3300), (0x1F200, 0x1F300))
#: Enclosed / parenthesised / negative Latin letter styles that NFKC does not fold to one letter (⒜ 🅐 🅰).
_LETTER_STYLE = ("PARENTHESIZED", "CIRCLED", "SQUARED", "NEGATIVE", "TORTOISE SHELL BRACKETED")
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
        enclosed = any(lo <= cp < hi for lo, hi in _ENCLOSED_IDEOGRAPHS)
        if enclosed and _is_number_style(ch):
            out = "0"
            bits |= RULE_BITS["numbers"]
        elif enclosed and any(_is_cjk(ord(c)) for c in folded):
            pass  # ㊙ 🈲: a symbol (separator), not the character inside it
        elif len(folded) == 1 and folded != out:
            out = folded
            if folded.isdigit() and not 0xFF10 <= cp <= 0xFF19:
                bits |= RULE_BITS["numbers"]  # ③ ² ₃ 𝟑: a number style, not full-width typing
            elif folded.isascii() and folded.isalnum() or _is_cjk(ord(folded)):
                # full-width letters/digits, compatibility ideographs and radicals (⼈ → 人): not ordinary typing.
                # Half-width katakana, compatibility jamo (ㅠㅠ) and punctuation are routine and not reported.
                bits |= RULE_BITS["fullwidth"]
        elif _letter_style(ch):
            out = _letter_style(ch)
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
        if out in FINANCIAL_NUMERALS:
            out = "0"
            bits |= RULE_BITS["numbers"]
        if "1" <= out <= "9":
            out = "0"
            bits |= RULE_BITS["digits"]
        elif out != "0" and not _is_cjk(ord(out)) and _is_number_style(out):
            out = "0"  # ⑴ ❶ ➀ ⒈ ⑩ ²: every other number style joins the digit class
            bits |= RULE_BITS["numbers"]
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


def _is_number_style(ch: str) -> bool:
    """A digit or number character of any script or style (① ⑴ ❶ ➀ ⒈ ㈠ ٣ ²), not a Roman numeral letter."""
    return unicodedata.category(ch) in ("Nd", "No") and unicodedata.numeric(ch, None) is not None


def _letter_style(ch: str) -> str | None:
    """The lower-case ASCII letter of an enclosed or parenthesised letter NFKC leaves alone (⒜ 🅐 🅰), else None."""
    name = unicodedata.name(ch, "")
    words = name.split(" ")
    if len(words) < 3 or words[-2] != "LETTER" or "LATIN" not in words or len(words[-1]) != 1:
        return None
    if not any(style in name for style in _LETTER_STYLE) or not words[-1].isalpha():
        return None
    return words[-1].lower()


def _separator_flags() -> dict[str, list[list[int]]]:
    """Code-point ranges of the separator kinds used to decide whether a join is reported as evasive."""
    marked: list[int] = []
    paired: list[int] = []
    for cp in range(1, N_CODEPOINTS):
        if _char_class(cp) != CLASS_WEAK:
            continue
        category = unicodedata.category(chr(cp))
        if category in ("Ps", "Pe", "Pi", "Pf") or chr(cp) in "\"'":
            paired.append(cp)
        elif cp > 0x7F and (category[0] == "S" or category in ("Co", "Cn")):
            marked.append(cp)  # symbols, emoji, arrows, box drawing, private-use icons
    return {
        "marked_separators": _ranges(marked),
        "marked_alone_separators": _ranges(sorted(ord(c) for c in MARKED_ALONE)),
        "paired_punctuation": _ranges(paired),
    }


def _ranges(cps: list[int]) -> list[list[int]]:
    out: list[list[int]] = []
    for cp in cps:
        if out and out[-1][1] == cp:
            out[-1][1] = cp + 1
        else:
            out.append([cp, cp + 1])
    return out


def _collapse(text: str) -> str:
    """What the repeats rule makes of a string: runs of one Chinese character or of ``0`` keep their first."""
    return "".join(c for i, c in enumerate(text) if i == 0 or c != text[i - 1] or not (_is_cjk(ord(c)) or c == "0"))


def _spec_folds(entries) -> tuple[list[list[str]], list[str]]:
    """Folding entries as the normaliser meets them: after repeats collapse (拼夕夕 → 拼夕 folds to 拼多).

    An entry whose two sides no longer have the same length (扣扣 → qq) cannot be applied and is left out.
    """
    folds, dropped = [], []
    seen = set()
    for entry in entries:
        variant, canonical = _collapse(entry.variant), _collapse(entry.canonical)
        if len(variant) != len(canonical) or variant == canonical:
            dropped.append(entry.variant)
        elif variant not in seen:
            seen.add(variant)
            folds.append([variant, canonical])
    return folds, dropped


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
    folds, dropped = _spec_folds(load_folding_table(folding_path))
    return {
        "version": SPEC_VERSION,
        "unicode_version": unicodedata.unidata_version,
        "opencc_version": getattr(opencc, "__version__", "unknown"),
        "max_chars": max_chars,
        "char_map": char_map,
        "char_class": classes,
        "folds": folds,
        "folds_not_applicable": dropped,
        "numerals": NUMERALS,
        "styled_numerals": STYLED_NUMERALS,
        "measures": MEASURES,
        "ordinal_prefixes": ORDINAL_PREFIXES,
        "number_links": NUMBER_LINKS,
        "ordinary_repeats": ORDINARY_REPEATS,
        **_separator_flags_cached(),
    }


@functools.lru_cache(maxsize=1)
def _separator_flags_cached() -> dict[str, list[list[int]]]:
    return _separator_flags()


@functools.lru_cache(maxsize=2)
def default_tables():
    """Tables from the repository's own data (for training and tests; serving reads them from the manifest)."""
    from mlmrisk.classifier.normalize import NormalizerTables

    return NormalizerTables.from_spec(build_normalization_spec())
