"""Bulk scoring of archives far larger than memory: ``mlmrisk score IN -o OUT --workers W [--resume]``.

:func:`score_file` is the plain function behind the command (the CLI only parses arguments, prints the summary and
maps exceptions to exit codes). How it works, and why:

- **Chunks.** The input is cut into fixed chunks of ``chunk_size`` records (``serving.readers``). Chunk ``k`` belongs
  to worker ``k % W``. Every worker opens and reads the whole input itself and parses and scores only its own
  chunks: decompressing and splitting lines is cheap, while shipping strings through pipes capped two-process
  scaling at 1.3–1.7× (docs/design_facts.md §2). Workers are ``spawn`` processes that each load their own ``Scorer`` once
  (one onnxruntime thread each); with ``workers=1`` the work runs in the calling process.
- **Checkpoints.** A finished chunk becomes part files in the work dir ``OUTPUT.partial/parts/`` — the rows, the
  rejected rows, then a small ``NNNNNNNN.done.json`` marker with the chunk's counts — each written atomically
  (tmp, fsync, rename). The marker is the commit: a chunk is done iff its marker exists, so a run killed at any
  moment (Ctrl-C, ``kill -9``, power loss) resumes with ``resume=True`` and redoes only unfinished chunks; no record
  goes missing and none is duplicated.
- **Job identity.** ``job.json`` in the work dir records the input (absolute path, size, mtime), the options that
  change the output and a fingerprint of the model and allow/deny lists. Resuming refuses when anything differs,
  because mixing parts of two different jobs would make a silently inconsistent output. Without ``resume``, an
  existing work dir is refused too (it holds work that would otherwise be thrown away).
- **Assembly.** When every chunk is done the parent appends the parts in chunk order to ``OUTPUT.partial/output.tmp``
  and renames it to ``OUTPUT`` (same directory, so the rename is atomic), then removes the work dir. An ``OUTPUT``
  therefore never exists half-written. Output order equals input order; every input record yields exactly one
  output row (a result or an error row; with ``only_flagged`` only flagged results are written).
- **stdin / stdout.** ``-`` reads stdin or writes stdout. stdin can be read once only, so it allows one worker and no
  resume. With stdout the parts live in a temporary directory and are streamed out in order as they finish; such a
  job cannot resume either.
- **Bad records** (malformed JSON, missing/null/non-string text, invalid UTF-8, …) become error rows carrying their
  ``line``, are counted by error code in the summary and, with ``rejects_path``, are also written there as JSONL
  (``line``, ``id``, ``error``, ``raw`` = the offending input line where there is one). They never stop the job.

Memory is bounded by a few chunks per process (plus one 1 MiB read block and, for Parquet input, one row group's
column data), never by the input size. Disk: the parts, then the assembled output, so up to twice the output size
for a moment.

Exit codes (applied by ``serving/cli.py``; decided here because this module defines what "finished" means):

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

import hashlib
import json
import multiprocessing as mp
import os
import queue
import shutil
import signal
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from mlmrisk.classifier import errors as _errors
from mlmrisk.classifier.errors import InputFormatError, ListFormatError, MlmriskError
from mlmrisk.serving import writers
from mlmrisk.serving.readers import Chunk, ChunkReader, InputSpec, check_fields, detect_input
from mlmrisk.serving.writers import OutputSpec, detect_output, encode_jsonl, fsync_dir, write_atomic

JOB_FORMAT = "mlmrisk-bulk-job"
JOB_VERSION = 1
DEFAULT_CHUNK_SIZE = 8192
_MARKER = ".done.json"
_REJECTS = ".rejects.jsonl"


class JobStateError(MlmriskError):
    """The work dir of an earlier run is in the way, or does not match the job being resumed."""


class WorkerError(MlmriskError):
    """A worker process failed or died; the work dir is kept so the job can be resumed."""

    def __init__(self, message: str, worker_traceback: str | None = None) -> None:
        super().__init__(message)
        self.worker_traceback = worker_traceback


@dataclass
class JobSummary:
    """What a bulk job did; ``to_dict()`` is JSON-ready (for ``--format json`` and logs).

    ``records`` = records read; ``scored`` = records that got a score; ``bad`` = error rows (``bad_codes`` counts
    them by code); ``flagged`` = scored records flagged; ``written`` = rows in the output (``records`` unless
    ``only_flagged``); ``resumed_chunks`` = chunks taken from an earlier, interrupted run.
    """

    input: str
    output: str
    input_format: str
    output_format: str
    rejects: str | None = None
    records: int = 0
    scored: int = 0
    bad: int = 0
    flagged: int = 0
    written: int = 0
    rejected: int = 0
    bad_codes: dict[str, int] = field(default_factory=dict)
    chunks: int = 0
    resumed_chunks: int = 0
    workers: int = 1
    seconds: float = 0.0
    input_bytes: int | None = None

    @property
    def records_per_second(self) -> float:
        return self.records / self.seconds if self.seconds > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["records_per_second"] = round(self.records_per_second, 1)
        data["seconds"] = round(self.seconds, 3)
        return data

    def format(self) -> str:
        """A human summary for stderr."""
        codes = ", ".join(f"{code}: {n:,}" for code, n in sorted(self.bad_codes.items(), key=lambda kv: -kv[1]))
        lines = [
            f"records read {self.records:,}, scored {self.scored:,}, bad {self.bad:,}"
            + (f" ({codes})" if codes else "") + f", flagged {self.flagged:,}",
            f"wrote {self.written:,} rows to {self.output}"
            + (f"; {self.rejected:,} rejects to {self.rejects}" if self.rejects else ""),
            f"time {self.seconds:.1f} s ({self.records_per_second:,.0f} records/s, {self.workers} worker"
            + ("s" if self.workers != 1 else "") + ")"
            + (f"; {self.resumed_chunks:,} of {self.chunks:,} chunks resumed" if self.resumed_chunks else ""),
        ]
        return "\n".join(lines)


# ------------------------------------------------------------------------------------------------------ worker side


@dataclass(frozen=True)
class _WorkerConfig:
    """Everything a worker needs, picklable (spawned workers receive it, never live objects)."""

    input: InputSpec
    output_format: str
    text_field: str
    id_field: str | None
    chunk_size: int
    only_flagged: bool
    model_dir: str | None
    allow: Any
    deny: Any
    parts_dir: str
    n_workers: int
    fsync: bool = True


def _part_name(k: int) -> str:
    return f"{k:08d}"


def done_chunks(parts_dir: str | os.PathLike[str]) -> set[int]:
    """Indices of the chunks whose marker exists (the chunks finished by this or an earlier run)."""
    done = set()
    with os.scandir(parts_dir) as entries:
        for entry in entries:
            name = entry.name
            if name.endswith(_MARKER) and not name.startswith("."):
                done.add(int(name[: -len(_MARKER)]))
    return done


def _process_chunk(cfg: _WorkerConfig, scorer: Any, reader: ChunkReader, chunk: Chunk) -> dict[str, Any]:
    """Parse, score and write one chunk; returns its marker (the counts the summary adds up).

    CSV and Parquet parts are built as columns straight from the scorer's arrays (``writers.batch_columns``);
    JSONL parts from one dict per record. Every input record becomes exactly one output row (a result or an
    error row) unless ``--only-flagged`` drops it; every bad record also goes to the rejects side file.
    """
    records = reader.parse(chunk)
    good = [i for i, (_, _, t) in enumerate(records) if type(t) is str]
    scored = scorer.score_batch([records[i][2] for i in good]) if good else None
    only_flagged = cfg.only_flagged
    tabular = cfg.output_format != "jsonl"
    bad_codes: dict[str, int] = {}
    rejects: list[dict] = []
    # rows of the output, in input order: ("s", j) = scored row j, ("e", k) = error row k
    rows: list[tuple[str, int]] = []
    error_rows: list[dict] = []
    n_scored = n_flagged = 0
    flagged = scored.flagged.tolist() if scored is not None else []
    errors = scored.errors if scored is not None else []
    j = 0
    for line, rid, value in records:
        if type(value) is str:
            k, j = j, j + 1  # k: this record's row in the scored batch
            error = errors[k]
            if error is None:
                n_scored += 1
                n_flagged += flagged[k]
                if not only_flagged or flagged[k]:
                    rows.append(("s", k))
                continue
            error, raw = error.to_dict(), value
        else:
            error, raw = {"code": value.code, "message": value.message}, value.raw
        bad_codes[error["code"]] = bad_codes.get(error["code"], 0) + 1
        rejects.append({"line": line, "id": rid, "error": error, "raw": raw})
        if not only_flagged:
            rows.append(("e", len(error_rows)))
            error_rows.append({"id": rid, "error": error, "line": line})
    payload: bytes | None = None
    if rows:
        good_lines = [records[i][0] for i in good]
        good_ids = [records[i][1] for i in good]
        if tabular:
            for_csv = cfg.output_format == "csv"
            columns = (writers.batch_columns(scored, good_ids, good_lines, for_csv=for_csv)
                       if scored is not None else [[] for _ in writers.TABULAR_COLUMNS])
            if error_rows or len(rows) != len(good):
                columns = writers.concat_columns([columns, writers.tabular_columns(error_rows, for_csv=for_csv)])
                columns = writers.take_columns(columns, [j if kind == "s" else len(good) + j for kind, j in rows])
            payload = (writers.encode_csv_columns(columns) if for_csv else writers.encode_arrow_columns(columns))
        else:
            keep = [j for kind, j in rows if kind == "s"]
            results = iter(scored.records(good_ids, rows=keep)) if scored is not None else iter(())
            out = []
            for kind, j in rows:
                if kind == "s":
                    result = next(results)
                    result["line"] = good_lines[j]
                    out.append(result)
                else:
                    out.append(error_rows[j])
            payload = writers.encode_jsonl(out)
    n_written = len(rows)
    base = Path(cfg.parts_dir) / _part_name(chunk.index)
    if payload is not None:
        write_atomic(str(base) + writers.PART_SUFFIX[cfg.output_format], payload, fsync=cfg.fsync)
    if rejects:
        write_atomic(str(base) + _REJECTS, encode_jsonl(rejects), fsync=cfg.fsync)
    if cfg.fsync and (payload is not None or rejects):
        fsync_dir(cfg.parts_dir)  # the part renames are durable before the marker says the chunk is done
    marker = {
        "chunk": chunk.index, "first_line": chunk.first_line, "records": len(records), "scored": n_scored,
        "bad": len(rejects), "flagged": n_flagged, "written": n_written, "rejected": len(rejects),
        "bad_codes": bad_codes, "progress": [chunk.progress_start, chunk.progress_end],
    }
    write_atomic(str(base) + _MARKER, json.dumps(marker).encode(), fsync=cfg.fsync)
    return marker


def _run_worker(cfg: _WorkerConfig, w: int, emit: Callable[[tuple], None], scorer: Any = None) -> None:
    """Worker ``w``: read the whole input, score chunks ``k % n_workers == w`` not done yet, report each."""
    if scorer is None:
        from mlmrisk.serving.scorer import Scorer

        scorer = Scorer.load(cfg.model_dir, allow=cfg.allow, deny=cfg.deny)
    done = done_chunks(cfg.parts_dir)
    n = cfg.n_workers

    def want(k: int) -> bool:
        return k % n == w and k not in done

    n_chunks = 0
    with ChunkReader(cfg.input, text_field=cfg.text_field, id_field=cfg.id_field,
                     chunk_size=cfg.chunk_size) as reader:
        for chunk in reader.chunks(want):
            n_chunks = chunk.index + 1
            if chunk.payload is None:
                continue
            emit(("chunk", w, _process_chunk(cfg, scorer, reader, chunk)))
    emit(("total", w, n_chunks, reader.spec.format))


def _worker_process(cfg: _WorkerConfig, w: int, messages: Any, parent_pid: int) -> None:
    """Entry point of a spawned worker: run, report errors as messages, stop if the parent is gone."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle; it terminates us

    def emit(msg: tuple) -> None:
        if os.getppid() != parent_pid:  # parent was killed (kill -9): stop instead of working on as an orphan
            raise SystemExit(3)
        messages.put(msg)

    try:
        _run_worker(cfg, w, emit)
    except SystemExit:
        raise
    except BaseException as exc:  # report everything: the parent decides what it means
        messages.put(("error", w, type(exc).__name__, str(exc), traceback.format_exc()))
        raise SystemExit(1) from None


# ------------------------------------------------------------------------------------------------------ parent side


def _model_fingerprint(model_dir: str | os.PathLike[str] | None) -> tuple[str, str]:
    """(model dir, SHA-256 of its manifest). The manifest holds the ONNX file's SHA-256, thresholds and tables."""
    from mlmrisk.classifier.manifest import sha256_file
    from mlmrisk.serving.scorer import find_manifest

    path, manifest = find_manifest(model_dir)
    return str(path.resolve()), sha256_file(manifest)


def _list_fingerprint(value: Any, kind: str) -> tuple[Any, str | None]:
    """(value to hand workers, fingerprint for job.json) of an allow/deny list: a path or a sequence of phrases."""
    from mlmrisk.classifier.manifest import sha256_file

    if value is None:
        return None, None
    if isinstance(value, (str, os.PathLike)):
        path = Path(value)
        if not path.is_file():
            raise ListFormatError(f"{kind} list {path} does not exist")
        return str(path.resolve()), "file:" + sha256_file(path)
    if isinstance(value, Sequence):
        items = list(value)
        return items, "items:" + hashlib.sha256(repr(items).encode("utf-8", "surrogatepass")).hexdigest()
    raise TypeError(f"{kind} for bulk jobs must be a path or a sequence of phrases, got {type(value).__name__}")


def _job_description(in_spec: InputSpec, out_spec: OutputSpec, options: dict[str, Any], model: tuple[str, str],
                     lists: dict[str, str | None]) -> dict[str, Any]:
    return {
        "format": JOB_FORMAT, "version": JOB_VERSION,
        "input": {"path": in_spec.path, "size": in_spec.size, "mtime_ns": in_spec.mtime_ns,
                  "format": in_spec.format, "compression": in_spec.compression},
        "output": {"path": out_spec.path, "format": out_spec.format, "compression": out_spec.compression},
        "options": options,
        "model": {"dir": model[0], "manifest_sha256": model[1]},
        "lists": lists,
    }


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


class _StdoutStreamer:
    """With ``-o -``: writes finished parts to stdout in chunk order as soon as each is next in line."""

    def __init__(self, spec: OutputSpec, parts_dir: Path) -> None:
        self._asm = writers.OutputAssembler(spec, sys.stdout.buffer)
        self._parts_dir = parts_dir
        self._suffix = writers.PART_SUFFIX[spec.format]
        self._ready: dict[int, int] = {}
        self.next = 0

    def chunk_done(self, marker: dict[str, Any]) -> None:
        self._ready[marker["chunk"]] = marker["written"]
        while self.next in self._ready:
            written = self._ready.pop(self.next)
            if written:
                part = self._parts_dir / (_part_name(self.next) + self._suffix)
                self._asm.add_part(part)
                part.unlink()
            self.next += 1

    def close(self) -> None:
        self._asm.close()


def _read_marker(parts_dir: Path, k: int) -> dict[str, Any]:
    with open(parts_dir / (_part_name(k) + _MARKER), "rb") as f:
        return json.loads(f.read())


def _assemble(parts: Path, k_total: int, markers: list[dict[str, Any]], spec: OutputSpec, dest: Path) -> None:
    suffix = writers.PART_SUFFIX[spec.format]
    with open(dest, "wb") as f:
        asm = writers.OutputAssembler(spec, f)
        for k in range(k_total):
            if markers[k]["written"]:
                asm.add_part(parts / (_part_name(k) + suffix))
        asm.close()
        f.flush()
        os.fsync(f.fileno())


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


def _run_pool(cfg: _WorkerConfig, on_message: Callable[[tuple], None]) -> None:
    """Start ``cfg.n_workers`` spawned workers and route their messages until all have reported their total."""
    ctx = mp.get_context("spawn")
    messages = ctx.Queue()
    procs = [ctx.Process(target=_worker_process, args=(cfg, w, messages, os.getpid()), name=f"mlmrisk-bulk-{w}",
                         daemon=True) for w in range(cfg.n_workers)]
    for p in procs:
        p.start()
    finished: set[int] = set()
    exited_at: dict[int, float] = {}
    try:
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
    workers: int = 1,
    only_flagged: bool = False,
    resume: bool = False,
    rejects_path: str | os.PathLike[str] | None = None,
    allow: Any = None,
    deny: Any = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    progress: bool | None = None,
) -> JobSummary:
    """Score every record of ``input_path`` into ``output_path`` (``-`` = stdin/stdout); see the module docstring.

    ``progress``: None shows the bar only when stderr is a terminal, True forces it, False hides it.
    ``allow``/``deny``: a list file path or a sequence of phrases (as for ``Scorer.load``).
    Raises :class:`MlmriskError` subclasses for everything that stops the job before it finishes.
    """
    t0 = time.monotonic()
    if not isinstance(workers, int) or workers < 1:
        raise InputFormatError(f"--workers must be a positive integer, got {workers!r}")
    if not isinstance(chunk_size, int) or chunk_size < 1:
        raise InputFormatError(f"chunk size must be a positive integer, got {chunk_size!r}")
    in_spec = detect_input(input_path, input_format)
    out_spec = detect_output(output_path, output_format)
    if in_spec.is_stdin and workers > 1:
        raise InputFormatError("stdin can be read only once, so it allows one worker; drop --workers or pass a file")
    if in_spec.is_stdin and resume:
        raise InputFormatError("a job reading stdin cannot resume (stdin cannot be read again); pass a file")
    if out_spec.is_stdout and resume:
        raise InputFormatError("a job writing to stdout cannot resume; pass -o FILE")
    if not in_spec.is_stdin and not out_spec.is_stdout and Path(in_spec.path) == Path(out_spec.path).resolve():
        raise InputFormatError(f"output {out_spec.path!r} is the input file; choose another output path")
    rejects = Path(rejects_path).absolute() if rejects_path is not None else None
    if rejects is not None and not out_spec.is_stdout and rejects == Path(out_spec.path):
        raise InputFormatError("the rejects file and the output are the same file; choose another --rejects path")
    for path, what in ((None if out_spec.is_stdout else Path(out_spec.path), "output"), (rejects, "rejects")):
        if path is not None and not path.parent.is_dir():
            raise InputFormatError(f"the {what} directory {str(path.parent)!r} does not exist; create it first")
    check_fields(in_spec, text_field, id_field)
    model = _model_fingerprint(model_dir)
    allow_value, allow_fp = _list_fingerprint(allow, "allow")
    deny_value, deny_fp = _list_fingerprint(deny, "deny")
    options = {"text_field": text_field, "id_field": id_field, "chunk_size": chunk_size,
               "only_flagged": only_flagged}
    job = _job_description(in_spec, out_spec, options, model, {"allow": allow_fp, "deny": deny_fp})

    temporary = out_spec.is_stdout
    if temporary:
        work = Path(tempfile.mkdtemp(prefix="mlmrisk-bulk-"))
    else:
        work = Path(out_spec.path + ".partial")
    parts = work / "parts"
    lock: _Lock | None = None
    try:
        if not temporary:
            try:
                work.mkdir()
                created = True
            except FileExistsError:
                created = False
            if not created:
                if not resume:
                    raise JobStateError(
                        f"{work} holds an unfinished earlier run; rerun with --resume to finish it, "
                        f"or delete {work} to start over"
                    )
                lock = _Lock(work / "lock")
                try:
                    old = json.loads((work / "job.json").read_text(encoding="utf-8"))
                except (OSError, ValueError):
                    old = None
                if old is None and (parts.exists() and done_chunks(parts)):
                    raise JobStateError(f"{work} has no readable job.json; delete {work} to start over")
                diff = _differences(old, job) if old is not None else []
                if diff:
                    raise JobStateError(
                        f"cannot resume: {work} was made for a different job ({'; '.join(diff)}); "
                        f"delete {work} to start over"
                    )
            else:
                lock = _Lock(work / "lock")
        if not (work / "job.json").exists():
            parts.mkdir(exist_ok=True)
            write_atomic(work / "job.json", json.dumps(job, indent=2, ensure_ascii=False).encode())
            fsync_dir(work)
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

        try:
            summary = _run(in_spec, out_spec, work, parts, rejects, model[0], allow_value, deny_value, text_field,
                           id_field, chunk_size, only_flagged, workers, progress, temporary, t0)
        except BaseException:
            if not temporary and not done_chunks(parts):  # nothing worth resuming: do not block a plain rerun
                if lock is not None:
                    lock.release()
                    lock = None
                shutil.rmtree(work, ignore_errors=True)
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


def _run(in_spec: InputSpec, out_spec: OutputSpec, work: Path, parts: Path, rejects: Path | None, model_dir: str,
         allow: Any, deny: Any, text_field: str, id_field: str | None, chunk_size: int, only_flagged: bool,
         workers: int, progress: bool | None, temporary: bool, t0: float) -> JobSummary:
    cfg = _WorkerConfig(in_spec, out_spec.format, text_field, id_field, chunk_size, only_flagged, model_dir,
                        allow, deny, str(parts), workers, fsync=not temporary)
    done_before = done_chunks(parts)
    show = progress if progress is not None else sys.stderr.isatty()
    bar = _Progress(bool(show), in_spec.size, "scoring")
    for k in sorted(done_before):
        bar.add(_read_marker(parts, k), resumed=True)
    bar.show_counts()
    streamer = _StdoutStreamer(out_spec, parts) if out_spec.is_stdout else None
    totals: dict[int, int] = {}
    formats: set[str] = set()

    def on_message(msg: tuple) -> None:
        if msg[0] == "chunk":
            bar.add(msg[2])
            if streamer is not None:
                streamer.chunk_done(msg[2])
        elif msg[0] == "total":
            totals[msg[1]] = msg[2]
            formats.add(msg[3])

    try:
        if workers == 1:
            _run_worker(cfg, 0, on_message)
        else:
            _run_pool(cfg, on_message)
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
    summary = JobSummary(input=in_spec.path, output=out_spec.path, input_format=cfg.input.format or ",".join(sorted(formats)),
                         output_format=out_spec.format, rejects=str(rejects) if rejects else None,
                         chunks=k_total, resumed_chunks=len(done_before), workers=workers,
                         input_bytes=in_spec.size)
    for m in markers:
        summary.records += m["records"]
        summary.scored += m["scored"]
        summary.bad += m["bad"]
        summary.flagged += m["flagged"]
        summary.written += m["written"]
        summary.rejected += m["rejected"]
        for code, n in m["bad_codes"].items():
            summary.bad_codes[code] = summary.bad_codes.get(code, 0) + n
    if rejects is not None:
        _assemble_rejects(parts, k_total, markers, rejects)
    if streamer is not None:
        streamer.close()
    else:
        tmp = work / "output.tmp"
        _assemble(parts, k_total, markers, out_spec, tmp)
        summary.seconds = time.monotonic() - t0
        write_atomic(work / "summary.json", json.dumps(asdict(summary)).encode())
        os.replace(tmp, out_spec.path)
        fsync_dir(Path(out_spec.path).parent)
    summary.seconds = time.monotonic() - t0
    return summary
