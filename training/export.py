"""Export a fitted model to one ONNX graph plus a JSON manifest (and the model card).

Why a hand-built graph rather than skl2onnx: skl2onnx turns ``TfidfVectorizer`` into the dense ONNX
``TfIdfVectorizer`` op, ~10× slower than scikit-learn on this task, and silently drops Chinese tokens
(docs/design_facts.md §1). The graph below follows docs/design_facts.md §2 ("flat/ragged" batch): the whole batch is ONE int64 array of
normalised code points with a 0 after every post; n-gram buckets are computed with Mul/Add/Mod exactly as
``classifier.features.hash_grams`` does; one row per occurrence (idf² and idf · coefficient of every head) is
gathered from one table, and per-post sums are differences of float64 prefix sums at the post boundaries (posts
are contiguous, so no scatter is needed: profiling showed Gather + ScatterND at ~75 % of the graph's time);
the occurrence norm, the intercepts and the sigmoid calibration follow.

Inputs: ``codes`` int64[T] (``NormalizedBatch.codes``), ``starts`` int64[N+1] (``NormalizedBatch.starts``).
Outputs: ``probabilities`` float64[N, H]; ``gram_rows`` float32[1+G, H+1] (a zero row, then one row per n-gram
occurrence in the layout of ``classifier.features.Grams``: column 0 is idf², then idf·β per head) and ``norms`` float64[N], which serving asks
for only when it builds evidence for flagged posts.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from mlmrisk.classifier.features import HASH_A1, HASH_A2, HASH_SALTS, N_BUCKETS, NGRAM_ORDERS
from mlmrisk.classifier.labels import HEADS
from mlmrisk.classifier.manifest import MANIFEST_FORMAT, MANIFEST_FORMAT_VERSION, sha256_file
from mlmrisk.training.snap_lexicon import build_snap_lexicon

OPSET = 18
INT64_MAX = np.iinfo(np.int64).max


def build_graph(idf: np.ndarray, coef: np.ndarray, intercept: np.ndarray, slope: np.ndarray,
                offset: np.ndarray, metadata: Mapping[str, str] | None = None) -> onnx.ModelProto:
    """The scoring graph for heads with coefficients ``coef`` [H, N_BUCKETS] over idf weights ``idf``."""
    if NGRAM_ORDERS != (1, 2, 3):
        raise ValueError(f"the graph is written for n-gram orders 1-3, got {NGRAM_ORDERS}")
    n_heads = coef.shape[0]
    # One row per bucket: idf² (for the norm), then idf·β of every head. One Gather per n-gram occurrence
    # fetches everything it needs from one cache line; the last row (bucket N_BUCKETS) is all zeros.
    table = np.zeros((N_BUCKETS + 1, n_heads + 1), dtype=np.float32)
    table[:N_BUCKETS, 0] = (idf.astype(np.float64) ** 2).astype(np.float32)
    table[:N_BUCKETS, 1:] = (coef * idf[None, :].astype(np.float64)).T.astype(np.float32)
    # logit = slope · (S / norm + intercept) + offset  =  slope · S / norm + (slope · intercept + offset)
    total_offset = (slope * intercept + offset).astype(np.float64)

    def const(name: str, value) -> onnx.TensorProto:
        return numpy_helper.from_array(np.asarray(value), name)

    inits = [
        numpy_helper.from_array(table, "table"),
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
        const("one_i", np.array([1], dtype=np.int64)),
        const("two_i", np.array([2], dtype=np.int64)),
        const("dummy_1", np.array([N_BUCKETS], dtype=np.int64)),
        const("axes0", np.array([0], dtype=np.int64)),
        const("axis0", np.array(0, dtype=np.int64)),
        const("cols_heads", np.array([1], dtype=np.int64)),
        const("cols_end", np.array([n_heads + 1], dtype=np.int64)),
        const("axes1", np.array([1], dtype=np.int64)),
        const("s0", np.array([0], dtype=np.int64)),
        const("s1", np.array([1], dtype=np.int64)),
        const("s2", np.array([2], dtype=np.int64)),
        const("e_end", np.array([INT64_MAX], dtype=np.int64)),
        const("e_m1", np.array([-1], dtype=np.int64)),
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
        # every occurrence, in the layout of classifier.features.Grams: [order 1 | order 2 | order 3]
        # A leading dummy bucket gives a zero first row, so the inclusive prefix sum starts at 0.
        N("Concat", ["dummy_1", "b1", "b2", "b3"], ["buckets"], axis=0),
        N("Gather", ["table", "buckets"], ["gram_rows"], axis=0),
        # Per-post sums without a scatter: posts are contiguous in every order block, so a post's sum is a
        # difference of prefix sums at its boundaries. Prefix sums run in float64, which keeps parity.
        N("Cast", ["gram_rows"], ["rows64"], to=TensorProto.DOUBLE),
        N("CumSum", ["rows64", "axis0"], ["prefix"]),
        N("Shape", ["codes"], ["T"]),
        N("Sub", ["T", "one_i"], ["T1"]),
        N("Sub", ["T", "two_i"], ["T2"]),
        N("Add", ["T", "T1"], ["off3"]),
        N("Min", ["starts", "T"], ["i1"]),
        N("Min", ["starts", "T1"], ["m2"]),
        N("Add", ["m2", "T"], ["i2"]),
        N("Min", ["starts", "T2"], ["m3"]),
        N("Add", ["m3", "off3"], ["i3"]),
        N("Concat", ["i1", "i2", "i3"], ["bounds"], axis=0),
        N("Gather", ["prefix", "bounds"], ["at_bounds"], axis=0),
        N("Shape", ["starts"], ["n_bounds"]),
        N("Concat", ["three", "n_bounds", "width"], ["grid_shape"], axis=0),
        N("Reshape", ["at_bounds", "grid_shape"], ["grid"]),
        N("Slice", ["grid", "s1", "e_end", "axes1"], ["grid_hi"]),
        N("Slice", ["grid", "s0", "e_m1", "axes1"], ["grid_lo"]),
        N("Sub", ["grid_hi", "grid_lo"], ["per_block"]),
        N("ReduceSum", ["per_block", "axes0"], ["totals"], keepdims=0),
        N("Slice", ["totals", "s0", "cols_heads", "axes1"], ["sq_col"]),
        N("Slice", ["totals", "cols_heads", "cols_end", "axes1"], ["sums"]),
        N("Sqrt", ["sq_col"], ["root"]),
        N("Max", ["root", "one_f"], ["norm_col"]),
        N("Squeeze", ["norm_col", "axes1"], ["norms"]),
        N("Div", ["sums", "norm_col"], ["z"]),
        N("Mul", ["z", "slope"], ["z_scaled"]),
        N("Add", ["z_scaled", "offset"], ["logits"]),
        N("Sigmoid", ["logits"], ["probabilities"]),
    ]
    inits += [const("three", np.array([3], dtype=np.int64)), const("width", np.array([n_heads + 1], dtype=np.int64))]
    graph = helper.make_graph(
        nodes,
        "mlmrisk",
        [
            helper.make_tensor_value_info("codes", TensorProto.INT64, ["T"]),
            helper.make_tensor_value_info("starts", TensorProto.INT64, ["N_plus_1"]),
        ],
        [
            helper.make_tensor_value_info("probabilities", TensorProto.DOUBLE, ["N", n_heads]),
            helper.make_tensor_value_info("gram_rows", TensorProto.FLOAT, ["G", n_heads + 1]),
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
                 "inputs": {"codes": "int64[T]", "starts": "int64[N+1]"}},
        "features": {"n_buckets": N_BUCKETS, "ngram_orders": list(NGRAM_ORDERS), "hash_a1": HASH_A1,
                     "hash_a2": HASH_A2, "hash_salts": {str(k): v for k, v in HASH_SALTS.items()}},
        "normalizer": vectorizer.normalizer_spec_,
        "evidence": {"snap_words": build_snap_lexicon(heads.coef_ * vectorizer.idf_[None, :], vectorizer.tables_)},
    }
    with open(directory / "manifest.json", "w", encoding="utf-8") as handle:
        json.dump(manifest, handle, ensure_ascii=False, indent=1)
        handle.write("\n")
    if model_card is not None:
        (directory / "MODEL_CARD.md").write_text(model_card, encoding="utf-8")
    return manifest

