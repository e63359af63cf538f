"""The discussion guard: a post that talks ABOUT a scheme (a warning, a news report, a victim's account) is not
promotion, even when it quotes the pitch word for word.

Why a separate head, on the whole post: serving scores a post by its best passage (``classifier.features``), so a
pitch hidden in a long ordinary post is not diluted. The same rule cuts a quoted pitch out of the warning around
it: on writers the model never saw, 11 of 34 anti-传销 warnings were flagged, each on the passage that quotes
"推荐一人奖800元、第二代400元" (docs/training.md, "The discussion guard"). The MLM head cannot learn the framing
from the other passages either: ordinary text around an embedded pitch is as negative for it as a warning
(measured: the worst passage of held-out warnings and of ordinary posts both sit near logit −7). So a second
linear head, the *discussion* head, is fitted on whole posts to separate texts about schemes (the written
corpus's warnings and news) from everything else, pitches and ordinary text alike, and the post's MLM logit is
lowered by

    penalty = weight · max(0, d − tau),    d = Σ idf·γ / max(min_norm, √Σ idf²) + intercept

over every n-gram occurrence of the post (each once). ``tau`` is set in training so that almost no promotion
is touched (a high quantile of out-of-fold ``d`` over training promotions); the penalty only ever lowers a
score, so the hot path's screen for the full path stays exact.

The numbers (γ·idf, intercept, tau, weight) are initializers of the hot-path graph ``mlm.onnx``; a model
exported before the guard has none, and its penalty is 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: initializer names of the guard in ``mlm.onnx``: a float32[B+1] table and three scalars
GUARD_TABLE = "discussion_w"
GUARD_SCALARS = ("discussion_intercept", "discussion_tau", "discussion_weight")


def discussion_penalty(decision: np.ndarray, tau: float, weight: float) -> np.ndarray:
    """float64[N] ≥ 0, ``weight · max(0, d − tau)``: what comes off each post's calibrated MLM logit. The one
    formula of the penalty: serving (``DiscussionGuard``) and training (out-of-fold scores, held-out styles, the
    final model's report) all call it."""
    return weight * np.maximum(0.0, np.asarray(decision, dtype=np.float64) - tau)


@dataclass(frozen=True)
class DiscussionGuard:
    """The scalars of the guard (its per-bucket weights live in the hot-path table's third column)."""

    intercept: float = 0.0
    tau: float = 0.0
    weight: float = 0.0  # 0: no guard (models exported before it)

    @property
    def active(self) -> bool:
        return self.weight > 0.0

    def decision(self, raw: np.ndarray) -> np.ndarray:
        """The discussion head's decision value ``d`` from the kernel's raw whole-post value."""
        return np.asarray(raw, dtype=np.float64) + self.intercept

    def penalty(self, raw: np.ndarray) -> np.ndarray:
        """float64[N] ≥ 0: what comes off each post's calibrated MLM logit."""
        if not self.active:
            return np.zeros(np.shape(raw))
        return discussion_penalty(self.decision(raw), self.tau, self.weight)


def whole_post_raw(gram_bucket: np.ndarray, gram_doc: np.ndarray, n_docs: int, table: np.ndarray,
                   min_norm: float) -> np.ndarray:
    """The kernel's raw whole-post value from gram arrays (``features.hash_grams``: every gram once), for the
    full path, which has the grams but not the kernel's sums. ``table`` is the hot-path table (column 1 idf²,
    column 2 idf·γ)."""
    rows = table[gram_bucket]
    sum_v = np.bincount(gram_doc, weights=rows[:, 2].astype(np.float64), minlength=n_docs)
    sum_q = np.bincount(gram_doc, weights=rows[:, 1].astype(np.float64), minlength=n_docs)
    return sum_v / np.maximum(min_norm, np.sqrt(sum_q))
