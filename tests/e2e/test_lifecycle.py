"""The operator journey across the three tier APIs, down to the reports each tier serves."""

from __future__ import annotations

from typing import Any

from shared.kernel.domain import Field
from shared.kernel.jurisdiction import Tier
from tests.helpers import (
    COUNTY,
    TOWNSHIP,
    VILLAGE,
    VILLAGE_2,
    Api,
    county_op,
    today_cst,
    township_op,
    usci,
    village_op,
)


def created(response: Any) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    return response.json()


def report(api: Api, client: Any, actor: Any, code: str) -> dict[str, Any]:
    response = client.get(f"/api/v1/reports/{code}", headers=api.auth(actor))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["division"]["code"] == code
    return body


def child(body: dict[str, Any], code: str) -> dict[str, Any]:
    (line,) = [c for c in body["children"] if c["code"] == code]
    return line["figures"]


def test_filed_group_to_registered_organisation_in_every_report(api: Api) -> None:
    today = today_cst().isoformat()
    v, t, c = village_op(), township_op(), county_op()

    application = created(
        api.village.post(
            "/api/v1/filing-applications",
            json={
                "village_code": VILLAGE,
                "name": "文昌舞蹈队",
                "field": "culture_sports",
                "founded_on": "2025-03-01",
            },
            headers=api.auth(v),
        )
    )
    org = application["organisation_id"]
    assert application["id"] == org and application["version"] == 1 and not application["replayed"]
    api.settle()

    decision = created(
        api.township.post(
            f"/api/v1/organisations/{org}/filing-decision",
            json={"decision": "filed"},
            headers=api.auth(t),
        )
    )
    assert decision["id"] == org
    api.settle()

    for figures in (
        {
            "participants": 20,
            "volunteers": 3,
            "volunteer_services": 3,
            "volunteer_hours": "6.5",
            "beneficiaries": 50,
            "money_spent": "120.50",
        },
        {
            "participants": 10,
            "volunteers": 2,
            "volunteer_services": 4,
            "volunteer_hours": "1.25",
            "beneficiaries": 5,
            "money_spent": "79.50",
        },
    ):
        activity = created(
            api.village.post(
                f"/api/v1/organisations/{org}/activities",
                json={"occurred_on": today, "field": "culture_sports", **figures},
                headers=api.auth(v),
            )
        )
        assert activity["organisation_id"] == org and activity["id"] != org
    api.settle()

    new = created(
        api.county.post(
            "/api/v1/registrations",
            json={
                "usci": usci(1, "2"),
                "name": "南门社工服务中心",
                "field": "charity",
                "village_code": VILLAGE_2,
            },
            headers=api.auth(c),
        )
    )
    upgrade = created(
        api.county.post(
            "/api/v1/registrations",
            json={
                "usci": usci(2, "1").lower(),
                "name": "文昌舞蹈协会",
                "field": "culture_sports",
                "organisation_id": org,
            },
            headers=api.auth(c),
        )
    )
    assert upgrade["id"] == org and new["id"] != org
    api.settle()

    county = report(api, api.county, c, COUNTY)
    figures = county["figures"]
    assert figures["organisations"] == {
        "active": 2,
        "registered": 2,
        "filed": 0,
        "urban": 2,
        "rural": 0,
        "by_field": {f.value: int(f.value in ("culture_sports", "charity")) for f in Field},
        "by_legal_form": {
            "social_group": 1,
            "private_non_enterprise": 1,
            "foundation": 0,
            "other": 0,
            "filed_group": 0,
        },
        "new_in_period": 2,
        "exited_in_period": 0,
    }
    assert figures["activity"] == {
        "activities": 2,
        "active_organisations": 1,
        "participants": 30,
        "volunteers": 5,
        "volunteer_services": 7,
        "volunteer_hours": 7.75,
        "beneficiaries": 55,
        "money_spent_yuan": 200.0,
        "cases_taken": 0,
        "cases_resolved": 0,
        "cases_resolution_rate": None,
        # No activity listed registered volunteers (ADR 0021).
        "distinct_volunteers": 0,
        "listed_volunteer_services": 0,
        "services_per_distinct_volunteer": None,
    }
    assert figures["zombies"]["count"] == 0
    assert figures["density"]["villages"] == 26 and figures["density"]["meeting_standard"] == 0
    assert county["as_of"] == today and county["period"] == {
        "from": today[:4] + "-01-01",
        "to": today,
        "label": "YTD",
    }
    assert county["watermarks"] == {
        name: head for name, head in ((str(k), h) for k, h in api.heads().items())
    }
    assert len(county["children"]) == 5
    assert [
        line["code"] for line in county["children"] if line["figures"]["organisations"]["active"]
    ] == [TOWNSHIP]

    township = report(api, api.township, t, TOWNSHIP)
    assert township["figures"] == child(county, TOWNSHIP)
    assert len(township["children"]) == 6

    village = report(api, api.village, v, VILLAGE)
    assert village["figures"] == child(township, VILLAGE)
    (organisation,) = village["children"]
    assert organisation["org_id"] == org and organisation["kind"] == "organisation"
    assert organisation["figures"]["organisations"]["active"] == 1
    assert village["figures"]["organisations"]["active"] == 1
    assert village["figures"]["activity"]["activities"] == 2
    neighbour = report(api, api.village, village_op(VILLAGE_2), VILLAGE_2)
    assert neighbour["figures"] == child(township, VILLAGE_2)
    assert neighbour["figures"]["organisations"]["by_legal_form"]["private_non_enterprise"] == 1
    assert sum(neighbour["figures"]["organisations"]["by_legal_form"].values()) == 1
    assert neighbour["figures"]["activity"]["activities"] == 0

    detail = api.village.get(f"/api/v1/organisations/{org}", headers=api.auth(v))
    assert detail.status_code == 200
    row = detail.json()
    assert (row["usci"], row["legal_form"], row["name"]) == (
        usci(2, "1"),
        "social_group",
        "文昌舞蹈协会",
    )
    assert (row["filed_on"], row["registered_on"]) == (today, today)
    assert row["filing_number"].startswith("BA" + VILLAGE)


def test_readiness_reports_positions(api: Api) -> None:
    response = api.village.post(
        "/api/v1/filing-applications",
        json={
            "village_code": VILLAGE,
            "name": "读书会",
            "field": "other",
            "founded_on": "2025-03-01",
        },
        headers=api.auth(village_op()),
    )
    assert response.status_code == 201
    api.settle()
    ready = api.county.get("/ready").json()
    assert ready["status"] == "ready"
    head = api.heads()[Tier.VILLAGE]  # the accounts' events, then the application
    assert ready["projector_positions"]["village"] == head
    village_ready = api.village.get("/ready").json()
    assert village_ready["store_head"] == head
    assert 0 <= village_ready["relay_lag"] <= 1  # the relay records its position after the ack
    assert api.township.get("/health").json() == {"status": "ok", "tier": "township"}


def test_a_rating_that_rates_nothing_is_refused_and_records_nothing(api: Api) -> None:
    from tests.helpers import usci

    org = api.county.post(
        "/api/v1/registrations",
        json={"usci": usci(7), "name": "空评测试", "field": "services", "village_code": VILLAGE},
        headers=api.auth(county_op()),
    )
    assert org.status_code == 201, org.text
    before = api.heads()
    empty = api.county.post(
        f"/api/v1/organisations/{org.json()['organisation_id']}/ratings",
        json={},
        headers=api.auth(county_op()),
    )
    assert empty.status_code == 422 and empty.json()["error"]["code"] == "rating_empty"
    assert "请至少填写" in empty.json()["error"]["message_zh"]
    assert api.heads() == before
