"""The division trees commands use are kept per process and dropped when a division change
is projected (ADR 0029): not read per command, the same as read afresh, also for a backdated
change, and seen by another process sharing the PostgreSQL read model."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from services.platform import Platform
from services.village.application import VillageApplication
from shared.capabilities.divisions.history import Change, NewDivision, tree_from
from shared.capabilities.divisions.trees import DivisionTrees
from shared.infrastructure.settings import Settings
from shared.infrastructure.store import open_database
from shared.infrastructure.table_watch import NotifiedTable
from shared.kernel.domain import InvalidInput
from shared.kernel.integration.events import DivisionChangeKind
from shared.kernel.jurisdiction import Jurisdiction, Tier
from shared.tier.lookup import OrganisationLookup
from tests.helpers import TOWNSHIP, apps, build_platform, county_op, meta, today_cst, village_op

NEW_VILLAGE = "330699001090"  # not in the demo county's file
TODAY = today_cst()
BACKDATED = TODAY - timedelta(days=10)
DAYS = [TODAY - timedelta(days=d) for d in (30, 11, 10, 9, 0)]


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 4, tzinfo=UTC)  # noon in China


def create_village(p: Platform, on: date) -> None:
    """The county creates NEW_VILLAGE, in force from ``on`` (backdated if before today)."""
    new = NewDivision(NEW_VILLAGE, "新建社区", "urban", 1000, 1200)
    change = Change(
        DivisionChangeKind.CREATE,
        NEW_VILLAGE,
        on,
        parent=TOWNSHIP,
        name=new.name,
        area=new.area,
        registered_population=1000,
        resident_population=1200,
    )
    apps(p)[2].change_division(change, meta(county_op(), at=at(on)))
    p.drain()


def apply_in(app: VillageApplication, code: str, on: date) -> None:
    app.apply_for_filing(code, "甲队", "services", on, meta(village_op(code), at=at(on)))


def same(a: Jurisdiction, b: Jurisdiction) -> bool:
    return (a.divisions, a.aliases, a.changes_applied) == (
        b.divisions,
        b.aliases,
        b.changes_applied,
    )


def wait_for(check: Callable[[], bool], what: str, timeout: float = 5.0) -> None:
    """A notification crosses processes asynchronously: wait for it, boundedly."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.005)


def test_commands_read_the_tree_once_and_again_after_a_backdated_change(tmp_path: Path) -> None:
    p = build_platform(tmp_path)
    try:
        village = apps(p)[0]
        trees = village.lookup.trees
        for day in DAYS:  # warm: one tree per effective day, from one read
            apply_in(village, "330699001001", day)
        assert trees.reads == 1
        for day in DAYS:  # not read per command
            apply_in(village, "330699001002", day)
        assert trees.reads == 1
        with pytest.raises(InvalidInput, match="no division 330699001090"):
            apply_in(village, NEW_VILLAGE, TODAY)

        create_village(p, BACKDATED)  # projected into the village read model: trees dropped
        apply_in(village, NEW_VILLAGE, BACKDATED)
        with pytest.raises(InvalidInput, match="no division 330699001090"):
            apply_in(village, NEW_VILLAGE, BACKDATED - timedelta(days=1))
        assert trees.reads == 2
        db, base = village.lookup.db, village.jurisdiction
        for day in DAYS:  # kept trees, built before and after the change, agree with fresh ones
            assert same(trees.on(base, day), tree_from(db, base, day)), day
            assert (trees.on(base, day).get(NEW_VILLAGE) is not None) == (day >= BACKDATED)
        assert trees.reads == 2
    finally:
        p.stop()


@pytest.mark.postgres
def test_a_change_projected_by_one_process_reaches_another_on_its_next_command(
    pg_settings: Settings,
) -> None:
    """Two village API processes share one PostgreSQL read model: the platform's, which
    projects the county's change, and a second one with its own pool and listener."""
    p = Platform.build(pg_settings)
    other = VillageApplication(p.jurisdiction, env=pg_settings.event_store_env(Tier.VILLAGE))
    other.lookup = OrganisationLookup(open_database(pg_settings.readmodel_url(Tier.VILLAGE)))
    trees = other.lookup.trees
    try:
        assert isinstance(trees.watch, NotifiedTable)
        trees.watch.token()  # starts listening
        assert trees.watch.listening.wait(5.0)
        for day in DAYS:
            apply_in(other, "330699001001", day)
        assert trees.reads == 1  # PostgreSQL: no statement at all per command after the first
        with pytest.raises(InvalidInput, match="no division 330699001090"):
            apply_in(other, NEW_VILLAGE, BACKDATED)
        before = trees.watch.token()

        create_village(p, BACKDATED)  # recorded and projected by the platform's process
        wait_for(lambda: trees.watch.token() != before, "the insert's NOTIFY")
        apply_in(other, NEW_VILLAGE, BACKDATED)
        assert trees.reads == 2
        db = other.lookup.db
        for day in DAYS:
            assert same(trees.on(other.jurisdiction, day), tree_from(db, other.jurisdiction, day))
        assert trees.reads == 2

        # A listener that lost its connection keeps nothing until it listens again.
        with psycopg.connect(pg_settings.postgres_url, autocommit=True) as conn:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE application_name = %s",
                (trees.watch.application_name,),
            )
        wait_for(lambda: trees.watch.token() is None, "the listener to notice")
        apply_in(other, NEW_VILLAGE, TODAY)  # read through (or afresh, if already back)
        assert trees.reads == 3
        assert trees.watch.listening.wait(5.0)  # back after RECONNECT_WAIT
        apply_in(other, NEW_VILLAGE, TODAY)
        apply_in(other, NEW_VILLAGE, TODAY)
        assert trees.reads <= 4
    finally:
        other.lookup.close()
        other.lookup.db.close()
        other.close()
        p.stop()
    assert not trees.watch.listening.is_set()


def test_without_a_watch_the_tree_is_read_through(tmp_path: Path) -> None:
    """While a process is not listening (starting, reconnecting) nothing is kept."""

    class Deaf:
        def token(self) -> object | None:
            return None

        def close(self) -> None:
            pass

    db = open_database(f"sqlite://{tmp_path / 'rm.db'}")
    try:
        with db.transaction() as tx:
            tx.write(
                "CREATE TABLE division_change (county_code TEXT, sequence INTEGER, kind TEXT,"
                " code TEXT, effective_on TEXT, recorded_at TEXT, data TEXT)"
            )
        trees = DivisionTrees(db, watch=Deaf())
        base = build_base()
        for _ in range(3):
            trees.on(base, TODAY)
        assert trees.reads == 3
    finally:
        db.close()


def build_base() -> Jurisdiction:
    from shared.kernel.jurisdiction import load

    return load()
