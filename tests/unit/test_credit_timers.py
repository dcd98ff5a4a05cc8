"""Credit lists and grades as clock-driven rules (ADR 0007): the clock is moved across every
boundary (day before, day of, day after) and the events recorded are checked, with the rule
version and the system actor; the timer step is idempotent."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from services.county import credit
from services.county.application import CountyApplication
from services.platform import Platform
from shared.kernel.calendar import DEFAULT_CALENDAR, load_calendars
from shared.kernel.domain import CHINA, SYSTEM_ROLE, Conflict, DomainError
from shared.kernel.integration.envelope import Envelope
from tests.helpers import (
    VILLAGE,
    MovableClock,
    apps,
    build_platform,
    county_op,
    envelopes_by_source,
    governance_work,
    meta,
    stores_nothing,
    township_op,
    usci,
)

CREDIT_RULE = "credit/mca-60-2018/v1"
GRADE_RULE = "evaluation/grades-5y/v1"
CALENDAR = "calendar/cn/2024-2026/v1"


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock(date(2024, 1, 1))


@pytest.fixture
def p(tmp_path: Path, clock: MovableClock) -> Iterator[Platform]:
    platform = build_platform(tmp_path, clock)
    yield platform
    platform.stop()


def at(day: date) -> datetime:
    return datetime.combine(day, time(10), CHINA)


def county(p: Platform) -> CountyApplication:
    return apps(p)[2]


def registered(p: Platform, serial: int = 1, on: date = date(2023, 6, 1)) -> UUID:
    c = county(p)
    result = c.register(usci(serial), f"组织{serial}", "services", VILLAGE, None, op(on))
    p.drain()
    return result.id


def op(day: date) -> Any:
    return meta(county_op(), at=at(day))


def trigger(p: Platform, org: UUID, code: str, day: date) -> None:
    county(p).record_credit_trigger(org, code, f"{code} found", op(day))
    p.drain()


def run(p: Platform, clock: MovableClock, day: date) -> list[Envelope]:
    """Move the clock to ``day``, run the timers, return the county events they recorded."""
    clock.set(day)
    before = len(county_events(p))
    county(p).run_due()
    p.drain()
    return county_events(p)[before:]


def county_events(p: Platform) -> list[Envelope]:
    return envelopes_by_source(p)["county"]


def summary(events: list[Envelope]) -> list[tuple[str, str | None, str | None, str, str | None]]:
    return [
        (
            e.type.removeprefix("sanji.county."),
            e.data.get("credit_list"),
            e.data.get("reason"),
            e.effective_at.astimezone(CHINA).date().isoformat(),
            e.rule_version,
        )
        for e in events
    ]


def assert_system(events: list[Envelope]) -> None:
    assert events and all(e.actor.role == SYSTEM_ROLE for e in events)


def boundary(day: date) -> tuple[date, date, date]:
    return day - timedelta(days=1), day, day + timedelta(days=1)


# ------------------------------------------------------------------ abnormal list


def test_six_months_without_a_new_trigger_removes_when_nothing_needed_fixing(
    p: Platform, clock: MovableClock
) -> None:
    org = registered(p)
    trigger(p, org, "unreachable", date(2025, 3, 10))
    entered = county_events(p)[-1]
    assert entered.data["trigger"] == "unreachable"
    assert entered.data["rectification_required"] is False
    assert entered.rule_version == CREDIT_RULE
    before, day, after = boundary(date(2025, 9, 10))
    assert run(p, clock, before) == []
    removed = run(p, clock, day)
    assert summary(removed) == [
        ("credit_list.left.v1", "abnormal", credit.SIX_MONTHS, "2025-09-10", CREDIT_RULE)
    ]
    assert_system(removed)
    assert run(p, clock, day) == []  # idempotent: the same moment again records nothing
    assert run(p, clock, after) == []


def test_a_new_trigger_restarts_the_six_months(p: Platform, clock: MovableClock) -> None:
    org = registered(p)
    trigger(p, org, "unreachable", date(2025, 3, 10))
    trigger(p, org, "unreachable", date(2025, 6, 1))
    assert county_events(p)[-1].type == "sanji.county.credit_list.triggered.v1"
    assert run(p, clock, date(2025, 9, 10)) == []  # the first trigger's six months: restarted
    before, day, after = boundary(date(2025, 12, 1))
    assert run(p, clock, before) == []
    assert summary(run(p, clock, day)) == [
        ("credit_list.left.v1", "abnormal", credit.SIX_MONTHS, "2025-12-01", CREDIT_RULE)
    ]
    assert run(p, clock, after) == []


def test_a_trigger_that_needs_fixing_does_not_leave_by_the_months_alone(
    p: Platform, clock: MovableClock
) -> None:
    org = registered(p)
    trigger(p, org, "missed_annual_report", date(2024, 3, 10))
    assert run(p, clock, date(2024, 9, 10)) == []
    assert run(p, clock, date(2025, 12, 31)) == []


@pytest.mark.parametrize(
    ("verified", "due"),
    [
        # Thursday: Friday, then Monday to Thursday across the weekend.
        (date(2025, 3, 6), date(2025, 3, 13)),
        # Spring Festival 2026: Thu 12, Fri 13, Sat 14 (a working Saturday), then the holiday
        # 15-23 February, Tue 24, Wed 25.
        (date(2026, 2, 11), date(2026, 2, 25)),
        # National Day 2025 (1-8 October) and the working Saturday 11 October.
        (date(2025, 9, 29), date(2025, 10, 13)),
    ],
)
def test_verified_rectification_removes_on_the_fifth_working_day(
    p: Platform, clock: MovableClock, verified: date, due: date
) -> None:
    org = registered(p)
    trigger(p, org, "missed_annual_report", verified - timedelta(days=40))
    result = county(p).verify_rectification(org, op(verified))
    assert result.extra == {
        "removal_due": due.isoformat(),
        "calendar_version": CALENDAR,
        "provisional": False,
    }
    p.drain()
    verification = county_events(p)[-1]
    assert verification.type == "sanji.county.credit_list.rectification_verified.v1"
    assert verification.data["removal_due"] == due.isoformat()
    assert verification.data["calendar_version"] == CALENDAR
    assert verification.rule_version == CREDIT_RULE
    before, day, after = boundary(due)
    assert run(p, clock, before) == []
    removed = run(p, clock, day)
    assert summary(removed) == [
        ("credit_list.left.v1", "abnormal", credit.RECTIFIED, due.isoformat(), CREDIT_RULE)
    ]
    assert_system(removed)
    assert run(p, clock, after) == []


def test_verification_is_refused_when_nothing_needs_fixing(
    p: Platform,
) -> None:
    org = registered(p)
    trigger(p, org, "unreachable", date(2025, 3, 10))
    with stores_nothing(p), pytest.raises(Conflict) as refused:
        county(p).verify_rectification(org, op(date(2025, 3, 12)))
    assert refused.value.code == "nothing_to_rectify"
    # A deadline past the calendar's years is no longer refused (issue 12): see below.


def test_two_years_on_the_abnormal_list_moves_to_the_serious_list(
    p: Platform, clock: MovableClock
) -> None:
    org = registered(p)
    trigger(p, org, "missed_annual_report", date(2024, 1, 10))
    before, day, after = boundary(date(2026, 1, 10))
    assert run(p, clock, before) == []
    moved = run(p, clock, day)
    assert summary(moved) == [
        ("credit_list.left.v1", "abnormal", credit.ESCALATED, "2026-01-10", CREDIT_RULE),
        (
            "credit_list.entered.v1",
            "serious",
            credit.TWO_YEARS_ABNORMAL,
            "2026-01-10",
            CREDIT_RULE,
        ),
    ]
    assert_system(moved)
    assert run(p, clock, after) == []
    # Two clean years on the serious list: removed.
    before, day, after = boundary(date(2028, 1, 10))
    assert run(p, clock, before) == []
    assert summary(run(p, clock, day)) == [
        ("credit_list.left.v1", "serious", credit.CLEAN, "2028-01-10", CREDIT_RULE)
    ]
    assert run(p, clock, after) == []


def test_a_trigger_while_on_the_serious_list_restarts_its_clean_years(
    p: Platform, clock: MovableClock
) -> None:
    org = registered(p)
    trigger(p, org, "missed_annual_report", date(2024, 1, 10))
    run(p, clock, date(2026, 1, 10))  # escalated
    trigger(p, org, "unreachable", date(2026, 6, 1))  # back on the abnormal list too
    assert summary(run(p, clock, date(2026, 12, 1))) == [
        ("credit_list.left.v1", "abnormal", credit.SIX_MONTHS, "2026-12-01", CREDIT_RULE)
    ]
    assert run(p, clock, date(2028, 1, 10)) == []  # not clean since 2026-01-10
    before, day, after = boundary(date(2028, 6, 1))
    assert run(p, clock, before) == []
    assert summary(run(p, clock, day)) == [
        ("credit_list.left.v1", "serious", credit.CLEAN, "2028-06-01", CREDIT_RULE)
    ]
    assert run(p, clock, after) == []


def test_a_late_run_records_each_step_on_the_day_it_fell_due(
    p: Platform, clock: MovableClock
) -> None:
    org = registered(p)
    trigger(p, org, "missed_annual_report", date(2024, 1, 10))
    assert [(s[0], s[1], s[3]) for s in summary(run(p, clock, date(2029, 1, 1)))] == [
        ("credit_list.left.v1", "abnormal", "2026-01-10"),
        ("credit_list.entered.v1", "serious", "2026-01-10"),
        ("credit_list.left.v1", "serious", "2028-01-10"),
    ]


# ------------------------------------------------------------------ notice and objection


def test_notice_and_objection_upheld_or_rejected(p: Platform) -> None:
    c = county(p)
    org, other = registered(p, 1), registered(p, 2)
    for o in (org, other):
        trigger(p, o, "missed_annual_report", date(2025, 3, 1))
        c.notify_listing(o, "abnormal", "告知书〔2025〕1号", op(date(2025, 3, 2)))
        c.lodge_objection(o, "abnormal", "年报已按时报送", op(date(2025, 3, 5)))
    with stores_nothing(p), pytest.raises(Conflict) as refused:
        c.lodge_objection(org, "abnormal", "again", op(date(2025, 3, 6)))
    assert refused.value.code == "objection_pending"
    c.decide_objection(org, "abnormal", True, "核实已报送", op(date(2025, 3, 10)))
    c.decide_objection(other, "abnormal", False, "未报送", op(date(2025, 3, 10)))
    with stores_nothing(p), pytest.raises(Conflict) as refused:
        c.decide_objection(other, "abnormal", True, "again", op(date(2025, 3, 11)))
    assert refused.value.code == "no_objection_pending"
    p.drain()
    by_org: dict[UUID | None, list[str]] = {}
    for e in county_events(p):
        by_org.setdefault(e.organisation_id, []).append(e.type.removeprefix("sanji.county."))
    steps = [
        "credit_list.entered.v1",
        "credit_list.notified.v1",
        "credit_list.objection_lodged.v1",
        "credit_list.objection_decided.v1",
    ]
    assert by_org[org][1:] == [*steps, "credit_list.left.v1"]
    assert by_org[other][1:] == steps
    assert county_events(p)[-1].data["upheld"] is False


def test_unknown_trigger_and_steps_off_the_list_are_refused(p: Platform) -> None:
    org = registered(p)
    c = county(p)
    for fn, args, code in [
        (c.record_credit_trigger, (org, "bad_weather", "x"), "unknown_trigger"),
        (c.notify_listing, (org, "abnormal", "x"), "not_on_list"),
        (c.lodge_objection, (org, "serious", "x"), "not_on_list"),
    ]:
        with stores_nothing(p), pytest.raises(DomainError) as refused:
            fn(*args, op(date(2025, 1, 2)))  # type: ignore[operator]
        assert refused.value.code == code


# ------------------------------------------------------------------ grades


def test_grade_expires_after_five_years_with_an_event(p: Platform, clock: MovableClock) -> None:
    org = registered(p, on=date(2021, 3, 1))  # acts never precede the registration
    clock.set(date(2021, 3, 1))  # rated on the day (dated back, it would run from the recording)
    county(p).rate(org, None, 4, None, 3, op(date(2021, 3, 1)))
    p.drain()
    rated = county_events(p)[-1]
    assert rated.data["grade_valid_until"] == "2026-03-01"
    assert rated.rule_version == GRADE_RULE
    before, day, after = date(2026, 3, 1), date(2026, 3, 2), date(2026, 3, 3)
    assert run(p, clock, before) == []  # its last valid day
    expired = run(p, clock, day)
    assert [(e.type, e.data, e.rule_version) for e in expired] == [
        (
            "sanji.county.grade.expired.v1",
            {"grade": 4, "valid_until": "2026-03-01"},
            GRADE_RULE,
        )
    ]
    assert expired[0].effective_at.astimezone(CHINA).date() == day
    assert_system(expired)
    assert run(p, clock, day) == [] and run(p, clock, after) == []


def test_a_new_grade_before_expiry_replaces_the_old_one(p: Platform, clock: MovableClock) -> None:
    org = registered(p, on=date(2021, 3, 1))  # acts never precede the registration
    clock.set(date(2021, 3, 1))
    county(p).rate(org, None, 3, None, None, op(date(2021, 3, 1)))
    clock.set(date(2026, 2, 1))
    governance_work(p, org, on=date(2026, 1, 10))  # a grade from 2024 needs it (ADR 0024)
    county(p).rate(org, None, 5, None, None, op(date(2026, 2, 1)))
    p.drain()
    assert run(p, clock, date(2026, 3, 2)) == []


def test_no_grade_while_listed_with_a_violation_or_under_investigation(
    p: Platform, clock: MovableClock
) -> None:
    _, t, c = apps(p)
    listed, violated, investigated = (registered(p, n) for n in (1, 2, 3))
    trigger(p, listed, "unreachable", date(2025, 1, 10))
    day = date(2025, 2, 1)
    t.record_inspection(
        violated, "violation", "账目不清", ["a", "b"], meta(township_op(), at=at(day))
    )
    t.record_inspection(
        investigated,
        "rectification_ordered",
        "制度缺失",
        ["a", "b"],
        meta(township_op(), at=at(day)),
    )
    p.drain()
    for org, code in [
        (listed, "grade_ineligible_credit_list"),
        (violated, "grade_ineligible_violation"),
        (investigated, "grade_ineligible_under_investigation"),
    ]:
        with stores_nothing(p), pytest.raises(Conflict) as refused:
            c.rate(org, None, 3, None, None, op(date(2025, 3, 1)))
        assert (refused.value.code, refused.value.status) == (code, 409)
    # A credit rating or stars alone is no grade: allowed.
    c.rate(listed, "B", None, None, 2, op(date(2025, 3, 1)))
    # The violation looks back 24 months: a grade is possible again after them (given
    # governance work in the year before, ADR 0024 addendum).
    clock.set(date(2027, 2, 2))
    governance_work(p, violated, on=date(2027, 1, 15))
    c.rate(violated, None, 3, None, None, op(date(2027, 2, 2)))


def test_a_backdated_verification_counts_its_working_days_from_the_recording(
    p: Platform, clock: MovableClock
) -> None:
    """ADR 0013: a deadline an act starts runs from the day it is recorded when the act is
    dated back, so the removal a rectification makes due is not due at once."""
    org = registered(p)
    trigger(p, org, "unfinished_rectification", date(2026, 1, 5))
    clock.set(date(2026, 3, 2))  # a Monday: recorded today, dated back to Monday 2 February
    done = county(p).verify_rectification(org, op(date(2026, 2, 2)))
    p.drain()
    assert done.extra["removal_due"] == "2026-03-09"  # 5 working days after 2 March
    assert run(p, clock, date(2026, 3, 6)) == []
    assert summary(run(p, clock, date(2026, 3, 9))) == [
        ("credit_list.left.v1", "abnormal", credit.RECTIFIED, "2026-03-09", CREDIT_RULE)
    ]


def test_a_backdated_entry_escalates_and_leaves_no_sooner_than_recorded_on_the_day(
    p: Platform, clock: MovableClock
) -> None:
    """ADR 0013: an entry dated two years back would move to the serious list at the next
    run; its clocks run from the day it was recorded instead, while it keeps its date."""
    org = registered(p, on=date(2023, 3, 1))  # acts never precede the registration
    clock.set(date(2025, 3, 10))
    trigger(p, org, "missed_annual_report", date(2023, 3, 10))
    entered = county_events(p)[-1]
    assert entered.effective_at.astimezone(CHINA).date() == date(2023, 3, 10)  # as dated
    assert entered.data["trigger"] == "missed_annual_report"
    assert run(p, clock, date(2025, 3, 10)) == []  # not escalated at once
    before, day, _ = boundary(date(2027, 3, 10))  # two years after the recording
    assert run(p, clock, before) == []
    assert [s[:3] for s in summary(run(p, clock, day))] == [
        ("credit_list.left.v1", "abnormal", credit.ESCALATED),
        ("credit_list.entered.v1", "serious", credit.TWO_YEARS_ABNORMAL),
    ]


def test_a_backdated_trigger_restarts_the_six_months_from_the_recording(
    p: Platform, clock: MovableClock
) -> None:
    org = registered(p)
    trigger(p, org, "unreachable", date(2025, 3, 10))
    clock.set(date(2025, 8, 1))
    trigger(p, org, "unreachable", date(2025, 6, 1))  # dated two months back
    before, day, _ = boundary(date(2026, 2, 1))  # six months after 1 August, not 1 June
    assert run(p, clock, date(2025, 12, 1)) == []
    assert run(p, clock, before) == []
    assert summary(run(p, clock, day)) == [
        ("credit_list.left.v1", "abnormal", credit.SIX_MONTHS, "2026-02-01", CREDIT_RULE)
    ]


def test_a_backdated_rating_keeps_its_full_validity_from_the_recording(
    p: Platform, clock: MovableClock
) -> None:
    org = registered(p)
    clock.set(date(2026, 3, 1))
    governance_work(p, org, on=date(2025, 12, 1))  # in the year before the grade (ADR 0024)
    county(p).rate(org, None, 4, None, None, op(date(2026, 1, 5)))  # dated two months back
    p.drain()
    assert county_events(p)[-1].data["grade_valid_until"] == "2031-03-01"


# ------------------------------------------------------------------ beyond the calendar (issue 12)

# A test-only calendar version that covers 2027 with a New Year holiday on Friday 1 January
# (Saturday 2 and Sunday 3 are weekend days anyway) and Monday 4 January as an extra holiday:
# made up to move the deadline, not the State Council's 2027 notice.
TEST_2027 = {
    "version": "calendar/test/2024-2027/v1",
    "effective_from": "2024-01-01",
    "years": {
        "2027": {"holidays": [["2027-01-01", "2027-01-04"]], "working_weekend_days": []},
    },
}


def with_2027(tmp_path: Path) -> Any:
    raw = json.loads(DEFAULT_CALENDAR.read_text(encoding="utf-8"))
    years = {**raw["versions"][-1]["years"], **TEST_2027["years"]}
    raw["versions"].append({**TEST_2027, "years": years})
    path = tmp_path / "calendar.json"
    path.write_text(json.dumps(raw), encoding="utf-8")
    return load_calendars(path).current


def test_a_deadline_beyond_the_calendar_is_provisional_and_recounted_once_covered(
    p: Platform, clock: MovableClock, tmp_path: Path
) -> None:
    org = registered(p)
    trigger(p, org, "missed_annual_report", date(2026, 6, 1))
    clock.set(date(2026, 12, 28))
    result = county(p).verify_rectification(org, op(date(2026, 12, 28)))
    # 29, 30, 31 December, then Friday 1 and Monday 4 January counted as weekdays.
    assert result.extra == {
        "removal_due": "2027-01-04",
        "calendar_version": CALENDAR,
        "provisional": True,
    }
    p.drain()
    verified = county_events(p)[-1]
    assert verified.data["provisional"] is True and verified.data["removal_due"] == "2027-01-04"
    assert run(p, clock, date(2026, 12, 29)) == []  # same calendar: nothing to recount
    county(p).calendar = with_2027(tmp_path)  # the next year's version is deployed
    recounted = run(p, clock, date(2026, 12, 30))
    assert summary(recounted) == [
        ("credit_list.removal_due_recomputed.v1", "abnormal", None, "2026-12-30", CREDIT_RULE)
    ]
    assert_system(recounted)
    assert recounted[0].data == {
        "credit_list": "abnormal",
        "removal_due": "2027-01-06",  # 29, 30, 31 December, Tuesday 5, Wednesday 6 January
        "previous_due": "2027-01-04",
        "calendar_version": "calendar/test/2024-2027/v1",
        "provisional": False,
    }
    assert run(p, clock, date(2026, 12, 30)) == []  # idempotent
    assert run(p, clock, date(2027, 1, 5)) == []  # the provisional day no longer counts
    removed = run(p, clock, date(2027, 1, 6))
    assert summary(removed) == [
        ("credit_list.left.v1", "abnormal", credit.RECTIFIED, "2027-01-06", CREDIT_RULE)
    ]


def test_without_a_newer_calendar_the_provisional_deadline_stands(
    p: Platform, clock: MovableClock
) -> None:
    org = registered(p)
    trigger(p, org, "missed_annual_report", date(2026, 6, 1))
    clock.set(date(2026, 12, 28))
    county(p).verify_rectification(org, op(date(2026, 12, 28)))
    p.drain()
    assert run(p, clock, date(2027, 1, 1)) == []
    removed = run(p, clock, date(2027, 1, 4))
    assert summary(removed) == [
        ("credit_list.left.v1", "abnormal", credit.RECTIFIED, "2027-01-04", CREDIT_RULE)
    ]
