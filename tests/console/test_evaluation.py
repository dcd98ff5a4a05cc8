"""Third-party evaluation in the console (ADR 0026), as a new bureau clerk and an outside
evaluator would use it: register the evaluator, bind its account, assign a grade evaluation;
the evaluator signs in, sees only its assignment and records a finding; the bureau decides and
the page says who evaluated and who decided."""

from __future__ import annotations

import re

from shared.kernel.domain import Actor
from shared.kernel.jurisdiction import Tier
from tests.console.browser import person
from tests.helpers import COUNTY, Api, county_op, today_cst, usci

EVALUATOR = Actor("ui-eval", Tier.COUNTY, COUNTY, "evaluator", "评估员丙", ("evaluator",))
CLERK = Actor("ui-clerk", Tier.COUNTY, COUNTY, "operator", "局经办人", ("operator",))


def test_evaluation_from_assignment_to_decision(api: Api) -> None:
    org = api.registered(901, "丁社工服务社")
    api.governance_work(org)  # graded below: the shipped rule asks governance work first
    bureau = person(api, CLERK)
    assert "第三方评估" in bureau.get("/county/evaluation").text
    # A form sent empty comes back with Chinese errors beside each field.
    bureau.get("/county/evaluation/evaluators/new")
    empty = bureau.submit("/county/evaluation/evaluators/new", {"name": ""})
    assert empty.status_code == 400 and "评估机构名称" in empty.text and "请填写" in empty.text
    sent = bureau.submit(
        "/county/evaluation/evaluators/new",
        {"name": "明理评估中心", "identifier": usci(902, "5"), "contact_role": "项目主管"},
    )
    assert sent.status_code == 303
    evaluator = api.county.get("/api/v1/evaluators", headers=api.auth(county_op())).json()
    evaluator_id = evaluator["evaluators"][0]["evaluator_id"]
    reader = person(api, EVALUATOR, login=False)  # opens the account (role evaluator only)
    bureau.get(f"/county/evaluation/evaluators/{evaluator_id}/members/new")
    bound = bureau.submit(
        f"/county/evaluation/evaluators/{evaluator_id}/members/new", {"account_id": "ui-eval"}
    )
    assert bound.status_code == 303, bound.text
    form = bureau.get("/county/evaluation/assignments/new?kind=grade")
    assert "丁社工服务社" in form.text
    assigned = bureau.submit(
        "/county/evaluation/assignments/new?kind=grade",
        {
            "evaluator_id": evaluator_id,
            "title": "年度等级评估",
            "due_on": today_cst().isoformat(),
            "organisation_ids": org,
        },
    )
    assert assigned.status_code == 303, assigned.text

    # The evaluator: its assignments are its home; the bureau's pages are closed to it.
    reader.login("ui-eval")
    home = reader.client.get("/", follow_redirects=False)
    assert home.headers["location"] == "/evaluator/assignments"
    listing = reader.get("/evaluator/assignments")
    assert "年度等级评估" in listing.text
    assert reader.get("/county/evaluation").status_code == 403
    assert reader.get(f"/organisations/{org}").status_code == 403
    assignment = re.search(r"/evaluator/assignments/([0-9a-f-]{36})", listing.text)
    assert assignment is not None
    path = f"/evaluator/assignments/{assignment.group(1)}/findings/new"
    reader.get(path)
    bad = reader.submit(path, {"organisation_id": org, "grade": "4", "text": ""})
    assert bad.status_code == 400 and "评估意见" in bad.text
    recorded = reader.submit(
        path,
        {
            "organisation_id": org,
            "grade": "4",
            "text": "治理规范，活动扎实",
            "evaluated_on": today_cst().isoformat(),
        },
    )
    assert recorded.status_code == 303, recorded.text

    # The bureau decides beside the finding; the page names who evaluated and who decided.
    detail = bureau.get(f"/county/evaluation/assignments/{assignment.group(1)}")
    finding = re.search(r"/decisions/([0-9a-f-]{36})", detail.text)
    assert finding is not None and "评估员丙" in detail.text
    decision = f"/county/evaluation/assignments/{assignment.group(1)}/decisions/{finding.group(1)}"
    amended = bureau.submit(decision, {"outcome": "amended", "grade": "", "reason": "改定"})
    assert amended.status_code == 400 and "改定须给出局方认定的等级" in amended.text
    decided = bureau.submit(
        f"/county/evaluation/assignments/{assignment.group(1)}/decisions/{finding.group(1)}",
        {"outcome": "accepted", "grade": "", "reason": "采纳"},
    )
    assert decided.status_code == 303, decided.text
    after = bureau.get(f"/county/evaluation/assignments/{assignment.group(1)}").text
    assert "采纳 4A（局经办人" in after
