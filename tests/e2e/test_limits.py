"""Limits (issue 12, item 5): body size before reading and authentication, commands per
second per account, expensive reads bounded in size and concurrency."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from services.platform import BOOTSTRAPS
from shared.api import limits
from tests.helpers import VILLAGE, Api, build_platform, county_op, village_op

MiB = 1 << 20
APPLICATION = {
    "village_code": VILLAGE,
    "name": "文昌舞蹈队",
    "field": "culture_sports",
    "founded_on": "2025-03-01",
}


@pytest.fixture
def limited(tmp_path: Path) -> Any:
    p = build_platform(
        tmp_path, rate_limit_per_second=2, max_reproduction_ids=10, max_body_bytes=64 * 1024
    )
    p.start()
    yield Api.of(p)
    p.stop()


def test_declared_body_over_the_limit_is_413_before_the_token_is_checked(limited: Api) -> None:
    r = limited.village.post(
        "/api/v1/filing-applications",
        content=b"x" * (64 * 1024 + 1),
        headers={"Authorization": "Bearer not-a-token", "Content-Type": "application/json"},
    )
    assert r.status_code == 413
    assert r.json()["error"]["code"] == "body_too_large"
    # At the limit the request goes on to the app (here: not JSON), proving the bound is exact.
    r = limited.village.post(
        "/api/v1/filing-applications",
        content=b"x" * (64 * 1024),
        headers={"Authorization": "Bearer not-a-token", "Content-Type": "application/json"},
    )
    assert r.status_code in (401, 422)


def _chunks(n: int, size: int) -> list[dict[str, Any]]:
    return [{"type": "http.request", "body": b"x" * size, "more_body": True} for _ in range(n)]


def test_streamed_body_is_counted_and_refused_at_the_first_byte_over() -> None:
    read: list[int] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        while True:  # reads like Starlette's Request.body(), and answers 200 if it can
            message = await receive()
            if message["type"] == "http.disconnect":
                raise RuntimeError("client disconnected")
            read.append(len(message["body"]))
            if not message.get("more_body"):
                break
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    incoming = _chunks(100, 1000)  # 100 kB with no Content-Length (chunked)
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return incoming.pop(0)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/", "headers": []}
    asyncio.run(limits.BodyLimit(app, max_bytes=10_000)(scope, receive, send))
    assert sent[0]["status"] == 413
    assert b"body_too_large" in sent[1]["body"]
    assert sum(read) == 10_000  # the chunk that went over never reached the app
    assert len(incoming) == 89  # nothing more was read from the client


def test_commands_are_rate_limited_per_account_with_retry_after(limited: Api) -> None:
    alice, bob = village_op(id="v-alice"), village_op(id="v-bob")
    codes = [
        limited.village.post(
            "/api/v1/filing-applications", json=APPLICATION, headers=limited.auth(alice)
        ).status_code
        for _ in range(3)
    ]
    assert codes[:2] == [201, 201]  # the bucket holds one second's worth (2)
    r = limited.village.post(
        "/api/v1/filing-applications", json=APPLICATION, headers=limited.auth(alice)
    )
    assert r.status_code == 429
    assert r.json()["error"]["code"] == "rate_limited"
    assert int(r.headers["Retry-After"]) >= 1
    # Another account has its own bucket; reads are not limited.
    r = limited.village.post(
        "/api/v1/filing-applications", json=APPLICATION, headers=limited.auth(bob)
    )
    assert r.status_code == 201
    for _ in range(5):
        assert (
            limited.village.get("/api/v1/divisions", headers=limited.auth(alice)).status_code == 200
        )


def test_token_bucket_refills_at_its_rate() -> None:
    now = [0.0]
    buckets = limits.TokenBuckets(rate=4, clock=lambda: now[0])
    assert [buckets.take("a") for _ in range(4)] == [0, 0, 0, 0]
    assert buckets.take("a") == pytest.approx(0.25)
    now[0] += 0.25
    assert buckets.take("a") == 0
    assert buckets.take("b") == 0


def test_reproduction_of_a_supplied_record_is_bounded_in_ids(limited: Api) -> None:
    record = {"population": [f"{i:04d}" for i in range(11)], "selected": [], "quota": 0}
    r = limited.county.post(
        "/api/v1/sample-draws/reproduction",
        json={"record": record},
        headers=limited.auth(county_op()),
    )
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "too_many_ids"


def test_every_reproduction_route_is_an_expensive_read(limited: Api) -> None:
    for tier, runtime in limited.platform.tiers.items():
        app = BOOTSTRAPS[tier].build_api(runtime)
        paths = [p for p in app.openapi()["paths"] if "reproduc" in p]
        assert paths, tier
        for path in paths:
            assert limits.expensive({"path": path.replace("{", "").replace("}", "")}), path
    assert limits.expensive({"path": "/api/v1/reports/1", "query_string": b"known_at=2026-01-01"})
    assert not limits.expensive({"path": "/api/v1/reports/1", "query_string": b"as_of=2026-01-01"})


def test_expensive_reads_beyond_the_bound_answer_503_busy() -> None:
    release = asyncio.Event()

    async def slow(scope: Any, receive: Any, send: Any) -> None:
        await release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    middleware = limits.ExpensiveReads(slow, concurrency=2)
    scope = {"type": "http", "method": "GET", "path": "/api/v1/issued-reports/x/reproduction"}

    async def call() -> int:
        sent: list[dict[str, Any]] = []

        async def send(m: dict[str, Any]) -> None:
            sent.append(m)

        await middleware(dict(scope), None, send)  # type: ignore[arg-type]
        return int(sent[0]["status"])

    async def main() -> list[int]:
        running = [asyncio.create_task(call()) for _ in range(2)]
        while middleware.running < 2:  # both are inside, not merely scheduled
            await asyncio.sleep(0)
        refused = await call()  # a third while two run
        release.set()
        return [*(await asyncio.gather(*running)), refused, await call()]

    assert asyncio.run(main()) == [200, 200, 503, 200]


# ------------------------------------------------------------------ memory, in a real server

SERVER = """
import sys, uvicorn
from pathlib import Path
from services.platform import BOOTSTRAPS
from shared.kernel.jurisdiction import Tier
from tests.helpers import build_platform
p = build_platform(Path(sys.argv[1]))
app = BOOTSTRAPS[Tier.VILLAGE].build_api(p.tiers[Tier.VILLAGE])
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), log_level="warning")
"""


def _rss(pid: int) -> int:
    pages = int(Path(f"/proc/{pid}/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE")


def _post(port: int, headers: bytes, body_bytes: int, chunked: bool) -> bytes:
    """Sends up to ``body_bytes`` and returns what the server answered."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.sendall(headers)
        chunk = b"x" * (64 * 1024)
        framed = b"%x\r\n%s\r\n" % (len(chunk), chunk) if chunked else chunk
        sent = 0
        try:
            while sent < body_bytes:
                s.sendall(framed)
                sent += len(chunk)
            if chunked:
                s.sendall(b"0\r\n\r\n")
        except OSError:
            pass  # the server answered and closed before the whole body: as intended
        try:
            return s.recv(4096)
        except OSError:
            return b""


def test_a_64_mib_body_is_refused_with_memory_growing_less_than_10_mb(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    root = Path(__file__).resolve().parents[2]
    server = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(tmp_path), str(port)], cwd=root, env=os.environ.copy()
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline and server.poll() is None, "server not up"
                time.sleep(0.2)
        path = b"POST /api/v1/filing-applications HTTP/1.1\r\nHost: x\r\n"
        auth = b"Authorization: Bearer bad\r\nContent-Type: application/json\r\n"
        # Warm up (first request imports and allocates), then measure.
        _post(port, path + auth + b"Content-Length: 2\r\n\r\n", 2, chunked=False)
        before = _rss(server.pid)
        declared = path + auth + b"Content-Length: %d\r\n\r\n" % (64 * MiB)
        answer = _post(port, declared, 64 * MiB, chunked=False)
        assert answer.startswith(b"HTTP/1.1 413"), answer[:100]
        streamed = path + auth + b"Transfer-Encoding: chunked\r\n\r\n"
        answer = _post(port, streamed, 64 * MiB, chunked=True)
        assert answer.startswith(b"HTTP/1.1 413"), answer[:100]
        growth = _rss(server.pid) - before
        print(f"resident memory growth over two 64 MiB bodies: {growth / MiB:.1f} MiB")
        assert growth < 10 * 1000 * 1000
    finally:
        server.terminate()
        server.wait(timeout=10)
