"""Commendation rounds (issue 16, ADR 0024): candidates from the ranking with eligibility by
the commendation rule, decision and publication, refusals recording nothing, the figure at
every tier, an organisation's commendations; and the participation rule restricting grading
and funding once a version says so."""

from __future__ import annotations

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
    today_cst,
    township_op,
    usci,
    village_op,
)


@pytest.fixture
def backdate_days() -> int:
    return HISTORY_BACKDATE_DAYS


def _post(api: Api, client: Any, actor: Any, path: str, **body: Any) -> Any:
    return client.post(path, json=body, headers=api.auth(actor))


def _commended(api: Api, client: Any, actor: Any, code: str) -> int:
    year = today_cst().year
    report = _report(api, client, actor, code, f"period={year}")
    return int(report["figures"]["training"]["commended"])


def test_a_round_is_opened_decided_published_and_counted(api: Api) -> None:
    a = _group(api, VILLAGE, "文昌调解队")
    b = _group(api, VILLAGE_2, "南门舞蹈队")
    c = _group(api, RURAL_VILLAGE, "青溪调解队")
    for org, village, themes in (
        (a, VILLAGE, ["mediation"]),  # governance work in 2022
        (b, VILLAGE_2, ["culture_sports"]),  # none: culture is not governance work
        (c, RURAL_VILLAGE, ["flood_relief"]),
    ):
        r = _activity(api, org, village, occurred_on="2022-05-01", participants=9, themes=themes)
        assert r.status_code == 201, r.text
    api.settle()
    county, township = api.county, api.township
    r = _post(api, county, county_op(), "/api/v1/commendation-rounds", year=2022)
    assert r.status_code == 201, r.text
    rid = str(r.json()["id"])
    api.settle()
    got = county.get(f"/api/v1/commendation-rounds/{rid}", headers=api.auth(county_op())).json()
    assert got["rule_version"] == "commendation/local/v1" and got["ranked_on"] == "2022-12-31"
    assert {x["organisation_id"] for x in got["candidates"]} == {a, c}
    assert all(x["eligible"] and x["explanation"]["scores"] for x in got["candidates"])
    assert [(x["organisation_id"], x["reasons"]) for x in got["passed_over"]] == [
        (b, ["no_governance_work"])
    ]

    heads = api.heads()
    unknown = "00000000-0000-4000-8000-000000000000"
    path = f"/api/v1/commendation-rounds/{rid}"
    refusals = [
        (_post(api, county, county_op(), "/api/v1/commendation-rounds", year=2022), 409,
         "round_exists"),
        (_post(api, county, county_op(), "/api/v1/commendation-rounds",
               year=today_cst().year + 1), 422, "invalid_year"),
        (_post(api, api.village, village_op(), "/api/v1/commendation-rounds", year=2022), 403,
         "wrong_tier"),
        (_post(api, county, county_op(), f"{path}/decision", organisation_ids=[b]), 409,
         "commendation_ineligible"),
        (_post(api, county, county_op(), f"{path}/decision", organisation_ids=[unknown]), 409,
         "commendation_ineligible"),
        (_post(api, county, county_op(), f"{path}/decision", organisation_ids=[a, a]), 422,
         "duplicate_organisation"),
        (_post(api, county, county_op(), f"{path}/decision", organisation_ids=[]), 422, None),
        (_post(api, county, county_op(), f"{path}/publication"), 409, "round_not_decided"),
        (_post(api, township, township_op(), f"{path}/decision", organisation_ids=[a]), 403,
         None),
    ]  # fmt: skip
    for r, status, code in refusals:
        assert r.status_code == status, r.text
        error = r.json()["error"]
        if code:
            assert error["code"] == code, r.text
        assert any("\u4e00" <= ch <= "\u9fff" for ch in error["message_zh"])
    assert api.heads() == heads, "a refused request records nothing"

    r = _post(api, county, county_op(), f"{path}/decision", organisation_ids=[a], note="表彰")
    assert r.status_code == 200, r.text
    api.settle()
    assert _commended(api, county, county_op(), COUNTY) == 0  # decided, not yet published
    r = _post(api, county, county_op(), f"{path}/publication")
    assert r.status_code == 200, r.text
    # The township commends the same organisation: one organisation, counted once.
    r = _post(api, township, township_op(), "/api/v1/commendation-rounds", year=2022)
    assert r.status_code == 201, r.text
    tpath = f"/api/v1/commendation-rounds/{r.json()['id']}"
    assert _post(api, township, township_op(), f"{tpath}/decision",
                 organisation_ids=[a]).status_code == 200  # fmt: skip
    assert _post(api, township, township_op(), f"{tpath}/publication").status_code == 200
    api.settle()
    assert _commended(api, county, county_op(), COUNTY) == 1
    assert _commended(api, township, township_op(), TOWNSHIP) == 1
    assert _commended(api, township, township_op(RURAL_TOWNSHIP), RURAL_TOWNSHIP) == 0
    assert _commended(api, api.village, village_op(), VILLAGE) == 1
    r = api.village.get(f"/api/v1/organisations/{a}/commendations", headers=api.auth(village_op()))
    assert r.status_code == 200, r.text
    assert sorted(x["division_code"] for x in r.json()["commendations"]) == [COUNTY, TOWNSHIP]
    listed = county.get("/api/v1/commendation-rounds?year=2022", headers=api.auth(county_op()))
    assert [x["commended"] for x in listed.json()["rounds"]] == [1, 1]
    # The public page (ADR 0023) discloses both published commendations, no account needed.
    page = county.get(f"/public/org/{a}")
    assert page.status_code == 200, page.text
    assert page.text.count("2022年度优秀社区社会组织") == 2


SHIPPED = "commendation/local/v2"
# The act each case asks for, and the call it applies to (none: a grade).
ACTS = {
    "grading": None,
    "funding_application": {"programme": "micro_venture"},
    "purchase_of_services": {"programme": "purchase_of_services"},
}


@pytest.mark.parametrize("act", list(ACTS))
def test_the_shipped_rule_restricts_grading_funding_and_purchase_of_services(
    api: Api, act: str
) -> None:
    """With the rules a county gets (no test-only version): an organisation with no
    governance-themed activity in the twelve months before is refused, 409 naming
    ``commendation/local/v2``, nothing recorded; once it mediates, the same request is
    accepted. An act dated before the version took effect is not restricted."""
    org = _group(api, VILLAGE, "文昌调解队")
    r = _post(api, api.county, county_op(), "/api/v1/registrations", usci=usci(77),
              name="文昌调解队", field="mediation", organisation_id=org,
              effective_on="2022-01-10")  # fmt: skip
    assert r.status_code == 201, r.text
    # Governance work long ago, outside the window: it does not count.
    old = _activity(api, org, VILLAGE, occurred_on="2023-05-01", participants=5,
                    themes=["mediation"])  # fmt: skip
    assert old.status_code == 201, old.text
    api.settle()
    today = today_cst()
    if ACTS[act] is None:
        path, body = f"/api/v1/organisations/{org}/ratings", {"grade": 3}
        # Before 2024-01-01 the shipped rule restricted nothing: a grade dated then stands.
        r = _post(api, api.county, county_op(), path, grade=2, effective_on="2023-06-01",
                  backdate_reason="补录2023年评估结果")  # fmt: skip
        assert r.status_code == 200, r.text
    else:
        call = _post(api, api.county, county_op(), "/api/v1/funding-calls", **ACTS[act],
                     round=str(today.year), title="年度项目", budget="100000",
                     deadline=today.isoformat())  # fmt: skip
        assert call.status_code == 201, call.text
        path = f"/api/v1/funding-calls/{call.json()['id']}/applications"
        body = {"organisation_id": org, "project": "邻里调解", "requested": "1000",
                "other_government_funding": False}  # fmt: skip
        if act == "purchase_of_services":
            body["purchaser"] = "民政局"
    api.settle()
    heads = api.heads()
    r = _post(api, api.county, county_op(), path, **body)
    assert r.status_code == 409, r.text
    error = r.json()["error"]
    assert error["code"] == "governance_participation_required"
    assert SHIPPED in error["message"] and SHIPPED in error["message_zh"]
    assert "未参与基层治理工作" in error["message_zh"]
    assert api.heads() == heads, "a refused request records nothing"
    # Governance work in the last twelve months lifts the restriction.
    api.governance_work(org)
    r = _post(api, api.county, county_op(), path, **body)
    assert r.status_code in (200, 201), r.text
