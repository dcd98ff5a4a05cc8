"""The county bureau's forms: registration, rating, annual report, credit lists, zombie exit
and sampling draws through the console, checked against what the API then reports (issue 13)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from shared.kernel.domain import Actor
from shared.kernel.jurisdiction import Tier
from tests.console.browser import Person, person
from tests.helpers import (
    COUNTY,
    VILLAGE,
    VILLAGE_2,
    Api,
    apps,
    county_op,
    meta,
    township_op,
    usci,
    village_op,
)

VIEWER = Actor("county-leader", Tier.COUNTY, COUNTY, "viewer", "县领导", ("viewer",))


def organisations(api: Api) -> list[dict[str, Any]]:
    answer = api.county.get("/api/v1/organisations", headers=api.auth(county_op()))
    assert answer.status_code == 200, answer.text
    return list(answer.json()["organisations"])


def registered(api: Api, clerk: Person, name: str = "南门社工服务中心") -> str:
    form = clerk.get("/county/organisations/new")
    assert form.status_code == 200 and "统一社会信用代码" in form.text and "南门社区" in form.text
    answer = clerk.submit(
        "/county/organisations/new",
        {
            "usci": usci(1, "2"),
            "name": name,
            "field": "charity",
            "village_code": VILLAGE_2,
            "organisation_id": "",
            "category": "general",
            "effective_on": "",
        },
    )
    assert answer.status_code == 303, answer.text
    api.settle()
    org_id = answer.headers["location"].split("?")[0].rsplit("/", 1)[1]
    return org_id


def test_registration_through_the_form_is_the_apis_organisation(api: Api) -> None:
    clerk = person(api, county_op())
    org_id = registered(api, clerk)
    (row,) = organisations(api)
    assert row["org_id"] == org_id and row["name"] == "南门社工服务中心"
    assert row["usci"] == usci(1, "2") and row["village_code"] == VILLAGE_2
    page = clerk.get(f"/county/organisations/{org_id}?done=已登记")
    assert page.status_code == 200 and "已登记" in page.text and usci(1, "2") in page.text
    listing = clerk.get("/county/organisations")
    assert f'href="/county/organisations/{org_id}"' in listing.text
    assert clerk.get(f"/county/organisations?division={VILLAGE}").text.count("南门社工") == 0
    assert "南门社工" in clerk.get("/county/organisations?offset=abc").text  # the first page
    assert "暂无组织" in clerk.get("/county/organisations?offset=50").text


def test_a_bad_registration_shows_the_summary_and_records_nothing(api: Api) -> None:
    clerk = person(api, county_op())
    clerk.get("/county/organisations/new")
    empty = clerk.submit(
        "/county/organisations/new",
        {"usci": "", "name": "", "field": "", "village_code": "", "category": "general"},
    )
    assert empty.status_code == 400 and 'class="error-summary"' in empty.text
    assert "请填写统一社会信用代码" in empty.text and "请填写组织名称" in empty.text
    assert "请选择服务领域" in empty.text and 'href="#name"' in empty.text
    # A USCI with a wrong check character: the API refuses it, the form says so, keeps values.
    wrong = usci(1, "2")[:-1] + ("0" if usci(1, "2")[-1] != "0" else "1")
    refused = clerk.submit(
        "/county/organisations/new",
        {"usci": wrong, "name": "南门社工", "field": "charity", "village_code": VILLAGE_2},
    )
    assert refused.status_code == 400 and 'class="error-summary"' in refused.text
    assert 'value="南门社工"' in refused.text
    assert 'id="usci-error"' in refused.text and "统一社会信用代码校验不通过" in refused.text
    nowhere = clerk.submit(
        "/county/organisations/new",
        {"usci": usci(1, "2"), "name": "南门社工", "field": "charity", "village_code": ""},
    )
    assert nowhere.status_code == 400 and 'id="village_code-error"' in nowhere.text
    assert "所在村（社区）：" in nowhere.text
    api.settle()
    assert organisations(api) == []


def test_a_viewer_reads_but_does_not_register(api: Api) -> None:
    leader = person(api, VIEWER)
    assert leader.get("/county/dashboard").status_code == 200
    refused = leader.get("/county/organisations/new")
    assert refused.status_code == 403 and "经办人" in refused.text
    assert leader.submit("/county/organisations/new", {"name": "x"}).status_code == 403
    assert leader.get("/county/sampling").status_code == 403
    assert leader.get("/county/zombie-exit").status_code == 403
    township = person(api, township_op())
    assert township.get("/county/organisations").status_code == 403


def test_rating_annual_report_and_credit_list(api: Api) -> None:
    clerk = person(api, county_op())
    org_id = registered(api, clerk)
    bad = clerk.get(f"/county/organisations/{org_id}/rating")
    assert bad.status_code == 200 and "评估等级" in bad.text
    wrong = clerk.submit(f"/county/organisations/{org_id}/rating", {"grade": "9", "stars": ""})
    assert wrong.status_code == 400 and "评估等级" in wrong.text and "error-summary" in wrong.text
    nothing = clerk.submit(f"/county/organisations/{org_id}/rating", {"credit": "", "grade": ""})
    assert (
        nothing.status_code == 400 and "请至少填写信用评价、评估等级、星级中的一项" in nothing.text
    )
    rating = {
        "credit": "A",
        "grade": "4",
        "grade_valid_until": "",
        "stars": "3",
        "effective_on": "",
    }
    # A grade without governance work in the year: the shipped rule's refusal on the form.
    restricted = clerk.submit(f"/county/organisations/{org_id}/rating", rating)
    assert restricted.status_code == 400 and "限制等级评估" in restricted.text
    api.governance_work(org_id)
    rated = clerk.submit(f"/county/organisations/{org_id}/rating", rating)
    assert rated.status_code == 303 and rated.headers["location"].startswith(
        f"/county/organisations/{org_id}?done="
    )
    api.settle()
    (row,) = organisations(api)
    assert row["grade"] == 4 and row["stars"] == 3 and row["credit"] == "A"

    year = str(datetime.now(UTC).year - 1)
    filed = clerk.submit(f"/county/organisations/{org_id}/annual-report", {"year": year})
    assert filed.status_code == 303, filed.text
    no_year = clerk.submit(f"/county/organisations/{org_id}/annual-report", {"year": "abc"})
    assert no_year.status_code == 400 and "年报年度须为整数" in no_year.text

    listed = clerk.submit(
        f"/county/organisations/{org_id}/credit-list",
        {"credit_list": "abnormal", "reason": "未按时报送年报"},
    )
    assert listed.status_code == 303, listed.text
    api.settle()
    report = api.county.get(
        f"/api/v1/reports/organisations/{org_id}", headers=api.auth(county_op())
    ).json()
    (listing,) = report["credit_listings"]
    assert listing["credit_list"] == "abnormal" and not listing["left_on"]
    page = clerk.get(f"/county/organisations/{org_id}")
    assert "活动异常名录" in page.text
    removal = f"/county/organisations/{org_id}/credit-lists/abnormal/removal"
    assert f'href="{removal}"' in page.text
    assert clerk.get(removal).status_code == 200
    empty = clerk.submit(removal, {"reason": ""})
    assert empty.status_code == 400 and "请填写移出理由" in empty.text
    left = clerk.submit(removal, {"reason": "已补报年报"})
    assert left.status_code == 303, left.text
    api.settle()
    report = api.county.get(
        f"/api/v1/reports/organisations/{org_id}", headers=api.auth(county_op())
    ).json()
    assert report["credit_listings"][0]["left_on"]
    assert "信用名单" in clerk.get("/county/credit").text


def test_zombie_exit_dry_run_then_campaign(api: Api) -> None:
    county = apps(api.platform)[2]
    long_ago = datetime.now(UTC) - timedelta(days=800)
    county.register(
        usci(7, "2"), "沉睡协会", "other", VILLAGE, None, meta(county_op(), at=long_ago)
    )
    api.settle()
    clerk = person(api, county_op())
    page = clerk.get("/county/zombie-exit")
    assert page.status_code == 200 and "沉睡协会" in page.text and "告知：撤销登记" in page.text
    started = clerk.submit("/county/zombie-exit", {"division_code": COUNTY, "outcome": ""})
    assert (
        started.status_code == 303
        and "告知 1 个组织" in clerk.get(started.headers["location"]).text
    )
    api.settle()
    after = clerk.get("/county/zombie-exit")
    assert "已告知，待到期" in after.text
    proceedings = api.county.get(
        "/api/v1/zombie-exit/proceedings", headers=api.auth(county_op())
    ).json()
    (proceeding,) = proceedings
    due = proceeding["due_on"]
    y, m, d = (int(x) for x in due.split("-"))
    assert f"{y}年{m}月{d}日" in after.text
    wrong = clerk.submit("/county/zombie-exit", {"division_code": "12", "outcome": ""})
    assert wrong.status_code == 400 and "error-summary" in wrong.text


def test_sampling_draw(api: Api) -> None:
    clerk = person(api, county_op())
    registered(api, clerk)
    page = clerk.get("/county/sampling")
    assert page.status_code == 200 and "暂无抽签记录" in page.text
    bad = clerk.submit("/county/sampling", {"year": "1999", "supplementary": "false"})
    assert bad.status_code == 400 and "抽查年度不能小于 2000" in bad.text
    year = str(datetime.now(UTC).year)
    drawn = clerk.submit(
        "/county/sampling", {"year": year, "supplementary": "false", "seed": "公开抽签-1"}
    )
    assert drawn.status_code == 303, drawn.text
    api.settle()
    draws = api.county.get("/api/v1/sample-draws", headers=api.auth(county_op())).json()["draws"]
    assert len(draws) == 1 and draws[0]["year"] == int(year)
    assert "暂无抽签记录" not in clerk.get("/county/sampling").text


def test_a_filed_group_is_upgraded_through_the_form(api: Api) -> None:
    filed = api.village.post(
        "/api/v1/filing-applications",
        json={
            "village_code": VILLAGE,
            "name": "文昌舞蹈队",
            "field": "culture_sports",
            "founded_on": "2025-03-01",
        },
        headers=api.auth(village_op()),
    ).json()["organisation_id"]
    api.settle()
    decided = api.township.post(
        f"/api/v1/organisations/{filed}/filing-decision",
        json={"decision": "filed"},
        headers=api.auth(township_op()),
    )
    assert decided.status_code == 201, decided.text
    api.settle()
    clerk = person(api, county_op())
    form = clerk.get("/county/organisations/new")
    assert f'<option value="{filed}"' in form.text and "文昌舞蹈队" in form.text
    upgraded = clerk.submit(
        "/county/organisations/new",
        {
            "usci": usci(3, "1"),
            "name": "文昌舞蹈协会",
            "field": "culture_sports",
            "organisation_id": filed,
            "category": "general",
        },
    )
    assert upgraded.status_code == 303, upgraded.text
    assert upgraded.headers["location"].startswith(f"/county/organisations/{filed}?")
    api.settle()
    (row,) = organisations(api)
    assert row["org_id"] == filed and row["usci"] == usci(3, "1") and row["registered_on"]


def test_credit_list_notice_and_objection_decision(api: Api) -> None:
    clerk = person(api, county_op())
    org_id = registered(api, clerk)
    clerk.submit(
        f"/county/organisations/{org_id}/credit-list",
        {"credit_list": "serious", "reason": "严重违法"},
    )
    api.settle()
    base = f"/county/organisations/{org_id}/credit-lists/serious"
    assert clerk.get(f"{base}/notice").status_code == 200
    noticed = clerk.submit(f"{base}/notice", {"document": "民社告〔2026〕1号"})
    assert noticed.status_code == 303, noticed.text
    no_choice = clerk.submit(f"{base}/objection-decision", {"upheld": "", "reason": "x"})
    assert no_choice.status_code == 400 and 'id="upheld-error"' in no_choice.text
    objected = api.county.post(
        f"/api/v1/organisations/{org_id}/credit-lists/serious/objections",
        json={"grounds": "事实有误"},
        headers=api.auth(county_op()),
    )
    assert objected.status_code == 201, objected.text
    api.settle()
    decided = clerk.submit(f"{base}/objection-decision", {"upheld": "true", "reason": "异议成立"})
    assert decided.status_code == 303, decided.text
    api.settle()
    report = api.county.get(
        f"/api/v1/reports/organisations/{org_id}", headers=api.auth(county_op())
    ).json()
    assert report["credit_listings"][0]["left_on"]  # an upheld objection removes the listing
    assert (
        clerk.get(f"/county/organisations/{org_id}/credit-lists/nonsense/notice").status_code == 404
    )


def test_one_notice_then_its_withdrawal(api: Api) -> None:
    county = apps(api.platform)[2]
    long_ago = datetime.now(UTC) - timedelta(days=800)
    county.register(
        usci(8, "2"), "沉睡协会", "other", VILLAGE, None, meta(county_op(), at=long_ago)
    )
    api.settle()
    clerk = person(api, county_op())
    page = clerk.get("/county/zombie-exit")
    assert "单独告知" in page.text
    candidates = api.county.get(
        "/api/v1/zombie-exit/dry-run", headers=api.auth(county_op())
    ).json()["candidates"]
    org = candidates[0]["org_id"]
    noticed = clerk.submit("/county/zombie-exit/notices", {"organisation_id": org})
    assert noticed.status_code == 303 and "退出告知" in clerk.get(noticed.headers["location"]).text
    api.settle()
    (proceeding,) = api.county.get(
        "/api/v1/zombie-exit/proceedings", headers=api.auth(county_op())
    ).json()
    withdraw = f"/county/zombie-exit/proceedings/{proceeding['proceeding_id']}/withdrawal"
    assert f'href="{withdraw}"' in clerk.get("/county/zombie-exit").text
    empty = clerk.submit(withdraw, {"reason": ""})
    assert empty.status_code == 400 and "请填写撤回理由" in empty.text
    withdrawn = clerk.submit(withdraw, {"reason": "已恢复活动"})
    assert withdrawn.status_code == 303, withdrawn.text
    api.settle()
    (after,) = api.county.get(
        "/api/v1/zombie-exit/proceedings", headers=api.auth(county_op())
    ).json()
    assert after["state"] == "stopped"


def test_charter_party_organisation_and_deregistration(api: Api) -> None:
    clerk = person(api, county_op())
    org_id = registered(api, clerk)
    page = clerk.get(f"/county/organisations/{org_id}")
    for kind in ("charter", "party-organisation", "deregistration", "revocation"):
        assert f'href="/county/organisations/{org_id}/{kind}"' in page.text
    unanswered = clerk.submit(f"/county/organisations/{org_id}/charter", {"party_clause": ""})
    assert unanswered.status_code == 400 and "请选择党建入章" in unanswered.text
    charter = clerk.submit(
        f"/county/organisations/{org_id}/charter",
        {"party_clause": "true", "integrity_clause": "false", "effective_on": ""},
    )
    assert charter.status_code == 303, charter.text
    party = clerk.submit(
        f"/county/organisations/{org_id}/party-organisation", {"kind": "joint", "effective_on": ""}
    )
    assert party.status_code == 303, party.text
    api.settle()
    (row,) = organisations(api)
    assert row["party_clause"] == 1 and row["integrity_clause"] == 0
    assert row["party_org"] == "joint"
    no_reason = clerk.submit(f"/county/organisations/{org_id}/deregistration", {"reason": ""})
    assert no_reason.status_code == 400 and "请填写注销理由" in no_reason.text
    gone = clerk.submit(
        f"/county/organisations/{org_id}/deregistration",
        {"reason": "完成宗旨，自行解散", "effective_on": ""},
    )
    assert gone.status_code == 303, gone.text
    api.settle()
    (row,) = organisations(api)
    assert row["registration_ended_on"] and row["exit_kind"] == "deregistered"
