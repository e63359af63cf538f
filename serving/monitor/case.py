"""Evidence package of one account for 线下实证: posts, scores, spans, model ids, SHA-256 of every file, a manifest.

Written as a directory, or a zip when the output ends in ``.zip``. ``manifest.json`` lists every other file with
its size and SHA-256, so the package can be checked after it has been handed over.
"""

from __future__ import annotations

import hashlib
import json
import time
import zipfile
from pathlib import Path

import orjson

from mlmrisk._version import __version__
from mlmrisk.classifier.errors import MlmriskError
from mlmrisk.serving.monitor.state import STATE_FILE, open_state


def _jsonl(rows: list[dict]) -> bytes:
    return b"".join(orjson.dumps(r) + b"\n" for r in rows)


def export_case(state_dir: str | Path, account: str, output: str | Path) -> dict:
    state_dir = Path(state_dir)
    if not (state_dir / STATE_FILE).is_file():
        raise MlmriskError(f"{state_dir} holds no monitor state; run `mlmrisk monitor FILES --state {state_dir}` first")
    db = open_state(state_dir)
    try:
        rows = db.execute(
            "SELECT id, time, channel, text, probability, risk, level, flagged, detail, model FROM posts"
            " WHERE account = ? ORDER BY time, id", [account]).fetchall()
    finally:
        db.close()
    if not rows:
        raise MlmriskError(f"account {account!r} is not in the monitor state {state_dir}")
    posts, scores = [], []
    for pid, t, channel, text, p, risk, level, flagged, detail, model in rows:
        posts.append({"id": pid, "account": account, "time": t, "channel": channel, "text": text,
                      "text_sha256": hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()})
        d = json.loads(detail) if detail else {}
        scores.append({"id": pid, "model": model, "probability": p, "risk": risk, "level": level,
                       "flagged": bool(flagged), "elements": d.get("elements") or None,
                       "evidence": d.get("evidence") or [], "normalization": d.get("normalization") or [],
                       "lists": d.get("lists") or []})
    record = None
    accounts_file = state_dir / "accounts.jsonl"
    if accounts_file.is_file():
        with open(accounts_file, "rb") as f:
            for line in f:
                r = orjson.loads(line)
                if r["account"] == account:
                    record = r
                    break
    network = None
    networks_file = state_dir / "networks.jsonl"
    if record and record["reasons"].get("network") and networks_file.is_file():
        with open(networks_file, "rb") as f:
            for line in f:
                n = orjson.loads(line)
                if n["network"] == record["reasons"]["network"]:
                    network = n
                    break
    files = {
        "posts.jsonl": _jsonl(posts),
        "scores.jsonl": _jsonl(scores),
        "account.json": orjson.dumps({"account": record, "network": network}, option=orjson.OPT_INDENT_2),
    }
    manifest = {
        "account": account, "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "tool": f"mlmrisk {__version__}", "models": sorted({s["model"] for s in scores if s["model"]}),
        "posts": len(posts), "flagged_posts": sum(s["flagged"] for s in scores),
        "tier": record["tier"] if record else None, "risk": record["risk"] if record else None,
        "files": {name: {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()} for name, data in files.items()},
        "note": "offsets in scores.jsonl evidence are code points into posts.jsonl text; text_sha256 fixes each text",
    }
    files["manifest.json"] = orjson.dumps(manifest, option=orjson.OPT_INDENT_2)
    output = Path(output)
    if output.suffix == ".zip":
        output.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(output, "w", compression=zipfile.ZIP_DEFLATED) as z:
            for name, data in files.items():
                z.writestr(name, data)
    else:
        output.mkdir(parents=True, exist_ok=True)
        for name, data in files.items():
            (output / name).write_bytes(data)
    return {"account": account, "output": str(output), "posts": len(posts), "files": sorted(files)}
