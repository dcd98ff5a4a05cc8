"""Read-model stores for the integration tests: every test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from uuid import uuid4

import pytest

from shared.projection.store import Database, open_database

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
