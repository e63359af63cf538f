"""Wall time of whole commands, run in turn and repeated: the quick A/B of two builds or settings.

    python benchmarks/interleaved.py 5 \
        filter "python benchmarks/keyword_filter.py short.jsonl hits.jsonl keywords.txt" \
        mlmrisk "mlmrisk score short.jsonl -o scored.jsonl --no-progress"

Each round runs every command once, in the order given, so a slow spell of a shared machine hits all of them;
it prints each command's minimum (noise only ever adds) and median, and each minimum's ratio to the first
command's (>1: faster than the first). ``benchmarks/bench_throughput.py`` is the full measurement; this is what
the sessions used to compare an old build with a new one on the same files (docs/architecture.md).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("rounds", type=int)
    parser.add_argument("pairs", nargs="+", help="label command label command …")
    args = parser.parse_args()
    if len(args.pairs) % 2:
        parser.error("give a label and a command for each run")
    pairs = list(zip(args.pairs[::2], args.pairs[1::2]))
    seconds: dict[str, list[float]] = {label: [] for label, _ in pairs}
    for _ in range(args.rounds):
        for label, command in pairs:
            start = time.perf_counter()
            subprocess.run(command, shell=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
            seconds[label].append(time.perf_counter() - start)
    base = min(seconds[pairs[0][0]])
    for label, values in seconds.items():
        print(f"{label:24s} min {min(values):.3f} s  median {statistics.median(values):.3f} s  "
              f"ratio {base / min(values):.3f}")


if __name__ == "__main__":
    main()
