"""Export a fitted model to ONNX graphs plus a JSON manifest (and the model card).

Why hand-built graphs rather than skl2onnx: skl2onnx turns ``TfidfVectorizer`` into the dense ONNX
``TfIdfVectorizer`` op, ~10× slower than scikit-learn on this task, and silently drops Chinese tokens
(docs/design_facts.md §1).

The graphs hold everything learned (idf, head weights, intercepts, calibration, the length prior) and the
scoring math of ``classifier.features``; the hashing and the passage layout are computed by that module on both
sides, so the graph inputs are plain integer arrays:

    bucket       int64[K]  bucket of each (gram, passage) membership entry
    passage      int64[K]  its passage
    passage_doc  int64[Q]  post of every passage (every post has ≥ 1)
    n_docs       int64[1]  number of posts N
    passage_discount  float32[Q]  only for a feature spec with a ``sentence_discount``: taken off each passage's
                 MLM decision value (``classifier.features.passage_discounts``: δ for a sentence passage, else 0)

Two graphs, because onnxruntime runs every node of a graph whatever outputs are asked for (measured: asking for
a cheap output of a graph with an expensive branch took as long as the expensive one):

- ``mlm.onnx`` (the hot path, every post): two 1-D float32 tables [B+1] (idf·β of the MLM head; idf²), two
  Gathers and two ScatterElements-adds per passage, the length prior, calibration, a ScatterElements-max over
  passages and a sigmoid. Output ``probability`` float64[N] (before the discussion guard: final for every post
  under the guard's onset).
- ``model.onnx`` (the full path, only posts at or above the watch threshold or the guard's onset): one [B+1, 6]
  table (idf², then idf·β of the five heads). Outputs ``passage_logits`` float32[Q, 5] (calibrated logits of
  every head per passage), ``passage_norms`` float32[Q] and ``gram_rows`` float32[K, 6] (the gathered rows, for
  evidence). With the discussion guard (``classifier.discussion``): one more table (idf·γ, [B+1]), four scalars,
  two more inputs, every gram of each post once (``gram_bucket``, ``gram_doc`` int64[G]), and one more output,
  ``discussion`` float64[N] (summed in float64); with its quoted channel (``classifier.quotes``) a third input, ``gram_quote``
  int64[G] (each gram's row of the channel), and its table ``discussion_q`` [2^16 + 1].

The MLM column of both tables holds the same float32 numbers and both sum in the same order, so the two graphs
give the same MLM logits (a test holds them equal); the last row of every table (bucket B) is zeros.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from mlmrisk.classifier.discussion import (GUARD_INPUTS, GUARD_OUTPUT, GUARD_TABLE, QUOTE_INPUT, QUOTE_TABLE,
                                          guard_input_names, ramp_logits)
from mlmrisk.classifier.features import DISCOUNT_INPUT
from mlmrisk.classifier.labels import HEADS
from mlmrisk.classifier.manifest import (GUARD_GRAMS_KEY, ID_COVERS, MANIFEST_FORMAT, MANIFEST_FORMAT_VERSION,
                                         pack_snap_words, sha256_file)
from mlmrisk.training.snap_lexicon import build_snap_lexicon

OPSET = 18
FAST_FILE = "mlm.onnx"
FULL_FILE = "model.onnx"
GRAPH_INPUTS = {"bucket": "int64[K]", "passage": "int64[K]", "passage_doc": "int64[Q]", "n_docs": "int64[1]"}


def _inputs() -> list:
    return [helper.make_tensor_value_info("bucket", TensorProto.INT64, ["K"]),
            helper.make_tensor_value_info("passage", TensorProto.INT64, ["K"]),
            helper.make_tensor_value_info("passage_doc", TensorProto.INT64, ["Q"]),
            helper.make_tensor_value_info("n_docs", TensorProto.INT64, [1])]


def _discount_input() -> onnx.ValueInfoProto:
    return helper.make_tensor_value_info(DISCOUNT_INPUT, TensorProto.FLOAT, ["Q"])


def _finish(nodes, inits, outputs, name: str, metadata: Mapping[str, str] | None,
            extra_inputs: tuple = ()) -> onnx.ModelProto:
    graph = helper.make_graph(nodes, name, _inputs() + list(extra_inputs), outputs, inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="mlmrisk")
    model.ir_version = 9
    for key, value in (metadata or {}).items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, str(value)
    onnx.checker.check_model(model)
    return model


def _tables(idf: np.ndarray, coef: np.ndarray) -> np.ndarray:
    """[B+1, 1+H] float32: idf², then idf·β per head; the last row (bucket B) is zeros."""
    n_buckets = idf.size
    table = np.zeros((n_buckets + 1, coef.shape[0] + 1), dtype=np.float32)
    table[:n_buckets, 0] = (idf.astype(np.float64) ** 2).astype(np.float32)
    table[:n_buckets, 1:] = (coef * idf[None, :].astype(np.float64)).T.astype(np.float32)
    return table


def _const(name: str, value) -> onnx.TensorProto:
    return numpy_helper.from_array(np.asarray(value), name)


def _normed_sum(table: str, bucket: str, group: str, zeros: str, names: tuple[str, ...]) -> list:
    """Nodes of ``Σ table[bucket] / max(min_norm, √Σ idf2[bucket])`` per ``group`` (a passage): the TF-IDF
    normalisation. ``names``: the seven outputs, in order (gathered values, gathered idf², the two sums, root,
    norm, result)."""
    value, q, sum_v, sum_q, root, norm, out = names
    N = helper.make_node
    return [
        N("Gather", [table, bucket], [value], axis=0),
        N("Gather", ["idf2", bucket], [q], axis=0),
        N("ScatterElements", [zeros, group, value], [sum_v], axis=0, reduction="add"),
        N("ScatterElements", [zeros, group, q], [sum_q], axis=0, reduction="add"),
        N("Sqrt", [sum_q], [root]),
        N("Max", [root, "min_norm"], [norm]),
        N("Div", [sum_v, norm], [out]),
    ]


def build_fast_graph(idf: np.ndarray, coef: np.ndarray, intercept: np.ndarray, slope: np.ndarray,
                     offset: np.ndarray, min_norm: float, metadata: Mapping[str, str] | None = None,
                     discount: bool = False) -> onnx.ModelProto:
    """The MLM-only graph of the hot path (see the module docstring); ``discount``: with the ``passage_discount``
    input, each passage's logit loses slope · discount."""
    table = _tables(idf, coef[:1])
    inits = [
        numpy_helper.from_array(np.ascontiguousarray(table[:, 1]), "w"),
        numpy_helper.from_array(np.ascontiguousarray(table[:, 0]), "idf2"),
        _const("min_norm", np.array(min_norm, dtype=np.float32)),
        _const("slope", np.array(slope[0], dtype=np.float32)),
        _const("offset", np.array(slope[0] * intercept[0] + offset[0], dtype=np.float32)),
    ]
    N = helper.make_node
    nodes = [
        N("Shape", ["passage_doc"], ["Q"]),
        N("ConstantOfShape", ["Q"], ["zeros_q"], value=numpy_helper.from_array(np.array([0.0], dtype=np.float32))),
        *_normed_sum("w", "bucket", "passage", "zeros_q", ("w_k", "q_k", "sum_w", "sum_q", "root", "norm", "z")),
        N("Mul", ["z", "slope"], ["z_scaled"]),
        *([N("Add", ["z_scaled", "offset"], ["undiscounted"]),
           N("Mul", [DISCOUNT_INPUT, "slope"], ["cut"]),
           N("Sub", ["undiscounted", "cut"], ["passage_logit"])] if discount else
          [N("Add", ["z_scaled", "offset"], ["passage_logit"])]),
        N("ConstantOfShape", ["n_docs"], ["lowest"], value=numpy_helper.from_array(np.array([-np.inf], dtype=np.float32))),
        N("ScatterElements", ["lowest", "passage_doc", "passage_logit"], ["doc_logit"], axis=0, reduction="max"),
        N("Cast", ["doc_logit"], ["doc_logit64"], to=TensorProto.DOUBLE),
        N("Sigmoid", ["doc_logit64"], ["probability"]),
    ]
    outputs = [helper.make_tensor_value_info("probability", TensorProto.DOUBLE, ["N"])]
    return _finish(nodes, inits, outputs, "mlmrisk-mlm", metadata, (_discount_input(),) if discount else ())


def guard_nodes(quotes: bool) -> list:
    """The full graph's nodes of the discussion guard (``classifier.discussion``): ``d`` per post from every gram
    once (``gram_bucket``, ``gram_doc``) and, with ``quotes``, the quoted channel's rows (``gram_quote``)."""
    N = helper.make_node
    gram_bucket, gram_doc = GUARD_INPUTS
    return [
        N("Gather", ["table", gram_bucket], ["g_rows"], axis=0),
        N("Slice", ["g_rows", "s0", "s1", "axes1"], ["q_g_col"]),
        N("Squeeze", ["q_g_col", "axes1"], ["q_g32"]),
        N("Cast", ["q_g32"], ["q_g"], to=TensorProto.DOUBLE),
        N("Gather", [GUARD_TABLE, gram_bucket], ["v_gram32"], axis=0),
        N("Cast", ["v_gram32"], ["v_gram" if quotes else "v_g"], to=TensorProto.DOUBLE),
        *([N("Gather", [QUOTE_TABLE, QUOTE_INPUT], ["v_quote32"], axis=0),
           N("Cast", ["v_quote32"], ["v_quote"], to=TensorProto.DOUBLE),
           N("Add", ["v_gram", "v_quote"], ["v_g"])] if quotes else []),
        # sums in float64: the quoted channel's weights are large, and a whole long post has thousands of grams
        N("ConstantOfShape", ["n_docs"], ["zeros_n"], value=numpy_helper.from_array(np.array([0.0], dtype=np.float64))),
        N("ScatterElements", ["zeros_n", gram_doc, "v_g"], ["sum_v_d"], axis=0, reduction="add"),
        N("ScatterElements", ["zeros_n", gram_doc, "q_g"], ["sum_q_d"], axis=0, reduction="add"),
        N("Sqrt", ["sum_q_d"], ["root_d"]),
        N("Cast", ["min_norm"], ["min_norm64"], to=TensorProto.DOUBLE),
        N("Max", ["root_d", "min_norm64"], ["norm_d"]),
        N("Div", ["sum_v_d", "norm_d"], ["raw_d"]),
        N("Cast", ["discussion_intercept"], ["intercept64"], to=TensorProto.DOUBLE),
        N("Add", ["raw_d", "intercept64"], [GUARD_OUTPUT]),
    ]


def build_full_graph(idf: np.ndarray, coef: np.ndarray, intercept: np.ndarray, slope: np.ndarray,
                     offset: np.ndarray, min_norm: float, metadata: Mapping[str, str] | None = None,
                     discussion=None, ramp: tuple[float, float] | None = None,
                     discount: bool = False) -> onnx.ModelProto:
    """Every head, per passage, with the gathered rows evidence needs (see the module docstring); with
    ``discussion`` (a ``training.discussion.DiscussionHead``) and its ``ramp`` (onset, full logits), the guard too: two more
    inputs, every gram of each post once (``gram_bucket``, ``gram_doc``, as ``features.hash_grams`` gives them),
    and one more output, ``discussion`` float64[N], each post's decision value ``d`` (summed in float64).
    ``discount``: with the ``passage_discount`` input, each passage's MLM logit (column 0 only: the element heads
    are read at the best passage, not compared across passages) loses slope · discount."""
    n_heads = coef.shape[0]
    table = _tables(idf, coef)
    inits = [
        numpy_helper.from_array(table, "table"),
        _const("min_norm", np.array(min_norm, dtype=np.float32)),
        _const("slope", slope.astype(np.float32)),
        _const("offset", (slope * intercept + offset).astype(np.float32)),
        _const("axes1", np.array([1], dtype=np.int64)),
        _const("s0", np.array([0], dtype=np.int64)),
        _const("s1", np.array([1], dtype=np.int64)),
        _const("s_end", np.array([n_heads + 1], dtype=np.int64)),
        _const("width", np.array([n_heads + 1], dtype=np.int64)),
    ]
    N = helper.make_node
    nodes = [
        N("Gather", ["table", "bucket"], ["gram_rows"], axis=0),
        N("Unsqueeze", ["passage", "axes1"], ["passage_col"]),
        N("Shape", ["passage"], ["K"]),
        N("Concat", ["K", "width"], ["kw"], axis=0),
        N("Expand", ["passage_col", "kw"], ["index"]),
        N("Shape", ["passage_doc"], ["Q"]),
        N("Concat", ["Q", "width"], ["qw"], axis=0),
        N("ConstantOfShape", ["qw"], ["zeros"], value=numpy_helper.from_array(np.array([0.0], dtype=np.float32))),
        N("ScatterElements", ["zeros", "index", "gram_rows"], ["sums"], axis=0, reduction="add"),
        N("Slice", ["sums", "s0", "s1", "axes1"], ["sum_q"]),
        N("Slice", ["sums", "s1", "s_end", "axes1"], ["sum_w"]),
        N("Sqrt", ["sum_q"], ["root"]),
        N("Max", ["root", "min_norm"], ["norm_col"]),
        N("Squeeze", ["norm_col", "axes1"], ["passage_norms"]),
        N("Div", ["sum_w", "norm_col"], ["z"]),
        N("Mul", ["z", "slope"], ["z_scaled"]),
        *([N("Add", ["z_scaled", "offset"], ["undiscounted"]),
           N("Unsqueeze", [DISCOUNT_INPUT, "axes1"], ["discount_col"]),
           N("Mul", ["discount_col", "discount_scale"], ["cut"]),
           N("Sub", ["undiscounted", "cut"], ["passage_logits"])] if discount else
          [N("Add", ["z_scaled", "offset"], ["passage_logits"])]),
    ]
    if discount:
        scale = np.zeros(n_heads, dtype=np.float32)
        scale[0] = np.float32(slope[0])
        inits.append(_const("discount_scale", scale))
    outputs = [helper.make_tensor_value_info("passage_logits", TensorProto.FLOAT, ["Q", n_heads]),
               helper.make_tensor_value_info("passage_norms", TensorProto.FLOAT, ["Q"]),
               helper.make_tensor_value_info("gram_rows", TensorProto.FLOAT, ["K", n_heads + 1])]
    extra_inputs: tuple = (_discount_input(),) if discount else ()
    if discussion is not None:
        if ramp is None or not np.isfinite(ramp).all() or ramp[1] <= ramp[0]:
            raise ValueError(f"the discussion guard needs a finite ramp onset < full (classifier.discussion."
                             f"ramp_logits), got {ramp}")
        # classifier/discussion.py: d = Σ idf·γ / max(min_norm, √Σ idf²) + intercept over every gram of the post once
        gamma = np.zeros(idf.size + 1, dtype=np.float32)
        gamma[: idf.size] = (discussion.bucket_coef(idf.size) * idf.astype(np.float64)).astype(np.float32)
        quotes = discussion.has_quotes(idf.size)
        inits += [
            numpy_helper.from_array(gamma, GUARD_TABLE),
            _const("discussion_intercept", np.array(discussion.intercept, dtype=np.float32)),
            _const("discussion_tau", np.array(discussion.tau, dtype=np.float32)),
            _const("discussion_weight", np.array(discussion.weight, dtype=np.float32)),
            _const("discussion_onset", np.array(ramp[0], dtype=np.float32)),
            _const("discussion_full", np.array(ramp[1], dtype=np.float32)),
        ]
        if quotes:  # classifier/quotes.py: each quoted gram adds its row of the quoted channel
            inits.append(numpy_helper.from_array(discussion.quote_table(idf.size).astype(np.float32), QUOTE_TABLE))
        nodes += guard_nodes(quotes)
        outputs.append(helper.make_tensor_value_info(GUARD_OUTPUT, TensorProto.DOUBLE, ["N"]))
        extra_inputs += tuple(helper.make_tensor_value_info(name, TensorProto.INT64, ["G"])
                              for name in guard_input_names(quotes))
    return _finish(nodes, inits, outputs, "mlmrisk-full", metadata, extra_inputs)


def export_model(directory: Path, *, vectorizer, heads, manifest_fields: Mapping, model_card: str | None = None) -> dict:
    """Write ``mlm.onnx``, ``model.onnx``, ``manifest.json`` (and ``MODEL_CARD.md``); returns the manifest."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    spec = vectorizer.spec_
    metadata = {"heads": ",".join(HEADS[: heads.n_heads_]), "normalizer_sha256": vectorizer.tables_.spec_sha256,
                "model_version": str(manifest_fields.get("model_version", ""))}
    args = (vectorizer.idf_, heads.coef_, heads.intercept_, heads.calibration_slope_, heads.calibration_offset_,
            spec.min_norm)
    files = {}
    discussion = getattr(heads, "discussion_", None)
    ramp = None
    guard_inputs = {}
    if discussion is not None:  # the guard's ramp follows the thresholds (classifier.discussion)
        ramp = ramp_logits(manifest_fields["thresholds"]["watch"], manifest_fields["thresholds"]["flag"])
        guard_inputs = {name: "int64[G]" for name in guard_input_names(discussion.has_quotes(vectorizer.idf_.size))}
    discount = bool(spec.sentence_discount)
    discount_inputs = {DISCOUNT_INPUT: "float32[Q]"} if discount else {}
    for name, graph in ((FAST_FILE, build_fast_graph(*args, metadata=metadata, discount=discount)),
                        (FULL_FILE, build_full_graph(*args, metadata=metadata, discussion=discussion, ramp=ramp,
                                                     discount=discount))):
        path = directory / name
        onnx.save(graph, path)
        files[name] = sha256_file(path)
    manifest = {
        "format": MANIFEST_FORMAT,
        "format_version": MANIFEST_FORMAT_VERSION,
        **manifest_fields,
        "heads": list(HEADS[: heads.n_heads_]),
        ID_COVERS: ["onnx", "fast_onnx"],  # both graphs hold numbers that change scores (classifier.manifest)
        # ``onnx`` is the full graph, ``fast_onnx`` the MLM-only hot path; the model id covers both.
        "onnx": {"file": FULL_FILE, "sha256": files[FULL_FILE], "opset": OPSET,
                 "inputs": {**GRAPH_INPUTS, **discount_inputs, **guard_inputs}},
        "fast_onnx": {"file": FAST_FILE, "sha256": files[FAST_FILE], "opset": OPSET,
                      "inputs": {**GRAPH_INPUTS, **discount_inputs}},
        **({GUARD_GRAMS_KEY: "distinct"} if discussion is not None and discussion.distinct else {}),
        "features": spec.to_dict(vectorizer.pinyin_spec_),
        "normalizer": vectorizer.normalizer_spec_,
        "evidence": {"snap_words": pack_snap_words(build_snap_lexicon(heads.coef_ * vectorizer.idf_[None, :],
                                                                      vectorizer.tables_, spec))},
    }
    with open(directory / "manifest.json", "w", encoding="utf-8") as handle:
        json.dump(manifest, handle, ensure_ascii=False, indent=1)
        handle.write("\n")
    if model_card is not None:
        (directory / "MODEL_CARD.md").write_text(model_card, encoding="utf-8")
    return manifest
