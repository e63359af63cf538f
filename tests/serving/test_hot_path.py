"""The hot-path kernel (numba, weights read from ``mlm.onnx``) against the hot-path graph run by onnxruntime.

The kernel sums in float64 where the graph sums in float32, so the two agree to float32 rounding, not bit for bit;
the full path (``model.onnx``) rescoring everything at or above the watch threshold is what makes levels and
evidence identical (``tests/training/test_parity.py``).
"""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from mlmrisk.classifier.errors import ModelLoadError
from mlmrisk.classifier.features import feeds as feature_feeds
from mlmrisk.classifier.normalize import normalize_batch
from mlmrisk.serving import Scorer
from mlmrisk.serving.hot_path import HotPath
from mlmrisk.training.perturb import PERTURBATIONS, perturb

PITCHES = ["静态收益加动态收益，直推十人拿见点奖", "加入只需交3980元会费，发展下线拿团队奖", "加薇信了解项目，躺赚分红",
           "jia wo weixin, fazhan xiaxian, dongtaishouyi meitian daozhang", "dtsy jdj ztj 加v详聊",
           "发①展②下③线", "发展下下下线拿团队奖", "动Ⅹ态Ⅹ收Ⅹ益", "發展下綫拿團隊獎", "发🈲展下线"]
ODD = ["", " ", "\u200b", "a", "传", "。。。。", "🔥" * 50, "ａｂｃ１２３" * 40, "x" * 30000, "fa" * 5000,
       "zhongguo" * 20 + "发展下线" + "weixin" * 30,
       # a post in pinyin (spaced, joined and beside Chinese) and QQ emoticon markup, whose runs split as e m
       "mian fei jia ru wang zhuan lian meng , ni jie shao de xia xian jiao fei ni na 40%", "你jieshao的xiaxian交费",
       "有[em]e163[/em]时[em]e163[/em]间吗"]


def _graph(scorer: Scorer, texts: list[str]) -> np.ndarray:
    feeds, _, _ = scorer._feeds(normalize_batch(texts, scorer.tables))
    return scorer.fast.run(["probability"], feeds)[0]


def _kernel(scorer: Scorer, texts: list[str]) -> np.ndarray:
    return scorer.hot.probability(normalize_batch(texts, scorer.tables))


def _texts() -> list[str]:
    texts = list(PITCHES) + ODD
    texts += [perturb(t, kind, i) for i, t in enumerate(PITCHES[:3]) for kind in PERTURBATIONS]
    # long posts: pitches at every offset of a many-passage article, Latin runs across passage borders
    filler = "今天天气不错，我们去公园散步，顺便买了点水果。"
    for k in range(0, 200, 13):
        texts.append(filler * 6 + "x" * k + PITCHES[k % len(PITCHES)] + filler * 5)
        texts.append(filler * (1 + k % 3) + "\n" + PITCHES[k % len(PITCHES)] + "。" + filler * 2)  # a pitch sentence
        texts.append(filler[: k % 23] + " weixin fazhan " * 8 + filler * 4)
    return texts


@pytest.mark.parametrize("which", ["tiny", "sentences", "default"])
def test_kernel_equals_graph(which, tiny_model, sentence_model, default_model):
    """The fused kernel against the hot-path graph: the test model, the test model with discounted sentence
    passages (the graph fed ``passage_discount``), the shipped model."""
    scorer = Scorer.load({"tiny": tiny_model[0], "sentences": sentence_model[0], "default": default_model}[which])
    texts = _texts()
    kernel, graph = _kernel(scorer, texts), _graph(scorer, texts)
    assert kernel.shape == graph.shape == (len(texts),)
    assert np.abs(kernel - graph).max() < 1e-5  # float32 sums in the graph over hundreds of grams
    # the logits too, where the probability is not saturated
    mid = (graph > 1e-9) & (graph < 1 - 1e-6)
    assert mid.sum() > 20
    logit = lambda p: np.log(p / (1 - p))  # noqa: E731
    assert np.abs(logit(kernel[mid]) - logit(graph[mid])).max() < 1e-3


def test_kernel_is_independent_of_batch_composition(tiny_model):
    scorer = Scorer.load(tiny_model[0])
    texts = _texts()
    together = _kernel(scorer, texts)
    alone = np.array([_kernel(scorer, [t])[0] for t in texts])
    assert np.array_equal(together, alone)
    assert _kernel(scorer, []).shape == (0,)


@pytest.mark.shared_data
def test_kernel_equals_graph_on_real_text(default_model, shared_data):
    scorer = Scorer.load(default_model)
    texts = []
    for name in ("labelled/chineseharm_dev.jsonl", "negatives/weibo2018.jsonl", "negatives/cail2018_facts.jsonl",
                 "negatives/mudou_spam_sms.jsonl"):
        with open(shared_data / name, encoding="utf-8") as handle:
            texts += [json.loads(line)["text"] for _, line in zip(range(1000), handle)]
    assert np.abs(_kernel(scorer, texts) - _graph(scorer, texts)).max() < 1e-5


def test_unreadable_or_foreign_graph_is_a_load_error(tiny_model, tmp_path):
    scorer = Scorer.load(tiny_model[0])
    garbage = tmp_path / "garbage.onnx"
    garbage.write_bytes(b"\x08\x01not a protobuf at all" * 10)
    with pytest.raises(ModelLoadError):
        HotPath.from_onnx(garbage, scorer.features)
    # a real ONNX file without the hot-path weights (the full graph)
    with pytest.raises(ModelLoadError, match="hot-path weights"):
        HotPath.from_onnx(scorer.graphs["onnx"], scorer.features)


def test_hot_graph_with_a_non_scalar_constant_is_a_load_error(tiny_model, tmp_path):
    """``min_norm``, ``slope`` and ``offset`` hold one number each; a graph with two is refused, not a TypeError."""
    onnx = pytest.importorskip("onnx")
    from onnx import numpy_helper

    scorer = Scorer.load(tiny_model[0])
    model = onnx.load(str(scorer.graphs["fast_onnx"]))
    for i, tensor in enumerate(model.graph.initializer):
        if tensor.name == "min_norm":
            model.graph.initializer[i].CopyFrom(numpy_helper.from_array(np.array([1.0, 2.0], dtype=np.float32),
                                                                        "min_norm"))
    path = tmp_path / "mlm.onnx"
    onnx.save(model, str(path))
    with pytest.raises(ModelLoadError, match="one number each"):
        HotPath.from_onnx(path, scorer.features)


def test_model_dir_with_a_broken_hot_graph_fails_at_load(tiny_model, tmp_path):
    target = tmp_path / "broken"
    shutil.copytree(tiny_model[0], target)
    (target / "mlm.onnx").write_bytes(b"broken")
    with pytest.raises(ModelLoadError):
        Scorer.load(target, verify=False)


def _reference_logits(batch, spec, table, min_norm, slope, offset) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The hot-path graph's formula in numpy over ``features.feeds`` (the arrays the graphs are fed): each post's
    best logit, and every passage's logit with its post."""
    from mlmrisk.classifier.features import sentence_passages

    bucket, passage, passage_doc, _, _ = feature_feeds(batch, spec)
    q = passage_doc.size
    sum_w = np.bincount(passage, weights=table[bucket, 0].astype(np.float64), minlength=q)
    sum_q = np.bincount(passage, weights=table[bucket, 1].astype(np.float64), minlength=q)
    discount = sentence_passages(passage_doc, batch.starts, spec.window) * spec.sentence_discount  # float64
    logits = slope * (sum_w / np.maximum(min_norm, np.sqrt(sum_q)) - discount) + offset
    out = np.full(batch.n_docs, -np.inf)
    np.maximum.at(out, passage_doc, logits)
    return out, logits, passage_doc


def _check_best_passage(best, local, lead, logits, passage_doc) -> None:
    """The kernel's passage index points at a passage whose logit is the post's best (within float noise), at the
    first such passage when the best is clear of the others, and its lead is the gap to the runner-up."""
    first = np.searchsorted(passage_doc, np.arange(best.size))
    chosen = first + local
    assert (passage_doc[chosen] == np.arange(best.size)).all()
    assert np.abs(logits[chosen] - best).max() < 1e-9
    for d in range(best.size):
        mine = logits[passage_doc == d]
        if (np.abs(mine - best[d]) < 1e-9).sum() == 1:
            assert local[d] == int(np.argmax(mine))
        if mine.size == 1:
            assert lead[d] == np.inf
        else:
            assert abs(lead[d] - (best[d] - np.sort(mine)[-2])) < 1e-9


@pytest.mark.parametrize("bits", [8, 20])
@pytest.mark.parametrize("char_orders, pinyin_orders", [((1, 2, 3, 4), (1, 2, 3)), ((2, 3), (2,)), ((3,), ()),
                                                         ((), (1, 2))])
@pytest.mark.parametrize("window, sentence_min, discount", [(4, 0, 0.0), (4, 2, 0.0), (4, 2, 0.8), (16, 0, 0.0),
                                                           (16, 5, 0.0), (16, 5, 1.1), (64, 0, 0.0), (64, 5, 0.0),
                                                           (64, 5, 0.6)])
def test_kernel_equals_feeds_for_other_feature_specs(default_model, bits, char_orders, pinyin_orders, window,
                                                     sentence_min, discount):
    """Other orders, bucket sizes, windows and sentence passages (discounted or not) than the shipped model's:
    random weights, the
    numpy reference over the very arrays the graphs are fed; posts around the window's length, Latin runs across
    passage borders, sentence boundaries, and blanked spans inside posts (what the allow list leaves)."""
    import dataclasses
    import random

    from mlmrisk.classifier.features import best_passage_logits
    from mlmrisk.classifier.normalize import SEPARATOR, NormalizedBatch

    scorer = Scorer.load(default_model)
    # a model that reads Latin pinyin by its syllables (latin_syllables_only) needs the syllable channel
    latin = scorer.features.latin_syllables_only and bool(pinyin_orders)
    spec = dataclasses.replace(scorer.features, bucket_bits=bits, char_orders=char_orders,
                               pinyin_orders=pinyin_orders, window=window, sentence_min_chars=sentence_min,
                               sentence_discount=discount, latin_syllables_only=latin,
                               latin_post_share=scorer.features.latin_post_share if latin else 0.0)
    rng = random.Random(bits + window + len(char_orders))
    alphabet = list("发展下线拿团队奖静态收益加微信abcdefghijklmnopqrstuvwxyz .1🔥\n，。")
    syllables = ["fa", "zhan", "xia", "xian", "wei", "xin", "dong", "tai", "shou", "yi", "jia"]
    texts = []
    for length in (0, 1, 2, 3, window - 1, window, window + 1, 2 * window - 1, 2 * window, 2 * window + 1, 200):
        texts.append("".join(rng.choice(alphabet) for _ in range(length)))
    for _ in range(40):
        texts.append("".join(rng.choice(syllables) if rng.random() < 0.5 else rng.choice(alphabet)
                             for _ in range(rng.randint(0, 60))))
    batch = normalize_batch(texts, scorer.tables)
    codes = batch.codes.copy()
    for d in range(0, batch.n_docs, 3):
        length = batch.starts[d + 1] - batch.starts[d] - 1
        if length > 3:
            codes[batch.starts[d] + 1 : batch.starts[d] + 3] = SEPARATOR
    blanked = NormalizedBatch(codes, batch.origin, batch.doc, batch.starts, batch.rules)
    table = np.random.default_rng(bits).normal(size=(spec.n_buckets + 1, 2)).astype(np.float32)
    table[:, 1] = np.abs(table[:, 1]) * 3
    for b in (batch, blanked):
        kernel, local, lead, content = best_passage_logits(b, spec, table, 2.5, 1.3, -0.7)
        assert content.dtype == np.int64 and np.array_equal(content, b.evidence_chars())
        reference, passage_logits, passage_doc = _reference_logits(b, spec, table, np.float32(2.5), 1.3, -0.7)
        assert np.abs(kernel - reference).max() < 1e-9
        _check_best_passage(kernel, local, lead, passage_logits, passage_doc)


def test_full_path_on_the_best_passage_only_equals_every_passage(default_model, monkeypatch):
    """The full graph runs only each suspicious post's best passage (chosen by the kernel): the records, the
    explanation and the novelty are those of running every passage through the graph."""
    # a deny phrase also inside ordinary long posts (rows below watch sent to the full path), an allow entry whose
    # blanking lowers a score and one (招商银行, read as bank SMS) whose blanking would raise it and is undone
    scorer = Scorer.load(default_model, deny=["见点奖", "顺便买了点"], allow=["团队奖", "招商银行"])
    filler = "今天天气不错，我们去公园散步，顺便买了点水果。"
    texts = [filler * k + pitch + filler * (6 - k) for k, pitch in enumerate(PITCHES * 3)]
    texts += [pitch * 12 for pitch in PITCHES] + ODD + [filler * 20, "招商银行提醒您：" + filler * 5]
    # two passages with exactly the same n-grams (the float32 graph and the float64 kernel may order them apart)
    u, v = "拿散线", "益赚动买公加队"
    w = "加费态需收益信收拿红益便展错天便顺拿态不薇加动奖去需动只收步发益气奖需不益奖们发去收散今只态线园"
    texts += [u + v + u + w + u + u + w + u + v + u]
    best_only = scorer.score_batch(texts, full=True)
    hot_then_best = scorer.score_batch(texts)  # the kernel's passages handed on from the hot pass
    explained = scorer.explain(texts[2])
    late = scorer.explain(texts[5])  # a post whose best passage is not its first (its pitch comes late)
    assert late["passage"]["start"] > 0
    novelty = scorer.novelty(texts)
    calls: list[int] = []

    def every(self, batch, feeds, membership, passages=None):
        calls.append(batch.n_docs)
        return feeds, membership

    monkeypatch.setattr(Scorer, "_best_passages_only", every)
    every_passage = scorer.score_batch(texts, full=True)
    assert calls  # the reference really ran every passage through the graph
    assert best_only.records() == every_passage.records()
    # (patched above: this is the hot pass followed by every passage, not a determinism check)
    assert hot_then_best.records() == scorer.score_batch(texts).records()
    assert any(r["lists"] and r["probability"] < scorer.thresholds.watch for r in hot_then_best.records())
    shown = np.flatnonzero(every_passage.probability >= scorer.thresholds.watch).tolist()
    assert len(shown) > 10
    assert hot_then_best.records(rows=shown) == every_passage.records(rows=shown)
    assert np.array_equal(best_only.probability, every_passage.probability)
    assert scorer.explain(texts[2]) == explained and explained["passage"]["passages"] > 1
    assert scorer.explain(texts[5]) == late
    assert np.array_equal(scorer.novelty(texts), novelty)
