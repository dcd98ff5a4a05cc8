"""Console pages of the village / community clerk (村/社区): the village's groups with their
zombie warnings, filing a group's application, reporting an activity, and the periodic returns.

Every figure and every write goes through the tier's own API (ADR 0017); a refusal the API
gives (jurisdiction, a date outside the group's active span) is shown on the form or, for
another village's record, propagates to the 403 page.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from urllib.parse import quote
from uuid import UUID

from fastapi import APIRouter, HTTPException
from fastapi.responses import Response

from shared.console import labels
from shared.console.client import ApiError
from shared.console.forms import Form, send
from shared.console.web import CurrentPage, Page, Posted, done
from shared.kernel.domain import CHINA

router = APIRouter()

ACTIVE = ("filed", "registered")

FILING_LABELS = {
    "name": "组织名称",
    "field": "服务领域",
    "founded_on": "成立日期",
    "category": "类别",
    "village_code": "所在村（社区）",
}

ACTIVITY_LABELS = {
    "occurred_on": "活动日期",
    "field": "活动领域",
    "participants": "参与人数",
    "volunteers": "志愿者人数",
    "volunteer_services": "志愿服务人次",
    "volunteer_hours": "志愿服务时长（小时）",
    "beneficiaries": "受益人次",
    "money_spent": "支出金额（元）",
    "themes": "活动主题",
    "cases_taken": "受理矛盾纠纷（件）",
    "cases_resolved": "调解成功（件）",
    "volunteer_ids": "参与志愿者编号",
}

# A refusal about the activity's date belongs beside the date field; one about its themes or
# cases beside those (ADR 0019).
DATE_FIELDS = {
    **{
        code: "occurred_on"
        for code in ("date_in_future", "organisation_not_active", "before_founding", "date_order")
    },
    **{
        code: "themes"
        for code in ("unknown_theme", "duplicate_theme", "too_many_themes", "theme_not_in_force")
    },
    "cases_resolved_exceed_taken": "cases_resolved",
    **{
        code: "volunteer_ids"
        for code in (
            "unknown_volunteer",
            "duplicate_volunteer",
            "volunteer_ids_exceed_volunteers",
            "volunteer_id_personal",
            "volunteer_had_left",
        )
    },
}
# Volunteer numbers typed in one field, separated by spaces, commas or 、 (ADR 0021).
SEPARATORS = re.compile(r"[\s,，、;；]+")
VOLUNTEER_LABELS = {"volunteer_id": "志愿者编号", "effective_on": "登记日期"}
VOLUNTEER_FIELDS = {
    **{code: "volunteer_id" for code in ("volunteer_exists", "volunteer_id_personal")},
    **{code: "effective_on" for code in ("date_in_future", "backdate_forbidden")},
}
# Leaving the register and coming back (ADR 0021 addendum): the number is in the path.
LEAVE_LABELS = {"reason": "离开原因", "effective_on": "离开日期"}
REJOIN_LABELS = {"effective_on": "重新加入日期"}
LEAVE_REASONS = {"moved_away": "迁出本村（社区）", "withdrew": "本人退出", "other": "其他"}
MOVE_FIELDS = {
    "invalid_leave_reason": "reason",
    **{
        code: "effective_on"
        for code in (
            "date_in_future",
            "backdate_forbidden",
            "volunteer_left_before_registered",
            "volunteer_left_before_rejoined",
            "volunteer_rejoined_before_left",
        )
    },
}
# One checkbox per theme, named ``theme_<code>``: a posted form keeps one value per name, so a
# shared name "themes" would keep only the last box ticked (as the roles of an account).
THEME_PREFIX = "theme_"

RETURN_LABELS = {"kind": "报表类别", "period": "报表期间"}
PERIOD_FIELDS = {"invalid_period": "period", "period_not_ended": "period"}


# Fields chosen from a list: "请选择…" rather than "请填写…" when left empty.
SELECTS = frozenset({"field", "category", "village_code", "kind"})


async def divisions(page: Page) -> dict[str, dict[str, Any]]:
    """The division tree in force today, by code (names for headings and selects)."""
    tree = await page.api.get("/api/v1/divisions")
    return {d["code"]: d for d in tree["divisions"]}


def _today() -> str:
    return datetime.now(CHINA).date().isoformat()


# ------------------------------------------------------------------ groups


@router.get("/village/groups")
async def groups(page: CurrentPage) -> Response:
    page.require("village")
    code = page.me.division
    listed = await page.api.get("/api/v1/organisations", division=code, limit=500)
    zombies = await page.api.get(f"/api/v1/reports/{code}/zombies")
    names = await divisions(page)
    flagged = {z["org_id"]: z for z in zombies["organisations"]}
    rows = [
        {**o, "status": labels.status_of(o), "zombie": flagged.get(o["org_id"])}
        for o in listed["organisations"]
    ]
    return page.render(
        "village/groups.html",
        title="本村（社区）组织",
        division=names.get(code, {"code": code, "name": code}),
        rows=rows,
        active=ACTIVE,
        window_months=zombies.get("window_months"),
        zombie_count=len(flagged),
    )


async def _filing_context(page: Page) -> dict[str, Any]:
    """Whether the village is fixed (a village clerk) or to be chosen among those below."""
    names = await divisions(page)
    mine = names.get(page.me.division)
    fixed = mine is not None and mine["tier"] == "village"
    mine_code = page.me.division

    def below(code: str | None) -> bool:
        while code:
            if code == mine_code:
                return True
            code = names.get(code, {}).get("parent")
        return False

    villages = {
        c: d["name"] for c, d in sorted(names.items()) if d["tier"] == "village" and below(c)
    }
    return {"fixed": fixed, "village": mine, "villages": villages}


@router.get("/village/groups/new")
async def new_group(page: CurrentPage) -> Response:
    page.require("village", roles=("operator",))
    context = await _filing_context(page)
    form = Form(values={"category": "general"})
    return page.render("village/group_new.html", title="备案申请", form=form, **context)


@router.post("/village/groups/new")
async def file_group(page: CurrentPage, posted: Posted) -> Response:
    page.require("village", roles=("operator",))
    context = await _filing_context(page)
    fixed = {"village_code": page.me.division} if context["fixed"] else {}
    answer, form = await send(
        page.api,
        "/api/v1/filing-applications",
        posted,
        FILING_LABELS,
        selects=SELECTS,
        fixed=fixed,
    )
    if answer is not None:
        name = form.values.get("name", "").strip()
        return done(
            page.request, "/village/groups", f"已提交“{name}”的备案申请，待乡镇（街道）审核。"
        )
    return page.render("village/group_new.html", status=400, title="备案申请", form=form, **context)


# ------------------------------------------------------------------ activities


async def _organisation(page: Page, organisation_id: UUID) -> dict[str, Any]:
    """The group, as the API shows it to this person (403 for another village's)."""
    org: dict[str, Any] = await page.api.get(f"/api/v1/organisations/{organisation_id}")
    org["status"] = labels.status_of(org)
    return org


async def _vocabulary(page: Page) -> dict[str, Any] | None:
    """The activity themes in force today and those retired before (the API's rules route),
    or None when no vocabulary is in force (the form then offers no themes)."""
    try:
        vocabulary: dict[str, Any] = await page.api.get("/api/v1/rules/activity-themes")
    except ApiError as e:
        if e.status != 409:
            raise
        return None
    return vocabulary


def _ticked(posted: dict[str, str]) -> list[str]:
    return [
        k.removeprefix(THEME_PREFIX) for k, v in posted.items() if k.startswith(THEME_PREFIX) and v
    ]


async def _activity_page(
    page: Page, org: dict[str, Any], form: Form, status: int = 200
) -> Response:
    return page.render(
        "village/activity_new.html",
        status=status,
        title=f"报告活动：{org.get('name') or ''}",
        org=org,
        form=form,
        max_date=_today(),
        vocabulary=await _vocabulary(page),
        theme_prefix=THEME_PREFIX,
    )


@router.get("/village/groups/{organisation_id}/activities/new")
async def new_activity(page: CurrentPage, organisation_id: UUID) -> Response:
    page.require("village", roles=("operator",))
    org = await _organisation(page, organisation_id)
    form = Form(values={"field": org.get("field") or ""})
    return await _activity_page(page, org, form)


@router.post("/village/groups/{organisation_id}/activities/new")
async def report_activity(page: CurrentPage, organisation_id: UUID, posted: Posted) -> Response:
    page.require("village", roles=("operator",))
    org = await _organisation(page, organisation_id)
    themes = _ticked(posted)
    numbers = [n for n in SEPARATORS.split(str(posted.get("volunteer_ids", ""))) if n]
    answer, form = await send(
        page.api,
        f"/api/v1/organisations/{organisation_id}/activities",
        posted,
        ACTIVITY_LABELS,
        selects=SELECTS,
        fields=DATE_FIELDS,
        # Lists: the form's boxes, gathered above, and the numbers typed in one field.
        fixed={"themes": themes, "volunteer_ids": numbers},
    )
    if answer is not None:
        when = labels.date_zh(form.values.get("occurred_on"))
        return done(page.request, "/village/groups", f"已记录“{org.get('name')}”{when}的活动。")
    form.values.update({f"{THEME_PREFIX}{t}": "on" for t in themes})  # ticked again
    return await _activity_page(page, org, form, status=400)


# ------------------------------------------------------------------ volunteer register


async def _volunteers_page(page: Page, form: Form, status: int = 200) -> Response:
    code = page.me.division
    listed = await page.api.get("/api/v1/volunteers", division=code, limit=500)
    names = await divisions(page)
    return page.render(
        "village/volunteers.html",
        status=status,
        title="志愿者名册",
        division=names.get(code, {"code": code, "name": code}),
        rows=listed["volunteers"],
        reasons=LEAVE_REASONS,
        form=form,
    )


@router.get("/village/volunteers")
async def volunteers(page: CurrentPage) -> Response:
    page.require("village")
    return await _volunteers_page(page, Form())


@router.post("/village/volunteers")
async def register_volunteer(page: CurrentPage, posted: Posted) -> Response:
    """Enter a volunteer under the village's own number: a pseudonym, nothing else (ADR 0021)."""
    page.require("village", roles=("operator",))
    answer, form = await send(
        page.api,
        "/api/v1/volunteers",
        posted,
        VOLUNTEER_LABELS,
        fields=VOLUNTEER_FIELDS,
        fixed={"village_code": page.me.division},
    )
    if answer is not None:
        number = form.values.get("volunteer_id", "").strip()
        return done(page.request, "/village/volunteers", f"已登记志愿者 {number}。")
    return await _volunteers_page(page, form, status=400)


@router.get("/village/volunteers/{number}/{act}")
async def move_volunteer_form(page: CurrentPage, number: str, act: str) -> Response:
    page.require("village", roles=("operator",))
    return _move_page(page, number, act, Form())


@router.post("/village/volunteers/{number}/{act}")
async def move_volunteer(page: CurrentPage, number: str, act: str, posted: Posted) -> Response:
    """A volunteer leaves the register (离开/注销) for a coded reason, or comes back; the day is
    the command's effective date (ADR 0021 addendum)."""
    page.require("village", roles=("operator",))
    leaving = _act(act)
    answer, form = await send(
        page.api,
        f"/api/v1/volunteers/{page.me.division}/{quote(number, safe='')}/{act}",
        posted,
        LEAVE_LABELS if leaving else REJOIN_LABELS,
        selects=frozenset({"reason"}),
        fields=MOVE_FIELDS,
    )
    if answer is not None:
        what = "离开名册" if leaving else "重新加入名册"
        return done(page.request, "/village/volunteers", f"已登记志愿者 {number} {what}。")
    return _move_page(page, number, act, form, status=400)


def _act(act: str) -> bool:
    """True for leaving, False for re-joining; any other path is not a page."""
    if act not in ("leaving", "rejoining"):
        raise HTTPException(status_code=404)
    return act == "leaving"


def _move_page(page: Page, number: str, act: str, form: Form, status: int = 200) -> Response:
    leaving = _act(act)
    return page.render(
        "village/volunteer_move.html",
        status=status,
        title=f"志愿者{'离开名册' if leaving else '重新加入名册'}",
        number=number,
        act=act,
        leaving=leaving,
        reasons=LEAVE_REASONS,
        form=form,
    )


# ------------------------------------------------------------------ returns


@router.get("/village/returns")
async def returns(page: CurrentPage) -> Response:
    page.require("village")
    listed = await page.api.get("/api/v1/returns", division=page.me.division)
    rows = sorted(
        listed["returns"],
        key=lambda r: (r.get("period_to") or "", r["period"], r["kind"]),
        reverse=True,
    )
    return page.render("village/returns.html", title="报表", rows=rows, counts=listed["counts"])


def _return_page(page: Page, form: Form, status: int = 200) -> Response:
    resubmit = page.request.query_params.get("resubmit") == "1" or form.values.get("resubmit")
    return page.render(
        "village/return_new.html",
        status=status,
        title="重新报送报表" if resubmit else "报送报表",
        form=form,
        resubmit=bool(resubmit),
        kinds=labels.RETURN_KIND_ZH,
    )


@router.get("/village/returns/new")
async def new_return(page: CurrentPage) -> Response:
    page.require("village", roles=("operator",))
    query = page.request.query_params
    values = {k: query[k] for k in ("kind", "period") if query.get(k)}
    return _return_page(page, Form(values=values))


@router.post("/village/returns/new")
async def submit_return(page: CurrentPage, posted: Posted) -> Response:
    page.require("village", roles=("operator",))
    answer, form = await send(
        page.api,
        "/api/v1/returns",
        posted,
        RETURN_LABELS,
        selects=SELECTS,
        fields=PERIOD_FIELDS,
        fixed={"division_code": page.me.division},
    )
    if answer is not None:
        kind = labels.RETURN_KIND_ZH.get(form.values.get("kind", ""), "")
        period = form.values.get("period", "").strip()
        return done(page.request, "/village/returns", f"已报送{period}{kind}，待乡镇（街道）审核。")
    if posted.get("resubmit"):
        form.values["resubmit"] = "1"
    return _return_page(page, form, status=400)
