"""Evasive rewrites of real posts, for EVALUATION: how much recall survives when a promoter disguises a post?

Each perturbation is ``(text, rng) -> str`` and is deterministic given the state of ``rng``; ``perturb(text, kind,
seed)`` runs one with a fresh ``random.Random(seed)``. They mimic what keyword-filter users report promoters do
(docs/design_facts.md §6): traditional characters, separators between characters, homophones, full-width letters and zero-width
characters. ``homophones`` draws its variants from the folding table (``data/folding.tsv``) read backwards, so it
measures how well the normaliser undoes the spellings it knows; it is not a source of new evasions.

The evasion suite adds key-word families, the rewrites keyword-filter libraries (houbb/sensitive-word,
ToolGood.Words) anticipate: 1–3 pitch words of the post (``data/evasion_vocabulary.txt``, longest match first;
posts without one fall back to random 2–3-character spans of Chinese text) are spelled in pinyin (joined, spaced,
alternating with characters, initials), with repeated characters, with one noise symbol between characters, or
with emoji between characters; ``numbers`` rewrites numbers in other styles. ``select_key_spans`` is the first
draw of every key-word family, so ``select_key_spans(text, random.Random(seed))`` names the words that
``perturb(text, kind, seed)`` rewrote. ``EVASION_FAMILIES`` groups the kinds for reporting.

Use these on held-out real positives and negatives only; training on them would teach the model the rewrites and
the evaluation would stop measuring robustness.
"""

from __future__ import annotations

import functools
import random
import re
from collections.abc import Callable
from pathlib import Path

from mlmrisk.resources import data_path
from mlmrisk.training.folding import load_folding_table
from mlmrisk.training.normalization_spec import MEASURES, ORDINAL_PREFIXES

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


# --- evasion suite: key-word families ---------------------------------------------------------------------------

DEFAULT_VOCABULARY_PATH: Path = data_path("evasion_vocabulary.txt")
#: how many key words a key-word family rewrites (drawn uniformly, capped by what the post offers)
KEY_WORDS = (1, 3)
#: lengths of the fallback spans when a post holds no vocabulary word
FALLBACK_SPAN = (2, 3)
#: single noise symbols (``noise``): one per word, between every two of its characters
NOISE_SYMBOLS: tuple[str, ...] = ("Ⅹ", "x", "1", "ⓐ", "※", "·", "—")
#: emoji and enclosed ideographs (``emoji``) put between characters of a key word
EMOJI: tuple[str, ...] = ("🔥", "💰", "✨", "👉", "💎", "🚀", "⭐", "❤️", "🈲", "㊙", "🈶", "🉐", "㊗", "🈵")
EMOJI_RATE = 0.6
#: noise needs this many characters in a word: the normaliser drops a symbol only when the same one sits between
#: each of >= 3 Chinese characters (one 微x信 is indistinguishable from 3级 or A股)
NOISE_MIN_CHARS = 3


def _is_key_char(ch: str) -> bool:
    return _is_cjk(ch)


@functools.lru_cache(maxsize=4)
def load_vocabulary(path: str | Path | None = None) -> tuple[str, ...]:
    """Words of the evasion vocabulary (2–4 Chinese characters each, no duplicates), in file order."""
    path = Path(path) if path is not None else DEFAULT_VOCABULARY_PATH
    words: list[str] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        word = line.strip()
        if not word or word.startswith("#"):
            continue
        if not 2 <= len(word) <= 4 or not all(_is_cjk(ch) for ch in word):
            raise ValueError(f"{path}:{number}: {word!r} is not 2–4 Chinese characters")
        if word in words:
            raise ValueError(f"{path}:{number}: {word!r} is listed twice")
        words.append(word)
    return tuple(words)


def _vocabulary_spans(text: str, vocabulary: tuple[str, ...]) -> list[tuple[int, int]]:
    """Non-overlapping occurrences of vocabulary words, left to right, longest word first at each position."""
    by_length = sorted({len(w) for w in vocabulary}, reverse=True)
    words = set(vocabulary)
    spans: list[tuple[int, int]] = []
    i = 0
    while i < len(text):
        for length in by_length:
            if text[i : i + length] in words:
                spans.append((i, i + length))
                i += length
                break
        else:
            i += 1
    return spans


def _fallback_spans(text: str, rng: random.Random, count: int) -> list[tuple[int, int]]:
    """Up to ``count`` random non-overlapping spans of 2–3 consecutive Chinese characters."""
    runs: list[tuple[int, int]] = []
    i = 0
    while i < len(text):
        if _is_key_char(text[i]):
            j = i
            while j < len(text) and _is_key_char(text[j]):
                j += 1
            if j - i >= FALLBACK_SPAN[0]:
                runs.append((i, j))
            i = j
        else:
            i += 1
    spans: list[tuple[int, int]] = []
    for _ in range(4 * count):
        if len(spans) == count or not runs:
            break
        start, end = rng.choice(runs)
        length = min(rng.randint(*FALLBACK_SPAN), end - start)
        first = rng.randint(start, end - length)
        span = (first, first + length)
        if all(span[1] <= a or span[0] >= b for a, b in spans):
            spans.append(span)
    return sorted(spans)


def select_key_spans(text: str, rng: random.Random) -> list[tuple[int, int]]:
    """The 1–3 key words a key-word family rewrites, as sorted ``(start, end)`` spans of ``text``.

    Occurrences of ``data/evasion_vocabulary.txt`` words come first; a post with none gets random 2–3-character
    spans of Chinese text. Every key-word family calls this first with its fresh rng.
    """
    count = rng.randint(*KEY_WORDS)
    found = _vocabulary_spans(text, load_vocabulary())
    if found:
        return sorted(rng.sample(found, min(count, len(found))))
    return _fallback_spans(text, rng, count)


def _rewrite_spans(text: str, spans: list[tuple[int, int]], rewrite: Callable[[str], str]) -> str:
    out: list[str] = []
    last = 0
    for start, end in spans:
        out.append(text[last:start])
        out.append(rewrite(text[start:end]))
        last = end
    out.append(text[last:])
    return "".join(out)


def _is_ascii_alnum(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


def _rewrite_latin(text: str, spans: list[tuple[int, int]], rewrite: Callable[[str], str]) -> str:
    """Like ``_rewrite_spans`` for rewrites that may begin or end with Latin letters: a space keeps them apart
    from neighbouring ASCII letters or digits (QQ群 + weixin must not become one run ``qqweixin``)."""
    out: list[str] = []
    last = 0
    for start, end in spans:
        out.append(text[last:start])
        piece = rewrite(text[start:end])
        before = "".join(out)[-1:]
        if before and piece and _is_ascii_alnum(before) and _is_ascii_alnum(piece[0]):
            piece = " " + piece
        after = text[end : end + 1]
        if after and piece and _is_ascii_alnum(after) and _is_ascii_alnum(piece[-1]):
            piece = piece + " "
        out.append(piece)
        last = end
    out.append(text[last:])
    return "".join(out)


def _syllables(word: str) -> list[str]:
    from pypinyin import Style, lazy_pinyin

    return [s.lower() for s in lazy_pinyin(word, style=Style.NORMAL, errors="default", v_to_u=False)]


def _initials(word: str) -> list[str]:
    from pypinyin import Style, lazy_pinyin

    return [s.lower() for s in lazy_pinyin(word, style=Style.FIRST_LETTER, errors="default")]


def pinyin_full(text: str, rng: random.Random) -> str:
    """1–3 key words → joined toneless pinyin: 动态收益 → dongtaishouyi."""
    return _rewrite_latin(text, select_key_spans(text, rng), lambda w: "".join(_syllables(w)))


def pinyin_spaced(text: str, rng: random.Random) -> str:
    """1–3 key words → toneless pinyin, syllables separated by spaces: 发展下线 → fa zhan xia xian."""
    return _rewrite_latin(text, select_key_spans(text, rng), lambda w: " ".join(_syllables(w)))


def pinyin_mixed(text: str, rng: random.Random) -> str:
    """Alternate characters of 1–3 key words → pinyin (the 2nd, 4th… or the 1st, 3rd…): 发展下线 → 发zhan下xian."""
    spans = select_key_spans(text, rng)
    parities = [rng.randrange(2) for _ in spans]
    it = iter(parities)

    def mix(word: str) -> str:
        parity = next(it)
        syllables = _syllables(word)
        if len(syllables) != len(word):  # pypinyin keeps unknown runs whole; spell the word as it comes
            return "".join(syllables)
        return "".join(s if i % 2 == parity else ch for i, (ch, s) in enumerate(zip(word, syllables)))

    return _rewrite_latin(text, spans, mix)


def pinyin_initials(text: str, rng: random.Random) -> str:
    """1–3 key words → the initials of their syllables: 发展下线 → fzxx (the hardest to undo)."""
    return _rewrite_latin(text, select_key_spans(text, rng), lambda w: "".join(_initials(w)))


def pinyin_post(text: str, rng: random.Random) -> str:
    """The WHOLE post in toneless pinyin, one space between syllables; what is not Chinese stays as written:
    免费加入网赚联盟，升级VIP只要100元 → mian fei jia ru wang zhuan lian meng ，sheng ji VIP zhi yao 100 yuan.
    (A family the key-word kinds never produced; an independent review found the model kept 0 of 31 pitches so
    written: data/review_holdout/README.md.) ``rng`` is unused: the rewrite is deterministic."""
    from pypinyin import Style, lazy_pinyin

    pieces = lazy_pinyin(text, style=Style.NORMAL, errors="default", v_to_u=False)
    return " ".join(pieces)


#: letters put between characters by ``letter_noise`` (lowercase ASCII, as typed)
NOISE_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def letter_noise(text: str, rng: random.Random) -> str:
    """A random letter after every Chinese character of the WHOLE post (网e赚v新c项j目d): the letters differ, so
    no single symbol repeats the way ``noise`` writes it (the review set's random letters: 9 of 31 pitches kept
    before the normaliser's letter-noise rule)."""
    return "".join(ch + rng.choice(NOISE_LETTERS) if _is_cjk(ch) else ch for ch in text)


def repeats(text: str, rng: random.Random) -> str:
    """1–2 characters of each of 1–3 key words written 2–3 times: 发展下线 → 发展下下下线."""
    spans = select_key_spans(text, rng)
    plans = []
    for start, end in spans:
        positions = rng.sample(range(end - start), min(rng.randint(1, 2), end - start))
        plans.append({p: rng.randint(2, 3) for p in positions})
    it = iter(plans)

    def repeat(word: str) -> str:
        plan = next(it)
        return "".join(ch * plan.get(i, 1) for i, ch in enumerate(word))

    return _rewrite_spans(text, spans, repeat)


def _extend(text: str, span: tuple[int, int], minimum: int, taken: list[tuple[int, int]]) -> tuple[int, int]:
    """Grow a span over neighbouring Chinese characters (after first, then before) to ``minimum`` characters."""
    start, end = span
    while end - start < minimum:
        if end < len(text) and _is_key_char(text[end]) and all(end < a or end >= b for a, b in taken):
            end += 1
        elif start > 0 and _is_key_char(text[start - 1]) and all(start - 1 < a or start - 1 >= b for a, b in taken):
            start -= 1
        else:
            break
    return start, end


def noise(text: str, rng: random.Random) -> str:
    """One noise symbol (Ⅹ x 1 ⓐ ※ · —) between every two characters of 1–3 key words: 动态收益 → 动Ⅹ态Ⅹ收Ⅹ益.

    A two-character key word takes in a neighbouring Chinese character (加微信 → 加x微x信): a single symbol
    between two characters is what 3级 or A股 look like, so filters and the normaliser leave it alone.
    """
    spans: list[tuple[int, int]] = []
    chosen = select_key_spans(text, rng)
    for i, span in enumerate(chosen):
        others = spans + chosen[i + 1 :]
        spans.append(_extend(text, span, NOISE_MIN_CHARS, others))
    symbols = iter([rng.choice(NOISE_SYMBOLS) for _ in spans])
    return _rewrite_spans(text, spans, lambda w: next(symbols).join(w))


def emoji(text: str, rng: random.Random) -> str:
    """Emoji or enclosed ideographs in ~60% of the gaps (at least one) of 1–3 key words: 发展下线 → 发🔥展🈲下线."""
    spans = select_key_spans(text, rng)
    plans = []
    for start, end in spans:
        gaps = [g for g in range(1, end - start) if rng.random() < EMOJI_RATE] or [rng.randrange(1, end - start)]
        plans.append({g: rng.choice(EMOJI) for g in gaps})
    it = iter(plans)

    def decorate(word: str) -> str:
        plan = next(it)
        return "".join(plan.get(i, "") + ch for i, ch in enumerate(word))

    return _rewrite_spans(text, spans, decorate)


# --- evasion suite: number styles ------------------------------------------------------------------------------

_CHINESE_DIGITS = "零一二三四五六七八九"
_FINANCIAL_DIGITS = "零壹贰叁肆伍陆柒捌玖"
#: styles that spell each digit with one character wherever it stands (None: the style has no such digit)
DIGIT_STYLES: dict[str, tuple[str | None, ...]] = {
    "circled": ("⓪",) + tuple(chr(0x2460 + d - 1) for d in range(1, 10)),  # ⓪①②…⑨
    "parenthesized": (None,) + tuple(chr(0x2474 + d - 1) for d in range(1, 10)),  # ⑴…⑼
    "negative_circled": ("⓿",) + tuple(chr(0x2776 + d - 1) for d in range(1, 10)),  # ⓿❶…❾
    "parenthesized_ideograph": (None,) + tuple(chr(0x3220 + d - 1) for d in range(1, 10)),  # ㈠…㈨
}
#: styles read as a Chinese number (3 → 三, 25 → 二十五, 叁): the normaliser reads these as numbers only in a
#: number context (before a measure word, after 第), so they are used only there
READ_STYLES = ("chinese", "financial")
_NUMBER = re.compile(r"[0-9]+|[零〇一二三四五六七八九十百千两壹贰叁肆伍陆柒捌玖拾佰仟]+")
_CHINESE_VALUE = {ch: i for i, ch in enumerate(_CHINESE_DIGITS)} | {ch: i for i, ch in enumerate(_FINANCIAL_DIGITS)}
_CHINESE_VALUE |= {"〇": 0, "两": 2}
_CHINESE_UNIT = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}


def _read_chinese(numeral: str) -> int | None:
    """The value of a Chinese numeral (三, 二十五, 一百零八, 叁拾) or of a digit-by-digit one (一〇〇), else None."""
    if all(ch in _CHINESE_VALUE for ch in numeral):
        return int("".join(str(_CHINESE_VALUE[ch]) for ch in numeral))
    total, digit = 0, None
    for ch in numeral:
        if ch in _CHINESE_VALUE:
            digit = _CHINESE_VALUE[ch]
        elif ch in _CHINESE_UNIT:
            total += (1 if digit is None else digit) * _CHINESE_UNIT[ch]
            digit = None
        else:
            return None
    return total + (digit or 0)


def _say(value: int, digits: str, units: str) -> str:
    """``value`` (0–9999) read in Chinese with the given digit and 十百千 characters: 25 → 二十五, 108 → 一百零八."""
    if value == 0:
        return digits[0]
    out: list[str] = []
    zero = False
    for power, unit in ((1000, units[2]), (100, units[1]), (10, units[0]), (1, "")):
        d = value // power % 10
        if d == 0:
            zero = bool(out)
            continue
        if zero:
            out.append(digits[0])
            zero = False
        if not (power == 10 and d == 1 and not out):  # 十五, not 一十五
            out.append(digits[d])
        out.append(unit)
    return "".join(out)


def _styles_for(value: int, in_context: bool, digits: str) -> list[str]:
    styles = [name for name, table in DIGIT_STYLES.items() if all(table[int(d)] is not None for d in digits)]
    if in_context and value < 10000:
        styles += list(READ_STYLES)
    styles.append("ascii")
    return styles


def _spell(value: int, digits: str, style: str) -> str:
    if style == "ascii":
        return digits
    if style == "chinese":
        return _say(value, _CHINESE_DIGITS, "十百千")
    if style == "financial":
        return _say(value, _FINANCIAL_DIGITS, "拾佰仟")
    return "".join(DIGIT_STYLES[style][int(d)] for d in digits)  # type: ignore[misc]


def numbers(text: str, rng: random.Random) -> str:
    """Numbers in other styles: digits → ① ⑴ ❶ ㈠ or Chinese/financial numerals; 3级 ↔ 三级 ↔ 叁级; 第5代 → 第⑤代.

    Every ASCII digit run is rewritten; a Chinese numeral is rewritten only in a number context (a measure word
    follows, or 第 precedes), where it is a number and not a word (一起, 统一, 队伍). Numerals read as Chinese
    (三, 二十五, 叁) are written only in a number context too: elsewhere they would be words, not numbers.
    Styles never repeat the original's (3 → 3 is not drawn). Text without numbers is returned unchanged.
    """
    out: list[str] = []
    last = 0
    for match in _NUMBER.finditer(text):
        start, end = match.span()
        number = match.group()
        in_context = (end < len(text) and text[end] in MEASURES) or (start > 0 and text[start - 1] in ORDINAL_PREFIXES)
        if number.isascii():
            if len(number) > 1 and number[0] == "0":  # phone-like 0086…: digit styles only
                value, digits, in_context = int(number), number, False
            else:
                value, digits = int(number), number
            original = "ascii"
        else:
            if not in_context:
                continue
            value = _read_chinese(number)
            if value is None:
                continue
            digits = str(value)
            original = "financial" if any(ch in "壹贰叁肆伍陆柒捌玖拾佰仟" for ch in number) else "chinese"
        styles = [s for s in _styles_for(value, in_context, digits) if s != original]
        if not styles:
            continue
        out.append(text[last:start])
        out.append(_spell(value, digits, rng.choice(styles)))
        last = end
    out.append(text[last:])
    return "".join(out)


PERTURBATIONS: dict[str, Callable[[str, random.Random], str]] = {
    "traditional": traditional,
    "separators": separators,
    "homophones": homophones,
    "fullwidth_zero_width": fullwidth_zero_width,
    # evasion suite (docs/normalization_data.md §2)
    "pinyin_full": pinyin_full,
    "pinyin_spaced": pinyin_spaced,
    "pinyin_mixed": pinyin_mixed,
    "pinyin_initials": pinyin_initials,
    "pinyin_post": pinyin_post,
    "numbers": numbers,
    "repeats": repeats,
    "noise": noise,
    "letter_noise": letter_noise,
    "emoji": emoji,
}

#: Kinds grouped into the evasion families reports name; every kind of ``PERTURBATIONS`` is in exactly one.
EVASION_FAMILIES: dict[str, tuple[str, ...]] = {
    "pinyin": ("pinyin_full", "pinyin_spaced", "pinyin_mixed", "pinyin_initials", "pinyin_post"),
    "numbers": ("numbers",),
    "repeats": ("repeats",),
    "noise": ("noise", "letter_noise"),
    "emoji": ("emoji",),
    "traditional": ("traditional",),
    "separators": ("separators",),
    "homophones": ("homophones",),
    "fullwidth_zero_width": ("fullwidth_zero_width",),
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
