"""Funding details through the county's HTTP API (issue 14, ADR 0021): the purchasing
department of a purchase of services (required there, refused elsewhere), beneficiaries planned
and reached, yearly programme budgets, and the figures they feed in reports and exports."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

import pytest

from tests.e2e.test_funding_lifecycle import application, get, post, refused, register
from tests.helpers import (
    COUNTY,
    TOWNSHIP,
    Api,
    MovableClock,
    county_op,
    township_op,
)

BUDGETS = "/api/v1/funding/programmes/{}/budgets"


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock(date(2026, 3, 2))


def _call(api: Api, programme: str) -> str:
    body = {
        "programme": programme,
        "round": "2026",
        "title": f"2026年度{programme}",
        "budget": "100000",
        "deadline": "2026-03-31",
    }
    return str(post(api, "/api/v1/funding-calls", body, 201)["id"])


def _funding(api: Api, query: str) -> dict[str, Any]:
    return dict(get(api, f"/api/v1/reports/{COUNTY}?{query}")["figures"]["funding"])


def test_purchaser_beneficiaries_and_budgets(api: Api, clock: MovableClock) -> None:
    org = register(api, 21, "文昌社工站")
    other = register(api, 22, "南门志愿队")
    third = register(api, 23, "青溪读书会")
    services = _call(api, "purchase_of_services")
    venture = _call(api, "micro_venture")

    # The purchasing department: required for a purchase of services, refused elsewhere.
    apply = f"/api/v1/funding-calls/{services}/applications"
    refused(api, apply, application(org), 422, "purchaser_required")
    refused(
        api,
        f"/api/v1/funding-calls/{venture}/applications",
        application(org, purchaser="区民政局"),
        422,
        "purchaser_not_allowed",
    )
    refused(api, apply, application(org, purchaser="区民政局\n"), 422, "invalid_text")
    refused(
        api,
        apply,
        application(org, purchaser="区民政局", beneficiaries_planned=-1),
        422,
        "invalid_input",
    )
    direct = f"/api/v1/organisations/{other}/funding-awards"
    base = {
        "programme": "purchase_of_services",
        "round": "2026",
        "project": "助残",
        "amount": "20000",
    }
    refused(api, direct, base, 422, "purchaser_required")
    r = api.county.post(direct, json=base, headers=api.auth(county_op()))
    assert "购买主体" in r.json()["error"]["message_zh"]
    # A code list (ADR 0021 addendum): a department it does not hold goes as 其他 with its name.
    for body, code in (
        ({"purchaser": "区司法局"}, "unknown_purchaser"),
        ({"purchaser": "其他"}, "purchaser_other_required"),
        ({"purchaser": "民政局", "purchaser_other": "区民政局"}, "purchaser_other_not_allowed"),
    ):
        refused(api, direct, {**base, **body}, 422, code)

    applied = post(
        api, apply, application(org, purchaser="区民政局", beneficiaries_planned=300), 201
    )
    directly = post(
        api,
        direct,
        {**base, "purchaser": "其他", "purchaser_other": "区司法局", "beneficiaries_planned": 100},
        201,
    )
    post(
        api,
        f"/api/v1/organisations/{third}/funding-awards",
        {"programme": "micro_venture", "round": "2026", "project": "读书", "amount": "10000"},
        201,
    )
    clock.set(date(2026, 4, 10))
    award = post(
        api,
        f"/api/v1/funding-applications/{applied['id']}/review",
        {"decision": "approve", "amount": "50000"},
    )["award_id"]
    post(api, f"/api/v1/funding-awards/{award}/evaluations", {"stage": "final", "score": "90"}, 201)
    refused(
        api,
        f"/api/v1/funding-awards/{award}/closure",
        {"reason": "结项", "beneficiaries_reached": "很多"},
        422,
        "invalid_input",
    )
    post(
        api,
        f"/api/v1/funding-awards/{award}/closure",
        {"reason": "结项验收", "beneficiaries_reached": 250},
    )
    view = get(api, f"/api/v1/funding-awards/{award}")
    assert (view["purchaser"], view["beneficiaries_planned"], view["beneficiaries_reached"]) == (
        "民政局",  # an alias of the list, stored as its code and name
        300,
        250,
    )
    assert view["purchaser_code"] == "civil_affairs"
    third_view = get(api, f"/api/v1/funding-awards/{directly['id']}")
    assert (third_view["purchaser_code"], third_view["purchaser"]) == ("other", "区司法局")
    # Purchase of services by purchaser: a code per row, 其他 per department as recorded.
    rows = get(api, "/api/v1/funding/purchasers?from=2026-01-01&to=2026-12-31")["rows"]
    assert [(r["code"], r["name_zh"], r["purchaser"], r["projects"], r["awarded_yuan"])
            for r in rows] == [
        ("civil_affairs", "民政局", None, 1, 50000),
        ("other", "其他", "区司法局", 1, 20000),
    ]  # fmt: skip
    refused_get = api.county.get(
        "/api/v1/funding/purchasers?from=2026-02-01&to=2026-01-01", headers=api.auth(county_op())
    )
    assert refused_get.status_code == 422

    # Yearly budgets at the county: set, revised, refused.
    for programme, year, amount in (
        ("micro_venture", 2025, "100000"),
        ("micro_venture", 2026, "200000"),
        ("micro_venture", 2026, "240000"),  # a revision: the latest counts
        ("purchase_of_services", 2026, "60000"),
    ):
        post(api, BUDGETS.format(programme), {"year": year, "amount": amount}, 201)
    refused(api, BUDGETS.format("lottery"), {"year": 2026, "amount": "1"}, 422, "unknown_programme")
    refused(
        api,
        BUDGETS.format("micro_venture"),
        {"year": 1990, "amount": "1"},
        422,
        "budget_year_out_of_range",
    )
    refused(
        api, BUDGETS.format("micro_venture"), {"year": 2026, "amount": "-1"}, 422, "invalid_input"
    )
    r = api.county.post(
        BUDGETS.format("micro_venture"),
        json={"year": 2026, "amount": "1"},
        headers=api.auth(township_op()),
    )
    assert r.status_code == 403

    # The figures: two years (2025–2026) of budgets and awards.
    both = "from=2025-01-01&to=2026-04-10&as_of=2026-04-10"
    f = _funding(api, both)
    assert f["awarded_yuan"] == 80000 and f["average_yearly_awarded_yuan"] == 40000
    assert f["budget_yuan"] == 400000 and f["average_yearly_budget_yuan"] == 200000
    venture_line = f["by_programme"]["micro_venture"]
    assert (venture_line["budget_yuan"], venture_line["average_yearly_budget_yuan"]) == (
        340000,
        170000,
    )
    assert f["by_programme"]["purchase_of_services"]["average_yearly_awarded_yuan"] == 35000
    assert (f["beneficiaries_planned"], f["beneficiaries_reached"]) == (400, 250)
    # 250 people reached by the project closed, awarded 50,000 yuan: 50 per 10,000 yuan.
    assert f["beneficiaries_reached_per_10k_yuan"] == 50.0
    only_2026 = _funding(api, "from=2026-01-01&to=2026-04-10&as_of=2026-04-10")
    assert only_2026["budget_yuan"] == 300000 and only_2026["average_yearly_budget_yuan"] == 300000

    # Below the county there is no budget; the additive figures add up.
    township = get(api, f"/api/v1/reports/{TOWNSHIP}?{both}")
    t = township["figures"]["funding"]
    assert t["budget_yuan"] is None and t["by_programme"]["micro_venture"]["budget_yuan"] is None
    assert (t["beneficiaries_planned"], t["beneficiaries_reached"]) == (400, 250)
    county = get(api, f"/api/v1/reports/{COUNTY}?{both}")
    lines = county["children"]
    for key in ("beneficiaries_planned", "beneficiaries_reached"):
        assert sum(line["figures"]["funding"][key] for line in lines) == f[key]
    assert all(line["figures"]["funding"]["budget_yuan"] is None for line in lines)
    r = api.county.get(f"/api/v1/reconciliation/{COUNTY}?{both}", headers=api.auth(county_op()))
    assert r.status_code == 200 and r.json()["mismatches"] == [], r.text

    # Exports name the figures in Chinese.
    r = api.county.get(f"/api/v1/reports/{COUNTY}/export.csv?{both}", headers=api.auth(county_op()))
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    line = next(row for row in rows if any(cell == "年均预算投入" for cell in row))
    assert line[4] == "200000.00", line
    assert any("每万元受益人数" in cell for row in rows for cell in row)
