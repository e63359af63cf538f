"""Output writers for bulk scoring: part files (the checkpoints) and their in-order assembly into one output.

Why parts: each worker turns one finished chunk into one *part file*, written atomically (tmp, fsync, rename), so a
completed part is a checkpoint that survives ``kill -9``. At the end the parent appends the parts, in chunk order,
to the final output. Parts are therefore encoded so that assembly is cheap and streaming:

- JSONL: one JSON object per line, exactly the bytes of the final file; assembly is byte concatenation.
- CSV: rows without the header; assembly writes the header once, then concatenates.
- Parquet: an Arrow IPC stream per part (no Parquet encoding per part); assembly reads one part at a time and
  writes row groups of about ``ROW_GROUP_ROWS`` rows into one Parquet file (zstd), so memory stays bounded.

JSONL and CSV outputs may be compressed by suffix (``.gz``, ``.zst``); compression happens once, at assembly.

Row layout. JSONL keeps the scorer's nested records (``serving.scorer.ScoredBatch.records``) plus a last key
``line``, the record's position in the input (see ``serving.readers``). CSV and Parquet are flat, with one fixed
schema (:data:`TABULAR_COLUMNS`) so that every part, from every worker, concatenates: scalars as columns, one
``<element>_probability`` column per legal element, ``elements`` = the present elements joined by commas,
``normalization``/``lists`` joined by commas, ``evidence``/``element_evidence`` as JSON text, ``error_code``/
``error_message`` for error rows, ``id`` always as text (ids may mix types across records), and ``extra`` (JSON
text) for any key a future scorer adds that this schema does not name yet, so nothing is silently dropped.

JSON is written with orjson (5x ``json.dumps`` on result records here: ~400k/s against ~75k/s), compact, UTF-8,
non-ASCII unescaped; a value orjson refuses (a lone surrogate in an id) falls back to ``json.dumps`` with
``ensure_ascii=True`` for that one record, which is still valid JSON.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import orjson

from mlmrisk.classifier.errors import InputFormatError
from mlmrisk.classifier.labels import ELEMENTS

OUTPUT_FORMATS = ("jsonl", "csv", "parquet")
STDOUT = "-"
#: Target rows per Parquet row group at assembly (parts are ~chunk_size rows; with --only-flagged far fewer).
ROW_GROUP_ROWS = 65536

_SUFFIX_FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl", ".csv": "csv", ".parquet": "parquet",
                   ".pq": "parquet"}
_SUFFIX_COMPRESSIONS = {".gz": "gzip", ".gzip": "gzip", ".zst": "zstd", ".zstd": "zstd"}
PART_SUFFIX = {"jsonl": ".jsonl", "csv": ".csv", "parquet": ".arrow"}
_JSON_OPTIONS = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS


@dataclass(frozen=True)
class OutputSpec:
    """Where and how to write; decided in the parent, picklable for workers."""

    path: str
    format: str
    compression: str | None

    @property
    def is_stdout(self) -> bool:
        return self.path == STDOUT


def detect_output(path: str | os.PathLike[str], output_format: str | None = None) -> OutputSpec:
    """Output format from ``output_format``, else the suffix (``scored.jsonl.zst`` → jsonl, zstd); stdout: jsonl."""
    if output_format is not None and output_format not in OUTPUT_FORMATS:
        raise InputFormatError(
            f"unknown output format {output_format!r}; expected one of {', '.join(OUTPUT_FORMATS)}"
        )
    spath = os.fspath(path)
    if spath == STDOUT:
        return OutputSpec(STDOUT, output_format or "jsonl", None)
    name = Path(spath).name.lower()
    stem, dot, suffix = name.rpartition(".")
    compression = _SUFFIX_COMPRESSIONS.get("." + suffix) if dot else None
    if compression:
        stem, dot, suffix = stem.rpartition(".")
    fmt = output_format or (_SUFFIX_FORMATS.get("." + suffix) if dot else None)
    if fmt is None:
        raise InputFormatError(
            f"cannot tell the output format of {spath!r} from its suffix; name it .jsonl, .csv or .parquet "
            "or pass --output-format"
        )
    if fmt == "parquet" and compression:
        raise InputFormatError(
            f"{spath!r}: Parquet compresses internally; drop the {compression} suffix"
        )
    if Path(spath).is_dir():
        raise InputFormatError(f"output {spath!r} is a directory; pass a file path")
    return OutputSpec(str(Path(spath).absolute()), fmt, compression)


# ----------------------------------------------------------------------------------------------------------- JSON


def _json_default(value: Any) -> Any:
    """Types orjson does not know (Decimal, bytes, Path…) become text rather than failing the record."""
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", errors="replace")
    return str(value)


def dumps_line(record: dict) -> bytes:
    """One record as a JSON line (with ``\\n``)."""
    try:
        return orjson.dumps(record, default=_json_default, option=_JSON_OPTIONS | orjson.OPT_APPEND_NEWLINE)
    except TypeError:  # e.g. a lone surrogate in an id taken from the input
        return (json.dumps(record, default=_json_default, ensure_ascii=True, separators=(",", ":")) + "\n").encode()


def _dumps_text(value: Any) -> str:
    try:
        return orjson.dumps(value, default=_json_default, option=_JSON_OPTIONS).decode()
    except TypeError:
        return json.dumps(value, default=_json_default, ensure_ascii=True, separators=(",", ":"))


def encode_jsonl(records: Iterable[dict]) -> bytes:
    """Records as JSONL bytes: a JSONL part, or a rejects part."""
    opts = _JSON_OPTIONS | orjson.OPT_APPEND_NEWLINE
    dumps = orjson.dumps
    out = []
    for record in records:
        try:
            out.append(dumps(record, default=_json_default, option=opts))
        except TypeError:
            out.append(dumps_line(record))
    return b"".join(out)


# -------------------------------------------------------------------------------------------------------- tabular


def _tabular_schema() -> Any:
    import pyarrow as pa

    fields = [
        ("id", pa.string()),
        ("line", pa.int64()),
        ("flagged", pa.bool_()),
        ("probability", pa.float64()),
        ("risk", pa.int64()),
        ("level", pa.string()),
        ("elements", pa.string()),
        *[(f"{name}_probability", pa.float64()) for name in ELEMENTS],
        ("evidence", pa.string()),
        ("element_evidence", pa.string()),
        ("normalization", pa.string()),
        ("lists", pa.string()),
        ("error_code", pa.string()),
        ("error_message", pa.string()),
        ("extra", pa.string()),
    ]
    return pa.schema(fields)


TABULAR_COLUMNS: tuple[str, ...] = (
    "id", "line", "flagged", "probability", "risk", "level", "elements",
    *[f"{name}_probability" for name in ELEMENTS],
    "evidence", "element_evidence", "normalization", "lists", "error_code", "error_message", "extra",
)
#: Low-cardinality columns, dictionary-encoded in Parquet.
DICTIONARY_COLUMNS: tuple[str, ...] = ("level", "elements", "normalization", "lists", "error_code")
#: Record keys that the flat layout maps to named columns; any other key goes to ``extra``.
KNOWN_KEYS = frozenset({"id", "line", "flagged", "probability", "risk", "level", "elements", "evidence",
                        "normalization", "lists", "error"})


def _id_text(value: Any) -> str | None:
    if value is None or type(value) is str:
        return value
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", errors="replace")
    return str(value)


def _safe_text(value: str | None) -> str | None:
    """Arrow and UTF-8 files refuse lone surrogates (an id from a CSV with invalid UTF-8); escape them visibly.

    Only ids need this: texts with invalid UTF-8 are rejected by the readers, and evidence is serialised by
    orjson, which never emits surrogates.
    """
    if value is None or value.isascii():
        return value
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return value.encode("utf-8", errors="backslashreplace").decode("utf-8")
    return value


def tabular_columns(records: Sequence[dict], *, for_csv: bool = False) -> list[list[Any]]:
    """The records as columns of :data:`TABULAR_COLUMNS`, in that order (``None`` = empty cell).

    Columnar on purpose: one pass of list appends per record, then Arrow converts whole columns in C; about 3x
    faster than building per-row tuples and transposing. ``for_csv`` writes booleans as ``true``/``false``.
    """
    n_el = len(ELEMENTS)
    line: list[Any] = []
    ids: list[Any] = []
    flagged: list[Any] = []
    prob: list[Any] = []
    risk: list[Any] = []
    level: list[Any] = []
    present_col: list[Any] = []
    el_probs: list[list[Any]] = [[] for _ in range(n_el)]
    evidence_col: list[Any] = []
    el_evidence_col: list[Any] = []
    norm: list[Any] = []
    lists_col: list[Any] = []
    err_code: list[Any] = []
    err_msg: list[Any] = []
    extra_col: list[Any] = []
    true, false = ("true", "false") if for_csv else (True, False)
    dumps = _dumps_text
    known = KNOWN_KEYS
    for record in records:
        keys = record.keys()
        extra_col.append(None if keys <= known else dumps({k: record[k] for k in sorted(keys - known)}))
        line.append(record.get("line"))
        ids.append(_safe_text(_id_text(record.get("id"))))
        error = record.get("error")
        if error is not None:
            flagged.append(false)
            for col in (prob, risk, level, present_col, evidence_col, el_evidence_col, norm, lists_col):
                col.append(None)
            for col in el_probs:
                col.append(None)
            err_code.append(error.get("code"))
            err_msg.append(error.get("message"))
            continue
        flagged.append(true if record.get("flagged") else false)
        prob.append(record.get("probability"))
        risk.append(record.get("risk"))
        level.append(record.get("level"))
        elements = record.get("elements") or {}
        present = []
        element_evidence = None
        for i, name in enumerate(ELEMENTS):
            element = elements.get(name)
            if element is None:
                el_probs[i].append(None)
                continue
            el_probs[i].append(element.get("probability"))
            if element.get("present"):
                present.append(name)
            ev = element.get("evidence")
            if ev:
                if element_evidence is None:
                    element_evidence = {}
                element_evidence[name] = ev
        present_col.append(",".join(present))
        evidence = record.get("evidence")
        evidence_col.append(dumps(evidence) if evidence else None)
        el_evidence_col.append(dumps(element_evidence) if element_evidence else None)
        normalization = record.get("normalization")
        norm.append(",".join(normalization) if normalization else "")
        record_lists = record.get("lists")
        lists_col.append(",".join(record_lists) if record_lists else "")
        err_code.append(None)
        err_msg.append(None)
    return [ids, line, flagged, prob, risk, level, present_col, *el_probs, evidence_col, el_evidence_col, norm,
            lists_col, err_code, err_msg, extra_col]


def batch_columns(batch: Any, ids: Sequence[Any], lines: Sequence[Any], *, for_csv: bool = False) -> list[list[Any]]:
    """The rows of a ``ScoredBatch`` as columns of :data:`TABULAR_COLUMNS`, straight from its arrays.

    Equal to ``tabular_columns`` of ``batch.records(ids)`` with ``line`` added (a test holds them together), but
    without a nested dict per record: on short posts the dicts cost more than scoring them did. Only flagged
    posts (the ones with evidence) touch Python objects per row.
    """
    from mlmrisk.classifier.normalize import rule_names
    from mlmrisk.classifier.risk import LEVELS

    n = len(batch)
    ok = np.array([e is None for e in batch.errors], dtype=bool) if n else np.zeros(0, dtype=bool)
    all_ok = bool(ok.all())

    def masked(values: list[Any]) -> list[Any]:
        return values if all_ok else [v if good else None for v, good in zip(values, ok.tolist())]

    true, false = ("true", "false") if for_csv else (True, False)
    flagged = [true if f else false for f in batch.flagged.tolist()]
    probability = masked(np.round(batch.probability, 6).tolist())
    risk = masked(batch.risk.tolist())
    names = np.array([level.value for level in LEVELS] + [None], dtype=object)
    level = names[np.where(batch.level < 0, len(LEVELS), batch.level)].tolist()
    present = batch.element_probability >= batch.thresholds.element
    codes = present.astype(np.int64) @ (1 << np.arange(len(ELEMENTS)))
    joined = np.array([",".join(e for k, e in enumerate(ELEMENTS) if code >> k & 1)
                       for code in range(1 << len(ELEMENTS))], dtype=object)
    present_col = masked(joined[codes].tolist())
    el_probs = [masked(col) for col in np.round(batch.element_probability, 6).T.tolist()]
    unique_rules, inverse = np.unique(batch.rules, return_inverse=True)
    rule_text = np.array([",".join(rule_names(int(bits))) for bits in unique_rules], dtype=object)
    norm = masked(rule_text[inverse.reshape(-1)].tolist()) if n else []
    evidence_col: list[Any] = [None] * n
    el_evidence_col: list[Any] = [None] * n
    for i, spans in batch.evidence.items():
        if spans:
            evidence_col[i] = _dumps_text([e.to_dict() for e in spans])
    for i, per_element in batch.element_evidence.items():
        shown = {name: [e.to_dict() for e in spans] for name, spans in per_element.items() if spans}
        if shown:
            el_evidence_col[i] = _dumps_text(shown)
    lists_col: list[Any] = [""] * n
    for i, entries in batch.lists.items():
        lists_col[i] = ",".join(entries)
    err_code: list[Any] = [None] * n
    err_msg: list[Any] = [None] * n
    if not all_ok:
        lists_col = masked(lists_col)
        for i, error in enumerate(batch.errors):
            if error is not None:
                err_code[i], err_msg[i] = error.code, error.message
    id_col = [_safe_text(_id_text(v)) for v in ids]
    return [id_col, list(lines), flagged, probability, risk, level, present_col, *el_probs, evidence_col,
            el_evidence_col, norm, lists_col, err_code, err_msg, [None] * n]


def take_columns(columns: list[list[Any]], rows: Sequence[int]) -> list[list[Any]]:
    """Columns restricted to (and reordered by) ``rows``."""
    return [[col[i] for i in rows] for col in columns]


def concat_columns(parts: Sequence[list[list[Any]]]) -> list[list[Any]]:
    """Columns of several row blocks, one after the other."""
    return [[v for part in parts for v in part[c]] for c in range(len(TABULAR_COLUMNS))]


def flatten(record: dict) -> tuple:
    """One record as a row of :data:`TABULAR_COLUMNS` (for inspection and tests; bulk paths use columns)."""
    return tuple(col[0] for col in tabular_columns([record]))


def encode_csv(records: Sequence[dict], *, header: bool = False) -> bytes:
    """Records as CSV rows (UTF-8, ``\\n`` line ends, minimal quoting); the header only when asked."""
    return encode_csv_columns(tabular_columns(records, for_csv=True) if records else None, header=header)


def encode_csv_columns(columns: list[list[Any]] | None, *, header: bool = False) -> bytes:
    """Columns of :data:`TABULAR_COLUMNS` (built with ``for_csv=True``) as CSV rows."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    if header:
        writer.writerow(TABULAR_COLUMNS)
    if columns:
        writer.writerows(zip(*columns))
    return buf.getvalue().encode("utf-8")


def records_to_table(records: Sequence[dict]) -> Any:
    """Records as an Arrow table of the fixed tabular schema."""
    return columns_to_table(tabular_columns(records))


def columns_to_table(columns: list[list[Any]]) -> Any:
    """Columns of :data:`TABULAR_COLUMNS` as an Arrow table of the fixed tabular schema."""
    import pyarrow as pa

    schema = _tabular_schema()
    arrays = [pa.array(values, type=f.type) for f, values in zip(schema, columns)]
    return pa.Table.from_arrays(arrays, schema=schema)


def encode_arrow(records: Sequence[dict]) -> bytes:
    """Records as an Arrow IPC stream (a Parquet part)."""
    return encode_arrow_columns(tabular_columns(records))


def encode_arrow_columns(columns: list[list[Any]]) -> bytes:
    """Columns of :data:`TABULAR_COLUMNS` as an Arrow IPC stream (a Parquet part)."""
    import pyarrow as pa

    table = columns_to_table(columns)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def encode_part(records: Sequence[dict], fmt: str) -> bytes:
    """The bytes of one part file in output format ``fmt``."""
    if fmt == "jsonl":
        return encode_jsonl(records)
    if fmt == "csv":
        return encode_csv(records)
    if fmt == "parquet":
        return encode_arrow(records)
    raise ValueError(f"unknown output format {fmt!r}")


# ---------------------------------------------------------------------------------------------------- atomic files


def fsync_dir(path: str | os.PathLike[str]) -> None:
    """Make a rename in ``path`` durable (a no-op where directories cannot be opened, as on Windows)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_atomic(path: str | os.PathLike[str], data: bytes, *, fsync: bool = True) -> None:
    """Write ``data`` to ``path`` so that ``path`` either does not exist or is complete.

    The temporary name carries the pid: an orphaned worker of a killed run and the worker of its resumption may
    race on the same chunk, and must not write into one tmp file (both write the same bytes, so the last rename
    wins harmlessly).
    """
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        if fsync:
            f.flush()
            os.fsync(f.fileno())
    os.replace(tmp, path)


# -------------------------------------------------------------------------------------------------------- assembly


class _TellingWriter(io.RawIOBase):
    """A write-only stream that knows its position: Parquet's writer needs ``tell()``, which a pipe lacks."""

    def __init__(self, dest: BinaryIO) -> None:
        self._dest = dest
        self._pos = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:  # type: ignore[override]
        n = self._dest.write(data)
        n = len(data) if n is None else n
        self._pos += n
        return n

    def tell(self) -> int:
        return self._pos

    def flush(self) -> None:
        self._dest.flush()


class OutputAssembler:
    """Appends parts, in order, to one output stream; ``close()`` finishes the file (Parquet footer, compressor).

    ``dest`` is a binary stream the caller owns (the tmp file or stdout); it is flushed, not closed.
    """

    def __init__(self, spec: OutputSpec, dest: BinaryIO) -> None:
        self.spec = spec
        self._dest = dest
        self._compressor: Any = None
        self._sink: BinaryIO = dest
        self._parquet: Any = None
        self._pending: list[Any] = []
        self._pending_rows = 0
        self.rows = 0
        if spec.format == "parquet":
            import pyarrow as pa
            import pyarrow.parquet as pq

            # Dictionary encoding only where values repeat: on ids and probabilities it made assembly (single
            # threaded, after the workers) twice as slow and the file larger.
            self._parquet = pq.ParquetWriter(pa.PythonFile(_TellingWriter(dest), mode="w"), _tabular_schema(),
                                             compression="zstd", use_dictionary=list(DICTIONARY_COLUMNS))
            return
        if spec.compression == "gzip":
            import gzip

            self._compressor = gzip.GzipFile(fileobj=dest, mode="wb", compresslevel=6, mtime=0)
            self._sink = self._compressor
        elif spec.compression == "zstd":
            import zstandard

            self._compressor = zstandard.ZstdCompressor(level=3).stream_writer(dest, closefd=False)
            self._sink = self._compressor
        if spec.format == "csv":
            self._sink.write(encode_csv([], header=True))

    def add_part(self, path: str | os.PathLike[str]) -> None:
        """Append one part file (written by :func:`encode_part` for this format)."""
        if self._parquet is not None:
            import pyarrow as pa

            with pa.OSFile(os.fspath(path), "rb") as f:
                table = pa.ipc.open_stream(f).read_all()
            self._add_table(table)
            return
        with open(path, "rb") as f:
            while block := f.read(1 << 20):
                self._sink.write(block)

    def add_records(self, records: Sequence[dict]) -> None:
        """Append records directly (used for stdout streaming and tests)."""
        if self._parquet is not None:
            self._add_table(records_to_table(records))
        else:
            self._sink.write(encode_part(records, self.spec.format))

    def _add_table(self, table: Any) -> None:
        self.rows += table.num_rows
        if table.num_rows:
            self._pending.append(table)
            self._pending_rows += table.num_rows
        if self._pending_rows >= ROW_GROUP_ROWS:
            self._flush_parquet()

    def _flush_parquet(self) -> None:
        import pyarrow as pa

        if self._pending:
            self._parquet.write_table(pa.concat_tables(self._pending), row_group_size=ROW_GROUP_ROWS)
        self._pending = []
        self._pending_rows = 0

    def close(self) -> None:
        if self._parquet is not None:
            self._flush_parquet()
            self._parquet.close()
            self._parquet = None
        elif self._compressor is not None:
            self._compressor.close()  # writes the gzip trailer / ends the zstd frame; dest stays open
            self._compressor = None
        self._dest.flush()
