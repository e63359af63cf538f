"""Serving: score posts from an ONNX model directory. Imports neither scikit-learn nor pickle."""

from mlmrisk.serving.scorer import Scorer, ScoredBatch

__all__ = ["Scorer", "ScoredBatch"]
