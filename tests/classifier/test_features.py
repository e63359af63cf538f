"""Hashed n-grams and passages: checked against a plain-Python statement of the formulas in classifier/features.py."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlmrisk.classifier.features import K1, K2, K3, SYLLABLE_BASE, FeatureSpec, _salt, hash_grams, passages, smoothed_idf
from mlmrisk.classifier.normalize import normalize_batch
from mlmrisk.classifier.pinyin import PinyinTables


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
