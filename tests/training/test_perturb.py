"""Evaluation perturbations: deterministic, they change the text, and each does what it says."""

from __future__ import annotations

import random
import unicodedata

import pytest

from mlmrisk.training.folding import load_folding_table
from mlmrisk.training.perturb import (
    PERTURBATIONS,
    SEPARATORS,
    ZERO_WIDTH,
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
    assert set(PERTURBATIONS) == {"traditional", "separators", "homophones", "fullwidth_zero_width"}


@pytest.mark.parametrize("kind", sorted(PERTURBATIONS))
def test_deterministic_and_changes_text(kind):
    first = perturb(POST, kind, seed=7)
    assert first == perturb(POST, kind, seed=7)
    assert first == PERTURBATIONS[kind](POST, random.Random(7))
    assert first != POST


@pytest.mark.parametrize("kind", ["separators", "homophones", "fullwidth_zero_width"])
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
