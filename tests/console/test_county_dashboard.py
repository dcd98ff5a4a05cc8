"""The county dashboard: the report's figures as cards, drill-down to an organisation, ranking
and zombie tabs, exports passed through, and who may see it (issue 13)."""

from __future__ import annotations

import re
from typing import Any

from shared.kernel.domain import Actor
from shared.kernel.jurisdiction import Tier
from shared.reporting.export import format_value
from tests.console.browser import Person, person
from tests.helpers import (
    COUNTY,
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

VIEWER = Actor("county-leader", Tier.COUNTY, COUNTY, "viewer", "县领导", ("viewer",))


def seeded(api: Api) -> str:
    """One registered organisation in 南门社区 and one filed group in 文昌社区; the id of the
    registered one."""
    c = county_op()
    registered = api.county.post(
        "/api/v1/registrations",
        json={
            "usci": usci(1, "2"),
            "name": "南门社工服务中心",
            "field": "charity",
            "village_code": VILLAGE_2,
        },
        headers=api.auth(c),
    )
    assert registered.status_code == 201, registered.text
    filed = api.village.post(
        "/api/v1/filing-applications",
        json={
            "village_code": VILLAGE,
            "name": "文昌舞蹈队",
            "field": "culture_sports",
            "founded_on": "2025-03-01",
        },
        headers=api.auth(village_op()),
    )
    assert filed.status_code == 201, filed.text
    api.settle()
    decided = api.township.post(
        f"/api/v1/organisations/{filed.json()['organisation_id']}/filing-decision",
        json={"decision": "filed"},
        headers=api.auth(township_op()),
    )
    assert decided.status_code == 201, decided.text
    api.settle()
    return str(registered.json()["organisation_id"])


def card(html: str, key: str) -> str:
    found = re.search(rf'data-metric="{re.escape(key)}">\s*<span class="figure">([^<]*)<', html)
    assert found, key
    return found.group(1)


def api_report(api: Api, code: str, **query: Any) -> dict[str, Any]:
    answer = api.county.get(f"/api/v1/reports/{code}", params=query, headers=api.auth(county_op()))
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_the_cards_say_what_the_report_says(api: Api) -> None:
    seeded(api)
    leader = person(api, VIEWER)
    page = leader.get("/county/dashboard")
    assert page.status_code == 200, page.text
    body = api_report(api, COUNTY)
    figures = body["figures"]
    assert card(page.text, "organisations.active") == str(figures["organisations"]["active"]) == "2"
    assert card(page.text, "organisations.registered") == "1"
    assert card(page.text, "organisations.filed") == "1"
    per_10k = figures["density"]["per_10k_resident_population"]
    assert card(page.text, "density.per_10k_resident_population") == format_value(
        per_10k, "per 10,000", grouping=True
    )
    share = figures["density"]["share_meeting_standard"]
    assert card(page.text, "density.share_meeting_standard") == f"{share * 100:.1f}%"
    assert "标准：不少于 10 个" in page.text  # the urban density standard in force
    assert 'id="chart-organisations"' in page.text and "<svg" in page.text
    assert "城关街道" in page.text and "青溪镇" in page.text
    # A named period is the API's period.
    today = today_cst()
    quarter = f"{today.year}-Q{(today.month - 1) // 3 + 1}"
    year = leader.get(f"/county/dashboard?period={quarter}")
    q4 = api_report(api, COUNTY, period=quarter)
    assert card(year.text, "organisations.new_in_period") == str(
        q4["figures"]["organisations"]["new_in_period"]
    )
    start = 1 + 3 * ((today.month - 1) // 3)
    assert f"{today.year}年{start}月1日" in year.text and f"（{quarter}）" in year.text
    # An as-of date before anything was registered: the API's figures on that day.
    before = leader.get(f"/county/dashboard?as_of={today.year - 1}-06-30")
    then = api_report(api, COUNTY, as_of=f"{today.year - 1}-06-30")
    assert (
        card(before.text, "organisations.active")
        == "0"
        == str(then["figures"]["organisations"]["active"])
    )
    assert f"状态指标截至 {today.year - 1}年6月30日" in before.text


def test_a_wrong_period_is_told_on_the_picker(api: Api) -> None:
    leader = person(api, VIEWER)
    page = leader.get("/county/dashboard?period=someday")
    assert page.status_code == 400
    assert 'class="error-summary"' in page.text and "统计期间" in page.text
    assert 'value="someday"' in page.text


def test_drill_down_from_county_to_an_organisation(api: Api) -> None:
    org = seeded(api)
    leader = person(api, county_op())
    county = leader.get("/county/dashboard")
    assert f'href="/county/dashboard?division={TOWNSHIP}"' in county.text
    township = leader.get(f"/county/dashboard?division={TOWNSHIP}")
    assert township.status_code == 200 and "城关街道数据看板" in township.text
    assert f'href="/county/dashboard?division={VILLAGE_2}"' in township.text
    assert 'href="/county/dashboard?division=330699000000"' in township.text  # breadcrumbs
    year = today_cst().year
    village = leader.get(f"/county/dashboard?division={VILLAGE_2}&period={year}")
    assert village.status_code == 200 and "南门社区数据看板" in village.text
    assert f'href="/organisations/{org}"' in village.text and "南门社工服务中心" in village.text
    # The period picked is kept one level down.
    assert f'href="/county/dashboard?division={TOWNSHIP}&amp;period={year}"' in village.text


def test_ranking_and_zombie_tabs(api: Api) -> None:
    org = seeded(api)
    leader = person(api, VIEWER)
    ranking = leader.get("/county/dashboard?view=ranking")
    assert ranking.status_code == 200 and "四维排名" in ranking.text
    assert f'href="/organisations/{org}"' in ranking.text and "综合得分" in ranking.text
    assert 'data-metric="organisations.active"' in leader.get("/county/dashboard?view=x").text
    zombies = leader.get("/county/dashboard?view=zombies")
    assert zombies.status_code == 200 and "暂无僵尸组织" in zombies.text


def test_exports_pass_the_apis_file_through(api: Api) -> None:
    seeded(api)
    leader = person(api, VIEWER)
    csv = leader.get(f"/county/dashboard/export.csv?division={TOWNSHIP}")
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert "attachment" in csv.headers["content-disposition"]
    assert f"report-{TOWNSHIP}" in csv.headers["content-disposition"]
    direct = api.county.get(f"/api/v1/reports/{TOWNSHIP}/export.csv", headers=api.auth(county_op()))
    assert csv.content == direct.content
    xlsx = leader.get("/county/dashboard/export.xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    assert "spreadsheetml" in xlsx.headers["content-type"]
    html = leader.get("/county/dashboard/export.html")
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    assert "<svg" in html.text


def test_only_county_readers_see_the_dashboard(api: Api) -> None:
    # A township person's account lives at the township service: the county service does not
    # know it, so they cannot sign in there.
    township = person(api, township_op())
    at_county = Person(api.clients[Tier.COUNTY].__class__(api.clients[Tier.COUNTY].app))
    at_county.get("/login")
    refused = at_county.submit(
        "/login", {"username": township_op().id.lower(), "password": "Test-password-1"}
    )
    assert refused.status_code == 400 and "用户名或密码错误" in refused.text
    assert (
        at_county.get("/county/dashboard", follow_redirects=False)
        .headers["location"]
        .startswith("/login")
    )
    # Signed in at their own service, the county's page is not there for them.
    assert township.get("/county/dashboard").status_code == 403
    # An auditor of the county has no dashboard.
    auditor = Actor("county-auditor", Tier.COUNTY, COUNTY, "auditor", "审计员", ("auditor",))
    assert person(api, auditor).get("/county/dashboard").status_code == 403


def test_no_such_division_or_organisation_is_a_page_not_a_crash(api: Api) -> None:
    leader = person(api, county_op())
    assert leader.get("/county/dashboard?division=abc").status_code == 404
    outside = leader.get("/county/dashboard?division=330700000000")
    assert outside.status_code in (403, 404) and "<h1" in outside.text
    missing = leader.get("/county/organisations/00000000-0000-0000-0000-000000000000")
    assert missing.status_code == 404
    export = leader.get("/county/dashboard/export.csv?division=330700000000")
    assert export.status_code in (403, 404)
