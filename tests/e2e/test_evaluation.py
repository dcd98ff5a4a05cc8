"""Third-party evaluation through the county's HTTP API (ADR 0026): the bureau registers an
evaluator, binds its account and assigns it organisations and a funded project; the evaluator
sees only its assignments and records findings (corrections as new events); the bureau decides,
which records the rating or the project evaluation; the timeline shows who evaluated and who
decided. One platform for the module: the tests run in order on one story."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from shared.api import deps
from shared.kernel.domain import Actor
from shared.kernel.jurisdiction import Tier
from tests.helpers import (
    COUNTY,
    VILLAGE,
    Api,
    account_of,
    build_platform,
    county_op,
    today_cst,
    usci,
)

EVALUATOR = Actor("pg-eval-1", Tier.COUNTY, COUNTY, "evaluator", "评估员甲", ("evaluator",))
OTHER = Actor("pg-eval-2", Tier.COUNTY, COUNTY, "evaluator", "评估员乙", ("evaluator",))
TODAY = today_cst().isoformat()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    p = build_platform(Path(tmp_path_factory.mktemp("evaluation")))
    p.start()
    api = Api.of(p)
    orgs = [api.registered(n, name) for n, name in ((701, "甲社工服务社"), (702, "乙志愿协会"))]
    outside = api.registered(703, "丙协会")
    for org in orgs:  # graded or funded below: the shipped rule asks governance work first
        api.governance_work(org)
    award = _post(
        api,
        f"/api/v1/organisations/{orgs[1]}/funding-awards",
        {"programme": "micro_venture", "round": "2026", "project": "助老", "amount": "10000"},
        201,
    )["id"]
    evaluators = [
        _post(
            api,
            "/api/v1/evaluators",
            {"name": name, "identifier": usci(serial, "5"), "contact_role": "项目主管"},
            201,
        )["id"]
        for serial, name in ((801, "明鉴评估中心"), (802, "公信评估所"))
    ]
    for actor, evaluator in ((EVALUATOR, evaluators[0]), (OTHER, evaluators[1])):
        api.auth(actor)  # opens the account (role evaluator only)
        body = {"account_id": account_of(actor)}
        _post(api, f"/api/v1/evaluators/{evaluator}/members", body, 201)
    grade = _post(
        api,
        "/api/v1/evaluation-assignments",
        {
            "evaluator_id": evaluators[0],
            "kind": "grade",
            "title": "2026 年等级评估",
            "organisation_ids": orgs,
            "due_on": TODAY,
        },
        201,
    )["id"]
    other = _post(
        api,
        "/api/v1/evaluation-assignments",
        {
            "evaluator_id": evaluators[1],
            "kind": "grade",
            "title": "乙所委托",
            "organisation_ids": [outside],
            "due_on": TODAY,
        },
        201,
    )["id"]
    yield {
        "api": api,
        "orgs": orgs,
        "outside": outside,
        "award": award,
        "evaluators": evaluators,
        "grade": grade,
        "other": other,
    }
    p.stop()


def _post(
    api: Api, path: str, body: dict[str, Any], status: int, actor: Actor | None = None
) -> Any:
    response = api.county.post(path, json=body, headers=api.auth(actor or county_op()))
    assert response.status_code == status, response.text
    api.settle()
    return response.json()


def _get(api: Api, path: str, actor: Actor | None = None, status: int = 200) -> Any:
    response = api.county.get(path, headers=api.auth(actor or county_op()))
    assert response.status_code == status, response.text
    return response.json()


def _refused(
    api: Api, method: str, path: str, actor: Actor, status: int, code: str, body: Any = None
) -> None:
    headers = api.auth(actor)  # opens the account first: not the request's doing
    before = api.heads()
    response = api.county.request(method, path, json=body, headers=headers)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code
    assert error["message_zh"]
    assert api.heads() == before  # nothing recorded


def _finding(world: dict[str, Any], org: str, **extra: Any) -> dict[str, Any]:
    return {"organisation_id": org, "text": "内部治理规范", "evaluated_on": TODAY, **extra}


def test_the_evaluator_sees_its_own_assignments_only(world: dict[str, Any]) -> None:
    api = world["api"]
    mine = _get(api, "/api/v1/evaluation-assignments", EVALUATOR)["assignments"]
    assert [a["assignment_id"] for a in mine] == [world["grade"]]
    assert len(_get(api, "/api/v1/evaluation-assignments")["assignments"]) == 2  # the bureau
    one = _get(api, f"/api/v1/evaluation-assignments/{world['grade']}", EVALUATOR)
    assert {t["organisation_id"] for t in one["targets"]} == set(world["orgs"])
    other = world["other"]
    _refused(api, "GET", f"/api/v1/evaluation-assignments/{other}", EVALUATOR, 403,
             "out_of_jurisdiction")  # fmt: skip
    for path in (
        "/api/v1/evaluators",
        f"/api/v1/organisations/{world['orgs'][0]}",
        f"/api/v1/organisations/{world['orgs'][0]}/timeline",
        f"/api/v1/reports/{COUNTY}",
        "/api/v1/evaluation-figures",
        "/api/v1/accounts",
    ):
        _refused(api, "GET", path, EVALUATOR, 403, "evaluator_forbidden")
    _refused(
        api,
        "POST",
        f"/api/v1/evaluation-assignments/{world['grade']}/decisions",
        EVALUATOR,
        403,
        "evaluator_forbidden",
        {"finding_id": world["grade"], "outcome": "accepted", "reason": "自己决定"},
    )
    # An organisation outside the assignment, and another evaluator's assignment: 403.
    findings = f"/api/v1/evaluation-assignments/{world['grade']}/findings"
    body = _finding(world, world["outside"], grade=4)
    _refused(api, "POST", findings, EVALUATOR, 403, "out_of_jurisdiction", body)
    body = _finding(world, world["outside"], grade=4)
    _refused(api, "POST", f"/api/v1/evaluation-assignments/{other}/findings", EVALUATOR, 403,
             "out_of_jurisdiction", body)  # fmt: skip
    # The bureau does not evaluate: only an evaluator's people record findings.
    _refused(api, "POST", findings, county_op(), 403, "evaluator_only",
             _finding(world, world["orgs"][0], grade=4))  # fmt: skip


def test_findings_corrections_and_the_bureaus_decision(world: dict[str, Any]) -> None:
    api = world["api"]
    org, base = world["orgs"][0], f"/api/v1/evaluation-assignments/{world['grade']}"
    _refused(api, "POST", f"{base}/findings", EVALUATOR, 422, "invalid_grade",
             _finding(world, org, grade=6))  # fmt: skip
    once = api.auth(EVALUATOR, key="finding-1")
    answer = api.county.post(f"{base}/findings", json=_finding(world, org, grade=4), headers=once)
    assert answer.status_code == 201, answer.text
    first = answer.json()["id"]
    again = api.county.post(f"{base}/findings", json=_finding(world, org, grade=4), headers=once)
    assert (again.json()["id"], again.json()["replayed"]) == (first, True)  # a retry
    api.settle()
    _refused(api, "POST", f"{base}/findings", EVALUATOR, 409, "finding_exists",
             _finding(world, org, grade=3))  # fmt: skip
    corrected = _post(
        api, f"{base}/findings", _finding(world, org, grade=3, corrects=first), 201, EVALUATOR
    )["id"]
    # A decision needs a current finding of this assignment.
    no_finding = {"finding_id": world["other"], "outcome": "accepted", "reason": "依据评估"}
    _refused(api, "POST", f"{base}/decisions", county_op(), 409, "finding_required", no_finding)
    stale = {"finding_id": first, "outcome": "accepted", "reason": "依据评估"}
    _refused(api, "POST", f"{base}/decisions", county_op(), 409, "finding_superseded", stale)
    bad = {"finding_id": corrected, "outcome": "amended", "grade": 0, "reason": "改定"}
    _refused(api, "POST", f"{base}/decisions", county_op(), 422, "invalid_grade", bad)
    decision = {"finding_id": corrected, "outcome": "accepted", "reason": "采纳评估意见"}
    headers = api.auth(county_op(), key="decide-1")
    answer = api.county.post(f"{base}/decisions", json=decision, headers=headers)
    assert answer.status_code == 201, answer.text
    api.settle()
    again = api.county.post(f"{base}/decisions", json=decision, headers=headers)
    assert (again.status_code, again.json()["replayed"]) == (201, True)  # idempotent retry
    _refused(api, "POST", f"{base}/decisions", county_op(), 409, "already_decided", decision)
    _refused(api, "POST", f"{base}/findings", EVALUATOR, 409, "finding_decided",
             _finding(world, org, grade=2, corrects=corrected))  # fmt: skip
    # The decision recorded the grade as the organisation's rating.
    assert _get(api, f"/api/v1/organisations/{org}")["grade"] == 3
    detail = _get(api, base)
    assert [(f["grade"], f["superseded_by"]) for f in detail["findings"]] == [
        (4, corrected),
        (3, None),
    ]
    assert detail["findings"][0]["recorded_by"] == "评估员甲"
    assert [(d["finding_id"], d["outcome"], d["grade"]) for d in detail["decisions"]] == [
        (corrected, "accepted", 3)
    ]
    # The trail: who evaluated (the evaluator's account) and who decided (the bureau), and
    # the rating caused by the same request as the decision.
    events = _get(api, f"/api/v1/organisations/{org}/timeline")["events"]
    kinds = [(e["type"].split(".", 2)[2], e["actor"]["role"]) for e in events]
    assert ("evaluation.finding_recorded.v1", "evaluator") in kinds
    decided = next(e for e in events if e["type"] == "sanji.county.evaluation.decided.v1")
    rated = [e for e in events if e["type"] == "sanji.county.rating.recorded.v1"][-1]
    assert decided["data"]["finding_id"] == corrected
    assert decided["actor"]["role"] == "operator"
    assert rated["correlation_id"] == decided["correlation_id"]
    assert rated["data"]["grade"] == 3


def test_rejection_records_no_rating_and_closure_stops_findings(world: dict[str, Any]) -> None:
    api = world["api"]
    org, base = world["orgs"][1], f"/api/v1/evaluation-assignments/{world['grade']}"
    finding = _post(api, f"{base}/findings", _finding(world, org, grade=5), 201, EVALUATOR)["id"]
    body = {"finding_id": finding, "outcome": "rejected", "reason": "材料不实"}
    _post(api, f"{base}/decisions", body, 201)
    assert _get(api, f"/api/v1/organisations/{org}")["grade"] is None
    _post(api, f"{base}/closure", {"reason": "评估完成"}, 200)
    _refused(api, "POST", f"{base}/findings", EVALUATOR, 409, "assignment_closed",
             _finding(world, world["orgs"][0], grade=2))  # fmt: skip
    years = _get(api, "/api/v1/evaluation-figures")["years"]
    assert years == [{"year": int(TODAY[:4]), "assignments": 2, "findings": 2, "decisions": 2}]
    # The same work as catalogue figures of the county's report and its export (group 12):
    # findings and decisions at the organisations' villages, assignments at the county's level.
    report = _get(api, f"/api/v1/reports/{COUNTY}?period={TODAY[:4]}")
    assert report["figures"]["evaluation"] == {
        "assignments": 2,
        "findings": 2,
        "organisations_evaluated": 2,
        "decisions": 2,
        "accepted": 1,
        "acceptance_rate": 0.5,
    }
    village = _get(api, f"/api/v1/reports/{VILLAGE}?period={TODAY[:4]}")["figures"]
    assert (village["evaluation"]["assignments"], village["evaluation"]["findings"]) == (0, 2)
    csv = api.county.get(
        f"/api/v1/reports/{COUNTY}/export.csv?period={TODAY[:4]}", headers=api.auth(county_op())
    ).text
    assert "第三方评估,评估意见,份" in csv and "评估意见采纳率" in csv


def test_a_project_evaluation_decided_records_the_awards_evaluation(
    world: dict[str, Any],
) -> None:
    api = world["api"]
    assignment = _post(
        api,
        "/api/v1/evaluation-assignments",
        {
            "evaluator_id": world["evaluators"][0],
            "kind": "project",
            "title": "微创投项目终期评估",
            "award_ids": [world["award"]],
            "due_on": TODAY,
        },
        201,
    )["id"]
    base, org = f"/api/v1/evaluation-assignments/{assignment}", world["orgs"][1]
    incomplete = _finding(world, org, award_id=world["award"], stage="final")
    _refused(api, "POST", f"{base}/findings", EVALUATOR, 422, "project_finding_incomplete",
             incomplete)  # fmt: skip
    finding = _post(api, f"{base}/findings", {**incomplete, "score": "78"}, 201, EVALUATOR)["id"]
    amended = {"finding_id": finding, "outcome": "amended", "score": "88", "reason": "复核"}
    _post(api, f"{base}/decisions", amended, 201)
    award = _get(api, f"/api/v1/funding-awards/{world['award']}")
    assert [(e["stage"], e["grade"]) for e in award["evaluations"]] == [("final", "A")]


def test_roles_and_suspension(world: dict[str, Any]) -> None:
    api = world["api"]
    admin = Actor("pg-admin", Tier.COUNTY, COUNTY, "admin", "管理员", ("admin",))
    mixed = {"username": "mixed", "name": "混合", "division": COUNTY,
             "roles": ["operator", "evaluator"]}  # fmt: skip
    _refused(api, "POST", "/api/v1/accounts", admin, 422, "evaluator_role_alone", mixed)
    evaluator = world["evaluators"][1]
    _post(api, f"/api/v1/evaluators/{evaluator}/state",
          {"state": "suspended", "reason": "合同暂停"}, 200)  # fmt: skip
    _refused(api, "POST", f"/api/v1/evaluation-assignments/{world['other']}/findings", OTHER,
             409, "evaluator_inactive", _finding(world, world["outside"], grade=3))  # fmt: skip
    _refused(api, "POST", "/api/v1/evaluators", county_op(), 409, "evaluator_exists",
             {"name": "重复", "identifier": usci(801, "5"), "contact_role": "主任"})  # fmt: skip


def test_every_other_county_route_refuses_an_evaluator(world: dict[str, Any]) -> None:
    """The allowlist is central (shared/api/deps.py): every route in the county's OpenAPI
    outside it answers 403 ``evaluator_forbidden`` to an evaluator's token, so a route added
    later is closed without anyone remembering to close it."""
    api = world["api"]
    headers = api.auth(EVALUATOR)
    allowed = deps.EVALUATOR_ROUTES | {("POST", "/api/v1/auth/token")}  # login: no token
    spec = api.county.app.openapi()
    before = api.heads()
    checked = 0
    for route, operations in spec["paths"].items():
        if not route.startswith("/api/"):
            continue
        for method in operations:
            if (method.upper(), route) in allowed:
                continue
            path = re.sub(r"\{[^}]+\}", world["grade"], route)
            answer = api.county.request(method.upper(), path, json={}, headers=headers)
            assert (answer.status_code, answer.json()["error"]["code"]) == (
                403,
                "evaluator_forbidden",
            ), f"{method.upper()} {route}"
            checked += 1
    assert checked > 80
    assert api.heads() == before
