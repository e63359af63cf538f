"""The discussion guard (classifier/discussion.py): a whole-post head that lowers the MLM score of posts that
talk ABOUT a scheme, computed the same way by training, the hot-path kernel, the hot-path graph and the full path."""

from __future__ import annotations

import dataclasses
import shutil

import numpy as np
import pytest

from mlmrisk.classifier.discussion import DiscussionGuard
from mlmrisk.classifier.errors import ModelLoadError
from mlmrisk.classifier.normalize import normalize_batch
from mlmrisk.serving import Scorer
from mlmrisk.serving.hot_path import HotPath
from mlmrisk.training.synthetic import generate

PITCH = "静态收益加动态收益，直推十人拿见点奖，发展下线拿团队奖，加入只需交3980元"


def _posts(seed: int = 11, n: int = 600):
    return generate(n, seed=seed)


def test_penalty_formula():
    guard = DiscussionGuard(intercept=-1.0, tau=0.5, weight=2.0)
    raw = np.array([0.0, 1.5, 2.0, 4.0])
    assert np.allclose(guard.decision(raw), [-1.0, 0.5, 1.0, 3.0])
    assert np.allclose(guard.penalty(raw), [0.0, 0.0, 1.0, 5.0])
    off = DiscussionGuard()
    assert not off.active and not off.penalty(raw).any()


def test_the_tiny_model_lowers_warnings_not_promotions(tiny_model):
    """On posts the tiny model never saw: the generator's anti-传销 warnings lose score, its promotions keep it."""
    scorer = Scorer.load(tiny_model[0])
    assert scorer.hot.guard.active
    posts = _posts()
    batch = normalize_batch([p.text for p in posts], scorer.tables)
    decision = scorer.hot.discussion(batch)
    penalty = scorer.hot.guard.penalty(decision - scorer.hot.guard.intercept)
    warning = np.array([p.scheme == "anti_mlm" for p in posts])
    promotion = np.array([p.label == 1 for p in posts])
    assert warning.sum() > 10 and promotion.sum() > 100
    assert (penalty[warning] > 0).mean() > 0.5
    assert (penalty[promotion] > 0).mean() < 0.05
    # the penalty is what separates the kernel's logit from the best passage's
    unguarded = dataclasses.replace(scorer.hot, guard=DiscussionGuard())
    assert np.allclose(unguarded.best_passages(batch)[0] - scorer.hot.best_passages(batch)[0], penalty)


def test_hot_path_equals_full_path_with_the_guard(tiny_model):
    """Every post through the full path gives what the hot path gives, guard included (levels, evidence, p)."""
    scorer = Scorer.load(tiny_model[0])
    posts = _posts(seed=12, n=300)
    texts = [p.text for p in posts] + [PITCH, "警惕！有人宣传" + PITCH + "，这是传销，请报警"]
    fast = scorer.score_batch(texts).records()
    full = scorer.score_batch(texts, full=True).records()
    watch = scorer.thresholds.watch
    shown = [i for i, r in enumerate(full) if r["probability"] >= watch]
    assert len(shown) > 20
    for i in shown:
        assert abs(fast[i]["probability"] - full[i]["probability"]) < 1e-9
        assert fast[i]["level"] == full[i]["level"] and fast[i]["evidence"] == full[i]["evidence"]


def test_explain_reports_the_guard(tiny_model):
    scorer = Scorer.load(tiny_model[0])
    warnings = [p.text for p in _posts() if p.scheme == "anti_mlm"]
    values = scorer.hot.discussion(normalize_batch(warnings, scorer.tables))
    warning = warnings[int(np.argmax(values))]  # the one that reads most as a warning
    explanation = scorer.explain(warning)
    discussion = explanation["discussion"]
    assert discussion["active"] and discussion["starts_at"] == round(scorer.hot.guard.tau, 4)
    batch = normalize_batch([warning], scorer.tables)
    decision = scorer.hot.discussion(batch)[0]
    assert discussion["value"] == pytest.approx(decision, abs=1e-4)
    guard = scorer.hot.guard
    assert discussion["penalty"] == pytest.approx(guard.weight * max(0.0, decision - guard.tau), abs=1e-4)
    assert discussion["penalty"] > 0  # the generator's warnings read as warnings to the tiny model


def test_a_model_without_the_guard_scores_as_before(tiny_model, tmp_path):
    """A model exported before the guard (no guard initializers in mlm.onnx) loads with no penalty, and the
    hot path's logit is then the best passage's."""
    onnx = pytest.importorskip("onnx")
    source, _, _ = tiny_model
    target = tmp_path / "old"
    shutil.copytree(source, target)
    model = onnx.load(str(target / "mlm.onnx"))
    from mlmrisk.classifier.discussion import GUARD_SCALARS, GUARD_TABLE

    keep = [i for i in model.graph.initializer if i.name not in (GUARD_TABLE, *GUARD_SCALARS)]
    del model.graph.initializer[:]
    model.graph.initializer.extend(keep)
    path = target / "mlm.onnx"
    path.write_bytes(model.SerializeToString())
    scorer = Scorer.load(source)
    old = HotPath.from_onnx(path, scorer.features)
    assert not old.guard.active and not old.table[:, 2].any()
    batch = normalize_batch([PITCH, "警惕传销：" + PITCH], scorer.tables)
    unguarded = dataclasses.replace(scorer.hot, guard=DiscussionGuard())
    assert np.array_equal(old.best_passages(batch)[0], unguarded.best_passages(batch)[0])


def test_part_of_a_guard_is_a_load_error(tiny_model, tmp_path):
    onnx = pytest.importorskip("onnx")
    source, _, _ = tiny_model
    model = onnx.load(str(source / "mlm.onnx"))
    keep = [i for i in model.graph.initializer if i.name != "discussion_tau"]
    del model.graph.initializer[:]
    model.graph.initializer.extend(keep)
    path = tmp_path / "mlm.onnx"
    path.write_bytes(model.SerializeToString())
    with pytest.raises(ModelLoadError, match="part of the discussion guard"):
        HotPath.from_onnx(path, Scorer.load(source).features)
