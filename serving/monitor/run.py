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
from mlmrisk.serving.monitor.ingest import FieldMap, staging_sql
from mlmrisk.serving.monitor.networks import build_networks, signature
from mlmrisk.serving.monitor.state import ELEMENT_BITS, open_state, previous_tiers, save_tiers

CHUNK = 8192
WATCH_LEVELS = ("low", "medium", "high", "severe")
TOP_EVIDENCE = 3
_WATCH_SQL = "('low', 'medium', 'high', 'severe')"


class _LazyScorer:
    def __init__(self, model_dir: Any) -> None:
        self.model_dir = model_dir
        self.scorer = None

    def get(self):
        if self.scorer is None:
            from mlmrisk.serving.scorer import Scorer

            self.scorer = Scorer.load(self.model_dir)
        return self.scorer


def _insert_arrow(db, table: str, columns: dict[str, list]) -> None:
    import pyarrow as pa

    data = pa.table(columns)
    db.register("_arrow_rows", data)
    db.execute(f"INSERT INTO {table} SELECT * FROM _arrow_rows")
    db.unregister("_arrow_rows")


def ingest_file(db, path: str, fields: FieldMap, scorer: _LazyScorer) -> dict:
    """Add one file's new posts to the state; returns read / added / duplicates / bad / scored counts."""
    db.execute(f"CREATE OR REPLACE TEMP TABLE stage_raw AS {staging_sql(path, fields)}")
    read, bad = db.execute("SELECT count(*), count(*) FILTER (WHERE NOT ok) FROM stage_raw").fetchone()
    score_cols = "probability, level, risk, flagged, model, elements, evidence, normalization, lists"
    # in-file duplicates: resolved by a window only when there are any (the window sorts every row)
    rows_ok, keys = db.execute("SELECT count(*), count(DISTINCT key) FROM stage_raw WHERE ok").fetchone()
    source = ("(SELECT * FROM stage_raw WHERE ok)" if rows_ok == keys else
              "(SELECT * FROM stage_raw WHERE ok QUALIFY row_number() OVER (PARTITION BY key ORDER BY time, text) = 1)")
    db.execute(f"""
      CREATE OR REPLACE TEMP TABLE stage AS
      SELECT key, account, coalesce(pid, key) AS id, time, substr(time, 1, 10) AS day, coalesce(channel, '') AS channel,
             coalesce(text, '') AS text, is_scored, {score_cols}
      FROM {source} s
      WHERE NOT EXISTS (SELECT 1 FROM posts p WHERE p.key = s.key)""")
    db.execute("DROP TABLE stage_raw")
    new = db.execute("SELECT count(*) FROM stage").fetchone()[0]
    # score what is not scored yet, through the public Scorer API, in chunks (bounded memory)
    db.execute("CREATE OR REPLACE TEMP TABLE fresh (key VARCHAR, probability DOUBLE, level VARCHAR, risk DOUBLE,"
               " flagged BOOLEAN, model VARCHAR, elements JSON, evidence JSON, normalization JSON, lists JSON,"
               " failed BOOLEAN)")
    todo = db.execute("SELECT count(*) FROM stage WHERE NOT is_scored").fetchone()[0]
    model = "unknown"
    if todo:
        s = scorer.get()
        model = s.model_id
        db.execute("CREATE OR REPLACE TEMP TABLE todo AS"
                   " SELECT row_number() OVER () AS seq, key, text FROM stage WHERE NOT is_scored")
        for lo in range(0, todo, CHUNK):
            rows = db.execute("SELECT key, text FROM todo WHERE seq > ? AND seq <= ?", [lo, lo + CHUNK]).fetchall()
            if not rows:
                continue
            records = s.score_batch([t for _, t in rows]).records()

            def dumps(value):
                return None if value is None else orjson.dumps(value).decode()

            _insert_arrow(db, "fresh", {
                "key": [k for k, _ in rows], "probability": [r.get("probability") for r in records],
                "level": [r.get("level") for r in records], "risk": [r.get("risk") for r in records],
                "flagged": [r.get("flagged") for r in records], "model": [r.get("model", model) for r in records],
                "elements": [dumps(r.get("elements")) for r in records],
                "evidence": [dumps(r.get("evidence")) for r in records],
                "normalization": [dumps(r.get("normalization")) for r in records],
                "lists": [dumps(r.get("lists")) for r in records],
                "failed": [bool(r.get("error")) for r in records]})
    bits = " + ".join(f"CASE WHEN TRY_CAST(elements->>'$.{name}.present' AS BOOLEAN) THEN {b} ELSE 0 END"
                      for name, b in ELEMENT_BITS.items())
    pick = ", ".join(f"coalesce(f.{c}, s.{c}) AS {c}" for c in score_cols.split(", "))
    db.execute(f"""
      CREATE OR REPLACE TEMP TABLE final AS
      WITH c AS (SELECT s.key, s.account, s.id, s.time, s.day, s.channel, s.text, {pick},
                        f.key IS NOT NULL AS is_fresh, coalesce(f.failed, false) AS failed
                 FROM stage s LEFT JOIN fresh f USING (key))
      SELECT key, account, id, time, day, channel, text, round(probability, 6) AS probability,
             CAST(coalesce(risk, round(100 * probability)) AS INTEGER) AS risk,
             coalesce(level, 'none') AS level, coalesce(flagged, false) AS flagged,
             CASE WHEN flagged THEN {bits} ELSE 0 END AS elements,
             CASE WHEN flagged OR level IN {_WATCH_SQL} THEN CAST(json_object(
               'elements', elements, 'evidence', evidence, 'normalization', normalization, 'lists', lists)
               AS VARCHAR) END AS detail,
             coalesce(model, CASE WHEN is_fresh THEN ? ELSE 'unknown' END) AS model
      FROM c WHERE NOT failed AND probability IS NOT NULL""", [model])
    kept = db.execute("SELECT count(*) FROM final").fetchone()[0]
    # contacts (a way to join) and campaign signatures, for posts at/above watch only
    watch = db.execute(f"SELECT key, account, text, flagged FROM final WHERE flagged OR level IN {_WATCH_SQL}"
                       " ORDER BY key").fetchall()
    cta_keys, c_rows, s_rows = [], ([], [], []), ([], [], [])
    for key, account, text, flagged in watch:
        found = extract_contacts(text) if text else []
        if not found:
            continue
        cta_keys.append(key)
        for ckey in dict.fromkeys(c.key for c in found if c.kind in LINKING_KINDS):
            c_rows[0].append(key)
            c_rows[1].append(account)
            c_rows[2].append(ckey)
        if flagged:
            sig = signature(text)
            if sig is not None:
                s_rows[0].append(key)
                s_rows[1].append(account)
                s_rows[2].append(sig)
    db.execute("CREATE OR REPLACE TEMP TABLE cta (key VARCHAR)")
    if cta_keys:
        _insert_arrow(db, "cta", {"key": cta_keys})
    db.execute("BEGIN TRANSACTION")
    db.execute("""INSERT INTO posts SELECT f.key, account, id, time, day, channel, text, probability, risk, level,
                  flagged, elements, detail, model, c.key IS NOT NULL FROM final f LEFT JOIN cta c USING (key)""")
    if c_rows[0]:
        _insert_arrow(db, "contacts", {"key": c_rows[0], "account": c_rows[1], "ckey": c_rows[2]})
    if s_rows[0]:
        import pyarrow as pa

        _insert_arrow(db, "sigs", {"key": s_rows[0], "account": s_rows[1], "sig": pa.array(s_rows[2], pa.binary())})
    db.execute("COMMIT")
    for table in ("stage", "fresh", "final", "cta", "todo"):
        db.execute(f"DROP TABLE IF EXISTS {table}")
    good = read - bad
    return {"read": read, "added": kept, "duplicates": good - new, "bad": bad + (new - kept), "scored": todo}


def ingest(db, paths: list[str], fields: FieldMap, scorer: _LazyScorer) -> dict:
    total = {"read": 0, "added": 0, "duplicates": 0, "bad": 0, "scored": 0}
    for path in paths:
        for k, v in ingest_file(db, path, fields, scorer).items():
            total[k] += v
    return total


def _post_ids(db, keys: list[str]) -> dict[str, str]:
    out = {}
    for i in range(0, len(keys), 900):
        part = keys[i:i + 900]
        for key, pid in db.execute(f"SELECT key, id FROM posts WHERE key IN ({','.join('?' * len(part))})",
                                   part).fetchall():
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
                text = db.execute("SELECT text FROM posts WHERE key = ?", [link["value"]]).fetchone()[0]
                link["value"] = text[:80]
            link["posts"] = [ids.get(k, k) for k in link["posts"]]
    last_day = db.execute("SELECT max(day) FROM posts").fetchone()[0]
    if last_day is None:
        return [], networks, {"posts": 0}
    end = date.fromisoformat(last_day)
    recent_from = (end - timedelta(days=7)).isoformat()
    previous_from = (end - timedelta(days=14)).isoformat()
    element_sql = ", ".join(f"count(*) FILTER (WHERE flagged AND (elements & {b}) <> 0)" for b in ELEMENT_BITS.values())
    rows = db.execute(
        f"SELECT account, count(*), count(*) FILTER (WHERE flagged), min(time), max(time),"
        f" count(DISTINCT CASE WHEN flagged THEN day END),"
        f" count(*) FILTER (WHERE flagged AND day > ?), count(*) FILTER (WHERE flagged AND day > ? AND day <= ?),"
        f" string_agg(DISTINCT channel, ',' ORDER BY channel), count(*) FILTER (WHERE flagged AND cta), {element_sql}"
        f" FROM posts GROUP BY account ORDER BY account", [recent_from, previous_from, recent_from]).fetchall()
    top: dict[str, list[float]] = defaultdict(list)
    for account, p in db.execute(
            "SELECT account, probability FROM (SELECT account, probability, row_number() OVER"
            " (PARTITION BY account ORDER BY probability DESC) AS rn FROM posts) WHERE rn <= 3").fetchall():
        top[account].append(p)
    evidence: dict[str, list[dict]] = defaultdict(list)
    for account, key, pid, t, p, level, detail in db.execute(
            "SELECT account, key, id, time, probability, level, detail FROM (SELECT account, key, id, time,"
            " probability, level, detail, row_number() OVER (PARTITION BY account ORDER BY probability DESC, key) AS rn"
            " FROM posts WHERE flagged) WHERE rn <= ? ORDER BY account, rn", [TOP_EVIDENCE]).fetchall():
        spans = (json.loads(detail).get("evidence") or []) if detail else []
        evidence[account].append({"post": pid, "key": key, "time": t, "probability": p, "level": level,
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
        db.execute("INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?)",
                   [_time.strftime("%Y-%m-%dT%H:%M:%SZ", _time.gmtime()), json.dumps([str(p) for p in paths]),
                    summary["read"], summary["added"], summary["duplicates"], summary["bad"], summary["scored"]])
    finally:
        db.close()
    tiers: dict[str, int] = defaultdict(int)
    for a in accounts:
        tiers[a["tier"]] += 1
    return {**summary, **overview, "tiers": dict(tiers), "alerts": len(alerts),
            "seconds": round(_time.perf_counter() - started, 2), "ingest_seconds": round(t_ingest, 2)}
