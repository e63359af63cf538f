"""Evidence: whole-batch span selection equals the per-post rule, and spans snap to whole words."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from mlmrisk.classifier.evidence import MAX_SPANS, MIN_RELATIVE_WEIGHT, TOP_GRAMS, extract_evidence, select_spans
from mlmrisk.classifier.normalize import normalize_batch
from mlmrisk.classifier.word_snap import MAX_SNAP, SnapLexicon


def reference_spans(start, end, weight):
    """The rule for ONE post, written the plain way (sort, merge touching spans, filter)."""
    top = sorted(range(len(weight)), key=lambda i: -weight[i])[:TOP_GRAMS]
    top.sort(key=lambda i: start[i])
    merged = []
    for i in top:
        if merged and start[i] <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end[i])
            merged[-1][2] += weight[i]
        else:
            merged.append([start[i], end[i], weight[i]])
    merged.sort(key=lambda s: -s[2])
    longer = [m for m in merged if m[1] - m[0] > 1]
    merged = longer or merged
    if not merged:
        return []
    return [(s, e, w) for s, e, w in merged[:MAX_SPANS] if w >= MIN_RELATIVE_WEIGHT * merged[0][2]]


@pytest.mark.parametrize("prefilter_from", [0, 10**9])
@pytest.mark.parametrize("seed", range(20))
def test_batched_span_selection_equals_the_per_post_rule(seed, prefilter_from, monkeypatch):
    """With and without the prefilter of light n-grams (it must never change the result)."""
    import mlmrisk.classifier.evidence as module

    monkeypatch.setattr(module, "PREFILTER_MIN_CANDIDATES", prefilter_from)
    rng = np.random.default_rng(seed)
    n_docs = int(rng.integers(1, 12))
    docs, starts, ends, weights = [], [], [], []
    for d in range(n_docs):
        k = int(rng.integers(0, 40))
        s = rng.integers(0, 60, k)
        docs += [d] * k
        starts += s.tolist()
        ends += (s + rng.integers(1, 4, k)).tolist()
        # distinct weights: ties are ordered by layout in both versions, but distinct ones test the rule itself
        weights += (rng.permutation(k) + rng.random(k) * 0.5 + 0.01).tolist()
    got_doc, got_start, got_end, got_weight = select_spans(
        np.array(docs, dtype=np.int64), np.array(starts, dtype=np.int64), np.array(ends, dtype=np.int64),
        np.array(weights), n_docs)
    for d in range(n_docs):
        rows = [i for i, x in enumerate(docs) if x == d]
        expected = reference_spans([starts[i] for i in rows], [ends[i] for i in rows], [weights[i] for i in rows])
        mine = got_doc == d
        assert list(zip(got_start[mine].tolist(), got_end[mine].tolist())) == [(s, e) for s, e, _ in expected]
        assert got_weight[mine] == pytest.approx([w for _, _, w in expected])


def test_select_spans_on_nothing():
    empty = np.zeros(0, dtype=np.int64)
    doc, start, end, weight = select_spans(empty, empty, empty, np.zeros(0), 3)
    assert doc.size == start.size == end.size == weight.size == 0


LEXICON = SnapLexicon.from_words(["发展", "下线", "收益", "静态", "中华人民共和国", "x"])


@pytest.mark.parametrize("text,span,expected", [
    ("发展下线", (1, 3), (0, 4)),          # 展下 cuts both words → 发展下线
    ("发展下线", (0, 4), (0, 4)),          # already whole
    ("静态收益", (1, 2), (0, 2)),          # 态 → 静态
    ("天气很好", (1, 3), (1, 3)),          # no listed word: unchanged
    ("快来发展", (3, 4), (2, 4)),
])
def test_snap_widens_to_listed_words(text, span, expected):
    assert LEXICON.snap(text, *span) == expected


def test_snap_is_bounded_and_ignores_long_or_short_entries():
    assert len(LEXICON) == 4  # the 7-character word and the 1-character one are left out, not cut to fit
    assert "中华人民" not in LEXICON and "中华人民共和国" not in LEXICON and "x" not in LEXICON and "发展" in LEXICON
    lexicon = SnapLexicon.from_words(["甲乙丙丁"])
    assert lexicon.snap("甲乙丙丁", 3, 4) == (4 - 1 - MAX_SNAP, 4)


def reference_lexicon(words):
    """The lexicon's arrays the plain way: the kept words as a sorted set, and the sorted set of their pairs."""
    kept = sorted({w for w in words if isinstance(w, str) and 2 <= len(w) <= 4 and "\x00" not in w})
    pairs = sorted({(ord(w[i]) << 21) | ord(w[i + 1]) for w in kept for i in range(len(w) - 1)})
    return kept, pairs


_word = st.text(st.sampled_from("发展下线收益a1\x00\ud800\U0001F600\u3000"), max_size=6)


@given(st.lists(_word, max_size=40))
@settings(max_examples=300, deadline=None)
@example(["下线", "发展", "发展", "ab\x00c", "", "甲乙丙丁戊"])  # unsorted, repeated, NUL inside, empty, too long
def test_lexicon_from_a_list_or_the_joined_string_is_the_plain_set(words):
    """The vectorised build (a padded code-point matrix viewed as ``<U4``) keeps exactly the words and pairs a
    set would, whether given a list or the manifest's newline-joined string, sorted or not."""
    expected_words, expected_pairs = reference_lexicon(words)
    forms = [words]
    if not any("\n" in w for w in words):
        forms.append("\n".join(words))
    for form in forms:
        lexicon = SnapLexicon.from_words(form)
        assert lexicon.words.tolist() == expected_words and lexicon.words.dtype == np.dtype("<U4")
        assert lexicon.pairs.tolist() == expected_pairs and lexicon.pairs.dtype == np.int64
        for word in words:
            assert (word in lexicon) == (word in expected_words)


def test_lexicon_refuses_nothing_it_is_given():
    assert len(SnapLexicon.from_words("")) == 0 and len(SnapLexicon.from_words([])) == 0
    assert len(SnapLexicon.from_words([None, 3, "发展"])) == 1
    assert SnapLexicon.from_words("发展\n下线").words.tolist() == ["下线", "发展"]


def test_evidence_snaps_on_normalised_text_and_points_at_the_original(tables):
    """發.展下綫 (traditional + separator) snaps like 发展下线, and the span covers the original characters."""
    texts = ["今天發.展下綫有奖", "发展下线有奖"]
    batch = normalize_batch(texts, tables)
    assert batch.text(0) == "今天发展下线有奖"
    # one strong bigram, 展下, in each post (local normalised positions 3 and 1)
    doc, start, end = np.array([0, 1]), np.array([3, 1]), np.array([5, 3])
    weights = np.array([[2.0], [2.0]])
    plain = extract_evidence(batch, texts, doc, start, end, weights)
    assert [e.text for e in plain[0][0]] == ["展下"] and [e.text for e in plain[1][0]] == ["展下"]
    snapped = extract_evidence(batch, texts, doc, start, end, weights, lexicon=LEXICON)
    assert [e.text for e in snapped[0][0]] == ["發.展下綫"]
    assert [e.text for e in snapped[1][0]] == ["发展下线"]
    for text, per_head in zip(texts, snapped):
        for e in per_head[0]:
            assert text[e.start : e.end] == e.text


def test_spans_do_not_start_or_end_on_punctuation(tables):
    texts = ["你还有abc，团队做大"]
    batch = normalize_batch(texts, tables)
    normalized = batch.text(0)
    space = normalized.index(" ")  # the comma after ASCII letters normalises to a space
    doc = np.array([0, 0])
    start, end = np.array([space, space + 1]), np.array([space + 2, space + 3])  # " 团" and "团队"
    spans = extract_evidence(batch, texts, doc, start, end, np.array([[2.0], [1.0]]))[0][0]
    assert [e.text for e in spans] == ["团队"]


@pytest.mark.parametrize("text,span,expected", [
    ("直推奖100元", (2, 4), "奖100"),  # a span ending inside a number is widened to the whole number
    ("奖励2000，见点奖", (2, 3), "2000"),
    ("第3代", (0, 2), "第3"),
    ("静态收益每天1.5%，动态收益", (8, 15), "1.5%，动态收益"),  # a span starting after the decimal point
    ("静态收益每天1.5%，动态收益", (4, 7), "每天1.5%"),  # ... ending before it
    ("间推5%", (1, 3), "推5%"),  # the percent sign belongs to the number
    ("月入10,000元", (0, 3), "月入10,000"),
    ("奖一百元", (0, 2), "奖一百"),  # Chinese numerals fold like digits
    ("交1980元，一代8%", (0, 3), "交1980"),
    ("今天1，2，3", (0, 3), "今天1"),  # Chinese "，" separates clauses, it joins no number
    ("统一", (1, 2), "一"),  # a numeral inside a word is not a number
    ("月入10万元", (0, 4), "月入10万"),  # a multiplier after digits is part of the amount
    ("月入10万元", (4, 6), "10万元"),  # ... from either side
    ("年化1.5亿", (0, 4), "年化1.5亿"),
])
def test_evidence_never_cuts_a_number(text, span, expected):
    from mlmrisk.classifier.evidence import whole_numbers

    start, end = whole_numbers(text, *span)
    assert text[start:end] == expected
