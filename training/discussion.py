"""Fitting the discussion guard (``classifier.discussion``: the formula and why).

The discussion head is one L2 logistic regression over the same TF-IDF features, fitted on WHOLE posts (never
passages: the framing around a quoted pitch is what it must see). Its positives are the posts of the kinds in
``TrainConfig.discussion_kinds``: the written corpus's anti-传销 warnings and news reports and the synthetic
generator's warnings by default; everything else
in training is a negative, promotions and ordinary text alike, so that ordinary text around an embedded pitch
does not lower its score. ``tau`` is the ``discussion_quantile`` quantile of out-of-fold decision values over
the training promotions (so that about 1 − quantile of them lose anything), ``weight`` the logit taken off per
unit above it, on the ramp from just under the watch threshold to the flag threshold
(``classifier.discussion.ramp_logits``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from mlmrisk.classifier.discussion import guarded_logit
from mlmrisk.classifier.quotes import QUOTE_BUCKETS, QUOTE_SCALE, QUOTE_SHARED
from mlmrisk.training.heads import DEFAULT_SOLVER_TOL, LinearHeads
from mlmrisk.training.vectorizer import Counted, occurrence_norms, tfidf_weight


def has_quoted_channel(coef: np.ndarray, n_buckets: int) -> bool:
    """Whether the guard's coefficients carry the quoted channel (``guard_matrix`` with ``quotes``)."""
    return coef.size == n_buckets + QUOTE_BUCKETS + 1


@dataclass(frozen=True)
class DiscussionHead:
    """A fitted guard: ``coef`` over buckets (raw, before idf) — followed, with the quoted channel, by one
    coefficient per row of that channel and one shared by every quoted gram (``guard_matrix``) —, ``intercept``,
    ``tau``, ``weight`` and the ramp's ``onset`` and ``full`` (logits, ``classifier.discussion.ramp_logits``)."""

    coef: np.ndarray
    intercept: float
    tau: float
    weight: float
    onset: float
    full: float
    distinct: bool = False  # fitted on each distinct gram of a post once (``guard_matrix``), not every occurrence

    def has_quotes(self, n_buckets: int) -> bool:
        return has_quoted_channel(self.coef, n_buckets)

    def bucket_coef(self, n_buckets: int) -> np.ndarray:
        return self.coef[:n_buckets]

    def quote_table(self, n_buckets: int) -> np.ndarray:
        """float64[QUOTE_BUCKETS + 1]: what each quoted gram adds to the guard's sum, by its row of the quoted
        channel (``QUOTE_SCALE`` · its coefficient + ``QUOTE_SHARED`` · the shared one; the last row, for grams
        that are not quoted, 0) — the full graph's ``discussion_q``."""
        table = np.zeros(QUOTE_BUCKETS + 1)
        if self.has_quotes(n_buckets):
            extra = self.coef[n_buckets:]
            table[:QUOTE_BUCKETS] = QUOTE_SCALE * extra[:QUOTE_BUCKETS] + QUOTE_SHARED * extra[QUOTE_BUCKETS]
        return table

    def decision(self, counted: Counted, idf: np.ndarray, min_norm: float) -> np.ndarray:
        """Decision values of every post of ``counted`` (whole posts)."""
        return whole_post_decision(counted, np.arange(counted.docs.shape[0]), idf, min_norm, self.coef,
                                   self.intercept, self.distinct)

    def apply(self, logit: np.ndarray, decision: np.ndarray) -> np.ndarray:
        """Calibrated MLM logits after the guard, as serving computes them (``classifier.discussion``)."""
        return guarded_logit(logit, decision, self.tau, self.weight, self.onset, self.full)


def discussion_labels(styles: Sequence[dict], categories: Sequence[str], kinds: Sequence[str]) -> np.ndarray:
    """int64[N]: 1 for records of one of ``kinds``: a written record's ``kind``, or a synthetic post's scheme
    (category ``synthetic:<kind>``, e.g. the generator's ``anti_mlm`` warnings), else 0."""
    wanted = set(kinds)
    synthetic = {f"synthetic:{kind}" for kind in kinds}
    return np.fromiter((1 if style.get("kind") in wanted or category in synthetic else 0
                        for style, category in zip(styles, categories)), dtype=np.int64, count=len(styles))


def _binary(counts: sp.csr_matrix) -> sp.csr_matrix:
    """The same matrix with every stored count 1: each distinct gram (or quoted row) of a post once."""
    out = counts.copy()
    out.data = np.ones_like(out.data)
    return out


def guard_matrix(counted: Counted, rows: np.ndarray, idf: np.ndarray, min_norm: float, quotes: bool,
                 distinct: bool = False) -> sp.csr_matrix:
    """The guard's features of the whole posts ``rows``: their TF-IDF rows (every gram once), and with ``quotes``
    the quoted channel (``classifier.quotes``): each quoted gram once more, in its row of the channel, weighing
    ``QUOTE_SCALE`` (not idf), and a column shared by every quoted gram weighing ``QUOTE_SHARED``; all under the
    post's own norm, so that the full graph adds ``discussion_q[row]`` per quoted gram to the same sum.
    ``distinct``: each distinct gram (and quoted row) of a post counts once, whatever its number of occurrences —
    what serving feeds such a guard (``classifier.discussion.distinct_grams``), so copies of a text change nothing."""
    docs = _binary(counted.docs[rows]) if distinct else counted.docs[rows]
    X = tfidf_weight(docs, idf, min_norm)
    if not quotes:
        return X
    if counted.quoted is None:
        raise ValueError("the quoted channel needs counts made from the texts (HashedNgramVectorizer.count)")
    norm = occurrence_norms(docs, idf, min_norm)
    quoted = _binary(counted.quoted[rows]) if distinct else counted.quoted[rows]
    shared = np.asarray(quoted.sum(axis=1)).ravel() * QUOTE_SHARED / norm
    return sp.hstack([X, sp.diags(QUOTE_SCALE / norm) @ quoted, sp.csr_matrix(shared[:, None])], format="csr")


def fit_discussion(counted: Counted, labels: np.ndarray, weights: np.ndarray, rows: np.ndarray, idf: np.ndarray,
                   C: float, min_norm: float, quotes: bool = False, distinct: bool = False, *,
                   tol: float = DEFAULT_SOLVER_TOL) -> tuple[np.ndarray, float]:
    """(coef, intercept) of the discussion head fitted on the whole posts ``rows`` (``coef``: float64[B], or
    [B + QUOTE_BUCKETS + 1] with the quoted channel; ``distinct``: ``guard_matrix``)."""
    X = guard_matrix(counted, rows, idf, min_norm, quotes, distinct)
    head = LinearHeads(C=C, tol=tol).fit(X, labels[rows][:, None], sample_weight=weights[rows])
    return head.coef_[0], float(head.intercept_[0])


def whole_post_decision(counted: Counted, rows: np.ndarray, idf: np.ndarray, min_norm: float, coef: np.ndarray,
                        intercept: float, distinct: bool = False) -> np.ndarray:
    """Decision values of the whole posts ``rows`` (the full graph's ``discussion`` output); the quoted channel
    is used when ``coef`` has it."""
    quotes = has_quoted_channel(coef, idf.size)
    return np.asarray(guard_matrix(counted, rows, idf, min_norm, quotes, distinct) @ coef).ravel() + intercept


def choose_tau(decision: np.ndarray, positive: np.ndarray, quantile: float) -> float:
    """The ``quantile`` of out-of-fold decision values over promotions (NaN rows, not scored, are ignored)."""
    values = np.asarray(decision, dtype=np.float64)[np.asarray(positive, dtype=bool)]
    values = values[np.isfinite(values)]
    if not values.size:
        raise ValueError("no out-of-fold discussion values for promotions: cannot set the guard's tau")
    return float(np.quantile(values, quantile))


def add_stock_line_promotions(corpus, fraction: float, seed: int, lines: Sequence[str]) -> int:
    """Append to ``corpus`` guard-only copies of a ``fraction`` of its training promotions (written and synthetic)
    with one stock line attached, before or after (deterministic in ``seed``); returns how many.

    Why: the texts about schemes of ``discussion_data`` include group rules and notices ("本群严禁传销…") and
    disclaimers quoted by warnings, so a guard fitted on them alone also reads a pitch that carries such a line as
    a warning (measured: held-out promotions kept with an evaluation line attached fell from 0.77 to 0.71;
    docs/training.md, "Texts about schemes"). These copies are the guard's negatives only (role ``discussion``,
    never rows of the five heads); each keeps its source's group, fold and style, so cross-validation and
    held-out styles leave it out with its source. Like every guard-only row it weighs ``written_weight`` (also
    the copies of synthetic promotions, whose sources weigh 1: the copies are the guard's only negatives of this
    kind, against 640 written texts about schemes at that weight).
    """
    import random

    from mlmrisk.training.boilerplate import _attach
    from mlmrisk.training.data import GUARD_ONLY

    lines = list(lines)
    if fraction <= 0 or not lines:
        return 0
    rng = random.Random(seed)
    sources = [i for i in range(len(corpus)) if corpus.label[i] == 1 and corpus.split[i] == "train"
               and corpus.role[i] in ("written", "synthetic")]
    added = 0
    for i in sources:
        if rng.random() >= fraction:
            continue
        line = lines[int(rng.random() * len(lines))]
        corpus.append(text=_attach(corpus.text[i], line, rng.random() < 0.5), label=1, elements=corpus.elements[i],
                      corpus="stock_line_promotions", role=GUARD_ONLY, original_label=corpus.original_label[i],
                      category="stock_line", group=corpus.group[i], split="train", fold=corpus.fold[i],
                      style=dict(corpus.style[i]))
        added += 1
    return added
