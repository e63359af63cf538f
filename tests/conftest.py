"""Shared fixtures.

Data-dependent tests use the ``shared_data`` fixture: without ``../shared/data`` they are skipped, except under CI
(``CI`` set), where a missing folder is a failure — CI always has it, so a skip there would hide a broken check.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

# `pytest --hypothesis-profile=fuzz`: long property runs (tests/serving/test_fuzz.py; docs/io.md)
settings.register_profile("fuzz", max_examples=20_000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = Path(os.environ.get("MLMRISK_SHARED_DATA", REPO.parent / "shared" / "data"))
DEFAULT_MODEL = REPO / "models" / "default"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not (SHARED_DATA / "labelled" / "chineseharm_dev.jsonl").is_file():
        if os.environ.get("CI"):
            pytest.fail(f"shared data folder {SHARED_DATA} is missing under CI")
        pytest.skip(f"shared data folder {SHARED_DATA} not present")
    return SHARED_DATA


@pytest.fixture(scope="session")
def tables():
    from mlmrisk.training.normalization_spec import default_tables

    return default_tables()


@pytest.fixture(scope="session")
def normalizer_spec():
    from mlmrisk.training.normalization_spec import build_normalization_spec

    return build_normalization_spec()


def _tiny_model(directory: Path, normalizer_spec, distinct: bool = True, **features):
    """A small model fitted on synthetic posts, exported to ``directory``: (model_dir, vectorizer, heads);
    ``distinct``: the guard counts each distinct gram of a post once (else every occurrence, as models 2.1–2.4);
    ``features``: more vectorizer settings (sentence passages)."""
    from mlmrisk.classifier.labels import ELEMENTS
    from mlmrisk.training.export import export_model
    from mlmrisk.training.fit import passage_decisions
    from mlmrisk.training.heads import LinearHeads
    from mlmrisk.training.synthetic import generate
    from mlmrisk.training.vectorizer import HashedNgramVectorizer

    posts = generate(3000, seed=3)
    texts = [p.text for p in posts]
    Y = np.array([[p.label] + [int(e in p.elements) for e in ELEMENTS] for p in posts])
    # a small window so that the synthetic posts' passages and the length prior are exercised
    vectorizer = HashedNgramVectorizer(normalizer_spec=normalizer_spec, window=32, min_norm=12.0,
                                       **features).fit(texts)
    X = vectorizer.transform(texts)
    heads = LinearHeads(C=4.0).fit(X, Y)
    counted = vectorizer.count(texts)
    z = passage_decisions(heads, vectorizer.weight(counted.passages), counted.passage_doc, len(texts), range(5),
                          vectorizer.spec_.sentence_discount * counted.passage_sentence)
    heads.calibrate(z, Y)
    # the discussion guard (classifier/discussion.py), on the generator's anti-传销 warnings
    from mlmrisk.training.discussion import DiscussionHead, choose_tau, fit_discussion, whole_post_decision

    about = np.array([int(p.scheme == "anti_mlm") for p in posts])
    rows = np.arange(len(posts))
    coef, intercept = fit_discussion(counted, about, np.ones(len(posts)), rows, vectorizer.idf_, 4.0,
                                     vectorizer.min_norm, quotes=True, distinct=distinct)  # with the quoted channel
    decision = whole_post_decision(counted, rows, vectorizer.idf_, vectorizer.min_norm, coef, intercept, distinct)
    from mlmrisk.classifier.discussion import ramp_logits

    heads.discussion_ = DiscussionHead(coef, intercept, choose_tau(decision, Y[:, 0] == 1, 0.99), 2.0,
                                       *ramp_logits(0.25, 0.5), distinct=distinct)  # the manifest's thresholds below
    export_model(directory, vectorizer=vectorizer, heads=heads,
                 manifest_fields={"model_version": "test", "thresholds": {"flag": 0.5, "watch": 0.25}})
    return directory, vectorizer, heads


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory, normalizer_spec):
    """A small model fitted on synthetic posts, exported; returns (model_dir, vectorizer, heads)."""
    return _tiny_model(tmp_path_factory.mktemp("tiny_model"), normalizer_spec)


@pytest.fixture(scope="session")
def sentence_model(tmp_path_factory, normalizer_spec):
    """``tiny_model`` with the newer feature options: sentence passages and a sentence discount (the graphs'
    ``passage_discount`` input) and Latin pinyin read by its syllables only (feature spec version 5); and a guard
    that counts every occurrence of a gram (models 2.1–2.4)."""
    return _tiny_model(tmp_path_factory.mktemp("sentence_model"), normalizer_spec, distinct=False,
                       sentence_min_chars=6, sentence_discount=0.7, latin_syllables_only=True)


@pytest.fixture(scope="session")
def default_model() -> Path:
    if not (DEFAULT_MODEL / "manifest.json").is_file():
        pytest.fail(f"the shipped model {DEFAULT_MODEL} is missing; rebuild it with `mlmrisk train`")
    return DEFAULT_MODEL

