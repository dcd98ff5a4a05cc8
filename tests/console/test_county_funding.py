"""The county's funding forms: a call, an application, its review, a tranche, evaluation and
closure through the console, each checked against the API (issue 13, ADR 0011)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.console.browser import person
from tests.helpers import COUNTY, VILLAGE, Api, county_op, today_cst, usci


def get(api: Api, path: str) -> Any:
    answer = api.county.get(path, headers=api.auth(county_op()))
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_a_call_from_opening_to_a_closed_award(api: Api) -> None:
    org = api.county.post(
        "/api/v1/registrations",
        json={"usci": usci(5), "name": "文昌志愿队", "field": "services", "village_code": VILLAGE},
        headers=api.auth(county_op()),
    ).json()["organisation_id"]
    api.settle()
    clerk = person(api, county_op())
    assert "暂无项目征集" in clerk.get("/county/funding").text
    assert clerk.get("/county/funding/calls/new").status_code == 200
    empty = clerk.submit("/county/funding/calls/new", {"programme": "", "budget": "-5"})
    assert empty.status_code == 400 and 'class="error-summary"' in empty.text
    assert "预算（元）须大于 0" in empty.text and "请选择资助项目类别" in empty.text
    assert get(api, "/api/v1/funding-calls")["calls"] == []
    deadline = (today_cst() + timedelta(days=30)).isoformat()
    opened = clerk.submit(
        "/county/funding/calls/new",
        {
            "programme": "micro_venture",
            "round": "2026",
            "title": "2026年度微公益创投",
            "budget": "100000",
            "deadline": deadline,
        },
    )
    assert opened.status_code == 303, opened.text
    api.settle()
    (call,) = get(api, "/api/v1/funding-calls")["calls"]
    assert call["budget_yuan"] == 100000.0 and call["title"] == "2026年度微公益创投"

    listing = clerk.get("/county/funding")
    apply = f"/county/funding/calls/{call['call_id']}/applications/new"
    assert f'href="{apply}"' in listing.text
    form = clerk.get(apply)
    assert "文昌志愿队" in form.text
    fields = {
        "organisation_id": org,
        "project": "邻里守望",
        "requested": "50000",
        "host_organisation_id": "",
        "other_government_funding": "false",
    }
    # No governance work in the last twelve months: the shipped rule's refusal, in Chinese and
    # naming the rule, on the form with the typed values; nothing recorded (ADR 0024 addendum).
    heads = api.heads()
    restricted = clerk.submit(apply, fields)
    assert restricted.status_code == 400 and 'class="error-summary"' in restricted.text
    assert "未参与基层治理工作" in restricted.text and "commendation/local/v2" in restricted.text
    assert "邻里守望" in restricted.text and api.heads() == heads
    api.governance_work(org)  # the volunteer team mediates a dispute: now it may apply
    applied = clerk.submit(apply, fields)
    assert applied.status_code == 303, applied.text
    api.settle()
    (application,) = get(api, "/api/v1/funding-calls")["calls"][0]["applications"]
    review = f"/county/funding/applications/{application['application_id']}/review"
    assert f'href="{review}"' in clerk.get("/county/funding").text
    too_much = clerk.submit(review, {"decision": "approve", "amount": "60000"})
    assert too_much.status_code == 400 and 'class="error-summary"' in too_much.text
    approved = clerk.submit(review, {"decision": "approve", "amount": "40000", "reason": ""})
    assert approved.status_code == 303, approved.text
    api.settle()
    (application,) = get(api, "/api/v1/funding-calls")["calls"][0]["applications"]
    award = application["award_id"]
    assert application["state"] == "approved" and application["amount_yuan"] == 40000.0

    page = clerk.get(f"/county/funding/awards/{award}")
    assert page.status_code == 200 and "40,000.00" in page.text
    paid = clerk.submit(
        f"/county/funding/awards/{award}/disbursement", {"tranche": "首期", "amount": "20000"}
    )
    assert paid.status_code == 303 and paid.headers["location"].startswith(
        f"/county/funding/awards/{award}?done="
    )
    api.settle()
    assert [t["tranche"] for t in get(api, f"/api/v1/funding-awards/{award}")["tranches"]] == [
        "首期"
    ]
    early = clerk.submit(f"/county/funding/awards/{award}/closure", {"reason": "结项"})
    assert early.status_code == 400  # no final evaluation yet: the API's refusal on the form
    evaluated = clerk.submit(
        f"/county/funding/awards/{award}/evaluation", {"stage": "final", "score": "90"}
    )
    assert evaluated.status_code == 303, evaluated.text
    closed = clerk.submit(f"/county/funding/awards/{award}/closure", {"reason": "结项验收"})
    assert closed.status_code == 303, closed.text
    api.settle()
    assert get(api, f"/api/v1/funding-awards/{award}")["closed_on"]

    ended = clerk.submit(f"/county/funding/calls/{call['call_id']}/closure", {"reason": "申报期满"})
    assert ended.status_code == 303, ended.text
    api.settle()
    assert get(api, "/api/v1/funding-calls")["calls"][0]["closed_on"]
    totals = clerk.get("/county/funding/totals?programme=micro_venture&round=2026")
    assert totals.status_code == 200 and "20,000.00 元" in totals.text
    assert "事件库与读模型一致" in totals.text


def test_a_direct_award_from_the_organisation_page(api: Api) -> None:
    org = api.county.post(
        "/api/v1/registrations",
        json={"usci": usci(6), "name": "南门社工站", "field": "services", "village_code": VILLAGE},
        headers=api.auth(county_op()),
    ).json()["organisation_id"]
    api.governance_work(org, theme="safety")  # governance work before an award (ADR 0024)
    clerk = person(api, county_op())
    assert (
        f'href="/county/organisations/{org}/funding-award"'
        in clerk.get(f"/county/organisations/{org}").text
    )
    awarded = clerk.submit(
        f"/county/organisations/{org}/funding-award",
        {"programme": "special_fund", "round": "2026", "project": "助老餐桌", "amount": "8000"},
    )
    assert awarded.status_code == 303, awarded.text
    api.settle()
    report = get(api, f"/api/v1/reports/organisations/{org}")
    assert report["figures"]["funding"]["awarded_yuan"] == 8000.0


def test_funding_details_through_the_console(api: Api) -> None:
    """The purchasing department of a purchase of services (refused without it, shown on the
    award), beneficiaries planned and reached, and a programme's yearly budget (ADR 0021)."""
    org = api.county.post(
        "/api/v1/registrations",
        json={"usci": usci(7), "name": "北苑社工站", "field": "services", "village_code": VILLAGE},
        headers=api.auth(county_op()),
    ).json()["organisation_id"]
    api.settle()
    clerk = person(api, county_op())
    path = f"/county/organisations/{org}/funding-award"
    assert 'name="purchaser"' in clerk.get(path).text
    body = {
        "programme": "purchase_of_services",
        "round": "2026",
        "project": "助残",
        "amount": "9000",
    }
    before = api.heads()
    missing = clerk.submit(path, body)
    assert missing.status_code == 400 and "须填写购买主体" in missing.text
    # A department outside the purchasers list (ADR 0021 addendum): 其他 with its name.
    unknown = clerk.submit(path, {**body, "purchaser": "区司法局"})
    assert unknown.status_code == 400 and "未知的购买主体" in unknown.text
    assert 'name="purchaser_other"' in unknown.text
    complete = {**body, "purchaser": "区残联", "beneficiaries_planned": "60"}
    # No governance work in the year: the shipped rule restricts purchase of services.
    restricted = clerk.submit(path, complete)
    assert restricted.status_code == 400 and "限制政府购买服务" in restricted.text
    assert api.heads() == before
    api.governance_work(org, theme="safety")
    awarded = clerk.submit(path, complete)
    assert awarded.status_code == 303, awarded.text
    api.settle()
    awards = api.county.get(
        f"/api/v1/reports/organisations/{org}", headers=api.auth(county_op())
    ).json()["figures"]["funding"]
    assert awards["beneficiaries_planned"] == 60

    assert clerk.get("/county/funding/budgets/new").status_code == 200
    unknown = clerk.submit("/county/funding/budgets/new", {"programme": "", "year": "2026"})
    assert unknown.status_code == 400 and "请选择资助项目类别" in unknown.text
    bad_year = clerk.submit(
        "/county/funding/budgets/new",
        {"programme": "micro_venture", "year": "1990", "amount": "1000"},
    )
    assert bad_year.status_code == 400 and "预算年度须在" in bad_year.text
    year = str(today_cst().year)
    sent = clerk.submit(
        "/county/funding/budgets/new",
        {"programme": "micro_venture", "year": year, "amount": "120000"},
    )
    assert sent.status_code == 303, sent.text
    api.settle()
    funding = get(api, f"/api/v1/reports/{COUNTY}")["figures"]["funding"]
    assert funding["by_programme"]["micro_venture"]["budget_yuan"] == 120000.0
    assert funding["average_yearly_budget_yuan"] == 120000.0
