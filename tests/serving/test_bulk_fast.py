"""The bulk fast path writes exactly what the general path writes.

Most chunks of a real archive hold only well-formed records with a string text, and most of their posts are plain
(unflagged, no evidence, list entry or reported rule). Such chunks are parsed with C-level maps
(``readers._clean_columns``), scored without per-record bookkeeping (``bulk._process_clean_chunk``) and their
plain rows encoded from a byte template (``writers.PlainJsonlLines``). Each shortcut is checked here against the
path it replaces: byte-identical outputs, equal parsed records, equal roundings, equal runs.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlmrisk.classifier.schema import PROBABILITY_DIGITS, round_probabilities
from mlmrisk.serving import bulk, readers
from mlmrisk.serving.bulk import score_file
from mlmrisk.serving.formats import FORMATS
from mlmrisk.serving.scorer import Scorer, default_model_dir, run_cuts
from mlmrisk.serving.writers import PlainJsonlLines, encode_jsonl

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def scorer() -> Scorer:
    return Scorer.load(default_model_dir(), deny=["拉人头返现"], allow=["招商银行"])


def _mixed_posts() -> list[str]:
    """Ordinary, promotional, evasive, allow/deny-listed and empty posts from the project's own data."""
    posts = [json.loads(line)["text"] for line in (REPO / "data" / "challenge_set.jsonl").read_text("utf-8").splitlines()]
    posts += [json.loads(line)["text"] for line in (REPO / "data" / "sample_posts.jsonl").read_text("utf-8").splitlines()]
    posts += ["", " ", "招商银行提醒您：信用卡账单已出", "拉人头返现，速来", "ＡＢＣ１２３", "发🔥展🈲下线，动Ⅹ态Ⅹ收Ⅹ益",
              "fa zhan xia xian dong tai shou yi", "好" * 3000]
    return posts


#: nested so deep (254) that orjson encodes it alone but not inside a record: its chunk must take the dict path
#: (json.dumps fallback for its own record), as it always did
DEEP_ID = orjson.loads(b"[" * 254 + '"帖"'.encode() + b"]" * 254)
#: ids of every JSON kind and text that looks like template syntax
IDS = [0, 7, -3, 2**53, 1.5, "p,1", 'q"2"', "中文 id", True, {"a": [1, 2]}, [3, "x"], "%s%b%%", "\x01id\x01"]


def _write(path: Path, posts: list[str], ids: list[object]) -> None:
    with open(path, "wb") as handle:
        for i, text in enumerate(posts):
            # written piecewise: orjson encodes DEEP_ID alone, not inside an object
            handle.write(b'{"id":' + orjson.dumps(ids[i % len(ids)]) + b',"text":' + orjson.dumps(text) + b"}\n")


def _run(src: Path, out: Path, **options) -> bytes:
    score_file(src, out, progress=False, deny=["拉人头返现"], allow=["招商银行"], chunk_size=64, **options)
    return out.read_bytes()


def _spy(monkeypatch, module, name: str) -> list:
    """Record the calls of ``module.name`` (still calling it) and their results."""
    calls: list = []
    original = getattr(module, name)

    def spy(*args, **kwargs):
        result = original(*args, **kwargs)
        calls.append(result)
        return result

    monkeypatch.setattr(module, name, spy)
    return calls


def test_fast_path_output_is_byte_identical_to_the_general_path(tmp_path: Path, monkeypatch) -> None:
    posts = _mixed_posts()
    src = tmp_path / "in.jsonl"
    _write(src, posts, IDS)
    joined_calls: list[tuple[int, int]] = []  # (rows, rows given as dict lines) of each joined encoding
    original_joined = PlainJsonlLines.encode_joined

    def joined_spy(self, ids, *args, replace=None):
        joined_calls.append((len(ids), len(replace or {})))
        return original_joined(self, ids, *args, replace=replace)

    with monkeypatch.context() as patch:
        clean_chunks = _spy(patch, bulk, "_process_clean_chunk")
        patch.setattr(PlainJsonlLines, "encode_joined", joined_spy)
        fast = _run(src, tmp_path / "fast.jsonl")
    rows = [json.loads(line) for line in fast.splitlines()]
    assert len(rows) == len(posts)
    template = sum(not r["flagged"] and not r["evidence"] and not r["lists"] for r in rows)
    assert 0 < template < len(posts)  # both kinds of rows are in the file …
    assert any(r["normalization"] and not r["flagged"] and not r["evidence"] and not r["lists"] for r in rows)
    assert len(clean_chunks) == math.ceil(len(posts) / 64)  # every chunk took the fast path …
    assert len(joined_calls) == len(clean_chunks)  # … was encoded by the template in one go …
    assert sum(n for n, _ in joined_calls) == len(posts)
    assert sum(n - given for n, given in joined_calls) == template  # … and every template row came from it

    # the same file without any shortcut: line-by-line parsing, per-record rows, every record a dict
    with monkeypatch.context() as patch:
        patch.setattr(readers, "_clean_columns", lambda *args: None)
        patch.setattr(FORMATS["jsonl"], "takes_encoded_lines", False)
        template = _spy(patch, PlainJsonlLines, "encode")
        slow = _run(src, tmp_path / "slow.jsonl")
        assert template == []
    assert fast == slow

    # the general path with template lines (what a chunk holding one bad record takes)
    with monkeypatch.context() as patch:
        patch.setattr(readers, "_clean_columns", lambda *args: None)
        general_rows = _spy(patch, bulk, "_plain_lines")
        general = _run(src, tmp_path / "general.jsonl")
    assert any(general_rows)
    assert general == fast


def test_an_id_too_deep_for_a_record_takes_the_dict_path(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    _write(src, ["今天天气很好", "欢迎光临"], [DEEP_ID, "ok"])
    out = tmp_path / "out.jsonl"
    _run(src, out)
    first, second = out.read_bytes().splitlines()
    assert b"\\u5e16" in first  # json.dumps(ensure_ascii=True): the record orjson refused, as before
    assert json.loads(second)["id"] == "ok"


def test_clean_chunks_and_chunks_with_bad_records_agree(tmp_path: Path) -> None:
    posts = _mixed_posts()[:120]
    src = tmp_path / "in.jsonl"
    _write(src, posts, ["a", 1])
    with open(src, "ab") as handle:  # the last chunk gets a blank, a malformed and a text-less line
        handle.write(b"\n{oops\n" + orjson.dumps({"id": "t", "text": None}) + b"\n")
    out = tmp_path / "out.jsonl"
    summary = score_file(src, out, progress=False, chunk_size=64)
    rows = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    assert summary.records == len(posts) + 2 and summary.skipped == 1 and summary.bad == 2
    assert [r["line"] for r in rows] == list(range(1, len(posts) + 1)) + [len(posts) + 2, len(posts) + 3]
    single = Scorer.load(default_model_dir()).score(posts)
    for row, result in zip(rows, single):
        assert row["probability"] == round(result.probability, PROBABILITY_DIGITS)
        assert row["level"] == result.level.value


def test_template_lines_equal_encoded_records(scorer: Scorer) -> None:
    """Template rows — plain ones and those listing normalisation rules — encode to their records' lines."""
    posts = _mixed_posts() + ["今天，，，天气不错", "ｆｕｌｌ ｗｉｄｔｈ 的帖子", "好好好好好好看", "這家店的服務很好"]
    scored = scorer.score_batch(posts)
    template = scored.template_rows()
    assert template.sum() > 10 and (~template).sum() > 10
    rows = np.flatnonzero(template).tolist()
    ids = [IDS[k % len(IDS)] for k in range(len(posts))]
    records = scored.records(ids, rows=rows)
    for record, k in zip(records, rows):
        record["line"] = k + 1
        assert record["flagged"] is False and not record["evidence"] and not record["lists"]
    assert sum(bool(r["normalization"]) for r in records) >= 3  # rows listing rules are template rows too
    lines = PlainJsonlLines(scored.model).encode([ids[k] for k in rows], scored.probability[template],
                                                 scored.risk[template].tolist(),
                                                 [r["level"] for r in records], scored.rules[template],
                                                 [k + 1 for k in rows])
    assert lines is not None
    assert b"".join(lines) == encode_jsonl(records)
    assert encode_jsonl(lines) == encode_jsonl(records)  # pre-encoded lines pass through unchanged
    assert len(lines) == len(rows) and all(line.count(b"\n") == 1 and line.endswith(b"\n") for line in lines)


@pytest.mark.parametrize("model", ["m%b", "m%%b%s", "模型\n1\r", "\"%b\""])
def test_joined_plain_lines_equal_encoded_records_for_any_model_id(scorer: Scorer, model: str) -> None:
    """``encode_joined`` interleaves the record's fixed segments with the rows' values; a model id holding
    ``%b``, quotes or line breaks must not shift a segment, and a line must still end at its only newline."""
    posts = ["今天天气不错", "这家店的服务很好", "明天见"]
    scored = scorer.score_batch(posts)
    ids = ["a", 2, "第三"]
    records = [{**record, "model": model, "line": k + 1} for k, record in enumerate(scored.records(ids))]
    encoder = PlainJsonlLines(model)
    args = (ids, scored.probability, scored.risk.tolist(), [r["level"] for r in records], scored.rules, [1, 2, 3])
    assert encoder.encode_joined(*args) == encode_jsonl(records)
    assert encoder.encode(*args) == [encode_jsonl([r]) for r in records]
    assert encoder.encode_joined([], scored.probability[:0], [], [], scored.rules[:0], []) == b""


@pytest.mark.parametrize("ids", [[0, 7, -3, 2**53, 2**63 - 1, -(2**63)], [2**64, 1], [True, 1], [1, "1"]])
def test_plain_lines_with_int_ids_equal_encoded_records(scorer: Scorer, ids: list) -> None:
    """A chunk whose ids are all plain ints is encoded by one orjson call; the lines are the records' lines, and
    ids that are not all 64-bit ints (a bool, a str, an int beyond 64 bits) take the per-id path."""
    posts = ["今天天气不错", "这家店的服务很好", "明天见", "谢谢大家", "周末去爬山", "晚上吃什么"][: len(ids)]
    scored = scorer.score_batch(posts)
    assert scored.plain_rows().all()
    records = scored.records(ids)
    for k, record in enumerate(records):
        record["line"] = k + 1
    lines = PlainJsonlLines(scored.model).encode(ids, scored.probability, scored.risk.tolist(),
                                                 [r["level"] for r in records], scored.rules,
                                                 [k + 1 for k in range(len(ids))])
    if any(type(i) is int and abs(i) >= 2**63 + (i < 0) for i in ids):
        assert lines is None  # orjson refuses it either way; the caller writes such rows as dicts
        return
    assert b"".join(lines) == encode_jsonl(records)


def test_plain_lines_refuse_ids_orjson_cannot_encode() -> None:
    encoder = PlainJsonlLines("m%1")
    assert encoder.encode(["\ud800"], np.array([0.1]), [10], ["none"], [0], [1]) is None
    assert encoder.encode([DEEP_ID], np.array([0.1]), [10], ["none"], [0], [1]) is None
    line = encoder.encode(["ok"], np.array([0.1]), [10], ["none"], [0], [1])[0]
    assert json.loads(line)["model"] == "m%1"


def test_plain_rows_are_what_records_builds_from_its_template(scorer: Scorer) -> None:
    scored = scorer.score_batch(_mixed_posts() + [None, 5])  # type: ignore[list-item]
    plain, template = scored.plain_rows(), scored.template_rows()
    for k, record in enumerate(scored.records()):
        is_template = record["error"] is None and not record["flagged"] and not record["evidence"] and not record["lists"]
        assert template[k] == is_template, (k, record)
        assert plain[k] == (is_template and not record["normalization"]), (k, record)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.floats(0, 1), st.integers(0, 10**7).map(lambda k: (k + 0.5) / 10**6),
                          st.integers(0, 10**7).map(lambda k: k / 10**6),
                          st.sampled_from([0.0, 1.0, 5e-7, 1.5e-6, 0.1234565, 2.5e-6, 1e-300, math.nextafter(0.5e-6, 1)])),
                max_size=60))
def test_round_probabilities_is_pythons_round(values: list[float]) -> None:
    assert round_probabilities(np.asarray(values, dtype=np.float64)) == [round(v, PROBABILITY_DIGITS) for v in values]


def _old_cuts(sizes: list[int], budget: int) -> list[int]:
    """The loop run_cuts replaced."""
    cuts, total = [0], 0
    for i, size in enumerate(sizes):
        total += size
        if total > budget and i > cuts[-1]:
            cuts.append(i)
            total = size
    return cuts + [len(sizes)]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(1, 40), max_size=80), st.integers(1, 60))
def test_run_cuts_match_the_greedy_loop(sizes: list[int], budget: int) -> None:
    expected = _old_cuts(sizes, budget) if sizes else [0, 0]
    assert run_cuts(np.asarray(sizes, dtype=np.int64), budget) == expected


_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=8)  # orjson refuses lone surrogates
_LINE = st.one_of(
    st.builds(lambda i, t: orjson.dumps({"id": i, "text": t}), st.one_of(st.integers(-5, 5), _TEXT, st.none()), _TEXT),
    st.builds(lambda t: orjson.dumps({"text": t}), st.one_of(_TEXT, st.none(), st.integers(-10**9, 10**9))),
    st.sampled_from([b"", b"  ", b"{oops", b"[1,2]", b"5", b'"s"', b'{"id":1,"text":"a"},{"id":2,"text":"b"}',
                     b'{"id":1,"text":"\xff"}', b"\r"]),
)


@settings(max_examples=400, deadline=None)
@given(st.lists(_LINE, max_size=12), st.sampled_from([None, "id"]))
def test_clean_parse_equals_the_line_by_line_parse(lines: list[bytes], id_field: str | None) -> None:
    careful = readers._parse_jsonl_each(lines, 10, "text", id_field)
    parsed = readers._parse_jsonl(lines, 10, "text", id_field)
    assert [(n, i, t if isinstance(t, str) else (t.code, t.message)) for n, i, t in parsed.records] == \
        [(n, i, t if isinstance(t, str) else (t.code, t.message)) for n, i, t in careful.records]
    assert parsed.skipped == careful.skipped
    if parsed.columns is not None:
        assert list(parsed.columns[0]) == [r[0] for r in careful.records]
        assert all(isinstance(r[2], str) for r in careful.records)
    else:
        assert not lines or not all(isinstance(r[2], str) for r in careful.records) or careful.skipped


def test_score_batch_of_strings_equals_score_batch_with_bad_inputs(scorer: Scorer) -> None:
    posts = _mixed_posts()
    clean = scorer.score_batch(posts).records()
    mixed = scorer.score_batch([None, *posts, 3]).records()  # type: ignore[list-item]
    assert mixed[1:-1] == clean
    assert mixed[0]["error"]["code"] == "missing_text" and mixed[-1]["error"]["code"] == "not_a_string"


def test_clean_payload_writes_every_row_whatever_it_holds(scorer: Scorer) -> None:
    """``bulk._clean_payload`` is only handed chunks whose every text scored, but a batch with an unscored row
    (level -1) must still give one line per row, through the dict path, never a part without its plain rows."""
    scored = scorer.score_batch(["普通帖子", None, "今天天气很好"])  # type: ignore[list-item]
    payload = bulk._clean_payload(FORMATS["jsonl"], (), scored, range(1, 4), ["a", "b", "c"])
    rows = [json.loads(line) for line in payload.splitlines()]
    assert [(r["id"], r["line"]) for r in rows] == [("a", 1), ("b", 2), ("c", 3)]
    assert rows[1]["error"] is not None and rows[0]["error"] is None
    clean = scorer.score_batch(["普通帖子", "今天天气很好"])
    records = clean.records(["a", "c"])
    for k, record in enumerate(records):
        record["line"] = k + 1
    assert bulk._clean_payload(FORMATS["jsonl"], (), clean, range(1, 3), ["a", "c"]) == encode_jsonl(records)
