"""Training pipeline (scikit-learn) and serving graph (onnxruntime) give the same probabilities."""

from __future__ import annotations

import json

import numpy as np
import pytest

from mlmrisk.serving import Scorer
from mlmrisk.training.perturb import PERTURBATIONS, perturb

TOLERANCE = 1e-5
EDGE_CASES = ["", " ", "\u200b", "a", "传", "发\u200b展\x00下线", "🔥" * 50, "ｖ信：ａｂｃ１２３", "發展下綫拿團隊獎",
              "x" * 30000]


def _max_delta(tiny_model, texts):
    directory, vectorizer, heads = tiny_model
    expected = heads.predict_proba(vectorizer.transform(texts))
    scorer = Scorer.load(directory)
    batch = scorer.score_batch(texts)
    actual = np.column_stack([batch.probability, batch.element_probability])
    return float(np.abs(actual - expected).max())


def test_parity_on_synthetic_evasive_and_edge_cases(tiny_model):
    from mlmrisk.training.synthetic import generate

    texts = [p.text for p in generate(600, seed=99)]
    texts += [perturb(t, kind, i) for i, t in enumerate(texts[:200]) for kind in PERTURBATIONS]
    assert _max_delta(tiny_model, texts + EDGE_CASES) < TOLERANCE


@pytest.mark.shared_data
def test_parity_on_thousands_of_real_texts(tiny_model, shared_data):
    texts = []
    for name in ("labelled/chineseharm_dev.jsonl", "negatives/weibo2018.jsonl", "negatives/cail2018_facts.jsonl"):
        with open(shared_data / name, encoding="utf-8") as handle:
            texts += [json.loads(line)["text"] for _, line in zip(range(1500), handle)]
    assert len(texts) >= 4000
    assert _max_delta(tiny_model, texts) < TOLERANCE


def test_batch_composition_does_not_change_scores(tiny_model):
    directory, _, _ = tiny_model
    scorer = Scorer.load(directory)
    texts = ["静态收益动态收益直推奖", "今天天气不错", "", "加薇信了解项目"]
    together = scorer.score_batch(texts).probability
    alone = np.array([scorer.score_batch([t]).probability[0] for t in texts])
    assert np.abs(together - alone).max() < 1e-6
