"""The county leaders' dashboard: the headline figures of a division's report as cards and
charts, drill-down county → township → village → organisation, ranking and zombie list, and
the report's exports passed through (the browser holds no bearer token).

Every figure comes from ``GET /api/v1/reports/{code}`` as the API answers it, so the page and
the exported report always say the same thing; only the formatting is the console's.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter
from fastapi.responses import Response

from shared.console.client import ApiError
from shared.console.forms import Form
from shared.console.web import CurrentPage, Page
from shared.kernel.rules import COVERAGE_DEFAULTS
from shared.reporting.catalogue import lookup
from shared.reporting.coverage import DENOMINATOR_ZH
from shared.reporting.export import display_unit, format_value
from shared.reporting.html import Reference, Series, bar_chart

router = APIRouter()

READERS = ("operator", "viewer")

# The cards, in the order a leader reads them: how many, how dense against the standard, how
# active, what supports them, what needs attention.
CARDS = (
    "organisations.active",
    "organisations.registered",
    "organisations.filed",
    "organisations.new_in_period",
    "density.per_10k_resident_population",
    "density.avg_per_urban_community",
    "density.avg_per_rural_village",
    "density.share_meeting_standard",
    "activity.activities",
    "activity.volunteer_services",
    "activity.volunteer_hours",
    "activity.beneficiaries",
    "platforms.incubator_coverage",
    "platforms.sage_council_coverage",
    "zombies.count",
    "zombies.rate",
    "funding.awarded_yuan",
    "funding.disbursed_yuan",
    "ratings.grade_3a_plus",
)

# Columns of the drill-down table of child divisions / a village's organisations.
DIVISION_COLUMNS = (
    "organisations.active",
    "organisations.registered",
    "organisations.filed",
    "density.per_10k_resident_population",
    "activity.activities",
    "activity.volunteer_services",
    "zombies.count",
)
ORGANISATION_COLUMNS = (
    "activity.activities",
    "activity.participants",
    "activity.volunteer_services",
    "activity.volunteer_hours",
    "activity.beneficiaries",
)

TABS = {"overview": "概况", "ranking": "四维排名", "zombies": "僵尸组织名单"}
EXPORTS = {"csv": "CSV 表格", "xlsx": "Excel 表格", "html": "可打印报告（HTML）"}
FILTER_LABELS = {"period": "统计期间", "as_of": "截至日期"}


def figure(figures: dict[str, Any], key: str) -> Any:
    group, _, name = key.partition(".")
    return (figures.get(group) or {}).get(name)


def shown(value: Any, key: str) -> str:
    """A figure as the exports write it: ratios in percent, money with two places, "—" for
    a figure that has no value (a zero denominator, a rule not in force)."""
    unit = lookup(key).unit
    return format_value(value, unit, blank="—", grouping=True)


# Averages of organisations per village read better as "个" on a card than as "平均数".
CARD_UNITS = {"density.avg_per_urban_community": "个", "density.avg_per_rural_village": "个"}


def unit_of(key: str) -> str:
    unit = lookup(key).unit
    return CARD_UNITS.get(key) or ("" if unit == "ratio" else display_unit(unit))


def _standards(report: dict[str, Any]) -> dict[str, Any]:
    params = ((report.get("rules") or {}).get("density") or {}).get("parameters") or {}
    return {
        "density.avg_per_urban_community": params.get("urban_min_per_community"),
        "density.avg_per_rural_village": params.get("rural_min_per_village"),
    }


def _coverage_notes(report: dict[str, Any]) -> dict[str, str]:
    """What each coverage card is divided by, from the report's coverage rule (ADR 0018)."""
    spec = (report.get("rules") or {}).get("coverage")
    if not spec:
        return {}
    chosen = {**COVERAGE_DEFAULTS, **((spec.get("parameters") or {}).get("denominators") or {})}
    return {
        f"platforms.{rate}": f"分母：{DENOMINATOR_ZH.get(basis, basis)}"
        for rate, basis in chosen.items()
    }


def cards(report: dict[str, Any]) -> list[dict[str, Any]]:
    figures = report["figures"]
    standards = _standards(report)
    coverage = _coverage_notes(report)
    out = []
    for key in CARDS:
        value = figure(figures, key)
        note = coverage.get(key, "")
        warn = False
        standard = standards.get(key)
        if standard is not None:
            note = f"标准：不少于 {standard} 个"
            warn = isinstance(value, int | float) and value < standard
        elif key == "zombies.count" and value:
            note = "需清理"
            warn = True
        out.append(
            {
                "key": key,
                "label": lookup(key).zh,
                "value": shown(value, key),
                "unit": unit_of(key) if value is not None else "",
                "note": note,
                "warn": warn,
            }
        )
    return out


def _per_child(
    chart_id: str,
    title: str,
    children: Sequence[dict[str, Any]],
    keys: Sequence[str],
    **kw: Any,
) -> str:
    def number(v: Any) -> float | int | None:
        return v if isinstance(v, int | float) and not isinstance(v, bool) else None

    names = [str(c.get("name") or c.get("code") or "") for c in children]
    series = [
        Series(lookup(k).zh, [number(figure(c["figures"], k)) for c in children]) for k in keys
    ]
    return bar_chart(chart_id, title, names, series, **kw)


def charts(report: dict[str, Any]) -> list[str]:
    """The report's own SVG bar charts (shared/reporting/html.py), one bar per child division;
    a village compares its organisations' activity instead."""
    children = report["children"]
    if not children:
        return []
    if children[0].get("kind") == "organisation":
        return [
            _per_child(
                "chart-activity",
                "各组织活动开展与志愿服务",
                children,
                ["activity.activities", "activity.volunteer_services"],
                unit="次",
            )
        ]
    standards = _standards(report)
    density_keys = ["density.avg_per_urban_community", "density.avg_per_rural_village"]
    references = [
        Reference(f"标准：{lookup(k).zh}不少于{standards[k]}个", float(standards[k]), series=i)
        for i, k in enumerate(density_keys)
        if isinstance(standards[k], int | float)
    ]
    return [
        _per_child(
            "chart-organisations",
            "各区划社区社会组织数量（登记/备案）",
            children,
            ["organisations.registered", "organisations.filed"],
            stacked=True,
            unit="个",
        ),
        _per_child(
            "chart-density",
            "各区划组织密度与标准对照",
            children,
            density_keys,
            references=references,
            unit="个/村（社区）",
        ),
        _per_child(
            "chart-activity",
            "各区划活动开展与志愿服务",
            children,
            ["activity.activities", "activity.volunteer_services"],
            unit="次",
        ),
    ]


def _query(**params: Any) -> str:
    clean = {k: v for k, v in params.items() if v not in (None, "")}
    return ("?" + urlencode(clean)) if clean else ""


async def _trail(page: Page, code: str) -> list[tuple[str, str]]:
    """County → township → village names for the breadcrumbs, from the division tree."""
    tree = await page.api.get("/api/v1/divisions")
    by_code = {d["code"]: d for d in tree["divisions"]}
    chain: list[dict[str, Any]] = []
    current = by_code.get(code)
    while current is not None:
        chain.insert(0, current)
        current = by_code.get(current.get("parent") or "")
    return [(d["code"], d["name"]) for d in chain]


def _code(page: Page, division: str) -> str:
    """The division asked for, or the person's own; a malformed code is no division at all
    (the 404 page rather than a complaint about the period)."""
    code = division.strip() or page.me.division
    if not re.fullmatch(r"\d{12}", code):
        raise ApiError(404, "unknown_division", "没有这个区划。")
    return code


@router.get("/county/dashboard")
async def dashboard(
    page: CurrentPage,
    division: str = "",
    period: str = "",
    as_of: str = "",
    view: str = "overview",
) -> Response:
    page.require("county", roles=READERS)
    view = view if view in TABS else "overview"
    code = _code(page, division)
    form = Form(values={"period": period, "as_of": as_of})
    when = {"period": period.strip(), "as_of": as_of.strip()}
    try:
        report = await page.api.get(f"/api/v1/reports/{code}", **when)
    except ApiError as e:
        if e.status not in (400, 422):
            raise
        # A period or date the API does not accept: say so on the picker, show today's figures.
        named = [d for d in e.details if d.get("field") in FILTER_LABELS]
        for d in named:
            form.add(str(d["field"]), f"{FILTER_LABELS[str(d['field'])]}填写不正确")
        if not named:
            form.add("period", f"统计期间填写不正确：{e.message_zh}")
        when = {"period": "", "as_of": ""}
        report = await page.api.get(f"/api/v1/reports/{code}")
    keep = {"period": when["period"], "as_of": when["as_of"]}
    ranking = zombies = None
    if view == "ranking":
        ranking = await page.api.get(
            f"/api/v1/reports/{code}/ranking", as_of=report["as_of"], limit=100
        )
    elif view == "zombies":
        zombies = await page.api.get(f"/api/v1/reports/{code}/zombies", as_of=report["as_of"])
    trail = await _trail(page, code)
    return page.render(
        "county/dashboard.html",
        status=400 if form.errors else 200,
        title=f"{report['division']['name']}数据看板",
        report=report,
        code=code,
        form=form,
        cards=cards(report),
        charts=charts(report),
        view=view,
        tabs=TABS,
        ranking=ranking,
        zombies=zombies,
        trail=[(f"/county/dashboard{_query(division=c, **keep)}", name) for c, name in trail],
        here=lambda **extra: f"/county/dashboard{_query(division=code, **{**keep, **extra})}",
        down=lambda child: f"/county/dashboard{_query(division=child, **keep)}",
        exports={
            fmt: f"/county/dashboard/export.{fmt}{_query(division=code, **keep)}" for fmt in EXPORTS
        },
        export_names=EXPORTS,
        columns=ORGANISATION_COLUMNS
        if report["children"] and report["children"][0].get("kind") == "organisation"
        else DIVISION_COLUMNS,
        figure=figure,
        shown=shown,
        label=lambda key: lookup(key).zh,
    )


@router.get("/county/dashboard/export.{fmt}")
async def export(
    page: CurrentPage,
    fmt: Literal["csv", "xlsx", "html"],
    division: str = "",
    period: str = "",
    as_of: str = "",
) -> Response:
    """The API's export, bytes, type and file name unchanged."""
    page.require("county", roles=READERS)
    code = _code(page, division)
    answer = await page.api.raw(
        f"/api/v1/reports/{code}/export.{fmt}", period=period.strip(), as_of=as_of.strip()
    )
    headers = {}
    if "content-disposition" in answer.headers:
        headers["Content-Disposition"] = answer.headers["content-disposition"]
    return Response(
        content=answer.content,
        media_type=answer.headers.get("content-type"),
        headers=headers,
    )
