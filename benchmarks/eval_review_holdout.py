"""The independent review set (``data/review_holdout/``): what a new user measured, reproducible with one command.

    python benchmarks/eval_review_holdout.py                      # shipped model
    python benchmarks/eval_review_holdout.py --model DIR --out review.json

A reviewing session that saw only the issue text and the public API wrote its own texts (provenance in
``data/review_holdout/README.md``; never trained on, no setting chosen on them) and measured issue 9's promises
on them. This script recomputes every figure of that review from the files, with the served model (``Scorer``):

- short comments and ordinary 6–20-character comments: how many flagged, how many at high/severe, the largest index;
- pitches and legal look-alikes: recall, false positives (with their levels), the pitches missed;
- each pitch (and legal text) inside ~100 / ~300 characters of ordinary text: the share of flags kept;
- evasion families: per family, the share of rewrites still flagged among pitches flagged in their clean form;
- levels of the flagged pitches and of the flagged rewrites;
- the normalisation rules listed on ordinary posts written in traditional script, full width or with spaces.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from report import emit  # noqa: E402  (benchmarks/report.py, beside this file)

from mlmrisk.resources import data_path  # noqa: E402
from mlmrisk.serving.scorer import Scorer  # noqa: E402


def load(name: str) -> list[dict]:
    with open(data_path("review_holdout", f"{name}.jsonl"), encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def measure(scorer: Scorer) -> dict:
    def score(rows: list[dict]) -> list:
        return scorer.score([r["text"] for r in rows])

    out: dict = {"model": scorer.model_id, "watch_line": math.ceil(round(scorer.thresholds.watch * 100.0, 6))}
    for name in ("short_comments", "medium_comments"):
        rows = load(name)
        results = score(rows)
        out[name] = {"n": len(rows), "flagged": sum(r.flagged for r in results),
                     "high_or_severe": sum(r.level.value in ("high", "severe") for r in results),
                     "max_risk": max(r.risk for r in results),
                     "loud": [row["text"] for row, r in zip(rows, results)
                              if r.flagged or r.level.value in ("high", "severe")],
                     "top": sorted(((r.risk, row["text"]) for row, r in zip(rows, results)), reverse=True)[:5]}
    pitches = load("pitches")
    pitch_results = dict(zip((p["id"] for p in pitches), score(pitches)))
    legal = load("legal") + load("legal2")
    legal_results = score(legal)
    flagged_pitches = {k for k, r in pitch_results.items() if r.flagged}
    out["pitches"] = {"n": len(pitches), "flagged": len(flagged_pitches),
                      "recall": round(len(flagged_pitches) / len(pitches), 3),
                      "missed": {k: r.risk for k, r in pitch_results.items() if not r.flagged},
                      "levels": dict(Counter(r.level.value for r in pitch_results.values() if r.flagged))}
    out["legal"] = {"n": len(legal), "flagged": sum(r.flagged for r in legal_results),
                    "false_positives": [{"id": row["id"], "risk": r.risk, "level": r.level.value, "text": row["text"]}
                                        for row, r in zip(legal, legal_results) if r.flagged]}
    embedded = load("embedded")
    embedded_results = score(embedded)
    out["embedded"] = {}
    for ctx in sorted({row["ctx"] for row in embedded}):
        kept = [r.flagged for row, r in zip(embedded, embedded_results)
                if row["ctx"] == ctx and row["label"] == 1 and row["base"] in flagged_pitches]
        legal_flags = [r.flagged for row, r in zip(embedded, embedded_results) if row["ctx"] == ctx and row["label"] == 0]
        out["embedded"][f"context_{ctx}"] = {"pitches_kept": f"{sum(kept)}/{len(kept)}",
                                             "share_kept": round(sum(kept) / max(1, len(kept)), 3),
                                             "legal_flagged": f"{sum(legal_flags)}/{len(legal_flags)}"}
    rewrites = load("evasions") + load("evasions_noise") + load("evasions_hand")
    rewrite_results = score(rewrites)
    families: dict[str, list[bool]] = {}
    levels: Counter = Counter()
    for row, r in zip(rewrites, rewrite_results):
        if row["base"] in flagged_pitches:
            families.setdefault(row["family"], []).append(r.flagged)
        if r.flagged:
            levels[r.level.value] += 1
    out["evasion_families"] = {family: {"kept": f"{sum(v)}/{len(v)}", "share": round(sum(v) / len(v), 3)}
                               for family, v in sorted(families.items(), key=lambda kv: sum(kv[1]) / len(kv[1]))}
    out["levels_of_flagged_rewrites"] = dict(levels)
    ordinary = load("ordinary_norm")
    out["rules_on_ordinary_posts"] = {row["text"]: list(r.normalization)
                                      for row, r in zip(ordinary, score(ordinary)) if r.normalization}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=None, help="model directory (default: the shipped model)")
    parser.add_argument("--out", default=None, help="also write the JSON here")
    args = parser.parse_args()
    emit(measure(Scorer.load(args.model)), args.out)


if __name__ == "__main__":
    main()
