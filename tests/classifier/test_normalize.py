"""Normaliser: a table of evasions with the reason for each, and properties checked with hypothesis."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from mlmrisk.classifier.normalize import RULE_BITS, normalize_batch, normalize_text, rule_names

CASES = [
    # (text, normalised, REPORTED rules (exactly), why)
    ("發展下綫", "发展下线", {"traditional"}, "traditional → simplified, character by character"),
    ("发.展 下|线", "发展下线", set(), "separators are joined; one lone | and a space are not reported"),
    ("发.展.下.线", "发展下线", {"separators"}, "the same separator around single characters: an alternation"),
    ("发🔥展🔥下🔥线", "发展下线", {"separators"}, "emoji used as separators (two or more joins)"),
    ("发🈲展", "发展", set(), "an enclosed ideograph is a symbol, not 禁; one emoji join is ordinary decoration"),
    ("发㊙展🈶下", "发展下", {"separators"}, "enclosed ideographs between Chinese characters are dropped"),
    ("发\u200b展\u200d下\ufeff线", "发展下线", {"invisible"}, "zero-width characters between characters"),
    ("好的\u200b", "好的", set(), "a trailing zero-width space (Weibo client) is routine"),
    ("ＡＢＣ１２３", "abc0", {"fullwidth"}, "full-width ASCII folds; digits become 0 and runs of 0 collapse"),
    ("价格，好（真的）：对", "价格好真的对", set(), "full-width punctuation is ordinary typing"),
    ("加薇信", "加微信", {"folding"}, "folding table: homophone of 微信"),
    ("加 薇 信", "加微信", {"separators", "folding"}, "separators (an alternation) are removed before folding"),
    ("发展下下下线", "发展下线", {"repeats"}, "a run of one character inside a word collapses"),
    ("拉拉人头", "拉人头", set(), "doubles collapse but cannot be told from ordinary reduplication"),
    ("谢谢你", "谢你", set(), "ordinary doubles collapse too (consistent in training and serving)"),
    ("哈哈哈哈", "哈", set(), "interjection runs collapse silently"),
    ("三级", "0级", set(), "a Chinese numeral before a measure word is a number"),
    ("3级", "0级", set(), "ASCII digits are routine"),
    ("叁级", "0级", {"numbers"}, "financial numerals fold to the digit class"),
    ("③级", "0级", {"numbers"}, "circled digits fold to the digit class"),
    ("❶⑴⒈➀㈠㊀级", "0级", {"numbers"}, "dingbat, parenthesised, full-stop and ideograph numbers"),
    ("第⑤代", "第0代", {"numbers"}, "numbers after 第"),
    ("第五代", "第0代", set(), "Chinese numerals after 第"),
    ("一起一定", "一起一定", set(), "一 not followed by a measure word stays"),
    ("100元", "0元", set(), "a run of 0 collapses"),
    ("十元", "0元", set(), "十 before 元"),
    ("一百元", "0元", set(), "a numeral run before 元"),
    ("队伍大陆收拾", "队伍大陆收拾", set(), "financial forms that are ordinary words stay outside a number"),
    ("动Ⅹ态Ⅹ收Ⅹ益", "动态收益", {"noise", "fullwidth"}, "a Roman numeral repeated between characters"),
    ("发x展x下x线", "发展下线", {"noise"}, "a Latin letter repeated between characters"),
    ("拉1人1头", "拉人头", {"noise"}, "a digit repeated between characters"),
    ("充100送50元话费", "充送元话费", {"noise"}, "amounts between words look like digit noise (a known gap)"),
    ("动666态666收666益", "动态收益", {"noise"}, "a repeated number between characters is noise"),
    ("发ⓐ展ⓐ下", "发展下", {"noise", "fullwidth"}, "circled letters fold to ASCII and are noise here"),
    ("网e赚v新c项j目", "网赚新项目", {"noise"}, "four different single letters between characters are noise"),
    ("动α态β收γ益δ多", "动态收益多", {"noise"}, "Greek letters between characters are letter noise too"),
    ("私域打法🅾投资🅾风险🅾学费", "私域打法投资风险学费", {"noise", "fullwidth"},
     "one letter every two characters, three times (a real ChineseHarm post)"),
    ("就x能成x为正x式会x员", "就能成为正式会员", {"noise"}, "one letter after every other character"),
    ("选了A选不上B选了D", "选了a选不上b选了d", set(), "three different letters between words are content"),
    ("买A加B即送C", "买a加b即送c", set(), "so is a short enumeration of options"),
    ("在A区B栋", "在a区b栋", set(), "and an address"),
    ("⒜🅐𝕒", "aaa", {"fullwidth"}, "letter styles NFKC leaves alone fold to ASCII"),
    ("A股K线3级", "a股k线0级", set(), "a single letter or digit between characters is content"),
    ("在1月1日", "在0月0日", set(), "digits each before a measure word are numbers"),
    ("适合3至5岁", "适合0至0岁", set(), "a link word between digits: a range"),
    ("你好。 再见", "你好\n再见", set(), "a sentence boundary is kept as one line break"),
    ("  前后空白  ", "前后空白", set(), "leading and trailing separators are trimmed"),
    ("abc   def", "abc def", set(), "separator runs between non-Chinese words collapse to one space"),
    ("", "", set(), "empty text stays empty"),
]


@pytest.mark.parametrize("text,expected,rules,why", CASES, ids=[c[3] for c in CASES])
def test_normalisation_table(tables, text, expected, rules, why):
    batch = normalize_batch([text], tables)
    assert batch.text(0) == expected, why
    assert set(rule_names(int(batch.rules[0]))) == rules, why
    offsets = batch.origin[: batch.starts[1] - 1]
    assert all(text[o] for o in offsets) and list(offsets) == sorted(set(offsets)), why


def test_digits_and_case_are_not_reported(tables):
    batch = normalize_batch(["ABC 123"], tables)
    bits = int(batch.rules[0])
    assert bits & RULE_BITS["digits"] and bits & RULE_BITS["case"]
    assert rule_names(bits) == []


def test_truncation_is_recorded(tables):
    text = "传销下线" * (tables.max_chars // 4 + 10)
    batch = normalize_batch([text], tables)
    assert len(batch.text(0)) == tables.max_chars
    assert "truncated" in rule_names(int(batch.rules[0]))


def test_batch_equals_one_by_one(tables):
    texts = ["發.展 下|线", "", "abc", "\x00内嵌NUL\x00", "加 薇 信 🔥", "普通的一句话。"]
    batch = normalize_batch(texts, tables)
    for i, text in enumerate(texts):
        single, origin = normalize_text(text, tables)
        assert batch.text(i) == single
        assert batch.origin[batch.starts[i] : batch.starts[i + 1] - 1].tolist() == origin


def test_select_keeps_posts(tables):
    texts = ["第一条", "第二条帖子", "", "第四"]
    batch = normalize_batch(texts, tables)
    sub = batch.select([3, 1])
    assert [sub.text(0), sub.text(1)] == [batch.text(3), batch.text(1)]


_SAMPLE_CHARS = ("发展下线團隊獎金加薇信威芯ＡＢＣabc０１２3 .|*·🔥😀\u200b\u200d\ufeff\u2060\n。！，、传销直推见点奖"
                 "下下拉人头一二三十百级代元第叁肆①⑴❶➀㈠⒈ⅩxX1ⓐ⒜𝕒🈲㊙🈶至月")
texts_strategy = st.one_of(st.text(max_size=60), st.text(alphabet=_SAMPLE_CHARS, max_size=60))


@pytest.mark.parametrize("text, expected", [("㐀A百A元", "㐀0元"), ("中A三A级会员", "中0级会员")])
def test_numerals_fold_after_noise_is_dropped(tables, text, expected):
    """Found by the property below: dropping noise put 百 next to 元, and only a second pass folded it."""
    assert normalize_text(text, tables)[0] == expected
    assert normalize_text(expected, tables)[0] == expected


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@example(texts=["㐀A百A元"])
@given(texts=st.lists(texts_strategy, min_size=1, max_size=6))
def test_properties(tables, texts):
    batch = normalize_batch(texts, tables)  # never raises
    assert batch.n_docs == len(texts)
    for i, text in enumerate(texts):
        normalised = batch.text(i)
        origin = batch.origin[batch.starts[i] : batch.starts[i + 1] - 1]
        # offsets strictly increase and stay inside the original
        assert all(0 <= o < len(text) for o in origin)
        assert all(a < b for a, b in zip(origin, origin[1:]))
        # idempotent
        assert normalize_text(normalised, tables)[0] == normalised
        # zero-width characters never survive; full-width ASCII never survives
        assert not any(c in normalised for c in "\u200b\u200d\ufeff\u2060")
        assert not any("\uff01" <= c <= "\uff5e" for c in normalised)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(alphabet="发展下线团队奖金会员收益分红直推层级代理传销", min_size=1, max_size=30))
def test_traditional_and_simplified_agree(tables, text):
    import opencc

    traditional = opencc.OpenCC("s2t").convert(text)
    assert normalize_text(traditional, tables)[0] == normalize_text(text, tables)[0]


def test_phrase_matching_paths_agree(tables, monkeypatch):
    """Folding matches by dict lookup (few candidates) and by hashed windows (many) must give the same text."""
    import mlmrisk.classifier.phrases as phrases
    from mlmrisk.training.folding import load_folding_table

    rng = np.random.default_rng(0)
    variants = [e.variant for e in load_folding_table()]
    filler = list("发展下线团队奖金会员收益，。 abc123微信威信")
    texts = ["".join(rng.choice(variants) if rng.random() < 0.3 else rng.choice(filler) for _ in range(40))
             for _ in range(200)]
    results = []
    for few in (0, 10**9):
        monkeypatch.setattr(phrases, "FEW_CANDIDATES", few)
        batch = normalize_batch(texts, tables)
        results.append((batch.codes.tolist(), batch.origin.tolist(), batch.rules.tolist()))
    assert results[0] == results[1]
    assert "folding" in {r for bits in results[0][2] for r in rule_names(bits)}
