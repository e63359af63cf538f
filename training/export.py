"""Export a fitted model to one ONNX graph plus a JSON manifest (and the model card).

Why a hand-built graph rather than skl2onnx: skl2onnx turns ``TfidfVectorizer`` into the dense ONNX
``TfIdfVectorizer`` op, ~10× slower than scikit-learn on this task, and silently drops Chinese tokens
(DESIGN.md §1). The graph below follows DESIGN.md §2 ("flat/ragged" batch): the whole batch is ONE int64 array of
normalised code points with a 0 after every post; n-gram buckets are computed with Mul/Add/Mod exactly as
``classifier.features.hash_grams`` does; per-bucket weights (idf · coefficient, all heads at once) are gathered
and scatter-added per post; the occurrence norm, the intercepts and the sigmoid calibration follow.

Inputs: ``codes`` int64[T], ``doc_index`` int64[T], ``n_docs`` int64[1].
Outputs: ``probabilities`` float64[N, H]; ``gram_weights`` float32[G, H] (per n-gram occurrence, before the
norm, in the layout of ``classifier.features.Grams``) and ``norms`` float64[N], which serving asks for only when it
builds evidence for flagged posts.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from classifier.features import HASH_A1, HASH_A2, HASH_SALTS, N_BUCKETS, NGRAM_ORDERS
from classifier.labels import HEADS

OPSET = 18
INT64_MAX = np.iinfo(np.int64).max
MANIFEST_FORMAT = "mlmrisk-model"
MANIFEST_FORMAT_VERSION = 1


def build_graph(idf: np.ndarray, coef: np.ndarray, intercept: np.ndarray, slope: np.ndarray,
                offset: np.ndarray, metadata: Mapping[str, str] | None = None) -> onnx.ModelProto:
    """The scoring graph for heads with coefficients ``coef`` [H, N_BUCKETS] over idf weights ``idf``."""
    if NGRAM_ORDERS != (1, 2, 3):
        raise ValueError(f"the graph is written for n-gram orders 1-3, got {NGRAM_ORDERS}")
    n_heads = coef.shape[0]
    weights = np.zeros((N_BUCKETS + 1, n_heads), dtype=np.float32)
    weights[:N_BUCKETS] = (coef * idf[None, :].astype(np.float64)).T.astype(np.float32)
    idf_sq = np.zeros(N_BUCKETS + 1, dtype=np.float32)
    idf_sq[:N_BUCKETS] = (idf.astype(np.float64) ** 2).astype(np.float32)
    # logit = slope · (S / norm + intercept) + offset  =  slope · S / norm + (slope · intercept + offset)
    total_offset = (slope * intercept + offset).astype(np.float64)

    def const(name: str, value) -> onnx.TensorProto:
        return numpy_helper.from_array(np.asarray(value), name)

    inits = [
        numpy_helper.from_array(weights, "weights"),
        numpy_helper.from_array(idf_sq, "idf_sq"),
        const("slope", slope.astype(np.float64)),
        const("offset", total_offset),
        const("zero", np.array(0, dtype=np.int64)),
        const("A1", np.array(HASH_A1, dtype=np.int64)),
        const("A2", np.array(HASH_A2, dtype=np.int64)),
        const("P", np.array(N_BUCKETS, dtype=np.int64)),
        const("S1", np.array(HASH_SALTS[1], dtype=np.int64)),
        const("S2", np.array(HASH_SALTS[2], dtype=np.int64)),
        const("S3", np.array(HASH_SALTS[3], dtype=np.int64)),
        const("dummy", np.array(N_BUCKETS, dtype=np.int64)),
        const("one_f", np.array(1.0, dtype=np.float64)),
        const("n_heads", np.array([n_heads], dtype=np.int64)),
        const("axes0", np.array([0], dtype=np.int64)),
        const("axes1", np.array([1], dtype=np.int64)),
        const("s0", np.array([0], dtype=np.int64)),
        const("s1", np.array([1], dtype=np.int64)),
        const("s2", np.array([2], dtype=np.int64)),
        const("e_end", np.array([INT64_MAX], dtype=np.int64)),
        const("e_m1", np.array([-1], dtype=np.int64)),
        const("e_m2", np.array([-2], dtype=np.int64)),
    ]
    N = helper.make_node
    nodes = [
        N("Equal", ["codes", "zero"], ["is_sep"]),
        N("Not", ["is_sep"], ["is_char"]),
        # order 1
        N("Mul", ["codes", "A1"], ["c_a1"]),
        N("Mod", ["c_a1", "P"], ["r1"]),
        N("Add", ["r1", "S1"], ["r1s"]),
        N("Mod", ["r1s", "P"], ["b1_raw"]),
        N("Where", ["is_char", "b1_raw", "dummy"], ["b1"]),
        # order 2: r2(i) = (r1(i)·A2 + c(i+1)) mod P
        N("Slice", ["r1", "s0", "e_m1", "axes0"], ["r1_head"]),
        N("Slice", ["codes", "s1", "e_end", "axes0"], ["codes_1"]),
        N("Mul", ["r1_head", "A2"], ["r1_a2"]),
        N("Add", ["r1_a2", "codes_1"], ["r2_sum"]),
        N("Mod", ["r2_sum", "P"], ["r2"]),
        N("Slice", ["is_char", "s0", "e_m1", "axes0"], ["char_head1"]),
        N("Slice", ["is_char", "s1", "e_end", "axes0"], ["char_1"]),
        N("And", ["char_head1", "char_1"], ["v2"]),
        N("Add", ["r2", "S2"], ["r2s"]),
        N("Mod", ["r2s", "P"], ["b2_raw"]),
        N("Where", ["v2", "b2_raw", "dummy"], ["b2"]),
        # order 3
        N("Slice", ["r2", "s0", "e_m1", "axes0"], ["r2_head"]),
        N("Slice", ["codes", "s2", "e_end", "axes0"], ["codes_2"]),
        N("Mul", ["r2_head", "A2"], ["r2_a2"]),
        N("Add", ["r2_a2", "codes_2"], ["r3_sum"]),
        N("Mod", ["r3_sum", "P"], ["r3"]),
        N("Slice", ["v2", "s0", "e_m1", "axes0"], ["v2_head"]),
        N("Slice", ["is_char", "s2", "e_end", "axes0"], ["char_2"]),
        N("And", ["v2_head", "char_2"], ["v3"]),
        N("Add", ["r3", "S3"], ["r3s"]),
        N("Mod", ["r3s", "P"], ["b3_raw"]),
        N("Where", ["v3", "b3_raw", "dummy"], ["b3"]),
        # all occurrences, in the layout of classifier.features.Grams
        N("Concat", ["b1", "b2", "b3"], ["buckets"], axis=0),
        N("Slice", ["doc_index", "s0", "e_m1", "axes0"], ["doc_2"]),
        N("Slice", ["doc_index", "s0", "e_m2", "axes0"], ["doc_3"]),
        N("Concat", ["doc_index", "doc_2", "doc_3"], ["gram_doc"], axis=0),
        N("Unsqueeze", ["gram_doc", "axes1"], ["gram_doc_col"]),
        N("Gather", ["weights", "buckets"], ["gram_weights"], axis=0),
        N("Gather", ["idf_sq", "buckets"], ["gram_sq32"], axis=0),
        # Weights are stored as float32 (model size); sums run in float64 so that long posts keep parity.
        N("Cast", ["gram_weights"], ["gram_weights64"], to=TensorProto.DOUBLE),
        N("Cast", ["gram_sq32"], ["gram_sq"], to=TensorProto.DOUBLE),
        N("Concat", ["n_docs", "n_heads"], ["sums_shape"], axis=0),
        N("ConstantOfShape", ["sums_shape"], ["sums_zero"], value=helper.make_tensor("v", TensorProto.DOUBLE, [1], [0.0])),
        N("ConstantOfShape", ["n_docs"], ["sq_zero"], value=helper.make_tensor("v", TensorProto.DOUBLE, [1], [0.0])),
        N("ScatterND", ["sums_zero", "gram_doc_col", "gram_weights64"], ["sums"], reduction="add"),
        N("ScatterND", ["sq_zero", "gram_doc_col", "gram_sq"], ["sq"], reduction="add"),
        N("Sqrt", ["sq"], ["root"]),
        N("Max", ["root", "one_f"], ["norms"]),
        N("Unsqueeze", ["norms", "axes1"], ["norm_col"]),
        N("Div", ["sums", "norm_col"], ["z"]),
        N("Mul", ["z", "slope"], ["z_scaled"]),
        N("Add", ["z_scaled", "offset"], ["logits"]),
        N("Sigmoid", ["logits"], ["probabilities"]),
    ]
    graph = helper.make_graph(
        nodes,
        "mlmrisk",
        [
            helper.make_tensor_value_info("codes", TensorProto.INT64, ["T"]),
            helper.make_tensor_value_info("doc_index", TensorProto.INT64, ["T"]),
            helper.make_tensor_value_info("n_docs", TensorProto.INT64, [1]),
        ],
        [
            helper.make_tensor_value_info("probabilities", TensorProto.DOUBLE, ["N", n_heads]),
            helper.make_tensor_value_info("gram_weights", TensorProto.FLOAT, ["G", n_heads]),
            helper.make_tensor_value_info("norms", TensorProto.DOUBLE, ["N"]),
        ],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="mlmrisk")
    model.ir_version = 9
    for key, value in (metadata or {}).items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, str(value)
    onnx.checker.check_model(model)
    return model


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def export_model(directory: Path, *, vectorizer, heads, manifest_fields: Mapping, model_card: str | None = None) -> dict:
    """Write ``model.onnx``, ``manifest.json`` (and ``MODEL_CARD.md``) to ``directory``; returns the manifest."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    model = build_graph(
        vectorizer.idf_, heads.coef_, heads.intercept_, heads.calibration_slope_, heads.calibration_offset_,
        metadata={"heads": ",".join(HEADS[: heads.n_heads_]), "normalizer_sha256": vectorizer.tables_.spec_sha256},
    )
    onnx_path = directory / "model.onnx"
    onnx.save(model, onnx_path)
    manifest = {
        "format": MANIFEST_FORMAT,
        "format_version": MANIFEST_FORMAT_VERSION,
        **manifest_fields,
        "heads": list(HEADS[: heads.n_heads_]),
        "onnx": {"file": onnx_path.name, "sha256": sha256_file(onnx_path), "opset": OPSET,
                 "inputs": {"codes": "int64[T]", "doc_index": "int64[T]", "n_docs": "int64[1]"}},
        "features": {"n_buckets": N_BUCKETS, "ngram_orders": list(NGRAM_ORDERS), "hash_a1": HASH_A1,
                     "hash_a2": HASH_A2, "hash_salts": {str(k): v for k, v in HASH_SALTS.items()}},
        "normalizer": vectorizer.normalizer_spec_,
    }
    with open(directory / "manifest.json", "w", encoding="utf-8") as handle:
        json.dump(manifest, handle, ensure_ascii=False, indent=1)
        handle.write("\n")
    if model_card is not None:
        (directory / "MODEL_CARD.md").write_text(model_card, encoding="utf-8")
    return manifest
