"""Hashed n-grams and passages: checked against a plain-Python statement of the formulas in classifier/features.py."""

from __future__ import annotations

import dataclasses
import functools
import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dataclasses import dataclass

from mlmrisk.classifier.features import (K1, K2, K3, SYLLABLE_BASE, FeatureSpec, Grams, Passages, _salt, feeds,
                                         hash_grams, passages, smoothed_idf)
from mlmrisk.classifier.normalize import NEWLINE, SEPARATOR, SPACE, NormalizedBatch, normalize_batch
from mlmrisk.classifier.pinyin import LATIN_A, LATIN_Z, NO_SYLLABLE, PinyinTables


@pytest.fixture(scope="module")
def pinyin():
    readings = {ord(c): s for c, s in zip("发展下线微信薇威芯动态收益", ["fa", "zhan", "xia", "xian", "wei", "xin", "wei",
                                                                "wei", "xin", "dong", "tai", "shou", "yi"])}
    readings.update({ord("西"): "xi", ord("安"): "an"})
    return PinyinTables.from_spec(PinyinTables.spec_from_readings(readings))


@pytest.fixture(scope="module")
def spec(pinyin):
    return FeatureSpec(bucket_bits=20, char_orders=(1, 2, 3, 4), pinyin_orders=(1, 2, 3), window=8,
                       min_norm=3.0, pinyin=pinyin)


MASK = (1 << 64) - 1


def reference_hash(symbols: list[int], channel: int, bits: int) -> int:
    """The docstring's formula in plain Python integers (wrapping made explicit with a 64-bit mask)."""
    k1, k2, k3 = int(K1), int(K2), int(K3)
    h = symbols[0] * k1 & MASK
    for x in symbols[1:]:
        h = ((h * k2) & MASK) ^ (x * k1 & MASK)
    h = ((((h ^ (h >> 31)) * k3) & MASK) + int(_salt(channel, len(symbols)))) & MASK
    return h >> (64 - bits)


def reference_grams(text: str, syllables: list[tuple[int, int, int]], spec: FeatureSpec) -> set:
    """(channel, start, end, bucket) of every gram of one normalised post, straight from the docstring."""
    out = set()
    codes = [ord(c) for c in text]
    for n in spec.char_orders:
        for i in range(len(codes) - n + 1):
            out.add((i, i + n, reference_hash(codes[i : i + n], 0, spec.bucket_bits)))
    content = [c not in " \n" for c in text]
    for n in spec.pinyin_orders:
        for i in range(len(syllables) - n + 1):
            run = syllables[i : i + n]
            if all(not any(content[run[k][2] : run[k + 1][1]]) for k in range(n - 1)):
                out.add((run[0][1], run[-1][2], reference_hash([SYLLABLE_BASE + s for s, _, _ in run], 1,
                                                                spec.bucket_bits)))
    return out


def test_hash_matches_formula_and_never_crosses_posts(tables, spec, pinyin):
    texts = ["发展下线", "ab", "", "薇信 动态收益", "fa zhan xia xian", "xian"]
    batch = normalize_batch(texts, tables)
    grams = hash_grams(batch, spec)
    found: dict[int, set] = {d: set() for d in range(len(texts))}
    for bucket, doc, start, end in zip(grams.bucket, grams.doc, grams.start, grams.end):
        assert batch.doc[end - 1] == doc, "an n-gram crossed a post end"
        base = batch.starts[doc]
        found[int(doc)].add((int(start - base), int(end - base), int(bucket)))
    for d in range(len(texts)):
        text = batch.text(d)
        syllables = []
        i = 0
        while i < len(text):
            if text[i].isascii() and text[i].isalpha():
                j = i
                while j < len(text) and text[j].isascii() and text[j].isalpha():
                    j += 1
                syllables += [(s, i + a, i + b) for s, a, b in pinyin.split_latin(text[i:j])]
                i = j
                continue
            syllable = int(pinyin.char_syllable[ord(text[i])])
            if syllable >= 0:
                syllables.append((syllable, i, i + 1))
            i += 1
        assert found[d] == reference_grams(text, syllables, spec), text


def test_pinyin_spellings_meet_the_characters(tables, spec):
    """fa zhan xia xian, 发zhan下xian and 发展下线 share every syllable n-gram; xian is 线, not 西安."""
    batch = normalize_batch(["发展下线", "fa zhan xia xian", "发zhan下xian", "xian", "西安"], tables)
    grams = hash_grams(batch, spec)
    char_buckets = set(hash_grams(normalize_batch(["发展下线"], tables),
                                  FeatureSpec(spec.bucket_bits, spec.char_orders, (), spec.window, 1.0, None)).bucket)
    per_doc = [set(grams.bucket[grams.doc == d]) - char_buckets for d in range(5)]
    assert per_doc[0] <= per_doc[1] and per_doc[0] <= per_doc[2] and len(per_doc[0]) == 4 + 3 + 2
    assert per_doc[3] != per_doc[4], "xian splits as one syllable"


FOLD = ("zh-=z-", "ch-=c-", "sh-=s-", "-ing=-in", "-eng=-en", "-ang=-an")


def test_fold_rules_fold_one_initial_and_one_final():
    from mlmrisk.classifier.pinyin import fold_syllable, parse_fold_rules

    rules = parse_fold_rules(FOLD)
    folded = {s: fold_syllable(s, rules) for s in ["xing", "zhang", "shuang", "ang", "zhi", "xin", "er", "n"]}
    assert folded == {"xing": "xin", "zhang": "zan", "shuang": "suan", "ang": "an", "zhi": "zi", "xin": "xin",
                      "er": "er", "n": "n"}
    assert fold_syllable("zhang", parse_fold_rules(["z-=j-", "zh-=z-"])) == "zang", "the longest initial wins"
    for bad in ["zh=z", "-ing=in-", "ZH-=z-", "zh-", "1-=z-", "-ing=-i1"]:
        with pytest.raises(ValueError):
            parse_fold_rules([bad])


def test_folded_tables_put_near_homophones_in_one_class(tables):
    """卫星 (wei xing) and 唞鹰 (dou ying) meet 微信 / 抖音 in every syllable n-gram, Latin spellings included; without
    rules the spec is exactly the unfolded one (old manifests stay as they are)."""
    readings = {ord(c): s for c, s in zip("卫星微信唞鹰抖音心", ["wei", "xing", "wei", "xin", "dou", "ying", "dou", "yin",
                                                          "xin"])}
    plain_spec = PinyinTables.spec_from_readings(readings)
    assert "classes" not in plain_spec and PinyinTables.spec_from_readings(readings, ()) == plain_spec
    folded = PinyinTables.from_spec(PinyinTables.spec_from_readings(readings, FOLD))
    plain = PinyinTables.from_spec(plain_spec)
    assert folded.char_syllable[ord("星")] == folded.char_syllable[ord("信")] == folded.char_syllable[ord("心")]
    assert plain.char_syllable[ord("星")] != plain.char_syllable[ord("信")]
    assert [s for s, _, _ in folded.split_latin("weixing")] == [s for s, _, _ in folded.split_latin("weixin")]
    spec = FeatureSpec(bucket_bits=20, char_orders=(), pinyin_orders=(1, 2), window=8, min_norm=1.0, pinyin=folded)
    batch = normalize_batch(["卫星", "微信", "weixing", "唞鹰", "抖音", "douyin"], tables)
    grams = hash_grams(batch, spec)
    per_doc = [set(grams.bucket[grams.doc == d].tolist()) for d in range(6)]
    assert per_doc[0] == per_doc[1] == per_doc[2] and per_doc[3] == per_doc[4] == per_doc[5]
    assert per_doc[0] != per_doc[3]
    n = len(plain_spec["syllables"])
    for bad in ([0], [40000] * n, [0.5] * n, [-1] * n, [True] * n, "0" * n):
        with pytest.raises(ValueError):
            PinyinTables.from_spec({**plain_spec, "classes": bad})
    with pytest.raises(ValueError):  # a character's syllable id beyond the listed syllables
        PinyinTables.from_spec({**plain_spec, "syllables": plain_spec["syllables"][:-1], "classes": [0] * (n - 1)})


def test_buckets_in_range_for_any_code_point(tables, spec):
    batch = normalize_batch(["\U0010ffff" * 5, "\x01", "发" * 3], tables)
    grams = hash_grams(batch, spec)
    assert grams.bucket.min() >= 0 and grams.bucket.max() < spec.n_buckets


def test_idf_matches_scikit_learn_formula():
    df = np.array([0, 1, 5, 10])
    assert np.allclose(smoothed_idf(df, 10), np.log(11 / (1 + df)) + 1)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet="发展下线ab 。x", max_size=40), min_size=1, max_size=6))
def test_passages_contain_their_grams_and_cover_every_post(tables, spec, texts):
    batch = normalize_batch(texts, tables)
    grams = hash_grams(batch, spec)
    membership = passages(grams, batch, spec.window)
    lengths = np.diff(batch.starts) - 1
    assert set(membership.passage_doc.tolist()) == set(range(len(texts))), "every post has a passage"
    for g, q in zip(membership.gram, membership.passage):
        d = grams.doc[g]
        assert membership.passage_doc[q] == d
        local_start, local_end = grams.start[g] - batch.starts[d], grams.end[g] - batch.starts[d]
        assert membership.passage_start[q] <= local_start and local_end <= membership.passage_end[q]
        assert membership.passage_end[q] - membership.passage_start[q] <= spec.window
    for d in range(len(texts)):
        inside = np.flatnonzero(grams.doc == d)
        covered = set(membership.gram[np.isin(membership.passage, np.flatnonzero(membership.passage_doc == d))].tolist())
        if lengths[d] <= spec.window:
            assert covered == set(inside.tolist()), "a short post is one passage holding every gram"
        else:
            # every gram no longer than half a window lies wholly inside one of the two tilings
            short = [g for g in inside if grams.end[g] - grams.start[g] <= spec.window // 2]
            assert set(short) <= covered



def assert_same(kernel, oracle, fields):
    for field in fields:
        got, want = getattr(kernel, field), getattr(oracle, field)
        assert got.dtype == want.dtype and np.array_equal(got, want), field


SPECS = [((1, 2, 3, 4), (1, 2, 3), 8, 0), ((2, 4), (1, 3), 4, 2), ((1, 2, 3, 4), (), 16, 3), ((), (2,), 2, 0),
         ((3,), (1, 2, 3), 64, 1), ((1, 2, 3, 4), (1, 2, 3), 8, 4)]


@settings(max_examples=300, deadline=None)
@given(texts=st.lists(st.text(alphabet="发展下线薇信西安ab xianfzhwei。\n,X0㐀", max_size=60), max_size=8),
       which=st.integers(0, len(SPECS) - 1))
def test_kernels_reproduce_the_numpy_implementation(tables, pinyin, texts, which):
    """Same grams (bucket, doc, start, end, in order), same passages, same feeds as the numpy implementation."""
    char_orders, pinyin_orders, window, sentence_min = SPECS[which]
    spec = FeatureSpec(bucket_bits=12, char_orders=char_orders, pinyin_orders=pinyin_orders, window=window,
                       pinyin=pinyin if pinyin_orders else None, sentence_min_chars=sentence_min)
    batch = normalize_batch(texts, tables)
    want = numpy_hash_grams(batch, spec)
    grams = hash_grams(batch, spec)
    assert_same(grams, want, ("bucket", "doc", "start", "end"))
    want_membership = numpy_passages(want, batch, spec.window, sentence_min)
    membership_fields = ("gram", "passage", "passage_doc", "passage_start", "passage_end")
    assert_same(passages(grams, batch, spec.window, sentence_min), want_membership, membership_fields)
    bucket, passage, passage_doc, fused_grams, membership = feeds(batch, spec)
    assert_same(fused_grams, want, ("bucket", "doc", "start", "end"))
    assert_same(membership, want_membership, membership_fields)
    assert np.array_equal(bucket, want.bucket[want_membership.gram]) and bucket.dtype == np.int64
    assert np.array_equal(passage, want_membership.passage)
    assert np.array_equal(passage_doc, want_membership.passage_doc)


def test_kernels_on_any_code_point(tables, spec):
    """Code points above the BMP, control characters, long Latin runs (not segmented), an empty batch."""
    for texts in (["\U0010ffff" * 5, "\x01", "发" * 3, "a" * 41 + " fa" * 30, "z" * 40, "。\n！发展。\n\n" * 9],
                  [], [""], ["\n"]):
        batch = normalize_batch(texts, tables)
        want = numpy_hash_grams(batch, spec)
        assert_same(hash_grams(batch, spec), want, ("bucket", "doc", "start", "end"))
        for sentence_min in (0, 1, 2):
            assert_same(passages(want, batch, spec.window, sentence_min),
                        numpy_passages(want, batch, spec.window, sentence_min),
                        ("gram", "passage", "passage_doc", "passage_start", "passage_end"))


def test_a_sentence_is_a_passage_of_its_own(tables, spec):
    """A pitch on its own line inside a long post gets a passage spanning exactly that line, after the windows;
    sentences shorter than the minimum and posts without a boundary get none."""
    pitch = "交368元入会推荐三人回本"
    text = "今天天气很好我们去公园散步了" * 6 + "\n" + pitch + "\n好的。"
    batch = normalize_batch([text, "没有句界的短帖子"], tables)
    grams = hash_grams(batch, spec)
    windows = passages(grams, batch, spec.window)
    membership = passages(grams, batch, spec.window, 6)
    # the first line and the pitch are sentence passages; 好的 has 2 content characters
    assert membership.passage_doc.size == windows.passage_doc.size + 2
    q = int(np.flatnonzero(membership.passage_doc == 0)[-1])
    start, end = int(membership.passage_start[q]), int(membership.passage_end[q])
    assert batch.text(0)[start:end] == normalize_batch([pitch], tables).text(0)
    inside = membership.gram[membership.passage == q]
    assert inside.size and (grams.start[inside] - batch.starts[0] >= start).all()
    assert (grams.end[inside] - batch.starts[0] <= end).all()
    assert np.count_nonzero(membership.passage_doc == 1) == 1
    short = normalize_batch([pitch + "\n今天天气很好我们去公园散步了"], tables)  # fits one window: scored whole
    assert passages(hash_grams(short, spec), short, 64, 6).passage_doc.size == 1


def test_importing_features_compiles_nothing():
    """numba is imported (and the kernels compiled or loaded from cache) on first use, not on import."""
    import subprocess
    import sys

    code = ("import sys, mlmrisk, mlmrisk.classifier.features, mlmrisk.serving.scorer; "
            "assert 'numba' not in sys.modules, 'numba imported'")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_kernels_work_without_a_writable_cache(tmp_path):
    """No writable cache location (read-only install, no home): the kernels compile in memory and still work."""
    import os
    import subprocess
    import sys

    code = ("import numpy as np; from mlmrisk.classifier import kernels; "
            "b, d, s, e = kernels.hash_grams(np.array([20320, 22909, 0]), np.zeros(3, dtype=np.int64), "
            "np.array([False, True, True]), np.zeros(0, dtype=bool), np.zeros(0, dtype=np.int16), "
            "*(np.zeros(0, dtype=np.int64),) * 3, np.zeros(0, dtype=np.uint8), np.ones((2, 3), dtype=np.uint64), 20, 0); "
            "assert list(s) == [0, 1, 0] and list(e) == [1, 2, 2], (s, e)")
    unwritable = "/proc/mlmrisk-numba-cache"  # mkdir fails there, even as root
    env = dict(os.environ, NUMBA_CACHE_DIR=unwritable, NUMBA_CACHE_LOCATOR_CLASSES="UserProvidedCacheLocator")
    subprocess.run([sys.executable, "-c", code], check=True, env=env, cwd=tmp_path)


# --- the oracle: the numpy implementation the kernels replaced (classifier/features.py and classifier/pinyin.py
# before classifier/kernels.py), kept verbatim apart from names; the kernels must reproduce its arrays exactly.

_SHIFT31 = np.uint64(31)


@dataclass(frozen=True)
class Syllables:
    """Event arrays of a batch, sorted by position: syllable id, flat start, flat end (exclusive), post."""

    syllable: np.ndarray  # int64[E]
    start: np.ndarray  # int64[E]
    end: np.ndarray  # int64[E]
    doc: np.ndarray  # int64[E]


def syllable_events(batch: NormalizedBatch, tables: PinyinTables) -> "Syllables":
    """Syllable events of every post of a batch (see the module docstring)."""
    codes = batch.codes
    char_syllable = tables.char_syllable[codes]
    cjk = np.flatnonzero(char_syllable != NO_SYLLABLE)
    syllable = [char_syllable[cjk].astype(np.int64)]
    start = [cjk]
    latin = (codes >= LATIN_A) & (codes <= LATIN_Z)
    if latin.any():
        edges = np.diff(np.concatenate(([0], latin.view(np.int8), [0])))
        run_starts = np.flatnonzero(edges == 1)
        run_ends = np.flatnonzero(edges == -1)
        long_enough = run_ends - run_starts >= 2
        extra_syllables, extra_starts, extra_ends = [], [], []
        starts_, ends_ = run_starts[long_enough].tolist(), run_ends[long_enough].tolist()
        # one decode for the batch; runs are slices of it (a decode per run cost more than splitting them)
        flat = codes.astype(np.uint32).tobytes().decode("utf-32-le", "surrogatepass") if starts_ else ""
        for a, b in zip(starts_, ends_):
            for syl, s, e in tables.split_latin(flat[a:b]):
                extra_syllables.append(syl)
                extra_starts.append(a + s)
                extra_ends.append(a + e)
        if extra_syllables:
            syllable.append(np.asarray(extra_syllables, dtype=np.int64))
            start.append(np.asarray(extra_starts, dtype=np.int64))
            end_latin = np.asarray(extra_ends, dtype=np.int64)
        else:
            end_latin = np.zeros(0, dtype=np.int64)
    else:
        end_latin = np.zeros(0, dtype=np.int64)
    syllable_all = np.concatenate(syllable)
    start_all = np.concatenate(start)
    end_all = np.concatenate([cjk + 1, end_latin])
    if len(start) > 1:
        order = np.argsort(start_all, kind="stable")
        syllable_all, start_all, end_all = syllable_all[order], start_all[order], end_all[order]
    return Syllables(syllable_all, start_all, end_all, batch.doc[start_all] if start_all.size else start_all)


def adjacent_pairs(events: Syllables, content_before: np.ndarray) -> np.ndarray:
    """bool[E-1]: event k and k+1 are adjacent (same post, only separators between them).

    ``content_before[i]`` counts content characters (not separators) in ``codes[:i]``.
    """
    if events.start.size < 2:
        return np.zeros(0, dtype=bool)
    same_doc = events.doc[1:] == events.doc[:-1]
    between = content_before[events.start[1:]] - content_before[events.end[:-1]]
    return same_doc & (between == 0)


def _grams(symbols: np.ndarray, orders: tuple[int, ...], valid_pair: np.ndarray | None, is_symbol: np.ndarray | None,
           channel: int, bits: int) -> list[tuple[int, np.ndarray, np.ndarray]]:
    """(order, bucket, first index) of every gram of each order in ``orders`` over a symbol sequence.

    ``symbols`` are already multiplied by K1 (uint64). An ``order``-gram starting at i is valid when every symbol
    in it is (``is_symbol``, None: all are) and every consecutive pair in it may be joined (``valid_pair[i]`` for
    symbols i, i+1; None: all may). The rolling hash runs on contiguous slices (no gathers) and only the valid
    grams are mixed.
    """
    out = []
    h = symbols
    ok = is_symbol if is_symbol is not None else np.ones(symbols.size, dtype=bool)
    for order in range(1, max(orders, default=0) + 1):
        if order > 1:
            if h.size < 2:
                break
            h = (h[:-1] * K2) ^ symbols[order - 1 :]
            step = is_symbol[order - 1 :] if is_symbol is not None else True
            ok = ok[:-1] & step
            if valid_pair is not None:
                ok = ok & valid_pair[order - 2 :]
        if order in orders:
            first = np.flatnonzero(ok)
            v = h[first]
            bucket = ((v ^ (v >> _SHIFT31)) * K3 + _salt(channel, order)) >> np.uint64(64 - bits)
            out.append((order, bucket.astype(np.int64), first))
    return out


def numpy_hash_grams(batch: NormalizedBatch, spec: FeatureSpec) -> Grams:
    """All n-gram occurrences of a normalised batch (see the module docstring for the formula)."""
    codes = batch.codes
    buckets, starts, ends = [], [], []
    if spec.char_orders and codes.size:
        symbols = codes.astype(np.uint64) * K1
        for order, bucket, first in _grams(symbols, spec.char_orders, None, codes != SEPARATOR, 0, spec.bucket_bits):
            buckets.append(bucket)
            starts.append(first)
            ends.append(first + order)
    if spec.pinyin_orders and spec.pinyin is not None and codes.size:
        events = syllable_events(batch, spec.pinyin)
        if events.start.size:
            content = (codes != SEPARATOR) & (codes != SPACE) & (codes != NEWLINE)
            content_before = np.concatenate(([0], np.cumsum(content)))
            adjacent = adjacent_pairs(events, content_before)
            symbols = (events.syllable + SYLLABLE_BASE).astype(np.uint64) * K1
            for order, bucket, first in _grams(symbols, spec.pinyin_orders, adjacent, None, 1, spec.bucket_bits):
                buckets.append(bucket)
                starts.append(events.start[first])
                ends.append(events.end[first + order - 1])
    if not buckets:
        empty = np.zeros(0, dtype=np.int64)
        return Grams(empty, empty, empty, empty)
    start = np.concatenate(starts)
    return Grams(np.concatenate(buckets), batch.doc[start] if start.size else start, start, np.concatenate(ends))


def numpy_passages(grams: Grams, batch: NormalizedBatch, window: int, sentence_min: int = 0) -> Passages:
    """The windows of ``numpy_window_passages`` and, with ``sentence_min`` > 0, the sentence passages, stated in
    plain Python: every sentence (text between two ``\\n``) of a post longer than ``window`` with a ``\\n`` that
    has ``sentence_min`` content characters is a passage after the post's windows, holding the grams wholly inside
    it."""
    base = numpy_window_passages(grams, batch, window)
    if not sentence_min:
        return base
    n = batch.n_docs
    spans: list[list[tuple[int, int]]] = []
    for d in range(n):
        text, mine, begin = batch.text(d), [], 0
        if "\n" in text and len(text) > window:
            for piece in text.split("\n"):
                if sum(ch not in " \n" for ch in piece) >= sentence_min:
                    mine.append((begin, begin + len(piece)))
                begin += len(piece) + 1
        spans.append(mine)
    old_per = np.bincount(base.passage_doc, minlength=n)
    new_per = old_per + np.array([len(x) for x in spans], dtype=np.int64)
    old_first = np.concatenate([[0], np.cumsum(old_per)])
    new_first = np.concatenate([[0], np.cumsum(new_per)]).astype(np.int64)
    renumber = new_first[base.passage_doc] + np.arange(base.passage_doc.size) - old_first[base.passage_doc]
    passage_doc = np.repeat(np.arange(n, dtype=np.int64), new_per)
    p_start = np.zeros(passage_doc.size, dtype=np.int64)
    p_end = np.zeros(passage_doc.size, dtype=np.int64)
    p_start[renumber], p_end[renumber] = base.passage_start, base.passage_end
    for d in range(n):
        for j, (a, b) in enumerate(spans[d]):
            p_start[new_first[d] + old_per[d] + j], p_end[new_first[d] + old_per[d] + j] = a, b
    gram, passage = [], []
    for g in range(len(grams)):
        d = int(grams.doc[g])
        s, e = grams.start[g] - batch.starts[d], grams.end[g] - batch.starts[d]
        for j, (a, b) in enumerate(spans[d]):
            if a <= s and e <= b:
                gram.append(g)
                passage.append(new_first[d] + old_per[d] + j)
    return Passages(np.concatenate([base.gram, np.array(gram, dtype=np.int64)]),
                    np.concatenate([renumber[base.passage], np.array(passage, dtype=np.int64)]),
                    passage_doc, p_start, p_end)


def numpy_window_passages(grams: Grams, batch: NormalizedBatch, window: int) -> Passages:
    """Passage membership of every gram (see the module docstring): one passage per short post, two overlapping
    tilings of ``window`` characters for longer ones.

    Most posts are short, so the per-gram arithmetic runs on the grams of long posts only.
    """
    n = batch.n_docs
    length = np.diff(batch.starts) - 1  # characters per post
    long = length > window
    if not long.any():
        # one passage per post, numbered like the posts: every gram is in its post's passage
        return Passages(np.arange(len(grams), dtype=np.int64), grams.doc, np.arange(n, dtype=np.int64),
                        np.zeros(n, dtype=np.int64), length)
    half = window // 2
    n_a = np.maximum(1, -(-length // window))  # ceil; an empty post still has one passage
    n_b = np.where(long, (length + half + window - 1) // window, 0)
    per_doc = n_a + n_b
    first = np.zeros(n + 1, dtype=np.int64)
    first[1:] = np.cumsum(per_doc)
    passage_doc = np.repeat(np.arange(n, dtype=np.int64), per_doc)
    local = np.arange(int(first[-1]), dtype=np.int64) - first[passage_doc]
    in_b = local >= n_a[passage_doc]
    k = np.where(in_b, local - n_a[passage_doc], local)
    p_start = np.maximum(np.where(in_b, k * window - half, k * window), 0)
    p_end = np.minimum(np.where(in_b, (k + 1) * window - half, (k + 1) * window), length[passage_doc])
    p_end = np.where(long[passage_doc], p_end, length[passage_doc])
    if len(grams) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return Passages(empty, empty, passage_doc, p_start, p_end)
    in_long = long[grams.doc]
    short_rows = np.flatnonzero(~in_long)
    long_rows = np.flatnonzero(in_long)
    doc = grams.doc[long_rows]
    base = batch.starts[doc]
    s = grams.start[long_rows] - base
    e = grams.end[long_rows] - base - 1  # last character of the gram
    shift = window.bit_length() - 1  # window is a power of two: shifts instead of (slow) integer division
    a_index = s >> shift
    in_a = (e >> shift) == a_index
    b_index = (s + half) >> shift
    in_b_tiling = ((e + half) >> shift) == b_index
    gram = np.concatenate([short_rows, long_rows[in_a], long_rows[in_b_tiling]])
    passage = np.concatenate([first[grams.doc[short_rows]], first[doc[in_a]] + a_index[in_a],
                              first[doc[in_b_tiling]] + n_a[doc[in_b_tiling]] + b_index[in_b_tiling]])
    return Passages(gram, passage, passage_doc, p_start, p_end)


_SYLLABLE_PIECES = ["fa", "zhan", "xia", "xian", "xi", "an", "wei", "xin", "dong", "tai", "shou", "yi", "zhuang",
                    "lv", "er", "n", "g", "q", "v", "a", "e", "o"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(_SYLLABLE_PIECES), st.text(alphabet="abcdefghijklmnopqrstuvwxyz",
                                                                        max_size=8),
                          st.sampled_from([" ", "发", "1", "\u3000", "x" * 41])), max_size=30))
def test_compiled_latin_splitter_equals_split_latin(pieces):
    """``kernels.latin_events`` (all runs at once, numba) against ``PinyinTables.split_latin`` run by run, on the
    shipped model's syllable inventory: same events, same order, including runs too long to split."""
    from mlmrisk.classifier.pinyin import MAX_LATIN_RUN, latin_events

    tables = _shipped_pinyin()
    text = "".join(pieces)
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
    expected = []
    i = 0
    while i < len(text):
        if "a" <= text[i] <= "z":
            j = i
            while j < len(text) and "a" <= text[j] <= "z":
                j += 1
            if 2 <= j - i <= MAX_LATIN_RUN:
                expected += [(s, i + a, i + b) for s, a, b in tables.split_latin(text[i:j])]
            i = j
        else:
            i += 1
    syllable, start, end = latin_events(codes, tables)
    assert list(zip(syllable.tolist(), start.tolist(), end.tolist())) == expected


@functools.lru_cache(maxsize=1)
def _shipped_pinyin() -> PinyinTables:
    from mlmrisk.resources import default_model_dir

    manifest = json.loads((default_model_dir() / "manifest.json").read_text(encoding="utf-8"))
    return PinyinTables.from_spec(manifest["features"]["pinyin"])


def test_best_passage_rows_picks_each_posts_first_maximum():
    """One rule for training and serving: per post, the highest value, the first row among equals."""
    from mlmrisk.classifier.features import best_passage_rows

    values = np.array([0.5, 2.0, 2.0, -1.0, 3.0, 3.0, 1.0])
    passage_doc = np.array([0, 0, 0, 1, 2, 2, 2])
    assert best_passage_rows(values, passage_doc).tolist() == [1, 3, 4]
    assert best_passage_rows(np.zeros(0), np.zeros(0, dtype=np.int64)).tolist() == []


def test_feature_spec_versions_round_trip(pinyin):
    """Without sentence passages the manifest's features are version 3, as before (older models keep their ids);
    with them version 4, which carries ``sentence_min_chars`` and is refused without it."""
    from mlmrisk.classifier.features import FEATURE_VERSION, SENTENCE_FEATURE_VERSION

    plain = FeatureSpec(pinyin=None, pinyin_orders=())
    written = plain.to_dict(None)
    assert written["version"] == FEATURE_VERSION and "sentence_min_chars" not in written
    assert FeatureSpec.from_dict(written).sentence_min_chars == 0
    sentences = FeatureSpec(pinyin=None, pinyin_orders=(), sentence_min_chars=8).to_dict(None)
    assert sentences["version"] == SENTENCE_FEATURE_VERSION
    assert FeatureSpec.from_dict(sentences).sentence_min_chars == 8
    with pytest.raises(ValueError, match="sentence_min_chars"):
        FeatureSpec.from_dict({**sentences, "sentence_min_chars": 0})
    with pytest.raises(ValueError, match="version 6"):
        FeatureSpec.from_dict({**sentences, "version": 6})
    with pytest.raises(ValueError, match="version 5 needs latin_syllables_only"):
        FeatureSpec.from_dict({**sentences, "version": 5})
    with pytest.raises(ValueError, match="sentence_min_chars"):
        FeatureSpec(pinyin=None, pinyin_orders=(), sentence_min_chars=-1)
    # a sentence discount is written only when set, and only beside sentence passages
    assert "sentence_discount" not in sentences and FeatureSpec.from_dict(sentences).sentence_discount == 0.0
    discounted = FeatureSpec(pinyin=None, pinyin_orders=(), sentence_min_chars=8, sentence_discount=1.5).to_dict(None)
    assert discounted["sentence_discount"] == 1.5 and FeatureSpec.from_dict(discounted).sentence_discount == 1.5
    assert FeatureSpec.from_dict({**written, "sentence_discount": 1.5}).sentence_discount == 0.0  # version 3
    for bad in (-1.0, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="sentence_discount"):
            FeatureSpec(pinyin=None, pinyin_orders=(), sentence_min_chars=8, sentence_discount=bad)
    with pytest.raises(ValueError, match="needs sentence passages"):
        FeatureSpec(pinyin=None, pinyin_orders=(), sentence_discount=1.0)


def test_sentence_passages_are_the_passages_after_a_posts_windows(tables, spec):
    """``sentence_passages`` marks exactly the passages ``passages`` adds for sentences (the rows beyond the
    window-only membership of each post), and ``passage_discounts`` gives them the spec's discount."""
    import dataclasses

    from mlmrisk.classifier.features import passage_discounts, sentence_passages

    texts = ["今天天气很好我们去公园散步了。" * 6 + "\n交368元入会推荐三人回本\n好的。", "短帖子。没有长度", "",
             "一二三四五六七八九十。" * 20]
    batch = normalize_batch(texts, tables)
    grams = hash_grams(batch, spec)
    windows = passages(grams, batch, spec.window)
    membership = passages(grams, batch, spec.window, 6)
    flags = sentence_passages(membership.passage_doc, batch.starts, spec.window)
    assert flags.sum() == membership.passage_doc.size - windows.passage_doc.size > 0
    assert np.array_equal(membership.passage_doc[~flags], windows.passage_doc)
    assert np.array_equal(membership.passage_start[~flags], windows.passage_start)
    discounted = dataclasses.replace(spec, sentence_min_chars=6, sentence_discount=0.5)
    cut = passage_discounts(membership.passage_doc, batch.starts, discounted)
    assert cut.dtype == np.float32 and np.array_equal(cut, np.where(flags, np.float32(0.5), np.float32(0)))
    assert not passage_discounts(windows.passage_doc, batch.starts, spec).any()


def test_feature_spec_version_5_reads_latin_pinyin_by_syllables(pinyin):
    """``latin_syllables_only`` is written as version 5 (with or without sentence passages) and needs the
    syllable channel; specs without it stay versions 3 / 4."""
    from mlmrisk.classifier.features import LATIN_FEATURE_VERSION

    tables_spec = PinyinTables.spec_from_readings({ord("发"): "fa", ord("展"): "zhan"})
    spec = FeatureSpec(pinyin=pinyin, latin_syllables_only=True)
    written = spec.to_dict(tables_spec)
    assert written["version"] == LATIN_FEATURE_VERSION and written["latin_syllables_only"] is True
    back = FeatureSpec.from_dict(written)
    assert back.latin_syllables_only and back.sentence_min_chars == 0
    both = FeatureSpec(pinyin=pinyin, latin_syllables_only=True, sentence_min_chars=8, sentence_discount=1.5)
    again = FeatureSpec.from_dict(both.to_dict(tables_spec))
    assert (again.sentence_min_chars, again.sentence_discount, again.latin_syllables_only) == (8, 1.5, True)
    assert "latin_syllables_only" not in FeatureSpec(pinyin=pinyin).to_dict(None)
    assert "latin_post_share" not in written
    gated = FeatureSpec(pinyin=pinyin, latin_syllables_only=True, latin_post_share=0.5)
    assert FeatureSpec.from_dict(gated.to_dict(tables_spec)).latin_post_share == 0.5
    with pytest.raises(ValueError, match="needs the syllable channel"):
        FeatureSpec(pinyin=None, pinyin_orders=(), latin_syllables_only=True)
    with pytest.raises(ValueError, match="needs latin_syllables_only"):
        FeatureSpec(pinyin=pinyin, latin_post_share=0.5)
    with pytest.raises(ValueError, match=r"must lie in \[0, 1\]"):
        FeatureSpec(pinyin=pinyin, latin_syllables_only=True, latin_post_share=1.5)


def test_latin_block_marks_runs_read_as_pinyin():
    """Runs whose syllables all have two letters or more are marked, whole, with a single space between two of
    them; a run with a one-letter syllable (``em`` → e m) is not."""
    from mlmrisk.classifier.features import latin_block

    # runs: [0, 4) mian | [5, 8) fei | [10, 12) e m (one-letter syllables) | [14, 20) xia xian
    start = np.array([0, 5, 10, 11, 14, 17])
    end = np.array([4, 8, 11, 12, 17, 20])
    codes = np.full(22, ord("x"))
    codes[[4, 8, 9, 12, 13, 20]] = SPACE  # mian fei  em  xiaxian: spaces at 4 (between two runs), 8–9, 12–13, 20
    block = latin_block(codes, start, end)
    assert block.dtype == np.uint8 and block.size == 22
    assert np.flatnonzero(block).tolist() == [0, 1, 2, 3, 4, 5, 6, 7, 14, 15, 16, 17, 18, 19]
    assert latin_block(codes[:5], np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)).size == 0
    assert latin_block(codes[:5], np.array([1, 2]), np.array([2, 3])).size == 0  # one-letter syllables: no block


def test_latin_post_share_blocks_only_posts_mostly_written_in_pinyin(tables, pinyin):
    """With ``latin_post_share`` a post written in pinyin reads as its syllables, as without the gate, while a
    Chinese post with a pinyin word keeps that word's character n-grams — in the same batch, so the gate is per
    post, not per batch."""
    plain = FeatureSpec(pinyin=pinyin)
    every = FeatureSpec(pinyin=pinyin, latin_syllables_only=True)
    gated = FeatureSpec(pinyin=pinyin, latin_syllables_only=True, latin_post_share=0.5)
    texts = ["fa zhan xia xian dong tai shou yi 888", "今天去看了很多朋友，大家说的fazhan很好", "fazhan很好"]
    batch = normalize_batch(texts, tables)

    def per_post(spec):
        g = hash_grams(batch, spec)
        return [sorted(g.bucket[g.doc == i].tolist()) for i in range(len(texts))]

    ours, blocked, kept = per_post(gated), per_post(every), per_post(plain)
    assert ours[0] == blocked[0] != kept[0]  # 28 of 31 content characters are pinyin: blocked
    assert ours[1] == kept[1] != blocked[1]  # 6 of 20: kept
    assert ours[2] == blocked[2] != kept[2]  # 6 of 8: blocked
    lone = normalize_batch(texts[1:2], tables)
    assert hash_grams(lone, gated).bucket.tolist() == hash_grams(lone, plain).bucket.tolist()


def test_a_post_in_pinyin_carries_the_syllable_grams_of_its_chinese_spelling(tables, pinyin):
    """With ``latin_syllables_only`` a post written in pinyin hashes to the syllable n-grams of its Chinese
    spelling and nothing else; a run with a one-letter syllable (QQ emoticon markup ``em``) and a run that is not
    pinyin (``vx``) keep their character n-grams; Chinese text is hashed exactly as without the option."""
    plain = FeatureSpec(pinyin=pinyin)
    latin = FeatureSpec(pinyin=pinyin, latin_syllables_only=True)
    chinese, spelled = "发展下线动态收益", "fa zhan xia xian dong tai shou yi"

    def grams(text, spec):
        return hash_grams(normalize_batch([text], tables), spec)

    ours = grams(spelled, latin)
    assert set(ours.bucket.tolist()) <= set(grams(chinese, plain).bucket.tolist())
    syllables_only = grams(chinese, dataclasses.replace(plain, char_orders=()))
    assert set(ours.bucket.tolist()) == set(syllables_only.bucket.tolist())
    assert grams(spelled, plain).bucket.size > 3 * ours.bucket.size  # Latin character grams outnumbered them
    for kept in ("[em]e163[/em]你好", "加vx详聊"):
        assert np.array_equal(grams(kept, latin).bucket, grams(kept, plain).bucket), kept
    mixed = "你fazhan的xiaxian交费"
    g = grams(mixed, latin)
    n_syllable = grams(mixed, dataclasses.replace(latin, char_orders=())).bucket.size
    n_char = g.bucket.size - n_syllable  # characters first, then syllables (hash_grams' order)
    text = normalize_batch([mixed], tables).text(0)
    latin_at = {i for i, c in enumerate(text) if "a" <= c <= "z"}
    char_spans = list(zip(g.start[:n_char].tolist(), g.end[:n_char].tolist()))
    assert char_spans and not any(latin_at & set(range(a, b)) for a, b in char_spans)
    # what is left are the character n-grams of 你, 的 and 交费 alone: 1 + 1 + 3 with orders 1–4
    assert n_char == 5 and n_syllable == grams(mixed, dataclasses.replace(plain, char_orders=())).bucket.size
    chinese_only = "今天天气不错一起去爬山吧"
    assert np.array_equal(grams(chinese_only, latin).bucket, grams(chinese_only, plain).bucket)
