"""Hashed n-grams, passages and TF-IDF: the one home of the feature math, shared by training and serving.

**Grams.** For a normalised post with code points c_0 … c_{L-1}, two channels of n-grams are hashed into one
space of ``n_buckets`` = 2^``bucket_bits`` buckets:

- characters: every n-gram of order n ∈ ``char_orders`` (1–4) that does not cross a post end;
- syllables (``classifier.pinyin``): every run of n ∈ ``pinyin_orders`` adjacent syllable events; a syllable id
  s is hashed as the symbol ``SYLLABLE_BASE + s``, above every Unicode code point, so the channels never share a
  symbol.

With all arithmetic on unsigned 64-bit integers, wrapping (multiplicative hashing, no division anywhere: a
modulo per n-gram cost more than the rest of the hashing):

    h_1 = x_0 · K1,   h_n = (h_{n-1} · K2) XOR (x_{n-1} · K1)
    bucket = (((h_n XOR (h_n >> 31)) · K3 + salt[channel, n]) >> (64 − bucket_bits)

The top bits of a multiplicative hash are its best mixed bits, so the bucket is taken from them. A gram occupies
the character positions [start, end) of the flat batch (a syllable gram: from its first event's start to its
last event's end).

**Passages.** A post of at most ``window`` characters is one passage. A longer post is cut into passages of
``window`` characters at offsets 0, w, 2w, … and again at w/2, 3w/2, … (two overlapping tilings), and each gram
belongs to every passage that CONTAINS it. The post's score is the best passage's score, so a pitch embedded in
a long article is not diluted by the article (padding is no longer an evasion), while a post that fits one
passage is scored whole.

**Sentence passages** (``sentence_min_chars`` > 0, feature spec version 4). The normaliser turns every run of
separators holding a sentence boundary (。！？!?；;… or a line break) into one ``\n``. In a post longer than
``window`` with at least one boundary, every sentence (a maximal run between boundaries) with at least
``sentence_min_chars`` content characters is a passage too, numbered after the post's other passages, holding the
grams that lie wholly inside it. A one-line pitch pasted into a long post then has a passage of its own instead of sharing a 64-character
window with the ordinary text around it, while a short text still meets the length prior (the ``min_norm``
floor) as the whole post does. A post that fits one window is still scored whole: there a sentence alone would
lose the context that makes an ordinary post ordinary (不设推荐奖 in the next sentence), and sentence passages on
every post cost ranking on held-out chat channels (docs/training.md, "Sentence passages"). The discussion guard
keeps reading the whole post (``classifier.discussion``). ``sentence_discount`` δ ≥ 0 is taken off a sentence
passage's MLM decision value before the max (s_q − δ, element heads untouched): a sentence alone has lost the
context that tells a warning or a news report from a pitch, so it must be clearly a pitch to decide the post.

**Weights.** A head scores a passage q as

    s_q = (Σ_{g ∈ q} idf_g · β_g) / max(min_norm, sqrt(Σ_{g ∈ q} idf_g²)) + b          (sums over occurrences)
    idf_g = ln((1 + n) / (1 + df_g)) + 1                                                  (scikit-learn's smoothed idf)

and the post's logit is max_q (s_q − δ_q), δ_q the sentence discount of a sentence passage, else 0. The norm is over n-gram *occurrences* (a plain sum the graph computes in
one scatter-add). ``min_norm`` is the length prior: a text too short to reach it is scored as if padded with
neutral text, so one heavy n-gram (团队, 推荐, +1) cannot decide a one-word comment the way it could under the
cosine norm; a post must show enough promotion to score high. Training (``training/vectorizer.py``) computes
the same numbers with sparse matrices; the ONNX graph (``training/export.py``) computes them from the arrays
built here, and a parity test holds the two together.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from mlmrisk.classifier import compiled
from mlmrisk.classifier.normalize import SPACE, NormalizedBatch
from mlmrisk.classifier.pinyin import PinyinTables, latin_events

K1 = np.uint64(0x9E3779B97F4A7C15)
K2 = np.uint64(0xC2B2AE3D27D4EB4F)
K3 = np.uint64(0x165667B19E3779F9)
SYLLABLE_BASE = 0x110000
FEATURE_VERSION = 3
SENTENCE_FEATURE_VERSION = 4  #: version 3 plus sentence passages (``FeatureSpec.sentence_min_chars``)
#: version 4 (sentence passages optional) plus ``FeatureSpec.latin_syllables_only``
LATIN_FEATURE_VERSION = 5
#: the graphs' input of per-passage discounts (float32[Q], ``passage_discounts``), present when a spec has a
#: ``sentence_discount``
DISCOUNT_INPUT = "passage_discount"


def _salt(channel: int, order: int) -> np.uint64:
    """A fixed, well-spread salt per (channel, order): channel 0 = characters, 1 = syllables."""
    return np.uint64((0x27D4EB2F165667C5 * (1 + order + 8 * channel)) & 0xFFFFFFFFFFFFFFFF)


@dataclass(frozen=True, eq=False)
class FeatureSpec:
    """What a model's features are; stored in the manifest (``features``) so serving hashes as training did."""

    bucket_bits: int = 20
    char_orders: tuple[int, ...] = (1, 2, 3, 4)
    pinyin_orders: tuple[int, ...] = (1, 2, 3)
    window: int = 64
    min_norm: float = 1.0
    pinyin: PinyinTables | None = None
    sentence_min_chars: int = 0  #: 0: no sentence passages (specs of version 3)
    #: taken off a sentence passage's MLM decision value before the max (``sentence_passages``); 0: none
    sentence_discount: float = 0.0
    #: a Latin run read as pinyin (every syllable of two letters or more: ``latin_block``) gives its syllables
    #: only, no character n-grams (spec version 5)
    latin_syllables_only: bool = False
    #: with ``latin_syllables_only``: only in a post whose content characters are at least this share such runs
    #: (a post written in pinyin, not a Chinese post with a pinyin tag or an English word); 0: every post
    latin_post_share: float = 0.0

    def __post_init__(self) -> None:
        if self.window < 2 or self.window & (self.window - 1):
            raise ValueError(f"window must be a power of two ≥ 2, got {self.window}")
        if self.min_norm <= 0:
            raise ValueError(f"min_norm must be > 0, got {self.min_norm}")
        if not 8 <= self.bucket_bits <= 26:
            raise ValueError(f"bucket_bits must lie in [8, 26], got {self.bucket_bits}")
        if any(n < 1 for n in (*self.char_orders, *self.pinyin_orders)):
            raise ValueError("n-gram orders must be ≥ 1")
        if self.pinyin_orders and self.pinyin is None:
            raise ValueError("pinyin_orders need pinyin tables")
        if self.sentence_min_chars < 0:
            raise ValueError(f"sentence_min_chars must be ≥ 0, got {self.sentence_min_chars}")
        if not (np.isfinite(self.sentence_discount) and self.sentence_discount >= 0):
            raise ValueError(f"sentence_discount must be a finite number ≥ 0, got {self.sentence_discount}")
        if self.sentence_discount and not self.sentence_min_chars:
            raise ValueError("sentence_discount needs sentence passages (sentence_min_chars ≥ 1)")
        if self.latin_syllables_only and not (self.pinyin is not None and self.pinyin_orders):
            raise ValueError("latin_syllables_only needs the syllable channel (pinyin_orders and pinyin tables)")
        if not (0.0 <= self.latin_post_share <= 1.0):
            raise ValueError(f"latin_post_share must lie in [0, 1], got {self.latin_post_share}")
        if self.latin_post_share and not self.latin_syllables_only:
            raise ValueError("latin_post_share needs latin_syllables_only")

    @property
    def n_buckets(self) -> int:
        return 1 << self.bucket_bits

    def to_dict(self, pinyin_spec: Mapping | None) -> dict:
        """The manifest's ``features``. A spec without sentence passages is written as version 3, byte for byte
        as before they existed, so older models keep their ids; one with them is version 4, which a version of
        mlmrisk that cannot build sentence passages refuses instead of scoring without them."""
        version = (LATIN_FEATURE_VERSION if self.latin_syllables_only else
                   SENTENCE_FEATURE_VERSION if self.sentence_min_chars else FEATURE_VERSION)
        spec = {"version": version,
                "bucket_bits": self.bucket_bits, "char_orders": list(self.char_orders),
                "pinyin_orders": list(self.pinyin_orders), "window": self.window, "min_norm": self.min_norm,
                "syllable_base": SYLLABLE_BASE, "pinyin": dict(pinyin_spec) if pinyin_spec is not None else None}
        if self.sentence_min_chars:
            spec["sentence_min_chars"] = self.sentence_min_chars
        if self.sentence_discount:
            spec["sentence_discount"] = self.sentence_discount
        if self.latin_syllables_only:
            spec["latin_syllables_only"] = True
        if self.latin_post_share:
            spec["latin_post_share"] = self.latin_post_share
        return spec

    @classmethod
    def from_dict(cls, spec: Mapping) -> "FeatureSpec":
        version = spec.get("version")
        known = (FEATURE_VERSION, SENTENCE_FEATURE_VERSION, LATIN_FEATURE_VERSION)
        if version not in known:
            raise ValueError(f"feature spec version {version!r} is not supported (expected one of {known}); "
                             "rebuild the model with this version of mlmrisk")
        pinyin = PinyinTables.from_spec(spec["pinyin"]) if spec.get("pinyin") else None
        sentence_min = int(spec.get("sentence_min_chars", 0)) if version != FEATURE_VERSION else 0
        if version == SENTENCE_FEATURE_VERSION and sentence_min < 1:
            raise ValueError("feature spec version 4 needs sentence_min_chars ≥ 1")
        discount = float(spec.get("sentence_discount", 0.0)) if version != FEATURE_VERSION else 0.0
        latin = version == LATIN_FEATURE_VERSION and bool(spec.get("latin_syllables_only", False))
        if version == LATIN_FEATURE_VERSION and not latin:
            raise ValueError("feature spec version 5 needs latin_syllables_only = true")
        share = float(spec.get("latin_post_share", 0.0)) if latin else 0.0
        return cls(int(spec["bucket_bits"]), tuple(spec["char_orders"]), tuple(spec["pinyin_orders"]),
                   int(spec["window"]), float(spec["min_norm"]), pinyin, sentence_min, discount, latin, share)


@dataclass(frozen=True)
class Grams:
    """Every n-gram occurrence of a batch: bucket, post, and flat character span [start, end)."""

    bucket: np.ndarray  # int64[G]
    doc: np.ndarray  # int64[G]
    start: np.ndarray  # int64[G]
    end: np.ndarray  # int64[G]

    def __len__(self) -> int:
        return int(self.bucket.size)


@dataclass(frozen=True)
class Passages:
    """Passage membership: entry k says gram ``gram[k]`` lies in passage ``passage[k]``.

    ``passage_doc[q]`` is the post of passage q; every post has at least one passage (an empty post too), and
    passages are numbered post by post. ``passage_start``/``passage_end`` are local character offsets in the
    normalised post.
    """

    gram: np.ndarray  # int64[K]
    passage: np.ndarray  # int64[K]
    passage_doc: np.ndarray  # int64[Q]
    passage_start: np.ndarray  # int64[Q]
    passage_end: np.ndarray  # int64[Q]


def _order_mask(orders: tuple[int, ...]) -> np.ndarray:
    """bool[max order + 1]: which orders are hashed (``mask[n]``)."""
    mask = np.zeros(max(orders, default=0) + 1, dtype=bool)
    mask[list(orders)] = True
    return mask


@functools.lru_cache(maxsize=32)
def _kernel_args(spec: FeatureSpec) -> tuple:
    """The spec as kernel arguments (cached per spec: the char → syllable table is passed as it is, not copied)."""
    pinyin = spec.pinyin is not None and bool(spec.pinyin_orders)
    orders = max((*spec.char_orders, *spec.pinyin_orders), default=0)
    salts = np.array([[_salt(channel, n) for n in range(orders + 1)] for channel in (0, 1)], dtype=np.uint64)
    table = spec.pinyin.char_syllable if pinyin else np.zeros(0, dtype=np.int16)
    return (_order_mask(spec.char_orders), _order_mask(spec.pinyin_orders if pinyin else ()), table, salts,
            spec.bucket_bits, SYLLABLE_BASE)


_NO_BLOCK = np.zeros(0, dtype=np.uint8)


def latin_block(codes: np.ndarray, start: np.ndarray, end: np.ndarray, doc: np.ndarray | None = None,
                content: np.ndarray | None = None, post_share: float = 0.0) -> np.ndarray:
    """uint8[codes.size]: 1 at every position of a Latin run read as pinyin, from the run's syllable events
    (``start``, ``end``, sorted; a run's events touch end to start): a run whose syllables all have two letters or
    more; and 1 at a space between two such runs (``fa zhan``: the spaces are part of the spelling). Its
    character n-grams are not hashed (``FeatureSpec.latin_syllables_only``): a post written in pinyin
    (``mian fei jia ru``) then carries the syllable n-grams its Chinese spelling carries, and nothing else —
    its Latin character n-grams, three or four per letter, outweighed the syllables in the norm and read as
    English. Runs with a one-letter syllable (``em`` → e m, the markup of QQ emoticons ``[em]e163[/em]``) keep
    their character n-grams: English words and markup split that way far more often than pinyin is written so.
    With ``post_share`` > 0 (``FeatureSpec.latin_post_share``; needs ``doc``, the post of each position, and
    ``content``, each post's content characters), a post is blocked only where such runs make at least that share
    of its content characters: a Chinese post keeps the character n-grams of its pinyin tag or English word, and
    Chinese traffic is hashed exactly as without the option (blocking every post was measured once, at a solver
    tolerance whose single runs are noisy: held-out short-video recall at P0.9 0.90 → 0.73; docs/training.md).
    Empty (no blocking) when no run qualifies."""
    if start.size == 0:
        return _NO_BLOCK
    first = np.ones(start.size, dtype=bool)
    first[1:] = start[1:] != end[:-1]
    run = np.cumsum(first) - 1
    short = np.bincount(run, weights=(end - start) < 2) > 0
    keep = ~short[run]
    if not keep.any():
        return _NO_BLOCK
    s, e = start[keep], end[keep]
    lengths = e - s
    offsets = np.repeat(np.cumsum(lengths) - lengths, lengths)
    block = np.zeros(codes.size, dtype=np.uint8)
    block[np.repeat(s, lengths) + np.arange(int(lengths.sum())) - offsets] = 1
    spaces = np.flatnonzero(codes[1:-1] == SPACE) + 1
    spaces = spaces[(block[spaces - 1] != 0) & (block[spaces + 1] != 0)]
    if post_share > 0:
        letters = np.bincount(doc, weights=block, minlength=content.size)
        posts = letters >= post_share * np.maximum(content, 1)
        if not posts.any():
            return _NO_BLOCK
        block &= posts[doc].view(np.uint8)
    block[spaces[block[spaces - 1] != 0]] = 1
    return block


def _batch_args(batch: NormalizedBatch, spec: FeatureSpec) -> tuple:
    char_orders, pinyin_orders, table, salts, bits, base = _kernel_args(spec)
    if pinyin_orders.size > 1 and batch.codes.size:
        latin = latin_events(batch.codes, spec.pinyin)
    else:
        latin = (np.zeros(0, dtype=np.int64),) * 3
    if not spec.latin_syllables_only:
        block = _NO_BLOCK
    elif spec.latin_post_share:
        block = latin_block(batch.codes, latin[1], latin[2], batch.doc, batch.content_chars(), spec.latin_post_share)
    else:
        block = latin_block(batch.codes, latin[1], latin[2])
    return (batch.codes, batch.doc, char_orders, pinyin_orders, table, *latin, block, salts, bits, base)


def hash_grams(batch: NormalizedBatch, spec: FeatureSpec) -> Grams:
    """All n-gram occurrences of a normalised batch (see the module docstring for the formula).

    Order: characters then syllables, each order by order (ascending), then by first position.
    """
    kernels = compiled.feature_kernels()
    return Grams(*kernels.hash_grams(*_batch_args(batch, spec)))


def best_passage_rows(values: np.ndarray, passage_doc: np.ndarray) -> np.ndarray:
    """int64: per post with passages (in post order), the row of its passage with the highest ``values`` — the first
    of equals, so training (float64 decision values) and serving (the graph's logits) pick a post's best passage
    by one rule. ``passage_doc`` is each row's post."""
    order = np.lexsort((-values, passage_doc))  # stable: among equal values the first row comes first
    first = np.ones(order.size, dtype=bool)
    first[1:] = passage_doc[order][1:] != passage_doc[order][:-1]
    return order[first]


def passages(grams: Grams, batch: NormalizedBatch, window: int, sentence_min_chars: int = 0) -> Passages:
    """Passage membership of every gram (see the module docstring): one passage per short post, two overlapping
    tilings of ``window`` characters for longer ones, and the sentence passages when ``sentence_min_chars`` > 0.

    Entries: every gram of the short posts first (in gram order), then the grams of long posts that lie in a
    passage of tiling A, then those in tiling B, then the grams that lie in a sentence passage. A post's passages
    are numbered: its tiling A (or its one passage), tiling B, then its sentences.
    """
    kernels = compiled.feature_kernels()
    gram, passage, _, passage_doc, p_start, p_end = kernels.passages(grams.bucket, grams.doc, grams.start, grams.end,
                                                                     batch.starts, window, batch.codes,
                                                                     int(sentence_min_chars))
    return Passages(gram, passage, passage_doc, p_start, p_end)


def sentence_passages(passage_doc: np.ndarray, starts: np.ndarray, window: int) -> np.ndarray:
    """bool[Q]: which passages are sentence passages. A post's passages are numbered tiling A, tiling B, then its
    sentences (``passages``), so a passage is a sentence when its rank within its post reaches the post's number
    of windows (one passage for a post that fits one window). ``starts``: the batch's ``NormalizedBatch.starts``."""
    passage_doc = np.asarray(passage_doc, dtype=np.int64)
    length = np.diff(np.asarray(starts, dtype=np.int64)) - 1
    half = window // 2
    n_windows = np.where(length > window, -(-length // window) + (length + half + window - 1) // window, 1)
    per_doc = np.bincount(passage_doc, minlength=length.size)
    first = np.concatenate([[0], np.cumsum(per_doc)[:-1]])
    rank = np.arange(passage_doc.size) - first[passage_doc]
    return rank >= n_windows[passage_doc]


def passage_discounts(passage_doc: np.ndarray, starts: np.ndarray, spec: FeatureSpec) -> np.ndarray:
    """float32[Q]: what each passage's MLM decision value loses before the max — ``spec.sentence_discount`` for a
    sentence passage, 0 for a window; the graphs' ``passage_discount`` input (``training/export.py``)."""
    out = np.zeros(np.asarray(passage_doc).size, dtype=np.float32)
    if spec.sentence_discount:
        out[sentence_passages(passage_doc, starts, spec.window)] = spec.sentence_discount
    return out


def feeds(batch: NormalizedBatch, spec: FeatureSpec) -> tuple[np.ndarray, np.ndarray, np.ndarray, Grams, Passages]:
    """``hash_grams`` and ``passages`` in one kernel call, plus what the graphs are fed: (bucket per entry,
    passage per entry, passage_doc, grams, membership), so ``bucket[k] == grams.bucket[membership.gram[k]]``."""
    kernels = compiled.feature_kernels()
    args = _batch_args(batch, spec)
    (bucket, doc, start, end, gram, passage, entry_bucket, passage_doc, p_start,
     p_end) = kernels.feeds(*args[:2], batch.starts, *args[2:], spec.window, spec.sentence_min_chars)
    return (entry_bucket, passage, passage_doc, Grams(bucket, doc, start, end),
            Passages(gram, passage, passage_doc, p_start, p_end))


def best_passage_logits(batch: NormalizedBatch, spec: FeatureSpec, table: np.ndarray, min_norm: float, slope: float,
                        offset: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(float64[N], int64[N], float64[N], int64[N]): each post's best-passage logit of one head, fused (hash, look
    up, sum, max; no gram arrays), the index of that passage among the post's passages as ``passages`` numbers
    them (the first of equals), its lead over the post's runner-up passage (inf for a post of one passage), and
    the post's content characters other than digits (``NormalizedBatch.evidence_chars``, counted on the way).

    ``table[b] = (idf_b · β_b, idf_b²)`` (float32[B+1, 2], C order); the logit of a passage is
    ``slope · Σ idf·β / max(min_norm, √Σ idf²) + offset`` — the hot-path graph's formula (``training/export.py``),
    which a parity test holds this equal to.
    """
    kernels = compiled.feature_kernels()
    if batch.n_docs == 0:
        return np.zeros(0), np.zeros(0, dtype=np.int64), np.zeros(0), np.zeros(0, dtype=np.int64)
    if table.ndim != 2 or table.shape[1] != 2 or table.dtype != np.float32 or not table.flags.c_contiguous:
        raise ValueError(f"hot-path table of shape {table.shape} ({table.dtype}): expected a C-ordered float32 "
                         "[B+1, 2] (idf·β, idf²)")
    codes, _doc, *rest = _batch_args(batch, spec)
    return kernels.best_passage_logits(codes, batch.starts, *rest, spec.window, table, float(min_norm), float(slope),
                                       float(offset), spec.sentence_min_chars,
                                       float(slope) * spec.sentence_discount)


def smoothed_idf(document_frequency: np.ndarray, n_documents: int) -> np.ndarray:
    """idf_h = ln((1 + n) / (1 + df_h)) + 1, as scikit-learn's ``TfidfTransformer(smooth_idf=True)``."""
    return np.log((1.0 + n_documents) / (1.0 + document_frequency)) + 1.0
