"""The report's short-text figures describe what serving does: the minimum-evidence rule applies to them."""

from __future__ import annotations

import numpy as np

from mlmrisk.classifier.normalize import normalize_batch
from mlmrisk.classifier.risk import MIN_CONTENT_CHARS, Thresholds
from mlmrisk.training.generalisation import load_short_comments, short_text_section


def test_short_text_section_counts_as_serving_flags(tables):
    """A model that scores everything at 0.99 (every element too) would put every comment above the flag; served,
    only texts of at least MIN_CONTENT_CHARS content characters are flagged, and only they can be high/severe."""
    thresholds = Thresholds(flag=0.6, watch=0.3)

    def predict(texts):
        return np.full((len(texts), 5), 0.99)

    benign = ["今天天气很好，我们一起去公园散步吧，晚上吃火锅", "这家店的服务态度不错，下次还会再来"] * 20
    section = short_text_section(predict, thresholds, benign, seed=3, tables=tables)
    comments = load_short_comments()
    long_enough = [c for c, n in zip(comments, normalize_batch(comments, tables).evidence_chars())
                   if n >= MIN_CONTENT_CHARS]
    assert section["comments"]["scored_above_flag"] == len(comments)
    assert section["comments"]["flagged_texts"] == long_enough
    assert section["comments"]["high_or_severe"] == len(long_enough) < len(comments)
    fragments = section["fragments_1_6"]
    assert fragments["scored_above_flag_rate"] == 1.0 and 0 < fragments["flagged_rate"] < 0.3


def test_recall_at_precision_is_a_point_of_the_curve():
    from mlmrisk.training.metrics import recall_at_precision

    y = [1, 1, 0, 1, 0, 1]
    s = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4]
    assert recall_at_precision(y, s, 0.9) == 0.5  # top two: precision 1; adding the third post drops it to 2/3
    assert recall_at_precision(y, s, 0.6) == 1.0  # all six: 4/6 ≥ 0.6
    assert recall_at_precision([1, 0, 1], [0.5, 0.5, 0.1], 0.9) == 0.0  # a tie is taken whole, never split
    assert recall_at_precision([0, 0], [0.3, 0.2], 0.5) == 0.0


def test_operating_points_recount_each_threshold():
    """Every row is recounted from the scores: the table must agree with binary_metrics at each threshold, mark
    the shipped flag, and name the worst held-out style."""
    from mlmrisk.training.fit import OPERATING_GRID, operating_points
    from mlmrisk.training.metrics import binary_metrics

    rng = np.random.default_rng(0)
    n = 400
    label = (rng.random(n) < 0.4).astype(np.int64)
    p = np.clip(0.35 * label + rng.random(n) * 0.65, 0, 1)
    task = np.arange(n) < 200
    benign = (np.arange(n) >= 300) & (label == 0)
    rows_a, rows_b = np.arange(200, 250), np.arange(250, 300)
    loso = {"era": {"a": (rows_a, p[rows_a]), "b": (rows_b, p[rows_b] * 0.5)}}
    points = operating_points(p, label, task, benign, loso, flag=0.61)
    assert [pt["threshold"] for pt in points] == sorted(set(OPERATING_GRID) | {0.61})
    assert [pt["threshold"] for pt in points if pt["shipped"]] == [0.61]
    for pt in points:
        t = pt["threshold"]
        m = binary_metrics(label[task], p[task] >= t)
        assert pt["chineseharm_cv"] == {"precision": m["precision"], "recall": m["recall"]}
        assert pt["benign_fpr_cv"] == round(float((p[benign] >= t).mean()), 5)
        recall = {v: binary_metrics(label[r], q >= t)["recall"] for v, (r, q) in loso["era"].items()}
        assert pt["era"]["worst_recall"] == [min(recall, key=recall.get), min(recall.values())]
    high = [pt for pt in points if pt["threshold"] >= 0.5]
    assert all(pt["era"]["worst_recall"][0] == "b" for pt in high)  # b's scores were halved
