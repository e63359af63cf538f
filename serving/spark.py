"""Score Spark DataFrames: ``score_dataframe(df, text_col=…, id_col=…)`` and the ``mlmrisk spark`` job (``score_path``).

docs/integrations/spark.md has the how-to and a ``spark-submit`` example. How it works, and why:

- ``mapInPandas``: Spark hands each executor's Python worker Arrow batches (as pandas frames) of one partition;
  the function scores a batch with ``Scorer.score_batch``, takes its schema records (``ScoredBatch.records``, what
  ``mlmrisk score`` writes) and flattens them with ``serving.tabular`` by the CSV rule (scalar columns; structs as
  ``parent.child``; lists of scalars joined; lists of spans as JSON text) — so the Spark output has the columns and
  values of ``mlmrisk score … -o out.csv`` (typed) and follows any change of the record schema by itself. Flat
  columns keep the Spark schema simple for every downstream engine.
- One ``Scorer`` per executor Python process, created lazily on the first batch and cached in this module
  (``_SCORERS``). Only plain settings (paths, field names) travel with the task; the onnxruntime session is never
  pickled. Spark reuses its Python workers (``spark.python.worker.reuse``, on by default), so the model loads once
  per worker process, not per task.
- The model directory must be readable on every executor: the shipped model (installed with the package in the
  executors' Python), a path on shared storage, or files shipped with ``spark-submit --files model.onnx,manifest.json``
  (found in ``SparkFiles.getRootDirectory()`` when the given path does not exist on the executor).
"""

from __future__ import annotations

import functools
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from mlmrisk.classifier.errors import InputFormatError, ModelLoadError
from mlmrisk.serving import tabular

#: Rows per Arrow batch handed to a Python worker (``spark.sql.execution.arrow.maxRecordsPerBatch``).
BATCH_ROWS = 8192
_SCORERS: dict[tuple, Any] = {}
_FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl", ".csv": "csv", ".parquet": "parquet",
            ".pq": "parquet"}


def _list_key(value: Any) -> Any:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    return tuple(value)


def _resolve_model_dir(model_dir: str | None) -> str | None:
    """The model directory as seen from this (executor) process; see the module docstring."""
    if model_dir is None or (Path(model_dir) / "manifest.json").is_file():
        return model_dir
    try:
        from pyspark import SparkFiles

        shipped = SparkFiles.getRootDirectory()
    except Exception:  # no SparkContext in this process
        shipped = None
    for candidate in filter(None, (shipped and Path(shipped), shipped and Path(shipped) / Path(model_dir).name)):
        if (candidate / "manifest.json").is_file():
            return str(candidate)
    raise ModelLoadError(f"model directory {model_dir} not found on this executor: put it on shared storage or "
                         "ship it with spark-submit --files <dir>/model.onnx,<dir>/manifest.json")


def executor_scorer(model_dir: str | None = None, allow: Any = None, deny: Any = None) -> Any:
    """The ``Scorer`` of this Python process for these settings, loaded on first use and kept."""
    key = (model_dir, allow, deny)
    scorer = _SCORERS.get(key)
    if scorer is None:
        from mlmrisk.serving.scorer import Scorer

        scorer = Scorer.load(_resolve_model_dir(model_dir), allow=allow, deny=deny)
        _SCORERS[key] = scorer
    return scorer


def _plain(value: Any) -> Any:
    """pandas' missing values (None, NaN, NA, NaT) → None; numpy scalars → Python scalars."""
    if value is None:
        return None
    try:
        if value != value:  # NaN / NaT
            return None
    except (TypeError, ValueError):  # pd.NA refuses comparison
        return None
    return value.item() if hasattr(value, "item") and not isinstance(value, (str, bytes)) else value


def _score_frames(settings: tuple, frames: Iterator[Any]) -> Iterator[Any]:
    """mapInPandas body: frames with columns ``_text``, ``_id``, ``_line`` → frames of the tabular schema."""
    model_dir, allow, deny = settings
    scorer = executor_scorer(model_dir, allow, deny)
    for frame in frames:
        texts = [_plain(v) for v in frame["_text"].tolist()]
        lines = [_plain(v) for v in frame["_line"].tolist()]
        ids = [_plain(v) for v in frame["_id"].tolist()]
        ids = [rid if rid is not None else line for rid, line in zip(ids, lines)]
        records = scorer.score_batch(texts).records(ids)
        for record, line in zip(records, lines):
            record["line"] = line
        yield tabular.flatten_for_csv(tabular.records_to_table(records), records).to_pandas()


def output_schema() -> Any:
    """The Spark schema of the output: ``mlmrisk score``'s Parquet schema, converted."""
    from pyspark.sql import types as T

    arrow = tabular.flatten_for_csv(tabular.records_to_table([])).schema
    kinds = {"string": T.StringType(), "int64": T.LongType(), "int32": T.IntegerType(), "bool": T.BooleanType(),
             "double": T.DoubleType(), "float": T.FloatType()}
    return T.StructType([T.StructField(f.name, kinds[str(f.type)], True) for f in arrow])


def score_dataframe(df: Any, text_col: str = "text", id_col: str | None = None, *, line_col: str | None = None,
                    model_dir: str | os.PathLike | None = None, allow: Any = None, deny: Any = None) -> Any:
    """Score ``df[text_col]``; a DataFrame with the columns of ``mlmrisk score``'s Parquet output, row for row.

    ``id_col``: the id column (default: ``id`` if ``df`` has one; a null id falls back to ``line``). ``line_col``:
    a column for ``line`` (default: none, ``line`` is null). ``model_dir``/``allow``/``deny`` as for
    ``Scorer.load``, as paths readable on every executor (or lists of phrases). Lazy, like any transformation.
    """
    from pyspark.sql import functions as F

    if text_col not in df.columns:
        raise InputFormatError(f"text column {text_col!r} not in the DataFrame (columns: {', '.join(df.columns)})")
    if id_col is None and "id" in df.columns:
        id_col = "id"
    if id_col is not None and id_col not in df.columns:
        raise InputFormatError(f"id column {id_col!r} not in the DataFrame")
    selected = df.select(
        F.col(text_col).alias("_text"),
        (F.col(id_col).cast("string") if id_col else F.lit(None).cast("string")).alias("_id"),
        (F.col(line_col).cast("long") if line_col else F.lit(None).cast("long")).alias("_line"),
    )
    settings = (os.fspath(model_dir) if model_dir is not None else None, _list_key(allow), _list_key(deny))
    return selected.mapInPandas(functools.partial(_score_frames, settings), output_schema())


def with_line_numbers(df: Any, first: int = 1) -> Any:
    """``df`` plus ``_line``: each row's 1-based position in the input as Spark reads it (``first`` for row one).

    From ``monotonically_increasing_id`` (partition index in the upper bits) and the row count of each partition:
    one cheap JVM-only counting job, no shuffle and no Python. For one file, partitions follow the file's order.
    """
    from pyspark.sql import functions as F

    marked = df.withColumn("_mid", F.monotonically_increasing_id()).withColumn("_pid", F.spark_partition_id())
    counts = dict(marked.groupBy("_pid").count().collect())
    offsets, total = {}, 0
    for pid in sorted(counts):
        offsets[pid] = total
        total += counts[pid]
    if not offsets:
        return marked.withColumn("_line", F.lit(None).cast("long")).drop("_mid", "_pid")
    mapping = F.create_map(*[x for pid, off in offsets.items() for x in (F.lit(pid), F.lit(off))])
    line = mapping[F.col("_pid")] + (F.col("_mid") - F.shiftleft(F.col("_pid").cast("long"), 33)) + F.lit(first)
    return marked.withColumn("_line", line).drop("_mid", "_pid")


def _input_format(path: str, given: str | None) -> str:
    if given:
        return given
    name = Path(path.rstrip("/")).name.lower()
    for suffix in (".gz", ".zst", ".bz2"):
        name = name.removesuffix(suffix)
    fmt = _FORMATS.get(Path(name).suffix)
    if fmt is None:
        raise InputFormatError(f"cannot tell the format of {path!r} from its suffix; pass --input-format")
    return fmt


def get_session(master: str | None = None, app_name: str = "mlmrisk") -> Any:
    """A SparkSession; ``master`` (default local[2]) only when spark-submit has not set one.

    Workers run ``PYSPARK_PYTHON``; when unset it is set to this interpreter (the venv that has mlmrisk installed).
    """
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.appName(app_name)
    # Under spark-submit the driver's Python is started by the JVM, which hands it PYSPARK_GATEWAY_PORT: the master
    # is spark-submit's then, not ours to override.
    submitted = bool(os.environ.get("PYSPARK_GATEWAY_PORT"))
    if master or not submitted:
        builder = builder.master(master or "local[2]")
    return (builder.config("spark.sql.execution.arrow.maxRecordsPerBatch", str(BATCH_ROWS))
            .config("spark.ui.showConsoleProgress", "false").getOrCreate())


def read_input(spark: Any, path: str, input_format: str | None, text_field: str, id_field: str | None) -> Any:
    """The input as a DataFrame with ``text_field``, the id column (if any) and ``_line``."""
    from pyspark.sql import types as T

    fmt = _input_format(path, input_format)
    if fmt == "jsonl":
        # An explicit schema: no inference pass, and only the two fields are read (numbers as text).
        fields = [text_field] + [id_field or "id"]
        df = spark.read.schema(T.StructType([T.StructField(f, T.StringType(), True) for f in dict.fromkeys(fields)]))
        df = df.json(path)
        first = 1
    elif fmt == "csv":
        df = spark.read.option("header", True).csv(path)
        first = 2  # mlmrisk score counts the header as line 1
    else:
        df = spark.read.parquet(path)
        first = 1
    if text_field not in df.columns:
        raise InputFormatError(f"text field {text_field!r} not in {path} (columns: {', '.join(df.columns)})")
    keep = [c for c in dict.fromkeys([text_field, id_field or "id"]) if c in df.columns]
    return with_line_numbers(df.select(*keep), first)


def score_path(input_path: str | os.PathLike, output_path: str | os.PathLike, *, master: str | None = None,
               input_format: str | None = None, text_field: str = "text", id_field: str | None = None,
               model_dir: str | os.PathLike | None = None, allow: Any = None, deny: Any = None,
               mode: str = "error", spark: Any = None) -> dict[str, Any]:
    """``mlmrisk spark``: read JSONL/CSV/Parquet, score, write a Parquet directory; returns a summary dict."""
    from pyspark.sql import functions as F

    started = time.monotonic()
    session = spark or get_session(master)
    path, output = os.fspath(input_path), os.fspath(output_path)
    df = read_input(session, path, input_format, text_field, id_field)
    id_col = id_field or ("id" if "id" in df.columns else None)
    # list files: absolute paths (right in local mode and on shared storage); lists of phrases pass as they are
    allow = str(Path(allow).absolute()) if isinstance(allow, (str, os.PathLike)) else allow
    deny = str(Path(deny).absolute()) if isinstance(deny, (str, os.PathLike)) else deny
    scored = score_dataframe(df, text_field, id_col, line_col="_line", model_dir=model_dir, allow=allow, deny=deny)
    scored.write.mode(mode).parquet(output)
    written = session.read.parquet(output)
    row = written.agg(F.count(F.lit(1)).alias("records"),
                      F.sum(F.col("flagged").cast("long")).alias("flagged"),
                      F.sum(F.col("`error.code`").isNotNull().cast("long")).alias("bad")).collect()[0]
    return {"input": path, "output": output, "records": row["records"], "flagged": row["flagged"] or 0,
            "bad": row["bad"] or 0, "seconds": round(time.monotonic() - started, 3)}
