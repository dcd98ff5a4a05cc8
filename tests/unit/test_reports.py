"""Report figures from effective dates: period flows, zombies, past as-of dates, drill-down."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time
from decimal import Decimal
from pathlib import Path
from uuid import UUID

import pytest

from services.platform import Platform
from shared.kernel.domain import NotFound
from shared.kernel.jurisdiction import Tier
from shared.kernel.periods import Period
from shared.reporting.figures import zombie_candidates
from shared.reporting.model import canonical
from shared.reporting.report import division_report
from tests.helpers import (
    COUNTY,
    CST,
    RURAL_VILLAGE,
    TOWNSHIP,
    VILLAGE,
    apps,
    build_platform,
    county_op,
    meta,
    usci,
    village_op,
)

NOW = datetime(2026, 6, 30, 4, 0, tzinfo=UTC)  # noon in China
AS_OF = date(2026, 6, 30)


def on(day: date) -> datetime:
    return datetime.combine(day, time(12), CST)


@pytest.fixture
def county(tmp_path: Path) -> Iterator[tuple[Platform, dict[str, UUID]]]:
    p = build_platform(tmp_path, clock=lambda: NOW)
    v, _, c = apps(p)
    orgs: dict[str, UUID] = {}

    def register(name: str, day: date, village: str = VILLAGE) -> None:
        m = meta(county_op(), at=on(day))
        orgs[name] = c.register(usci(len(orgs) + 1), name, "services", village, None, m).id
        p.drain()

    def activity(name: str, day: date) -> None:
        m = meta(village_op(VILLAGE), at=on(day))
        v.report_activity(orgs[name], day, "services", 10, 1, 1, Decimal(1), 5, Decimal(0), m)
        p.drain()

    register("silent", date(2025, 1, 10))
    register("lively", date(2025, 2, 1))
    activity("lively", date(2026, 3, 1))
    register("new", date(2026, 5, 1), RURAL_VILLAGE)
    register("faded", date(2025, 1, 10))
    activity("faded", date(2025, 5, 1))
    register("gone", date(2025, 3, 1))
    c.deregister(orgs["gone"], "自愿注销", meta(county_op(), at=on(date(2026, 2, 1))))
    p.drain()
    yield p, orgs
    p.stop()


def report(p: Platform, code: str, as_of: date, period: Period | None = None) -> dict:
    rt = p.tiers[Tier.COUNTY]
    period = period or Period(as_of.replace(month=1, day=1), as_of)
    rules = rt.rules.in_force(as_of)
    return canonical(division_report(rt.db, p.jurisdiction, code, as_of, period, rules))


def test_figures_on_the_as_of_date(county: tuple[Platform, dict[str, UUID]]) -> None:
    p, _ = county
    figures = report(p, COUNTY, AS_OF)["figures"]
    assert figures["organisations"]["active"] == 4  # all but the deregistered one
    assert (figures["organisations"]["urban"], figures["organisations"]["rural"]) == (3, 1)
    assert figures["organisations"]["new_in_period"] == 1
    assert figures["organisations"]["exited_in_period"] == 1
    assert figures["activity"]["activities"] == 1  # 2025's activity is outside the period
    assert figures["zombies"] == {"count": 2, "rate": 0.5}


def test_zombie_list(county: tuple[Platform, dict[str, UUID]]) -> None:
    p, orgs = county
    rules = p.tiers[Tier.COUNTY].rules.in_force(AS_OF)
    with p.tiers[Tier.COUNTY].db.transaction() as tx:
        rows = zombie_candidates(tx, "330699%", AS_OF, rules)
    by_name = {r["name"]: r for r in rows}
    assert set(by_name) == {"silent", "faded"}
    assert by_name["silent"]["last_activity_on"] is None
    assert by_name["faded"]["last_activity_on"] == "2025-05-01"
    assert by_name["faded"]["org_id"] == str(orgs["faded"])


def test_report_as_it_stood_on_a_past_date(county: tuple[Platform, dict[str, UUID]]) -> None:
    p, _ = county
    figures = report(p, COUNTY, date(2025, 12, 31))["figures"]
    assert figures["organisations"]["active"] == 4  # "gone" still registered, "new" not yet
    assert figures["organisations"]["new_in_period"] == 4
    assert figures["organisations"]["exited_in_period"] == 0
    assert figures["activity"]["activities"] == 1  # faded's, in 2025
    assert figures["zombies"]["count"] == 0  # nobody is a year old at the start of the window


def test_drill_down_adds_up(county: tuple[Platform, dict[str, UUID]]) -> None:
    p, _ = county
    top = report(p, COUNTY, AS_OF)
    assert sum(c["figures"]["organisations"]["active"] for c in top["children"]) == 4
    township = report(p, TOWNSHIP, AS_OF)
    assert (
        township["figures"] == next(c for c in top["children"] if c["code"] == TOWNSHIP)["figures"]
    )
    assert sum(c["figures"]["zombies"]["count"] for c in township["children"]) == 2
    village = report(p, VILLAGE, AS_OF)
    assert village["figures"]["organisations"]["active"] == 3
    organisations = village["children"]
    assert {c["kind"] for c in organisations} == {"organisation"}
    assert sum(c["figures"]["organisations"]["active"] for c in organisations) == 3


def test_unknown_division(county: tuple[Platform, dict[str, UUID]]) -> None:
    with pytest.raises(NotFound):
        report(county[0], "330699009000", AS_OF)
