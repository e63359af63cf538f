"""``mlmrisk monitor``: incremental == one-shot, no double counting, scored input kept, alerts, case package, and
the report opened in a real browser (headless Chromium)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import zipfile
import zlib
from pathlib import Path

import pytest

from mlmrisk.cli import main
from mlmrisk.serving.monitor.run import run_monitor
from mlmrisk.training.simulate_stream import generate


@pytest.fixture(scope="module")
def stream(tmp_path_factory) -> tuple[Path, Path, Path, list[dict]]:
    records = generate("small")
    d = tmp_path_factory.mktemp("stream")
    half = len(records) // 2
    paths = []
    for name, part in (("all", records), ("part1", records[:half]), ("part2", records[half:])):
        p = d / f"{name}.jsonl"
        p.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in part), encoding="utf-8")
        paths.append(p)
    return (*paths, records)


@pytest.fixture(scope="module")
def one_shot(stream, tmp_path_factory) -> Path:
    state = tmp_path_factory.mktemp("one")
    assert main(["monitor", str(stream[0]), "--state", str(state)]) == 0
    return state


def test_simulated_stream_is_synthetic_and_reproducible(stream):
    records = stream[3]
    assert all(r["synthetic"] is True and r["provenance"] for r in records)
    assert {r["kind"] for r in records} >= {"scheme", "one_off", "fraud", "gambling", "news", "benign"}
    assert generate("small") == records


def test_incremental_equals_one_shot(stream, one_shot, tmp_path):
    state = tmp_path / "inc"
    run_monitor([stream[1]], state, report=False)
    run_monitor([stream[2]], state, report=False)
    for name in ("accounts.jsonl", "networks.jsonl"):
        assert (state / name).read_bytes() == (one_shot / name).read_bytes(), name


def test_posts_seen_twice_are_counted_once(stream, one_shot, tmp_path):
    state = tmp_path / "twice"
    shutil.copytree(one_shot, state)
    summary = run_monitor([stream[0], stream[1]], state, report=False)
    assert summary["added"] == 0 and summary["duplicates"] == summary["read"]
    assert (state / "accounts.jsonl").read_bytes() == (one_shot / "accounts.jsonl").read_bytes()
    # no ids: account + time + text hash
    no_id = tmp_path / "noid.jsonl"
    rows = [{"account": "x", "time": "2026-01-01T00:00:00Z", "text": "你好"}] * 3
    no_id.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    s = run_monitor([no_id], tmp_path / "noid", report=False)
    assert s["added"] == 1 and s["duplicates"] == 2


def test_rings_are_networks_and_schemes_rank_first(stream, one_shot):
    records = stream[3]
    kind = {r["account"]: r["kind"] for r in records}
    rings: dict[str, set] = {}
    for r in records:
        if r["ring"]:
            rings.setdefault(r["ring"], set()).add(r["account"])
    networks = [json.loads(x) for x in (one_shot / "networks.jsonl").read_text(encoding="utf-8").splitlines()]
    member_sets = [set(n["accounts"]) for n in networks]
    for accounts in rings.values():
        assert accounts in member_sets
    accounts = [json.loads(x) for x in (one_shot / "accounts.jsonl").read_text(encoding="utf-8").splitlines()]
    schemes = [a["risk"] for a in accounts if kind[a["account"]] == "scheme"]
    others = [a["risk"] for a in accounts if kind[a["account"]] != "scheme"]
    assert min(schemes) > max(others)
    for a in accounts:
        if kind[a["account"]] in ("news", "fraud", "gambling", "one_off"):
            assert a["tier"] not in ("medium", "severe"), a
    top = accounts[0]
    assert top["tier_label"] and top["reasons"]["top_evidence"][0]["spans"]


def test_scored_input_is_not_rescored_and_both_record_shapes_work(stream, tmp_path, monkeypatch):
    from mlmrisk.serving.scorer import Scorer

    records = stream[3][:60]
    scorer = Scorer.load()
    scored = scorer.score_batch([r["text"] for r in records]).records([r["id"] for r in records])
    rows = []
    for i, (r, s) in enumerate(zip(records, scored)):
        row = {**s, "account": r["account"], "time": r["time"], "text": r["text"]}
        if i % 2:  # the new record shape: model id, elements null unless flagged
            row["model"] = "test-model"
            if not row["flagged"]:
                row["elements"] = None
        elif i % 3 == 0:
            row["elements"] = {}
        rows.append(row)
    path = tmp_path / "scored.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")

    def refuse(*a, **k):
        raise AssertionError("already-scored input was rescored")

    monkeypatch.setattr(Scorer, "load", refuse)
    summary = run_monitor([path], tmp_path / "state", report=False)
    assert summary["scored"] == 0 and summary["added"] == len(rows)


def test_scored_csv_is_scored_again_and_gives_the_jsonl_result(stream, one_shot, tmp_path):
    """`mlmrisk score -o x.csv` flattens elements and evidence; monitor reads such rows as raw posts (scoring them
    itself) instead of taking scores without their elements, which had under-tiered accounts silently."""
    scored_csv = tmp_path / "scored.csv"
    assert main(["score", str(stream[0]), "-o", str(scored_csv), "--keep-fields", "account,time,channel,text",
                 "--no-progress"]) in (0, 3)
    state = tmp_path / "csv_state"
    summary = run_monitor([scored_csv], state, report=False)
    assert summary["scored"] == summary["added"] > 0
    csv_accounts = [json.loads(x) for x in (state / "accounts.jsonl").read_text(encoding="utf-8").splitlines()]
    jsonl_accounts = [json.loads(x) for x in (one_shot / "accounts.jsonl").read_text(encoding="utf-8").splitlines()]
    pick = lambda rows: {r["account"]: (r["tier"], r["risk"]) for r in rows}  # noqa: E731
    assert pick(csv_accounts) == pick(jsonl_accounts)
    assert any(r["tier"] == "severe" for r in csv_accounts)


def test_csv_input_and_field_mapping(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("user,ts,content,post\nu1,2026-01-02T08:00:00+08:00,交399入会费，直推一人奖100，加V：abc12345,1\n"
                    "u2,2026-01-03 09:00:00,今天天气不错,2\nu3,not a time,x,3\n", encoding="utf-8")
    state = tmp_path / "s"
    assert main(["monitor", str(path), "--state", str(state), "--account-field", "user", "--time-field", "ts",
                 "--text-field", "content", "--id-field", "post", "--no-report"]) == 0
    accounts = [json.loads(x)["account"] for x in (state / "accounts.jsonl").read_text().splitlines()]
    assert sorted(accounts) == ["u1", "u2"]


def test_alerts_new_then_quiet(stream, one_shot, tmp_path):
    alerts = [json.loads(x) for x in (one_shot / "alerts.jsonl").read_text(encoding="utf-8").splitlines()]
    assert alerts and all(a["reason"] == "new" for a in alerts)
    assert {"account", "network"} == {a["kind"] for a in alerts}
    state = tmp_path / "again"
    shutil.copytree(one_shot, state)
    run_monitor([stream[0]], state, report=False)
    assert (state / "alerts.jsonl").read_text() == ""


@pytest.mark.parametrize("suffix", [".zip", ""])
def test_export_case(one_shot, tmp_path, suffix):
    account = json.loads((one_shot / "accounts.jsonl").read_text(encoding="utf-8").splitlines()[0])["account"]
    out = tmp_path / f"case{suffix}"
    assert main(["monitor", "--state", str(one_shot), "--export-case", account, "-o", str(out)]) == 0
    if suffix:
        with zipfile.ZipFile(out) as z:
            files = {n: z.read(n) for n in z.namelist()}
    else:
        files = {p.name: p.read_bytes() for p in out.iterdir()}
    manifest = json.loads(files.pop("manifest.json"))
    assert set(manifest["files"]) == set(files) == {"posts.jsonl", "scores.jsonl", "account.json"}
    for name, meta in manifest["files"].items():
        assert hashlib.sha256(files[name]).hexdigest() == meta["sha256"]
    assert manifest["models"] and manifest["flagged_posts"] > 0
    posts = {p["id"]: p for p in map(json.loads, files["posts.jsonl"].decode().splitlines())}
    for s in map(json.loads, files["scores.jsonl"].decode().splitlines()):
        for span in s["evidence"]:
            assert posts[s["id"]]["text"][span["start"]:span["end"]] == span["text"]


def test_export_unknown_account_is_an_error(one_shot, tmp_path):
    assert main(["monitor", "--state", str(one_shot), "--export-case", "nobody", "-o", str(tmp_path / "c.zip")]) == 1


def test_a_missing_input_leaves_no_state_behind(tmp_path):
    assert main(["monitor", str(tmp_path / "nonexistent.jsonl"), "--state", str(tmp_path / "state")]) == 1
    assert not (tmp_path / "state").exists()


def _png_is_blank(png: bytes) -> bool:
    data, pos = b"", 8
    while pos < len(png):
        length = int.from_bytes(png[pos:pos + 4], "big")
        if png[pos + 4:pos + 8] == b"IDAT":
            data += png[pos + 8:pos + 8 + length]
        pos += 12 + length
    return len(set(zlib.decompress(data))) < 16


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None and not os.environ.get("CI"), reason="chromium is not installed")
def test_report_renders_in_headless_chromium(one_shot, tmp_path):
    assert CHROMIUM, "chromium is missing under CI (.ci/run installs it)"
    report = one_shot / "report.html"
    html = report.read_text(encoding="utf-8")
    assert "<script src=" not in html  # plotly.js is inlined, nothing is fetched
    flags = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={tmp_path / 'ud'}",
             "--enable-logging=stderr", "--v=0", "--window-size=1400,2000", "--virtual-time-budget=5000"]
    shot = tmp_path / "shot.png"
    run = subprocess.run(flags + [f"--screenshot={shot}", report.as_uri()], capture_output=True, text=True, timeout=120)
    assert shot.is_file() and not _png_is_blank(shot.read_bytes())
    dom = subprocess.run(flags + ["--dump-dom", report.as_uri()], capture_output=True, text=True, timeout=120)
    console = [line for line in (run.stderr + dom.stderr).splitlines() if "CONSOLE" in line]
    assert not console, console
    assert dom.stdout.count('class="main-svg"') >= 5  # every Plotly chart drew
    assert "<mark>" in dom.stdout


def test_parquet_epoch_times_and_bad_records(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"account": ["a", "b", None], "time": [1767225600, 1767312000, 1767312000],
                             "text": ["今天天气不错", "交399入会费，直推一人奖100，邀请码 XY7788", "x"]}), tmp_path / "p.parquet")
    (tmp_path / "j.jsonl").write_text('not json\n{"account": "c", "time": "yesterday", "text": "hi"}\n'
                                      '{"account": "d", "time": "2026-01-02T00:00:00Z"}\n', encoding="utf-8")
    summary = run_monitor([tmp_path / "p.parquet", tmp_path / "j.jsonl"], tmp_path / "s", report=False)
    assert summary["added"] == 2 and summary["bad"] == 4
    accounts = {json.loads(x)["account"]: json.loads(x) for x in (tmp_path / "s" / "accounts.jsonl").read_text().splitlines()}
    assert accounts["a"]["reasons"]["first_seen"] == "2026-01-01T00:00:00"
