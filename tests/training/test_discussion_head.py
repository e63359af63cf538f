"""Fitting the discussion guard (training/discussion.py)."""

from __future__ import annotations

import numpy as np
import pytest

from mlmrisk.training.discussion import choose_tau, discussion_labels


def test_labels_come_from_written_kinds_and_synthetic_schemes():
    styles = [{"kind": "anti_mlm_warning"}, {"kind": "promotion"}, {}, {}, {"kind": "news"}]
    categories = ["", "", "synthetic:anti_mlm", "synthetic:weishang", ""]
    labels = discussion_labels(styles, categories, ["anti_mlm_warning", "news", "anti_mlm"])
    assert labels.tolist() == [1, 0, 1, 0, 1]
    assert discussion_labels(styles, categories, []).tolist() == [0] * 5


def test_tau_is_a_quantile_of_the_promotions_scored():
    decision = np.array([np.nan, 0.0, 1.0, 2.0, 3.0, 100.0])
    positive = np.array([True, True, True, True, True, False])
    assert choose_tau(decision, positive, 0.5) == pytest.approx(1.5)  # NaN (not scored) and negatives ignored
    with pytest.raises(ValueError):
        choose_tau(decision, np.zeros(6, dtype=bool), 0.5)


def test_discussion_settings_are_checked():
    from mlmrisk.training.config import ConfigError, check_value

    assert check_value("discussion_kinds", ["anti_mlm_warning", "news"], "t") == ["anti_mlm_warning", "news"]
    for key, bad in (("discussion_kinds", [""]), ("discussion_quantile", 1.0), ("discussion_weight", -1.0),
                     ("discussion_C", 0.0)):
        with pytest.raises(ConfigError):
            check_value(key, bad, "t")
