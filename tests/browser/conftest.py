"""Browser tests: Debian's Chromium, headless, driven by Playwright (no browser download; the
test command installs chromium as it installs PostgreSQL). Every request the browser makes is
recorded, so a test can prove that no page reached outside the service."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from shared.kernel.jurisdiction import Tier
from tests.browser.live import Live, chromium_path, serve
from tests.helpers import build_platform, test_account, usual_operators

ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    """One platform for a module's browser tests, served on free ports."""
    p = build_platform(Path(tmp_path_factory.mktemp("live")))
    for actor in usual_operators(p.jurisdiction):
        test_account(p.tiers[actor.tier].app, actor)
    p.start()
    try:
        with serve(p) as running:
            yield running
    finally:
        p.stop()


# Package scope: Playwright's sync API keeps an event loop running in this thread while it is
# open, and later tests call asyncio.run(); it is stopped once the browser tests are done.
@pytest.fixture(scope="package")
def chromium() -> Iterator[Any]:
    path = chromium_path()
    if not path.is_file():
        pytest.fail(
            f"Chromium not found at {path}: run scripts/test (it installs it), or "
            "apt-get install -y chromium, or set SANJI_TEST_CHROMIUM",
            pytrace=False,
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(path), headless=True, args=ARGS)
        yield browser
        browser.close()


class Requests(list[str]):
    """Every URL a page asked for."""


@pytest.fixture
def new_page(chromium: Any) -> Iterator[Any]:
    """A fresh browser context (its own cookies) per call; pages record their requests."""
    contexts: list[Any] = []

    def open_page(locale: str = "zh-CN") -> Any:
        context = chromium.new_context(locale=locale, viewport={"width": 1280, "height": 900})
        contexts.append(context)
        page = context.new_page()
        page.requests = Requests()
        page.on("request", lambda r: page.requests.append(r.url))
        return page

    yield open_page
    for context in contexts:
        context.close()


def tier_of(live: Live, url: str) -> Tier | None:
    return next((t for t, base in live.urls.items() if url.startswith(base)), None)
