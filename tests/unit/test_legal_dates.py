"""Legal dates are China dates: commands early in the China day (still yesterday in UTC) must
see the same day as the read model, which records effective dates in UTC+8."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from services.platform import Platform
from shared.kernel.domain import InvalidInput
from tests.helpers import (
    RURAL_VILLAGE,
    VILLAGE,
    apps,
    build_platform,
    county_op,
    facts,
    governance_work,
    meta,
    township_op,
    usci,
    village_op,
)

# 01:00 on 23 November in China is 17:00 on 22 November in UTC.
EARLY_CHINA_MORNING = datetime(2026, 11, 22, 17, 0, tzinfo=UTC)
CHINA_DAY = date(2026, 11, 23)


@pytest.fixture
def early(tmp_path: Path) -> Iterator[Platform]:
    p = build_platform(tmp_path, clock=lambda: EARLY_CHINA_MORNING)
    yield p
    p.stop()


def test_same_china_day_lifecycle(early: Platform) -> None:
    v, t, c = apps(early)
    at = EARLY_CHINA_MORNING
    org = v.apply_for_filing(
        VILLAGE, "舞蹈队", "culture_sports", CHINA_DAY, meta(village_op(), at=at)
    ).id
    early.drain()
    t.decide_filing(org, True, "", meta(township_op(), at=at))
    early.drain()
    assert facts(early, org).filed_on == CHINA_DAY.isoformat()
    v.report_activity(
        org,
        CHINA_DAY,  # today in China: not in the future
        "culture_sports",
        10,
        2,
        2,
        Decimal("3"),
        20,
        Decimal("0"),
        meta(village_op(), at=at),
        # A 平安建设 performance: governance work, which its funding needs (ADR 0024 addendum)
        # and which counts on the same China day.
        themes=["safety"],
    )
    t.record_inspection(org, "compliant", "", ["张", "李"], meta(township_op(), at=at))
    host = c.register(
        usci(1), "社工站", "services", RURAL_VILLAGE, None, meta(county_op(), at=at)
    ).id
    governance_work(early, host)  # today in China, before its grade
    c.award_funding(
        org, "micro_venture", "2026", "舞蹈", Decimal("100"), host, meta(county_op(), at=at)
    )
    grade = c.rate(host, None, 5, None, None, meta(county_op(), at=at))
    upgraded = c.register(
        usci(2), "舞蹈协会", "culture_sports", None, org, meta(county_op(), at=at)
    )
    assert upgraded.id == org
    early.drain()
    with early.tiers[c.tier].db.transaction() as tx:
        row = tx.one("SELECT grade_valid_until FROM org WHERE org_id = %s", (str(grade.id),))
    assert row == {"grade_valid_until": "2031-11-23"}


def test_tomorrow_in_china_is_still_future(early: Platform) -> None:
    with pytest.raises(InvalidInput) as raised:
        apps(early)[0].apply_for_filing(
            VILLAGE,
            "x",
            "other",
            CHINA_DAY + timedelta(days=1),
            meta(village_op(), at=EARLY_CHINA_MORNING),
        )
    assert raised.value.code == "date_in_future"


def test_grade_granted_on_29_february(tmp_path: Path) -> None:
    leap_day = datetime(2028, 2, 29, 4, 0, tzinfo=UTC)  # noon in China
    p = build_platform(tmp_path, clock=lambda: leap_day)
    try:
        c = apps(p)[2]
        org = c.register(
            usci(1), "社工站", "services", VILLAGE, None, meta(county_op(), at=leap_day)
        ).id
        governance_work(p, org)  # on the leap day: a grade needs it (ADR 0024 addendum)
        c.rate(org, None, 3, None, None, meta(county_op(), at=leap_day))
        p.drain()
        with p.tiers[c.tier].db.transaction() as tx:
            row = tx.one("SELECT grade, grade_valid_until FROM org WHERE org_id = %s", (str(org),))
        assert row == {"grade": 3, "grade_valid_until": "2033-02-28"}
    finally:
        p.stop()
