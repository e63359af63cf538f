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
    long_enough = [c for c, n in zip(comments, normalize_batch(comments, tables).content_chars())
                   if n >= MIN_CONTENT_CHARS]
    assert section["comments"]["scored_above_flag"] == len(comments)
    assert section["comments"]["flagged_texts"] == long_enough
    assert section["comments"]["high_or_severe"] == len(long_enough) < len(comments)
    fragments = section["fragments_1_6"]
    assert fragments["scored_above_flag_rate"] == 1.0 and 0 < fragments["flagged_rate"] < 0.3
