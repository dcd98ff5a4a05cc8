"""Request ids, one JSON access line per request, and ``GET /metrics`` (issue 12, item 6).

- ``X-Request-Id``: taken from the request when it is a short token (so a proxy's id carries
  through), generated otherwise, echoed in the response, kept in ``request.state.request_id``
  and used as the correlation id of the events the request causes (shared/api/deps.py).
- The access line (logger ``sanji.request``) is written here rather than by uvicorn, whose
  own access log stays off: only the app knows the route template, the account and the id.
- ``/metrics`` is Prometheus text from a registry per app (the embedded process serves three
  tiers; one global registry would mix them). It holds aggregate numbers only: counts by route
  template, never a path with an id, an account or a division. It is open unless
  ``SANJI_METRICS_TOKEN`` is set (ops scrape inside the network; docs/metrics.md).
"""

from __future__ import annotations

import hmac
import json
import logging
import re
import sys
import time
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from datetime import date, datetime
from typing import Any
from uuid import uuid4

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from shared.kernel.calendar import WorkingCalendar, days_left
from shared.kernel.domain import CHINA

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

log = logging.getLogger("sanji.request")

# A caller's id is kept only if it cannot forge log structure or grow without bound.
REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
READS = frozenset({"GET", "HEAD", "OPTIONS"})


def request_id(state: Any) -> str | None:
    """The id the middleware gave this request (``request.state``), if it ran."""
    return getattr(state, "request_id", None)


class Metrics:
    """The request and command counters of one app, in the app's own registry."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "sanji_http_requests",
            "HTTP requests answered, by route template, method and status",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "sanji_http_request_duration_seconds",
            "Time to answer a request, by route template and method",
            ["route", "method"],
            registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )
        self.commands = Counter(
            "sanji_commands",
            "Commands (requests that change something) by type (method and route template)"
            " and outcome (status)",
            ["command", "status"],
            registry=self.registry,
        )


class Observability:
    def __init__(self, app: ASGIApp, metrics: Metrics, log_requests: bool) -> None:
        self.app, self.metrics, self.log_requests = app, metrics, log_requests

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = next((v for k, v in scope.get("headers", ()) if k == b"x-request-id"), b"")
        rid = given.decode("latin-1")
        if not REQUEST_ID.match(rid):
            rid = str(uuid4())
        state = scope.setdefault("state", {})  # becomes request.state inside the app
        state["request_id"] = rid
        status = 500  # if the app fails before answering
        started = time.perf_counter()

        async def tagged(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = [(k, v) for k, v in message.get("headers", []) if k != b"x-request-id"]
                message["headers"] = [*headers, (b"x-request-id", rid.encode())]
            await send(message)

        try:
            await self.app(scope, receive, tagged)
        finally:
            self._record(scope, rid, status, time.perf_counter() - started)

    def _record(self, scope: Scope, rid: str, status: int, seconds: float) -> None:
        method = scope.get("method", "")
        route = route_template(scope)
        self.metrics.requests.labels(route, method, str(status)).inc()
        self.metrics.latency.labels(route, method).observe(seconds)
        if method not in READS and route != "unmatched":
            self.metrics.commands.labels(f"{method} {route}", str(status)).inc()
        if self.log_requests:
            actor = scope.get("state", {}).get("actor")
            log.info(
                "request",
                extra={
                    "fields": {
                        "request_id": rid,
                        "method": method,
                        "route": route,
                        "path": scope.get("path", ""),
                        "status": status,
                        "duration_ms": round(seconds * 1000, 2),
                        "account_id": actor.id if actor is not None else None,
                    }
                },
            )


def route_template(scope: Scope) -> str:
    """The matched route's template (``/api/v1/organisations/{organisation_id}``), never the
    path itself: labels must stay few, and ids are not for metrics."""
    route = scope.get("route")
    path = getattr(route, "path_format", None) or getattr(route, "path", None)
    return str(path) if path else "unmatched"


# ------------------------------------------------------------------ /metrics


def calendar_days_left(calendar: WorkingCalendar, today: date) -> int:
    """Days from ``today`` to the last day the working-day calendar covers (negative: past)."""
    return days_left(today, calendar)


class RuntimeCollector(Collector):
    """Figures read from the tier at scrape time (the same ones ``/ready`` shows)."""

    def __init__(self, runtime: Any) -> None:
        self.runtime = runtime

    def collect(self) -> Iterator[GaugeMetricFamily]:
        rt = self.runtime
        tier = str(rt.tier)
        head = rt.app.recorder.max_notification_id() or 0
        relayed = rt.relay.position()
        yield _gauge("sanji_store_head", "Last notification id in this tier's store", tier, head)
        yield _gauge(
            "sanji_relay_lag",
            "Notifications in this tier's store not yet published by its relay",
            tier,
            head - relayed,
        )
        positions = GaugeMetricFamily(
            "sanji_projector_position",
            "Last notification id of each source applied to this tier's read model",
            labels=["tier", "source"],
        )
        for source, position in sorted(rt.projector.positions().items()):
            positions.add_metric([tier, source], position)
        yield positions
        lag = GaugeMetricFamily(
            "sanji_projector_lag",
            "Notifications of each source not yet applied to this tier's read model",
            labels=["tier", "source"],
        )
        for source, behind in sorted(rt.projector.lag().items()):
            lag.add_metric([tier, source], behind)
        yield lag
        yield _gauge(
            "sanji_dead_letters",
            "Unresolved dead letters (poison events) of this tier's projector",
            tier,
            len(rt.projector.dead_letters()),
        )
        yield _gauge(
            "sanji_blocked_sources",
            "Sources stopped on a dead letter",
            tier,
            len(rt.projector.blocked_sources()),
        )
        left = calendar_days_left(rt.app.calendar, _today(rt))
        if left is not None:
            yield _gauge(
                "sanji_calendar_days_left",
                "Days until the working-day calendar's last covered day (alert below 60)",
                tier,
                left,
            )


def _today(rt: Any) -> date:
    now: datetime = rt.app.clock()
    return now.astimezone(CHINA).date()


def _gauge(name: str, documentation: str, tier: str, value: float) -> GaugeMetricFamily:
    g = GaugeMetricFamily(name, documentation, labels=["tier"])
    g.add_metric([tier], value)
    return g


def install(app: Any, runtime: Any) -> None:
    """Add ``/metrics`` and the request middleware (outermost: it sees every answer, 413s and
    429s included, and its request id is set before anything else runs)."""
    settings = runtime.settings
    metrics = Metrics()
    metrics.registry.register(RuntimeCollector(runtime))
    app.state.metrics = metrics
    token = settings.metrics_token

    async def serve_metrics(request: Request) -> Response:
        if token:
            given = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
            if not hmac.compare_digest(given.encode(), token.encode()):
                return JSONResponse(
                    {"error": {"code": "metrics_token", "message": "bearer token required"}},
                    status_code=401,
                    headers={"WWW-Authenticate": "Bearer"},
                )
        body = generate_latest(metrics.registry)
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    # A plain Starlette route: outside the operator API's schema and its token checks.
    app.router.add_route("/metrics", serve_metrics, methods=["GET"], include_in_schema=False)
    app.add_middleware(Observability, metrics=metrics, log_requests=settings.request_log)


# ------------------------------------------------------------------ JSON logs


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message and the record's ``fields``."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created).astimezone().isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update(getattr(record, "fields", {}))
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def configure_logging(level: int = logging.WARNING) -> None:
    """JSON lines on stderr: warnings and up from everything, and the access lines."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    log.setLevel(logging.INFO)
