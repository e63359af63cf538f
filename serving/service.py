"""The HTTP scoring service behind ``mlmrisk serve`` (docs/integrations/http.md): FastAPI on uvicorn.

``create_app(scorer, settings)`` builds the ASGI app. ``scorer`` may be a loaded :class:`Scorer` (tests, embedding)
or ``None``: the app then loads ``settings.model_dir`` (with the allow/deny lists) once, at start-up, in the process
that serves it, so ``--workers N`` means N processes with one model each. ``/readyz`` answers 503 until then.

Records: ``POST /v1/score`` answers each item with ``ScoredBatch.records`` — the function ``mlmrisk score`` writes
its JSONL records with — so the two can never disagree (``line`` is the CLI's position in its input file and has no
meaning here). A bad item (null, missing or non-string text) gets an error record and never fails the others.

Scoring runs on ONE thread per process (a single-thread executor): the ONNX session uses one thread by design and
numpy holds the GIL for most of a batch, so more threads per process only queue. The per-request timeout covers the
wait for that thread and the scoring; a request that has not started when it expires is cancelled (504). Tiny
requests (``INLINE_CHARS``) are scored on the event loop: the hop to the thread cost more than the scoring.
"""

import asyncio
import hmac
import ipaddress
import json
import logging
import os
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass, field
from typing import Any

import orjson

MAX_ITEMS = 1000
MAX_BODY_BYTES = 8 << 20
REQUEST_TIMEOUT = 30.0
#: seconds a client may take to send a request body; a stalled body gets 408 instead of holding the connection
READ_TIMEOUT = 30.0
#: requests served at once per process (uvicorn's ``limit_concurrency``); beyond it a request gets 503 at once
MAX_CONNECTIONS = 1000
SETTINGS_ENV = "MLMRISK_SERVE_SETTINGS"
#: Requests with at most this many characters in all are scored on the event loop itself (≈1 ms of work, measured
#: ~0.3 ms for one short post); larger ones go to the scoring thread, where the timeout applies. The thread hop
#: cost several ms per request on a busy 2-core machine (the GIL hand-over), more than scoring a short post.
INLINE_CHARS = 2000
TOKEN_ENV = "MLMRISK_TOKEN"

log = logging.getLogger("mlmrisk.access")


@dataclass
class ServiceSettings:
    """Everything a worker process needs to build the app; JSON-able so ``--workers N`` can hand it over."""

    model_dir: str | None = None
    allow_list: str | None = None
    deny_list: str | None = None
    token: str | None = field(default=None, repr=False)
    token_file: str | None = None
    max_items: int = MAX_ITEMS
    max_body_bytes: int = MAX_BODY_BYTES
    request_timeout: float = REQUEST_TIMEOUT
    read_timeout: float = READ_TIMEOUT
    max_connections: int = MAX_CONNECTIONS
    access_log: bool = True

    def __post_init__(self) -> None:
        import math

        for name in ("request_timeout", "read_timeout"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
                raise ValueError(f"{name} must be a number of seconds > 0, got {value!r}")
        for name in ("max_items", "max_body_bytes", "max_connections"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a whole number ≥ 1, got {value!r}")

    def resolved_token(self) -> str | None:
        """The bearer token: ``token``, else the first line of ``token_file``, else ``$MLMRISK_TOKEN``."""
        if self.token:
            return self.token
        if self.token_file:
            with open(self.token_file, encoding="utf-8") as f:
                token = f.readline().strip()
            if not token:
                raise ValueError(f"--token-file {self.token_file} is empty")
            return token
        return os.environ.get(TOKEN_ENV) or None

    def to_env(self) -> str:
        data = asdict(self)
        data["token"] = None  # never in the environment as plain settings; workers read env/file themselves
        return json.dumps(data)

    @classmethod
    def from_env(cls) -> "ServiceSettings":
        return cls(**json.loads(os.environ.get(SETTINGS_ENV, "{}")))


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and ``localhost``; anything else (0.0.0.0 included) is reachable from outside."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class _Metrics:
    """Prometheus metrics of one app (its own registry, so tests can build many apps in one process).

    With ``PROMETHEUS_MULTIPROC_DIR`` set (``mlmrisk serve --workers N`` sets it) every worker writes its values to
    that directory and ``/metrics`` sums them over the workers, whichever worker answers the scrape.
    """

    def __init__(self) -> None:
        from prometheus_client import CollectorRegistry, Counter, Histogram

        self.multiprocess = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))
        self.registry = CollectorRegistry(auto_describe=True)
        reg = self.registry
        self.requests = Counter("mlmrisk_requests", "HTTP requests by route and status code",
                                ["route", "status"], registry=reg)
        self.latency = Histogram("mlmrisk_request_seconds", "request latency in seconds by route", ["route"],
                                 buckets=(.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30),
                                 registry=reg)
        self.texts = Counter("mlmrisk_texts", "texts scored (error records included)", registry=reg)
        self.flagged = Counter("mlmrisk_flagged", "texts flagged", registry=reg)
        self.levels = Counter("mlmrisk_levels", "texts by risk level", ["level"], registry=reg)
        self.bad_items = Counter("mlmrisk_bad_items", "items answered with an error record, by code", ["code"],
                                 registry=reg)
        self.errors = Counter("mlmrisk_errors", "requests refused or failed, by error code", ["code"], registry=reg)

    def exposition(self) -> tuple[bytes, str]:
        from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

        if self.multiprocess:
            from prometheus_client import multiprocess

            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
            return generate_latest(registry), CONTENT_TYPE_LATEST
        return generate_latest(self.registry), CONTENT_TYPE_LATEST


class ServiceError(Exception):
    """An answer other than 200: status, stable code, message, and the request field it is about."""

    def __init__(self, status: int, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.field = status, code, message, field


def _error_body(code: str, message: str, field: str | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if field is not None:
        error["field"] = field
    return {"error": error}


def _dumps(payload: Any) -> bytes:
    try:
        return orjson.dumps(payload, option=orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS)
    except TypeError:  # e.g. a lone surrogate in an id sent as a JSON escape
        return json.dumps(payload, ensure_ascii=True, default=str, separators=(",", ":")).encode()


_TYPE_TAGS = frozenset({"str", "int", "float", "bool", "list", "dict"})


def _field_name(loc: Any) -> str:
    """``("body", "items", 3, "id", "str")`` → ``items.3.id`` (pydantic appends the union member it tried)."""
    parts = [str(p) for p in loc if p != "body"]
    while len(parts) > 1 and parts[-1] in _TYPE_TAGS:
        parts.pop()
    return ".".join(parts) if parts else "body"


def create_app(scorer: Any = None, settings: ServiceSettings | None = None) -> Any:
    """The FastAPI app. ``scorer``: a loaded ``Scorer``, or None to load ``settings.model_dir`` at start-up."""
    from fastapi import Depends, FastAPI, Request
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import Response
    from typing import Annotated

    from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt, StrictStr
    from starlette.exceptions import HTTPException as StarletteHTTPException

    settings = settings or ServiceSettings()
    token = settings.resolved_token()
    expected = token.encode("utf-8") if token else None
    metrics = _Metrics()
    state: dict[str, Any] = {"scorer": scorer}
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mlmrisk-score")

    class Item(BaseModel):
        model_config = ConfigDict(json_schema_extra={"example": {"id": "p1", "text": "直推十人拿见点奖"}})
        # strict: pydantic would otherwise turn true into 1 and echo an id the client never sent
        id: StrictStr | StrictInt | Annotated[StrictFloat, Field(allow_inf_nan=False)] | None = Field(
            None, description="a string or a number, echoed as the record's `id`; default: the item's 1-based "
                              "position in `items`")
        text: Any = Field(None, description="the post; a missing, null or non-string text gets an error record")

    class ScoreRequest(BaseModel):
        items: list[Item] = Field(..., min_length=1, description=f"1–{settings.max_items} items")

    class ExplainRequest(BaseModel):
        text: str = Field(..., description="the post")
        top: int = Field(15, ge=1, le=100, description="how many top-weighted n-grams to list")

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if state["scorer"] is None:
            from mlmrisk.serving.scorer import Scorer

            loop = asyncio.get_running_loop()
            loaded = await loop.run_in_executor(executor, lambda: Scorer.load(
                settings.model_dir, allow=settings.allow_list, deny=settings.deny_list, build_lexicon=True))
            # the full path's session and the evidence word list open lazily; open them now, so /readyz means
            # ready (the first suspicious request paid ~0.1 s for the word list before) and a graph onnxruntime
            # cannot load, or a damaged word list, stops the start instead of failing that request; the scorer
            # is published only once both are open
            await loop.run_in_executor(executor, lambda: (loaded.full, loaded.lexicon))
            state["scorer"] = loaded
        yield
        executor.shutdown(wait=True)

    app = FastAPI(title="mlmrisk", version=_version(),
                  description="Pyramid-scheme (传销) promotion risk index for Chinese posts. Records are those of "
                              "`mlmrisk score`; see docs/integrations/http.md.", lifespan=lifespan,
                  redirect_slashes=False)  # /v1/score/ is a 404 with a JSON body, not a 307 with an empty one
    app.state.metrics = metrics
    app.state.settings = settings

    def json_response(payload: Any, status: int = 200, headers: dict | None = None) -> Response:
        return Response(_dumps(payload), status_code=status, media_type="application/json", headers=headers)

    @app.exception_handler(ServiceError)
    async def _service_error(request: Request, exc: ServiceError):
        metrics.errors.labels(exc.code).inc()
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return json_response(_error_body(exc.code, exc.message, exc.field), exc.status, headers)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError):
        problems = exc.errors()
        first = problems[0] if problems else {"loc": ("body",), "msg": "invalid request", "type": "invalid"}
        if first.get("type") == "json_invalid":
            status, code = 400, "invalid_json"
            first = {**first, "loc": ("body",)}
        else:
            status, code = 422, "invalid_request"
        metrics.errors.labels(code).inc()
        field_name = _field_name(first.get("loc", ()))
        body = _error_body(code, f"{field_name}: {first.get('msg')}", field_name)
        body["detail"] = [{"field": _field_name(p.get("loc", ())), "message": p.get("msg"), "type": p.get("type")}
                          for p in problems[:20]]
        return json_response(body, status)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException):
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        message, field_name = str(exc.detail), None
        if exc.status_code == 400 and "parsing the body" in message:
            # FastAPI's own refusal of a body json cannot decode (invalid UTF-8, nesting deeper than it allows)
            code, message, field_name = "invalid_json", f"the body is not valid JSON ({exc.detail})", "body"
        metrics.errors.labels(code).inc()
        return json_response(_error_body(code, message, field_name), exc.status_code)

    @app.exception_handler(Exception)
    async def _internal_error(request: Request, exc: Exception):
        metrics.errors.labels("internal").inc()
        logging.getLogger("mlmrisk.service").exception("request failed")
        return json_response(_error_body("internal", f"{type(exc).__name__}: internal error"), 500)

    app.add_middleware(_Edge, settings=settings, metrics=metrics)

    async def authorize(request: Request) -> None:  # async: FastAPI runs a sync dependency in a thread pool
        if expected is None:
            return
        header = request.headers.get("authorization", "")
        scheme, _, given = header.partition(" ")
        if scheme.lower() != "bearer" or not given:
            raise ServiceError(401, "unauthorized", "missing bearer token (Authorization: Bearer <token>)")
        if not hmac.compare_digest(given.strip().encode("utf-8"), expected):
            raise ServiceError(401, "unauthorized", "wrong bearer token")

    def loaded() -> Any:
        current = state["scorer"]
        if current is None:
            raise ServiceError(503, "not_ready", "the model is still loading")
        return current

    async def run_scoring(fn, *args, inline: bool = False):
        if inline:  # tiny work: a thread hop (GIL hand-over) costs more than scoring it on the loop
            return fn(*args)
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(executor, fn, *args)
        try:
            return await asyncio.wait_for(future, settings.request_timeout)
        except asyncio.TimeoutError:
            raise ServiceError(504, "timeout", f"scoring did not finish within {settings.request_timeout:g} s; "
                                               "send fewer or shorter texts, or retry") from None

    def score_items(current: Any, items: list) -> list[dict]:
        ids = [item.id if item.id is not None else k + 1 for k, item in enumerate(items)]
        return current.score_batch([item.text for item in items]).records(ids)

    @app.post("/v1/score", dependencies=[Depends(authorize)],
              summary="Score 1–max_items posts; one `mlmrisk score` record per item, in order")
    async def score(body: ScoreRequest, request: Request):
        if len(body.items) > settings.max_items:
            raise ServiceError(413, "too_many_items",
                               f"{len(body.items)} items; at most {settings.max_items} per request", "items")
        current = loaded()
        chars = sum(len(item.text) if isinstance(item.text, str) else 0 for item in body.items)
        records = await run_scoring(score_items, current, body.items, inline=chars <= INLINE_CHARS)
        n_flagged = 0
        for record in records:
            error = record.get("error")
            if error is not None:
                metrics.bad_items.labels(error["code"]).inc()
                continue
            metrics.levels.labels(record["level"]).inc()
            n_flagged += bool(record["flagged"])
        metrics.texts.inc(len(records))
        metrics.flagged.inc(n_flagged)
        request.state.log.update(items=len(records), flagged=n_flagged)
        return json_response({"model": current.model_id, "results": records})

    @app.post("/v1/explain", dependencies=[Depends(authorize)],
              summary="Why one text scores as it does: record, normalised text, top-weighted n-grams")
    async def explain(body: ExplainRequest, request: Request):
        current = loaded()
        explanation = await run_scoring(current.explain, body.text, body.top, inline=len(body.text) <= INLINE_CHARS)
        result = explanation["result"].to_dict()
        metrics.texts.inc()
        if result.get("flagged"):
            metrics.flagged.inc()
        request.state.log.update(items=1, flagged=int(bool(result.get("flagged"))))
        return json_response({"model": current.model_id, "result": result, "normalized": explanation["normalized"],
                              "discussion": explanation["discussion"], "features": explanation["features"]})

    @app.get("/healthz", summary="Liveness: the process answers")
    async def healthz():
        return json_response({"status": "ok"})

    @app.get("/readyz", summary="Readiness: the model is loaded")
    async def readyz():
        current = state["scorer"]
        if current is None:
            return json_response({"status": "loading"}, 503)
        return json_response({"status": "ready", "model": current.model_id})

    @app.get("/metrics", summary="Prometheus metrics (text format)")
    async def prometheus_metrics():
        payload, content_type = metrics.exposition()
        return Response(payload, media_type=content_type)

    return app


_ROUTES = frozenset({"/v1/score", "/v1/explain", "/healthz", "/readyz", "/metrics", "/docs", "/openapi.json"})
#: routes whose POST body must be JSON (415 otherwise) and is read under the size limit and the read timeout
_JSON_ROUTES = frozenset({"/v1/score", "/v1/explain"})


class _Edge:
    """Pure ASGI middleware around every request: the body checks of the JSON routes (415 for a body that is not
    declared JSON, 413 over the size limit, 408 for a body that stalls), metrics and one JSON access-log line.

    Bodies with a Content-Length over the limit are refused before a byte is read; other bodies are read up to the
    limit, within the read timeout, and replayed to the app. Access-log lines carry no text: method, path, status,
    time, client, item counts.
    """

    def __init__(self, app: Any, settings: ServiceSettings, metrics: _Metrics) -> None:
        self.app, self.settings, self.metrics = app, settings, metrics

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        entry: dict[str, Any] = {}
        scope.setdefault("state", {})["log"] = entry
        status = {"code": 500}

        async def send_wrapper(message: dict) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            refusal = None
            if scope["method"] == "POST" and scope.get("path") in _JSON_ROUTES:
                refusal = _not_json(scope)
                if refusal is None:
                    refusal, receive = await self._read_body(scope, receive)
            if refusal is not None:
                status_code, code, message = refusal
                self.metrics.errors.labels(code).inc()
                await _send_json(send_wrapper, status_code, _error_body(code, message))
            else:
                await self.app(scope, receive, send_wrapper)
        finally:
            elapsed = time.perf_counter() - started
            path = scope.get("path", "")
            route = path if path in _ROUTES else "other"
            self.metrics.requests.labels(route, str(status["code"])).inc()
            self.metrics.latency.labels(route).observe(elapsed)
            if self.settings.access_log:
                headers = dict(scope.get("headers") or [])
                client = scope.get("client")
                line = {"ts": round(time.time(), 3), "method": scope.get("method"), "path": path,
                        "status": status["code"], "ms": round(elapsed * 1000, 2),
                        "client": client[0] if client else None,
                        "request_id": headers.get(b"x-request-id", b"").decode("latin-1") or uuid.uuid4().hex[:16],
                        **entry}
                log.info(json.dumps(line, ensure_ascii=False))

    async def _read_body(self, scope: dict, receive: Any) -> tuple[tuple[int, str, str] | None, Any]:
        """Read the whole body (at most ``max_body_bytes``, within ``read_timeout`` seconds) and replay it to the
        app: (refusal or None, receive). A Content-Length over the limit is refused before a byte is read; a
        chunked body as soon as it passes the limit; a body that stalls (a client that opens a request and sends
        nothing more) gets 408 instead of holding the connection and a task for ever."""
        limit = self.settings.max_body_bytes
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length")
        if length is not None:
            try:
                declared = int(length)
            except ValueError:
                declared = limit + 1
            if declared > limit:
                return (413, "body_too_large", f"request body of {length.decode('latin-1')} bytes; the limit is "
                                               f"{limit}"), receive
        chunks, size = [], 0
        deadline = time.monotonic() + self.settings.read_timeout
        while True:
            try:
                message = await asyncio.wait_for(receive(), max(0.0, deadline - time.monotonic()))
            except asyncio.TimeoutError:
                return (408, "request_timeout", f"the request body did not arrive within "
                                                f"{self.settings.read_timeout:g} s"), receive
            if message["type"] != "http.request":
                return None, receive  # client went away
            body = message.get("body", b"")
            size += len(body)
            if size > limit:
                return (413, "body_too_large", f"request body over the limit of {limit} bytes"), receive
            chunks.append(body)
            if not message.get("more_body"):
                break
        replay = [{"type": "http.request", "body": b"".join(chunks), "more_body": False}]

        async def replayed() -> dict:
            return replay.pop() if replay else await receive()

        return None, replayed


def _not_json(scope: dict) -> tuple[int, str, str] | None:
    """415 unless the request says its body is JSON (``application/json``, any parameters; ``+json`` types)."""
    headers = dict(scope.get("headers") or [])
    content_type = headers.get(b"content-type", b"").decode("latin-1").split(";", 1)[0].strip().lower()
    if content_type == "application/json" or (content_type.startswith("application/") and
                                              content_type.endswith("+json")):
        return None
    given = f"Content-Type {content_type!r}" if content_type else "no Content-Type"
    return 415, "unsupported_media_type", f"the body must be JSON sent as Content-Type: application/json ({given})"


async def _send_json(send: Any, status: int, payload: Any) -> None:
    body = _dumps(payload)
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def _version() -> str:
    from mlmrisk._version import __version__

    return __version__


def app_from_env() -> Any:
    """uvicorn factory for ``mlmrisk serve --workers N``: every worker process builds its app (and model) here."""
    configure_logging()
    return create_app(None, ServiceSettings.from_env())


def configure_logging() -> None:
    """One JSON object per line on stderr for access logs (the message IS the JSON)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    access = logging.getLogger("mlmrisk.access")
    access.handlers[:] = [handler]
    access.setLevel(logging.INFO)
    access.propagate = False


def serve(host: str, port: int, settings: ServiceSettings, workers: int = 1,
          graceful_seconds: float = 30.0) -> None:
    """Run the service until SIGTERM/SIGINT; in-flight requests finish (up to ``graceful_seconds``)."""
    import tempfile

    import uvicorn

    token = settings.resolved_token()  # also checks that a --token-file is readable before anything starts
    if token is None and not is_loopback(host):
        raise PermissionError(f"refusing to listen on {host} without a token: set {TOKEN_ENV} or pass --token-file "
                              "(without a token the service only binds a loopback address)")
    os.environ[SETTINGS_ENV] = settings.to_env()
    if settings.token and workers > 1:  # worker processes read the token from the environment (or token_file)
        os.environ[TOKEN_ENV] = settings.token
    metrics_dir = None
    if workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        metrics_dir = tempfile.mkdtemp(prefix="mlmrisk-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
    configure_logging()
    config = dict(host=host, port=port, access_log=False, timeout_graceful_shutdown=graceful_seconds,
                  server_header=False, limit_concurrency=settings.max_connections)
    try:
        if workers > 1:
            uvicorn.run("mlmrisk.serving.service:app_from_env", factory=True, workers=workers, **config)
        else:
            uvicorn.run(app_from_env(), **config)
    finally:
        if metrics_dir is not None:
            import shutil

            shutil.rmtree(metrics_dir, ignore_errors=True)
