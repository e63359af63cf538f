"""``mlmrisk monitor``: ingest posts into the state, score what is unscored, aggregate, write the outputs.

Outputs in the state directory: ``accounts.jsonl``, ``networks.jsonl``, ``alerts.jsonl``, ``report.html``. The first
two depend only on the stored posts (sorted, no run times in them), so incremental runs equal a one-shot run.
"""

from __future__ import annotations

import json
import time as _time
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import orjson

from mlmrisk.classifier.account_risk import (
    ELEMENT_NAMES,
    TIER_LABELS,
    AccountStats,
    account_risk,
    tier_rank,
    trend,
)
from mlmrisk.classifier.contacts import LINKING_KINDS, extract_contacts
from mlmrisk.serving.monitor.ingest import FieldMap, IngestStats, Post, iter_posts
from mlmrisk.serving.monitor.networks import build_networks, signature
from mlmrisk.serving.monitor.state import ELEMENT_BITS, existing_keys, open_state, previous_tiers, save_tiers

CHUNK = 8192
WATCH_LEVELS = {"low", "medium", "high", "severe"}
TOP_EVIDENCE = 3


def _elements_bits(record: dict) -> int:
    elements = record.get("elements") or {}
    bits = 0
    if isinstance(elements, dict):
        for name, value in elements.items():
            if isinstance(value, dict) and value.get("present") and name in ELEMENT_BITS:
                bits |= ELEMENT_BITS[name]
    return bits


def _row(post: Post, record: dict, model: str) -> tuple:
    level = record.get("level") or "none"
    flagged = bool(record.get("flagged"))
    detail = None
    if flagged or level in WATCH_LEVELS:
        elements = record.get("elements") or {}
        detail = orjson.dumps({
            "elements": {k: {"probability": v.get("probability"), "present": v.get("present")}
                         for k, v in elements.items() if isinstance(v, dict)} if isinstance(elements, dict) else {},
            "evidence": [{k: e.get(k) for k in ("start", "end", "text", "weight", "source")}
                         for e in (record.get("evidence") or []) if isinstance(e, dict)],
            "normalization": record.get("normalization") or [], "lists": record.get("lists") or [],
        }).decode()
    probability = round(float(record.get("probability") or 0.0), 6)
    risk = record.get("risk")
    risk = int(round(100 * probability)) if risk is None else int(risk)
    return (post.key, post.account, post.id, post.time, post.time[:10], post.channel, post.text, probability, risk,
            level, int(flagged), _elements_bits(record) if flagged else 0, detail, record.get("model") or model, 0)


class _LazyScorer:
    def __init__(self, model_dir: Any) -> None:
        self.model_dir = model_dir
        self.scorer = None

    def get(self):
        if self.scorer is None:
            from mlmrisk.serving.scorer import Scorer

            self.scorer = Scorer.load(self.model_dir)
        return self.scorer


def ingest(db, paths: list[str], fields: FieldMap, scorer: _LazyScorer) -> dict:
    stats = IngestStats()
    added = duplicates = scored = 0

    def flush(batch: list[Post]) -> None:
        nonlocal added, duplicates, scored
        unique: dict[str, Post] = {}
        for p in batch:
            if p.key in unique:
                duplicates += 1
            else:
                unique[p.key] = p
        seen = existing_keys(db, list(unique))
        duplicates += len(seen)
        new = [p for k, p in unique.items() if k not in seen]
        if not new:
            return
        to_score = [p for p in new if p.scored is None]
        records: dict[str, dict] = {p.key: p.scored for p in new if p.scored is not None}
        model = "unknown"
        if to_score:
            s = scorer.get()
            model = s.model_id
            for p, r in zip(to_score, s.score_batch([p.text for p in to_score]).records()):
                records[p.key] = r
            scored += len(to_score)
        rows, contacts, sigs = [], [], []
        for p in new:
            r = records[p.key]
            if r.get("error"):
                stats.reject("score_error")
                continue
            row = _row(p, r, model)
            cta = False
            if p.text and (row[10] or row[9] in WATCH_LEVELS):
                found = extract_contacts(p.text)
                cta = bool(found)
                contacts.extend((p.key, p.account, k) for k in dict.fromkeys(
                    c.key for c in found if c.kind in LINKING_KINDS))
                row = row[:-1] + (int(cta),)
            rows.append(row)
            if row[10] and cta:
                sig = signature(p.text)
                if sig is not None:
                    sigs.append((p.key, p.account, sig))
        db.execute("BEGIN")
        db.executemany("INSERT OR IGNORE INTO posts VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)
        db.executemany("INSERT OR IGNORE INTO contacts VALUES (?,?,?)", contacts)
        db.executemany("INSERT OR IGNORE INTO sigs VALUES (?,?,?)", sigs)
        db.execute("COMMIT")
        added += len(rows)

    batch: list[Post] = []
    for post in iter_posts(paths, fields, stats):
        batch.append(post)
        if len(batch) >= CHUNK:
            flush(batch)
            batch = []
    if batch:
        flush(batch)
    return {"read": stats.read, "added": added, "duplicates": duplicates, "bad": stats.bad,
            "bad_reasons": stats.reasons, "scored": scored}


def _post_ids(db, keys: list[str]) -> dict[str, str]:
    out = {}
    for i in range(0, len(keys), 900):
        part = keys[i:i + 900]
        for key, pid in db.execute(f"SELECT key, id FROM posts WHERE key IN ({','.join('?' * len(part))})", part):
            out[key] = pid
    return out


def aggregate(db) -> tuple[list[dict], list[dict], dict]:
    """(accounts, networks, summary) from everything in the state."""
    networks = build_networks(db)
    member = {a: n for n in networks for a in n["accounts"]}
    # readable evidence for links: post ids, and an example text for campaigns
    keys = sorted({k for n in networks for link in n["shared"] for k in link["posts"]})
    ids = _post_ids(db, keys)
    for n in networks:
        for link in n["shared"]:
            if link["kind"] == "campaign":
                text = db.execute("SELECT text FROM posts WHERE key = ?", (link["value"],)).fetchone()[0]
                link["value"] = text[:80]
            link["posts"] = [ids.get(k, k) for k in link["posts"]]
    last_day = db.execute("SELECT max(day) FROM posts").fetchone()[0]
    if last_day is None:
        return [], networks, {"posts": 0}
    end = date.fromisoformat(last_day)
    recent_from = (end - timedelta(days=7)).isoformat()
    previous_from = (end - timedelta(days=14)).isoformat()
    element_sql = ", ".join(f"sum(flagged AND (elements & {b}) != 0)" for b in ELEMENT_BITS.values())
    rows = db.execute(
        f"SELECT account, count(*), sum(flagged), min(time), max(time),"
        f" count(DISTINCT CASE WHEN flagged THEN day END),"
        f" sum(flagged AND day > ?), sum(flagged AND day > ? AND day <= ?),"
        f" group_concat(DISTINCT channel), sum(flagged AND cta), {element_sql}"
        f" FROM posts GROUP BY account ORDER BY account", (recent_from, previous_from, recent_from)).fetchall()
    top: dict[str, list[float]] = defaultdict(list)
    for account, p in db.execute(
            "SELECT account, probability FROM (SELECT account, probability, row_number() OVER"
            " (PARTITION BY account ORDER BY probability DESC) AS rn FROM posts) WHERE rn <= 3"):
        top[account].append(p)
    evidence: dict[str, list[dict]] = defaultdict(list)
    for account, pid, t, p, level, detail in db.execute(
            "SELECT account, id, time, probability, level, detail FROM (SELECT account, id, time, probability,"
            " level, detail, row_number() OVER (PARTITION BY account ORDER BY probability DESC, key) AS rn"
            " FROM posts WHERE flagged) WHERE rn <= ?", (TOP_EVIDENCE,)):
        spans = json.loads(detail)["evidence"] if detail else []
        evidence[account].append({"post": pid, "time": t, "probability": p, "level": level,
                                  "spans": [{"start": s["start"], "end": s["end"], "text": s["text"]} for s in spans]})
    accounts = []
    for (account, posts, flagged, first, last, fdays, recent, previous, channels, cta, *counts) in rows:
        elements = {name: int(c) for name, c in zip(ELEMENT_NAMES, counts) if c}
        net = member.get(account)
        stats = AccountStats(posts=posts, flagged=int(flagged), top_probabilities=top[account],
                             elements=list(elements), flagged_days=fdays,
                             network_size=net["size"] if net else 1,
                             contact_share=(cta / flagged) if flagged else 0.0)
        result = account_risk(stats)
        accounts.append({
            "account": account, "risk": result.risk, "tier": result.tier, "tier_label": TIER_LABELS[result.tier],
            "components": result.components,
            "reasons": {
                "posts": posts, "flagged_posts": int(flagged), "flagged_days": fdays,
                "flagged_with_contact": int(cta or 0), "elements": elements,
                "first_seen": first, "last_seen": last, "trend": trend(int(recent), int(previous)),
                "channels": sorted(c for c in (channels or "").split(",") if c),
                "network": net["network"] if net else None, "network_size": net["size"] if net else 1,
                "top_evidence": evidence.get(account, []),
            },
        })
    accounts.sort(key=lambda a: (-a["risk"], a["account"]))
    by_account = {a["account"]: a for a in accounts}
    for n in networks:
        tiers = [by_account[a]["tier"] for a in n["accounts"] if a in by_account]
        n["tier"] = max(tiers, key=tier_rank) if tiers else "none"
        n["risk"] = max((by_account[a]["risk"] for a in n["accounts"] if a in by_account), default=0)
    summary = {"posts": db.execute("SELECT count(*) FROM posts").fetchone()[0], "accounts": len(accounts),
               "networks": len(networks), "first_day": db.execute("SELECT min(day) FROM posts").fetchone()[0],
               "last_day": last_day}
    return accounts, networks, summary


def _write_jsonl(path: Path, rows: list[dict]) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    with open(tmp, "wb") as f:
        for r in rows:
            f.write(orjson.dumps(r) + b"\n")
    tmp.replace(path)


def alerts_for(db, accounts: list[dict], networks: list[dict], min_tier: str) -> list[dict]:
    alerts = []
    floor = tier_rank(min_tier)
    for kind, items, name in (("account", accounts, "account"), ("network", networks, "network")):
        before = previous_tiers(db, kind)
        for item in items:
            old = before.get(item[name])
            new = item["tier"]
            if tier_rank(new) >= floor and (old is None or tier_rank(new) > tier_rank(old)):
                alert = {"kind": kind, "name": item[name], "tier": new, "tier_label": TIER_LABELS[new],
                         "previous_tier": old, "risk": item["risk"], "reason": "new" if old is None else "tier_up"}
                if kind == "network":
                    alert["accounts"] = item["accounts"]
                alerts.append(alert)
        save_tiers(db, kind, {item[name]: item["tier"] for item in items})
    alerts.sort(key=lambda a: (-tier_rank(a["tier"]), -a["risk"], a["kind"], a["name"]))
    return alerts


def run_monitor(paths: list[str], state_dir: str | Path, *, fields: FieldMap | None = None, model_dir: Any = None,
                report: bool = True, alert_tier: str = "light") -> dict:
    state_dir = Path(state_dir)
    db = open_state(state_dir)
    started = _time.perf_counter()
    try:
        summary = ingest(db, [str(p) for p in paths], fields or FieldMap(), _LazyScorer(model_dir))
        t_ingest = _time.perf_counter() - started
        accounts, networks, overview = aggregate(db)
        alerts = alerts_for(db, accounts, networks, alert_tier)
        _write_jsonl(state_dir / "accounts.jsonl", accounts)
        _write_jsonl(state_dir / "networks.jsonl", networks)
        _write_jsonl(state_dir / "alerts.jsonl", alerts)
        if report:
            from mlmrisk.serving.monitor.report import write_report

            write_report(db, state_dir / "report.html", accounts, networks, alerts, overview)
        db.execute("INSERT INTO runs (at, files, read, added, duplicates, bad, scored) VALUES (?,?,?,?,?,?,?)",
                   (_time.strftime("%Y-%m-%dT%H:%M:%SZ", _time.gmtime()), json.dumps([str(p) for p in paths]),
                    summary["read"], summary["added"], summary["duplicates"], summary["bad"], summary["scored"]))
    finally:
        db.close()
    tiers: dict[str, int] = defaultdict(int)
    for a in accounts:
        tiers[a["tier"]] += 1
    return {**summary, **overview, "tiers": dict(tiers), "alerts": len(alerts),
            "seconds": round(_time.perf_counter() - started, 2), "ingest_seconds": round(t_ingest, 2)}
