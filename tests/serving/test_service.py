"""The HTTP service over real HTTP (uvicorn on a free loopback port, httpx as the client).

Results must equal the records ``mlmrisk score`` writes for the same texts: both come from
``ScoredBatch.records``, and this test holds them together.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

pytest.importorskip("fastapi", reason="the serve extra is not installed (pip install -e '.[test]')")
import httpx  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
TOKEN = "test-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def base_url():
    import uvicorn

    from mlmrisk.serving.scorer import Scorer
    from mlmrisk.serving.service import ServiceSettings, create_app

    settings = ServiceSettings(token=TOKEN, max_items=50, max_body_bytes=300_000, read_timeout=2.0, access_log=False)
    app = create_app(Scorer.load(), settings)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, access_log=False, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def client(base_url):
    with httpx.Client(base_url=base_url, timeout=30) as c:
        yield c


def _read_jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def test_results_equal_mlmrisk_score_records(client, tmp_path):
    from mlmrisk.serving.bulk import score_file

    posts = _read_jsonl(REPO / "data" / "sample_posts.jsonl") + _read_jsonl(REPO / "data" / "challenge_set.jsonl")[:10]
    source = tmp_path / "posts.jsonl"
    source.write_text("".join(json.dumps({"id": p["id"], "text": p["text"]}, ensure_ascii=False) + "\n"
                              for p in posts), encoding="utf-8")
    score_file(source, tmp_path / "out.jsonl", progress=False)
    expected = _read_jsonl(tmp_path / "out.jsonl")
    for record in expected:
        del record["line"]  # the CLI's position in its input file; no meaning for an HTTP request
    r = client.post("/v1/score", json={"items": [{"id": p["id"], "text": p["text"]} for p in posts]}, headers=AUTH)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["results"] == expected
    assert body["model"] == __import__("mlmrisk").Scorer.load().model_id
    assert any(rec["flagged"] for rec in expected) and not all(rec["flagged"] for rec in expected)


def test_bad_item_gets_an_error_record_and_never_fails_the_others(client):
    items = [{"id": "ok", "text": "静态收益加动态收益，直推十人拿见点奖"}, {"id": "null", "text": None},
             {"id": "num", "text": 42}, {"id": "list", "text": ["a"]}, {"text": "招商银行信用卡账单提醒"}]
    r = client.post("/v1/score", json={"items": items}, headers=AUTH)
    assert r.status_code == 200, r.text
    results = r.json()["results"]
    assert [res["id"] for res in results] == ["ok", "null", "num", "list", 5]  # default id: 1-based position
    assert results[0]["flagged"] is True and results[4]["level"] == "none"
    assert [(res.get("error") or {}).get("code") for res in results] == [None, "missing_text", "not_a_string",
                                                                     "not_a_string", None]


def test_long_texts_are_truncated_as_in_the_cli(client):
    r = client.post("/v1/score", json={"items": [{"id": 1, "text": "拉人头" * 7000}]}, headers=AUTH)
    assert r.status_code == 200
    assert "truncated" in r.json()["results"][0]["normalization"]


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"},
                                     {"Authorization": "Bearer"}])
def test_missing_or_wrong_token_is_401(client, headers):
    r = client.post("/v1/score", json={"items": [{"text": "a"}]}, headers=headers)
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "unauthorized"
    assert r.headers["www-authenticate"] == "Bearer"
    assert client.post("/v1/explain", json={"text": "a"}, headers=headers).status_code == 401


def test_too_many_items_and_too_large_body_are_413(client):
    r = client.post("/v1/score", json={"items": [{"text": "a"}] * 51}, headers=AUTH)
    assert r.status_code == 413 and r.json()["error"] == {
        "code": "too_many_items", "message": "51 items; at most 50 per request", "field": "items"}
    r = client.post("/v1/score", json={"items": [{"text": "字" * 120_000}]}, headers=AUTH)
    assert r.status_code == 413 and r.json()["error"]["code"] == "body_too_large"

    def chunked():  # no Content-Length: the limit applies while the body streams in
        yield b'{"items": [{"text": "'
        for _ in range(40):
            yield b"x" * 10_000
        yield b'"}]}'

    r = client.post("/v1/score", content=chunked(), headers={**AUTH, "Content-Type": "application/json"})
    assert r.status_code == 413


@pytest.mark.parametrize("payload, field", [
    ({"items": []}, "items"),
    ({"items": "text"}, "items"),
    ({}, "items"),
    ({"items": [{"text": "a"}, "not an object"]}, "items.1"),
    ({"items": [{"id": {"x": 1}, "text": "a"}]}, "items.0.id"),
    ({"items": [{"id": True, "text": "a"}]}, "items.0.id"),  # not echoed as 1
    ([1, 2], "body"),
])
def test_wrong_types_are_422_naming_the_field(client, payload, field):
    r = client.post("/v1/score", json=payload, headers=AUTH)
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    assert error["code"] == "invalid_request" and error["field"] == field


def test_malformed_json_is_400(client):
    r = client.post("/v1/score", content=b'{"items": [', headers={**AUTH, "Content-Type": "application/json"})
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "invalid_json" and r.json()["error"]["field"] == "body"


def test_bodies_json_cannot_decode_are_400_invalid_json(client):
    for body in (b'{"items": [{"text": "\xff\xfe"}]}', b"[" * 100_000 + b"]" * 100_000):  # both under 300 kB
        r = client.post("/v1/score", content=body, headers={**AUTH, "Content-Type": "application/json"})
        assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_json", r.text


def test_a_nan_or_infinite_id_is_422_not_null(client):
    for literal in (b"NaN", b"Infinity"):
        r = client.post("/v1/score", content=b'{"items": [{"id": ' + literal + b', "text": "a"}]}',
                        headers={**AUTH, "Content-Type": "application/json"})
        assert r.status_code == 422 and r.json()["error"]["field"].startswith("items.0.id"), r.text


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded"])
def test_a_body_not_declared_json_is_415(client, content_type):
    headers = {**AUTH, **({"Content-Type": content_type} if content_type else {})}
    r = client.post("/v1/score", content=b'{"items": [{"text": "a"}]}', headers=headers)
    assert r.status_code == 415 and r.json()["error"]["code"] == "unsupported_media_type", r.text
    ok = client.post("/v1/score", content=b'{"items": [{"text": "a"}]}',
                     headers={**AUTH, "Content-Type": "application/json; charset=utf-8"})
    assert ok.status_code == 200, ok.text


def test_a_trailing_slash_is_a_json_404_not_a_redirect(client):
    r = client.post("/v1/score/", json={"items": [{"text": "a"}]}, headers=AUTH)
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found", r.text


def test_a_stalled_body_gets_408(base_url):
    """A client that declares a body and stops sending it no longer holds the connection for ever."""
    from mlmrisk.serving import service

    host, port = base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as conn:
        conn.sendall(b"POST /v1/score HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Authorization: Bearer " + TOKEN.encode() + b"\r\nContent-Length: 100\r\n\r\n{\"items\": [")
        started = time.monotonic()
        reply = conn.recv(65536)
        waited = time.monotonic() - started
        while b"request_timeout" not in reply:  # the body may come in a packet of its own
            more = conn.recv(65536)
            if not more:
                break
            reply += more
    assert reply.startswith(b"HTTP/1.1 408") and b"request_timeout" in reply, reply[:300]
    assert waited < 10 and service.READ_TIMEOUT == 30.0  # the fixture sets 2 s


def test_explain(client):
    r = client.post("/v1/explain", json={"text": "發.展.下.綫，直推十人拿見點獎", "top": 5}, headers=AUTH)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["result"]["flagged"] is True and body["normalized"].startswith("发展下线")
    assert 0 < len(body["features"]) <= 5
    # the discussion guard, as in `mlmrisk explain --json`: a pitch does not read as a warning
    assert body["discussion"]["active"] is True and body["discussion"]["penalty"] == 0
    assert client.post("/v1/explain", json={"text": None}, headers=AUTH).json()["error"]["field"] == "text"


def test_health_ready_metrics_docs(client):
    from prometheus_client.parser import text_string_to_metric_families

    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["status"] == "ready"
    client.post("/v1/score", json={"items": [{"text": "交399入会费，直推一人奖100"}, {"text": None}]}, headers=AUTH)
    client.post("/v1/score", json={"items": []}, headers=AUTH)
    r = client.get("/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    families = {f.name: f for f in text_string_to_metric_families(r.text)}
    assert {"mlmrisk_requests", "mlmrisk_request_seconds", "mlmrisk_flagged", "mlmrisk_texts", "mlmrisk_errors",
            "mlmrisk_bad_items"} <= set(families)
    samples = {(s.name, tuple(sorted(s.labels.items()))): s.value for f in families.values() for s in f.samples}
    assert samples[("mlmrisk_requests_total", (("route", "/v1/score"), ("status", "200")))] >= 1
    assert samples[("mlmrisk_flagged_total", ())] >= 1
    assert samples[("mlmrisk_errors_total", (("code", "invalid_request"),))] >= 1
    assert samples[("mlmrisk_bad_items_total", (("code", "missing_text"),))] >= 1
    assert any(name == "mlmrisk_request_seconds_bucket" for name, _ in samples)
    assert client.get("/docs").status_code == 200
    assert "/v1/score" in client.get("/openapi.json").json()["paths"]


def test_readyz_is_503_until_the_model_is_loaded(monkeypatch):
    from fastapi.testclient import TestClient

    from mlmrisk.serving.scorer import Scorer
    from mlmrisk.serving.service import ServiceSettings, create_app

    loaded_scorers = []
    load = Scorer.load.__func__

    def recording_load(cls, *args, **kwargs):
        loaded_scorers.append(load(cls, *args, **kwargs))
        return loaded_scorers[-1]

    monkeypatch.setattr(Scorer, "load", classmethod(recording_load))

    app = create_app(None, ServiceSettings(access_log=False))
    client = TestClient(app)  # not entered: the lifespan (model load) has not run
    assert client.get("/readyz").status_code == 503
    assert client.get("/healthz").status_code == 200
    assert client.post("/v1/score", json={"items": [{"text": "a"}]}).json()["error"]["code"] == "not_ready"
    with TestClient(app) as loaded:  # lifespan runs: the model loads once
        assert loaded.get("/readyz").status_code == 200
        # ready means ready for a suspicious post too: its session and evidence word list are open already
        (scorer,) = loaded_scorers
        assert {"full", "lexicon"} <= set(scorer._lazy)


def test_is_loopback():
    from mlmrisk.serving.service import is_loopback

    assert all(is_loopback(h) for h in ("127.0.0.1", "127.0.0.2", "::1", "localhost", "[::1]"))
    assert not any(is_loopback(h) for h in ("0.0.0.0", "::", "192.168.1.4", "example.com"))


def _cli_env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "MLMRISK_TOKEN"}
    env.update(extra)
    return env


def test_refuses_a_non_loopback_host_without_a_token():
    proc = subprocess.run([sys.executable, "-m", "mlmrisk", "serve", "--host", "0.0.0.0", "--port", str(free_port())],
                          capture_output=True, text=True, timeout=60, env=_cli_env())
    assert proc.returncode == 1
    assert "refusing to listen on 0.0.0.0 without a token" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("argv, module, extra", [(["serve"], "fastapi", "serve"),
                                                 (["spark", "in.jsonl", "-o", "out"], "pyspark", "spark")])
def test_platform_commands_without_their_extra_name_the_install_command(monkeypatch, capsys, argv, module, extra):
    import importlib.util

    from mlmrisk import cli

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == module else real(name, *a))
    assert cli.main(argv) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"pip install 'mlmrisk[{extra}]'" in err[0]


def test_cli_serve_token_file_json_logs_and_graceful_sigterm(tmp_path):
    """The real command: token from a file, JSON access logs, and SIGTERM lets an in-flight request finish."""
    token_file = tmp_path / "token"
    token_file.write_text("file-token\n", encoding="utf-8")
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "mlmrisk", "serve", "--port", str(port), "--token-file",
                             str(token_file)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=_cli_env())
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, proc.stderr.read()
            try:
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "service did not become ready"
            time.sleep(0.1)
        headers = {"Authorization": "Bearer file-token"}
        assert httpx.post(f"{base}/v1/score", json={"items": [{"text": "a"}]}, headers=headers).status_code == 200
        # an in-flight request while SIGTERM arrives: a big one (1,000 long flagged posts)
        big = {"items": [{"id": k, "text": "静态收益加动态收益，直推十人拿见点奖，" * 100} for k in range(1000)]}
        answer: dict = {}

        def send():
            answer["r"] = httpx.post(f"{base}/v1/score", json=big, headers=headers, timeout=60)

        sender = threading.Thread(target=send)
        sender.start()
        time.sleep(0.3)
        signalled = time.time()
        proc.send_signal(signal.SIGTERM)
        sender.join(timeout=60)
        assert answer["r"].status_code == 200 and len(answer["r"].json()["results"]) == 1000
        assert proc.wait(timeout=60) in (0, -signal.SIGTERM)  # uvicorn re-raises the signal once drained
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    logs = [json.loads(line) for line in proc.stderr.read().splitlines() if line.startswith("{")]
    scored = [entry for entry in logs if entry["path"] == "/v1/score"]
    assert scored and {"ts", "method", "status", "ms", "client", "request_id"} <= set(scored[0])
    assert scored[-1]["items"] == 1000 and scored[-1]["status"] == 200
    assert scored[-1]["ts"] > signalled  # it was still in flight when SIGTERM came, and it finished


def test_timeout_is_504_and_a_queued_request_is_cancelled():
    from fastapi.testclient import TestClient

    from mlmrisk.serving.scorer import Scorer
    from mlmrisk.serving.service import ServiceSettings, create_app

    real = Scorer.load()

    class Slow:
        model_id = real.model_id

        def score_batch(self, texts):
            time.sleep(0.5)
            return real.score_batch(texts)

    app = create_app(Slow(), ServiceSettings(request_timeout=0.1, access_log=False))
    with TestClient(app) as client:
        r = client.post("/v1/score", json={"items": [{"text": "拉人头" * 1000}]})  # over INLINE_CHARS: the thread
        assert r.status_code == 504 and r.json()["error"]["code"] == "timeout"


def test_cli_serve_with_two_workers_sums_metrics_over_the_workers():
    from prometheus_client.parser import text_string_to_metric_families

    port = free_port()
    env = _cli_env(MLMRISK_TOKEN="two-workers")
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    proc = subprocess.Popen([sys.executable, "-m", "mlmrisk", "serve", "--port", str(port), "--workers", "2",
                             "--no-access-log"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            assert proc.poll() is None, proc.stderr.read()
            try:
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "service did not become ready"
            time.sleep(0.1)
        headers = {"Authorization": "Bearer two-workers"}
        for _ in range(12):  # new connections: the kernel spreads them over the workers
            with httpx.Client(base_url=base, headers=headers) as c:
                assert c.post("/v1/score", json={"items": [{"text": "直推十人拿见点奖"}]}).status_code == 200
        text = httpx.get(f"{base}/metrics").text
        texts = [s.value for f in text_string_to_metric_families(text) for s in f.samples
                 if s.name == "mlmrisk_texts_total"]
        assert sum(texts) == 12  # whichever worker answered the scrape
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) in (0, -signal.SIGTERM)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_allow_and_deny_lists_apply_from_start_up_settings(tmp_path):
    from fastapi.testclient import TestClient

    from mlmrisk.serving.service import ServiceSettings, create_app

    deny = tmp_path / "deny.txt"
    deny.write_text("周末爬山\thigh\n", encoding="utf-8")
    app = create_app(None, ServiceSettings(deny_list=str(deny), access_log=False))
    with TestClient(app) as client:  # the lifespan loads the model with the lists
        record = client.post("/v1/score", json={"items": [{"text": "周.末.爬.山，一起吗"}]}).json()["results"][0]
    assert record["flagged"] is True and record["level"] == "high"
    assert record["lists"] == ["deny:周末爬山"]


def test_a_damaged_evidence_word_list_stops_the_start(tiny_model, tmp_path):
    """The service opens the word list before it is ready: a list that does not inflate stops the start with the
    ModelLoadError that names it, instead of failing the first suspicious request."""
    import shutil

    from fastapi.testclient import TestClient

    from mlmrisk.classifier.errors import ModelLoadError
    from mlmrisk.serving.service import ServiceSettings, create_app

    target = tmp_path / "damaged"
    shutil.copytree(tiny_model[0], target)
    manifest = json.loads((target / "manifest.json").read_text(encoding="utf-8"))
    packed = manifest["evidence"]["snap_words"]
    damaged = {**packed, "zlib_base64": packed["zlib_base64"][:-40]}
    (target / "manifest.json").write_text(
        json.dumps({**manifest, "evidence": {"snap_words": damaged}}, ensure_ascii=False), encoding="utf-8")
    app = create_app(None, ServiceSettings(model_dir=str(target), access_log=False))
    with pytest.raises(ModelLoadError, match="evidence word list"):
        with TestClient(app):
            pass


def test_settings_refuse_timeouts_and_limits_that_refuse_everything():
    from mlmrisk.serving.service import ServiceSettings

    for bad in ({"read_timeout": 0}, {"request_timeout": -1}, {"read_timeout": float("nan")}, {"max_connections": 0},
                {"max_items": 0}):
        with pytest.raises(ValueError, match="must be"):
            ServiceSettings(**bad)
