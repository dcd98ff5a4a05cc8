"""The assessment of the tiers below (考核, ADR 0025): the county's scorecard of its townships
for a year (operators and leaders), a township's detail with its villages, and issuing the
scorecard (operators); a township officer sees their own township's scorecard.

Every figure comes from ``GET /api/v1/assessments/{year}/{division}`` of the page's own tier
(ADR 0017): the API scopes it, so another township's scorecard answers the 403 page."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter
from fastapi.responses import Response

from shared.console.client import ApiError
from shared.console.forms import Form, send
from shared.console.web import CurrentPage, Page, Posted, done

router = APIRouter()

READ = ("operator", "viewer")  # bureau staff and county leaders
ISSUE = ("operator",)
# API refusals about the year, shown beside the year field instead of as an error page.
YEAR_CODES = ("invalid_year", "assessment_not_in_force", "invalid_input")
ISSUE_LABELS = {"title": "发布标题"}


def _years(page: Page) -> dict[str, str]:
    this = page.today().year
    return {str(y): f"{y}年" for y in range(this, this - 6, -1)}


async def _card(page: Page, year: str, code: str) -> tuple[dict[str, Any] | None, Form]:
    """The scorecard, or None and the form with the refusal beside the year field."""
    form = Form(values={"year": year})
    if not year.isdigit():
        form.add("year", "考核年度须为四位数字年份，请从列表中选择")
        return None, form
    try:
        return await page.api.get(f"/api/v1/assessments/{year}/{code}"), form
    except ApiError as e:
        if e.status != 422 or e.code not in YEAR_CODES:
            raise
        form.add("year", e.message_zh)
        return None, form


def _render(
    page: Page, template: str, card: dict[str, Any] | None, form: Form, **context: Any
) -> Response:
    return page.render(
        template,
        status=400 if form.errors else 200,
        title="考核记分卡",
        card=card,
        form=form,
        years=_years(page),
        **context,
    )


def _default_year(page: Page) -> str:
    # Last year's scorecard is the one assessed; this year's runs to date.
    return str(page.today().year - 1)


@router.get("/county/assessment")
async def county_scorecard(page: CurrentPage, year: str = "") -> Response:
    page.require("county", roles=READ)
    card, form = await _card(page, year or _default_year(page), page.me.division)
    return _render(
        page,
        "assessment/table.html",
        card,
        form,
        can_issue=page.me.has(*ISSUE),
        issue=Form(values={"title": f"{form.values['year']}年度乡镇（街道）考核结果"}),
    )


@router.post("/county/assessment")
async def issue_scorecard(page: CurrentPage, posted: Posted, year: str = "") -> Response:
    page.require("county", roles=ISSUE)
    year = year or posted.get("year", "") or _default_year(page)
    card, form = await _card(page, year, page.me.division)
    if card is None:
        return _render(page, "assessment/table.html", card, form, can_issue=True, issue=Form())
    answer, issue = await send(
        page.api,
        f"/api/v1/assessments/{year}/{page.me.division}/issue",
        posted,
        ISSUE_LABELS,
    )
    if answer is None:
        return _render(page, "assessment/table.html", card, issue, can_issue=True, issue=issue)
    return done(
        page.request,
        f"/county/assessment?year={year}",
        f"考核结果已发布（发布记录 {answer['report_id']}，内容哈希 {answer['content_hash']}），"
        "可在审计页面复核。",
    )


@router.get("/county/assessment/export.{fmt}")
async def export(fmt: Literal["csv", "xlsx"], page: CurrentPage, year: str = "") -> Response:
    """The browser has no bearer token: the API's file is fetched with the session's and
    passed through as it answered (declared before the detail page, whose path it would match)."""
    page.require("county", roles=READ)
    chosen = year if year.isdigit() else _default_year(page)
    answer = await page.api.raw(f"/api/v1/assessments/{chosen}/{page.me.division}", format=fmt)
    headers = {k: v for k, v in answer.headers.items() if k.lower() == "content-disposition"}
    return Response(
        content=answer.content, media_type=answer.headers.get("content-type"), headers=headers
    )


@router.get("/county/assessment/{division_code}")
async def township_detail(division_code: str, page: CurrentPage, year: str = "") -> Response:
    page.require("county", roles=READ)
    if not (division_code.isdigit() and len(division_code) == 12):
        raise ApiError(404, "unknown_division", "区划代码应为 12 位数字。")
    card, form = await _card(page, year or _default_year(page), division_code)
    return _render(page, "assessment/detail.html", card, form, back="/county/assessment")


@router.get("/township/assessment")
async def own_scorecard(page: CurrentPage, year: str = "") -> Response:
    page.require("township", roles=READ)
    card, form = await _card(page, year or _default_year(page), page.me.division)
    return _render(page, "assessment/detail.html", card, form, back=None)
