"""Funding lifecycle rules (ADR 0011): the evaluation grade's boundaries by the versioned
``funding`` rule, the rule version an evaluation records (across a rule change), and awards
stored before version 2 of ``Awarded``."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

import pytest
from eventsourcing.persistence import StoredEvent

from services.county.domain import FundingAward
from services.county.funding.domain import grade_for
from services.platform import Platform
from shared.kernel.domain import CHINA
from shared.kernel.rules import Rules, RuleVersion, load_rules
from tests.helpers import VILLAGE, apps, county_op, governance_work, meta, usci

RULE = load_rules().version_on("funding", date(2026, 1, 1))


@pytest.mark.parametrize(
    ("score", "grade"),
    [
        ("0", "C"),
        ("59", "C"),
        ("59.99", "C"),
        ("60", "B"),
        ("84", "B"),
        ("84.99", "B"),
        ("85", "A"),
        ("100", "A"),
    ],
)
def test_grade_boundaries(score: str, grade: str) -> None:
    assert RULE.version == "funding/abc-85-60/v1"
    assert grade_for(Decimal(score), RULE) == grade


def at(day: date) -> datetime:
    return datetime.combine(day, time(9), CHINA).astimezone(UTC)


def direct_award(platform: Platform, day: date) -> Any:
    county = apps(platform)[2]
    registered = meta(county_op(), at=at(date(2026, 1, 5)))
    org = county.register(usci(5), "社工站", "services", VILLAGE, None, registered).id
    governance_work(platform, org, on=date(2026, 1, 20))  # else refused (ADR 0024 addendum)
    award = county.award_funding(
        org, "micro_venture", "2026", "项目", Decimal(1000), None, meta(county_op(), at=at(day))
    )
    return county, award.id


def test_an_evaluation_records_the_rule_version_in_force_that_day(platform: Platform) -> None:
    stricter = RuleVersion(
        "funding",
        "funding/stricter/v2",
        date(2026, 7, 1),
        {
            **RULE.parameters,
            "grades": [{"grade": "A", "min_score": 90}, *RULE.parameters["grades"][1:]],
        },
    )
    county, award_id = direct_award(platform, date(2026, 3, 1))
    county.rules = Rules({**county.rules.families, "funding": (RULE, stricter)})
    day_before, day_of = date(2026, 6, 30), date(2026, 7, 1)
    county.evaluate_award(
        award_id, "mid_term", Decimal(87), "", meta(county_op(), at=at(day_before))
    )
    county.evaluate_award(award_id, "final", Decimal(87), "", meta(county_op(), at=at(day_of)))
    evaluated = [e for e in county.events.get(award_id) if isinstance(e, FundingAward.Evaluated)]
    assert [(e.stage, e.grade, e.meta.rule_version) for e in evaluated] == [
        ("mid_term", "A", "funding/abc-85-60/v1"),
        ("final", "B", "funding/stricter/v2"),
    ]


def test_a_version_1_award_loads_without_call_or_snapshot(platform: Platform) -> None:
    county, award_id = direct_award(platform, date(2026, 3, 1))
    (stored,) = [s for s in county.recorder.select_events(award_id) if s.topic.endswith("Awarded")]
    state: dict[str, Any] = json.loads(stored.state)
    # 3: purchaser, beneficiaries planned (ADR 0021); 4: the purchaser's code (its addendum)
    assert state.pop("class_version") == 4
    for name in (
        "call_id",
        "application_id",
        "snapshot",
        "purchaser",
        "beneficiaries_planned",
        "purchaser_code",
    ):
        assert state.pop(name) is None
    old = StoredEvent(
        originator_id=stored.originator_id,
        originator_version=stored.originator_version,
        topic=stored.topic,
        state=json.dumps(state).encode(),
    )
    event = county.mapper.to_domain_event(old)
    assert (event.call_id, event.application_id, event.snapshot) == (None, None, None)
    assert (event.purchaser, event.beneficiaries_planned) == (None, None)
    assert event.amount == Decimal(1000)
