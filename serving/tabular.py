"""The result schema (``classifier/schema.py``) as Arrow, Parquet and CSV: every tabular output is derived from it.

Nothing here names a result field. :func:`output_fields` reads ``classifier.schema.FIELDS`` when called, so a
field added there reaches every output format with no other edit (``tests/serving/test_formats.py`` proves it by
monkeypatching one in).

Output row layout, in this order (the same in JSONL, Parquet and CSV):

1. ``id`` — the record id, as text in Parquet/CSV (ids may mix numbers and strings across records);
2. the schema fields, in ``FIELDS`` order;
3. ``line`` — where the record is in the input (int64);
4. the ``--keep-fields``, in the order given: strings as they are, other values as JSON text (JSONL keeps the
   input values as they are).

Type language → Arrow (:func:`arrow_type`): ``string`` ``float64`` ``float32`` ``int64`` ``int32`` ``bool`` map to
the Arrow scalar of that name; ``list<T>`` → ``list_(T)``; ``struct{a: T, …}`` → ``struct``; named types (``span``,
``element``) are expanded first. So ``elements`` is a struct of four element structs, ``evidence`` a list of span
structs — real nested columns, not JSON strings.

CSV flattening rule (:func:`flatten_for_csv`), applied to the Arrow table:

- a scalar column stays one column (booleans ``true``/``false``, null = empty cell);
- a struct column becomes one column per child, named ``parent.child``, recursively
  (``elements.lart.probability``, ``error.code``); a null struct makes all its children empty;
- a list of scalars becomes the items joined with ``,`` (``normalization``: ``traditional,homophone``);
  an empty list is an empty string, a null list an empty cell;
- any other list (a list of spans, ``evidence``) becomes JSON text (``[{"start": 3, …}]``); an empty list is an
  empty cell. ``float32`` values in it are written at their shortest float32 form (``0.1234``, not
  ``0.12340000271797``).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import orjson

from mlmrisk.classifier import schema as result_schema

if TYPE_CHECKING:
    import pyarrow as pa

# pyarrow is imported by the functions that need it, not here: a JSONL → JSONL job (most bulk runs) never builds
# an Arrow table, and importing pyarrow cost ~0.06–0.08 s of every `mlmrisk score` start-up.


@functools.cache
def scalar_types() -> dict[str, "pa.DataType"]:
    """The scalar names of the type language and their Arrow types."""
    import pyarrow as pa

    return {"string": pa.string(), "float64": pa.float64(), "float32": pa.float32(), "int64": pa.int64(),
            "int32": pa.int32(), "bool": pa.bool_()}

#: Keys of the Parquet file metadata (values are UTF-8 text).
META_MODEL = "mlmrisk.model"
META_SCHEMA_VERSION = "mlmrisk.schema_version"
META_VERSION = "mlmrisk.version"
META_FIELDS = "mlmrisk.fields"


def arrow_type(parsed: Any) -> pa.DataType:
    """An Arrow type from a parsed type (``classifier.schema.parse_type``) or a type-language string."""
    import pyarrow as pa

    if isinstance(parsed, str):
        parsed = result_schema.parse_type(parsed)
    kind = parsed[0]
    if kind == "list":
        return pa.list_(arrow_type(parsed[1]))
    if kind == "struct":
        return pa.struct([pa.field(name, arrow_type(inner)) for name, inner in parsed[1]])
    try:
        return scalar_types()[kind]
    except KeyError:
        raise ValueError(f"unknown type {kind!r} in classifier/schema.py FIELDS; known: "
                         f"{', '.join(scalar_types())}, list<T>, struct{{…}}, "
                         f"{', '.join(result_schema.NAMED_TYPES)}") from None


def output_fields(keep_fields: Sequence[str] = ()) -> list[tuple[str, str]]:
    """(name, type) of every output column, in order: ``id``, the schema's FIELDS, ``line``, the kept fields."""
    return [("id", "string"), *result_schema.FIELDS, ("line", "int64"), *((k, "string") for k in keep_fields)]


def reserved_names() -> set[str]:
    """Output names a ``--keep-fields`` entry may not take."""
    return {name for name, _ in output_fields()}


def file_metadata(model: str) -> dict[str, str]:
    """What every Parquet output says about itself (also in the run summary)."""
    from mlmrisk._version import __version__

    return {META_MODEL: model, META_SCHEMA_VERSION: result_schema.SCHEMA_VERSION, META_VERSION: __version__,
            META_FIELDS: ",".join(name for name, _ in result_schema.FIELDS)}


def arrow_schema(keep_fields: Sequence[str] = (), model: str | None = None) -> pa.Schema:
    """The Arrow schema of an output; with ``model``, carrying :func:`file_metadata`."""
    import pyarrow as pa

    schema = pa.schema([pa.field(name, arrow_type(spec)) for name, spec in output_fields(keep_fields)])
    return schema.with_metadata(file_metadata(model)) if model is not None else schema


def _text(value: Any) -> str | None:
    """An id or kept value as text: strings as they are (lone surrogates escaped), others as JSON text."""
    if value is None:
        return None
    if type(value) is str:
        if value.isascii():
            return value
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:  # an id from a CSV with invalid bytes: Arrow refuses lone surrogates
            return value.encode("utf-8", errors="backslashreplace").decode("utf-8")
        return value
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", errors="replace")
    if type(value) in (int, float):
        return repr(value)
    try:
        return orjson.dumps(value, default=str).decode()
    except TypeError:
        return str(value)


def records_to_table(records: Sequence[dict], keep_fields: Sequence[str] = ()) -> pa.Table:
    """Output records (``id``, schema fields, ``line``, kept fields) as an Arrow table of :func:`arrow_schema`."""
    import pyarrow as pa

    schema = arrow_schema(keep_fields)
    text_columns = ["id", *keep_fields]
    rows = records
    if records:
        rows = [{**r, **{k: _text(r.get(k)) for k in text_columns}} for r in records]
    return pa.Table.from_pylist(list(rows), schema=schema)


# ----------------------------------------------------------------------------------------------------------- CSV


def _map_float32(dtype: pa.DataType, to: pa.DataType) -> pa.DataType:
    import pyarrow as pa

    if dtype == pa.float32():
        return to
    if pa.types.is_list(dtype):
        return pa.list_(_map_float32(dtype.value_type, to))
    if pa.types.is_struct(dtype):
        return pa.struct([pa.field(f.name, _map_float32(f.type, to)) for f in dtype])
    return dtype


def _json_cells(array: pa.Array) -> list[str | None]:
    """A nested column as JSON text per row (float32 at its shortest form); empty or null → empty cell."""
    import pyarrow as pa

    if _map_float32(array.type, pa.string()) != array.type:
        array = array.cast(_map_float32(array.type, pa.string())).cast(_map_float32(array.type, pa.float64()))
    dumps = orjson.dumps
    return [dumps(v).decode() if v else None for v in array.to_pylist()]


def csv_columns(schema: pa.Schema) -> list[str]:
    """The CSV header for an output schema (the names :func:`flatten_for_csv` produces)."""
    import pyarrow as pa

    names: list[str] = []

    def walk(name: str, dtype: pa.DataType) -> None:
        if pa.types.is_struct(dtype):
            for child in dtype:
                walk(f"{name}.{child.name}", child.type)
        else:
            names.append(name)

    for f in schema:
        walk(f.name, f.type)
    return names


def _json_cells_from_records(records: Sequence[dict], path: tuple[str, ...]) -> list[str | None]:
    """:func:`_json_cells` of the column at ``path``, read from the records the table was built from.

    The same text (a test holds them equal: JSON numbers in records are already rounded to what float32 keeps),
    without converting nested Arrow values back to Python, which cost more than scoring on flagged-heavy input.
    """
    dumps = orjson.dumps
    out: list[str | None] = []
    for record in records:
        value: Any = record
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        out.append(dumps(value).decode() if value else None)
    return out


def flatten_for_csv(table: pa.Table, records: Sequence[dict] | None = None) -> pa.Table:
    """The table flattened by the CSV rule (module docstring): scalar columns only.

    ``records``: the records ``table`` was built from (:func:`records_to_table`), to take JSON text cells from.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    names: list[str] = []
    arrays: list[pa.Array] = []

    def walk(name: str, array: pa.Array) -> None:
        dtype = array.type
        if pa.types.is_struct(dtype):
            for child, values in zip(dtype, array.flatten()):  # flatten() carries the parent's nulls down
                walk(f"{name}.{child.name}", values)
        elif pa.types.is_list(dtype) and not pa.types.is_nested(dtype.value_type):
            names.append(name)
            values = array if pa.types.is_string(dtype.value_type) else array.cast(pa.list_(pa.string()))
            arrays.append(pc.binary_join(values, ","))
        elif pa.types.is_nested(dtype):
            names.append(name)
            cells = (_json_cells(array) if records is None
                     else _json_cells_from_records(records, tuple(name.split("."))))
            arrays.append(pa.array(cells, type=pa.string()))
        else:
            names.append(name)
            arrays.append(array)

    for f, column in zip(table.schema, table.columns):
        walk(f.name, column.combine_chunks() if column.num_chunks != 1 else column.chunk(0))
    return pa.Table.from_arrays(arrays, names=names)


def encode_csv(table: pa.Table, *, header: bool, delimiter: str = ",", records: Sequence[dict] | None = None) -> bytes:
    """An output table as CSV bytes (UTF-8, ``\\n`` line ends, quotes only where needed by pyarrow's writer)."""
    import pyarrow as pa
    import pyarrow.csv as pa_csv

    flat = flatten_for_csv(table, records)
    sink = pa.BufferOutputStream()
    options = pa_csv.WriteOptions(include_header=header, delimiter=delimiter)
    if flat.num_rows or header:
        pa_csv.write_csv(flat, sink, options)
    return sink.getvalue().to_pybytes()
