"""Training pipeline (scikit-learn) and serving graph (onnxruntime) give the same probabilities."""

from __future__ import annotations

import json

import numpy as np
import pytest

from mlmrisk.serving import Scorer
from mlmrisk.training.perturb import PERTURBATIONS, perturb

TOLERANCE = 1e-5
EDGE_CASES = ["", " ", "\u200b", "a", "传", "发\u200b展\x00下线", "🔥" * 50, "ｖ信：ａｂｃ１２３", "發展下綫拿團隊獎",
              "x" * 30000, "mian fei jia ru wang zhuan , fa zhan xia xian na ti cheng", "你jieshao的xiaxian交费",
              "有[em]e163[/em]时[em]e163[/em]间吗"]


@pytest.fixture(params=["tiny_model", "sentence_model"])
def model(request):
    """Each test model: windows only, and sentence passages with a sentence discount."""
    return request.getfixturevalue(request.param)


def _max_delta(tiny_model, texts):
    """Largest |Δp| between training and serving: MLM for every post (hot path), every head on the full path."""
    from mlmrisk.training.fit import predict_texts

    directory, vectorizer, heads = tiny_model
    expected = predict_texts(heads, vectorizer, texts)
    scorer = Scorer.load(directory)
    fast = scorer.score_batch(texts)
    full = scorer.score_batch(texts, full=True)
    # the full path computes elements for every post; the record shows them for flagged posts only
    sub = full.element_probability
    shown = ~np.isnan(sub[:, 0])
    element_delta = float(np.abs(sub[shown] - expected[shown, 1:]).max()) if shown.any() else 0.0
    return max(float(np.abs(fast.probability - expected[:, 0]).max()),
               float(np.abs(full.probability - expected[:, 0]).max()), element_delta)


def test_parity_on_synthetic_evasive_and_edge_cases(model):
    from mlmrisk.training.synthetic import generate

    texts = [p.text for p in generate(600, seed=99)]
    texts += [perturb(t, kind, i) for i, t in enumerate(texts[:200]) for kind in PERTURBATIONS]
    texts += ["今天天气不错，我们去公园。\n" + t + "。晚上吃了面条，挺好吃的。" * 3 for t in texts[:100]]
    assert _max_delta(model, texts + EDGE_CASES) < TOLERANCE


@pytest.mark.shared_data
def test_parity_on_thousands_of_real_texts(model, shared_data):
    texts = []
    for name in ("labelled/chineseharm_dev.jsonl", "negatives/weibo2018.jsonl", "negatives/cail2018_facts.jsonl"):
        with open(shared_data / name, encoding="utf-8") as handle:
            texts += [json.loads(line)["text"] for _, line in zip(range(1500), handle)]
    assert len(texts) >= 4000
    assert _max_delta(model, texts) < TOLERANCE


def test_hot_path_equals_full_path_above_watch(model):
    """Posts at or above the watch threshold: identical probability, level, elements and evidence either way."""
    from mlmrisk.training.synthetic import generate

    directory, _, _ = model
    scorer = Scorer.load(directory)
    texts = [p.text for p in generate(400, seed=5)]
    texts += [perturb(t, kind, i) for i, t in enumerate(texts[:100]) for kind in PERTURBATIONS]
    texts += ["今天天气不错。" * 40 + t + "我们去公园玩。" * 40 for t in texts[:50]]
    fast = scorer.score_batch(texts)
    full = scorer.score_batch(texts, full=True)
    above = full.probability >= scorer.thresholds.watch
    assert above.sum() > 50
    assert np.abs(fast.probability[above] - full.probability[above]).max() < 1e-9
    # below watch the probability is the hot-path kernel's (float64 sums) against the graph's (float32 sums)
    assert np.abs(fast.probability - full.probability).max() < 1e-5
    assert (fast.level == full.level).all() and (fast.flagged == full.flagged).all()
    assert fast.records(rows=np.flatnonzero(above).tolist()) == full.records(rows=np.flatnonzero(above).tolist())


def test_batch_composition_does_not_change_scores(tiny_model):
    directory, _, _ = tiny_model
    scorer = Scorer.load(directory)
    texts = ["静态收益动态收益直推奖", "今天天气不错", "", "加薇信了解项目"]
    together = scorer.score_batch(texts).probability
    alone = np.array([scorer.score_batch([t]).probability[0] for t in texts])
    assert np.abs(together - alone).max() < 1e-6
