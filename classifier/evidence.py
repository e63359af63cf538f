"""Evidence: which parts of the ORIGINAL text drove a head's score.

A linear head's score is a sum over n-gram occurrences (``classifier.features``), so each occurrence's share is
exact: weight_g / norm_post. The strongest positive occurrences are merged into spans (overlapping or touching
n-grams become one span), mapped back through the normaliser's origin index to offsets in the text as given,
and optionally widened to whole words (``snap``: a function returning word boundaries, e.g. from jieba) so a
reviewer sees 发展下线 rather than 展下.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Sequence

import numpy as np

from classifier.features import hash_grams
from classifier.labels import HEADS
from classifier.normalize import NormalizedBatch
from classifier.result import Evidence

#: n-gram occurrences considered per post and head before merging, and spans kept after merging.
TOP_GRAMS = 12
MAX_SPANS = 5
#: spans weaker than this fraction of the strongest one are dropped.
MIN_RELATIVE_WEIGHT = 0.15
#: a word boundary further than this many characters away does not widen a span.
MAX_SNAP = 4

#: ``snap(text)`` returns word boundaries of ``text``; it is only called on a small window around each span.
WordBoundaries = Callable[[str], Sequence[int]]


def _contributions(batch: NormalizedBatch, gram_weights: np.ndarray, norms: np.ndarray):
    grams = hash_grams(batch.codes)
    doc = batch.doc[grams.position]
    contrib = gram_weights / norms[doc][:, None]
    return grams, doc, contrib


def extract_evidence(batch: NormalizedBatch, texts: Sequence[str], gram_weights: np.ndarray, norms: np.ndarray,
                     snap: WordBoundaries | None = None,
                     heads: Sequence[Sequence[int]] | None = None) -> list[list[tuple[Evidence, ...]]]:
    """Per post, per head (``HEADS`` order), the evidence spans in the original text.

    ``heads[d]`` limits post ``d`` to the heads whose evidence will be shown (others get ``()``): evidence is
    the costly part of scoring a flagged post.
    """
    grams, doc, contrib = _contributions(batch, gram_weights, norms)
    order = np.argsort(doc, kind="stable")
    bounds = np.searchsorted(doc[order], np.arange(batch.n_docs + 1))
    out = []
    for d in range(batch.n_docs):
        rows = order[bounds[d] : bounds[d + 1]]
        rows = rows[grams.valid[rows]]
        wanted = set(range(gram_weights.shape[1])) if heads is None else set(heads[d])
        raw: list[list[tuple[int, int, float]]] = []
        for k in range(gram_weights.shape[1]):
            positive = rows[contrib[rows, k] > 0] if k in wanted else rows[:0]
            if positive.size == 0:
                raw.append([])
                continue
            top = positive[np.argsort(-contrib[positive, k], kind="stable")[:TOP_GRAMS]]
            spans = _merge(grams.position[top] - batch.starts[d], grams.length[top], contrib[top, k])
            raw.append([(*batch.original_span(d, start, end), weight) for start, end, weight in spans])
        snapped = _snap_all(texts[d], [span for spans in raw for span in spans], snap)
        per_head = []
        for k, spans in enumerate(raw):
            source = "model" if k == 0 else f"model:{HEADS[k]}"
            per_head.append(tuple(Evidence(lo, hi, texts[d][lo:hi], weight, source)
                                  for (lo, hi), (_, _, weight) in zip((snapped[(a, b)] for a, b, _ in spans), spans)))
        out.append(per_head)
    return out


def _snap_all(text: str, spans: Sequence[tuple[int, int, float]], snap: WordBoundaries | None) -> dict:
    """Snapped (start, end) of every span, segmenting each cluster of nearby spans once.

    The word segmenter is the costly part of evidence, so it runs on the union of the windows around the spans
    (a span can grow by at most MAX_SNAP each side), one call per cluster of overlapping windows.
    """
    keys = sorted({(lo, hi) for lo, hi, _ in spans})
    if snap is None:
        return {key: key for key in keys}
    out: dict = {}
    cluster: list[tuple[int, int]] = []
    window_lo = window_hi = 0

    def flush() -> None:
        boundaries = [window_lo + b for b in snap(text[window_lo:window_hi])]
        for lo, hi in cluster:
            out[(lo, hi)] = snap_to_words(lo, hi, boundaries)

    for lo, hi in keys:
        left, right = max(0, lo - 2 * MAX_SNAP), min(len(text), hi + 2 * MAX_SNAP)
        if cluster and left <= window_hi:
            window_hi = max(window_hi, right)
        else:
            if cluster:
                flush()
            cluster, window_lo, window_hi = [], left, right
        cluster.append((lo, hi))
    if cluster:
        flush()
    return out


def _merge(starts: np.ndarray, lengths: np.ndarray, weights: np.ndarray) -> list[tuple[int, int, float]]:
    order = np.argsort(starts, kind="stable")
    merged: list[list] = []
    for i in order:
        start, end, weight = int(starts[i]), int(starts[i] + lengths[i]), float(weights[i])
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
            merged[-1][2] += weight
        else:
            merged.append([start, end, weight])
    merged.sort(key=lambda s: -s[2])
    if not merged:
        return []
    # A lone character says little to a reviewer; keep it only when nothing longer carries weight.
    longer = [m for m in merged if m[1] - m[0] > 1]
    merged = longer or merged
    strongest = merged[0][2]
    return [(s, e, w) for s, e, w in merged[:MAX_SPANS] if w >= MIN_RELATIVE_WEIGHT * strongest]


def snap_to_words(start: int, end: int, boundaries: Sequence[int]) -> tuple[int, int]:
    """Widen ``[start, end)`` to the nearest word boundaries, by at most ``MAX_SNAP`` characters each side."""
    i = bisect.bisect_right(boundaries, start) - 1
    if i >= 0 and start - boundaries[i] <= MAX_SNAP:
        start = boundaries[i]
    j = bisect.bisect_left(boundaries, end)
    if j < len(boundaries) and boundaries[j] - end <= MAX_SNAP:
        end = boundaries[j]
    return start, end


def top_features(batch: NormalizedBatch, gram_weights: np.ndarray, norms: np.ndarray,
                 top: int = 15) -> list[dict]:
    """The n-grams of post 0 with the largest absolute contribution to each head (for ``mlmrisk explain``)."""
    grams, _, contrib = _contributions(batch, gram_weights, norms)
    normalized = batch.text(0)
    totals: dict[str, np.ndarray] = {}
    counts: dict[str, int] = {}
    for g in np.flatnonzero(grams.valid):
        start = int(grams.position[g] - batch.starts[0])
        gram = normalized[start : start + int(grams.length[g])]
        totals[gram] = totals.get(gram, 0.0) + contrib[g]
        counts[gram] = counts.get(gram, 0) + 1
    ranked = sorted(totals.items(), key=lambda kv: -abs(float(kv[1][0])))[:top]
    return [{"ngram": gram, "count": counts[gram],
             "contribution": {head: round(float(v[k]), 4) for k, head in enumerate(HEADS)}} for gram, v in ranked]
