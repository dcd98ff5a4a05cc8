"""Console page of a community's resident points (积分制, ADR 0027) for the village clerk: turn
the pilot on or off, see the volunteers' points and ranking for a period (by number only), and
award or deduct points by hand with a reason. Everything goes through the village API."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from shared.console.client import ApiError
from shared.console.forms import Form, send
from shared.console.pages.village import divisions
from shared.console.web import CurrentPage, Page, Posted, done

router = APIRouter()

PILOT_LABELS = {"effective_on": "日期"}
PILOT_FIELDS = {
    **{
        code: "effective_on"
        for code in (
            "date_in_future",
            "backdate_forbidden",
            "points_pilot_overlap",
            "points_pilot_off_before_on",
            "rule_not_in_force",
        )
    },
}
ADJUST_LABELS = {
    "volunteer_id": "志愿者编号",
    "kind": "调整类型",
    "points": "积分",
    "reason": "调整理由",
    "effective_on": "调整日期",
}
ADJUST_FIELDS = {
    "unknown_volunteer": "volunteer_id",
    "volunteer_id_personal": "volunteer_id",
    "invalid_points": "points",
    "reason_required": "reason",
    **{
        code: "effective_on"
        for code in ("points_pilot_off", "date_in_future", "backdate_forbidden")
    },
}
KINDS = {"award": "奖励（加分）", "deduction": "扣减（减分）"}


async def _page(
    page: Page,
    period: str = "",
    adjust: Form | None = None,
    pilot: Form | None = None,
    status: int = 200,
) -> Response:
    code = page.me.division
    notice = ""
    try:
        ranking = await page.api.get(f"/api/v1/points/communities/{code}", period=period or None)
    except ApiError as e:
        if e.status != 422:
            raise
        # A period typed wrong in the address: say so and show the year to date.
        notice, period = f"统计期间“{period}”无法识别，已显示本年至今。", ""
        ranking = await page.api.get(f"/api/v1/points/communities/{code}")
    rules = await page.api.get("/api/v1/points/rules")
    try:  # the bonus themes' Chinese names; a day before any vocabulary shows the codes
        vocabulary = await page.api.get("/api/v1/rules/activity-themes", on=ranking["period_to"])
        themes = vocabulary["themes"] + vocabulary["retired"]
    except ApiError:
        themes = []
    theme_names = {t["code"]: t["name"] for t in themes}
    names = await divisions(page)
    in_force = next((v for v in rules["versions"] if v["version"] == ranking["rule_version"]), None)
    return page.render(
        "village/points.html",
        status=status,
        title="居民积分",
        division=names.get(code, {"code": code, "name": code}),
        ranking=ranking,
        rule=in_force,
        period=period,
        notice=notice,
        adjust=adjust or Form(values={"kind": "award"}, selects=frozenset({"kind"})),
        pilot=pilot or Form(),
        kinds=KINDS,
        theme_names=theme_names,
    )


@router.get("/village/points")
async def points(page: CurrentPage, period: str = "") -> Response:
    page.require("village")
    return await _page(page, period[:20])


@router.post("/village/points/pilot")
async def switch_pilot(page: CurrentPage, posted: Posted) -> Response:
    """Turn the community's pilot on or off from the day given (today if none)."""
    page.require("village", roles=("operator",))
    state = posted.get("state", "")
    if state not in ("on", "off"):
        # Only the page's own button says which; anything else is not this form.
        form = Form(values={k: v for k, v in posted.items() if k in PILOT_LABELS})
        form.add("", "请使用本页的“开启/关闭积分制试点”按钮提交。")
        return await _page(page, pilot=form, status=400)
    answer, form = await send(
        page.api,
        f"/api/v1/points/communities/{page.me.division}/pilot/{state}",
        posted,
        PILOT_LABELS,
        fields=PILOT_FIELDS,
    )
    if answer is not None:
        said = "已开启积分制试点。" if state == "on" else "已关闭积分制试点。"
        return done(page.request, "/village/points", said)
    return await _page(page, pilot=form, status=400)


@router.post("/village/points/adjustments")
async def adjust(page: CurrentPage, posted: Posted) -> Response:
    """Award or deduct points by hand, with the reason (a correction is another adjustment)."""
    page.require("village", roles=("operator",))
    answer, form = await send(
        page.api,
        f"/api/v1/points/communities/{page.me.division}/adjustments",
        posted,
        ADJUST_LABELS,
        selects=frozenset({"kind"}),
        fields=ADJUST_FIELDS,
    )
    if answer is not None:
        values: dict[str, Any] = form.values
        number, amount = values.get("volunteer_id", "").strip(), values.get("points", "").strip()
        verb = "扣减" if values.get("kind") == "deduction" else "奖励"
        said = f"已为志愿者 {number} {verb} {amount} 分。"
        return done(page.request, "/village/points", said)
    return await _page(page, adjust=form, status=400)
