"""The demo county, as `./scripts/run` loads it, in memory: for screenshots and the console
benchmark."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from services.demo import load_demo
from services.demo_accounts import provision
from services.platform import Platform
from shared.infrastructure.settings import Settings
from tests.helpers import build_platform


def demo_platform(data_dir: Path) -> tuple[Platform, dict[str, dict[str, Any]]]:
    """The demo county loaded and running, and its demo accounts by username."""
    p = build_platform(data_dir)
    accounts = {a["username"]: a for a in provision(p)}
    load_demo(p, Settings.demo_seed)
    p.drain()
    p.start()
    return p, accounts
