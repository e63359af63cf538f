"""The shipped model on the evasion suite of held-out text (``benchmarks/eval_evasion.py``, challenge set).

A quality guard, not a timing: every family of rewrites must keep ≥ 90 % of the clean hits flagged (pinyin
families ≥ 80 %), the bar of the generalisation issue, on 60 hand-written promotions never used in training.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_every_evasion_family_keeps_its_hits_on_held_out_posts(tmp_path):
    out = tmp_path / "evasion.json"
    subprocess.run([sys.executable, str(REPO / "benchmarks" / "eval_evasion.py"), "--variants", "3", "--out",
                    str(out)], check=True, capture_output=True, cwd=REPO)
    result = json.loads(out.read_text(encoding="utf-8"))
    assert result["posts"] == 60 and result["flagged_clean"] >= 50
    families = result["families"]
    assert len(families) >= 12
    for kind, entry in families.items():
        assert entry["changed_share"] > 0.8, f"{kind} rewrote too few posts to test anything"
        bar = 0.8 if kind.startswith("pinyin") else 0.9
        assert entry["kept"] >= bar, (kind, entry)
