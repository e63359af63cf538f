"""Cost of ``mlmrisk monitor`` on already-scored input against the cost of scoring, and its peak RSS.

    python benchmarks/bench_monitor.py --posts 1000000 --accounts 50000 --out benchmarks/out/monitor

Builds the input from the simulated stream (training/simulate_stream.py, ``full``, ~42.6k posts by ~1.6k accounts):
the stream is copied with the account renamed per copy (``acct~k``); a copy keeps texts and times, so copies of one
ring share handles and campaign texts (bigger networks: a heavier case, not an easier one). There are enough copies
for both ``--posts`` posts and at least ``--accounts`` accounts; when that is more posts than wanted, every copied
account keeps its first post and the rest are a fixed-seed uniform sample, so the input has exactly ``--posts``
posts and every copied account (the earlier builder stopped copying at ``--posts`` and ignored ``--accounts``:
38,870 accounts at 1M posts). Then it runs, each as its own process:

1. ``mlmrisk score raw.jsonl -o scored.jsonl`` (1 worker) — the scoring time;
2. ``mlmrisk monitor scored.jsonl --state DIR`` on the scored records (account/time/text + the score record) —
   nothing is rescored;

and prints both wall times, their ratio and the monitor's peak RSS (``ru_maxrss`` of the child) as JSON.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np

from mlmrisk.serving.scorer import Scorer
from mlmrisk.training.simulate_stream import generate


def build(out: Path, posts: int, accounts: int) -> dict:
    """Write ``raw.jsonl`` (account/time/text) and ``scored.jsonl`` (the same plus the score record); see the
    module docstring for how copies give ≥ ``accounts`` accounts in exactly ``posts`` posts."""
    stream = generate("full")
    owner = [r["account"] for r in stream]
    per_copy = len(set(owner))
    copies = max(1, -(-posts // len(stream)), -(-accounts // per_copy))
    scorer = Scorer.load()
    scored = scorer.score_batch([r["text"] for r in stream]).records([r["id"] for r in stream])
    # which (copy, post) pairs to write: each account's first post in every copy, then a uniform sample
    first = np.zeros(len(stream), dtype=bool)
    first[sorted({a: i for i, a in reversed(list(enumerate(owner)))}.values())] = True
    keep = np.tile(first, copies)
    rest = np.flatnonzero(~keep)
    need = posts - int(keep.sum())
    if need < 0:
        raise SystemExit(f"{posts} posts cannot hold {int(keep.sum())} accounts")
    keep[np.random.default_rng(20260101).choice(rest, size=min(need, len(rest)), replace=False)] = True
    n = 0
    names = set()
    with open(out / "raw.jsonl", "wb") as raw, open(out / "scored.jsonl", "wb") as sc:
        for k in range(copies):
            for i, (r, s) in enumerate(zip(stream, scored)):
                if not keep[k * len(stream) + i]:
                    continue
                account = f"{r['account']}~{k}"
                names.add(account)
                base = {"id": f"{r['id']}~{k}", "account": account, "time": r["time"], "channel": r["channel"],
                        "text": r["text"]}
                raw.write(json.dumps(base, ensure_ascii=False).encode() + b"\n")
                sc.write(json.dumps({**s, **base}, ensure_ascii=False).encode() + b"\n")
                n += 1
    return {"posts": n, "accounts": len(names), "accounts_per_copy": per_copy, "copies": copies}


_PROBE = ("import resource, subprocess, sys, time; t = time.perf_counter(); "
          "subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL); "
          "u = resource.getrusage(resource.RUSAGE_CHILDREN); "
          "print(time.perf_counter() - t, u.ru_maxrss, u.ru_utime + u.ru_stime)")


def timed(cmd: list[str]) -> tuple[float, float, float]:
    """Wall seconds, peak RSS (MB) and CPU seconds (user + system, all threads) of ``cmd``, measured by a fresh
    parent that runs only it. CPU seconds are the fairer figure on a machine shared with other jobs."""
    out = subprocess.run([sys.executable, "-c", _PROBE, *cmd], check=True, capture_output=True, text=True).stdout
    wall, rss_kb, cpu = out.split()
    return float(wall), float(rss_kb) / 1024, float(cpu)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--accounts", type=int, default=50_000,
                        help="at least this many accounts (more copies of the stream, posts sampled)")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/out/monitor"))
    parser.add_argument("--skip-score", action="store_true")
    parser.add_argument("--reuse", action="store_true", help="reuse the input built by an earlier run with the same sizes")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    built = args.out / "input.json"
    info = json.loads(built.read_text()) if args.reuse and built.is_file() else {}
    if info.get("requested") != [args.posts, args.accounts]:
        info = {**build(args.out, args.posts, args.accounts), "requested": [args.posts, args.accounts]}
        built.write_text(json.dumps(info))
    exe = str(Path(sys.executable).with_name("mlmrisk"))
    result = dict(info)
    if not args.skip_score:
        wall, rss, cpu = timed([exe, "score", str(args.out / "raw.jsonl"), "-o", str(args.out / "rescored.jsonl"),
                                "--workers", "1", "--no-progress"])
        result.update(score_seconds=round(wall, 1), score_cpu_seconds=round(cpu, 1), score_peak_rss_mb=round(rss))
    state = args.out / "state"
    shutil.rmtree(state, ignore_errors=True)
    wall, rss, cpu = timed([exe, "monitor", str(args.out / "scored.jsonl"), "--state", str(state)])
    result.update(monitor_seconds=round(wall, 1), monitor_cpu_seconds=round(cpu, 1), monitor_peak_rss_mb=round(rss))
    if "score_seconds" in result:
        result["monitor_over_score"] = round(result["monitor_seconds"] / result["score_seconds"], 3)
        result["monitor_over_score_cpu"] = round(result["monitor_cpu_seconds"] / result["score_cpu_seconds"], 3)
    print(json.dumps(result))
    (args.out / "results.json").write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
