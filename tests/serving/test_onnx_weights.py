"""serving.onnx_weights against the onnx package (the writer and the reference), and on damaged files."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

onnx = pytest.importorskip("onnx")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from mlmrisk.classifier.errors import ModelLoadError  # noqa: E402
from mlmrisk.resources import default_model_dir  # noqa: E402
from mlmrisk.serving.onnx_weights import read_initializers  # noqa: E402


def _reference(path) -> dict[str, np.ndarray]:
    return {t.name: numpy_helper.to_array(t) for t in onnx.load(str(path)).graph.initializer}


def _assert_same(expected: dict, got: dict) -> None:
    assert expected.keys() == got.keys()
    for name, array in expected.items():
        assert got[name].dtype == array.dtype and got[name].shape == array.shape, name
        np.testing.assert_array_equal(got[name], array, err_msg=name)


@pytest.mark.parametrize("file", ["mlm.onnx", "model.onnx"])
def test_shipped_graphs_read_as_onnx_reads_them(file):
    path = default_model_dir() / file
    expected = _reference(path)
    _assert_same(expected, read_initializers(path, expected.keys()))
    assert read_initializers(path, ["no such tensor"]) == {}


def _model(tensors: list) -> bytes:
    graph = helper.make_graph([helper.make_node("Identity", ["x"], ["y"])], "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])], initializer=tensors)
    return helper.make_model(graph).SerializeToString()


def _storage_variants() -> list:
    """The same kinds of values stored every way the format allows: raw bytes and the typed repeated fields."""
    rng = np.random.default_rng(0)
    return [
        numpy_helper.from_array(rng.normal(size=(3, 4)).astype(np.float32), "raw_f32"),
        numpy_helper.from_array(rng.normal(size=5), "raw_f64"),
        numpy_helper.from_array(np.array([-3, 0, 2**40, -(2**62)], dtype=np.int64), "raw_i64"),
        numpy_helper.from_array(np.array(2.5, dtype=np.float32), "scalar"),
        numpy_helper.from_array(np.zeros((0, 3), dtype=np.float32), "empty"),
        helper.make_tensor("typed_f32", TensorProto.FLOAT, [2, 2], [1.5, -2.0, 0.0, 3.25]),
        helper.make_tensor("typed_f64", TensorProto.DOUBLE, [3], [1e300, -1e-300, 0.5]),
        helper.make_tensor("typed_i64", TensorProto.INT64, [3], [-1, 7, -(2**63)]),
        helper.make_tensor("typed_i32", TensorProto.INT32, [2], [-(2**31), 5]),
    ]


def test_every_storage_form_reads_as_onnx_reads_it(tmp_path):
    path = tmp_path / "m.onnx"
    path.write_bytes(_model(_storage_variants()))
    expected = _reference(path)
    _assert_same(expected, read_initializers(path, expected.keys()))


def test_unreadable_and_unsupported_files_are_model_load_errors(tmp_path):
    external = numpy_helper.from_array(np.ones(4, dtype=np.float32), "ext")
    external.data_location = TensorProto.EXTERNAL
    half = helper.make_tensor("half", TensorProto.FLOAT16, [1], [1.0])
    for name, data in [("external", _model([external])), ("float16", _model([half])), ("empty", b""),
                       ("text", b"not an onnx file at all"), ("group", bytes([0x0B]))]:
        path = tmp_path / f"{name}.onnx"
        path.write_bytes(data)
        with pytest.raises(ModelLoadError, match="not a readable ONNX file"):
            read_initializers(path, ["ext", "half"])
    with pytest.raises(ModelLoadError, match="cannot be read"):
        read_initializers(tmp_path / "missing.onnx", ["w"])


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        low, value = value & 0x7F, value >> 7
        out.append(low | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _field(number: int, payload: bytes) -> bytes:
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def _hand_tensor(dims: list[int], name: bytes = b"w", data_type: int = 1, data: bytes = b"", names=()) -> bytes:
    """A TensorProto written by hand (onnx would refuse to write the hostile ones)."""
    body = _field(1, b"".join(_varint(d) for d in dims)) + _varint(2 << 3) + _varint(data_type) + _field(8, name)
    body += b"".join(_field(8, n) for n in names)
    return _field(7, _field(5, body + _field(9, data)))


@pytest.mark.parametrize("label, blob", [
    ("65 dims", _hand_tensor([1] * 65, data=b"\0" * 4)),
    ("100,000 dims of 2^39", _hand_tensor([1 << 39] * 100_000)),
    ("empty but vast", _hand_tensor([0, 1 << 39, 1 << 39])),
    ("a dimension of 2^40", _hand_tensor([1 << 40])),
    ("20 MB of packed int64 for one element", _field(7, _field(5, _field(1, _varint(1)) + _varint(2 << 3) + _varint(7)
                                                                + _field(8, b"w") + _field(7, b"\0" * 20_000_000)))),
])
def test_hostile_tensors_are_refused_quickly(tmp_path, label, blob):
    """More dims than any array, products beyond memory, data that disagrees with its dims: ModelLoadError, in
    time linear in the file (a quadratic product or a decode before the size check once took seconds to minutes)."""
    import time

    path = tmp_path / "hostile.onnx"
    path.write_bytes(blob)
    started = time.perf_counter()
    with pytest.raises(ModelLoadError, match="not a readable ONNX file"):
        read_initializers(path, ["w"])
    assert time.perf_counter() - started < 5, label


def test_a_repeated_name_is_read_as_protobuf_reads_it(tmp_path):
    """The last occurrence of a field wins in protobuf: a tensor named "v" then "w" is ``w``."""
    path = tmp_path / "names.onnx"
    path.write_bytes(_hand_tensor([1], name=b"v", data=b"\0\0\x80?", names=[b"w"]))
    assert [t.name for t in onnx.load(str(path)).graph.initializer] == ["w"]
    assert read_initializers(path, ["w"])["w"].tolist() == [1.0]
    assert read_initializers(path, ["v"]) == {}


_SMALL = _model(_storage_variants())


@settings(max_examples=400, deadline=None)
@given(st.data())
def test_damaged_files_never_crash_or_mislead(tmp_path_factory, data):
    """Truncated or bit-flipped files: a ModelLoadError, or arrays that onnx reads the same way when it can parse
    the file too (a flip inside a float changes the value, not the format)."""
    blob = bytearray(_SMALL)
    if data.draw(st.booleans()):
        blob = blob[: data.draw(st.integers(0, len(blob) - 1))]
    else:
        for _ in range(data.draw(st.integers(1, 4))):
            blob[data.draw(st.integers(0, len(blob) - 1))] ^= 1 << data.draw(st.integers(0, 7))
    path = tmp_path_factory.mktemp("damaged") / "m.onnx"
    path.write_bytes(bytes(blob))
    names = [t.name for t in _storage_variants()]
    try:
        got = read_initializers(path, names)
    except ModelLoadError:
        return
    try:
        tensors = [t for t in onnx.load_from_string(bytes(blob)).graph.initializer if t.name in names]
    except Exception:  # onnx refuses what this reader accepted: a damaged field the walk never reads
        return
    for tensor in tensors:
        try:
            expected = numpy_helper.to_array(tensor)
        except Exception:  # e.g. a size that does not fit the dims: this reader raised above for wanted names
            continue
        if tensor.name in got:
            assert got[tensor.name].dtype == expected.dtype and got[tensor.name].shape == expected.shape
            np.testing.assert_array_equal(got[tensor.name], expected)
