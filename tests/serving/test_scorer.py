"""Scorer: bad input, evidence offsets, lists, model loading checks, and the no-scikit-learn rule."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import sys
import textwrap
import traceback
import zlib

import numpy as np
import pytest

from mlmrisk.classifier.errors import ListFormatError, ModelLoadError
from mlmrisk.classifier.risk import RiskLevel
from mlmrisk.serving import Scorer

BAD_INPUTS = [
    (None, "missing_text", "null text"),
    (42, "not_a_string", "a number"),
    (["发展下线"], "not_a_string", "a list"),
    (b"\xff\xfe\xfa", "invalid_utf8", "bytes that are not UTF-8"),
]


@pytest.mark.parametrize("value,code,why", BAD_INPUTS, ids=[c[2] for c in BAD_INPUTS])
def test_bad_input_gets_an_error_result(tiny_model, value, code, why):
    scorer = Scorer.load(tiny_model[0])
    results = scorer.score(["正常的一句话", value, "另一句"])
    assert len(results) == 3, "no record may be lost"
    assert results[1].error is not None and results[1].error.code == code, why
    assert results[0].error is None and results[2].error is None
    from mlmrisk.classifier.schema import make_error_record

    assert results[1].to_dict() == make_error_record(model=scorer.model_id, code=code,
                                                     message=results[1].error.message)


def test_documented_results_for_odd_strings(tiny_model):
    scorer = Scorer.load(tiny_model[0])
    for text in ["", "   ", "\u200b\u200b", "\udcff孤立代理项", "x" * 100_000]:
        result = scorer.score([text])[0]
        assert result.error is None and 0.0 <= result.probability <= 1.0
    assert "truncated" in scorer.score(["x" * 100_000])[0].normalization


def test_bytes_are_decoded(tiny_model):
    scorer = Scorer.load(tiny_model[0])
    text = "静态收益加动态收益"
    assert scorer.score([text.encode("utf-8")])[0].probability == pytest.approx(scorer.score([text])[0].probability)


def test_score_rejects_a_bare_string(tiny_model):
    with pytest.raises(TypeError):
        Scorer.load(tiny_model[0]).score("一段文字")


EVASIVE = [
    "發.展.下.綫，直推十人拿見點獎，靜態收益加動態收益",
    "交 会 费 入 会，发\u200b展\u200b下\u200b线，团队奖层层拿",
    "加薇信了解：直推奖🔥见点奖🔥对碰奖，日化百分之二，复投收益",
]


def test_evidence_offsets_point_at_original_characters(tiny_model):
    scorer = Scorer.load(tiny_model[0])
    for text, result in zip(EVASIVE, scorer.score(EVASIVE)):
        assert result.flagged, text
        assert result.evidence, "every flagged post has evidence"
        for evidence in result.evidence + tuple(e for el in result.elements.values() for e in el.evidence):
            assert 0 <= evidence.start < evidence.end <= len(text)
            assert text[evidence.start : evidence.end] == evidence.text
        assert result.normalization, "normalisation rules that fired are reported"


def test_score_iter_matches_score(tiny_model):
    scorer = Scorer.load(tiny_model[0])
    texts = EVASIVE * 5 + ["普通帖子"] * 7
    streamed = [r.probability for r in scorer.score_iter(iter(texts), batch_size=4)]
    assert streamed == [r.probability for r in scorer.score(texts)]


def test_allow_list_neutralises_and_is_reported(tiny_model):
    text = EVASIVE[0]
    plain = Scorer.load(tiny_model[0]).score([text])[0]
    allowed = Scorer.load(tiny_model[0], allow=["直推十人拿见点奖", "静态收益加动态收益"]).score([text])[0]
    assert allowed.probability < plain.probability
    assert any(name.startswith("allow:") for name in allowed.lists)


def test_allow_list_never_raises_a_score(tiny_model):
    plain = Scorer.load(tiny_model[0])
    allowed = Scorer.load(tiny_model[0], allow=["今天", "普通", "发展下线"])
    texts = ["今天天气很好，普通的一天", "发展下线拿团队奖", "普通帖子：静态收益"]
    for before, after in zip(plain.score_batch(texts).probability, allowed.score_batch(texts).probability):
        assert after <= before + 1e-12


def test_deny_list_catches_evasive_spellings(tiny_model):
    scorer = Scorer.load(tiny_model[0], deny=["拉人头"])
    for text in ["今天聊聊拉人头", "今天聊聊拉.人.頭", "今天聊聊拉\u200b人\u200b头", "今天聊聊啦人头"]:
        result = scorer.score([text])[0]
        assert result.flagged and result.level.rank >= RiskLevel.HIGH.rank, text
        assert "deny:拉人头" in result.lists
        deny = [e for e in result.evidence if e.source.startswith("deny_list")]
        assert deny and text[deny[0].start : deny[0].end] == deny[0].text


def test_list_files(tiny_model, tmp_path):
    good = tmp_path / "deny.txt"
    good.write_text("# comment\n发展下线\tmedium\n拉人头\n", encoding="utf-8")
    scorer = Scorer.load(tiny_model[0], deny=good)
    assert [e.level for e in scorer.deny.entries] == [RiskLevel.MEDIUM, RiskLevel.HIGH]
    as_json = tmp_path / "deny.json"
    as_json.write_text(json.dumps(["拉人头", {"phrase": "见点奖", "level": "severe"}], ensure_ascii=False))
    assert len(Scorer.load(tiny_model[0], deny=as_json).deny.entries) == 2
    bad = tmp_path / "bad.txt"
    bad.write_text("发展下线\tterrible\n", encoding="utf-8")
    with pytest.raises(ListFormatError, match="line 1"):
        Scorer.load(tiny_model[0], deny=bad)


def test_list_entries_as_data_take_what_list_files_take(tiny_model):
    """The Python API takes the JSON list file's objects too: a {"phrase", "level"} dict once became a phrase made
    of its repr and matched nothing."""
    scorer = Scorer.load(tiny_model[0], deny=["拉人头", {"phrase": "见点奖", "level": "severe"}, {"phrase": "好吃"}])
    assert [(e.phrase, e.level) for e in scorer.deny.entries] == [
        ("拉人头", RiskLevel.HIGH), ("见点奖", RiskLevel.SEVERE), ("好吃", RiskLevel.HIGH)]
    result = scorer.score(["这家店的火锅很好吃"])[0]
    assert result.flagged and result.level is RiskLevel.HIGH and "deny:好吃" in result.lists
    # flagged by the list alone: no Art. 7 elements are claimed for it (the model did not flag it)
    assert result.probability < scorer.thresholds.flag and result.elements == {}
    assert scorer.score(["直推十人拿见点奖"])[0].level is RiskLevel.SEVERE
    for bad, message in [({"phrase": "见点奖", "levle": "severe"}, "unknown keys"),
                         ({"phrase": "见点奖", "level": "terrible"}, "not one of"),
                         ({"level": "high"}, "expected a phrase"), (42, "expected a phrase")]:
        with pytest.raises(ListFormatError, match=message):
            Scorer.load(tiny_model[0], deny=[bad])
    with pytest.raises(ListFormatError, match="wrap a single entry in a list"):  # not its keys as two phrases
        Scorer.load(tiny_model[0], deny={"phrase": "见点奖", "level": "severe"})


def test_list_levels_that_cannot_hold_are_refused(tiny_model, tmp_path):
    """A deny hit flags a post, and a flagged post is at least medium: a deny level none/low made records that were
    flagged at level none. Allow entries take no level at all (it was dropped without a word)."""
    for level in ("none", "low"):
        with pytest.raises(ListFormatError, match="item 0: deny entry '拉人头' has level .* below medium"):
            Scorer.load(tiny_model[0], deny=[{"phrase": "拉人头", "level": level}])
    low = tmp_path / "deny.txt"
    low.write_text("# comment\n拉人头\n躺赚\tlow\n", encoding="utf-8")
    with pytest.raises(ListFormatError, match="line 3: deny entry '躺赚'"):
        Scorer.load(tiny_model[0], deny=low)
    plain = tmp_path / "allow.txt"
    plain.write_text("团队加油\thigh\n", encoding="utf-8")
    with pytest.raises(ListFormatError, match="line 1: an allow entry takes no level"):
        Scorer.load(tiny_model[0], allow=plain)
    with pytest.raises(ListFormatError, match="an allow entry takes no level"):
        Scorer.load(tiny_model[0], allow=[{"phrase": "招商银行", "level": "high"}])
    with pytest.raises(ListFormatError, match="is a directory"):
        Scorer.load(tiny_model[0], deny=tmp_path)
    assert Scorer.load(tiny_model[0], deny=[{"phrase": "拉人头", "level": "medium"}]).deny.entries[0].level.value == "medium"


def test_tampered_or_missing_model_is_refused(tiny_model, tmp_path):
    copy = tmp_path / "model"
    shutil.copytree(tiny_model[0], copy)
    with open(copy / "model.onnx", "ab") as handle:
        handle.write(b"\0")
    with pytest.raises(ModelLoadError, match="SHA-256"):
        Scorer.load(copy)
    # a hot-path graph cut in half cannot be parsed either; the digest check (run beside the parsing) is what is
    # reported, since it names the cause
    shutil.copy(tiny_model[0] / "model.onnx", copy / "model.onnx")
    hot = (copy / "mlm.onnx").read_bytes()
    (copy / "mlm.onnx").write_bytes(hot[: len(hot) // 2])
    with pytest.raises(ModelLoadError, match="SHA-256"):
        Scorer.load(copy)
    with pytest.raises(ModelLoadError, match="not a readable ONNX file"):  # unverified: what the parser meets
        Scorer.load(copy, verify=False)
    with pytest.raises(ModelLoadError, match="manifest"):
        Scorer.load(tmp_path / "nowhere")


def test_serving_never_imports_scikit_learn_or_unpickles(tiny_model):
    code = textwrap.dedent(f"""
        import pickle, sys
        real_load, real_loads = pickle.load, pickle.loads
        def guarded(real):
            # numba reads its own compiled-kernel cache (written by this install into __pycache__) with pickle,
            # and the kernels compiled ahead of time unpickle their functions' environments (lists of numpy
            # dtypes) from the extension's own data, as it is imported and on each export's first call (the
            # nearest Python frame is then classifier/compiled.py's wrapper, which never calls pickle itself):
            # code generated when the package was built, not a model artifact. Anything else is refused.
            def building_extension():
                frame = sys._getframe(2)
                while frame is not None:
                    spec = frame.f_locals.get("spec")
                    if getattr(spec, "name", None) == "mlmrisk.classifier._compiled_kernels":
                        return True
                    frame = frame.f_back
                return False
            def load(*a, **k):
                caller = sys._getframe(1).f_globals.get("__name__", "")
                allowed = caller.startswith("numba.") or caller == "mlmrisk.classifier.compiled"
                if not allowed and not building_extension():
                    raise AssertionError(f"serving unpickled something (from {{caller}})")
                return real(*a, **k)
            return load
        pickle.load, pickle.loads = guarded(real_load), guarded(real_loads)
        from mlmrisk.serving import Scorer
        scorer = Scorer.load({str(tiny_model[0])!r})
        scorer.score(["发展下线拿团队奖", "你好"])
        scorer.explain("静态收益加动态收益")
        # (scipy is not listed: numba imports it for its linear-algebra support when it is installed)
        # (onnx is read by serving/hot_path.py to load the hot path's weights: a file-format reader)
        banned = [m for m in ("sklearn", "mlmrisk.training", "joblib", "opencc", "datasets", "jieba")
                  if m in sys.modules]
        assert not banned, banned
    """)
    subprocess.run([sys.executable, "-c", code], check=True)


def test_fast_records_equal_result_dicts(tiny_model):
    scorer = Scorer.load(tiny_model[0], deny=["拉人头"], allow=["招商银行"])
    texts = EVASIVE + ["普通帖子", None, 3, "招商银行提醒您", "今天聊聊拉人头"]
    batch = scorer.score_batch(texts)
    ids = list(range(len(texts)))
    expected = [{"id": i, **r.to_dict()} for i, r in zip(ids, batch.results())]
    assert batch.records(ids) == expected
    assert batch.records(ids, rows=[1, 4]) == [expected[1], expected[4]]


def test_large_batches_are_split_without_changing_results(tiny_model, monkeypatch):
    import mlmrisk.serving.scorer as module

    scorer = Scorer.load(tiny_model[0], deny=["拉人头"])
    texts = EVASIVE * 4 + ["普通帖子", None, "今天聊聊拉人头", "长" * 300]
    whole = scorer.score_batch(texts).records(list(range(len(texts))))
    monkeypatch.setattr(module, "MAX_RUN_CHARS", 64)
    split = scorer.score_batch(texts)
    assert split.records(list(range(len(texts)))) == whole


@pytest.mark.parametrize("hot_run", [1, 64, 200, 1 << 19])
def test_full_path_deferred_over_hot_runs_gives_the_records_of_one_run(tiny_model, monkeypatch, hot_run):
    """score_batch scores the hot path in runs of HOT_RUN_CHARS and the posts it sends on together, afterwards
    (``_replace_rows``): the records — scores, evidence, elements, allow and deny entries, errors — must be those
    of scoring every post in one run, whatever the runs are and wherever the suspicious posts fall."""
    import mlmrisk.serving.scorer as module

    scorer = Scorer.load(tiny_model[0], deny=["拉人头"], allow=["招商银行"])
    texts = (["普通帖子", None, "今天聊聊拉人头"] + EVASIVE + ["招商银行提醒您", "", "长" * 300, 7]) * 3
    ids = list(range(len(texts)))
    monkeypatch.setattr(module, "MAX_RUN_CHARS", 1 << 30)
    whole = scorer.score_batch(texts)
    assert any(whole.flagged) and whole.evidence and whole.lists and any(e is not None for e in whole.errors)
    monkeypatch.setattr(module, "MAX_RUN_CHARS", 40)
    monkeypatch.setattr(module, "HOT_RUN_CHARS", hot_run)
    deferred = scorer.score_batch(texts)
    assert deferred.records(ids) == whole.records(ids)
    assert np.array_equal(deferred.rules, whole.rules) and np.array_equal(deferred.level, whole.level)


def test_full_path_runs_stay_bounded_with_an_allow_list(tiny_model, monkeypatch):
    """The allow list compares each allowed post's final probability with and without its phrase; that full-path
    call runs in runs of MAX_RUN_CHARS too, not over a whole hot-path run (HOT_RUN_CHARS, 8× longer by default)."""
    import mlmrisk.serving.scorer as module

    scorer = Scorer.load(tiny_model[0], allow=["招商银行"])
    texts = ["招商银行提醒您：" + text for text in EVASIVE] * 6
    whole = scorer.score_batch(texts).records(list(range(len(texts))))
    monkeypatch.setattr(module, "MAX_RUN_CHARS", 64)
    calls: list[tuple[int, int]] = []  # (posts, normalised characters) of every full-path call
    original = Scorer.score_full

    def spy(self, batch, batch_texts, **options):
        calls.append((batch.n_docs, int(batch.starts[-1])))
        return original(self, batch, batch_texts, **options)

    monkeypatch.setattr(Scorer, "score_full", spy)
    split = scorer.score_batch(texts).records(list(range(len(texts))))
    assert len(calls) > 3 and all(posts == 1 or chars <= 64 for posts, chars in calls), calls
    assert split == whole


def test_one_text_alone_equals_the_same_text_in_a_batch(tiny_model):
    """Small batches take one graph run (evidence from the same run); results must not depend on that."""
    scorer = Scorer.load(tiny_model[0])
    texts = EVASIVE + ["普通帖子", "今天天气很好"] * 3
    together = [r.to_dict() for r in scorer.score(texts)]
    alone = [scorer.score([t])[0].to_dict() for t in texts]
    assert alone == together
    assert any(r["flagged"] for r in alone) and any(r["evidence"] for r in alone)


def test_model_without_snap_words_still_scores_with_unwidened_evidence(tiny_model, tmp_path):
    """Manifests written before the evidence word list existed load; their spans are simply not widened."""
    target = tmp_path / "old_model"
    shutil.copytree(tiny_model[0], target)
    manifest = json.loads((target / "manifest.json").read_text(encoding="utf-8"))
    del manifest["evidence"]
    (target / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    old, new = Scorer.load(target), Scorer.load(tiny_model[0])
    assert old.lexicon is None and new.lexicon is not None
    for text, before, after in zip(EVASIVE, old.score(EVASIVE), new.score(EVASIVE)):
        assert before.probability == after.probability and before.evidence
        for e in before.evidence:
            assert text[e.start : e.end] == e.text


def test_older_manifest_forms_still_load_and_score_the_same(tiny_model, tmp_path):
    """Version 1 kept the evidence words as a JSON list, versions 2–4 as one newline-joined string; a model written
    then scores and snaps exactly as its version 5–6 form (the packed list). A version this mlmrisk does not know is
    refused, saying which versions it reads."""
    from mlmrisk.classifier.manifest import snap_words

    manifest = json.loads((tiny_model[0] / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["format_version"] == 6 and set(manifest["evidence"]["snap_words"]) == {"count", "zlib_base64"}
    words = snap_words(manifest["evidence"]["snap_words"])
    assert len(words) == manifest["evidence"]["snap_words"]["count"] > 0
    new = Scorer.load(tiny_model[0])
    expected = [r.to_dict() for r in new.score(EVASIVE)]
    for version, stored in ((1, words), (4, "\n".join(words))):
        target = tmp_path / f"v{version}_model"
        shutil.copytree(tiny_model[0], target)
        old_form = {**manifest, "format_version": version, "evidence": {"snap_words": stored}}
        (target / "manifest.json").write_text(json.dumps(old_form, ensure_ascii=False), encoding="utf-8")
        old = Scorer.load(target)
        assert old.manifest["evidence"]["snap_words"] == new.manifest["evidence"]["snap_words"] == len(new.lexicon)
        assert [r.to_dict() for r in old.score(EVASIVE)] == expected
    future = {**manifest, "format_version": 7}
    (target / "manifest.json").write_text(json.dumps(future, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(ModelLoadError, match=r"versions \(1, 2, 3, 4, 5, 6\)"):
        Scorer.load(target)


def test_a_damaged_packed_word_list_is_refused_when_evidence_needs_it(tiny_model, tmp_path):
    """The packed list is inflated where the lexicon is built; data that does not inflate, inflates to another
    number of words than declared, or would inflate far beyond what its words can take (a zip bomb: never
    inflated past that) is a ModelLoadError naming the way out, not a crash or silently wrong spans."""
    manifest = json.loads((tiny_model[0] / "manifest.json").read_text(encoding="utf-8"))
    packed = manifest["evidence"]["snap_words"]
    bomb = base64.b64encode(zlib.compress(b"\n".join([b"x" * 4] * 3) + b"y" * 10_000_000)).decode("ascii")
    for damaged in ({**packed, "zlib_base64": packed["zlib_base64"][:-40]}, {**packed, "count": packed["count"] + 1},
                    {"count": 3}, {"count": 3, "zlib_base64": bomb}, {**packed, "count": True}):
        target = tmp_path / "damaged"
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(tiny_model[0], target)
        (target / "manifest.json").write_text(
            json.dumps({**manifest, "evidence": {"snap_words": damaged}}, ensure_ascii=False), encoding="utf-8")
        for early in (False, True):  # built on first use, or by the thread ``build_lexicon`` starts
            scorer = Scorer.load(target, build_lexicon=early)
            depths = []
            for _ in range(3):  # a failure is not cached: each use raises again, with a traceback that does not grow
                with pytest.raises(ModelLoadError, match="evidence word list") as raised:
                    scorer.lexicon  # noqa: B018
                depths.append(len(traceback.extract_tb(raised.value.__traceback__)))
            assert depths[0] == depths[1] == depths[2]


def test_the_evidence_word_list_is_built_on_first_use(tiny_model):
    """Loading and scoring ordinary posts never builds the word list; the first evidence does, once, and snaps
    exactly as a scorer given the built lexicon up front."""
    from mlmrisk.classifier.word_snap import SnapLexicon

    lazy = Scorer.load(tiny_model[0])
    assert not isinstance(lazy._lexicon_source, SnapLexicon) and "lexicon" not in lazy._lazy
    lazy.score(["今天天气很好", "普通帖子"])
    assert "lexicon" not in lazy._lazy
    eager = Scorer.load(tiny_model[0])
    from mlmrisk.classifier.manifest import snap_words

    manifest = json.loads((tiny_model[0] / "manifest.json").read_text(encoding="utf-8"))
    stored = snap_words(manifest["evidence"]["snap_words"])
    eager._lexicon_source = SnapLexicon.from_words(stored)
    results = lazy.score(EVASIVE)
    assert any(r.evidence for r in results) and "lexicon" in lazy._lazy  # evidence built it
    assert [r.to_dict() for r in results] == [r.to_dict() for r in eager.score(EVASIVE)]
    built = lazy.lexicon
    assert isinstance(built, SnapLexicon) and len(built) > 0 and lazy.lexicon is built
    assert lazy.manifest["evidence"]["snap_words"] == len(stored) == len(built)


def test_build_lexicon_builds_the_same_word_list_beside_the_load(tiny_model):
    """``Scorer.load(build_lexicon=True)`` (bulk parents, the service) starts the word list on a thread: the
    lexicon it yields holds exactly the words and pairs of the one built on first use, and evidence is the same."""
    from mlmrisk.classifier.word_snap import SnapLexicon
    from mlmrisk.serving.background import Background

    early = Scorer.load(tiny_model[0], build_lexicon=True)
    assert isinstance(early._lexicon_source, Background)
    lazy = Scorer.load(tiny_model[0])
    built = early.lexicon
    assert isinstance(built, SnapLexicon) and early.lexicon is built and early._lexicon_source is built
    assert built.words.tolist() == lazy.lexicon.words.tolist() and built.pairs.tolist() == lazy.lexicon.pairs.tolist()
    assert early.manifest["evidence"]["snap_words"] == lazy.manifest["evidence"]["snap_words"] == len(built)
    assert [r.to_dict() for r in early.score(EVASIVE)] == [r.to_dict() for r in lazy.score(EVASIVE)]
