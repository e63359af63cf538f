"""Rewritten copies of written posts as training rows (training/rewrites.py)."""

from __future__ import annotations

import numpy as np
import pytest

from mlmrisk.training.data import GUARD_ONLY, Corpus, head_training_rows
from mlmrisk.training.fit import style_left_out
from mlmrisk.training.rewrites import REWRITE, add_training_rewrites


#: 100 distinct two-character names: posts that differ in digits only would be one text to the normaliser
_NAMES = [a + b for a in "天地山水火木金土日月星风云雨雪花草林海江" for b in "东南西北中"]


def _corpus() -> Corpus:
    corpus = Corpus()
    rows = [(1, "written", "train"), (0, "written", "train"), (1, "synthetic", "train"), (1, "labelled", "train"),
            (0, "written", "heldout")] * 20
    for i, (label, role, split) in enumerate(rows):
        corpus.append(text=f"{_NAMES[i]}：发展下线拿提成" if label else f"{_NAMES[i]}：今天天气很好", label=label,
                      elements=("lart",) if label else (), corpus=role, role=role, original_label=str(label),
                      category="", group=f"g{i}", split=split, fold=i % 5,
                      style={"era": ("2000s", "2010s")[i % 2], "kind": "promotion" if label else "news"})
    return corpus


def test_copies_of_written_training_posts_of_both_labels_follow_their_source(tables):
    corpus = _corpus()
    n = len(corpus)
    added = add_training_rewrites(corpus, ["pinyin_post"], 1.0, 7, tables)
    assert added == {"pinyin_post": 40} and len(corpus) == n + 40  # every written training post, both labels
    labels = []
    for i in range(n, len(corpus)):
        source = int(corpus.group[i][1:])
        assert corpus.role[source] == "written" and corpus.split[source] == "train"
        assert corpus.role[i] == REWRITE and corpus.corpus[i] == "rewrite:pinyin_post" and corpus.split[i] == "train"
        assert (corpus.fold[i], corpus.style[i], corpus.label[i], corpus.elements[i]) == (
            corpus.fold[source], corpus.style[source], corpus.label[source], corpus.elements[source])
        assert not any("\u4e00" <= ch <= "\u9fff" for ch in corpus.text[i])
        labels.append(corpus.label[i])
    assert sorted(set(labels)) == [0, 1]
    # the heads train on the copies (they are not guard-only rows)
    rows = head_training_rows(corpus.array("split"), corpus.array("role"))
    assert set(range(n, len(corpus))) <= set(rows.tolist())


def test_share_and_seed_decide_the_copies(tables):
    a, b = _corpus(), _corpus()
    assert add_training_rewrites(a, ["pinyin_post", "pinyin_initials"], 0.3, 3, tables) == \
        add_training_rewrites(b, ["pinyin_post", "pinyin_initials"], 0.3, 3, tables)
    assert a.text == b.text
    assert 0 < len(a) - 100 < 40
    c = _corpus()
    assert add_training_rewrites(c, ["pinyin_post"], 0.0, 3, tables) == {} and len(c) == 100
    with pytest.raises(ValueError, match="unknown rewrite kind"):
        add_training_rewrites(c, ["pig_latin"], 0.5, 3, tables)


def test_a_rewrite_the_normaliser_undoes_is_not_a_copy(tables):
    """Traditional characters and full-width forms normalise back to the source: such a copy would only double
    the source's weight, so none is added; whole-post pinyin is kept."""
    corpus = _corpus()
    assert add_training_rewrites(corpus, ["traditional", "fullwidth_zero_width"], 1.0, 7, tables) == {}
    assert len(corpus) == 100
    assert add_training_rewrites(corpus, ["pinyin_post"], 1.0, 7, tables) == {"pinyin_post": 40}


def test_rows_are_weighed_by_role():
    from mlmrisk.training.fit import TrainConfig, row_weights

    config = TrainConfig(labelled_weight=10.0, written_weight=3.0)
    role = np.array(["labelled", "written", REWRITE, GUARD_ONLY, "synthetic", "benign"])
    assert row_weights(role, config).tolist() == [10.0, 3.0, 3.0, 3.0, 1.0, 1.0]


def test_a_held_out_style_leaves_out_the_copies_of_its_posts():
    role = np.array(["written", REWRITE, GUARD_ONLY, "synthetic", "labelled", REWRITE])
    era = np.array(["2000s", "2000s", "2000s", "2000s", "", "2010s"])
    assert style_left_out(role, era, "2000s").tolist() == [True, True, True, False, False, False]
