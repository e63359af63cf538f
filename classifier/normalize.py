"""Text normalisation against evasive spelling, over whole batches, with a map back to the original.

Why compiled: bulk scoring must keep up with a keyword automaton (hundreds of thousands of posts per second
per process), so normalisation cannot loop over characters in Python. A batch of posts is encoded once to UTF-32
and the rules below run as numba kernels (``classifier/_normalize_kernels.py``), each one walk over the flat
code-point array of the batch (the folding table too, from ``NormalizerTables.fold_index``). The vectorised numpy
passes the kernels replaced are kept as the test oracle (``tests/classifier/test_normalize_kernel.py``).

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
                   happened, rule 6 runs once more on the folded post (c销 → 传销 can leave a separator run or a noise
                   pattern next to it removable).

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

import functools
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from mlmrisk.classifier import compiled
from mlmrisk.classifier.phrases import PhraseMatcher

N_CODEPOINTS = 0x110000
SEPARATOR = 0  #: code placed after every post in the flat array
DROP = -1  #: ``char_map`` value of a character that is removed
SPACE = 0x20
NEWLINE = 0x0A
DIGIT_ZERO = 0x30  #: every digit style normalises to ASCII 0-9 (①, ８, ❽ …)

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
#: The bits of REPORTED_RULES: a post whose rules ``& REPORTED_RULE_MASK`` is 0 lists no rule in its record.
REPORTED_RULE_MASK = sum(RULE_BITS[name] for name in REPORTED_RULES)

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
#: letter noise (rule 6, ``noise``): a chain of single letters, each alone between two Chinese characters and one or two
#: Chinese characters after the last, is dropped when it holds at least ``LETTER_NOISE_MIXED`` letters, or
#: ``LETTER_NOISE_SAME`` of one letter (网e赚v新c项j目 → 网赚新项目; 打法o投资o风险o学费 → 打法投资风险学费). Shorter
#: chains are content (选了A选不上B, 买A加B即送C); on ~75k real posts the rule touched 3, anonymised names (黄X宣、黄X伟)
#: and placeholders (x号楼x单), and one evasive post (docs/normalization_data.md, "noise")
LETTER_NOISE_MIXED = 4
LETTER_NOISE_SAME = 3
#: code points under this are checked for letter noise at all (every Chinese character and CJK mark is above it)
LETTER_NOISE_BELOW = 0x2E80
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
        return cls(char_map, char_rule, char_class, folds, targets, int(spec["max_chars"]), digest, char_flags)


    @functools.cached_property
    def fold_index(self) -> tuple[np.ndarray, ...]:
        """The folding table as flat arrays for ``_normalize_kernels.apply_folds``.

        (heads, group_bounds, group_lengths, phrases, entries, targets): the length groups of
        ``folds`` (longest first) with their phrases sorted by first code point, then entry index, padded into one
        int64 matrix; ``targets[entry]`` is the canonical spelling. ``heads[c]`` has bit ``min(g, 7)`` set when a
        phrase of group ``g`` starts with code point ``c`` (zero: no phrase starts with it).
        """
        groups = self.folds.groups
        heads = np.zeros(N_CODEPOINTS, dtype=np.uint8)
        for g, group in enumerate(groups):
            heads[group.phrases[:, 0]] |= np.uint8(1 << min(g, 7))
        width = max([g.length for g in groups] + [len(t) for t in self.fold_targets] + [1])
        bounds, rows, entries = [0], [], []
        for group in groups:
            order = np.lexsort((group.entries, group.phrases[:, 0]))
            padded = np.zeros((order.size, width), dtype=np.int64)
            padded[:, : group.length] = group.phrases[order]
            rows.append(padded)
            entries.append(np.asarray(group.entries, dtype=np.int64)[order])
            bounds.append(bounds[-1] + order.size)
        targets = np.zeros((len(self.fold_targets), width), dtype=np.int64)
        for entry, target in enumerate(self.fold_targets):
            targets[entry, : target.size] = target
        return (heads,
                np.asarray(bounds, dtype=np.int64),
                np.asarray([g.length for g in groups], dtype=np.int64),
                np.concatenate(rows) if rows else np.zeros((0, width), dtype=np.int64),
                np.concatenate(entries) if entries else np.zeros(0, dtype=np.int64),
                targets)


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

    def content_chars(self) -> np.ndarray:
        """int64[N]: characters of each post other than separators, spaces and newlines (the denominator of
        ``FeatureSpec.latin_post_share``; the minimum-evidence rule counts ``evidence_chars``)."""
        content = (self.codes != SEPARATOR) & (self.codes != SPACE) & (self.codes != NEWLINE)
        return np.bincount(self.doc[content], minlength=self.n_docs)

    def evidence_chars(self) -> np.ndarray:
        """int64[N]: content characters that are not digits — what the minimum-evidence rule
        (``classifier.risk.MIN_CONTENT_CHARS``) counts. A number is not a word: 分红到账了8 is a five-character
        comment, and a digit must not carry it over the rule (the hot-path kernel counts the same way). Every
        number the normaliser folds to 0 stops counting, so a numeral in a number context too (发展三级下线 → 发展0级下线
        counts five); a numeral standing alone (八) is a character like any other."""
        content = (self.codes != SEPARATOR) & (self.codes != SPACE) & (self.codes != NEWLINE)
        content &= (self.codes < DIGIT_ZERO) | (self.codes > DIGIT_ZERO + 9)
        return np.bincount(self.doc[content], minlength=self.n_docs)

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


def normalize_batch(texts: Sequence[str], tables: NormalizerTables,
                    lengths: np.ndarray | None = None) -> NormalizedBatch:
    """Normalise a batch of strings (callers turn non-strings into errors before calling). ``lengths``: int64
    ``len`` of each text, when the caller has them (the scorer measures every batch to cut it into runs)."""
    n = len(texts)
    if n == 0:
        empty = np.zeros(0, dtype=np.int64)
        return NormalizedBatch(empty, empty, empty, np.zeros(1, dtype=np.int64), np.zeros(0, dtype=np.uint16))
    kernels = compiled.normalize_kernels()  # compiled ahead of time, or numba's on first use
    if lengths is None:
        lengths = np.fromiter(map(len, texts), dtype=np.int64, count=n)
    elif lengths.shape != (n,):
        raise ValueError(f"lengths holds {lengths.shape} values for {n} texts")
    rules = np.zeros(n, dtype=np.uint16)
    if lengths.max() > tables.max_chars:
        long = lengths > tables.max_chars
        rules[long] |= RULE_BITS["truncated"]
        texts = [t[: tables.max_chars] if too_long else t for t, too_long in zip(texts, long)]
        lengths = np.minimum(lengths, tables.max_chars)

    joined = "\x00".join(texts) + "\x00"
    raw = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    char_class, char_flags = tables.char_class, tables.char_flags
    codes, origin, doc = kernels.normalize_core(raw, lengths + 1, tables.char_map, tables.char_rule, char_class,
                                                char_flags, rules)
    ends = np.flatnonzero(codes == SEPARATOR) + 1
    (folded,) = kernels.apply_folds(codes, doc, *tables.fold_index, rules)
    if folded:
        codes, origin, doc, ends = _settle_folded(codes, origin, doc, ends, rules, tables, kernels)
    starts = np.zeros(n + 1, dtype=np.int64)
    starts[1:] = ends
    return NormalizedBatch(codes, origin, doc, starts, rules)


#: above this many folded posts in a batch, ``_settle_folded`` rebuilds the arrays with masks over the whole batch
#: instead of one slice per untouched stretch
_FEW_FOLDED = 64


def _settle_folded(codes: np.ndarray, origin: np.ndarray, doc: np.ndarray, ends: np.ndarray, rules: np.ndarray,
                   tables: NormalizerTables, kernels) -> tuple[np.ndarray, ...]:
    """The rest of the fold/clean fixed point, on the posts the first folding round changed only.

    Folds and cleaning can enable each other (rare), so a folded post is cleaned again and re-folded, a few rounds
    at most: a fold can turn ASCII into Chinese (c销 → 传销), making a separator run or a noise pattern next to it
    removable, or make a repeat (微薇信 → 微微信) whose collapse makes a noise pair (好a钱銭a多 → 好a钱a多 → 好钱多).
    A post no fold touched is already a fixed point of cleaning, so it is left as it is. Running the rounds over
    the whole batch, as before, re-walked every post of a batch whenever one post in it folded, which a real
    archive's 8,192-post chunk nearly always holds (~7 posts fold): a quarter of the time spent normalising a
    short post. It also chose between cleaning and only collapsing repeats by whether ANY fold of the batch
    changed a class, so a post could normalise differently beside another; every folded post is now cleaned.
    ``tests/classifier/test_normalize_kernel.py`` holds this to the numpy oracle and a post's result to be the
    same in any batch.
    """
    folded_post = (rules & RULE_BITS["folding"]) != 0
    touched = np.flatnonzero(folded_post)
    if not touched.size:
        return codes, origin, doc, ends
    sizes = np.diff(ends, prepend=0)
    firsts = ends - sizes
    # the positions of the folded posts, from their ranges (a mask over the whole batch, and its boolean indexing
    # when a folded post changed length, had cost ~15 ms per 8,192-post chunk holding ~3 folded posts)
    lengths = sizes[touched]
    at = np.arange(int(lengths.sum()), dtype=np.int64) + np.repeat(firsts[touched] - (np.cumsum(lengths) - lengths),
                                                                   lengths)
    sub_codes, sub_origin = codes[at], origin[at]
    sub_doc = np.repeat(np.arange(touched.size, dtype=np.int64), lengths)
    sub_rules = rules[touched]
    char_class, char_flags = tables.char_class, tables.char_flags
    for round_ in range(3):
        if round_:
            (folded,) = kernels.apply_folds(sub_codes, sub_doc, *tables.fold_index, sub_rules)
            if not folded:
                break
        sub_codes, sub_origin, sub_doc = kernels.clean(sub_codes, sub_origin, sub_doc, char_class, char_flags,
                                                       sub_rules)
    rules[touched] = sub_rules
    new_sizes = sizes.copy()
    new_sizes[touched] = np.diff(np.flatnonzero(sub_codes == SEPARATOR) + 1, prepend=0)
    if np.array_equal(new_sizes, sizes):  # no folded post changed length: their codes go back in place
        codes[at], origin[at] = sub_codes, sub_origin
        return codes, origin, doc, ends
    wholes, settled = (codes, origin, doc), (sub_codes, sub_origin, touched[sub_doc])
    if touched.size > _FEW_FOLDED:  # many folded posts (an evasive archive): two masks over the batch
        into = np.repeat(folded_post, new_sizes)
        keep = ~np.repeat(folded_post, sizes)
        out = tuple(np.empty(into.size, dtype=np.int64) for _ in range(3))
        for target, whole, part in zip(out, wholes, settled):
            target[~into], target[into] = whole[keep], part
        return (*out, np.cumsum(new_sizes))
    # few: the untouched stretches between folded posts as they were, each folded post from the settled arrays
    sub_ends = np.cumsum(new_sizes[touched])
    pieces: tuple[list[np.ndarray], ...] = ([], [], [])
    done = 0
    for j, t in enumerate(touched.tolist()):
        a, b = int(sub_ends[j] - new_sizes[t]), int(sub_ends[j])
        for out, whole, part in zip(pieces, wholes, settled):
            out += (whole[done : firsts[t]], part[a:b])
        done = ends[t]
    for out, whole in zip(pieces, wholes):
        out.append(whole[done:])
    out_codes, out_origin, out_doc = (np.concatenate(out) for out in pieces)
    return out_codes, out_origin, out_doc, np.cumsum(new_sizes)


def normalize_text(text: str, tables: NormalizerTables) -> tuple[str, list[int]]:
    """Normalise one string; returns the text and, per character, its index in the original."""
    batch = normalize_batch([text], tables)
    return batch.text(0), batch.origin[: batch.starts[1] - 1].tolist()
