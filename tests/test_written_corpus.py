"""The written corpus (``data/written/*.jsonl``) is training data and the ground truth of the held-out-style
figures, so its records must say what the training code and the report assume: one matched pair per group, a
promotion and its hard negative in the same cell, labels and elements that agree, provenance on every record.

``MLMRISK_WRITTEN_DIR`` points the checks at another folder (new writers' files before they are merged).
"""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path

import pytest

from mlmrisk.resources import data_path

FOLDER = Path(os.environ.get("MLMRISK_WRITTEN_DIR") or data_path("written"))
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


def _records() -> list[tuple[str, dict]]:
    out = []
    for path in sorted(FOLDER.glob("*.jsonl")):
        with path.open(encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                out.append((f"{path.name}:{n}", json.loads(line)))
    return out


RECORDS = _records()


@pytest.mark.skipif(bool(os.environ.get("MLMRISK_WRITTEN_DIR")), reason="checking another folder (new writers' files)")
def test_the_corpus_is_there_and_large_enough():
    assert len({r["writer"] for _, r in RECORDS}) >= 7
    assert len(RECORDS) >= 3000


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
