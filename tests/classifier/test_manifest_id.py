"""The model id names every graph that holds scoring numbers (classifier/manifest.py)."""

from __future__ import annotations

import hashlib

import pytest

from mlmrisk.classifier.errors import ModelLoadError
from mlmrisk.classifier.manifest import ID_COVERS, check_manifest, model_id
from mlmrisk.classifier.labels import HEADS


def _manifest(**extra) -> dict:
    return {"format": "mlmrisk-model", "format_version": 3, "model_version": "2.1.0", "heads": list(HEADS),
            "onnx": {"file": "model.onnx", "sha256": "a" * 64}, "fast_onnx": {"file": "mlm.onnx", "sha256": "b" * 64},
            **extra}


def test_id_of_a_model_before_2_1_is_the_full_graphs_digest():
    assert model_id(_manifest()) == "2.1.0+" + "a" * 12


def test_id_covers_both_graphs_so_a_new_hot_graph_is_a_new_model():
    covered = _manifest(**{ID_COVERS: ["onnx", "fast_onnx"]})
    expected = hashlib.sha256(("a" * 64 + ":" + "b" * 64).encode()).hexdigest()[:12]
    assert model_id(covered) == f"2.1.0+{expected}"
    changed = _manifest(**{ID_COVERS: ["onnx", "fast_onnx"]})
    changed["fast_onnx"]["sha256"] = "c" * 64  # only the hot-path graph differs (e.g. another guard)
    assert model_id(changed) != model_id(covered)
    check_manifest(covered, "m")


@pytest.mark.parametrize("covers", [[], "onnx", ["onnx", "missing"], [3]])
def test_a_malformed_cover_list_is_refused(covers):
    with pytest.raises(ModelLoadError, match=ID_COVERS):
        check_manifest(_manifest(**{ID_COVERS: covers}), "m")
