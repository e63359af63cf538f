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
