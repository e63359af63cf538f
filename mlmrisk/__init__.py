"""mlmrisk: a pyramid-scheme (传销) promotion risk index for Chinese text.

The installed import name is ``mlmrisk`` alone. The repository keeps the design card's top-level folders and maps
them into this namespace at install time (``pyproject.toml``: ``package-dir``)::

    classifier/ → mlmrisk.classifier     the pure core: normaliser, features, labels, risk, result schema, manifest
    serving/    → mlmrisk.serving        ONNX scoring, bulk I/O (no scikit-learn, no pickle)
    training/   → mlmrisk.training       fitting, evaluation, export (the ``train`` extra)
    models/     → mlmrisk.models         the shipped default model (package data)
    data/       → mlmrisk.data           the project's own data files (folding table, keyword lists, samples)

Public names are imported lazily, so ``import mlmrisk`` costs nothing until a name is used (no onnxruntime
import for ``mlmrisk --version``).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from mlmrisk._version import __version__

_EXPORTS = {
    "Scorer": "mlmrisk.serving.scorer",
    "ScoredBatch": "mlmrisk.serving.scorer",
    "RiskResult": "mlmrisk.classifier.result",
    "Evidence": "mlmrisk.classifier.result",
    "ElementResult": "mlmrisk.classifier.result",
    "InputError": "mlmrisk.classifier.result",
    "RiskLevel": "mlmrisk.classifier.risk",
    "Thresholds": "mlmrisk.classifier.risk",
    "Element": "mlmrisk.classifier.labels",
    "MlmriskError": "mlmrisk.classifier.errors",
    "RESULT_SCHEMA": "mlmrisk.classifier.schema",
}

__all__ = ["__version__", *_EXPORTS]

if TYPE_CHECKING:  # pragma: no cover
    from mlmrisk.classifier.errors import MlmriskError
    from mlmrisk.classifier.labels import Element
    from mlmrisk.classifier.result import ElementResult, Evidence, InputError, RiskResult
    from mlmrisk.classifier.risk import RiskLevel, Thresholds
    from mlmrisk.classifier.schema import RESULT_SCHEMA
    from mlmrisk.serving.scorer import ScoredBatch, Scorer


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'mlmrisk' has no attribute {name!r}")
    return getattr(import_module(module), name)
