"""A form on an existing record carries the version it was drawn from (ADR 0035): submitted
after someone else changed the record, it is shown again with a Chinese explanation and
records nothing; submitted again, knowingly, it is accepted."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from shared.kernel.domain import Actor
from shared.kernel.jurisdiction import Tier
from tests.console.browser import Person, person
from tests.console.test_township import apply, filed
from tests.helpers import (
    COUNTY,
    VILLAGE,
    Api,
    account_of,
    county_op,
    stores_nothing,
    today_cst,
    township_op,
    usci,
)

VERSION = re.compile(r'name="record_version" value="([^"]*)"')


def drawn_version(page: Any) -> str:
    found = VERSION.search(page.text)
    assert found, "the form carries no version"
    return html.unescape(found.group(1))


def test_a_stale_organisation_form_is_shown_again_with_the_explanation(api: Api) -> None:
    body = {"usci": usci(43), "name": "文昌调解会", "field": "services", "village_code": VILLAGE}
    answer = api.county.post("/api/v1/registrations", json=body, headers=api.auth(county_op()))
    org = answer.json()["id"]
    clerk: Person = person(api, county_op())
    # The form carries a version once this tier's read model has projected its store up to
    # now (shared/api/versions.py, a bounded wait), and the sign-in was just recorded there.
    api.settle()
    form = clerk.get(f"/county/organisations/{org}/charter")
    assert form.status_code == 200 and drawn_version(form) == '"v1"'
    # Meanwhile another officer records the organisation's party organisation.
    other = api.county.post(
        f"/api/v1/organisations/{org}/party-organisation",
        json={"kind": "joint"},
        headers=api.auth(county_op()),
    )
    assert other.status_code == 200, other.text
    fields = {"party_clause": "true", "integrity_clause": "false", "effective_on": ""}
    with stores_nothing(api.platform):
        stale = clerk.submit(
            f"/county/organisations/{org}/charter", fields | {"record_version": '"v1"'}
        )
    assert stale.status_code == 400, stale.text
    assert "此记录已被他人修改（版本不符），本次未保存" in stale.text
    # Shown again with what was chosen and the record's version now: a second submission is
    # a decision taken after the warning.
    assert stale.text.count('<option value="true" selected>') == 1  # 党建入章: 是
    assert stale.text.count('<option value="false" selected>') == 1  # 清廉入章: 否
    assert drawn_version(stale) == '"v2"'
    again = clerk.submit(
        f"/county/organisations/{org}/charter", fields | {"record_version": drawn_version(stale)}
    )
    assert again.status_code == 303, again.text
    edited = clerk.submit(f"/county/organisations/{org}/charter", fields | {"record_version": "v3"})
    assert edited.status_code == 400 and "If-Match 格式不正确" in edited.text
    # A funding award is a record of its own: its form names no version of the registration.
    award = clerk.get(f"/county/organisations/{org}/funding-award")
    assert award.status_code == 200 and VERSION.search(award.text) is None


def test_a_stale_course_correction_is_refused_on_the_form(api: Api) -> None:
    day = today_cst().isoformat()
    course = {"topic": "骨干培训", "kind": "core_staff", "starts_on": day, "ends_on": day}
    course |= {"trainer": "街道社工站"}
    created = api.township.post(
        "/api/v1/training-courses", json=course, headers=api.auth(township_op())
    )
    assert created.status_code == 201, created.text
    page = f"/training/{created.json()['id']}"
    officer = person(api, township_op())
    # The form carries a version once this tier's read model has projected its store up to
    # now (shared/api/versions.py, a bounded wait), and the sign-in was just recorded there.
    api.settle()
    form = officer.get(f"{page}/correction")
    assert form.status_code == 200 and drawn_version(form) == '"v1"'
    # A colleague corrects the trainer meanwhile; the form restates the old trainer.
    other = api.township.post(
        f"/api/v1/training-courses/{created.json()['id']}/correction",
        json=course | {"trainer": "县社会组织服务中心", "reason": "授课人变更"},
        headers=api.auth(township_op()),
    )
    assert other.status_code == 200, other.text
    mine = course | {"topic": "骨干能力提升", "reason": "主题录错", "record_version": '"v1"'}
    with stores_nothing(api.platform):
        stale = officer.submit(f"{page}/correction", mine)
    assert stale.status_code == 400 and "此记录已被他人修改（版本不符）" in stale.text
    assert 'value="骨干能力提升"' in stale.text and drawn_version(stale) == '"v2"'


# ------------------------------------------------------------------ the forms versioned later


@dataclass
class Stale:
    """A form on a record: the page that draws it, where it posts, what is typed, and another
    person's change to the record made while the form is open."""

    actor: Actor
    draw: str
    post: str
    fields: dict[str, str]
    change: Callable[[], Any]


def _posted(response: Any, status: int = 201) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def _registered(api: Api, serial: int, name: str) -> str:
    org = api.registered(serial, name)
    api.governance_work(org)  # awarded, commended or graded below: governance work first
    return org


def _publication(api: Api) -> Stale:
    """A round's publication, drawn before a colleague recorded the decision."""
    org = _registered(api, 51, "文昌调解会")
    api.settle()
    year = str(today_cst().year)
    path = "/api/v1/commendation-rounds"
    county = api.auth(county_op())
    round_id = _posted(api.county.post(path, json={"year": year}, headers=county))["id"]
    api.settle()
    decision = {"organisation_ids": [org], "note": "年度表彰"}
    return Stale(
        county_op(),
        f"/commendations/{round_id}",
        f"/commendations/{round_id}/publication",
        {},
        lambda: _posted(
            api.county.post(f"{path}/{round_id}/decision", json=decision, headers=county), 200
        ),
    )


def _disbursement(api: Api) -> Stale:
    """A disbursement, drawn before a colleague recorded another tranche."""
    org = _registered(api, 52, "南门社工站")
    award = {"programme": "special_fund", "round": "2026", "project": "助老餐桌", "amount": "8000"}
    county = api.auth(county_op())
    path = f"/api/v1/organisations/{org}/funding-awards"
    award_id = _posted(api.county.post(path, json=award, headers=county))["id"]
    api.settle()
    tranche = {"tranche": "首期", "amount": "2000"}
    return Stale(
        county_op(),
        f"/county/funding/awards/{award_id}/disbursement",
        f"/county/funding/awards/{award_id}/disbursement",
        {"tranche": "二期", "amount": "1000"},
        lambda: api.county.post(
            f"/api/v1/funding-awards/{award_id}/disbursements", json=tranche, headers=county
        ),
    )


def _cancellation(api: Api) -> Stale:
    """A course's cancellation, drawn before a colleague corrected the course."""
    day = today_cst().isoformat()
    course = {"topic": "骨干培训", "kind": "core_staff", "starts_on": day, "ends_on": day}
    course |= {"trainer": "街道社工站"}
    township = api.auth(township_op())
    course_id = _posted(
        api.township.post("/api/v1/training-courses", json=course, headers=township)
    )["id"]
    api.settle()
    corrected = course | {"trainer": "县社会组织服务中心", "reason": "授课人变更"}
    return Stale(
        township_op(),
        f"/training/{course_id}/cancellation",
        f"/training/{course_id}/cancellation",
        {"reason": "未举办"},
        lambda: api.township.post(
            f"/api/v1/training-courses/{course_id}/correction", json=corrected, headers=township
        ),
    )


EVALUATOR = Actor("stale-eval", Tier.COUNTY, COUNTY, "evaluator", "评估员丁", ("evaluator",))


def _assignment(api: Api) -> tuple[str, list[str], Callable[[str], str]]:
    """A grade assignment of two organisations, and a way for its evaluator to record a
    finding on one of them."""
    orgs = [_registered(api, 53, "甲社工服务社"), _registered(api, 54, "乙志愿协会")]
    county = api.auth(county_op())
    body = {"name": "明鉴评估中心", "identifier": usci(55, "5"), "contact_role": "项目主管"}
    evaluator = _posted(api.county.post("/api/v1/evaluators", json=body, headers=county))["id"]
    evaluating = api.auth(EVALUATOR)  # opens the account (role evaluator only)
    member = {"account_id": account_of(EVALUATOR)}
    _posted(api.county.post(f"/api/v1/evaluators/{evaluator}/members", json=member, headers=county))
    assignment = {"evaluator_id": evaluator, "kind": "grade", "title": "等级评估"}
    assignment |= {"organisation_ids": orgs, "due_on": today_cst().isoformat()}
    path = "/api/v1/evaluation-assignments"
    assignment_id = str(_posted(api.county.post(path, json=assignment, headers=county))["id"])

    def finding(org: str) -> str:
        body = {"organisation_id": org, "grade": 4, "text": "治理规范"}
        body |= {"evaluated_on": today_cst().isoformat()}
        answer = api.county.post(f"{path}/{assignment_id}/findings", json=body, headers=evaluating)
        return str(_posted(answer)["id"])

    return assignment_id, orgs, finding


def _decision(api: Api) -> Stale:
    """The bureau's decision on a finding, drawn before the evaluator recorded another one."""
    assignment_id, orgs, finding = _assignment(api)
    first = finding(orgs[0])
    api.settle()
    detail = f"/county/evaluation/assignments/{assignment_id}"
    return Stale(
        county_op(),
        detail,
        f"{detail}/decisions/{first}",
        {"outcome": "accepted", "grade": "", "reason": "采纳"},
        lambda: finding(orgs[1]),
    )


def _finding(api: Api) -> Stale:
    """The evaluator's finding, drawn before the bureau decided on an earlier one."""
    assignment_id, orgs, finding = _assignment(api)
    first = finding(orgs[0])
    api.settle()
    decision = {"finding_id": first, "outcome": "accepted", "reason": "采纳"}
    path = f"/evaluator/assignments/{assignment_id}/findings/new"
    return Stale(
        EVALUATOR,
        path,
        path,
        {"organisation_id": orgs[1], "grade": "3", "text": "活动偏少"}
        | {"evaluated_on": today_cst().isoformat()},
        lambda: api.county.post(
            f"/api/v1/evaluation-assignments/{assignment_id}/decisions",
            json=decision,
            headers=api.auth(county_op()),
        ),
    )


def _charter(api: Api) -> Stale:
    """The township's charter approval, drawn before a colleague approved another reading."""
    org = filed(api, "文昌合唱团")
    charter = {"party_clause": True, "integrity_clause": True}
    return Stale(
        township_op(),
        f"/township/organisations/{org}/charter",
        f"/township/organisations/{org}/charter",
        {"party_clause": "yes", "integrity_clause": "no"},
        lambda: api.township.post(
            f"/api/v1/organisations/{org}/charter", json=charter, headers=api.auth(township_op())
        ),
    )


@pytest.mark.parametrize(
    "case", [_publication, _disbursement, _cancellation, _decision, _finding, _charter]
)
def test_a_form_drawn_before_another_change_is_refused_then_accepted_knowingly(
    api: Api, case: Callable[[Api], Stale]
) -> None:
    stale = case(api)
    clerk = person(api, stale.actor)
    # The form carries a version once this tier's read model has projected its store up to
    # now (shared/api/versions.py, a bounded wait), and the sign-in was just recorded there.
    api.settle()
    drawn = clerk.get(stale.draw)
    assert drawn.status_code == 200, drawn.text
    before = drawn_version(drawn)
    changed = stale.change()
    assert getattr(changed, "status_code", 201) < 300, getattr(changed, "text", "")
    with stores_nothing(api.platform):
        refused = clerk.submit(stale.post, stale.fields | {"record_version": before})
    assert refused.status_code == 400, refused.text
    assert "此记录已被他人修改（版本不符），本次未保存" in refused.text
    now = drawn_version(refused)
    assert now != before  # the record's version now: submitting again is a decision
    again = clerk.submit(stale.post, stale.fields | {"record_version": now})
    assert again.status_code == 303, again.text


def test_the_filing_decision_names_no_version_and_a_second_decision_is_refused(api: Api) -> None:
    org = apply(api, "文昌舞蹈队")
    officer = person(api, township_op())
    # The decision creates the township's filing: there is no version to carry yet.
    form = officer.get(f"/township/organisations/{org}/filing")
    assert form.status_code == 200 and VERSION.search(form.text) is None
    colleague = api.township.post(
        f"/api/v1/organisations/{org}/filing-decision",
        json={"decision": "rejected", "reason": "名称重复"},
        headers=api.auth(township_op()),
    )
    assert colleague.status_code == 201, colleague.text
    with stores_nothing(api.platform):
        late = officer.submit(f"/township/organisations/{org}/filing", {"decision": "filed"})
    assert late.status_code == 400 and "已作出决定" in late.text, late.text
