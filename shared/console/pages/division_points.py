"""Resident points (积分制, ADR 0027) seen from a township or the county: read-only, for the
operators and leaders who follow the pilot. The division's points figures for a period, then
one line per community that piloted in it — whether it is on at the period's end, volunteers
ranked, points awarded and deducted, the balances held and the top of its ranking.

Everything comes from the tier's own API (ADR 0017): ``GET /api/v1/points/summary/{code}`` for
the figures and the divisions below (a county's townships, then each piloting township's
communities), ``GET /api/v1/points/communities/{code}`` for each piloting community's ranking.
Volunteers appear by their community's number only, as the API gives them (ADR 0021)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from shared.console.client import ApiError
from shared.console.web import CurrentPage, Page

router = APIRouter()

TIERS = ("county", "township")
READ = ("operator", "viewer")
TOP = 3  # the top of each community's ranking shown on the line


async def _summary(page: Page, code: str, period: str) -> dict[str, Any]:
    return await page.api.get(f"/api/v1/points/summary/{code}", period=period or None)


async def _communities(page: Page, summary: dict[str, Any], period: str) -> list[dict[str, Any]]:
    """The piloting communities below the division, in the tree's order (a county's through
    its townships: only a township with a piloting community is asked for its lines)."""
    if summary["figures"]["communities_piloting"] == 0:
        return []
    lines = summary["lines"]
    if lines and lines[0]["tier"] != "village":
        out: list[dict[str, Any]] = []
        for township in lines:
            if township["figures"]["communities_piloting"]:
                below = await _summary(page, township["code"], period)
                out += [
                    {**c, "township": township["name"]}
                    for c in await _communities(page, below, period)
                ]
        return out
    return [c for c in lines if c["figures"]["communities_piloting"]]


async def _line(page: Page, community: dict[str, Any], period: str) -> dict[str, Any]:
    ranking = await page.api.get(
        f"/api/v1/points/communities/{community['code']}", period=period or None
    )
    volunteers = ranking["volunteers"]
    return {
        **community,
        "on": ranking["on"],
        "rule_version": ranking["rule_version"],
        "rule_label_zh": ranking["rule_label_zh"],
        "ranked": len(volunteers),
        "points": sum(v["points"] for v in volunteers),
        "balance": sum(v["balance"] for v in volunteers),
        "top": volunteers[:TOP],
    }


@router.get("/points")
async def division_points(page: CurrentPage, period: str = "") -> Response:
    page.require(*TIERS, roles=READ)
    period, notice = period[:20].strip(), ""
    code = page.me.division
    try:
        summary = await _summary(page, code, period)
    except ApiError as e:
        if e.status != 422:
            raise
        # A period typed wrong: say so and show the year to date, as the village page does.
        notice, period = f"统计期间“{period}”无法识别，已显示本年至今。", ""
        summary = await _summary(page, code, period)
    lines = [await _line(page, c, period) for c in await _communities(page, summary, period)]
    return page.render(
        "points/division.html",
        title="居民积分",
        summary=summary,
        lines=lines,
        period=period,
        notice=notice,
        top=TOP,
    )
