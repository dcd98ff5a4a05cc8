"""Activity themes and mediation cases (issue 14, ADR 0019): recorded through the village API,
refused when unknown, retired or inconsistent, and counted by theme in every tier's reports,
exports and reconciliation."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from openpyxl import load_workbook

from services.platform import Platform
from shared.kernel.jurisdiction import Tier
from shared.kernel.periods import resolve
from shared.reporting.model import canonical
from shared.reporting.report import division_report
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
    seed_history,
    today_cst,
    township_op,
    village_op,
)

FIGURES = {
    "field": "services",
    "volunteers": 2,
    "volunteer_services": 3,
    "volunteer_hours": "4.5",
    "beneficiaries": 10,
    "money_spent": "100.00",
}


@pytest.fixture
def backdate_days() -> int:
    return HISTORY_BACKDATE_DAYS  # groups filed in 2021, through the API


def _group(api: Api, village: str, name: str) -> str:
    township = village[:9] + "000"
    r = api.village.post(
        "/api/v1/filing-applications",
        json={
            "village_code": village,
            "name": name,
            "field": "mediation",
            "founded_on": "2020-06-01",
            "effective_on": "2021-01-04",
        },
        headers=api.auth(village_op(village)),
    )
    assert r.status_code == 201, r.text
    org = str(r.json()["organisation_id"])
    api.settle()
    r = api.township.post(
        f"/api/v1/organisations/{org}/filing-decision",
        json={"decision": "filed", "effective_on": "2021-01-05"},
        headers=api.auth(township_op(township)),
    )
    assert r.status_code == 201, r.text
    api.settle()
    return org


def _activity(api: Api, org: str, village: str, **body: Any) -> Any:
    return api.village.post(
        f"/api/v1/organisations/{org}/activities",
        json={**FIGURES, **body},
        headers=api.auth(village_op(village)),
    )


def _report(api: Api, client: Any, actor: Any, code: str, query: str = "period=2022") -> Any:
    r = client.get(f"/api/v1/reports/{code}?{query}", headers=api.auth(actor))
    assert r.status_code == 200, r.text
    return r.json()


def _themes(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {row["code"]: row for row in report["by_theme"]}


def test_themes_recorded_refused_and_counted_at_every_tier(api: Api) -> None:
    a = _group(api, VILLAGE, "文昌调解队")
    b = _group(api, VILLAGE_2, "南门防疫志愿队")
    c = _group(api, RURAL_VILLAGE, "青溪调解会")

    # The vocabulary: 疫情防控 in force in 2022, retired from 2023-01-08.
    r = api.village.get(
        "/api/v1/rules/activity-themes?on=2022-06-01", headers=api.auth(village_op())
    )
    assert r.status_code == 200, r.text
    v2022 = r.json()
    assert v2022["version"] == "activity-themes/local/v3"
    assert {"epidemic_prevention": "疫情防控", "mediation": "矛盾调解"}.items() <= {
        t["code"]: t["name"] for t in v2022["themes"]
    }.items()
    v2023 = api.village.get(
        "/api/v1/rules/activity-themes?on=2023-03-01", headers=api.auth(village_op())
    ).json()
    assert "epidemic_prevention" not in {t["code"] for t in v2023["themes"]}
    assert {"code": "epidemic_prevention", "name": "疫情防控", "retired_on": "2023-01-08"} in (
        v2023["retired"]
    )

    early = api.village.get(
        "/api/v1/rules/activity-themes?on=2015-06-01", headers=api.auth(village_op())
    )
    assert early.status_code == 409 and early.json()["error"]["code"] == "rule_not_in_force"

    heads = api.heads()
    refused = [
        # retired before the activity's date
        (a, VILLAGE, {"occurred_on": "2023-03-01", "themes": ["epidemic_prevention"]}, 409),
        # introduced after it (乡村振兴 from 2021-02-25)
        (a, VILLAGE, {"occurred_on": "2021-02-01", "themes": ["rural_revitalisation"]}, 409),
        (a, VILLAGE, {"occurred_on": "2022-06-01", "themes": ["no_such_theme"]}, 422),
        (a, VILLAGE, {"occurred_on": "2022-06-01", "themes": ["mediation", "mediation"]}, 422),
        (a, VILLAGE, {"occurred_on": "2022-06-01", "themes": ["疫情防控"]}, 422),
        (a, VILLAGE, {"occurred_on": "2022-06-01", "cases_taken": 2, "cases_resolved": 3}, 422),
        (a, VILLAGE, {"occurred_on": "2022-06-01", "cases_resolved": 1}, 422),
        (a, VILLAGE, {"occurred_on": "2022-06-01", "cases_taken": -1}, 422),
    ]
    for org, village, body, status in refused:
        r = _activity(api, org, village, participants=1, **body)
        assert r.status_code == status, (body, r.text)
        error = r.json()["error"]
        assert error["code"] and any("\u4e00" <= ch <= "\u9fff" for ch in error["message_zh"])
    assert api.heads() == heads, "a refused activity records nothing"
    codes = {
        _activity(api, a, VILLAGE, occurred_on="2023-03-01", participants=1,
                  themes=["epidemic_prevention"]).json()["error"]["code"],
        _activity(api, a, VILLAGE, occurred_on="2022-06-01", participants=1,
                  cases_taken=2, cases_resolved=3).json()["error"]["code"],
    }  # fmt: skip
    assert codes == {"theme_not_in_force", "cases_resolved_exceed_taken"}

    # Accepted: the retired theme before its retirement, several themes, mediation cases.
    for org, village, body in (
        (a, VILLAGE, {"occurred_on": "2022-06-01", "participants": 10,
                      "themes": ["epidemic_prevention", "mediation"],
                      "cases_taken": 5, "cases_resolved": 4}),
        (b, VILLAGE_2, {"occurred_on": "2022-07-01", "participants": 20,
                        "themes": ["epidemic_prevention"]}),
        (c, RURAL_VILLAGE, {"occurred_on": "2022-08-01", "participants": 30,
                            "themes": ["mediation"], "cases_taken": 3, "cases_resolved": 3}),
        (a, VILLAGE, {"occurred_on": "2022-09-01", "participants": 40}),
        (a, VILLAGE, {"occurred_on": "2022-12-20", "participants": 5,
                      "themes": ["epidemic_prevention"], "cases_taken": 1}),
    ):  # fmt: skip
        r = _activity(api, org, village, **body)
        assert r.status_code == 201, r.text
    api.settle()

    county = _report(api, api.county, county_op(), COUNTY)
    assert county["rule_versions"]["activity_themes"] == "activity-themes/local/v3"
    activity = county["figures"]["activity"]
    assert (activity["activities"], activity["participants"]) == (5, 105)
    assert (activity["cases_taken"], activity["cases_resolved"]) == (9, 7)
    assert activity["cases_resolution_rate"] == round(7 / 9, 4)
    themes = _themes(county)
    # Every theme in force in 2022 has a row; 脱贫攻坚, retired in 2021, has none.
    assert (
        "poverty_alleviation" not in themes
        and themes["rural_revitalisation"]["figures"]["activities"] == 0
    )
    epidemic, mediation = themes["epidemic_prevention"], themes["mediation"]
    assert epidemic["name"] == "疫情防控" and mediation["name"] == "矛盾调解"
    assert epidemic["figures"] == {
        "activities": 3,
        "active_organisations": 2,
        "participants": 35,
        "volunteers": 6,
        "volunteer_services": 9,
        "volunteer_hours": 13.5,
        "beneficiaries": 30,
        "money_spent_yuan": 300.0,
        "cases_taken": 6,
        "cases_resolved": 4,
        "cases_resolution_rate": round(4 / 6, 4),
        "distinct_volunteers": 0,  # no activity listed registered volunteers (ADR 0021)
    }
    assert mediation["figures"]["activities"] == 2
    assert mediation["figures"]["active_organisations"] == 2
    assert mediation["figures"]["participants"] == 40
    assert (mediation["figures"]["cases_taken"], mediation["figures"]["cases_resolved"]) == (8, 7)

    # County = Σ townships = Σ villages, per theme, each tier from its own read model.
    townships = [
        _themes(_report(api, api.township, township_op(code), code))
        for code in (TOWNSHIP, RURAL_TOWNSHIP)
    ]
    villages = [
        _themes(_report(api, api.village, village_op(code), code))
        for code in (VILLAGE, VILLAGE_2, RURAL_VILLAGE)
    ]
    assert townships[0]["epidemic_prevention"]["figures"]["activities"] == 3
    assert townships[1]["mediation"]["figures"]["participants"] == 30
    assert villages[0]["mediation"]["figures"]["cases_taken"] == 5
    additive = [k for k in epidemic["figures"] if k != "cases_resolution_rate"]
    for code, row in themes.items():
        for key in additive:
            expected = row["figures"][key]
            assert sum(t[code]["figures"][key] for t in townships) == expected, (code, key)
            assert sum(v[code]["figures"][key] for v in villages) == expected, (code, key)

    # Only the themes asked for; an unknown theme is refused.
    only = _report(api, api.county, county_op(), COUNTY, "period=2022&theme=mediation")
    assert [row["code"] for row in only["by_theme"]] == ["mediation"]
    r = api.county.get(f"/api/v1/reports/{COUNTY}?theme=nope", headers=api.auth(county_op()))
    assert r.status_code == 422 and r.json()["error"]["code"] == "unknown_theme"

    # In 2023 疫情防控 is retired: still a row (it was in force on the year's first days).
    later = _themes(_report(api, api.county, county_op(), COUNTY, "period=2023"))
    assert later["epidemic_prevention"]["retired_on"] == "2023-01-08"
    assert later["epidemic_prevention"]["figures"]["activities"] == 0

    # The within-read-model reconciliation covers the theme counters too.
    r = api.county.get(
        f"/api/v1/reconciliation/{COUNTY}?period=2022", headers=api.auth(county_op())
    )
    assert r.status_code == 200, r.text
    assert r.json()["mismatches"] == []

    # Exports: the CSV and XLSX carry a table by theme with Chinese names; HTML too.
    r = api.county.get(
        f"/api/v1/reports/{COUNTY}/export.csv?period=2022", headers=api.auth(county_op())
    )
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    start = rows.index(["按活动主题 By theme"])
    header, *body = rows[start + 1 :]
    assert header[:3] == ["主题代码 Code", "活动主题 Theme", "停用日期 Retired on"]
    by_code = {line[0]: line for line in body}
    assert by_code["epidemic_prevention"][1] == "疫情防控"
    assert by_code["epidemic_prevention"][3] == "3"  # activities
    r = api.county.get(
        f"/api/v1/reports/{COUNTY}/export.xlsx?period=2022", headers=api.auth(county_op())
    )
    sheet = load_workbook(io.BytesIO(r.content))["按主题"]
    cells = {row[0]: row for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert cells["mediation"][1] == "矛盾调解" and cells["mediation"][3] == 2
    r = api.county.get(
        f"/api/v1/reports/{COUNTY}/export.html?period=2022", headers=api.auth(county_op())
    )
    assert "按活动主题" in r.text and "疫情防控" in r.text and "调解成功" in r.text


def test_a_report_issued_before_themes_reproduces_without_them(platform: Platform) -> None:
    """A report names the vocabulary version it used; one issued before the family existed
    names none, and reproduced with its own rule versions it carries neither the mediation
    figures nor ``by_theme``: its content, and so its hash, is what it was (ADR 0019)."""
    seed_history(platform)
    rt = platform.tiers[Tier.COUNTY]
    as_of, period = resolve(today_cst())
    now = rt.rules.for_report(as_of)
    before = rt.rules.by_versions({f: v for f, v in now.versions.items() if f != "activity_themes"})
    current = canonical(division_report(rt.db, platform.jurisdiction, COUNTY, as_of, period, now))
    issued = canonical(division_report(rt.db, platform.jurisdiction, COUNTY, as_of, period, before))
    assert "cases_taken" in current["figures"]["activity"] and current["by_theme"]
    assert "activity_themes" in current["rules"]
    assert "by_theme" not in issued and "activity_themes" not in issued["rule_versions"]
    assert set(issued["figures"]["activity"]) == {
        "activities",
        "active_organisations",
        "participants",
        "volunteers",
        "volunteer_services",
        "volunteer_hours",
        "beneficiaries",
        "money_spent_yuan",
    }
    for line in issued["children"]:
        assert "cases_taken" not in line["figures"]["activity"]
    # The funding details of ADR 0021 came with the same change: left out as well, nested too.
    funding = issued["figures"]["funding"]
    assert "budget_yuan" not in funding and "beneficiaries_reached" not in funding
    assert set(funding["by_programme"]["micro_venture"]) == {
        "projects",
        "awarded_yuan",
        "disbursed_yuan",
    }
    assert "budget_yuan" in current["figures"]["funding"]
