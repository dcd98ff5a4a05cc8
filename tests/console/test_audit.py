"""The auditor's console pages: timeline, reports as known and issued reports' reproduction,
integrity and the access log (issue 13). Read only: every page reaches data through the API."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import pytest

from shared.kernel.domain import CHINA, Actor
from shared.kernel.jurisdiction import Tier
from tests.console.browser import Person, person
from tests.helpers import COUNTY, TOWNSHIP, VILLAGE, Api, county_op, township_op, village_op

AUDITOR = Actor("aud-county", Tier.COUNTY, COUNTY, "auditor", "审计员甲", ("auditor",))
TOWNSHIP_AUDITOR = Actor("aud-town", Tier.TOWNSHIP, TOWNSHIP, "auditor", "审计员乙", ("auditor",))


def ok(response: Any, status: int = 201) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


def filed(api: Api, name: str = "文昌舞蹈队") -> str:
    """Applied at the village, filed at the township: events of two tiers."""
    application = {
        "village_code": VILLAGE,
        "name": name,
        "field": "culture_sports",
        "founded_on": "2025-02-01",
    }
    org = ok(
        api.village.post(
            "/api/v1/filing-applications", json=application, headers=api.auth(village_op())
        )
    )["id"]
    api.settle()
    ok(
        api.township.post(
            f"/api/v1/organisations/{org}/filing-decision",
            json={"decision": "filed"},
            headers=api.auth(township_op()),
        )
    )
    api.settle()
    return str(org)


@pytest.fixture
def auditor(api: Api) -> Person:
    return person(api, AUDITOR)


def test_the_start_page_finds_an_organisation_by_name_or_id(api: Api, auditor: Person) -> None:
    org = filed(api)
    start = auditor.get("/audit")
    assert start.status_code == 200
    for link in ("/audit/reports", "/audit/integrity", "/audit/access-log"):
        assert f'href="{link}"' in start.text
    found = auditor.get("/audit", params={"q": "舞蹈"})
    assert found.status_code == 200 and "文昌舞蹈队" in found.text
    assert f"/audit/organisations/{org}/timeline" in found.text
    nothing = auditor.get("/audit", params={"q": "不存在的名字"})
    assert "暂无名称含" in nothing.text
    by_id = auditor.get("/audit", params={"q": org.upper()}, follow_redirects=False)
    assert by_id.status_code == 303
    assert by_id.headers["location"] == f"/audit/organisations/{org}/timeline"


def test_an_auditor_sees_an_organisations_timeline_across_tiers(api: Api, auditor: Person) -> None:
    org = filed(api)
    page = auditor.get(f"/audit/organisations/{org}/timeline")
    assert page.status_code == 200, page.text
    assert "文昌舞蹈队" in page.text
    assert "提交备案申请" in page.text and "准予备案" in page.text
    rows = re.findall(r'<strong class="tag tag-grey">([^<]+)</strong>', page.text)
    assert rows == ["村（社区）", "乡镇（街道）"]  # one event per tier, in recorded order
    assert f"v-{VILLAGE}" in page.text and f"t-{TOWNSHIP}" in page.text  # who recorded it
    today = datetime.now(CHINA).date()
    assert f"{today.year}年{today.month}月{today.day}日" in page.text
    assert "名称：文昌舞蹈队" in page.text and "领域：文体" in page.text  # payload summarised
    csv = auditor.get(f"/audit/organisations/{org}/timeline/export.csv")
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert f"timeline-{org}.csv" in csv.headers["content-disposition"]
    assert "提交备案申请" in csv.content.decode("utf-8-sig")
    xlsx = auditor.get(f"/audit/organisations/{org}/timeline/export.xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    unknown = auditor.get("/audit/organisations/00000000-0000-0000-0000-000000000000/timeline")
    assert unknown.status_code == 404


def test_a_non_auditor_gets_the_403_page(api: Api) -> None:
    org = filed(api)
    clerk = person(api, county_op())
    for path in (
        "/audit",
        f"/audit/organisations/{org}/timeline",
        f"/audit/organisations/{org}/timeline/export.csv",
        "/audit/reports",
        "/audit/integrity",
        "/audit/access-log",
    ):
        page = clerk.get(path)
        assert page.status_code == 403, path
        assert "无权访问" in page.text and "审计" in page.text


def test_another_divisions_organisation_answers_the_403_page(api: Api) -> None:
    rural = {
        "village_code": "330699101001",
        "name": "青溪读书会",
        "field": "culture_sports",
        "founded_on": "2025-02-01",
    }
    org = ok(
        api.village.post(
            "/api/v1/filing-applications",
            json=rural,
            headers=api.auth(village_op("330699101001")),
        )
    )["id"]
    api.settle()
    page = person(api, TOWNSHIP_AUDITOR).get(f"/audit/organisations/{org}/timeline")
    assert page.status_code == 403 and "无权访问" in page.text


def test_an_issued_report_page_shows_whether_it_reproduces(api: Api, auditor: Person) -> None:
    filed(api)
    issued = ok(
        api.county.post(
            f"/api/v1/reports/{COUNTY}/issue",
            json={"title": "年初至今报表"},
            headers=api.auth(county_op()),
        )
    )
    api.settle()
    listing = auditor.get("/audit/reports")
    assert listing.status_code == 200 and "年初至今报表" in listing.text
    path = f"/audit/reports/issued/{issued['report_id']}"
    assert path in listing.text
    page = auditor.get(path)
    assert page.status_code == 200
    assert "复核一致" in page.text and "tag-green" in page.text
    assert issued["content_hash"] in page.text
    # A record changed behind the platform's back no longer reproduces: red.
    with api.platform.tiers[Tier.COUNTY].db.transaction() as tx:
        tx.execute(
            "UPDATE issued_report SET content_hash = %s WHERE report_id = %s",
            ("sha256:" + "1" * 64, issued["report_id"]),
        )
    tampered = auditor.get(path)
    assert "复核不一致" in tampered.text and "tag-red" in tampered.text


def test_a_report_as_known_at_an_instant(api: Api, auditor: Person) -> None:
    before = datetime.now(CHINA).replace(second=0, microsecond=0) - timedelta(minutes=1)
    filed(api)
    query = {"division": COUNTY, "known_at": before.strftime("%Y-%m-%dT%H:%M")}
    then = auditor.get("/audit/reports", params=query)
    assert then.status_code == 200, then.text
    assert "按" in then.text and "时所知" in then.text
    now = auditor.get("/audit/reports", params={"division": COUNTY})
    assert now.status_code == 200 and "按现在所知" in now.text

    def organisations(text: str) -> str:
        # the first figure of the organisations group
        return re.findall(r'<td class="num">([^<]+)</td>', text)[0]

    assert organisations(then.text) != organisations(now.text)
    future = datetime.now(CHINA) + timedelta(days=3)
    ahead = auditor.get(
        "/audit/reports", params={**query, "known_at": future.strftime("%Y-%m-%dT%H:%M")}
    )
    assert ahead.status_code == 400 and 'class="error-summary"' in ahead.text
    assert 'href="#known_at"' in ahead.text
    period = auditor.get("/audit/reports", params={"division": COUNTY, "period": "去年"})
    assert period.status_code == 400 and 'class="error-summary"' in period.text
    assert 'value="去年"' in period.text
    bad = auditor.get("/audit/reports", params={"known_at": "昨天"})
    assert bad.status_code == 400 and "请选择区划" in bad.text
    assert "已知时点须为日期和时间" in bad.text


def test_the_integrity_page_says_the_stores_verify(api: Api, auditor: Person) -> None:
    filed(api)
    page = auditor.get("/audit/integrity")
    assert page.status_code == 200
    assert "未发现篡改" in page.text and "校验通过" in page.text
    for tier in ("村（社区）", "乡镇（街道）", "县（区）"):
        assert tier in page.text


def test_the_access_log_lists_a_read_made_through_the_console(api: Api, auditor: Person) -> None:
    org = filed(api)
    assert auditor.get(f"/audit/organisations/{org}/timeline").status_code == 200
    page = auditor.get("/audit/access-log")
    assert page.status_code == 200
    assert f"/api/v1/organisations/{org}/timeline" in page.text
    assert "审计员甲" in page.text and "已查阅" in page.text
    only = auditor.get("/audit/access-log", params={"organisation_id": org})
    assert f"/api/v1/organisations/{org}/timeline" in only.text
    other = auditor.get(
        "/audit/access-log", params={"organisation_id": "00000000-0000-0000-0000-000000000000"}
    )
    assert "暂无查阅记录" in other.text
    bad = auditor.get("/audit/access-log", params={"organisation_id": "x", "since": "昨天"})
    assert bad.status_code == 400 and "组织ID格式不正确" in bad.text
    assert "起始日期须为有效日期" in bad.text


def test_the_access_log_pages_back_in_time_without_repeating_a_read(
    api: Api, auditor: Person
) -> None:
    org = filed(api)
    headers = api.auth(AUDITOR)
    for n in range(55):
        path = f"/api/v1/organisations/{org}/timeline?n={n}"  # each read told apart by its query
        assert api.county.get(path, headers=headers).status_code == 200
    first = auditor.get("/audit/access-log", params={"organisation_id": org})
    reads = re.compile(r"timeline\?n=(\d+)")
    newest = [int(n) for n in reads.findall(first.text)]
    assert newest == list(range(54, 4, -1))  # 50 a page, newest first
    link = re.search(r'href="(/audit/access-log\?[^"]*before=[^"]+)"', first.text)
    assert link and "更早的记录" in first.text
    second = auditor.get(link.group(1).replace("&amp;", "&"))
    assert second.status_code == 200
    assert [int(n) for n in reads.findall(second.text)] == [4, 3, 2, 1, 0]
    assert "更早的记录" not in second.text and "回到最新" in second.text
