"""The whole platform on PostgreSQL (event stores and read models), end to end, and restarted."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest

from services.platform import Platform
from shared.infrastructure.settings import Settings
from shared.infrastructure.store import open_database
from shared.kernel.jurisdiction import Tier
from shared.kernel.periods import Period
from shared.reporting.report import additive_totals
from shared.tier.projector import Projector
from tests.helpers import (
    COUNTY,
    apps,
    dump,
    heads,
    meta,
    seed_history,
    source_reader,
    today_cst,
    township_op,
    village_op,
)

pytestmark = pytest.mark.postgres


@pytest.fixture
def settings(pg_settings: Settings) -> Settings:
    return pg_settings


def county_totals(p: Platform) -> dict[str, int]:
    day = today_cst()
    rt = p.tiers[Tier.COUNTY]
    return dict(
        additive_totals(
            rt.db,
            p.jurisdiction,
            COUNTY,
            day,
            Period(day.replace(month=1, day=1), day),
            rt.rules.in_force(day),
        )
    )


def test_platform_on_postgres(settings: Settings, tmp_path: Path) -> None:
    first = Platform.build(settings)
    rebuilt = open_database(f"sqlite://{tmp_path / 'rebuilt.db'}")
    try:
        with psycopg.connect(settings.postgres_url) as conn:
            tables = set(
                conn.execute(
                    "SELECT table_schema, table_name FROM information_schema.tables"
                ).fetchall()
            )
        for tier in Tier:
            assert (f"sanji_{tier}", f"{tier}_events") in tables
            assert (f"sanji_{tier}", f"{tier}_chain") in tables
            assert (f"sanji_{tier}_read", "org") in tables
        history = seed_history(first)
        stored = heads(first)
        # The county's four registrations each store their USCI claim too (ADR 0034).
        assert stored == {Tier.VILLAGE: 17, Tier.TOWNSHIP: 18, Tier.COUNTY: 40}
        live = dump(first.tiers[Tier.COUNTY].db)
        assert all(dump(rt.db) == live for rt in first.tiers.values())
        totals = county_totals(first)
        assert totals["organisations.active"] == 3  # filed, upgraded, registered
        # filed, upgraded, and registered twice (its mediation before its grade, ADR 0024)
        assert totals["activity.activities"] == 4

        # Rebuilt from the PostgreSQL event stores into a fresh SQLite read model: the same rows.
        projector = Projector(rebuilt, COUNTY, source_reader(first))
        for rt in first.tiers.values():
            projector.catch_up(rt.app.name)
        assert dump(rebuilt) == live
    finally:
        rebuilt.close()
        first.stop()

    # Restarted (services run with CREATE_TABLE=n after the init step): nothing replayed twice.
    again = Platform.build(settings)
    try:
        assert heads(again) == stored
        again.drain()
        assert dump(again.tiers[Tier.COUNTY].db) == live
        v, t, _ = apps(again)
        org = v.apply_for_filing(
            "330699002001",
            "东山志愿队",
            "services",
            date(2025, 1, 1),
            meta(village_op("330699002001")),
        ).id
        again.drain()
        t.decide_filing(org, True, "", meta(township_op("330699002000")))
        again.drain()
        v.report_activity(
            history.filed,
            today_cst(),
            "services",
            7,
            1,
            1,
            Decimal("2"),
            9,
            Decimal("0"),
            meta(village_op()),
        )
        again.drain()
        after = county_totals(again)
        assert after["organisations.active"] == totals["organisations.active"] + 1
        assert after["activity.activities"] == totals["activity.activities"] + 1
        assert all(dump(rt.db) == dump(again.tiers[Tier.COUNTY].db) for rt in again.tiers.values())
        positions = again.tiers[Tier.VILLAGE].projector.positions()
        assert positions == {
            name: heads(again)[Tier(name)] for name in ("village", "township", "county")
        }
    finally:
        again.stop()
