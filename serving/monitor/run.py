"""``mlmrisk monitor``: ingest posts into the state, score what is unscored, aggregate, write the outputs.

Outputs in the state directory: ``accounts.jsonl``, ``networks.jsonl``, ``alerts.jsonl``, ``report.html``. The first
two depend only on the stored posts (sorted, no run times in them), so incremental runs equal a one-shot run.
"""

from __future__ import annotations

import gc
import json
import time as _time
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from mlmrisk.classifier.account_risk import (
    COMPONENTS,
    ELEMENT_NAMES,
    TIER_LABELS,
    TOP_K,
    account_risks,
    tier_rank,
    trend,
)
from mlmrisk.classifier.contacts import LINKING_KINDS, extract_contacts
from mlmrisk.classifier.errors import InputFormatError
from mlmrisk.serving.monitor.ingest import (
    STORED_SCORES,
    WATCH_LEVELS,
    FieldMap,
    staging_sql,
    stored_scores_sql,
)
from mlmrisk.serving.monitor.networks import build_networks, signatures
from mlmrisk.serving.monitor.state import ELEMENT_BITS, open_state, post_lookup, previous_tiers, save_tiers

CHUNK = 8192
TOP_EVIDENCE = 3
_WATCH_SQL = "(" + ", ".join(f"'{level}'" for level in WATCH_LEVELS) + ")"


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


def _watch_rows(db, source: str) -> tuple[list[str], tuple[list, list, list], tuple[list, list, list]]:
    """Contacts (a way to join) and campaign signatures of the posts at/above watch in ``source``.

    Work is done once per distinct text: a campaign's copies, reposts and a ring's shared pitch give the same
    contacts and the same signature, and such copies are what a monitored stream repeats (the benchmark's copies
    too: docs/monitoring.md, "Measured"). Returns the keys with a way to join, contact rows (key, account, ckey) and
    signature rows (key, account, sig).
    """
    watch = db.execute(f"SELECT key, account, text, flagged FROM {source} WHERE flagged OR level IN {_WATCH_SQL}"
                       " ORDER BY key").fetchall()
    found: dict[str, list] = {}
    for _, _, text, _ in watch:
        if text not in found:
            found[text] = extract_contacts(text) if text else []
    signed = [t for t, f in found.items() if f]
    sigs = dict(zip(signed, signatures(signed)))
    cta_keys: list[str] = []
    c_rows: tuple[list, list, list] = ([], [], [])
    s_rows: tuple[list, list, list] = ([], [], [])
    linking = {t: list(dict.fromkeys(c.key for c in f if c.kind in LINKING_KINDS)) for t, f in found.items() if f}
    for key, account, text, flagged in watch:
        if not found[text]:
            continue
        cta_keys.append(key)
        for ckey in linking[text]:
            c_rows[0].append(key)
            c_rows[1].append(account)
            c_rows[2].append(ckey)
        sig = sigs[text] if flagged else None
        if sig is not None:
            s_rows[0].append(key)
            s_rows[1].append(account)
            s_rows[2].append(sig)
    return cta_keys, c_rows, s_rows


def ingest_file(db, path: str, fields: FieldMap, scorer: _LazyScorer) -> dict:
    """Add one file's new posts to the state; returns read / added / duplicates / bad / scored counts.

    The file is read once, by DuckDB, into one staging table; duplicates (in the file, or already stored) are
    deleted from it, and the posts table is written from it in one INSERT. Python sees only the texts to score
    (plain input) and the posts at/above watch.
    """
    db.execute(f"CREATE OR REPLACE TEMP TABLE stage AS {staging_sql(path, fields)}")
    read, bad, rows_ok, keys, todo = db.execute(
        "SELECT count(*), count(*) FILTER (WHERE NOT ok), count(*) FILTER (WHERE ok),"
        " count(DISTINCT key) FILTER (WHERE ok), count(*) FILTER (WHERE ok AND NOT is_scored) FROM stage").fetchone()
    if bad:
        db.execute("DELETE FROM stage WHERE NOT ok")
    if rows_ok != keys:  # in-file duplicates: keep the first by time, then text (a window sorts every row: only here)
        db.execute("CREATE OR REPLACE TEMP TABLE stage AS SELECT * FROM stage"
                   " QUALIFY row_number() OVER (PARTITION BY key ORDER BY time, text) = 1")
    if db.execute("SELECT EXISTS (SELECT 1 FROM posts)").fetchone()[0]:
        db.execute("DELETE FROM stage WHERE key IN (SELECT key FROM posts)")
    new = db.execute("SELECT count(*) FROM stage").fetchone()[0]
    todo = db.execute("SELECT count(*) FROM stage WHERE NOT is_scored").fetchone()[0] if todo else 0
    final = "stage"
    if todo:  # score what is not scored yet, through the public Scorer API, in chunks (bounded memory)
        db.execute("CREATE OR REPLACE TEMP TABLE fresh (key VARCHAR, probability DOUBLE, level VARCHAR, risk DOUBLE,"
                   " flagged BOOLEAN, model VARCHAR, elements JSON, evidence JSON, normalization JSON, lists JSON,"
                   " failed BOOLEAN)")
        s = scorer.get()
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
                "flagged": [r.get("flagged") for r in records], "model": [r.get("model", s.model_id) for r in records],
                "elements": [dumps(r.get("elements")) for r in records],
                "evidence": [dumps(r.get("evidence")) for r in records],
                "normalization": [dumps(r.get("normalization")) for r in records],
                "lists": [dumps(r.get("lists")) for r in records],
                "failed": [bool(r.get("error")) for r in records]})
        db.execute(f"CREATE OR REPLACE TEMP TABLE fresh AS SELECT key, failed OR probability IS NULL AS failed,"
                   f" {stored_scores_sql(s.model_id)} FROM fresh")
        pick = ", ".join(f"CASE WHEN s.is_scored THEN s.{c} ELSE f.{c} END AS {c}" for c in STORED_SCORES)
        db.execute(f"""CREATE OR REPLACE TEMP VIEW final AS
                       SELECT s.key, account, id, time, day, channel, text, {pick}
                       FROM stage s LEFT JOIN fresh f USING (key) WHERE s.is_scored OR NOT f.failed""")
        final = "final"
    cta_keys, c_rows, s_rows = _watch_rows(db, final)
    db.execute("CREATE OR REPLACE TEMP TABLE cta (key VARCHAR)")
    if cta_keys:
        _insert_arrow(db, "cta", {"key": cta_keys})
    db.execute("BEGIN TRANSACTION")
    kept = db.execute(f"""INSERT INTO posts SELECT f.key, account, id, time, day, channel, text, probability, risk,
                         level, flagged, elements, detail, model, c.key IS NOT NULL
                         FROM {final} f LEFT JOIN cta c USING (key)""").fetchone()[0]
    if c_rows[0]:
        _insert_arrow(db, "contacts", {"key": c_rows[0], "account": c_rows[1], "ckey": c_rows[2]})
    if s_rows[0]:
        import pyarrow as pa

        _insert_arrow(db, "sigs", {"key": s_rows[0], "account": s_rows[1], "sig": pa.array(s_rows[2], pa.binary())})
    db.execute("COMMIT")
    db.execute("DROP VIEW IF EXISTS final")
    for table in ("stage", "fresh", "cta", "todo"):
        db.execute(f"DROP TABLE IF EXISTS {table}")
    good = read - bad
    return {"read": read, "added": kept, "duplicates": good - new, "bad": bad + (new - kept), "scored": todo}


def ingest(db, paths: list[str], fields: FieldMap, scorer: _LazyScorer) -> dict:
    total = {"read": 0, "added": 0, "duplicates": 0, "bad": 0, "scored": 0}
    for path in paths:
        for k, v in ingest_file(db, path, fields, scorer).items():
            total[k] += v
    return total


def aggregate(db) -> tuple[list[dict], list[dict], dict]:
    """(accounts, networks, summary) from everything in the state."""
    networks = build_networks(db)
    member = {a: n for n in networks for a in n["accounts"]}
    # readable evidence for links: post ids, and an example text for campaigns
    keys = [k for n in networks for link in n["shared"] for k in link["posts"]]
    keys += [link["value"] for n in networks for link in n["shared"] if link["kind"] == "campaign"]
    found = post_lookup(db, keys, "id, text")
    for n in networks:
        for link in n["shared"]:
            if link["kind"] == "campaign":
                link["value"] = found[link["value"]][1][:80]
            link["posts"] = [found[k][0] if k in found else k for k in link["posts"]]
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
        f" string_agg(DISTINCT channel, ',' ORDER BY channel), count(*) FILTER (WHERE flagged AND cta),"
        f" max(probability, {TOP_K}), {element_sql}"
        f" FROM posts GROUP BY account ORDER BY account", [recent_from, previous_from, recent_from]).fetchall()
    evidence: dict[str, list[dict]] = defaultdict(list)
    spans = """json_transform(detail->'$.evidence', '[{"start": "BIGINT", "end": "BIGINT", "text": "VARCHAR"}]')"""
    for account, key, pid, t, p, level, found_spans in db.execute(
            f"SELECT account, key, id, time, probability, level, coalesce({spans}, []) FROM (SELECT account, key, id,"
            " time, probability, level, detail, row_number() OVER (PARTITION BY account ORDER BY probability DESC, key)"
            " AS rn FROM posts WHERE flagged) WHERE rn <= ? ORDER BY account, rn", [TOP_EVIDENCE]).fetchall():
        evidence[account].append({"post": pid, "key": key, "time": t, "probability": p, "level": level,
                                  "spans": found_spans})
    nets = [member.get(r[0]) for r in rows]
    risks, tiers, parts = account_risks(
        flagged=[r[2] for r in rows], top=np.array([r[10] + [0.0] * (TOP_K - len(r[10])) for r in rows]).reshape(
            len(rows), TOP_K), elements=np.array([r[11:] for r in rows]).reshape(len(rows), len(ELEMENT_NAMES)) > 0,
        flagged_days=[r[5] for r in rows], network_size=[n["size"] if n else 1 for n in nets],
        contact_share=[(r[9] / r[2]) if r[2] else 0.0 for r in rows])
    rounded = zip(*([round(v, 4) for v in parts[k].tolist()] for k in COMPONENTS))
    accounts = []
    for (account, posts, flagged, first, last, fdays, recent, previous, channels, cta, _, *counts), net, risk, tier, comp in \
            zip(rows, nets, risks.tolist(), tiers, rounded):
        accounts.append({
            "account": account, "risk": risk, "tier": tier, "tier_label": TIER_LABELS[tier],
            "components": dict(zip(COMPONENTS, comp)),
            "reasons": {
                "posts": posts, "flagged_posts": int(flagged), "flagged_days": fdays,
                "flagged_with_contact": int(cta or 0),
                "elements": {name: int(n) for name, n in zip(ELEMENT_NAMES, counts) if n},
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
    """Ingest ``paths`` into the state in ``state_dir`` and rewrite the outputs; returns the run summary.

    Python's cyclic garbage collector is paused for the run: a run allocates hundreds of thousands of small
    acyclic objects (one record per account, rows, spans), and the collector re-scanning them all cost ~1.3 of
    ~11 CPU s at 1M posts / 50k accounts.
    """
    state_dir = Path(state_dir)
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _run(paths, state_dir, fields, model_dir, report, alert_tier)
    finally:
        if collecting:
            gc.enable()


def _run(paths: list[str], state_dir: Path, fields: FieldMap | None, model_dir: Any, report: bool,
         alert_tier: str) -> dict:
    for path in map(Path, paths):  # before the state is opened: a typo must not leave an empty state behind
        if path.is_dir() or not path.exists():  # files and named pipes are read
            raise InputFormatError(f"input {str(path)!r} " + ("is a directory" if path.is_dir() else "does not exist"))
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
