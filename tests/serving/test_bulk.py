"""Bulk scoring end to end, against the real Scorer and the default model ($MLMRISK_MODEL or models/default).

What must hold: output order = input order; one output row per input record (result or error row); 2 workers give
the same output as 1; a run killed with SIGKILL at any moment resumes to exactly the output of an uninterrupted run;
a work dir never looks like a finished output; job mismatches are refused.
"""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import zstandard

from mlmrisk.classifier.errors import InputFormatError, MlmriskError
from mlmrisk.classifier.schema import SCHEMA_VERSION
from mlmrisk.serving import bulk, tabular
from mlmrisk.serving.bulk import JobStateError, score_file
from mlmrisk.serving.scorer import default_model_dir

REPO = Path(__file__).resolve().parents[2]

POSTS = [
    "姐妹们，交1980成为会员，每拉一个人返600，你拉的人再拉人你还有200，团队做大了月入好几万",
    "想赚米的加薇信，入门废只要399，拉仁头一个奖150，夏线再拉人你也有提成",
    "投入5000元，每天静态收益1.5%，推荐好友还有动态奖金，上下线三代分红。",
    "今天天气真好，带娃去公园放风筝了",
    "这家店的红烧肉太好吃了，下次还来！",
    "期末考试终于考完了，准备回家躺一个寒假",
    "地铁又晚点了，上班要迟到了",
    "招聘销售代表，底薪5000+提成，团队氛围好",
    "公司公告：每10股派发现金红利3元（含税）",
    "超市会员日全场九折，会员积分还能换鸡蛋",
    "刚看完一部科幻电影，特效真的震撼，推荐大家去看",
    "合法直销只有一层，不交入门费，不靠拉人头",
]


@pytest.fixture(scope="session")
def model_dir() -> Path:
    path = default_model_dir()
    if not (path / "manifest.json").is_file():
        pytest.fail(f"the model {path} is missing; build it with `mlmrisk train` (or point $MLMRISK_MODEL at one)")
    return path


def jsonl_posts(n: int, *, bad_every: int = 0) -> bytes:
    """n records; with ``bad_every`` every such line is malformed in a rotating way."""
    bad = [b'{"id": "x", "text": ', b'{"id": "y", "text": null}', b'["array"]', b'{"id": "z"}',
           b'{"id": "w", "text": 5}', b'{"id": "v", "text": "\xff"}']
    lines = []
    for i in range(n):
        if bad_every and i % bad_every == bad_every - 1:
            lines.append(bad[(i // bad_every) % len(bad)])
        else:
            lines.append(json.dumps({"id": f"p{i}", "text": f"{POSTS[i % len(POSTS)]} #{i}"},
                                    ensure_ascii=False).encode())
    return b"\n".join(lines) + b"\n"


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


# ------------------------------------------------------------------------------------------------ order and errors


def test_every_record_yields_one_row_in_order(tmp_path: Path, model_dir: Path) -> None:
    src = tmp_path / "posts.jsonl"
    data = jsonl_posts(200, bad_every=9)
    src.write_bytes(data.replace(b"\n", b"\n\n", 1))  # a blank line after line 1: not a record, still counted
    out = tmp_path / "scored.jsonl"
    rejects = tmp_path / "rejects.jsonl"
    summary = score_file(src, out, model_dir=model_dir, chunk_size=16, rejects_path=rejects, progress=False)

    rows = read_jsonl(out)
    assert [r["line"] for r in rows] == [1] + list(range(3, 202))  # input order, one row per record
    errors = [r for r in rows if r["error"]]
    assert len(errors) == 22 == summary.bad == summary.rejected
    assert summary.records == 200 == summary.written
    summary.check()
    assert summary.lines == 201 and summary.skipped == 1 and summary.skipped_reasons == {"blank_line": 1}
    assert summary.model == rows[0]["model"] and summary.schema_version == SCHEMA_VERSION
    from mlmrisk.classifier.compiled import backend

    assert summary.kernels == backend() and summary.to_dict()["kernels"] in ("compiled", "numba")
    assert all(r["model"] == summary.model for r in rows)  # error rows name the model too
    assert summary.scored == 200 - 22
    assert summary.flagged == sum(1 for r in rows if r.get("flagged"))
    assert summary.bad_codes == {"invalid_json": 4, "missing_text": 8, "not_an_object": 4, "not_a_string": 3,
                                 "invalid_utf8": 3}
    assert all(r["id"] == f"p{r['line'] - 2}" for r in rows[1:] if "error" not in r)  # ids from the input
    assert rows[0]["id"] == "p0"
    first_bad = rows[8]  # input record 9 is malformed JSON on physical line 10
    assert first_bad["line"] == 10 and first_bad["error"]["code"] == "invalid_json" and first_bad["id"] == 10
    rejected = read_jsonl(rejects)
    assert [r["line"] for r in rejected] == [r["line"] for r in errors]
    assert rejected[0]["raw"] == '{"id": "x", "text": '
    assert all(r["model"] == summary.model for r in rejected)  # the rejects name the job's model too
    assert not (tmp_path / "scored.jsonl.partial").exists()


@pytest.mark.parametrize("suffix", [".parquet", ".csv", ".csv.gz", ".jsonl.zst"])
def test_output_formats_hold_the_same_rows(tmp_path: Path, model_dir: Path, suffix: str) -> None:
    src = tmp_path / "posts.jsonl.gz"
    src.write_bytes(gzip.compress(jsonl_posts(60, bad_every=7)))
    reference = tmp_path / "ref.jsonl"
    score_file(src, reference, model_dir=model_dir, chunk_size=8, progress=False)
    expected = read_jsonl(reference)

    out = tmp_path / f"scored{suffix}"
    summary = score_file(src, out, model_dir=model_dir, chunk_size=8, progress=False)
    assert summary.written == 60
    summary.check()
    if suffix == ".parquet":
        table = pq.read_table(out)
        meta = table.schema.metadata
        assert meta[b"mlmrisk.model"].decode() == summary.model == expected[0]["model"]
        assert meta[b"mlmrisk.schema_version"].decode() == SCHEMA_VERSION
        assert b"mlmrisk.version" in meta
        assert table.schema.field("evidence").type.value_type.num_fields == 5  # a list of span structs
        rows = table.to_pylist()
        assert rounded(rows) == rounded([{**r, "id": str(r["id"])} for r in expected])
        return
    if suffix.startswith(".csv"):
        import csv
        import io

        raw = out.read_bytes()
        text = (gzip.decompress(raw) if suffix.endswith(".gz") else raw).decode("utf-8")
        rows = list(csv.DictReader(io.StringIO(text, newline="")))
        assert list(rows[0]) == tabular.csv_columns(tabular.arrow_schema())
        assert len(rows) == len(expected)
        for row, exp in zip(rows, expected):
            assert int(row["line"]) == exp["line"] and row["id"] == str(exp["id"]) and row["model"] == exp["model"]
            if exp["error"]:
                assert row["error.code"] == exp["error"]["code"] and row["probability"] == ""
                continue
            assert float(row["probability"]) == pytest.approx(exp["probability"])
            assert row["flagged"] == str(exp["flagged"]).lower()
            assert row["normalization"] == ",".join(exp["normalization"])
            assert (json.loads(row["evidence"]) if row["evidence"] else []) == exp["evidence"]
            for name, element in (exp["elements"] or {}).items():
                assert row[f"elements.{name}.present"] == str(element["present"]).lower()
                assert (json.loads(row[f"elements.{name}.evidence"]) if row[f"elements.{name}.evidence"]
                        else []) == element["evidence"]
        return
    rows = [json.loads(line) for line in
            zstandard.ZstdDecompressor().stream_reader(out.read_bytes()).read().decode().splitlines()]
    assert rows == expected


def rounded(value):
    """Floats to 4 places, recursively (Parquet stores span weights as float32)."""
    if isinstance(value, float):
        return round(value, 4)
    if isinstance(value, dict):
        return {k: rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [rounded(v) for v in value]
    return value


def test_only_flagged_and_other_inputs(tmp_path: Path, model_dir: Path) -> None:
    import pyarrow as pa

    texts = [POSTS[i % len(POSTS)] for i in range(50)]
    src = tmp_path / "posts.parquet"
    pq.write_table(pa.table({"post_id": list(range(100, 150)), "body": texts}), src, row_group_size=12)
    full = tmp_path / "all.jsonl"
    score_file(src, full, model_dir=model_dir, text_field="body", id_field="post_id", chunk_size=5, progress=False)
    rows = read_jsonl(full)
    assert [r["id"] for r in rows] == list(range(100, 150))
    hits = tmp_path / "hits.jsonl"
    summary = score_file(src, hits, model_dir=model_dir, text_field="body", id_field="post_id", chunk_size=5,
                         only_flagged=True, progress=False)
    assert read_jsonl(hits) == [r for r in rows if r["flagged"]]
    assert summary.written == summary.flagged == sum(r["flagged"] for r in rows)
    assert summary.records == 50

    txt = tmp_path / "posts.txt.zst"
    txt.write_bytes(zstandard.ZstdCompressor().compress("\n".join(texts).encode()))
    from_text = read_jsonl(Path(score_file(txt, tmp_path / "t.jsonl", model_dir=model_dir, progress=False).output))
    assert [r["probability"] for r in from_text] == [r["probability"] for r in rows]
    assert [r["id"] for r in from_text] == list(range(1, 51))  # plain text: ids are line numbers


# ------------------------------------------------------------------------------------------------------- workers


def test_two_workers_write_what_one_writes(tmp_path: Path, model_dir: Path) -> None:
    src = tmp_path / "posts.jsonl.zst"
    src.write_bytes(zstandard.ZstdCompressor().compress(jsonl_posts(300, bad_every=11)))
    one = score_file(src, tmp_path / "one.jsonl", model_dir=model_dir, chunk_size=16, progress=False)
    two = score_file(src, tmp_path / "two.jsonl", model_dir=model_dir, chunk_size=16, workers=2, progress=False)
    assert (tmp_path / "one.jsonl").read_bytes() == (tmp_path / "two.jsonl").read_bytes()
    assert (one.records, one.bad, one.flagged, one.chunks) == (two.records, two.bad, two.flagged, two.chunks)
    assert two.workers == 2


@pytest.mark.parametrize("row_group", [50, 1000])
def test_two_workers_share_a_parquet_input(tmp_path: Path, model_dir: Path, row_group: int) -> None:
    """Parquet is read by row group: the group is skipped only when none of its chunks can be this worker's (a
    hint that claims nothing), and each chunk is claimed once, when reached, so both workers score and the output
    is the one-worker output, whether a row group holds a few chunks or all of them."""
    import pyarrow as pa

    rows = [json.loads(line) for line in jsonl_posts(120).decode("utf-8").splitlines()]
    src = tmp_path / "posts.parquet"
    pq.write_table(pa.Table.from_pylist([{"id": r["id"], "text": r["text"]} for r in rows]), src,
                   row_group_size=row_group)
    one = score_file(src, tmp_path / "one.jsonl", model_dir=model_dir, chunk_size=16, progress=False)
    two = score_file(src, tmp_path / "two.jsonl", model_dir=model_dir, chunk_size=16, workers=2, progress=False)
    assert (tmp_path / "one.jsonl").read_bytes() == (tmp_path / "two.jsonl").read_bytes()
    assert one.records == two.records == 120 and one.chunks == two.chunks == (10 if row_group == 50 else 8)


def test_a_worker_raises_what_its_warmup_thread_met(tmp_path: Path, model_dir: Path) -> None:
    """A dedicated worker opens the full path on a thread; when that fails (onnxruntime refusing the graph) the
    worker fails with that error even if no post of the input needed the full path."""
    from mlmrisk.classifier.errors import ModelLoadError
    from mlmrisk.serving.scorer import Scorer

    class BrokenFullPath(Scorer):
        @property
        def full(self):
            raise ModelLoadError("onnxruntime cannot load model.onnx")

    scorer = Scorer.load(model_dir)
    scorer.__class__ = BrokenFullPath
    source = tmp_path / "in.jsonl"
    source.write_text('{"text": "今天天气不错"}\n' * 5, encoding="utf-8")
    job = bulk.make_job(source, tmp_path / "out.jsonl", model_dir=model_dir)
    parts = tmp_path / "parts"
    parts.mkdir()
    job = bulk.replace(job, parts_dir=str(parts))
    messages: list[tuple] = []
    with pytest.raises(ModelLoadError, match="cannot load"):
        bulk._run_worker(job, 0, messages.append, scorer=scorer, dedicated=True)
    assert [m[0] for m in messages] == ["chunk"]  # the ordinary chunk was scored and committed first


# -------------------------------------------------------------------------------------------------- kill + resume


RUNNER = """
import sys
from mlmrisk.serving.bulk import score_file
s = score_file(sys.argv[1], sys.argv[2], workers=2, chunk_size=int(sys.argv[3]), resume=sys.argv[4] == "1",
               rejects_path=sys.argv[5], progress=False)
print(s.resumed_chunks, s.chunks, s.records, s.bad)
"""


def _start(src: Path, out: Path, chunk_size: int, resume: bool, rejects: Path) -> subprocess.Popen:
    """A real 2-worker run in its own process group (so the test can kill all of it, or only the parent)."""
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.Popen([sys.executable, "-c", RUNNER, str(src), str(out), str(chunk_size),
                             "1" if resume else "0", str(rejects)], cwd=REPO, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=True)


def _wait_for_markers(proc: subprocess.Popen, parts: Path, at_least: int) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if parts.exists() and len(list(parts.glob("*.done.json"))) >= at_least:
            return
        time.sleep(0.005)
    assert proc.poll() is None, f"run ended before it could be killed: {proc.communicate()}"
    raise AssertionError(f"no {at_least} finished chunks within the deadline")


def _kill(proc: subprocess.Popen, whole_group: bool) -> None:
    if whole_group:
        os.killpg(proc.pid, signal.SIGKILL)
    else:
        os.kill(proc.pid, signal.SIGKILL)  # the workers are orphaned and must stop by themselves
    proc.wait()
    proc.stdout.close()
    proc.stderr.close()


def _records_for_seconds(model_dir: Path, seconds: float) -> int:
    """How many test records two workers score in about ``seconds`` with this model (1,500 to 200,000).

    Sized by measurement so the kills land mid-run whatever the scorer's speed, without making the test slow.
    """
    from mlmrisk.serving.scorer import Scorer

    scorer = Scorer.load(model_dir)
    sample = [json.loads(line)["text"] for line in jsonl_posts(600).splitlines()]
    scorer.score_batch(sample[:50])  # warm-up
    start = time.perf_counter()
    scorer.score_batch(sample).records()
    rate = len(sample) / (time.perf_counter() - start)
    return min(200_000, max(1500, int(rate * 2 * seconds)))


def test_kill_9_then_resume_loses_and_duplicates_nothing(tmp_path: Path, model_dir: Path) -> None:
    """SIGKILL a real 2-worker run mid-way (the parent only), SIGKILL its resumption (every process), resume again."""
    n = _records_for_seconds(model_dir, 1.0)
    chunk_size = max(16, n // 90)
    src = tmp_path / "posts.jsonl"
    src.write_bytes(jsonl_posts(n, bad_every=97))
    out = tmp_path / "scored.jsonl"
    rejects = tmp_path / "rejects.jsonl"
    parts = tmp_path / "scored.jsonl.partial" / "parts"
    total_chunks = -(-n // chunk_size)

    first = _start(src, out, chunk_size, False, rejects)
    _wait_for_markers(first, parts, 3)
    _kill(first, whole_group=False)
    assert not out.exists() and not rejects.exists()  # a killed run never leaves something that looks finished

    second = _start(src, out, chunk_size, True, rejects)
    _wait_for_markers(second, parts, len(list(parts.glob("*.done.json"))) + 3)
    _kill(second, whole_group=True)
    assert not out.exists() and not rejects.exists()
    done_at_kill = len(list(parts.glob("*.done.json")))
    assert 6 <= done_at_kill < total_chunks

    third = _start(src, out, chunk_size, True, rejects)
    stdout, stderr = third.communicate(timeout=300)
    assert third.returncode == 0, stderr.decode()
    resumed_chunks, chunks, records, bad = map(int, stdout.split())
    assert chunks == total_chunks and records == n and bad == n // 97
    assert resumed_chunks >= done_at_kill
    assert not (tmp_path / "scored.jsonl.partial").exists()

    clean = tmp_path / "clean.jsonl"
    score_file(src, clean, model_dir=model_dir, chunk_size=chunk_size, rejects_path=tmp_path / "clean_rejects.jsonl",
               progress=False)
    assert out.read_bytes() == clean.read_bytes()  # nothing missing, nothing duplicated, same order
    assert rejects.read_bytes() == (tmp_path / "clean_rejects.jsonl").read_bytes()


def _interrupt_after(monkeypatch: pytest.MonkeyPatch, n_chunks: int) -> None:
    """Make an in-process run stop like Ctrl-C after ``n_chunks`` chunks (the scoring itself stays real)."""
    real = bulk._process_chunk
    calls = []

    def process(*args, **kwargs):
        if len(calls) == n_chunks:
            raise KeyboardInterrupt
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(bulk, "_process_chunk", process)


def test_interrupted_run_refuses_restart_and_mismatched_resume(tmp_path: Path, model_dir: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    src = tmp_path / "posts.jsonl"
    src.write_bytes(jsonl_posts(100))
    out = tmp_path / "scored.jsonl"
    with monkeypatch.context() as m:
        _interrupt_after(m, 2)
        with pytest.raises(KeyboardInterrupt):
            score_file(src, out, model_dir=model_dir, chunk_size=10, progress=False)
    work = tmp_path / "scored.jsonl.partial"
    assert work.is_dir() and not out.exists()

    with pytest.raises(JobStateError, match="--resume"):  # without --resume the earlier work is not thrown away
        score_file(src, out, model_dir=model_dir, chunk_size=10, progress=False)
    with pytest.raises(JobStateError, match="chunk_size: 10 → 20"):
        score_file(src, out, model_dir=model_dir, chunk_size=20, resume=True, progress=False)
    with pytest.raises(JobStateError, match="only_flagged"):
        score_file(src, out, model_dir=model_dir, chunk_size=10, only_flagged=True, resume=True, progress=False)
    with pytest.raises(InputFormatError, match="fields seen: id, text"):  # a wrong field stops before any resume
        score_file(src, out, model_dir=model_dir, chunk_size=10, text_field="body", resume=True, progress=False)
    with open(src, "ab") as f:
        f.write(b'{"text": "one more"}\n')
    with pytest.raises(JobStateError, match="input.size"):
        score_file(src, out, model_dir=model_dir, chunk_size=10, resume=True, progress=False)

    src.write_bytes(jsonl_posts(100))
    os.utime(src, ns=(json.loads((work / "job.json").read_text())["input"]["mtime_ns"],) * 2)
    summary = score_file(src, out, model_dir=model_dir, chunk_size=10, resume=True, progress=False)
    assert summary.resumed_chunks == 2 and summary.records == 100
    clean = tmp_path / "clean.jsonl"
    score_file(src, clean, model_dir=model_dir, chunk_size=10, progress=False)
    assert out.read_bytes() == clean.read_bytes()


def test_output_synced_while_it_grows_is_the_same_output(tmp_path: Path, model_dir: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """The assembled output is fdatasynced on a thread as it grows (bulk._OutputSync): with a sync after every
    appended part, one and two workers still write exactly the bytes of a run without it, and the syncs ran."""
    src = tmp_path / "posts.jsonl"
    src.write_bytes(jsonl_posts(300, bad_every=11))
    plain = tmp_path / "plain.jsonl"
    score_file(src, plain, model_dir=model_dir, chunk_size=16, progress=False)
    syncs = []
    real = bulk._OutputSync._sync

    def counted(self, fd):
        syncs.append(fd)
        real(self, fd)

    monkeypatch.setattr(bulk._OutputSync, "SYNC_EVERY", 1)
    monkeypatch.setattr(bulk._OutputSync, "_sync", counted)
    for workers in (1, 2):
        out = tmp_path / f"synced_{workers}.jsonl"
        score_file(src, out, model_dir=model_dir, chunk_size=16, workers=workers, progress=False)
        assert out.read_bytes() == plain.read_bytes()
    assert len(syncs) >= 2


def test_resume_redoes_chunks_whose_parts_a_power_loss_damaged(tmp_path: Path, model_dir: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """Parts and markers are not fsynced one by one, so after a power loss a marker may survive while its part
    did not reach the disk (missing, cut short, zero-filled) or the marker itself is garbage: resuming must redo
    exactly those chunks and still give the output of an uninterrupted run."""
    src = tmp_path / "posts.jsonl"
    src.write_bytes(jsonl_posts(120, bad_every=7))
    out = tmp_path / "scored.jsonl"
    rejects = tmp_path / "rejects.jsonl"
    with monkeypatch.context() as m:
        _interrupt_after(m, 6)
        with pytest.raises(KeyboardInterrupt):
            score_file(src, out, model_dir=model_dir, chunk_size=10, rejects_path=rejects, progress=False)
    parts = tmp_path / "scored.jsonl.partial" / "parts"
    assert len(list(parts.glob("*.done.json"))) == 6
    markers = {k: json.loads((parts / f"{k:08d}.done.json").read_text()) for k in range(6)}
    assert all(m["part_check"][0] == (parts / f"{k:08d}.jsonl").stat().st_size for k, m in markers.items())
    assert markers[0]["rejects_check"] is not None  # bad_every=7: the first chunk has a rejected line
    (parts / "00000000.rejects.jsonl").write_bytes(b"")  # rejects cut short
    (parts / "00000001.jsonl").unlink()  # part lost
    part = parts / "00000002.jsonl"
    part.write_bytes(b"\0" * part.stat().st_size)  # same size, zeros
    part = parts / "00000003.jsonl"
    part.write_bytes(part.read_bytes()[:-10])  # cut short
    (parts / "00000004.done.json").write_bytes(b"\0" * 40)  # the marker itself is garbage
    summary = score_file(src, out, model_dir=model_dir, chunk_size=10, rejects_path=rejects, resume=True,
                         progress=False)
    assert summary.resumed_chunks == 1 and summary.records == 120  # only chunk 5 survived intact
    clean = tmp_path / "clean.jsonl"
    score_file(src, clean, model_dir=model_dir, chunk_size=10, rejects_path=tmp_path / "clean_rejects.jsonl",
               progress=False)
    assert out.read_bytes() == clean.read_bytes()
    assert rejects.read_bytes() == (tmp_path / "clean_rejects.jsonl").read_bytes()


# ---------------------------------------------------------------------------------------------- stdin, stdout, usage


def test_stdin_to_stdout(tmp_path: Path, model_dir: Path) -> None:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    code = ("from mlmrisk.serving.bulk import score_file; "
            "score_file('-', '-', input_format='txt', progress=False, rejects_path='rej.jsonl')")
    data = "\n".join(POSTS).encode() + b"\n\xff\n"
    proc = subprocess.run([sys.executable, "-c", code], input=gzip.compress(data), capture_output=True, env=env,
                          cwd=tmp_path, timeout=120)
    assert proc.returncode == 0, proc.stderr.decode()
    rows = [json.loads(line) for line in proc.stdout.decode().splitlines()]
    assert [r["line"] for r in rows] == list(range(1, len(POSTS) + 2))
    assert rows[-1]["error"]["code"] == "invalid_utf8"
    assert len(read_jsonl(tmp_path / "rej.jsonl")) == 1
    assert proc.stderr == b""  # no bar when stderr is not a terminal


def test_usage_errors_come_before_any_work(tmp_path: Path, model_dir: Path) -> None:
    src = tmp_path / "posts.csv"
    src.write_text("id,body\n1,x\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    cases = [
        (dict(input_path=tmp_path / "missing.jsonl"), InputFormatError, "does not exist"),
        (dict(), InputFormatError, "text column 'text' not found"),
        (dict(output_path=tmp_path / "out.xlsx", text_field="body"), InputFormatError, "output format"),
        (dict(input_path="-", workers=2), InputFormatError, "one worker"),
        (dict(input_path="-", resume=True), InputFormatError, "cannot resume"),
        (dict(output_path="-", resume=True, text_field="body"), InputFormatError, "cannot resume"),
        (dict(output_path=src, text_field="body", output_format="csv"), InputFormatError, "is the input"),
        (dict(text_field="body", workers=0), InputFormatError, "positive"),
        (dict(text_field="body", model_dir=tmp_path), MlmriskError, "manifest.json"),
        (dict(text_field="body", deny=tmp_path / "nope.txt"), MlmriskError, "does not exist"),
    ]
    for overrides, error, message in cases:
        kwargs = dict(input_path=src, output_path=out, model_dir=model_dir, progress=False) | overrides
        with pytest.raises(error, match=message):
            score_file(kwargs.pop("input_path"), kwargs.pop("output_path"), **kwargs)
        assert not out.exists() and not (tmp_path / "out.jsonl.partial").exists(), overrides


def test_progress_bar_when_forced(tmp_path: Path, model_dir: Path, capsys: pytest.CaptureFixture) -> None:
    src = tmp_path / "posts.jsonl"
    src.write_bytes(jsonl_posts(40))
    summary = score_file(src, tmp_path / "o.jsonl", model_dir=model_dir, chunk_size=8, progress=True)
    err = capsys.readouterr().err
    assert "rec/s" in err and "flagged" in err and "B/s" in err and "100%" in err
    text = summary.format()
    assert "read 40 lines = 40 scored + 0 errors + 0 skipped" in text and "flagged" in text
    assert summary.model in text
    assert json.loads(json.dumps(summary.to_dict()))["records"] == 40


def test_in_process_job_leaves_the_callers_garbage_collector_alone(tmp_path):
    """workers=1 runs in the caller's process: no gc.freeze() there (it would pin the caller's cyclic garbage for
    good), and the collector is running again afterwards, even when a chunk fails."""
    import gc
    import weakref

    from mlmrisk.serving import bulk

    source = tmp_path / "in.jsonl"
    source.write_text('{"text": "你好"}\n' * 20, encoding="utf-8")

    class Cycle:
        def __init__(self) -> None:
            self.me = self

    held = Cycle()
    ref = weakref.ref(held)
    frozen_before = gc.get_freeze_count()
    bulk.score_file(source, tmp_path / "out.jsonl", progress=False)
    del held
    gc.collect()
    assert ref() is None and gc.get_freeze_count() == frozen_before and gc.isenabled()
    with pytest.raises(RuntimeError):
        with bulk._collector_paused():
            assert not gc.isenabled()
            raise RuntimeError("a chunk failed")
    assert gc.isenabled()


def test_full_path_warmup_opens_both_members_and_hands_errors_to_the_worker(model_dir: Path) -> None:
    """A dedicated worker opens the full path's session and the evidence lexicon on a thread while it scores its
    first chunk; what the thread opened is what the scorer then uses, and an error there (onnxruntime refusing
    the graph) is raised in the worker's thread by ``result``, not lost."""
    from mlmrisk.classifier.errors import ModelLoadError
    from mlmrisk.serving.scorer import Scorer

    scorer = Scorer.load(model_dir)
    warmup = bulk._full_path_warmup(scorer)
    scored = scorer.score_batch(["加入就送静态收益，拉三个人回本，团队计酬拿见点奖", "今天天气不错"])  # meanwhile
    warmup.result()
    assert warmup.done and {"full", "lexicon"} <= set(scorer._lazy)
    assert scorer.full is scorer._lazy["full"] and scorer.lexicon is scorer._lazy["lexicon"]
    assert scored.records() == scorer.score_batch(["加入就送静态收益，拉三个人回本，团队计酬拿见点奖",
                                                   "今天天气不错"]).records()

    class Unloadable:
        @property
        def full(self):
            raise ModelLoadError("onnxruntime cannot load model.onnx")

        lexicon = None

    failing = bulk._full_path_warmup(Unloadable())
    with pytest.raises(ModelLoadError, match="cannot load"):
        failing.result()


def _claim_all(claims, n_chunks: int, out) -> None:
    """A worker's view of the input: every chunk in order, claiming as it goes (a pause now and then)."""
    taken = []
    for k in range(n_chunks):
        if claims.claim(k):
            taken.append(k)
            if k % 7 == 0:
                time.sleep(0.002)  # "scoring": the other worker runs ahead meanwhile
    out.put(taken)


@pytest.mark.skipif(sys.platform != "linux", reason="fork start method")
def test_chunk_claims_give_every_chunk_to_exactly_one_worker() -> None:
    """Workers reading the input in order each claim the chunks nobody has taken yet: every chunk is scored once,
    by one worker, and a worker that pauses takes fewer (the two finish together)."""
    import multiprocessing as mp

    ctx = mp.get_context("fork")
    claims, out = bulk._ChunkClaims(ctx), ctx.Queue()
    procs = [ctx.Process(target=_claim_all, args=(claims, 400, out)) for _ in range(2)]
    for p in procs:
        p.start()
    taken = [out.get(timeout=30) for _ in procs]
    for p in procs:
        p.join(timeout=30)
    assert sorted(taken[0] + taken[1]) == list(range(400))
    assert all(t == sorted(t) for t in taken)
    local = bulk._ChunkClaims(ctx)
    assert local.claim(3) and not local.claim(3) and not local.claim(1) and local.claim(4)


def test_parts_are_assembled_in_chunk_order_as_they_finish(tmp_path: Path) -> None:
    """The parent appends each finished part as soon as every earlier chunk is in (chunks finish out of order
    across workers); a chunk that wrote nothing is passed over; with a file the parts stay for --resume."""
    source = tmp_path / "in.jsonl"
    source.write_text('{"text": "你好"}\n', encoding="utf-8")
    job = bulk.make_job(source, tmp_path / "out.jsonl")
    parts = tmp_path / "parts"
    parts.mkdir()
    for k, text in enumerate([b"a\n", b"b\n", b"", b"d\n"]):
        (parts / (bulk._part_name(k) + ".jsonl")).write_bytes(text)
    dest = tmp_path / "output.tmp"
    with open(dest, "wb") as sink:
        asm = bulk._InOrderAssembler(job, parts, sink, consume=False)
        asm.chunk_done({"chunk": 1, "written": 1})
        asm.chunk_done({"chunk": 3, "written": 1})
        sink.flush()
        assert asm.next == 0 and dest.read_bytes() == b""  # chunk 0 is not in yet
        asm.chunk_done({"chunk": 0, "written": 1})
        sink.flush()
        assert asm.next == 2 and dest.read_bytes() == b"a\nb\n"  # 0 and 1 now; 3 waits for 2
        asm.chunk_done({"chunk": 2, "written": 0})
        asm.close()
    assert asm.next == 4 and dest.read_bytes() == b"a\nb\nd\n"
    assert len(list(parts.iterdir())) == 4


def test_a_job_another_run_is_working_on_is_reported_as_such(tmp_path: Path, model_dir: Path) -> None:
    """Without --resume, a work dir that a live run holds must not be called an unfinished earlier run whose
    deletion starts over: deleting it would wreck the live job."""
    import fcntl

    src = tmp_path / "in.jsonl"
    src.write_text('{"text": "今天天气不错"}\n', encoding="utf-8")
    work = tmp_path / "out.jsonl.partial"
    work.mkdir()
    fd = os.open(work / "lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        for resume in (False, True):
            with pytest.raises(JobStateError, match="another mlmrisk run is working"):
                score_file(src, tmp_path / "out.jsonl", model_dir=model_dir, resume=resume, progress=False)
    finally:
        os.close(fd)
    assert work.is_dir()
