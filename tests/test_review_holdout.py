"""The shipped model on the independent review set (``data/review_holdout/``, never trained on): what it does well
there must not regress — since model 2.4.0 that includes the issue's bar for pitches inside ordinary text (≥ 90 %
/ ≥ 80 % kept inside ~100 / ~300 characters). Its known weaknesses on the set (whole-post pinyin, random-letter
noise, single-level referral ads; ``data/review_holdout/README.md``) are reported by
``benchmarks/eval_review_holdout.py``, not pinned here."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "eval_review_holdout.py"


@pytest.fixture(scope="module")
def review(default_model):
    spec = importlib.util.spec_from_file_location("eval_review_holdout", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    from mlmrisk.serving.scorer import Scorer

    return module.measure(Scorer.load(default_model))


def test_short_and_ordinary_comments_stay_quiet(review):
    for name in ("short_comments", "medium_comments"):
        assert review[name]["flagged"] == 0 and review[name]["high_or_severe"] == 0, review[name]
    assert review["short_comments"]["max_risk"] <= 31  # texts too short to be flagged stop at the watch line


def test_pitches_and_look_alikes(review):
    assert review["pitches"]["recall"] >= 0.88, review["pitches"]
    # the only look-alikes flagged are single-level referral ads (legal2), never warnings, news, jobs or retail
    assert all(fp["id"].startswith("l2_") for fp in review["legal"]["false_positives"]), review["legal"]
    assert review["legal"]["flagged"] <= 4


def test_embedded_legal_texts_are_not_flagged_and_pitches_kept(review):
    """Issue 9's bar: a pitch inside ~100 / ~300 characters of ordinary text stays flagged in ≥ 90 % / ≥ 80 %."""
    bars = {"context_100": 0.90, "context_300": 0.80}
    assert set(review["embedded"]) == set(bars)
    for ctx, figures in review["embedded"].items():
        assert figures["legal_flagged"].startswith("0/"), (ctx, figures)
        assert figures["share_kept"] >= bars[ctx], (ctx, figures)


def test_character_level_evasions_keep_their_flags(review):
    families = review["evasion_families"]
    for family in ("traditional", "fullwidth", "zwsp_all", "emoji_all", "repeat_kw", "num_circled", "num_daxie",
                   "noise_x_kw", "noise_x_all", "combo_trad_zw_num"):
        assert families[family]["share"] >= 0.95, (family, families[family])
