"""Commands dated before the first version of the rule they need (issue 12 item 4): each is
refused with 409 ``rule_not_in_force`` naming the family and the day, Chinese first, and
records nothing — never a 500. The county's clock stands on 2015-06-30, before every family."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from tests.helpers import COUNTY, Api, MovableClock, county_op

DAY = "2015-06-30"


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock(date(2015, 6, 30))


def refused(api: Api, method: str, path: str, body: dict[str, Any], family: str) -> None:
    before = api.heads()
    send = getattr(api.county, method)
    kw = {"json": body} if method == "post" else {}
    response = send(path, headers=api.auth(county_op()), **kw)
    assert response.status_code == 409, response.text
    error = response.json()["error"]
    assert error["code"] == "rule_not_in_force"
    assert error["message"].startswith(f"{DAY} 没有生效的 {family} 规则版本"), error
    assert api.heads() == before  # nothing recorded


def test_commands_needing_a_rule_not_yet_in_force_answer_409(api: Api) -> None:
    org = api.registered(21)  # registration needs no rule
    refused(
        api,
        "post",
        f"/api/v1/organisations/{org}/credit-triggers",
        {"trigger": "missed_annual_report", "reason": "年报未报送"},
        "credit",
    )
    refused(api, "post", f"/api/v1/organisations/{org}/ratings", {"grade": 3}, "evaluation")
    call = {
        "programme": "micro_venture",
        "round": "2015",
        "title": "2015年度微公益创投",
        "budget": "100000",
        "deadline": "2015-09-30",
    }
    made = api.county.post("/api/v1/funding-calls", json=call, headers=api.auth(county_op()))
    assert made.status_code == 201, made.text  # a call needs no rule; its decisions do
    api.settle()
    application = {
        "organisation_id": org,
        "project": "邻里守望",
        "requested": "50000",
        "other_government_funding": False,
    }
    applied = api.county.post(
        f"/api/v1/funding-calls/{made.json()['id']}/applications",
        json=application,
        headers=api.auth(county_op()),
    )
    assert applied.status_code == 201, applied.text
    api.settle()
    review = f"/api/v1/funding-applications/{applied.json()['id']}/review"
    refused(api, "post", review, {"decision": "approve", "amount": "1000"}, "funding")
    refused(api, "post", "/api/v1/sample-draws", {"year": 2015, "seed": "s"}, "sampling")
    refused(api, "get", f"/api/v1/zombie-exit/dry-run?division={COUNTY}", {}, "zombie_exit")
    # Issuing a report is no command that needs a rule: it is issued with the figures withheld.
    issued = api.county.post(
        f"/api/v1/reports/{COUNTY}/issue?as_of={DAY}",
        json={"title": "2015年报表"},
        headers=api.auth(county_op()),
    )
    assert issued.status_code == 201, issued.text
    assert issued.json()["report"]["not_applicable"]
    # The timers find nothing due; they do not fail.
    due = api.county.post("/api/v1/supervision/run-due", json={}, headers=api.auth(county_op()))
    assert due.status_code == 200, due.text
