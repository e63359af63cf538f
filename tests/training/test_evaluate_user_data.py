"""`mlmrisk evaluate --data mine.jsonl` scores and counts EVERY row of the user's file, also rows that duplicate
shared data after normalisation (deduplication is for training only), and reports only sources present."""

from __future__ import annotations

import json

from mlmrisk.training.data import CorpusSpec, build_corpus, shared_corpora


def _user_file(shared_data, tmp_path):
    shared = [json.loads(line) for line in
              (shared_data / "labelled/chineseharm_dev.jsonl").read_text(encoding="utf-8").split("\n") if line.strip()]
    picked = [r for r in shared if r["mlm"] in (0, 1)][:10]
    rows = [{"text": r["text"], "label": r["mlm"]} for r in picked]  # exact copies of shared rows
    rows += [{"text": picked[0]["text"].replace("，", ","), "label": picked[0]["mlm"]}]  # equal after normalising
    rows += [{"text": "加入团队，直推十人拿见点奖", "label": 1}] * 2  # duplicates within the file
    rows += [{"text": "", "label": 0}]  # a blank post is a post too
    path = tmp_path / "mine.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path, len(rows)


def test_build_corpus_keeps_every_user_row_only_when_asked(shared_data, tables, tmp_path):
    path, n = _user_file(shared_data, tmp_path)
    user = CorpusSpec("user:mine.jsonl", path, "eval", label_field="label")
    specs = [shared_corpora(shared_data)[0], user]
    kept = build_corpus(specs, tables, keep_all=[user.name])
    assert kept.corpus.count(user.name) == n and user.name not in kept.duplicates
    deduplicated = build_corpus(specs, tables)
    assert deduplicated.corpus.count(user.name) < n - 10
    assert deduplicated.duplicates[user.name] >= 12  # reported, not silent


def test_evaluate_scores_every_row_and_only_present_sources(shared_data, tiny_model, tmp_path):
    from mlmrisk.serving.scorer import Scorer
    from mlmrisk.training.evaluate import evaluate_model

    path, n = _user_file(shared_data, tmp_path)
    report = evaluate_model(Scorer.load(tiny_model[0]), None, [{"path": str(path)}])
    assert set(report["sections"]) == {"user:mine.jsonl", "challenge_set", "written_holdout",
                                       "discussion_holdout"}
    section = report["sections"]["user:mine.jsonl"]
    assert section["model"]["n"] == n and section["keywords_strict"]["n"] == n
    assert section["model"]["positives"] == sum(json.loads(line)["label"] for line in path.read_text().splitlines())


def test_duplicates_with_the_other_label_are_counted(tables, tmp_path):
    """Two posts that differ only in amounts are one text to the model; when their labels disagree, training keeps
    the first and says how many disagreed instead of dropping them without a word."""
    rows = [{"text": "交399元成为会员，拉一人奖50元", "label": 1},
            {"text": "交1980元成为会员，拉一人奖600元", "label": 1},  # same normalised text, same label
            {"text": "交99元成为会员，拉一人奖5元", "label": 0},  # same normalised text, the other label
            {"text": "今天天气不错，出去走走", "label": 0}]
    path = tmp_path / "mine.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    user = CorpusSpec("user:mine.jsonl", path, "labelled", label_field="label")
    corpus = build_corpus([user], tables)
    assert corpus.duplicates == {user.name: 2} and corpus.conflicts == {user.name: 1}
    assert corpus.corpus.count(user.name) == 2


def test_empty_and_broken_files_say_why(tmp_path):
    import pytest

    from mlmrisk.classifier.errors import InputFormatError
    from mlmrisk.training.data import load_records

    empty = tmp_path / "empty.jsonl"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(InputFormatError, match="the file is empty"):
        load_records(CorpusSpec("user:empty.jsonl", empty, "labelled", label_field="label"))
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"text": "a", "label": 1}\n{"text": \n', encoding="utf-8")
    with pytest.raises(InputFormatError, match=r"cannot be read as json: .*\S") as caught:
        load_records(CorpusSpec("user:broken.jsonl", broken, "labelled", label_field="label"))
    assert "An error occurred while generating the dataset" not in str(caught.value)  # the parser's own reason
