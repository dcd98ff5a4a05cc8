"""Fixtures of the fault tests: a fresh Tansu broker per test (it starts in about 0.1 s and
keeps everything in memory, so a fresh one is an empty one), the production topology as
processes on a fresh database, and the three tiers in this process over the same broker.

Topic names are fixed per tier (``sanji.<tier>.events.v1``), so tests that share a broker
would read each other's events: every test here gets its own.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from services.platform import Platform
from services.topology import LocalBroker
from tests.faults.support import Deployment, close_platform, in_process_platform


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[LocalBroker]:
    b = LocalBroker(log=tmp_path / "broker.log").start()
    yield b
    b.stop()


@pytest.fixture
def deployment(fresh_database: str, broker: LocalBroker, tmp_path: Path) -> Iterator[Deployment]:
    """Every role of every tier as its own process (services.topology), on a fresh database."""
    d = Deployment.start(fresh_database, broker, tmp_path)
    try:
        yield d
    finally:
        d.stop()
        print(d.logs())  # pytest shows it only when the test failed


@pytest.fixture
def kafka_platform(fresh_database: str, broker: LocalBroker, tmp_path: Path) -> Iterator[Platform]:
    """The three tiers in this process, on PostgreSQL, over the real broker."""
    p = in_process_platform(fresh_database, broker, tmp_path / "data")
    yield p
    close_platform(p)
