"""The funding lifecycle through the county's HTTP API (ADR 0011): call → application → review
→ award (recording status, credit and grade with the rule version) → tranches → mid-term and
final evaluation → close; every refusal's code; programme totals reconciled with the
disbursements."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from tests.helpers import (
    COUNTY,
    VILLAGE,
    Api,
    MovableClock,
    county_op,
    township_op,
    village_op,
)

RULE = "funding/abc-85-60/v1"
TOTALS = "/api/v1/funding/programmes/micro_venture/rounds/2026"


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock(date(2026, 3, 2))


def post(api: Api, path: str, body: dict[str, Any] | None = None, status: int = 200) -> Any:
    response = api.county.post(path, json=body or {}, headers=api.auth(county_op()))
    assert response.status_code == status, response.text
    api.settle()
    return response.json()


def refused(api: Api, path: str, body: dict[str, Any], status: int, code: str) -> None:
    before = api.heads()
    response = api.county.post(path, json=body, headers=api.auth(county_op()))
    assert (response.status_code, response.json()["error"]["code"]) == (status, code)
    assert api.heads() == before  # nothing recorded


def get(api: Api, path: str) -> Any:
    response = api.county.get(path, headers=api.auth(county_op()))
    assert response.status_code == 200, response.text
    return response.json()


def register(api: Api, serial: int, name: str, governance_work: bool = True) -> str:
    """A registered organisation; with ``governance_work``, its mediation activity today, which
    the shipped commendation rule asks of any applicant or grade (ADR 0024 addendum)."""
    org = api.registered(serial, name)
    if governance_work:
        api.governance_work(org)
    return org


def filed_group(api: Api, name: str) -> str:
    applied = api.village.post(
        "/api/v1/filing-applications",
        json={
            "village_code": VILLAGE,
            "name": name,
            "field": "mutual_aid",
            "founded_on": "2025-03-01",
        },
        headers=api.auth(village_op()),
    )
    assert applied.status_code == 201, applied.text
    org = applied.json()["id"]
    api.settle()
    decided = api.township.post(
        f"/api/v1/organisations/{org}/filing-decision",
        json={"decision": "filed"},
        headers=api.auth(township_op()),
    )
    assert decided.status_code == 201, decided.text
    api.governance_work(org, theme="safety")  # a neighbourhood watch: governance work
    return str(org)


def application(org: str, project: str = "邻里守望", requested: str = "50000", **more: Any) -> Any:
    return {
        "organisation_id": org,
        "project": project,
        "requested": requested,
        "other_government_funding": False,
        **more,
    }


def open_call(api: Api, budget: str = "100000") -> str:
    body = {
        "programme": "micro_venture",
        "round": "2026",
        "title": "2026年度微公益创投",
        "budget": budget,
        "deadline": "2026-03-31",
    }
    return str(post(api, "/api/v1/funding-calls", body, 201)["id"])


def test_full_path_records_the_decision_and_reconciles(api: Api, clock: MovableClock) -> None:
    org = register(api, 11, "文昌志愿队")
    post(api, f"/api/v1/organisations/{org}/ratings", {"credit": "A", "grade": 4})
    host = register(api, 12, "文昌社工站")
    group = filed_group(api, "互助小组")
    call = open_call(api)
    applied = post(api, f"/api/v1/funding-calls/{call}/applications", application(org), 201)
    assert applied["organisation_id"] == org
    hosted = application(group, "助老餐桌", "30000", host_organisation_id=host)
    by_group = post(api, f"/api/v1/funding-calls/{call}/applications", hosted, 201)
    other = register(api, 13, "南门读书会")
    rejected = post(api, f"/api/v1/funding-calls/{call}/applications", application(other), 201)

    clock.set(date(2026, 4, 10))
    reviewed = post(
        api,
        f"/api/v1/funding-applications/{applied['id']}/review",
        {"decision": "approve", "amount": "40000"},
    )
    award = reviewed["award_id"]
    group_award = post(
        api,
        f"/api/v1/funding-applications/{by_group['id']}/review",
        {"decision": "approve", "amount": "30000"},
    )["award_id"]
    post(
        api,
        f"/api/v1/funding-applications/{rejected['id']}/review",
        {"decision": "reject", "reason": "与创投方向不符"},
    )

    recorded = get(api, f"/api/v1/funding-awards/{award}")
    assert recorded["rule_version"] == RULE
    assert recorded["call_id"] == call and recorded["application_id"] == applied["id"]
    assert recorded["snapshot"] == {
        "status": "registered",
        "credit": "A",
        "grade": 4,
        "grade_valid_until": "2031-03-02",
        "credit_lists": [],
        "host_status": None,
    }
    hosted_view = get(api, f"/api/v1/funding-awards/{group_award}")
    assert hosted_view["snapshot"]["status"] == "filed"
    assert hosted_view["snapshot"]["host_status"] == "registered"
    assert hosted_view["host_org_id"] == host

    post(
        api,
        f"/api/v1/funding-awards/{award}/disbursements",
        {"tranche": "首期", "amount": "20000"},
        201,
    )
    post(
        api,
        f"/api/v1/funding-awards/{group_award}/disbursements",
        {"tranche": "首期", "amount": "30000"},
        201,
    )
    post(
        api,
        f"/api/v1/funding-awards/{award}/evaluations",
        {"stage": "mid_term", "score": "84"},
        201,
    )
    post(
        api,
        f"/api/v1/funding-awards/{award}/disbursements",
        {"tranche": "二期", "amount": "15000"},
        201,
    )
    post(api, f"/api/v1/funding-awards/{award}/evaluations", {"stage": "final", "score": "85"}, 201)
    post(api, f"/api/v1/funding-awards/{award}/closure", {"reason": "结项验收"})

    view = get(api, f"/api/v1/funding-awards/{award}")
    grades = {e["stage"]: (e["grade"], e["rule_version"]) for e in view["evaluations"]}
    assert grades == {"mid_term": ("B", RULE), "final": ("A", RULE)}
    assert (view["final_grade"], view["released_fen"]) == ("A", 500000)

    totals = get(api, TOTALS)
    assert totals["applications"] == {"approved": 2, "rejected": 1}
    assert totals["budget_yuan"] == 100000
    assert totals["awarded_yuan"] == totals["awarded_through_call_yuan"] == 70000
    assert totals["disbursed_yuan"] == 65000
    assert totals["released_yuan"] == 5000
    assert totals["outstanding_yuan"] == 0
    assert totals["remaining_budget_yuan"] == 30000
    assert (totals["tranches"], totals["closed"]) == (3, 1)
    assert totals["grades"] == {"mid_term": {"B": 1}, "final": {"A": 1}}
    assert totals["reconciliation"]["reconciled"] is True
    assert totals["reconciliation"]["checks"]["disbursed_fen"] == {
        "event_store": 6500000,
        "read_model": 6500000,
    }
    county = get(api, f"/api/v1/reports/{COUNTY}")["figures"]["funding"]
    assert county["disbursed_yuan"] == totals["disbursed_yuan"]
    assert county["awarded_yuan"] == totals["awarded_yuan"]


def test_every_refusal_has_its_code(api: Api, clock: MovableClock) -> None:
    org = register(api, 21, "文昌志愿队")
    host = register(api, 22, "文昌社工站")
    group = filed_group(api, "互助小组")
    call = open_call(api, budget="60000")
    apply = f"/api/v1/funding-calls/{call}/applications"

    refused(
        api,
        "/api/v1/funding-calls",
        {
            "programme": "micro_venture",
            "round": "2026",
            "title": "x",
            "budget": "1",
            "deadline": "2026-03-31",
        },
        409,
        "call_exists",
    )
    refused(
        api, apply, {**application(org), "other_government_funding": True}, 409, "double_funding"
    )
    refused(api, apply, application(group), 422, "host_required")
    refused(api, apply, application(group, host_organisation_id=group), 409, "host_not_registered")
    not_host = filed_group(api, "舞蹈队")
    refused(
        api, apply, application(group, host_organisation_id=not_host), 409, "host_not_registered"
    )
    first = post(api, apply, application(org), 201)
    refused(api, apply, application(org, "另一个项目"), 409, "already_applied_in_round")
    hosted = post(api, apply, application(group, "助老餐桌", host_organisation_id=host), 201)

    review = "/api/v1/funding-applications/{}/review"
    refused(
        api,
        review.format(first["id"]),
        {"decision": "approve", "amount": "50001"},
        409,
        "exceeds_requested",
    )
    refused(api, review.format(first["id"]), {"decision": "reject"}, 422, "reason_required")
    award = post(api, review.format(first["id"]), {"decision": "approve", "amount": "50000"})[
        "award_id"
    ]
    refused(
        api,
        review.format(first["id"]),
        {"decision": "reject", "reason": "x"},
        409,
        "already_decided",
    )
    refused(
        api,
        review.format(hosted["id"]),
        {"decision": "approve", "amount": "10001"},
        409,
        "over_budget",
    )

    # a direct award in the same programme and round counts as the organisation's project
    other = register(api, 23, "南门读书会")
    post(
        api,
        f"/api/v1/organisations/{other}/funding-awards",
        {"programme": "micro_venture", "round": "2026", "project": "读书", "amount": "1000"},
        201,
    )
    refused(api, apply, application(other), 409, "already_funded_in_round")

    # on a credit list: ineligible at review
    listed = register(api, 24, "失联协会")
    late = post(api, apply, application(listed), 201)
    post(
        api,
        f"/api/v1/organisations/{listed}/credit-triggers",
        {"trigger": "unreachable", "reason": "失联"},
        201,
    )
    refused(
        api,
        review.format(late["id"]),
        {"decision": "approve", "amount": "1000"},
        409,
        "ineligible_credit_list",
    )

    evaluate = f"/api/v1/funding-awards/{award}/evaluations"
    refused(
        api,
        f"/api/v1/funding-awards/{award}/closure",
        {"reason": "结项"},
        409,
        "final_evaluation_required",
    )
    refused(api, evaluate, {"stage": "final", "score": "101"}, 422, "score_out_of_range")
    post(api, evaluate, {"stage": "final", "score": "59"}, 201)
    refused(api, evaluate, {"stage": "final", "score": "70"}, 409, "already_evaluated")
    refused(api, evaluate, {"stage": "mid_term", "score": "70"}, 409, "final_already_evaluated")
    post(api, f"/api/v1/funding-awards/{award}/closure", {"reason": "结项"})
    tranche = {"tranche": "首期", "amount": "100"}
    refused(api, f"/api/v1/funding-awards/{award}/disbursements", tranche, 409, "award_closed")
    refused(
        api, f"/api/v1/funding-awards/{award}/closure", {"reason": "again"}, 409, "award_closed"
    )

    # No governance work in the last twelve months: the shipped rule refuses the application.
    idle = register(api, 26, "新成立协会", governance_work=False)
    refused(api, apply, application(idle), 409, "governance_participation_required")

    post(api, f"/api/v1/funding-calls/{call}/closure", {"reason": "征集结束"})
    refused(api, apply, application(register(api, 25, "新协会")), 409, "call_closed")
    assert get(api, f"/api/v1/funding-awards/{award}")["final_grade"] == "C"


def test_deadline_and_retries(api: Api, clock: MovableClock) -> None:
    org = register(api, 31, "文昌志愿队")
    call = open_call(api)
    apply = f"/api/v1/funding-calls/{call}/applications"
    clock.set(date(2026, 4, 1))
    refused(api, apply, application(org), 409, "call_deadline_passed")
    clock.set(date(2026, 3, 31))
    headers = api.auth(county_op(), key="apply-1")
    first = api.county.post(apply, json=application(org), headers=headers)
    again = api.county.post(apply, json=application(org), headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json()["replayed"] is True and again.json()["id"] == first.json()["id"]


def test_the_calls_list_their_applications(api: Api) -> None:
    org = register(api, 31, "文昌志愿队")
    call = open_call(api)
    applied = post(api, f"/api/v1/funding-calls/{call}/applications", application(org), 201)
    (listed,) = get(api, "/api/v1/funding-calls")["calls"]
    assert listed["call_id"] == call and listed["budget_yuan"] == 100000.0
    assert listed["programme"] == "micro_venture" and listed["closed_on"] is None
    (one,) = listed["applications"]
    assert one["application_id"] == applied["id"] and one["name"] == "文昌志愿队"
    assert one["state"] == "submitted" and one["requested_yuan"] == 50000.0
    assert one["award_id"] is None
    refused = api.county.get("/api/v1/funding-calls", headers=api.auth(township_op()))
    assert refused.status_code in (401, 403)
