"""Fixtures shared by the three test levels.

- ``postgres_url``: a throwaway PostgreSQL 15 cluster for the whole session (tests marked
  ``@pytest.mark.postgres``). PostgreSQL refuses to run as root, so when we are root every server
  binary runs as ``postgres`` through ``runuser`` (platform notes).
- ``platform``: the embedded three-tier platform on POPO event stores and in-memory SQLite read
  models; tests drive relay and projectors with ``platform.drain()``.
- ``api``: the same platform with its background relay/projector threads running, a FastAPI
  ``TestClient`` per tier and operator tokens (e2e tests wait with ``wait_until_projected``).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from uuid import uuid4

import pytest

from shared.infrastructure.settings import Settings
from tests import helpers
from tests.helpers import Api, MovableClock, build_platform

PG_BIN = Path(os.environ.get("SANJI_TEST_PG_BIN", "/usr/lib/postgresql/15/bin"))
PG_DATABASE = "sanji"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_postgres(*args: str | Path) -> list[str]:
    """The command line, run as user ``postgres`` when we are root (the server refuses root)."""
    command = [str(a) for a in args]
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


def _run(command: list[str], cwd: Path) -> None:
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        pytest.fail(f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout}{done.stderr}")


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """URL of database ``sanji`` on a private PostgreSQL 15 cluster, stopped after the session."""
    missing = [b for b in ("initdb", "pg_ctl", "postgres") if not (PG_BIN / b).is_file()]
    if missing:
        pytest.fail(
            f"PostgreSQL 15 server binaries not found in {PG_BIN} (missing: {', '.join(missing)}). "
            "Run scripts/test, which installs them, or: apt-get install -y postgresql",
            pytrace=False,
        )
    import psycopg

    root = Path(tempfile.mkdtemp(prefix="sanji-pg-"))
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
    data, port = root / "data", _free_port()
    _run(_as_postgres(PG_BIN / "initdb", "-D", data, "-A", "trust", "-U", "postgres", "-N"), root)
    options = (
        f"-p {port} -k {root} -c listen_addresses=127.0.0.1"
        # Durability is not under test here; these keep the suite fast on 2 cores.
        " -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
    )
    pg_ctl = (PG_BIN / "pg_ctl", "-D", data)
    _run(_as_postgres(*pg_ctl, "-o", options, "-l", root / "log", "-w", "start"), root)
    try:
        server = f"postgresql://postgres@127.0.0.1:{port}"
        with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {PG_DATABASE}")
        yield f"{server}/{PG_DATABASE}"
    finally:
        subprocess.run(
            _as_postgres(*pg_ctl, "-m", "immediate", "-w", "stop"), cwd=root, check=False
        )
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def fresh_database(postgres_url: str) -> str:
    """URL of a new, empty database on the session cluster (for tests that fix schema names)."""
    import psycopg

    name = f"sanji_{uuid4().hex[:12]}"
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return postgres_url.rsplit("/", 1)[0] + f"/{name}"


@pytest.fixture
def platform(tmp_path: Path) -> Iterator:
    """The three tiers in memory; tests call ``platform.drain()`` to relay and project."""
    p = build_platform(tmp_path)
    yield p
    p.stop()


@pytest.fixture
def clock() -> MovableClock | None:
    """The platform's clock: real time, unless a module moves its own (ADR 0007)."""
    return None


@pytest.fixture
def backdate_days() -> int:
    """The backdating window (ADR 0013): the default, unless a module loads older history
    through the API (``HISTORY_BACKDATE_DAYS``)."""
    return Settings.backdate_days


@pytest.fixture
def api(tmp_path: Path, clock: MovableClock | None, backdate_days: int) -> Iterator[Api]:
    """HTTP clients for the three tiers over a running platform, and operator tokens."""
    p = build_platform(tmp_path, clock, backdate_days)
    p.start()
    yield Api.of(p)
    p.stop()


@pytest.fixture(scope="session", autouse=True)
def test_client_event_loop() -> Iterator[None]:
    """One event loop, in its own thread, for every TestClient of the session
    (``helpers.client_of``): a TestClient alone starts one per request."""
    from anyio.from_thread import start_blocking_portal

    with start_blocking_portal() as portal:
        helpers.PORTAL.append(portal)
        try:
            yield
        finally:
            helpers.PORTAL.clear()


def pytest_configure(config: pytest.Config) -> None:
    # fastapi.testclient warns about httpx on import; it is not ours to fix and hides real ones.
    config.addinivalue_line("filterwarnings", "ignore:Using `httpx` with `starlette.testclient`")
