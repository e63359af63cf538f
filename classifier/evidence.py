"""Evidence: which parts of the ORIGINAL text drove a head's score.

A linear head's score is a sum over n-gram occurrences (``classifier.features``), so each occurrence's share is
exact: weight_g / norm_post. Per post and head, the strongest positive occurrences are merged into spans
(overlapping or touching n-grams become one span), widened to whole words on the normalised text
(``classifier.word_snap``), and mapped back through the normaliser's origin index to offsets in the text as given.

Everything up to the final spans runs as whole-batch numpy (sorts and segment reductions over all flagged posts at
once): evidence is computed for every flagged post of a bulk job, and a per-post Python loop over n-grams cost
about ten times the post's score. Only the few spans that are kept become Python objects.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from mlmrisk.classifier.labels import HEADS
from mlmrisk.classifier.normalize import NormalizedBatch
from mlmrisk.classifier.result import Evidence
from mlmrisk.classifier.word_snap import SnapLexicon

#: n-gram occurrences considered per post and head before merging, and spans kept after merging.
TOP_GRAMS = 12
MAX_SPANS = 5
#: spans weaker than this fraction of the strongest one are dropped.
MIN_RELATIVE_WEIGHT = 0.15
#: candidate n-grams lighter than this fraction of their post's heaviest are skipped when enough heavier ones exist.
PREFILTER = 0.1
#: below this many candidates the prefilter costs more (in numpy calls) than the sort it saves.
PREFILTER_MIN_CANDIDATES = 4096


def _first_of_group(keys: np.ndarray) -> np.ndarray:
    """For a sorted key array, the index of the first element with the same key, per element."""
    return np.searchsorted(keys, keys, side="left")


def select_spans(doc: np.ndarray, start: np.ndarray, end: np.ndarray, weight: np.ndarray, n_docs: int
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Spans of every post from its candidate n-grams (doc, local start, end, weight), all posts at once.

    ``doc`` is any group key below ``n_docs`` (a post, or a (head, post) pair). Per group: keep the ``TOP_GRAMS`` heaviest n-grams, merge overlapping or touching ones (weights add), drop
    single characters when a longer span carries weight, keep the ``MAX_SPANS`` heaviest spans that reach
    ``MIN_RELATIVE_WEIGHT`` of the strongest. Returns (doc, start, end, weight) sorted by doc, then weight
    descending; ties keep n-gram order, so results do not depend on the batch a post was scored in.
    """
    # Exact prefilter before the sort: a long article has thousands of positive n-grams per head and only its
    # TOP_GRAMS heaviest matter. Dropping weights below PREFILTER × the group's maximum cannot remove one of
    # those unless fewer than TOP_GRAMS survive in that group, and such groups keep all their candidates.
    if doc.size > PREFILTER_MIN_CANDIDATES:
        group_max = np.zeros(n_docs)
        np.maximum.at(group_max, doc, weight)
        strong = weight >= PREFILTER * group_max[doc]
        short = np.bincount(doc[strong], minlength=n_docs) < TOP_GRAMS
        keep = strong | short[doc]
        doc, start, end, weight = doc[keep], start[keep], end[keep], weight[keep]
    # top n-grams per post (lexsort is stable: equal weights keep the n-gram layout order)
    order = np.lexsort((-weight, doc))
    doc, start, end, weight = doc[order], start[order], end[order], weight[order]
    keep = (np.arange(doc.size) - _first_of_group(doc)) < TOP_GRAMS
    doc, start, end, weight = doc[keep], start[keep], end[keep], weight[keep]
    # merge within each post: sort by start; a new span begins where the start passes every earlier end
    order = np.lexsort((start, doc))
    doc, start, end, weight = doc[order], start[order], end[order], weight[order]
    stride = int(end.max()) + 2 if end.size else 1
    key_start = doc * stride + start
    running_end = np.maximum.accumulate(doc * stride + end)
    new = np.ones(doc.size, dtype=bool)
    new[1:] = key_start[1:] > running_end[:-1]
    heads = np.flatnonzero(new)
    if heads.size == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty, np.zeros(0)
    span_doc = doc[heads]
    span_start = start[heads]
    span_end = np.maximum.reduceat(running_end, heads) - span_doc * stride
    span_weight = np.add.reduceat(weight, heads)
    # a lone character says little to a reviewer: keep it only when nothing longer in its post carries weight
    longer = (span_end - span_start) > 1
    has_longer = np.bincount(span_doc, weights=longer, minlength=n_docs) > 0
    eligible = longer | ~has_longer[span_doc]
    span_doc, span_start, span_end, span_weight = (a[eligible] for a in (span_doc, span_start, span_end, span_weight))
    order = np.lexsort((-span_weight, span_doc))
    span_doc, span_start, span_end, span_weight = (a[order] for a in (span_doc, span_start, span_end, span_weight))
    first = _first_of_group(span_doc)
    keep = ((np.arange(span_doc.size) - first) < MAX_SPANS) & (span_weight >= MIN_RELATIVE_WEIGHT * span_weight[first])
    return span_doc[keep], span_start[keep], span_end[keep], span_weight[keep]


def extract_evidence(batch: NormalizedBatch, texts: Sequence[str], doc: np.ndarray, start: np.ndarray,
                     end: np.ndarray, weights: np.ndarray, lexicon: SnapLexicon | None = None,
                     heads: Sequence[Sequence[int]] | None = None) -> list[list[tuple[Evidence, ...]]]:
    """Per post, per head (``HEADS`` order), the evidence spans in the original text.

    One entry per n-gram occurrence of the passage that drove each post's score: its post ``doc``, its local
    normalised span [``start``, ``end``) and ``weights`` [E, H], its exact share of each head's score
    (idf·β / passage norm). ``heads[d]`` limits post ``d`` to the heads whose evidence will be shown.
    """
    n_docs, n_heads = batch.n_docs, weights.shape[1] if weights.ndim == 2 else len(HEADS)
    out: list[list[tuple[Evidence, ...]]] = [[() for _ in range(n_heads)] for _ in range(n_docs)]
    if n_docs == 0 or doc.size == 0:
        return out
    wanted = np.ones((n_docs, n_heads), dtype=bool)
    if heads is not None:
        wanted[:] = False
        for d, shown in enumerate(heads):
            wanted[d, list(shown)] = True
    # every (n-gram, head) pair that pushes a shown head up; all heads go through ONE span selection, grouped by
    # (head, post): on one post, five small selections cost more in numpy call overhead than the work itself
    g, k = np.nonzero((weights > 0) & wanted[doc])
    if g.size == 0:
        return out
    d = doc[g]
    group = k * n_docs + d
    span_group, span_start, span_end, span_weight = select_spans(
        group, start[g], end[g], weights[g, k].astype(np.float64), n_heads * n_docs)
    normalized: dict[int, str] = {}
    snapped: dict[tuple[int, int, int], tuple[int, int]] = {}  # heads of one post often share spans
    span_post = span_group % n_docs
    keys, posts, starts, ends = span_group.tolist(), span_post.tolist(), [], []
    for post, a, b in zip(posts, span_start.tolist(), span_end.tolist()):
        cache_key = (post, a, b)
        if cache_key not in snapped:
            if post not in normalized:
                normalized[post] = batch.text(post)
            snapped[cache_key] = _tidy(normalized[post], a, b, lexicon)
        a, b = snapped[cache_key]
        starts.append(a)
        ends.append(b)
    lows, highs = batch.original_spans(span_post, starts, ends)  # normalised → original, all spans at once
    sources = ["model"] + [f"model:{head}" for head in HEADS[1:]]
    collected: dict[int, list[Evidence]] = {}
    for key, post, lo, hi, w in zip(keys, posts, lows.tolist(), highs.tolist(), span_weight.tolist()):
        lo, hi = whole_numbers(texts[post], lo, hi)
        collected.setdefault(key, []).append(Evidence(lo, hi, texts[post][lo:hi], w, sources[key // n_docs]))
    for key, spans in collected.items():
        head, post = divmod(key, n_docs)
        out[post][head] = tuple(spans)
    return out


#: characters that join two digit runs into one number (1.5, 1,000, 1．5); Chinese "，" ends a clause instead
_NUMBER_JOINS = frozenset(".,．")
#: signs that belong to the number they follow (5% is not 5; 10万 is not 10)
_NUMBER_SUFFIXES = frozenset("%％‰十百千万亿")
#: Chinese numerals: the normaliser folds a run of them in a number context (奖一百) to one 0, like a digit run
_CHINESE_NUMERALS = frozenset("〇零一二三四五六七八九十百千万亿两壹贰叁肆伍陆柒捌玖拾佰仟")


def _same_number(text: str, i: int) -> bool:
    """Whether ``text[i]`` belongs to the number that ``text[i - 1]`` is part of (``0 < i < len(text)``)."""
    before, here = text[i - 1], text[i]
    if before.isdigit():
        if here.isdigit() or here in _NUMBER_SUFFIXES:
            return True
        return here in _NUMBER_JOINS and i + 1 < len(text) and text[i + 1].isdigit()
    if before in _NUMBER_JOINS:
        return here.isdigit() and i >= 2 and text[i - 2].isdigit()
    return before in _CHINESE_NUMERALS and here in _CHINESE_NUMERALS


def whole_numbers(text: str, start: int, end: int) -> tuple[int, int]:
    """Widen a span so it never cuts a number in the ORIGINAL text (奖100, not 奖10; 1.5%, not 5%; 奖一百, not 奖一).

    The normaliser folds digit and numeral runs, so a span's edge can stand for part of a longer number; a
    reviewer must see the number as written: its digits, its decimal or thousands separators between digits, and
    a percent or per-mille sign or a Chinese multiplier after it (5%, 10万, 1.5亿).
    """
    while 0 < start < len(text) and _same_number(text, start):
        start -= 1
    while 0 < end < len(text) and _same_number(text, end):
        end += 1
    return start, end


def _tidy(text: str, start: int, end: int, lexicon: SnapLexicon | None) -> tuple[int, int]:
    """Widen a span to whole words, then drop separators at its edges (punctuation and spaces normalise to
    whitespace; an n-gram like "，团" is evidence for the model but a reviewer wants to see 团队, not ，团队)."""
    if lexicon is not None:
        start, end = lexicon.snap(text, start, end)
    while end - start > 1 and text[start].isspace():
        start += 1
    while end - start > 1 and text[end - 1].isspace():
        end -= 1
    return start, end


def top_features(normalized: str, start: np.ndarray, end: np.ndarray, weights: np.ndarray, top: int = 15) -> list[dict]:
    """The n-grams of one passage with the largest absolute contribution to each head (``mlmrisk explain``).

    ``start``/``end`` are local offsets into ``normalized`` and ``weights`` [E, H] each occurrence's share.
    """
    totals: dict[str, np.ndarray] = {}
    counts: dict[str, int] = {}
    for a, b, row in zip(start.tolist(), end.tolist(), weights):
        gram = normalized[a:b]
        totals[gram] = totals.get(gram, 0.0) + row
        counts[gram] = counts.get(gram, 0) + 1
    ranked = sorted(totals.items(), key=lambda kv: -abs(float(kv[1][0])))[:top]
    return [{"ngram": gram, "count": counts[gram],
             "contribution": {head: round(float(v[k]), 4) for k, head in enumerate(HEADS)}} for gram, v in ranked]
