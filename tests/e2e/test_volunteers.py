"""Volunteers as people (issue 14, ADR 0021): a village's register of pseudonymous volunteer
numbers, activities listing who served, and the distinct people mobilised over a period counted
at every tier, reconciled (county = Σ townships = Σ villages) and exported."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from tests.e2e.test_activity_themes import _activity, _group, _report
from tests.helpers import (
    COUNTY,
    HISTORY_BACKDATE_DAYS,
    RURAL_TOWNSHIP,
    RURAL_VILLAGE,
    TOWNSHIP,
    VILLAGE,
    VILLAGE_2,
    Api,
    county_op,
    township_op,
    village_op,
)


@pytest.fixture
def backdate_days() -> int:
    return HISTORY_BACKDATE_DAYS


def _register(api: Api, village: str, number: str, actor: Any = None) -> Any:
    return api.village.post(
        "/api/v1/volunteers",
        json={"village_code": village, "volunteer_id": number, "effective_on": "2021-02-01"},
        headers=api.auth(actor or village_op(village)),
    )


def _people(report: dict[str, Any]) -> tuple[int, int]:
    a = report["figures"]["activity"]
    return a["distinct_volunteers"], a["listed_volunteer_services"]


def test_volunteers_registered_refused_and_counted_as_people(api: Api) -> None:
    a = _group(api, VILLAGE, "文昌志愿服务队")
    b = _group(api, VILLAGE_2, "南门志愿服务队")
    c = _group(api, RURAL_VILLAGE, "青溪志愿服务队")
    for village, numbers in (
        (VILLAGE, ("V001", "V002", "V003")),
        (VILLAGE_2, ("V001", "V002")),  # the same numbers in another village: other people
        (RURAL_VILLAGE, ("QX-1",)),
    ):
        for number in numbers:
            r = _register(api, village, number)
            assert r.status_code == 201, r.text

    heads = api.heads()
    refusals = [
        (_register(api, VILLAGE, "V001"), 409, "volunteer_exists"),
        (_register(api, VILLAGE, "13800138000"), 422, "volunteer_id_personal"),
        (_register(api, VILLAGE, "V 1"), 422, None),
        (_register(api, VILLAGE_2, "V009", village_op(VILLAGE)), 403, None),
        (_activity(api, a, VILLAGE, occurred_on="2022-03-01", participants=1,
                   volunteer_ids=["V009"]), 409, "unknown_volunteer"),
        # V001 of VILLAGE_2 is not VILLAGE's: listed on VILLAGE_2's... the other way round
        (_activity(api, c, RURAL_VILLAGE, occurred_on="2022-03-01", participants=1,
                   volunteer_ids=["V001"]), 409, "unknown_volunteer"),
        (_activity(api, a, VILLAGE, occurred_on="2022-03-01", participants=1,
                   volunteer_ids=["V001", "V001"]), 422, "duplicate_volunteer"),
        (_activity(api, a, VILLAGE, occurred_on="2022-03-01", participants=1, volunteers=1,
                   volunteer_ids=["V001", "V002"]), 422, "volunteer_ids_exceed_volunteers"),
    ]  # fmt: skip
    for r, status, code in refusals:
        assert r.status_code == status, r.text
        error = r.json()["error"]
        if code:
            assert error["code"] == code
        assert any("\u4e00" <= ch <= "\u9fff" for ch in error["message_zh"])
    assert api.heads() == heads, "a refused request records nothing"

    # 2022: V001 twice and V002 once in VILLAGE (2 people, 3 services); V001, V002 of VILLAGE_2
    # (2 more people); QX-1 in the rural village; one activity lists nobody. 2023: V003 only.
    for org, village, day, ids in (
        (a, VILLAGE, "2022-03-01", ["V001", "V002"]),
        (a, VILLAGE, "2022-05-01", ["V001"]),
        (a, VILLAGE, "2022-06-01", []),
        (b, VILLAGE_2, "2022-07-01", ["V001", "V002"]),
        (c, RURAL_VILLAGE, "2022-08-01", ["QX-1"]),
        (a, VILLAGE, "2023-02-01", ["V003"]),
    ):
        # 疫情防控 on the activities of March and July 2022 (ADR 0019): by theme too.
        themes = ["epidemic_prevention"] if day in ("2022-03-01", "2022-07-01") else []
        r = _activity(
            api, org, village, occurred_on=day, participants=5, volunteer_ids=ids, themes=themes
        )
        assert r.status_code == 201, r.text
    api.settle()

    county = _report(api, api.county, county_op(), COUNTY)
    assert _people(county) == (5, 6)
    activity = county["figures"]["activity"]
    assert activity["volunteers"] == 10  # the 人数 stated on the five activities of 2022 (2 each)
    assert activity["services_per_distinct_volunteer"] == round(6 / 5, 4)
    assert _people(_report(api, api.county, county_op(), COUNTY, "period=2023")) == (1, 1)
    # Volunteers mobilised for 疫情防控: V001, V002 of each of the two villages.
    by_theme = {row["code"]: row["figures"] for row in county["by_theme"]}
    assert by_theme["epidemic_prevention"]["distinct_volunteers"] == 4
    assert by_theme["mediation"]["distinct_volunteers"] == 0
    # Over both years V001 of VILLAGE is still one person.
    both = "from=2022-01-01&to=2023-12-31&as_of=2023-12-31"
    assert _people(_report(api, api.county, county_op(), COUNTY, both)) == (6, 7)

    # County = Σ townships = Σ villages, each tier from its own read model.
    townships = [_people(_report(api, api.township, township_op(t), t))
                 for t in (TOWNSHIP, RURAL_TOWNSHIP)]  # fmt: skip
    villages = [_people(_report(api, api.village, village_op(v), v))
                for v in (VILLAGE, VILLAGE_2, RURAL_VILLAGE)]  # fmt: skip
    assert villages == [(2, 3), (2, 2), (1, 1)]
    assert [sum(t[i] for t in townships) for i in (0, 1)] == [5, 6]
    assert [sum(v[i] for v in villages) for i in (0, 1)] == [5, 6]
    r = api.county.get(
        f"/api/v1/reconciliation/{COUNTY}?period=2022", headers=api.auth(county_op())
    )
    assert r.status_code == 200 and r.json()["mismatches"] == [], r.text

    # The registers, listed at the county (paged) and refused outside an operator's division.
    r = api.county.get(
        f"/api/v1/volunteers?division={COUNTY}&limit=4", headers=api.auth(county_op())
    )
    assert r.status_code == 200, r.text
    listed = r.json()["volunteers"]
    assert len(listed) == 4 and set(listed[0]) == {
        "village_code",
        "volunteer_id",
        "registered_on",
        "left_on",
        "left_reason",
    }
    r = api.county.get(
        f"/api/v1/volunteers?division={COUNTY}&offset=4", headers=api.auth(county_op())
    )
    assert [v["volunteer_id"] for v in r.json()["volunteers"]] == ["V002", "QX-1"]
    r = api.village.get(
        f"/api/v1/volunteers?division={VILLAGE_2}", headers=api.auth(village_op(VILLAGE))
    )
    assert r.status_code == 403

    # The exports carry the figure with its Chinese name.
    r = api.county.get(
        f"/api/v1/reports/{COUNTY}/export.csv?period=2022", headers=api.auth(county_op())
    )
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    line = next(row for row in rows if any("参与志愿者（去重）" in cell for cell in row))
    assert "5" in line


def _move(api: Api, number: str, act: str, day: str, **body: Any) -> Any:
    return api.village.post(
        f"/api/v1/volunteers/{VILLAGE}/{number}/{act}",
        json={"effective_on": day, **body},
        headers=api.auth(village_op()),
    )


def test_a_volunteer_leaves_and_rejoins_the_register(api: Api) -> None:
    """Leaving (注销) refuses activities after it and keeps earlier ones counted; re-joining is
    a later event (ADR 0021 addendum)."""
    org = _group(api, VILLAGE, "文昌志愿服务队")
    for number in ("V001", "V002"):
        assert _register(api, VILLAGE, number).status_code == 201

    def served(day: str) -> Any:
        return _activity(api, org, VILLAGE, occurred_on=day, participants=1, volunteer_ids=["V001"])

    assert served("2022-03-01").status_code == 201
    assert _move(api, "V001", "leaving", "2022-04-01", reason="moved_away").status_code == 201
    assert _move(api, "V002", "leaving", "2022-04-01", reason="withdrew").status_code == 201
    heads = api.heads()
    refusals = [
        (served("2022-05-01"), 409, "volunteer_had_left"),
        (_move(api, "V001", "leaving", "2022-05-01", reason="other"), 409,
         "volunteer_already_left"),
        (_move(api, "V003", "leaving", "2022-05-01", reason="other"), 404, "unknown_volunteer"),
        (_move(api, "V001", "leaving", "2022-05-01", reason="姓名"), 422, None),
        (_move(api, "V001", "rejoining", "2022-04-01"), 409, "volunteer_rejoined_before_left"),
    ]  # fmt: skip
    for r, status, code in refusals:
        assert r.status_code == status, r.text
        assert code is None or r.json()["error"]["code"] == code
        assert any("\u4e00" <= ch <= "\u9fff" for ch in r.json()["error"]["message_zh"])
    assert api.heads() == heads, "a refused request records nothing"

    assert served("2022-03-15").status_code == 201  # dated before the leaving: still counts
    assert _move(api, "V001", "rejoining", "2022-06-01").status_code == 201
    assert _move(api, "V001", "rejoining", "2022-07-01").json()["error"]["code"] == (
        "volunteer_not_left"
    )
    assert served("2022-06-01").status_code == 201
    assert served("2022-05-01").status_code == 409  # the span away stays closed to activities
    api.settle()
    # V001 served before leaving and after re-joining: one person, three services.
    assert _people(_report(api, api.village, village_op(), VILLAGE)) == (1, 3)
    r = api.village.get(f"/api/v1/volunteers?division={VILLAGE}", headers=api.auth(village_op()))
    listed = {v["volunteer_id"]: (v["left_on"], v["left_reason"]) for v in r.json()["volunteers"]}
    assert listed == {"V001": (None, None), "V002": ("2022-04-01", "withdrew")}
