"""Spark throughput next to ``mlmrisk score --workers 2`` in the same run, on the same file.

    python benchmarks/bench_spark.py [--n 1000000] [--master local[2]]

Writes ``--n`` short posts (data/sample_posts.jsonl, repeated, with unique ids) to a JSONL file, scores it with
``mlmrisk score --workers 2`` into Parquet and with ``mlmrisk.serving.spark.score_path`` on ``--master``, and reports
texts/s of both (Spark with and without its session start-up) and whether the two outputs hold the same rows.
Results also go to benchmarks/out/spark.json.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--master", default="local[2]")
    args = ap.parse_args()
    with open(REPO / "data" / "sample_posts.jsonl", encoding="utf-8") as f:
        posts = [json.loads(line)["text"] for line in f if line.strip()]
    results: dict = {"posts": args.n, "master": args.master}
    with tempfile.TemporaryDirectory(prefix="mlmrisk-bench-spark-") as tmp:
        source = Path(tmp) / "posts.jsonl"
        with open(source, "w", encoding="utf-8") as f:
            for k in range(args.n):
                f.write(json.dumps({"id": f"p{k}", "text": posts[k % len(posts)]}, ensure_ascii=False) + "\n")
        results["mean_chars"] = round(sum(len(p) for p in posts) / len(posts), 1)

        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "mlmrisk", "score", str(source), "-o", f"{tmp}/ref.parquet",
                        "--workers", "2", "--no-progress"], check=True, stderr=subprocess.DEVNULL)
        seconds = time.perf_counter() - t0
        results["mlmrisk_score_workers_2"] = {"seconds": round(seconds, 1), "texts_per_s": round(args.n / seconds)}

        from mlmrisk.serving.spark import get_session, score_path

        t0 = time.perf_counter()
        spark = get_session(args.master, app_name="mlmrisk-bench")
        spark.sparkContext.setLogLevel("ERROR")
        started = time.perf_counter()
        summary = score_path(source, f"{tmp}/spark_out", spark=spark)
        done = time.perf_counter()
        results["spark"] = {"session_start_s": round(started - t0, 1), "job_s": round(done - started, 1),
                            "texts_per_s_job": round(args.n / (done - started)),
                            "texts_per_s_with_start": round(args.n / (done - t0)), "records": summary["records"]}
        results["spark_vs_mlmrisk_score"] = round(results["spark"]["texts_per_s_job"]
                                                  / results["mlmrisk_score_workers_2"]["texts_per_s"], 3)
        ref = spark.read.parquet(f"{tmp}/ref.parquet")
        got = spark.read.parquet(f"{tmp}/spark_out")
        columns = [c for c in ref.columns if c != "error_message"]
        results["same_rows"] = (got.select(columns).exceptAll(ref.select(columns)).count() == 0
                                and ref.count() == got.count())
        spark.stop()
    out = REPO / "benchmarks" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / "spark.json").write_text(json.dumps(results, indent=1))
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
