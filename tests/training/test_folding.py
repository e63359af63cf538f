"""The folding table loader and the shipped data/folding.tsv."""

from __future__ import annotations

import dataclasses
import re

import pytest

from mlmrisk.training.folding import DEFAULT_FOLDING_PATH, KINDS, FoldingEntry, load_folding_table

HEADER = "variant\tcanonical\tkind\tnote\n"


def write_table(tmp_path, body: str, header: str = HEADER):
    path = tmp_path / "folding.tsv"
    path.write_text("# a comment\n\n" + header + body, encoding="utf-8")
    return path


# --- the shipped table -------------------------------------------------------------------------------------------


def test_shipped_table_loads_from_repo_data():
    assert DEFAULT_FOLDING_PATH.name == "folding.tsv"
    assert DEFAULT_FOLDING_PATH.parent.name == "data"
    assert DEFAULT_FOLDING_PATH.is_file()
    entries = load_folding_table()
    assert entries == load_folding_table(DEFAULT_FOLDING_PATH)
    assert 80 <= len(entries) <= 200


def test_shipped_table_rules_hold():
    entries = load_folding_table()
    variants = [e.variant for e in entries]
    assert len(set(variants)) == len(variants)
    for entry in entries:
        assert len(entry.variant) == len(entry.canonical), entry
        assert entry.variant != entry.canonical
        assert entry.kind in KINDS
        assert entry.note, f"{entry.variant} has no note"
        assert not re.search(r"[A-Z1-9\s\uff01-\uff5e]", entry.variant + entry.canonical), entry
    assert {e.kind for e in entries} == set(KINDS)


def test_shipped_table_covers_the_core_evasions():
    table = {e.variant: e.canonical for e in load_folding_table()}
    assert table["薇信"] == "微信"
    assert table["v信"] == "微信"
    assert table["夏线"] == "下线"
    assert table["收溢"] == "收益"
    assert table["扣扣"] == "qq"


@pytest.mark.parametrize(
    "word",
    # Real words, or strings that occur inside/across common words: they must never be folded.
    ["威信", "下限", "体现", "提线", "卫星", "传消", "直消", "值推", "分洪", "反利", "加v", "vx", "wx", "0w", "付业"],
)
def test_common_words_are_not_variants(word):
    assert word not in {e.variant for e in load_folding_table()}


def test_entry_is_frozen():
    entry = FoldingEntry("薇信", "微信", "homophone", "")
    with pytest.raises(dataclasses.FrozenInstanceError):
        entry.variant = "x"  # type: ignore[misc]


# --- loader validation -------------------------------------------------------------------------------------------


def test_valid_tmp_table(tmp_path):
    path = write_table(tmp_path, "薇信\t微信\thomophone\tnote here\n# comment\n\nv信\t微信\tpinyin\n")
    entries = load_folding_table(path)
    assert entries == [
        FoldingEntry("薇信", "微信", "homophone", "note here"),
        FoldingEntry("v信", "微信", "pinyin", ""),
    ]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("薇信\t微信号\thomophone\tx\n", "keep their length"),
        ("\t微信\thomophone\tx\n", "empty variant"),
        ("薇信\t\thomophone\tx\n", "empty canonical"),
        ("薇信\t微信\t\tx\n", "empty kind"),
        ("微信\t微信\thomophone\tx\n", "the same"),
        ("薇信\t微信\tslang\tx\n", "unknown kind"),
        ("薇信\t微信\n", "4 tab-separated fields"),
        ("薇信\t微信\thomophone\tx\textra\n", "4 tab-separated fields"),
        ("V信\t微信\tpinyin\tx\n", "normalised alphabet"),
        ("ｖ信\t微信\tpinyin\tx\n", "normalised alphabet"),
        ("月入3w\t月入3万\tabbreviation\tx\n", "normalised alphabet"),
        ("下綫\t下线\tlookalike\tx\n", "normalised alphabet"),
        ("+v\t加微\tabbreviation\tx\n", "not a letter or digit"),
        ("薇 信\t微 信\thomophone\tx\n", "not a letter or digit"),
        (" 薇信\t微信\thomophone\tx\n", "whitespace"),
    ],
)
def test_bad_row_raises_with_line_number(tmp_path, body, message):
    # Line 1 is a comment, line 2 blank, line 3 the header, line 4 a good row: the bad row is line 5.
    path = write_table(tmp_path, "威芯\t微信\thomophone\tok\n" + body)
    with pytest.raises(ValueError, match=message) as info:
        load_folding_table(path)
    assert "line 5" in str(info.value)


def test_duplicate_variant_names_both_lines(tmp_path):
    path = write_table(tmp_path, "薇信\t微信\thomophone\ta\n夏线\t下线\thomophone\tb\n薇信\t微信\thomophone\tc\n")
    with pytest.raises(ValueError, match=r"line 6: duplicate variant '薇信' \(first on line 4\)"):
        load_folding_table(path)


def test_canonical_that_is_a_variant_is_rejected(tmp_path):
    path = write_table(tmp_path, "薇信\t微信\thomophone\ta\n威芯\t薇信\thomophone\tb\n")
    with pytest.raises(ValueError, match="line 5: canonical '薇信' is itself a variant"):
        load_folding_table(path)


def test_missing_or_wrong_header(tmp_path):
    path = write_table(tmp_path, "薇信\t微信\thomophone\ta\n", header="")
    with pytest.raises(ValueError, match="line 3: expected the header"):
        load_folding_table(path)
    empty = tmp_path / "empty.tsv"
    empty.write_text("# only comments\n", encoding="utf-8")
    with pytest.raises(ValueError, match="no header"):
        load_folding_table(empty)


def test_not_utf8(tmp_path):
    path = tmp_path / "gbk.tsv"
    path.write_bytes((HEADER + "薇信\t微信\thomophone\tx\n").encode("gbk"))
    with pytest.raises(ValueError, match="UTF-8"):
        load_folding_table(path)


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_folding_table(tmp_path / "nope.tsv")
