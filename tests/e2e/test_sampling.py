"""Random inspection sampling through the HTTP API (ADR 0010): the county draws, townships
inspect the drawn organisations with two inspectors, the results reach the report and the
list of draws, and an auditor reproduces the draw (a tampered record does not)."""

from __future__ import annotations

from typing import Any

from tests.helpers import COUNTY, VILLAGE, Api, county_op, township_op, usci

RURAL = "330699101000"  # another township


def _post(api: Api, client: Any, actor: Any, path: str, body: dict[str, Any]) -> Any:
    response = client.post(path, json=body, headers=api.auth(actor))
    api.settle()
    return response


def test_draw_inspect_report_and_reproduce(api: Api) -> None:
    c, t = county_op(), township_op()
    for i in range(1, 35):  # 34 registered: ceil(3% × 34) = 2 drawn
        body = {"usci": usci(i), "name": f"组织{i}", "field": "services", "village_code": VILLAGE}
        assert _post(api, api.county, c, "/api/v1/registrations", body).status_code == 201
    year = api.platform.tiers[next(iter(api.platform.tiers))].app.clock().year
    made = _post(api, api.county, c, "/api/v1/sample-draws", {"year": year, "seed": "2026-县抽"})
    assert made.status_code == 201, made.text
    draw_id, selected = made.json()["id"], made.json()["selected"]
    assert len(selected) == 2
    again = _post(api, api.county, c, "/api/v1/sample-draws", {"year": year})
    assert (again.status_code, again.json()["error"]["code"]) == (409, "draw_exists")
    bad = _post(api, api.county, c, "/api/v1/sample-draws", {"year": year, "supplementary": True})
    assert (bad.status_code, bad.json()["error"]["code"]) == (422, "size_required")
    outside = _post(
        api, api.township, t, "/api/v1/sample-draws", {"year": year, "division_code": RURAL}
    )
    assert (outside.status_code, outside.json()["error"]["code"]) == (403, "out_of_jurisdiction")

    path = f"/api/v1/organisations/{selected[0]}/inspections"
    one = {"result": "compliant", "inspectors": ["张"], "draw_id": draw_id}
    refused = _post(api, api.township, t, path, one)
    assert (refused.status_code, refused.json()["error"]["code"]) == (422, "too_few_inspectors")
    two = {**one, "result": "rectification_ordered", "inspectors": ["张", "李"]}
    assert _post(api, api.township, t, path, two).status_code == 201

    report = api.county.get(
        f"/api/v1/reports/{COUNTY}", params={"period": str(year)}, headers=api.auth(c)
    ).json()["figures"]["supervision"]
    assert report["sampled"] == 2 and report["sampled_inspected"] == 1
    assert report["sampling_completion_rate"] == 0.5
    assert report["sampled_rectification_ordered"] == 1 and report["sampled_compliant"] == 0
    listed = api.township.get("/api/v1/sample-draws", headers=api.auth(t)).json()["draws"]
    assert [(d["draw_id"], d["progress"]["drawn"], d["progress"]["inspected"]) for d in listed] == [
        (draw_id, 2, 1)
    ]

    record = api.township.get(f"/api/v1/sample-draws/{draw_id}", headers=api.auth(t)).json()
    assert record["rule_version"] == "sampling/2017-3pct/v1"
    assert record["record"]["seed"] == "2026-县抽" and len(record["record"]["population"]) == 34
    check = api.county.get(f"/api/v1/sample-draws/{draw_id}/reproduction", headers=api.auth(c))
    assert check.json()["reproduced"] is True, check.text
    audit = api.county.post(
        "/api/v1/sample-draws/reproduction", json={"record": record}, headers=api.auth(c)
    )
    assert audit.json()["reproduced"] is True
    tampered = {**record["record"], "selected": list(reversed(record["record"]["selected"]))}
    caught = api.county.post(
        "/api/v1/sample-draws/reproduction",
        json={"record": {**record, "record": tampered}},
        headers=api.auth(c),
    ).json()
    assert caught["reproduced"] is False and caught["checks"]["selection"] is False
