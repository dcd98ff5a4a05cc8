"""Zombie exit (ADR 0009): the dry run lists candidates with the 2021 criteria and guards; a
notice comes first and the exit only after the notice period (clock moved across the boundary:
day before, day of, day after), with the rule version recorded; guarded organisations are never
exited; an organisation active or guarded meanwhile is stopped with a reason; a reversal is a
compensating event; the timer step is idempotent."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from services.platform import Platform
from shared.kernel.domain import CHINA, SYSTEM_ROLE, Conflict
from shared.kernel.integration.envelope import Envelope
from tests.helpers import (
    RURAL_VILLAGE,
    VILLAGE,
    VILLAGE_2,
    MovableClock,
    apps,
    as_recorded,
    build_platform,
    county_op,
    envelopes_by_source,
    governance_work,
    meta,
    township_op,
    usci,
    village_op,
)

RULE = "zombie-exit/2021-campaign/v1"
START = date(2025, 1, 6)
DUE = date(2025, 2, 6)  # notice on 6 January + 30 days: the period ends 5 February


def at(day: date) -> Any:
    return datetime.combine(day, time(10), CHINA)


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock(START)


@pytest.fixture
def p(tmp_path: Path, clock: MovableClock) -> Iterator[Platform]:
    platform = build_platform(tmp_path, clock)
    yield platform
    platform.stop()


def step(p: Platform, fn: Any, *args: Any, **kwargs: Any) -> Any:
    result = fn(*args, **kwargs)
    p.drain()
    return result


def register(p: Platform, serial: int, village: str = VILLAGE) -> UUID:
    c = apps(p)[2]
    op = meta(county_op(), at=at(date(2023, 6, 1)))
    return step(p, c.register, usci(serial, "2"), f"组织{serial}", "services", village, None, op).id


def filed_group(p: Platform, name: str) -> UUID:
    v, t, _ = apps(p)
    org = step(
        p,
        v.apply_for_filing,
        VILLAGE_2,
        name,
        "services",
        date(2023, 5, 1),
        meta(village_op(VILLAGE_2), at=at(date(2023, 5, 2))),
    ).id
    step(p, t.decide_filing, org, True, "", meta(township_op(), at=at(date(2023, 6, 1))))
    return UUID(str(org))


def events(p: Platform, source: str, org: UUID) -> list[Envelope]:
    return [e for e in envelopes_by_source(p)[source] if e.organisation_id == org]


def types(envs: list[Envelope]) -> list[str]:
    return [e.type.split(".", 2)[2] for e in envs]


def org_row(p: Platform, org: UUID) -> dict[str, Any]:
    with apps(p)[2].lookup.db.transaction() as tx:
        row = tx.one("SELECT * FROM org WHERE org_id = %s", (str(org),))
    assert row is not None
    return dict(row)


def test_dry_run_lists_candidates_with_criteria_guards_and_proposal(p: Platform) -> None:
    _, t, c = apps(p)
    plain = register(p, 1)
    funded = register(p, 2, RURAL_VILLAGE)
    # Its one activity, a flood-relief effort months before the award (without governance
    # work in the year before, the shipped commendation rule refuses funding, ADR 0024).
    governance_work(p, funded, on=date(2023, 9, 1), theme="flood_relief")
    award = step(
        p,
        c.award_funding,
        funded,
        "micro_venture",
        "2024",
        "助老",
        Decimal("1000"),
        None,
        meta(county_op(), at=at(date(2024, 3, 1))),
    )
    step(
        p, c.disburse, award.id, "首期", Decimal("400"), meta(county_op(), at=at(date(2024, 3, 5)))
    )
    group = filed_group(p, "南门读书会")

    review = {r["org_id"]: r for r in c.exit_review("330699000000", START)}
    assert set(review) == {str(plain), str(funded)}  # the county reviews registered ones
    entry = review[str(plain)]
    assert entry["proposal"] == "notice" and entry["proposed_outcome"] == "revoke"
    assert entry["criteria"] == [
        "no_report_or_inspection_two_years",
        "no_activity_first_year",
        "no_activity_long_period",
    ]
    assert entry["guards"] == []
    guarded = review[str(funded)]
    assert guarded["proposal"] == "none" and guarded["not_proposed_because"] == "guarded"
    assert [g["code"] for g in guarded["guards"]] == ["unspent_funds", "active_project"]
    assert guarded["guards"][0]["detail"] == {"undisbursed_fen": 60000}

    filed = t.exit_review("330699001000", START)
    assert [(r["org_id"], r["proposed_outcome"]) for r in filed] == [(str(group), "cancel_filing")]

    with pytest.raises(Conflict) as e:
        c.notice_exit(funded, None, meta(county_op(), at=at(START)))
    assert e.value.code == "zombie_exit_guarded"


def test_notice_first_exit_only_after_the_notice_period(p: Platform, clock: MovableClock) -> None:
    c = apps(p)[2]
    org = register(p, 1)
    result = step(p, c.notice_exit, org, None, meta(county_op(), at=at(START)))
    assert result.extra == {"due_on": DUE.isoformat(), "rule_version": RULE}
    with pytest.raises(Conflict) as e:
        c.notice_exit(org, None, meta(county_op(), at=at(START)))
    assert e.value.code == "exit_pending"
    noticed = events(p, "county", org)[-1]
    assert noticed.type == "sanji.county.zombie_exit.noticed.v1"
    assert noticed.rule_version == RULE
    assert noticed.data["notice_ends_on"] == "2025-02-05" and noticed.data["due_on"] == "2025-02-06"

    clock.set(date(2025, 2, 5))  # the notice period's last day: nothing yet
    assert step(p, c.run_due_exits) == []
    assert org_row(p, org)["registration_ended_on"] is None

    clock.set(DUE)  # the day after the notice period
    [done] = step(p, c.run_due_exits)
    assert (done.event, done.outcome, done.effective_on, done.rule_version) == (
        "exited",
        "revoke",
        DUE,
        RULE,
    )
    tail = events(p, "county", org)[-2:]
    assert types(tail) == ["zombie_exit.exited.v1", "organisation.revoked.v1"]
    for e in tail:
        assert e.rule_version == RULE and e.actor.role == SYSTEM_ROLE
        assert e.effective_at == datetime.combine(DUE, time.min, CHINA)
    row = org_row(p, org)
    assert (row["registration_ended_on"], row["exit_kind"]) == ("2025-02-06", "revoked")

    clock.set(date(2025, 2, 7))  # the day after: idempotent
    assert step(p, c.run_due_exits) == []
    assert c.exit_proceedings("330699000000")[0]["state"] == "exited"


def test_reversal_reinstates_with_history_kept(p: Platform, clock: MovableClock) -> None:
    c = apps(p)[2]
    org = register(p, 1)
    pid = step(p, c.notice_exit, org, "deregister", meta(county_op(), at=at(START))).id
    clock.set(DUE)
    step(p, c.run_due_exits)
    assert org_row(p, org)["exit_kind"] == "deregistered"
    step(p, c.reverse_exit, pid, "复议撤销", meta(county_op(), at=at(date(2025, 3, 1))))
    row = org_row(p, org)
    assert row["registration_ended_on"] is None and row["exit_kind"] is None
    assert types(events(p, "county", org))[-4:] == [
        "zombie_exit.exited.v1",
        "organisation.deregistered.v1",
        "zombie_exit.reversed.v1",
        "organisation.reinstated.v1",
    ]
    assert c.exit_proceedings("330699000000")[0]["state"] == "reversed"
    with pytest.raises(Conflict):
        c.reverse_exit(pid, "again", meta(county_op(), at=at(date(2025, 3, 2))))
    # a new proceeding may start later, numbered after the first
    clock.set(date(2026, 6, 1))
    again = step(p, c.notice_exit, org, None, meta(county_op(), at=at(date(2026, 6, 1))))
    assert again.id != pid


def test_guarded_meanwhile_is_stopped_never_exited(p: Platform, clock: MovableClock) -> None:
    _, t, c = apps(p)
    org = register(p, 1)
    step(p, c.notice_exit, org, None, meta(county_op(), at=at(START)))
    step(
        p,
        t.record_inspection,
        org,
        "rectification_ordered",
        "台账不全",
        ["张", "李"],
        meta(township_op(), at=at(date(2025, 1, 20))),
    )
    clock.set(DUE)
    [done] = step(p, c.run_due_exits)
    assert (done.event, done.reason) == ("stopped", "guarded")
    stopped = events(p, "county", org)[-1]
    assert stopped.type == "sanji.county.zombie_exit.stopped.v1"
    assert stopped.data["detail"] == "open_inspection_case" and stopped.rule_version == RULE
    assert org_row(p, org)["registration_ended_on"] is None
    assert "organisation.revoked.v1" not in types(events(p, "county", org))


def test_filed_group_rectify_by_deadline_and_active_meanwhile(
    p: Platform, clock: MovableClock
) -> None:
    v, t, _ = apps(p)
    lazy, lively = filed_group(p, "南门读书会"), filed_group(p, "南门合唱团")
    for org in (lazy, lively):
        step(p, t.notice_exit, org, "rectify", meta(township_op(), at=at(START)))
    clock.set(date(2025, 2, 1))
    step(
        p,
        v.report_activity,
        lively,
        meta=meta(village_op(VILLAGE_2), at=at(date(2025, 2, 1))),
        occurred_on=date(2025, 2, 1),
        field="services",
        participants=10,
        volunteers=1,
        volunteer_services=1,
        volunteer_hours=Decimal("2"),
        beneficiaries=10,
        money_spent=Decimal("0"),
    )
    deadline = date(2025, 3, 8)  # 6 January + 60 days is the last day to rectify
    clock.set(date(2025, 3, 7))
    assert step(p, t.run_due_exits) == []
    clock.set(deadline)
    done = {r.organisation_id: r for r in step(p, t.run_due_exits)}
    assert (done[lazy].event, done[lazy].outcome) == ("exited", "cancel_filing")
    assert (done[lively].event, done[lively].reason) == ("stopped", "active_since_notice")
    assert types(events(p, "township", lazy))[-2:] == [
        "zombie_exit.exited.v1",
        "filing.cancelled.v1",
    ]
    assert org_row(p, lazy)["filing_ended_on"] == deadline.isoformat()
    assert org_row(p, lively)["filing_ended_on"] is None
    clock.set(date(2025, 3, 9))
    assert step(p, t.run_due_exits) == []


def test_routes(p: Platform, clock: MovableClock) -> None:
    from tests.helpers import Api

    api = Api.of(p)
    org, group = register(p, 1), filed_group(p, "南门读书会")
    county, township = api.auth(county_op()), api.auth(township_op())
    dry = api.county.get("/api/v1/zombie-exit/dry-run", headers=county).json()
    assert (dry["kind"], dry["rule_version"], dry["proposed"]) == ("registered", RULE, 1)
    dry = api.township.get("/api/v1/zombie-exit/dry-run", headers=township).json()
    assert [c["org_id"] for c in dry["candidates"]] == [str(group)]
    bad = api.county.post(
        "/api/v1/zombie-exit/notices",
        json={"organisation_id": str(org), "outcome": "cancel_filing"},
        headers=county,
    )
    assert (bad.status_code, bad.json()["error"]["code"]) == (422, "outcome_not_allowed")
    made = api.county.post(
        "/api/v1/zombie-exit/campaigns", json={"division_code": VILLAGE}, headers=county
    )
    assert made.status_code == 201 and made.json()["noticed"][0]["due_on"] == DUE.isoformat()
    p.drain()
    again = api.county.post(
        "/api/v1/zombie-exit/notices", json={"organisation_id": str(org)}, headers=county
    )
    assert (again.status_code, again.json()["error"]["code"]) == (409, "exit_pending")
    clock.set(DUE)
    ran = api.county.post("/api/v1/zombie-exit/run-due", json={}, headers=county).json()
    assert [r["event"] for r in ran["recorded"]] == ["exited"]
    p.drain()
    pid = ran["recorded"][0]["proceeding_id"]
    out = api.county.post(
        f"/api/v1/zombie-exit/proceedings/{pid}/reversal", json={"reason": "错误"}, headers=county
    )
    assert out.status_code == 200
    gone = api.county.post(
        f"/api/v1/zombie-exit/proceedings/{pid}/withdrawal", json={"reason": "x"}, headers=county
    )
    assert (gone.status_code, gone.json()["error"]["code"]) == (409, "exit_reversed")


def test_on_demand_run_decides_only_the_callers_division(p: Platform, clock: MovableClock) -> None:
    """Issue 11: a township operator's run-due left a sibling township's due proceeding alone
    only by luck; now the run is scoped to the caller, and the system's decisions record who
    triggered them. The background timer (no caller) still decides the rest."""
    from tests.helpers import RURAL_TOWNSHIP, TOWNSHIP, Api

    v, t, _ = apps(p)

    def filed_in(village: str, township: str, name: str) -> UUID:
        op = village_op(village)
        org = step(
            p,
            v.apply_for_filing,
            village,
            name,
            "services",
            date(2023, 5, 1),
            meta(op, at=at(date(2023, 5, 2))),
        ).id
        step(
            p, t.decide_filing, org, True, "", meta(township_op(township), at=at(date(2023, 6, 1)))
        )
        return UUID(str(org))

    ours = filed_in(VILLAGE_2, TOWNSHIP, "南门读书会")
    sibling = filed_in(RURAL_VILLAGE, RURAL_TOWNSHIP, "青溪读书会")
    mine = step(p, t.notice_exit, ours, None, meta(township_op(TOWNSHIP), at=at(START))).id
    theirs = step(
        p, t.notice_exit, sibling, None, meta(township_op(RURAL_TOWNSHIP), at=at(START))
    ).id
    clock.set(DUE)
    operator = township_op(TOWNSHIP)
    api = Api.of(p)
    ran = api.township.post("/api/v1/zombie-exit/run-due", json={}, headers=api.auth(operator))
    assert ran.status_code == 200
    assert [r["proceeding_id"] for r in ran.json()["recorded"]] == [str(mine)]
    p.drain()
    states = {r["proceeding_id"]: r["state"] for r in t.exit_proceedings("330699000000")}
    assert states == {str(mine): "exited", str(theirs): "noticed"}

    decided = t.repository.event_store.get(mine)
    [exited] = [e for e in decided if type(e).__name__ == "Exited"]
    assert exited.meta.actor.role == SYSTEM_ROLE and exited.meta.rule_version == RULE
    assert exited.meta.triggered_by == as_recorded(operator)
    cancelled = [e for e in t.repository.event_store.get(ours) if type(e).__name__ == "Cancelled"]
    assert cancelled and cancelled[-1].meta.triggered_by == as_recorded(operator)

    [background] = step(p, t.run_due_exits)  # the relay's timer: the rest, nobody triggered it
    assert background.proceeding_id == theirs
    later = [e for e in t.repository.event_store.get(theirs) if type(e).__name__ == "Exited"]
    assert later[0].meta.triggered_by is None
    assert "triggered_by" not in later[0].meta.to_dict()  # stored exactly as before
