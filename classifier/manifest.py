"""The model manifest: the contract between the ONNX file ``training`` writes and the one ``serving`` reads.

A model directory holds ``model.onnx`` and ``manifest.json``. The manifest carries what the graph does not: the
normaliser tables (so serving needs neither OpenCC nor the repository's data folder), hashing constants,
thresholds, metrics, the evidence word list, and the ONNX file's SHA-256 — the integrity check, and the model id
every output carries. Both sides use this module, so the format is written down once.

The one file access here is hashing the ONNX file for the integrity check, so that both sides compute it the same
way; reading and writing the manifest itself stays with ``training`` (writes) and ``serving`` (reads).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path

from mlmrisk.classifier.errors import ModelLoadError
from mlmrisk.classifier.labels import HEADS

MANIFEST_FORMAT = "mlmrisk-model"
MANIFEST_FORMAT_VERSION = 1
SUPPORTED_FORMAT_VERSIONS = (1,)
MANIFEST_NAME = "manifest.json"


def sha256_file(path: str | Path) -> str:
    """SHA-256 of a file, read in 1 MiB blocks (model files are tens of MB)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def model_id(manifest: Mapping) -> str:
    """``<model_version>+<first 12 hex of the ONNX SHA-256>``: names the exact model in every output."""
    return f"{manifest.get('model_version', '?')}+{manifest['onnx']['sha256'][:12]}"


def check_manifest(manifest: Mapping, where: str) -> None:
    """Refuse a manifest this version cannot serve, saying what was found and what was expected."""
    if manifest.get("format") != MANIFEST_FORMAT or manifest.get("format_version") not in SUPPORTED_FORMAT_VERSIONS:
        raise ModelLoadError(
            f"{where} has format {manifest.get('format')!r} version {manifest.get('format_version')!r}; "
            f"this mlmrisk reads {MANIFEST_FORMAT!r} versions {SUPPORTED_FORMAT_VERSIONS}"
        )
    if list(manifest.get("heads", [])) != list(HEADS):
        raise ModelLoadError(f"model heads {manifest.get('heads')} differ from this version's {list(HEADS)}")
    onnx = manifest.get("onnx")
    if not isinstance(onnx, Mapping) or not isinstance(onnx.get("file"), str) or not isinstance(onnx.get("sha256"), str):
        raise ModelLoadError(f"{where} lacks onnx.file / onnx.sha256; rebuild the model with `mlmrisk train`")


def check_digest(actual: str, manifest: Mapping, where: str) -> None:
    """The integrity check: the ONNX file must be the one the manifest was written for."""
    expected = manifest["onnx"]["sha256"]
    if actual != expected:
        raise ModelLoadError(
            f"{where} has SHA-256 {actual} but the manifest records {expected}: "
            "the file was changed or truncated; restore it or rebuild with `mlmrisk train`"
        )
