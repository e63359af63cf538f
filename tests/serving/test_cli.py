"""The command line on the shipped model: the README's main job, explain, info, errors and exit codes."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

from pathlib import Path

import pytest

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
    assert re.search(r"model \d+\.\d+\.\d+\+[0-9a-f]{12}", done.stdout.splitlines()[0])  # it names the model
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


@pytest.mark.parametrize("command,preset,expected", [
    (["info"], None, 1),        # a scoring command: one OpenBLAS thread
    (["info"], "2", 2),         # unless the user chose a number
    (["init-config"], None, None),  # training-side commands keep numpy's default
])
def test_scoring_commands_run_openblas_on_one_thread(command, preset, expected, tmp_path):
    """Scoring never calls BLAS, but OpenBLAS's idle threads spin at start-up; scoring commands give it one
    thread before numpy loads, read back from the loaded library with threadpoolctl."""
    pytest.importorskip("threadpoolctl")
    env = {k: v for k, v in os.environ.items()
           if k not in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "GOTO_NUM_THREADS")}
    if preset is not None:
        env["OPENBLAS_NUM_THREADS"] = preset
    args = command + ([str(tmp_path / "c.toml")] if command == ["init-config"] else [])
    code = ("import contextlib, io, json, sys\n"
            "from mlmrisk.cli import main\n"
            f"with contextlib.redirect_stdout(io.StringIO()):\n    main({args!r})\n"
            "import numpy, threadpoolctl\n"
            "info = [i for i in threadpoolctl.threadpool_info() if i['internal_api'] == 'openblas']\n"
            "print(json.dumps([i['num_threads'] for i in info]))")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    threads = json.loads(out.stdout.strip().splitlines()[-1])
    if not threads:
        pytest.skip("numpy is not linked against OpenBLAS here")
    if expected is None:
        assert len(os.sched_getaffinity(0)) == 1 or threads[0] > 1
    else:
        assert threads == [expected]


def test_outputs_a_command_cannot_or_must_not_write_are_one_line(tmp_path, capsys):
    """A missing directory, an output that is one of the inputs, a file where a directory is written: exit 1 and
    one line, never a traceback and never an overwritten input (review import once replaced its own export)."""
    from mlmrisk.cli import main

    export = tmp_path / "export.json"
    export.write_text("[]", encoding="utf-8")
    scored = tmp_path / "scored.jsonl"
    scored.write_text('{"id": 1, "probability": 0.5, "model": "x", "text": "今天天气不错"}\n', encoding="utf-8")
    cases = [
        (["review", "import", str(export), "-o", str(tmp_path / "no" / "x.jsonl")], "does not exist"),
        (["review", "import", str(export), "-o", str(export)], "is one of the inputs"),
        (["review", "select", str(scored), "-o", str(scored), "--budget", "5"], "is one of the inputs"),
        (["review", "select", str(scored), "-o", str(tmp_path / "q.jsonl"), "--csv", str(tmp_path / "q.jsonl")],
         "must be different files"),
        (["init-config", str(tmp_path / "no" / "x.toml")], "does not exist"),
        (["compare", str(tmp_path), str(tmp_path), "--data", str(scored), "-o", str(scored)],
         "compare writes a directory"),
    ]
    for argv, message in cases:
        capsys.readouterr()
        assert main(argv) == 1, argv
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "Traceback" not in err and message in err, (argv, err)
    assert export.read_text(encoding="utf-8") == "[]" and "今天天气不错" in scored.read_text(encoding="utf-8")
