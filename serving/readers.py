"""Streaming input readers for bulk scoring: format and compression detection, fixed-size chunking.

Why chunks and not a plain record iterator: the bulk scorer (``serving/bulk.py``) runs W worker processes that each
open and read the *whole* input themselves and parse only the chunks ``k`` with ``k % W == w`` (docs/design_facts.md §2: shipping
strings through pipes capped two-process scaling at 1.3–1.7×, own-input sharding reached 1.8–2.0×). That only works
if every worker cuts the input into exactly the same chunks, cheaply and without parsing what it will not score:

- JSONL and plain text: a chunk is ``chunk_size`` physical lines. Lines are found by splitting 1 MiB blocks of the
  decompressed stream on ``\\n``, which runs at millions of lines/s; JSON is parsed only on a worker's own lines.
- CSV/TSV: a chunk is ``chunk_size`` CSV rows (a quoted field may hold newlines, so rows are found by the C ``csv``
  parser; every worker parses all rows, at ~600k rows/s, cheap next to scoring).
- Parquet: a chunk is a slice of at most ``chunk_size`` rows of one row group. The row-group sizes are in the file
  footer, so the chunk list is known up front and row groups holding none of a worker's chunks are never read.

JSON is parsed with orjson (3x ``json.loads`` here: ~1M lines/s against ~320k/s), which is strict JSON: ``NaN``,
lone surrogate escapes and nesting deeper than 1024 are ``invalid_json`` records.

A record is a tuple ``(line, id, text_or_error)``:

- ``line`` says where the record is in the input, 1-based: the physical line for JSONL, text and CSV (the line the
  row starts on, so the header is line 1), the row number for Parquet. It is in every error message and output row.
- ``id`` is the value of ``id_field``; when ``id_field`` is None it is the ``id`` field/column if the record (JSONL)
  or the schema (CSV, Parquet) has one and it is not null, else ``line``.
- ``text_or_error`` is the text (``str``) or a :class:`RecordError`. Readers never raise on one bad record: malformed
  JSON, a non-object line, a missing/null/non-string text, an explicit ``id_field`` that is missing, invalid UTF-8,
  a CSV row with the wrong number of fields and an over-long line all become ``RecordError`` values.

Blank lines are not records in JSONL and CSV (they are skipped; ``line`` still counts them) but ARE records in plain
text, where an empty line is an empty post: that keeps plain-text output aligned line-for-line with its input.
A CSV empty field is the empty string (CSV cannot tell it from null).

Errors about the input as a whole (missing file, unknown format, missing column, Parquet on stdin) raise
:class:`classifier.errors.InputFormatError` before any record is read.
"""

from __future__ import annotations

import csv
import io
import os
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple

import orjson

from mlmrisk.classifier.errors import InputFormatError

INPUT_FORMATS = ("jsonl", "csv", "tsv", "parquet", "text")
COMPRESSIONS = ("gzip", "zstd")
STDIN = "-"

#: Bytes read from the (decompressed) stream at a time when cutting lines. Big enough that the per-block Python
#: overhead vanishes, small enough to be irrelevant for memory.
BLOCK_SIZE = 1 << 20
#: A line longer than this becomes a ``line_too_long`` error record instead of being held in memory: an input without
#: newlines (a wrong format, a corrupted file) must not make every worker read it whole into one ``bytes`` object.
MAX_LINE_BYTES = 64 << 20
#: The same bound for one CSV field (``csv.field_size_limit``); an unterminated quote would otherwise swallow the file.
MAX_FIELD_CHARS = 64 << 20

_SUFFIX_FORMATS = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".txt": "text",
    ".text": "text",
}
_FORMAT_ALIASES = {"txt": "text", "ndjson": "jsonl"}
_SUFFIX_COMPRESSIONS = {".gz": "gzip", ".gzip": "gzip", ".zst": "zstd", ".zstd": "zstd"}
_GZIP_MAGIC = b"\x1f\x8b"
_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
_PARQUET_MAGIC = b"PAR1"
_BOM = b"\xef\xbb\xbf"
# Lone surrogates: what invalid UTF-8 bytes decode to under errors="surrogateescape" (CSV is decoded that way so one
# bad byte costs one record, not the whole stream).
_SURROGATE = re.compile("[\ud800-\udfff]")


class RecordError(NamedTuple):
    """Why one input record cannot be scored; becomes an error row, never an exception.

    ``code`` is stable and machine-readable: ``missing_text`` (field missing or null), ``not_a_string`` and
    ``invalid_utf8`` as the Scorer names them (``serving.scorer.coerce_text``), plus ``invalid_json``,
    ``not_an_object``, ``missing_id``, ``bad_row`` (CSV) and ``line_too_long``. ``raw`` is the offending input
    line for the rejects file (None where there is no single line, as for Parquet rows).
    """

    code: str
    message: str
    raw: str | None = None


Record = tuple[int, Any, "str | RecordError"]


@dataclass(frozen=True)
class InputSpec:
    """What an input is, decided once in the parent and handed to every worker (picklable, no open handles).

    ``size`` and ``mtime_ns`` identify the file for ``--resume`` (None for stdin); ``size`` is also the progress
    total.
    """

    path: str
    format: str
    compression: str | None
    size: int | None
    mtime_ns: int | None

    @property
    def is_stdin(self) -> bool:
        return self.path == STDIN


@dataclass
class Chunk:
    """One fixed slice of the input. ``payload`` is format-specific raw data, present only for wanted chunks.

    ``progress_start``/``progress_end`` are positions in the *input file as stored* (compressed bytes), so that
    progress and MB/s refer to the file on disk and the total is its size.
    """

    index: int
    first_line: int
    progress_start: int
    progress_end: int
    payload: Any = None


# --------------------------------------------------------------------------------------------------------- detection


def detect_input(path: str | os.PathLike[str], input_format: str | None = None) -> InputSpec:
    """Decide format and compression of ``path`` (``-`` = stdin) from ``input_format``, the suffix, then the content.

    Compression is always sniffed from the magic bytes for files (a ``.jsonl`` that is really gzip still works);
    for stdin it is sniffed by the reader. The format comes from ``input_format``, else from the suffix under any
    compression suffix (``posts.jsonl.zst`` → jsonl), else from the content: ``PAR1`` → parquet, a first non-blank
    byte ``{`` → jsonl. Anything else is refused rather than guessed, because reading CSV as text (or the reverse)
    would silently score the wrong strings.
    """
    input_format = _FORMAT_ALIASES.get(input_format, input_format)
    if input_format is not None and input_format not in INPUT_FORMATS:
        raise InputFormatError(
            f"unknown input format {input_format!r}; expected one of {', '.join(INPUT_FORMATS)}"
        )
    spath = os.fspath(path)
    if spath == STDIN:
        if input_format == "parquet":
            raise InputFormatError(
                "Parquet cannot be read from stdin (its index is at the end of the file); pass the file path instead"
            )
        return InputSpec(STDIN, input_format or "", None, None, None)
    p = Path(spath)
    try:
        st = p.stat()
    except FileNotFoundError:
        raise InputFormatError(f"input file {spath!r} does not exist; check the path") from None
    except OSError as exc:
        raise InputFormatError(f"cannot read input file {spath!r}: {exc.strerror or exc}") from None
    if not p.is_file():
        raise InputFormatError(f"input {spath!r} is not a regular file; pass a file path or '-' for stdin")
    try:
        with open(p, "rb") as f:
            magic = f.read(4)
    except OSError as exc:
        raise InputFormatError(f"cannot read input file {spath!r}: {exc.strerror or exc}") from None
    compression = _sniff_compression(magic)
    fmt = input_format or _format_from_suffix(p.name)
    if fmt is None:
        if magic == _PARQUET_MAGIC:
            fmt = "parquet"
        else:
            with open_decompressed(InputSpec(str(p), "", compression, st.st_size, st.st_mtime_ns)) as stream:
                head = stream.read(4096)
            fmt = _format_from_content(head)
        if fmt is None:
            raise InputFormatError(
                f"cannot tell the format of {spath!r} from its name or content; "
                f"pass --input-format ({', '.join(INPUT_FORMATS)})"
            )
    if fmt == "parquet" and compression is not None:
        raise InputFormatError(
            f"{spath!r} is {compression}-compressed Parquet; decompress it first (Parquet compresses internally)"
        )
    return InputSpec(str(p.resolve()), fmt, compression, st.st_size, st.st_mtime_ns)


def _sniff_compression(magic: bytes) -> str | None:
    if magic.startswith(_GZIP_MAGIC):
        return "gzip"
    if magic.startswith(_ZSTD_MAGIC):
        return "zstd"
    return None


def _format_from_suffix(name: str) -> str | None:
    stem, dot, suffix = name.lower().rpartition(".")
    if dot and "." + suffix in _SUFFIX_COMPRESSIONS:
        stem, dot, suffix = stem.rpartition(".")
    return _SUFFIX_FORMATS.get("." + suffix) if dot else None


def _format_from_content(head: bytes) -> str | None:
    stripped = head.removeprefix(_BOM).lstrip()
    if stripped.startswith(b"{"):
        return "jsonl"
    return None


# ----------------------------------------------------------------------------------------------------------- streams


class _CountingSource(io.RawIOBase):
    """Raw reader over a file object that counts bytes consumed and can replay a sniffed prefix.

    The count is the progress position in the stored (compressed) input; the prefix lets stdin be sniffed for
    compression magic without seeking.
    """

    def __init__(self, raw: BinaryIO, prefix: bytes = b"") -> None:
        self._raw = raw
        self._prefix = prefix
        self.consumed = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        if self._prefix:
            n = min(len(view), len(self._prefix))
            view[:n] = self._prefix[:n]
            self._prefix = self._prefix[n:]
        else:
            data = self._raw.read(len(view))
            n = len(data)
            view[:n] = data
        self.consumed += n
        return n


class _Decompressed(io.RawIOBase):
    """The decompressed byte stream plus the :class:`_CountingSource` under it (for progress positions)."""

    def __init__(self, stream: BinaryIO, source: _CountingSource, owned: list[Any]) -> None:
        self._stream = stream
        self.source = source
        self._owned = owned

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:  # type: ignore[override]
        return self._stream.read(size)

    def readinto(self, buffer: Any) -> int:
        data = self._stream.read(len(buffer))
        memoryview(buffer).cast("B")[: len(data)] = data
        return len(data)

    def close(self) -> None:
        if not self.closed:
            for obj in reversed(self._owned):
                try:
                    obj.close()
                except Exception:  # closing must not hide the error that got us here
                    pass
        super().close()


def open_decompressed(spec: InputSpec) -> _Decompressed:
    """Open the input as a decompressed binary stream (gzip, multi-frame zstd or plain; ``-`` = stdin).

    zstd frames are read across (``read_across_frames``: files made by pzstd or by ``cat a.zst b.zst`` hold several)
    and windows up to 2 GiB are accepted (``zstd --long=31`` archives).
    """
    owned: list[Any] = []
    if spec.is_stdin:
        raw: BinaryIO = sys.stdin.buffer
        prefix = raw.read(4)
        compression = _sniff_compression(prefix)
    else:
        raw = open(spec.path, "rb", buffering=0)  # noqa: SIM115 - closed by _Decompressed.close
        owned.append(raw)
        prefix = b""
        compression = spec.compression
    source = _CountingSource(raw, prefix)
    buffered = io.BufferedReader(source, buffer_size=BLOCK_SIZE)
    stream: BinaryIO
    if compression == "gzip":
        import gzip

        stream = gzip.GzipFile(fileobj=buffered, mode="rb")
        owned.append(stream)
    elif compression == "zstd":
        import zstandard

        dctx = zstandard.ZstdDecompressor(max_window_size=1 << 31)
        stream = dctx.stream_reader(buffered, read_size=BLOCK_SIZE, read_across_frames=True, closefd=False)
        owned.append(stream)
    else:
        stream = buffered
    return _Decompressed(stream, source, owned)


def resolve_stdin_format(stream: _Decompressed, spec: InputSpec) -> tuple[InputSpec, bytes]:
    """For stdin without ``--input-format``: sniff the format from the first block; returns it and that block."""
    head = stream.read(BLOCK_SIZE)
    fmt = spec.format or _format_from_content(head)
    if not fmt:
        raise InputFormatError(
            "cannot tell the format of stdin from its content; pass --input-format "
            f"({', '.join(f for f in INPUT_FORMATS if f != 'parquet')})"
        )
    return InputSpec(spec.path, fmt, spec.compression, spec.size, spec.mtime_ns), head


# ---------------------------------------------------------------------------------------------------------- chunking


class _TooLong(NamedTuple):
    """Stands in, inside a chunk's list of lines, for a line longer than MAX_LINE_BYTES that was not kept."""

    length: int
    head: bytes


def _iter_lines_blocks(stream: _Decompressed, head: bytes = b"") -> Iterator[list[bytes | _TooLong]]:
    """Yield lists of complete lines (without ``\\n``), block by block; over-long lines become ``_TooLong``.

    A line spanning blocks is collected as a list of pieces and joined once (no quadratic re-concatenation); once
    it passes MAX_LINE_BYTES its bytes are dropped until the next newline.
    """
    pending: list[bytes] = []
    pending_len = 0
    skipping: int | None = None  # length so far of an over-long line being discarded
    skip_head = b""
    first = True
    while True:
        block = head if head else stream.read(BLOCK_SIZE)
        head = b""
        if not block:
            break
        if first:
            while len(block) < len(_BOM) and _BOM.startswith(block):  # a short first read may split the BOM
                more = stream.read(BLOCK_SIZE)
                if not more:
                    break
                block += more
            block = block.removeprefix(_BOM)
            first = False
            if not block:
                continue
        lines: list[bytes | _TooLong] = block.split(b"\n")  # type: ignore[assignment]
        if len(lines) == 1:  # no newline in this block
            if skipping is not None:
                skipping += len(block)
            else:
                pending.append(block)
                pending_len += len(block)
                if pending_len > MAX_LINE_BYTES:
                    skipping, skip_head = pending_len, pending[0][:200]
                    pending, pending_len = [], 0
            continue
        if skipping is not None:
            lines[0] = _TooLong(skipping + len(lines[0]), skip_head)  # type: ignore[arg-type]
            skipping = None
        elif pending:
            pending.append(lines[0])  # type: ignore[arg-type]
            joined = b"".join(pending)
            lines[0] = joined if len(joined) <= MAX_LINE_BYTES else _TooLong(len(joined), joined[:200])
            pending, pending_len = [], 0
        tail = lines.pop()
        if tail:
            pending, pending_len = [tail], len(tail)  # type: ignore[list-item]
        yield lines
    if skipping is not None:
        yield [_TooLong(skipping, skip_head)]
    elif pending:
        joined = b"".join(pending)
        yield [joined if len(joined) <= MAX_LINE_BYTES else _TooLong(len(joined), joined[:200])]


def _iter_line_chunks(
    stream: _Decompressed, chunk_size: int, want: Callable[[int], bool], head: bytes = b""
) -> Iterator[Chunk]:
    """Cut the line stream into chunks of exactly ``chunk_size`` lines (the last may be shorter)."""
    buf: list[bytes | _TooLong] = []
    index = 0
    line = 1
    start = 0  # bytes read before the first chunk (sniffing, CSV header) belong to it
    for lines in _iter_lines_blocks(stream, head):
        buf.extend(lines)
        if len(buf) < chunk_size:
            continue
        pos = 0
        while len(buf) - pos >= chunk_size:
            end = stream.source.consumed
            payload = buf[pos : pos + chunk_size] if want(index) else None
            yield Chunk(index, line, start, end, payload)
            index += 1
            line += chunk_size
            start = end
            pos += chunk_size
        del buf[:pos]
    if buf:
        yield Chunk(index, line, start, stream.source.consumed, buf if want(index) else None)


# ------------------------------------------------------------------------------------------------------ line parsing


def _parse_jsonl(lines: Sequence[bytes | _TooLong], first_line: int, text_field: str, id_field: str | None) -> list[Record]:
    """Parse one chunk of JSONL lines into records; the hot loop of the JSONL reader, kept flat on purpose."""
    out: list[Record] = []
    append = out.append
    loads = orjson.loads
    id_key = id_field if id_field is not None else "id"
    explicit_id = id_field is not None
    number = first_line - 1
    for raw in lines:
        number += 1
        if type(raw) is _TooLong:
            append((number, number, _too_long(raw, number)))
            continue
        try:
            obj = loads(raw)
        except ValueError as exc:  # orjson.JSONDecodeError; also raised for invalid UTF-8
            if not raw.strip():
                continue  # a blank line is not a record
            append((number, number, _json_error(raw, number, exc)))
            continue
        if type(obj) is not dict:
            append((number, number, RecordError(
                "not_an_object", f"line {number}: expected a JSON object, got {type(obj).__name__}",
                raw.decode(errors="replace"))))
            continue
        rid = obj.get(id_key)
        if rid is None:
            if explicit_id:
                append((number, number, RecordError(
                    "missing_id", f"line {number}: id field {id_key!r} is missing or null", raw.decode(errors="replace"))))
                continue
            rid = number
        text = obj.get(text_field, _MISSING)
        if type(text) is str:
            append((number, rid, text))
        else:
            append((number, rid, _bad_text(text, text_field, number, raw)))
    return out


_MISSING = object()


def _json_error(raw: bytes, number: int, exc: ValueError) -> RecordError:
    try:
        text = raw.decode()
    except UnicodeDecodeError as uexc:
        return RecordError("invalid_utf8", f"line {number}: invalid UTF-8 at byte {uexc.start}",
                           raw.decode(errors="replace"))
    return RecordError("invalid_json", f"line {number}: invalid JSON: {exc}", text)


def _bad_text(text: object, text_field: str, number: int, raw: bytes | None) -> RecordError:
    where = f"line {number}"
    raw_s = raw.decode(errors="replace") if raw is not None else None
    if text is _MISSING:
        return RecordError("missing_text", f"{where}: text field {text_field!r} is missing", raw_s)
    if text is None:
        return RecordError("missing_text", f"{where}: text field {text_field!r} is null", raw_s)
    return RecordError("not_a_string", f"{where}: text field {text_field!r} is a {type(text).__name__}, not a string",
                       raw_s)


def _too_long(raw: _TooLong, number: int) -> RecordError:
    return RecordError(
        "line_too_long",
        f"line {number}: {raw.length} bytes, longer than the {MAX_LINE_BYTES} byte limit; not read",
        raw.head.decode(errors="replace") + "…")


def _parse_text(lines: Sequence[bytes | _TooLong], first_line: int) -> list[Record]:
    """Plain text: every line is one post (trailing ``\\r`` removed), id = line number."""
    out: list[Record] = []
    append = out.append
    number = first_line - 1
    for raw in lines:
        number += 1
        if type(raw) is _TooLong:
            append((number, number, _too_long(raw, number)))
            continue
        if raw.endswith(b"\r"):
            raw = raw[:-1]
        try:
            append((number, number, raw.decode()))
        except UnicodeDecodeError as exc:
            append((number, number, RecordError("invalid_utf8", f"line {number}: invalid UTF-8 at byte {exc.start}",
                                                raw.decode(errors="replace"))))
    return out


# --------------------------------------------------------------------------------------------------------------- CSV


@dataclass(frozen=True)
class _CsvLayout:
    n_fields: int
    text_index: int
    id_index: int | None
    explicit_id: bool


def _csv_header(stream: _Decompressed, delimiter: str, head: bytes) -> tuple[list[str], bytes]:
    """Read the header row, returning it and the bytes already taken from the stream (to be replayed)."""
    data = head
    while True:
        text = data.removeprefix(_BOM).decode("utf-8", errors="surrogateescape")
        rows = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        try:
            header = next(rows)
            complete = rows.line_num < text.count("\n") or len(data) > MAX_LINE_BYTES
        except StopIteration:
            header, complete = [], False
        except csv.Error:
            header, complete = [], False
        more = b"" if complete else stream.read(BLOCK_SIZE)
        if complete or not more:
            return header, data
        data += more


def _csv_layout(header: list[str], text_field: str, id_field: str | None, path: str) -> _CsvLayout:
    if not header:
        raise InputFormatError(f"{path!r} has no CSV header row; the first row must name the columns")
    if text_field not in header:
        raise InputFormatError(
            f"text column {text_field!r} not found in {path!r}; columns are: {', '.join(header)}; pass --text-field"
        )
    if id_field is not None and id_field not in header:
        raise InputFormatError(
            f"id column {id_field!r} not found in {path!r}; columns are: {', '.join(header)}; pass --id-field"
        )
    id_name = id_field if id_field is not None else ("id" if "id" in header else None)
    return _CsvLayout(len(header), header.index(text_field), header.index(id_name) if id_name else None,
                      id_field is not None)


def _iter_csv_chunks(
    stream: _Decompressed, spec: InputSpec, chunk_size: int, want: Callable[[int], bool], head: bytes,
    layout_box: list[_CsvLayout], text_field: str, id_field: str | None,
) -> Iterator[Chunk]:
    delimiter = "\t" if spec.format == "tsv" else ","
    header, prefix = _csv_header(stream, delimiter, head)
    layout_box.append(_csv_layout(header, text_field, id_field, spec.path))
    text = io.TextIOWrapper(io.BufferedReader(_CountingSource(stream, prefix), BLOCK_SIZE), encoding="utf-8-sig",
                            errors="surrogateescape", newline="")
    reader = csv.reader(text, delimiter=delimiter)
    old_limit = csv.field_size_limit(MAX_FIELD_CHARS)
    try:
        next(reader, None)  # the header, parsed again
        index = 0
        start = 0  # bytes read before the first chunk (sniffing, CSV header) belong to it
        rows: list[tuple[int, list[str] | RecordError]] = []
        first_line = reader.line_num + 1
        while True:
            line = reader.line_num + 1
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                rows.append((line, RecordError("bad_row", f"line {line}: unreadable CSV row: {exc}")))
            else:
                if not row:
                    continue  # blank line: not a record
                rows.append((line, row))
            if len(rows) == chunk_size:
                end = stream.source.consumed
                yield Chunk(index, first_line, start, end, rows if want(index) else None)
                index += 1
                start = end
                rows = []
                first_line = reader.line_num + 1
        if rows:
            yield Chunk(index, first_line, start, stream.source.consumed, rows if want(index) else None)
    finally:
        csv.field_size_limit(old_limit)


def _parse_csv(rows: Sequence[tuple[int, list[str] | RecordError]], layout: _CsvLayout) -> list[Record]:
    out: list[Record] = []
    append = out.append
    n_fields, ti, ii = layout.n_fields, layout.text_index, layout.id_index
    search = _SURROGATE.search
    for number, row in rows:
        if type(row) is RecordError:
            append((number, number, row))
            continue
        if len(row) != n_fields:
            append((number, number, RecordError(
                "bad_row", f"line {number}: row has {len(row)} fields, the header has {n_fields}",
                _csv_raw(row))))
            continue
        rid: Any = row[ii] if ii is not None else number
        if layout.explicit_id and rid == "":
            append((number, number, RecordError("missing_id", f"line {number}: id field is empty", _csv_raw(row))))
            continue
        text = row[ti]
        if not text.isascii() and search(text):
            append((number, rid, RecordError("invalid_utf8", f"line {number}: text is not valid UTF-8",
                                             _csv_raw(row))))
            continue
        append((number, rid, text))
    return out


def _csv_raw(row: list[str]) -> str:
    buf = io.StringIO()
    csv.writer(buf).writerow(row)
    return buf.getvalue().rstrip("\r\n").encode("utf-8", "surrogateescape").decode("utf-8", "replace")


# ----------------------------------------------------------------------------------------------------------- Parquet


@dataclass(frozen=True)
class _ParquetLayout:
    columns: tuple[str, ...]
    text_column: str
    id_column: str | None
    explicit_id: bool
    text_is_binary: bool
    text_is_null: bool


def _parquet_layout(pf: Any, text_field: str, id_field: str | None, path: str) -> _ParquetLayout:
    import pyarrow as pa

    schema = pf.schema_arrow
    names = schema.names
    if text_field not in names:
        raise InputFormatError(
            f"text column {text_field!r} not found in {path!r}; columns are: {', '.join(names)}; pass --text-field"
        )
    if id_field is not None and id_field not in names:
        raise InputFormatError(
            f"id column {id_field!r} not found in {path!r}; columns are: {', '.join(names)}; pass --id-field"
        )
    ttype = schema.field(text_field).type
    if pa.types.is_dictionary(ttype):
        ttype = ttype.value_type
    is_string = pa.types.is_string(ttype) or pa.types.is_large_string(ttype) or (
        hasattr(pa.types, "is_string_view") and pa.types.is_string_view(ttype))
    is_binary = pa.types.is_binary(ttype) or pa.types.is_large_binary(ttype) or (
        hasattr(pa.types, "is_binary_view") and pa.types.is_binary_view(ttype))
    is_null = pa.types.is_null(ttype)
    if not (is_string or is_binary or is_null):
        raise InputFormatError(
            f"text column {text_field!r} in {path!r} has type {ttype}, expected a string column; pass --text-field"
        )
    id_name = id_field if id_field is not None else ("id" if "id" in names else None)
    columns = (text_field,) if id_name in (None, text_field) else (text_field, id_name)
    return _ParquetLayout(columns, text_field, id_name, id_field is not None, is_binary, is_null)


def parquet_chunk_plan(pf: Any, chunk_size: int) -> list[tuple[int, int, int, int, int]]:
    """Chunks of a Parquet file as ``(row_group, offset, length, progress_start, progress_end)``, in file order.

    A chunk never spans row groups, so a worker reads only the row groups that hold its chunks. Progress positions
    spread each row group's compressed size over its rows.
    """
    plan = []
    pos = 0
    meta = pf.metadata
    for rg in range(meta.num_row_groups):
        rgm = meta.row_group(rg)
        n, size = rgm.num_rows, rgm.total_byte_size
        if hasattr(rgm, "total_compressed_size"):
            size = rgm.total_compressed_size
        for off in range(0, n, chunk_size):
            length = min(chunk_size, n - off)
            plan.append((rg, off, length, pos + size * off // n, pos + size * (off + length) // n))
        pos += size
    return plan


def _iter_parquet_chunks(
    spec: InputSpec, chunk_size: int, want: Callable[[int], bool], layout_box: list[_ParquetLayout],
    text_field: str, id_field: str | None,
) -> Iterator[Chunk]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(spec.path)
    except (pa.ArrowException, OSError) as exc:
        raise InputFormatError(f"{spec.path!r} is not a readable Parquet file: {exc}") from None
    with pf:
        layout = _parquet_layout(pf, text_field, id_field, spec.path)
        layout_box.append(layout)
        plan = parquet_chunk_plan(pf, chunk_size)
        rows_before = 0
        by_group: dict[int, list[int]] = {}
        for k, (rg, *_rest) in enumerate(plan):
            by_group.setdefault(rg, []).append(k)
        first_rows = []
        for rg, _off, length, _s, _e in plan:
            first_rows.append(rows_before)
            rows_before += length
        for rg, ks in by_group.items():
            wanted = [k for k in ks if want(k)]
            if not wanted:
                for k in ks:
                    _rg, _off, _len, s, e = plan[k]
                    yield Chunk(k, first_rows[k] + 1, s, e, None)
                continue
            batches = pf.iter_batches(batch_size=chunk_size, row_groups=[rg], columns=list(layout.columns),
                                      use_threads=False)
            pending: Any = None
            for k in ks:
                _rg, _off, length, s, e = plan[k]
                # Re-slice: do not rely on iter_batches returning exactly chunk_size rows per batch.
                while pending is None or pending.num_rows < length:
                    nxt = next(batches)
                    pending = nxt if pending is None else pa.concat_batches([pending, nxt])
                piece, pending = pending.slice(0, length), pending.slice(length)
                yield Chunk(k, first_rows[k] + 1, s, e, piece if want(k) else None)


def _parse_parquet(batch: Any, first_line: int, layout: _ParquetLayout) -> list[Record]:
    texts = batch.column(0).to_pylist()
    n = len(texts)
    if layout.id_column is None:
        ids: list[Any] = list(range(first_line, first_line + n))
    elif layout.id_column == layout.text_column:
        ids = list(texts)
    else:
        ids = batch.column(1).to_pylist()
    out: list[Record] = []
    append = out.append
    for i, (rid, text) in enumerate(zip(ids, texts)):
        number = first_line + i
        if rid is None:
            if layout.explicit_id:
                append((number, number, RecordError("missing_id", f"row {number}: id column is null")))
                continue
            rid = number
        if type(text) is str:
            append((number, rid, text))
        elif text is None:
            append((number, rid, RecordError("missing_text", f"row {number}: text column {layout.text_column!r} is null")))
        else:  # binary column
            try:
                append((number, rid, text.decode()))
            except UnicodeDecodeError as exc:
                append((number, rid, RecordError("invalid_utf8", f"row {number}: invalid UTF-8 at byte {exc.start}",
                                                 text.decode(errors="replace"))))
    return out


# -------------------------------------------------------------------------------------------------------- public API


class ChunkReader:
    """Cuts an input into numbered chunks and parses the wanted ones into records.

    Use as a context manager. ``chunks(want)`` yields every chunk in order (so positions stay in step across
    workers) but fills ``payload`` only where ``want(index)``; ``parse(chunk)`` turns a payload into records.
    """

    def __init__(self, spec: InputSpec, *, text_field: str = "text", id_field: str | None = None,
                 chunk_size: int = 8192) -> None:
        if chunk_size < 1:
            raise ValueError(f"chunk_size must be >= 1, got {chunk_size}")
        if spec.format == "text" and id_field is not None:
            raise InputFormatError("plain text input has no fields; drop --id-field (ids are line numbers)")
        self.spec = spec
        self.text_field = text_field
        self.id_field = id_field
        self.chunk_size = chunk_size
        self._stream: _Decompressed | None = None
        self._layout: list[Any] = []

    def __enter__(self) -> "ChunkReader":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._stream is not None:
            self._stream.close()
            self._stream = None

    @property
    def format(self) -> str:
        return self.spec.format

    def chunks(self, want: Callable[[int], bool] = lambda k: True) -> Iterator[Chunk]:
        """Every chunk of the input in order; ``payload`` is None for chunks not wanted."""
        if self.spec.format == "parquet":
            yield from _iter_parquet_chunks(self.spec, self.chunk_size, want, self._layout, self.text_field,
                                            self.id_field)
            return
        self._stream = open_decompressed(self.spec)
        head = b""
        if self.spec.is_stdin:
            self.spec, head = resolve_stdin_format(self._stream, self.spec)
        if self.spec.format in ("csv", "tsv"):
            yield from _iter_csv_chunks(self._stream, self.spec, self.chunk_size, want, head, self._layout,
                                        self.text_field, self.id_field)
        else:
            yield from _iter_line_chunks(self._stream, self.chunk_size, want, head)

    def parse(self, chunk: Chunk) -> list[Record]:
        """The records of a wanted chunk, in input order."""
        if chunk.payload is None:
            raise ValueError(f"chunk {chunk.index} was not wanted, so it has no payload to parse")
        fmt = self.spec.format
        if fmt == "jsonl":
            return _parse_jsonl(chunk.payload, chunk.first_line, self.text_field, self.id_field)
        if fmt == "text":
            return _parse_text(chunk.payload, chunk.first_line)
        if fmt in ("csv", "tsv"):
            return _parse_csv(chunk.payload, self._layout[0])
        return _parse_parquet(chunk.payload, chunk.first_line, self._layout[0])


def check_fields(spec: InputSpec, text_field: str = "text", id_field: str | None = None) -> None:
    """Fail fast, before workers start, on a CSV/Parquet input that lacks the asked-for columns.

    Reads only the header (CSV) or footer (Parquet); a no-op for stdin, JSONL and text, whose fields are per record.
    """
    if spec.is_stdin or spec.format in ("jsonl", "text"):
        if spec.format == "text" and id_field is not None:
            raise InputFormatError("plain text input has no fields; drop --id-field (ids are line numbers)")
        return
    if spec.format == "parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        try:
            with pq.ParquetFile(spec.path) as pf:
                _parquet_layout(pf, text_field, id_field, spec.path)
        except (pa.ArrowException, OSError) as exc:
            raise InputFormatError(f"{spec.path!r} is not a readable Parquet file: {exc}") from None
        return
    with open_decompressed(spec) as stream:
        header, _ = _csv_header(stream, "\t" if spec.format == "tsv" else ",", b"")
    _csv_layout(header, text_field, id_field, spec.path)


def iter_records(
    path: str | os.PathLike[str], *, input_format: str | None = None, text_field: str = "text",
    id_field: str | None = None, chunk_size: int = 8192,
) -> Iterator[Record]:
    """Every record of an input, in order: the simple single-process view of :class:`ChunkReader`."""
    spec = detect_input(path, input_format)
    with ChunkReader(spec, text_field=text_field, id_field=id_field, chunk_size=chunk_size) as reader:
        for chunk in reader.chunks():
            yield from reader.parse(chunk)
