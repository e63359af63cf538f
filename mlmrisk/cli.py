"""The ``mlmrisk`` command: ``score | explain | info | train | evaluate``.

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
  mlmrisk evaluate --model models/default
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


def _field_list(value: str) -> tuple[str, ...]:
    """argparse type of --keep-fields: comma-separated names."""
    names = tuple(name.strip() for name in value.split(","))
    if not all(names):
        raise argparse.ArgumentTypeError(f"expected comma-separated field names, got {value!r}")
    return names


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mlmrisk", description="Pyramid-scheme (传销) promotion risk index for Chinese text.",
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=EXAMPLES)
    parser.add_argument("--version", action="version", version=f"mlmrisk {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    score = sub.add_parser("score", help="score a file of posts (JSONL, CSV, Parquet, text; gzip/zstd)",
                           formatter_class=argparse.RawDescriptionHelpFormatter, epilog=EXAMPLES)
    score.add_argument("input", help="input file, or - for stdin")
    score.add_argument("-o", "--output", required=True, help="output file (.jsonl, .csv, .parquet), or - for stdout")
    score.add_argument("--model", type=Path, help="model directory (default: the shipped models/default)")
    score.add_argument("--input-format", choices=["jsonl", "csv", "tsv", "parquet", "txt"], help="default: from the suffix")
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
    explain.add_argument("--model", type=Path)
    explain.add_argument("--top", type=positive_int, default=12, help="how many top-weighted n-grams to list")
    explain.add_argument("--json", action="store_true", help="print JSON instead of coloured text")
    explain.add_argument("--color", choices=["auto", "always", "never"], default="auto")
    _add_list_options(explain)

    info = sub.add_parser("info", help="describe a model directory")
    info.add_argument("--model", type=Path)

    train = sub.add_parser("train", help="rebuild a model from ../shared/data and/or your own labelled files")
    train.add_argument("--output", type=Path, required=True, help="model directory to write (a new or empty directory)")
    train.add_argument("--force", action="store_true", help="replace the model already in --output")
    train.add_argument("--shared-data", type=Path, help="the shared data folder (default: ../shared/data)")
    train.add_argument("--no-shared", action="store_true", help="do not use the shared data folder")
    train.add_argument("--data", type=Path, action="append", default=[], help="extra labelled file (.jsonl/.csv/.parquet), repeatable")
    train.add_argument("--text-field", default="text")
    train.add_argument("--label-field", default="label", help="0/1 MLM label field of --data files")
    train.add_argument("--elements-field", help="list-of-elements field of --data files (lart, fee, team, ponzi)")
    train.add_argument("--set", dest="overrides", action="append", default=[], metavar="NAME=VALUE",
                       help="override a TrainConfig setting, e.g. --set synthetic_n=20000 --set 'C_grid=[2,8]'")

    evaluate = sub.add_parser("evaluate", help="quality report of a model on held-out and evaluation data")
    evaluate.add_argument("--model", type=Path)
    evaluate.add_argument("--shared-data", type=Path)
    evaluate.add_argument("--no-shared", action="store_true")
    evaluate.add_argument("--data", type=Path, action="append", default=[], help="extra labelled file to evaluate on")
    evaluate.add_argument("--text-field", default="text")
    evaluate.add_argument("--label-field", default="label")
    evaluate.add_argument("--json", action="store_true", help="print JSON")
    return parser


def cmd_score(args: argparse.Namespace) -> int:
    from mlmrisk.serving.bulk import score_file

    summary = score_file(
        args.input, args.output, model_dir=args.model, input_format=args.input_format,
        output_format=args.output_format, text_field=args.text_field, id_field=args.id_field,
        keep_fields=args.keep_fields, encoding=args.encoding, workers=args.workers, only_flagged=args.only_flagged,
        resume=args.resume, rejects_path=args.rejects,
        allow=args.allow_list, deny=args.deny_list, chunk_size=args.chunk_size, progress=args.progress,
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
                   "features": explanation["features"]}
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
                           "`pip install -e '.[train]'`") from None


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
    from mlmrisk.training.fit import TrainConfig, train

    config = TrainConfig()
    if args.shared_data:
        config.shared_data = str(args.shared_data)
    if args.no_shared:
        config.shared_data = None
    config.extra_data = [{"path": str(p), "text_field": args.text_field, "label_field": args.label_field,
                          "elements_field": args.elements_field} for p in args.data]
    try:
        config = config.override(args.overrides)
    except ValueError as exc:
        raise MlmriskError(str(exc)) from None
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
    return EXIT_OK


COMMANDS = {"score": cmd_score, "explain": cmd_explain, "info": cmd_info, "train": cmd_train, "evaluate": cmd_evaluate}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
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
