"""What the hot-path kernel's weight table costs: the same real posts scored against tables of 2^bits rows.

    python benchmarks/bench_hot_table.py                     # 32,768 real short posts, bits 14..22, 7 repeats
    python benchmarks/bench_hot_table.py --bits 18 20 --repeats 11

The kernel (``classifier.kernels.best_passage_logits``, as compiled into the package) hashes every n-gram of a post
and reads one row of ``(idf·β, idf², idf·γ, 0)`` (float32, 16 bytes) per n-gram. A short post has ~300 n-grams
whose rows lie at random places in the table, so once the table outgrows what the last-level cache keeps, each
row is a trip to memory; the kernel prefetches rows as it hashes, and a profile (``perf annotate``) then shows the
time waiting on those prefetches. This benchmark separates that cost from the hashing: the same normalised posts
go through the kernel with the shipped table and with random tables of other sizes (the values do not matter
for speed; the buckets are the posts' real hashes, folded to each size), interleaved, and it reports µs per post
(the minimum over repeats: the machine is shared, and noise only ever adds) and each size's ratio to the
shipped one. Only ratios from one run mean anything.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
from report import emit  # noqa: E402  (benchmarks/report.py, beside this file)
SHARED = Path(os.environ.get("MLMRISK_SHARED_DATA", REPO.parent / "shared" / "data"))
SHORT = ("negatives/weibo2018.jsonl", "negatives/mudou_spam_sms.jsonl")


def read_texts(limit: int) -> list[str]:
    import orjson

    texts: list[str] = []
    per_file = -(-limit // len(SHORT))
    for name in SHORT:
        with open(SHARED / name, "rb") as f:
            for line in f:
                text = orjson.loads(line).get("text")
                if isinstance(text, str) and text:
                    texts.append(text)
                    if len(texts) % per_file == 0:
                        break
    return texts[:limit]


def measure(args: argparse.Namespace) -> dict:
    from mlmrisk.classifier import compiled
    from mlmrisk.classifier.features import _batch_args
    from mlmrisk.classifier.normalize import normalize_batch
    from mlmrisk.serving.scorer import Scorer

    scorer = Scorer.load(args.model)
    hot = scorer.hot
    texts = read_texts(args.posts)
    batches = [normalize_batch(texts[i:i + args.batch], scorer.tables) for i in range(0, len(texts), args.batch)]
    calls = [_batch_args(b, hot.features) for b in batches]
    kernel = compiled.feature_kernels().best_passage_logits
    shipped_bits = hot.features.bucket_bits
    rng = np.random.default_rng(0)
    tables = {"shipped": (shipped_bits, hot.table)}
    for bits in args.bits:
        tables[f"{bits} bits"] = (bits, rng.random(((1 << bits) + 1, hot.table.shape[1])).astype(np.float32))

    def run(bits: int, table: np.ndarray) -> float:
        start = time.perf_counter()
        for call, batch in zip(calls, batches):
            codes, _doc, *rest = call
            rest[7] = bits  # the hash is folded to this many bits: every bucket lies inside the table
            kernel(codes, batch.starts, *rest, hot.features.window, table, float(hot.min_norm), float(hot.slope),
                   float(hot.offset), hot.features.sentence_min_chars)
        return (time.perf_counter() - start) / len(texts) * 1e6

    for bits, table in tables.values():  # first touch of every table's pages, outside the timings
        run(bits, table)
    timings: dict[str, list[float]] = {name: [] for name in tables}
    for repeat in range(args.repeats):
        names = list(tables)
        names = names[repeat % len(names):] + names[:repeat % len(names)]
        for name in names:
            timings[name].append(run(*tables[name]))
    best = {name: min(values) for name, values in timings.items()}
    return {
        "posts": len(texts), "batch": args.batch, "repeats": args.repeats, "shipped_bits": shipped_bits,
        "row_bytes": int(hot.table.shape[1] * hot.table.itemsize),
        "table_mb": {name: round(tables[name][1].nbytes / 2**20, 1) for name in tables},
        "us_per_post": {name: round(value, 3) for name, value in best.items()},
        "vs_shipped": {name: round(best["shipped"] / value, 3) for name, value in best.items()},
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=32768, help="real short posts (weibo2018 and SMS)")
    parser.add_argument("--batch", type=int, default=8192, help="posts per kernel call (a bulk chunk)")
    parser.add_argument("--bits", type=int, nargs="+", default=[14, 16, 18, 19, 20, 22],
                        help="table sizes to compare with the shipped one, as log2 of the rows")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--model", default=None, help="model directory (default: the shipped model)")
    parser.add_argument("--out", default=None, help="also write the results to this JSON file")
    args = parser.parse_args(argv)
    if not (SHARED / SHORT[0]).exists():
        sys.exit(f"needs the real short posts of {SHARED} (set MLMRISK_SHARED_DATA)")
    if any(not 8 <= b <= 26 for b in args.bits):
        parser.error("--bits must lie in 8..26")
    emit(measure(args), args.out)


if __name__ == "__main__":
    main()
