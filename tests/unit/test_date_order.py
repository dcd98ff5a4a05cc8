"""Dates in order (issue 12): no act takes effect before the facts it follows."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import pytest

from services.platform import Platform
from services.village.domain import GroupRecord
from shared.kernel.domain import CHINA, Conflict, InvalidInput
from tests.helpers import (
    VILLAGE,
    apps,
    county_op,
    governance_work,
    meta,
    stores_nothing,
    today_cst,
    township_op,
    usci,
    village_op,
)
from tests.unit.test_village_app import figures


def on(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), CHINA).astimezone(UTC)


TODAY = today_cst()
EARLY = TODAY - timedelta(days=10)


def applied_on(p: Platform, day: date, founded: date | None = None) -> UUID:
    v, _, _ = apps(p)
    founded = founded or day - timedelta(days=30)
    org = v.apply_for_filing(
        VILLAGE, "舞蹈队", "culture_sports", founded, meta(village_op(), at=on(day))
    ).id
    p.drain()
    return org


def test_founding_after_the_application_is_refused(platform: Platform) -> None:
    v, _, _ = apps(platform)
    with stores_nothing(platform), pytest.raises(InvalidInput) as raised:
        v.apply_for_filing(
            VILLAGE, "舞蹈队", "culture_sports", TODAY, meta(village_op(), at=on(EARLY))
        )
    assert raised.value.code == "founded_after_application"
    assert "成立日期" in raised.value.message
    # Founded on the application day itself is in order.
    v.apply_for_filing(VILLAGE, "舞蹈队", "culture_sports", EARLY, meta(village_op(), at=on(EARLY)))


def test_filing_decision_before_the_application_is_refused(platform: Platform) -> None:
    org = applied_on(platform, TODAY)
    _, t, _ = apps(platform)
    with stores_nothing(platform), pytest.raises(Conflict) as raised:
        t.decide_filing(org, True, "", meta(township_op(), at=on(EARLY)))
    assert raised.value.code == "decision_before_application"
    assert t.decide_filing(org, True, "", meta(township_op(), at=on(TODAY))).version == 1


def test_activity_before_founding_in_a_record_stored_before_the_rule(platform: Platform) -> None:
    """A group stored with its founding after its filing (possible before issue 12): an
    activity between the two is refused with its own code."""
    v, t, _ = apps(platform)
    org = uuid4()
    legacy = GroupRecord.apply_for_filing(
        org,
        meta(village_op(), at=on(EARLY)),
        village_code=VILLAGE,
        name="旧组织",
        field="culture_sports",
        founded_on=TODAY - timedelta(days=2),
        category="general",
    )
    v.save(legacy)
    platform.drain()
    t.decide_filing(org, True, "", meta(township_op(), at=on(EARLY)))
    platform.drain()
    with stores_nothing(platform), pytest.raises(Conflict) as raised:
        v.report_activity(org, meta=meta(village_op()), **figures(occurred_on=EARLY))
    assert raised.value.code == "activity_before_founding"
    v.report_activity(org, meta=meta(village_op()), **figures(occurred_on=TODAY))


def test_activity_before_filing_is_refused(platform: Platform) -> None:
    org = applied_on(platform, EARLY)
    v, t, _ = apps(platform)
    t.decide_filing(org, True, "", meta(township_op(), at=on(EARLY + timedelta(days=5))))
    platform.drain()
    with stores_nothing(platform), pytest.raises(Conflict) as raised:
        v.report_activity(org, meta=meta(village_op()), **figures(occurred_on=EARLY))
    assert raised.value.code == "organisation_not_active"


def registered(p: Platform, day: date) -> UUID:
    _, _, c = apps(p)
    org = c.register(usci(701), "协会", "services", VILLAGE, None, meta(county_op(), at=on(day))).id
    p.drain()
    return org


@pytest.mark.parametrize(
    "act",
    [
        lambda c, org, m: c.approve_charter(org, True, True, m),
        lambda c, org, m: c.set_up_party_organisation(org, "own", m),
        lambda c, org, m: c.enter_credit_list(org, "abnormal", "失联", m),
        lambda c, org, m: c.deregister(org, "自愿注销", m),
    ],
    ids=["charter", "party_organisation", "credit_list", "deregistration"],
)
def test_acts_on_a_registered_organisation_before_its_registration(
    platform: Platform, act: Any
) -> None:
    org = registered(platform, TODAY - timedelta(days=3))
    _, _, c = apps(platform)
    with stores_nothing(platform), pytest.raises(Conflict) as raised:
        act(c, org, meta(county_op(), at=on(EARLY)))
    assert raised.value.code == "before_registration"
    assert "登记" in raised.value.message


def test_tranche_before_the_award_is_refused(platform: Platform) -> None:
    org = registered(platform, EARLY)
    governance_work(platform, org, on=EARLY)  # funding needs it (ADR 0024 addendum)
    _, _, c = apps(platform)
    award = c.award_funding(
        org,
        "micro_venture",
        "2026",
        "助老",
        Decimal("1000"),
        None,
        meta(county_op(), at=on(TODAY - timedelta(days=2))),
    ).id
    platform.drain()
    with stores_nothing(platform), pytest.raises(Conflict) as raised:
        c.disburse(award, "首期", Decimal("100"), meta(county_op(), at=on(EARLY)))
    assert raised.value.code == "before_award"
    assert c.disburse(award, "首期", Decimal("100"), meta(county_op())).version == 2


def test_rectification_before_the_inspection_is_refused(platform: Platform) -> None:
    org = applied_on(platform, EARLY)
    _, t, _ = apps(platform)
    t.decide_filing(org, True, "", meta(township_op(), at=on(EARLY)))
    platform.drain()
    inspection = t.record_inspection(
        org,
        "rectification_ordered",
        "账目不全",
        ["张三", "李四"],
        meta(township_op(), at=on(TODAY - timedelta(days=1))),
    ).id
    with stores_nothing(platform), pytest.raises(Conflict) as raised:
        t.complete_rectification(inspection, meta(township_op(), at=on(EARLY)))
    assert raised.value.code == "before_inspection"


def test_an_application_before_the_call_opened_is_refused(platform: Platform) -> None:
    org = registered(platform, EARLY)
    governance_work(platform, org, on=EARLY)  # funding needs it (ADR 0024 addendum)
    _, _, c = apps(platform)
    call = c.open_call(
        "micro_venture",
        "2026",
        "征集",
        Decimal("10000"),
        TODAY + timedelta(days=30),
        meta(county_op(), at=on(TODAY - timedelta(days=2))),
    ).id
    platform.drain()
    with stores_nothing(platform), pytest.raises(Conflict) as raised:
        c.apply_for_funding(
            call, org, "助老", Decimal("100"), None, False, meta(county_op(), at=on(EARLY))
        )
    assert raised.value.code == "application_before_call"
    with stores_nothing(platform), pytest.raises(Conflict) as raised:
        c.close_call(call, "截止", meta(county_op(), at=on(EARLY)))
    assert raised.value.code == "before_call"
    applied = c.apply_for_funding(call, org, "助老", Decimal("100"), None, False, meta(county_op()))
    assert applied.version == 1
