"""The township officer's console (乡镇/街道, issue 13): the worklist, filing decisions,
returns, inspections and charters, the township's organisations and its report, each checked
against what the API then reports."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from shared.kernel.domain import Actor
from shared.kernel.jurisdiction import Tier
from tests.console.browser import Person, person
from tests.helpers import (
    RURAL_TOWNSHIP,
    RURAL_VILLAGE,
    TOWNSHIP,
    VILLAGE,
    Api,
    county_op,
    today_cst,
    township_op,
    village_op,
)


def ok(response: Any, status: int = 201) -> dict[str, Any]:
    assert response.status_code == status, response.text
    return dict(response.json())


def apply(api: Api, name: str, village: str = VILLAGE) -> str:
    """A filing application made at the village, as its clerk does."""
    org = ok(
        api.village.post(
            "/api/v1/filing-applications",
            json={
                "village_code": village,
                "name": name,
                "field": "culture_sports",
                "founded_on": (today_cst() - timedelta(days=30)).isoformat(),
            },
            headers=api.auth(village_op(village)),
        )
    )["organisation_id"]
    api.settle()
    return str(org)


def organisation(api: Api, org: str) -> dict[str, Any]:
    return ok(
        api.township.get(f"/api/v1/organisations/{org}", headers=api.auth(township_op())), 200
    )


def filed(api: Api, name: str) -> str:
    org = apply(api, name)
    ok(
        api.township.post(
            f"/api/v1/organisations/{org}/filing-decision",
            json={"decision": "filed"},
            headers=api.auth(township_op()),
        )
    )
    api.settle()
    return org


def last_month() -> str:
    return (today_cst().replace(day=1) - timedelta(days=1)).strftime("%Y-%m")


def submitted_return(api: Api) -> str:
    # A return's figures must include everything the village has stored (ADR 0008): it is
    # refused (409 projection_behind) until the accounts just opened there are projected.
    api.settle()
    rid = ok(
        api.village.post(
            "/api/v1/returns",
            json={"kind": "activity_return", "division_code": VILLAGE, "period": last_month()},
            headers=api.auth(village_op()),
        )
    )["return_id"]
    api.settle()
    return str(rid)


@pytest.fixture
def officer(api: Api) -> Person:
    return person(api, township_op())


# ------------------------------------------------------------------ worklist, filing


def test_an_application_filed_at_the_village_waits_in_the_worklist(
    api: Api, officer: Person
) -> None:
    empty = officer.get("/township/worklist")
    assert empty.status_code == 200 and empty.text.count("暂无待办") == 4
    org = apply(api, "文昌合唱团")
    page = officer.get("/township/worklist")
    assert page.status_code == 200
    assert "文昌合唱团" in page.text and f"/township/organisations/{org}/filing" in page.text
    assert "待作出备案决定（1）" in page.text and page.text.count("暂无待办") == 3


def test_the_officer_files_an_application_through_the_form(api: Api, officer: Person) -> None:
    org = apply(api, "文昌合唱团")
    form = officer.get(f"/township/organisations/{org}/filing")
    assert form.status_code == 200 and "予以备案" in form.text and "不予备案" in form.text
    answer = officer.submit(f"/township/organisations/{org}/filing", {"decision": "filed"})
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"].startswith("/township/worklist?done=")
    api.settle()
    row = organisation(api, org)
    assert row["filed_on"] == today_cst().isoformat() and row["filing_number"].startswith("BA")
    back = officer.get(answer.headers["location"])
    assert "文昌合唱团：已予以备案" in back.text and "待作出备案决定（0）" in back.text
    # Decided: the page says so and offers no form.
    again = officer.get(f"/township/organisations/{org}/filing")
    assert "无需再作决定" in again.text and row["filing_number"] in again.text
    assert 'name="decision"' not in again.text


def test_rejecting_without_a_reason_is_refused_and_records_nothing(
    api: Api, officer: Person
) -> None:
    org = apply(api, "文昌合唱团")
    officer.get(f"/township/organisations/{org}/filing")
    refused = officer.submit(
        f"/township/organisations/{org}/filing", {"decision": "rejected", "reason": "  "}
    )
    assert refused.status_code == 400
    assert 'class="error-summary"' in refused.text and 'href="#reason"' in refused.text
    assert "不予备案的理由：请填写理由" in refused.text
    assert 'value="rejected" checked' in refused.text  # what the person chose stays chosen
    nothing = officer.submit(f"/township/organisations/{org}/filing", {})
    assert nothing.status_code == 400 and "请选择备案决定" in nothing.text
    api.settle()
    row = organisation(api, org)
    assert row["filed_on"] is None and row["rejected_on"] is None
    rejected = officer.submit(
        f"/township/organisations/{org}/filing", {"decision": "rejected", "reason": "名称重复"}
    )
    assert rejected.status_code == 303
    api.settle()
    assert organisation(api, org)["rejected_on"] == today_cst().isoformat()


# ------------------------------------------------------------------ returns


def test_a_submitted_return_is_approved_through_the_console(api: Api, officer: Person) -> None:
    rid = submitted_return(api)
    work = officer.get("/township/worklist")
    assert f"/township/returns/{rid}" in work.text and "待审核报表（1）" in work.text
    listed = officer.get("/township/returns")
    assert listed.status_code == 200 and "文昌社区" in listed.text
    year, month = last_month().split("-")
    assert f"{year}年{int(month)}月" in listed.text
    detail = officer.get(f"/township/returns/{rid}")
    assert (
        detail.status_code == 200 and "活动次数" in detail.text and "村（社区）报送" in detail.text
    )
    answer = officer.submit(f"/township/returns/{rid}", {"decision": "approve"})
    assert answer.status_code == 303 and answer.headers["location"].startswith("/township/returns")
    api.settle()
    state = ok(api.township.get(f"/api/v1/returns/{rid}", headers=api.auth(township_op())), 200)
    assert state["state"] == "approved"
    assert 'name="decision"' not in officer.get(f"/township/returns/{rid}").text


def test_a_return_is_sent_back_only_with_a_reason(api: Api, officer: Person) -> None:
    rid = submitted_return(api)
    officer.get(f"/township/returns/{rid}")
    refused = officer.submit(f"/township/returns/{rid}", {"decision": "return", "reason": ""})
    assert refused.status_code == 400 and "请填写退回理由" in refused.text
    assert 'href="#reason"' in refused.text
    none = officer.submit(f"/township/returns/{rid}", {})
    assert none.status_code == 400 and "请选择审核意见" in none.text
    api.settle()
    path = f"/api/v1/returns/{rid}"
    assert ok(api.township.get(path, headers=api.auth(township_op())), 200)["state"] == "submitted"
    answer = officer.submit(f"/township/returns/{rid}", {"decision": "return", "reason": "请补报"})
    assert answer.status_code == 303
    api.settle()
    detail = ok(api.township.get(path, headers=api.auth(township_op())), 200)
    assert detail["state"] == "returned" and detail["history"][-1]["reason"] == "请补报"


# ------------------------------------------------------------------ inspections, charter


def test_an_inspection_ordering_rectification_waits_until_completed(
    api: Api, officer: Person
) -> None:
    org = filed(api, "文昌合唱团")
    form = officer.get(f"/township/organisations/{org}/inspections/new")
    assert form.status_code == 200 and "责令整改" in form.text
    one = officer.submit(
        f"/township/organisations/{org}/inspections/new",
        {"result": "rectification_ordered", "inspectors": "张三"},
    )
    assert one.status_code == 400 and 'class="error-summary"' in one.text
    assert 'href="#inspectors"' in one.text
    missing = officer.submit(f"/township/organisations/{org}/inspections/new", {"inspectors": ""})
    assert "请选择检查结果" in missing.text and "请填写检查人员" in missing.text
    api.settle()
    headers = api.auth(township_op())
    assert ok(api.township.get("/api/v1/inspections", headers=headers), 200)["inspections"] == []
    answer = officer.submit(
        f"/township/organisations/{org}/inspections/new",
        {"result": "rectification_ordered", "findings": "账目不清", "inspectors": "张三\n李四"},
    )
    assert answer.status_code == 303, answer.text
    api.settle()
    (inspection,) = ok(api.township.get("/api/v1/inspections", headers=headers), 200)["inspections"]
    assert inspection["result"] == "rectification_ordered" and inspection["rectified_on"] is None
    work = officer.get("/township/worklist")
    action = f"/township/inspections/{inspection['inspection_id']}/rectification-completed"
    assert "待完成整改（1）" in work.text and action in work.text
    assert officer.submit(action).status_code == 303
    api.settle()
    (done,) = ok(api.township.get("/api/v1/inspections", headers=headers), 200)["inspections"]
    assert done["rectified_on"] == today_cst().isoformat()
    assert "待完成整改（0）" in officer.get("/township/worklist").text


def test_the_officer_approves_a_charter(api: Api, officer: Person) -> None:
    org = filed(api, "文昌合唱团")
    assert "章程核准" in officer.get(f"/township/organisations/{org}/charter").text
    refused = officer.submit(f"/township/organisations/{org}/charter", {"party_clause": "yes"})
    assert refused.status_code == 400 and "请选择清廉入章" in refused.text
    api.settle()
    assert organisation(api, org)["charter_at"] is None
    answer = officer.submit(
        f"/township/organisations/{org}/charter", {"party_clause": "yes", "integrity_clause": "no"}
    )
    assert answer.status_code == 303, answer.text
    api.settle()
    row = organisation(api, org)
    assert row["charter_at"] and row["party_clause"] == 1 and row["integrity_clause"] == 0


# ------------------------------------------------------------------ organisations, report


def test_the_townships_organisations_by_village_with_their_state(api: Api, officer: Person) -> None:
    assert "暂无组织" in officer.get("/township/organisations").text
    org = filed(api, "文昌合唱团")
    pending = apply(api, "文昌书画社")
    page = officer.get("/township/organisations")
    assert page.status_code == 200 and "文昌社区" in page.text
    assert f'href="/organisations/{org}"' in page.text and "已备案" in page.text
    assert f"/township/organisations/{pending}/filing" in page.text and "待备案" in page.text
    assert f"/township/organisations/{org}/charter" in page.text


def test_the_report_shows_headline_figures_and_villages(api: Api, officer: Person) -> None:
    filed(api, "文昌合唱团")
    page = officer.get("/township/report")
    assert page.status_code == 200 and "城关街道" in page.text and "文昌社区" in page.text
    assert "每万常住人口组织数" in page.text and "/township/report/export.csv" in page.text
    year = str(today_cst().year)
    chosen = officer.get(f"/township/report?period={year}")
    assert chosen.status_code == 200 and f"{year}年1月1日" in chosen.text
    wrong = officer.get("/township/report?period=nonsense")
    assert wrong.status_code == 400 and "统计期间格式不正确" in wrong.text


def test_the_export_passes_the_apis_file_through(api: Api, officer: Person) -> None:
    filed(api, "文昌合唱团")
    direct = api.township.get(
        f"/api/v1/reports/{TOWNSHIP}/export.csv", headers=api.auth(township_op())
    )
    page = officer.get("/township/report/export.csv")
    assert page.status_code == 200
    assert page.headers["content-type"] == direct.headers["content-type"]
    assert page.headers["content-disposition"] == direct.headers["content-disposition"]
    assert page.content == direct.content and "城关街道" in page.content.decode("utf-8-sig")
    xlsx = officer.get("/township/report/export.xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    html = officer.get(f"/township/report/export.html?period={today_cst().year}")
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")


# ------------------------------------------------------------------ who may


@pytest.mark.parametrize("actor", [village_op(), county_op()], ids=["village", "county"])
def test_other_tiers_get_the_403_page(api: Api, actor: Actor) -> None:
    someone = person(api, actor)
    for path in ("/township/worklist", "/township/returns", "/township/report"):
        page = someone.get(path)
        assert page.status_code == 403 and "乡镇（街道）服务" in page.text, path
        assert page.headers["content-type"].startswith("text/html")


def test_a_viewer_reads_but_does_not_decide(api: Api) -> None:
    org = apply(api, "文昌合唱团")
    viewer = person(api, Actor("t-viewer", Tier.TOWNSHIP, TOWNSHIP, roles=("viewer",)))
    work = viewer.get("/township/worklist")
    assert work.status_code == 200 and "文昌合唱团" in work.text
    assert f"/township/organisations/{org}/filing" not in work.text
    form = viewer.get(f"/township/organisations/{org}/filing")
    assert form.status_code == 403 and "经办人" in form.text
    posted = viewer.submit(f"/township/organisations/{org}/filing", {"decision": "filed"})
    assert posted.status_code == 403
    api.settle()
    assert organisation(api, org)["filed_on"] is None


def test_an_organisation_of_the_other_township_answers_the_403_page(
    api: Api, officer: Person
) -> None:
    other = apply(api, "青溪舞蹈队", RURAL_VILLAGE)
    for path in (
        f"/township/organisations/{other}/filing",
        f"/township/organisations/{other}/inspections/new",
        f"/township/organisations/{other}/charter",
    ):
        page = officer.get(path)
        assert page.status_code == 403 and "不在本账号辖区" in page.text, path
    posted = officer.submit(f"/township/organisations/{other}/filing", {"decision": "filed"})
    assert posted.status_code == 403
    rural = person(api, township_op(RURAL_TOWNSHIP))
    assert "青溪舞蹈队" in rural.get("/township/worklist").text
    assert "青溪舞蹈队" not in officer.get("/township/worklist").text
    api.settle()
    headers = api.auth(township_op(RURAL_TOWNSHIP))
    row = ok(api.township.get(f"/api/v1/organisations/{other}", headers=headers), 200)
    assert row["filed_on"] is None
