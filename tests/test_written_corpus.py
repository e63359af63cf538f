"""The written corpus (``data/written/*.jsonl``) is training data and the ground truth of the held-out-style
figures, so its records must say what the training code and the report assume: one matched pair per group, a
promotion and its hard negative in the same cell, labels and elements that agree, provenance on every record.
The held-out writers (``data/written_holdout/*.jsonl`` and ``data/discussion_holdout/*.jsonl``, never trained on)
and the discussion guard's own posts (``data/written_discussion``) are checked with it, as one set: no id or
normalised text of theirs may also be a training post.

``MLMRISK_WRITTEN_DIR`` points the checks at another folder (new writers' files before they are merged).
"""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path

import pytest

from mlmrisk.resources import data_path

FOLDERS = ([Path(os.environ["MLMRISK_WRITTEN_DIR"])] if os.environ.get("MLMRISK_WRITTEN_DIR")
           else [data_path("written"), data_path("written_holdout"), data_path("written_discussion"),
                 data_path("discussion_holdout")])
FIELDS = {"id", "text", "label", "pair", "elements", "scheme", "kind", "channel", "register", "length", "persona",
          "era", "writer", "synthetic", "provenance"}
ELEMENTS = {"lart", "fee", "team", "ponzi"}
NEGATIVE_KINDS = {"retail", "single_level_referral", "licensed_direct_selling", "franchise", "job_ad",
                  "anti_mlm_warning", "news", "finance_talk", "crypto_talk", "paid_to_read", "group_buy", "other"}
CHANNELS = {"sms", "app_push", "email", "forum", "tieba", "weibo", "wechat_group", "wechat_moments", "qq_group",
            "official_account", "short_video", "listing", "offline_flyer"}
REGISTERS = {"colloquial", "ad", "casual_chat", "hype", "formal", "warning", "slang", "news"}
LENGTHS = {"short", "medium", "long"}
ERAS = {"2000s", "2010s", "2020s"}
#: the writers of data/written_holdout and data/discussion_holdout (evaluation only)
HELD_OUT = ("brief: w14", "brief: w15", "brief: w16", "brief: w17", "brief: w22", "brief: w23")


def _records() -> list[tuple[str, dict]]:
    out = []
    for path in sorted(p for folder in FOLDERS for p in folder.glob("*.jsonl")):
        with path.open(encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                out.append((f"{path.name}:{n}", json.loads(line)))
    return out


RECORDS = _records()


@pytest.mark.skipif(bool(os.environ.get("MLMRISK_WRITTEN_DIR")), reason="checking another folder (new writers' files)")
def test_the_corpus_is_there_and_large_enough():
    training = [r for where, r in RECORDS if not r["provenance"].endswith(HELD_OUT)]
    assert len({r["writer"] for r in training}) >= 7
    assert len(training) >= 3000


@pytest.mark.skipif(bool(os.environ.get("MLMRISK_WRITTEN_DIR")), reason="checking another folder (new writers' files)")
def test_training_never_reads_the_held_out_writers():
    from mlmrisk.training.fit import TrainConfig, corpus_specs

    held_out_dirs = {data_path("written_holdout").resolve(), data_path("discussion_holdout").resolve()}
    held_out = {r["writer"] for _, r in RECORDS if r["provenance"].endswith(HELD_OUT)}
    assert held_out == {"w14", "w15", "w16", "w17", "w22", "w23"}
    specs = corpus_specs(TrainConfig(shared_data=None, discussion_data="default"))
    assert {spec.role for spec in specs} == {"written", "discussion"}
    assert not any(held_out_dirs & set(Path(spec.path).resolve().parents) for spec in specs)
    for spec in specs:  # and no training file holds a held-out writer's record, whatever its name
        with open(spec.path, encoding="utf-8") as handle:
            assert not {json.loads(line)["writer"] for line in handle} & held_out, spec.path


@pytest.mark.skipif(bool(os.environ.get("MLMRISK_WRITTEN_DIR")), reason="checking another folder (new writers' files)")
def test_the_shipped_model_on_the_held_out_writers():
    """Posts by four writers the model never saw, briefed on the boundary with other money-making pitches
    (data/written_holdout/README.md): measured 0.924 / 0.887 / AP 0.960 when they were written; the bar keeps
    a margin for retraining noise. A model change that loses this generalisation fails here."""
    import numpy as np

    from mlmrisk.serving import Scorer
    from mlmrisk.training.evaluate import read_written_holdout
    from mlmrisk.training.metrics import average_precision, binary_metrics

    records = read_written_holdout()
    batch = Scorer.load().score_batch([r["text"] for r in records])
    label = np.array([r["label"] for r in records])
    at_flag = binary_metrics(label, batch.flagged)
    assert len(records) == 800 and at_flag["precision"] >= 0.90 and at_flag["recall"] >= 0.85, at_flag
    assert average_precision(label, np.asarray(batch.probability)) >= 0.93
    # the discussion guard (model 2.1.0): warnings that quote a pitch in full were flagged 11 of 34 before it, 3 with
    # it (2 with model 2.2.0)
    warning = np.array([r["kind"] == "anti_mlm_warning" for r in records])
    assert warning.sum() == 34 and np.asarray(batch.flagged)[warning].sum() <= 5


@pytest.mark.skipif(bool(os.environ.get("MLMRISK_WRITTEN_DIR")), reason="checking another folder (new writers' files)")
def test_the_shipped_model_on_texts_that_quote_a_pitch():
    """w22–w23 (data/discussion_holdout/README.md), never trained on: texts about schemes that recite the pitch in
    detail, each paired with a pitch in the same register. Model 2.1.0 flagged 48 of the 120 texts (recall 0.933 on
    the pitches); 2.2.0, whose guard trained on w18–w21, flagged 34 (recall 0.933); 2.3.0, whose guard also reads
    quotation, flags 5 (recall 0.933). The bar is the issue's (≤ 5 %, i.e. 6 of 120) and fails a model that loses
    the gain or buys it with the pitches."""
    import numpy as np

    from mlmrisk.serving import Scorer
    from mlmrisk.training.evaluate import DISCUSSION_HOLDOUT, read_written_holdout

    records = read_written_holdout(DISCUSSION_HOLDOUT)
    flagged = np.asarray(Scorer.load().score_batch([r["text"] for r in records]).flagged)
    label = np.array([r["label"] for r in records])
    assert len(records) == 240 and label.sum() == 120
    assert flagged[label == 0].sum() <= 6 and flagged[label == 1].mean() >= 0.9


def test_every_record_has_the_fields_and_values_training_reads():
    for where, r in RECORDS:
        assert set(r) >= FIELDS, (where, FIELDS - set(r))
        assert isinstance(r["text"], str) and r["text"].strip(), where
        assert type(r["label"]) is int and r["label"] in (0, 1), where
        assert r["channel"] in CHANNELS and r["register"] in REGISTERS, where
        assert r["length"] in LENGTHS and r["era"] in ERAS, where
        assert r["synthetic"] is True and r["provenance"].endswith(f"brief: {r['writer']}"), where
        assert r["id"].startswith(r["writer"] + "-"), where
        assert set(r["elements"]) <= ELEMENTS, where
        if r["label"] == 1:
            # Art. 7 names three forms (拉人头, 入门费, 团队计酬); every promotion names the forms it shows.
            assert r["kind"] == "promotion" and r["elements"], where
        else:
            assert r["kind"] in NEGATIVE_KINDS and r["elements"] == [], where


def test_ids_and_texts_are_unique(tables):
    """Unique as training sees them: it drops a post whose normalised text repeats another's (first kept), which
    would leave that post's pair with one half."""
    from mlmrisk.training.data import _dedup_keys

    ids = Counter(r["id"] for _, r in RECORDS)
    assert [i for i, n in ids.items() if n > 1] == []
    keys = Counter(key for key, _ in _dedup_keys([r["text"] for _, r in RECORDS], tables))
    assert [k[:40] for k, n in keys.items() if n > 1] == []


def test_pairs_are_reciprocal_matched_and_in_one_cell():
    by_id = {r["id"]: r for _, r in RECORDS}
    for where, r in RECORDS:
        other = by_id.get(r["pair"])
        assert other is not None and other["pair"] == r["id"], where
        assert {r["label"], other["label"]} == {0, 1}, where
        # The matched negative shares the cell, so style cannot separate the classes.
        assert (r["channel"], r["era"], r["writer"]) == (other["channel"], other["era"], other["writer"]), where


@pytest.mark.parametrize("axis", ["era", "channel", "writer"])
def test_every_held_out_style_is_balanced(axis):
    counts = Counter((r[axis], r["label"]) for _, r in RECORDS)
    for value in {r[axis] for _, r in RECORDS}:
        assert counts[(value, 1)] == counts[(value, 0)] > 0, value
