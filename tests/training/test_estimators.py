"""scikit-learn conventions for the project's estimators, and the threshold policy."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from mlmrisk.training.fit import TrainConfig, choose_threshold
from mlmrisk.training.heads import LinearHeads
from mlmrisk.training.vectorizer import HashedNgramVectorizer

TEXTS = ["发展下线拿提成", "今天天气很好", "交会费入会", "招商银行提醒您", "直推奖见点奖", "这家店不错"]
Y = np.array([1, 0, 1, 0, 1, 0])


def test_vectorizer_conventions(normalizer_spec):
    vectorizer = HashedNgramVectorizer(normalizer_spec=normalizer_spec)
    with pytest.raises(NotFittedError):
        vectorizer.transform(TEXTS)
    assert vectorizer.fit(TEXTS) is vectorizer
    X = vectorizer.transform(TEXTS)
    assert X.shape[0] == len(TEXTS)
    copy = clone(vectorizer)
    assert not hasattr(copy, "idf_") and copy.get_params()["batch_size"] == vectorizer.batch_size


def test_heads_conventions(normalizer_spec):
    vectorizer = HashedNgramVectorizer(normalizer_spec=normalizer_spec).fit(TEXTS)
    X = vectorizer.transform(TEXTS)
    heads = LinearHeads(C=10.0, min_df=1)
    with pytest.raises(NotFittedError):
        heads.predict_proba(X)
    assert heads.fit(X, Y) is heads
    p = heads.predict_proba(X)[:, 0]
    assert (p[Y == 1].min() > p[Y == 0].max()), "a separable toy set must be separated"
    assert not hasattr(clone(heads), "coef_")


THRESHOLD_CASES = [
    # p, y, benign mask, expected (lo, hi), why
    (np.array([0.9, 0.8, 0.3, 0.2]), np.array([1, 1, 0, 0]), np.zeros(4, bool), (0.31, 0.8),
     "perfectly separated: any threshold between the classes"),
    (np.array([0.9, 0.8, 0.7, 0.2, 0.75]), np.array([1, 1, 1, 0, -1]), np.array([0, 0, 0, 0, 1], bool), (0.76, 0.99),
     "the benign post at 0.75 must not be flagged (zero FPR budget)"),
]


@pytest.mark.parametrize("p,y,benign,bounds,why", THRESHOLD_CASES, ids=[c[4] for c in THRESHOLD_CASES])
def test_threshold_policy(p, y, benign, bounds, why):
    t = choose_threshold(p, y, benign, max_benign_fpr=0.0, min_precision=0.75)
    assert bounds[0] <= t <= bounds[1], why


def test_config_overrides():
    config = TrainConfig().override(["synthetic_n=10", "C_grid=[2, 8]", "fit.element_C=1.5"])
    assert config.synthetic_n == 10 and config.C_grid == [2, 8] and config.element_C == 1.5
    with pytest.raises(ValueError):
        TrainConfig().override(["no_such_setting=1"])


def _hidden_pitch_corpus() -> tuple[list[str], list[int]]:
    """Promotions hidden in ordinary text, the same pitches alone, long and short ordinary posts."""
    filler = ["今天下班去超市买了点水果，顺便给孩子带了本绘本，晚上一家人看电视聊天挺开心的。",
              "周末和朋友去爬山，山上风景很好，空气清新，拍了不少照片，回来路上吃了碗牛肉面。",
              "最近单位比较忙，天天加班到很晚，希望下个月能调休几天，回老家看看爸妈和亲戚。",
              "小区门口新开了一家面包店，味道还不错，价格也公道，早上排队的人特别多。"]
    pitches = ["交三百入会，直推一人奖五十，间推再奖二十，下线越多团队提成越多",
               "报单激活做会员，拉人头拿直推奖，下线的下线也给你算业绩",
               "入门费九百九，发展三个下线回本，层级越深见点奖越多"]
    texts, labels = [], []
    for i in range(24):
        pitch = pitches[i % 3]
        texts.append(filler[i % 4] + filler[(i + 1) % 4] + pitch + filler[(i + 2) % 4])  # long promotion
        labels.append(1)
        texts.append(pitch)  # short promotion
        labels.append(1)
        texts.append(filler[i % 4] + filler[(i + 3) % 4] + filler[(i + 1) % 4])  # long ordinary post
        labels.append(0)
        texts.append(filler[i % 4][: 10 + i])  # short ordinary post
        labels.append(0)
    return texts, labels


def test_positive_passages_refit_on_each_long_promotions_best_passage(normalizer_spec, monkeypatch):
    """The multiple-instance refit adds one row per long promotion (its best passage under the first fit) to the
    MLM head only, and that refit raises the best-passage score of promotions hidden in ordinary text."""
    from mlmrisk.training import fit as fit_module

    texts, labels = _hidden_pitch_corpus()
    vectorizer = HashedNgramVectorizer(normalizer_spec=normalizer_spec, bucket_bits=16, min_norm=8.0).prepare()
    counted = vectorizer.count(texts)
    # column 1: an element (lart) on half the promotions, so the element head has both classes to learn
    Y = np.column_stack([labels, [int(v and (i // 4) % 2 == 0) for i, v in enumerate(labels)]])
    rows = np.arange(len(texts))
    vectorizer.fit_counts(counted.docs)
    idf = vectorizer.idf_
    fits: list[int] = []
    original_fit = LinearHeads.fit

    def counting_fit(self, X, y, sample_weight=None):
        fits.append(X.shape[0])
        return original_fit(self, X, y, sample_weight=sample_weight)

    monkeypatch.setattr(LinearHeads, "fit", counting_fit)
    plain = fit_module.fit_heads(counted, Y, np.ones(len(texts)), rows, idf, 2, 4.0, 4.0, 8.0, True, False)
    refit = fit_module.fit_heads(counted, Y, np.ones(len(texts)), rows, idf, 2, 4.0, 4.0, 8.0, True, True)
    per_doc = np.bincount(counted.passage_doc, minlength=len(texts))
    long_promotions = int(((Y[:, 0] == 1) & (per_doc > 1)).sum())
    assert long_promotions == 24
    assert fits[0] == fits[1] and fits[2] == fits[1] + long_promotions  # plain fit; first fit; refit + 1 per post
    # the element head is the first fit's: a passage need not show every element of its post
    assert np.array_equal(refit.coef_[1], plain.coef_[1]) and refit.intercept_[1] == plain.intercept_[1]
    assert not np.array_equal(refit.coef_[0], plain.coef_[0])
    X_passages = vectorizer.weight(counted.passages)

    def best_passage(model):
        return fit_module.passage_decisions(model, X_passages, counted.passage_doc, len(texts), [0])[:, 0]

    hidden = (Y[:, 0] == 1) & (per_doc > 1)
    ordinary = (Y[:, 0] == 0) & (per_doc > 1)

    def margin(model):  # how far hidden promotions stand above long ordinary posts, best passage against best
        z = best_passage(model)
        return z[hidden].mean() - z[ordinary].mean()

    assert margin(refit) > margin(plain) + 0.1


def test_sentence_passages_are_flagged_and_can_stay_out_of_training(normalizer_spec):
    """With sentence passages, the counts flag them (a post's windows keep the rows they have without), and
    ``sentence_instances="none"`` fits exactly the model of the window-only counts, while "both" learns from the
    sentences too."""
    from mlmrisk.training import fit as fit_module

    texts, labels = _hidden_pitch_corpus()
    windows = HashedNgramVectorizer(normalizer_spec=normalizer_spec, bucket_bits=16, min_norm=8.0).prepare()
    sentences = HashedNgramVectorizer(normalizer_spec=normalizer_spec, bucket_bits=16, min_norm=8.0,
                                      sentence_min_chars=8).prepare()
    plain, counted = windows.count(texts), sentences.count(texts)
    flags = counted.passage_sentence
    assert not plain.passage_sentence.any() and flags.any()
    assert (plain.docs != counted.docs).nnz == 0
    assert np.array_equal(counted.passage_doc[~flags], plain.passage_doc)
    assert (counted.passages[np.flatnonzero(~flags)] != plain.passages).nnz == 0
    per_doc = np.bincount(counted.passage_doc, minlength=len(texts))
    assert not flags[per_doc[counted.passage_doc] == 1].any()  # a post of one passage has no sentence passage
    assert np.array_equal(counted.select(np.array([2, 0])).passage_sentence,
                          np.concatenate([flags[counted.passage_doc == 2], flags[counted.passage_doc == 0]]))

    Y = np.column_stack([labels, labels])
    rows = np.arange(len(texts))
    idf = windows.fit_counts(plain.docs).idf_
    args = (Y, np.ones(len(texts)), rows, idf, 2, 4.0, 4.0, 8.0, True, True)
    reference = fit_module.fit_heads(plain, *args)
    windows_only = fit_module.fit_heads(counted, *args, sentence_instances="none")
    both = fit_module.fit_heads(counted, *args, sentence_instances="both")
    assert np.allclose(windows_only.coef_, reference.coef_) and np.allclose(windows_only.intercept_,
                                                                             reference.intercept_)
    assert not np.allclose(both.coef_[0], reference.coef_[0])
    with pytest.raises(ValueError, match="sentence_instances"):
        fit_module.fit_heads(counted, *args, sentence_instances="sentences")


def test_solver_tolerance_decides_whether_rare_ngrams_are_learnt():
    """scikit-learn minimises the MEAN loss, so on many rows a feature seen in a few positives has a gradient
    below the default tolerance from the start: at 1e-4 the fit stops with its weight near zero, at 1e-7 it
    reaches the optimum (the reference: the same problem solved to 1e-10). ``TrainConfig.solver_tol``."""
    import scipy.sparse as sp
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(0)
    n, common = 100000, 50
    X = sp.random(n, common, density=0.05, random_state=1, format="csr")
    y = (rng.random(n) < 0.05).astype(int)
    rare = np.zeros((n, 1))
    rare[np.flatnonzero(y)[:12], 0] = 0.3  # a pitch n-gram: in 12 promotions, nowhere else
    X = sp.hstack([X, sp.csr_matrix(rare)], format="csr")
    reference = LogisticRegression(C=16.0, tol=1e-10, max_iter=5000).fit(X, y).coef_[0, -1]
    early = LinearHeads(C=16.0, min_df=1, tol=1e-4).fit(X, y).coef_[0, -1]
    converged = LinearHeads(C=16.0, min_df=1, tol=1e-7).fit(X, y).coef_[0, -1]
    assert reference > 5.0
    assert early < 0.5 * reference
    assert converged == pytest.approx(reference, rel=0.02)
    assert TrainConfig().solver_tol > 0
