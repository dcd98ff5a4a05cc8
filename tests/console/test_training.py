"""Training courses in the console (ADR 0024): a township officer creates a course, records an
organisation's attendance, sees both refused and recorded on the pages, and the figures."""

from __future__ import annotations

from tests.console.browser import person
from tests.console.test_township import filed, ok
from tests.helpers import COUNTY, TOWNSHIP, Api, county_op, today_cst, township_op, village_op


def test_a_township_runs_a_course_through_the_console(api: Api) -> None:
    org = filed(api, "文昌合唱团")
    officer = person(api, township_op())
    assert "培训" in officer.get("/training").text
    form = officer.get("/training/new")
    assert form.status_code == 200 and "负责人培训班" in form.text
    day = today_cst().isoformat()
    course = {"topic": "骨干培训", "kind": "core_staff", "starts_on": day, "trainer": "街道社工站"}
    refused = officer.submit("/training/new", {**course, "ends_on": "2000-01-01"})
    assert refused.status_code == 400 and 'class="error-summary"' in refused.text
    assert "结束日期" in refused.text and 'value="骨干培训"' in refused.text
    created = officer.submit("/training/new", {**course, "ends_on": day})
    assert created.status_code == 303, created.text
    page = created.headers["location"].split("?")[0]
    shown = officer.get(page)
    assert "业务骨干培训班" in shown.text and "文昌合唱团" in shown.text  # in the select
    zero = officer.submit(f"{page}/attendance", {"organisation_id": org, "trainees": "0"})
    assert zero.status_code == 400 and "参训人数" in zero.text
    answer = officer.submit(
        f"{page}/attendance", {"organisation_id": org, "trainees": "4", "roles": "负责人、业务骨干"}
    )
    assert answer.status_code == 303, answer.text
    api.settle()
    after = officer.get(page)
    assert "负责人、业务骨干" in after.text and "合计" in after.text
    assert "骨干培训" in officer.get("/training").text
    report = ok(
        api.township.get(
            f"/api/v1/reports/{TOWNSHIP}?period={today_cst().year}",
            headers=api.auth(township_op()),
        ),
        200,
    )
    assert report["figures"]["training"] == {
        "courses_held": 1,
        "trainees": 4,
        "organisations_reached": 1,
        "trainees_per_organisation": 4.0,
        "commended": 0,
    }
    # Correcting the course: the form starts from what was recorded; a refusal comes back
    # with the typed values and each reason beside its field, nothing recorded.
    assert f'href="{page}/correction"' in after.text
    form = officer.get(f"{page}/correction")
    assert form.status_code == 200 and 'value="骨干培训"' in form.text and "更正理由" in form.text
    heads = api.heads()
    fixed = {**course, "topic": "骨干能力提升", "ends_on": day}
    bad = officer.submit(f"{page}/correction", {**fixed, "reason": ""})
    assert bad.status_code == 400 and '<a href="#reason">请填写更正理由</a>' in bad.text
    assert 'value="骨干能力提升"' in bad.text
    reversed_ = officer.submit(
        f"{page}/correction", {**fixed, "ends_on": "2000-01-01", "reason": "改期"}
    )
    assert reversed_.status_code == 400 and '<a href="#ends_on">' in reversed_.text
    assert "早于开始日期" in reversed_.text
    assert api.heads() == heads
    corrected = officer.submit(f"{page}/correction", {**fixed, "reason": "主题录错"})
    assert corrected.status_code == 303, corrected.text
    api.settle()
    shown = officer.get(page)
    assert "骨干能力提升" in shown.text and "已更正 1 次" in shown.text
    # A village clerk has no training pages.
    assert person(api, village_op()).get("/training").status_code == 403


def test_a_county_commendation_round_through_the_console(api: Api) -> None:
    org = filed(api, "文昌调解队")
    year = today_cst().year
    ok(
        api.village.post(
            f"/api/v1/organisations/{org}/activities",
            json={
                "occurred_on": today_cst().isoformat(),
                "field": "mediation",
                "participants": 8,
                "volunteers": 1,
                "volunteer_services": 1,
                "volunteer_hours": "2",
                "beneficiaries": 8,
                "money_spent": "0",
                "themes": ["mediation"],
            },
            headers=api.auth(village_op()),
        )
    )
    api.settle()
    officer = person(api, county_op())
    assert "启动评先评优" in officer.get("/commendations").text
    future = officer.submit("/commendations", {"year": str(year + 1)})
    assert future.status_code == 400 and "评选年度" in future.text
    opened = officer.submit("/commendations", {"year": str(year)})
    assert opened.status_code == 303, opened.text
    page = opened.headers["location"].split("?")[0]
    shown = officer.get(page)
    assert "文昌调解队" in shown.text and "活跃度" in shown.text and "记录决定" in shown.text
    none = officer.submit(f"{page}/decision", {"note": ""})
    assert none.status_code == 400 and 'class="error-summary"' in none.text
    decided = officer.submit(f"{page}/decision", {f"commend_{org}": "y", "note": "年度表彰"})
    assert decided.status_code == 303, decided.text
    assert "拟表彰" in officer.get(page).text
    published = officer.submit(f"{page}/publication", {})
    assert published.status_code == 303, published.text
    api.settle()
    assert "已表彰" in officer.get(page).text
    report = ok(
        api.county.get(f"/api/v1/reports/{COUNTY}?period={year}", headers=api.auth(county_op())),
        200,
    )
    assert report["figures"]["training"]["commended"] == 1


def test_attendance_corrected_and_course_cancelled_through_the_console(api: Api) -> None:
    org = filed(api, "文昌合唱团")
    officer = person(api, township_op())
    officer.get("/training/new")
    day = today_cst().isoformat()
    created = officer.submit(
        "/training/new",
        {"topic": "负责人培训", "kind": "leaders", "starts_on": day, "ends_on": day,
         "trainer": "街道"},
    )  # fmt: skip
    page = created.headers["location"].split("?")[0]
    officer.get(page)
    assert (
        officer.submit(f"{page}/attendance", {"organisation_id": org, "trainees": "3"}).status_code
        == 303
    )
    form = officer.get(f"{page}/attendance-correction")
    assert form.status_code == 200 and "文昌合唱团" in form.text
    no_reason = officer.submit(
        f"{page}/attendance-correction", {"organisation_id": org, "trainees": "1"}
    )
    assert no_reason.status_code == 400 and "更正理由" in no_reason.text
    fixed = officer.submit(
        f"{page}/attendance-correction", {"organisation_id": org, "trainees": "1", "reason": "多报"}
    )
    assert fixed.status_code == 303, fixed.text
    officer.get(f"{page}/cancellation")
    cancelled = officer.submit(f"{page}/cancellation", {"reason": "录入错误"})
    assert cancelled.status_code == 303, cancelled.text
    api.settle()
    shown = officer.get(page).text
    assert "已取消：录入错误" in shown and "登记参训" not in shown
    course = ok(api.township.get(f"/api/v1/training-courses/{page.rsplit('/', 1)[1]}",
                                 headers=api.auth(township_op())), 200)  # fmt: skip
    assert [a["trainees"] for a in course["attendance"]] == [1]
