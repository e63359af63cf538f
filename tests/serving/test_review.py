"""The review queue on a small synthetic model: budget, reasons, random control slice, no near-duplicates, texts
from the records or a --texts file, novelty, Label Studio / CSV exports and reading the labels back."""

from __future__ import annotations

import copy
import csv
import dataclasses
import json

import numpy as np
import pytest

from mlmrisk.cli import main
from mlmrisk.classifier.errors import InputFormatError
from mlmrisk.serving import review
from mlmrisk.serving.scorer import Scorer


@pytest.fixture(scope="module")
def scorer(tiny_model):
    return Scorer.load(tiny_model[0])


@pytest.fixture(scope="module")
def posts():
    from mlmrisk.training.synthetic import generate

    texts = [p.text for p in generate(300, seed=99)]
    texts += ["加入我们团队，静态收益加动态收益，直推十人拿见点奖，早进早赚"] * 5  # a near-duplicate campaign
    texts += ["今天天气不错，去公园散步", "这家店的面很好吃，推荐", "会员费交了以后发展下线就能拿提成"]
    return [{"id": f"p{i}", "text": t} for i, t in enumerate(texts)]


@pytest.fixture(scope="module")
def scored(scorer, posts):
    records = scorer.score_batch([p["text"] for p in posts]).records(ids=[p["id"] for p in posts])
    return records


def test_select_respects_budget_and_reasons(scorer, posts, scored):
    queue = review.select(scored, [p["text"] for p in posts], scorer, 60, seed=1)
    assert len(queue) == 60 and len({q["id"] for q in queue}) == 60
    assert sum(q["reason"] == "random" for q in queue) == 6
    assert {"uncertain", "disagreement", "novel"} <= {q["reason"] for q in queue}
    for q in queue:
        assert q["reason"] == q["reasons"][0] and q["selected_by"] == scorer.model_id
        assert q["text"] == posts[int(q["id"][1:])]["text"]
    campaign = [q for q in queue if q["text"].startswith("加入我们团队") and q["reason"] != "random"]
    assert len(campaign) <= 1  # near-duplicates take one slot
    again = review.select(scored, [p["text"] for p in posts], scorer, 60, seed=1)
    assert [q["id"] for q in again] == [q["id"] for q in queue]


def test_a_record_its_scorer_did_not_flag_is_no_model_only_disagreement(scorer, posts, scored):
    """A too-short text can sit above the flag threshold without being flagged (minimum evidence rule); the queue
    reads the record's own decision, so it is not a 'model flagged it, no keyword did' disagreement. Only a record
    without a ``flagged`` field falls back to p ≥ flag."""
    texts = [p["text"] for p in posts] + ["好的收到"]
    loud = {"id": "short", "probability": 0.999, "risk": 40, "level": "low", "flagged": False,
            "model": scorer.model_id}
    records = [*scored, loud]
    queue = review.select(records, texts, scorer, 60, seed=1, random_share=0.0)
    assert all(not (q["id"] == "short" and "disagreement" in q["reasons"]) for q in queue)
    legacy = {k: v for k, v in loud.items() if k != "flagged"}
    queue = review.select([*scored, legacy], texts, scorer, 60, seed=1, random_share=0.0)
    assert any(q["id"] == "short" and "disagreement" in q["reasons"] for q in queue)


def _logit_distance(p, centre: float) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype=float), 1e-6, 1 - 1e-6)
    return np.abs(np.log(p / (1 - p)) - np.log(centre / (1 - centre)))


def test_uncertain_picks_centre_on_the_decision_boundary_not_the_flag_threshold(scorer, posts, scored):
    """A flag threshold set low for a false-positive budget (0.13–0.16 in benchmarks/simulate_review.py) is not
    where the model is unsure: the uncertain picks sit around p = 0.5 (labels around the flag bought nothing)."""
    low = copy.copy(scorer)
    low.thresholds = dataclasses.replace(scorer.thresholds, flag=0.1, watch=0.05)
    records = [{**r, "flagged": r["probability"] >= 0.1} for r in scored]
    texts = [p["text"] for p in posts]
    p = np.asarray([r["probability"] for r in scored])
    queue = review.select(records, texts, low, 20, seed=0, random_share=0.0, shares={"uncertain": 1.0})
    picked = [q["probability"] for q in queue]
    assert {q["reason"] for q in queue} == {"uncertain"}
    assert _logit_distance(picked, 0.5).max() <= np.quantile(_logit_distance(p, 0.5), 0.5)
    # the flag-centred queue (uncertain_at=None), kept for the simulation, picks elsewhere
    at_flag = review.select(records, texts, low, 20, seed=0, random_share=0.0, shares={"uncertain": 1.0},
                            uncertain_at=None)
    assert _logit_distance([q["probability"] for q in at_flag], 0.1).max() <= np.quantile(_logit_distance(p, 0.1), 0.5)
    assert {q["id"] for q in at_flag} != {q["id"] for q in queue}


def test_novelty_is_the_share_of_unseen_ngrams(scorer):
    novelty = scorer.novelty(["会员费交了以后发展下线就能拿提成", "鬱鬱鸛鸛蠹蠹齉齉龘龘", ""])
    # rare characters: every character n-gram is unseen (their pinyin syllables may not be)
    assert 0 <= novelty[0] < 0.5 < novelty[1] <= 1 and novelty[2] == 0


def test_texts_come_from_records_or_a_texts_file(scorer, posts, scored, tmp_path):
    kept = [{**r, "text": p["text"]} for r, p in zip(scored, posts)]
    (tmp_path / "kept.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in kept), encoding="utf-8")
    summary = review.select_file(tmp_path / "kept.jsonl", tmp_path / "q1.jsonl", scorer=scorer, budget=10)
    assert summary["picked"] == 10 and summary["with_text"] == len(posts)
    bare = tmp_path / "bare.jsonl"
    bare.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in scored), encoding="utf-8")
    with pytest.raises(InputFormatError, match="--keep-fields text"):
        review.select_file(bare, tmp_path / "q.jsonl", scorer=scorer, budget=10)
    texts = tmp_path / "posts.csv"
    with open(texts, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["id", "body"])
        writer.writeheader()
        writer.writerows({"id": p["id"], "body": p["text"]} for p in posts)
    summary = review.select_file(bare, tmp_path / "q2.jsonl", scorer=scorer, budget=10, texts_path=texts,
                                 text_field="body")
    assert summary["with_text"] == len(posts)
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.Table.from_pylist([{"id": r["id"], "probability": r["probability"], "flagged": r["flagged"],
                                          "model": r["model"], "text": p["text"]} for r, p in zip(scored, posts)]),
                   tmp_path / "scored.parquet")
    assert review.select_file(tmp_path / "scored.parquet", tmp_path / "q3.jsonl", scorer=scorer, budget=10)["picked"] == 10


def test_records_of_another_model_or_unscored_are_refused(scorer, posts, scored, tmp_path):
    """The queue reads the records' scores and the selecting model's features: both from one model."""
    other = tmp_path / "other.jsonl"
    other.write_text("".join(json.dumps({**r, "text": p["text"], "model": "9.9.9+000000000000"}, ensure_ascii=False)
                             + "\n" for r, p in zip(scored, posts)), encoding="utf-8")
    with pytest.raises(InputFormatError, match="was scored by 9.9.9\\+000000000000"):
        review.select_file(other, tmp_path / "q.jsonl", scorer=scorer, budget=10)
    raw = tmp_path / "raw.jsonl"
    raw.write_text("".join(json.dumps({"id": p["id"], "text": p["text"]}, ensure_ascii=False) + "\n" for p in posts),
                   encoding="utf-8")
    with pytest.raises(InputFormatError, match="no scored records"):
        review.select_file(raw, tmp_path / "q.jsonl", scorer=scorer, budget=10)


def test_label_studio_tasks_preannotate_the_evidence(scorer, posts, scored, tmp_path):
    queue = review.select(scored, [p["text"] for p in posts], scorer, 30, seed=2)
    config = review.write_label_studio(queue, tmp_path / "tasks.json")
    assert "<Labels name=\"evidence\"" in config.read_text(encoding="utf-8")
    tasks = json.loads((tmp_path / "tasks.json").read_text(encoding="utf-8"))
    spans = 0
    for task in tasks:
        text = task["data"]["text"]
        for item in task["predictions"][0]["result"]:
            if item["type"] == "labels":
                value = item["value"]
                assert text[value["start"]:value["end"]] == value["text"] and value["labels"]
                spans += 1
    assert spans > 0


def test_import_label_studio_and_csv(scorer, posts, scored, tmp_path, capsys):
    queue = review.select(scored, [p["text"] for p in posts], scorer, 12, seed=3)
    tasks = review.label_studio_tasks(queue)
    choices = ["mlm", "not_mlm", "unsure"]
    for k, task in enumerate(tasks):
        result = [{"from_name": "label", "type": "choices", "value": {"choices": [choices[k % 3]]}}]
        if k % 3 == 0:
            result.append({"from_name": "evidence", "type": "labels",
                           "value": {"start": 0, "end": 2, "text": task["data"]["text"][:2], "labels": ["fee"]}})
        task["annotations"] = [{"completed_by": 3, "result": result, "updated_at": "2026-11-30T09:00:00Z"}]
    tasks[-1]["annotations"] = []
    (tmp_path / "export.json").write_text(json.dumps(tasks, ensure_ascii=False), encoding="utf-8")
    review.write_csv(queue, tmp_path / "queue.csv")
    with open(tmp_path / "queue.csv", encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    rows[0]["label"], rows[0]["elements"], rows[0]["reviewer"] = "1", "lart, team", "ana"
    rows[1]["label"] = "0"
    with open(tmp_path / "filled.csv", "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    assert main(["review", "import", str(tmp_path / "export.json"), "-o", str(tmp_path / "a.jsonl")]) == 0
    summary = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert summary["read"] == 12 and summary["unsure"] == 3 and summary["unlabelled"] == 1 and summary["labelled"] == 8
    labelled = [json.loads(line) for line in (tmp_path / "a.jsonl").read_text(encoding="utf-8").splitlines()]
    assert labelled[0]["label"] == 1 and labelled[0]["elements"] == ["fee"] and labelled[0]["reviewer"] == "3"
    assert labelled[0]["selected_by"] == scorer.model_id and labelled[0]["reason"] == queue[0]["reason"]
    assert review.import_labels([tmp_path / "filled.csv"], tmp_path / "b.jsonl")["labelled"] == 2
    b = [json.loads(line) for line in (tmp_path / "b.jsonl").read_text(encoding="utf-8").splitlines()]
    assert b[0]["elements"] == ["lart", "team"] and b[0]["reviewer"] == "ana" and b[1]["label"] == 0
    rows[2]["elements"], rows[2]["label"] = "pyramid", "1"
    with open(tmp_path / "bad.csv", "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    assert main(["review", "import", str(tmp_path / "bad.csv"), "-o", str(tmp_path / "c.jsonl")]) == 1
    assert "unknown element 'pyramid'" in capsys.readouterr().err


def test_import_counts_unknown_labels_and_conflicts(tmp_path):
    """Choice names the importer does not know are counted with examples, not taken for "unsure"; a post labelled
    twice keeps the label reviewed last, and disagreements are counted."""
    header = ["id", "text", "label", "elements", "reviewer", "reviewed_at"]
    rows = [["1", "交399入会费，直推一人奖100", "spam", "", "", ""],
            ["2", "今天天气不错", "unsure", "", "", ""],
            ["3", "静态收益加动态收益", "1", "ponzi", "ana", "2026-11-30T10:00:00Z"],
            # older as an instant (18:00 at +08:00 is 10:00Z, one second before), though it sorts later as a string
            ["3", "静态收益加动态收益", "0", "", "bo", "2026-11-30T17:59:59+08:00"]]
    with open(tmp_path / "labels.csv", "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    summary = review.import_labels([tmp_path / "labels.csv"], tmp_path / "out.jsonl")
    assert summary["unknown_labels"] == 1 and summary["unknown_label_values"] == ["spam"]
    assert summary["unsure"] == 1 and summary["conflicts"] == 1 and summary["labelled"] == 1
    kept = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()]
    assert kept[0]["label"] == 1 and kept[0]["reviewer"] == "ana"
