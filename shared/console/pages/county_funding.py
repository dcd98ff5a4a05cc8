"""The county's funding work (ADR 0011): calls with their applications, open and close a call,
record an application, review it, and for an award its tranches, evaluations and closure; the
totals of a programme and round as the API reconciles them.

The request models live in ``services/county/funding`` (not importable from ``shared/``), so
the forms restate their fields with the same types; the API checks again (budget, double
funding, credit list …) and its refusal is shown on the form.
"""

from __future__ import annotations

from typing import Any, Literal
from uuid import UUID

from fastapi import APIRouter
from fastapi.responses import Response

from shared.console import labels
from shared.console.client import ApiError, segment
from shared.console.forms import Form
from shared.console.pages.county_work import (
    EFFECTIVE,
    WORKERS,
    Input,
    command,
    command_form,
    form_page,
)
from shared.console.web import CurrentPage, Page, Posted, done
from shared.kernel.integration.events import FundingProgramme

router = APIRouter()

STAGE_ZH = {"mid_term": "中期评估", "final": "结项评估"}
YES_NO = {"false": "否", "true": "是"}

CALL = [
    Input("programme", "资助项目类别", "select", options=labels.PROGRAMME_ZH),
    Input("round", "批次", hint="如 2026；同一类别每批次只征集一次", width="10"),
    Input("title", "征集公告标题"),
    Input("budget", "预算（元）", hint="最多两位小数", width="10"),
    Input("deadline", "申报截止日", "date"),
    EFFECTIVE,
]
REVIEW = [
    Input("decision", "评审结论", "select", options={"approve": "批准", "reject": "驳回"}),
    Input("amount", "核定金额（元）", hint="批准时必填，不超过申请金额和预算余额", width="10"),
    Input("reason", "理由", "textarea", "驳回时必填"),
    EFFECTIVE,
]
DISBURSE = [
    Input("tranche", "拨付批次", hint="如 首期、二期", width="10"),
    Input("amount", "金额（元）", hint="累计拨付不能超过资助金额", width="10"),
    EFFECTIVE,
]
EVALUATE = [
    Input("stage", "评估阶段", "select", options=STAGE_ZH),
    Input("score", "得分", hint="85 分及以上为 A，60–84 为 B，60 以下为 C", width="4"),
    Input("comment", "评估意见", "textarea"),
    EFFECTIVE,
]
CLOSE_CALL = [Input("reason", "截止理由", "textarea", "如 申报期满"), EFFECTIVE]
CLOSE_AWARD = [
    Input("reason", "结项说明", "textarea", "须已完成结项评估"),
    Input("beneficiaries_reached", "实际受益人数", hint="选填：项目实际服务的人数", width="5"),
    EFFECTIVE,
]
# Funding details (ADR 0021): who buys a purchase of services, whom a project plans to reach.
PURCHASER = Input(
    "purchaser",
    "购买主体",
    hint="政府购买服务项目必填：购买主体目录中的部门，如 民政局、财政局、团委、妇联；"
    "目录中没有的填“其他”",
    width="20",
)
# The department's name when the purchaser is 其他 (ADR 0021 addendum).
PURCHASER_OTHER = Input(
    "purchaser_other", "购买主体名称", hint="购买主体填“其他”时必填，如 区司法局", width="20"
)
PLANNED = Input("beneficiaries_planned", "计划受益人数", hint="选填", width="5")
BUDGET = [
    Input("programme", "资助项目类别", "select", options=labels.PROGRAMME_ZH),
    Input("year", "预算年度", hint="如 2026", width="4"),
    Input("amount", "年度预算（元）", hint="最多两位小数；再次填写同一年度即调整预算", width="10"),
    EFFECTIVE,
]

LIST = ("/county/funding", "资金项目")


async def _orgs(page: Page, registered_only: bool) -> dict[str, str]:
    answer = await page.api.get("/api/v1/organisations", limit=500)
    wanted = ("registered",) if registered_only else ("registered", "filed")
    return {
        o["org_id"]: f"{o.get('name') or o['org_id']}（{labels.STATUS_ZH[labels.status_of(o)]}）"
        for o in answer["organisations"]
        if labels.status_of(o) in wanted
    }


async def _call(page: Page, call_id: UUID) -> dict[str, Any]:
    calls = (await page.api.get("/api/v1/funding-calls"))["calls"]
    found = next((c for c in calls if c["call_id"] == str(call_id)), None)
    if found is None:
        raise ApiError(404, "unknown_call", "没有这个项目征集。")
    return dict(found)


@router.get("/county/funding")
async def funding(page: CurrentPage) -> Response:
    page.require("county", roles=WORKERS)
    calls = (await page.api.get("/api/v1/funding-calls"))["calls"]
    return page.render("county/funding.html", title="资金项目", calls=calls)


@router.get("/county/funding/totals")
async def totals(page: CurrentPage, programme: FundingProgramme, round: str) -> Response:
    page.require("county", roles=WORKERS)
    body = await page.api.get(f"/api/v1/funding/programmes/{programme}/rounds/{segment(round)}")
    return page.render(
        "county/funding_totals.html",
        title=f"{labels.PROGRAMME_ZH.get(str(programme), str(programme))} {round} 资金汇总",
        totals=body,
        trail=[LIST, ("", f"{round} 资金汇总")],
        stages=STAGE_ZH,
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
    back: str = "/county/funding",
    caption: str = "",
    values: dict[str, str] | None = None,
    warning: bool = False,
    version: str | None = None,
) -> Response:
    """A funding form: shown (GET), or posted and then back to ``back`` with ``message``."""
    return await command_form(
        page,
        posted,
        inputs,
        api_path,
        title=title,
        submit=submit,
        message=message,
        back=back,
        trail=[LIST, ("", title)],
        caption=caption,
        values=values,
        warning=warning,
        version=version,
    )


@router.get("/county/funding/calls/new")
async def call_form(page: CurrentPage) -> Response:
    return await _call_form(page, None)


@router.post("/county/funding/calls/new")
async def open_call(page: CurrentPage, posted: Posted) -> Response:
    return await _call_form(page, posted)


async def _call_form(page: Page, posted: Posted | None) -> Response:
    return await _form(
        page,
        posted,
        CALL,
        "/api/v1/funding-calls",
        title="发布项目征集",
        submit="发布",
        message="项目征集已发布。",
    )


@router.get("/county/funding/calls/{call_id}/closure")
async def close_call_form(page: CurrentPage, call_id: UUID) -> Response:
    return await _close_call(page, None, call_id)


@router.post("/county/funding/calls/{call_id}/closure")
async def close_call(page: CurrentPage, posted: Posted, call_id: UUID) -> Response:
    return await _close_call(page, posted, call_id)


async def _close_call(page: Page, posted: Posted | None, call_id: UUID) -> Response:
    call = await _call(page, call_id)
    return await _form(
        page,
        posted,
        CLOSE_CALL,
        f"/api/v1/funding-calls/{call_id}/closure",
        title="截止征集",
        caption=call["title"],
        submit="截止征集",
        message="征集已截止。",
        warning=True,
    )


@router.get("/county/funding/calls/{call_id}/applications/new")
async def application_form(page: CurrentPage, call_id: UUID) -> Response:
    return await _apply(page, None, call_id)


@router.post("/county/funding/calls/{call_id}/applications/new")
async def apply(page: CurrentPage, posted: Posted, call_id: UUID) -> Response:
    return await _apply(page, posted, call_id)


async def _apply(page: Page, posted: Posted | None, call_id: UUID) -> Response:
    call = await _call(page, call_id)
    orgs = await _orgs(page, registered_only=False)
    hosts = await _orgs(page, registered_only=True)
    inputs = [
        Input("organisation_id", "申报组织", "select", options=orgs),
        Input("project", "项目名称"),
        Input("requested", "申请金额（元）", hint="最多两位小数", width="10"),
        Input(
            "host_organisation_id",
            "托管组织",
            "select",
            hint="备案组织申报时必选，须为已登记组织",
            options=hosts,
            blank="无",
        ),
        Input(
            "other_government_funding",
            "该项目是否已获其他财政资金",
            "select",
            hint="已获其他财政资金的项目不得重复资助",
            options=YES_NO,
            blank="",
        ),
        # Only a purchase of services names its purchaser; the API refuses it elsewhere.
        *([PURCHASER, PURCHASER_OTHER] if call["programme"] == "purchase_of_services" else []),
        PLANNED,
        EFFECTIVE,
    ]
    return await _form(
        page,
        posted,
        inputs,
        f"/api/v1/funding-calls/{call_id}/applications",
        title="登记项目申报",
        caption=call["title"],
        submit="登记申报",
        message="申报已登记。",
        values={"other_government_funding": "false"},
    )


@router.get("/county/funding/applications/{application_id}/review")
async def review_form(page: CurrentPage, application_id: UUID) -> Response:
    return await _review(page, None, application_id)


@router.post("/county/funding/applications/{application_id}/review")
async def review(page: CurrentPage, posted: Posted, application_id: UUID) -> Response:
    return await _review(page, posted, application_id)


async def _review(page: Page, posted: Posted | None, application_id: UUID) -> Response:
    return await _form(
        page,
        posted,
        REVIEW,
        f"/api/v1/funding-applications/{application_id}/review",
        title="评审申报",
        submit="记录评审结论",
        message="评审结论已记录。",
    )


@router.get("/county/funding/awards/{award_id}")
async def award(page: CurrentPage, award_id: UUID) -> Response:
    page.require("county", roles=WORKERS)
    body = await page.api.get(f"/api/v1/funding-awards/{award_id}")
    return page.render(
        "county/funding_award.html",
        title=body["project"],
        award=body,
        stages=STAGE_ZH,
        trail=[LIST, ("", body["project"])],
    )


# title, submit, inputs, API path, message, and whether the form carries the award's version
# (ADR 0035): a disbursement or the closure decided on the award as shown is refused if it
# changed meanwhile. A stage evaluation records what the evaluator found, whatever else is new.
AWARD_FORMS: dict[str, tuple[str, str, list[Input], str, str, bool]] = {
    "disbursement": ("拨付资金", "记录拨付", DISBURSE, "disbursements", "拨付已记录。", True),
    "evaluation": ("项目评估", "记录评估", EVALUATE, "evaluations", "评估已记录。", False),
    "closure": ("项目结项", "结项", CLOSE_AWARD, "closure", "项目已结项。", True),
}


AwardForm = Literal["disbursement", "evaluation", "closure"]


@router.get("/county/funding/awards/{award_id}/{kind}")
async def award_form(page: CurrentPage, award_id: UUID, kind: AwardForm) -> Response:
    return await _award_action(page, None, award_id, kind)


@router.post("/county/funding/awards/{award_id}/{kind}")
async def award_action(
    page: CurrentPage, posted: Posted, award_id: UUID, kind: AwardForm
) -> Response:
    return await _award_action(page, posted, award_id, kind)


async def _award_action(page: Page, posted: Posted | None, award_id: UUID, kind: str) -> Response:
    title, submit, inputs, path, message, versioned = AWARD_FORMS[kind]
    body, version = await page.api.versioned(f"/api/v1/funding-awards/{award_id}")
    return await _form(
        page,
        posted,
        inputs,
        f"/api/v1/funding-awards/{award_id}/{path}",
        title=title,
        caption=body["project"],
        submit=submit,
        message=message,
        back=f"/county/funding/awards/{award_id}",
        version=version if versioned else None,
    )


# ------------------------------------------------------------------ yearly budgets


@router.get("/county/funding/budgets/new")
async def budget_form(page: CurrentPage) -> Response:
    return await _budget(page, None)


@router.post("/county/funding/budgets/new")
async def set_budget(page: CurrentPage, posted: Posted) -> Response:
    return await _budget(page, posted)


async def _budget(page: Page, posted: Posted | None) -> Response:
    """A programme's yearly budget (ADR 0021). The programme is part of the API's path, not of
    its body: the rest of the form is posted there."""
    page.require("county", roles=WORKERS)
    form = Form()
    if posted is not None:
        programme = str(posted.get("programme", ""))
        if programme in labels.PROGRAMME_ZH:
            inputs = [i for i in BUDGET if i.name != "programme"]
            answer, form = await command(
                page, posted, inputs, f"/api/v1/funding/programmes/{programme}/budgets"
            )
            if answer is not None:
                year = str(posted.get("year", "")).strip()
                name = labels.PROGRAMME_ZH[programme]
                return done(page.request, "/county/funding", f"已记录{name}{year}年度预算。")
            form.values["programme"] = programme
        else:
            form = Form(values={k: str(v) for k, v in posted.items()})
            form.add("programme", "请选择资助项目类别")
    return form_page(
        page,
        form,
        BUDGET,
        status=200 if posted is None else 400,
        title="年度预算",
        caption="",
        action=page.request.url.path,
        submit="记录预算",
        back="/county/funding",
        warning=False,
        trail=[LIST, ("", "年度预算")],
    )
