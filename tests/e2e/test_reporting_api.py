"""The reporting routes over HTTP: drill-down, periods, exports, zombie list, ranking,
reconciliation, the organisation report, the catalogue — and their errors."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from openpyxl import load_workbook

from shared.reporting import catalogue
from tests.helpers import (
    COUNTY,
    RURAL_TOWNSHIP,
    RURAL_VILLAGE,
    TOWNSHIP,
    VILLAGE,
    Api,
    History,
    county_op,
    seed_history,
    township_op,
    village_op,
)


@pytest.fixture
def seeded(api: Api) -> tuple[Api, History]:
    history = seed_history(api.platform)
    api.settle()
    return api, history


def get(api: Api, client: Any, path: str, actor: Any = None, status: int = 200) -> Any:
    response = client.get(path, headers=api.auth(actor or county_op()))
    assert response.status_code == status, response.text
    return response


def test_drill_down_links_lead_from_county_to_organisation(seeded: tuple[Api, History]) -> None:
    api, history = seeded
    county = get(api, api.county, f"/api/v1/reports/{COUNTY}?period=2026").json()
    assert set(county["rule_versions"]) == {
        "density",
        "zombie",
        "ranking",
        "credit",
        "evaluation",
        "activity_themes",
        "coverage",
        "training",
        "third_party_evaluation",
    }
    assert county["watermarks"] == {str(t): h for t, h in api.heads().items()}
    township_link = next(c for c in county["children"] if c["code"] == TOWNSHIP)["links"]["report"]
    township = get(api, api.county, township_link).json()
    assert township["figures"] == next(
        c["figures"] for c in county["children"] if c["code"] == TOWNSHIP
    )
    village = get(api, api.county, township["links"]["self"].replace(TOWNSHIP, VILLAGE)).json()
    org_line = next(c for c in village["children"] if c["org_id"] == str(history.filed))
    organisation = get(api, api.county, org_line["links"]["report"]).json()
    assert organisation["organisation"]["org_id"] == str(history.filed)
    assert organisation["figures"]["activity"] == org_line["figures"]["activity"]
    ranked = organisation["ranking"]
    assert ranked["rank_in_township"] >= 1 and ranked["rank_in_county"] >= 1
    assert set(ranked["explanation"]) >= {"activity", "standardisation", "coverage", "influence"}
    assert organisation["links"]["village"].startswith(f"/api/v1/reports/{VILLAGE}")


def test_every_tier_serves_the_same_figures_for_its_divisions(seeded: tuple[Api, History]) -> None:
    api, _ = seeded
    path = f"/api/v1/reports/{TOWNSHIP}"
    at_county = get(api, api.county, path).json()["figures"]
    at_township = get(api, api.township, path, township_op()).json()["figures"]
    assert at_county == at_township
    village = f"/api/v1/reports/{VILLAGE}"
    assert (
        get(api, api.village, village, village_op()).json()["figures"]
        == (get(api, api.county, village).json()["figures"])
    )


def test_exports_have_chinese_headers_and_the_same_numbers(seeded: tuple[Api, History]) -> None:
    api, _ = seeded
    report = get(api, api.county, f"/api/v1/reports/{COUNTY}").json()
    active = report["figures"]["organisations"]["active"]

    response = get(api, api.county, f"/api/v1/reports/{COUNTY}/export.csv")
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    (line,) = [r for r in rows if len(r) > 4 and r[1] == "组织总数"]
    assert int(line[4]) == active

    response = get(api, api.county, f"/api/v1/reports/{COUNTY}/export.xlsx")
    sheet = load_workbook(io.BytesIO(response.content))["报表"]
    header = [c.value for c in sheet[1]]
    assert "指标 Metric" in header[1] or "指标" in str(header[1])
    names = [row[1].value for row in sheet.iter_rows(min_row=2)]
    assert "党建入章率" in names and "清廉入章率" in names

    page = get(api, api.county, f"/api/v1/reports/{COUNTY}/export.html").text
    assert page.count("<svg") >= 6 and "示范县" in page

    as_json = get(api, api.county, f"/api/v1/reports/{COUNTY}/export.json").json()
    assert as_json["figures"] == report["figures"]


def test_zombie_list_names_reasons_and_exports(seeded: tuple[Api, History]) -> None:
    api, history = seeded
    body = get(api, api.county, f"/api/v1/reports/{COUNTY}/zombies").json()
    assert body["count"] == len(body["organisations"])
    assert body["rule_versions"]["zombie"] == "zombie/12-months/v1"
    for entry in body["organisations"]:
        codes = [r["code"] for r in entry["reasons"]]
        assert codes[0] == "no_activity_in_window" and entry["reasons"][0]["zh"]
    csv_body = get(api, api.county, f"/api/v1/reports/{COUNTY}/zombies?format=csv").content
    assert "列入原因" in csv_body.decode("utf-8-sig")


def test_ranking_is_ordered_with_weights_and_pages(seeded: tuple[Api, History]) -> None:
    api, _ = seeded
    body = get(api, api.county, f"/api/v1/reports/{COUNTY}/ranking").json()
    totals = [e["total"] for e in body["organisations"]]
    assert totals == sorted(totals, reverse=True) and body["total"] == len(totals) > 0
    assert body["weights"] == {
        "activity": 0.35,
        "standardisation": 0.25,
        "coverage": 0.2,
        "influence": 0.2,
    }
    page = get(api, api.county, f"/api/v1/reports/{COUNTY}/ranking?limit=1&offset=1").json()
    assert page["organisations"] == body["organisations"][1:2]
    rural = get(api, api.county, f"/api/v1/reports/{RURAL_TOWNSHIP}/ranking").json()
    assert all(e["village_code"].startswith(RURAL_TOWNSHIP[:9]) for e in rural["organisations"])


def test_reconciliation_endpoint(seeded: tuple[Api, History]) -> None:
    api, _ = seeded
    body = get(api, api.county, f"/api/v1/reconciliation/{COUNTY}").json()
    assert body["ok"] and body["mismatches"] == []
    assert body["divisions_checked"] == len(api.platform.jurisdiction.divisions)
    assert body["additive_figures_checked"] > 30


def test_catalogue_endpoint(seeded: tuple[Api, History]) -> None:
    api, _ = seeded
    body = get(api, api.village, "/api/v1/metrics", village_op()).json()
    assert len(body["metrics"]) == len(catalogue.METRICS)
    assert len(body["groups"]) == 12


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [
        (f"/api/v1/reports/{COUNTY}?period=2026-Q9", 422, "invalid_period"),
        (f"/api/v1/reports/{COUNTY}?period=2026&from=2026-01-01", 422, "invalid_period"),
        (f"/api/v1/reports/{COUNTY}?from=2026-05-01&to=2026-04-01", 422, "invalid_period"),
        ("/api/v1/reports/330699009000", 404, "unknown_division"),
        ("/api/v1/reports/33069900", 422, "invalid_input"),
        (f"/api/v1/reports/{COUNTY}/export.pdf", 422, "invalid_input"),
        ("/api/v1/reports/organisations/nope", 404, "unknown_organisation"),
    ],
)
def test_bad_report_requests(api: Api, path: str, status: int, code: str) -> None:
    response = api.county.get(path, headers=api.auth(county_op()))
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code


def test_reports_outside_the_jurisdiction_are_403(seeded: tuple[Api, History]) -> None:
    api, history = seeded
    op = village_op(VILLAGE)
    for path in (
        f"/api/v1/reports/{RURAL_VILLAGE}",
        f"/api/v1/reports/{RURAL_VILLAGE}/zombies",
        f"/api/v1/reports/{RURAL_VILLAGE}/export.csv",
        f"/api/v1/reconciliation/{COUNTY}",
        f"/api/v1/reports/organisations/{history.upgraded}",  # a rural village's group
    ):
        response = api.village.get(path, headers=api.auth(op))
        assert response.status_code == 403, path
        assert response.json()["error"]["code"] == "out_of_jurisdiction"
