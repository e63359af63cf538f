"""The discussion guard: a post that talks ABOUT a scheme (a warning, a news report, a victim's account) is not
promotion, even when it quotes the pitch word for word.

Why a separate head, on the whole post: serving scores a post by its best passage (``classifier.features``), so a
pitch hidden in a long ordinary post is not diluted. The same rule cuts a quoted pitch out of the warning around
it: on writers the model never saw, 11 of 34 anti-传销 warnings were flagged, each on the passage that quotes
"推荐一人奖800元、第二代400元" (docs/training.md, "The discussion guard"). The MLM head cannot learn the framing
from the other passages either: ordinary text around an embedded pitch is as negative for it as a warning
(measured: the worst passage of held-out warnings and of ordinary posts both sit near logit −7). So a second
linear head, the *discussion* head, is fitted on whole posts to separate texts about schemes (the written
corpus's warnings and news) from everything else, pitches and ordinary text alike, and the post's MLM logit
``z`` (its best passage's, calibrated) becomes

    z' = z − ramp(z) · penalty,    penalty = weight · max(0, d − tau),
    ramp(z) = clip((z − onset) / (full − onset), 0, 1),
    d = (Σ idf·γ + Σ_quoted q[row]) / max(min_norm, √Σ idf²) + intercept

over every n-gram occurrence of the post (each once) — or, for a guard trained with ``discussion_distinct``
(the manifest's ``discussion_grams: "distinct"``), over every DISTINCT n-gram of the post (``distinct_grams``):
summed over occurrences, ``d`` grows with √copies of a post's text, so a pitch pasted 40 times over reads as a
text about schemes and loses its flag (22 of 34 review pitches kept, against 31 once); over distinct grams,
copies change nothing. The second sum, from model 2.3, runs over the grams that stand inside quotation marks
(``classifier.quotes``: a warning quotes the pitch it warns against), each adding its row of a small table of
its own. ``tau`` is set in training so that almost no promotion is touched (a high
quantile of out-of-fold ``d`` over training promotions).

The ramp (from model 2.3): the guard does not touch a post whose MLM logit is under ``onset`` — a logit just
under the watch threshold's —, takes its full penalty off from ``full`` — the flag threshold's logit — up, and a
growing share in between (continuous in ``z``). The guard's question is "is this suspicious post a text about
schemes?"; it has no business moving posts nobody would look at. That makes the guard a matter of the full path
alone: a post the hot path (the MLM head, no guard) scores under ``onset`` is final there, and only posts at or
above it — well under 1 % of real traffic — pay for the whole-post pass. The hot-path table lost the guard's
column (rows of 8 bytes instead of 16: docs/architecture.md), and the guard may grow features that would be too
dear for every post (the quoted channel). Which posts are flagged is exactly what the full penalty everywhere
gives (at and above the flag threshold the penalty is whole; below it no post can be flagged). A plain floor
(``max(z − penalty, min(z, onset))``) was tried first: it piled every lowered text about schemes just under the
watch threshold, above every ordinary post, and cost ranking below it (docs/training.md, "Quotation").

The numbers (γ·idf, the quoted channel's table, intercept, tau, weight, onset, full) are initializers of the
full-path graph ``model.onnx``, whose output ``discussion`` is ``d`` per post; a model exported without the guard
has none of them and its penalty is 0. Models 2.1–2.2 carried the guard (without a ramp) in the hot-path graph
``mlm.onnx``; they must be retrained.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mlmrisk.classifier import risk

#: initializer names of the guard in ``model.onnx``: a float32[B+1] table and four scalars
GUARD_TABLE = "discussion_w"
GUARD_SCALARS = ("discussion_intercept", "discussion_tau", "discussion_weight", "discussion_onset",
                 "discussion_full")
#: the full-path graph's output of the decision value ``d`` per post, and its two inputs (every gram once)
GUARD_OUTPUT = "discussion"
GUARD_INPUTS = ("gram_bucket", "gram_doc")
#: the quoted channel (``classifier.quotes``): a third input, each gram's row of the channel, and its table
QUOTE_INPUT = "gram_quote"
QUOTE_TABLE = "discussion_q"
#: where the guard starts, in logit under the watch threshold's: a post it touches at all is one the full path sees
ONSET_GAP = 0.1


def guard_input_names(quotes: bool) -> tuple[str, ...]:
    """The full-path graph's inputs that the guard adds: every gram once, and with the quoted channel its rows."""
    return GUARD_INPUTS + ((QUOTE_INPUT,) if quotes else ())


def ramp_logits(watch: float, flag: float) -> tuple[float, float]:
    """(onset, full) of the guard's ramp for the thresholds: ``logit(watch) − ONSET_GAP`` and ``logit(flag)``."""
    return float(risk.logit(watch)) - ONSET_GAP, float(risk.logit(flag))


def discussion_penalty(decision: np.ndarray, tau: float, weight: float) -> np.ndarray:
    """float64[N] ≥ 0, ``weight · max(0, d − tau)``: the whole penalty, before the ramp."""
    return weight * np.maximum(0.0, np.asarray(decision, dtype=np.float64) - tau)


def guarded_logit(logit: np.ndarray, decision: np.ndarray, tau: float, weight: float, onset: float,
                  full: float) -> np.ndarray:
    """float64[N]: ``z − ramp(z) · penalty``, the one formula of the guard's effect: serving
    (``Scorer.score_full``) and training (out-of-fold scores, held-out styles, the final model's report) call it.
    Never raises a score; leaves every post with ``z ≤ onset`` as it was."""
    z = np.asarray(logit, dtype=np.float64)
    share = np.clip((z - onset) / max(full - onset, 1e-9), 0.0, 1.0)
    return z - share * discussion_penalty(decision, tau, weight)


@dataclass(frozen=True)
class DiscussionGuard:
    """The scalars of the guard (its per-bucket weights live in the full-path graph, which outputs ``d``)."""

    intercept: float = 0.0
    tau: float = 0.0
    weight: float = 0.0  # 0: no guard (models exported without it)
    onset: float = np.inf  # no post at or below it is touched; inf: none is
    full: float = np.inf  # the whole penalty from here up
    quotes: bool = False  # the full graph has the quoted channel (its third input, ``QUOTE_INPUT``)
    distinct: bool = False  # feed each distinct gram of a post once (``distinct_grams``), not every occurrence

    @property
    def active(self) -> bool:
        return bool(self.weight > 0.0 and np.isfinite(self.onset) and np.isfinite(self.full))

    @property
    def onset_probability(self) -> float:
        """The onset as a probability (1.0 for an inactive guard: nothing is ever lowered)."""
        return float(1.0 / (1.0 + np.exp(-self.onset))) if self.active else 1.0

    def penalty(self, decision: np.ndarray) -> np.ndarray:
        """float64[N] ≥ 0: the whole penalty, before the ramp, from decision values ``d``."""
        if not self.active:
            return np.zeros(np.shape(decision))
        return discussion_penalty(decision, self.tau, self.weight)

    def apply(self, logit: np.ndarray, decision: np.ndarray) -> np.ndarray:
        """Each post's MLM logit after the guard (``guarded_logit``)."""
        if not self.active:
            return np.asarray(logit, dtype=np.float64)
        return guarded_logit(logit, decision, self.tau, self.weight, self.onset, self.full)


def distinct_grams(bucket: np.ndarray, doc: np.ndarray, quote: np.ndarray | None, n_buckets: int,
                   not_quoted: int) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """The guard's inputs with each distinct gram of a post once: (bucket, doc, quote) int64[G'].

    Two parts, because the guard sums two tables over the same rows: the distinct (doc, bucket) pairs, each
    with ``quote = not_quoted`` (a zero row of the quoted table), then the distinct (doc, quote row) pairs of
    quoted grams, each with ``bucket = n_buckets`` (the bucket that holds no gram: zero weight and idf). Training
    counts the same sets (a binary count matrix, ``training/discussion.py: guard_matrix``). Without the quoted
    channel (``quote`` None) only the first part, and ``quote`` stays None. Rows are ordered by (doc, bucket)."""
    bucket = np.asarray(bucket, dtype=np.int64)
    doc = np.asarray(doc, dtype=np.int64)
    width = np.int64(n_buckets) + 1
    pairs = np.unique(doc * width + bucket)
    out_bucket, out_doc = pairs % width, pairs // width
    if quote is None:
        return out_bucket, out_doc, None
    quote = np.asarray(quote, dtype=np.int64)
    inside = quote != not_quoted
    rows = np.unique(doc[inside] * np.int64(not_quoted + 1) + quote[inside])
    return (np.concatenate([out_bucket, np.full(rows.size, n_buckets, dtype=np.int64)]),
            np.concatenate([out_doc, rows // (not_quoted + 1)]),
            np.concatenate([np.full(pairs.size, not_quoted, dtype=np.int64), rows % (not_quoted + 1)]))
