"""The kernels compiled ahead of time (``classifier/compiled.py``, built by ``setup.py``) against the numba kernels
they are compiled from: the same output, array for array, through the real callers, on real, evasive and hostile
text; a stale or missing build is never used; a call with other argument types falls back to numba.

Where the extension is not built (an install whose build could not compile it) the parity tests skip — except
under CI, which installs with ``MLMRISK_REQUIRE_COMPILED=1`` and must exercise the compiled path.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlmrisk.classifier import compiled
from mlmrisk.classifier import features as F
from mlmrisk.classifier import kernels as numba_kernels
from mlmrisk.classifier.errors import MlmriskError
from mlmrisk.classifier.normalize import normalize_batch
from mlmrisk.classifier.pinyin import latin_events

REPO = Path(__file__).resolve().parents[2]
EVASIVE = ["weixin dongtaishouyi fa zhan xia xian 发展下下下线", "①⑴❶㈠壹 3级 三级", "动Ⅹ态Ⅹ收Ⅹ益 加.v.x 发🈲展",
           "c销 微薇信 威芯", "ＶＸ：ａｂｃ１２３ 傳銷 團隊", "拉\u200b人\u200d头", "Dong Tai Shou Yi!!!", "下线" * 200]
HOSTILE = ["", " ", "\x00\x01", "\ud800 lone surrogate", "a", "😀" * 70, "x" * 5000, "\n\n\n", "a b c d e f g h"]


@pytest.fixture(scope="module")
def compiled_kernels():
    kernels, why = compiled.compiled_module()
    if kernels is None:
        if os.environ.get("CI"):
            pytest.fail(f"the compiled kernels are {why} under CI (installed with MLMRISK_REQUIRE_COMPILED=1)")
        pytest.skip(f"compiled kernels {why}")
    return kernels


@pytest.fixture(scope="module")
def scorer_parts(default_model):
    from mlmrisk.serving.scorer import Scorer

    scorer = Scorer.load(default_model)
    return scorer.tables, scorer.features, scorer.hot


@pytest.fixture(scope="module")
def use(compiled_kernels):
    """``use("numba")`` / ``use("compiled")``: route every caller to one implementation; ``use("auto")`` restores."""
    normalize_numba = importlib.import_module("mlmrisk.classifier._normalize_kernels")
    saved = compiled.feature_kernels, compiled.normalize_kernels

    def choose(which: str) -> None:
        if which == "auto":
            compiled.feature_kernels, compiled.normalize_kernels = saved
            return
        kernels = compiled_kernels if which == "compiled" else None
        compiled.feature_kernels = lambda: kernels or numba_kernels
        compiled.normalize_kernels = lambda: kernels or normalize_numba

    yield choose
    compiled.feature_kernels, compiled.normalize_kernels = saved


def run_everything(texts, parts) -> list[np.ndarray]:
    """Every exported kernel, through the function the package calls it from."""
    tables, spec, hot = parts
    batch = normalize_batch(texts, tables)
    grams = F.hash_grams(batch, spec)
    membership = F.passages(grams, batch, spec.window)
    entry_bucket, passage, passage_doc, fed_grams, fed_membership = F.feeds(batch, spec)
    logits = F.best_passage_logits(batch, spec, hot.table, hot.min_norm, hot.slope, hot.offset)
    events = latin_events(batch.codes, spec.pinyin)
    sentences = dataclasses.replace(spec, sentence_min_chars=4, sentence_discount=0.5)  # and discounted sentences
    with_sentences = [F.passages(grams, batch, spec.window, 4), *F.feeds(batch, sentences)[:3],
                      *F.best_passage_logits(batch, sentences, hot.table, hot.min_norm, hot.slope, hot.offset)]
    fields = lambda record: [getattr(record, f.name) for f in dataclasses.fields(record)]  # noqa: E731
    return [batch.codes, batch.origin, batch.doc, batch.starts, batch.rules, *fields(grams), *fields(membership),
            entry_bucket, passage, passage_doc, *fields(fed_grams), *fields(fed_membership), *logits, *events,
            *fields(with_sentences[0]), *with_sentences[1:]]


def assert_same(texts, parts, use) -> None:
    try:
        use("numba")
        expected = run_everything(texts, parts)
        use("compiled")
        before = dict(compiled.FALLBACKS)
        got = run_everything(texts, parts)
        assert compiled.FALLBACKS == before, "a caller's arguments no longer match the compiled signatures"
    finally:
        use("auto")
    assert len(got) == len(expected)
    for i, (a, b) in enumerate(zip(expected, got)):
        assert a.dtype == b.dtype and np.array_equal(a, b), f"output {i} differs"


def test_real_evasive_and_hostile_text_give_identical_arrays(scorer_parts, use):
    real = [json.loads(line)["text"] for line in (REPO / "data" / "sample_posts.jsonl").open(encoding="utf-8")]
    assert_same(real + EVASIVE + HOSTILE, scorer_parts, use)
    for text in EVASIVE + HOSTILE:  # one post per batch: the single-text path
        assert_same([text], scorer_parts, use)


@settings(max_examples=60, deadline=None)
@given(texts=st.lists(st.text(alphabet=st.sampled_from(list("发展下线微信薇威芯动态收益团队奖金 ，。!0123456789abcxyzⅩ①㈠🈲\u200b\n"))
                              | st.characters(), max_size=150), min_size=1, max_size=8))
def test_generated_batches_give_identical_arrays(texts, scorer_parts, use):
    assert_same(texts, scorer_parts, use)


def test_other_argument_types_fall_back_to_numba(compiled_kernels):
    """A compiled export reads its arguments as the declared types; other types go to numba (same result)."""
    codes = np.array([ord(c) for c in "weixin fazhan\0"], dtype=np.int32)  # declared int64
    keys, ids = np.array([27 * 23 + 5, 1], dtype=np.int64), np.array([3, 4], dtype=np.int64)
    got = compiled_kernels.latin_events(codes, 40, keys, ids, 2)
    expected = numba_kernels.latin_events(codes, 40, keys, ids, 2)
    assert all(np.array_equal(a, b) for a, b in zip(got, expected))
    assert compiled.FALLBACKS.get("latin_events", 0) >= 1
    starts = np.array([0, 7])
    flat = np.array([0x53D1, 0x0A, 0x5C55, 0x0A, 0x4E0B, 0x7EBF, 0x4EBA, 0], dtype=np.int64)
    bucket = np.array([5, 7, 5], dtype=np.int64)
    grams = (bucket, np.zeros(3, dtype=np.int64), np.array([0, 1, 2]), np.array([1, 2, 3]))
    counted = compiled.FALLBACKS.get("passages", 0)
    got = compiled_kernels.passages(*grams, starts, np.int64(64), flat, np.int64(1))  # numpy integers are integers
    assert compiled.FALLBACKS.get("passages", 0) == counted
    for window in (64.0, True):  # a float or a bool where an int64 is declared: numba decides, as it always did
        try:
            expected = numba_kernels.passages(*grams, starts, window, flat, 1)
        except Exception as exc:  # numba refuses it
            with pytest.raises(type(exc)):
                compiled_kernels.passages(*grams, starts, window, flat, 1)
        else:
            got = compiled_kernels.passages(*grams, starts, window, flat, 1)
            assert all(np.array_equal(a, b) for a, b in zip(got, expected))
    assert compiled.FALLBACKS["passages"] == counted + 2
    # clean writes the rule bits of its posts: a read-only ``rules`` goes to numba (which refuses to
    # write into it) instead of being written through by the compiled code
    normalize_numba = importlib.import_module("mlmrisk.classifier._normalize_kernels")
    codes = np.array([0x4F60, 0x4F60, 0x4F60, 0], dtype=np.int64)
    positions = np.arange(4, dtype=np.int64)
    tables = (np.ones(0x110000, dtype=np.uint8), np.zeros(0x110000, dtype=np.uint16))
    rules = np.zeros(1, dtype=np.uint16)
    rules.flags.writeable = False
    counted = compiled.FALLBACKS.get("clean", 0)
    try:
        expected = normalize_numba.clean(codes, positions, positions * 0, *tables, rules)
    except Exception as exc:
        with pytest.raises(type(exc)):
            compiled_kernels.clean(codes, positions, positions * 0, *tables, rules)
    else:
        got = compiled_kernels.clean(codes, positions, positions * 0, *tables, rules)
        assert all(np.array_equal(a, b) for a, b in zip(got, expected))
    assert compiled.FALLBACKS["clean"] == counted + 1
    strided = np.arange(6, dtype=np.int64)[::2]  # not C-contiguous
    got = compiled_kernels.passages(strided, strided * 0, strided, strided + 1, np.array([0, 7]), 64, flat, 1)
    expected = numba_kernels.passages(strided, strided * 0, strided, strided + 1, np.array([0, 7]), 64, flat, 1)
    assert all(np.array_equal(a, b) for a, b in zip(got, expected))


@pytest.fixture
def fresh_choice():
    """The backend is decided once per process; these tests decide it again, and leave it undecided."""
    compiled._backend.cache_clear()
    yield
    compiled._backend.cache_clear()


def test_a_build_from_other_sources_is_not_used(monkeypatch, compiled_kernels, fresh_choice):
    monkeypatch.setattr(compiled, "source_fingerprint", lambda directory=None: 12345)
    kernels, why = compiled.compiled_module()
    assert kernels is None and "other sources" in why
    with pytest.warns(RuntimeWarning, match="other sources"):
        assert compiled.backend() == "numba"
    compiled._backend.cache_clear()
    monkeypatch.setenv(compiled.BACKEND_ENV, "compiled")
    with pytest.raises(MlmriskError, match="other sources"):
        compiled.backend()


def test_the_backend_is_chosen_by_the_environment(monkeypatch, fresh_choice):
    monkeypatch.setenv(compiled.BACKEND_ENV, "numba")
    assert compiled.backend() == "numba" and compiled._backend()[1] is None
    compiled._backend.cache_clear()
    monkeypatch.setenv(compiled.BACKEND_ENV, "fast please")
    with pytest.raises(MlmriskError, match="auto, compiled or numba"):
        compiled.backend()


def test_the_fingerprint_covers_every_source_the_kernels_compile_in():
    """A constant imported by a kernel is compiled into the extension: its module must be in KERNEL_SOURCES."""
    here = REPO / "classifier"
    for name in ("kernels.py", "_normalize_kernels.py"):
        for node in ast.walk(ast.parse((here / name).read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("mlmrisk.classifier."):
                assert node.module.rsplit(".", 1)[1] + ".py" in compiled.KERNEL_SOURCES, node.module
    for name, export in compiled.EXPORTS.items():
        assert hasattr(importlib.import_module(f"mlmrisk.classifier.{export.module}"), name), name


def test_scoring_with_the_compiled_kernels_never_imports_numba(compiled_kernels):
    code = ("import sys; from mlmrisk import Scorer; s = Scorer.load(); s.score(['发展下线拿团队奖', '你好', 'x' * 900]); "
            "s.explain('静态收益加动态收益'); from mlmrisk.classifier.compiled import backend; "
            "assert backend() == 'compiled', backend(); assert 'numba' not in sys.modules, 'numba imported'")
    env = {k: v for k, v in os.environ.items() if k != compiled.BACKEND_ENV}
    subprocess.run([sys.executable, "-c", code], check=True, env=env)


def test_the_compiled_kernels_release_the_gil(compiled_kernels, scorer_parts):
    """Like the numba kernels (``nogil=True``), a compiled kernel lets other threads run Python while it works, so a
    program scoring from several threads is not serialised (setup.py makes pycc release the GIL)."""
    import threading
    import time

    tables, spec, hot = scorer_parts
    batch = normalize_batch(["加入我们发展下线团队奖金静态收益动态收益直推见点奖" * 4] * 20_000, tables)
    args = F._batch_args(batch, spec)
    call = lambda: compiled_kernels.best_passage_logits(  # noqa: E731
        args[0], batch.starts, *args[2:], spec.window, hot.table, hot.min_norm, hot.slope, hot.offset,
        spec.sentence_min_chars, 0.0)
    call()
    entering, span = threading.Event(), []

    def worker():
        start = time.perf_counter()
        entering.set()
        call()
        span.extend((start, time.perf_counter()))

    thread = threading.Thread(target=worker)
    thread.start()
    entering.wait()
    time.sleep(0.01)  # the worker is in the kernel; this thread wakes only once it can take the GIL again
    woke = time.perf_counter()
    thread.join()
    start, end = span
    assert end - start > 0.05, f"the kernel took only {end - start:.3f} s: too short to tell"
    assert start < woke < end - 0.02, (f"this thread woke {woke - start:.3f} s after the kernel started and "
                                       f"{woke - end:+.3f} s from its end: the kernel held the GIL")
