"""The two list filters the township's worklist needs from the API (issue 13): organisations
by state, and inspections with their rectification still open."""

from __future__ import annotations

from typing import Any

from tests.console.test_township import apply, filed, ok
from tests.helpers import RURAL_TOWNSHIP, RURAL_VILLAGE, Api, county_op, township_op


def names(api: Api, state: str, actor: Any = None) -> list[str]:
    answer = api.township.get(
        "/api/v1/organisations", params={"state": state}, headers=api.auth(actor or township_op())
    )
    return sorted(o["name"] for o in ok(answer, 200)["organisations"])


def test_organisations_are_listed_by_state(api: Api) -> None:
    apply(api, "待定合唱团")
    filed(api, "已备案书画社")
    rejected = apply(api, "不予备案舞蹈队")
    ok(
        api.township.post(
            f"/api/v1/organisations/{rejected}/filing-decision",
            json={"decision": "rejected", "reason": "名称重复"},
            headers=api.auth(township_op()),
        )
    )
    apply(api, "青溪舞蹈队", RURAL_VILLAGE)
    api.settle()
    assert names(api, "pending") == ["待定合唱团"]
    assert names(api, "filed") == ["已备案书画社"]
    assert names(api, "rejected") == ["不予备案舞蹈队"]
    assert names(api, "registered") == [] and names(api, "exited") == []
    # Only within the account's division: the other township's application is its own.
    assert names(api, "pending", township_op(RURAL_TOWNSHIP)) == ["青溪舞蹈队"]
    everything = ok(api.township.get("/api/v1/organisations", headers=api.auth(township_op())), 200)
    assert len(everything["organisations"]) == 3
    wrong = api.township.get(
        "/api/v1/organisations", params={"state": "lost"}, headers=api.auth(township_op())
    )
    assert wrong.status_code == 422


def test_inspections_are_listed_with_their_rectification_state(api: Api) -> None:
    org = filed(api, "已备案书画社")
    headers = api.auth(township_op())
    recorded = ok(
        api.township.post(
            f"/api/v1/organisations/{org}/inspections",
            json={"result": "rectification_ordered", "inspectors": ["张三", "李四"]},
            headers=headers,
        )
    )
    ok(
        api.township.post(
            f"/api/v1/organisations/{org}/inspections",
            json={"result": "compliant", "inspectors": ["张三", "李四"]},
            headers=headers,
        )
    )
    api.settle()

    def listed(state: str | None = None, actor: Any = None) -> list[dict[str, Any]]:
        params = {"state": state} if state else {}
        h = api.auth(actor) if actor else headers
        rows = ok(api.township.get("/api/v1/inspections", params=params, headers=h), 200)
        return list(rows["inspections"])

    assert len(listed()) == 2
    (open_,) = listed("open")
    assert open_["inspection_id"] == recorded["id"] and open_["name"] == "已备案书画社"
    assert open_["result"] == "rectification_ordered" and open_["inspected_on"]
    assert listed("rectified") == []
    assert listed(actor=township_op(RURAL_TOWNSHIP)) == []
    ok(
        api.township.post(
            f"/api/v1/inspections/{recorded['id']}/rectification-completed",
            json={},
            headers=headers,
        ),
        200,
    )
    api.settle()
    assert listed("open") == [] and [r["inspection_id"] for r in listed("rectified")] == [
        recorded["id"]
    ]
    # Another township's division is refused; the county reads both.
    other = api.township.get(
        "/api/v1/inspections", params={"division": RURAL_TOWNSHIP}, headers=headers
    )
    assert other.status_code == 403
    county = api.county.get("/api/v1/inspections", headers=api.auth(county_op()))
    ids = {r["inspection_id"] for r in ok(county, 200)["inspections"]}
    assert ids == {r["inspection_id"] for r in listed()}
