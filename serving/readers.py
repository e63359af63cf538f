"""Streaming input readers for bulk scoring: format and compression detection, fixed-size chunking.

Why chunks and not a plain record iterator: the bulk scorer (``serving/bulk.py``) runs W worker processes that each
open and read the *whole* input themselves and parse only the chunks they claimed (docs/design_facts.md §2: shipping
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

Encodings: JSONL, CSV/TSV and text may be in any encoding; ``--encoding auto`` (default) detects the common
Chinese ones from the first 64 KiB (:func:`detect_encoding`: BOM, UTF-8, GB18030/GBK, Big5, UTF-16) and the
stream is recoded to UTF-8 right after decompression (:class:`_Recoded`), so line cutting and CSV parsing never
see anything else. Which format does what is decided by ``serving.formats.FORMATS``; this module holds the
machinery they share. ``Parsed`` (from ``ChunkReader.read``) adds each record's ``--keep-fields`` values and the
count of skipped blank lines.

Errors about the input as a whole (missing file, unknown format, missing column or field, Parquet on stdin) raise
:class:`classifier.errors.InputFormatError` before any record is read.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from operator import itemgetter
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple

import orjson

from mlmrisk.classifier.errors import InputFormatError

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
    #: The text encoding of line formats (``utf-8`` needs no recoding; ``auto`` = not decided yet, stdin only).
    encoding: str = "utf-8"

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
    #: Physical lines in this chunk that are not records (blank JSONL/CSV lines), for the run summary.
    skipped: int = 0


class Parsed:
    """A parsed chunk: its records, the ``--keep-fields`` values of each (None when none are kept) and the count
    of skipped blank lines (so ``lines read = records + skipped``).

    ``columns``: (line numbers, ids, texts) when every record of the chunk is a scorable string and no field is
    kept — the columns bulk jobs score directly. ``records`` then holds the same values as tuples, built only
    when asked for (a clean chunk scored in bulk never needs them: ~0.1 µs per post)."""

    __slots__ = ("_records", "kept", "skipped", "columns")

    def __init__(self, records: list[Record] | None, kept: list[dict[str, Any]] | None, skipped: int,
                 columns: tuple[Sequence[int], list[Any], list[str]] | None = None) -> None:
        if records is None and columns is None:
            raise ValueError("a parsed chunk needs its records or its columns")
        self._records, self.kept, self.skipped, self.columns = records, kept, skipped, columns

    @property
    def records(self) -> list[Record]:
        if self._records is None:
            self._records = list(zip(*self.columns))  # type: ignore[misc]
        return self._records


# --------------------------------------------------------------------------------------------------------- detection


def input_formats() -> tuple[str, ...]:
    from mlmrisk.serving.formats import FORMATS

    return tuple(name for name, fmt in FORMATS.items() if fmt.readable)


def detect_input(path: str | os.PathLike[str], input_format: str | None = None,
                 encoding: str | None = "auto") -> InputSpec:
    """Decide format, compression and text encoding of ``path`` (``-`` = stdin).

    The format comes from ``input_format``, else the suffix under any compression suffix (``posts.jsonl.zst`` →
    jsonl), else the content: ``PAR1`` → parquet, a first non-blank byte ``{`` → jsonl. Anything else is refused
    rather than guessed, because reading CSV as text (or the reverse) would silently score the wrong strings.
    Compression is always sniffed from the magic bytes for files (a ``.jsonl`` that is really gzip still works);
    for stdin it is sniffed by the reader. The encoding: see :func:`detect_encoding` (``auto``) or
    :func:`check_encoding` (a name); stdin's is decided by the reader from its first block.
    """
    from mlmrisk.serving.formats import FORMATS, canonical_format, format_for_suffix

    readable = input_formats()
    if input_format is not None:
        fmt_name = canonical_format(input_format)
        if fmt_name is None or not FORMATS[fmt_name].readable:
            raise InputFormatError(f"unknown input format {input_format!r}; expected one of {', '.join(readable)}")
        input_format = fmt_name
    encoding = check_encoding(encoding)
    spath = os.fspath(path)
    if spath == STDIN:
        if input_format is not None and not FORMATS[input_format].streamable:
            raise InputFormatError(
                f"{input_format} cannot be read from stdin (its index is at the end of the file); "
                "pass the file path instead"
            )
        return InputSpec(STDIN, input_format or "", None, None, None, encoding)
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
    fmt = input_format or _format_from_suffix(p.name, format_for_suffix)
    head = None
    if fmt is None:
        if magic == _PARQUET_MAGIC:
            fmt = "parquet"
        else:
            head = _read_head(InputSpec(str(p), "", compression, st.st_size, st.st_mtime_ns))
            fmt = _format_from_content(head)
        if fmt is None:
            raise InputFormatError(
                f"cannot tell the format of {spath!r} from its name or content; "
                f"pass --input-format ({', '.join(readable)})"
            )
    if not FORMATS[fmt].streamable:
        if compression is not None:
            raise InputFormatError(
                f"{spath!r} is {compression}-compressed {fmt}; decompress it first ({fmt} compresses internally)"
            )
        if encoding not in ("auto", "utf-8"):
            raise InputFormatError(f"{fmt} text is always UTF-8; drop --encoding")
        encoding = "utf-8"
    elif encoding == "auto":
        if head is None:
            head = _read_head(InputSpec(str(p), "", compression, st.st_size, st.st_mtime_ns))
        encoding = detect_encoding(head, final=len(head) < ENCODING_SAMPLE)
    return InputSpec(str(p.resolve()), fmt, compression, st.st_size, st.st_mtime_ns, encoding)


def _read_head(spec: InputSpec) -> bytes:
    try:
        with open_decompressed(spec) as stream:
            return stream.read(ENCODING_SAMPLE)
    except InputFormatError:
        raise
    except Exception as exc:  # noqa: BLE001 - an unreadable file or a corrupt stream: gzip, zstd and OS errors
        raise InputFormatError(f"cannot read input file {spec.path!r}: {type(exc).__name__}: {exc}") from None


# --------------------------------------------------------------------------------------------------------- encodings

#: Bytes of the (decompressed) input sampled to decide its encoding.
ENCODING_SAMPLE = 1 << 16
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
#: The most frequent characters of Chinese text, in simplified AND traditional form: decoding GB18030 bytes as
#: Big5 (or the reverse) rarely fails outright but yields rare characters, so the candidate whose text holds more
#: of these wins.
_COMMON_HANZI = frozenset(
    "的一是不了在人有我他这這个個们們中来來上大为為和国國地到以说說时時要就出会會可也你对對生能而子那得于於着著"
    "下自之年过過发發后後作里裡用道行所然家种種事成方多经經么麼去法学學如都同现現当當没沒动動面起看定天分还還进進"
    "好小部其些主样樣理心她本前开開但因只从從想实實日者意无無力它与與长長把机機十民第公此已工使情明性知全三又关關"
    "点點正业業外将將两兩高间間由问問很最重并並物手应應向头頭文体體相见見被利什二等产產或新己制身果加月话話合回特"
    "代内信表化老给給世位次度门門任常先海通教儿兒原东東声聲提立及比员員解水名真论論处處走义義各入几幾口认認条條平"
    "系气氣题題活更别別打女变變四神总總何电電数數安少报報才结結反受目太量再感建务務做接必场場件计計管期市直资資命"
    "金许許统統区區保至队隊形社便空决決治展科司五基眼书書非则則听聽白界达達光放强強即像难難且权權思王象完设設式色"
    "路记記南品住告类類求据據程北边邊死张張该該交规規万萬取拉格望觉覺术術领領共确確传傳师師观觀清今切院让讓识識候"
    "带帶导導运運收根干言联聯持组組每济濟车車亲親极極服快办辦议議元近失转轉准準始怎存未远遠叫台单單影具字爱愛流"
    "备備调調深商算质質团團集百需价價花华華城级級整府离離况況请請技际際约約示复復病息线線似官火断斷精满滿支视視"
    "消越器容照须須九增研写寫称稱企八功吗嗎包片史委乎查轻輕易早曾除农農找装裝广廣显顯吧图圖念六引历歷首医醫局突"
    "专專费費号號尽盡另周较較注语語仅僅考落青随隨选選列红紅响響虽雖推势勢参參希古众眾构構房半节節土投某案黑维維"
    "钱錢赚賺奖獎会员員拿返利息收益加盟代理直销銷推荐薦下线線上级級团队隊分红紅投资資入门門费費"
)


def check_encoding(name: str | None) -> str:
    """``auto``, or the canonical codec name of an encoding the user named (``GBK`` → ``gb18030``, its superset)."""
    import codecs

    if name is None or name.lower() == "auto":
        return "auto"
    try:
        canonical = codecs.lookup(name).name
    except LookupError:
        raise InputFormatError(f"unknown --encoding {name!r}; use auto, utf-8, gbk, gb18030, big5 or utf-16") from None
    if canonical in ("gbk", "gb2312", "cp936"):
        canonical = "gb18030"
    if canonical == "utf-8-sig":
        canonical = "utf-8"  # a leading BOM is always dropped
    return canonical


def detect_encoding(head: bytes, *, final: bool = False) -> str:
    """The encoding of a line-format input from its first bytes (``head``; ``final`` = that is all of it).

    The rule, in order: a UTF-8 BOM → ``utf-8``; a UTF-16 BOM → ``utf-16``; bytes that decode as UTF-8 →
    ``utf-8`` (ASCII included); else the one of GB18030 (a superset of GBK and GB2312, what Excel writes on a
    Chinese Windows) and Big5 that decodes them, and if both do, the one whose text holds more of the most
    frequent Chinese characters; if none decodes, ``utf-8`` (undecodable lines then become ``invalid_utf8``
    records). A multi-byte character cut by the end of the sample does not count as an error.
    """
    import codecs

    if head.startswith(_BOM):
        return "utf-8"
    if head.startswith(_UTF16_BOMS):
        return "utf-16"
    decoded: dict[str, str] = {}
    for name in ("utf-8", "gb18030", "big5"):
        try:
            decoded[name] = codecs.getincrementaldecoder(name)().decode(head, final=final)
        except UnicodeDecodeError:
            continue
        if name == "utf-8":
            return name
    if len(decoded) == 2:
        score = {name: sum(ch in _COMMON_HANZI for ch in text) for name, text in decoded.items()}
        return "big5" if score["big5"] > score["gb18030"] else "gb18030"
    return next(iter(decoded), "utf-8")


def _escape_undecodable(exc: UnicodeError) -> tuple[str, int]:
    """Decoding error handler ``mlmrisk-escape``: like ``surrogateescape``, but also for bytes below 0x80 (a
    UTF-16 stream with an odd trailing byte), as lone surrogates U+DC00–U+DCFF that never encode to valid UTF-8."""
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    bad = exc.object[exc.start:exc.end]
    return "".join(chr(0xDC00 + b) for b in bad), exc.end


ESCAPE_ERRORS = "mlmrisk-escape"
codecs.register_error(ESCAPE_ERRORS, _escape_undecodable)


def to_utf8(text: str) -> bytes:
    """Decoded text back to bytes: escaped bytes ≥ 0x80 as themselves, other lone surrogates as (invalid) UTF-8."""
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass")


class _Recoded(io.RawIOBase):
    """A byte stream in some encoding, read as UTF-8 (``source`` is kept for progress positions).

    Undecodable bytes stay invalid UTF-8 (error handler ``mlmrisk-escape``: bytes ≥ 0x80 pass through unchanged,
    lower ones become encoded lone surrogates), so the line holding them becomes an ``invalid_utf8`` record: one
    bad line costs one record, never the stream.
    """

    def __init__(self, inner: "_Decompressed", encoding: str, head: bytes = b"") -> None:
        import codecs

        self._inner = inner
        self.source = inner.source
        self._decoder = codecs.getincrementaldecoder(encoding)(errors=ESCAPE_ERRORS)
        self._head = head
        self._buf = b""
        self._eof = False

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:  # type: ignore[override]
        while not self._eof and (size is None or size < 0 or len(self._buf) < size):
            block, self._head = (self._head or self._inner.read(BLOCK_SIZE)), b""
            if not block:
                self._buf += to_utf8(self._decoder.decode(b"", final=True))
                self._eof = True
                break
            self._buf += to_utf8(self._decoder.decode(block))
        if size is None or size < 0:
            out, self._buf = self._buf, b""
        else:
            out, self._buf = self._buf[:size], self._buf[size:]
        return out

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        memoryview(buffer).cast("B")[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._inner.close()
        super().close()


def _sniff_compression(magic: bytes) -> str | None:
    if magic.startswith(_GZIP_MAGIC):
        return "gzip"
    if magic.startswith(_ZSTD_MAGIC):
        return "zstd"
    return None


def _format_from_suffix(name: str, lookup: Callable[[str], str | None]) -> str | None:
    stem, dot, suffix = name.lower().rpartition(".")
    if dot and "." + suffix in _SUFFIX_COMPRESSIONS:
        stem, dot, suffix = stem.rpartition(".")
    return lookup("." + suffix) if dot else None


def _format_from_content(head: bytes) -> str | None:
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        head = head.decode("utf-16", errors="ignore").encode()
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

    def __init__(self, stream: BinaryIO, source: _CountingSource, owned: list[Any], compression: str | None = None,
                 path: str = "") -> None:
        self._stream = stream
        self.source = source
        self._owned = owned
        self._compression = compression
        self._path = path

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:  # type: ignore[override]
        if self._compression is None:
            return self._stream.read(size)
        try:
            return self._stream.read(size)
        except Exception as exc:  # noqa: BLE001 - EOFError, gzip.BadGzipFile, zstandard.ZstdError, OSError, …
            where = "stdin" if self._path == STDIN else repr(self._path)
            raise InputFormatError(f"{where} is a corrupt or truncated {self._compression} stream "
                                   f"({type(exc).__name__}: {exc}); records after the damage cannot be read") from None

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
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
    return _Decompressed(stream, source, owned, compression, spec.path)


def resolve_stdin_format(stream: _Decompressed, spec: InputSpec) -> tuple[InputSpec, bytes]:
    """For stdin without ``--input-format``: sniff the format from the first block; returns it and that block."""
    from mlmrisk.serving.formats import FORMATS

    head = stream.read(BLOCK_SIZE)
    fmt = spec.format or _format_from_content(head)
    if not fmt:
        raise InputFormatError(
            "cannot tell the format of stdin from its content; pass --input-format "
            f"({', '.join(name for name in input_formats() if FORMATS[name].streamable)})"
        )
    encoding = detect_encoding(head, final=len(head) < BLOCK_SIZE) if spec.encoding == "auto" else spec.encoding
    return InputSpec(spec.path, fmt, spec.compression, spec.size, spec.mtime_ns, encoding), head


def open_input(spec: InputSpec, head: bytes = b"") -> "_Decompressed | _Recoded":
    """A file input (or stdin after :func:`resolve_stdin_format`) as a UTF-8 byte stream: decompressed, and
    recoded when its encoding is not UTF-8."""
    stream = open_decompressed(spec)
    if spec.encoding in ("utf-8", "auto", ""):
        return stream
    return _Recoded(stream, spec.encoding, head)


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


def _parse_jsonl(lines: Sequence[bytes | _TooLong], first_line: int, text_field: str, id_field: str | None,
                 keep: Sequence[str] = ()) -> Parsed:
    """Parse one chunk of JSONL lines into records.

    Every line is first decoded by one C-level ``map(orjson.loads, …)``; it stops at the first line orjson
    refuses (blank, malformed, too long), keeping the objects decoded before it. When all decoded and every one
    is an object with a string text, the chunk is clean (``_clean_columns``); otherwise the line-by-line loop
    takes over, reusing the objects already decoded, so no line is decoded twice.
    """
    objs: list[Any] = []
    try:
        objs.extend(map(orjson.loads, lines))  # keeps the objects decoded before a line that raises
    except ValueError:  # orjson.JSONDecodeError, also for invalid UTF-8 and for a _TooLong stand-in
        pass
    if not keep and len(objs) == len(lines):
        clean = _clean_columns(objs, first_line, text_field, id_field)
        if clean is not None:
            return clean
    return _parse_jsonl_each(lines, first_line, text_field, id_field, keep, decoded=objs)


def _parse_jsonl_each(lines: Sequence[bytes | _TooLong], first_line: int, text_field: str, id_field: str | None,
                      keep: Sequence[str] = (), decoded: Sequence[Any] = ()) -> Parsed:
    """Parse JSONL lines one by one, reporting every bad line; the hot loop of the JSONL reader, kept flat.

    ``decoded``: the objects of the first ``len(decoded)`` lines, already decoded by orjson."""
    out: list[Record] = []
    append = out.append
    objs: list[Any] = []  # the object behind each record (None where there is none), only when fields are kept
    loads = orjson.loads
    id_key = id_field if id_field is not None else "id"
    explicit_id = id_field is not None
    number = first_line - 1
    skipped = 0
    n_decoded = len(decoded)
    for raw in lines:
        number += 1
        if number - first_line < n_decoded:
            obj = decoded[number - first_line]
        elif type(raw) is _TooLong:
            append((number, number, _too_long(raw, number)))
            if keep:
                objs.append(None)
            continue
        else:
            try:
                obj = loads(raw)
            except ValueError as exc:  # orjson.JSONDecodeError; also raised for invalid UTF-8
                if not raw.strip():
                    skipped += 1
                    continue  # a blank line is not a record
                append((number, number, _json_error(raw, number, exc)))
                if keep:
                    objs.append(None)
                continue
        if keep:
            objs.append(obj if type(obj) is dict else None)
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
    kept = [{k: (o.get(k) if o is not None else None) for k in keep} for o in objs] if keep else None
    return Parsed(out, kept, skipped)


def _clean_columns(objs: list[Any], first_line: int, text_field: str, id_field: str | None) -> Parsed | None:
    """The chunk's records and columns when every decoded line is an object with a string text (and its id, when
    ``id_field`` is given): nearly every chunk of a real archive, checked with C-level maps instead of the
    per-line loop. None when any line needs the loop's care (a non-object, a missing or non-string text)."""
    if not objs:
        return Parsed([], None, 0, (range(first_line, first_line), [], []))
    if set(map(type, objs)) != {dict}:
        return None
    try:  # C-level lookups; a missing text (KeyError) sends the chunk to the loop, which reports it
        texts = list(map(itemgetter(text_field), objs))
    except KeyError:
        return None
    if set(map(type, texts)) != {str}:
        return None
    numbers = range(first_line, first_line + len(objs))
    id_key = id_field if id_field is not None else "id"
    try:
        ids = list(map(itemgetter(id_key), objs))
    except KeyError:
        ids = [obj.get(id_key) for obj in objs]
    if None in ids:
        if id_field is not None:
            return None
        ids = [number if rid is None else rid for number, rid in zip(numbers, ids)]
    return Parsed(None, None, 0, (numbers, ids, texts))


def jsonl_fields_seen(lines: Sequence[bytes | _TooLong], limit: int = 100) -> tuple[int, dict[str, int]]:
    """(objects parsed, how many of them hold each key) over the first ``limit`` JSON objects of ``lines``."""
    counts: dict[str, int] = {}
    n = 0
    for raw in lines:
        if type(raw) is _TooLong:
            continue
        try:
            obj = orjson.loads(raw)
        except ValueError:
            continue
        if type(obj) is dict:
            n += 1
            for key in obj:
                counts[key] = counts.get(key, 0) + 1
            if n >= limit:
                break
    return n, counts


def _names(names: Sequence[str]) -> str:
    """Field names for a one-line message: printable names as they are, others (newlines, controls) as repr;
    names holding bytes that did not decode (surrogate escapes) add a hint that the encoding is the problem,
    not the field name (a GBK header read as UTF-8 looks like '\\udcc4\\udcda')."""
    listed = ", ".join(name if name.isprintable() else repr(name) for name in names)
    if any("\udc80" <= char <= "\udcff" for name in names for char in name):
        listed += (" (some names are not valid text in the encoding used: the file is probably in another "
                   "encoding; try --encoding auto, gb18030 or big5)")
    return listed


def check_jsonl_fields(lines: Sequence[bytes | _TooLong], path: str, text_field: str, id_field: str | None,
                       keep: Sequence[str] = ()) -> None:
    """Stop early, with the fields actually seen, when none of the first records holds a field asked for.

    A wrong ``--text-field`` on JSONL would otherwise turn every record into a ``missing_text`` error row.
    """
    n, counts = jsonl_fields_seen(lines)
    if n == 0:
        return  # nothing to judge by (empty input, or not one valid object: those lines become error records)
    seen = _names(sorted(counts, key=lambda k: (-counts[k], k))[:30]) or "(none)"
    for name, option in ((text_field, "--text-field"), (id_field, "--id-field"),
                         *((k, "--keep-fields") for k in keep)):
        if name is not None and name not in counts:
            raise InputFormatError(
                f"field {name!r} is in none of the first {n} records of {path!r}; fields seen: {seen}; "
                f"pass {option}"
            )


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


def _parse_text(lines: Sequence[bytes | _TooLong], first_line: int) -> Parsed:
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
    return Parsed(out, None, 0)


# --------------------------------------------------------------------------------------------------------------- CSV


@dataclass(frozen=True)
class _CsvLayout:
    n_fields: int
    text_index: int
    id_index: int | None
    explicit_id: bool
    keep: tuple[tuple[str, int], ...] = ()


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


def _csv_layout(header: list[str], text_field: str, id_field: str | None, path: str,
                keep: Sequence[str] = ()) -> _CsvLayout:
    if not header:
        raise InputFormatError(f"{path!r} has no CSV header row; the first row must name the columns")
    if text_field not in header:
        raise InputFormatError(
            f"text column {text_field!r} not found in {path!r}; columns are: {_names(header)}; pass --text-field"
        )
    if id_field is not None and id_field not in header:
        raise InputFormatError(
            f"id column {id_field!r} not found in {path!r}; columns are: {_names(header)}; pass --id-field"
        )
    missing = [k for k in keep if k not in header]
    if missing:
        raise InputFormatError(
            f"--keep-fields column {missing[0]!r} not found in {path!r}; columns are: {_names(header)}"
        )
    id_name = id_field if id_field is not None else ("id" if "id" in header else None)
    return _CsvLayout(len(header), header.index(text_field), header.index(id_name) if id_name else None,
                      id_field is not None, tuple((k, header.index(k)) for k in keep))


def _iter_csv_chunks(
    stream: _Decompressed, spec: InputSpec, chunk_size: int, want: Callable[[int], bool], head: bytes,
    layout_box: list[_CsvLayout], text_field: str, id_field: str | None, delimiter: str = ",",
    keep: Sequence[str] = (),
) -> Iterator[Chunk]:
    header, prefix = _csv_header(stream, delimiter, head)
    layout_box.append(_csv_layout(header, text_field, id_field, spec.path, keep))
    text = io.TextIOWrapper(io.BufferedReader(_CountingSource(stream, prefix), BLOCK_SIZE), encoding="utf-8-sig",
                            errors="surrogateescape", newline="")
    reader = csv.reader(text, delimiter=delimiter)
    old_limit = csv.field_size_limit(MAX_FIELD_CHARS)
    try:
        next(reader, None)  # the header, parsed again
        index = 0
        start = 0  # bytes read before the first chunk (sniffing, CSV header) belong to it
        rows: list[tuple[int, list[str] | RecordError]] = []
        skipped = 0
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
                    skipped += 1
                    continue  # blank line: not a record
                rows.append((line, row))
            if len(rows) == chunk_size:
                end = stream.source.consumed
                yield Chunk(index, first_line, start, end, rows if want(index) else None, skipped)
                index += 1
                start = end
                rows = []
                skipped = 0
                first_line = reader.line_num + 1
        if rows or skipped:  # trailing blank lines get a chunk of their own, so every line is accounted for
            yield Chunk(index, first_line, start, stream.source.consumed, rows if want(index) else None, skipped)
    finally:
        csv.field_size_limit(old_limit)


def _parse_csv(rows: Sequence[tuple[int, list[str] | RecordError]], layout: _CsvLayout, skipped: int = 0) -> Parsed:
    out: list[Record] = []
    kept: list[dict[str, Any]] | None = [] if layout.keep else None
    if kept is not None:
        for _number, row in rows:
            ok = type(row) is not RecordError and len(row) == layout.n_fields
            kept.append({k: (row[i] if ok else None) for k, i in layout.keep})
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
    return Parsed(out, kept, skipped)


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
    keep: tuple[str, ...] = ()


def _parquet_layout(pf: Any, text_field: str, id_field: str | None, path: str,
                    keep: Sequence[str] = ()) -> _ParquetLayout:
    import pyarrow as pa

    schema = pf.schema_arrow
    names = schema.names
    if text_field not in names:
        raise InputFormatError(
            f"text column {text_field!r} not found in {path!r}; columns are: {_names(names)}; pass --text-field"
        )
    if id_field is not None and id_field not in names:
        raise InputFormatError(
            f"id column {id_field!r} not found in {path!r}; columns are: {_names(names)}; pass --id-field"
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
    missing = [k for k in keep if k not in names]
    if missing:
        raise InputFormatError(
            f"--keep-fields column {missing[0]!r} not found in {path!r}; columns are: {_names(names)}"
        )
    id_name = id_field if id_field is not None else ("id" if "id" in names else None)
    columns = tuple(dict.fromkeys([text_field, *([id_name] if id_name else []), *keep]))
    return _ParquetLayout(columns, text_field, id_name, id_field is not None, is_binary, is_null, tuple(keep))


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
    text_field: str, id_field: str | None, keep: Sequence[str] = (),
) -> Iterator[Chunk]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(spec.path)
    except (pa.ArrowException, OSError) as exc:
        raise InputFormatError(f"{spec.path!r} is not a readable Parquet file: {exc}") from None
    with pf:
        layout = _parquet_layout(pf, text_field, id_field, spec.path, keep)
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
        maybe = getattr(want, "maybe", want)  # a hint that claims nothing (see ChunkReader.chunks)
        for rg, ks in by_group.items():
            if not any(maybe(k) for k in ks):
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


def _parse_parquet(batch: Any, first_line: int, layout: _ParquetLayout) -> Parsed:
    texts = batch.column(layout.text_column).to_pylist()
    n = len(texts)
    if layout.id_column is None:
        ids: list[Any] = list(range(first_line, first_line + n))
    else:
        ids = batch.column(layout.id_column).to_pylist()
    kept = None
    if layout.keep:
        values = {k: batch.column(k).to_pylist() for k in layout.keep}
        kept = [{k: values[k][i] for k in layout.keep} for i in range(n)]
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
    return Parsed(out, kept, 0)


# -------------------------------------------------------------------------------------------------------- public API


class ChunkReader:
    """Cuts an input into numbered chunks and parses the wanted ones into records.

    Use as a context manager. ``chunks(want)`` yields every chunk in order (so positions stay in step across
    workers) but fills ``payload`` only where ``want(index)``; ``parse(chunk)`` turns a payload into records and
    ``read(chunk)`` into a :class:`Parsed` (records, kept fields, skipped lines). The work per format is done by
    that format's object in ``serving.formats.FORMATS``.
    """

    def __init__(self, spec: InputSpec, *, text_field: str = "text", id_field: str | None = None,
                 chunk_size: int = 8192, keep_fields: Sequence[str] = ()) -> None:
        from mlmrisk.serving.formats import FORMATS

        if chunk_size < 1:
            raise ValueError(f"chunk_size must be >= 1, got {chunk_size}")
        if spec.format and not FORMATS[spec.format].has_fields and (id_field is not None or keep_fields):
            raise InputFormatError(f"{spec.format} input has no fields; drop --id-field/--keep-fields "
                                   "(ids are line numbers)")
        self.spec = spec
        self.text_field = text_field
        self.id_field = id_field
        self.keep_fields = tuple(keep_fields)
        self.chunk_size = chunk_size
        self.stream: Any = None
        self.layout: Any = None
        self._layout: list[Any] = []

    def __enter__(self) -> "ChunkReader":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self.stream is not None:
            self.stream.close()
            self.stream = None

    @property
    def format(self) -> str:
        return self.spec.format

    def chunks(self, want: Callable[[int], bool] = lambda k: True) -> Iterator[Chunk]:
        """Every chunk of the input in order; ``payload`` is None for chunks not wanted.

        ``want(k)`` is called exactly once per chunk, in order, when the reader reaches chunk ``k``: it may have
        side effects (bulk workers claim chunks with it). A reader that wants to skip work ahead of time (Parquet:
        a whole row group) asks ``want.maybe(k)`` where it exists, a hint that claims nothing.
        """
        from mlmrisk.serving.formats import FORMATS

        head = b""
        streamed = not self.spec.format or FORMATS[self.spec.format].streamable  # stdin's format is sniffed below
        if streamed:
            raw = open_decompressed(self.spec)
            if self.spec.is_stdin:
                self.spec, head = resolve_stdin_format(raw, self.spec)
                fmt = FORMATS[self.spec.format]
                if not fmt.has_fields and (self.id_field is not None or self.keep_fields):
                    raise InputFormatError(f"{self.spec.format} input has no fields; drop --id-field/--keep-fields")
                if fmt.name == "jsonl" and head:
                    check_jsonl_fields(head.split(b"\n")[:-1] or [head], "stdin", self.text_field, self.id_field,
                                       self.keep_fields)
            if self.spec.encoding not in ("utf-8", "auto", ""):
                self.stream, head = _Recoded(raw, self.spec.encoding, head), b""
            else:
                self.stream = raw
        yield from FORMATS[self.spec.format].chunks(self, want, head)

    def read(self, chunk: Chunk) -> Parsed:
        """The records of a wanted chunk, in input order, with kept fields and the skipped-line count."""
        from mlmrisk.serving.formats import FORMATS

        if chunk.payload is None:
            raise ValueError(f"chunk {chunk.index} was not wanted, so it has no payload to parse")
        return FORMATS[self.spec.format].parse(self, chunk)

    def parse(self, chunk: Chunk) -> list[Record]:
        """The records of a wanted chunk, in input order."""
        return self.read(chunk).records


def check_fields(spec: InputSpec, text_field: str = "text", id_field: str | None = None,
                 keep_fields: Sequence[str] = ()) -> None:
    """Fail fast, before workers start, on an input that lacks the asked-for fields.

    Reads only the header (CSV), the footer (Parquet) or the first records (JSONL: a field in none of the first
    100 objects); stdin is checked by the reader on its first block.
    """
    from mlmrisk.serving.formats import FORMATS

    if not spec.format:
        return
    fmt = FORMATS[spec.format]
    if not fmt.has_fields and (id_field is not None or keep_fields):
        raise InputFormatError(f"{spec.format} input has no fields; drop --id-field/--keep-fields "
                               "(ids are line numbers)")
    if spec.is_stdin:
        return
    fmt.check_fields(spec, text_field, id_field, tuple(keep_fields))


def iter_records(
    path: str | os.PathLike[str], *, input_format: str | None = None, text_field: str = "text",
    id_field: str | None = None, chunk_size: int = 8192, encoding: str = "auto",
) -> Iterator[Record]:
    """Every record of an input, in order: the simple single-process view of :class:`ChunkReader`."""
    spec = detect_input(path, input_format, encoding)
    with ChunkReader(spec, text_field=text_field, id_field=id_field, chunk_size=chunk_size) as reader:
        for chunk in reader.chunks():
            if chunk.payload is not None:
                yield from reader.parse(chunk)
