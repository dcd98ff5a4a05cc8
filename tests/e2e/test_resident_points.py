"""Resident points (积分制, issue 16 item 6, ADR 0027): off until a community turns it on;
points derived from the activities registered volunteers served at, under the rule version in
force on each activity's date with its caps; adjustments by hand with a reason; balances and a
ranking per community; figures that add up the tree, checked against sums worked out by hand
from the rule's numbers (an oracle sharing no code with the read side)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from shared.kernel.jurisdiction import Tier
from shared.kernel.rules import POINTS
from tests.e2e.test_activity_themes import _activity, _group
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
    envelopes_by_source,
    township_op,
    village_op,
)
from tests.oracle import oracle_points


@pytest.fixture
def backdate_days() -> int:
    return HISTORY_BACKDATE_DAYS


def _pilot(api: Api, village: str, state: str, day: str, actor: Any = None) -> Any:
    return api.village.post(
        f"/api/v1/points/communities/{village}/pilot/{state}",
        json={"effective_on": day},
        headers=api.auth(actor or village_op(village)),
    )


def _adjust(api: Api, village: str, actor: Any = None, key: str | None = None, **body: Any) -> Any:
    return api.village.post(
        f"/api/v1/points/communities/{village}/adjustments",
        json={"effective_on": "2022-05-01", "volunteer_id": "V002", "kind": "award",
              "points": 5, "reason": "调解邻里纠纷表现突出", **body},
        headers=api.auth(actor or village_op(village), key),
    )  # fmt: skip


def _get(api: Api, client: Any, actor: Any, path: str) -> Any:
    r = client.get(path, headers=api.auth(actor))
    assert r.status_code == 200, r.text
    return r.json()


def _figures(api: Api, client: Any, actor: Any, code: str, query: str = "period=2022") -> Any:
    return _get(api, client, actor, f"/api/v1/points/summary/{code}?{query}")


def test_points_pilot_ledger_ranking_and_figures(api: Api) -> None:
    a = _group(api, VILLAGE, "文昌调解队")
    b = _group(api, VILLAGE_2, "南门志愿队")
    c = _group(api, RURAL_VILLAGE, "青溪志愿队")
    for village, number in ((VILLAGE, "V001"), (VILLAGE, "V002"), (VILLAGE_2, "V001"),
                            (RURAL_VILLAGE, "QX-1")):  # fmt: skip
        r = api.village.post(
            "/api/v1/volunteers",
            json={"village_code": village, "volunteer_id": number, "effective_on": "2021-02-01"},
            headers=api.auth(village_op(village)),
        )
        assert r.status_code == 201, r.text

    # Off unless turned on: nothing to adjust, nothing to turn off.
    heads = api.heads()
    for r, status, code in [
        (_adjust(api, VILLAGE), 409, "points_pilot_off"),
        (_pilot(api, VILLAGE, "off", "2022-01-01"), 409, "points_pilot_off"),
        (_pilot(api, VILLAGE_2, "on", "2022-01-01", village_op(VILLAGE)), 403, None),
    ]:
        assert r.status_code == status, r.text
        assert code is None or r.json()["error"]["code"] == code
        assert any("\u4e00" <= ch <= "\u9fff" for ch in r.json()["error"]["message_zh"])
    assert api.heads() == heads

    for village in (VILLAGE, VILLAGE_2):
        assert _pilot(api, village, "on", "2022-01-01").status_code == 201
    heads = api.heads()
    refusals = [
        (_pilot(api, VILLAGE, "on", "2022-02-01"), 409, "points_pilot_already_on"),
        (_adjust(api, VILLAGE, volunteer_id="V009"), 409, "unknown_volunteer"),
        (_adjust(api, VILLAGE, volunteer_id="QX-1"), 409, "unknown_volunteer"),
        (_adjust(api, VILLAGE, effective_on="2021-12-31"), 409, "points_pilot_off"),
        (_adjust(api, VILLAGE, points=0), 422, "invalid_points"),
        (_adjust(api, VILLAGE, points=-3), 422, "invalid_points"),
        (_adjust(api, VILLAGE, points=51), 422, "invalid_points"),  # max_adjustment 50 (v1)
        (_adjust(api, VILLAGE, points=10**9), 422, "invalid_input"),
        (_adjust(api, VILLAGE, kind="gift"), 422, "invalid_input"),
        (_adjust(api, VILLAGE, reason=""), 422, "invalid_input"),
        (_adjust(api, VILLAGE, reason="\u200b"), 422, "invalid_text"),
        (_adjust(api, VILLAGE, volunteer_id="13800138000"), 422, "volunteer_id_personal"),
        (_adjust(api, VILLAGE_2, village_op(VILLAGE)), 403, "out_of_jurisdiction"),
        (_adjust(api, RURAL_VILLAGE), 409, "points_pilot_off"),
    ]
    r = api.village.post(
        f"/api/v1/points/communities/{VILLAGE}/adjustments",
        json={"volunteer_id": "V002", "kind": "award", "points": 5},  # no reason
        headers=api.auth(village_op()),
    )
    refusals.append((r, 422, "invalid_input"))
    assert [d["field"] for d in r.json()["error"]["details"]] == ["reason"]
    for r, status, code in refusals:
        assert r.status_code == status, r.text
        assert r.json()["error"]["code"] == code
        assert any("\u4e00" <= ch <= "\u9fff" for ch in r.json()["error"]["message_zh"])
    assert api.heads() == heads, "a refused request records nothing"

    # Activities: 2 volunteers and 4.5 hours unless stated (2 whole hours each). Rule v1:
    # 2 an activity + 1 an hour + 3 for 矛盾调解, at most 10 an activity and 30 a month.
    one = {"volunteers": 1, "volunteer_hours": "20"}  # 2 + 20 → 10 (the activity's cap)
    for org, village, day, ids, extra in (
        (a, VILLAGE, "2021-12-20", ["V001", "V002"], {}),  # before the pilot: nothing
        (a, VILLAGE, "2022-03-01", ["V001", "V002"], {"themes": ["mediation"]}),  # 7 each
        (a, VILLAGE, "2022-03-05", ["V001"], one),  # V001: 10 (17)
        (a, VILLAGE, "2022-03-10", ["V001"], one),  # V001: 10 (27)
        (a, VILLAGE, "2022-03-20", ["V001"], one),  # V001: 3, the month's cap of 30
        (a, VILLAGE, "2022-04-02", ["V001"], one),  # V001: a new month, 10
        (b, VILLAGE_2, "2022-04-01", ["V001"], {}),  # 4
        (c, RURAL_VILLAGE, "2022-04-01", ["QX-1"], {}),  # no pilot there: nothing
        (b, VILLAGE_2, "2022-07-01", ["V001"], {}),  # turned off from 2022-06-01: nothing
        # 2024, rule v2: 2 + 2 hours + 2 为老服务 + 5 矛盾调解 = 11 (cap 12).
        (a, VILLAGE, "2024-02-01", ["V002"], {"themes": ["elderly_care", "mediation"]}),
    ):
        r = _activity(api, org, village, occurred_on=day, participants=3, volunteer_ids=ids,
                      **extra)  # fmt: skip
        assert r.status_code == 201, r.text
    first = _adjust(api, VILLAGE, key="award-V002")  # V002 +5 on 2022-05-01
    again = _adjust(api, VILLAGE, key="award-V002")  # a retry records nothing more
    assert first.status_code == again.status_code == 201, again.text
    assert again.json()["replayed"] and again.json()["id"] == first.json()["id"]
    r = _adjust(api, VILLAGE, volunteer_id="V001", kind="deduction", points=4,
                reason="重复登记，予以更正", effective_on="2022-06-01")  # fmt: skip
    assert r.status_code == 201, r.text
    assert _pilot(api, VILLAGE_2, "off", "2022-06-01").status_code == 201
    heads = api.heads()
    for r, status, code in [
        (_pilot(api, VILLAGE_2, "off", "2022-07-01"), 409, "points_pilot_off"),
        (_pilot(api, VILLAGE_2, "on", "2022-05-01"), 409, "points_pilot_overlap"),
        (_adjust(api, VILLAGE_2, volunteer_id="V001", effective_on="2022-06-15"), 409,
         "points_pilot_off"),
    ]:  # fmt: skip
        assert r.status_code == status and r.json()["error"]["code"] == code, r.text
    assert api.heads() == heads
    api.settle()

    # The community's ranking for 2022, by number only: V001 30 + 10 − 4, V002 7 + 5.
    ranking = _get(
        api, api.village, village_op(), f"/api/v1/points/communities/{VILLAGE}?period=2022"
    )
    rows = [(v["volunteer_id"], v["earned"], v["awarded"], v["deducted"], v["points"], v["rank"])
            for v in ranking["volunteers"]]  # fmt: skip
    assert rows == [("V001", 40, 0, 4, 36, 1), ("V002", 7, 5, 0, 12, 2)]
    assert ranking["pilots"] == [{"started_on": "2022-01-01", "ended_on": None}]
    assert ranking["on"] is True and ranking["rule_version"] == "resident-points/county/v1"
    # 2024: V002 earns 11 under v2; the balance carries 2022's points.
    later = _get(
        api, api.village, village_op(), f"/api/v1/points/communities/{VILLAGE}?period=2024"
    )
    v002 = next(v for v in later["volunteers"] if v["volunteer_id"] == "V002")
    assert (v002["points"], v002["balance"], v002["rank"]) == (11, 23, 1)
    # One volunteer's ledger names the rule version of every entry and the caps that cut.
    ledger = _get(api, api.village, village_op(),
                  f"/api/v1/points/communities/{VILLAGE}/volunteers/V001?period=2022-03")  # fmt: skip
    assert [(e["points"], e["capped"], e["rule_version"]) for e in ledger["entries"]] == [
        (7, False, "resident-points/county/v1"),
        (10, True, "resident-points/county/v1"),
        (10, True, "resident-points/county/v1"),
        (3, True, "resident-points/county/v1"),
    ]
    assert ledger["balance"] == 30
    ledger = _get(api, api.village, village_op(),
                  f"/api/v1/points/communities/{VILLAGE}/volunteers/V002?period=2024")  # fmt: skip
    assert [(e["points"], e["rule_version"]) for e in ledger["entries"]] == [
        (11, "resident-points/county/v2")
    ]

    # Figures for 2022, each tier from its own read model: county = Σ townships = Σ villages.
    expected = {"communities_piloting": 2, "volunteers_awarded": 3, "awarded": 56, "deducted": 4}
    county = _figures(api, api.county, county_op(), COUNTY)
    assert county["figures"] == expected
    lines = {line["code"]: line["figures"] for line in county["lines"]}
    assert lines[RURAL_TOWNSHIP] == dict.fromkeys(expected, 0)
    assert {k: sum(f[k] for f in lines.values()) for k in expected} == expected
    township = _figures(api, api.township, township_op(), TOWNSHIP)
    assert township["figures"] == expected
    villages = [_figures(api, api.village, village_op(v), v)["figures"]
                for v in (VILLAGE, VILLAGE_2, RURAL_VILLAGE)]  # fmt: skip
    assert villages[0] == {"communities_piloting": 1, "volunteers_awarded": 2, "awarded": 52,
                           "deducted": 4}  # fmt: skip
    assert {k: sum(f[k] for f in villages) for k in expected} == expected
    assert _figures(api, api.county, county_op(), COUNTY, "period=2024")["figures"] == {
        "communities_piloting": 1, "volunteers_awarded": 1, "awarded": 11, "deducted": 0
    }  # fmt: skip
    # The catalogue lists them.
    catalogue = _get(api, api.county, county_op(), "/api/v1/metrics")
    assert {m["key"] for m in catalogue["points"]} == {f"points.{k}" for k in expected}

    # Reads: township and county within their division, read-only; 403 outside; a township
    # is not a community (422); the ranking exports.
    assert _get(api, api.township, township_op(),
                f"/api/v1/points/communities/{VILLAGE}?period=2022")["volunteers"][0]["points"] == 36  # fmt: skip
    for client, actor, path, status in (
        (api.village, village_op(VILLAGE), f"/api/v1/points/communities/{VILLAGE_2}", 403),
        (api.township, township_op(RURAL_TOWNSHIP), f"/api/v1/points/communities/{VILLAGE}", 403),
        (api.county, county_op(), f"/api/v1/points/communities/{TOWNSHIP}", 422),
        (api.village, village_op(), f"/api/v1/points/communities/{VILLAGE}/volunteers/V009", 404),
    ):
        r = client.get(path, headers=api.auth(actor))
        assert r.status_code == status, r.text
    r = api.village.post(
        f"/api/v1/points/communities/{VILLAGE}/pilot/off",
        json={},
        headers=api.auth(township_op()),
    )
    assert r.status_code in (401, 403), r.text
    r = api.county.get(
        f"/api/v1/points/communities/{VILLAGE}?period=2022&format=csv",
        headers=api.auth(county_op()),
    )
    assert r.status_code == 200
    text = r.content.decode("utf-8-sig")
    assert "积分余额" in text and "V001" in text and "resident-points/county/v1" in text

    # The independent oracle: the same figures from the raw envelopes, for several periods
    # and divisions, each tier from its own read model.
    envelopes = [e for es in envelopes_by_source(api.platform).values() for e in es]
    rules = api.platform.tiers[Tier.COUNTY].app.rules.families[POINTS]
    parameters = [(v.effective_from, v.parameters) for v in rules]
    for client, actor, code in (
        (api.county, county_op(), COUNTY),
        (api.township, township_op(), TOWNSHIP),
        (api.village, village_op(VILLAGE_2), VILLAGE_2),
    ):
        for query, start, end in (
            ("period=2022", date(2022, 1, 1), date(2022, 12, 31)),
            ("period=2022-03", date(2022, 3, 1), date(2022, 3, 31)),
            ("from=2022-03-15&to=2024-06-30", date(2022, 3, 15), date(2024, 6, 30)),
        ):
            got = _figures(api, client, actor, code, query)["figures"]
            assert got == oracle_points(envelopes, parameters, code, start, end), (code, query)


def test_pilot_on_off_on_one_day_and_adjustment_retry_after_a_backdated_off(api: Api) -> None:
    """On → off → on the same day leaves the pilot on in the reads (activities earn); a retried
    adjustment gets its original answer even after a turn-off dated before it."""
    org = _group(api, VILLAGE, "文昌调解队")
    r = api.village.post(
        "/api/v1/volunteers",
        json={"village_code": VILLAGE, "volunteer_id": "V002", "effective_on": "2021-02-01"},
        headers=api.auth(village_op()),
    )
    assert r.status_code == 201, r.text
    for state in ("on", "off", "on"):
        assert _pilot(api, VILLAGE, state, "2022-01-10").status_code == 201
    r = _activity(api, org, VILLAGE, occurred_on="2022-03-01", participants=3,
                  volunteer_ids=["V002"])  # fmt: skip
    assert r.status_code == 201, r.text
    api.settle()
    ranking = _get(
        api, api.village, village_op(), f"/api/v1/points/communities/{VILLAGE}?period=2022-03"
    )
    assert ranking["on"] is True
    assert ranking["pilots"] == [{"started_on": "2022-01-10", "ended_on": None}]
    assert [(v["volunteer_id"], v["earned"]) for v in ranking["volunteers"]] == [("V002", 4)]

    first = _adjust(api, VILLAGE, key="retry-after-off")  # 2022-05-01
    assert first.status_code == 201, first.text
    assert _pilot(api, VILLAGE, "off", "2022-04-01").status_code == 201
    again = _adjust(api, VILLAGE, key="retry-after-off")
    assert again.status_code == 201, again.text
    assert again.json()["replayed"] and again.json()["id"] == first.json()["id"]
