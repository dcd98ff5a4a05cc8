"""The approval state machine of periodic returns (ADR 0008): every legal transition and every
illegal one, the tier that may take each step, reasons, ids and the periods a day falls in."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from itertools import product

import pytest

from services.platform import Platform
from shared.capabilities.approvals import application as returns
from shared.capabilities.approvals.domain import (
    Action,
    ReturnKind,
    ReturnState,
    approval_events,
    periods_covering,
    return_id,
    return_period,
    step_id,
    transition,
)
from shared.kernel.domain import Conflict, InvalidInput, OutOfJurisdiction
from shared.kernel.jurisdiction import Tier
from tests.helpers import VILLAGE, apps, meta, stores_nothing, township_op, village_op

S, A, T = ReturnState, Action, Tier
# Written out by hand (not derived from TRANSITIONS): (state, action, tier) → next state.
LEGAL = {
    (S.NONE, A.SUBMIT, T.VILLAGE): S.SUBMITTED,
    (S.RETURNED, A.SUBMIT, T.VILLAGE): S.SUBMITTED,
    (S.SUBMITTED, A.APPROVE, T.TOWNSHIP): S.APPROVED,
    (S.SUBMITTED, A.RETURN, T.TOWNSHIP): S.RETURNED,
    (S.APPROVED, A.ACCEPT, T.COUNTY): S.ACCEPTED,
    (S.APPROVED, A.RETURN, T.COUNTY): S.RETURNED,
    (S.APPROVED, A.UNAPPROVE, T.COUNTY): S.SUBMITTED,
    (S.ACCEPTED, A.UNACCEPT, T.COUNTY): S.APPROVED,
}
# Which tiers take an action at all (a step by any other tier is 403 wrong_tier).
TAKES = {
    A.SUBMIT: {T.VILLAGE},
    A.APPROVE: {T.TOWNSHIP},
    A.RETURN: {T.TOWNSHIP, T.COUNTY},
    A.ACCEPT: {T.COUNTY},
    A.UNAPPROVE: {T.COUNTY},
    A.UNACCEPT: {T.COUNTY},
}
ALL = list(product(ReturnState, Action, Tier))


@pytest.mark.parametrize(("state", "action", "tier"), list(LEGAL))
def test_every_legal_transition(state: ReturnState, action: Action, tier: Tier) -> None:
    assert transition(state, action, tier, "理由") is LEGAL[state, action, tier]


@pytest.mark.parametrize(
    ("state", "action", "tier"), [k for k in ALL if k not in LEGAL and k[2] in TAKES[k[1]]]
)
def test_every_illegal_transition_by_the_right_tier_is_a_conflict(
    state: ReturnState, action: Action, tier: Tier
) -> None:
    with pytest.raises(Conflict) as e:
        transition(state, action, tier, "理由")
    assert e.value.code == "illegal_transition"


@pytest.mark.parametrize(("state", "action", "tier"), [k for k in ALL if k[2] not in TAKES[k[1]]])
def test_a_step_of_another_tier_is_forbidden_in_every_state(
    state: ReturnState, action: Action, tier: Tier
) -> None:
    with pytest.raises(OutOfJurisdiction) as e:
        transition(state, action, tier, "理由")
    assert e.value.code == "wrong_tier"


def test_only_the_county_reverses_the_townships_approval() -> None:
    for action in (A.UNAPPROVE, A.UNACCEPT):
        for tier in (T.VILLAGE, T.TOWNSHIP):
            with pytest.raises(OutOfJurisdiction):
                transition(S.ACCEPTED if action is A.UNACCEPT else S.APPROVED, action, tier, "x")


@pytest.mark.parametrize(
    ("state", "action", "tier"),
    [k for k in LEGAL if k[1] in (A.RETURN, A.UNAPPROVE, A.UNACCEPT)],
)
def test_returns_and_reversals_need_a_reason(
    state: ReturnState, action: Action, tier: Tier
) -> None:
    for reason in ("", "   "):
        with pytest.raises(InvalidInput) as e:
            transition(state, action, tier, reason)
        assert e.value.code == "reason_required"


def test_ids_are_derived_from_kind_division_and_period() -> None:
    a = return_id(ReturnKind.ACTIVITY_RETURN, "330699001001", "2025-03")
    assert a == return_id("activity_return", "330699001001", "2025-03")
    assert a != return_id(ReturnKind.ANNUAL_STATISTICS, "330699001001", "2025-03")
    assert a != return_id(ReturnKind.ACTIVITY_RETURN, "330699001002", "2025-03")
    assert step_id(a, 1) != step_id(a, 2) and step_id(a, 1) == step_id(a, 1)


def test_periods_of_a_return() -> None:
    assert return_period(ReturnKind.ACTIVITY_RETURN, "2025-q2").end == date(2025, 6, 30)
    assert return_period(ReturnKind.ANNUAL_STATISTICS, "2025").start == date(2025, 1, 1)
    for label in ("2025-03", "2025-Q1", "2025-H1"):
        with pytest.raises(InvalidInput):
            return_period(ReturnKind.ANNUAL_STATISTICS, label)
    with pytest.raises(InvalidInput):
        return_period(ReturnKind.ACTIVITY_RETURN, "March")


def test_a_day_falls_in_five_returns() -> None:
    assert periods_covering(date(2025, 8, 31)) == [
        (ReturnKind.ACTIVITY_RETURN, "2025-08"),
        (ReturnKind.ACTIVITY_RETURN, "2025-Q3"),
        (ReturnKind.ACTIVITY_RETURN, "2025-H2"),
        (ReturnKind.ACTIVITY_RETURN, "2025"),
        (ReturnKind.ANNUAL_STATISTICS, "2025"),
    ]
    for kind, label in periods_covering(date(2025, 8, 31)):
        period = return_period(kind, label)
        assert period.start <= date(2025, 8, 31) <= period.end


def test_each_tier_publishes_the_steps_it_takes() -> None:
    assert sorted(approval_events(T.VILLAGE).values()) == ["sanji.village.return.submitted.v1"]
    assert sorted(approval_events(T.TOWNSHIP).values()) == [
        "sanji.township.return.approved.v1",
        "sanji.township.return.returned.v1",
    ]
    assert sorted(approval_events(T.COUNTY).values()) == [
        f"sanji.county.return.{a}.v1" for a in ("accepted", "returned", "unaccepted", "unapproved")
    ]


def test_lock_is_immediate_and_retries_are_idempotent(platform: Platform) -> None:
    """The village's own submission locks at once, before any projection; a retried step
    (same Idempotency-Key) answers the original result and records nothing."""
    v, t, _ = apps(platform)
    group = v.apply_for_filing(
        VILLAGE,
        "文昌合唱团",
        "services",
        date(2020, 1, 1),
        meta(village_op(), at=datetime(2020, 6, 1, tzinfo=UTC)),  # before the decision
    )
    platform.drain()
    t.decide_filing(group.id, True, "", meta(township_op(), at=datetime(2021, 1, 1, tzinfo=UTC)))
    platform.drain()
    submitted = returns.submit(
        v, ReturnKind.ACTIVITY_RETURN, VILLAGE, "2024-Q2", meta(village_op(), key="k1")
    )
    retry = returns.submit(
        v, ReturnKind.ACTIVITY_RETURN, VILLAGE, "2024-Q2", meta(village_op(), key="k1")
    )
    assert retry.replayed and retry.extra == submitted.extra and retry.id == submitted.id
    figures = {
        "field": "services",
        "participants": 1,
        "volunteers": 0,
        "volunteer_services": 0,
        "volunteer_hours": Decimal(0),
        "beneficiaries": 0,
        "money_spent": Decimal(0),
    }
    with stores_nothing(platform), pytest.raises(Conflict) as e:  # nothing projected yet
        v.report_activity(
            group.id, occurred_on=date(2024, 5, 1), meta=meta(village_op()), **figures
        )
    assert e.value.code == "period_locked"
    v.report_activity(group.id, occurred_on=date(2024, 7, 1), meta=meta(village_op()), **figures)
    platform.drain()
    rid = submitted.extra["return_id"]
    first = returns.decide(t, rid, Action.RETURN, "补充", meta(township_op(), key="k2"))
    with stores_nothing(platform):
        again = returns.decide(t, rid, Action.RETURN, "补充", meta(township_op(), key="k2"))
    assert again.replayed and again.extra == first.extra == {
        "return_id": rid,
        "step": 2,
        "state": "returned",
    }
    # Not yet seen by the village: still locked (the safe direction); then unlocked.
    with pytest.raises(Conflict):
        v.report_activity(
            group.id, occurred_on=date(2024, 5, 1), meta=meta(village_op()), **figures
        )
    platform.drain()
    v.report_activity(group.id, occurred_on=date(2024, 5, 1), meta=meta(village_op()), **figures)
