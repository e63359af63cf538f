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
#: 2: ``evidence.snap_words`` is one string of words joined by newlines (a JSON list of ~200k strings took ~25 ms of
#: every load to parse, twice per bulk run), and ``features.pinyin`` may carry ``classes`` (folded syllables), which a
#: reader of version 1 would silently ignore. Version 1 manifests (a list of words, no classes) still load.
MANIFEST_FORMAT_VERSION = 2
SUPPORTED_FORMAT_VERSIONS = (1, 2)
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


def join_snap_words(words: list[str]) -> str:
    """The manifest form of the evidence word list (version 2): one string, words separated by newlines."""
    if any("\n" in w for w in words):
        raise ValueError("evidence words cannot contain a newline")
    return "\n".join(words)


def snap_words(stored: object) -> list[str]:
    """The evidence word list from either manifest form: a list (version 1) or a newline-joined string (version 2)."""
    if isinstance(stored, str):
        return stored.split("\n") if stored else []
    return list(stored) if isinstance(stored, list) else []


def snap_word_count(stored: object) -> int:
    if isinstance(stored, str):
        return stored.count("\n") + 1 if stored else 0
    return len(stored) if isinstance(stored, list) else 0


def check_digest(actual: str, manifest: Mapping, where: str) -> None:
    """The integrity check: the ONNX file must be the one the manifest was written for."""
    expected = manifest["onnx"]["sha256"]
    if actual != expected:
        raise ModelLoadError(
            f"{where} has SHA-256 {actual} but the manifest records {expected}: "
            "the file was changed or truncated; restore it or rebuild with `mlmrisk train`"
        )
