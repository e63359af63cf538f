"""Evaluation perturbations: deterministic, they change the text, and each does what it says."""

from __future__ import annotations

import random
import unicodedata

import pytest

from mlmrisk.classifier.normalize import normalize_batch
from mlmrisk.training.folding import load_folding_table
from mlmrisk.training.perturb import (
    EVASION_FAMILIES,
    NOISE_SYMBOLS,
    PERTURBATIONS,
    SEPARATORS,
    ZERO_WIDTH,
    load_vocabulary,
    select_key_spans,
    fullwidth_zero_width,
    homophones,
    perturb,
    separators,
    traditional,
)

POST = "加微信了解，发展下线拿直推奖，月入3万不是梦！QQ群每天分享静态收益和动态收益，提现秒到账。"


def fold_back(text: str) -> str:
    """Undo the folding table's variants, longest first (what the normaliser does, without the other rules)."""
    table = {e.variant: e.canonical for e in load_folding_table()}
    lengths = sorted({len(v) for v in table}, reverse=True)
    out, i = [], 0
    while i < len(text):
        for n in lengths:
            chunk = "".join("0" if c.isdigit() else c.lower() for c in text[i : i + n])
            if chunk in table:
                canonical = table[chunk]
                out.append("".join(text[i + j] if canonical[j] == "0" else canonical[j] for j in range(n)))
                i += n
                break
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def test_registry():
    assert set(PERTURBATIONS) == {
        "traditional", "separators", "homophones", "fullwidth_zero_width",
        "pinyin_full", "pinyin_spaced", "pinyin_mixed", "pinyin_initials", "pinyin_post", "numbers", "repeats",
        "noise", "letter_noise", "emoji",
    }
    grouped = [kind for kinds in EVASION_FAMILIES.values() for kind in kinds]
    assert sorted(grouped) == sorted(PERTURBATIONS)  # every kind in exactly one family
    assert EVASION_FAMILIES["pinyin"] == ("pinyin_full", "pinyin_spaced", "pinyin_mixed", "pinyin_initials",
                                          "pinyin_post")
    assert EVASION_FAMILIES["noise"] == ("noise", "letter_noise")
    for family in ("numbers", "repeats", "noise", "emoji", "traditional", "separators", "homophones",
                   "fullwidth_zero_width"):
        assert family in EVASION_FAMILIES


@pytest.mark.parametrize("kind", sorted(PERTURBATIONS))
def test_deterministic_and_changes_text(kind):
    first = perturb(POST, kind, seed=7)
    assert first == perturb(POST, kind, seed=7)
    assert first == PERTURBATIONS[kind](POST, random.Random(7))
    assert first != POST


@pytest.mark.parametrize("kind", ["separators", "homophones", "fullwidth_zero_width", "pinyin_full", "pinyin_spaced",
                                  "pinyin_mixed", "pinyin_initials", "numbers", "repeats", "noise", "emoji",
                                  "letter_noise"])
def test_seed_matters(kind):
    assert len({perturb(POST, kind, seed) for seed in range(10)}) > 1


@pytest.mark.parametrize("kind", sorted(PERTURBATIONS))
def test_empty_text(kind):
    assert perturb("", kind, 0) == ""


def test_unknown_kind_and_bad_text():
    with pytest.raises(ValueError, match="unknown perturbation"):
        perturb(POST, "leetspeak", 0)
    with pytest.raises(TypeError):
        perturb(None, "separators", 0)  # type: ignore[arg-type]


def test_traditional():
    assert traditional("发展下线", random.Random(0)) == "發展下線"
    assert "傳銷" in perturb("这不是传销", "traditional", 0)


def test_separators_only_between_chinese_characters():
    for seed in range(20):
        out = separators(POST, random.Random(seed))
        inserted = len(out) - len(POST)
        assert inserted >= 1
        # Removing the inserted separators gives the post back; none lands next to ASCII text or punctuation.
        rebuilt, i = [], 0
        for ch in out:
            if i < len(POST) and ch == POST[i]:
                rebuilt.append(ch)
                i += 1
            else:
                assert ch in SEPARATORS
                assert "\u4e00" <= rebuilt[-1] <= "\u9fff" and "\u4e00" <= POST[i] <= "\u9fff"
        assert "".join(rebuilt) == POST


def test_separators_rate_is_about_half():
    text = "一二三四五六七八九十" * 20
    out = separators(text, random.Random(1))
    assert 0.35 < (len(out) - len(text)) / (len(text) - 1) < 0.65


def test_separators_without_chinese_is_unchanged():
    assert separators("hello world 123", random.Random(0)) == "hello world 123"


def test_homophones_use_table_variants():
    variants_of: dict[str, set[str]] = {}
    for entry in load_folding_table():
        variants_of.setdefault(entry.canonical, set()).add(entry.variant)
    for seed in range(10):
        assert homophones("拉人头", random.Random(seed)) in variants_of["拉人头"]
        assert homophones("微信", random.Random(seed)) in variants_of["微信"]
        assert homophones("下线", random.Random(seed)) in variants_of["下线"]


def test_homophones_every_occurrence_and_round_trip():
    text = "下线下线，下线！收益和收益"
    out = homophones(text, random.Random(3))
    assert "下线" not in out and "收益" not in out
    for seed in range(10):
        out = perturb(POST, "homophones", seed)
        assert fold_back(out) == POST.replace("QQ", "qq")


def test_homophones_keep_digits_and_match_case_insensitively():
    out = homophones("月入8万，加QQ", random.Random(0))
    assert out.startswith("月入8w")
    assert "QQ" not in out and "扣扣" in out


def test_homophones_without_canonical_phrase_is_unchanged():
    assert homophones("今天天气真好", random.Random(0)) == "今天天气真好"


def test_fullwidth_zero_width():
    text = "VX: abc123 加微信"
    for seed in range(10):
        out = fullwidth_zero_width(text, random.Random(seed))
        assert any(z in out for z in ZERO_WIDTH)
        assert not any("!" <= ch <= "~" for ch in out)  # no half-width ASCII left
        assert "Ｖ" in out and "１" in out
        stripped = "".join(ch for ch in out if ch not in ZERO_WIDTH)
        assert unicodedata.normalize("NFKC", stripped) == text


# --- evasion suite -----------------------------------------------------------------------------------------------

KEY_WORD_FAMILIES = ("pinyin_full", "pinyin_spaced", "pinyin_mixed", "pinyin_initials", "repeats", "noise", "emoji")
#: families the normaliser is meant to undo (docs/normalization_data.md §1b)
UNDONE = ("repeats", "noise", "emoji", "numbers", "traditional", "separators", "fullwidth_zero_width")
PINYIN = ("pinyin_full", "pinyin_spaced", "pinyin_mixed", "pinyin_post")
#: every vocabulary word here has a Chinese neighbour or 3+ characters, and no numeral sits next to one
POST2 = "加微信了解详情，发展下线拿直推奖和见点奖，每天分享静态收益和动态收益，提现秒到账。"
SWEEP = (POST2, "入门费3980元，第5代也拿分红，加权分红天天有", "今天天气真好我们去公园散步吧")

#: (kind, seed, text, expected rewrite, why)
EXPECTED = [
    ("pinyin_full", 0, "动态收益每天到账", "dongtaishouyi每天到账", "the only vocabulary word, joined toneless pinyin"),
    ("pinyin_full", 0, "加QQ微信", "加QQ weixin", "a space keeps the pinyin apart from ASCII letters (qqweixin)"),
    ("pinyin_spaced", 0, "快来发展下线", "快来fa zhan xia xian", "one space between syllables"),
    ("pinyin_mixed", 1, "发展下线", "发zhan下xian", "seed 1 draws parity 1: the 2nd and 4th characters"),
    ("pinyin_mixed", 0, "发展下线", "fa展xia线", "seed 0 draws parity 0: the 1st and 3rd characters"),
    ("pinyin_initials", 0, "发展下线拿见点奖", "fzxx拿jdj", "two key words drawn, each to its initials"),
    ("pinyin_initials", 1, "发展下线拿见点奖", "fzxx拿见点奖", "one key word drawn"),
    ("numbers", 2, "三级分销，第5代拿10%", "③级分销，第⑤代拿①⓪%",
     "三 before a measure word is a number; 10 before % is not in a number context, so digit styles only"),
    ("numbers", 5, "做到3级", "做到三级", "3级 → 三级: Chinese numerals only before a measure word"),
    ("numbers", 0, "今天天气真好", "今天天气真好", "no number: unchanged"),
    ("repeats", 0, "发展下线", "发展下下下线", "one character written three times"),
    ("repeats", 1, "发展下线", "发发发展展展下线", "two characters, three times each"),
    ("noise", 0, "动态收益", "动Ⅹ态Ⅹ收Ⅹ益", "one symbol between every two characters"),
    ("noise", 1, "动态收益", "动1态1收1益", "digit noise"),
    ("noise", 0, "快加微信", "快加Ⅹ微Ⅹ信", "a two-character word takes in a neighbour: 加微信 is the vocabulary word"),
    ("emoji", 4, "发展下线", "发💰展🔥下⭐线", "emoji in every gap"),
    ("emoji", 1, "发展下线", "发🈶展⭐下㊗线", "enclosed ideographs are drawn too"),
]


@pytest.mark.parametrize("kind, seed, text, expected, why", EXPECTED, ids=[f"{k}-{s}-{t}" for k, s, t, *_ in EXPECTED])
def test_expected_rewrites(kind, seed, text, expected, why):
    assert perturb(text, kind, seed) == expected, why


@pytest.mark.parametrize("kind", sorted(PERTURBATIONS))
@pytest.mark.parametrize("text", SWEEP)
def test_new_families_deterministic_and_change_text(kind, text):
    if kind in ("homophones",) or (kind == "numbers" and not any(c.isdigit() for c in text)):
        pytest.skip("nothing to rewrite in this text")
    for seed in range(10):
        out = perturb(text, kind, seed)
        assert out == perturb(text, kind, seed)
        assert out != text, (kind, seed)


def test_vocabulary_is_valid_and_used():
    words = load_vocabulary()
    assert len(words) >= 40
    for word in ("发展下线", "动态收益", "微信", "直推", "见点奖"):
        assert word in words
    spans = select_key_spans(POST2, random.Random(0))
    assert 1 <= len(spans) <= 3
    assert all(POST2[a:b] in words for a, b in spans)


def test_vocabulary_rejects_bad_lines(tmp_path):
    path = tmp_path / "v.txt"
    path.write_text("# c\n发展下线\nvx\n", encoding="utf-8")
    with pytest.raises(ValueError, match=":3:"):
        load_vocabulary(path)


def test_fallback_spans_without_vocabulary():
    text = "今天天气真好我们去公园散步吧"
    for seed in range(20):
        spans = select_key_spans(text, random.Random(seed))
        assert 1 <= len(spans) <= 3
        assert all(2 <= b - a <= 3 for a, b in spans)
        assert all(prev[1] <= nxt[0] for prev, nxt in zip(spans, spans[1:]))


@pytest.fixture(scope="module")
def tables():
    from mlmrisk.training.normalization_spec import default_tables

    return default_tables()


def _vocabulary_words(text: str) -> list[str]:
    words = load_vocabulary()
    return [w for w in words if w in text]


@pytest.mark.parametrize("kind", UNDONE)
def test_normaliser_undoes_the_family(kind, tables):
    """The normalised rewrite equals the normalised original, key words included (texts free of the known gaps
    below); traditional posts only keep their key words (瞭解 and 羣 stay traditional-looking after t2s)."""
    for text in SWEEP + (POST,):
        if kind == "noise" and text == POST:
            continue  # 月入 has no Chinese neighbour: see test_noise_gap_two_character_word_without_neighbours
        for seed in range(20):
            out = perturb(text, kind, seed)
            batch = normalize_batch([text, out], tables)
            keys = normalize_batch(_vocabulary_words(text), tables)
            for i in range(keys.n_docs):
                assert keys.text(i) in batch.text(1), (kind, seed, out)
            if kind == "traditional" or (kind == "noise" and "1" in out and "1" not in text):
                # digit noise is read as a number before a measure word (今1天1天) and swallows an amount beside
                # it (入1门1费3980元): see test_digit_noise_next_to_an_amount
                continue
            assert batch.text(1) == batch.text(0), (kind, seed, out)


def test_noise_gap_two_character_word_without_neighbours(tables):
    """Known limit: one symbol between two characters (月Ⅹ入3万) is what 3级 or A股 look like; not undone."""
    out = perturb("，月入3万", "noise", 0)
    assert out == "，月Ⅹ入3万"
    assert normalize_batch([out], tables).text(0) == "月x入0万"


@pytest.mark.xfail(strict=True, reason="normaliser gap: digit noise beside an amount (入1门1费3980元) makes the amount "
                   "part of the noise chain, and it is dropped with the noise (入门费元)")
def test_digit_noise_next_to_an_amount(tables):
    out = perturb("入门费3980元", "noise", 1)
    assert out == "入1门1费3980元"
    batch = normalize_batch(["入门费3980元", out], tables)
    assert batch.text(0) == batch.text(1)


def test_numeral_split_from_its_measure_word(tables):
    """三🔥级 joins into 三级 and reads as 0级 like 三级 does (numerals are folded again after separators go)."""
    batch = normalize_batch(["三级分销", perturb("三级分销", "emoji", 0)], tables)
    assert batch.text(0) == batch.text(1)


@pytest.fixture(scope="module")
def pinyin_tables():
    from mlmrisk.classifier.pinyin import PinyinTables
    from mlmrisk.training.vectorizer import default_pinyin_spec

    return PinyinTables.from_spec(default_pinyin_spec())


def _syllables_of(text: str, tables, pinyin_tables) -> list[str]:
    """The syllables the phonetic channel hears, in order: Chinese characters by table, Latin runs split."""
    from mlmrisk.classifier.pinyin import latin_events

    codes = normalize_batch([text], tables).codes
    events = [(int(i), int(pinyin_tables.char_syllable[c])) for i, c in enumerate(codes.tolist())
              if pinyin_tables.char_syllable[c] >= 0]
    syllable, start, _ = latin_events(codes, pinyin_tables)
    events += list(zip(start.tolist(), syllable.tolist()))
    return [pinyin_tables.syllables[s] for _, s in sorted(events)]


def _contains_in_order(haystack: list[str], needle: list[str]) -> bool:
    return any(haystack[i : i + len(needle)] == needle for i in range(len(haystack) - len(needle) + 1))


@pytest.mark.parametrize("kind", PINYIN)
def test_pinyin_rewrites_keep_the_syllables(kind, tables, pinyin_tables):
    """The phonetic channel hears the replaced words: their syllables are events of the rewrite, in order."""
    from pypinyin import Style, lazy_pinyin

    for text in (POST, POST2):
        for seed in range(10):
            out = perturb(text, kind, seed)
            heard = _syllables_of(out, tables, pinyin_tables)
            for a, b in select_key_spans(text, random.Random(seed)):
                word = lazy_pinyin(text[a:b], style=Style.NORMAL)
                assert _contains_in_order(heard, word), (kind, seed, out, text[a:b])


def test_pinyin_every_vocabulary_word_splits_back(tables, pinyin_tables):
    from pypinyin import Style, lazy_pinyin

    for word in load_vocabulary():
        syllables = lazy_pinyin(word, style=Style.NORMAL)
        assert _syllables_of("".join(syllables), tables, pinyin_tables) == syllables, word
        assert _syllables_of(" ".join(syllables), tables, pinyin_tables) == syllables, word


def test_pinyin_initials_replace_the_key_words():
    from pypinyin import Style, lazy_pinyin

    for seed in range(10):
        out = perturb(POST2, "pinyin_initials", seed)
        for a, b in select_key_spans(POST2, random.Random(seed)):
            initials = "".join(lazy_pinyin(POST2[a:b], style=Style.FIRST_LETTER))
            assert initials in out
            assert POST2[a:b] not in out or POST2.count(POST2[a:b]) > 1


def test_noise_uses_one_symbol_per_word():
    for seed in range(20):
        out = perturb("动态收益", "noise", seed)
        symbol = out[1]
        assert symbol in NOISE_SYMBOLS and out == symbol.join("动态收益")


def test_whole_post_families(tables, pinyin_tables):
    """``pinyin_post`` spells every Chinese character of the post in pinyin (the phonetic channel hears the whole
    post's syllables, in order); ``letter_noise`` puts a letter after every Chinese character, which the
    normaliser's letter-noise rule drops again wherever four or more letters chain (long runs of Chinese)."""
    from pypinyin import Style, lazy_pinyin

    out = perturb(POST2, "pinyin_post", 3)
    assert out == perturb(POST2, "pinyin_post", 4)  # no randomness
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in out)
    chinese = "".join(ch for ch in POST2 if "\u4e00" <= ch <= "\u9fff")
    assert _syllables_of(out, tables, pinyin_tables) == lazy_pinyin(chinese, style=Style.NORMAL)
    text = "今天天气真好我们去公园散步吧"
    for seed in range(10):
        noisy = perturb(text, "letter_noise", seed)
        assert len(noisy) == 2 * len(text) and noisy[::2] == text
        # every letter between two Chinese characters goes; the one after the last character has no Chinese
        # neighbour on its right and stays, as 3级 or A股 would
        assert normalize_batch([noisy], tables).text(0) == normalize_batch([text], tables).text(0) + noisy[-1]
