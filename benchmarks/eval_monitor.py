"""Done-check figures of ``mlmrisk monitor`` on the simulated stream (ground truth: each record's ``kind``/``ring``).

    python benchmarks/eval_monitor.py STREAM.jsonl STATE_DIR     # after `mlmrisk monitor STREAM.jsonl --state STATE_DIR`

Prints JSON: AUC of scheme accounts against all other kinds, rings that are exactly one network, the highest tier
reached by news / fraud / gambling / one-off accounts, tier counts by kind.
"""

from __future__ import annotations

import json
import sys
from collections import Counter, defaultdict


def evaluate(stream_path: str, state_dir: str) -> dict:
    kind, ring = {}, defaultdict(set)
    with open(stream_path, encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            kind[r["account"]] = r["kind"]
            if r.get("ring"):
                ring[r["ring"]].add(r["account"])
    accounts = [json.loads(x) for x in open(f"{state_dir}/accounts.jsonl", encoding="utf-8")]
    networks = [json.loads(x) for x in open(f"{state_dir}/networks.jsonl", encoding="utf-8")]
    pos = [a["risk"] for a in accounts if kind[a["account"]] == "scheme"]
    neg = [a["risk"] for a in accounts if kind[a["account"]] != "scheme"]
    wins = sum((p > n) + 0.5 * (p == n) for p in pos for n in neg)
    auc = wins / (len(pos) * len(neg)) if pos and neg else float("nan")
    net_of = {a: n["network"] for n in networks for a in n["accounts"]}
    members = {n["network"]: set(n["accounts"]) for n in networks}
    one = {r: len({net_of.get(a) for a in accs}) == 1 and None not in {net_of.get(a) for a in accs}
           and members[net_of[next(iter(accs))]] == accs for r, accs in ring.items()}
    order = ["none", "watch", "light", "medium", "severe"]
    tiers = defaultdict(Counter)
    for a in accounts:
        tiers[kind[a["account"]]][a["tier"]] += 1
    top = {k: max(c, key=order.index) for k, c in tiers.items()}
    return {"accounts": len(accounts), "scheme_accounts": len(pos), "auc_scheme_vs_rest": round(auc, 5),
            "min_scheme_risk": min(pos) if pos else None, "max_other_risk": max(neg) if neg else None,
            "rings": len(ring), "rings_exactly_one_network": sum(one.values()),
            "rings_not_one_network": sorted(r for r, ok in one.items() if not ok),
            "highest_tier_by_kind": top, "tiers_by_kind": {k: dict(c) for k, c in tiers.items()}}


if __name__ == "__main__":
    print(json.dumps(evaluate(sys.argv[1], sys.argv[2]), ensure_ascii=False, indent=1))
