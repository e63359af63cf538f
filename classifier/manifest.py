"""The model manifest: the contract between the ONNX file ``training`` writes and the one ``serving`` reads.

A model directory holds ``model.onnx`` and ``manifest.json``. The manifest carries what the graph does not: the
normaliser tables (so serving needs neither OpenCC nor the repository's data folder), hashing constants,
thresholds, metrics, the evidence word list, and the ONNX file's SHA-256 — the integrity check, and the model id
every output carries. Both sides use this module, so the format is written down once.

The one file access here is hashing the ONNX file for the integrity check, so that both sides compute it the same
way; reading and writing the manifest itself stays with ``training`` (writes) and ``serving`` (reads).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import zlib
from collections.abc import Mapping
from pathlib import Path

from mlmrisk.classifier.errors import ModelLoadError
from mlmrisk.classifier.labels import HEADS

MANIFEST_FORMAT = "mlmrisk-model"
#: 2: ``evidence.snap_words`` is one string of words joined by newlines (a JSON list of ~200k strings took ~25 ms of
#: every load to parse, twice per bulk run), and ``features.pinyin`` may carry ``classes`` (folded syllables), which a
#: reader of version 1 would silently ignore. Version 1 manifests (a list of words, no classes) still load.
#: 3: the hot-path graph may carry the discussion guard (``classifier.discussion``), which a reader of version 2
#: would silently skip (scoring warnings as the model never meant), and the model id covers both graphs
#: (``model_id_covers``). Versions 1 and 2 still load.
#: 4: the guard moved to the full-path graph (two or three more inputs, one more output, a ramp), which a reader of version
#: 3 would only find out about on the first suspicious post. Version 3 models load when their hot-path graph has
#: no guard (2.1–2.2 models with one are refused with a message: ``serving.hot_path``).
#: 5: ``evidence.snap_words`` is ``{"count": N, "zlib_base64": …}``, the newline-joined words compressed (1.96 MB of
#: UTF-8 → 1.07 MB), which keeps the served model (both graphs and the manifest) under 40 MB in decimal units too;
#: inflating costs ~7 ms where the lexicon is built (on the first evidence, or a bulk worker's start-up thread).
#: Versions 1–4 still load.
#: 6: ``discussion_grams`` says how the discussion guard's inputs are fed (``"distinct"``: each distinct gram of a
#: post once, ``classifier.discussion.distinct_grams``; absent: every occurrence, as versions 3–5 were trained). A
#: reader of version 5 would feed every occurrence to a guard trained on distinct grams and score pasted copies as
#: the model never meant. Versions 1–5 still load.
MANIFEST_FORMAT_VERSION = 6
SUPPORTED_FORMAT_VERSIONS = (1, 2, 3, 4, 5, 6)
#: manifest key: how the discussion guard reads a post's grams (``GUARD_GRAMS``; absent: ``"occurrences"``)
GUARD_GRAMS_KEY = "discussion_grams"
GUARD_GRAMS = ("occurrences", "distinct")
MANIFEST_NAME = "manifest.json"


def sha256_file(path: str | Path) -> str:
    """SHA-256 of a file, read in 1 MiB blocks (model files are tens of MB)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


#: manifest key listing the graphs the model id covers (absent: the full graph only, as models before 2.1 did)
ID_COVERS = "model_id_covers"


def model_id(manifest: Mapping) -> str:
    """``<model_version>+<12 hex>``: names the exact model in every output.

    The hex is the full graph's SHA-256 for models exported before 2.1; from 2.1 the hot-path graph carries
    numbers of its own (the discussion guard, ``classifier.discussion``) that change scores while ``model.onnx``
    stays byte-identical, so the id hashes the SHA-256 of every graph listed under ``model_id_covers``.
    """
    covers = manifest.get(ID_COVERS)
    if not covers:
        return f"{manifest.get('model_version', '?')}+{manifest['onnx']['sha256'][:12]}"
    joined = ":".join(str(manifest[key]["sha256"]) for key in covers)
    return f"{manifest.get('model_version', '?')}+{hashlib.sha256(joined.encode('ascii')).hexdigest()[:12]}"


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
    if manifest.get(GUARD_GRAMS_KEY, GUARD_GRAMS[0]) not in GUARD_GRAMS:
        raise ModelLoadError(f"{where}: {GUARD_GRAMS_KEY} must be one of {GUARD_GRAMS}, got "
                             f"{manifest.get(GUARD_GRAMS_KEY)!r}; this mlmrisk may be older than the model")
    covers = manifest.get(ID_COVERS)
    if covers is not None and (not isinstance(covers, list) or not covers or not all(
            isinstance(manifest.get(key), Mapping) and isinstance(manifest[key].get("sha256"), str) for key in covers)):
        raise ModelLoadError(f"{where}: {ID_COVERS} must list graphs of the manifest with their sha256, got {covers!r}")


def join_snap_words(words: list[str]) -> str:
    """The manifest form of the evidence word list of version 2–4: one string, words separated by newlines."""
    if any("\n" in w for w in words):
        raise ValueError("evidence words cannot contain a newline")
    return "\n".join(words)


#: bytes a packed word may take when inflated: the longest evidence word (``word_snap.MAX_WORD`` characters) of
#: 4-byte UTF-8 characters and its newline, with room to spare
MAX_PACKED_WORD_BYTES = 64


def pack_snap_words(words: list[str]) -> dict[str, object]:
    """The manifest form of the evidence word list since version 5: the joined words, zlib-compressed, base64."""
    packed = base64.b64encode(zlib.compress(join_snap_words(words).encode("utf-8"), 9)).decode("ascii")
    return {"count": len(words), "zlib_base64": packed}


def snap_words_text(stored: object) -> str:
    """The evidence words joined by newlines, from any manifest form (a list: version 1; the joined string:
    versions 2–4; the packed form: version 5). Raises ``ModelLoadError`` for a packed form that does not inflate
    to the number of words it declares."""
    if isinstance(stored, str):
        return stored
    if isinstance(stored, list):
        return "\n".join(w for w in stored if isinstance(w, str) and "\n" not in w)
    if isinstance(stored, Mapping):
        count = snap_word_count(stored)
        try:
            inflate = zlib.decompressobj()
            # never more than the declared words can take (a damaged or hostile manifest must not inflate to GBs)
            text = inflate.decompress(base64.b64decode(stored["zlib_base64"], validate=True),
                                      count * MAX_PACKED_WORD_BYTES + 1)
            if inflate.unconsumed_tail or not inflate.eof:
                raise ValueError("the data inflate to more than its declared words can hold, or are cut short")
            text = text.decode("utf-8")
        except (KeyError, TypeError, ValueError, zlib.error, binascii.Error) as exc:
            raise ModelLoadError(f"the manifest's evidence word list cannot be read ({exc}); rebuild the model "
                                 "with `mlmrisk train`") from None
        if snap_word_count(text) != count or type(stored.get("count")) is not int:
            raise ModelLoadError(f"the manifest's evidence word list holds {snap_word_count(text)} words, not the "
                                 f"{stored.get('count')!r} it declares; rebuild the model with `mlmrisk train`")
        return text
    return ""


def snap_words(stored: object) -> list[str]:
    """The evidence word list from any manifest form (see ``snap_words_text``)."""
    text = snap_words_text(stored)
    return text.split("\n") if text else []


def snap_word_count(stored: object) -> int:
    """How many evidence words a manifest form holds, without inflating the packed form."""
    if isinstance(stored, Mapping):
        count = stored.get("count")
        return count if type(count) is int and count >= 0 else 0
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
