"""Does the review queue pay for its labels? A simulation of one turn of the loop (docs/retraining.md).

1. Split the labelled posts by group (a written promotion and its matched hard negative stay together; ChineseHarm
   rows one by one) into BASE (30 %), POOL (40 %) and TEST (30 %); benign posts (weibo2018, tnews,
   online_shopping, mudou_sms from ../shared/data) are split the same way.
2. Train the champion on BASE only.
3. The POOL is the "unlabelled" stream: its held-back positives and hard negatives mixed with benign posts. Score it
   with the champion; the review queue (``serving/review.py``) picks ``--budget`` posts; a second budget is picked
   uniformly at random. Both are "labelled" from the held-back truth.
4. Retrain twice with the same small config: BASE + queue labels, BASE + random labels.
5. Score TEST with all three models and report recall at the same false-positive budgets (thresholds set on the
   TEST negatives so that each model flags the same share of them).

    python benchmarks/simulate_review.py --out /tmp/sim           # the reduced config below; ~3 trainings

Training uses a REDUCED config (``REDUCED``: no synthetic posts, character 1–4-grams only, 2^18 buckets, one C,
3 folds, no style hold-out) so the three trainings fit in minutes; the figures compare the two ways of spending
the same labelling budget, not the shipped model.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time
from pathlib import Path

import numpy as np

from mlmrisk.resources import data_path
from mlmrisk.serving import review
from mlmrisk.serving.compare import threshold_at_fpr
from mlmrisk.serving.scorer import Scorer
from mlmrisk.training.data import default_shared_data
from mlmrisk.training.fit import TrainConfig, train

REDUCED = dict(shared_data=None, written_data=None, synthetic_n=0, char_orders=[1, 2, 3, 4], pinyin_orders=[],
               bucket_bits=18, C_grid=[16.0], n_folds=3, style_holdout=[], n_jobs=1)
BENIGN = {"weibo2018": "negatives/weibo2018.jsonl", "tnews": "negatives/tnews_dev.jsonl",
          "online_shopping": "negatives/online_shopping_10cats.jsonl", "mudou_sms": "negatives/mudou_spam_sms.jsonl"}
BUDGETS = (0.002, 0.01)


def _part(key: str) -> str:
    h = int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big") % 100
    return "base" if h < 30 else ("pool" if h < 70 else "test")


def load_posts(shared: Path, benign_per_corpus: int, seed: int) -> list[dict]:
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
    rng = np.random.default_rng(seed)
    for name, rel in BENIGN.items():
        lines = [x for x in (shared / rel).read_text(encoding="utf-8").split("\n") if x.strip()]
        for j in rng.permutation(len(lines))[:benign_per_corpus]:
            text = json.loads(lines[j])["text"]
            if isinstance(text, str) and text.strip():
                posts.append({"id": f"{name}{j}", "text": text, "label": 0, "elements": [], "source": name,
                              "group": f"{name}{j}"})
    for p in posts:
        p["part"] = _part(p["group"])
    return posts


def _write(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps({k: r[k] for k in ("id", "text", "label", "elements")}, ensure_ascii=False)
                            + "\n" for r in rows), encoding="utf-8")
    return path


def _train(out: Path, files: list[Path]) -> Path:
    config = TrainConfig(**REDUCED, extra_data=[{"path": str(f), "elements_field": "elements"} for f in files])
    train(config, out, log=lambda m: print(f"  [{out.name}] {m}", flush=True))
    return out


def recall_at(p: np.ndarray, y: np.ndarray, budget: float) -> float:
    t = threshold_at_fpr(p, y, budget)
    return float((p[y] >= t).mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--shared-data", type=Path, default=default_shared_data())
    parser.add_argument("--budget", type=int, default=200)
    parser.add_argument("--benign-per-corpus", type=int, default=1500)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    started = time.time()
    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    posts = load_posts(args.shared_data, args.benign_per_corpus, args.seed)
    parts = {k: [p for p in posts if p["part"] == k] for k in ("base", "pool", "test")}
    summary: dict = {"config": REDUCED, "budget": args.budget, "seed": args.seed,
                     "parts": {k: {"n": len(v), "positives": sum(p["label"] for p in v)} for k, v in parts.items()}}
    print(json.dumps(summary["parts"]), flush=True)

    base = _write(out / "base.jsonl", parts["base"])
    champion = Scorer.load(_train(out / "champion", [base]))

    pool = parts["pool"]
    texts = [p["text"] for p in pool]
    records = champion.score_batch(texts).records(ids=[p["id"] for p in pool])
    queue = review.select(records, texts, champion, args.budget, seed=args.seed)
    by_id = {p["id"]: p for p in pool}
    queued = [by_id[q["id"]] for q in queue]
    rng = np.random.default_rng(args.seed + 1)
    randomly = [pool[i] for i in rng.choice(len(pool), size=args.budget, replace=False)]
    summary["picked"] = {
        "queue": {"positives": sum(p["label"] for p in queued), "by_reason": {
            r: sum(q["reason"] == r for q in queue) for r in dict.fromkeys(q["reason"] for q in queue)}},
        "random": {"positives": sum(p["label"] for p in randomly)},
        "pool_positive_rate": round(sum(p["label"] for p in pool) / len(pool), 4)}
    print(json.dumps(summary["picked"]), flush=True)

    models = {"champion": champion,
              "queue": Scorer.load(_train(out / "challenger_queue", [base, _write(out / "queue.jsonl", queued)])),
              "random": Scorer.load(_train(out / "challenger_random", [base, _write(out / "random.jsonl", randomly)]))}

    test = parts["test"]
    y = np.asarray([p["label"] for p in test], dtype=bool)
    test_texts = [p["text"] for p in test]
    results = {}
    for name, scorer in models.items():
        p = np.concatenate([scorer.score_batch(test_texts[i:i + 1024]).probability
                            for i in range(0, len(test_texts), 1024)])
        results[name] = {f"recall_at_fpr_{b:g}": round(recall_at(p, y, b), 4) for b in BUDGETS}
        source = np.asarray([t["source"] for t in test])
        for s in ("written", "chineseharm"):
            m = source == s
            results[name][f"{s}_recall_at_fpr_0.01"] = round(float((p[m & y] >= threshold_at_fpr(p, y, 0.01)).mean()), 4)
    summary["test"] = {"n": len(test), "positives": int(y.sum()), "negatives": int((~y).sum()), "models": results}
    summary["seconds"] = round(time.time() - started)
    (out / "simulation.json").write_text(json.dumps(summary, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(summary, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
