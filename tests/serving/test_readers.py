"""Readers: detection, per-record errors, and the chunking invariant that worker sharding relies on."""

from __future__ import annotations

import gzip
import io
import sys
from pathlib import Path

import pytest
import zstandard
from hypothesis import given, settings
from hypothesis import strategies as st

from mlmrisk.classifier.errors import InputFormatError
from mlmrisk.serving import readers
from mlmrisk.serving.readers import ChunkReader, RecordError, detect_input, iter_records


def write(path: Path, data: bytes, compression: str | None = None) -> Path:
    if compression == "gzip":
        data = gzip.compress(data)
    elif compression == "zstd":
        data = zstandard.ZstdCompressor().compress(data)
    path.write_bytes(data)
    return path


def simple(records: list) -> list:
    """(line, id, text or error code) — what the tables below compare."""
    return [(line, rid, v.code if isinstance(v, RecordError) else v) for line, rid, v in records]


# ----------------------------------------------------------------------------------------------------- detection

DETECTION = [
    # (file name, content compression, expected format, expected compression, why)
    ("posts.jsonl", None, "jsonl", None, "plain suffix"),
    ("posts.ndjson", None, "jsonl", None, "ndjson is JSONL"),
    ("posts.jsonl.gz", "gzip", "jsonl", "gzip", "format under the compression suffix"),
    ("posts.csv.zst", "zstd", "csv", "zstd", "zstd suffix"),
    ("posts.jsonl", "gzip", "jsonl", "gzip", "compression is sniffed from magic bytes, not trusted from the name"),
    ("posts.txt", None, "text", None, "plain text"),
    ("posts.tsv", None, "tsv", None, "tab separated"),
    ("posts.dump", None, "jsonl", None, "unknown suffix, content starts with {"),
    ("posts.dump.gz", "gzip", "jsonl", "gzip", "unknown suffix, content sniffed after decompression"),
]


@pytest.mark.parametrize("name, compression, fmt, expected_compression, why", DETECTION)
def test_detect_input(tmp_path: Path, name: str, compression: str | None, fmt: str,
                      expected_compression: str | None, why: str) -> None:
    content = b'{"text": "a"}\n' if fmt != "csv" else b"text\na\n"
    spec = detect_input(write(tmp_path / name, content, compression))
    assert (spec.format, spec.compression) == (fmt, expected_compression), why
    assert spec.size == (tmp_path / name).stat().st_size
    assert spec.mtime_ns is not None


def test_detect_input_refusals(tmp_path: Path) -> None:
    with pytest.raises(InputFormatError, match="does not exist"):
        detect_input(tmp_path / "missing.jsonl")
    with pytest.raises(InputFormatError, match="--input-format"):
        detect_input(write(tmp_path / "posts.dat", b"just words\n"))  # would be guessing text vs CSV
    with pytest.raises(InputFormatError, match="unknown input format"):
        detect_input(write(tmp_path / "a.jsonl", b"{}\n"), "xml")
    with pytest.raises(InputFormatError, match="stdin"):
        detect_input("-", "parquet")
    with pytest.raises(InputFormatError, match="regular file"):
        detect_input(tmp_path)
    assert detect_input(write(tmp_path / "a.dat", b"x\n"), "txt").format == "text"  # the CLI's name for it


# ------------------------------------------------------------------------------------------------------- JSONL

JSONL_CASES = [
    # (line bytes, expected (id, text or error code) or None if skipped, why)
    (b'{"id": "a", "text": "\xe5\x8a\xa0\xe5\x85\xa5"}', ("a", "加入"), "ordinary record"),
    (b'{"text": "x"}', (2, "x"), "no id field: the line number"),
    (b'{"id": null, "text": "x"}', (3, "x"), "null id counts as absent"),
    (b"", None, "blank line: not a record, but it still counts as a line"),
    (b"   \r", None, "whitespace-only line, CRLF"),
    (b'{"id": 7, "text": "y"}\r', (7, "y"), "CRLF line end; numeric id kept as a number"),
    (b'{"id": "b", "text": ', (7, "invalid_json"), "truncated JSON: id unknown, so the line number"),
    (b'["text"]', (8, "not_an_object"), "valid JSON but not an object"),
    (b'{"id": "c"}', ("c", "missing_text"), "text field missing"),
    (b'{"id": "d", "text": null}', ("d", "missing_text"), "text null"),
    (b'{"id": "e", "text": 42}', ("e", "not_a_string"), "text a number"),
    (b'{"id": "f", "text": "\xff\xfe"}', (12, "invalid_utf8"), "invalid UTF-8 bytes"),
    (b'{"text": NaN}', (13, "invalid_json"), "NaN is not JSON"),
    (b'{"text": "\\ud800"}', (14, "invalid_json"), "lone surrogate escape cannot become UTF-8 text"),
    (b'{"id": "g", "text": ""}', ("g", ""), "empty text is a valid (empty) post"),
]


def test_jsonl_records_table(tmp_path: Path) -> None:
    data = b"\xef\xbb\xbf" + b"\n".join(line for line, _, _ in JSONL_CASES)  # BOM, no final newline
    path = write(tmp_path / "posts.jsonl", data)
    got = simple(list(iter_records(path)))
    expected = [(n, *exp) for n, (_, exp, _) in enumerate(JSONL_CASES, 1) if exp is not None]
    assert got == expected


def test_jsonl_error_records_keep_the_raw_line(tmp_path: Path) -> None:
    path = write(tmp_path / "posts.jsonl", b'{"text": "ok"}\n{"text": \n')
    (_, _, ok), (line, _, err) = iter_records(path)
    assert ok == "ok"
    assert line == 2 and err.code == "invalid_json" and err.raw == '{"text": ' and "line 2" in err.message


def test_jsonl_fields(tmp_path: Path) -> None:
    path = write(tmp_path / "posts.jsonl", b'{"uid": 1, "body": "a"}\n{"body": "b"}\n')
    got = simple(list(iter_records(path, text_field="body", id_field="uid")))
    assert got == [(1, 1, "a"), (2, 2, "missing_id")]  # an explicit id field must be there


def test_line_too_long(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(readers, "BLOCK_SIZE", 16)
    monkeypatch.setattr(readers, "MAX_LINE_BYTES", 40)
    long = b'{"text": "' + b"x" * 100 + b'"}'
    path = write(tmp_path / "posts.jsonl", b'{"text": "a"}\n' + long + b'\n{"text": "b"}\n' + long)
    got = simple(list(iter_records(path)))
    assert got == [(1, 1, "a"), (2, 2, "line_too_long"), (3, 3, "b"), (4, 4, "line_too_long")]


@settings(max_examples=150, deadline=None)
@given(lines=st.lists(st.binary(max_size=30).map(lambda b: b.replace(b"\n", b"")), max_size=40),
       final_newline=st.booleans(), bom=st.booleans(), block=st.integers(1, 50), chunk=st.integers(1, 12))
def test_line_cutting_matches_split(lines: list[bytes], final_newline: bool, bom: bool, block: int,
                                    chunk: int) -> None:
    """Whatever the block size, chunks hold exactly the lines of ``data.split(b"\\n")``, chunk_size at a time."""
    data = b"\xef\xbb\xbf" * bom + b"\n".join(lines) + (b"\n" if final_newline and lines else b"")
    expected = data.removeprefix(b"\xef\xbb\xbf").split(b"\n")  # a leading BOM is dropped
    if expected and expected[-1] == b"":
        expected.pop()
    old = readers.BLOCK_SIZE
    readers.BLOCK_SIZE = block
    try:
        stream = readers._Decompressed(io.BytesIO(data), readers._CountingSource(io.BytesIO(b"")), [])
        chunks = list(readers._iter_line_chunks(stream, chunk, lambda k: True))
    finally:
        readers.BLOCK_SIZE = old
    assert [line for c in chunks for line in c.payload] == expected
    assert [c.first_line for c in chunks] == list(range(1, len(expected) + 1, chunk))
    assert all(len(c.payload) == chunk for c in chunks[:-1])


# ------------------------------------------------------------------------------------------------- compression


def test_compressed_inputs_read_like_plain(tmp_path: Path) -> None:
    data = "".join(f'{{"id": {i}, "text": "帖子{i}"}}\n' for i in range(1000)).encode()
    plain = list(iter_records(write(tmp_path / "a.jsonl", data)))
    assert list(iter_records(write(tmp_path / "b.jsonl.gz", data, "gzip"))) == plain
    assert list(iter_records(write(tmp_path / "c.jsonl.zst", data, "zstd"))) == plain
    # several zstd frames in one file (pzstd, `cat a.zst b.zst`): all frames are read
    cctx = zstandard.ZstdCompressor()
    half = data.index(b"\n", len(data) // 2) + 1
    (tmp_path / "d.jsonl.zst").write_bytes(cctx.compress(data[:half]) + cctx.compress(data[half:]))
    assert list(iter_records(tmp_path / "d.jsonl.zst")) == plain
    # gzip members concatenated
    (tmp_path / "e.jsonl.gz").write_bytes(gzip.compress(data[:half]) + gzip.compress(data[half:]))
    assert list(iter_records(tmp_path / "e.jsonl.gz")) == plain


def test_stdin_is_sniffed(monkeypatch: pytest.MonkeyPatch) -> None:
    data = gzip.compress(b'{"text": "a"}\n{"text": "b"}\n')
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    assert simple(list(iter_records("-"))) == [(1, 1, "a"), (2, 2, "b")]
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"plain words\n")))
    with pytest.raises(InputFormatError, match="--input-format"):
        list(iter_records("-"))
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"plain words\n")))
    assert simple(list(iter_records("-", input_format="text"))) == [(1, 1, "plain words")]


# ------------------------------------------------------------------------------------------------------ text


def test_plain_text(tmp_path: Path) -> None:
    path = write(tmp_path / "posts.txt", "第一条\r\n\n第三条\n".encode() + b"\xff\xfe\n" + "最后".encode())
    got = simple(list(iter_records(path)))
    # blank line 2 IS a record (an empty post), so output stays aligned line for line
    assert got == [(1, 1, "第一条"), (2, 2, ""), (3, 3, "第三条"), (4, 4, "invalid_utf8"), (5, 5, "最后")]
    with pytest.raises(InputFormatError, match="no fields"):
        list(iter_records(path, id_field="id"))


# -------------------------------------------------------------------------------------------------------- CSV


def test_csv_records_table(tmp_path: Path) -> None:
    data = (
        "id,text,user\r\n"
        "a,普通帖子,1\r\n"
        '"b","多行\n帖子",2\r\n'  # quoted newline: one record starting on line 3
        "\r\n"  # blank line: skipped
        "c,,3\r\n"  # empty field = empty text
        "d,只有两列\r\n"  # wrong field count
        "e,\"引号\"\"内\",5\r\n"
    ).encode() + b"f,\xff\xfe,6\n"
    path = write(tmp_path / "posts.csv", b"\xef\xbb\xbf" + data)
    got = simple(list(iter_records(path)))
    assert got == [(2, "a", "普通帖子"), (3, "b", "多行\n帖子"), (6, "c", ""), (7, 7, "bad_row"),
                   (8, "e", '引号"内'), (9, "f", "invalid_utf8")]


def test_csv_columns(tmp_path: Path) -> None:
    path = write(tmp_path / "posts.csv", b"body,uid\nx,1\ny,\n")
    assert simple(list(iter_records(path, text_field="body"))) == [(2, 2, "x"), (3, 3, "y")]  # no id column
    assert simple(list(iter_records(path, text_field="body", id_field="uid"))) == [(2, "1", "x"), (3, 3, "missing_id")]
    with pytest.raises(InputFormatError, match="text column 'text' not found.*body, uid"):
        readers.check_fields(detect_input(path))
    with pytest.raises(InputFormatError, match="id column 'key'"):
        list(iter_records(path, text_field="body", id_field="key"))
    tsv = write(tmp_path / "posts.tsv", b"id\ttext\n1\ta,b\n")
    assert simple(list(iter_records(tsv))) == [(2, "1", "a,b")]


# ----------------------------------------------------------------------------------------------------- Parquet


def parquet(path: Path, columns: dict, row_group_size: int) -> Path:
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table(columns), path, row_group_size=row_group_size)
    return path


def test_parquet_chunks_follow_row_groups(tmp_path: Path) -> None:
    n = 25
    texts = [f"帖子{i}" if i % 7 else None for i in range(n)]
    path = parquet(tmp_path / "p.parquet", {"id": [f"r{i}" for i in range(n)], "text": texts}, row_group_size=10)
    spec = detect_input(path)
    assert spec.format == "parquet"
    with ChunkReader(spec, chunk_size=4) as reader:
        chunks = list(reader.chunks())
        # row groups of 10, 10, 5 → slices 4+4+2, 4+4+2, 4+1: a chunk never spans two row groups
        assert [c.first_line for c in chunks] == [1, 5, 9, 11, 15, 19, 21, 25]
        records = [r for c in chunks for r in reader.parse(c)]
    assert simple(records) == [(i + 1, f"r{i}", texts[i] if texts[i] is not None else "missing_text")
                               for i in range(n)]
    assert chunks[-1].progress_end > chunks[0].progress_start


def test_parquet_columns(tmp_path: Path) -> None:
    path = parquet(tmp_path / "p.parquet", {"n": [1, 2], "body": [b"\xe5\x8a\xa0", b"\xff"]}, 10)
    assert simple(list(iter_records(path, text_field="body"))) == [(1, 1, "加"), (2, 2, "invalid_utf8")]
    with pytest.raises(InputFormatError, match="type int64"):
        list(iter_records(path, text_field="n"))
    with pytest.raises(InputFormatError, match="not found"):
        readers.check_fields(detect_input(path), "text")


# ------------------------------------------------------------------------------------------- sharding invariant


@pytest.mark.parametrize("fmt", ["jsonl", "text", "csv", "parquet"])
def test_workers_together_see_every_record_once(tmp_path: Path, fmt: str) -> None:
    """Chunks k % W == w of W readers, merged by chunk index, give exactly the single reader's records."""
    n = 103
    texts = [f"post {i}" for i in range(n)]
    if fmt == "jsonl":
        path = write(tmp_path / "a.jsonl.gz", "".join(f'{{"text": "{t}"}}\n' for t in texts).encode(), "gzip")
    elif fmt == "text":
        path = write(tmp_path / "a.txt.zst", "".join(f"{t}\n" for t in texts).encode(), "zstd")
    elif fmt == "csv":
        path = write(tmp_path / "a.csv", ("text\n" + "".join(f"{t}\n" for t in texts)).encode())
    else:
        path = parquet(tmp_path / "a.parquet", {"text": texts}, row_group_size=17)
    spec = detect_input(path)
    single = list(iter_records(path, chunk_size=5))
    assert [t for _, _, t in single] == texts
    for n_workers in (1, 2, 3):
        by_chunk: dict[int, list] = {}
        counts = set()
        for w in range(n_workers):
            with ChunkReader(spec, chunk_size=5) as reader:
                seen = 0
                for chunk in reader.chunks(lambda k, w=w: k % n_workers == w):
                    seen += 1
                    if chunk.payload is not None:
                        assert chunk.index not in by_chunk
                        by_chunk[chunk.index] = reader.parse(chunk)
                counts.add(seen)
        assert len(counts) == 1  # every worker saw the same number of chunks
        assert [r for k in sorted(by_chunk) for r in by_chunk[k]] == single


def test_reading_holds_chunks_not_the_file(tmp_path: Path) -> None:
    """Peak memory while reading a ~30 MB (uncompressed) input stays a small fraction of it."""
    import tracemalloc

    line = '{"id": %d, "text": "这是一条用来测试内存占用的普通帖子，内容没有什么特别的"}\n'
    data = "".join(line % i for i in range(300_000)).encode()
    path = write(tmp_path / "big.jsonl.gz", data, "gzip")
    tracemalloc.start()
    try:
        with ChunkReader(detect_input(path), chunk_size=2048) as reader:
            n = sum(len(reader.parse(c)) for c in reader.chunks(lambda k: k % 8 == 0) if c.payload is not None)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert n == 19 * 2048  # chunks 0, 8, …, 144 of 147
    assert peak < len(data) / 4, f"peak {peak / 1e6:.1f} MB for {len(data) / 1e6:.1f} MB of input"
