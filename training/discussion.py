"""Fitting the discussion guard (``classifier.discussion``: the formula and why).

The discussion head is one L2 logistic regression over the same TF-IDF features, fitted on WHOLE posts (never
passages: the framing around a quoted pitch is what it must see). Its positives are the posts of the kinds in
``TrainConfig.discussion_kinds``: the written corpus's anti-传销 warnings and news reports and the synthetic
generator's warnings by default; everything else
in training is a negative, promotions and ordinary text alike, so that ordinary text around an embedded pitch
does not lower its score. ``tau`` is the ``discussion_quantile`` quantile of out-of-fold decision values over
the training promotions (so that about 1 − quantile of them lose anything), ``weight`` the logit taken off per
unit above it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from mlmrisk.classifier.discussion import discussion_penalty
from mlmrisk.training.heads import LinearHeads
from mlmrisk.training.vectorizer import Counted, tfidf_weight


@dataclass(frozen=True)
class DiscussionHead:
    """A fitted guard: ``coef`` over buckets (raw, before idf), ``intercept``, ``tau``, ``weight``."""

    coef: np.ndarray
    intercept: float
    tau: float
    weight: float

    def decision(self, doc_weights) -> np.ndarray:
        """Decision values of whole posts from their TF-IDF rows (``tfidf_weight`` of per-post counts)."""
        return np.asarray(doc_weights @ self.coef).ravel() + self.intercept

    def penalty(self, decision: np.ndarray) -> np.ndarray:
        return discussion_penalty(decision, self.tau, self.weight)


def discussion_labels(styles: Sequence[dict], categories: Sequence[str], kinds: Sequence[str]) -> np.ndarray:
    """int64[N]: 1 for records of one of ``kinds``: a written record's ``kind``, or a synthetic post's scheme
    (category ``synthetic:<kind>``, e.g. the generator's ``anti_mlm`` warnings), else 0."""
    wanted = set(kinds)
    synthetic = {f"synthetic:{kind}" for kind in kinds}
    return np.fromiter((1 if style.get("kind") in wanted or category in synthetic else 0
                        for style, category in zip(styles, categories)), dtype=np.int64, count=len(styles))


def fit_discussion(counted: Counted, labels: np.ndarray, weights: np.ndarray, rows: np.ndarray, idf: np.ndarray,
                   C: float, min_norm: float) -> tuple[np.ndarray, float]:
    """(coef float64[B], intercept) of the discussion head fitted on the whole posts ``rows``."""
    X = tfidf_weight(counted.docs[rows], idf, min_norm)
    head = LinearHeads(C=C).fit(X, labels[rows][:, None], sample_weight=weights[rows])
    return head.coef_[0], float(head.intercept_[0])


def whole_post_decision(counted: Counted, rows: np.ndarray, idf: np.ndarray, min_norm: float, coef: np.ndarray,
                        intercept: float) -> np.ndarray:
    """Decision values of the whole posts ``rows`` (the serving kernel's ``raw + intercept``)."""
    return np.asarray(tfidf_weight(counted.docs[rows], idf, min_norm) @ coef).ravel() + intercept


def choose_tau(decision: np.ndarray, positive: np.ndarray, quantile: float) -> float:
    """The ``quantile`` of out-of-fold decision values over promotions (NaN rows, not scored, are ignored)."""
    values = np.asarray(decision, dtype=np.float64)[np.asarray(positive, dtype=bool)]
    values = values[np.isfinite(values)]
    if not values.size:
        raise ValueError("no out-of-fold discussion values for promotions: cannot set the guard's tau")
    return float(np.quantile(values, quantile))
