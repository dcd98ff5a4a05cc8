"""Rebuild-and-compare on PostgreSQL: a read model rebuilt from the stores into a fresh schema
equals the live one by canonical hash; a live row changed behind the projector's back shows up
as a named difference; the command drops its schema unless told to keep it."""

from __future__ import annotations

import argparse

import psycopg
import pytest

from services import integrity
from services.platform import Platform
from shared.audit.rebuild import compare, digest_tables, rebuild
from shared.infrastructure.settings import Settings
from shared.infrastructure.store import open_database
from shared.kernel.jurisdiction import Tier
from shared.reporting.report import watermarks
from tests.helpers import COUNTY, History, source_reader

pytestmark = pytest.mark.postgres


def schemas(settings: Settings) -> set[str]:
    with psycopg.connect(settings.postgres_url) as conn:
        rows = conn.execute("SELECT schema_name FROM information_schema.schemata").fetchall()
    return {r[0] for r in rows}


def test_a_rebuilt_read_model_equals_the_live_one(
    pg_settings: Settings, pg_seeded: tuple[Platform, History]
) -> None:
    p, _ = pg_seeded
    live = p.tiers[Tier.TOWNSHIP].db
    with live.snapshot() as tx:
        marks, live_tables = watermarks(tx), digest_tables(tx)
    target = open_database(f"{pg_settings.postgres_url}?schema=rebuilt_township")
    try:
        ticks: list[int] = []
        applied = rebuild(target, source_reader(p), COUNTY, until=marks, progress=ticks.append)
        assert applied == marks
        assert sum(ticks) == sum(marks.values())  # no gaps in a fresh store: one tick per event
        with target.snapshot() as tx:
            comparison = compare(live_tables, digest_tables(tx))
    finally:
        target.close()
    assert comparison.equal, comparison.differences[:5]
    rows = {t["table"]: t["rows_live"] for t in comparison.summary()}
    assert rows["org"] >= 7 and rows["activity"] >= 2 and rows["org_event"] > rows["org"]
    assert rows["chain_head"] == 3 and rows["issued_report"] == 3


def test_a_changed_live_row_is_listed_by_key(
    pg_settings: Settings, pg_seeded: tuple[Platform, History]
) -> None:
    p, history = pg_seeded
    live = p.tiers[Tier.COUNTY].db
    with live.transaction() as tx:
        tx.execute("UPDATE org SET name = %s WHERE org_id = %s", ("篡改", str(history.registered)))
        tx.execute("DELETE FROM activity WHERE org_id = %s", (str(history.filed),))
    with live.snapshot() as tx:
        marks, live_tables = watermarks(tx), digest_tables(tx)
    target = open_database(f"{pg_settings.postgres_url}?schema=rebuilt_county")
    try:
        rebuild(target, source_reader(p), COUNTY, until=marks)
        with target.snapshot() as tx:
            comparison = compare(live_tables, digest_tables(tx))
    finally:
        target.close()
    assert not comparison.equal
    by_table = {(d.table, d.key) for d in comparison.differences}
    assert ("org", str(history.registered)) in by_table
    changed = next(d for d in comparison.differences if d.table == "org")
    assert changed.live is not None and "篡改" in changed.live
    assert changed.rebuilt is not None and "篡改" not in changed.rebuilt
    missing = [d for d in comparison.differences if d.table == "activity"]
    assert missing and all(d.live is None and d.rebuilt for d in missing)
    assert {d.table for d in comparison.differences} == {"org", "activity"}


def test_the_rebuild_command_compares_and_drops_its_schema(
    pg_settings: Settings, pg_seeded: tuple[Platform, History], capsys: pytest.CaptureFixture[str]
) -> None:
    before = schemas(pg_settings)
    args = argparse.Namespace(command="rebuild", tier="county", keep=False, json=False)
    assert integrity.run(pg_settings, args) == 0
    out = capsys.readouterr().out
    assert "OK: rebuilt read model equals the live one" in out
    assert schemas(pg_settings) == before  # the fresh schema is gone again
