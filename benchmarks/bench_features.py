"""Speed of the feature step, measured in ONE run, interleaved: normaliser, the old numpy features, the numba
kernels, and a keyword automaton (docs/architecture.md, "Speed of the feature step").

    python benchmarks/bench_features.py                       # all three corpora, 5 interleaved repeats
    python benchmarks/bench_features.py --posts 2000 --repeats 3
    python benchmarks/bench_features.py --first-call          # compile / cache-load latency in fresh processes

Per corpus (short: weibo2018, mudou_spam_sms; long: cail2018_facts, all from ``../shared/data/negatives``) and
batch of ``--batch`` posts, each repeat times, in a rotating order:

- ``normalize``: ``normalize_batch`` (the step before features);
- ``numpy``: the numpy implementation the kernels replaced (the oracle in tests/classifier/test_features.py):
  ``hash_grams`` + ``passages`` + the bucket gather that ``Scorer._feeds`` did;
- ``kernel``: ``classifier.features.feeds`` (the numba kernels, what ``Scorer._feeds`` now calls);
- ``kernel_hash``: ``classifier.features.hash_grams`` alone (the cost of hashing the n-grams);
- ``aho``: a pyahocorasick automaton over ~2,000 words (the keyword lists + the most frequent 2–4-character
  substrings of the benign texts) reporting every hit of every (raw) post.

Reports µs/post (median of the repeats) and ratios to ``kernel``. The machine is shared: only ratios measured in
the same run mean anything.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("MLMRISK_SHARED_DATA", REPO.parent / "shared" / "data"))
CORPORA = {"weibo2018": "negatives/weibo2018.jsonl", "mudou_spam_sms": "negatives/mudou_spam_sms.jsonl",
           "cail2018_facts": "negatives/cail2018_facts.jsonl"}


def read_texts(path: Path, limit: int) -> list[str]:
    texts = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            text = json.loads(line).get("text")
            if isinstance(text, str):
                texts.append(text)
                if len(texts) >= limit:
                    break
    return texts


def oracle():
    """The numpy implementation, from the test file (the product code has one implementation: the kernels)."""
    path = REPO / "tests" / "classifier" / "test_features.py"
    spec = importlib.util.spec_from_file_location("_features_oracle", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def feature_spec(cache: Path | None):
    from mlmrisk.classifier.features import FeatureSpec
    from mlmrisk.classifier.pinyin import PinyinTables

    if cache is not None and cache.is_file():
        pinyin_spec = json.loads(cache.read_text())
    else:
        from mlmrisk.training.vectorizer import default_pinyin_spec

        pinyin_spec = default_pinyin_spec()
        if cache is not None:
            cache.write_text(json.dumps(pinyin_spec))
    return FeatureSpec(pinyin=PinyinTables.from_spec(pinyin_spec))


def keyword_automaton(benign: list[str], n_words: int = 2000):
    import ahocorasick

    words: list[str] = []
    for name in ("keywords_broad.txt", "keywords_strict.txt"):
        for line in (REPO / "data" / name).read_text(encoding="utf-8").splitlines():
            word = line.split("\t")[0].strip()
            if word and not word.startswith("#") and word not in words:
                words.append(word)
    counts: Counter = Counter()
    for text in benign:
        for n in (2, 3, 4):
            counts.update(text[i : i + n] for i in range(len(text) - n + 1))
    for gram, _ in counts.most_common():
        if len(words) >= n_words:
            break
        if gram.strip() and gram not in words:
            words.append(gram)
    automaton = ahocorasick.Automaton()
    for i, word in enumerate(words):
        automaton.add_word(word, i)
    automaton.make_automaton()
    return automaton, len(words)


def measure(args) -> dict:
    import numpy as np

    from mlmrisk.classifier import features
    from mlmrisk.classifier.normalize import normalize_batch
    from mlmrisk.training.normalization_spec import default_tables

    old = oracle()
    tables = default_tables()
    spec = feature_spec(Path(args.pinyin_cache) if args.pinyin_cache else None)
    corpora = {name: read_texts(SHARED / rel, args.posts if name != "cail2018_facts" else args.long_posts)
               for name, rel in CORPORA.items()}
    automaton, n_words = keyword_automaton(corpora["weibo2018"] + corpora["mudou_spam_sms"])

    def numpy_feeds(batch):
        grams = old.numpy_hash_grams(batch, spec)
        membership = old.numpy_passages(grams, batch, spec.window)
        return grams.bucket[membership.gram], membership.passage, membership.passage_doc

    def aho(texts):
        hits = 0
        for text in texts:
            for _ in automaton.iter(text):
                hits += 1
        return hits

    results = {"n_words": n_words, "batch": args.batch, "repeats": args.repeats, "corpora": {}}
    for name, texts in corpora.items():
        batches = [texts[i : i + args.batch] for i in range(0, len(texts), args.batch)]
        normalized = [normalize_batch(b, tables) for b in batches]
        # warm up (the kernels' first call compiles or loads them) and check the two implementations agree
        for batch in normalized:
            bucket, passage, passage_doc, _, _ = features.feeds(batch, spec)
            want = numpy_feeds(batch)
            assert all(np.array_equal(x, y) for x, y in zip((bucket, passage, passage_doc), want)), name
        steps = {
            "normalize": lambda: [normalize_batch(b, tables) for b in batches],
            "numpy": lambda: [numpy_feeds(b) for b in normalized],
            "kernel": lambda: [features.feeds(b, spec) for b in normalized],
            "kernel_hash": lambda: [features.hash_grams(b, spec) for b in normalized],
            "aho": lambda: [aho(b) for b in batches],
        }
        names = list(steps)
        times: dict[str, list[float]] = {s: [] for s in names}
        for r in range(args.repeats):
            for s in names[r % len(names) :] + names[: r % len(names)]:  # rotate the order every repeat
                t0 = time.perf_counter()
                steps[s]()
                times[s].append(time.perf_counter() - t0)
        us = {s: 1e6 * statistics.median(v) / len(texts) for s, v in times.items()}
        chars = sum(len(t) for t in texts) / len(texts)
        results["corpora"][name] = {"posts": len(texts), "mean_chars": round(chars, 1),
                                    "us_per_post": {s: round(v, 2) for s, v in us.items()},
                                    "ratio_to_kernel": {s: round(v / us["kernel"], 2) for s, v in us.items()},
                                    "all_us_per_post": {s: [round(1e6 * x / len(texts), 2) for x in v]
                                                        for s, v in times.items()}}
    return results


FIRST_CALL = """
import time, sys, json
t0 = time.perf_counter()
from mlmrisk.classifier import features
from mlmrisk.classifier.normalize import normalize_batch
from mlmrisk.classifier.pinyin import PinyinTables
from mlmrisk.training.normalization_spec import default_tables
tables = default_tables()
spec = features.FeatureSpec(pinyin=PinyinTables.from_spec(json.load(open(sys.argv[1]))))
batch = normalize_batch(["发zhan下xian 微信 weixin", "动态收益" * 40], tables)
t_import = time.perf_counter() - t0
t0 = time.perf_counter(); features.feeds(batch, spec); first = time.perf_counter() - t0
t0 = time.perf_counter(); features.feeds(batch, spec); second = time.perf_counter() - t0
print(json.dumps({"setup_s": t_import, "first_call_s": first, "second_call_s": second}))
"""


def first_call(args) -> dict:
    """First-call latency of ``features.feeds`` in fresh processes: cold (empty cache dir) then warm, 3 times each."""
    if not args.pinyin_cache:
        raise SystemExit("--first-call needs --pinyin-cache (a JSON pinyin spec; a measuring run writes it)")
    out: dict[str, list[dict]] = {"cold": [], "warm": []}
    for _ in range(args.repeats):
        with tempfile.TemporaryDirectory() as cache:
            env = dict(os.environ, NUMBA_CACHE_DIR=cache)
            for kind in ("cold", "warm"):
                run = subprocess.run([sys.executable, "-c", FIRST_CALL, args.pinyin_cache], env=env, check=True,
                                     capture_output=True, text=True)
                out[kind].append(json.loads(run.stdout))
    return {kind: {key: round(statistics.median(r[key] for r in runs), 3) for key in runs[0]}
            for kind, runs in out.items()}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--posts", type=int, default=4000, help="short posts per short corpus")
    parser.add_argument("--long-posts", type=int, default=1000, help="posts of the long corpus")
    parser.add_argument("--batch", type=int, default=500, help="posts per batch")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--pinyin-cache", default=None, help="JSON file caching the pypinyin syllable tables")
    parser.add_argument("--first-call", action="store_true", help="measure compile / cache-load latency instead")
    args = parser.parse_args(argv)
    result = first_call(args) if args.first_call else measure(args)
    print(json.dumps(result, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
