"""Does the review queue pay for its labels? Several simulated turns of the loop (docs/retraining.md).

Per seed (each seed is its own split, its own benign sample and its own random draw):

1. Split the labelled posts by group (a written promotion and its matched hard negative stay together; ChineseHarm
   rows one by one) into BASE (30 %), POOL (40 %) and TEST (30 %); every benign corpus (weibo2018, tnews,
   online_shopping, mudou_sms from ../shared/data) is split the same way.
2. Train the champion on BASE (its labelled posts and ``--benign-base`` benign posts per corpus).
3. The POOL is the "unlabelled" stream, made REALISTIC: every benign post of the pool part of the four corpora
   (~22,000), the held-back hard negatives, and only as many held-back positives as make ``--pool-positive-rate``
   of it (default 0.5 %: on a real platform 传销 promotion is well under 1 % of posts; the rest of the pool's
   positives are dropped, never used anywhere). Score it with the champion; the review queue
   (``serving/review.py``) picks ``--budget`` posts; the same budget is also picked uniformly at random. Both are
   "labelled" from the held-back truth.
4. Retrain: BASE + queue labels, BASE + random labels.
5. Score TEST (its labelled posts and ``--benign-test`` benign posts per corpus) with all three models and report
   recall at the same false-positive budgets (thresholds set on the TEST negatives, so each model flags the same
   share of them).

    python benchmarks/simulate_review.py --out /tmp/sim --seeds 0 1 2 3 4

The champion is trained with ``train`` (the REDUCED config below) because the queue reads its thresholds and
serving graphs. For the ranking of TEST, every model (the champion too) is the MLM head that ``train`` fits as its
final model, refitted by ``fit_mlm_head`` without the cross-validation, element heads, report and export the
ranking does not need: recall at a false-positive budget depends only on the ranking, and the three models then
come from one code path. Fits are cached in ``OUT/cache`` by the hash of their training rows, and champions in
``OUT/seed<k>/champion``, so a second run (e.g. after a change to the queue) only refits the queue's challenger.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from mlmrisk.classifier.normalize import NormalizerTables
from mlmrisk.resources import data_path
from mlmrisk.serving import review
from mlmrisk.serving.compare import threshold_at_fpr
from mlmrisk.serving.scorer import Scorer
from mlmrisk.training.data import build_corpus, default_shared_data, head_training_rows
from mlmrisk.training.fit import (TrainConfig, config_vectorizer, corpus_specs, fit_heads, predict_texts, row_weights,
                                  train)
from mlmrisk.training.normalization_spec import build_normalization_spec

REDUCED = dict(shared_data=None, written_data=None, discussion_data=None, synthetic_n=0, char_orders=[1, 2, 3, 4],
               pinyin_orders=[], bucket_bits=18, C_grid=[16.0], n_folds=3, style_holdout=[], n_jobs=1)
BENIGN = {"weibo2018": "negatives/weibo2018.jsonl", "tnews": "negatives/tnews_dev.jsonl",
          "online_shopping": "negatives/online_shopping_10cats.jsonl", "mudou_sms": "negatives/mudou_spam_sms.jsonl"}
BUDGETS = (0.002, 0.01)
# the queue as shipped, and the same queue with its "uncertain" strategy centred on the flag threshold (as it was
# before this simulation showed that those labels buy nothing)
QUEUES = {"queue": {}, "queue_at_flag": {"uncertain_at": None}}
MODELS = ("champion", *QUEUES, "random")
PAIRS = (("queue", "random"), ("queue_at_flag", "random"), ("queue", "queue_at_flag"), ("queue", "champion"),
         ("random", "champion"))


def _part(key: str, seed: int) -> str:
    """BASE 30 % / POOL 40 % / TEST 30 % by a hash of the group and the seed: each seed is another split."""
    h = int.from_bytes(hashlib.blake2b(f"{seed}:{key}".encode(), digest_size=8).digest(), "big") % 100
    return "base" if h < 30 else ("pool" if h < 70 else "test")


def load_labelled(shared: Path) -> list[dict]:
    """The written corpus (promotion + matched hard negative per group) and ChineseHarm (borderline left out)."""
    posts = []
    for path in sorted(data_path("written").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").split("\n"):
            if not line.strip():
                continue
            r = json.loads(line)
            group = "written:" + min(r["id"], r.get("pair") or r["id"])
            posts.append({"id": r["id"], "text": r["text"], "label": int(r["label"]), "elements": r["elements"],
                          "source": "written", "group": group})
    for i, line in enumerate((shared / "labelled/chineseharm_dev.jsonl").read_text(encoding="utf-8").split("\n")):
        if not line.strip():
            continue
        r = json.loads(line)
        if r["mlm"] == 2:
            continue
        posts.append({"id": f"ch{i}", "text": r["text"], "label": int(r["mlm"]), "elements": r["elements"] or [],
                      "source": "chineseharm", "group": f"ch{i}"})
    return posts


def load_benign(shared: Path) -> list[dict]:
    posts = []
    for name, rel in BENIGN.items():
        for j, line in enumerate((shared / rel).read_text(encoding="utf-8").split("\n")):
            text = json.loads(line)["text"] if line.strip() else None
            if isinstance(text, str) and text.strip():
                posts.append({"id": f"{name}{j}", "text": text, "label": 0, "elements": [], "source": name,
                              "group": f"{name}{j}"})
    return posts


def split(labelled: list[dict], benign: list[dict], seed: int, benign_base: int, benign_test: int,
          pool_positive_rate: float) -> dict[str, list[dict]]:
    """BASE, POOL and TEST of one seed (module docstring, steps 1–3)."""
    rng = np.random.default_rng(seed)
    parts: dict[str, list[dict]] = {"base": [], "pool": [], "test": []}
    for p in labelled:
        parts[_part(p["group"], seed)].append(p)
    by_source: dict[tuple[str, str], list[dict]] = {}
    for p in benign:
        by_source.setdefault((_part(p["group"], seed), p["source"]), []).append(p)
    for (part, _), rows in sorted(by_source.items()):
        cap = {"base": benign_base, "test": benign_test}.get(part)
        order = rng.permutation(len(rows))
        parts[part] += [rows[i] for i in (order if cap is None else order[:cap])]
    positives = [p for p in parts["pool"] if p["label"]]
    negatives = [p for p in parts["pool"] if not p["label"]]
    keep = int(round(pool_positive_rate * len(negatives) / (1 - pool_positive_rate)))
    kept = [positives[i] for i in sorted(rng.permutation(len(positives))[:keep])]
    mixed = negatives + kept
    parts["pool"] = [mixed[i] for i in rng.permutation(len(mixed))]
    return parts


def _write(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps({k: r[k] for k in ("id", "text", "label", "elements")}, ensure_ascii=False)
                            + "\n" for r in rows), encoding="utf-8")
    return path


def _config(files: Sequence[Path]) -> TrainConfig:
    return TrainConfig(**REDUCED, extra_data=[{"path": str(f), "elements_field": "elements"} for f in files])


def fit_mlm_head(config: TrainConfig) -> Callable[[Sequence[str]], np.ndarray]:
    """The MLM head ``train(config)`` fits as its final model (same corpus, deduplication, idf, weights and
    negative passages), without what the ranking does not need; returns texts → uncalibrated probability."""
    spec = build_normalization_spec(max_chars=config.max_chars)
    corpus = build_corpus(corpus_specs(config), NormalizerTables.from_spec(spec), [], config.n_folds)
    role = corpus.array("role")
    rows = head_training_rows(corpus.array("split"), role)  # the heads' rows, as train
    Y = corpus.array("label").astype(np.int64)[:, None]
    weights = row_weights(role, config)
    vectorizer = config_vectorizer(config, spec)
    counted = vectorizer.count(corpus.text)
    vectorizer.fit_counts(counted.docs[rows])
    heads = fit_heads(counted, Y, weights, rows, vectorizer.idf_, 1, config.C_grid[0], config.element_C,
                      config.min_norm, config.negative_passages, config.positive_passages,
                      min_df=config.min_df, sentence_instances=config.sentence_instances,
                      sentence_discount=config.sentence_discount, tol=config.solver_tol)
    return lambda texts: predict_texts(heads, vectorizer, list(texts))[:, 0]


def test_scores(files: Sequence[Path], texts: Sequence[str], cache: Path) -> np.ndarray:
    """TEST probabilities of the MLM head trained on ``files``, cached by the hash of their bytes and of TEST."""
    digest = hashlib.sha256()
    for f in list(files):
        digest.update(f.read_bytes())
    digest.update("\n".join(texts).encode())
    path = cache / f"{digest.hexdigest()[:20]}.npy"
    if path.is_file():
        return np.load(path)
    p = fit_mlm_head(_config(files))(texts)
    np.save(path, p)
    return p


def recall_at(p: np.ndarray, y: np.ndarray, budget: float) -> float:
    t = threshold_at_fpr(p, y, budget)
    return float((p[y] >= t).mean())


def _picked(queue: list[dict], truth: list[dict], flag: float) -> dict:
    """What a queue picked: positives, the champion's misses and false flags among them, per reason and source."""
    reasons = dict.fromkeys(q["reason"] for q in queue)
    return {"positives": sum(p["label"] for p in truth),
            "positives_below_flag": sum(p["label"] and q["probability"] < flag for p, q in zip(truth, queue)),
            "negatives_at_or_above_flag": sum(not p["label"] and q["probability"] >= flag
                                              for p, q in zip(truth, queue)),
            "by_reason": {r: {"n": sum(q["reason"] == r for q in queue),
                              "positives": sum(p["label"] for p, q in zip(truth, queue) if q["reason"] == r)}
                          for r in reasons},
            "by_source": {s: sum(p["source"] == s for p in truth) for s in dict.fromkeys(p["source"] for p in truth)}}


def run_seed(seed: int, labelled: list[dict], benign: list[dict], args: argparse.Namespace) -> dict:
    out = args.out / f"seed{seed}"
    out.mkdir(parents=True, exist_ok=True)
    cache = args.out / "cache"
    cache.mkdir(exist_ok=True)
    parts = split(labelled, benign, seed, args.benign_base, args.benign_test, args.pool_positive_rate)
    result: dict = {"seed": seed, "parts": {k: {
        "n": len(v), "positives": sum(p["label"] for p in v),
        "by_source": {s: sum(p["source"] == s for p in v) for s in dict.fromkeys(p["source"] for p in v)}}
        for k, v in parts.items()}}
    print(json.dumps(result), flush=True)

    base = _write(out / "base.jsonl", parts["base"])
    if not (out / "champion" / "manifest.json").is_file():
        train(_config([base]), out / "champion", log=lambda m: print(f"  [seed {seed} champion] {m}", flush=True))
    champion = Scorer.load(out / "champion")

    pool = parts["pool"]
    texts = [p["text"] for p in pool]
    records = []
    for i in range(0, len(texts), 2048):
        records += champion.score_batch(texts[i:i + 2048]).records(ids=[p["id"] for p in pool[i:i + 2048]])
    by_id = {p["id"]: p for p in pool}
    queues = {name: review.select(records, texts, champion, args.budget, seed=seed, **options)
              for name, options in QUEUES.items()}
    rng = np.random.default_rng(seed + 1)
    randomly = [pool[i] for i in rng.choice(len(pool), size=args.budget, replace=False)]
    p_pool = np.asarray([r["probability"] for r in records])
    y_pool = np.asarray([p["label"] for p in pool], dtype=bool)
    flag = champion.thresholds.flag
    result["champion_thresholds"] = {"flag": flag, "watch": champion.thresholds.watch}
    result["pool"] = {"positives": int(y_pool.sum()), "champion_flags": int((p_pool >= flag).sum()),
                      "positives_flagged": int((p_pool[y_pool] >= flag).sum())}
    result["picked"] = {name: _picked(queue, [by_id[q["id"]] for q in queue], flag) for name, queue in queues.items()}
    result["picked"]["random"] = {"positives": sum(p["label"] for p in randomly)}
    print(json.dumps(result["picked"]), flush=True)

    test = parts["test"]
    y = np.asarray([p["label"] for p in test], dtype=bool)
    test_texts = [p["text"] for p in test]
    files = {"champion": [base], "random": [base, _write(out / "random.jsonl", randomly)]}
    for name, queue in queues.items():
        files[name] = [base, _write(out / f"{name}.jsonl", [by_id[q["id"]] for q in queue])]
    result["test"] = {"n": len(test), "positives": int(y.sum()), "negatives": int((~y).sum()), "models": {}}
    for name in MODELS:
        started = time.time()
        p = test_scores(files[name], test_texts, cache)
        result["test"]["models"][name] = {f"recall_at_fpr_{b:g}": round(recall_at(p, y, b), 4) for b in BUDGETS}
        print(f"  [seed {seed}] {name}: {result['test']['models'][name]} ({time.time() - started:.0f}s)", flush=True)
    # the served champion (ONNX, float32) on TEST: the check that the refitted head ranks as the shipped graphs do
    p = np.concatenate([champion.score_batch(test_texts[i:i + 2048]).probability
                        for i in range(0, len(test_texts), 2048)])
    result["test"]["champion_served"] = {f"recall_at_fpr_{b:g}": round(recall_at(p, y, b), 4) for b in BUDGETS}
    return result


def summarise(runs: list[dict]) -> dict:
    """Mean, spread and the paired queue − random difference per budget across seeds."""
    out: dict = {}
    for b in BUDGETS:
        key = f"recall_at_fpr_{b:g}"
        values = {m: np.asarray([r["test"]["models"][m][key] for r in runs]) for m in MODELS}
        entry = {m: {"mean": round(float(v.mean()), 4), "sd": round(float(v.std(ddof=1)), 4) if v.size > 1 else None,
                     "min": round(float(v.min()), 4), "max": round(float(v.max()), 4)} for m, v in values.items()}
        for a, c in PAIRS:
            d = values[a] - values[c]
            se = float(d.std(ddof=1) / np.sqrt(d.size)) if d.size > 1 else float("nan")
            entry[f"{a}_minus_{c}"] = {"per_seed": [round(float(x), 4) for x in d], "mean": round(float(d.mean()), 4),
                                       "se": round(se, 4), "t": round(float(d.mean()) / se, 2) if se > 0 else None,
                                       "wins": int((d > 0).sum()), "ties": int((d == 0).sum())}
        out[key] = entry
    out["picked_positives_mean"] = {name: round(float(np.mean([r["picked"][name]["positives"] for r in runs])), 1)
                                    for name in MODELS if name != "champion"}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--shared-data", type=Path, default=default_shared_data())
    parser.add_argument("--budget", type=int, default=200)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--benign-base", type=int, default=300, help="benign posts per corpus in BASE")
    parser.add_argument("--benign-test", type=int, default=750, help="benign posts per corpus in TEST")
    parser.add_argument("--pool-positive-rate", type=float, default=0.005)
    args = parser.parse_args()
    started = time.time()
    args.out.mkdir(parents=True, exist_ok=True)
    labelled, benign = load_labelled(args.shared_data), load_benign(args.shared_data)
    runs = [run_seed(seed, labelled, benign, args) for seed in args.seeds]
    summary = {"config": REDUCED, "budget": args.budget, "pool_positive_rate": args.pool_positive_rate,
               "benign_base": args.benign_base, "benign_test": args.benign_test, "seeds": runs,
               "summary": summarise(runs), "seconds": round(time.time() - started)}
    (args.out / "simulation.json").write_text(json.dumps(summary, ensure_ascii=False, indent=1) + "\n",
                                              encoding="utf-8")
    print(json.dumps(summary["summary"], ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
