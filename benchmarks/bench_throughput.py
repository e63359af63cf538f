"""Throughput and memory of mlmrisk against a keyword filter and scikit-learn, measured in ONE run.

    python benchmarks/bench_throughput.py                       # builds the archives, measures, prints, writes JSON
    python benchmarks/bench_throughput.py --posts 300000 --long-posts 30000 --out benchmarks/out
    python benchmarks/bench_throughput.py --reuse-archives --big-gb 5 --only-big    # memory on a 5 GB file

What it measures, on the same texts and files (every measurement in its own process, so its peak RSS is its own;
file → file runs also report the CPU seconds of their whole process tree, and the ratios per CPU second beside the
wall-time ratios: the per-core cost):
1. the keyword filter platforms run today, file → file: orjson in, a pyahocorasick automaton over ~2,000 words
   reporting ALL hits, orjson out (``keyword_filter.py`` beside this file);
2. ``mlmrisk score`` file → file, JSONL in and JSONL out, 1 and 2 workers (peak RSS of the largest process), and
   1 worker with ``MLMRISK_KERNELS=numba`` (the kernels compiled by numba at run time instead of ahead of time);
3. the in-process ``Scorer.score_batch`` against a scikit-learn hashed char 1–3 TF-IDF + logistic regression
   pipeline (``HashingVectorizer`` → ``TfidfTransformer`` → ``LogisticRegression.predict_proba``), on the same
   in-memory texts;
4. single-text ``Scorer.score`` latency, p50/p99 over 2,000 calls;
5. with ``--big-gb N``: ``mlmrisk score`` with 2 workers on an N GB file, its peak RSS and whether every input line
   gave exactly one output row.

Archives are REAL posts from ``../shared/data``: short posts (Weibo, SMS, news titles, reviews, ChineseHarm; at
most 140 characters) and long posts (case facts and long reviews, 300–1,000 characters, ~600 on average), cycled
to the requested count. Ratios are what matter: the machine is shared, so compare figures of one run only. Each
file → file measurement is repeated ``--repeat`` times (default 3), interleaved (filter, 1 worker, 2 workers, then
again), and the median run is reported with every run's seconds beside it; so are the in-process measurements
(``Scorer.score_batch``, then the scikit-learn pipeline, then again).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

SHORT_SOURCES = ("negatives/weibo2018.jsonl", "negatives/mudou_spam_sms.jsonl", "negatives/tnews_dev.jsonl",
                 "negatives/online_shopping_10cats.jsonl", "labelled/chineseharm_dev.jsonl")
LONG_SOURCES = ("negatives/cail2018_facts.jsonl", "negatives/online_shopping_10cats.jsonl")


def _texts(shared: Path, names, keep) -> list[str]:
    out = []
    for name in names:
        path = shared / name
        if not path.is_file():
            continue
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                text = json.loads(line).get("text")
                if isinstance(text, str) and keep(text):
                    out.append(text)
    return out


def build_archives(shared: Path, out: Path, n_short: int, n_long: int, seed: int = 0) -> dict:
    """Write short.jsonl and long.jsonl (cycled real texts); returns their paths and sizes."""
    rng = random.Random(seed)
    short = [t[:140] for t in _texts(shared, SHORT_SOURCES, lambda t: len(t) >= 2)]
    long = _texts(shared, LONG_SOURCES, lambda t: 300 <= len(t) <= 1000)
    if not short or not long:
        raise SystemExit(f"no texts found under {shared}: pass --shared-data")
    files = {}
    for name, pool, n in (("short", short, n_short), ("long", long, n_long)):
        rng.shuffle(pool)
        path = out / f"{name}.jsonl"
        with open(path, "w", encoding="utf-8") as handle:
            for i in range(n):
                handle.write(json.dumps({"id": i, "text": pool[i % len(pool)]}, ensure_ascii=False) + "\n")
        files[name] = {"path": str(path), "posts": n, "bytes": path.stat().st_size,
                       "mean_chars": round(sum(len(pool[i % len(pool)]) for i in range(min(n, 50000))) / min(n, 50000), 1)}
    return files


def keyword_list(shared: Path, size: int = 2000) -> list[str]:
    """~2,000 filter words: the project's keyword lists, then words of the shared sensitive-word lexicons."""
    from mlmrisk.training.metrics import KEYWORD_LISTS, read_keywords

    words = list(dict.fromkeys(w for path in KEYWORD_LISTS.values() for w in read_keywords(path)))
    lexicon = shared / "lexicons" / "houbb_sensitive_word_dict.jsonl"
    if lexicon.is_file():
        with open(lexicon, encoding="utf-8") as handle:
            for line in handle:
                word = json.loads(line).get("text")
                if isinstance(word, str) and 2 <= len(word) <= 6 and word not in words:
                    words.append(word)
                if len(words) >= size:
                    break
    return words[:size]


# --------------------------------------------------------------------------- measurements in child processes
def _load_texts(path: str, limit: int) -> list[str]:
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line)["text"] for _, line in zip(range(limit), handle)]


#: a promotion scored in the warm-up of the in-process measurements: the scorer opens its full path (onnxruntime
#: session, evidence lexicon: ~50 ms together) on the first suspicious post, once per process, as a service would
#: before its first request; the scikit-learn pipeline is likewise fitted and run once before it is timed
WARMUP_PITCH = "静态收益加动态收益，直推十人拿见点奖，拉人头入会费3980，三代分红"


def child_scorer(path: str, limit: int, model: str, batch: int) -> dict:
    from mlmrisk import Scorer

    texts = _load_texts(path, limit)
    scorer = Scorer.load(model)
    scorer.score_batch(texts[:batch] + [WARMUP_PITCH])
    start = time.perf_counter()
    flagged = 0
    for i in range(0, len(texts), batch):
        flagged += int(scorer.score_batch(texts[i : i + batch]).flagged.sum())
    return {"seconds": time.perf_counter() - start, "posts": len(texts), "flagged": flagged}


def child_sklearn(path: str, limit: int, model: str, batch: int) -> dict:
    """A scikit-learn hashed char 1–3 TF-IDF + LR pipeline, fitted on a labelled sample, predicting the texts."""
    import numpy as np
    from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    texts = _load_texts(path, limit)
    rng = np.random.default_rng(0)
    sample = texts[:20000]
    labels = rng.integers(0, 2, len(sample))  # speed only: the weights do not change the cost of predicting
    pipeline = make_pipeline(HashingVectorizer(analyzer="char", ngram_range=(1, 3), n_features=1 << 20,
                                               alternate_sign=False, norm=None),
                             TfidfTransformer(), LogisticRegression(max_iter=50))
    pipeline.fit(sample, labels)
    pipeline.predict_proba(texts[:batch])
    start = time.perf_counter()
    flagged = 0
    for i in range(0, len(texts), batch):
        flagged += int((pipeline.predict_proba(texts[i : i + batch])[:, 1] >= 0.5).sum())
    return {"seconds": time.perf_counter() - start, "posts": len(texts), "flagged": flagged}


def child_latency(path: str, limit: int, model: str, batch: int) -> dict:
    import numpy as np

    from mlmrisk import Scorer

    texts = _load_texts(path, 2000)
    scorer = Scorer.load(model)
    scorer.score(texts[:10] + [WARMUP_PITCH])
    times = []
    for text in texts:
        start = time.perf_counter()
        scorer.score([text])
        times.append(time.perf_counter() - start)
    return {"p50_ms": float(np.percentile(times, 50) * 1e3), "p99_ms": float(np.percentile(times, 99) * 1e3),
            "posts": len(texts), "seconds": float(sum(times))}


CHILDREN = {"scorer": child_scorer, "sklearn": child_sklearn, "latency": child_latency}


def run_child(kind: str, path: str, limit: int, model: str, batch: int) -> dict:
    """Run one measurement in a fresh interpreter (so its peak RSS is its own)."""
    code = (f"import json,sys,resource; sys.path.insert(0,{str(REPO)!r}); import benchmarks.bench_throughput as b; "
            f"r=b.CHILDREN[{kind!r}]({path!r},{limit},{model!r},{batch}); "
            "r['peak_rss_mb']=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss/1024; print(json.dumps(r))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    return json.loads(done.stdout.strip().splitlines()[-1])


#: Runs a command and prints the largest peak RSS among its process tree and the CPU seconds (user + system) of
#: the whole tree (getrusage of waited-for descendants: bulk workers are waited for by their parent).
#: A fresh wrapper per run: the benchmark's own RUSAGE_CHILDREN would also remember earlier, bigger children.
_RSS_WRAPPER = ("import resource, subprocess, sys; done = subprocess.run(sys.argv[1:], stderr=subprocess.DEVNULL); "
                "u = resource.getrusage(resource.RUSAGE_CHILDREN); "
                "print(u.ru_maxrss, u.ru_utime + u.ru_stime, file=sys.stderr); "
                "sys.exit(done.returncode)")


def _timed(command: list[str], env: dict | None = None) -> tuple[float, float, float]:
    """(seconds, peak RSS MB of the largest process, CPU seconds of the process tree) of a command run under the
    RSS wrapper. CPU seconds are the per-core cost: a one-worker job also runs its full-path warm-up and output
    sync on threads, which the second core can take off its wall time, so wall ratios alone flatter it."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", _RSS_WRAPPER, *command], capture_output=True, text=True, cwd=REPO,
                          env=env)
    seconds = time.perf_counter() - start
    if done.returncode not in (0, 3):
        raise SystemExit(f"{' '.join(command[:4])} … failed with {done.returncode}")
    rss_kb, cpu = done.stderr.strip().splitlines()[-1].split()
    return seconds, int(rss_kb) / 1024, float(cpu)


def run_keyword_filter(path: str, out: Path, words: Path) -> dict:
    target = out / f"keywords_{Path(path).stem}.jsonl"
    seconds, rss, cpu = _timed([sys.executable, str(REPO / "benchmarks" / "keyword_filter.py"), path, str(target),
                                str(words)])
    posts = sum(1 for _ in open(target, "rb"))
    target.unlink()
    return {"seconds": seconds, "cpu_seconds": cpu, "posts": posts, "peak_rss_mb": rss}


def run_cli(path: str, out: Path, workers: int, model: str, target: Path | None = None,
            kernels: str = "auto") -> dict:
    """``mlmrisk score`` end to end, timed from outside; peak RSS of the largest process of its tree.
    ``kernels``: ``MLMRISK_KERNELS`` for the run (``numba`` measures what the compiled kernels save)."""
    target = target or out / f"scored_{Path(path).stem}_{workers}w.jsonl"
    if target.exists():
        target.unlink()
    seconds, rss, cpu = _timed([sys.executable, "-m", "mlmrisk", "score", path, "-o", str(target), "--workers",
                                str(workers), "--model", model, "--no-progress"],
                               env={**os.environ, "MLMRISK_KERNELS": kernels})
    with open(target, "rb") as handle:
        rows = sum(block.count(b"\n") for block in iter(lambda: handle.read(1 << 24), b""))
    return {"seconds": seconds, "cpu_seconds": cpu, "posts": rows, "peak_rss_mb_max_process": rss,
            "output": str(target)}


def big_run(files: dict, out: Path, gigabytes: float, model: str) -> dict:
    """Score a file of ``gigabytes`` GB (the short and long archives, alternating) with 2 workers."""
    big = out / "big.jsonl"
    target_bytes = int(gigabytes * 1e9)
    if not big.is_file() or big.stat().st_size < target_bytes:
        with open(big, "wb") as sink:
            while sink.tell() < target_bytes:
                for name in ("short", "long"):
                    with open(files[name]["path"], "rb") as source:
                        for line in source:
                            sink.write(line)
    with open(big, "rb") as handle:
        lines = sum(block.count(b"\n") for block in iter(lambda: handle.read(1 << 24), b""))
    run = run_cli(str(big), out, 2, model, target=out / "scored_big.jsonl")
    run.update({"bytes": big.stat().st_size, "input_lines": lines, "complete": run["posts"] == lines})
    Path(run["output"]).unlink()
    return run


def compile_bytecode() -> None:
    """Write the package's bytecode before timing anything, as ``pip install`` of the wheel does. Without it an
    environment with ``PYTHONDONTWRITEBYTECODE`` set (this project's sandbox) recompiles every module of a checkout
    in every process (~0.06 s, an eighth of a scoring process's start-up), which no installed copy pays."""
    import compileall

    for folder in ("mlmrisk", "classifier", "serving"):
        compileall.compile_dir(str(REPO / folder), quiet=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared-data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--model", default=None, help="model directory (default: the shipped model)")
    parser.add_argument("--posts", type=int, default=300_000, help="short posts in the archive")
    parser.add_argument("--long-posts", type=int, default=30_000, help="long posts in the archive")
    parser.add_argument("--in-memory", type=int, default=100_000, help="posts for the in-process measurements")
    parser.add_argument("--batch", type=int, default=1024)
    parser.add_argument("--repeat", type=int, default=3,
                        help="runs of each kind (file → file and in-process), interleaved; the median run is reported")
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "out")
    parser.add_argument("--reuse-archives", action="store_true", help="keep archives an earlier run built in --out")
    parser.add_argument("--big-gb", type=float, default=0.0, help="also score a file of this many GB (memory check)")
    parser.add_argument("--only-big", action="store_true", help="skip the throughput runs (with --big-gb)")
    args = parser.parse_args()
    from mlmrisk.resources import default_model_dir

    compile_bytecode()

    model = args.model or str(default_model_dir())
    args.out.mkdir(parents=True, exist_ok=True)
    meta = args.out / "archives.json"
    if args.reuse_archives and meta.is_file():
        files = json.loads(meta.read_text())
    else:
        files = build_archives(args.shared_data, args.out, args.posts, args.long_posts)
        meta.write_text(json.dumps(files))
    words = args.out / "keywords.txt"
    words.write_text("\n".join(keyword_list(args.shared_data)) + "\n", encoding="utf-8")
    results: dict = {"archives": files, "keywords": sum(1 for _ in open(words, encoding="utf-8")),
                     "cpu_count": os.cpu_count()}
    if not args.only_big:
        for name in ("short", "long"):
            path = files[name]["path"]
            section: dict = {}
            # file → file runs interleaved, repeated, median kept: on a shared VM one run of the filter varied
            # from 118k to 207k posts/s between benchmark runs, and each ratio should compare like with like
            repeats: dict[str, list[dict]] = {}
            for _ in range(args.repeat):
                repeats.setdefault("keyword_filter", []).append(run_keyword_filter(path, args.out, words))
                for workers in (1, 2):
                    run = run_cli(path, args.out, workers, model)
                    Path(run.pop("output")).unlink()
                    repeats.setdefault(f"mlmrisk_score_{workers}w", []).append(run)
                run = run_cli(path, args.out, 1, model, kernels="numba")  # the same job without the compiled kernels
                Path(run.pop("output")).unlink()
                repeats.setdefault("mlmrisk_score_1w_numba", []).append(run)
            limit = min(args.in_memory, files[name]["posts"])
            for _ in range(args.repeat):  # in-process too: each side repeated, interleaved, median reported
                repeats.setdefault("scorer_in_memory", []).append(run_child("scorer", path, limit, model, args.batch))
                repeats.setdefault("sklearn_pipeline", []).append(run_child("sklearn", path, limit, model, args.batch))
            for key, runs in repeats.items():
                runs.sort(key=lambda r: r["seconds"])
                section[key] = {**runs[len(runs) // 2], "seconds_all": [round(r["seconds"], 3) for r in runs]}
                if "cpu_seconds" in runs[0]:  # the median of the runs' CPU seconds, not the median wall run's
                    cpu = sorted(r["cpu_seconds"] for r in runs)
                    section[key].update(cpu_seconds=cpu[len(cpu) // 2], cpu_seconds_all=[round(c, 3) for c in cpu])
            for value in section.values():
                value["posts_per_second"] = value["posts"] / value["seconds"]
                if "cpu_seconds" in value:  # CPU seconds per post: the per-core cost
                    value["posts_per_cpu_second"] = value["posts"] / value["cpu_seconds"]
            base = section["keyword_filter"]["posts_per_second"]
            per_core = section["keyword_filter"]["posts_per_cpu_second"]
            section["ratios"] = {
                "score_1w_vs_keyword_filter_per_cpu_second":
                    section["mlmrisk_score_1w"]["posts_per_cpu_second"] / per_core,
                "score_2w_vs_keyword_filter_per_cpu_second":
                    section["mlmrisk_score_2w"]["posts_per_cpu_second"] / per_core,
                "score_1w_vs_keyword_filter": section["mlmrisk_score_1w"]["posts_per_second"] / base,
                "score_2w_vs_keyword_filter": section["mlmrisk_score_2w"]["posts_per_second"] / base,
                "score_1w_numba_kernels_vs_keyword_filter":
                    section["mlmrisk_score_1w_numba"]["posts_per_second"] / base,
                "scaling_2w_vs_1w": section["mlmrisk_score_2w"]["posts_per_second"]
                / section["mlmrisk_score_1w"]["posts_per_second"],
                "scorer_vs_sklearn": section["scorer_in_memory"]["posts_per_second"]
                / section["sklearn_pipeline"]["posts_per_second"],
            }
            results[name] = section
        results["latency"] = run_child("latency", files["short"]["path"], 2000, model, args.batch)
    if args.big_gb:
        results["big"] = big_run(files, args.out, args.big_gb, model)
    (args.out / "results.json").write_text(json.dumps(results, indent=1))
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
