"""The evasion suite on text the model never trained on: each family's rewrites of held-out promotion posts.

    python benchmarks/eval_evasion.py                                   # shipped model, the challenge set
    python benchmarks/eval_evasion.py --model DIR --data posts.jsonl --variants 8 --out evasion.json

Why this exists beside the training report's ``evasive_recall``: that section rewrites ChineseHarm's 23 real
positives (13 of which the model flags out-of-fold), so one post moves a family by 8 points. Here the posts are the
hand-written challenge set (``data/challenge_set.jsonl``, 60 promotions never used in training or model choice),
each rewritten ``--variants`` times per family (``training/perturb.py``, one seed per variant: which words are
rewritten changes with the seed), and scored by the served model (``Scorer``).

Per family it reports, over the promotions the model flags in their clean form:
- ``kept``: the share of rewrites still flagged (the issue's "keeps its score" read as "keeps its decision");
- ``score_ratio``: the mean of min(1, p_rewrite / p_clean) — how much of its probability a rewrite keeps;
- the same ``kept`` for the two keyword lists (``training/metrics.py``) on their own clean hits, for comparison.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from mlmrisk.resources import data_path
from mlmrisk.serving.scorer import Scorer
from mlmrisk.training.metrics import keyword_baselines
from mlmrisk.training.perturb import PERTURBATIONS, perturb


def load_promotions(path: Path) -> list[str]:
    with open(path, encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle if line.strip()]
    return [r["text"] for r in rows if int(r["label"]) == 1]


def evaluate(scorer: Scorer, texts: list[str], variants: int) -> dict:
    clean = scorer.score_batch(texts)
    clean_p, clean_flag = clean.probability, clean.flagged
    lists = {f.name: f for f in keyword_baselines()}
    clean_kw = {name: f.flag(texts) for name, f in lists.items()}
    out: dict = {"posts": len(texts), "flagged_clean": int(clean_flag.sum()), "variants": variants, "families": {}}
    hits = np.flatnonzero(clean_flag)
    for kind in PERTURBATIONS:
        rewritten, rows = [], []
        for i in range(len(texts)):
            for v in range(variants):
                rewritten.append(perturb(texts[i], kind, 1000 * v + i))
                rows.append(i)
        rows_a = np.asarray(rows)
        scored = scorer.score_batch(rewritten)
        on_hits = np.isin(rows_a, hits)
        kept = float(scored.flagged[on_hits].mean()) if on_hits.any() else 0.0
        ratio = float(np.minimum(1.0, scored.probability[on_hits] / clean_p[rows_a[on_hits]]).mean()) if on_hits.any() else 0.0
        changed = float(np.mean([r != texts[i] for r, i in zip(rewritten, rows)]))
        entry = {"kept": round(kept, 4), "score_ratio": round(ratio, 4), "rewrites": int(on_hits.sum()),
                 "changed_share": round(changed, 4)}
        for name, keyword_filter in lists.items():
            on = np.isin(rows_a, np.flatnonzero(clean_kw[name]))
            flags = keyword_filter.flag(rewritten)
            entry[f"kept_{name}"] = round(float(flags[on].mean()), 4) if on.any() else None
        out["families"][kind] = entry
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=None, help="model directory (default: the shipped model)")
    parser.add_argument("--data", type=Path, default=data_path("challenge_set.jsonl"),
                        help="JSONL with text and label (label 1 = promotion); default: the challenge set")
    parser.add_argument("--variants", type=int, default=8, help="rewrites per post and family (one seed each)")
    parser.add_argument("--out", type=Path, default=None, help="write the results as JSON here")
    args = parser.parse_args()
    result = evaluate(Scorer.load(args.model), load_promotions(args.data), args.variants)
    text = json.dumps(result, ensure_ascii=False, indent=1)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
