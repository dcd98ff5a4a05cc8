"""Third-party evaluation pages (第三方评估, ADR 0026). The bureau (county operators): its
evaluators, register one, bind an account, suspend/resume/end it, assign it organisations or
funded projects, read the findings and decide on each. An evaluator (role ``evaluator``): its
organisation's assignments and a form to record a finding or correct one. Every page reaches
data through the county API, which refuses an evaluator anything outside its assignments.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter
from fastapi.responses import Response

from shared.capabilities.identity.accounts import account_id
from shared.console import labels
from shared.console.forms import Form, drawn_at
from shared.console.pages.county_work import (
    EFFECTIVE,
    WORKERS,
    Input,
    command,
    command_form,
)
from shared.console.web import CurrentPage, Page, Posted, done
from shared.kernel.jurisdiction import Tier

router = APIRouter()

KIND_ZH = {"grade": "等级评估", "project": "资助项目评估"}
STATE_ZH = {"active": "合作中", "suspended": "已暂停", "ended": "已终止"}
OUTCOME_ZH = {"accepted": "采纳", "amended": "改定", "rejected": "不予采纳"}
STAGE_ZH = {"mid_term": "中期评估", "final": "结项评估"}
GRADE_ZH = {str(g): f"{g}A" for g in range(5, 0, -1)}
EVALUATOR_ROLE = ("evaluator",)
HOME = ("/county/evaluation", "第三方评估")

REGISTER = [
    Input("name", "评估机构名称"),
    Input("identifier", "统一社会信用代码或其他登记号", width="20"),
    Input("contact_role", "联系人职务", hint="只登记职务，不登记个人信息", width="20"),
    EFFECTIVE,
]
MEMBER = [
    Input(
        "account_id",
        "评估人员账号（登录名）",
        hint="须为县级账号，且唯一角色为“第三方评估”（由账号管理员开设）",
        width="20",
    ),
]
STATE = [
    Input(
        "state", "状态", "select", options={"suspended": "暂停", "active": "恢复", "ended": "终止"}
    ),
    Input("reason", "理由", "textarea"),
    EFFECTIVE,
]
CLOSE = [Input("reason", "结束理由", "textarea", "结束后评估机构不能再记录评估意见"), EFFECTIVE]


def _context() -> dict[str, Any]:
    return {
        "kinds": KIND_ZH,
        "states": STATE_ZH,
        "outcomes": OUTCOME_ZH,
        "stages": STAGE_ZH,
    }


# ------------------------------------------------------------------ the bureau


@router.get("/county/evaluation")
async def evaluation(page: CurrentPage) -> Response:
    page.require("county", roles=WORKERS)
    evaluators = (await page.api.get("/api/v1/evaluators"))["evaluators"]
    assignments = (await page.api.get("/api/v1/evaluation-assignments"))["assignments"]
    years = (await page.api.get("/api/v1/evaluation-figures"))["years"]
    return page.render(
        "county/evaluation.html",
        title="第三方评估",
        evaluators=evaluators,
        assignments=assignments,
        years=years,
        **_context(),
    )


async def _form(
    page: Page,
    posted: Posted | None,
    inputs: list[Input],
    api_path: str,
    *,
    title: str,
    submit: str,
    message: str,
    back: str = "/county/evaluation",
    caption: str = "",
    fixed: dict[str, Any] | None = None,
    roles: tuple[str, ...] = WORKERS,
    values: dict[str, str] | None = None,
    version: str | None = None,
) -> Response:
    return await command_form(
        page,
        posted,
        inputs,
        api_path,
        title=title,
        submit=submit,
        message=message,
        back=back,
        trail=[HOME if roles == WORKERS else MINE, ("", title)],
        roles=roles,
        caption=caption,
        values=values,
        fixed=fixed,
        version=version,
    )


@router.get("/county/evaluation/evaluators/new")
async def register_form(page: CurrentPage) -> Response:
    return await _register(page, None)


@router.post("/county/evaluation/evaluators/new")
async def register(page: CurrentPage, posted: Posted) -> Response:
    return await _register(page, posted)


async def _register(page: Page, posted: Posted | None) -> Response:
    return await _form(
        page,
        posted,
        REGISTER,
        "/api/v1/evaluators",
        title="登记评估机构",
        submit="登记",
        message="评估机构已登记。",
    )


@router.get("/county/evaluation/evaluators/{evaluator_id}/members/new")
async def member_form(page: CurrentPage, evaluator_id: UUID) -> Response:
    return await _member(page, None, evaluator_id)


@router.post("/county/evaluation/evaluators/{evaluator_id}/members/new")
async def member(page: CurrentPage, posted: Posted, evaluator_id: UUID) -> Response:
    return await _member(page, posted, evaluator_id)


async def _member(page: Page, posted: Posted | None, evaluator_id: UUID) -> Response:
    fixed = None
    if posted is not None:
        # The bureau knows the login name; the API takes the account's id, derived from it.
        name = posted.get("account_id", "").strip().lower()
        if name:
            fixed = {"account_id": str(account_id(Tier.COUNTY, name))}
    return await _form(
        page,
        posted,
        MEMBER,
        f"/api/v1/evaluators/{evaluator_id}/members",
        title="绑定评估人员账号",
        submit="绑定",
        message="账号已绑定到评估机构。",
        fixed=fixed,
    )


@router.get("/county/evaluation/evaluators/{evaluator_id}/state")
async def state_form(page: CurrentPage, evaluator_id: UUID) -> Response:
    return await _state(page, None, evaluator_id)


@router.post("/county/evaluation/evaluators/{evaluator_id}/state")
async def state(page: CurrentPage, posted: Posted, evaluator_id: UUID) -> Response:
    return await _state(page, posted, evaluator_id)


async def _state(page: Page, posted: Posted | None, evaluator_id: UUID) -> Response:
    return await _form(
        page,
        posted,
        STATE,
        f"/api/v1/evaluators/{evaluator_id}/state",
        title="暂停、恢复或终止评估机构",
        submit="保存",
        message="评估机构状态已变更。",
    )


async def _registered(page: Page) -> dict[str, str]:
    answer = await page.api.get("/api/v1/organisations", limit=500)
    return {
        o["org_id"]: o.get("name") or o["org_id"]
        for o in answer["organisations"]
        if labels.status_of(o) == "registered"
    }


@router.get("/county/evaluation/assignments/new")
async def assignment_form(page: CurrentPage, kind: str = "grade") -> Response:
    return await _assignment(page, None, kind)


@router.post("/county/evaluation/assignments/new")
async def assign(page: CurrentPage, posted: Posted, kind: str = "grade") -> Response:
    return await _assignment(page, posted, kind)


async def _assignment(page: Page, posted: Posted | None, kind: str) -> Response:
    page.require("county", roles=WORKERS)
    kind = "project" if kind == "project" else "grade"
    evaluators = {
        e["evaluator_id"]: e["name"]
        for e in (await page.api.get("/api/v1/evaluators"))["evaluators"]
        if e["state"] == "active"
    }
    inputs = [
        Input("evaluator_id", "评估机构", "select", options=evaluators),
        Input("title", "委托名称", hint="如 2026 年度等级评估"),
        Input("due_on", "完成期限", "date"),
        EFFECTIVE,
    ]
    many = "award_ids" if kind == "project" else "organisation_ids"
    chosen: list[str] = []
    form = Form(values={})
    if posted is not None:
        chosen = [str(v) for v in (await page.request.form()).getlist(many)]
        answer, form = await command(
            page, posted, inputs, "/api/v1/evaluation-assignments",
            fixed={"kind": kind, many: chosen},
        )  # fmt: skip
        if answer is not None:
            return done(page.request, "/county/evaluation", "评估委托已下达。")
    return page.render(
        "county/evaluation_assign.html",
        status=200 if posted is None else 400,
        title=f"委托{KIND_ZH[kind]}",
        form=form,
        fields=inputs,
        many=many,
        targets=await _project_targets(page) if kind == "project" else await _registered(page),
        chosen=chosen,
        kind=kind,
        trail=[HOME, ("", f"委托{KIND_ZH[kind]}")],
    )


async def _project_targets(page: Page) -> dict[str, str]:
    calls = (await page.api.get("/api/v1/funding-calls"))["calls"]
    return {
        a["award_id"]: f"{a.get('name') or a['org_id']}：{a['project']}"
        for c in calls
        for a in c.get("applications", [])
        if a.get("award_id")
    }


@router.get("/county/evaluation/assignments/{assignment_id}")
async def assignment(page: CurrentPage, assignment_id: UUID) -> Response:
    page.require("county", roles=WORKERS)
    return await _detail(page, assignment_id, bureau=True)


async def _detail(page: Page, assignment_id: UUID, *, bureau: bool) -> Response:
    # Each decision form carries the assignment's version (ADR 0035): a decision on findings
    # as shown is refused if a finding was corrected or decided meanwhile.
    found, version = await page.api.versioned(f"/api/v1/evaluation-assignments/{assignment_id}")
    names = {t["organisation_id"]: t["name"] or t["organisation_id"] for t in found["targets"]}
    decided = {d["finding_id"]: d for d in found["decisions"]}
    return page.render(
        "county/evaluation_assignment.html",
        title=found["title"],
        a=found,
        names=names,
        decided=decided,
        bureau=bureau,
        form=drawn_at(Form(), version),
        grades=GRADE_ZH,
        trail=[HOME if bureau else MINE, ("", found["title"])],
        **_context(),
    )


@router.post("/county/evaluation/assignments/{assignment_id}/decisions/{finding_id}")
async def decide(
    page: CurrentPage, posted: Posted, assignment_id: UUID, finding_id: UUID
) -> Response:
    inputs = [
        Input("outcome", "决定", "select", options=OUTCOME_ZH),
        Input("grade", "改定等级", "select", options=GRADE_ZH, blank="不改定"),
        Input("score", "改定评分", width="5"),
        Input("reason", "理由", "textarea"),
        EFFECTIVE,
    ]
    return await _form(
        page,
        posted,
        inputs,
        f"/api/v1/evaluation-assignments/{assignment_id}/decisions",
        title="对评估意见作出决定",
        submit="决定",
        message="决定已记录。",
        back=f"/county/evaluation/assignments/{assignment_id}",
        fixed={"finding_id": str(finding_id)},
    )


@router.get("/county/evaluation/assignments/{assignment_id}/closure")
async def close_form(page: CurrentPage, assignment_id: UUID) -> Response:
    return await _close(page, None, assignment_id)


@router.post("/county/evaluation/assignments/{assignment_id}/closure")
async def close(page: CurrentPage, posted: Posted, assignment_id: UUID) -> Response:
    return await _close(page, posted, assignment_id)


async def _close(page: Page, posted: Posted | None, assignment_id: UUID) -> Response:
    # Closing acts on the assignment as shown (its version, ADR 0035).
    _, version = await page.api.versioned(f"/api/v1/evaluation-assignments/{assignment_id}")
    return await _form(
        page,
        posted,
        CLOSE,
        f"/api/v1/evaluation-assignments/{assignment_id}/closure",
        title="结束评估委托",
        submit="结束委托",
        message="评估委托已结束。",
        back=f"/county/evaluation/assignments/{assignment_id}",
        version=version,
    )


# ------------------------------------------------------------------ the evaluator

MINE = ("/evaluator/assignments", "评估委托")


@router.get("/evaluator/assignments")
async def mine(page: CurrentPage) -> Response:
    page.require("county", roles=EVALUATOR_ROLE)
    assignments = (await page.api.get("/api/v1/evaluation-assignments"))["assignments"]
    return page.render(
        "county/evaluator_assignments.html",
        title="本机构的评估委托",
        assignments=assignments,
        **_context(),
    )


@router.get("/evaluator/assignments/{assignment_id}")
async def my_assignment(page: CurrentPage, assignment_id: UUID) -> Response:
    page.require("county", roles=EVALUATOR_ROLE)
    return await _detail(page, assignment_id, bureau=False)


@router.get("/evaluator/assignments/{assignment_id}/findings/new")
async def finding_form(page: CurrentPage, assignment_id: UUID) -> Response:
    return await _finding(page, None, assignment_id)


@router.post("/evaluator/assignments/{assignment_id}/findings/new")
async def finding(page: CurrentPage, posted: Posted, assignment_id: UUID) -> Response:
    return await _finding(page, posted, assignment_id)


async def _finding(page: Page, posted: Posted | None, assignment_id: UUID) -> Response:
    page.require("county", roles=EVALUATOR_ROLE)
    # The form carries the assignment's version (ADR 0035): a finding (or its correction)
    # written on the assignment as shown is refused if it changed meanwhile.
    found, version = await page.api.versioned(f"/api/v1/evaluation-assignments/{assignment_id}")
    project = found["kind"] == "project"
    targets = {t["organisation_id"]: t["name"] or t["organisation_id"] for t in found["targets"]}
    current = {
        f["finding_id"]: f"{targets.get(f['organisation_id'], f['organisation_id'])}"
        f"（{f['evaluated_on']}）"
        for f in found["findings"]
        if not f["superseded_by"]
    }
    inputs = [
        Input("organisation_id", "被评估组织", "select", options=targets),
        *(
            [
                Input("stage", "评估阶段", "select", options=STAGE_ZH),
                Input("score", "评分", hint="0–100，最多两位小数", width="5"),
            ]
            if project
            else [
                Input("grade", "建议等级", "select", options=GRADE_ZH),
                Input("score", "评分", hint="选填：0–100", width="5"),
            ]
        ),
        Input("text", "评估意见", "textarea"),
        Input("evaluated_on", "评估日期", "date"),
        Input(
            "corrects",
            "更正的评估意见",
            "select",
            hint="更正已提交的意见时选择；原意见保留为已更正",
            options=current,
            blank="不是更正",
        ),
    ]
    fixed = None
    if posted is not None and project:
        # A project's finding names its award: the one the assignment lists for that
        # organisation (one funded project per organisation per round).
        award = next(
            (t["award_id"] for t in found["targets"]
             if t["organisation_id"] == posted.get("organisation_id")),
            None,
        )  # fmt: skip
        fixed = {"award_id": award} if award else None
    return await _form(
        page,
        posted,
        inputs,
        f"/api/v1/evaluation-assignments/{assignment_id}/findings",
        title="记录评估意见",
        caption=found["title"],
        submit="提交评估意见",
        message="评估意见已提交，等待局方决定。",
        back=f"/evaluator/assignments/{assignment_id}",
        fixed=fixed,
        roles=EVALUATOR_ROLE,
        version=version,
    )
