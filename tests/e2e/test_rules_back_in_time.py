"""Rules back in time (issue 14 item 2, ADR 0018): with a legacy version of every family from
2016-01-01 in the rules file, a county's history from 2016 — a filing, an activity, a funding
review, a credit trigger, a rating — is recorded under the rule in force then, and a 2016
report computes its figures and names the legacy versions as such; with the national rules
alone the same commands needing a rule are refused with 409 ``rule_not_in_force``."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from shared.kernel.domain import Actor
from shared.kernel.jurisdiction import Tier
from tests.console.browser import person
from tests.helpers import (
    COUNTY,
    VILLAGE,
    Api,
    MovableClock,
    build_platform,
    county_op,
    rules_file,
    township_op,
    usci,
    village_op,
)

LABEL = "本县试行规则（国家规则施行前）"
DAY = date(2016, 6, 30)
REPORT = "as_of=2016-06-30&from=2016-01-01&to=2016-06-30"


def platform_api(tmp_path: Path, legacy: bool) -> Iterator[Api]:
    clock = MovableClock(DAY)
    rules = rules_file(tmp_path / "rules.json", legacy=legacy)
    p = build_platform(tmp_path / "data", clock, rules_file=rules)
    p.start()
    yield Api.of(p)
    p.stop()


@pytest.fixture
def legacy(tmp_path: Path) -> Iterator[Api]:
    yield from platform_api(tmp_path, legacy=True)


@pytest.fixture
def national(tmp_path: Path) -> Iterator[Api]:
    yield from platform_api(tmp_path, legacy=False)


def ok(response: Any, status: int = 201) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def history(api: Api) -> dict[str, Any]:
    """A filed group with an activity, a registered organisation with a funding application:
    none of it needs a rule, so it is recorded whatever the rules file holds."""
    body = {"village_code": VILLAGE, "name": "文昌腰鼓队", "field": "culture_sports"}
    group = ok(
        api.village.post(
            "/api/v1/filing-applications",
            json={**body, "founded_on": "2016-03-01"},
            headers=api.auth(village_op()),
        )
    )["id"]
    api.settle()
    ok(
        api.township.post(
            f"/api/v1/organisations/{group}/filing-decision",
            json={"decision": "filed"},
            headers=api.auth(township_op()),
        )
    )
    api.settle()
    activity = {
        "occurred_on": "2016-06-30",
        "field": "culture_sports",
        "participants": 30,
        "volunteers": 5,
        "volunteer_services": 5,
        "volunteer_hours": "10",
        "beneficiaries": 120,
        "money_spent": "200",
    }
    ok(
        api.village.post(
            f"/api/v1/organisations/{group}/activities",
            json=activity,
            headers=api.auth(village_op()),
        )
    )
    headers = api.auth(county_op())
    registration = {
        "usci": usci(31),
        "name": "文昌社工服务中心",
        "field": "services",
        "village_code": VILLAGE,
    }
    org = ok(api.county.post("/api/v1/registrations", json=registration, headers=headers))["id"]
    api.settle()
    call = {
        "programme": "micro_venture",
        "round": "2016",
        "title": "2016年度微公益创投",
        "budget": "100000",
        "deadline": "2016-09-30",
    }
    call_id = ok(api.county.post("/api/v1/funding-calls", json=call, headers=headers))["id"]
    api.settle()
    application = {
        "organisation_id": org,
        "project": "邻里守望",
        "requested": "50000",
        "other_government_funding": False,
    }
    applied = ok(
        api.county.post(
            f"/api/v1/funding-calls/{call_id}/applications", json=application, headers=headers
        )
    )["id"]
    api.settle()
    return {"group": group, "org": org, "application": applied}


def test_history_from_2016_is_recorded_and_reported_under_the_legacy_rules(legacy: Api) -> None:
    api = legacy
    made = history(api)
    headers = api.auth(county_op())
    review = ok(
        api.county.post(
            f"/api/v1/funding-applications/{made['application']}/review",
            json={"decision": "approve", "amount": "30000"},
            headers=headers,
        ),
        200,
    )
    api.settle()
    award = ok(api.county.get(f"/api/v1/funding-awards/{review['award_id']}", headers=headers), 200)
    assert award["rule_version"] == "funding/legacy-local/v1"  # the rule in force in 2016
    # A grade, then a trigger: the evaluation and credit rules both apply in 2016.
    ok(
        api.county.post(
            f"/api/v1/organisations/{made['org']}/ratings", json={"grade": 3}, headers=headers
        ),
        200,
    )
    ok(
        api.county.post(
            f"/api/v1/organisations/{made['org']}/credit-triggers",
            json={"trigger": "missed_annual_report", "reason": "年报未报送"},
            headers=headers,
        )
    )
    api.settle()

    report = ok(api.county.get(f"/api/v1/reports/{COUNTY}?{REPORT}", headers=headers), 200)
    assert "not_applicable" not in report
    for family in ("density", "zombie", "ranking", "credit", "evaluation"):
        assert report["rule_versions"][family] == f"{family}/legacy-local/v1"
        assert report["rules"][family]["kind"] == "legacy"
        assert report["rules"][family]["label_zh"] == LABEL
    figures = report["figures"]
    assert figures["activity"]["activities"] == 1
    assert figures["activity"]["beneficiaries"] == 120
    assert figures["organisations"]["active"] == 2
    # Figures depending on the rules are computed under the legacy versions, not withheld.
    assert isinstance(figures["density"]["meeting_standard"], int)
    assert figures["zombies"]["count"] == 0  # entered in 2016, inside the 12-month window
    assert figures["supervision"]["abnormal_list"] == 1
    assert figures["ratings"]["graded"] == 1
    assert figures["funding"]["awarded_yuan"] == 30000
    html = api.county.get(f"/api/v1/reports/{COUNTY}/export.html?{REPORT}", headers=headers)
    assert html.status_code == 200
    assert f'<code>density/legacy-local/v1</code><span class="rule-label">（{LABEL}）' in html.text
    assert "覆盖率口径" in html.text
    csv_text = api.county.get(
        f"/api/v1/reports/{COUNTY}/export.csv?{REPORT}", headers=headers
    ).content.decode("utf-8-sig")
    assert f"density/legacy-local/v1（{LABEL}）" in csv_text
    # An issued 2016 report names the legacy versions and reproduces with them.
    issued = ok(
        api.county.post(
            f"/api/v1/reports/{COUNTY}/issue?{REPORT}",
            json={"title": "2016年上半年"},
            headers=headers,
        )
    )
    api.settle()  # the record of the issued report is read from the read model
    check = ok(
        api.county.get(
            f"/api/v1/issued-reports/{issued['report_id']}/reproduction", headers=headers
        ),
        200,
    )
    assert check["reproduced"] is True
    assert check["rule_versions"]["density"] == "density/legacy-local/v1"
    # The console's dashboard prints the label beside the version too.
    viewer = Actor("county-leader", Tier.COUNTY, COUNTY, "viewer", "县领导", ("viewer",))
    page = person(api, viewer).get("/county/dashboard?as_of=2016-06-30")
    assert page.status_code == 200, page.text
    assert f"density/legacy-local/v1（{LABEL}）" in page.text


def test_without_legacy_versions_2016_commands_needing_a_rule_are_refused(national: Api) -> None:
    api = national
    made = history(api)  # filings, activities, registrations, calls: no rule needed
    headers = api.auth(county_op())
    before = api.heads()
    refused = api.county.post(
        f"/api/v1/funding-applications/{made['application']}/review",
        json={"decision": "approve", "amount": "30000"},
        headers=headers,
    )
    assert refused.status_code == 409, refused.text
    error = refused.json()["error"]
    assert error["code"] == "rule_not_in_force"
    assert error["message"].startswith("2016-06-30 没有生效的 funding 规则版本")
    assert api.heads() == before  # nothing recorded
    report = ok(api.county.get(f"/api/v1/reports/{COUNTY}?{REPORT}", headers=headers), 200)
    assert report["rule_versions"]["density"] == "rule_not_in_force"
    assert report["figures"]["density"]["meeting_standard"] is None
    assert report["figures"]["activity"]["activities"] == 1
