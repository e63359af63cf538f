"""The data scientist's loop end to end on a small dataset, through the CLI (docs/retraining.md):

config → train the champion → score an unlabelled pool → review select → simulated reviewers label the Label
Studio tasks from the held-back truth → review import → retrain with the labels (small config) → compare.

Uses only the project's own written corpus (data/written), so it runs without ../shared/data.
"""

from __future__ import annotations

import json
import random

import pytest

from mlmrisk.cli import main
from mlmrisk.resources import data_path

SMALL_CONFIG = """
[data]
shared_data = ""
written_data = ""
extra_data = [{path = "base.jsonl", elements_field = "elements"}]
[discussion]
discussion_data = ""
[mix]
synthetic_n = 0
[features]
bucket_bits = 14
char_orders = [1, 2, 3]
pinyin_orders = []
[fit]
C_grid = [4.0]
n_folds = 2
[evaluation]
style_holdout = []
[system]
n_jobs = 1
"""


def _write(path, rows):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")


@pytest.fixture(scope="module")
def loop_data(tmp_path_factory):
    root = tmp_path_factory.mktemp("loop")
    rows = [json.loads(line) for name in ("w1.jsonl", "w3.jsonl")
            for line in data_path("written", name).read_text(encoding="utf-8").splitlines()]
    random.Random(0).shuffle(rows)
    base, pool, test = rows[:120], rows[120:520], rows[520:]
    _write(root / "base.jsonl", [{"id": r["id"], "text": r["text"], "label": r["label"],
                                  "elements": r["elements"]} for r in base])
    _write(root / "pool.jsonl", [{"id": r["id"], "text": r["text"]} for r in pool])
    _write(root / "test.jsonl", [{"id": r["id"], "text": r["text"], "label": r["label"], "era": r["era"],
                                  "channel": r["channel"], "writer": r["writer"], "source": r["writer"]}
                                 for r in test])
    (root / "small.toml").write_text(SMALL_CONFIG, encoding="utf-8")
    return root, {r["id"]: r for r in pool}


def test_select_label_import_retrain_compare(loop_data, capsys):
    root, truth = loop_data
    assert main(["train", str(root / "small.toml"), "--output", str(root / "champion")]) == 0
    assert (root / "champion" / "config.toml").is_file()
    manifest = json.loads((root / "champion" / "manifest.json").read_text(encoding="utf-8"))
    assert list(manifest["data_hashes"]) == [str(root / "base.jsonl")]

    assert main(["score", str(root / "pool.jsonl"), "-o", str(root / "scored.jsonl"), "--model",
                 str(root / "champion"), "--no-progress"]) == 0
    assert main(["review", "select", str(root / "scored.jsonl"), "--texts", str(root / "pool.jsonl"), "--model",
                 str(root / "champion"), "--budget", "80", "-o", str(root / "queue.jsonl"), "--label-studio",
                 str(root / "tasks.json"), "--csv", str(root / "queue.csv")]) == 0
    queue = [json.loads(line) for line in (root / "queue.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(queue) == 80 and len({q["id"] for q in queue}) == 80
    assert {q["reason"] for q in queue} >= {"random", "uncertain", "disagreement"}
    assert sum(q["reason"] == "random" for q in queue) == 8

    # simulated reviewers: Label Studio export = the tasks plus one annotation each, from the held-back truth
    tasks = json.loads((root / "tasks.json").read_text(encoding="utf-8"))
    for k, task in enumerate(tasks):
        post = truth[task["data"]["post_id"]]
        result = [{"from_name": "label", "to_name": "text", "type": "choices",
                   "value": {"choices": ["mlm" if post["label"] else "not_mlm"]}}]
        if post["label"]:
            result.append({"from_name": "elements", "to_name": "text", "type": "choices",
                           "value": {"choices": post["elements"]}})
        task["id"] = k + 1
        task["annotations"] = [{"id": k + 1, "completed_by": {"id": 7, "email": "reviewer@example.org"},
                                "result": result, "was_cancelled": False,
                                "created_at": "2026-11-30T10:00:00Z", "updated_at": "2026-11-30T10:05:00Z"}]
    (root / "export.json").write_text(json.dumps(tasks, ensure_ascii=False), encoding="utf-8")
    assert main(["review", "import", str(root / "export.json"), "-o", str(root / "labelled.jsonl")]) == 0
    labelled = [json.loads(line) for line in (root / "labelled.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(labelled) == 80
    assert all(row["label"] == truth[row["id"]]["label"] for row in labelled)
    assert {"text", "label", "elements", "reviewer", "reviewed_at", "selected_by", "reason"} <= set(labelled[0])
    assert labelled[0]["reviewer"] == "reviewer@example.org" and labelled[0]["selected_by"] == queue[0]["selected_by"]

    assert main(["train", str(root / "small.toml"), "--output", str(root / "challenger"), "--data",
                 str(root / "labelled.jsonl"), "--elements-field", "elements"]) == 0
    manifest = json.loads((root / "challenger" / "manifest.json").read_text(encoding="utf-8"))
    assert str(root / "labelled.jsonl") in manifest["data_hashes"]
    # the run's config names the --data file by its absolute path, so it rebuilds the model from any directory
    assert f'path = "{root / "labelled.jsonl"}"' in (root / "challenger" / "config.toml").read_text(encoding="utf-8")

    capsys.readouterr()
    assert main(["compare", str(root / "champion"), str(root / "challenger"), "--data", str(root / "test.jsonl"),
                 "-o", str(root / "compare")]) == 0
    printed = capsys.readouterr().out
    assert "Recommendation:" in printed
    report = json.loads((root / "compare" / "compare.json").read_text(encoding="utf-8"))
    assert report["recommendation"]["decision"] in ("promote challenger", "keep champion", "need more labels")
    assert report["recommendation"]["reason"]
    assert set(report["per_style"]) == {"era", "channel", "writer"}
    assert report["pooled"]["champion"]["n"] == sum(1 for _ in (root / "test.jsonl").open(encoding="utf-8"))
    assert (root / "compare" / "compare.html").read_text(encoding="utf-8").count("<svg") == 1
