"""The shipped model on the evasion suite of held-out text (``benchmarks/eval_evasion.py``, challenge set).

A quality guard, not a timing: every family of rewrites must keep ≥ 90 % of the clean hits flagged (pinyin
families ≥ 80 %), the bar of the generalisation issue, on 60 hand-written promotions never used in training.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


#: families the shipped model does not yet meet the bar on (each pinned by a strict xfail below)
KNOWN_GAPS = ("pinyin_post",)


@pytest.fixture(scope="module")
def families(tmp_path_factory):
    out = tmp_path_factory.mktemp("evasion") / "evasion.json"
    subprocess.run([sys.executable, str(REPO / "benchmarks" / "eval_evasion.py"), "--variants", "3", "--out",
                    str(out)], check=True, capture_output=True, cwd=REPO)
    result = json.loads(out.read_text(encoding="utf-8"))
    assert result["posts"] == 60 and result["flagged_clean"] >= 50
    assert len(result["families"]) >= 14
    for kind, entry in result["families"].items():
        assert entry["changed_share"] > 0.8, f"{kind} rewrote too few posts to test anything"
    return result["families"]


def _bar(kind: str) -> float:
    return 0.8 if kind.startswith("pinyin") else 0.9


def test_every_evasion_family_keeps_its_hits_on_held_out_posts(families):
    for kind, entry in families.items():
        if kind not in KNOWN_GAPS:
            assert entry["kept"] >= _bar(kind), (kind, entry)


@pytest.mark.xfail(strict=True, reason="model 2.4.0 keeps ~0 of the hits of a post written wholly in pinyin: its "
                   "Latin character n-grams outweigh the syllables (docs/training.md, 'Pasted copies, letter noise "
                   "and Latin pinyin': latin_syllables_only keeps them, measured, not shipped)")
@pytest.mark.parametrize("kind", KNOWN_GAPS)
def test_known_gaps(families, kind):
    assert families[kind]["kept"] >= _bar(kind), (kind, families[kind])
