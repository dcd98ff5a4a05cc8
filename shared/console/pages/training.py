"""Training courses (培训班, ADR 0024) for the county's and the townships' operators: the list
of courses of the year, a new course, and a course's page where attendance is recorded.

Every form posts to the tier's own API (``/api/v1/training-courses``), which checks it with
its own request model and rules; a refusal is shown beside the field it is about.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from shared.console.forms import Form, drawn_at, send
from shared.console.pages.county_work import EFFECTIVE, Input, field_labels, form_page
from shared.console.web import CurrentPage, Page, Posted, done
from shared.kernel.domain import CHINA

router = APIRouter()

TIERS = ("county", "township")
WORKERS = ("operator",)


async def _kinds(page: Page) -> dict[str, str]:
    rules = await page.api.get("/api/v1/rules/training")
    return {k["code"]: k["zh"] for k in rules["kinds"]}


def _course_inputs(kinds: dict[str, str]) -> list[Input]:
    return [
        Input("topic", "培训主题", width="30"),
        Input("kind", "培训班类别", "select", options=kinds),
        Input("starts_on", "开始日期", "date", "例如 2026-03-01"),
        Input("ends_on", "结束日期", "date", "不早于开始日期；一天的培训班两个日期相同"),
        Input("trainer", "授课人或授课单位", width="20"),
        EFFECTIVE,
    ]


ATTENDANCE_REFUSALS = {
    "attendance_exists": "organisation_id",
    "organisation_not_active": "organisation_id",
    "attendee_out_of_jurisdiction": "organisation_id",
    "invalid_trainees": "trainees",
}
COURSE_REFUSALS = {
    "course_dates_reversed": "ends_on",
    "course_too_far_ahead": "starts_on",
    "unknown_course_kind": "kind",
    "backdate_forbidden": "starts_on",
    "backdate_reason_required": "starts_on",
}


@router.get("/training")
async def courses(page: CurrentPage, period: str = "") -> Response:
    page.require(*TIERS, roles=WORKERS)
    year = period if period.isdigit() else str(datetime.now(CHINA).year)
    answer = await page.api.get("/api/v1/training-courses", division=page.me.division, period=year)
    kinds = await _kinds(page)
    return page.render(
        "training/list.html", title="培训班", courses=answer["courses"], year=year, kinds=kinds
    )


@router.get("/training/new")
async def new_course(page: CurrentPage) -> Response:
    page.require(*TIERS, roles=WORKERS)
    inputs = _course_inputs(await _kinds(page))
    return _course_form(page, Form(), inputs)


def _course_form(page: Page, form: Form, inputs: list[Input], status: int = 200) -> Response:
    return form_page(
        page,
        form,
        inputs,
        title="新建培训班",
        action="/training/new",
        submit="保存培训班",
        back="/training",
        status=status,
        trail=[("/training", "培训班"), ("", "新建")],
        intro="由本级举办的培训班（如负责人培训班、业务骨干培训班）；参训情况在培训班页面登记。",
    )


@router.post("/training/new")
async def create_course(page: CurrentPage, posted: Posted) -> Response:
    page.require(*TIERS, roles=WORKERS)
    inputs = _course_inputs(await _kinds(page))
    answer, form = await send(
        page.api,
        "/api/v1/training-courses",
        posted,
        field_labels(inputs),
        selects=frozenset({"kind"}),
        fields=COURSE_REFUSALS,
    )
    if answer is not None:
        return done(page.request, f"/training/{answer['id']}", "培训班已保存。")
    return _course_form(page, form, inputs, status=400)


ATTEND = [
    Input("organisation_id", "参训组织", "select"),
    Input("trainees", "参训人数", "number", "本组织参加本期培训的人数", width="4"),
    Input(
        "roles",
        "参训人员身份",
        hint="可选，多个用顿号或逗号分隔，例如 负责人、业务骨干",
        width="20",
    ),
    EFFECTIVE,
]


async def _organisations(page: Page) -> dict[str, str]:
    """Filed and registered organisations of the operator's division, for the select."""
    out: dict[str, str] = {}
    for state in ("registered", "filed"):
        rows = await page.api.get(
            "/api/v1/organisations", division=page.me.division, state=state, limit=500
        )
        for o in rows["organisations"]:
            out[o["org_id"]] = f"{o.get('name') or o['org_id']}（{o['village_code']}）"
    return dict(sorted(out.items(), key=lambda kv: kv[1]))


CORRECT = [
    Input("organisation_id", "参训组织", "select"),
    Input("trainees", "更正后的参训人数", "number", "填 0 表示该组织实际未参训", width="4"),
    Input("reason", "更正理由", "textarea"),
]
CANCEL = [Input("reason", "取消理由", "textarea", "培训班未举办或录入错误；取消后不再计入统计")]


async def _course_page(page: Page, course_id: str, form: Form, status: int = 200) -> Response:
    course: dict[str, Any] = await page.api.get(f"/api/v1/training-courses/{course_id}")
    kinds = await _kinds(page)
    inputs = [
        Input(**{**i.__dict__, "options": await _organisations(page)})
        if i.name == "organisation_id"
        else i
        for i in ATTEND
    ]
    own = course["division_code"] == page.me.division
    total = sum(a["trainees"] for a in course["attendance"])

    return page.render(
        "training/course.html",
        status=status,
        title=course["topic"],
        course=course,
        kind=kinds.get(course["kind"], course["kind"]),
        total=total,
        form=form,
        fields=inputs,
        can_record=own and course["cancelled_on"] is None,
    )


@router.get("/training/{course_id}")
async def course(page: CurrentPage, course_id: str) -> Response:
    page.require(*TIERS, roles=WORKERS)
    return await _course_page(page, course_id, Form())


@router.post("/training/{course_id}/attendance")
async def attend(page: CurrentPage, course_id: str, posted: Posted) -> Response:
    page.require(*TIERS, roles=WORKERS)
    roles = [r for r in posted.get("roles", "").replace("，", "、").replace(",", "、").split("、")]
    answer, form = await send(
        page.api,
        f"/api/v1/training-courses/{course_id}/attendance",
        {k: v for k, v in posted.items() if k != "roles"},
        field_labels(ATTEND),
        selects=frozenset({"organisation_id"}),
        fields=ATTENDANCE_REFUSALS,
        fixed={"roles": [r.strip() for r in roles if r.strip()]},
    )
    form.values["roles"] = posted.get("roles", "")
    if answer is not None:
        return done(page.request, f"/training/{course_id}", "参训情况已登记。")
    return await _course_page(page, course_id, form, status=400)


async def _correction_page(page: Page, course_id: str, form: Form, status: int = 200) -> Response:
    course: dict[str, Any] = await page.api.get(f"/api/v1/training-courses/{course_id}")
    recorded = {a["org_id"]: a["name"] or a["org_id"] for a in course["attendance"]}
    inputs = [
        Input(**{**i.__dict__, "options": recorded}) if i.name == "organisation_id" else i
        for i in CORRECT
    ]
    return form_page(
        page,
        form,
        inputs,
        title="更正参训记录",
        action=f"/training/{course_id}/attendance-correction",
        submit="更正",
        back=f"/training/{course_id}",
        status=status,
        trail=[("/training", "培训班"), (f"/training/{course_id}", course["topic"]), ("", "更正")],
        caption=course["topic"],
    )


@router.get("/training/{course_id}/attendance-correction")
async def correction_form(page: CurrentPage, course_id: str) -> Response:
    page.require(*TIERS, roles=WORKERS)
    return await _correction_page(page, course_id, Form())


@router.post("/training/{course_id}/attendance-correction")
async def correct_attendance(page: CurrentPage, course_id: str, posted: Posted) -> Response:
    page.require(*TIERS, roles=WORKERS)
    answer, form = await send(
        page.api,
        f"/api/v1/training-courses/{course_id}/attendance-correction",
        posted,
        field_labels(CORRECT),
        selects=frozenset({"organisation_id"}),
        fields={"unknown_attendance": "organisation_id", "invalid_trainees": "trainees"},
    )
    if answer is not None:
        return done(page.request, f"/training/{course_id}", "参训记录已更正。")
    return await _correction_page(page, course_id, form, status=400)


# Correcting a course (all its details, with why): the API's own refusals beside their field.
COURSE_CORRECTION_REFUSALS = {
    **COURSE_REFUSALS,
    "reason_required": "reason",
    "course_not_started": "starts_on",
}
DETAILS = ("topic", "kind", "starts_on", "ends_on", "trainer")


def _correction_inputs(kinds: dict[str, str]) -> list[Input]:
    *details, effective = _course_inputs(kinds)
    reason = Input("reason", "更正理由", "textarea", "必填，例如：改期、授课人变更、类别录错")
    return [*details, reason, effective]


async def _course_correction_page(
    page: Page, course: dict[str, Any], form: Form, status: int = 200
) -> Response:
    course_id = course["course_id"]
    return form_page(
        page,
        form,
        _correction_inputs(await _kinds(page)),
        title="更正培训班",
        action=f"/training/{course_id}/correction",
        submit="保存更正",
        back=f"/training/{course_id}",
        status=status,
        trail=[("/training", "培训班"), (f"/training/{course_id}", course["topic"]), ("", "更正")],
        caption=course["topic"],
        intro="更正以新记录保存，原记录保留；开始日期改动后，培训班按新的日期计入统计。",
    )


@router.get("/training/{course_id}/correction")
async def course_correction_form(page: CurrentPage, course_id: str) -> Response:
    page.require(*TIERS, roles=WORKERS)
    course, version = await page.api.versioned(f"/api/v1/training-courses/{course_id}")
    # The form starts from the course as recorded: a correction restates every detail, so it
    # carries the version it restates (a correction made meanwhile is not overwritten: 409).
    values = {k: str(course[k]) for k in DETAILS}
    return await _course_correction_page(page, course, drawn_at(Form(values=values), version))


@router.post("/training/{course_id}/correction")
async def correct_course(page: CurrentPage, course_id: str, posted: Posted) -> Response:
    page.require(*TIERS, roles=WORKERS)
    course: dict[str, Any] = await page.api.get(f"/api/v1/training-courses/{course_id}")
    inputs = _correction_inputs(await _kinds(page))
    answer, form = await send(
        page.api,
        f"/api/v1/training-courses/{course_id}/correction",
        posted,
        field_labels(inputs),
        selects=frozenset({"kind"}),
        fields=COURSE_CORRECTION_REFUSALS,
        # The form does not show the platform: a correction keeps the one recorded.
        fixed={"platform_id": course["platform_id"]} if course["platform_id"] else None,
    )
    if answer is not None:
        return done(page.request, f"/training/{course_id}", "培训班已更正。")
    return await _course_correction_page(page, course, form, status=400)


def _cancel_page(page: Page, course_id: str, form: Form, status: int = 200) -> Response:
    return form_page(
        page,
        form,
        CANCEL,
        title="取消培训班",
        action=f"/training/{course_id}/cancellation",
        submit="取消培训班",
        back=f"/training/{course_id}",
        status=status,
        trail=[("/training", "培训班"), (f"/training/{course_id}", "培训班"), ("", "取消")],
        warning=True,
    )


@router.get("/training/{course_id}/cancellation")
async def cancel_form(page: CurrentPage, course_id: str) -> Response:
    page.require(*TIERS, roles=WORKERS)
    # Cancelling acts on the course as shown: a correction made meanwhile is not cancelled
    # unseen (409, ADR 0035).
    _, version = await page.api.versioned(f"/api/v1/training-courses/{course_id}")
    return _cancel_page(page, course_id, drawn_at(Form(), version))


@router.post("/training/{course_id}/cancellation")
async def cancel(page: CurrentPage, course_id: str, posted: Posted) -> Response:
    page.require(*TIERS, roles=WORKERS)
    answer, form = await send(
        page.api,
        f"/api/v1/training-courses/{course_id}/cancellation",
        posted,
        field_labels(CANCEL),
    )
    if answer is not None:
        return done(page.request, f"/training/{course_id}", "培训班已取消。")
    return _cancel_page(page, course_id, form, status=400)
