"""Limits on what one request, one account and one process may cost (issue 12, item 5).

- ``BodyLimit``: a body larger than ``SANJI_MAX_BODY_BYTES`` answers 413 ``body_too_large``
  before it is read: a declared Content-Length is refused at once, a chunked body is counted as
  it streams and refused at the first byte over. It is pure ASGI (no ``Request`` object, no
  buffering) and wraps everything that reads bodies or checks tokens, so a 64 MiB upload with a
  bad token costs neither the memory nor the token check. A route marked as an upload
  (``openapi_extra=UPLOAD``: the ledger file, ADR 0020) takes ``SANJI_MAX_UPLOAD_BYTES`` instead,
  refused the same way (``upload_too_large``); only its exact path does, so the small limit
  still guards every other route.
- ``RateLimit``: a token bucket per account, in process, spent by every authenticated request
  that changes something (commands, account changes, logout). Over it: 429 ``rate_limited`` with
  ``Retry-After``. In process is enough for a limit that protects a service from one runaway
  client; it is per process, so N processes of a role allow N times the rate.
- ``ExpensiveReads``: reproductions and ``known_at`` reports rebuild state from the event
  stores; at most ``SANJI_EXPENSIVE_CONCURRENCY`` run at once per process, the rest answer 503
  ``busy`` with ``Retry-After`` instead of queueing behind them (a queue only adds latency to
  every request behind it and keeps the threads busy).
- ``check_ids``: a caller-supplied list an expensive read works through is bounded in length.
"""

from __future__ import annotations

import itertools
import json
import math
import re
import threading
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qsl

from shared.kernel.domain import InvalidInput

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

READS = frozenset({"GET", "HEAD", "OPTIONS"})


async def _refuse(
    send: Send, status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> None:
    """The error envelope (shared/api/errors.py) written straight to ASGI."""
    body = json.dumps({"error": {"code": code, "message": message}}, ensure_ascii=False).encode()
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    raw += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


# The mark of a route whose body is a file upload, with its own limit (``SANJI_MAX_UPLOAD_BYTES``);
# it also tells the OpenAPI document's reader which limit applies.
UPLOAD: dict[str, Any] = {"x-body-limit": "SANJI_MAX_UPLOAD_BYTES"}


def collect_uploads(app: Any) -> None:
    """Add the paths of ``app``'s routes marked :data:`UPLOAD` to the set the body limit reads
    (``app.state.upload_paths``); called once the routes are in (API, then console)."""
    paths: set[str] = app.state.upload_paths
    todo = list(app.routes)
    while todo:
        route = todo.pop()
        extra = getattr(route, "openapi_extra", None) or {}
        if extra.get("x-body-limit") == UPLOAD["x-body-limit"]:
            paths.add(route.path)
        included = getattr(route, "original_router", None)  # recent FastAPI: a lazy router
        if included is not None:
            todo.extend(included.routes)


class BodyLimit:
    def __init__(
        self,
        app: ASGIApp,
        max_bytes: int,
        max_upload_bytes: int | None = None,
        uploads: set[str] | frozenset[str] = frozenset(),
    ) -> None:
        self.app, self.max_bytes = app, max_bytes
        self.max_upload_bytes = max_upload_bytes if max_upload_bytes is not None else max_bytes
        self.uploads = uploads  # filled after the routes are in: read on every request

    def _limit(self, path: str) -> tuple[int, str, str]:
        if path in self.uploads:
            n = self.max_upload_bytes
            mib = f"{n / 1_048_576:g}"
            return (
                n,
                "upload_too_large",
                f"上传的文件超过 {mib} MiB（{n} 字节）的上限 / the upload exceeds "
                f"{n} bytes (SANJI_MAX_UPLOAD_BYTES)",
            )
        n = self.max_bytes
        return n, "body_too_large", f"请求体超过 {n} 字节 / the request body exceeds {n} bytes"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit, code, message = self._limit(scope.get("path", ""))
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = -1  # malformed: the server's parser deals with it
                if declared > limit:
                    await _refuse(send, 413, code, message)
                    return
        received = 0
        over = False
        started = False

        async def counted() -> Message:
            nonlocal received, over
            if over:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # Stop the app reading; what it answers is replaced by the 413 below.
                    over = True
                    return {"type": "http.disconnect"}
            return message

        async def guarded(message: Message) -> None:
            nonlocal started
            if over:
                return  # the app's answer to a body it never got whole; the 413 goes instead
            started = True
            await send(message)

        try:
            await self.app(scope, counted, guarded)
        except Exception:
            if not over:
                raise
        if over and not started:
            await _refuse(send, 413, code, message)


class TokenBuckets:
    """One bucket of ``rate`` tokens per second, holding at most ``burst``, per key; at most
    ``max_keys`` keys remembered."""

    def __init__(
        self,
        rate: float,
        burst: float | None = None,
        clock=time.monotonic,
        max_keys: int = 100_000,
    ) -> None:
        self.rate = rate
        self.burst = burst if burst is not None else max(1.0, rate)
        self.clock = clock
        self.max_keys = max_keys
        # key -> (tokens, at), least recently used first (a key taken is moved to the end).
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()  # sync routes run on worker threads

    def take(self, key: str) -> float:
        """0 if a token was taken, else the seconds until one is available."""
        if self.rate <= 0:
            return 0.0  # 0 turns the limit off
        now = self.clock()
        with self._lock:
            tokens, at = self._buckets.pop(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - at) * self.rate)
            if tokens >= 1:
                self._buckets[key] = (tokens - 1, now)
                if len(self._buckets) > self.max_keys:
                    self._forget(now)
                return 0.0
            self._buckets[key] = (tokens, now)
            return (1 - tokens) / self.rate

    def _forget(self, now: float) -> None:
        """Idle keys' full buckets first; then, while more than half the bound remain, the
        least recently used (forgetting one only gives that key a full bucket back). The sweep
        leaves at most half the bound, so it runs at most once per ``max_keys / 2`` new keys:
        many keys (many clients, or one client with many addresses) never make every request
        scan the whole dict."""
        full = [
            k for k, (t, at) in self._buckets.items() if t + (now - at) * self.rate >= self.burst
        ]
        for k in full:
            del self._buckets[k]
        excess = len(self._buckets) - self.max_keys // 2
        for k in list(itertools.islice(self._buckets, max(0, excess))):
            del self._buckets[k]


class RateLimited(Exception):
    def __init__(self, wait: float) -> None:
        self.retry_after = max(1, math.ceil(wait))


def spend(buckets: TokenBuckets | None, method: str, account: str) -> None:
    """Take one token for ``account`` if the request changes something (called once per
    request: authentication remembers its answer on the request)."""
    if buckets is None or method in READS:
        return
    wait = buckets.take(account)
    if wait > 0:
        raise RateLimited(wait)


# Reads that rebuild state from the event stores instead of reading the read model.
EXPENSIVE_PATH = re.compile(r"^/api/v1/(?:.*/)?reproduction$")


def expensive(scope: Scope) -> bool:
    if EXPENSIVE_PATH.match(scope.get("path", "")):
        return True
    query = scope.get("query_string", b"").decode("latin-1")
    return "known_at" in query and any(k == "known_at" for k, _ in parse_qsl(query))


class ExpensiveReads:
    def __init__(self, app: ASGIApp, concurrency: int) -> None:
        self.app, self.concurrency, self.running = app, concurrency, 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.concurrency <= 0 or not expensive(scope):
            await self.app(scope, receive, send)
            return
        # One event loop per process: a plain counter is the semaphore, and never blocks.
        if self.running >= self.concurrency:
            await _refuse(
                send,
                503,
                "busy",
                "复核与历史报表正忙，请稍后重试 / reproductions and known-at reports are busy: "
                "retry shortly",
                {"Retry-After": "2"},
            )
            return
        self.running += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.running -= 1


def check_ids(name: str, ids: Any, limit: int) -> None:
    """422 ``too_many_ids`` if a caller-supplied list is longer than ``limit``."""
    if isinstance(ids, list | tuple) and len(ids) > limit:
        raise InvalidInput(
            "too_many_ids", f"{name}: {len(ids)} 项，超过上限 {limit} / more than {limit} ids"
        )


def install(
    app: Any,
    max_body_bytes: int,
    rate_per_second: float,
    concurrency: int,
    max_upload_bytes: int | None = None,
) -> None:
    """Add the limits to an app; call after every other middleware (the body limit wraps them).
    Upload routes are found by :func:`collect_uploads` once they are in."""
    from fastapi import Request
    from fastapi.responses import JSONResponse

    app.state.rate_buckets = TokenBuckets(rate_per_second) if rate_per_second > 0 else None

    @app.exception_handler(RateLimited)
    async def limited(_: Request, e: RateLimited) -> JSONResponse:
        return JSONResponse(
            {
                "error": {
                    "code": "rate_limited",
                    "message": "请求过于频繁，请稍后重试 / too many requests from this account: "
                    f"retry in {e.retry_after} s",
                }
            },
            status_code=429,
            headers={"Retry-After": str(e.retry_after)},
        )

    app.add_middleware(ExpensiveReads, concurrency=concurrency)
    app.state.upload_paths = set()
    app.add_middleware(
        BodyLimit,
        max_bytes=max_body_bytes,
        max_upload_bytes=max_upload_bytes,
        uploads=app.state.upload_paths,
    )
    collect_uploads(app)
