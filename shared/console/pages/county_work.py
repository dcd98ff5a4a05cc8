"""The county bureau's work (operator role): registration, ratings, annual reports, credit
lists, zombie exit and sampling draws, each a plain form that posts to the county API.

The county's request models live in ``services/county`` and ``shared/`` may not import a
service, so the forms below restate their fields with the API's own field types (Name,
ShortText, LongText, OrgField …) to give Chinese messages beside each field; the API checks
again and anything it refuses (a 409, a USCI check digit) is shown on the same form.
Models the API keeps in ``shared/api`` (sampling, zombie exit) are used as they are.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from fastapi import APIRouter
from fastapi.responses import Response

from shared.console import labels
from shared.console.forms import Form, drawn_at, send
from shared.console.web import CurrentPage, Page, Posted, done
from shared.kernel.domain import CHINA
from shared.kernel.integration.events import CreditList

router = APIRouter()

WORKERS = ("operator",)

CREDIT_LIST_ZH = labels.CREDIT_LIST_ZH
OUTCOME_ZH = {
    "revoke": "撤销登记",
    "deregister": "注销登记",
    "cancel_filing": "注销备案",
    "rectify": "限期整改",
}
PROCEEDING_ZH = {
    "noticed": "已告知，待到期",
    "stopped": "已撤回",
    "exited": "已退出",
    "reversed": "已撤销退出",
}
LIMIT = 50
YES_NO_ZH = {"true": "是", "false": "否"}


# ------------------------------------------------------------------ helpers


@dataclass
class Input:
    """One field of a form page (templates/county/form.html)."""

    name: str
    label: str
    kind: str = "text"  # text, date, number, select, textarea
    hint: str = ""
    options: dict[str, str] = field(default_factory=dict)
    blank: str = "请选择"
    width: str = ""


EFFECTIVE = Input("effective_on", "生效日期", "date", "留空为今天；补录较早日期需有补录权限")


def field_labels(inputs: list[Input]) -> dict[str, str]:
    return {i.name: i.label for i in inputs}


def form_page(
    page: Page,
    form: Form,
    inputs: list[Input],
    *,
    title: str,
    action: str,
    submit: str,
    back: str,
    status: int = 200,
    **context: Any,
) -> Response:
    return page.render(
        "county/form.html",
        status=status,
        title=title,
        form=form,
        fields=inputs,
        action=action,
        submit=submit,
        back=back,
        **{"trail": [], "intro": "", "caption": "", "facts": [], "warning": False, **context},
    )


async def command(
    page: Page,
    posted: dict[str, str],
    inputs: list[Input],
    path: str,
    refusals: dict[str, str] | None = None,
    fixed: dict[str, Any] | None = None,
) -> tuple[Any, Form]:
    """Post the form to the API, which checks it with its own request model; the API's answer,
    or the form with what is wrong beside each field. ``refusals`` puts a known API refusal (by
    its code) beside the field it is about."""
    return await send(
        page.api,
        path,
        posted,
        field_labels(inputs),
        selects=frozenset(i.name for i in inputs if i.kind == "select"),
        fields=refusals,
        fixed=fixed,
    )


async def command_form(
    page: Page,
    posted: Posted | None,
    inputs: list[Input],
    api_path: str,
    *,
    title: str,
    submit: str,
    message: str,
    back: str,
    trail: list[tuple[str, str]],
    roles: tuple[str, ...] = WORKERS,
    caption: str = "",
    values: dict[str, str] | None = None,
    fixed: dict[str, Any] | None = None,
    warning: bool = False,
    version: str | None = None,
) -> Response:
    """A county form for one API command: shown (GET), or posted and then back to ``back``
    with ``message`` (POST/redirect/GET); a refusal shows it again (400) with the typed values
    and what is wrong beside each field. ``version`` is the ETag of the record the command acts
    on, carried by the form and sent back as If-Match (ADR 0035)."""
    page.require("county", roles=roles)
    form = drawn_at(Form(values=dict(values or {})), version)
    if posted is not None:
        answer, form = await command(page, posted, inputs, api_path, fixed=fixed)
        if answer is not None:
            return done(page.request, back, message)
    return form_page(
        page,
        form,
        inputs,
        status=200 if posted is None else 400,
        title=title,
        caption=caption,
        action=page.request.url.path,
        submit=submit,
        back=back,
        warning=warning,
        trail=trail,
    )


async def _villages(page: Page) -> dict[str, str]:
    tree = await page.api.get("/api/v1/divisions")
    names = {d["code"]: d["name"] for d in tree["divisions"]}
    return {
        d["code"]: f"{names.get(d['parent'] or '', '')} {d['name']}（{d['code']}）".strip()
        for d in sorted(tree["divisions"], key=lambda d: d["code"])
        if d["tier"] == "village"
    }


async def _organisation(page: Page, org_id: str) -> dict[str, Any]:
    return dict(await page.api.get(f"/api/v1/organisations/{org_id}"))


async def _versioned_organisation(page: Page, org_id: str) -> tuple[dict[str, Any], str | None]:
    """The organisation and the version of the county's record of it (its ETag, ADR 0035)."""
    org, version = await page.api.versioned(f"/api/v1/organisations/{org_id}")
    return dict(org), version


def _offset(text: str) -> int:
    """A page's position in a list; anything else (an edited link) is the first page."""
    return max(int(text), 0) if text.strip().isdigit() else 0


def _org_trail(org: dict[str, Any], here: str = "") -> list[tuple[str, str]]:
    trail = [
        ("/county/organisations", "组织登记"),
        (f"/county/organisations/{org['org_id']}", org.get("name") or org["org_id"]),
    ]
    return [*trail, ("", here)] if here else [*trail[:1], ("", trail[1][1])]


# ------------------------------------------------------------------ organisations


@router.get("/county/organisations")
async def organisations(page: CurrentPage, division: str = "", offset: str = "0") -> Response:
    page.require("county", roles=WORKERS)
    start = _offset(offset)
    answer = await page.api.get(
        "/api/v1/organisations",
        division=division.strip() or None,
        limit=LIMIT + 1,
        offset=start,
    )
    rows = answer["organisations"]
    return page.render(
        "county/organisations.html",
        title="组织登记",
        organisations=rows[:LIMIT],
        more=len(rows) > LIMIT,
        offset=start,
        limit=LIMIT,
        division=division.strip(),
        villages=await _villages(page),
    )


REGISTRATION = [
    Input("usci", "统一社会信用代码", hint="18 位，见登记证书", width="20"),
    Input("name", "组织名称"),
    Input("field", "服务领域", "select", options=labels.FIELD_ZH),
    Input(
        "village_code", "所在村（社区）", "select", hint="新登记的组织必选；由备案组织升级的可不选"
    ),
    Input(
        "organisation_id",
        "由备案组织升级",
        "select",
        hint="备案组织升级为登记组织时选择原备案组织（沿用其所在村（社区））；新登记不选",
        blank="新登记，不是升级",
    ),
    Input("category", "类别", "select", options=labels.CATEGORY_ZH, blank=""),
    EFFECTIVE,
]


# The registration refusals a clerk can fix on the form, beside the field they concern.
# The API's refusals (their Chinese in shared/api/messages_zh.py) beside the field they concern.
REGISTRATION_REFUSALS = {
    "usci_invalid": "usci",
    "usci_not_civil_affairs": "usci",
    "usci_unknown_category": "usci",
    "usci_already_registered": "usci",
    "unknown_division": "village_code",
    "not_filed": "organisation_id",
    "already_registered": "organisation_id",
}


async def _registration_inputs(page: Page) -> list[Input]:
    villages = await _villages(page)
    answer = await page.api.get("/api/v1/organisations", limit=500)
    filed = {
        o["org_id"]: f"{o.get('name') or o['org_id']}（{o.get('filing_number') or '备案'}）"
        for o in answer["organisations"]
        if labels.status_of(o) == "filed"
    }
    options = {"village_code": villages, "organisation_id": filed}
    return [
        Input(**{**i.__dict__, "options": options[i.name]}) if i.name in options else i
        for i in REGISTRATION
    ]


@router.get("/county/organisations/new")
async def registration_form(page: CurrentPage) -> Response:
    page.require("county", roles=WORKERS)
    form = Form(values={"category": "general"})
    return _registration_page(page, form, await _registration_inputs(page))


@router.post("/county/organisations/new")
async def register(page: CurrentPage, posted: Posted) -> Response:
    page.require("county", roles=WORKERS)
    inputs = await _registration_inputs(page)
    answer, form = await command(
        page, posted, inputs, "/api/v1/registrations", REGISTRATION_REFUSALS
    )
    if answer is not None:
        return done(
            page.request,
            f"/county/organisations/{answer['organisation_id']}",
            f"已登记：{posted.get('name', '').strip()}。",
        )
    return _registration_page(page, form, inputs, status=400)


def _registration_page(page: Page, form: Form, inputs: list[Input], status: int = 200) -> Response:
    return form_page(
        page,
        form,
        inputs,
        status=status,
        title="登记社区社会组织",
        action="/county/organisations/new",
        submit="登记",
        back="/county/organisations",
        trail=[("/county/organisations", "组织登记"), ("", "登记")],
    )


@router.get("/county/organisations/{org_id}")
async def organisation(page: CurrentPage, org_id: UUID) -> Response:
    page.require("county", roles=WORKERS)
    org = await _organisation(page, str(org_id))
    report = await page.api.get(f"/api/v1/reports/organisations/{org_id}")
    return page.render(
        "county/organisation.html",
        title=org.get("name") or str(org_id),
        org=org,
        report=report,
        trail=_org_trail(org),
        credit_lists=CREDIT_LIST_ZH,
        villages=await _villages(page),
    )


# Each per-organisation action: its form, model and API path.
@dataclass
class Action:
    title: str
    submit: str
    inputs: list[Input]
    path: str  # the API path, {org} and {list} filled in
    message: str
    warning: bool = False
    # API refusal codes shown beside the field they concern.
    refusals: dict[str, str] | None = None
    # Acts on the registration itself, so the form carries its version (If-Match, ADR 0035);
    # False for an action that creates a record of its own (a funding award).
    on_the_record: bool = True


ACTIONS: dict[str, Action] = {
    "rating": Action(
        "评价评级",
        "保存评价",
        [
            Input("credit", "信用评价", hint="如 A、B、C；不评可留空", width="10"),
            Input(
                "grade",
                "评估等级",
                "select",
                options={str(n): f"{n}A" for n in range(5, 0, -1)},
                blank="不评",
            ),
            Input("grade_valid_until", "等级有效期至", "date", "留空为评定之日起五年"),
            Input(
                "stars",
                "星级",
                "select",
                options={str(n): f"{n}星" for n in range(5, 0, -1)},
                blank="不评",
            ),
            EFFECTIVE,
        ],
        "/api/v1/organisations/{org}/ratings",
        "评价已记录。",
        refusals={"rating_empty": "credit"},
    ),
    "charter": Action(
        "章程核准",
        "核准章程",
        [
            Input("party_clause", "党建入章", "select", options=YES_NO_ZH),
            Input("integrity_clause", "清廉入章", "select", options=YES_NO_ZH),
            EFFECTIVE,
        ],
        "/api/v1/organisations/{org}/charter",
        "章程已核准。",
    ),
    "party-organisation": Action(
        "建立党组织",
        "记录党组织",
        [
            Input("kind", "建立方式", "select", options=labels.PARTY_ORG_ZH),
            EFFECTIVE,
        ],
        "/api/v1/organisations/{org}/party-organisation",
        "党组织建立情况已记录。",
    ),
    "deregistration": Action(
        "注销登记",
        "注销登记",
        [
            Input(
                "reason",
                "注销理由",
                "textarea",
                "如 自行解散、完成宗旨；注销后不可撤回，只能重新登记",
            ),
            EFFECTIVE,
        ],
        "/api/v1/organisations/{org}/deregistration",
        "已注销登记。",
        warning=True,
    ),
    "revocation": Action(
        "撤销登记",
        "撤销登记",
        [Input("reason", "撤销事由", "textarea", "写明违法事实与依据"), EFFECTIVE],
        "/api/v1/organisations/{org}/revocation",
        "已撤销登记。",
        warning=True,
    ),
    "annual-report": Action(
        "年报报送",
        "记录年报",
        [Input("year", "年报年度", "number", "如 2025", width="4"), EFFECTIVE],
        "/api/v1/organisations/{org}/annual-reports",
        "年报已记录。",
    ),
    "credit-list": Action(
        "列入信用名单",
        "列入名单",
        [
            Input("credit_list", "名单", "select", options=CREDIT_LIST_ZH),
            Input("reason", "列入事由", "textarea", "写明事实与依据"),
            EFFECTIVE,
        ],
        "/api/v1/organisations/{org}/credit-lists",
        "已列入名单。",
        warning=True,
    ),
    "funding-award": Action(
        "直接资助",
        "记录资助",
        [
            Input("programme", "资助项目类别", "select", options=labels.PROGRAMME_ZH),
            Input("round", "批次", hint="如 2026", width="10"),
            Input("project", "项目名称"),
            Input("amount", "资助金额（元）", hint="最多两位小数", width="10"),
            Input(
                "host_organisation_id",
                "托管组织ID",
                hint="备案组织受资助时必填，须为已登记组织；登记组织留空",
            ),
            # Funding details (ADR 0021).
            Input(
                "purchaser",
                "购买主体",
                hint="政府购买服务必填：购买主体目录中的部门，如 民政局、财政局、团委、妇联；"
                "目录中没有的填“其他”；其他类别留空",
                width="20",
            ),
            Input(
                "purchaser_other",
                "购买主体名称",
                hint="购买主体填“其他”时必填，如 区司法局",
                width="20",
            ),
            Input("beneficiaries_planned", "计划受益人数", hint="选填", width="5"),
            EFFECTIVE,
        ],
        "/api/v1/organisations/{org}/funding-awards",
        "资助已记录。",
        on_the_record=False,
    ),
}

LIST_ACTIONS: dict[str, Action] = {
    "notice": Action(
        "告知列入名单",
        "记录告知",
        [Input("document", "告知书文号或内容", "textarea"), EFFECTIVE],
        "/api/v1/organisations/{org}/credit-lists/{list}/notices",
        "告知已记录。",
    ),
    "objection-decision": Action(
        "异议处理决定",
        "记录决定",
        [
            Input(
                "upheld",
                "异议是否成立",
                "select",
                options={"true": "成立（移出名单）", "false": "不成立（维持列入）"},
            ),
            Input("reason", "理由", "textarea"),
            EFFECTIVE,
        ],
        "/api/v1/organisations/{org}/credit-lists/{list}/objection-decision",
        "异议处理决定已记录。",
    ),
    "removal": Action(
        "移出信用名单",
        "移出名单",
        [Input("reason", "移出理由", "textarea"), EFFECTIVE],
        "/api/v1/organisations/{org}/credit-lists/{list}/removal",
        "已移出名单。",
    ),
}


async def _action(
    page: Page, org_id: UUID, act: Action, caption: str, action: str, posted: Posted | None
) -> Response:
    page.require("county", roles=WORKERS)
    org, version = await _versioned_organisation(page, str(org_id))
    back = f"/county/organisations/{org_id}"
    # The form carries the version it was drawn from: acting on a registration someone
    # changed meanwhile is refused (409), not silently applied over their change.
    form = drawn_at(Form(), version if act.on_the_record else None)
    if posted is not None:
        path = act.path.format(org=org_id, list=caption)
        answer, form = await command(page, posted, act.inputs, path, act.refusals)
        if answer is not None:
            return done(page.request, back, act.message)
    name = org.get("name") or str(org_id)
    return form_page(
        page,
        form,
        act.inputs,
        status=200 if posted is None else 400,
        title=act.title,
        caption=name + (f" · {CREDIT_LIST_ZH.get(caption, '')}" if caption else ""),
        action=action,
        submit=act.submit,
        back=back,
        warning=act.warning,
        trail=_org_trail(org, act.title),
    )


@router.get("/county/organisations/{org_id}/credit-lists/{credit_list}/{kind}")
async def list_action_form(
    page: CurrentPage,
    org_id: UUID,
    credit_list: CreditList,
    kind: Literal["notice", "objection-decision", "removal"],
) -> Response:
    here = page.request.url.path
    return await _action(page, org_id, LIST_ACTIONS[kind], str(credit_list), here, None)


@router.post("/county/organisations/{org_id}/credit-lists/{credit_list}/{kind}")
async def list_action(
    page: CurrentPage,
    posted: Posted,
    org_id: UUID,
    credit_list: CreditList,
    kind: Literal["notice", "objection-decision", "removal"],
) -> Response:
    here = page.request.url.path
    return await _action(page, org_id, LIST_ACTIONS[kind], str(credit_list), here, posted)


OrgAction = Literal[
    "rating",
    "annual-report",
    "credit-list",
    "funding-award",
    "charter",
    "party-organisation",
    "deregistration",
    "revocation",
]


@router.get("/county/organisations/{org_id}/{kind}")
async def action_form(
    page: CurrentPage,
    org_id: UUID,
    kind: OrgAction,
) -> Response:
    return await _action(page, org_id, ACTIONS[kind], "", page.request.url.path, None)


@router.post("/county/organisations/{org_id}/{kind}")
async def action(
    page: CurrentPage,
    posted: Posted,
    org_id: UUID,
    kind: OrgAction,
) -> Response:
    return await _action(page, org_id, ACTIONS[kind], "", page.request.url.path, posted)


# ------------------------------------------------------------------ credit lists


@router.get("/county/credit")
async def credit(page: CurrentPage, offset: str = "0") -> Response:
    """Where credit-list work starts: the organisations, each with its list actions."""
    page.require("county", roles=WORKERS)
    start = _offset(offset)
    answer = await page.api.get("/api/v1/organisations", limit=LIMIT + 1, offset=start)
    rows = [r for r in answer["organisations"] if labels.status_of(r) == "registered"]
    return page.render(
        "county/credit.html",
        title="信用名单",
        organisations=rows[:LIMIT],
        more=len(answer["organisations"]) > LIMIT,
        offset=start,
        limit=LIMIT,
        credit_lists=CREDIT_LIST_ZH,
    )


# ------------------------------------------------------------------ zombie exit

CAMPAIGN = [
    Input("division_code", "清理范围", "select", blank=""),
    Input(
        "outcome",
        "退出方式",
        "select",
        hint="留空按规则：登记组织撤销登记",
        options=OUTCOME_ZH,
        blank="按规则",
    ),
]


async def _divisions(page: Page) -> dict[str, str]:
    tree = await page.api.get("/api/v1/divisions")
    return {
        d["code"]: d["name"]
        for d in sorted(tree["divisions"], key=lambda d: d["code"])
        if d["tier"] in ("county", "township")
    }


async def _zombie_page(page: Page, division: str, form: Form, status: int = 200) -> Response:
    divisions = await _divisions(page)
    # A division not offered (typed into a forged form) shows the person's own instead.
    code = division if division in divisions else page.me.division
    dry_run = await page.api.get("/api/v1/zombie-exit/dry-run", division=code)
    proceedings = await page.api.get("/api/v1/zombie-exit/proceedings", division=code)
    if not form.values:
        form.values = {"division_code": code}
    inputs = [
        Input(**{**i.__dict__, "options": divisions}) if i.name == "division_code" else i
        for i in CAMPAIGN
    ]
    return page.render(
        "county/zombie_exit.html",
        status=status,
        title="僵尸组织清理",
        dry_run=dry_run,
        proceedings=proceedings,
        code=code,
        divisions=divisions,
        form=form,
        fields=inputs,
        outcomes=OUTCOME_ZH,
        states=PROCEEDING_ZH,
    )


@router.get("/county/zombie-exit")
async def zombie_exit(page: CurrentPage, division: str = "") -> Response:
    page.require("county", roles=WORKERS)
    return await _zombie_page(page, division.strip(), Form())


@router.post("/county/zombie-exit")
async def zombie_campaign(page: CurrentPage, posted: Posted) -> Response:
    page.require("county", roles=WORKERS)
    answer, form = await command(page, posted, CAMPAIGN, "/api/v1/zombie-exit/campaigns")
    if answer is not None:
        noticed, skipped = len(answer["noticed"]), len(answer["skipped"])
        return done(
            page.request,
            f"/county/zombie-exit?division={form.values.get('division_code', '').strip()}",
            f"集中清理已启动：告知 {noticed} 个组织，跳过 {skipped} 个。",
        )
    return await _zombie_page(page, posted.get("division_code", ""), form, status=400)


NOTICE = [Input("organisation_id", "组织"), Input("outcome", "退出方式", "select")]


@router.post("/county/zombie-exit/notices")
async def zombie_notice(page: CurrentPage, posted: Posted) -> Response:
    """Notice to one candidate, from its row of the dry run."""
    page.require("county", roles=WORKERS)
    answer, form = await command(page, posted, NOTICE, "/api/v1/zombie-exit/notices")
    if answer is not None:
        due = labels.date_zh(answer.get("due_on"))
        return done(page.request, "/county/zombie-exit", f"已送达退出告知，最早 {due} 退出。")
    return await _zombie_page(page, "", form, status=400)


WITHDRAW = [Input("reason", "撤回理由", "textarea", "如 已恢复活动、告知有误"), EFFECTIVE]


@router.get("/county/zombie-exit/proceedings/{proceeding_id}/withdrawal")
async def withdrawal_form(page: CurrentPage, proceeding_id: UUID) -> Response:
    return await _withdrawal(page, proceeding_id, None)


@router.post("/county/zombie-exit/proceedings/{proceeding_id}/withdrawal")
async def withdraw(page: CurrentPage, posted: Posted, proceeding_id: UUID) -> Response:
    return await _withdrawal(page, proceeding_id, posted)


async def _withdrawal(page: Page, proceeding_id: UUID, posted: Posted | None) -> Response:
    page.require("county", roles=WORKERS)
    form = Form()
    if posted is not None:
        path = f"/api/v1/zombie-exit/proceedings/{proceeding_id}/withdrawal"
        answer, form = await command(page, posted, WITHDRAW, path)
        if answer is not None:
            return done(page.request, "/county/zombie-exit", "退出告知已撤回。")
    return form_page(
        page,
        form,
        WITHDRAW,
        status=200 if posted is None else 400,
        title="撤回退出告知",
        action=page.request.url.path,
        submit="撤回告知",
        back="/county/zombie-exit",
        warning=True,
        trail=[("/county/zombie-exit", "僵尸组织清理"), ("", "撤回退出告知")],
    )


# ------------------------------------------------------------------ sampling draws

DRAW = [
    Input("year", "抽查年度", "number", "本年或下一年", width="4"),
    Input(
        "supplementary",
        "抽签类型",
        "select",
        options={"false": "年度抽签", "true": "补充抽签"},
        blank="",
    ),
    Input("size", "补抽数量", "number", "仅补充抽签填写", width="4"),
    Input("seed", "随机种子", hint="留空由系统生成并记录；公开抽签时可当场填写", width="20"),
]


async def _sampling_page(page: Page, form: Form, status: int = 200) -> Response:
    draws = await page.api.get("/api/v1/sample-draws", division=page.me.division)
    return page.render(
        "county/sampling.html",
        status=status,
        title="随机抽查",
        draws=draws["draws"],
        form=form,
        fields=DRAW,
    )


@router.get("/county/sampling")
async def sampling(page: CurrentPage) -> Response:
    page.require("county", roles=WORKERS)
    today = datetime.now(CHINA).date()
    return await _sampling_page(
        page, Form(values={"year": str(today.year), "supplementary": "false"})
    )


@router.post("/county/sampling")
async def draw(page: CurrentPage, posted: Posted) -> Response:
    page.require("county", roles=WORKERS)
    answer, form = await command(
        page, posted, DRAW, "/api/v1/sample-draws", fixed={"division_code": page.me.division}
    )
    if answer is not None:
        chosen = len(answer.get("selected") or [])
        return done(page.request, "/county/sampling", f"抽签已完成：抽中 {chosen} 个组织。")
    return await _sampling_page(page, form, status=400)
