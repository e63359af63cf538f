"""Where a bulk post's time goes, phase by phase, beside the keyword filter's own phases, on the same lines.

    python benchmarks/bench_phases.py                          # 100k real short posts, chunks of 8,192, 5 repeats
    python benchmarks/bench_phases.py --long --posts 20000     # the long posts of bench_throughput's archive

``mlmrisk score`` spends a chunk's time in: parsing its JSONL lines (``readers._parse_jsonl``), normalising
(``normalize_batch``), the hot-path kernel (``HotPath.best_passages``), the rest of ``Scorer.score_batch`` (risk,
levels, and the full path for the posts at or above the watch threshold), and encoding the part
(``bulk._clean_payload``). The keyword filter (``keyword_filter.py``) spends it in ``orjson.loads``, the automaton
and ``orjson.dumps``. Every phase of both runs here on the same lines, in the same process, interleaved (the order
rotates every repeat), timed in thread CPU time (``time.thread_time``: on a shared machine wall time mostly
measures waiting for a core), median over repeats, in µs per post. What it leaves out: start-up, reading and
splitting the file, writing parts and assembling the output (``bench_throughput.py`` measures the whole run). Only
ratios within one run mean anything; the README's benchmark section quotes them per machine.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("MLMRISK_SHARED_DATA", REPO.parent / "shared" / "data"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from report import emit  # noqa: E402  (benchmarks/report.py, beside this file)


def archive_lines(args: argparse.Namespace) -> list[bytes]:
    """JSONL lines of real posts: bench_throughput's archive builder, so both benchmarks read the same posts."""
    import bench_throughput

    kind = "long" if args.long else "short"
    out = Path(args.work) / kind  # a folder per kind: build_archives writes both files, the other one tiny
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{kind}.jsonl"
    if not path.is_file() or sum(1 for _ in open(path, "rb")) < args.posts:
        bench_throughput.build_archives(SHARED, out, 1 if args.long else args.posts, args.posts if args.long else 1)
    with open(path, "rb") as f:
        return [line for line, _ in zip(f, range(args.posts))]


def measure(args: argparse.Namespace) -> dict:
    import ahocorasick
    import orjson

    from mlmrisk.classifier.normalize import normalize_batch
    from mlmrisk.serving.bulk import _clean_payload
    from mlmrisk.serving.formats import FORMATS
    from mlmrisk.serving.readers import _parse_jsonl
    from mlmrisk.serving.scorer import Scorer

    import bench_throughput

    lines = archive_lines(args)
    chunks = [lines[i : i + args.chunk] for i in range(0, len(lines), args.chunk)]
    scorer = Scorer.load(args.model)
    automaton = ahocorasick.Automaton()
    for word in bench_throughput.keyword_list(SHARED):
        automaton.add_word(word, word)
    automaton.make_automaton()
    jsonl = FORMATS["jsonl"]
    parsed = [_parse_jsonl(chunk, 1, "text", None) for chunk in chunks]
    columns = [p.columns for p in parsed]
    if any(c is None for c in columns):
        sys.exit("the archive holds lines the clean-chunk path does not take; these phases would not describe it")
    normalised = [normalize_batch(c[2], scorer.tables) for c in columns]
    scored = [scorer.score_batch(c[2]) for c in columns]  # also opens the full path before anything is timed
    decoded = [list(map(orjson.loads, chunk)) for chunk in chunks]

    def filter_match() -> None:
        for objs in decoded:
            for record in objs:
                [word for _, word in automaton.iter(record["text"])]

    def filter_dump() -> None:
        opts = orjson.OPT_APPEND_NEWLINE
        for objs in decoded:
            b"".join([orjson.dumps({"id": r.get("id"), "hits": []}, option=opts) for r in objs])

    phases: dict[str, Callable[[], object]] = {
        "mlmrisk: parse JSONL": lambda: [_parse_jsonl(chunk, 1, "text", None) for chunk in chunks],
        "mlmrisk: normalise": lambda: [normalize_batch(c[2], scorer.tables) for c in columns],
        "mlmrisk: hot-path kernel": lambda: [scorer.hot.best_passages(b) for b in normalised],
        "mlmrisk: score_batch (all of scoring)": lambda: [scorer.score_batch(c[2]) for c in columns],
        "mlmrisk: encode the part": lambda: [_clean_payload(jsonl, (), s, c[0], c[1]) for s, c in zip(scored, columns)],
        "filter: orjson.loads": lambda: [list(map(orjson.loads, chunk)) for chunk in chunks],
        "filter: automaton, all hits": filter_match,
        "filter: orjson.dumps": filter_dump,
    }
    times: dict[str, list[float]] = {name: [] for name in phases}
    names = list(phases)
    for repeat in range(args.repeats):
        for name in names[repeat % len(names):] + names[: repeat % len(names)]:
            start = time.thread_time()
            phases[name]()
            times[name].append((time.thread_time() - start) / len(lines) * 1e6)
    us = {name: round(statistics.median(values), 3) for name, values in times.items()}
    scoring = us["mlmrisk: score_batch (all of scoring)"]
    us["mlmrisk: rest of score_batch"] = round(scoring - us["mlmrisk: normalise"] - us["mlmrisk: hot-path kernel"], 3)
    mlmrisk = us["mlmrisk: parse JSONL"] + scoring + us["mlmrisk: encode the part"]
    keyword = us["filter: orjson.loads"] + us["filter: automaton, all hits"] + us["filter: orjson.dumps"]
    return {"posts": len(lines), "chunk": args.chunk, "repeats": args.repeats, "kind": "long" if args.long else "short",
            "us_per_post": us, "mlmrisk_phases_total": round(mlmrisk, 3), "filter_phases_total": round(keyword, 3),
            "filter_vs_mlmrisk": round(keyword / mlmrisk, 3)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--long", action="store_true", help="long posts (case facts, long reviews) instead of short")
    parser.add_argument("--chunk", type=int, default=8192, help="posts per chunk, as `mlmrisk score` reads them")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--model", default=None, help="model directory (default: the shipped model)")
    parser.add_argument("--work", default=str(REPO / "benchmarks" / "out" / "phases"), help="where the archive goes")
    parser.add_argument("--out", default=None, help="also write the results to this JSON file")
    args = parser.parse_args(argv)
    if not SHARED.is_dir():
        sys.exit(f"needs the real posts of {SHARED} (set MLMRISK_SHARED_DATA)")
    emit(measure(args), args.out)


if __name__ == "__main__":
    main()
