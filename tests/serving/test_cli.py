"""The command line on the shipped model: the README's main job, explain, info, errors and exit codes."""

from __future__ import annotations

import json
import subprocess
import sys

from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent


def run(*args: str, input: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mlmrisk", *args], cwd=REPO, input=input,
                          capture_output=True, text=True, timeout=300)


def test_readme_main_job_scores_the_sample(default_model, tmp_path):
    out = tmp_path / "scored.jsonl"
    done = run("score", "data/sample_posts.jsonl", "-o", str(out), "--no-progress")
    assert done.returncode == 0, done.stderr
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    sample = [json.loads(line) for line in (REPO / "data" / "sample_posts.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in records] == [s["id"] for s in sample]
    flagged = [r for r in records if r["flagged"]]
    assert flagged and len(flagged) < len(records)
    for record, source in zip(records, sample):
        for span in record["evidence"]:
            assert source["text"][span["start"] : span["end"]] == span["text"]
        assert {"probability", "risk", "level", "elements", "normalization"} <= set(record)


def test_bad_input_file_exits_3_and_keeps_every_record(default_model, tmp_path):
    out = tmp_path / "scored.jsonl"
    rejects = tmp_path / "rejects.jsonl"
    done = run("score", "data/sample_bad_input.jsonl", "-o", str(out), "--rejects", str(rejects), "--no-progress")
    assert done.returncode == 3, done.stderr
    lines = (REPO / "data" / "sample_bad_input.jsonl").read_bytes().splitlines()
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(records) == len(lines)
    assert any("error" in r for r in records) and rejects.is_file()


def test_explain_and_info(default_model):
    done = run("explain", "發.展.下.綫，直推十人拿見點獎", "--color", "never")
    assert done.returncode == 0, done.stderr
    assert "【" in done.stdout and "traditional" in done.stdout and "lart" in done.stdout
    as_json = json.loads(run("explain", "-", "--json", input="静态收益加动态收益，复投").stdout)
    assert as_json["result"]["level"] in ("none", "low", "medium", "high", "severe")
    info = json.loads(run("info").stdout)
    assert len(info["onnx_sha256"]) == 64


def test_errors_are_one_line_with_exit_1(tmp_path):
    done = run("score", str(tmp_path / "missing.jsonl"), "-o", str(tmp_path / "o.jsonl"), "--no-progress")
    assert done.returncode == 1
    assert done.stderr.strip().count("\n") == 0 and "error" in done.stderr
    done = run("info", "--model", str(tmp_path))
    assert done.returncode == 1 and "manifest" in done.stderr


def test_evaluate_on_a_user_file(default_model):
    done = run("evaluate", "--no-shared", "--data", "data/challenge_set.jsonl", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    section = report["sections"]["user:challenge_set.jsonl"]
    assert section["model"]["n"] == section["keywords_broad"]["n"] > 100
