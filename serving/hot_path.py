"""The hot path: every post's MLM probability from a fused numba kernel reading the weights of ``mlm.onnx``.

Why not onnxruntime for this step: the hot-path graph (``training/export.py``, ``build_fast_graph``) is a gather of
one float per n-gram and two scatter-adds, and feeding it means building int64 arrays of every gram, passage entry
and passage — ~460 entries per short post. Allocating and filling those arrays, then gathering and scattering them
in the graph, cost ~40 µs per short post; hashing the same n-grams and adding their weights as they are found
costs a few. So the ONNX file stays the model artifact and the definition of the numbers (its initializers ``w``,
``idf2``, ``min_norm``, ``slope``, ``offset`` are read here, once, by ``serving.onnx_weights``), onnxruntime runs the full path, and
``classifier.kernels.best_passage_logits`` runs the same formula for every post. ``tests/serving/test_hot_path.py`` holds
the kernel equal to the graph (probability within 1e-5: the graph sums in float32) on real, long, evasive and hostile text.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mlmrisk.classifier.discussion import GUARD_SCALARS, GUARD_TABLE, DiscussionGuard
from mlmrisk.classifier.errors import ModelLoadError
from mlmrisk.classifier.features import FeatureSpec, best_passage_logits
from mlmrisk.classifier.normalize import NormalizedBatch
from mlmrisk.serving.onnx_weights import read_initializers

#: initializers of the hot-path graph the kernel needs: two tables and three scalars
GRAPH_SCALARS = ("min_norm", "slope", "offset")
GRAPH_WEIGHTS = ("w", "idf2", *GRAPH_SCALARS)


@dataclass(frozen=True, eq=False)
class HotPath:
    """The MLM head's weights as the kernel reads them: (idf·β, idf², discussion idf·γ, 0) per bucket, and the
    scalars (``classifier.discussion``: a model exported before the guard has a zero third column and no guard)."""

    table: np.ndarray  # float32[B+1, 4]
    min_norm: float
    slope: float
    offset: float
    features: FeatureSpec
    guard: DiscussionGuard = DiscussionGuard()

    @classmethod
    def from_onnx(cls, path: Path, features: FeatureSpec) -> "HotPath":
        """Read the hot-path graph's weights (``serving.onnx_weights``: the file is parsed, nothing is executed)."""
        weights = read_initializers(path, GRAPH_WEIGHTS + (GUARD_TABLE, *GUARD_SCALARS))
        missing = [name for name in GRAPH_WEIGHTS if name not in weights]
        if missing:
            raise ModelLoadError(f"{path} lacks the hot-path weights {missing}; rebuild the model with `mlmrisk train`")
        guard_names = (GUARD_TABLE, *GUARD_SCALARS)
        has_guard = [name in weights for name in guard_names]
        if any(has_guard) and not all(has_guard):
            raise ModelLoadError(f"{path} holds only part of the discussion guard "
                                 f"({[n for n, h in zip(guard_names, has_guard) if h]}); rebuild the model")
        scalars = [name for name in GRAPH_SCALARS + (GUARD_SCALARS if all(has_guard) else ())
                   if weights[name].size != 1]
        if scalars:
            raise ModelLoadError(f"{path}: {scalars} must hold one number each; rebuild the model with `mlmrisk train`")
        w, idf2 = weights["w"].astype(np.float32), weights["idf2"].astype(np.float32)
        v = weights[GUARD_TABLE].astype(np.float32) if all(has_guard) else np.zeros_like(w)
        expected = (features.n_buckets + 1,)
        if w.shape != expected or idf2.shape != expected or v.shape != expected:
            raise ModelLoadError(f"{path}: weight tables of shape {w.shape}/{idf2.shape}/{v.shape}, expected "
                                 f"{expected} for {features.bucket_bits}-bit buckets")
        table = np.zeros((w.size, 4), dtype=np.float32)
        table[:, 0], table[:, 1], table[:, 2] = w, idf2, v
        guard = DiscussionGuard()
        if all(has_guard):
            intercept, tau, weight = (float(weights[name].reshape(())) for name in GUARD_SCALARS)
            if not (np.isfinite([intercept, tau, weight]).all() and weight >= 0):
                raise ModelLoadError(f"{path}: discussion guard scalars {intercept, tau, weight} are not finite "
                                     "with a weight ≥ 0")
            guard = DiscussionGuard(intercept, tau, weight)
        return cls(table, *(float(weights[name].reshape(())) for name in GRAPH_SCALARS), features, guard)

    def logits(self, batch: NormalizedBatch) -> np.ndarray:
        """float64[N]: each post's best-passage MLM logit."""
        return self.best_passages(batch)[0]

    def best_passages(self, batch: NormalizedBatch) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(float64[N] MLM logit: the best passage's, less the discussion penalty; int64[N] that passage's index
        among the post's passages; float64[N] its lead over the runner-up passage; int64[N] the post's content
        characters, as ``batch.content_chars()``)."""
        logits, local, lead, raw, content = best_passage_logits(batch, self.features, self.table, self.min_norm,
                                                                self.slope, self.offset)
        if self.guard.active:
            logits = logits - self.guard.penalty(raw)
        return logits, local, lead, content

    def discussion(self, batch: NormalizedBatch) -> np.ndarray:
        """float64[N]: the discussion head's decision value of each post (``classifier.discussion``)."""
        raw = best_passage_logits(batch, self.features, self.table, self.min_norm, self.slope, self.offset)[3]
        return self.guard.decision(raw)

    def probability(self, batch: NormalizedBatch) -> np.ndarray:
        """float64[N]: each post's MLM probability (the hot-path graph's ``probability`` output)."""
        logits = self.logits(batch)
        return 1.0 / (1.0 + np.exp(-logits))
