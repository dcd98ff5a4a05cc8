"""Training courses in the console (ADR 0024): a township officer creates a course, records an
organisation's attendance, sees both refused and recorded on the pages, and the figures."""

from __future__ import annotations

from tests.console.browser import person
from tests.console.test_township import filed, ok
from tests.helpers import TOWNSHIP, Api, today_cst, township_op, village_op


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
    }
    # A village clerk has no training pages.
    assert person(api, village_op()).get("/training").status_code == 403
