"""Throughput and memory of mlmrisk against scikit-learn and a keyword automaton, measured in ONE run.

    python benchmarks/bench_throughput.py                      # builds the archives, measures, prints, writes JSON
    python benchmarks/bench_throughput.py --posts 1000000 --long-posts 100000 --out benchmarks/out
    python benchmarks/bench_throughput.py --reuse-archives --big-gb 5 --only-big   # memory on a 5 GB file

What it measures, on the same texts and files:
1. ``mlmrisk score`` end to end (JSONL file in → Parquet file out), 1 and 2 workers, as a subprocess;
2. the in-process ``Scorer.score_batch`` on in-memory texts;
3. the equivalent scikit-learn pipeline (``HashedCharNgramVectorizer`` + ``LinearHeads.predict_proba``, rebuilt
   exactly from the ONNX file's weights);
4. a pyahocorasick automaton over the project's broad keyword list reporting all hits (what platforms run today);
5. the score-only graph (MLM head only) against the full graph (MLM + four element heads);
6. peak RSS of each (every measurement runs in its own process; for ``mlmrisk score`` the largest process of its
   tree) and single-text latency p50/p99 of ``Scorer.score`` over 2,000 calls;
7. with ``--big-gb N``: ``mlmrisk score`` with 2 workers on an N GB file (the archives, alternating), its peak RSS
   and whether every input line gave exactly one output row.

It reports posts/s, MB/s and ratios measured in this run (absolute times depend on the machine). Archives are
built from ``../shared/data`` and the synthetic generator: short posts (platform posts, SMS, titles, reviews cut to
at most 140 characters) and long official-account-style posts (synthetic 公众号 articles and long reviews/case
facts, 300–1,500 characters), cycled to the requested count.
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
sys.path.insert(0, str(REPO))

SHORT_SOURCES = ("labelled/chineseharm_dev.jsonl", "negatives/weibo2018.jsonl", "negatives/mudou_spam_sms.jsonl",
                 "negatives/tnews_dev.jsonl", "hard_negatives/telecom_fraud_texts5.jsonl",
                 "negatives/online_shopping_10cats.jsonl")
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
    """Write short.jsonl and long.jsonl (cycled real + synthetic texts); returns their paths and sizes."""
    from mlmrisk.training.synthetic import generate

    rng = random.Random(seed)
    synthetic = [p.text for p in generate(20000, seed=seed)]
    short = [t[:140] for t in _texts(shared, SHORT_SOURCES, lambda t: len(t) >= 4)]
    short += [t for t in synthetic if len(t) <= 140]
    long = _texts(shared, LONG_SOURCES, lambda t: 300 <= len(t) <= 1500) + [t for t in synthetic if len(t) >= 300]
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


# --------------------------------------------------------------------------- measurements in child processes
def _load_texts(path: str, limit: int) -> list[str]:
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line)["text"] for _, line in zip(range(limit), handle)]


def child_scorer(path: str, limit: int, model: str, batch: int) -> dict:
    from mlmrisk.serving import Scorer

    texts = _load_texts(path, limit)
    scorer = Scorer.load(model)
    scorer.score_batch(texts[:batch])
    start = time.perf_counter()
    flagged = 0
    for i in range(0, len(texts), batch):
        flagged += int(scorer.score_batch(texts[i : i + batch]).flagged.sum())
    return {"seconds": time.perf_counter() - start, "posts": len(texts), "flagged": flagged}


def child_sklearn(path: str, limit: int, model: str, batch: int) -> dict:
    import numpy as np
    import onnx
    from onnx import numpy_helper

    from mlmrisk.classifier.normalize import NormalizerTables
    from mlmrisk.training.heads import LinearHeads
    from mlmrisk.training.vectorizer import HashedCharNgramVectorizer

    texts = _load_texts(path, limit)
    manifest = json.loads((Path(model) / "manifest.json").read_text(encoding="utf-8"))
    weights = {t.name: numpy_helper.to_array(t) for t in onnx.load(str(Path(model) / "model.onnx")).graph.initializer}
    table = weights["table"][:-1].astype(np.float64)
    idf = np.sqrt(table[:, 0])
    vectorizer = HashedCharNgramVectorizer(normalizer_spec=manifest["normalizer"])
    vectorizer.normalizer_spec_ = manifest["normalizer"]
    vectorizer.tables_ = NormalizerTables.from_spec(manifest["normalizer"])
    vectorizer.idf_ = idf.astype(np.float32)
    heads = LinearHeads()
    with np.errstate(divide="ignore", invalid="ignore"):
        heads.coef_ = np.where(idf[:, None] > 0, table[:, 1:] / idf[:, None], 0.0).T
    heads.intercept_ = np.zeros(heads.coef_.shape[0])
    heads.calibration_slope_ = weights["slope"]
    heads.calibration_offset_ = weights["offset"]
    heads.n_heads_ = heads.coef_.shape[0]
    heads.classes_ = np.array([0, 1])
    heads.predict_proba(vectorizer.transform(texts[:batch]))
    start = time.perf_counter()
    for i in range(0, len(texts), batch):
        heads.predict_proba(vectorizer.transform(texts[i : i + batch]))
    return {"seconds": time.perf_counter() - start, "posts": len(texts)}


def child_keywords(path: str, limit: int, model: str, batch: int) -> dict:
    from mlmrisk.training.metrics import KEYWORD_LISTS, read_keywords

    import ahocorasick

    texts = _load_texts(path, limit)
    automaton = ahocorasick.Automaton()
    for word in read_keywords(KEYWORD_LISTS["keywords_broad"]):
        automaton.add_word(word, word)
    automaton.make_automaton()
    start = time.perf_counter()
    flagged = 0
    for text in texts:
        hits = [word for _, word in automaton.iter(text)]
        flagged += bool(hits)
    return {"seconds": time.perf_counter() - start, "posts": len(texts), "flagged": flagged}


def child_latency(path: str, limit: int, model: str, batch: int) -> dict:
    import numpy as np

    from mlmrisk.serving import Scorer

    texts = _load_texts(path, 2000)
    scorer = Scorer.load(model)
    scorer.score(texts[:10])
    times = []
    for text in texts:
        start = time.perf_counter()
        scorer.score([text])
        times.append(time.perf_counter() - start)
    return {"p50_ms": float(np.percentile(times, 50) * 1e3), "p99_ms": float(np.percentile(times, 99) * 1e3),
            "posts": len(texts), "seconds": float(sum(times))}


CHILDREN = {"scorer": child_scorer, "sklearn": child_sklearn, "keywords": child_keywords, "latency": child_latency}


def run_child(kind: str, path: str, limit: int, model: str, batch: int) -> dict:
    """Run one measurement in a fresh interpreter (so its peak RSS is its own)."""
    code = (f"import json,sys,resource; sys.path.insert(0,{str(REPO)!r}); import benchmarks.bench_throughput as b; "
            f"r=b.CHILDREN[{kind!r}]({path!r},{limit},{model!r},{batch}); "
            "r['peak_rss_mb']=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss/1024; print(json.dumps(r))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    return json.loads(done.stdout.strip().splitlines()[-1])


#: Runs a command and prints the largest peak RSS among its process tree (getrusage of waited-for descendants).
#: A fresh wrapper per run: the benchmark's own RUSAGE_CHILDREN would also remember earlier, bigger children.
_RSS_WRAPPER = ("import resource, subprocess, sys; done = subprocess.run(sys.argv[1:]); "
                "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); "
                "sys.exit(done.returncode)")


def run_cli(path: str, out: Path, workers: int, model: str, target: Path | None = None) -> dict:
    """``mlmrisk score`` end to end, timed from outside; peak RSS of the largest process of its tree."""
    target = target or out / f"scored_{Path(path).stem}_{workers}w.parquet"
    if target.exists():
        target.unlink()
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", _RSS_WRAPPER, sys.executable, "-m", "mlmrisk", "score", path,
                           "-o", str(target), "--workers", str(workers), "--model", model, "--no-progress"],
                          capture_output=True, text=True, cwd=REPO)
    seconds = time.perf_counter() - start
    if done.returncode not in (0, 3):
        raise SystemExit(f"mlmrisk score failed: {done.stderr}")
    lines = done.stderr.strip().splitlines()
    summary = json.loads(lines[-2])
    return {"seconds": seconds, "posts": summary.get("records"), "summary": summary,
            "peak_rss_mb_max_process": int(lines[-1]) / 1024, "output": str(target)}


def big_run(files: dict, out: Path, gigabytes: float, model: str) -> dict:
    """Score a file of ``gigabytes`` GB (the short and long archives, alternating) with 2 workers.

    Checks bounded memory on a file far larger than one chunk and that every input line yields one output row.
    """
    import pyarrow.parquet as pq

    big = out / "big.jsonl"
    target_bytes = int(gigabytes * 1e9)
    lines = 0
    if not big.is_file() or big.stat().st_size < target_bytes:
        with open(big, "wb") as sink:
            while sink.tell() < target_bytes:
                for name in ("short", "long"):
                    with open(files[name]["path"], "rb") as source:
                        for line in source:
                            sink.write(line)
    with open(big, "rb") as handle:
        lines = sum(block.count(b"\n") for block in iter(lambda: handle.read(1 << 24), b""))
    run = run_cli(str(big), out, 2, model, target=out / "scored_big.parquet")
    rows = pq.ParquetFile(run["output"]).metadata.num_rows
    run.update({"bytes": big.stat().st_size, "input_lines": lines, "output_rows": rows,
                "complete": rows == lines == run["summary"]["records"]})
    Path(run["output"]).unlink()
    return run


def score_only_model(model: str, out: Path) -> str:
    """A copy of the model whose graph has the MLM head only (for the cost of the element heads)."""
    import numpy as np
    import onnx
    from onnx import numpy_helper

    proto = onnx.load(str(Path(model) / "model.onnx"))
    replace = {"table": lambda a: a[:, :2], "slope": lambda a: a[:1], "offset": lambda a: a[:1],
               "width": lambda a: np.array([2], dtype=np.int64), "cols_end": lambda a: np.array([2], dtype=np.int64)}
    for i, tensor in enumerate(proto.graph.initializer):
        if tensor.name in replace:
            proto.graph.initializer[i].CopyFrom(numpy_helper.from_array(
                np.ascontiguousarray(replace[tensor.name](numpy_helper.to_array(tensor))), tensor.name))
    for output in proto.graph.output:
        dims = output.type.tensor_type.shape.dim
        if output.name == "probabilities":
            dims[1].dim_value = 1
        if output.name == "gram_rows":
            dims[1].dim_value = 2
    target = out / "score_only_model"
    target.mkdir(exist_ok=True)
    onnx.save(proto, str(target / "model.onnx"))
    return str(target / "model.onnx")


def child_graph(onnx_path: str, path: str, limit: int, model: str, batch: int) -> dict:
    import onnxruntime as ort

    from mlmrisk.classifier.normalize import NormalizerTables, normalize_batch

    texts = _load_texts(path, limit)
    manifest = json.loads((Path(model) / "manifest.json").read_text(encoding="utf-8"))
    tables = NormalizerTables.from_spec(manifest["normalizer"])
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    session = ort.InferenceSession(onnx_path, options, providers=["CPUExecutionProvider"])
    start = time.perf_counter()
    batches = [normalize_batch(texts[i : i + batch], tables) for i in range(0, len(texts), batch)]
    normalised = time.perf_counter()
    for b in batches:
        session.run(["probabilities"], {"codes": b.codes, "starts": b.starts})
    end = time.perf_counter()
    # "seconds" is the graph alone; "pipeline_seconds" adds normalisation (what every scored post pays).
    return {"seconds": end - normalised, "pipeline_seconds": end - start, "posts": len(texts)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared-data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--model", default=str(REPO / "models" / "default"))
    parser.add_argument("--posts", type=int, default=1_000_000, help="short posts in the archive")
    parser.add_argument("--long-posts", type=int, default=100_000, help="long posts in the archive")
    parser.add_argument("--in-memory", type=int, default=200_000, help="posts for the in-process measurements")
    parser.add_argument("--batch", type=int, default=1024)
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "out")
    parser.add_argument("--reuse-archives", action="store_true", help="keep archives an earlier run built in --out")
    parser.add_argument("--big-gb", type=float, default=0.0,
                        help="also score a file of this many GB with 2 workers (peak RSS on a file far larger "
                             "than memory chunks; the bar is 5 GB)")
    parser.add_argument("--only-big", action="store_true", help="skip the throughput runs (with --big-gb)")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    manifest = args.out / "archives.json"
    if args.reuse_archives and manifest.is_file():
        files = json.loads(manifest.read_text())
    else:
        print("building archives …", file=sys.stderr)
        files = build_archives(args.shared_data, args.out, args.posts, args.long_posts)
        manifest.write_text(json.dumps(files))
    results: dict = {"files": files, "cpu_count": os.cpu_count(), "runs": {}}
    if args.big_gb:
        print(f"big file: {args.big_gb} GB, mlmrisk score --workers 2 …", file=sys.stderr)
        results["big"] = big_run(files, args.out, args.big_gb, args.model)
        big = results["big"]
        print(f"big file {big['bytes'] / 1e9:.2f} GB, {big['input_lines']} lines: peak RSS "
              f"{big['peak_rss_mb_max_process']:.0f} MB (largest process), {big['posts'] / big['seconds']:.0f} "
              f"posts/s, complete: {big['complete']}")
        if args.only_big:
            (args.out / "results_big.json").write_text(json.dumps(results, indent=1) + "\n")
            return
    score_only = score_only_model(args.model, args.out)
    for name, info in files.items():
        n_mem = min(args.in_memory, info["posts"]) if name == "short" else min(args.in_memory // 10, info["posts"])
        mb = info["bytes"] / info["posts"] / 1e6
        run = {}
        for kind in ("keywords", "scorer", "sklearn"):
            limit = n_mem if kind != "sklearn" else max(1000, n_mem // 4)
            print(f"{name}: {kind} …", file=sys.stderr)
            run[kind] = run_child(kind, info["path"], limit, args.model, args.batch)
        print(f"{name}: graphs …", file=sys.stderr)
        full = str(Path(args.model) / "model.onnx")
        code = ("import json,sys; sys.path.insert(0,{r!r}); import benchmarks.bench_throughput as b; "
                "print(json.dumps(b.child_graph({o!r},{p!r},{n},{m!r},{bt})))")
        for label, onnx_path in (("graph_full", full), ("graph_score_only", score_only)):
            done = subprocess.run([sys.executable, "-c", code.format(r=str(REPO), o=onnx_path, p=info["path"],
                                   n=n_mem, m=args.model, bt=args.batch)], capture_output=True, text=True, check=True)
            run[label] = json.loads(done.stdout.strip().splitlines()[-1])
        for workers in (1, 2):
            print(f"{name}: mlmrisk score --workers {workers} …", file=sys.stderr)
            run[f"cli_{workers}w"] = run_cli(info["path"], args.out, workers, args.model)
        if name == "short":
            run["latency"] = run_child("latency", info["path"], 2000, args.model, 1)
        print(json.dumps({k: {kk: vv for kk, vv in v.items() if kk != "summary"} for k, v in run.items()}),
              file=sys.stderr)
        for measurement in run.values():
            if "seconds" in measurement and measurement.get("posts"):
                measurement["posts_per_s"] = round(measurement["posts"] / measurement["seconds"])
                measurement["mb_per_s"] = round(measurement["posts_per_s"] * mb, 2)
        kw = run["keywords"]["posts_per_s"]
        run["ratios"] = {
            "cli_2w_over_keywords": round(run["cli_2w"]["posts_per_s"] / kw, 3),
            "cli_1w_over_keywords": round(run["cli_1w"]["posts_per_s"] / kw, 3),
            "scorer_over_sklearn": round(run["scorer"]["posts_per_s"] / run["sklearn"]["posts_per_s"], 2),
            "scorer_over_keywords": round(run["scorer"]["posts_per_s"] / kw, 3),
            "element_heads_cost_graph": round(1 - run["graph_full"]["posts_per_s"] / run["graph_score_only"]["posts_per_s"], 3),
            "element_heads_cost_pipeline": round(1 - run["graph_score_only"]["pipeline_seconds"]
                                                 / run["graph_full"]["pipeline_seconds"], 3),
            "flagged_share": round(run["scorer"]["flagged"] / run["scorer"]["posts"], 4),
            "cli_2w_over_1w": round(run["cli_2w"]["posts_per_s"] / run["cli_1w"]["posts_per_s"], 2),
        }
        results["runs"][name] = run
    (args.out / "results.json").write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n")
    print(f"{'archive':7} {'measurement':18} {'posts/s':>10} {'MB/s':>8} {'peak RSS MB':>12}")
    for name, run in results["runs"].items():
        for kind, m in run.items():
            if isinstance(m, dict) and "posts_per_s" in m:
                rss = m.get("peak_rss_mb", m.get("peak_rss_mb_max_process", float("nan")))
                print(f"{name:7} {kind:18} {m['posts_per_s']:>10} {m['mb_per_s']:>8} {rss:>12.0f}")
        print(f"{name:7} ratios {json.dumps(run['ratios'])}")
    if "latency" in results["runs"].get("short", {}):
        lat = results["runs"]["short"]["latency"]
        print(f"single-text latency: p50 {lat['p50_ms']:.3f} ms, p99 {lat['p99_ms']:.3f} ms")
    print(f"written {args.out / 'results.json'}")


if __name__ == "__main__":
    main()
