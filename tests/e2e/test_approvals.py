"""Approval of periodic returns through the three tier APIs (ADR 0008): submit → approve →
accept, the period lock (409 ``period_locked``), returns that unlock it, reversals only by the
county with a reason, and the states in the township's and county's reports."""

from __future__ import annotations

import time
from datetime import date, timedelta
from typing import Any

import pytest

from shared.capabilities.approvals import application as returns_app
from shared.kernel.jurisdiction import Tier
from tests.helpers import (
    COUNTY,
    HISTORY_BACKDATE_DAYS,
    RURAL_TOWNSHIP,
    TOWNSHIP,
    VILLAGE,
    VILLAGE_2,
    Api,
    county_op,
    stores_nothing,
    today_cst,
    township_op,
    village_op,
)


@pytest.fixture
def backdate_days() -> int:
    return HISTORY_BACKDATE_DAYS  # this module loads history years back through the API


ACTIVITY = {
    "field": "culture_sports",
    "participants": 12,
    "volunteers": 2,
    "volunteer_services": 2,
    "volunteer_hours": "3.5",
    "beneficiaries": 30,
    "money_spent": "0",
}


def ok(response: Any, status: int = 201) -> dict[str, Any]:
    assert response.status_code == status, response.text
    return response.json()


def error(response: Any, status: int) -> str:
    assert response.status_code == status, response.text
    return str(response.json()["error"]["code"])


def months_ago(n: int) -> date:
    """A day in the month ``n`` months before this one (its 15th)."""
    day = today_cst().replace(day=1)
    for _ in range(n):
        day = (day - timedelta(days=1)).replace(day=1)
    return day.replace(day=15)


@pytest.fixture
def group(api: Api) -> str:
    """An organisation of 文昌社区, filed over a year ago, with one activity last month."""
    org = ok(
        api.village.post(
            "/api/v1/filing-applications",
            json={
                "village_code": VILLAGE,
                "name": "文昌合唱团",
                "field": "culture_sports",
                "founded_on": (today_cst() - timedelta(days=500)).isoformat(),
                # applied before the filing decision below (issue 12: dates in order)
                "effective_on": (today_cst() - timedelta(days=450)).isoformat(),
                "backdate_reason": "补录历史备案",
            },
            headers=api.auth(village_op()),
        )
    )["organisation_id"]
    api.settle()
    filed_on = (today_cst() - timedelta(days=400)).isoformat()
    ok(
        api.township.post(
            f"/api/v1/organisations/{org}/filing-decision",
            json={"decision": "filed", "effective_on": filed_on},
            headers=api.auth(township_op()),
        )
    )
    api.settle()
    report(api, org, months_ago(1))
    api.settle()
    return str(org)


def report(api: Api, org: str, day: date) -> Any:
    return api.village.post(
        f"/api/v1/organisations/{org}/activities",
        json={**ACTIVITY, "occurred_on": day.isoformat()},
        headers=api.auth(village_op()),
    )


def submit(api: Api, period: str, status: int = 201) -> Any:
    response = api.village.post(
        "/api/v1/returns",
        json={"kind": "activity_return", "division_code": VILLAGE, "period": period},
        headers=api.auth(village_op()),
    )
    return ok(response, status) if status < 400 else error(response, status)


def step(api: Api, client: Any, actor: Any, rid: str, path: str, body: Any = None) -> Any:
    return client.post(f"/api/v1/returns/{rid}/{path}", json=body or {}, headers=api.auth(actor))


def test_submit_approve_accept_lock_and_unlock(api: Api, group: str) -> None:
    period = months_ago(1).strftime("%Y-%m")
    submitted = submit(api, period)
    rid = submitted["return_id"]
    assert (submitted["state"], submitted["step"]) == ("submitted", 1)

    # Locked at once (the village sees its own submission in its own store): 409.
    assert error(report(api, group, months_ago(1)), 409) == "period_locked"
    assert ok(report(api, group, months_ago(2)))  # outside the period: 201
    api.settle()

    approved = ok(step(api, api.township, township_op(), rid, "approval"))
    assert approved["state"] == "approved"
    assert error(step(api, api.township, township_op(), rid, "approval"), 409) in (
        "illegal_transition",
        "concurrent_change",
    )
    api.settle()
    assert error(report(api, group, months_ago(1)), 409) == "period_locked"
    assert ok(step(api, api.county, county_op(), rid, "acceptance"))["state"] == "accepted"
    api.settle()
    assert error(report(api, group, months_ago(1)), 409) == "period_locked"

    # Visible in the reports: the county's township line and the township's village line.
    year = months_ago(1).year
    county = ok(
        api.county.get(f"/api/v1/reports/{COUNTY}?period={year}", headers=api.auth(county_op())),
        200,
    )
    assert county["approvals"]["counts"] == {
        "submitted": 0,
        "approved": 0,
        "accepted": 1,
        "returned": 0,
    }
    (line,) = [c for c in county["children"] if c["code"] == TOWNSHIP]
    assert line["approvals"]["counts"]["accepted"] == 1
    (other,) = [c for c in county["children"] if c["code"] == RURAL_TOWNSHIP]
    assert other["approvals"]["total"] == 0
    township = ok(
        api.township.get(
            f"/api/v1/reports/{TOWNSHIP}?period={year}", headers=api.auth(township_op())
        ),
        200,
    )
    (village_line,) = [c for c in township["children"] if c["code"] == VILLAGE]
    (entry,) = village_line["approvals"]["returns"]
    assert (entry["return_id"], entry["state"], entry["period"]) == (rid, "accepted", period)
    listed = ok(
        api.county.get(
            f"/api/v1/returns?division={TOWNSHIP}&state=accepted", headers=api.auth(county_op())
        ),
        200,
    )
    assert [r["return_id"] for r in listed["returns"]] == [rid]
    assert listed["returns"][0]["figures"]["activities"] == 1

    # The county takes its acceptance back and returns it: the period is unlocked.
    assert ok(step(api, api.county, county_op(), rid, "unacceptance", {"reason": "错报"}))
    assert ok(step(api, api.county, county_op(), rid, "return", {"reason": "请更正"}))
    api.settle()
    assert ok(report(api, group, months_ago(1)))
    api.settle()
    again = submit(api, period)
    assert (again["return_id"], again["state"], again["step"]) == (rid, "submitted", 6)
    api.settle()
    detail = ok(api.village.get(f"/api/v1/returns/{rid}", headers=api.auth(village_op())), 200)
    assert detail["cycle"] == 2 and detail["figures"]["activities"] == 2
    assert [(s["action"], s["tier"]) for s in detail["history"]] == [
        ("submitted", "village"),
        ("approved", "township"),
        ("accepted", "county"),
        ("unaccepted", "county"),
        ("returned", "county"),
        ("submitted", "village"),
    ]
    assert detail["history"][4]["reason"] == "请更正"


def test_unapproval_only_by_the_county_with_a_reason(api: Api, group: str) -> None:
    rid = submit(api, months_ago(1).strftime("%Y-%m"))["return_id"]
    api.settle()
    ok(step(api, api.township, township_op(), rid, "approval"))
    api.settle()
    # The approving tier itself may not take its approval back; nor may the village.
    assert error(step(api, api.township, township_op(), rid, "unapproval", {"reason": "x"}), 403)
    assert error(step(api, api.village, village_op(), rid, "unapproval", {"reason": "x"}), 403)
    # A township operator cannot use the county service at all.
    assert error(step(api, api.county, township_op(), rid, "unapproval", {"reason": "x"}), 403)
    # The county must say why.
    assert error(step(api, api.county, county_op(), rid, "unapproval", {"reason": ""}), 422)
    assert error(step(api, api.county, county_op(), rid, "unapproval"), 422)
    body = ok(step(api, api.county, county_op(), rid, "unapproval", {"reason": "请复核"}))
    assert body["state"] == "submitted"
    api.settle()
    # Submitted again: still locked, and the township decides anew (here: returns it).
    assert error(report(api, group, months_ago(1)), 409) == "period_locked"
    assert error(step(api, api.township, township_op(), rid, "return", {"reason": ""}), 422)
    assert ok(step(api, api.township, township_op(), rid, "return", {"reason": "补充材料"}))
    api.settle()
    assert ok(report(api, group, months_ago(1)))


def test_jurisdiction_state_and_input_errors(api: Api, group: str) -> None:
    other_village = village_op(VILLAGE_2)
    response = api.village.post(
        "/api/v1/returns",
        json={"kind": "activity_return", "division_code": VILLAGE, "period": "2020-01"},
        headers=api.auth(other_village),
    )
    assert error(response, 403) == "out_of_jurisdiction"
    assert submit(api, today_cst().strftime("%Y-%m"), 422) == "period_not_ended"
    assert submit(api, "last month", 422) == "invalid_period"
    response = api.village.post(
        "/api/v1/returns",
        json={"kind": "annual_statistics", "division_code": VILLAGE, "period": "2020-Q1"},
        headers=api.auth(village_op()),
    )
    assert error(response, 422) == "invalid_period"
    rid = submit(api, months_ago(1).strftime("%Y-%m"))["return_id"]
    assert submit(api, months_ago(1).strftime("%Y-%m"), 409) == "illegal_transition"
    api.settle()
    # Accepting before the township approved; a township outside the village's township.
    assert error(step(api, api.county, county_op(), rid, "acceptance"), 409) == "illegal_transition"
    outsider = township_op(RURAL_TOWNSHIP)
    assert error(step(api, api.township, outsider, rid, "approval"), 403) == "out_of_jurisdiction"
    unknown = "00000000-0000-0000-0000-000000000000"
    # Below the county an unknown id is refused like another division's (ADR 0014): a 404
    # would tell which ids exist; the county, which may see them all, gets the 404.
    assert (
        error(step(api, api.township, township_op(), unknown, "approval"), 403)
        == "out_of_jurisdiction"
    )
    assert error(step(api, api.county, county_op(), unknown, "acceptance"), 404) == "unknown_return"


def slow_projection(api: Api, monkeypatch: Any, seconds: float) -> None:
    """The village's read model takes ``seconds`` before applying anything (a loaded machine,
    made deterministic): every path of its projector ends in ``process`` or ``process_batch``."""
    projector = api.platform.tiers[Tier.VILLAGE].projector
    for name in ("process", "process_batch"):
        real = getattr(projector, name)

        def slow(*args: Any, _real: Any = real, **kwargs: Any) -> Any:
            time.sleep(seconds)
            return _real(*args, **kwargs)

        monkeypatch.setattr(projector, name, slow)


def test_a_submission_waits_for_a_record_stored_just_before_it(
    api: Api, group: str, monkeypatch: Any
) -> None:
    slow_projection(api, monkeypatch, 0.3)
    before = api.heads()[Tier.VILLAGE]
    api.auth(village_op(VILLAGE_2, "late-clerk"))  # a new account: a record in the store
    assert api.heads()[Tier.VILLAGE] > before
    # The read model is behind the store for 0.3 s: the submission waits it out (it was
    # refused at once with 409 projection_behind), and its figures include everything stored.
    submitted = submit(api, months_ago(1).strftime("%Y-%m"))
    assert submitted["state"] == "submitted"
    api.settle()
    row = api.village.get(
        f"/api/v1/returns/{submitted['return_id']}", headers=api.auth(village_op())
    )
    assert ok(row, 200)["figures"]["activities"] == 1


def test_a_submission_is_refused_when_the_read_model_stays_behind(
    api: Api, group: str, monkeypatch: Any
) -> None:
    monkeypatch.setattr(returns_app, "PROJECTION_WAIT_SECONDS", 0.2)
    slow_projection(api, monkeypatch, 1.0)
    before = api.heads()[Tier.VILLAGE]
    api.auth(village_op(VILLAGE_2, "late-clerk"))
    assert api.heads()[Tier.VILLAGE] > before
    with stores_nothing(api.platform):
        assert submit(api, months_ago(1).strftime("%Y-%m"), 409) == "projection_behind"
    api.settle()
    assert submit(api, months_ago(1).strftime("%Y-%m"))["state"] == "submitted"
