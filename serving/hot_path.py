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

from mlmrisk.classifier.discussion import GUARD_SCALARS, GUARD_TABLE
from mlmrisk.classifier.errors import ModelLoadError
from mlmrisk.classifier.features import FeatureSpec, best_passage_logits
from mlmrisk.classifier.normalize import NormalizedBatch
from mlmrisk.serving.onnx_weights import read_initializers

#: initializers of the hot-path graph the kernel needs: two tables and three scalars
GRAPH_SCALARS = ("min_norm", "slope", "offset")
GRAPH_WEIGHTS = ("w", "idf2", *GRAPH_SCALARS)


@dataclass(frozen=True, eq=False)
class HotPath:
    """The MLM head's weights as the kernel reads them: (idf·β, idf²) per bucket, and the scalars."""

    table: np.ndarray  # float32[B+1, 2]
    min_norm: float
    slope: float
    offset: float
    features: FeatureSpec

    @classmethod
    def from_onnx(cls, path: Path, features: FeatureSpec) -> "HotPath":
        """Read the hot-path graph's weights (``serving.onnx_weights``: the file is parsed, nothing is executed)."""
        weights = read_initializers(path, GRAPH_WEIGHTS + (GUARD_TABLE, *GUARD_SCALARS))
        missing = [name for name in GRAPH_WEIGHTS if name not in weights]
        if missing:
            raise ModelLoadError(f"{path} lacks the hot-path weights {missing}; rebuild the model with `mlmrisk train`")
        legacy = [name for name in (GUARD_TABLE, *GUARD_SCALARS) if name in weights]
        if legacy:  # models 2.1–2.2: the guard, without a ramp, on every post (classifier/discussion.py)
            raise ModelLoadError(f"{path} carries the discussion guard in the hot-path graph ({legacy}), as models "
                                 "2.1–2.2 did; this mlmrisk scores the guard on the full path only: rebuild the model "
                                 "with `mlmrisk train` (or use mlmrisk < 2.3)")
        scalars = [name for name in GRAPH_SCALARS if weights[name].size != 1]
        if scalars:
            raise ModelLoadError(f"{path}: {scalars} must hold one number each; rebuild the model with `mlmrisk train`")
        w, idf2 = weights["w"].astype(np.float32), weights["idf2"].astype(np.float32)
        expected = (features.n_buckets + 1,)
        if w.shape != expected or idf2.shape != expected:
            raise ModelLoadError(f"{path}: weight tables of shape {w.shape}/{idf2.shape}, expected "
                                 f"{expected} for {features.bucket_bits}-bit buckets")
        table = np.empty((w.size, 2), dtype=np.float32)
        table[:, 0], table[:, 1] = w, idf2
        return cls(table, *(float(weights[name].reshape(())) for name in GRAPH_SCALARS), features)

    def logits(self, batch: NormalizedBatch) -> np.ndarray:
        """float64[N]: each post's best-passage MLM logit (before the discussion guard, which only the full path
        applies: ``classifier.discussion``)."""
        return self.best_passages(batch)[0]

    def best_passages(self, batch: NormalizedBatch) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(float64[N] MLM logit of the best passage; int64[N] that passage's index among the post's passages;
        float64[N] its lead over the runner-up passage; int64[N] the post's content characters
        other than digits, as ``batch.evidence_chars()``)."""
        return best_passage_logits(batch, self.features, self.table, self.min_norm, self.slope, self.offset)

    def probability(self, batch: NormalizedBatch) -> np.ndarray:
        """float64[N]: each post's MLM probability before the guard (the hot-path graph's ``probability``)."""
        logits = self.logits(batch)
        return 1.0 / (1.0 + np.exp(-logits))
