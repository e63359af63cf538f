"""Quotation: which n-grams of a post stand inside quotation marks — a feature of the discussion guard only.

Why: a text ABOUT a scheme and the pitch it warns against share their words; what the bag of n-grams cannot see
is that the warning *quotes* them ("“入会3800、拉3人回本”就是传销"). In the project's written corpus 86 % of the
texts about schemes carry quotation marks against 21 % of the pitches (docs/training.md, "Texts about schemes"),
and the normaliser drops every quotation mark (it is punctuation, and evasion puts marks between characters). So
quotation is read from the ORIGINAL text, and the normalised positions are mapped back through
``NormalizedBatch.origin``.

A span is the text between an opening mark and its closing mark: “…”, ‘…’, 「…」, 『…』, 〝…〞, and ASCII or
full-width double quotes ("…", ＂…＂) paired left to right. An unmatched mark opens nothing (a lone ” or a
pinyin apostrophe is not a quotation); book-title marks 《》 are not quotation. A gram is *quoted* when its first
and its last character both come from inside a span. The guard (``classifier.discussion``) sees each quoted gram
once more, in a small channel of its own: its bucket folded to ``QUOTE_BITS`` bits, unweighted by idf, plus one
weight shared by every quoted gram (folded into the channel's table at export).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from mlmrisk.classifier.features import Grams
from mlmrisk.classifier.normalize import NormalizedBatch

#: size of the quoted channel: 2^16 buckets (+1 zero row for grams that are not quoted)
QUOTE_BITS = 16
QUOTE_BUCKETS = 1 << QUOTE_BITS
#: the index of a gram that is not quoted (a zero row of the channel's table)
NOT_QUOTED = QUOTE_BUCKETS
#: the feature value of one quoted gram in its row of the channel, and in the column all quoted grams share, before
#: the post's norm (an idf-weighted gram weighs ~2–12): fixes how strongly the L2 penalty holds each back. Chosen
#: among 0 (no channel), 4, 8 and 16 by leaving out one writer of data/written_discussion at a time (texts about
#: schemes flagged 46 / 29 / 22.5 / 20.6 %, their pitches' recall 0.931 in each; docs/training.md, "Quotation")
QUOTE_SCALE = 16.0
QUOTE_SHARED = 16.0

_SPAN = re.compile(r"“([^“”]*)”|‘([^‘’]*)’|「([^「」]*)」|『([^『』]*)』|〝([^〝〞]*)〞|\"([^\"]*)\"|＂([^＂]*)＂")


def quote_spans(text: str) -> list[tuple[int, int]]:
    """Code-point ``[start, end)`` of the inside of every quotation of ``text`` (outermost first, left to right;
    a span nested in another is part of it)."""
    spans = []
    for match in _SPAN.finditer(text):
        group = match.lastindex or 0
        start, end = match.span(group)
        if end > start:
            spans.append((start, end))
    return spans


def quoted_positions(batch: NormalizedBatch, texts: Sequence[str]) -> np.ndarray:
    """bool[T]: whether each normalised position of ``batch`` comes from inside a quotation of its original
    text (``texts[i]`` is post ``i`` as given to ``normalize_batch``; separators are never quoted)."""
    inside = np.zeros(batch.codes.size, dtype=bool)
    if len(texts) != batch.n_docs:
        raise ValueError(f"{len(texts)} texts for a batch of {batch.n_docs} posts")
    for d, text in enumerate(texts):
        if not isinstance(text, str) or not any(mark in text for mark in "“‘「『〝\"＂"):
            continue
        spans = quote_spans(text)
        if not spans:
            continue
        a, b = int(batch.starts[d]), int(batch.starts[d + 1]) - 1
        origin = batch.origin[a:b]
        lows = np.fromiter((s for s, _ in spans), dtype=np.int64, count=len(spans))
        highs = np.fromiter((e for _, e in spans), dtype=np.int64, count=len(spans))
        # spans are disjoint and sorted: a position is inside the last span starting at or before it, if it ends after
        k = np.searchsorted(lows, origin, side="right") - 1
        inside[a:b] = (k >= 0) & (origin < highs[np.maximum(k, 0)]) & (origin >= 0)
    return inside


def quote_index(grams: Grams, batch: NormalizedBatch, texts: Sequence[str], n_buckets: int) -> np.ndarray:
    """int64[G]: each gram's row in the quoted channel — its bucket folded to ``QUOTE_BITS`` bits when the gram is
    quoted, else ``NOT_QUOTED`` (also for bucket ``n_buckets``, which holds no gram). The guard's third input
    (``classifier.discussion``); training counts the same rows (``training/vectorizer.py: count_batch``)."""
    inside = quoted_positions(batch, texts)
    if not inside.any() or grams.bucket.size == 0:
        return np.full(grams.bucket.size, NOT_QUOTED, dtype=np.int64)
    quoted = inside[grams.start] & inside[grams.end - 1] & (grams.bucket < n_buckets)
    return np.where(quoted, grams.bucket & (QUOTE_BUCKETS - 1), NOT_QUOTED).astype(np.int64)
