"""The API's HTTP stack (ADR 0033): uvicorn's automatic choice lands on httptools and uvloop,
so a deployment without them (and the slower pure-Python stack) shows up here."""

from __future__ import annotations

import sys

import pytest
import uvicorn


async def _app(scope: object, receive: object, send: object) -> None:  # never called
    raise AssertionError


def test_uvicorn_picks_the_compiled_parser_and_loop_by_itself() -> None:
    config = uvicorn.Config(_app, log_level="warning", access_log=False, proxy_headers=False)
    config.load()  # what uvicorn.run does with services run --role api's options
    assert config.http_protocol_class.__name__ == "HttpToolsProtocol"
    if sys.platform == "win32":
        pytest.skip("uvloop does not build on Windows")
    import uvloop

    factory = config.get_loop_factory()
    assert factory is not None
    loop = factory()
    try:
        assert isinstance(loop, uvloop.Loop)
    finally:
        loop.close()
