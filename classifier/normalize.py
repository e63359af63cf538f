"""Text normalisation against evasive spelling, vectorised over whole batches, with a map back to the original.

Why vectorised: bulk scoring must keep up with a keyword automaton (hundreds of thousands of posts per second
per process), so normalisation cannot loop over characters in Python. A batch of posts is encoded once to UTF-32
and every rule below is a numpy table lookup, mask or run computation over the flat code-point array.

Rules, in order (each is one bit in ``NormalizedBatch.rules``; see ``RULES``):

1. ``invisible``   zero-width and format characters, variation selectors, control characters, lone surrogates:
                   dropped.
2. ``fullwidth``   Unicode NFKC of each single character (full-width ASCII, circled digits, compatibility forms).
3. ``case``        lower-casing.
4. ``traditional`` traditional → simplified, character by character (the table is built with OpenCC ``t2s``).
5. ``digits``      every ASCII digit becomes ``0``, so amounts and phone numbers generalise. Routine, so it is
                   not reported as an evasion (``REPORTED_RULES``).
6. ``separators``  a run of "weak" separators (spaces, punctuation, symbols, emoji) between two Chinese characters
                   is removed: ``发.展 下|线`` → ``发展下线``. Runs containing a sentence boundary (。！？!?；;… or a
                   line break) are kept. Remaining separator runs collapse to one space (or ``\\n`` for a
                   boundary); runs at the start or end of a post are removed.
7. ``folding``     phrases from the folding table (``data/folding.tsv``, e.g. 薇信 → 微信, 下綫 is already 下线 by
                   rule 4) are replaced by their canonical spelling. Every entry keeps its length. When a fold
                   happened, rule 6 runs once more (c.销 → c销 → 传销 leaves a joinable separator).

Spec version 2 adds (bits appended to ``RULES``): ``numbers``/``numerals`` (number styles and Chinese numerals
in a number context become ``0``, runs of ``0`` collapse), ``noise`` (the same letter/digit repeated between
Chinese characters is dropped) and ``repeats`` (runs of one Chinese character collapse). Reported rules are set
only when the change looks evasive; see docs/normalization_data.md §1b for the rules, their data and figures.

Every kept character keeps the index of the original code point it came from (``NormalizedBatch.origin``), and
no rule changes lengths other than by dropping characters, so an n-gram at normalised positions [i, i+n) maps to
the original slice ``[origin[i], origin[i+n-1] + 1)`` — the evidence offsets a reviewer highlights.

The character tables are data, not code: ``NormalizerTables.from_spec`` builds them from a JSON-able spec that
training writes into the model manifest, so serving normalises exactly as training did without OpenCC or the
repository's ``data/`` folder. The spec is built by ``training/normalization_spec.py``.

Texts longer than ``max_chars`` code points are truncated (rule ``truncated``): a linear n-gram model has seen
enough of a post after that many characters, and it bounds memory per batch.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from mlmrisk.classifier.phrases import PhraseMatcher

N_CODEPOINTS = 0x110000
SEPARATOR = 0  #: code placed after every post in the flat array
DROP = -1  #: ``char_map`` value of a character that is removed
SPACE = 0x20
NEWLINE = 0x0A

CLASS_CONTENT, CLASS_CJK, CLASS_WEAK, CLASS_STRONG, CLASS_POST_END = 0, 1, 2, 3, 4

RULES: tuple[str, ...] = (
    "invisible",
    "fullwidth",
    "case",
    "traditional",
    "digits",
    "separators",
    "folding",
    "truncated",
    # spec version 2 (appended, so the bits above keep their meaning)
    "repeats",
    "numbers",
    "noise",
    "numerals",
)
RULE_BITS: dict[str, int] = {name: 1 << i for i, name in enumerate(RULES)}
#: Rules listed in results. ``digits``, ``case`` and ``numerals`` fire on ordinary text and say nothing about
#: evasion. The reported rules set their bit only when the change looks evasive (see the module docstring).
REPORTED_RULES: tuple[str, ...] = tuple(r for r in RULES if r not in ("digits", "case", "numerals"))

SPEC_VERSION = 2

#: ``char_flags`` bits (per code point, AFTER the character map), built from lists in the spec.
FLAG_MEASURE = 1  #: a measure word / classifier after which a Chinese numeral is a number (三级, 两人)
FLAG_NUMERAL = 2  #: a Chinese numeral folded to ``0`` in a number context (一二三…十百千两)
FLAG_STYLED = 4  #: a numeral whose folding is reported as evasive (肆伍陆拾: financial forms)
FLAG_ORDINAL = 8  #: a prefix that makes the following numerals a number (第)
FLAG_MARKED = 16  #: a separator that ordinary typing does not put between Chinese characters (symbols, emoji)
FLAG_MARKED_ALONE = 32  #: marked only when it is a whole separator run by itself (发.展, but not 好...吧)
FLAG_PAIRED = 64  #: brackets and quotes: [汗][汗][汗] is not an alternating evasion
FLAG_ORDINARY_REPEAT = 128  #: interjections whose long runs (哈哈哈) are not reported as ``repeats``
FLAG_NUMBER_LINK = 256  #: a word between two numbers (3至5, 4比3, 第一第二): the digits are not noise
ZERO = 0x30
#: joins across marked separators (emoji, symbols, a lone * | _) a post needs before ``separators`` is reported
MIN_MARKED_JOINS = 2


def rule_names(bits: int, reported_only: bool = True) -> list[str]:
    """Names of the rules set in ``bits`` (by default only those worth showing a reviewer)."""
    names = REPORTED_RULES if reported_only else RULES
    return [name for name in names if bits & RULE_BITS[name]]


@dataclass(frozen=True)
class NormalizerTables:
    """Lookup tables of the normaliser, built once per model from its spec."""

    char_map: np.ndarray  # int32[N_CODEPOINTS]: target code point, or DROP
    char_rule: np.ndarray  # uint16[N_CODEPOINTS]: rule bits a character sets when it is mapped or dropped
    char_class: np.ndarray  # uint8[N_CODEPOINTS]: class of a character AFTER mapping
    folds: PhraseMatcher
    fold_targets: tuple[np.ndarray, ...]
    max_chars: int
    spec_sha256: str = field(default="")
    #: per folding entry: does it change the class of a character (c销 → 传销 turns ASCII into Chinese)?
    fold_reclasses: tuple[bool, ...] = field(default=())
    char_flags: np.ndarray = field(default_factory=lambda: np.zeros(N_CODEPOINTS, dtype=np.uint16))

    @classmethod
    def from_spec(cls, spec: Mapping) -> "NormalizerTables":
        """Build the tables from a spec dict (see ``training/normalization_spec.py`` for its fields)."""
        if spec.get("version") != SPEC_VERSION:
            raise ValueError(
                f"normaliser spec version {spec.get('version')!r} is not supported (expected {SPEC_VERSION}); "
                "rebuild the model with this version of mlmrisk"
            )
        char_map = np.arange(N_CODEPOINTS, dtype=np.int32)
        char_rule = np.zeros(N_CODEPOINTS, dtype=np.uint16)
        src = np.asarray(spec["char_map"]["source"], dtype=np.int64)
        char_map[src] = np.asarray(spec["char_map"]["target"], dtype=np.int32)
        char_rule[src] = np.asarray(spec["char_map"]["rules"], dtype=np.uint16)
        char_map[SEPARATOR] = DROP  # a NUL inside a post is dropped; post ends are placed explicitly
        char_rule[SEPARATOR] = RULE_BITS["invisible"]
        char_class = np.zeros(N_CODEPOINTS, dtype=np.uint8)
        for start, end, klass in spec["char_class"]:
            char_class[start:end] = klass
        char_class[SEPARATOR] = CLASS_POST_END

        char_flags = np.zeros(N_CODEPOINTS, dtype=np.uint16)
        for key, flag in (("measures", FLAG_MEASURE), ("numerals", FLAG_NUMERAL), ("styled_numerals", FLAG_STYLED),
                          ("ordinal_prefixes", FLAG_ORDINAL), ("ordinary_repeats", FLAG_ORDINARY_REPEAT),
                          ("number_links", FLAG_NUMBER_LINK)):
            chars = [ord(c) for c in spec[key]]
            char_flags[chars] |= flag
        char_flags[[ord(c) for c in spec["styled_numerals"]]] |= FLAG_NUMERAL
        for key, flag in (("marked_separators", FLAG_MARKED), ("marked_alone_separators", FLAG_MARKED_ALONE),
                          ("paired_punctuation", FLAG_PAIRED)):
            for start, end in spec[key]:
                char_flags[start:end] |= flag
        char_flags[SEPARATOR] = 0

        for variant, canonical in spec["folds"]:
            if len(variant) != len(canonical) or not variant:
                raise ValueError(f"folding entry {variant!r} → {canonical!r} must keep its length")
        folds = PhraseMatcher.build([[ord(c) for c in v] for v, _ in spec["folds"]])
        targets = tuple(np.array([ord(c) for c in c_], dtype=np.int64) for _, c_ in spec["folds"])
        digest = hashlib.sha256(json.dumps(spec, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
        reclasses = tuple(bool((char_class[[ord(c) for c in v]] != char_class[[ord(c) for c in c_]]).any())
                          for v, c_ in spec["folds"])
        return cls(char_map, char_rule, char_class, folds, targets, int(spec["max_chars"]), digest, reclasses,
                   char_flags)


@dataclass(frozen=True)
class NormalizedBatch:
    """A batch of normalised posts as one flat array, ready for the n-gram graph.

    ``codes[starts[i]:starts[i+1]-1]`` is post ``i``; ``codes[starts[i+1]-1]`` is its ``SEPARATOR``.
    ``origin[k]`` is the index, in the ORIGINAL string of its post, of the code point that ``codes[k]`` came from
    (-1 for separators). ``doc[k]`` is the post index of position ``k``.
    """

    codes: np.ndarray  # int64[T]
    origin: np.ndarray  # int64[T]
    doc: np.ndarray  # int64[T]
    starts: np.ndarray  # int64[N+1]
    rules: np.ndarray  # uint16[N]

    @property
    def n_docs(self) -> int:
        return len(self.starts) - 1

    def text(self, i: int) -> str:
        """The normalised text of post ``i``."""
        chunk = self.codes[self.starts[i] : self.starts[i + 1] - 1]
        return chunk.astype(np.uint32).tobytes().decode("utf-32-le", "surrogatepass")

    def select(self, rows: Sequence[int]) -> "NormalizedBatch":
        """A batch of only the given posts (in the given order), e.g. the flagged ones that need evidence."""
        rows = np.asarray(rows, dtype=np.int64)
        take = self.positions(rows)
        lengths = self.starts[rows + 1] - self.starts[rows]
        starts = np.zeros(rows.size + 1, dtype=np.int64)
        starts[1:] = np.cumsum(lengths)
        doc = np.repeat(np.arange(rows.size, dtype=np.int64), lengths)
        return NormalizedBatch(self.codes[take], self.origin[take], doc, starts, self.rules[rows])

    def positions(self, rows: Sequence[int]) -> np.ndarray:
        """Flat code positions of the given posts (each with its end separator), in the given order."""
        rows = np.asarray(rows, dtype=np.int64)
        lengths = self.starts[rows + 1] - self.starts[rows]
        if lengths.size == 0:
            return np.zeros(0, dtype=np.int64)
        # arange per post without a Python loop: global index minus the post's offset in the output, plus its start
        offsets = np.cumsum(lengths) - lengths
        return np.arange(int(lengths.sum()), dtype=np.int64) + np.repeat(self.starts[rows] - offsets, lengths)

    def original_spans(self, posts: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Original ``[start, end)`` offsets of spans given as normalised ``[starts, ends)`` of ``posts`` (arrays)."""
        base = self.starts[np.asarray(posts, dtype=np.int64)]
        lows = self.origin[base + np.asarray(starts, dtype=np.int64)]
        highs = self.origin[base + np.asarray(ends, dtype=np.int64) - 1] + 1
        return lows, highs


def normalize_batch(texts: Sequence[str], tables: NormalizerTables) -> NormalizedBatch:
    """Normalise a batch of strings (callers turn non-strings into errors before calling)."""
    n = len(texts)
    if n == 0:
        empty = np.zeros(0, dtype=np.int64)
        return NormalizedBatch(empty, empty, empty, np.zeros(1, dtype=np.int64), np.zeros(0, dtype=np.uint16))
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=n)
    rules = np.zeros(n, dtype=np.uint16)
    if lengths.max() > tables.max_chars:
        long = lengths > tables.max_chars
        rules[long] |= RULE_BITS["truncated"]
        texts = [t[: tables.max_chars] if too_long else t for t, too_long in zip(texts, long)]
        lengths = np.minimum(lengths, tables.max_chars)

    joined = "\x00".join(texts) + "\x00"
    raw = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    spans = lengths + 1
    ends = np.cumsum(spans)
    post_end = ends - 1
    doc_raw = np.repeat(np.arange(n, dtype=np.int64), spans)
    within = np.arange(raw.size, dtype=np.int64) - np.repeat(ends - spans, spans)

    mapped = tables.char_map[raw]
    mapped[post_end] = SEPARATOR
    rule_raw = tables.char_rule[raw]
    rule_raw[post_end] = 0
    invisible = RULE_BITS["invisible"]
    changed = np.flatnonzero(rule_raw & ~np.uint16(invisible))
    if changed.size:
        np.bitwise_or.at(rules, doc_raw[changed], rule_raw[changed] & ~np.uint16(invisible))

    keep = np.flatnonzero(mapped != DROP)
    _report_invisible(mapped, keep, doc_raw, tables.char_class, rules)
    codes = mapped[keep].astype(np.int64)
    origin = within[keep]
    doc = doc_raw[keep]
    origin[codes == SEPARATOR] = -1

    _fold_numerals(codes, doc, tables, rules)
    codes, origin, doc = _clean(codes, origin, doc, tables, rules)
    for _ in range(3):  # folds and cleaning can enable each other (rare): a few rounds reach a fixed point
        folded, reclassed = _apply_folds(codes, doc, tables, rules)
        if not folded:
            break
        if reclassed:
            # A fold can turn ASCII into Chinese (c销 → 传销), making a separator run or a noise pattern next to it
            # removable. Only such folds need the second pass: with every class unchanged, the pass would change
            # nothing (its output is already a fixed point), and it is the most expensive step of normalisation.
            codes, origin, doc = _clean(codes, origin, doc, tables, rules)
        else:  # a canonical spelling next to the same character makes a new repeat (微薇信 → 微微信)
            codes, origin, doc = _collapse_repeats(codes, origin, doc, tables, rules)
    starts = np.zeros(n + 1, dtype=np.int64)
    starts[1:] = np.flatnonzero(codes == SEPARATOR) + 1
    return NormalizedBatch(codes, origin, doc, starts, rules)


def _clean(codes: np.ndarray, origin: np.ndarray, doc: np.ndarray, tables: "NormalizerTables", rules: np.ndarray
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Separators, repeats and noise, until none of them changes anything (a few rounds at most).

    Numerals are folded again after separators are removed: 三🔥级 joins into 三级, which must read as 0级 like
    三级 does.
    """
    codes, origin, doc = _handle_separators(codes, origin, doc, tables, rules)
    _fold_numerals(codes, doc, tables, rules)
    codes, origin, doc = _collapse_repeats(codes, origin, doc, tables, rules)
    for _ in range(3):  # dropping noise can make new repeats and vice versa (rare): a few rounds reach a fixpoint
        dropped = _drop_noise(codes, doc, tables, rules)
        if dropped is None:
            break
        codes, origin, doc = codes[dropped], origin[dropped], doc[dropped]
        codes, origin, doc = _collapse_repeats(codes, origin, doc, tables, rules)
    return codes, origin, doc


def _is_text(klass: np.ndarray) -> np.ndarray:
    return (klass == CLASS_CJK) | (klass == CLASS_CONTENT)


def _report_invisible(mapped: np.ndarray, keep: np.ndarray, doc_raw: np.ndarray, char_class: np.ndarray,
                      rules: np.ndarray) -> None:
    """Report ``invisible`` only for a dropped character BETWEEN two letters/digits/Chinese characters (发\u200b展).

    Weibo appends U+200B after posts and emoji carry variation selectors (❤\ufe0f): dropping those is routine.
    """
    dropped = np.flatnonzero(mapped == DROP)
    if dropped.size == 0:
        return
    j = np.searchsorted(keep, dropped)  # the kept character after the dropped one (a post end is always kept)
    has_prev = j > 0
    dropped, j = dropped[has_prev], j[has_prev]
    prev, nxt = keep[j - 1], keep[j]
    inside = (_is_text(char_class[mapped[prev]]) & _is_text(char_class[mapped[nxt]])
              & (doc_raw[prev] == doc_raw[dropped]))
    if inside.any():
        np.bitwise_or.at(rules, doc_raw[dropped[inside]], RULE_BITS["invisible"])


def _fold_numerals(codes: np.ndarray, doc: np.ndarray, tables: NormalizerTables, rules: np.ndarray) -> None:
    """Chinese numerals become ``0`` in a number context, in place: 三级 → 0级, 第五代 → 第0代, 一百元 → 000元.

    A run of numerals and digits is a number when a measure word follows it or an ordinal prefix (第) precedes
    it; 一起, 一定, 统一 are left alone. Financial forms that are also words (肆伍陆拾) are handled here too.
    """
    flags = tables.char_flags[codes]
    numberish = ((flags & FLAG_NUMERAL) != 0) | (codes == ZERO)
    positions = np.flatnonzero(numberish)
    if positions.size == 0 or not (flags[positions] & FLAG_NUMERAL).any():
        return
    first = np.ones(positions.size, dtype=bool)
    first[1:] = positions[1:] != positions[:-1] + 1
    run_id = np.cumsum(first) - 1
    run_first = positions[first]
    last = np.ones(positions.size, dtype=bool)
    last[:-1] = first[1:]
    run_last = positions[last]
    before = np.where(run_first > 0, flags[np.maximum(run_first - 1, 0)], 0)
    number = ((flags[run_last + 1] & FLAG_MEASURE) != 0) | ((before & FLAG_ORDINAL) != 0)
    fold = positions[number[run_id] & ((flags[positions] & FLAG_NUMERAL) != 0)]
    if fold.size == 0:
        return
    codes[fold] = ZERO
    np.bitwise_or.at(rules, doc[fold], RULE_BITS["numerals"])
    styled = fold[(flags[fold] & FLAG_STYLED) != 0]
    if styled.size:
        np.bitwise_or.at(rules, doc[styled], RULE_BITS["numbers"])


def _collapse_repeats(
    codes: np.ndarray, origin: np.ndarray, doc: np.ndarray, tables: NormalizerTables, rules: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Keep only the first of a run of identical Chinese characters (下下下线 → 下线) or of ``0`` digits (000 → 0).

    ``repeats`` is reported for a run of 3 or more, typed as one, of a character that is not an interjection, with
    Chinese characters on both sides (发展下下下线). 哈哈哈 and a standalone 差差差 are routine; a double such as
    谢谢 or 拉拉 cannot be told from ordinary reduplication and is folded silently.
    ``0`` runs are the routine ``numerals`` rule.
    """
    same = np.zeros(codes.size, dtype=bool)
    same[1:] = codes[1:] == codes[:-1]
    klass = tables.char_class[codes]
    cjk_repeat = same & (klass == CLASS_CJK)
    zero_repeat = same & (codes == ZERO)
    drop = cjk_repeat | zero_repeat
    if not drop.any():
        return codes, origin, doc
    if zero_repeat.any():
        np.bitwise_or.at(rules, doc[zero_repeat], RULE_BITS["numerals"])
    third = np.zeros(codes.size, dtype=bool)
    # only runs typed as one (下下下): [汗][汗][汗] is three Weibo emoticons joined by the separator rule
    third[2:] = cjk_repeat[2:] & cjk_repeat[1:-1] & (origin[2:] - origin[:-2] == 2)
    third &= (tables.char_flags[codes] & FLAG_ORDINARY_REPEAT) == 0
    if third.any():
        # and only inside a word (发展下下下线): 差差差 and 买买买 on their own are emphasis
        index = np.arange(codes.size)
        head = np.maximum.accumulate(np.where(cjk_repeat, 0, index))
        ends_run = np.ones(codes.size, dtype=bool)
        ends_run[:-1] = ~cjk_repeat[1:]
        tail = np.minimum.accumulate(np.where(ends_run, index, codes.size - 1)[::-1])[::-1]
        cjk = klass == CLASS_CJK
        third &= (head > 0) & cjk[np.maximum(head - 1, 0)] & cjk[np.minimum(tail + 1, codes.size - 1)]
    if third.any():
        np.bitwise_or.at(rules, doc[third], RULE_BITS["repeats"])
    keep = ~drop
    return codes[keep], origin[keep], doc[keep]


def _drop_noise(codes: np.ndarray, doc: np.ndarray, tables: NormalizerTables, rules: np.ndarray) -> np.ndarray | None:
    """Mask of positions to keep after dropping a noise character repeated between Chinese characters.

    动x态x收x益 → 动态收益: the same single non-Chinese letter/digit between each of ≥3 consecutive Chinese
    characters. One occurrence (3级, A股, K线) is content and stays. Digits are numbers, not noise, when a link
    word sits between them (3至5岁, 4比3, 第一第二: ``number_links`` in the spec) or when every digit of the chain
    is followed by a measure word (1月1日, 3人3天). Returns None when nothing is dropped.
    """
    if codes.size < 5:
        return None
    klass = tables.char_class[codes]
    cjk = klass == CLASS_CJK
    candidate = np.zeros(codes.size, dtype=bool)
    candidate[1:-1] = (klass[1:-1] == CLASS_CONTENT) & cjk[:-2] & cjk[2:]
    if candidate.sum() < 2:
        return None
    pair = np.zeros(codes.size, dtype=bool)  # candidate i and i+2 hold the same character
    pair[:-2] = candidate[:-2] & candidate[2:] & (codes[:-2] == codes[2:])
    if not pair.any():
        return None
    at = np.flatnonzero(pair)
    linked = (codes[at] == ZERO) & ((tables.char_flags[codes[at + 1]] & FLAG_NUMBER_LINK) != 0)
    pair[at[linked]] = False
    if not pair.any():
        return None
    member = pair.copy()
    member[2:] |= pair[:-2]
    # Chains: runs of members at stride 2. A chain of digits that all precede a measure word is kept.
    positions = np.flatnonzero(member)
    first = np.ones(positions.size, dtype=bool)
    first[1:] = ~pair[positions[:-1]] | (positions[1:] != positions[:-1] + 2)
    chain = np.cumsum(first) - 1
    counted = (codes[positions] == ZERO) & ((tables.char_flags[codes[positions + 1]] & FLAG_MEASURE) != 0)
    numbers = np.bincount(chain, weights=counted) == np.bincount(chain)
    drop = positions[~numbers[chain]]
    if drop.size == 0:
        return None
    np.bitwise_or.at(rules, doc[drop], RULE_BITS["noise"])
    keep = np.ones(codes.size, dtype=bool)
    keep[drop] = False
    return keep


def _handle_separators(
    codes: np.ndarray, origin: np.ndarray, doc: np.ndarray, tables: NormalizerTables, rules: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Join Chinese characters split by weak separators; collapse or trim the other separator runs.

    Works on the separator positions only (a fraction of the text): each run of separators is located between
    the content characters around it with one ``searchsorted``.

    ``separators`` is reported only when a join looks evasive: the run holds a marked separator (a symbol or
    emoji, or a lone ``.``/``*``/``|``/``_``), or a single Chinese character is joined on both sides by the same
    one-character separator (发 展 下 — two joins in one alternating run; not 闹,说:妈, not brackets: [汗][汗]).
    """
    char_class = tables.char_class
    klass = char_class[codes]
    sepish = klass >= CLASS_WEAK
    seps = np.flatnonzero(sepish)
    content = np.flatnonzero(~sepish)
    if seps.size == 0:
        return codes, origin, doc
    sep_class = klass[seps]
    # Runs: maximal stretches of consecutive separator positions.
    run_start = np.ones(seps.size, dtype=bool)
    run_start[1:] = seps[1:] != seps[:-1] + 1
    run_id = np.cumsum(run_start) - 1
    strong = np.bincount(run_id, weights=sep_class >= CLASS_STRONG) > 0
    j = np.searchsorted(content, seps)
    has_prev = j > 0
    has_next = j < content.size
    prev = content[np.where(has_prev, j - 1, 0)] if content.size else np.zeros_like(seps)
    nxt = content[np.where(has_next, j, 0)] if content.size else np.zeros_like(seps)
    own_doc = doc[seps]
    inner = sep_class != CLASS_POST_END
    run_strong = strong[run_id]
    leading = ~has_prev | (doc[prev] != own_doc)
    trailing = ~has_next | (doc[nxt] != own_doc)
    joining = (inner & ~run_strong & has_prev & has_next & (klass[prev] == CLASS_CJK)
               & (klass[nxt] == CLASS_CJK) & ~leading & ~trailing)
    if joining.any():
        _report_joins(codes, seps, run_start, run_id, joining, tables.char_flags, own_doc, rules)
    first_in_run = run_start | (klass[seps - 1] == CLASS_POST_END)
    drop = inner & (joining | leading | trailing | ~first_in_run)
    collapse = inner & ~drop
    codes = codes.copy()
    codes[seps[collapse]] = np.where(run_strong[collapse], NEWLINE, SPACE)
    keep = np.ones(codes.size, dtype=bool)
    keep[seps[drop]] = False
    return codes[keep], origin[keep], doc[keep]


def _report_joins(codes: np.ndarray, seps: np.ndarray, run_start: np.ndarray, run_id: np.ndarray,
                  joining: np.ndarray, char_flags: np.ndarray, own_doc: np.ndarray, rules: np.ndarray) -> None:
    """Set ``separators`` for posts where a join looks evasive (see ``_handle_separators``)."""
    flags = char_flags[codes[seps]]
    n_runs = int(run_id[-1]) + 1
    run_len = np.bincount(run_id, minlength=n_runs)
    marked = np.bincount(run_id, weights=(flags & FLAG_MARKED) != 0, minlength=n_runs) > 0
    alone = np.bincount(run_id, weights=(flags & FLAG_MARKED_ALONE) != 0, minlength=n_runs) > 0
    paired = np.bincount(run_id, weights=(flags & FLAG_PAIRED) != 0, minlength=n_runs) > 0
    run_joins = np.bincount(run_id, weights=joining, minlength=n_runs) > 0
    evasive = run_joins & (marked | (alone & (run_len == 1)))
    # Alternation: a Chinese character with a joined (unbracketed) run right before AND right after it.
    plain = run_joins & ~paired & (run_len == 1)
    first_pos = seps[run_start]
    last_pos = np.zeros(n_runs, dtype=np.int64)
    last_pos[run_id] = seps  # the last write per run wins: its last position
    joined_left = np.zeros(codes.size + 1, dtype=bool)
    joined_right = np.zeros(codes.size + 1, dtype=bool)
    joined_left[last_pos[plain] + 1] = True  # the character after a run is joined on its left
    joined_right[first_pos[plain] - 1] = True
    sandwiched = joined_left & joined_right
    sandwiched[1:-2] &= codes[:-2] == codes[2:]  # the same separator on both sides (发.展.下, not 闹,说:妈)
    sandwiched[[0, -2, -1]] = False
    run_doc = own_doc[run_start]
    if evasive.any():
        # one emoji between two Chinese characters is ordinary decoration (about 5% of Weibo posts); an evasion
        # inserts several
        count = np.bincount(run_doc[evasive], minlength=rules.size)
        np.bitwise_or.at(rules, np.flatnonzero(count >= MIN_MARKED_JOINS), RULE_BITS["separators"])
    if sandwiched.any():
        # every sandwiched character is the character after some plain run: report that run's post
        hit = sandwiched[last_pos + 1] & plain
        np.bitwise_or.at(rules, run_doc[hit], RULE_BITS["separators"])


def _apply_folds(
    codes: np.ndarray, doc: np.ndarray, tables: NormalizerTables, rules: np.ndarray
) -> tuple[bool, bool]:
    """Replace folding-table variants in place, longest entries first.

    Returns (any replacement, a replacement changed the class of a character: separators must be handled again).
    """
    folded = reclassed = False
    candidates = tables.folds.candidates(codes)  # one scan for all lengths; most posts have no candidate
    for group in tables.folds.groups:
        if candidates.size == 0:
            break
        matches = tables.folds.find(codes, group, candidates)
        for position, entry in matches:
            codes[position : position + group.length] = tables.fold_targets[entry]
            rules[doc[position]] |= RULE_BITS["folding"]
            reclassed = reclassed or tables.fold_reclasses[entry]
            folded = True
        if matches:  # a replacement may create or remove phrase-starting characters
            candidates = tables.folds.candidates(codes)
    return folded, reclassed


def normalize_text(text: str, tables: NormalizerTables) -> tuple[str, list[int]]:
    """Normalise one string; returns the text and, per character, its index in the original."""
    batch = normalize_batch([text], tables)
    return batch.text(0), batch.origin[: batch.starts[1] - 1].tolist()
