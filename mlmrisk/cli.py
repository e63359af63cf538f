"""The ``mlmrisk`` command: ``score | explain | info | train | evaluate | init-config | review | compare | monitor |
serve | spark``.

A thin shell: each command parses its arguments and calls one plain function. ``main()`` is the only place that
turns errors into a one-line message on stderr and an exit code (``MLMRISK_DEBUG=1`` shows the traceback).

Exit codes: 0 success; 1 an error stopped the command (bad option value, unreadable input or model, …);
2 usage error (argparse); 3 ``score`` finished but some records were bad (each has an error record in the output
and a line in the rejects file, and the summary counts them).

``train`` and ``evaluate`` import ``training`` (scikit-learn) inside the command, so scoring never loads it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import traceback
from pathlib import Path

from mlmrisk._version import __version__
from mlmrisk.classifier.errors import MlmriskError

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_BAD_RECORDS = 0, 1, 2, 3

EXAMPLES = """examples:
  mlmrisk score data/sample_posts.jsonl -o scored.jsonl
  mlmrisk score archive.jsonl.zst -o scored.parquet --workers 2 --only-flagged
  cat posts.txt | mlmrisk score - -o - --input-format txt
  mlmrisk explain "静态收益加动态收益，直推十人拿见点奖"
  mlmrisk train --output models/mine
  mlmrisk init-config mine.toml && mlmrisk train mine.toml --output models/mine --set fit.n_folds=3
  mlmrisk review select scored.jsonl --texts posts.jsonl --budget 500 -o queue.jsonl --label-studio tasks.json
  mlmrisk review import export.json -o labelled.jsonl
  mlmrisk compare models/default models/mine --data labelled.jsonl -o compare/
  mlmrisk evaluate --model models/default
  mlmrisk monitor stream.jsonl --state monitor_state        # accounts, networks, alerts, report.html
  mlmrisk monitor --state monitor_state --export-case ACCOUNT -o case.zip
"""


def _add_list_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--allow-list", type=Path, help="allow phrases (plain text or .json): neutralised before scoring")
    parser.add_argument("--deny-list", type=Path, help="deny phrases (plain text or .json; optional TAB level): force a level")


def positive_int(value: str) -> int:
    """argparse type: a whole number ≥ 1 (a bad value is a usage error, exit 2, like any other)."""
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number ≥ 1, got {value!r}") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number ≥ 1, got {number}")
    return number


def positive_seconds(value: str) -> float:
    """argparse type of the service's timeouts: a finite number of seconds > 0 (0 would time out every request)."""
    import math

    try:
        seconds = float(value)
    except ValueError:
        seconds = math.nan
    if not (math.isfinite(seconds) and seconds > 0):
        raise argparse.ArgumentTypeError(f"expected a number of seconds > 0, got {value!r}")
    return seconds


def _field_list(value: str) -> tuple[str, ...]:
    """argparse type of --keep-fields: comma-separated names."""
    names = tuple(name.strip() for name in value.split(","))
    if not all(names):
        raise argparse.ArgumentTypeError(f"expected comma-separated field names, got {value!r}")
    return names


class _VersionAction(argparse.Action):
    """``--version``: the package version, the kernels this install runs (compiled ahead of time, or numba at
    run time — the first is what a platform wheel gives; the second costs ~0.5 s of start-up per process) and the
    default model's id."""

    def __call__(self, parser, namespace, values, option_string=None):
        import warnings

        from mlmrisk.classifier import compiled

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a stale build is named in the line below, not warned about
            try:
                kernels = compiled.describe()
            except MlmriskError as exc:
                parser.exit(2, f"mlmrisk {__version__}: {exc}\n")
        print(f"mlmrisk {__version__} (kernels: {kernels}; default model: {_default_model_id()})")
        parser.exit()


def _default_model_id() -> str:
    """The id of the model ``mlmrisk score`` uses without ``--model`` (``$MLMRISK_MODEL`` or the shipped one): the
    package version and the model version move apart (a retrained model, an older package), and a scored archive
    names the model, so ``--version`` names it too. A missing or damaged model is reported, not raised."""
    import orjson

    from mlmrisk.classifier.manifest import model_id
    from mlmrisk.resources import default_model_dir

    manifest = default_model_dir() / "manifest.json"
    try:
        return model_id(orjson.loads(manifest.read_bytes()))
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        return f"unreadable ({manifest}: {exc})"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mlmrisk", description="Pyramid-scheme (传销) promotion risk index for Chinese text.",
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=EXAMPLES)
    parser.add_argument("--version", action=_VersionAction, nargs=0, help="show the version and which kernels run, and exit")
    sub = parser.add_subparsers(dest="command", required=True)

    score = sub.add_parser("score", help="score a file of posts (JSONL, CSV, Parquet, text; gzip/zstd)",
                           formatter_class=argparse.RawDescriptionHelpFormatter, epilog=EXAMPLES)
    score.add_argument("input", help="input file, or - for stdin")
    score.add_argument("-o", "--output", required=True, help="output file (.jsonl, .csv, .parquet), or - for stdout")
    score.add_argument("--model", type=Path, help="model directory (default: the shipped models/default)")
    score.add_argument("--input-format", choices=["jsonl", "ndjson", "csv", "tsv", "parquet", "txt", "text"],
                       help="default: from the suffix (txt and text are one format, one post per line; the summary "
                            "names it text)")
    score.add_argument("--output-format", choices=["jsonl", "csv", "tsv", "parquet"], help="default: from the suffix")
    score.add_argument("--text-field", default="text", help="field holding the post text (default: text)")
    score.add_argument("--id-field", help="field holding the record id (default: id if present, else the record number)")
    score.add_argument("--keep-fields", type=_field_list, default=(), metavar="A,B,…",
                       help="input fields to copy into every output row, e.g. account,time,url")
    score.add_argument("--encoding", default="auto",
                       help="text encoding of JSONL/CSV/TSV/text input: auto (default: BOM, then UTF-8, GB18030/GBK, "
                            "Big5), or a name such as utf-8, gbk, big5, utf-16")
    score.add_argument("--workers", type=positive_int, default=1, help="processes, one per core (default: 1)")
    score.add_argument("--only-flagged", action="store_true", help="write only flagged posts (bad records still go to the summary and --rejects)")
    score.add_argument("--resume", action="store_true", help="continue an interrupted run of the same job")
    score.add_argument("--rejects", type=Path, help="also write bad records here (JSONL)")
    score.add_argument("--chunk-size", type=positive_int, default=8192, help="records per work unit / checkpoint")
    progress = score.add_mutually_exclusive_group()
    progress.add_argument("--progress", dest="progress", action="store_true", default=None, help="always show the progress bar")
    progress.add_argument("--no-progress", dest="progress", action="store_false", help="never show the progress bar")
    _add_list_options(score)

    explain = sub.add_parser("explain", help="show why a text scores as it does")
    explain.add_argument("text", help="the text, or - to read it from stdin")
    explain.add_argument("--model", type=Path, help="model directory (default: $MLMRISK_MODEL if set, else the shipped model)")
    explain.add_argument("--top", type=positive_int, default=12, help="how many top-weighted n-grams to list")
    explain.add_argument("--json", action="store_true", help="print JSON instead of coloured text")
    explain.add_argument("--color", choices=["auto", "always", "never"], default="auto")
    _add_list_options(explain)

    info = sub.add_parser("info", help="describe a model directory")
    info.add_argument("--model", type=Path, help="model directory (default: $MLMRISK_MODEL if set, else the shipped model)")

    train = sub.add_parser("train", help="build a model from the shared data folder, the project's written corpus and "
                                         "synthetic posts, and/or your own labelled files")
    train.add_argument("config", nargs="?", type=Path,
                       help="training configuration (TOML; write one with `mlmrisk init-config`); default: built-in defaults")
    train.add_argument("--output", type=Path, help="model directory to write (a new or empty directory; default: [system] output)")
    train.add_argument("--force", action="store_true", help="replace the model already in --output")
    train.add_argument("--shared-data", type=Path, help="the shared data folder (default: $MLMRISK_SHARED_DATA, "
                       "else ../shared/data beside the checkout)")
    train.add_argument("--no-shared", action="store_true", help="do not use the shared data folder")
    train.add_argument("--data", type=Path, action="append", default=[], help="extra labelled file (.jsonl/.csv/.parquet), repeatable")
    train.add_argument("--text-field", default="text", help="text field of --data files (default: text)")
    train.add_argument("--label-field", default="label", help="0/1 MLM label field of --data files")
    train.add_argument("--elements-field", help="list-of-elements field of --data files (lart, fee, team, ponzi)")
    train.add_argument("--set", dest="overrides", action="append", default=[], metavar="SECTION.KEY=VALUE",
                       help="override a setting, e.g. --set mix.synthetic_n=20000 --set 'fit.C_grid=[2,8]' (TOML values)")

    init_config = sub.add_parser("init-config", help="write the default training configuration (commented TOML)")
    init_config.add_argument("path", nargs="?", type=Path, default=Path("mlmrisk.toml"), help="default: mlmrisk.toml")
    init_config.add_argument("--force", action="store_true", help="replace an existing file")

    review = sub.add_parser("review", help="the review queue: pick posts for human labels, read the labels back")
    review_sub = review.add_subparsers(dest="review_command", required=True)
    select = review_sub.add_parser("select", help="pick posts worth a human look from `mlmrisk score` output")
    select.add_argument("scored", type=Path, help="scored records (.jsonl or .parquet from `mlmrisk score`)")
    select.add_argument("--budget", type=positive_int, default=500, help="how many posts to pick (default: 500)")
    select.add_argument("-o", "--output", type=Path, required=True, help="the queue (JSONL, one picked post per line)")
    select.add_argument("--texts", type=Path, help="the scored posts' texts (.jsonl/.csv/.parquet), joined by id; "
                        "not needed when the scored file kept the text (`score --keep-fields text`)")
    select.add_argument("--text-field", default="text", help="text field of --texts or of the scored records")
    select.add_argument("--id-field", default="id", help="id field of --texts (default: id)")
    select.add_argument("--model", type=Path, help="the model that scored the file (novelty; default: the shipped model)")
    select.add_argument("--seed", type=int, default=0, help="seed of the random control slice")
    select.add_argument("--random-share", type=float, default=0.1, help="share of the budget picked at random (default 0.1)")
    select.add_argument("--label-studio", type=Path, help="also write Label Studio tasks (JSON) with evidence pre-annotated")
    select.add_argument("--csv", type=Path, help="also write a CSV for spreadsheet review")
    imp = review_sub.add_parser("import", help="read reviewers' labels (Label Studio JSON export or CSV) into a labelled file")
    imp.add_argument("export", type=Path, nargs="+", help="Label Studio JSON export(s) or CSV file(s)")
    imp.add_argument("-o", "--output", type=Path, required=True, help="labelled JSONL for `mlmrisk train --data`")

    compare = sub.add_parser("compare", help="champion vs challenger on the same labelled texts")
    compare.add_argument("champion", type=Path, help="model directory A (the model in use)")
    compare.add_argument("challenger", type=Path, help="model directory B (the candidate)")
    compare.add_argument("--data", type=Path, action="append", required=True, help="labelled file (.jsonl/.csv/.parquet), repeatable")
    compare.add_argument("-o", "--output", type=Path, required=True, help="directory for compare.md, compare.json, compare.html")
    compare.add_argument("--text-field", default="text", help="text field of --data files (default: text)")
    compare.add_argument("--label-field", default="label", help="0/1 label field of --data files (default: label)")
    compare.add_argument("--fpr-budget", type=float, help="false-positive budget for the recall comparison "
                         "(default: the champion's thresholds.max_benign_fpr, else 0.01)")

    evaluate = sub.add_parser("evaluate", help="quality report of a model on held-out and evaluation data")
    evaluate.add_argument("--model", type=Path, help="model directory (default: $MLMRISK_MODEL if set, else the shipped model)")
    evaluate.add_argument("--shared-data", type=Path, help="the shared data folder (default: $MLMRISK_SHARED_DATA, "
                          "else ../shared/data beside the checkout)")
    evaluate.add_argument("--no-shared", action="store_true", help="evaluate on --data files only")
    evaluate.add_argument("--data", type=Path, action="append", default=[], help="extra labelled file to evaluate on")
    evaluate.add_argument("--text-field", default="text", help="text field of --data files (default: text)")
    evaluate.add_argument("--label-field", default="label", help="0/1 label field of --data files (default: label)")
    evaluate.add_argument("--json", action="store_true", help="print JSON")
    monitor = sub.add_parser("monitor", help="account and channel monitoring: risk index per account, networks, alerts, report")
    monitor.add_argument("inputs", nargs="*", help="post files (JSONL, CSV, Parquet; gzip/zstd), plain or already scored")
    monitor.add_argument("--state", type=Path, required=True, help="state directory (DuckDB state and the outputs)")
    monitor.add_argument("--account-field", default="account")
    monitor.add_argument("--time-field", default="time", help="ISO 8601 time field (default: time)")
    monitor.add_argument("--text-field", default="text")
    monitor.add_argument("--id-field", default="id")
    monitor.add_argument("--channel-field", default="channel")
    monitor.add_argument("--model", type=Path, help="model directory for posts that are not yet scored")
    monitor.add_argument("--alert-tier", choices=["watch", "light", "medium", "severe"], default="light",
                         help="lowest tier that raises an alert (default: light)")
    monitor.add_argument("--no-report", action="store_true", help="do not write report.html")
    monitor.add_argument("--export-case", metavar="ACCOUNT", help="write the evidence package of ACCOUNT to -o")
    monitor.add_argument("-o", "--output", type=Path, help="with --export-case: a .zip file or a directory")
    _add_platform_commands(sub)
    return parser


def _add_platform_commands(sub: argparse._SubParsersAction) -> None:
    """``serve`` (HTTP service, docs/integrations/http.md) and ``spark`` (docs/integrations/spark.md)."""
    serve = sub.add_parser("serve", help="HTTP scoring service (needs the serve extra)")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1; any other needs a token)")
    serve.add_argument("--port", type=positive_int, default=8080)
    serve.add_argument("--workers", type=positive_int, default=1, help="processes, one model each (default: 1)")
    serve.add_argument("--model", type=Path)
    serve.add_argument("--token-file", type=Path, help="file whose first line is the bearer token (else $MLMRISK_TOKEN)")
    serve.add_argument("--max-items", type=positive_int, default=1000, help="items per /v1/score request (default: 1000)")
    serve.add_argument("--max-body-bytes", type=positive_int, default=8 << 20, help="request body limit (default: 8 MiB)")
    serve.add_argument("--timeout", type=positive_seconds, default=30.0, help="per-request scoring timeout in seconds (default: 30)")
    serve.add_argument("--read-timeout", type=positive_seconds, default=30.0,
                       help="seconds a client may take to send a request body; then 408 (default: 30)")
    serve.add_argument("--max-connections", type=positive_int, default=1000,
                       help="requests handled at once per worker; more get 503 at once (default: 1000)")
    serve.add_argument("--graceful-timeout", type=float, default=30.0, help="seconds to finish in-flight requests on SIGTERM")
    serve.add_argument("--no-access-log", action="store_true", help="no JSON access-log lines on stderr")
    _add_list_options(serve)

    spark = sub.add_parser("spark", help="score a file with Spark into Parquet (needs the spark extra and Java 17+)")
    spark.add_argument("input", help="JSONL, CSV or Parquet file (or a directory of them, or a URI Spark reads)")
    spark.add_argument("-o", "--output", required=True, help="Parquet output directory (Spark writes part files)")
    spark.add_argument("--master", default=None, help="Spark master (default: local[2], or what spark-submit set)")
    spark.add_argument("--input-format", choices=["jsonl", "csv", "parquet"], help="default: from the suffix")
    spark.add_argument("--text-field", default="text")
    spark.add_argument("--id-field")
    spark.add_argument("--model", type=Path, help="model directory, visible to every executor (default: the shipped model)")
    spark.add_argument("--mode", choices=["error", "overwrite"], default="error", help="when the output exists")
    _add_list_options(spark)


def _extra_missing(extra: str, modules: tuple[str, ...]) -> str | None:
    import importlib.util

    for name in modules:
        if importlib.util.find_spec(name) is None:
            return f"{name} is not installed: `mlmrisk {extra}` needs pip install 'mlmrisk[{extra}]'"
    return None


def cmd_serve(args: argparse.Namespace) -> int:
    missing = _extra_missing("serve", ("fastapi", "uvicorn", "prometheus_client"))
    if missing:
        raise MlmriskError(missing)
    from mlmrisk.serving.service import ServiceSettings, serve

    settings = ServiceSettings(
        model_dir=str(args.model) if args.model else None, token_file=str(args.token_file) if args.token_file else None,
        allow_list=str(args.allow_list) if args.allow_list else None,
        deny_list=str(args.deny_list) if args.deny_list else None, max_items=args.max_items,
        max_body_bytes=args.max_body_bytes, request_timeout=args.timeout, read_timeout=args.read_timeout,
        max_connections=args.max_connections, access_log=not args.no_access_log)
    try:
        serve(args.host, args.port, settings, workers=args.workers, graceful_seconds=args.graceful_timeout)
    except (PermissionError, ValueError, OSError) as exc:
        raise MlmriskError(str(exc)) from None
    return EXIT_OK


def cmd_spark(args: argparse.Namespace) -> int:
    missing = _extra_missing("spark", ("pyspark", "pandas"))
    if missing:
        raise MlmriskError(missing)
    from mlmrisk.serving.spark import score_path

    summary = score_path(args.input, args.output, master=args.master, input_format=args.input_format,
                         text_field=args.text_field, id_field=args.id_field, model_dir=args.model,
                         allow=args.allow_list, deny=args.deny_list, mode=args.mode)
    print(json.dumps(summary, ensure_ascii=False), file=sys.stderr)
    return EXIT_BAD_RECORDS if summary.get("bad") else EXIT_OK


def cmd_monitor(args: argparse.Namespace) -> int:
    for module in ("duckdb", "plotly"):
        try:
            __import__(module)
        except ImportError:
            raise MlmriskError(f"{module} is not installed: monitoring needs the extra, "
                               "`pip install 'mlmrisk[monitor]'` (from a checkout: `pip install -e '.[monitor]'`)") from None
    if args.export_case:
        if args.output is None:
            raise MlmriskError("--export-case needs -o case.zip or -o DIR")
        from mlmrisk.serving.monitor.case import export_case

        print(json.dumps(export_case(args.state, args.export_case, args.output), ensure_ascii=False), file=sys.stderr)
        return EXIT_OK
    if not args.inputs:
        raise MlmriskError("give post files to monitor, or --export-case ACCOUNT -o OUT")
    from mlmrisk.serving.monitor.ingest import FieldMap
    from mlmrisk.serving.monitor.run import run_monitor

    fields = FieldMap(account=args.account_field, time=args.time_field, text=args.text_field, id=args.id_field,
                      channel=args.channel_field)
    summary = run_monitor(args.inputs, args.state, fields=fields, model_dir=args.model, report=not args.no_report,
                          alert_tier=args.alert_tier)
    print(json.dumps(summary, ensure_ascii=False), file=sys.stderr)
    return EXIT_OK


def cmd_score(args: argparse.Namespace) -> int:
    from mlmrisk.serving.bulk import score_file

    summary = score_file(
        args.input, args.output, model_dir=args.model, input_format=args.input_format,
        output_format=args.output_format, text_field=args.text_field, id_field=args.id_field,
        keep_fields=args.keep_fields, encoding=args.encoding, workers=args.workers, only_flagged=args.only_flagged,
        resume=args.resume, rejects_path=args.rejects,
        allow=args.allow_list, deny=args.deny_list, chunk_size=args.chunk_size, progress=args.progress,
        dedicated_process=True,  # this process exists for the job: it may freeze and trim its own heap
    )
    print(json.dumps(summary.to_dict(), ensure_ascii=False), file=sys.stderr)
    return EXIT_BAD_RECORDS if summary.bad else EXIT_OK


def _use_color(choice: str) -> bool:
    if choice == "always":
        return True
    if choice == "never" or os.environ.get("NO_COLOR"):
        return False
    return sys.stdout.isatty()


def cmd_explain(args: argparse.Namespace) -> int:
    from mlmrisk.serving.explain import render_explanation
    from mlmrisk.serving.scorer import Scorer

    text = sys.stdin.read() if args.text == "-" else args.text
    scorer = Scorer.load(args.model, allow=args.allow_list, deny=args.deny_list)
    explanation = scorer.explain(text, top=args.top)
    if args.json:
        payload = {"result": explanation["result"].to_dict(), "normalized": explanation["normalized"],
                   "discussion": explanation["discussion"], "features": explanation["features"]}
        print(json.dumps(payload, ensure_ascii=False, indent=1))
    else:
        print(render_explanation(text, explanation, color=_use_color(args.color)))
    return EXIT_OK


def cmd_info(args: argparse.Namespace) -> int:
    from mlmrisk.serving.scorer import Scorer

    scorer = Scorer.load(args.model)
    manifest = scorer.manifest
    print(json.dumps({
        "model_dir": str(scorer.model_dir), "model_id": scorer.model_id, "created": manifest.get("created"),
        "onnx_sha256": manifest["onnx"]["sha256"], "heads": manifest["heads"], "thresholds": manifest["thresholds"],
        "metrics": manifest.get("metrics"), "hyperparameters": manifest.get("hyperparameters"),
        "data": manifest.get("data", {}).get("summary"),
    }, ensure_ascii=False, indent=1))
    return EXIT_OK


def _training_modules() -> None:
    """Fail with the install command, not a traceback, when the training extras are missing."""
    try:
        import onnx  # noqa: F401
        import sklearn  # noqa: F401
    except ImportError as exc:
        raise MlmriskError(f"{exc.name} is not installed: training and evaluation need the extras, "
                           "`pip install 'mlmrisk[train]'` (from a checkout: `pip install -e '.[train]'`)") from None


def _check_output_dir(output: Path, force: bool) -> None:
    """Never write over a model, the shipped one least of all, unless told to."""
    from mlmrisk.resources import package_path

    if output.exists() and not output.is_dir():
        raise MlmriskError(f"--output {output} exists and is not a directory")
    if output.is_dir() and any(output.iterdir()) and not force:
        shipped = package_path("mlmrisk.models", "default")
        what = "the shipped default model" if output.resolve() == shipped.resolve() else "a non-empty directory"
        raise MlmriskError(f"--output {output} is {what}; choose a new directory, or add --force to replace it")


def cmd_train(args: argparse.Namespace) -> int:
    _training_modules()
    import dataclasses

    from mlmrisk.training.config import apply_overrides, load_config
    from mlmrisk.training.fit import TrainConfig, train

    config = load_config(args.config)
    # command-line paths are relative to the working directory, a config file's to the file: stored absolute, the
    # run's config.toml rebuilds the model from anywhere (`mlmrisk train MODEL/config.toml --output NEW`)
    if args.shared_data:
        config.shared_data = str(Path(args.shared_data).absolute())
    if args.no_shared:
        config.shared_data = None
    config.extra_data = list(config.extra_data) + [
        {"path": str(Path(p).absolute()), "text_field": args.text_field, "label_field": args.label_field,
         "elements_field": args.elements_field} for p in args.data]
    config = TrainConfig(**apply_overrides(dataclasses.asdict(config), args.overrides))
    if args.output is None and not config.output:
        raise MlmriskError("no output directory: give --output DIR (or set [system] output in the config)")
    args.output = args.output or Path(config.output)
    config.output = str(args.output)
    for extra in config.extra_data:
        if not Path(extra["path"]).is_file():
            raise MlmriskError(f"data file {extra['path']} does not exist; expected a labelled .jsonl/.csv/.parquet")
    if config.shared_data and not Path(config.shared_data).is_dir():
        raise MlmriskError(f"shared data folder {config.shared_data} does not exist; pass --shared-data PATH, "
                           "or --no-shared with --data FILE")
    if not config.shared_data and not config.extra_data:
        raise MlmriskError("nothing to train on: give --data FILE or a shared data folder")
    _check_output_dir(args.output, args.force)
    train(config, args.output)
    return EXIT_OK


def cmd_evaluate(args: argparse.Namespace) -> int:
    _training_modules()
    from mlmrisk.serving.scorer import Scorer
    from mlmrisk.training.data import DEFAULT_SHARED_DATA
    from mlmrisk.training.evaluate import evaluate_model

    shared = None if args.no_shared else (args.shared_data or DEFAULT_SHARED_DATA)
    if shared is not None and not Path(shared).is_dir():
        raise MlmriskError(f"shared data folder {shared} does not exist; pass --shared-data PATH or --no-shared")
    extra = [{"path": str(p), "text_field": args.text_field, "label_field": args.label_field} for p in args.data]
    report = evaluate_model(Scorer.load(args.model), shared, extra)
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=1))
        return EXIT_OK
    print(f"model {report['model']}  thresholds {json.dumps(report['thresholds'])}")
    print(f"{'data':28} {'n':>7} {'pos':>5} | {'model P/R/FPR':>22} | {'strict P/R/FPR':>22} | {'broad P/R/FPR':>22}")
    for name, section in report["sections"].items():
        if "model" not in section:
            print(f"{name:28} {section['note']}")
            continue
        cells = [f"{section[w]['precision']:.3f}/{section[w]['recall']:.3f}/{section[w]['fpr']:.4f}"
                 for w in ("model", "keywords_strict", "keywords_broad")]
        print(f"{name:28} {section['model']['n']:>7} {section['model']['positives']:>5} | "
              + " | ".join(f"{c:>22}" for c in cells))
        by_kind = section.get("negatives_by_kind")
        if by_kind:
            print(f"{'':28} negatives flagged by kind: "
                  + ", ".join(f"{kind} {v['flagged']}/{v['n']}" for kind, v in by_kind.items()))
    return EXIT_OK


def _output_file(path: Path | None, what: str, inputs: tuple = ()) -> None:
    """One line instead of a traceback for an output file the command cannot or must not write: a missing
    directory, a directory, a symlink, a device (``serving.writers.check_output_path``), or one of its inputs."""
    if path is None:
        return
    from mlmrisk.serving.writers import check_output_path

    check_output_path(path, what)
    target = Path(path).resolve()
    for given in inputs:
        if given is not None and Path(given).exists() and Path(given).resolve() == target:
            raise MlmriskError(f"{what} {str(path)!r} is one of the inputs; choose another path")


def cmd_init_config(args: argparse.Namespace) -> int:
    _training_modules()
    from mlmrisk.training.config import write_default_config

    _output_file(args.path, "config file")
    path = write_default_config(args.path, force=args.force)
    print(f"wrote {path}; train with: mlmrisk train {path} --output models/NAME", file=sys.stderr)
    return EXIT_OK


def cmd_review(args: argparse.Namespace) -> int:
    from mlmrisk.serving import review

    if args.review_command == "import":
        _output_file(args.output, "output", tuple(args.export))
        summary = review.import_labels(args.export, args.output)
        print(json.dumps(summary, ensure_ascii=False), file=sys.stderr)
        return EXIT_OK
    if not 0 <= args.random_share <= 1:
        raise MlmriskError(f"--random-share must be in [0, 1], got {args.random_share}")
    from mlmrisk.serving.scorer import Scorer

    inputs = (args.scored, args.texts)
    outputs = [(path, what) for path, what in ((args.output, "output"), (args.label_studio, "--label-studio file"),
                                               (args.csv, "--csv file")) if path is not None]
    for path, what in outputs:
        _output_file(path, what, inputs)
    targets = [Path(path).absolute() for path, _ in outputs]
    if len(set(targets)) < len(targets):
        raise MlmriskError("-o, --label-studio and --csv must be different files")
    summary = review.select_file(
        args.scored, args.output, scorer=Scorer.load(args.model), budget=args.budget, texts_path=args.texts,
        text_field=args.text_field, id_field=args.id_field, seed=args.seed, random_share=args.random_share,
        label_studio=args.label_studio, csv_path=args.csv)
    print(json.dumps(summary, ensure_ascii=False), file=sys.stderr)
    return EXIT_OK


def cmd_compare(args: argparse.Namespace) -> int:
    from mlmrisk.serving.compare import compare_models
    from mlmrisk.serving.scorer import Scorer

    if args.fpr_budget is not None and not 0 < args.fpr_budget < 1:
        raise MlmriskError(f"--fpr-budget must be in (0, 1), got {args.fpr_budget}")
    out = Path(args.output)
    if out.exists() and not out.is_dir():
        raise MlmriskError(f"-o {str(out)!r} is a file; compare writes a directory (compare.json, compare.md, …)")
    if not out.absolute().parent.is_dir():
        raise MlmriskError(f"the directory {str(out.absolute().parent)!r} does not exist; create it first")
    result = compare_models(Scorer.load(args.champion), Scorer.load(args.challenger), args.data, args.output,
                            text_field=args.text_field, label_field=args.label_field, fpr_budget=args.fpr_budget)
    print(result["markdown"])
    return EXIT_OK


COMMANDS = {"score": cmd_score, "explain": cmd_explain, "info": cmd_info, "train": cmd_train, "evaluate": cmd_evaluate,
            "init-config": cmd_init_config, "review": cmd_review, "compare": cmd_compare, "serve": cmd_serve,
            "spark": cmd_spark, "monitor": cmd_monitor}


#: commands whose work is scoring only: no linear algebra, so OpenBLAS gets one thread (``_single_blas_thread``)
SCORING_COMMANDS = frozenset({"score", "explain", "info", "serve", "monitor", "review"})


def _single_blas_thread() -> None:
    """Give OpenBLAS one thread, before numpy loads it, unless the user chose a number.

    Scoring never calls BLAS, yet numpy's OpenBLAS starts a thread per further core that spins before it sleeps:
    in `mlmrisk score --workers 1` over 300k posts that thread used ~0.1 s of CPU (per-thread CPU time from
    /proc), time the other worker of a two-worker run on two cores then does not get. Training commands keep the
    default: scikit-learn's solvers use BLAS. (``main()`` called in a program that has not imported numpy yet sets
    the variable in that program's environment too.)
    """
    if "numpy" not in sys.modules:
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command in SCORING_COMMANDS:
        _single_blas_thread()
    try:
        return COMMANDS[args.command](args)
    except MlmriskError as exc:
        if os.environ.get("MLMRISK_DEBUG"):
            traceback.print_exc()
        print(f"mlmrisk {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print(f"mlmrisk {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # `mlmrisk score … -o - | head`: the reader went away; not an error of ours.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
