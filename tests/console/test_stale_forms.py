"""A form on an existing record carries the version it was drawn from (ADR 0035): submitted
after someone else changed the record, it is shown again with a Chinese explanation and
records nothing; submitted again, knowingly, it is accepted."""

from __future__ import annotations

import html
import re
from typing import Any

from tests.console.browser import Person, person
from tests.helpers import VILLAGE, Api, county_op, stores_nothing, today_cst, township_op, usci

VERSION = re.compile(r'name="record_version" value="([^"]*)"')


def drawn_version(page: Any) -> str:
    found = VERSION.search(page.text)
    assert found, "the form carries no version"
    return html.unescape(found.group(1))


def test_a_stale_organisation_form_is_shown_again_with_the_explanation(api: Api) -> None:
    body = {"usci": usci(43), "name": "文昌调解会", "field": "services", "village_code": VILLAGE}
    answer = api.county.post("/api/v1/registrations", json=body, headers=api.auth(county_op()))
    org = answer.json()["id"]
    api.settle()
    clerk: Person = person(api, county_op())
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
    api.settle()
    officer = person(api, township_op())
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
