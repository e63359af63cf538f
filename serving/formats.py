"""One object per file format, behind one registry: :data:`FORMATS`.

Each format says what it is (``name``, ``suffixes``, whether it can be read, written, streamed through a pipe and
compressed, whether its records have fields) and does its own work:

- reading: ``chunks(reader, want, head)`` cuts the input into the fixed chunks every worker agrees on,
  ``parse(reader, chunk)`` turns a chunk's payload into a :class:`serving.readers.Parsed`, ``check_fields``
  refuses, before any work, an input that lacks the asked-for fields;
- writing: ``encode_part(records, keep_fields)`` is the bytes of one part file (a checkpoint: see
  ``serving/bulk.py``) and ``assembler(dest, spec, keep_fields, model)`` appends parts, in order, to the output.

Nothing outside this module dispatches on a format name; adding a format is one class and one registry entry.
The rows written are the result schema (``classifier/schema.py``) in the layout of ``serving/tabular.py``:
JSONL writes the records themselves, Parquet the Arrow table built from the schema, CSV that table flattened.

Parts and assembly per format:

- JSONL: one JSON object per line, exactly the bytes of the final file; assembly is byte concatenation.
- CSV/TSV: rows without the header; assembly writes the header (from the schema) once, then concatenates.
- Parquet: an Arrow IPC stream per part (no Parquet encoding per part); assembly reads one part at a time and
  writes row groups of about ``ROW_GROUP_ROWS`` rows into one Parquet file (zstd) whose metadata names the model,
  the schema version and the mlmrisk version.

JSONL and CSV outputs may be compressed by suffix (``.gz``, ``.zst``); compression happens once, at assembly.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Iterator, Sequence
from typing import Any, BinaryIO, Protocol

from mlmrisk.serving import readers, tabular
from mlmrisk.serving.readers import Chunk, ChunkReader, InputSpec, Parsed
from mlmrisk.serving.writers import OutputSpec, encode_jsonl

#: Target rows per Parquet row group at assembly (parts are ~chunk_size rows; with --only-flagged far fewer).
ROW_GROUP_ROWS = 65536
#: Low-cardinality top-level output columns, dictionary-encoded in Parquet (others are not: on ids and
#: probabilities it made assembly twice as slow and the file larger).
DICTIONARY_COLUMNS = ("model", "level")


class Assembler(Protocol):
    rows: int

    def add_part(self, path: str | os.PathLike[str]) -> None: ...
    def add_records(self, records: Sequence[dict]) -> None: ...
    def close(self) -> None: ...


class Format(Protocol):
    """What every entry of :data:`FORMATS` provides (see the module docstring)."""

    name: str
    suffixes: tuple[str, ...]
    part_suffix: str
    readable: bool
    writable: bool
    streamable: bool
    compressible: bool
    has_fields: bool
    #: ``encode_part`` also accepts already-encoded lines (bytes) among the records (JSONL only)
    takes_encoded_lines: bool

    def chunks(self, reader: ChunkReader, want: Callable[[int], bool], head: bytes) -> Iterator[Chunk]: ...
    def parse(self, reader: ChunkReader, chunk: Chunk) -> Parsed: ...
    def check_fields(self, spec: InputSpec, text_field: str, id_field: str | None, keep: tuple[str, ...]) -> None: ...
    def encode_part(self, records: Sequence[dict], keep_fields: Sequence[str]) -> bytes: ...
    def assembler(self, dest: BinaryIO, spec: OutputSpec, keep_fields: Sequence[str], model: str) -> Assembler: ...


# --------------------------------------------------------------------------------------------------------- helpers


class _StreamAssembler:
    """Byte-concatenating assembly (JSONL, CSV) with optional gzip/zstd and an optional header."""

    def __init__(self, fmt: "Format", dest: BinaryIO, spec: OutputSpec, keep_fields: Sequence[str],
                 header: bytes = b"") -> None:
        self._fmt = fmt
        self._keep = tuple(keep_fields)
        self._dest = dest
        self._compressor: Any = None
        self._sink: BinaryIO = dest
        self.rows = 0
        if spec.compression == "gzip":
            import gzip

            self._compressor = gzip.GzipFile(fileobj=dest, mode="wb", compresslevel=6, mtime=0)
            self._sink = self._compressor
        elif spec.compression == "zstd":
            import zstandard

            self._compressor = zstandard.ZstdCompressor(level=3).stream_writer(dest, closefd=False)
            self._sink = self._compressor
        if header:
            self._sink.write(header)

    def add_part(self, path: str | os.PathLike[str]) -> None:
        with open(path, "rb") as f:
            while block := f.read(1 << 20):
                self._sink.write(block)

    def add_records(self, records: Sequence[dict]) -> None:
        self.rows += len(records)
        self._sink.write(self._fmt.encode_part(records, self._keep))

    def close(self) -> None:
        if self._compressor is not None:
            self._compressor.close()  # writes the gzip trailer / ends the zstd frame; dest stays open
            self._compressor = None
        self._dest.flush()


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


# ----------------------------------------------------------------------------------------------------------- JSONL


class JsonlFormat:
    name = "jsonl"
    suffixes = (".jsonl", ".ndjson", ".json")
    part_suffix = ".jsonl"
    readable = writable = streamable = compressible = has_fields = True
    takes_encoded_lines = True  # bulk jobs hand it template records as template-built lines (writers.PlainJsonlLines)

    def chunks(self, reader: ChunkReader, want: Callable[[int], bool], head: bytes) -> Iterator[Chunk]:
        return readers._iter_line_chunks(reader.stream, reader.chunk_size, want, head)

    def parse(self, reader: ChunkReader, chunk: Chunk) -> Parsed:
        return readers._parse_jsonl(chunk.payload, chunk.first_line, reader.text_field, reader.id_field,
                                    reader.keep_fields)

    def check_fields(self, spec: InputSpec, text_field: str, id_field: str | None, keep: tuple[str, ...]) -> None:
        with readers.open_input(spec) as stream:
            lines: list[Any] = []
            for block in readers._iter_lines_blocks(stream):
                lines.extend(block)
                if len(lines) >= 200:
                    break
        readers.check_jsonl_fields(lines, spec.path, text_field, id_field, keep)

    def encode_part(self, records: Sequence[dict], keep_fields: Sequence[str]) -> bytes:
        return encode_jsonl(records)

    def assembler(self, dest: BinaryIO, spec: OutputSpec, keep_fields: Sequence[str], model: str) -> Assembler:
        return _StreamAssembler(self, dest, spec, keep_fields)


# ------------------------------------------------------------------------------------------------------ plain text


class TextFormat:
    """One post per line (input only): ids are line numbers, an empty line is an empty post."""

    name = "text"
    suffixes = (".txt", ".text")
    part_suffix = ""
    readable = streamable = True
    writable = compressible = has_fields = takes_encoded_lines = False

    def chunks(self, reader: ChunkReader, want: Callable[[int], bool], head: bytes) -> Iterator[Chunk]:
        return readers._iter_line_chunks(reader.stream, reader.chunk_size, want, head)

    def parse(self, reader: ChunkReader, chunk: Chunk) -> Parsed:
        return readers._parse_text(chunk.payload, chunk.first_line)

    def check_fields(self, spec: InputSpec, text_field: str, id_field: str | None, keep: tuple[str, ...]) -> None:
        return None

    def encode_part(self, records: Sequence[dict], keep_fields: Sequence[str]) -> bytes:
        raise NotImplementedError("plain text is an input format only")

    def assembler(self, dest: BinaryIO, spec: OutputSpec, keep_fields: Sequence[str], model: str) -> Assembler:
        raise NotImplementedError("plain text is an input format only")


# ------------------------------------------------------------------------------------------------------------- CSV


class CsvFormat:
    """CSV (or TSV): a header row naming the columns; output is the schema table flattened (``serving.tabular``)."""

    readable = writable = streamable = compressible = has_fields = True
    takes_encoded_lines = False

    def __init__(self, name: str, suffixes: tuple[str, ...], delimiter: str) -> None:
        self.name = name
        self.suffixes = suffixes
        self.delimiter = delimiter
        self.part_suffix = "." + name

    def chunks(self, reader: ChunkReader, want: Callable[[int], bool], head: bytes) -> Iterator[Chunk]:
        return readers._iter_csv_chunks(reader.stream, reader.spec, reader.chunk_size, want, head, reader._layout,
                                        reader.text_field, reader.id_field, self.delimiter, reader.keep_fields)

    def parse(self, reader: ChunkReader, chunk: Chunk) -> Parsed:
        return readers._parse_csv(chunk.payload, reader._layout[0], chunk.skipped)

    def check_fields(self, spec: InputSpec, text_field: str, id_field: str | None, keep: tuple[str, ...]) -> None:
        with readers.open_input(spec) as stream:
            header, _ = readers._csv_header(stream, self.delimiter, b"")
        readers._csv_layout(header, text_field, id_field, spec.path, keep)

    def encode_part(self, records: Sequence[dict], keep_fields: Sequence[str]) -> bytes:
        return tabular.encode_csv(tabular.records_to_table(records, keep_fields), header=False,
                                  delimiter=self.delimiter, records=records)

    def header(self, keep_fields: Sequence[str]) -> bytes:
        return tabular.encode_csv(tabular.records_to_table([], keep_fields), header=True, delimiter=self.delimiter)

    def assembler(self, dest: BinaryIO, spec: OutputSpec, keep_fields: Sequence[str], model: str) -> Assembler:
        return _StreamAssembler(self, dest, spec, keep_fields, header=self.header(keep_fields))


# --------------------------------------------------------------------------------------------------------- Parquet


class _ParquetAssembler:
    def __init__(self, dest: BinaryIO, keep_fields: Sequence[str], model: str) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        self._keep = tuple(keep_fields)
        self._dest = dest
        self.schema = tabular.arrow_schema(self._keep, model)
        self._writer = pq.ParquetWriter(pa.PythonFile(_TellingWriter(dest), mode="w"), self.schema,
                                        compression="zstd",
                                        use_dictionary=[c for c in DICTIONARY_COLUMNS if c in self.schema.names])
        self._pending: list[Any] = []
        self._pending_rows = 0
        self.rows = 0

    def add_part(self, path: str | os.PathLike[str]) -> None:
        import pyarrow as pa

        with pa.OSFile(os.fspath(path), "rb") as f:
            table = pa.ipc.open_stream(f).read_all()
        self._add_table(table)

    def add_records(self, records: Sequence[dict]) -> None:
        self._add_table(tabular.records_to_table(records, self._keep))

    def _add_table(self, table: Any) -> None:
        self.rows += table.num_rows
        if table.num_rows:
            self._pending.append(table.replace_schema_metadata(self.schema.metadata))
            self._pending_rows += table.num_rows
        if self._pending_rows >= ROW_GROUP_ROWS:
            self._flush()

    def _flush(self) -> None:
        import pyarrow as pa

        if self._pending:
            self._writer.write_table(pa.concat_tables(self._pending), row_group_size=ROW_GROUP_ROWS)
        self._pending = []
        self._pending_rows = 0

    def close(self) -> None:
        if self._writer is not None:
            self._flush()
            self._writer.close()
            self._writer = None
        self._dest.flush()


class ParquetFormat:
    name = "parquet"
    suffixes = (".parquet", ".pq")
    part_suffix = ".arrow"
    readable = writable = has_fields = True
    takes_encoded_lines = False
    streamable = compressible = False

    def chunks(self, reader: ChunkReader, want: Callable[[int], bool], head: bytes) -> Iterator[Chunk]:
        return readers._iter_parquet_chunks(reader.spec, reader.chunk_size, want, reader._layout, reader.text_field,
                                            reader.id_field, reader.keep_fields)

    def parse(self, reader: ChunkReader, chunk: Chunk) -> Parsed:
        return readers._parse_parquet(chunk.payload, chunk.first_line, reader._layout[0])

    def check_fields(self, spec: InputSpec, text_field: str, id_field: str | None, keep: tuple[str, ...]) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        from mlmrisk.classifier.errors import InputFormatError

        try:
            with pq.ParquetFile(spec.path) as pf:
                readers._parquet_layout(pf, text_field, id_field, spec.path, keep)
        except (pa.ArrowException, OSError) as exc:
            raise InputFormatError(f"{spec.path!r} is not a readable Parquet file: {exc}") from None

    def encode_part(self, records: Sequence[dict], keep_fields: Sequence[str]) -> bytes:
        import pyarrow as pa

        table = tabular.records_to_table(records, keep_fields)
        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, table.schema) as writer:
            writer.write_table(table)
        return sink.getvalue().to_pybytes()

    def assembler(self, dest: BinaryIO, spec: OutputSpec, keep_fields: Sequence[str], model: str) -> Assembler:
        return _ParquetAssembler(dest, keep_fields, model)


# -------------------------------------------------------------------------------------------------------- registry

FORMATS: dict[str, Format] = {
    "jsonl": JsonlFormat(),
    "csv": CsvFormat("csv", (".csv",), ","),
    "tsv": CsvFormat("tsv", (".tsv", ".tab"), "\t"),
    "parquet": ParquetFormat(),
    "text": TextFormat(),
}
#: Other names accepted on the command line.
ALIASES: dict[str, str] = {"txt": "text", "ndjson": "jsonl"}


def canonical_format(name: str) -> str | None:
    name = ALIASES.get(name, name)
    return name if name in FORMATS else None


def format_for_suffix(suffix: str) -> str | None:
    """The format named by a file suffix such as ``.csv`` (compression suffixes already removed)."""
    for name, fmt in FORMATS.items():
        if suffix in fmt.suffixes:
            return name
    return None

