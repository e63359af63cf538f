"""Stock lines attached to synthetic posts (training/boilerplate.py) and their evaluation section."""

from __future__ import annotations

import numpy as np

from mlmrisk.classifier.risk import Thresholds
from mlmrisk.training.boilerplate import attach_boilerplate, boilerplate_lines, boilerplate_section


def _records(n: int) -> list[dict]:
    return [{"text": f"帖子{i}", "label": i % 2, "elements": [], "group": f"g{i}"} for i in range(n)]


def test_the_pools_are_present_disjoint_and_marked_synthetic():
    import json

    from mlmrisk.resources import data_path

    train, evaluation = boilerplate_lines("train"), boilerplate_lines("eval")
    assert len(train) >= 100 and len(evaluation) >= 40
    assert not set(train) & set(evaluation), "an evaluation line is also a training line"
    for which in ("train", "eval"):
        for line in (data_path("boilerplate") / f"{which}.jsonl").read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            assert record["synthetic"] is True and "provenance" in record


def test_attaching_is_deterministic_balanced_and_keeps_labels():
    records = _records(4000)
    lines = ["本群禁止广告", "投资有风险"]
    once, again = attach_boilerplate(records, 0.2, 7, lines), attach_boilerplate(records, 0.2, 7, lines)
    assert once == again and attach_boilerplate(records, 0.2, 8, lines) != once
    changed = [(a, b) for a, b in zip(records, once) if a["text"] != b["text"]]
    assert 0.17 < len(changed) / len(records) < 0.23
    by_label = np.bincount([b["label"] for _, b in changed], minlength=2)
    assert abs(by_label[0] - by_label[1]) < 0.2 * len(changed)  # both classes, about equally
    for a, b in changed:
        assert b["label"] == a["label"] and b["group"] == a["group"]
        assert b["text"] in (f"{b['boilerplate']}\n{a['text']}", f"{a['text']}\n{b['boilerplate']}")
    assert attach_boilerplate(records, 0.0, 7, lines) == records


def test_section_counts_kept_promotions_and_flagged_negatives():
    def predict(texts):  # flags a text with 拉人, unless it carries the line 别信
        return np.array([[1.0 if "拉人" in t and "别信" not in t else 0.0] for t in texts])

    section = boilerplate_section(predict, Thresholds(flag=0.5, watch=0.25), ["拉人返现", "拉人拿奖", "吃饭了"],
                                  [1, 1, 0], ["别信", "你好"])
    assert section["promotions_flagged_alone"] == 2 and section["negatives"] == 1
    assert section["before"] == {"promotions_kept": 0.5, "negatives_flagged": 0.0}
    assert section["after"]["promotions_kept"] == 0.5
