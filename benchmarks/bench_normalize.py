"""Normaliser speed: the numba kernels vs the numpy passes they replaced vs a C keyword automaton, same texts.

    python benchmarks/bench_normalize.py [--shared-data ../shared/data] [--repeats 5]

* old: the vectorised numpy ``normalize_batch`` kept as the oracle in ``tests/classifier/test_normalize_kernel.py``
* new: ``mlmrisk.classifier.normalize.normalize_batch`` (numba kernels)
* aho: a pyahocorasick automaton with ~2,000 words (data/keywords_broad.txt + keywords_strict.txt + the most frequent
  2–4-character substrings of the benign texts), iterating over every hit of every text

All three run on the same posts in the same process, interleaved (the order rotates every repeat), so machine load
hits them alike; ratios are taken within a repeat and the median is reported. Times are the thread's CPU time
(``time.thread_time``): on a shared machine, wall time mostly measures how long the process waited for a core.
Also prints a per-step breakdown of the new version and the first-call latency (cold numba cache, then warm) in
fresh processes.
"""

from __future__ import annotations

import argparse
import collections
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def load_texts(path: Path, limit: int) -> list[str]:
    texts = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            texts.append(json.loads(line)["text"])
            if len(texts) >= limit:
                break
    return texts


def word_list(benign: list[str], size: int) -> list[str]:
    words: list[str] = []
    for name in ("keywords_broad.txt", "keywords_strict.txt"):
        for line in (REPO / "data" / name).read_text(encoding="utf-8").splitlines():
            line = line.strip()
            if line and not line.startswith("#") and line not in words:
                words.append(line)
    counts: collections.Counter[str] = collections.Counter()
    for text in benign:
        for n in (2, 3, 4):
            for i in range(len(text) - n + 1):
                gram = text[i : i + n]
                if gram.isalnum():
                    counts[gram] += 1
    seen = set(words)
    for gram, _ in counts.most_common():
        if len(words) >= size:
            break
        if gram not in seen:
            words.append(gram)
            seen.add(gram)
    return words


def oracle():
    spec = importlib.util.spec_from_file_location(
        "normalize_oracle", REPO / "tests" / "classifier" / "test_normalize_kernel.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.oracle_normalize_batch


def batches(texts: list[str], size: int) -> list[list[str]]:
    return [texts[i : i + size] for i in range(0, len(texts), size)]


def compare(label: str, texts: list[str], runners: dict, repeats: int, batch: int) -> dict:
    chunks = batches(texts, batch)
    times: dict[str, list[float]] = {name: [] for name in runners}
    names = list(runners)
    for rep in range(repeats):
        order = names[rep % len(names):] + names[: rep % len(names)]
        for name in order:
            start = time.thread_time()
            runners[name](chunks)
            times[name].append((time.thread_time() - start) / len(texts) * 1e6)
    ratio = {
        "old/new": statistics.median(o / n for o, n in zip(times["old"], times["new"])),
        "new/aho": statistics.median(n / a for n, a in zip(times["new"], times["aho"])),
        "old/aho": statistics.median(o / a for o, a in zip(times["old"], times["aho"])),
    }
    mean_len = sum(map(len, texts)) / len(texts)
    print(f"\n{label}: {len(texts)} posts, mean {mean_len:.0f} chars, batch {batch}, {repeats} repeats (µs/post, CPU time)")
    for name in names:
        print(f"  {name:4s} median {statistics.median(times[name]):8.2f}  min {min(times[name]):8.2f}  "
              f"all {' '.join(f'{t:.2f}' for t in times[name])}")
    print("  ratios (median of per-repeat ratios): " + ", ".join(f"{k} {v:.2f}" for k, v in ratio.items()))
    return {"posts": len(texts), "mean_chars": mean_len, "us_per_post": times, "ratios": ratio}


def breakdown(texts: list[str], tables, batch: int) -> None:
    """Per-step time of the new normalize_batch (wrapped steps; the rest is encoding and bookkeeping)."""
    import mlmrisk.classifier.normalize as normalize

    kernels = normalize.compiled.normalize_kernels()
    spent: dict[str, float] = collections.defaultdict(float)
    originals = {"normalize_core": kernels.normalize_core, "clean (folded posts)": kernels.clean}
    folds = kernels.apply_folds

    def timed(name, function):
        def call(*args):
            start = time.thread_time()
            result = function(*args)
            spent[name] += time.thread_time() - start
            return result
        return call

    class Patched:
        normalize_core = staticmethod(timed("normalize_core", originals["normalize_core"]))
        clean = staticmethod(timed("clean (folded posts)", originals["clean (folded posts)"]))

    saved_kernels = normalize.compiled.normalize_kernels
    normalize.compiled.normalize_kernels = lambda: Patched
    Patched.apply_folds = staticmethod(timed("apply_folds", folds))
    try:
        start = time.thread_time()
        for chunk in batches(texts, batch):
            normalize.normalize_batch(chunk, tables)
        total = time.thread_time() - start
    finally:
        normalize.compiled.normalize_kernels = saved_kernels
    print(f"  breakdown of new (µs/post, CPU time): total {total / len(texts) * 1e6:.2f}; " + ", ".join(
        f"{k} {v / len(texts) * 1e6:.2f}" for k, v in spent.items()) +
        f", rest (encode, truncation, starts) {(total - sum(spent.values())) / len(texts) * 1e6:.2f}")


_FIRST_CALL = """
import json, sys, time
t0 = time.perf_counter()
import mlmrisk.classifier.normalize as normalize
t1 = time.perf_counter()
assert "numba" not in sys.modules, "importing the normaliser imported numba"
tables = normalize.NormalizerTables.from_spec(json.load(open(sys.argv[1], encoding="utf-8")))
t2 = time.perf_counter()
c2 = time.process_time()
normalize.normalize_batch(["加 薇 信，发.展.下.线 100元"], tables)
t3 = time.perf_counter()
c3 = time.process_time()
normalize.normalize_batch(["第二次调用"], tables)
t4 = time.perf_counter()
print(json.dumps({"import_s": t1 - t0, "first_call_s": t3 - t2, "first_call_cpu_s": c3 - c2,
                  "second_call_s": t4 - t3}))
"""


def first_call(spec_path: Path) -> None:
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        for label in ("cold cache", "warm cache"):
            out = subprocess.run([sys.executable, "-c", _FIRST_CALL, str(spec_path)], env=env, check=True,
                                 capture_output=True, text=True).stdout
            r = json.loads(out)
            print(f"  {label}: import {r['import_s'] * 1e3:.0f} ms, first call {r['first_call_s'] * 1e3:.0f} ms "
                  f"(CPU {r['first_call_cpu_s'] * 1e3:.0f} ms), "
                  f"second call {r['second_call_s'] * 1e6:.0f} µs")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared-data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--short-posts", type=int, default=10_000, help="per short corpus (weibo2018, mudou SMS)")
    parser.add_argument("--long-posts", type=int, default=2_000, help="from cail2018_facts")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--batch", type=int, default=1024)
    parser.add_argument("--words", type=int, default=2_000)
    parser.add_argument("--no-first-call", action="store_true")
    args = parser.parse_args()

    import ahocorasick
    from mlmrisk.classifier.normalize import NormalizerTables, normalize_batch
    from mlmrisk.training.normalization_spec import build_normalization_spec

    negatives = args.shared_data / "negatives"
    short = (load_texts(negatives / "weibo2018.jsonl", args.short_posts)
             + load_texts(negatives / "mudou_spam_sms.jsonl", args.short_posts))
    long = load_texts(negatives / "cail2018_facts.jsonl", args.long_posts)
    spec = build_normalization_spec()
    tables = NormalizerTables.from_spec(spec)
    words = word_list(short, args.words)
    automaton = ahocorasick.Automaton()
    for i, word in enumerate(words):
        automaton.add_word(word, i)
    automaton.make_automaton()
    print(f"automaton: {len(words)} words")
    old = oracle()

    def run_old(chunks):
        for chunk in chunks:
            old(chunk, tables)

    def run_new(chunks):
        for chunk in chunks:
            normalize_batch(chunk, tables)

    def run_aho(chunks):
        hits = 0
        for chunk in chunks:
            for text in chunk:
                for _ in automaton.iter(text):
                    hits += 1
        return hits

    normalize_batch(short[:10], tables)  # compile (or load from the cache) outside the timings
    runners = {"old": run_old, "new": run_new, "aho": run_aho}
    for label, texts in (("short posts (weibo2018 + mudou_spam_sms)", short), ("long posts (cail2018_facts)", long)):
        compare(label, texts, runners, args.repeats, args.batch)
        breakdown(texts, tables, args.batch)
    if not args.no_first_call:
        with tempfile.TemporaryDirectory() as tmp:
            spec_path = Path(tmp) / "spec.json"
            spec_path.write_text(json.dumps(spec, ensure_ascii=False), encoding="utf-8")
            print("\nfirst call in a fresh process (NUMBA_CACHE_DIR = a new empty directory, then the same again):")
            first_call(spec_path)


if __name__ == "__main__":
    main()
