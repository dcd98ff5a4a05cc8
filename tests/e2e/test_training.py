"""Training courses (issue 16, ADR 0024): the county and a township run courses, record
attendance by organisation, correct and cancel; hostile input is refused with nothing recorded;
the figures count at every tier and county = Σ townships (+ the county's own courses)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.e2e.test_activity_themes import _group, _report
from tests.helpers import (
    COUNTY,
    HISTORY_BACKDATE_DAYS,
    RURAL_TOWNSHIP,
    RURAL_VILLAGE,
    TOWNSHIP,
    VILLAGE,
    Api,
    county_op,
    today_cst,
    township_op,
    village_op,
)


@pytest.fixture
def backdate_days() -> int:
    return HISTORY_BACKDATE_DAYS


def _course(api: Api, client: Any, actor: Any, **body: Any) -> Any:
    course = {
        "topic": "社区社会组织负责人培训",
        "kind": "leaders",
        "starts_on": "2022-03-01",
        "ends_on": "2022-03-02",
        "trainer": "县社会组织服务中心",
        "effective_on": "2022-03-02",
        **body,
    }
    return client.post("/api/v1/training-courses", json=course, headers=api.auth(actor))


def _attend(api: Api, client: Any, actor: Any, course: str, org: str, n: int, **kw: Any) -> Any:
    path = f"/api/v1/training-courses/{course}/attendance"
    body = {"organisation_id": org, "trainees": n, "effective_on": "2022-03-02", **kw}
    if "reason" in kw:
        path += "-correction"
    return client.post(path, json=body, headers=api.auth(actor))


def _training(api: Api, client: Any, actor: Any, code: str) -> tuple[int, int, int]:
    t = _report(api, client, actor, code)["figures"]["training"]
    return t["courses_held"], t["trainees"], t["organisations_reached"]


def test_courses_attendance_refusals_and_figures(api: Api) -> None:
    a = _group(api, VILLAGE, "文昌调解队")
    c = _group(api, RURAL_VILLAGE, "青溪调解队")
    county, township = api.county, api.township
    r = _course(api, county, county_op())
    assert r.status_code == 201, r.text
    k1 = str(r.json()["id"])
    r = _course(api, township, township_op(), kind="core_staff", topic="业务骨干培训")
    assert r.status_code == 201, r.text
    k2 = str(r.json()["id"])
    ahead = today_cst() + timedelta(days=30)
    r = _course(api, county, county_op(), starts_on=ahead.isoformat(), ends_on=ahead.isoformat(),
                effective_on=None)  # fmt: skip
    assert r.status_code == 201, r.text  # announced ahead of time
    k3 = str(r.json()["id"])
    api.settle()

    heads = api.heads()
    far = (today_cst() + timedelta(days=400)).isoformat()
    unknown = "00000000-0000-4000-8000-000000000000"
    refusals = [
        (_course(api, county, county_op(), ends_on="2022-02-28"), 422, "course_dates_reversed"),
        (_course(api, county, county_op(), kind="cooking"), 422, "unknown_course_kind"),
        (_course(api, county, county_op(), starts_on=far, ends_on=far, effective_on=None),
         422, "course_too_far_ahead"),
        (_course(api, county, county_op(), trainees=3), 422, None),  # unknown field
        (_course(api, api.village, village_op()), 403, "wrong_tier"),
        (_course(api, township, township_op(), division_code=RURAL_TOWNSHIP), 403, None),
        (_course(api, county, county_op(), platform_id=unknown), 404, "unknown_platform"),
        (_attend(api, county, county_op(), k1, unknown, 1), 404, "unknown_organisation"),
        (_attend(api, township, township_op(), k2, c, 1), 403, None),
        (_attend(api, township, township_op(), k1, a, 1), 403, "out_of_jurisdiction"),
        (_attend(api, county, county_op(), k1, a, 0), 422, None),
        (_attend(api, county, county_op(), k1, a, -2), 422, None),
        (_attend(api, county, county_op(), k3, a, 1, effective_on=None), 409,
         "course_not_started"),
        (_attend(api, county, county_op(), k1, a, 1, reason="更正"), 404, "unknown_attendance"),
        (_attend(api, county, county_op(), unknown, a, 1), 404, "unknown_course"),
    ]  # fmt: skip
    for r, status, code in refusals:
        assert r.status_code == status, r.text
        error = r.json()["error"]
        if code:
            assert error["code"] == code, r.text
        assert any("\u4e00" <= ch <= "\u9fff" for ch in error["message_zh"])
    assert api.heads() == heads, "a refused request records nothing"

    for client, actor, course, org, n in (
        (county, county_op(), k1, a, 3),
        (county, county_op(), k1, c, 2),
        (township, township_op(), k2, a, 4),
    ):
        r = _attend(api, client, actor, course, org, n, roles=["负责人"])
        assert r.status_code == 201, r.text
    r = _attend(api, county, county_op(), k1, a, 1)
    assert (r.status_code, r.json()["error"]["code"]) == (409, "attendance_exists")
    api.settle()

    # A county course's attendees count where they are; its course counts at the county.
    assert _training(api, county, county_op(), COUNTY) == (2, 9, 2)
    assert _training(api, township, township_op(), TOWNSHIP) == (1, 7, 1)
    assert _training(api, township, township_op(RURAL_TOWNSHIP), RURAL_TOWNSHIP) == (0, 2, 1)
    assert _training(api, api.village, village_op(), VILLAGE) == (0, 7, 1)

    # Corrections are new events: 青溪 did not attend after all; the township's course was
    # recorded in error. The figures move at every tier.
    r = _attend(api, county, county_op(), k1, c, 0, reason="未实际参加")
    assert r.status_code == 200, r.text
    r = township.post(f"/api/v1/training-courses/{k2}/cancellation",
                      json={"reason": "录入错误"}, headers=api.auth(township_op()))  # fmt: skip
    assert r.status_code == 200, r.text
    r = _attend(api, township, township_op(), k2, a, 1)
    assert (r.status_code, r.json()["error"]["code"]) == (409, "course_cancelled")
    api.settle()
    assert _training(api, county, county_op(), COUNTY) == (1, 3, 1)
    assert _training(api, township, township_op(RURAL_TOWNSHIP), RURAL_TOWNSHIP) == (0, 0, 0)
    r = county.get(f"/api/v1/reconciliation/{COUNTY}?period=2022", headers=api.auth(county_op()))
    assert r.status_code == 200 and r.json()["ok"], r.text

    # The township sees the county's course with its own organisations' attendance only.
    r = township.get(f"/api/v1/training-courses/{k1}", headers=api.auth(township_op()))
    assert r.status_code == 200, r.text
    assert [x["org_id"] for x in r.json()["attendance"]] == [a]
    r = county.get("/api/v1/training-courses?period=2022", headers=api.auth(county_op()))
    rows = {x["course_id"]: x for x in r.json()["courses"]}
    assert rows[k1]["trainees"] == 3 and rows[k2]["cancelled_on"] is not None
