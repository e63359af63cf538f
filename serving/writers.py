"""Output side of bulk scoring: where to write (safely), JSON encoding, atomic part files.

Parts and assembly. Each worker turns one finished chunk into one *part file*, written atomically (tmp, rename;
its marker records its size and CRC-32, checked when a run resumes: ``serving/bulk.py``), so a completed part is a
checkpoint that survives ``kill -9`` and, once verified, a power loss. At the end the parent appends the parts, in
chunk order, to the final output. How a format encodes a part and assembles parts is the format's business
(``serving/formats.py``: one object per format behind one registry); what the rows hold is the result schema
(``classifier/schema.py``, turned into Arrow/CSV by ``serving/tabular.py``).

Safe outputs (:func:`check_output_path`): an output is written only to a regular file (new or existing) or ``-``
(stdout), always through a temporary file in the same directory renamed over the target at the end, so a reader
never sees half a file. A symlink, FIFO, device (``-o /dev/full``), socket or directory is refused with one line,
as is a directory that does not exist or cannot be written.

JSON is written with orjson (5x ``json.dumps`` on result records here: ~400k/s against ~75k/s), compact, UTF-8,
non-ASCII unescaped; a value orjson refuses (a lone surrogate in an id) falls back to ``json.dumps`` with
``ensure_ascii=True`` for that one record, which is still valid JSON.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from mlmrisk.classifier.errors import InputFormatError, MlmriskError

STDOUT = "-"
_SUFFIX_COMPRESSIONS = {".gz": "gzip", ".gzip": "gzip", ".zst": "zstd", ".zstd": "zstd"}
_JSON_OPTIONS = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS


class OutputPathError(MlmriskError):
    """The output (or rejects) path is not somewhere mlmrisk will write: not a regular file, or not writable."""


@dataclass(frozen=True)
class OutputSpec:
    """Where and how to write; decided in the parent, picklable for workers."""

    path: str
    format: str
    compression: str | None

    @property
    def is_stdout(self) -> bool:
        return self.path == STDOUT


def output_formats() -> tuple[str, ...]:
    from mlmrisk.serving.formats import FORMATS

    return tuple(name for name, fmt in FORMATS.items() if fmt.writable)


def detect_output(path: str | os.PathLike[str], output_format: str | None = None) -> OutputSpec:
    """Output format from ``output_format``, else the suffix (``scored.jsonl.zst`` → jsonl, zstd); stdout: jsonl."""
    from mlmrisk.serving.formats import FORMATS, format_for_suffix

    writable = output_formats()
    if output_format is not None and output_format not in writable:
        raise InputFormatError(f"unknown output format {output_format!r}; expected one of {', '.join(writable)}")
    spath = os.fspath(path)
    if spath == STDOUT:
        return OutputSpec(STDOUT, output_format or "jsonl", None)
    name = Path(spath).name.lower()
    stem, dot, suffix = name.rpartition(".")
    compression = _SUFFIX_COMPRESSIONS.get("." + suffix) if dot else None
    if compression:
        stem, dot, suffix = stem.rpartition(".")
    fmt = output_format or (format_for_suffix("." + suffix) if dot else None)
    if fmt is not None and not FORMATS[fmt].writable:
        fmt = None
    if fmt is None:
        raise InputFormatError(
            f"cannot tell the output format of {spath!r} from its suffix; name it "
            f"{', '.join('.' + f for f in writable)} or pass --output-format"
        )
    if not FORMATS[fmt].compressible and compression:
        raise InputFormatError(f"{spath!r}: {fmt} compresses internally; drop the {compression} suffix")
    check_output_path(spath, "output")
    return OutputSpec(str(Path(spath).absolute()), fmt, compression)


def check_output_path(path: str | os.PathLike[str], what: str = "output") -> None:
    """Refuse, with one line, any path that is not a new or existing regular file in a writable directory."""
    p = Path(path)
    try:
        st = os.lstat(p)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise OutputPathError(f"cannot use {what} {str(p)!r}: {exc.strerror or exc}") from None
    if st is not None and not stat.S_ISREG(st.st_mode):
        kind = ("a symlink" if stat.S_ISLNK(st.st_mode) else "a directory" if stat.S_ISDIR(st.st_mode)
                else "a FIFO" if stat.S_ISFIFO(st.st_mode) else "a socket" if stat.S_ISSOCK(st.st_mode)
                else "a device")
        stdout = " or to - for stdout" if what == "output" else ""
        raise OutputPathError(f"{what} {str(p)!r} is {kind}; mlmrisk writes only to a regular file (via a "
                              f"temporary file renamed into place){stdout}")
    parent = p.absolute().parent
    if not parent.is_dir():
        raise OutputPathError(f"the {what} directory {str(parent)!r} does not exist; create it first")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutputPathError(f"cannot write the {what} {str(p)!r}: the directory {str(parent)!r} is not writable")
    if st is not None and not os.access(p, os.W_OK):
        raise OutputPathError(f"cannot write the {what} {str(p)!r}: permission denied")


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


def encode_jsonl(records: Iterable[dict | bytes]) -> bytes:
    """Records as JSONL bytes: a JSONL part, or a rejects part. A ``bytes`` item is a line already encoded
    (``PlainJsonlLines``) and is written as it is."""
    opts = _JSON_OPTIONS | orjson.OPT_APPEND_NEWLINE
    dumps = orjson.dumps
    out = []
    for record in records:
        if type(record) is bytes:
            out.append(record)
            continue
        try:
            out.append(dumps(record, default=_json_default, option=opts))
        except TypeError:
            out.append(dumps_line(record))
    return b"".join(out)


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




# ------------------------------------------------------------------------------------------------ plain JSONL rows


class PlainJsonlLines:
    """JSONL lines of template records (scored, unflagged, no evidence or list entry: nearly every post of an
    archive) written from a byte template instead of a dict per post.

    Building the dict (``ScoredBatch.records``) and encoding it cost as much as scoring the post; the template
    fills six holes — id, probability, risk, level, the reported normalisation rules, input line — with values
    orjson encodes a whole chunk at a time (the rules once per distinct set: a post of an archive lists at most a
    few, and ~4 % of ordinary posts list one, such as ``noise`` or ``separators``). The template is derived from
    ``classifier.schema.plain_record`` through orjson itself, so its bytes are exactly what ``encode_jsonl`` writes
    for the same record (``tests/serving/test_bulk_fast.py`` holds them equal), and a new schema field needs no
    edit here.
    """

    _HOLES = ("id", "probability", "risk", "level", "normalization", "line")

    def __init__(self, model: str):
        from mlmrisk.classifier.schema import plain_record

        marks = {name: f"\x01{name}\x01" for name in self._HOLES}
        record = {"id": marks["id"], **plain_record(model), "line": marks["line"]}
        for name in self._HOLES[1:-1]:
            record[name] = marks[name]
        encoded = orjson.dumps(record, option=_JSON_OPTIONS | orjson.OPT_APPEND_NEWLINE)
        for name in self._HOLES:
            if encoded.count(orjson.dumps(marks[name])) != 1:
                raise ValueError(f"the plain record's template lost its {name} field")
        order = sorted(self._HOLES, key=lambda name: encoded.index(orjson.dumps(marks[name])))
        if order != list(self._HOLES):  # the holes are filled positionally below
            raise ValueError(f"the plain record's fields are in an unexpected order: {order}")
        #: the record's fixed bytes around its holes: a row is segments[0] id segments[1] probability … line
        #: segments[6]; ``encode_joined`` interleaves them with a whole chunk's values
        segments, rest = [], encoded
        for name in self._HOLES:
            before, _, rest = rest.partition(orjson.dumps(marks[name]))
            segments.append(before)
        self.segments = (*segments, rest)
        self._rules: dict[int, bytes] = {}  # rule bits → the JSON of their reported names

    def encode(self, ids: list[Any], probability: Any, risk: list[int], level: list[str], rules: Any,
               lines: list[int]) -> list[bytes] | None:
        """One line per row (``probability`` a float64 array, rounded as ``schema.make_record`` rounds; ``rules``
        the rows' normalisation rule bits); None when an id is something orjson refuses (the caller then encodes
        those rows as dicts, through ``dumps_line``'s fallback)."""
        joined = self.encode_joined(ids, probability, risk, level, rules, lines)
        # a line ends at its only newline: orjson escapes every newline and carriage return inside strings
        return None if joined is None else joined.splitlines(keepends=True)

    def encode_joined(self, ids: list[Any], probability: Any, risk: list[int], level: list[str], rules: Any,
                      lines: list[int], replace: dict[int, bytes] | None = None) -> bytes | None:
        """The lines of ``encode``, joined: every row's bytes interleaved with the template's fixed segments by
        list-slice assignments and one ``bytes.join`` — no Python step per row (a ``%`` per row, and a loop
        over the lines to join them, had cost ~0.6 µs per post of a bulk run). ``replace``: rows whose line is
        given instead (already encoded, with its newline: the records that are not template records), by row
        index."""
        from mlmrisk.classifier.normalize import rule_names
        from mlmrisk.classifier.schema import round_probabilities

        dumps = orjson.dumps
        n = len(ids)
        if n == 0:
            return b""
        id_json = _int_items(ids)
        if id_json is None:
            try:  # each id encoded at the depth it has in a record (orjson refuses nesting deeper than ~254 levels)
                id_json = [dumps([i], default=_json_default, option=_JSON_OPTIONS)[1:-1] for i in ids]
            except TypeError:
                return None
        levels = {name: dumps(name) for name in set(level)}
        bits = np.asarray(rules).tolist()
        known = self._rules
        for b in set(bits):
            if b not in known:
                known[b] = dumps(rule_names(b))
        values = (id_json, _split_json_list(dumps(round_probabilities(probability))), _split_json_list(dumps(risk)),
                  list(map(levels.__getitem__, level)), list(map(known.__getitem__, bits)),
                  _split_json_list(dumps(lines)))  # one list per hole, in _HOLES order
        row = [piece for segment in self.segments[:-1] for piece in (segment, b"")] + [self.segments[-1]]
        width = len(row)
        pieces = row * n
        for hole, column in enumerate(values):
            pieces[2 * hole + 1 :: width] = column
        for k, line in (replace or {}).items():
            pieces[k * width : (k + 1) * width] = (line,) + (b"",) * (width - 1)
        return b"".join(pieces)


def _int_items(ids: list[Any]) -> list[bytes] | None:
    """The JSON of each id when every id is a plain int (line numbers, numeric keys: most archives), encoded by
    one orjson call for the whole chunk instead of one per post; None otherwise (bools, other types, or an int
    beyond 64 bits, which the caller's per-id path handles)."""
    if not ids or set(map(type, ids)) != {int}:
        return None
    try:
        return _split_json_list(orjson.dumps(ids))
    except TypeError:  # an int beyond 64 bits
        return None


def _split_json_list(encoded: bytes) -> list[bytes]:
    """The items of a JSON array of numbers (whose items never hold a comma)."""
    inner = encoded[1:-1]
    return inner.split(b",") if inner else []
