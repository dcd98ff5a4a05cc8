"""Funding details (issue 14, ADR 0021) stored before them still load: an award at version 2
(no purchaser, no beneficiaries planned), a closure at version 1 (no beneficiaries reached) and
an application at version 1; and the purchaser rule of each programme."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from eventsourcing.persistence import StoredEvent

from services.county.domain import FundingAward
from services.county.funding.application import check_purchaser
from services.platform import Platform
from shared.kernel import purchasers
from shared.kernel.domain import DomainError, InvalidInput
from shared.kernel.periods import Period
from shared.kernel.rules import Rules, load_rules
from shared.reporting.figures import period_years
from tests.helpers import county_op, meta
from tests.unit.test_funding_lifecycle import at, direct_award


def _as(stored: StoredEvent, version: int, *fields: str) -> StoredEvent:
    state: dict[str, Any] = json.loads(stored.state)
    for name in fields:
        del state[name]
    if version == 1:
        del state["class_version"]
    else:
        state["class_version"] = version
    return StoredEvent(
        originator_id=stored.originator_id,
        originator_version=stored.originator_version,
        topic=stored.topic,
        state=json.dumps(state).encode(),
    )


def _stored(county: Any, award_id: Any, name: str) -> StoredEvent:
    (stored,) = [s for s in county.recorder.select_events(award_id) if s.topic.endswith(name)]
    return stored


def test_awards_and_closures_stored_before_funding_details_still_load(platform: Platform) -> None:
    county, award_id = direct_award(platform, date(2026, 3, 1))
    county.evaluate_award(
        award_id, "final", Decimal(90), "", meta(county_op(), at=at(date(2026, 5, 1)))
    )
    county.close_award(award_id, "结项", meta(county_op(), at=at(date(2026, 5, 2))), 120)

    awarded = _stored(county, award_id, "Awarded")
    assert json.loads(awarded.state)["class_version"] == 4
    old = county.mapper.to_domain_event(
        _as(awarded, 2, "purchaser", "beneficiaries_planned", "purchaser_code")
    )
    assert (old.purchaser, old.beneficiaries_planned, old.purchaser_code) == (None, None, None)
    assert old.amount == Decimal(1000) and old.call_id is None

    closed = _stored(county, award_id, "Closed")
    assert county.mapper.to_domain_event(closed).beneficiaries_reached == 120
    assert json.loads(closed.state)["class_version"] == 2
    old_closed = county.mapper.to_domain_event(_as(closed, 1, "beneficiaries_reached"))
    assert isinstance(old_closed, FundingAward.Closed)
    assert old_closed.beneficiaries_reached is None and old_closed.final_grade == "A"


def test_an_application_stored_before_funding_details_still_loads(platform: Platform) -> None:
    from services.county.funding.domain import FundingApplication
    from tests.helpers import VILLAGE, apps, governance_work, usci

    county = apps(platform)[2]
    opened = meta(county_op(), at=at(date(2026, 1, 5)))
    org = county.register(usci(7), "社工站", "services", VILLAGE, None, opened).id
    governance_work(platform, org, on=date(2026, 1, 5))  # else refused (ADR 0024 addendum)
    call = county.open_call(
        "purchase_of_services", "2026", "购买服务", Decimal(5000), date(2026, 12, 31), opened
    ).id
    applied = county.apply_for_funding(
        call, org, "助老", Decimal(1000), None, False, meta(county_op(), at=at(date(2026, 1, 6))),
        purchaser="区民政局", beneficiaries_planned=80,
    ).id  # fmt: skip
    (stored,) = [s for s in county.recorder.select_events(applied) if s.topic.endswith("Submitted")]
    new = county.mapper.to_domain_event(stored)
    # An alias of the purchasers list: stored as its code and the list's name (ADR 0021).
    assert (new.purchaser_code, new.purchaser, new.beneficiaries_planned) == (
        "civil_affairs",
        "民政局",
        80,
    )
    old = county.mapper.to_domain_event(
        _as(stored, 1, "purchaser", "beneficiaries_planned", "purchaser_code")
    )
    assert isinstance(old, FundingApplication.Submitted)
    assert (old.purchaser, old.beneficiaries_planned) == (None, None)
    # Free text stored before the list (version 2) loads as recorded, with no code.
    text = county.mapper.to_domain_event(_as(stored, 2, "purchaser_code"))
    assert (text.purchaser, text.purchaser_code) == ("民政局", None)


@pytest.mark.parametrize(
    ("programme", "purchaser", "code"),
    [
        ("purchase_of_services", None, "purchaser_required"),
        ("purchase_of_services", "", "purchaser_required"),
        ("micro_venture", "区民政局", "purchaser_not_allowed"),
        ("special_fund", "区民政局", "purchaser_not_allowed"),
        ("purchase_of_services", "区民政局", None),
        ("micro_venture", None, None),
    ],
)
def test_only_a_purchase_of_services_names_its_purchaser(
    programme: str, purchaser: str | None, code: str | None
) -> None:
    if code is None:
        check_purchaser(programme, purchaser)
        return
    with pytest.raises(InvalidInput) as refused:
        check_purchaser(programme, purchaser)
    assert refused.value.code == code


def test_an_imported_purchase_of_services_may_leave_its_purchaser_unstated() -> None:
    check_purchaser("purchase_of_services", None, imported=True)
    with pytest.raises(InvalidInput):
        check_purchaser("micro_venture", "区民政局", imported=True)


def test_the_years_of_a_period_are_the_calendar_years_it_touches() -> None:
    assert period_years(Period(date(2016, 1, 1), date(2020, 12, 31))) == 5
    assert period_years(Period(date(2025, 4, 1), date(2025, 6, 30))) == 1
    assert period_years(Period(date(2025, 12, 1), date(2026, 1, 31))) == 2


@pytest.mark.parametrize(
    ("number", "code"),
    [
        ("V001", None),
        ("ZY-2021-07", None),
        ("1234567890", None),  # ten digits: a register's own numbering
        ("13800138000", "volunteer_id_personal"),  # a mobile number
        ("V13800138000", "volunteer_id_personal"),
        ("王小明", "invalid_volunteer_id"),
        ("V 1", "invalid_volunteer_id"),
        ("-V1", "invalid_volunteer_id"),
        ("V" * 17, "invalid_volunteer_id"),
        ("V001\n", "invalid_volunteer_id"),
    ],
)
def test_a_volunteer_number_is_a_pseudonym(number: str, code: str | None) -> None:
    from shared.kernel.volunteers import check_number

    if code is None:
        check_number(number)
        return
    with pytest.raises(InvalidInput) as refused:
        check_number(number)
    assert refused.value.code == code


def test_beneficiaries_are_never_negative_whoever_calls() -> None:
    from services.county.funding.application import check_beneficiaries

    check_beneficiaries("beneficiaries_reached", None)
    check_beneficiaries("beneficiaries_reached", 0)
    with pytest.raises(InvalidInput) as refused:
        check_beneficiaries("beneficiaries_reached", -1)
    assert refused.value.code == "invalid_beneficiaries"


@pytest.mark.parametrize(
    ("given", "other", "answer"),
    [
        ("civil_affairs", None, ("civil_affairs", "民政局")),
        ("团委", None, ("youth_league", "团委")),
        ("县妇联", None, ("womens_federation", "妇联")),
        ("其他", "区司法局", ("other", "区司法局")),
        ("other", " 县总工会 ", ("other", "县总工会")),
        (None, None, (None, None)),
        ("区司法局", None, "unknown_purchaser"),
        ("其他", None, "purchaser_other_required"),
        ("民政局", "区民政局", "purchaser_other_not_allowed"),
        (None, "区民政局", "purchaser_other_not_allowed"),
        ("其他", "部" * 51, "purchaser_too_long"),
    ],
)
def test_the_purchaser_is_a_code_of_the_list_or_other_with_a_name(
    given: str | None, other: str | None, answer: Any
) -> None:
    """By code, name or alias; 其他 needs the department's name (ADR 0021 addendum)."""
    rules = load_rules()
    if isinstance(answer, tuple):
        assert purchasers.resolve(rules, given, other, date(2016, 5, 1)) == answer
        return
    with pytest.raises(DomainError) as refused:
        purchasers.resolve(rules, given, other, date(2016, 5, 1))
    assert refused.value.code == answer and "购买主体" in refused.value.message


def test_without_a_purchasers_list_the_purchaser_stays_free_text() -> None:
    rules = load_rules()
    older = Rules({f: v for f, v in rules.families.items() if f != purchasers.FAMILY})
    assert purchasers.resolve(older, "区司法局", None, date(2026, 1, 1)) == (None, "区司法局")
