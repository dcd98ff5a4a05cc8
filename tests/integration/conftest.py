"""Read-model stores for the integration tests: every test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from uuid import uuid4

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


@pytest.fixture
def pg_settings(fresh_database: str, tmp_path: Path) -> Settings:
    """The platform on PostgreSQL (stores and read models) in a database of its own.
    eventsourcing does not create schemas or (with CREATE_TABLE=n) tables: the init step does."""
    settings = Settings(
        persistence="postgres",
        postgres_url=fresh_database,
        data_dir=tmp_path,
        secret=TEST_SECRET,
    )
    initialise(settings, say=False)
    return settings


@pytest.fixture
def pg_seeded(pg_settings: Settings) -> Iterator[tuple[Platform, History]]:
    """A platform on PostgreSQL holding :func:`seed_history`, all of it projected."""
    platform = Platform.build(pg_settings)
    try:
        yield platform, seed_history(platform)
    finally:
        platform.stop()
