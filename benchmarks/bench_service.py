"""Bounded load test of ``mlmrisk serve`` on loopback, next to the in-process ``Scorer`` in the same run.

    python benchmarks/bench_service.py [--single 9000] [--batched 1000] [--concurrency 16] [--workers 1]

Starts the real command on a free loopback port, sends ``--single`` one-text requests and ``--batched`` 100-text
requests (httpx + asyncio, ``--concurrency`` in flight), then reports errors, p50/p99 latency, texts/s, the in-process
``Scorer.score_batch`` speed on the same texts and payload sizes, and the server's RSS at start and end. Texts are
data/sample_posts.jsonl and data/challenge_set.jsonl, cycled. Results also go to benchmarks/out/service.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import numpy as np
import psutil

REPO = Path(__file__).resolve().parent.parent
TOKEN = "bench-token"


def texts() -> list[str]:
    out = []
    for name in ("sample_posts.jsonl", "challenge_set.jsonl"):
        with open(REPO / "data" / name, encoding="utf-8") as f:
            out.extend(json.loads(line)["text"] for line in f if line.strip())
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tree_rss(pid: int) -> int:
    proc = psutil.Process(pid)
    return sum(p.memory_info().rss for p in [proc, *proc.children(recursive=True)])


async def load(base: str, payloads: list[dict], concurrency: int) -> tuple[list[float], int, int]:
    latencies: list[float] = []
    errors = 0
    scored = 0
    queue: asyncio.Queue = asyncio.Queue()
    for p in payloads:
        queue.put_nowait(p)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=60,
                                 limits=limits) as client:
        async def worker() -> None:
            nonlocal errors, scored
            while not queue.empty():
                payload = queue.get_nowait()
                t0 = time.perf_counter()
                try:
                    r = await client.post("/v1/score", json=payload)
                    ok = r.status_code == 200 and len(r.json()["results"]) == len(payload["items"])
                except httpx.HTTPError:
                    ok = False
                latencies.append(time.perf_counter() - t0)
                if ok:
                    scored += len(payload["items"])
                else:
                    errors += 1

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies, errors, scored


def in_process(pool: list[str], size: int, n_texts: int) -> float:
    from mlmrisk.serving.scorer import Scorer

    scorer = Scorer.load()
    batches = [[pool[(k * size + j) % len(pool)] for j in range(size)] for k in range(max(1, n_texts // size))]
    for b in batches[:20]:
        scorer.score_batch(b).records(list(range(len(b))))  # warm-up
    t0 = time.perf_counter()
    for b in batches:
        scorer.score_batch(b).records(list(range(len(b))))
    return len(batches) * size / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--single", type=int, default=9000, help="one-text requests")
    ap.add_argument("--batched", type=int, default=1000, help="100-text requests")
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--workers", type=int, default=1, help="server worker processes")
    args = ap.parse_args()
    pool = texts()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "MLMRISK_TOKEN": TOKEN}
    server = subprocess.Popen([sys.executable, "-m", "mlmrisk", "serve", "--port", str(port), "--workers",
                               str(args.workers), "--no-access-log"], env=env, stderr=subprocess.DEVNULL)
    results: dict = {"concurrency": args.concurrency, "workers": args.workers}
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit("server did not start")
            time.sleep(0.1)
        asyncio.run(load(base, [{"items": [{"id": k, "text": pool[k % len(pool)]}]} for k in range(200)], 4))  # warm-up
        rss_start = tree_rss(server.pid)
        phases = {"1-text": (args.single, 1), "100-text": (args.batched, 100)}
        for name, (n, size) in phases.items():
            payloads = [{"items": [{"id": j, "text": pool[(k * size + j) % len(pool)]} for j in range(size)]}
                        for k in range(n)]
            t0 = time.perf_counter()
            latencies, errors, scored = asyncio.run(load(base, payloads, args.concurrency))
            seconds = time.perf_counter() - t0
            ms = np.asarray(latencies) * 1000
            results[name] = {"requests": n, "errors": errors, "texts": scored, "seconds": round(seconds, 2),
                             "requests_per_s": round(n / seconds, 1), "texts_per_s": round(scored / seconds, 1),
                             "p50_ms": round(float(np.percentile(ms, 50)), 2),
                             "p99_ms": round(float(np.percentile(ms, 99)), 2)}
        rss_end = tree_rss(server.pid)
        results["rss_mb"] = {"start": round(rss_start / 2**20, 1), "end": round(rss_end / 2**20, 1)}
    finally:
        server.terminate()
        server.wait(timeout=60)
    for name, size in (("1-text", 1), ("100-text", 100)):
        speed = in_process(pool, size, 20_000 if size > 1 else 5_000)
        results[name]["in_process_texts_per_s"] = round(speed, 1)
        results[name]["service_vs_in_process"] = round(results[name]["texts_per_s"] / speed, 3)
    results["total_requests"] = args.single + args.batched
    results["total_errors"] = results["1-text"]["errors"] + results["100-text"]["errors"]
    out = REPO / "benchmarks" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / "service.json").write_text(json.dumps(results, indent=1))
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
