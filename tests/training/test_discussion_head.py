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


def test_guard_only_rows_train_the_guard_and_leave_the_heads_alone(normalizer_spec):
    """``discussion_data`` posts (role ``discussion``) are rows of the discussion head only: the MLM head's
    decision values, and its idf, are those of a fit without them, while the guard's change."""
    from mlmrisk.training.fit import _fit_fold
    from mlmrisk.training.vectorizer import HashedNgramVectorizer

    promotions = [f"加入会员交{100 + i}元，推荐一人奖{20 + i}元，第二代奖{10 + i}元，发展下线拿团队奖" for i in range(12)]
    ordinary = [f"今天天气不错，我们去公园散步，第{i}次看到这么多人在跳舞" for i in range(12)]
    warnings = [f"警方提醒：所谓“推荐一人奖{20 + i}元，第二代奖{10 + i}元”就是传销，请勿上当，及时报警" for i in range(12)]
    texts = promotions + ordinary + warnings
    vectorizer = HashedNgramVectorizer(normalizer_spec=normalizer_spec, bucket_bits=14, min_norm=8.0).prepare()
    counted = vectorizer.count(texts)
    Y = np.zeros((len(texts), 5), dtype=np.int64)
    Y[:12, 0] = 1
    Y[:12, 1] = 1
    about = np.zeros(len(texts), dtype=np.int64)
    about[24:] = 1
    weights = np.ones(len(texts))
    guard_only = np.zeros(len(texts), dtype=bool)
    guard_only[24:] = True
    heads_rows = np.concatenate([np.arange(0, 10), np.arange(12, 22)])
    all_rows = np.concatenate([heads_rows, np.arange(24, 34)])
    predict = np.array([10, 11, 22, 23, 34, 35])
    args = dict(n_heads=5, C=4.0, element_C=4.0, min_norm=8.0, negative_passages=False)
    without = _fit_fold(counted, Y, weights, heads_rows, predict, discussion=about, **args)
    with_guard_posts = _fit_fold(counted, Y, weights, all_rows, predict, discussion=about, guard_only=guard_only,
                                 **args)
    as_head_rows = _fit_fold(counted, Y, weights, all_rows, predict, discussion=about, **args)
    np.testing.assert_allclose(with_guard_posts[:, :5], without[:, :5])  # the five heads: untouched
    assert not np.allclose(as_head_rows[:, :5], without[:, :5])  # (the same rows as head rows do move them)
    # Without positives the guard has nothing to learn; with the guard-only warnings it reads the held-out ones
    # as discussion, above both the promotions and the ordinary posts.
    guard = with_guard_posts[:, 5]
    assert guard[4:].min() > guard[:4].max()


def test_stock_line_copies_are_guard_negatives_that_follow_their_source():
    from mlmrisk.training.data import Corpus
    from mlmrisk.training.discussion import add_stock_line_promotions

    corpus = Corpus()
    for i, (label, role, split) in enumerate([(1, "written", "train"), (1, "synthetic", "train"), (0, "written", "train"),
                                              (1, "labelled", "train"), (1, "written", "heldout")] * 20):
        corpus.append(text=f"帖子{i}", label=label, elements=("lart",) if label else (), corpus=role, role=role,
                      original_label=str(label), category="", group=f"g{i}", split=split, fold=i % 5,
                      style={"era": "2010s", "kind": "promotion" if label else "news"})
    n = len(corpus)
    lines = ["本群严禁传销", "我们不是传销"]
    added = add_stock_line_promotions(corpus, 1.0, 7, lines)
    assert added == 40 and len(corpus) == n + 40  # every training promotion of the written and synthetic corpora
    for i in range(n, len(corpus)):
        source = int(corpus.group[i][1:])
        assert corpus.role[i] == "discussion" and corpus.split[i] == "train" and corpus.fold[i] == corpus.fold[source]
        assert corpus.text[i] in {f"{line}\n帖子{source}" for line in lines} | {f"帖子{source}\n{line}" for line in lines}
        assert corpus.style[i] == corpus.style[source] and corpus.label[i] == 1
    about = discussion_labels(corpus.style, corpus.category, ["anti_mlm_warning", "news", "anti_mlm"])
    assert not about[n:].any()  # negatives of the guard
    assert add_stock_line_promotions(corpus, 0.0, 7, lines) == 0 and add_stock_line_promotions(corpus, 0.5, 7, []) == 0


def test_a_guard_only_post_never_displaces_a_row_of_the_heads(tmp_path, tables):
    """Deduplication keeps the first copy of a text; a guard-only post (``discussion_data``) listed before a
    user's file or the synthetic posts must still be the copy that goes, so the heads' rows never depend on it."""
    import json

    from mlmrisk.training.data import CorpusSpec, build_corpus

    shared = "警方提醒：推荐一人奖八百元就是传销"
    guard = tmp_path / "guard.jsonl"
    guard.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in [
        {"id": "g1", "text": shared, "label": 0, "pair": "g2"},
        {"id": "g2", "text": "这是另一条只给守卫的帖子", "label": 1, "pair": "g1"}]), encoding="utf-8")
    user = tmp_path / "user.jsonl"
    user.write_text(json.dumps({"text": shared, "label": 0}, ensure_ascii=False) + "\n", encoding="utf-8")
    specs = [CorpusSpec("discussion", guard, "discussion", label_field="label", group_field="pair"),
             CorpusSpec("user:user.jsonl", user, "labelled", label_field="label")]
    synthetic = [{"text": "这是另一条只给守卫的帖子", "label": 1, "elements": ["lart"], "group": "s1"}]
    corpus = build_corpus(specs, tables, synthetic)
    kept = {(c, t) for c, t in zip(corpus.corpus, corpus.text)}
    assert ("user:user.jsonl", shared) in kept and ("synthetic", "这是另一条只给守卫的帖子") in kept
    assert corpus.duplicates == {"discussion": 2}


def test_the_heads_train_on_the_training_split_without_guard_only_posts():
    from mlmrisk.training.data import GUARD_ONLY, head_training_rows

    split = np.array(["train", "train", "heldout", "train", "eval"])
    role = np.array(["written", GUARD_ONLY, "benign", "synthetic", "eval"])
    assert head_training_rows(split, role).tolist() == [0, 3]


def test_a_missing_or_empty_data_folder_is_an_error(tmp_path):
    """A mistyped ``written_data`` / ``discussion_data`` used to train a model without the data, silently."""
    from mlmrisk.classifier.errors import DataNotFoundError
    from mlmrisk.training.data import discussion_corpora, written_corpora

    with pytest.raises(DataNotFoundError, match="discussion_data: .*nowhere is not a folder"):
        discussion_corpora(tmp_path / "nowhere")
    with pytest.raises(DataNotFoundError, match='written_data: .*holds no \\*.jsonl files; written_data = ""'):
        written_corpora(tmp_path)
    (tmp_path / "w1.jsonl").write_text("", encoding="utf-8")
    assert [spec.path.name for spec in written_corpora(tmp_path)] == ["w1.jsonl"]
    assert len(discussion_corpora()) == 4 and len(written_corpora()) >= 10  # the shipped folders
