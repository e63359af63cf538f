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

**Weights.** A head scores a passage q as

    s_q = (Σ_{g ∈ q} idf_g · β_g) / max(min_norm, sqrt(Σ_{g ∈ q} idf_g²)) + b          (sums over occurrences)
    idf_g = ln((1 + n) / (1 + df_g)) + 1                                                  (scikit-learn's smoothed idf)

and the post's logit is max_q s_q. The norm is over n-gram *occurrences* (a plain sum the graph computes in
one scatter-add). ``min_norm`` is the length prior: a text too short to reach it is scored as if padded with
neutral text, so one heavy n-gram (团队, 推荐, +1) cannot decide a one-word comment the way it could under the
cosine norm; a post must show enough promotion to score high. Training (``training/vectorizer.py``) computes
the same numbers with sparse matrices; the ONNX graph (``training/export.py``) computes them from the arrays
built here, and a parity test holds the two together.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from mlmrisk.classifier.normalize import NEWLINE, SEPARATOR, SPACE, NormalizedBatch
from mlmrisk.classifier.pinyin import PinyinTables, adjacent_pairs, syllable_events

K1 = np.uint64(0x9E3779B97F4A7C15)
K2 = np.uint64(0xC2B2AE3D27D4EB4F)
K3 = np.uint64(0x165667B19E3779F9)
SYLLABLE_BASE = 0x110000
FEATURE_VERSION = 3
_SHIFT31 = np.uint64(31)


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

    @property
    def n_buckets(self) -> int:
        return 1 << self.bucket_bits

    def to_dict(self, pinyin_spec: Mapping | None) -> dict:
        return {"version": FEATURE_VERSION, "bucket_bits": self.bucket_bits, "char_orders": list(self.char_orders),
                "pinyin_orders": list(self.pinyin_orders), "window": self.window, "min_norm": self.min_norm,
                "syllable_base": SYLLABLE_BASE, "pinyin": dict(pinyin_spec) if pinyin_spec is not None else None}

    @classmethod
    def from_dict(cls, spec: Mapping) -> "FeatureSpec":
        if spec.get("version") != FEATURE_VERSION:
            raise ValueError(f"feature spec version {spec.get('version')!r} is not supported (expected "
                             f"{FEATURE_VERSION}); rebuild the model with this version of mlmrisk")
        pinyin = PinyinTables.from_spec(spec["pinyin"]) if spec.get("pinyin") else None
        return cls(int(spec["bucket_bits"]), tuple(spec["char_orders"]), tuple(spec["pinyin_orders"]),
                   int(spec["window"]), float(spec["min_norm"]), pinyin)


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


def _grams(symbols: np.ndarray, orders: tuple[int, ...], valid_pair: np.ndarray | None, is_symbol: np.ndarray | None,
           channel: int, bits: int) -> list[tuple[int, np.ndarray, np.ndarray]]:
    """(order, bucket, first index) of every gram of each order in ``orders`` over a symbol sequence.

    ``symbols`` are already multiplied by K1 (uint64). An ``order``-gram starting at i is valid when every symbol
    in it is (``is_symbol``, None: all are) and every consecutive pair in it may be joined (``valid_pair[i]`` for
    symbols i, i+1; None: all may). The rolling hash runs on contiguous slices (no gathers) and only the valid
    grams are mixed.
    """
    out = []
    h = symbols
    ok = is_symbol if is_symbol is not None else np.ones(symbols.size, dtype=bool)
    for order in range(1, max(orders, default=0) + 1):
        if order > 1:
            if h.size < 2:
                break
            h = (h[:-1] * K2) ^ symbols[order - 1 :]
            step = is_symbol[order - 1 :] if is_symbol is not None else True
            ok = ok[:-1] & step
            if valid_pair is not None:
                ok = ok & valid_pair[order - 2 :]
        if order in orders:
            first = np.flatnonzero(ok)
            v = h[first]
            bucket = ((v ^ (v >> _SHIFT31)) * K3 + _salt(channel, order)) >> np.uint64(64 - bits)
            out.append((order, bucket.astype(np.int64), first))
    return out


def hash_grams(batch: NormalizedBatch, spec: FeatureSpec) -> Grams:
    """All n-gram occurrences of a normalised batch (see the module docstring for the formula)."""
    codes = batch.codes
    buckets, starts, ends = [], [], []
    if spec.char_orders and codes.size:
        symbols = codes.astype(np.uint64) * K1
        for order, bucket, first in _grams(symbols, spec.char_orders, None, codes != SEPARATOR, 0, spec.bucket_bits):
            buckets.append(bucket)
            starts.append(first)
            ends.append(first + order)
    if spec.pinyin_orders and spec.pinyin is not None and codes.size:
        events = syllable_events(batch, spec.pinyin)
        if events.start.size:
            content = (codes != SEPARATOR) & (codes != SPACE) & (codes != NEWLINE)
            content_before = np.concatenate(([0], np.cumsum(content)))
            adjacent = adjacent_pairs(events, content_before)
            symbols = (events.syllable + SYLLABLE_BASE).astype(np.uint64) * K1
            for order, bucket, first in _grams(symbols, spec.pinyin_orders, adjacent, None, 1, spec.bucket_bits):
                buckets.append(bucket)
                starts.append(events.start[first])
                ends.append(events.end[first + order - 1])
    if not buckets:
        empty = np.zeros(0, dtype=np.int64)
        return Grams(empty, empty, empty, empty)
    start = np.concatenate(starts)
    return Grams(np.concatenate(buckets), batch.doc[start] if start.size else start, start, np.concatenate(ends))


def passages(grams: Grams, batch: NormalizedBatch, window: int) -> Passages:
    """Passage membership of every gram (see the module docstring): one passage per short post, two overlapping
    tilings of ``window`` characters for longer ones.

    Most posts are short, so the per-gram arithmetic runs on the grams of long posts only.
    """
    n = batch.n_docs
    length = np.diff(batch.starts) - 1  # characters per post
    long = length > window
    if not long.any():
        # one passage per post, numbered like the posts: every gram is in its post's passage
        return Passages(np.arange(len(grams), dtype=np.int64), grams.doc, np.arange(n, dtype=np.int64),
                        np.zeros(n, dtype=np.int64), length)
    half = window // 2
    n_a = np.maximum(1, -(-length // window))  # ceil; an empty post still has one passage
    n_b = np.where(long, (length + half + window - 1) // window, 0)
    per_doc = n_a + n_b
    first = np.zeros(n + 1, dtype=np.int64)
    first[1:] = np.cumsum(per_doc)
    passage_doc = np.repeat(np.arange(n, dtype=np.int64), per_doc)
    local = np.arange(int(first[-1]), dtype=np.int64) - first[passage_doc]
    in_b = local >= n_a[passage_doc]
    k = np.where(in_b, local - n_a[passage_doc], local)
    p_start = np.maximum(np.where(in_b, k * window - half, k * window), 0)
    p_end = np.minimum(np.where(in_b, (k + 1) * window - half, (k + 1) * window), length[passage_doc])
    p_end = np.where(long[passage_doc], p_end, length[passage_doc])
    if len(grams) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return Passages(empty, empty, passage_doc, p_start, p_end)
    in_long = long[grams.doc]
    short_rows = np.flatnonzero(~in_long)
    long_rows = np.flatnonzero(in_long)
    doc = grams.doc[long_rows]
    base = batch.starts[doc]
    s = grams.start[long_rows] - base
    e = grams.end[long_rows] - base - 1  # last character of the gram
    shift = window.bit_length() - 1  # window is a power of two: shifts instead of (slow) integer division
    a_index = s >> shift
    in_a = (e >> shift) == a_index
    b_index = (s + half) >> shift
    in_b_tiling = ((e + half) >> shift) == b_index
    gram = np.concatenate([short_rows, long_rows[in_a], long_rows[in_b_tiling]])
    passage = np.concatenate([first[grams.doc[short_rows]], first[doc[in_a]] + a_index[in_a],
                              first[doc[in_b_tiling]] + n_a[doc[in_b_tiling]] + b_index[in_b_tiling]])
    return Passages(gram, passage, passage_doc, p_start, p_end)


def smoothed_idf(document_frequency: np.ndarray, n_documents: int) -> np.ndarray:
    """idf_h = ln((1 + n) / (1 + df_h)) + 1, as scikit-learn's ``TfidfTransformer(smooth_idf=True)``."""
    return np.log((1.0 + n_documents) / (1.0 + document_frequency)) + 1.0
