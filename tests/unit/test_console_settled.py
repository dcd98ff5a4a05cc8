"""The console waits (bounded) for its tier's read model after a form, so the next page shows
what the person just did (shared/console/client.py ``Api.settled``). A fake /ready stands in for
the projector: the real one is exercised by the console and browser tests."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from fastapi import FastAPI
from starlette.requests import Request

from shared.console.client import Api


def fake_tier(polls_until_caught_up: int) -> tuple[FastAPI, list[int]]:
    app = FastAPI()
    calls: list[int] = []

    @app.get("/ready")
    def ready() -> dict[str, Any]:
        calls.append(1)
        caught_up = len(calls) > polls_until_caught_up
        return {"source": "VillageApplication", "store_head": 7,
                "projector_positions": {"VillageApplication": 7 if caught_up else 5}}  # fmt: skip

    return app, calls


def request_for(app: FastAPI) -> Request:
    scope = {"type": "http", "app": app, "headers": [], "client": ("127.0.0.1", 1), "state": {}}
    return Request(scope)


def test_it_waits_until_the_projector_reaches_the_store_head() -> None:
    app, calls = fake_tier(polls_until_caught_up=4)

    async def run() -> None:
        async with Api(request_for(app), "token") as api:
            await api.settled(timeout=5)

    asyncio.run(run())
    assert len(calls) == 5  # four behind, the fifth caught up: no more polling


def test_it_gives_up_at_the_bound() -> None:
    app, calls = fake_tier(polls_until_caught_up=10**9)

    async def run() -> float:
        started = time.monotonic()
        async with Api(request_for(app), "token") as api:
            await api.settled(timeout=0.2)
        return time.monotonic() - started

    took = asyncio.run(run())
    assert 0.2 <= took < 2 and len(calls) > 2
