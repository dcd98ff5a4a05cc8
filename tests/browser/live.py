"""The three tiers served over real sockets (uvicorn, one thread), for a real browser."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import uvicorn

from services.platform import BOOTSTRAPS, Platform
from shared.kernel.jurisdiction import Tier


@dataclass
class Live:
    platform: Platform
    urls: dict[Tier, str]

    def url(self, tier: Tier, path: str = "/") -> str:
        return self.urls[tier] + path


def _bound() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@contextmanager
def serve(platform: Platform) -> Iterator[Live]:
    """Every tier's app on a free port until the block ends."""
    servers, urls = [], {}
    for tier, runtime in platform.tiers.items():
        sock = _bound()
        config = uvicorn.Config(
            BOOTSTRAPS[tier].build_api(runtime), log_level="warning", access_log=False
        )
        servers.append((uvicorn.Server(config), sock))
        urls[tier] = f"http://127.0.0.1:{sock.getsockname()[1]}"

    async def run() -> None:
        await asyncio.gather(*(s.serve(sockets=[sock]) for s, sock in servers))

    thread = threading.Thread(target=asyncio.run, args=(run(),), name="live-tiers", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not all(s.started for s, _ in servers):
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the live servers did not start")
        time.sleep(0.02)
    try:
        yield Live(platform, urls)
    finally:
        for s, _ in servers:
            s.should_exit = True
        thread.join(timeout=10)


def chromium_path() -> Path:
    import os

    return Path(os.environ.get("SANJI_TEST_CHROMIUM", "/usr/bin/chromium"))
