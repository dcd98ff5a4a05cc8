"""Read-model stores for the integration tests: every test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from uuid import uuid4

import psycopg
import pytest

from services.init import initialise
from services.platform import Platform
from shared.infrastructure.settings import Settings
from shared.infrastructure.store import Database, open_database
from tests.helpers import TEST_SECRET, History, seed_history

NewStore = Callable[[], Database]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def new_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[NewStore]:
    """Opens fresh, empty read-model stores: SQLite files, or PostgreSQL schemas of their own."""
    opened: list[Database] = []
    base = request.getfixturevalue("postgres_url") if request.param == "postgres" else None

    def open_store() -> Database:
        name = f"rm_{uuid4().hex[:16]}"
        url = f"{base}?schema={name}" if base else f"sqlite://{tmp_path / name}.db"
        db = open_database(url)
        opened.append(db)
        return db

    yield open_store
    for db in opened:
        db.close()


def _settings(url: str, data_dir: Path) -> Settings:
    return Settings(persistence="postgres", postgres_url=url, data_dir=data_dir, secret=TEST_SECRET)


@dataclass(frozen=True)
class Seeded:
    """A database holding :func:`seed_history`, kept as a template, and its data directory."""

    database: str
    data_dir: Path
    history: History


@pytest.fixture(scope="session")
def pg_seeded_template(postgres_url: str, tmp_path_factory: pytest.TempPathFactory) -> Seeded:
    """:func:`seed_history` on PostgreSQL, recorded once per session: every test of
    ``pg_seeded`` gets a copy of its database (``CREATE DATABASE … TEMPLATE``, a file copy) and
    of its data directory, instead of recording the history again (4-5 s a test)."""
    name = f"sanji_seeded_{uuid4().hex[:12]}"
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    data_dir = tmp_path_factory.mktemp("seeded")
    settings = _settings(postgres_url.rsplit("/", 1)[0] + f"/{name}", data_dir)
    initialise(settings, say=False)
    platform = Platform.build(settings)
    try:
        history = seed_history(platform)
    finally:
        platform.stop()  # closes its connections: a template must have none
    return Seeded(name, data_dir, history)


@pytest.fixture
def pg_settings(request: pytest.FixtureRequest, postgres_url: str, tmp_path: Path) -> Settings:
    """The platform on PostgreSQL (stores and read models) in a database of its own.
    eventsourcing does not create schemas or (with CREATE_TABLE=n) tables: the init step does.
    For a test of ``pg_seeded``, the database is a copy of the seeded template instead."""
    name = f"sanji_{uuid4().hex[:12]}"
    url = postgres_url.rsplit("/", 1)[0] + f"/{name}"
    if "pg_seeded" in request.fixturenames:
        seeded: Seeded = request.getfixturevalue("pg_seeded_template")
        with psycopg.connect(postgres_url, autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name} TEMPLATE {seeded.database}")
        shutil.copytree(seeded.data_dir, tmp_path, dirs_exist_ok=True)
        return _settings(url, tmp_path)
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    settings = _settings(url, tmp_path)
    initialise(settings, say=False)
    return settings


@pytest.fixture
def pg_seeded(
    pg_settings: Settings, pg_seeded_template: Seeded
) -> Iterator[tuple[Platform, History]]:
    """A platform on PostgreSQL holding :func:`seed_history`, all of it projected (a copy of
    the session's seeded database, opened as a restarted process would)."""
    platform = Platform.build(pg_settings)
    try:
        yield platform, pg_seeded_template.history
    finally:
        platform.stop()
