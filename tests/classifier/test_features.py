"""Hashed n-grams: checked against a plain-Python statement of the formula in classifier/features.py."""

from __future__ import annotations

import numpy as np
import pytest

from mlmrisk.classifier.features import HASH_A1, HASH_A2, HASH_SALTS, N_BUCKETS, hash_grams, smoothed_idf
from mlmrisk.classifier.normalize import normalize_batch


def reference_buckets(text: str) -> list[tuple[int, int, int]]:
    """(start, length, bucket) of every n-gram, straight from the docstring's formula."""
    out = []
    codes = [ord(c) for c in text]
    for n in (1, 2, 3):
        for i in range(len(codes) - n + 1):
            r = (codes[i] * HASH_A1) % N_BUCKETS
            for j in range(1, n):
                r = (r * HASH_A2 + codes[i + j]) % N_BUCKETS
            out.append((i, n, (r + HASH_SALTS[n]) % N_BUCKETS))
    return out


def test_hash_matches_formula_and_never_crosses_posts(tables):
    texts = ["发展下线", "ab", "", "团队奖金"]
    batch = normalize_batch(texts, tables)
    grams = hash_grams(batch.codes)
    found = set()
    for bucket, position, length, valid in zip(grams.bucket, grams.position, grams.length, grams.valid):
        if not valid:
            assert bucket == N_BUCKETS
            continue
        doc = batch.doc[position]
        assert batch.doc[position + length - 1] == doc, "an n-gram crossed a post end"
        found.add((int(doc), int(position - batch.starts[doc]), int(length), int(bucket)))
    expected = {(d, s, n, b) for d, t in enumerate(texts) for s, n, b in reference_buckets(batch.text(d))}
    assert found == expected


def test_buckets_in_range_for_any_code_point():
    codes = np.array([1, 0x10FFFF, 0x4E00, 0, 0x10FFFF, 0x10FFFF, 0x10FFFF, 0], dtype=np.int64)
    grams = hash_grams(codes)
    assert grams.bucket.min() >= 0 and grams.bucket.max() <= N_BUCKETS


def test_idf_matches_scikit_learn_formula():
    df = np.array([0, 1, 5, 10])
    assert np.allclose(smoothed_idf(df, 10), np.log(11 / (1 + df)) + 1)


@pytest.mark.parametrize("rows", [[0], [3], [5], [0, 3, 5], [1, 2], [2], [5, 0], [0, 1, 2, 3, 4, 5]])
def test_gram_rows_of_a_sub_batch_index_the_batch_layout(tables, rows):
    """Evidence reuses the batch's per-n-gram rows for its flagged posts: the index must hit the same n-grams."""
    from mlmrisk.classifier.features import gram_rows_of, hash_grams
    from mlmrisk.classifier.normalize import normalize_batch

    batch = normalize_batch(["发展下线", "a", "", "静态收益加动态收益", "你好吗", "x"], tables)
    whole = hash_grams(batch.codes)
    sub = hash_grams(batch.select(rows).codes)
    index = gram_rows_of(batch.positions(rows), batch.codes.size)
    present = index >= 0
    assert not sub.valid[~present].any()
    assert np.array_equal(whole.valid[index[present]], sub.valid[present])
    assert np.array_equal(whole.bucket[index[present]], sub.bucket[present])
