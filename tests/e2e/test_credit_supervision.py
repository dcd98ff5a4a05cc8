"""Credit-list supervision through the county's HTTP API (ADR 0007): trigger, notice,
objection, verified rectification over the Spring Festival, the timers run on demand with a
moved clock, the supervision figures before and after, and the refusals' codes."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

import pytest

from shared.kernel.domain import SYSTEM_ROLE
from shared.kernel.jurisdiction import Tier
from tests.helpers import (
    COUNTY,
    VILLAGE,
    Api,
    MovableClock,
    as_recorded,
    county_op,
    township_op,
    usci,
)


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock(date(2026, 1, 5))


def post(api: Api, path: str, body: dict[str, Any] | None = None, status: int = 200) -> Any:
    response = api.county.post(path, json=body or {}, headers=api.auth(county_op()))
    assert response.status_code == status, response.text
    api.settle()
    return response.json()


def abnormal_count(api: Api, as_of: str) -> int:
    response = api.county.get(
        f"/api/v1/reports/{COUNTY}", params={"as_of": as_of}, headers=api.auth(county_op())
    )
    assert response.status_code == 200, response.text
    return int(response.json()["figures"]["supervision"]["abnormal_list"])


def test_listing_objection_rectification_and_timer_through_the_api(
    api: Api, clock: MovableClock
) -> None:
    org = post(
        api,
        "/api/v1/registrations",
        {"usci": usci(7), "name": "文昌志愿队", "field": "services", "village_code": VILLAGE},
        201,
    )["id"]
    base = f"/api/v1/organisations/{org}/credit-lists/abnormal"
    post(
        api,
        f"/api/v1/organisations/{org}/credit-triggers",
        {"trigger": "missed_annual_report", "reason": "2024年度年报未报送"},
        201,
    )
    post(api, f"{base}/notices", {"document": "告知书〔2026〕3号"}, 201)
    post(api, f"{base}/objections", {"grounds": "已通过邮寄报送"}, 201)
    again = api.county.post(
        f"{base}/objections", json={"grounds": "x"}, headers=api.auth(county_op())
    )
    assert (again.status_code, again.json()["error"]["code"]) == (409, "objection_pending")
    post(api, f"{base}/objection-decision", {"upheld": False, "reason": "未收到邮件"})
    rated = api.county.post(
        f"/api/v1/organisations/{org}/ratings", json={"grade": 3}, headers=api.auth(county_op())
    )
    assert (rated.status_code, rated.json()["error"]["code"]) == (
        409,
        "grade_ineligible_credit_list",
    )

    clock.set(date(2026, 2, 11))  # the Wednesday before the Spring Festival holiday
    verified = post(api, f"{base}/rectification-verified")
    assert verified["removal_due"] == "2026-02-25"

    clock.set(date(2026, 2, 24))
    assert post(api, "/api/v1/supervision/run-due")["recorded"] == []
    clock.set(date(2026, 2, 25))
    done = post(api, "/api/v1/supervision/run-due")
    assert done["as_of"] == "2026-02-25"
    assert done["recorded"] == [
        {
            "organisation_id": org,
            "event": "leave",
            "credit_list": "abnormal",
            "reason": "rectification_verified",
            "effective_on": "2026-02-25",
            "rule_version": "credit/mca-60-2018/v1",
        }
    ]
    assert post(api, "/api/v1/supervision/run-due")["recorded"] == []
    assert abnormal_count(api, "2026-02-24") == 1
    assert abnormal_count(api, "2026-02-25") == 0

    timeline = api.county.get(
        f"/api/v1/organisations/{org}/timeline", headers=api.auth(county_op())
    ).json()
    removal = [e for e in timeline["events"] if e["type"].endswith("credit_list.left.v1")]
    assert removal[0]["rule_version"] == "credit/mca-60-2018/v1"
    # Recorded by the system under the rule, and the store keeps who asked for the run.
    county = api.platform.tiers[Tier.COUNTY].app
    [left] = [
        e
        for e in county.repository.event_store.get(UUID(org))
        if type(e).__name__ == "CreditListLeft"
    ]
    assert left.meta.actor.role == SYSTEM_ROLE and left.meta.triggered_by == as_recorded(
        county_op()
    )


def test_refusals(api: Api) -> None:
    org = post(
        api,
        "/api/v1/registrations",
        {"usci": usci(8), "name": "南门调解队", "field": "mediation", "village_code": VILLAGE},
        201,
    )["id"]
    before = api.heads()
    for path, body, status, code in [
        (
            f"/api/v1/organisations/{org}/credit-triggers",
            {"trigger": "rain", "reason": "x"},
            422,
            "unknown_trigger",
        ),
        (
            f"/api/v1/organisations/{org}/credit-lists/abnormal/notices",
            {"document": "x"},
            409,
            "not_on_list",
        ),
        (
            f"/api/v1/organisations/{org}/credit-lists/abnormal/rectification-verified",
            {},
            409,
            "not_on_list",
        ),
    ]:
        response = api.county.post(path, json=body, headers=api.auth(county_op()))
        assert (response.status_code, response.json()["error"]["code"]) == (status, code)
    township = api.county.post(
        "/api/v1/supervision/run-due", json={}, headers=api.auth(township_op())
    )
    assert township.status_code == 403
    assert api.heads() == before
