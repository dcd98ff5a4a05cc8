"""The village clerk's console pages (issue 13): the groups list with zombie warnings, filing a
group, reporting an activity, the periodic returns, and the organisation page every tier uses.
Each happy path is checked against what the API then reports; each bad form against the event
stores, which must not move."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any
from uuid import uuid4

from shared.kernel.domain import Actor
from shared.kernel.jurisdiction import Tier
from tests.console.browser import person
from tests.helpers import (
    COUNTY,
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
    "participants": "20",
    "volunteers": "3",
    "volunteer_services": "3",
    "volunteer_hours": "6.5",
    "beneficiaries": "50",
    "money_spent": "120.50",
}


def filed_group(api: Api, name: str, code: str = VILLAGE, founded: str = "2025-03-01") -> str:
    """A group filed through the API (applied at the village, filed by its township)."""
    applied = api.village.post(
        "/api/v1/filing-applications",
        json={"village_code": code, "name": name, "field": "culture_sports", "founded_on": founded},
        headers=api.auth(village_op(code)),
    )
    assert applied.status_code == 201, applied.text
    org = str(applied.json()["organisation_id"])
    api.settle()
    decided = api.township.post(
        f"/api/v1/organisations/{org}/filing-decision",
        json={"decision": "filed"},
        headers=api.auth(township_op()),
    )
    assert decided.status_code == 201, decided.text
    api.settle()
    return org


def organisations(api: Api, code: str = VILLAGE) -> list[dict[str, Any]]:
    listed = api.village.get(
        "/api/v1/organisations", params={"division": code}, headers=api.auth(village_op(code))
    )
    assert listed.status_code == 200, listed.text
    return list(listed.json()["organisations"])


def is_403_page(response: Any) -> bool:
    return response.status_code == 403 and "无权访问" in response.text


def test_the_clerk_files_a_group_and_it_is_pending_in_the_list_and_the_api(api: Api) -> None:
    clerk = person(api, village_op())
    form = clerk.get("/village/groups/new")
    assert form.status_code == 200 and "备案申请" in form.text
    assert "文昌社区" in form.text and 'name="village_code"' not in form.text  # fixed
    assert "文体" in form.text and "乡贤参事会" in form.text  # the selects in Chinese
    sent = clerk.submit(
        "/village/groups/new",
        {
            "name": "文昌合唱团",
            "field": "culture_sports",
            "founded_on": "2025-06-01",
            "category": "general",
            # A village clerk cannot file for another village, whatever the form says.
            "village_code": VILLAGE_2,
        },
    )
    assert sent.status_code == 303, sent.text
    assert sent.headers["location"].startswith("/village/groups?done=")
    # The page the clerk is sent to shows the group at once: the form waited for this tier's
    # read model (no settling here).
    assert "文昌合唱团" in clerk.get(sent.headers["location"]).text
    api.settle()
    (row,) = organisations(api)
    assert row["name"] == "文昌合唱团" and row["village_code"] == VILLAGE
    assert row["field"] == "culture_sports" and row["filed_on"] is None
    listing = clerk.get(sent.headers["location"])
    assert "已提交“文昌合唱团”的备案申请" in listing.text
    assert "文昌合唱团" in listing.text and "待备案" in listing.text
    assert f'href="/organisations/{row["org_id"]}"' in listing.text
    # Pending: no activity can be reported yet.
    assert f"/village/groups/{row['org_id']}/activities/new" not in listing.text
    pending = clerk.get(f"/village/groups/{row['org_id']}/activities/new")
    assert "只有已备案或已登记的组织可以报告活动" in pending.text
    assert organisations(api, VILLAGE_2) == []


def test_a_bad_filing_form_says_what_is_wrong_and_records_nothing(api: Api) -> None:
    clerk = person(api, village_op())
    clerk.get("/village/groups/new")
    before = api.heads()
    bad = clerk.submit(
        "/village/groups/new",
        {"name": "  ", "field": "", "founded_on": "2025-13-40", "category": "general"},
    )
    assert bad.status_code == 400
    assert 'class="error-summary"' in bad.text
    assert "请填写组织名称" in bad.text and "请选择服务领域" in bad.text
    assert "成立日期须为有效日期" in bad.text and 'href="#founded_on"' in bad.text
    assert 'value="2025-13-40"' in bad.text  # what was typed comes back
    future = (today_cst() + timedelta(days=3)).isoformat()
    refused = clerk.submit(
        "/village/groups/new",
        {"name": "明日之队", "field": "other", "founded_on": future, "category": "general"},
    )
    assert refused.status_code == 400 and 'class="error-summary"' in refused.text
    api.settle()
    assert api.heads() == before and organisations(api) == []


def test_groups_list_links_active_groups_and_warns_of_zombies(api: Api) -> None:
    old = filed_group(api, "老年门球队", founded="2019-01-01")
    clerk = person(api, village_op())
    page = clerk.get("/village/groups")
    assert page.status_code == 200
    assert "老年门球队" in page.text and "已备案" in page.text
    assert f"/village/groups/{old}/activities/new" in page.text and "报告活动" in page.text
    assert 'href="/village/groups/new"' in page.text
    # Filed today: not silent for the zombie window yet, so no warning.
    assert 'tag-red">僵尸预警' not in page.text and "出现僵尸预警" not in page.text


def test_a_filed_group_long_silent_carries_the_zombie_warning(api: Api) -> None:
    # Recording a filing dated 500 days back needs the backdate role and a reason (ADR 0013).
    v = Actor("v-back", Tier.VILLAGE, VILLAGE, "operator", "补录员", ("operator", "backdate"))
    t = Actor("t-back", Tier.TOWNSHIP, TOWNSHIP, "operator", "补录员", ("operator", "backdate"))
    applied = api.village.post(
        "/api/v1/filing-applications",
        json={
            "village_code": VILLAGE,
            "name": "沉寂读书会",
            "field": "culture_sports",
            "founded_on": "2020-01-01",
            "effective_on": (today_cst() - timedelta(days=500)).isoformat(),
            "backdate_reason": "补录纸质台账",
        },
        headers=api.auth(v),
    )
    assert applied.status_code == 201, applied.text
    org = applied.json()["organisation_id"]
    api.settle()
    filed = api.township.post(
        f"/api/v1/organisations/{org}/filing-decision",
        json={
            "decision": "filed",
            "effective_on": (today_cst() - timedelta(days=499)).isoformat(),
            "backdate_reason": "补录纸质台账",
        },
        headers=api.auth(t),
    )
    assert filed.status_code == 201, filed.text
    api.settle()
    page = person(api, v).get("/village/groups")
    assert "僵尸预警" in page.text and "从未开展活动" in page.text
    assert "近12个月没有记录任何活动" in page.text  # the hint says what it means and what to do
    assert "申请注销" in page.text


def test_the_clerk_reports_an_activity_and_the_report_counts_it(api: Api) -> None:
    org = filed_group(api, "文昌舞蹈队")
    clerk = person(api, village_op())
    form = clerk.get(f"/village/groups/{org}/activities/new")
    assert form.status_code == 200 and "报告活动" in form.text and "文昌舞蹈队" in form.text
    day = today_cst().isoformat()
    sent = clerk.submit(
        f"/village/groups/{org}/activities/new",
        {"occurred_on": day, "field": "culture_sports", **FIGURES},
    )
    assert sent.status_code == 303, sent.text
    assert sent.headers["location"].startswith("/village/groups?done=")
    api.settle()
    report = api.village.get(
        f"/api/v1/reports/organisations/{org}", headers=api.auth(village_op())
    ).json()
    activity = report["figures"]["activity"]
    assert activity["activities"] == 1 and activity["participants"] == 20
    assert activity["money_spent_yuan"] == 120.5
    detail = clerk.get(f"/organisations/{org}")
    assert detail.status_code == 200 and "120.50" in detail.text


def test_a_bad_activity_form_shows_every_problem_and_records_nothing(api: Api) -> None:
    org = filed_group(api, "文昌舞蹈队")
    clerk = person(api, village_op())
    path = f"/village/groups/{org}/activities/new"
    clerk.get(path)
    api.settle()
    before = api.heads()

    bad = clerk.submit(
        path,
        {
            "occurred_on": today_cst().isoformat(),
            "field": "culture_sports",
            **FIGURES,
            "participants": "",
            "volunteers": "abc",
            "money_spent": "十元",
        },
    )
    assert bad.status_code == 400
    assert 'class="error-summary"' in bad.text
    assert "请填写参与人数" in bad.text and 'href="#participants"' in bad.text
    assert "志愿者人数须为整数" in bad.text and 'id="volunteers-error"' in bad.text
    assert "支出金额（元）须为数字" in bad.text
    assert 'value="abc"' in bad.text  # the person's input is kept

    future = (today_cst() + timedelta(days=2)).isoformat()
    later = clerk.submit(path, {"occurred_on": future, "field": "culture_sports", **FIGURES})
    assert later.status_code == 400 and "活动日期：日期不能晚于今天" in later.text
    assert 'id="occurred_on-error"' in later.text

    # Before the group was filed (today): the API refuses with a code, shown on the form.
    early = clerk.submit(path, {"occurred_on": "2024-01-01", "field": "culture_sports", **FIGURES})
    assert early.status_code == 400 and 'class="error-summary"' in early.text
    assert "该组织在该日期不处于备案或登记状态" in early.text

    api.settle()
    assert api.heads() == before
    report = api.village.get(
        f"/api/v1/reports/organisations/{org}", headers=api.auth(village_op())
    ).json()
    assert report["figures"]["activity"]["activities"] == 0


def test_another_villages_organisation_answers_the_403_page(api: Api) -> None:
    theirs = filed_group(api, "南门志愿队", code=VILLAGE_2)
    clerk = person(api, village_op())
    assert is_403_page(clerk.get(f"/organisations/{theirs}"))
    assert is_403_page(clerk.get(f"/village/groups/{theirs}/activities/new"))
    before = api.heads()
    posted = clerk.submit(
        f"/village/groups/{theirs}/activities/new",
        {"occurred_on": today_cst().isoformat(), "field": "culture_sports", **FIGURES},
    )
    assert is_403_page(posted)
    api.settle()
    assert api.heads() == before
    # Their own clerk sees it.
    assert person(api, village_op(VILLAGE_2)).get(f"/organisations/{theirs}").status_code == 200


def test_township_and_county_people_cannot_open_the_village_filing_form(api: Api) -> None:
    for actor in (township_op(), county_op()):
        browser = person(api, actor)
        assert is_403_page(browser.get("/village/groups/new"))
        assert is_403_page(browser.get("/village/groups"))
        assert is_403_page(browser.get("/village/returns/new"))
    viewer = person(api, Actor("v-viewer", Tier.VILLAGE, VILLAGE, "viewer", "查看员", ("viewer",)))
    assert is_403_page(viewer.get("/village/groups/new"))
    listing = viewer.get("/village/groups")
    assert listing.status_code == 200 and 'href="/village/groups/new"' not in listing.text


def test_the_organisation_page_serves_every_tier_with_breadcrumbs(api: Api) -> None:
    org = filed_group(api, "文昌舞蹈队")
    village = person(api, village_op()).get(f"/organisations/{org}")
    assert village.status_code == 200
    text = village.text
    assert "文昌舞蹈队" in text and "已备案" in text and "文体" in text and "文昌社区" in text
    assert 'class="breadcrumbs"' in text and 'href="/village/groups"' in text
    assert f"/village/groups/{org}/activities/new" in text
    filing_number = organisations(api)[0]["filing_number"]
    assert filing_number and filing_number in text
    assert "时间线" not in text  # not an auditor

    township = person(api, township_op()).get(f"/organisations/{org}")
    assert township.status_code == 200 and 'href="/township/organisations"' in township.text
    assert "报告活动" not in township.text
    auditor = Actor("c-auditor", Tier.COUNTY, COUNTY, "auditor", "审计员", ("auditor",))
    county = person(api, auditor).get(f"/organisations/{org}")
    assert county.status_code == 200 and 'href="/county/organisations"' in county.text
    assert f'href="/audit/organisations/{org}/timeline"' in county.text and "时间线" in county.text
    # An unknown id: the API tells nothing about ids outside the person's reach.
    assert person(api, village_op()).get(f"/organisations/{uuid4()}").status_code in (403, 404)


def test_a_return_submitted_through_the_console_appears_with_its_state(api: Api) -> None:
    clerk = person(api, village_op())
    # A return's figures must include everything the village has stored: submitting is
    # refused (409 projection_behind) while its read model is behind its store, and the
    # sign-in has just been recorded there.
    api.settle()
    empty = clerk.get("/village/returns")
    assert empty.status_code == 200 and "暂无报表" in empty.text
    clerk.get("/village/returns/new")
    year = str(today_cst().year - 1)
    sent = clerk.submit("/village/returns/new", {"kind": "annual_statistics", "period": year})
    assert sent.status_code == 303, sent.text
    api.settle()
    listed = api.village.get("/api/v1/returns", headers=api.auth(village_op())).json()
    (row,) = listed["returns"]
    assert row["period"] == year and row["state"] == "submitted"
    page = clerk.get(sent.headers["location"])
    assert f"已报送{year}年度统计报表" in page.text
    assert "年度统计报表" in page.text and "已报送，待乡镇审核" in page.text
    assert "resubmit=1" not in page.text

    # The township sends it back with a reason: the clerk sees why and can resubmit.
    returned = api.township.post(
        f"/api/v1/returns/{row['return_id']}/return",
        json={"reason": "活动数据不全"},
        headers=api.auth(township_op()),
    )
    assert returned.status_code == 201, returned.text
    api.settle()
    page = clerk.get("/village/returns")
    assert "已退回，请修改后重报" in page.text and "活动数据不全" in page.text
    link = re.search(r'href="(/village/returns/new\?[^"]+)"', page.text)
    assert link and "重新报送" in page.text
    again = clerk.get(link.group(1).replace("&amp;", "&"))
    assert again.status_code == 200 and f'value="{year}"' in again.text
    resent = clerk.submit(
        "/village/returns/new", {"kind": "annual_statistics", "period": year, "resubmit": "1"}
    )
    assert resent.status_code == 303, resent.text
    api.settle()
    (row,) = api.village.get("/api/v1/returns", headers=api.auth(village_op())).json()["returns"]
    assert row["state"] == "submitted"


def test_a_bad_return_form_records_nothing(api: Api) -> None:
    clerk = person(api, village_op())
    clerk.get("/village/returns/new")
    before = api.heads()
    bad = clerk.submit("/village/returns/new", {"kind": "", "period": ""})
    assert bad.status_code == 400 and "请选择报表类别" in bad.text and "请填写报表期间" in bad.text
    unended = clerk.submit(
        "/village/returns/new", {"kind": "annual_statistics", "period": str(today_cst().year)}
    )
    assert unended.status_code == 400 and 'class="error-summary"' in unended.text
    assert f'value="{today_cst().year}"' in unended.text
    api.settle()
    assert api.heads() == before


def test_every_kind_of_organisation_has_a_page_at_every_tier(api: Api) -> None:
    """Pending, rejected, cancelled, registered (with charter, party organisation, rating and
    funding), revoked, deregistered: the page shows what each has, in Chinese."""
    history = seed_history(api.platform)
    api.settle()
    # Each browser with the code prefix of the division it may see.
    browsers = [
        (person(api, village_op()), VILLAGE),
        (person(api, township_op()), TOWNSHIP[:9]),
        (person(api, county_op()), COUNTY[:6]),
    ]
    for org in (
        history.filed,
        history.rejected,
        history.cancelled,
        history.upgraded,
        history.registered,
        history.revoked,
        history.deregistered,
        history.pending,
    ):
        row = api.county.get(f"/api/v1/organisations/{org}", headers=api.auth(county_op())).json()
        for browser, reach in browsers:
            shown = browser.get(f"/organisations/{org}")
            if not row["village_code"].startswith(reach):
                assert is_403_page(shown)
                continue
            assert shown.status_code == 200, shown.text
            assert (row["name"] or "") in shown.text
            assert ("已退出" in shown.text) == bool(
                row["filing_ended_on"] or row["registration_ended_on"] or row["exit_kind"]
            )
            if row["usci"]:
                assert row["usci"] in shown.text and "登记日期" in shown.text
            if row["grade"]:
                assert f"{row['grade']}A" in shown.text


def test_the_activity_form_offers_the_themes_in_force_and_mediation_cases(api: Api) -> None:
    """Theme checkboxes from the vocabulary in force (GET /api/v1/rules/activity-themes), the
    retired ones marked, and the two mediation fields (issue 14, ADR 0019): what is ticked is
    posted as the API's list, counted by theme; a retired theme or more cases resolved than
    taken is refused beside its field, the boxes stay ticked, and nothing is recorded."""
    org = filed_group(api, "文昌调解队")
    clerk = person(api, village_op())
    path = f"/village/groups/{org}/activities/new"
    form = clerk.get(path)
    assert form.status_code == 200
    assert 'name="theme_mediation"' in form.text and "矛盾调解" in form.text
    assert "乡村振兴" in form.text and "疫情防控（2023-01-08 起停用）" in form.text
    assert 'name="cases_taken"' in form.text and 'name="cases_resolved"' in form.text
    day = today_cst().isoformat()
    api.settle()
    before = api.heads()

    retired = clerk.submit(
        path,
        {
            "occurred_on": day,
            "field": "mediation",
            **FIGURES,
            "theme_mediation": "on",
            "theme_epidemic_prevention": "on",
        },
    )
    assert retired.status_code == 400 and 'id="themes-error"' in retired.text
    assert "“疫情防控”" in retired.text and "不在生效的主题目录中" in retired.text
    assert re.search(r'name="theme_mediation" value="on"\s*checked', retired.text)
    too_many = clerk.submit(
        path,
        {"occurred_on": day, "field": "mediation", **FIGURES, "cases_taken": "2",
         "cases_resolved": "5"},
    )  # fmt: skip
    assert too_many.status_code == 400 and 'id="cases_resolved-error"' in too_many.text
    assert "调解成功件数（5）不能多于受理件数（2）" in too_many.text
    assert 'value="5"' in too_many.text
    api.settle()
    assert api.heads() == before

    sent = clerk.submit(
        path,
        {
            "occurred_on": day,
            "field": "mediation",
            **FIGURES,
            "theme_mediation": "on",
            "theme_safety": "on",
            "cases_taken": "4",
            "cases_resolved": "3",
        },
    )
    assert sent.status_code == 303, sent.text
    api.settle()
    report = api.village.get(f"/api/v1/reports/{VILLAGE}", headers=api.auth(village_op())).json()
    themes = {row["code"]: row["figures"] for row in report["by_theme"]}
    assert themes["mediation"]["activities"] == 1 and themes["safety"]["activities"] == 1
    assert (themes["mediation"]["cases_taken"], themes["mediation"]["cases_resolved"]) == (4, 3)
    assert themes["charity"]["activities"] == 0
    assert report["figures"]["activity"]["cases_taken"] == 4
    # The township's report page lists the themes with activity; the group's page its cases.
    page = person(api, township_op()).get("/township/report")
    assert page.status_code == 200 and "按活动主题" in page.text
    assert "矛盾调解" in page.text and "平安建设" in page.text and "扶贫济困" not in page.text
    detail = clerk.get(f"/organisations/{org}")
    assert "受理矛盾纠纷（件）" in detail.text and "调解成功（件）" in detail.text


def test_the_volunteer_register_and_the_activity_form_list_who_served(api: Api) -> None:
    """The register page lists the village's volunteer numbers and enters new ones (no name or
    phone: a phone number is refused); the activity form takes the numbers of who served in one
    field, posted as the API's list and counted as distinct people (issue 14, ADR 0021)."""
    org = filed_group(api, "文昌志愿队")
    clerk = person(api, village_op())
    page = clerk.get("/village/volunteers")
    assert page.status_code == 200 and "志愿者名册" in page.text and "暂无登记的志愿者" in page.text
    for number in ("V001", "V002"):
        sent = clerk.submit("/village/volunteers", {"volunteer_id": number})
        assert sent.status_code == 303, sent.text
    api.settle()
    before = api.heads()
    phone = clerk.submit("/village/volunteers", {"volunteer_id": "13800138000"})
    assert phone.status_code == 400 and 'id="volunteer_id-error"' in phone.text
    assert "不得使用手机号码或身份证号码" in phone.text
    twice = clerk.submit("/village/volunteers", {"volunteer_id": "V001"})
    assert twice.status_code == 400 and "已在本村（社区）名册登记" in twice.text
    listed = clerk.get("/village/volunteers")
    assert "V001" in listed.text and "V002" in listed.text and "已登记 2 人" in listed.text

    path = f"/village/groups/{org}/activities/new"
    form = clerk.get(path)
    assert 'name="volunteer_ids"' in form.text
    day = today_cst().isoformat()
    unknown = clerk.submit(
        path, {"occurred_on": day, "field": "services", **FIGURES, "volunteer_ids": "V001 V009"}
    )
    assert unknown.status_code == 400 and 'id="volunteer_ids-error"' in unknown.text
    assert "V009" in unknown.text and 'value="V001 V009"' in unknown.text
    api.settle()
    assert api.heads() == before

    for ids in ("V001、V002", "V001"):
        sent = clerk.submit(
            path, {"occurred_on": day, "field": "services", **FIGURES, "volunteer_ids": ids}
        )
        assert sent.status_code == 303, sent.text
    api.settle()
    report = api.village.get(f"/api/v1/reports/{VILLAGE}", headers=api.auth(village_op())).json()
    activity = report["figures"]["activity"]
    assert (activity["distinct_volunteers"], activity["listed_volunteer_services"]) == (2, 3)

    # V002 leaves the register (ADR 0021 addendum): a reason is required, then the list says
    # so and offers re-joining; an activity from then on cannot list V002.
    leave = "/village/volunteers/V002/leaving"
    assert "离开原因" in clerk.get(leave).text
    missing = clerk.submit(leave, {"reason": "", "effective_on": day})
    assert missing.status_code == 400 and 'id="reason-error"' in missing.text
    assert clerk.submit(leave, {"reason": "withdrew"}).status_code == 303
    listed = clerk.get("/village/volunteers")
    assert "本人退出" in listed.text and "/village/volunteers/V002/rejoining" in listed.text
    gone = clerk.submit(
        path, {"occurred_on": day, "field": "services", **FIGURES, "volunteer_ids": "V002"}
    )
    assert gone.status_code == 400 and "已离开名册" in gone.text
    # A township clerk has no village register page.
    assert person(api, township_op()).get("/village/volunteers").status_code == 403
