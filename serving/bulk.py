"""Bulk scoring of archives far larger than memory: ``mlmrisk score IN -o OUT --workers W [--resume]``.

:func:`score_file` is the plain function behind the command (the CLI only parses arguments, prints the summary and
maps exceptions to exit codes). How it works, and why:

- **Chunks.** The input is cut into fixed chunks of ``chunk_size`` records (``serving.readers``). Chunk ``k`` goes
  to the worker that reaches it first (``_ChunkClaims``: one shared counter), so a worker that was slowed down
  takes fewer chunks and the workers finish together. Every worker opens and reads the whole input itself and
  parses and scores only the chunks it claimed: decompressing and splitting lines is cheap, while shipping strings through pipes capped two-process
  scaling at 1.3–1.7× (docs/design_facts.md §2). On Linux workers are forked from a parent that has loaded and
  warmed the ``Scorer`` (no onnxruntime session yet: each worker opens its own, one thread each), so a worker
  starts at once instead of paying the ~0.5 s of imports and model loading again (~1.5 s when the kernels still
  came from numba's cache; ``classifier/compiled.py``); elsewhere they
  are ``spawn`` processes that each load their own (``_start_method``). With ``workers=1`` the work runs in the
  calling process.
- **Checkpoints.** A finished chunk becomes part files in the work dir ``OUTPUT.partial/parts/`` — the rows, the
  rejected rows, then a small ``NNNNNNNN.done.json`` marker with the chunk's counts and each part's size and CRC-32
  — each written atomically (tmp, rename). The marker is the commit: a chunk is done iff its marker exists and
  its parts match the sizes and checksums it records (``_verified_markers``, when a run resumes), so a run killed
  at any moment (Ctrl-C, ``kill -9``, power loss) resumes with ``resume=True`` and redoes only unfinished chunks;
  no record goes missing and none is duplicated. Parts and markers are not fsynced one by one: after a power
  loss a chunk whose data had not reached the disk is missing, truncated or fails its checksum, and is redone;
  only ``job.json`` and the finished output are fsynced. Three fsyncs per chunk had cost ~5 % of a one-worker
  run over short posts (~0.1 s per 300k posts, more on slow disks); checking a resumed part costs one CRC-32
  pass over it (~5 GB/s).
- **Job identity.** :class:`ScoreJob` (frozen) describes the run; its ``identity()`` — the input (absolute path,
  size, mtime, format, compression, encoding), the output, the fields, the options that change the output, the
  model (dir, manifest SHA-256, id) and the allow/deny lists' fingerprints — is ``job.json`` in the work dir.
  Resuming refuses when anything differs, because mixing parts of two different jobs would make a silently
  inconsistent output. Without ``resume``, an existing work dir is refused too (it holds work that would
  otherwise be thrown away).
- **Assembly.** The parent appends each finished part to ``OUTPUT.partial/output.tmp`` as soon as every earlier
  chunk is in (``_InOrderAssembler``: while the workers run, not after them), and once every chunk is done renames
  it to ``OUTPUT`` (same directory, so the rename is atomic), then removes the work dir. An ``OUTPUT``
  therefore never exists half-written. Output order equals input order; every input record yields exactly one
  output row (a result or an error row; with ``only_flagged`` only flagged results are written).
- **stdin / stdout.** ``-`` reads stdin or writes stdout. stdin can be read once only, so it allows one worker and no
  resume. With stdout the parts live in a temporary directory and are streamed out in order as they finish; such a
  job cannot resume either.
- **Bad records** (malformed JSON, missing/null/non-string text, invalid UTF-8, …) become error records
  (``classifier.schema.make_error_record``, naming the model) carrying their ``line``, are counted by error code
  in the summary and, with ``rejects_path``, are also written there as JSONL (``line``, ``id``, ``error``,
  ``raw`` = the offending input line where there is one, ``model`` = the job's model id). They never stop the
  job. Blank lines are not records; they are counted as skipped, so the summary adds up (:class:`JobSummary`).
- **Formats** are objects in ``serving.formats.FORMATS`` (reading, part encoding, assembly); the rows are the
  result schema (``classifier/schema.py``) in the layout of ``serving/tabular.py``; docs/io.md has the rules.

Memory is bounded by a few chunks per process (plus one 1 MiB read block and, for Parquet input, one row group's
column data), never by the input size. Disk: the parts, then the assembled output, so up to twice the output size
for a moment.

Exit codes (applied by ``mlmrisk/cli.py``; decided here because this module defines what "finished" means):

- ``0`` — the job finished, the output is complete and every record was scored.
- ``1`` — the job did not finish: usage or input errors found before scoring (missing file, unknown format, missing
  column, stdin with ``--workers 2``, a work dir that does not match) or a worker that crashed. Every such error is
  an :class:`classifier.errors.MlmriskError`; the work dir, if any, is kept for ``--resume``.
- ``2`` — command-line syntax errors: argparse's own convention, so it is *not* reused for bad records (the two
  would be indistinguishable).
- ``3`` — the job finished and the output is complete, but ``JobSummary.bad > 0``: some records were error rows.
  Not 0, because the commonest cause of bad records is a wrong ``--text-field`` on JSONL, which turns *every*
  record into a ``missing_text`` row — a run that must not look like a success. Not 1, because the output is
  complete and need not be redone; a pipeline that accepts a few bad rows checks for 3 (or reads the summary).
- ``130`` — interrupted (``KeyboardInterrupt`` propagates from here); the work dir is kept for ``--resume``.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import gc
import hashlib
import json
import multiprocessing as mp
import os
import queue
import shutil
import signal
import sys
import tempfile
import threading
import time
import traceback
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import orjson

from mlmrisk.classifier import errors as _errors
from mlmrisk.classifier.errors import InputFormatError, ListFormatError, MlmriskError
from mlmrisk.classifier.compiled import backend as kernel_backend
from mlmrisk.classifier.risk import LEVELS
from mlmrisk.classifier.schema import SCHEMA_VERSION, make_error_record
from mlmrisk.serving.background import Background
from mlmrisk.serving.formats import FORMATS
from mlmrisk.serving.readers import Chunk, ChunkReader, InputSpec, check_fields, detect_input
from mlmrisk.serving.tabular import reserved_names
from mlmrisk.serving.writers import (OutputSpec, PlainJsonlLines, check_output_path, detect_output, encode_jsonl,
                                     fsync_dir, write_atomic)

JOB_FORMAT = "mlmrisk-bulk-job"
JOB_VERSION = 2
DEFAULT_CHUNK_SIZE = 8192
_MARKER = ".done.json"
_REJECTS = ".rejects.jsonl"


class JobStateError(MlmriskError):
    """The work dir of an earlier run is in the way, or does not match the job being resumed."""


class OutputWriteError(MlmriskError):
    """Writing the output, a part or the work dir failed (disk full, permissions, …)."""


class WorkerError(MlmriskError):
    """A worker process failed or died; the work dir is kept so the job can be resumed."""

    def __init__(self, message: str, worker_traceback: str | None = None) -> None:
        super().__init__(message)
        self.worker_traceback = worker_traceback


@dataclass
class JobSummary:
    """What a bulk job did; ``to_dict()`` is JSON-ready (for ``--format json`` and logs). The counts add up:

    - ``lines`` (input units read: lines, CSV rows, Parquet rows) = ``records`` + ``skipped`` (blank lines, which
      are not records; ``skipped_reasons`` says why);
    - ``records`` = ``scored`` + ``bad`` (error records; ``bad_codes`` counts them by code);
    - ``written`` (output rows) = ``records`` − ``filtered`` (not written because of ``--only-flagged``);
    - ``rejected`` = ``bad`` when a rejects file is written.

    ``flagged`` = scored records flagged; ``resumed_chunks`` = chunks taken from an earlier, interrupted run.
    ``model`` (the model id) and ``schema_version`` name what produced the output; ``kernels`` says which
    implementation of the kernels ran (``compiled`` ahead of time, or ``numba`` at run time: the first process of
    an install without the compiled kernels compiles them, ~20 s; ``classifier/compiled.py``).
    """

    input: str
    output: str
    input_format: str
    output_format: str
    model: str = ""
    schema_version: str = SCHEMA_VERSION
    encoding: str = "utf-8"
    rejects: str | None = None
    lines: int = 0
    skipped: int = 0
    skipped_reasons: dict[str, int] = field(default_factory=dict)
    records: int = 0
    scored: int = 0
    bad: int = 0
    flagged: int = 0
    filtered: int = 0
    written: int = 0
    rejected: int = 0
    bad_codes: dict[str, int] = field(default_factory=dict)
    chunks: int = 0
    resumed_chunks: int = 0
    workers: int = 1
    seconds: float = 0.0
    input_bytes: int | None = None
    kernels: str = ""

    @property
    def records_per_second(self) -> float:
        return self.records / self.seconds if self.seconds > 0 else 0.0

    def check(self) -> None:
        """Raise AssertionError if the counts do not add up (they always should; tests call this)."""
        assert self.lines == self.records + self.skipped, self
        assert self.records == self.scored + self.bad, self
        assert self.written == self.records - self.filtered, self
        assert self.skipped == sum(self.skipped_reasons.values()), self
        assert self.bad == sum(self.bad_codes.values()), self

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["records_per_second"] = round(self.records_per_second, 1)
        data["seconds"] = round(self.seconds, 3)
        return data

    def format(self) -> str:
        """A human summary for stderr."""
        codes = ", ".join(f"{code}: {n:,}" for code, n in sorted(self.bad_codes.items(), key=lambda kv: -kv[1]))
        lines = [
            f"read {self.lines:,} lines = {self.scored:,} scored + {self.bad:,} errors"
            + (f" ({codes})" if codes else "") + f" + {self.skipped:,} skipped (blank); {self.flagged:,} flagged",
            f"wrote {self.written:,} rows to {self.output}"
            + (f" ({self.filtered:,} not flagged, left out)" if self.filtered else "")
            + (f"; {self.rejected:,} rejects to {self.rejects}" if self.rejects else ""),
            f"model {self.model}, schema {self.schema_version}",
            f"time {self.seconds:.1f} s ({self.records_per_second:,.0f} records/s, {self.workers} worker"
            + ("s" if self.workers != 1 else "") + ")"
            + (f"; {self.resumed_chunks:,} of {self.chunks:,} chunks resumed" if self.resumed_chunks else ""),
        ]
        return "\n".join(lines)


@dataclass(frozen=True)
class ScoreJob:
    """Everything that describes one bulk run, decided once in the parent; picklable for spawned workers.

    ``identity()`` is what ``job.json`` in the work dir holds and what ``--resume`` compares: the input (path, size,
    mtime, format, compression, encoding), the output, the fields, the options that change the output, the model
    (directory, manifest SHA-256, id) and the allow/deny lists (fingerprints). ``workers`` may change between a run
    and its resumption (chunks are assigned from the done markers), so it is not part of the identity.
    """

    input: InputSpec
    output: OutputSpec
    text_field: str = "text"
    id_field: str | None = None
    keep_fields: tuple[str, ...] = ()
    chunk_size: int = 8192
    only_flagged: bool = False
    rejects: str | None = None
    workers: int = 1
    model_dir: str | None = None
    model_sha256: str = ""
    model: str = ""
    allow: Any = None
    deny: Any = None
    allow_fingerprint: str | None = None
    deny_fingerprint: str | None = None
    parts_dir: str = ""

    @property
    def n_workers(self) -> int:
        return self.workers

    def identity(self) -> dict[str, Any]:
        return {
            "format": JOB_FORMAT, "version": JOB_VERSION, "schema_version": SCHEMA_VERSION,
            "input": asdict(self.input), "output": asdict(self.output), "rejects": self.rejects,
            "text_field": self.text_field, "id_field": self.id_field, "keep_fields": list(self.keep_fields),
            "chunk_size": self.chunk_size, "only_flagged": self.only_flagged,
            "model": {"dir": self.model_dir, "manifest_sha256": self.model_sha256, "id": self.model},
            "lists": {"allow": self.allow_fingerprint, "deny": self.deny_fingerprint},
        }


# ------------------------------------------------------------------------------------------------------ worker side


def _part_name(k: int) -> str:
    return f"{k:08d}"


def done_chunks(parts_dir: str | os.PathLike[str]) -> set[int]:
    """Indices of the chunks whose marker exists (the chunks finished by this or an earlier run)."""
    done: set[int] = set()
    if not os.path.isdir(parts_dir):  # a run that failed before its parts folder existed finished nothing
        return done
    with os.scandir(parts_dir) as entries:
        for entry in entries:
            name = entry.name
            if name.endswith(_MARKER) and not name.startswith("."):
                done.add(int(name[: -len(_MARKER)]))
    return done


def _return_freed_memory() -> None:
    """Hand the heap pages freed after loading (the parsed manifest, the ONNX protobufs) back to the OS.

    glibc keeps freed small-block memory for reuse, so without this a worker carries ~25–50 MB of dead loading
    garbage through the whole job (measured RSS: 117 → 92 MB right after ``Scorer.load``). A no-op where the C
    library is not glibc.
    """
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc (macOS, musl, Windows)
        pass


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while a chunk is built: a chunk allocates tens of thousands of small dicts
    and lists (parsed lines, records) that refcounting frees, but each allocation burst triggers collector passes
    that walk all of them — measured at half the cost of building the records. The collector resumes (and
    catches up on any cycles) between chunks."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _process_chunk(job: ScoreJob, scorer: Any, reader: ChunkReader, chunk: Chunk) -> dict[str, Any]:
    with _collector_paused():
        return _process_chunk_now(job, scorer, reader, chunk)


def _process_chunk_now(job: ScoreJob, scorer: Any, reader: ChunkReader, chunk: Chunk) -> dict[str, Any]:
    """Parse, score and write one chunk; returns its marker (the counts the summary adds up).

    Every input record becomes exactly one output row — its schema record (``ScoredBatch.records``) or an error
    record (``classifier.schema.make_error_record``), then ``line`` and the kept fields — unless
    ``--only-flagged`` drops it; every bad record also goes to the rejects side file. The part is encoded by the
    output format's object (``serving.formats``).
    """
    parsed = reader.read(chunk)
    fmt = FORMATS[job.output.format]
    if parsed.columns is not None and not job.only_flagged:
        return _process_clean_chunk(job, scorer, fmt, chunk, parsed.columns)
    records = parsed.records
    kept = parsed.kept
    good = [i for i, (_, _, t) in enumerate(records) if type(t) is str]
    scored = scorer.score_batch([records[i][2] for i in good]) if good else None
    model = scorer.model_id
    only_flagged = job.only_flagged
    bad_codes: dict[str, int] = {}
    rejects: list[dict] = []
    # rows of the output, in input order: (k, i, error) = scored row k (error None) of input record i
    rows: list[tuple[int, int, dict | None]] = []
    n_scored = n_flagged = 0
    flagged = scored.flagged.tolist() if scored is not None else []
    errors = scored.errors if scored is not None else []
    k = -1
    for i, (line, rid, value) in enumerate(records):
        if type(value) is str:
            k += 1
            error = errors[k]
            if error is None:
                n_scored += 1
                n_flagged += flagged[k]
                if not only_flagged or flagged[k]:
                    rows.append((k, i, None))
                continue
            error_dict, raw = error.to_dict(), value
        else:
            error_dict, raw = {"code": value.code, "message": value.message}, value.raw
        bad_codes[error_dict["code"]] = bad_codes.get(error_dict["code"], 0) + 1
        rejects.append({"line": line, "id": rid, "error": error_dict, "raw": raw, "model": model})
        if not only_flagged:
            rows.append((-1, i, error_dict))
    payload: bytes | None = None
    if rows:
        good_ids = [records[i][1] for i in good]
        # JSONL rows of template records come from a byte template (writers.PlainJsonlLines); the rest are dicts
        lines = _plain_lines(fmt, scored, rows, good_ids, records, good) if kept is None else None
        results = iter(scored.records(good_ids, rows=[k for k, _, e in rows if e is None
                                                      and (lines is None or k not in lines)])
                       if scored is not None else ())
        out: list[dict | bytes] = []
        for k, i, error_dict in rows:
            if lines is not None and error_dict is None and k in lines:
                out.append(lines[k])
                continue
            line, rid, _ = records[i]
            if error_dict is None:
                record = next(results)
            else:
                record = {"id": rid, **make_error_record(model=model, code=error_dict["code"],
                                                         message=error_dict["message"])}
            record["line"] = line
            if kept is not None:
                record.update(kept[i])
            out.append(record)
        payload = fmt.encode_part(out, job.keep_fields)
    return _finish_chunk(job, fmt, chunk, payload, rejects, {
        "records": len(records), "scored": n_scored, "bad": len(rejects), "flagged": n_flagged,
        "written": len(rows), "rejected": len(rejects), "skipped": parsed.skipped, "bad_codes": bad_codes})


def _process_clean_chunk(job: ScoreJob, scorer: Any, fmt: Any, chunk: Chunk,
                         columns: tuple[Sequence[int], list[Any], list[str]]) -> dict[str, Any]:
    """``_process_chunk_now`` for a chunk whose every record is a scorable text (nearly every chunk of a real
    archive) with every row written: no per-record bookkeeping, and the plain rows' JSONL lines straight from the
    template. The output bytes are those of the general path (tests/serving/test_bulk_fast.py)."""
    numbers, ids, texts = columns
    n = len(texts)
    scored = scorer.score_batch(texts)
    if scored.errors.count(None) != n:  # coerce_text never refuses a str; counts below rely on it
        raise AssertionError("a string text was reported as an input error")
    payload = _clean_payload(fmt, job.keep_fields, scored, numbers, ids) if n else None
    return _finish_chunk(job, fmt, chunk, payload, [], {
        "records": n, "scored": n, "bad": 0, "flagged": int(scored.flagged.sum()), "written": n, "rejected": 0,
        "skipped": 0, "bad_codes": {}})


def _clean_payload(fmt: Any, keep_fields: Sequence[str], scored: Any, numbers: Sequence[int],
                   ids: list[Any]) -> bytes:
    """The part of a clean chunk: template rows' JSONL lines from the byte template, the other rows' records as
    dicts, in input order.

    For JSONL the part is the template's one joined encoding of every row (``PlainJsonlLines.encode_joined``),
    with the lines of the few rows that are not template rows (flagged, with evidence or a list entry: ~0.2 % of
    an ordinary archive) encoded from their dicts and put in their place: no step runs per template row in
    Python."""
    if fmt.takes_encoded_lines and (scored.level >= 0).all():  # every row scored (a clean chunk's are)
        others = np.flatnonzero(~scored.template_rows()).tolist()
        records = scored.records(ids, rows=others)
        for k, record in zip(others, records):
            record["line"] = numbers[k]
        encoded = {k: fmt.encode_part([record], keep_fields) for k, record in zip(others, records)}
        joined = _plain_encoder(scored.model).encode_joined(
            ids, scored.probability, scored.risk.tolist(), _level_names(scored.level), scored.rules, list(numbers),
            replace=encoded)
        if joined is not None:
            return joined
    # every row the dict way: a format that takes no encoded lines, or an id orjson refuses (nested ~254 deep)
    records = scored.records(ids)
    for k, record in enumerate(records):
        record["line"] = numbers[k]
    return fmt.encode_part(records, keep_fields)


def _finish_chunk(job: ScoreJob, fmt: Any, chunk: Chunk, payload: bytes | None, rejects: list[dict],
                  counts: dict[str, Any]) -> dict[str, Any]:
    """Write a chunk's part, its rejects and then its marker (the checkpoint, with each part's size and CRC-32:
    ``_verified_markers``); returns the marker."""
    base = Path(job.parts_dir) / _part_name(chunk.index)
    marker = {"chunk": chunk.index, "first_line": chunk.first_line, **counts,
              "progress": [chunk.progress_start, chunk.progress_end]}
    marker["part_check"] = marker["rejects_check"] = None  # [size, CRC-32] of each part written, None: no part
    if payload is not None:
        write_atomic(str(base) + fmt.part_suffix, payload, fsync=False)
        marker["part_check"] = [len(payload), zlib.crc32(payload)]
    if rejects:
        encoded = encode_jsonl(rejects)
        write_atomic(str(base) + _REJECTS, encoded, fsync=False)
        marker["rejects_check"] = [len(encoded), zlib.crc32(encoded)]
    write_atomic(str(base) + _MARKER, json.dumps(marker).encode(), fsync=False)
    return marker


def _part_intact(path: Path, check: list[int]) -> bool:
    """Whether a part file holds what its marker recorded (``[size, crc32]``)."""
    try:
        size, crc = check
        if path.stat().st_size != size:
            return False
        value = 0
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 22), b""):
                value = zlib.crc32(block, value)
        return value == crc
    except (OSError, TypeError, ValueError):
        return False


def _verified_markers(parts: Path, suffix: str) -> list[dict[str, Any]]:
    """The markers of the chunks an earlier run finished whose parts are intact, in chunk order.

    A marker that cannot be read, or whose part or rejects file is missing, of another size or fails its CRC-32
    (what a power loss leaves of a chunk whose data had not reached the disk: parts are not fsynced one by one),
    is removed with its files, so that chunk is scored again."""
    good = []
    for k in sorted(done_chunks(parts)):
        base = parts / _part_name(k)
        try:
            marker = _read_marker(parts, k)
            # markers of runs before checksums carry none; their parts were fsynced before the marker was written
            intact = marker.get("chunk") == k and all(
                _part_intact(Path(str(base) + ending), marker[key])
                for ending, key in ((suffix, "part_check"), (_REJECTS, "rejects_check")) if marker.get(key) is not None)
        except (OSError, ValueError, TypeError, KeyError, AttributeError):
            intact = False
        if intact:
            good.append(marker)
            continue
        for ending in (_MARKER, suffix, _REJECTS):  # the marker first: without it the chunk is not done
            Path(str(base) + ending).unlink(missing_ok=True)
    return good


def _plain_lines(fmt: Any, scored: Any, rows: list[tuple[int, int, dict | None]], good_ids: list[Any],
                 records: list[Any], good: list[int]) -> dict[int, bytes] | None:
    """Encoded lines of the template rows among ``rows`` (scored row k → its JSONL line), or None when the output
    format takes only dicts or an id cannot be encoded by orjson (those chunks go the dict way)."""
    if scored is None or not fmt.takes_encoded_lines:
        return None
    template = scored.template_rows()
    ks = [k for k, _, e in rows if e is None and template[k]]
    encoded = _template_lines(scored, np.asarray(ks, dtype=np.int64), [good_ids[k] for k in ks],
                              [records[good[k]][0] for k in ks])
    return dict(zip(ks, encoded)) if encoded is not None else None


def _template_lines(scored: Any, take: np.ndarray, ids: list[Any], lines: list[int]) -> list[bytes] | None:
    """JSONL lines of the template rows ``take`` (with their ids and input lines) from the byte template;
    None when orjson refuses an id."""
    if not take.size:
        return []
    return _plain_encoder(scored.model).encode(ids, scored.probability[take], scored.risk[take].tolist(),
                                               _level_names(scored.level[take]), scored.rules[take], lines)


def _level_names(levels: np.ndarray) -> list[str]:
    """Each scored row's level as its record names it (``LEVELS`` is indexed by level number)."""
    names = [level.value for level in LEVELS]
    return [names[v] for v in levels.tolist()]


@functools.lru_cache(maxsize=4)
def _plain_encoder(model: str) -> PlainJsonlLines:
    return PlainJsonlLines(model)


def _full_path_warmup(scorer: Any) -> Background[None]:
    """Opens the full path (its onnxruntime session and the evidence lexicon) on a thread while the worker reads
    and scores its first chunk.

    Both are needed by nearly every chunk of a real archive (one suspicious post is enough), and opening them
    took ~0.1–0.2 s before the first post was read — a fixed cost of every worker, which at two workers was a
    tenth of a 300k-post job. onnxruntime builds the session without holding the GIL, so the hot path of the
    first chunk runs meanwhile; a chunk that needs the full path before the thread is done waits for it
    (``Scorer._once`` builds each member once, under a lock). An error on the thread is raised by ``result``, in
    the worker's own thread, as loading them eagerly did.
    """
    def open_both() -> None:
        scorer.full  # noqa: B018 - opened for the worker
        scorer.lexicon  # noqa: B018

    return Background(open_both, name="mlmrisk-full-path")


def _settle_heap(forked: bool) -> None:
    """Once the model is fully open: return its loading garbage to the OS and move its long-lived objects out of
    the collector's sight. A chunk allocates ~10^4 record dicts, and the older-generation passes they trigger
    would otherwise walk the model again and again. A forked worker skips the trim: its heap is the parent's,
    shared copy-on-write, and walking it would only copy pages."""
    if not forked:
        _return_freed_memory()
    gc.freeze()


class _ChunkClaims:
    """Which chunks the workers of one run have taken: chunk ``k`` is scored by the first worker to reach it.

    Every worker reads the input in order, so claims arrive in order and one shared counter — the next chunk
    nobody has taken — settles them. A fixed split (chunk ``k`` to worker ``k % W``) left one worker with a whole
    chunk more than the other at the end of a 37-chunk file and ignored any slowdown of one process; claiming,
    the workers end within one chunk's scoring of each other, whatever each was given.
    """

    def __init__(self, ctx: Any) -> None:
        self._next = ctx.Value("q", 0)  # int64 in shared memory, with its own lock

    def claim(self, k: int) -> bool:
        """True for exactly one caller per chunk ``k`` (and for none once a later chunk was claimed)."""
        with self._next.get_lock():
            if k < self._next.value:
                return False
            self._next.value = k + 1
            return True

    def open(self, k: int) -> bool:
        """Whether chunk ``k`` is still free now (a hint: another worker may claim it the next moment)."""
        return k >= self._next.value


class _Wanted:
    """The ``want`` of a worker's ``ChunkReader.chunks``: calling it claims a chunk (once per chunk, in order);
    ``maybe`` tells a reader whether a chunk could still be this worker's, claiming nothing (Parquet asks it for
    every chunk of a row group before reading the group)."""

    def __init__(self, done: set[int], claims: _ChunkClaims | None) -> None:
        self.done = done
        self.claims = claims

    def __call__(self, k: int) -> bool:
        return k not in self.done and (self.claims is None or self.claims.claim(k))

    def maybe(self, k: int) -> bool:
        return k not in self.done and (self.claims is None or self.claims.open(k))


def _run_worker(cfg: ScoreJob, w: int, emit: Callable[[tuple], None], scorer: Any = None,
                dedicated: bool = False, claims: _ChunkClaims | None = None) -> None:
    """Worker ``w``: read the whole input, score the chunks not done yet that it claims (``claims``; all of them
    when it is the only worker), report each.

    ``dedicated``: this process exists only for this job (a spawned worker), so it may tune the process itself
    (``_settle_heap``; not in a caller's process, workers=1 from the API: freezing there would pin the caller's
    own garbage for good).
    """
    forked = scorer is not None and dedicated
    if scorer is None:
        scorer = _load_scorer(cfg)
    warmup: Background[None] | None = _full_path_warmup(scorer) if dedicated else None
    want = _Wanted(done_chunks(cfg.parts_dir), claims)

    def settle() -> None:
        nonlocal warmup
        if warmup is not None:
            warmup.result()
            warmup = None
            _settle_heap(forked)

    n_chunks = 0
    try:
        with ChunkReader(cfg.input, text_field=cfg.text_field, id_field=cfg.id_field, chunk_size=cfg.chunk_size,
                         keep_fields=cfg.keep_fields) as reader:
            for chunk in reader.chunks(want):
                n_chunks = chunk.index + 1
                if chunk.payload is None:
                    continue
                emit(("chunk", w, _process_chunk(cfg, scorer, reader, chunk)))
                if warmup is not None and warmup.done:
                    settle()
        settle()
    except BaseException:
        # the thread may be inside onnxruntime's session constructor: a process that exits under it aborts
        # (SIGABRT, exit 134 instead of the documented code), so wait for it; the job's own error wins
        if warmup is not None:
            warmup.wait()
        raise
    emit(("total", w, n_chunks, reader.spec.format, reader.spec.encoding))


def _load_scorer(cfg: ScoreJob, build_lexicon: bool = False) -> Any:
    from mlmrisk.serving.scorer import Scorer

    return Scorer.load(cfg.model_dir, allow=_list_arg(cfg.allow), deny=_list_arg(cfg.deny),
                       build_lexicon=build_lexicon)


def _list_arg(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def _worker_process(cfg: ScoreJob, w: int, messages: Any, parent_pid: int, claims: _ChunkClaims,
                    scorer: Any = None) -> None:
    """Entry point of a worker process: run, report errors as messages, stop if the parent is gone.

    ``scorer``: the parent's warmed ``Scorer`` when the worker was forked (see ``_start_method``), else None and
    the worker loads its own."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle; it terminates us

    def emit(msg: tuple) -> None:
        if os.getppid() != parent_pid:  # parent was killed (kill -9): stop instead of working on as an orphan
            raise SystemExit(3)
        messages.put(msg)

    try:
        _run_worker(cfg, w, emit, scorer=scorer, dedicated=True, claims=claims)
    except SystemExit:
        raise
    except BaseException as exc:  # report everything: the parent decides what it means
        messages.put(("error", w, type(exc).__name__, str(exc), traceback.format_exc()))
        raise SystemExit(1) from None


# ------------------------------------------------------------------------------------------------------ parent side


def _model_fingerprint(model_dir: str | os.PathLike[str] | None) -> tuple[str, str, str]:
    """(model dir, SHA-256 of its manifest, model id). The manifest holds the ONNX files' SHA-256, thresholds and
    tables; the id (``<model_version>+<12 hex>``, ``manifest.model_id``) is what every output record names."""
    from mlmrisk.classifier.errors import ModelLoadError
    from mlmrisk.classifier.manifest import model_id, sha256_file
    from mlmrisk.serving.scorer import find_manifest

    path, manifest = find_manifest(model_dir)
    try:
        ident = model_id(orjson.loads(manifest.read_bytes()))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ModelLoadError(f"{manifest} is not a readable model manifest ({exc}); rebuild with `mlmrisk train`") \
            from None
    return str(path.resolve()), sha256_file(manifest), ident


def _list_fingerprint(value: Any, kind: str) -> tuple[Any, str | None]:
    """(value to hand workers, fingerprint for job.json) of an allow/deny list: a path or a sequence of phrases."""
    from mlmrisk.classifier.manifest import sha256_file

    if value is None:
        return None, None
    if isinstance(value, (str, os.PathLike)):
        path = Path(value)
        if not path.is_file():
            raise ListFormatError(f"{kind} list {path} " + ("is not a file" if path.exists() else "does not exist"))
        return str(path.resolve()), "file:" + sha256_file(path)
    if isinstance(value, Sequence):
        items = tuple(value)
        return items, "items:" + hashlib.sha256(repr(items).encode("utf-8", "surrogatepass")).hexdigest()
    raise TypeError(f"{kind} for bulk jobs must be a path or a sequence of phrases, got {type(value).__name__}")


def _differences(old: Any, new: Any, prefix: str = "") -> list[str]:
    if isinstance(old, dict) and isinstance(new, dict):
        out = []
        for key in sorted(set(old) | set(new)):
            out += _differences(old.get(key), new.get(key), f"{prefix}{key}.")
        return out
    return [] if old == new else [f"{prefix.rstrip('.')}: {old!r} → {new!r}"]


class _Lock:
    """An exclusive lock on the work dir, so two runs never work on one job (POSIX ``flock``; none elsewhere)."""

    def __init__(self, path: Path) -> None:
        self._fd: int | None = None
        try:
            import fcntl
        except ImportError:  # Windows: no advisory locks; documented limitation
            return
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise JobStateError(
                f"another mlmrisk run is working on {path.parent}; wait for it or stop it first"
            ) from None
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


class _Progress:
    """tqdm bar on stderr: input bytes (so percent/ETA/MB/s refer to the file on disk) + records/s, flagged, bad.

    records/s counts only records scored by this run, not chunks taken over from an interrupted one.
    """

    def __init__(self, enabled: bool, total: int | None, desc: str) -> None:
        self.records = self.flagged = self.bad = 0
        self._new_records = 0
        self._start = time.monotonic()
        self._last = 0.0
        self._bar: Any = None
        if enabled:
            from tqdm import tqdm

            self._bar = tqdm(total=total, unit="B", unit_scale=True, desc=desc, file=sys.stderr,
                             dynamic_ncols=True, smoothing=0.1)

    def add(self, marker: dict[str, Any], resumed: bool = False) -> None:
        self.records += marker["records"]
        self.flagged += marker["flagged"]
        self.bad += marker["bad"]
        if not resumed:
            self._new_records += marker["records"]
        if self._bar is None:
            return
        start, end = marker["progress"]
        self._bar.update(max(0, end - start))
        now = time.monotonic()
        if not resumed and now - self._last >= 0.2:
            self._last = now
            self.show_counts()

    def show_counts(self) -> None:
        if self._bar is not None:
            rate = self._new_records / max(time.monotonic() - self._start, 1e-9)
            self._bar.set_postfix_str(f"{self.records:,} rec, {rate:,.0f} rec/s, {self.flagged:,} flagged, "
                                      f"{self.bad:,} bad", refresh=False)

    def close(self, complete: bool) -> None:
        if self._bar is not None:
            if complete and self._bar.total:
                self._bar.n = self._bar.total
            self.show_counts()
            self._bar.close()
            self._bar = None


class _OutputSync:
    """Flushes the assembled output to disk on a thread while the job runs, so that the fsync that makes it durable
    before its rename (``_run_assembling``) finds little left to write.

    That final fsync had waited ~0.03 s for 58 MB of output at the end of a 300k-post job — 2–3 % of its run time,
    serial, after every worker had finished — and grows with the output (seconds for gigabytes). Every
    ``SYNC_EVERY`` bytes appended, the buffered writer is flushed (here, in the assembling thread) and
    ``os.fdatasync`` runs on a thread of its own: it waits on the disk without the GIL, and writes that go on
    meanwhile are simply synced by the next round or by the final fsync. One round at a time; an error on the
    thread is kept and raised by ``wait`` (the final fsync would meet it too).
    """

    SYNC_EVERY = 8 << 20

    def __init__(self, sink: BinaryIO) -> None:
        self._sink = sink
        self._synced_at = 0
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    def after_append(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        position = self._sink.tell()
        if position - self._synced_at < self.SYNC_EVERY:
            return
        self._sink.flush()
        self._synced_at = position
        self._thread = threading.Thread(target=self._sync, args=(self._sink.fileno(),), name="mlmrisk-output-sync",
                                        daemon=True)
        self._thread.start()

    def _sync(self, fd: int) -> None:
        try:
            os.fdatasync(fd) if hasattr(os, "fdatasync") else os.fsync(fd)
        except BaseException as exc:  # noqa: BLE001 - raised by wait(), in the assembling thread
            self._error = exc

    def wait(self) -> None:
        if self._thread is not None:
            self._thread.join()
        if self._error is not None:
            raise self._error


class _InOrderAssembler:
    """Appends finished parts to the output in chunk order, each as soon as every earlier chunk is in.

    With ``-o -`` the destination is stdout and each part is deleted once written (stdin/stdout runs cannot be
    resumed). With a file the destination is the work dir's ``output.tmp`` and the parts stay until the job is
    done (a killed run resumes from them; its ``output.tmp`` is rewritten from the start). Appending while the
    workers run, in the otherwise idle parent, takes the copy off the end of the job: assembling 300k scored
    posts after the last chunk was ~0.045 s of a ~1.8 s two-worker run, and grows with the archive (gigabytes
    of output were copied after the last chunk). A resumed pool appends the earlier run's parts once its workers
    have started (``_run_pool``'s ``started``), so they do not wait for that copy either. A file destination is
    also synced to disk as it grows (``_OutputSync``).
    """

    def __init__(self, job: ScoreJob, parts_dir: Path, dest: BinaryIO, consume: bool) -> None:
        fmt = FORMATS[job.output.format]
        self._asm = fmt.assembler(dest, job.output, job.keep_fields, job.model)
        self._parts_dir = parts_dir
        self._suffix = fmt.part_suffix
        self._consume = consume
        self._sync = None if consume else _OutputSync(dest)
        self._ready: dict[int, int] = {}
        self.next = 0

    def chunk_done(self, marker: dict[str, Any]) -> None:
        self._ready[marker["chunk"]] = marker["written"]
        appended = False
        while self.next in self._ready:
            written = self._ready.pop(self.next)
            if written:
                part = self._parts_dir / (_part_name(self.next) + self._suffix)
                self._asm.add_part(part)
                appended = True
                if self._consume:
                    part.unlink()
            self.next += 1
        if appended and self._sync is not None:
            self._sync.after_append()

    def close(self) -> None:
        self._asm.close()
        if self._sync is not None:
            self._sync.wait()


def _read_marker(parts_dir: Path, k: int) -> dict[str, Any]:
    with open(parts_dir / (_part_name(k) + _MARKER), "rb") as f:
        return json.loads(f.read())


def _assemble_rejects(parts: Path, k_total: int, markers: list[dict[str, Any]], rejects: Path) -> None:
    tmp = rejects.with_name(f".{rejects.name}.tmp")  # fixed name: a resumed run overwrites a killed run's tmp
    with open(tmp, "wb") as f:
        for k in range(k_total):
            if markers[k]["rejected"]:
                with open(parts / (_part_name(k) + _REJECTS), "rb") as part:
                    shutil.copyfileobj(part, f, 1 << 20)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, rejects)


def _raise_worker_error(kind: str, message: str, tb: str, w: int) -> None:
    cls = getattr(_errors, kind, None)
    if isinstance(cls, type) and issubclass(cls, MlmriskError):
        raise cls(message)
    if kind == "KeyboardInterrupt":
        raise KeyboardInterrupt
    raise WorkerError(f"worker {w} failed with {kind}: {message}; the work done so far is kept, rerun with --resume",
                      tb)


def _start_method() -> str:
    """``fork`` on Linux, else ``spawn``.

    A spawned worker pays the whole start-up again — interpreter, imports, ``Scorer.load``: ~0.5 s with the
    kernels compiled ahead of time (~1.5 s when numba loaded them from its cache, a third of a one-worker run over
    300k short posts, so a second spawned worker barely helped on such files). A forked worker starts from the parent's warmed ``Scorer`` (copy-on-write). The parent
    never opens an onnxruntime session (they open lazily, in each worker) and runs no numba threads, so nothing
    that does not survive ``fork`` is inherited. Elsewhere (macOS, Windows) ``fork`` is unsafe or absent.
    """
    return "fork" if sys.platform.startswith("linux") and "fork" in mp.get_all_start_methods() else "spawn"


def _run_pool(cfg: ScoreJob, on_message: Callable[[tuple], None],
              started: Callable[[], None] = lambda: None) -> None:
    """Start ``cfg.n_workers`` workers, call ``started`` (the parent's own work while they run), and route their
    messages until all have reported their total."""
    method = _start_method()
    ctx = mp.get_context(method)
    scorer = None
    if method == "fork":
        scorer = _load_scorer(cfg, build_lexicon=True)  # the word list builds beside the load, on a thread
        scorer.score_batch(["预热"])  # loads the kernels once (numba's, where not compiled ahead), for every worker
        scorer.lexicon  # noqa: B018 - built once, shared copy-on-write, instead of once per worker at the same time
    messages = ctx.Queue()
    claims = _ChunkClaims(ctx)
    procs = [ctx.Process(target=_worker_process, args=(cfg, w, messages, os.getpid(), claims, scorer),
                         name=f"mlmrisk-bulk-{w}", daemon=True) for w in range(cfg.n_workers)]
    if method == "fork":
        # forked workers inherit the heap with the collector's view of it frozen: their collections then never
        # walk (and so never copy-on-write) the model's pages; the parent's own collector is restored at once
        gc.collect()
        gc.freeze()
    try:
        for p in procs:
            p.start()
    finally:
        if method == "fork":
            gc.unfreeze()
    finished: set[int] = set()
    exited_at: dict[int, float] = {}
    try:
        started()
        while len(finished) < len(procs):
            try:
                msg = messages.get(timeout=0.2)
            except queue.Empty:
                now = time.monotonic()
                for w, p in enumerate(procs):
                    if w in finished or p.exitcode is None:
                        continue
                    if p.exitcode != 0:
                        raise WorkerError(f"worker {w} died (exit code {p.exitcode}); the work done so far is kept, "
                                          "rerun with --resume")
                    # exited cleanly: its last message is in the pipe; give it a moment to arrive
                    if now - exited_at.setdefault(w, now) > 10:
                        raise WorkerError(f"worker {w} exited without reporting; rerun with --resume")
                continue
            if msg[0] == "error":
                _, w, kind, text, tb = msg
                _raise_worker_error(kind, text, tb, w)
            if msg[0] == "total":
                finished.add(msg[1])
            on_message(msg)
        for p in procs:
            p.join()
    finally:
        for p in procs:
            if p.is_alive():
                p.terminate()
        for p in procs:
            p.join(timeout=5)
        messages.close()
        messages.join_thread()


def score_file(
    input_path: str | os.PathLike[str],
    output_path: str | os.PathLike[str],
    *,
    model_dir: str | os.PathLike[str] | None = None,
    input_format: str | None = None,
    output_format: str | None = None,
    text_field: str = "text",
    id_field: str | None = None,
    keep_fields: Sequence[str] = (),
    encoding: str | None = "auto",
    workers: int = 1,
    only_flagged: bool = False,
    resume: bool = False,
    rejects_path: str | os.PathLike[str] | None = None,
    allow: Any = None,
    deny: Any = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    progress: bool | None = None,
    dedicated_process: bool = False,
) -> JobSummary:
    """Score every record of ``input_path`` into ``output_path`` (``-`` = stdin/stdout); see the module docstring.

    ``progress``: None shows the bar only when stderr is a terminal, True forces it, False hides it.
    ``dedicated_process``: the calling process exists only for this job (the CLI): with one worker, the work runs
    here and may then ``gc.freeze()`` the model and trim the heap; leave False when calling from a longer-lived
    program, whose own garbage would otherwise be frozen with the model.
    ``allow``/``deny``: a list file path or a sequence of phrases (as for ``Scorer.load``).
    ``keep_fields``: input fields copied to every output row after ``line``. ``encoding``: ``auto`` (detected, see
    ``serving.readers.detect_encoding``) or a codec name, for JSONL/CSV/TSV/text input.
    Raises :class:`MlmriskError` subclasses for everything that stops the job before it finishes.
    """
    t0 = time.monotonic()
    job = make_job(input_path, output_path, model_dir=model_dir, input_format=input_format,
                   output_format=output_format, text_field=text_field, id_field=id_field, keep_fields=keep_fields,
                   encoding=encoding, workers=workers, only_flagged=only_flagged, resume=resume,
                   rejects_path=rejects_path, allow=allow, deny=deny, chunk_size=chunk_size)
    try:
        return _score_job(job, resume, progress, t0, dedicated_process)
    except OSError as exc:  # disk full, permissions, a vanished directory: one line, work dir kept if useful
        where = f" ({exc.filename})" if exc.filename else ""
        # --resume only where a run left finished chunks behind (a failure before any is cleaned up)
        kept = not job.output.is_stdout and bool(done_chunks(Path(job.output.path + ".partial") / "parts"))
        raise OutputWriteError(f"cannot write{where}: {exc.strerror or exc}; fix it and rerun"
                               + (" with --resume" if kept else "")) from None


def make_job(
    input_path: str | os.PathLike[str], output_path: str | os.PathLike[str], *,
    model_dir: str | os.PathLike[str] | None = None, input_format: str | None = None,
    output_format: str | None = None, text_field: str = "text", id_field: str | None = None,
    keep_fields: Sequence[str] = (), encoding: str | None = "auto", workers: int = 1, only_flagged: bool = False,
    resume: bool = False, rejects_path: str | os.PathLike[str] | None = None, allow: Any = None, deny: Any = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
) -> ScoreJob:
    """Check everything that can be checked before any work and describe the run as one :class:`ScoreJob`."""
    if not isinstance(workers, int) or workers < 1:
        raise InputFormatError(f"--workers must be a positive integer, got {workers!r}")
    if not isinstance(chunk_size, int) or chunk_size < 1:
        raise InputFormatError(f"chunk size must be a positive integer, got {chunk_size!r}")
    keep = tuple(keep_fields)
    clash = [k for k in keep if k in reserved_names()]
    if clash:
        raise InputFormatError(f"--keep-fields {clash[0]!r} would overwrite the output field of that name; "
                               f"output fields are: {', '.join(sorted(reserved_names()))}")
    if len(set(keep)) != len(keep) or "" in keep:
        raise InputFormatError(f"--keep-fields names must be distinct and non-empty, got {','.join(keep)!r}")
    in_spec = detect_input(input_path, input_format, encoding)
    out_spec = detect_output(output_path, output_format)
    if in_spec.is_stdin and workers > 1:
        raise InputFormatError("stdin can be read only once, so it allows one worker; drop --workers or pass a file")
    if in_spec.is_stdin and resume:
        raise InputFormatError("a job reading stdin cannot resume (stdin cannot be read again); pass a file")
    if out_spec.is_stdout and resume:
        raise InputFormatError("a job writing to stdout cannot resume; pass -o FILE")
    if not in_spec.is_stdin and not out_spec.is_stdout and Path(in_spec.path) == Path(out_spec.path).resolve():
        raise InputFormatError(f"output {out_spec.path!r} is the input file; choose another output path")
    if rejects_path is not None and str(rejects_path) == "-":
        # "-" would otherwise become a file named "-" in the working directory
        raise InputFormatError("--rejects takes a file path, not - (standard output carries the scored records "
                               "with -o -; bad records are also counted in the summary)")
    rejects = Path(rejects_path).absolute() if rejects_path is not None else None
    if rejects is not None:
        if not out_spec.is_stdout and rejects.resolve() == Path(out_spec.path).resolve():
            raise InputFormatError("the rejects file and the output are the same file; choose another --rejects path")
        if not in_spec.is_stdin and rejects.resolve() == Path(in_spec.path).resolve():
            raise InputFormatError("the rejects file is the input file; choose another --rejects path")
        check_output_path(rejects, "rejects file")
    check_fields(in_spec, text_field, id_field, keep)
    model = _model_fingerprint(model_dir)
    allow_value, allow_fp = _list_fingerprint(allow, "allow")
    deny_value, deny_fp = _list_fingerprint(deny, "deny")
    return ScoreJob(input=in_spec, output=out_spec, text_field=text_field, id_field=id_field, keep_fields=keep,
                    chunk_size=chunk_size, only_flagged=only_flagged, rejects=str(rejects) if rejects else None,
                    workers=workers, model_dir=model[0], model_sha256=model[1], model=model[2],
                    allow=allow_value, deny=deny_value, allow_fingerprint=allow_fp, deny_fingerprint=deny_fp)


def _score_job(job: ScoreJob, resume: bool, progress: bool | None, t0: float,
               dedicated_process: bool = False) -> JobSummary:
    out_spec = job.output
    identity = job.identity()
    temporary = out_spec.is_stdout
    if temporary:
        work = Path(tempfile.mkdtemp(prefix="mlmrisk-bulk-"))
    else:
        work = Path(out_spec.path + ".partial")
    parts = work / "parts"
    lock: _Lock | None = None

    def discard_if_nothing_done() -> None:
        """On a failure: a work dir without a finished chunk holds nothing worth resuming, and must not block a
        plain rerun (a disk full from the start, a run stopped during its first chunk)."""
        nonlocal lock
        if not temporary and not done_chunks(parts):
            if lock is not None:
                lock.release()
                lock = None
            shutil.rmtree(work, ignore_errors=True)

    try:
        if not temporary:
            try:
                work.mkdir()
                created = True
            except FileExistsError:
                created = False
            if not created:
                # the lock first: while another run works there, advice to delete its work dir would wreck it
                lock = _Lock(work / "lock")
                if not resume:
                    raise JobStateError(
                        f"{work} holds an unfinished earlier run; rerun with --resume to finish it, "
                        f"or delete {work} to start over"
                    )
                try:
                    old = json.loads((work / "job.json").read_text(encoding="utf-8"))
                except (OSError, ValueError):
                    old = None
                if old is None and done_chunks(parts):
                    raise JobStateError(f"{work} has no readable job.json; delete {work} to start over")
                diff = _differences(old, identity) if old is not None else []
                if diff:
                    raise JobStateError(
                        f"cannot resume: {work} was made for a different job ({'; '.join(diff)}); "
                        f"delete {work} to start over"
                    )
            else:
                lock = _Lock(work / "lock")
        if not (work / "job.json").exists():
            try:
                parts.mkdir(exist_ok=True)
                write_atomic(work / "job.json", json.dumps(identity, indent=2, ensure_ascii=False).encode())
                fsync_dir(work)
            except BaseException:
                discard_if_nothing_done()
                raise
        parts.mkdir(exist_ok=True)
        for stale in parts.glob(".*.tmp"):  # tmp files of a killed run; never a finished part
            stale.unlink(missing_ok=True)
        finished = work / "summary.json"
        if finished.exists() and not temporary and Path(out_spec.path).exists():
            # killed after the output was renamed into place but before the work dir was removed
            summary = JobSummary(**json.loads(finished.read_text(encoding="utf-8")))
            summary.resumed_chunks = summary.chunks
            shutil.rmtree(work, ignore_errors=True)
            return summary

        job = replace(job, parts_dir=str(parts))
        try:
            summary = _run(job, work, parts, progress, temporary, t0, dedicated_process)
        except BaseException:
            discard_if_nothing_done()
            raise
        if lock is not None:
            lock.release()
            lock = None
        shutil.rmtree(work, ignore_errors=True)
        return summary
    finally:
        if lock is not None:
            lock.release()
        if temporary:
            shutil.rmtree(work, ignore_errors=True)


def _run(job: ScoreJob, work: Path, parts: Path, progress: bool | None, temporary: bool, t0: float,
         dedicated_process: bool = False) -> JobSummary:
    in_spec, out_spec = job.input, job.output
    rejects = Path(job.rejects) if job.rejects else None
    show = progress if progress is not None else sys.stderr.isatty()
    bar = _Progress(bool(show), in_spec.size, "scoring")
    # chunks an earlier run finished, each part checked against its marker (a damaged one is redone)
    resumed = _verified_markers(parts, FORMATS[out_spec.format].part_suffix)
    for marker in resumed:
        bar.add(marker, resumed=True)
    bar.show_counts()
    tmp = work / "output.tmp"
    owned = not out_spec.is_stdout
    sink: BinaryIO = open(tmp, "wb") if owned else sys.stdout.buffer  # noqa: SIM115 - closed below
    try:
        return _run_assembling(job, parts, rejects, resumed, bar, sink, tmp, t0, dedicated_process)
    finally:
        if owned:
            sink.close()


def _run_assembling(job: ScoreJob, parts: Path, rejects: Path | None, resumed: list[dict[str, Any]],
                    bar: "_Progress", sink: BinaryIO, tmp: Path, t0: float, dedicated_process: bool) -> JobSummary:
    """``_run`` once the output's destination is open: score, assembling parts into ``sink`` as they finish."""
    in_spec, out_spec = job.input, job.output
    work = tmp.parent
    assembler = _InOrderAssembler(job, parts, sink, consume=out_spec.is_stdout)

    def append_resumed() -> None:
        """The parts of an earlier run first (on a resumed archive, gigabytes: copied while the workers run)."""
        for marker in resumed:
            assembler.chunk_done(marker)

    totals: dict[int, int] = {}
    formats: set[str] = set()
    encodings: set[str] = set()

    def on_message(msg: tuple) -> None:
        if msg[0] == "chunk":
            bar.add(msg[2])
            assembler.chunk_done(msg[2])
        elif msg[0] == "total":
            totals[msg[1]] = msg[2]
            formats.add(msg[3])
            encodings.add(msg[4])

    try:
        if job.workers == 1:
            append_resumed()
            _run_worker(job, 0, on_message, dedicated=dedicated_process)
        else:
            sink.flush()  # nothing buffered may be inherited by forked workers
            _run_pool(job, on_message, started=append_resumed)
    except BaseException:
        bar.close(complete=False)
        raise
    bar.close(complete=True)
    if len(set(totals.values())) != 1:
        raise WorkerError(f"workers saw different numbers of chunks {sorted(set(totals.values()))}: the input changed "
                          "while it was read; rerun on a stable file")
    k_total = totals[0]
    if not in_spec.is_stdin:
        st = os.stat(in_spec.path)
        if (st.st_size, st.st_mtime_ns) != (in_spec.size, in_spec.mtime_ns):
            raise JobStateError(f"{in_spec.path} changed while it was scored; delete {work} and run again")
    done = done_chunks(parts)
    missing = [k for k in range(k_total) if k not in done]
    if missing:
        raise WorkerError(f"{len(missing)} chunks were not finished (first: {missing[0]}); rerun with --resume")
    markers = [_read_marker(parts, k) for k in range(k_total)]
    summary = JobSummary(kernels=kernel_backend(), input=in_spec.path, output=out_spec.path,
                         input_format=in_spec.format or ",".join(sorted(formats)), output_format=out_spec.format,
                         model=job.model, encoding=in_spec.encoding if in_spec.encoding != "auto"
                         else ",".join(sorted(encodings)),
                         rejects=str(rejects) if rejects else None, chunks=k_total, resumed_chunks=len(resumed),
                         workers=job.workers, input_bytes=in_spec.size)
    for m in markers:
        summary.records += m["records"]
        summary.scored += m["scored"]
        summary.bad += m["bad"]
        summary.flagged += m["flagged"]
        summary.written += m["written"]
        summary.rejected += m["rejected"] if rejects is not None else 0  # only what a rejects file holds
        summary.skipped += m.get("skipped", 0)
        for code, n in m["bad_codes"].items():
            summary.bad_codes[code] = summary.bad_codes.get(code, 0) + n
    summary.lines = summary.records + summary.skipped
    summary.filtered = summary.records - summary.written
    if summary.skipped:
        summary.skipped_reasons = {"blank_line": summary.skipped}
    if rejects is not None:
        _assemble_rejects(parts, k_total, markers, rejects)
    for marker in markers:  # every chunk is in by now; a no-op unless a marker's message never came
        if marker["chunk"] >= assembler.next:
            assembler.chunk_done(marker)
    if assembler.next != k_total:
        raise WorkerError(f"the output holds {assembler.next} of {k_total} chunks; rerun with --resume")
    assembler.close()
    if not out_spec.is_stdout:
        sink.flush()
        os.fsync(sink.fileno())
        sink.close()  # before the rename (some systems refuse to rename an open file)
        summary.seconds = time.monotonic() - t0
        write_atomic(work / "summary.json", json.dumps(asdict(summary)).encode())
        os.replace(tmp, out_spec.path)
        fsync_dir(Path(out_spec.path).parent)
    summary.seconds = time.monotonic() - t0
    return summary
