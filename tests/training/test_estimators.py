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
