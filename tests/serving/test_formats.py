"""Output formats derived from the one schema; safe outputs; encodings; fields kept and checked early."""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from mlmrisk.classifier import schema
from mlmrisk.classifier.errors import InputFormatError
from mlmrisk.serving import bulk, formats, tabular
from mlmrisk.serving.bulk import score_file
from mlmrisk.serving.readers import detect_encoding, detect_input, iter_records
from mlmrisk.serving.writers import OutputPathError

REPO = Path(__file__).resolve().parents[2]
POSTS = ["交1980成为会员，每拉一个人返600，团队做大了月入好几万", "今天天气真好，带娃去公园放风筝了",
         "投入5000元，每天静态收益1.5%，推荐好友还有动态奖金", "地铁又晚点了"]


@pytest.fixture(scope="module")
def model_dir(tiny_model) -> Path:
    return tiny_model[0]


def jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def read_csv(path: Path) -> list[dict]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))


# ------------------------------------------------------------------------------------------- schema → formats


def test_arrow_types_from_the_type_language() -> None:
    assert tabular.arrow_type("list<string>") == pa.list_(pa.string())
    span = tabular.arrow_type("span")
    assert [f.name for f in span] == ["start", "end", "text", "weight", "source"]
    assert span.field("weight").type == pa.float32()
    element = tabular.arrow_type("element")
    assert element.field("evidence").type == pa.list_(span)
    with pytest.raises(ValueError, match="unknown type 'decimal'"):
        tabular.arrow_type("decimal")
    names = tabular.arrow_schema().names
    assert names == ["id", *schema.FIELD_NAMES, "line"]


def test_csv_header_follows_the_flattening_rule() -> None:
    header = tabular.csv_columns(tabular.arrow_schema(["account"]))
    assert header[:6] == ["id", "model", "probability", "risk", "level", "flagged"]
    assert "elements.lart.probability" in header and "elements.ponzi.evidence" in header
    assert header[-5:] == ["lists", "error.code", "error.message", "line", "account"]


def test_an_added_schema_field_reaches_every_format(model_dir: Path, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """One edit to classifier/schema.py (here monkeypatched) and every output format carries the new field."""
    from mlmrisk.serving import scorer as scorer_module

    monkeypatch.setattr(schema, "FIELDS", schema.FIELDS + (("review", "struct{by: string, tags: list<string>}"),))
    real_record, real_error = scorer_module.make_record, scorer_module.make_error_record
    monkeypatch.setattr(scorer_module, "make_record",
                        lambda **kw: {**real_record(**kw), "review": {"by": "bot", "tags": ["a", "b"]}})
    monkeypatch.setattr(bulk, "make_error_record", lambda **kw: {**real_error(**kw), "review": None})
    src = jsonl(tmp_path / "in.jsonl", [{"id": i, "text": t} for i, t in enumerate(POSTS)] + [{"id": 9}])
    outputs = {suffix: tmp_path / f"out{suffix}" for suffix in (".jsonl", ".csv", ".parquet")}
    for out in outputs.values():
        score_file(src, out, model_dir=model_dir, progress=False).check()
    rows = [json.loads(line) for line in outputs[".jsonl"].read_text(encoding="utf-8").splitlines()]
    assert list(rows[0])[-2:] == ["review", "line"]  # the new field in schema order, before line
    assert rows[0]["review"] == {"by": "bot", "tags": ["a", "b"]} and rows[-1]["review"] is None
    table = pq.read_table(outputs[".parquet"])
    assert table.schema.field("review").type == pa.struct([("by", pa.string()), ("tags", pa.list_(pa.string()))])
    assert table.column("review").to_pylist()[0] == {"by": "bot", "tags": ["a", "b"]}
    assert b"review" in table.schema.metadata[b"mlmrisk.fields"]
    flat = read_csv(outputs[".csv"])
    assert flat[0]["review.by"] == "bot" and flat[0]["review.tags"] == "a,b"
    assert flat[-1]["review.by"] == "" and flat[-1]["error.code"] == "missing_text"


def test_every_format_holds_the_records(model_dir: Path, tmp_path: Path) -> None:
    """Parquet (read back) and CSV (the rule applied to that table) hold exactly the JSONL records."""
    rows = [{"id": i, "text": t, "account": f"u{i}", "n": i * 1.5} for i, t in enumerate(POSTS * 3)]
    rows[2]["text"] = None
    src = jsonl(tmp_path / "in.jsonl", rows)
    keep = ("account", "n")
    out = {s: tmp_path / f"o{s}" for s in (".jsonl", ".csv", ".parquet")}
    for path in out.values():
        score_file(src, path, model_dir=model_dir, keep_fields=keep, chunk_size=5, progress=False).check()
    records = [json.loads(line) for line in out[".jsonl"].read_text(encoding="utf-8").splitlines()]
    assert list(records[0])[0] == "id" and list(records[0])[-3:] == ["line", "account", "n"]
    assert records[0]["n"] == 0.0 and records[1]["account"] == "u1"  # JSONL keeps values as they are
    table = pq.read_table(out[".parquet"])
    assert table.num_rows == len(records)
    expected = tabular.records_to_table(records, keep)
    assert table.schema.remove_metadata() == expected.schema and table.to_pylist() == expected.to_pylist()
    csv_expected = tabular.flatten_for_csv(expected)
    # the fast path (JSON cells from the records) writes what the rule applied to the Arrow table writes
    assert tabular.flatten_for_csv(expected, records).equals(csv_expected)
    got = read_csv(out[".csv"])
    assert list(got[0]) == csv_expected.column_names
    for row, want in zip(got, csv_expected.to_pylist()):
        for name, value in want.items():
            text = "" if value is None else str(value).lower() if isinstance(value, bool) else value
            if isinstance(value, float):
                assert float(row[name]) == pytest.approx(value), name
            else:
                assert row[name] == str(text), name


def test_registry_drives_detection() -> None:
    assert set(formats.FORMATS) >= {"jsonl", "csv", "parquet", "text"}
    for name, fmt in formats.FORMATS.items():
        assert fmt.name == name and fmt.suffixes
        for suffix in fmt.suffixes:
            assert formats.format_for_suffix(suffix) == name
    assert formats.canonical_format("txt") == "text"


# ------------------------------------------------------------------------------------------------- safe output


def run_cli(*args: str, cwd: Path = REPO, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mlmrisk", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300, env={**os.environ, **env})


def test_outputs_that_are_not_regular_files_are_refused(model_dir: Path, tmp_path: Path) -> None:
    src = jsonl(tmp_path / "in.jsonl", [{"text": t} for t in POSTS])
    target = tmp_path / "real.jsonl"
    target.write_text("keep me", encoding="utf-8")
    link = tmp_path / "link.jsonl"
    link.symlink_to(target)
    fifo = tmp_path / "fifo.jsonl"
    os.mkfifo(fifo)
    for path, kind in ((link, "symlink"), (fifo, "FIFO"), (Path("/dev/full"), "device"),
                       (tmp_path, "directory")):
        with pytest.raises((OutputPathError, InputFormatError), match=kind):
            score_file(src, path, model_dir=model_dir, output_format="jsonl", progress=False)
    assert target.read_text(encoding="utf-8") == "keep me"
    with pytest.raises(OutputPathError, match="does not exist"):
        score_file(src, tmp_path / "no" / "such" / "dir.jsonl", model_dir=model_dir, progress=False)
    with pytest.raises(OutputPathError, match="rejects file .* is a symlink"):
        score_file(src, tmp_path / "o.jsonl", rejects_path=link, model_dir=model_dir, progress=False)
    done = run_cli("score", str(src), "-o", "/dev/full", "--output-format", "jsonl", "--model", str(model_dir),
                   "--no-progress")
    assert done.returncode == 1 and done.stderr.count("\n") == 1 and "device" in done.stderr, done.stderr


def test_write_failures_are_one_line(model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = jsonl(tmp_path / "in.jsonl", [{"text": t} for t in POSTS])

    def full(*args, **kwargs):
        raise OSError(28, "No space left on device", str(tmp_path / "o.jsonl.partial"))

    monkeypatch.setattr(bulk, "write_atomic", full)
    with pytest.raises(bulk.OutputWriteError, match="No space left on device") as caught:
        score_file(src, tmp_path / "o.jsonl", model_dir=model_dir, progress=False)
    # nothing was finished, so nothing is kept to resume, and the message does not ask for --resume
    assert "--resume" not in str(caught.value) and not (tmp_path / "o.jsonl.partial").exists()


def test_rejects_take_a_file_not_stdout(model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = jsonl(tmp_path / "in.jsonl", [{"text": t} for t in POSTS])
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InputFormatError, match="--rejects takes a file path, not -"):
        score_file(src, tmp_path / "o.jsonl", rejects_path="-", model_dir=model_dir, progress=False)
    with pytest.raises(InputFormatError, match="the rejects file is the input file"):
        score_file(src, tmp_path / "o.jsonl", rejects_path=src, model_dir=model_dir, progress=False)
    assert not (tmp_path / "-").exists()
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "今天天气不错"}\n{"text": null}\n', encoding="utf-8")
    summary = score_file(bad, tmp_path / "b.jsonl", model_dir=model_dir, progress=False)
    assert summary.bad == 1 and summary.rejected == 0  # "rejected" counts what a rejects file holds: none here


# --------------------------------------------------------------------------------------------------- encodings

ENCODINGS = [
    # (bytes, expected encoding, why)
    ("帖子内容，拉人头返利".encode("utf-8"), "utf-8", "UTF-8 without BOM"),
    (b"\xef\xbb\xbf" + "帖子".encode("utf-8"), "utf-8", "UTF-8 with BOM"),
    ("id,内容\r\n1,交入门费拉人头\r\n".encode("gbk"), "gb18030", "GBK CSV as Excel writes it"),
    ("发展下线，每天静态收益，推荐好友还有动态奖金".encode("gb18030"), "gb18030", "GB18030"),
    ("發展下線，每天靜態收益，推薦好友還有動態獎金，這個團隊".encode("big5"), "big5", "Big5 (traditional)"),
    ("帖子".encode("utf-16"), "utf-16", "UTF-16 with BOM"),
    (b"plain ascii", "utf-8", "ASCII is UTF-8"),
]


@pytest.mark.parametrize("data, expected, why", ENCODINGS)
def test_detect_encoding(data: bytes, expected: str, why: str) -> None:
    assert detect_encoding(data, final=True) == expected, why


def test_gbk_csv_from_excel_is_read(model_dir: Path, tmp_path: Path) -> None:
    text = ["交1980成为会员，每拉一个人返600", "今天天气真好，带娃去公园放风筝了"]
    src = tmp_path / "excel.csv"
    src.write_bytes(("编号,内容,账号\r\n" + "".join(f"{i},{t},用户{i}\r\n" for i, t in enumerate(text))).encode("gbk"))
    assert detect_input(src).encoding == "gb18030"
    assert [t for _, _, t in iter_records(src, text_field="内容")] == text
    out = tmp_path / "scored.csv"
    summary = score_file(src, out, model_dir=model_dir, text_field="内容", id_field="编号", keep_fields=["账号"],
                         progress=False)
    assert summary.encoding == "gb18030" and summary.bad == 0
    rows = read_csv(out)
    assert [r["账号"] for r in rows] == ["用户0", "用户1"] and [r["id"] for r in rows] == ["0", "1"]
    # explicit encodings: GBK is read as its superset GB18030; a wrong one is one line
    assert [t for _, _, t in iter_records(src, text_field="内容", encoding="gbk")] == text
    with pytest.raises(InputFormatError, match="unknown --encoding"):
        detect_input(src, encoding="klingon")
    # read as UTF-8 on purpose, the header's names do not decode: the message says the encoding is the problem
    with pytest.raises(InputFormatError, match="probably in another encoding; try --encoding auto"):
        list(iter_records(src, text_field="内容", encoding="utf-8"))


@pytest.mark.parametrize("encoding", ["utf-16", "big5", "utf-8-sig"])
def test_text_in_other_encodings(tmp_path: Path, encoding: str) -> None:
    lines = ["發展下線，直推十人拿見點獎", "今天天氣很好"]
    src = tmp_path / "posts.txt"
    src.write_bytes("\n".join(lines).encode(encoding))
    assert [t for _, _, t in iter_records(src)] == lines
    gz = tmp_path / "posts.txt.gz"
    gz.write_bytes(gzip.compress(src.read_bytes()))
    assert [t for _, _, t in iter_records(gz)] == lines


def test_undecodable_line_costs_one_record(tmp_path: Path) -> None:
    src = tmp_path / "posts.txt"
    src.write_bytes("第一行很正常\n".encode("gbk") + b"\x81\n" + "最后一行".encode("gbk"))
    got = [(line, t if isinstance(t, str) else t.code) for line, _, t in iter_records(src, encoding="gbk")]
    assert got == [(1, "第一行很正常"), (2, "invalid_utf8"), (3, "最后一行")]


# ------------------------------------------------------------------------------------------------------- fields


def test_wrong_jsonl_field_stops_early(model_dir: Path, tmp_path: Path) -> None:
    src = jsonl(tmp_path / "in.jsonl", [{"uid": i, "body": t} for i, t in enumerate(POSTS)])
    out = tmp_path / "o.jsonl"
    with pytest.raises(InputFormatError, match="field 'text' is in none of the first 4 records.*fields seen: body, uid"):
        score_file(src, out, model_dir=model_dir, progress=False)
    with pytest.raises(InputFormatError, match="field 'id' .*--id-field"):
        score_file(src, out, model_dir=model_dir, text_field="body", id_field="id", progress=False)
    with pytest.raises(InputFormatError, match="field 'url' .*--keep-fields"):
        score_file(src, out, model_dir=model_dir, text_field="body", keep_fields=["url"], progress=False)
    assert not out.exists() and not Path(str(out) + ".partial").exists()
    with pytest.raises(InputFormatError, match="would overwrite"):
        score_file(src, out, model_dir=model_dir, text_field="body", keep_fields=["risk"], progress=False)
    env = dict(os.environ, PYTHONPATH=str(REPO))
    proc = subprocess.run([sys.executable, "-m", "mlmrisk", "score", "-", "-o", "-", "--model", str(model_dir),
                           "--no-progress"], input=src.read_bytes(), capture_output=True, env=env, timeout=120)
    assert proc.returncode == 1 and b"fields seen: body, uid" in proc.stderr and proc.stderr.count(b"\n") == 1


def test_keep_fields_from_csv_and_parquet(model_dir: Path, tmp_path: Path) -> None:
    src = tmp_path / "in.parquet"
    pq.write_table(pa.table({"text": POSTS, "account": ["a", "b", None, "d"], "time": [1, 2, 3, 4]}), src)
    out = tmp_path / "o.jsonl"
    score_file(src, out, model_dir=model_dir, keep_fields=["account", "time"], progress=False)
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [(r["account"], r["time"]) for r in rows] == [("a", 1), ("b", 2), (None, 3), ("d", 4)]
    with pytest.raises(InputFormatError, match="--keep-fields column 'url' not found"):
        score_file(src, out, model_dir=model_dir, keep_fields=["url"], progress=False)
    txt = tmp_path / "in.txt"
    txt.write_text("a\nb\n", encoding="utf-8")
    with pytest.raises(InputFormatError, match="no fields"):
        score_file(txt, tmp_path / "t.jsonl", model_dir=model_dir, keep_fields=["x"], progress=False)


def test_only_flagged_counts_add_up(model_dir: Path, tmp_path: Path) -> None:
    src = tmp_path / "in.csv"
    src.write_text("text\n" + "\n".join(POSTS * 5) + "\n\n\n", encoding="utf-8")
    summary = score_file(src, tmp_path / "o.parquet", model_dir=model_dir, only_flagged=True, chunk_size=7,
                         progress=False)
    summary.check()
    assert summary.skipped == 2 and summary.records == 20 and summary.written == summary.flagged
    assert summary.filtered == summary.records - summary.flagged
    assert pq.read_table(tmp_path / "o.parquet").num_rows == summary.written
