"""Named initializers of an ONNX file, read straight from its protobuf wire format.

Why not the ``onnx`` package: serving reads five tensors out of ``mlm.onnx`` once per process (``hot_path``), and
importing ``onnx`` (with protobuf and its C++ extension) cost ~0.05 s, a tenth of a scoring process's start-up —
paid again by every bulk worker and every ``mlmrisk score`` of a handful of posts. The part of the format needed is
small and fixed by the ONNX spec (``onnx/onnx.proto``): ModelProto.graph (field 7) → GraphProto.initializer (field 5)
→ TensorProto {dims 1, data_type 2, float_data 4, int32_data 5, int64_data 7, name 8, raw_data 9, double_data 10,
data_location 14}. Everything else is skipped by wire type. ``onnx`` stays the writer (training) and the oracle:
``tests/serving/test_onnx_weights.py`` holds this reader equal to ``onnx.numpy_helper`` and checks that damaged
files are refused with ``ModelLoadError``, never a crash or a wrong array.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from pathlib import Path

import numpy as np

from mlmrisk.classifier.errors import ModelLoadError

#: typed repeated fields (field number → (little-endian dtype of the values, wire type of one unpacked value))
_TYPED_FIELDS = {4: (np.dtype("<f4"), 5), 5: (np.dtype("<i4"), 0), 7: (np.dtype("<i8"), 0), 10: (np.dtype("<f8"), 1)}
#: ONNX TensorProto.DataType → the typed field that holds such values without ``raw_data`` (the types our graphs
#: store: FLOAT, INT32, INT64, DOUBLE); its dtype is the tensor's
_DATA_TYPE_FIELDS = {1: 4, 6: 5, 7: 7, 11: 10}
_MODEL_GRAPH, _GRAPH_INITIALIZER = 7, 5
_DIMS, _DATA_TYPE, _NAME, _RAW_DATA, _DATA_LOCATION = 1, 2, 8, 9, 14


class _Damaged(ValueError):
    pass


def _varint(buf: memoryview, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if pos >= len(buf) or shift > 63:
            raise _Damaged("a varint runs past its message")
        byte = buf[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos
        shift += 7


def _fields(buf: memoryview):
    """(field number, wire type, value) of one message: an int for varints, a memoryview for the rest."""
    pos, end = 0, len(buf)
    while pos < end:
        key, pos = _varint(buf, pos)
        number, wire = key >> 3, key & 7
        if number == 0:
            raise _Damaged("field number 0")
        if wire == 0:
            value, pos = _varint(buf, pos)
        elif wire == 2:
            size, pos = _varint(buf, pos)
            if pos + size > end:
                raise _Damaged("a length-delimited field runs past its message")
            value, pos = buf[pos : pos + size], pos + size
        elif wire in (1, 5):
            size = 8 if wire == 1 else 4
            if pos + size > end:
                raise _Damaged("a fixed-size field runs past its message")
            value, pos = buf[pos : pos + size], pos + size
        else:  # 3/4: groups (not used by ONNX), 6/7: undefined
            raise _Damaged(f"wire type {wire}")
        yield number, wire, value


def _packed_varints(buf: memoryview) -> list[int]:
    values, pos = [], 0
    while pos < len(buf):
        value, pos = _varint(buf, pos)
        values.append(value)
    return values


def _signed(value: int) -> int:
    """A varint holding a negative int32/int64 (two's complement over 64 bits)."""
    return value - (1 << 64) if value >= 1 << 63 else value


#: more dims than any tensor of ours has (numpy allows 64, numpy 1.x 32); a file with more is damaged
MAX_DIMS = 32


def _integers(values: list[int], dtype: np.dtype, name: str) -> np.ndarray:
    info = np.iinfo(dtype)
    if any(v < info.min or v > info.max for v in values):
        raise _Damaged(f"tensor {name!r}: a value out of range for {dtype}")
    return np.array(values, dtype=dtype)


def _typed_values(pieces: list[tuple[int, memoryview | int]], dtype: np.dtype, single_wire: int, count: int,
                  name: str) -> np.ndarray:
    """The values of a typed repeated field (packed and unpacked pieces, in file order), decoded only once their
    number is known to be ``count``: a damaged file cannot make the reader decode more than the dims promise."""
    found = 0
    for wire, value in pieces:
        if wire == 2 and dtype.kind == "f":
            if len(value) % dtype.itemsize:
                raise _Damaged(f"tensor {name!r}: packed values of a partial size")
            found += len(value) // dtype.itemsize
        elif wire == 2:  # one varint ends at each byte below 0x80
            found += int(np.count_nonzero(np.frombuffer(value, dtype=np.uint8) < 0x80))
        elif wire == single_wire:
            found += 1
    if found != count:
        raise _Damaged(f"tensor {name!r}: {found} values for {count} elements")
    parts = []
    for wire, value in pieces:
        if wire == 2 and dtype.kind == "f":
            parts.append(np.frombuffer(value, dtype=dtype))
        elif wire == 2:
            parts.append(_integers([_signed(v) for v in _packed_varints(value)], dtype, name))
        elif wire == single_wire:
            parts.append(np.frombuffer(value, dtype=dtype) if wire != 0 else _integers([_signed(value)], dtype, name))
    return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype=dtype)


def _tensor(buf: memoryview) -> tuple[str, np.ndarray]:
    dims: list[int] = []
    name, data_type, raw = "", None, None
    typed: dict[int, list[tuple[int, memoryview | int]]] = {}
    for number, wire, value in _fields(buf):
        if number == _DIMS:
            if wire not in (0, 2):
                raise _Damaged(f"dims of wire type {wire}")
            dims.extend(_packed_varints(value) if wire == 2 else [value])
            if len(dims) > MAX_DIMS:
                raise _Damaged(f"a tensor of more than {MAX_DIMS} dims")
        elif number == _DATA_TYPE and wire == 0:
            data_type = value
        elif number == _NAME and wire == 2:
            name = bytes(value).decode("utf-8")  # the last occurrence wins, as in protobuf (and _tensor_name)
        elif number == _RAW_DATA and wire == 2:
            raw = value
        elif number == _DATA_LOCATION and wire == 0 and value != 0:
            raise _Damaged(f"tensor {name!r} keeps its data in an external file")
        elif number in _TYPED_FIELDS:
            typed.setdefault(number, []).append((wire, value))
    if data_type not in _DATA_TYPE_FIELDS:
        raise _Damaged(f"tensor {name!r} has data type {data_type}, not one of {sorted(_DATA_TYPE_FIELDS)}")
    field = _DATA_TYPE_FIELDS[data_type]
    dtype, single_wire = _TYPED_FIELDS[field]
    if any(d >= 1 << 40 for d in dims):
        raise _Damaged(f"tensor {name!r} has a dimension of 2^40 or more")
    count = math.prod(dims)  # at most 32 factors below 2^40: exact, and quick
    if math.prod(d for d in dims if d) * dtype.itemsize >= 1 << 62:
        raise _Damaged(f"tensor {name!r} has dims {dims[:8]}… beyond any array")
    if raw is not None:
        if len(raw) != count * dtype.itemsize:
            raise _Damaged(f"tensor {name!r}: {len(raw)} bytes of data for {count} elements")
        values = np.frombuffer(raw, dtype=dtype).copy()
    else:
        values = _typed_values(typed.get(field, []), dtype, single_wire, count, name)
    try:
        return name, values.astype(dtype.newbyteorder("="), copy=False).reshape(dims)
    except ValueError as exc:  # a shape numpy refuses: never seen from a well-formed file
        raise _Damaged(f"tensor {name!r}: {exc}") from None


def read_initializers(path: str | Path, names: Collection[str]) -> dict[str, np.ndarray]:
    """The initializers called ``names`` (those present) of the ONNX file at ``path``, as numpy arrays.

    Raises ``ModelLoadError`` for a file that cannot be read or is not a well-formed ModelProto on the path walked.
    The file is read, not memory-mapped: a mapped file cut short by a writer while it is parsed kills the process
    (SIGBUS), where a read one is at worst a damaged file, reported as such.
    """
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise ModelLoadError(f"{path} cannot be read ({exc.strerror or exc})") from None
    return initializers_in(data, names, path)


def initializers_in(data: bytes, names: Collection[str], path: str | Path) -> dict[str, np.ndarray]:
    """``read_initializers`` on the bytes of an ONNX file already read (``path`` names it in errors); the arrays are
    copies, never views of ``data``."""
    wanted = set(names)
    found: dict[str, np.ndarray] = {}
    try:
        graphs = [value for number, wire, value in _fields(memoryview(data)) if number == _MODEL_GRAPH and wire == 2]
        if not graphs:
            raise _Damaged("no graph")
        for graph in graphs:
            for number, wire, value in _fields(graph):
                if number != _GRAPH_INITIALIZER or wire != 2:
                    continue
                name = _tensor_name(value)
                if name in wanted:
                    name, array = _tensor(value)
                    found[name] = array
    except (_Damaged, UnicodeDecodeError) as exc:
        raise ModelLoadError(f"{path} is not a readable ONNX file ({exc})") from None
    return found


def _tensor_name(buf: memoryview) -> str:
    """A tensor's name without decoding its data (the full graph's five weight tables are skipped this way); the
    last occurrence wins, as in protobuf and ``_tensor``."""
    name = ""
    for number, wire, value in _fields(buf):
        if number == _NAME and wire == 2:
            name = bytes(value).decode("utf-8")
    return name
