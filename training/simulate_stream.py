"""A simulated stream of accounts' posts for ``mlmrisk monitor`` tests and the demo (no shared data needed).

    python -m mlmrisk.training.simulate_stream -o stream.jsonl [--size full|small] [--seed N]

Config is data (``data/simulated_stream/config.json``), texts come from the project's own files: the written corpus
(``data/written/*.jsonl``; ``$MLMRISK_WRITTEN_DIR`` overrides where it is), ``data/challenge_set.jsonl``, and the
templates in ``data/simulated_stream/templates.json``. Account kinds:

- ``scheme`` — rings of 3–8 accounts; each ring promotes its own base texts (no other ring or one-off poster uses
  them), with the ring's shared WeChat id / QQ / invite code / link written in evasive styles, over many days;
- ``one_off`` — an ordinary account that posts one promotion among its chatter;
- ``fraud`` and ``gambling`` — scam and gambling promotion (not 传销);
- ``news`` — news and warnings that talk about 传销;
- ``benign`` — chatter and the written corpus's hard negatives (retail, job ads, finance talk, …).

Every record: ``id, account, time (ISO 8601, +08:00), channel, text, kind, ring, source, synthetic: true,
provenance``. The same seed gives the same stream.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import string
from datetime import datetime, timedelta
from pathlib import Path

from mlmrisk.resources import data_path


def _load_jsonl(path: Path) -> list[dict]:
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def written_dir() -> Path:
    override = os.environ.get("MLMRISK_WRITTEN_DIR")
    return Path(override) if override else data_path("written")


def load_pools() -> dict[str, list[tuple[str, str]]]:
    """Text pools (source id, text) by use: promotion, negative, news."""
    pools: dict[str, list[tuple[str, str]]] = {"promotion": [], "negative": [], "news": []}
    records = []
    directory = written_dir()
    if directory.is_dir():
        for path in sorted(directory.glob("*.jsonl")):
            records.extend(("written:" + r.get("id", ""), r) for r in _load_jsonl(path))
    records.extend(("challenge:" + r.get("id", ""), r) for r in _load_jsonl(data_path("challenge_set.jsonl")))
    for source, r in records:
        text = r.get("text")
        if not isinstance(text, str) or not text.strip() or len(text) > 600:
            continue
        if r.get("label") == 1:
            pools["promotion"].append((source, text))
        elif r.get("kind") in ("news", "anti_mlm_warning"):
            pools["news"].append((source, text))
        elif r.get("label") == 0:
            pools["negative"].append((source, text))
    return pools


def _fill(template: str, slots: dict, rng: random.Random) -> str:
    values = {k: rng.choice(v) for k, v in slots.items()}
    values.update(n=rng.randint(2, 99), price=rng.choice([19, 39, 88, 199, 399, 880, 1200, 3000]))
    return template.format(**values)


def _handle(rng: random.Random, n: int = 8) -> str:
    return rng.choice(string.ascii_lowercase) + "".join(rng.choices(string.ascii_lowercase + string.digits, k=n - 1))


def generate(size: str = "full", seed: int | None = None) -> list[dict]:
    config = json.loads(data_path("simulated_stream", "config.json").read_text(encoding="utf-8"))
    templates = json.loads(data_path("simulated_stream", "templates.json").read_text(encoding="utf-8"))
    cfg = config["sizes"][size]
    rng = random.Random(cfg["seed"] if seed is None else seed)
    start = datetime.fromisoformat(config["start"])
    days = cfg["days"]
    channels = config["channels"]
    slots = templates["slots"]
    pools = load_pools()
    promotions = list(pools["promotion"])
    rng.shuffle(promotions)
    news_pool = pools["news"] + [("template:news", t) for t in templates["news"]]
    negatives = pools["negative"]
    records: list[dict] = []
    counter = [0]

    def when(day_range: tuple[int, int] | None = None) -> str:
        lo, hi = day_range or (0, days - 1)
        t = start + timedelta(days=rng.randint(lo, hi), seconds=rng.randint(0, 86399))
        return t.isoformat()

    def emit(account: str, kind: str, text: str, source: str, ring: str | None = None, t: str | None = None,
             channel: str | None = None) -> None:
        counter[0] += 1
        records.append({"id": f"sim-{counter[0]:07d}", "account": account, "time": t or when(),
                        "channel": channel or rng.choice(channels), "text": text, "kind": kind, "ring": ring,
                        "source": source, "synthetic": True, "provenance": config["provenance"]})

    def chatter(account: str, kind: str, n: int) -> None:
        for _ in range(n):
            if negatives and rng.random() < 0.1:
                source, text = rng.choice(negatives)
                emit(account, kind, text, source)
            else:
                emit(account, kind, _fill(rng.choice(templates["chatter"]), slots, rng), "template:chatter")

    def between(pair: list[int]) -> int:
        return rng.randint(pair[0], pair[1])

    # scheme rings: disjoint base texts, shared handles
    per_ring = 4
    for r in range(cfg["rings"]):
        ring = f"ring{r:02d}"
        base = [promotions.pop() for _ in range(min(per_ring, len(promotions) - 1))]
        shared = {"wx": _handle(rng), "qq": str(rng.randint(10_000_000, 999_999_999)),
                  "code": "".join(rng.choices(string.ascii_uppercase + string.digits, k=6)),
                  "url": f"{_handle(rng, 6)}.top/r"}
        styles = rng.sample(config["contact_styles"], 3)
        active = (rng.randint(0, days // 3), days - 1)
        for m in range(between(cfg["ring_size"])):
            account = f"{ring}_m{m}_{_handle(rng, 5)}"
            channel = rng.choice(channels)
            for _ in range(between(cfg["ring_promotions"])):
                source, text = rng.choice(base)
                contact = rng.choice(styles).format(**shared)
                emit(account, "scheme", f"{text} {contact}", source, ring, when(active), channel)
            chatter(account, "scheme", between(cfg["ring_chatter"]))
    # one-off posters: one promotion each, from what no ring uses
    for i in range(cfg["one_off"]):
        account = f"user_o{i}_{_handle(rng, 5)}"
        source, text = promotions[i % len(promotions)]
        emit(account, "one_off", text, source)
        chatter(account, "one_off", between(cfg["one_off_chatter"]))
    for kind in ("fraud", "gambling"):
        for i in range(cfg[kind]):
            account = f"{kind[:3]}_{i}_{_handle(rng, 5)}"
            for _ in range(between(cfg[f"{kind}_posts"])):
                emit(account, kind, _fill(rng.choice(templates[kind]), slots, rng) + " " +
                     rng.choice(["加V：" + _handle(rng), "QQ " + str(rng.randint(10_000_000, 999_999_999)), ""]),
                     f"template:{kind}")
            chatter(account, kind, between(cfg[f"{kind}_chatter"]))
    for i in range(cfg["news"]):
        account = f"news_{i}_{_handle(rng, 5)}"
        for _ in range(between(cfg["news_posts"])):
            source, text = rng.choice(news_pool)
            emit(account, "news", _fill(text, slots, rng) if source == "template:news" else text, source)
    for i in range(cfg["benign"]):
        account = f"user_b{i}_{_handle(rng, 5)}"
        chatter(account, "benign", between(cfg["benign_posts"]))
    records.sort(key=lambda r: (r["time"], r["id"]))
    return records


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--output", required=True, type=Path)
    parser.add_argument("--size", choices=["full", "small"], default="full")
    parser.add_argument("--seed", type=int)
    parser.add_argument("--split", type=int, default=1, help="write N files cut by time (output-1.jsonl, …)")
    args = parser.parse_args(argv)
    records = generate(args.size, args.seed)
    outputs = [args.output] if args.split == 1 else [
        args.output.with_name(f"{args.output.stem}-{k + 1}{args.output.suffix}") for k in range(args.split)]
    per = -(-len(records) // len(outputs))
    for k, path in enumerate(outputs):
        with open(path, "w", encoding="utf-8") as f:
            for r in records[k * per:(k + 1) * per]:
                f.write(json.dumps(r, ensure_ascii=False) + "\n")
    accounts = len({r["account"] for r in records})
    print(json.dumps({"posts": len(records), "accounts": accounts, "files": [str(p) for p in outputs]}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
