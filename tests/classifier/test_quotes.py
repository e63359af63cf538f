"""Quotation spans and quoted n-grams (classifier/quotes.py): read from the original text, mapped through the
normaliser's offsets, so evasion and folding in the text do not move them."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlmrisk.classifier.features import FeatureSpec, hash_grams
from mlmrisk.classifier.normalize import normalize_batch
from mlmrisk.classifier.quotes import NOT_QUOTED, QUOTE_BUCKETS, quote_index, quote_spans, quoted_positions


@pytest.mark.parametrize("text, inside", [
    ("警方提醒：“入会3800、拉3人回本”就是传销", ["入会3800、拉3人回本"]),
    ("「推荐一人奖800元」和『第二代400元』", ["推荐一人奖800元", "第二代400元"]),
    ('他说"不是传销"，又说＂国家支持＂', ["不是传销", "国家支持"]),
    ("「外层『内层』外层」", ["外层『内层』外层"]),
    ("〝日返1.5%〞", ["日返1.5%"]),
    ("没有配对的”引号和“开头", []),
    ("xi'an 和 《人民日报》 不是引语", []),
    ("空引号“”不算", []),
])
def test_quote_spans(text, inside):
    assert [text[a:b] for a, b in quote_spans(text)] == inside


def test_quoted_positions_follow_the_original_text(tables):
    """Traditional characters, full-width digits and separators inside the quote are normalised away; the
    positions still say which normalised characters came from inside the quotation."""
    texts = ["警方：“發.展.下.綫，交３８００元”是传销", "没有引号的推广：发展下线交3800元", "“全部在引号里”"]
    batch = normalize_batch(texts, tables)
    inside = quoted_positions(batch, texts)
    for d, text in enumerate(texts):
        a, b = batch.starts[d], batch.starts[d + 1] - 1
        spans = quote_spans(text)
        for k in range(a, b):
            o = batch.origin[k]
            assert inside[k] == any(s <= o < e for s, e in spans)
        assert not inside[b]  # the separator
    assert inside[batch.starts[0] : batch.starts[1] - 1].sum() == 7  # 发展下线交0元 (digit runs fold to 0)
    assert not inside[batch.starts[1] : batch.starts[2]].any()
    assert inside[batch.starts[2] : batch.starts[3] - 1].all()
    with pytest.raises(ValueError):
        quoted_positions(batch, texts[:2])


def test_quote_index(tables, default_model):
    import json

    spec = FeatureSpec.from_dict(json.loads((default_model / "manifest.json").read_text(encoding="utf-8"))["features"])
    texts = ["有人说“拉人头有奖励”，这是传销", "拉人头有奖励", ""]
    batch = normalize_batch(texts, tables)
    grams = hash_grams(batch, spec)
    index = quote_index(grams, batch, texts, spec.n_buckets)
    assert index.shape == grams.bucket.shape and index.dtype == np.int64
    quoted = index != NOT_QUOTED
    assert quoted[grams.doc == 0].any() and not quoted[grams.doc == 1].any()
    assert (index[quoted] == grams.bucket[quoted] % QUOTE_BUCKETS).all()
    # every quoted gram lies wholly inside the quotation; a gram across its edge is not quoted
    inside = quoted_positions(batch, texts)
    assert np.array_equal(quoted, inside[grams.start] & inside[grams.end - 1])
    assert (~quoted[(grams.doc == 0)]).any()
    # the same quotation's grams get the same rows whatever surrounds them
    alone = ["“拉人头有奖励”"]
    b2 = normalize_batch(alone, tables)
    g2 = hash_grams(b2, spec)
    i2 = quote_index(g2, b2, alone, spec.n_buckets)
    assert set(i2[i2 != NOT_QUOTED].tolist()) <= set(index[quoted].tolist())


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from(list("“”‘’「」『』\"＂〝〞'《》发展下线a1 ，\u200b")), max_size=40),
                min_size=1, max_size=6))
def test_quotes_never_fail(tables, texts):
    spans = [quote_spans(t) for t in texts]
    for t, s in zip(texts, spans):
        assert all(0 <= a < b <= len(t) for a, b in s)
        assert all(b1 <= a2 for (_, b1), (a2, _) in zip(s, s[1:]))  # disjoint, in order
    batch = normalize_batch(texts, tables)
    inside = quoted_positions(batch, texts)
    assert inside.shape == batch.codes.shape
