"""The discussion guard (classifier/discussion.py): a whole-post head that lowers the MLM score of suspicious posts
that talk ABOUT a scheme, on a ramp from just under the watch threshold to the flag threshold; computed the same way by training and
by the full-path graph, and never needed by the hot path."""

from __future__ import annotations

import copy
import shutil

import numpy as np
import pytest

from mlmrisk.classifier.discussion import (ONSET_GAP, GUARD_SCALARS, GUARD_TABLE, DiscussionGuard, distinct_grams,
                                           guarded_logit, ramp_logits)
from mlmrisk.classifier.errors import ModelLoadError
from mlmrisk.classifier.normalize import normalize_batch
from mlmrisk.serving import Scorer
from mlmrisk.training.synthetic import generate

PITCH = "静态收益加动态收益，直推十人拿见点奖，发展下线拿团队奖，加入只需交3980元"


def _posts(seed: int = 11, n: int = 600):
    return generate(n, seed=seed)


def test_guard_formula():
    """z − ramp(z) · penalty: nothing moves at or under the onset, the whole penalty comes off from ``full`` up, a
    share in between; continuous in z, never raising a score."""
    z = np.array([-3.0, -1.0, 0.0, 0.5, 1.0, 6.0])
    d = np.array([9.0, 9.0, 1.5, 1.5, 1.5, 1.0])
    out = guarded_logit(z, d, tau=0.5, weight=2.0, onset=-1.0, full=1.0)
    assert np.allclose(out, [-3.0, -1.0, -1.0, -1.0, -1.0, 5.0])
    assert (out <= z).all()
    grid = np.linspace(-2, 2, 4001)
    values = guarded_logit(grid, np.full(grid.size, 1.5), 0.5, 2.0, -1.0, 1.0)
    assert np.abs(np.diff(values)).max() < 0.01  # continuous
    guard = DiscussionGuard(intercept=-1.0, tau=0.5, weight=2.0, onset=-1.0, full=1.0)
    assert guard.active and np.allclose(guard.apply(z, d), out)
    assert np.allclose(guard.penalty(d), [17.0, 17.0, 2.0, 2.0, 2.0, 1.0])
    assert guard.onset_probability == pytest.approx(1 / (1 + np.exp(1.0)))
    off = DiscussionGuard()
    assert not off.active and off.onset_probability == 1.0
    assert np.array_equal(off.apply(z, d), z) and not off.penalty(d).any()
    # the onset sits ONSET_GAP (in logit) under the watch threshold, the whole penalty from the flag threshold up
    onset, full = ramp_logits(0.25, 0.5)
    assert onset == pytest.approx(np.log(1 / 3) - ONSET_GAP) and full == pytest.approx(0.0)


def test_the_ramp_flags_what_the_whole_penalty_flags():
    """At and above the flag threshold the penalty is whole, and nothing under it can be flagged: the ramp changes
    scores under the flag threshold only, never which posts are flagged."""
    rng = np.random.default_rng(5)
    z, d = rng.normal(0, 3, 20000), rng.normal(0, 2, 20000)
    onset, full = ramp_logits(0.3, 0.6)
    ramped = guarded_logit(z, d, 0.0, 2.0, onset, full)
    whole = z - 2.0 * np.maximum(0.0, d)
    assert np.array_equal(ramped >= full, whole >= full)
    assert np.array_equal(ramped[z <= onset], z[z <= onset])


def test_the_tiny_model_lowers_warnings_not_promotions(tiny_model):
    """On posts the tiny model never saw: the generator's anti-传销 warnings lose score, its promotions keep it."""
    scorer = Scorer.load(tiny_model[0])
    guard = scorer.guard
    onset, full = ramp_logits(scorer.thresholds.watch, scorer.thresholds.flag)
    assert guard.active and guard.onset == pytest.approx(onset, abs=1e-6) and guard.full == pytest.approx(full, abs=1e-6)
    posts = _posts()
    scores = scorer.score_full(normalize_batch([p.text for p in posts], scorer.tables), [p.text for p in posts])
    penalty = guard.penalty(scores.discussion)
    warning = np.array([p.scheme == "anti_mlm" for p in posts])
    promotion = np.array([p.label == 1 for p in posts])
    assert warning.sum() > 10 and promotion.sum() > 100
    assert (penalty[warning] > 0).mean() > 0.5
    assert (penalty[promotion] > 0).mean() < 0.05


@pytest.mark.parametrize("model", ["tiny_model", "sentence_model"])
def test_training_and_serving_give_the_same_decision(model, request):
    """The full-path graph's decision value d is training's (sparse TF-IDF rows times the guard's coefficients), for
    a guard over distinct grams (``tiny_model``) and one over every occurrence (``sentence_model``, models 2.1–2.4);
    copies and repeated quotes are where the two differ."""
    directory, vectorizer, heads = request.getfixturevalue(model)
    scorer = Scorer.load(directory)
    assert scorer.guard.distinct == heads.discussion_.distinct == (model == "tiny_model")
    texts = [p.text for p in _posts(seed=13, n=200)] + [PITCH, "警惕！有人宣传" + PITCH + "，这是传销，请报警",
                                                         PITCH * 7, "“拉人头”“拉人头”有人说“拉人头”，这是传销" * 3]
    served = scorer.score_full(normalize_batch(texts, scorer.tables), texts).discussion
    trained = heads.discussion_.decision(vectorizer.count(texts), vectorizer.idf_, vectorizer.min_norm)
    assert np.abs(served - trained).max() < 1e-4
    assert scorer.guard.quotes and heads.discussion_.has_quotes(vectorizer.idf_.size)
    # quoting moves the decision: the same words inside quotation marks read differently to the guard
    plain, quoted = "有人说拉人头有奖励，这是传销", "有人说“拉人头有奖励”，这是传销"
    values = scorer.score_full(normalize_batch([plain, quoted], scorer.tables), [plain, quoted]).discussion
    assert abs(values[0] - values[1]) > 1e-3
    trained = heads.discussion_.decision(vectorizer.count([plain, quoted]), vectorizer.idf_, vectorizer.min_norm)
    assert np.abs(values - trained).max() < 1e-4


def test_distinct_grams_are_each_distinct_gram_once():
    """``distinct_grams``: the distinct (doc, bucket) pairs with no quoted row, then the distinct (doc, quoted row)
    pairs on the empty bucket — what a binary count matrix sums."""
    rng = np.random.default_rng(3)
    n_buckets, not_quoted = 50, 8
    bucket = rng.integers(0, n_buckets + 1, 400)
    doc = np.sort(rng.integers(0, 6, 400))
    quote = np.where(rng.random(400) < 0.3, bucket % not_quoted, not_quoted)
    out_bucket, out_doc, out_quote = distinct_grams(bucket, doc, quote, n_buckets, not_quoted)
    plain = out_quote == not_quoted
    assert set(zip(out_doc[plain], out_bucket[plain])) == set(zip(doc, bucket))
    assert len(set(zip(out_doc[plain], out_bucket[plain]))) == plain.sum()
    quoted = ~plain
    assert (out_bucket[quoted] == n_buckets).all()
    inside = quote != not_quoted
    assert set(zip(out_doc[quoted], out_quote[quoted])) == set(zip(doc[inside], quote[inside]))
    assert len(set(zip(out_doc[quoted], out_quote[quoted]))) == quoted.sum()
    b, d, q = distinct_grams(bucket, doc, None, n_buckets, not_quoted)
    assert q is None and np.array_equal(b, out_bucket[plain]) and np.array_equal(d, out_doc[plain])
    empty = distinct_grams(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64), n_buckets, not_quoted)
    assert all(part.size == 0 for part in empty)


@pytest.mark.parametrize("model", ["tiny_model", "sentence_model"])
def test_copies_of_a_post_change_a_distinct_guard_not_at_all(model, request):
    """A pitch pasted over and over is the same text to a guard over distinct grams: two copies or forty give the
    same ``d`` (one copy differs only by the grams across the seam between copies); to a guard over every
    occurrence ``d`` moves with the copies (model 2.4.0 read a pitch pasted 40 times as a text about schemes)."""
    scorer = Scorer.load(request.getfixturevalue(model)[0])
    warning = "警惕“" + PITCH + "”这是传销"
    texts = [PITCH, PITCH * 2, PITCH * 40, warning * 2, warning * 6]
    d = scorer.score_full(normalize_batch(texts, scorer.tables), texts).discussion
    if scorer.guard.distinct:
        assert abs(d[2] - d[1]) < 1e-6 and abs(d[4] - d[3]) < 1e-6 and abs(d[1] - d[0]) < 0.2
    else:
        assert abs(d[2] - d[1]) > 1e-2 and abs(d[4] - d[3]) > 1e-2


def test_hot_path_equals_full_path_with_the_guard(tiny_model):
    """Every post through the full path gives what the hot path gives, guard included: the same probability for
    every post (the guard moves none under its onset), the same records for every post at or above watch."""
    scorer = Scorer.load(tiny_model[0])
    posts = _posts(seed=12, n=300)
    warnings = [p.text for p in _posts(seed=14, n=600) if p.scheme == "anti_mlm"]
    texts = [p.text for p in posts] + warnings + [PITCH, "警惕！有人宣传" + PITCH + "，这是传销，请报警"]
    fast = scorer.score_batch(texts).records()
    full = scorer.score_batch(texts, full=True).records()
    watch = scorer.thresholds.watch
    shown = [i for i, r in enumerate(full) if r["probability"] >= watch]
    assert len(shown) > 20
    for i in shown:
        assert abs(fast[i]["probability"] - full[i]["probability"]) < 1e-9
        assert fast[i]["level"] == full[i]["level"] and fast[i]["evidence"] == full[i]["evidence"]
    assert max(abs(a["probability"] - b["probability"]) for a, b in zip(fast, full)) < 1e-5
    assert [a["level"] for a in fast] == [b["level"] for b in full]
    # the guard did pull posts down, only posts above its onset, some of them under the watch threshold
    batch = normalize_batch(texts, scorer.tables)
    unguarded = scorer.hot.probability(batch)
    final = np.array([r["probability"] for r in fast])
    pulled = unguarded - final > 1e-6
    assert pulled.sum() >= 3
    assert (unguarded[pulled] > scorer.guard.onset_probability - 1e-6).all()
    assert (final[pulled] < watch).any()


def test_explain_reports_the_guard(tiny_model):
    scorer = Scorer.load(tiny_model[0])
    warnings = [p.text for p in _posts() if p.scheme == "anti_mlm"]
    values = scorer.score_full(normalize_batch(warnings, scorer.tables), warnings).discussion
    warning = warnings[int(np.argmax(values))]  # the one that reads most as a warning
    discussion = scorer.explain(warning)["discussion"]
    assert set(discussion) == {"active", "value", "starts_at", "penalty", "whole_penalty", "onset"}
    guard = scorer.guard
    assert discussion["active"] is True and discussion["starts_at"] == round(guard.tau, 4)
    assert discussion["value"] == pytest.approx(float(values.max()), abs=1e-4)
    whole = guard.weight * max(0.0, float(values.max()) - guard.tau)
    assert discussion["whole_penalty"] == pytest.approx(whole, abs=1e-4)
    assert discussion["whole_penalty"] > 0  # the generator's warnings read as warnings to the tiny model
    # "penalty" is what the ramp actually took off: the unguarded logit less the served one
    z = float(scorer.hot.logits(normalize_batch([warning], scorer.tables))[0])
    served = float(np.log(explanation_p := scorer.score([warning])[0].probability) - np.log1p(-explanation_p))
    assert discussion["penalty"] == pytest.approx(z - served, abs=1e-3)
    assert 0 <= discussion["penalty"] <= discussion["whole_penalty"] + 1e-9
    assert discussion["onset"] == round(guard.onset_probability, 4)


def test_a_model_without_the_guard(tiny_model, tmp_path):
    """Exported without a guard: no guard inputs or initializers, the full path's probability is the hot path's."""
    from mlmrisk.training.export import export_model

    _, vectorizer, heads = tiny_model
    plain = copy.copy(heads)
    plain.discussion_ = None
    export_model(tmp_path, vectorizer=vectorizer, heads=plain,
                 manifest_fields={"model_version": "test", "thresholds": {"flag": 0.5, "watch": 0.25}})
    scorer = Scorer.load(tmp_path)
    assert not scorer.guard.active and scorer.screen == pytest.approx(0.25 - 1e-4)
    texts = [PITCH, "警惕传销：" + PITCH, "今天天气不错"]
    batch = normalize_batch(texts, scorer.tables)
    full = scorer.score_full(batch, texts)
    assert np.isnan(full.discussion).all()
    assert np.abs(full.probability - scorer.hot.probability(batch)).max() < 1e-5


def test_a_guard_in_the_hot_path_graph_is_refused(tiny_model, tmp_path):
    """Models 2.1–2.2 carried the guard, without a ramp, in mlm.onnx: they are refused with a way out."""
    onnx = pytest.importorskip("onnx")
    from onnx import numpy_helper

    source, _, _ = tiny_model
    target = tmp_path / "old"
    shutil.copytree(source, target)
    model = onnx.load(str(target / "mlm.onnx"))
    model.graph.initializer.append(numpy_helper.from_array(np.array(0.5, dtype=np.float32), "discussion_tau"))
    (target / "mlm.onnx").write_bytes(model.SerializeToString())
    with pytest.raises(ModelLoadError, match="hot-path graph.*rebuild the model"):
        Scorer.load(target, verify=False)


def test_part_of_a_guard_is_a_load_error(tiny_model, tmp_path):
    onnx = pytest.importorskip("onnx")
    source, _, _ = tiny_model
    target = tmp_path / "part"
    shutil.copytree(source, target)
    model = onnx.load(str(target / "model.onnx"))
    names = {i.name for i in model.graph.initializer}
    assert {GUARD_TABLE, *GUARD_SCALARS} <= names
    keep = [i for i in model.graph.initializer if i.name != "discussion_onset"]
    del model.graph.initializer[:]
    model.graph.initializer.extend(keep)
    (target / "model.onnx").write_bytes(model.SerializeToString())
    with pytest.raises(ModelLoadError, match="part of the discussion guard"):
        Scorer.load(target, verify=False)


def test_an_allow_list_never_raises_a_score_through_the_guard(tiny_model):
    """Blanking an allowed phrase that reads as a warning would shrink the guard's penalty and RAISE the post's
    score; such a post keeps its text (and the entry is not reported as applied)."""
    source, _, _ = tiny_model
    scorer = Scorer.load(source)
    warnings = [p.text for p in _posts(seed=15, n=800) if p.scheme == "anti_mlm"]
    texts = [w + "。" + PITCH for w in warnings[:40]]
    plain = scorer.score_batch(texts)
    for phrase in ("传销", "警惕", "举报", "骗局", "提醒"):
        allowed = Scorer.load(source, allow=[phrase]).score_batch(texts)
        assert (allowed.probability <= plain.probability + 1e-9).all(), phrase


def test_a_guard_without_the_quoted_channel(tiny_model, tmp_path):
    """``discussion_quotes = false``: the guard's graph has two inputs and no quoted table, and serving still
    gives training's decision values."""
    import dataclasses

    from mlmrisk.training.export import export_model

    _, vectorizer, heads = tiny_model
    plain = copy.copy(heads)
    plain.discussion_ = dataclasses.replace(heads.discussion_,
                                            coef=heads.discussion_.bucket_coef(vectorizer.idf_.size).copy())
    assert not plain.discussion_.has_quotes(vectorizer.idf_.size)
    manifest = export_model(tmp_path, vectorizer=vectorizer, heads=plain,
                            manifest_fields={"model_version": "test", "thresholds": {"flag": 0.5, "watch": 0.25}})
    assert set(manifest["onnx"]["inputs"]) == {"bucket", "passage", "passage_doc", "n_docs", "gram_bucket", "gram_doc"}
    scorer = Scorer.load(tmp_path)
    assert scorer.guard.active and not scorer.guard.quotes
    texts = ["有人说“拉人头有奖励”，这是传销", PITCH, "警惕！有人宣传" + PITCH]
    served = scorer.score_full(normalize_batch(texts, scorer.tables), texts).discussion
    trained = plain.discussion_.decision(vectorizer.count(texts), vectorizer.idf_, vectorizer.min_norm)
    assert np.abs(served - trained).max() < 1e-4


def test_the_manifest_says_how_the_guard_reads_grams(tiny_model, sentence_model, tmp_path):
    """``discussion_grams`` (manifest version 6): "distinct" for a guard over distinct grams, absent for one over
    every occurrence (models 2.1–2.4); a value this version does not know is refused, not guessed."""
    import json

    from mlmrisk.classifier.manifest import GUARD_GRAMS_KEY, MANIFEST_FORMAT_VERSION

    distinct = json.loads((tiny_model[0] / "manifest.json").read_text(encoding="utf-8"))
    occurrences = json.loads((sentence_model[0] / "manifest.json").read_text(encoding="utf-8"))
    assert distinct[GUARD_GRAMS_KEY] == "distinct" and GUARD_GRAMS_KEY not in occurrences
    assert distinct["format_version"] == MANIFEST_FORMAT_VERSION == 6
    target = tmp_path / "future"
    shutil.copytree(tiny_model[0], target)
    (target / "manifest.json").write_text(json.dumps({**distinct, GUARD_GRAMS_KEY: "weighted"}), encoding="utf-8")
    with pytest.raises(ModelLoadError, match="discussion_grams must be one of"):
        Scorer.load(target)
