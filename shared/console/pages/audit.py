"""The auditor's pages (read only, any tier): an organisation's timeline across the tiers, a
report as known at an instant and the issued reports' reproduction, the integrity of the event
logs, and who read which organisation's record. Every figure comes from the API, so the
auditor's own reads are logged like anyone else's."""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from fastapi import APIRouter
from fastapi.responses import RedirectResponse, Response

from shared.console import labels
from shared.console.client import ApiError, segment
from shared.console.forms import Form
from shared.console.web import CurrentPage
from shared.kernel.domain import CHINA
from shared.kernel.jurisdiction import contains

router = APIRouter()

AUDITOR = ("auditor",)
# The name search pages through the organisations list; bounded so a big county stays quick.
SEARCH_PAGE, SEARCH_PAGES, SEARCH_SHOWN = 500, 8, 50
ACCESS_PAGE = 50
ISO_MINUTE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$")


def _uuid(text: str) -> str | None:
    try:
        return str(UUID(text.strip()))
    except ValueError:
        return None


# ------------------------------------------------------------------ start page and search


@router.get("/audit")
async def start(page: CurrentPage, q: str = "") -> Response:
    page.require(roles=AUDITOR)
    q = q.strip()
    found: list[dict[str, Any]] = []
    truncated = False
    if q:
        if (org_id := _uuid(q)) is not None:
            return RedirectResponse(f"/audit/organisations/{org_id}/timeline", status_code=303)
        found, truncated = await _search(page, q)
    return page.render(
        "audit/start.html",
        title="审计",
        form=Form(values={"q": q}),
        q=q,
        found=found,
        truncated=truncated,
        searched=bool(q),
    )


async def _search(page: CurrentPage, q: str) -> tuple[list[dict[str, Any]], bool]:
    """Organisations of the auditor's division whose name or code contains ``q``."""
    needle = q.lower()
    found: list[dict[str, Any]] = []
    for n in range(SEARCH_PAGES):
        body = await page.api.get(
            "/api/v1/organisations", limit=SEARCH_PAGE, offset=n * SEARCH_PAGE
        )
        rows = body["organisations"]
        for row in rows:
            text = " ".join(
                str(row.get(k) or "") for k in ("name", "usci", "filing_number", "org_id")
            )
            if needle in text.lower():
                found.append(row)
                if len(found) >= SEARCH_SHOWN:
                    return found, True
        if len(rows) < SEARCH_PAGE:
            return found, False
    return found, True  # more organisations than the search reads


# ------------------------------------------------------------------ timeline


def summarise(data: Any, limit: int = 6) -> str:
    """An event's payload in one line: its first few fields, ids and hashes left out."""
    if not isinstance(data, dict):
        return str(data)
    parts = []
    for key, value in data.items():
        if key.endswith("_id") or key in ("id", "content_hash") or value in (None, "", [], {}):
            continue
        name = labels.PAYLOAD_ZH.get(key, key)
        if key.endswith("_on"):
            shown = labels.date_zh(value)
        elif isinstance(value, list):
            shown = "、".join(str(v) for v in value[:5])
        elif isinstance(value, dict):
            shown = "…"
        else:
            table = {"field": labels.FIELD_ZH, "category": labels.CATEGORY_ZH}.get(key, {})
            shown = table.get(str(value), str(value))
        parts.append(f"{name}：{shown}")
    more = "；…" if len(parts) > limit else ""
    return "；".join(parts[:limit]) + more


@router.get("/audit/organisations/{organisation_id}/timeline")
async def timeline(page: CurrentPage, organisation_id: UUID) -> Response:
    page.require(roles=AUDITOR)
    body = await page.api.get(f"/api/v1/organisations/{organisation_id}/timeline")
    events = [
        {**e, "summary": summarise(e.get("data")), "data_json": _pretty(e.get("data"))}
        for e in body["events"]
    ]
    tiers = list(dict.fromkeys(e["tier"] for e in events))  # in order of first appearance
    return page.render(
        "audit/timeline.html",
        title=f"组织时间线：{body['organisation'].get('name') or organisation_id}",
        org=body["organisation"],
        events=events,
        tiers=tiers,
        watermarks=body["watermarks"],
        missing=body["missing"],
    )


def _pretty(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True, default=str)


@router.get("/audit/organisations/{organisation_id}/timeline/export.{fmt}")
async def timeline_export(page: CurrentPage, organisation_id: UUID, fmt: str) -> Response:
    page.require(roles=AUDITOR)
    if fmt not in ("csv", "xlsx"):
        raise ApiError(404, "not_found", "没有这种导出格式。")
    answer = await page.api.raw(f"/api/v1/organisations/{organisation_id}/timeline/export.{fmt}")
    headers = {
        k: v
        for k, v in answer.headers.items()
        if k.lower() in ("content-type", "content-disposition")
    }
    return Response(content=answer.content, headers=headers)


# ------------------------------------------------------------------ reports as known


async def _divisions(page: CurrentPage) -> dict[str, str]:
    """The divisions the auditor may report on (their own and below), code → name."""
    body = await page.api.get("/api/v1/divisions")
    order = {"county": 0, "township": 1, "village": 2}
    rows = sorted(
        (d for d in body["divisions"] if contains(page.me.division, d["code"])),
        key=lambda d: (d["code"][:9], order.get(d["tier"], 3), d["code"]),
    )
    return {d["code"]: f"{d['name']}（{d['code']}）" for d in rows}


def _known_at(text: str) -> str | None:
    """A time typed as 2026-12-05T10:30 (a datetime-local field) in China time, with offset."""
    text = text.strip().replace(" ", "T")
    if not ISO_MINUTE.match(text):
        return None
    moment = datetime.fromisoformat(text).replace(tzinfo=CHINA)
    return moment.isoformat()


async def _catalogue(page: CurrentPage) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    body = await page.api.get("/api/v1/metrics")
    groups = {g["key"]: g["zh"] for g in body["groups"]}
    names = {m["key"]: m["zh"] for m in body["metrics"]}
    units = {m["key"]: m["unit"] for m in body["metrics"]}
    return groups, names, units


def headline(
    figures: dict[str, Any], groups: dict[str, str], names: dict[str, str], units: dict[str, str]
) -> list[tuple[str, list[tuple[str, Any, str]]]]:
    """Each figure group's single-valued figures (families by field etc. left to the report
    pages), with Chinese names."""
    out = []
    for group, values in figures.items():
        rows = [
            (names.get(f"{group}.{key}", key), value, units.get(f"{group}.{key}", ""))
            for key, value in values.items()
            if not isinstance(value, dict)
        ]
        if rows:
            out.append((groups.get(group, group), rows))
    return out


@router.get("/audit/reports")
async def reports(
    page: CurrentPage, division: str = "", period: str = "", known_at: str = ""
) -> Response:
    page.require(roles=AUDITOR)
    divisions = await _divisions(page)
    form = Form(values={"division": division, "period": period, "known_at": known_at})
    report: dict[str, Any] | None = None
    figures: list[tuple[str, list[tuple[str, Any, str]]]] = []
    asked = bool(division or period or known_at)
    if asked:
        moment = _known_at(known_at) if known_at else None
        if not division:
            form.add("division", "请选择区划")
        if known_at and moment is None:
            form.add("known_at", "已知时点须为日期和时间，例如 2026-12-05T10:30")
        if not form.errors:
            try:
                report = await page.api.get(
                    f"/api/v1/reports/{segment(division)}",
                    period=period.strip(),
                    known_at=moment,
                )
            except ApiError as e:
                if e.status not in (400, 422):
                    raise
                field = {"known_at": "known_at", "period": "period"}
                named = [d.get("field") for d in e.details if d.get("field") in field]
                if not named and e.code in ("date_in_future", "naive_datetime"):
                    named = ["known_at"]
                form.add(str(named[0]) if named else "", e.message_zh)
            else:
                figures = headline(report["figures"], *await _catalogue(page))
    issued = (await page.api.get("/api/v1/issued-reports"))["issued"]
    return page.render(
        "audit/reports.html",
        status=400 if form.errors else 200,
        title="报表复核",
        form=form,
        divisions=divisions,
        report=report,
        figures=figures,
        issued=issued,
        names=divisions,
    )


@router.get("/audit/reports/issued/{report_id}")
async def issued_report(page: CurrentPage, report_id: str) -> Response:
    page.require(roles=AUDITOR)
    row = await page.api.get(f"/api/v1/issued-reports/{segment(report_id)}")
    check = await page.api.get(f"/api/v1/issued-reports/{segment(report_id)}/reproduction")
    figures = headline(check["report"]["figures"], *await _catalogue(page))
    return page.render(
        "audit/issued.html",
        title=f"已发布报表：{row['title']}",
        row=row,
        check=check,
        figures=figures,
        names=await _divisions(page),
    )


# ------------------------------------------------------------------ integrity


@router.get("/audit/integrity")
async def integrity(page: CurrentPage) -> Response:
    page.require(roles=AUDITOR)
    body = await page.api.get("/api/v1/integrity")
    anchors = await page.api.get("/api/v1/audit/anchors", limit=1000)
    latest = list(reversed(anchors["anchors"][-10:]))  # the newest checkpoints first
    return page.render(
        "audit/integrity.html",
        title="完整性校验",
        check=body,
        findings=[_pretty(f) for f in body["findings"]],
        anchors=latest,
        anchor_count=len(anchors["anchors"]),
        key_id=anchors["key_id"],
    )


# ------------------------------------------------------------------ access log


def _day_start(text: str) -> str | None:
    try:
        return datetime.combine(date.fromisoformat(text), datetime.min.time(), CHINA).isoformat()
    except ValueError:
        return None


def _day_end(text: str) -> str | None:
    try:
        end = datetime.combine(date.fromisoformat(text), datetime.max.time(), CHINA)
    except ValueError:
        return None
    return end.isoformat()


@router.get("/audit/access-log")
async def access_log(
    page: CurrentPage,
    organisation_id: str = "",
    reader: str = "",
    since: str = "",
    until: str = "",
    before: str = "",
) -> Response:
    page.require(roles=AUDITOR)
    form = Form(
        values={
            "organisation_id": organisation_id,
            "reader": reader,
            "since": since,
            "until": until,
        }
    )
    org = _uuid(organisation_id) if organisation_id.strip() else None
    if organisation_id.strip() and org is None:
        form.add("organisation_id", "组织ID格式不正确，应为 36 位的组织ID")
    start_at = _day_start(since.strip()) if since.strip() else None
    if since.strip() and start_at is None:
        form.add("since", "起始日期须为有效日期，例如 2026-12-05")
    end_at = _day_end(until.strip()) if until.strip() else None
    if until.strip() and end_at is None:
        form.add("until", "截止日期须为有效日期，例如 2026-12-05")
    # Paging goes back in time: the next page is everything strictly before the last row
    # shown (one microsecond earlier; the API's bound is inclusive).
    if before:
        try:
            end_at = datetime.fromisoformat(before).isoformat()
        except ValueError:
            before = ""  # a link typed by hand: start from the newest again
    rows: list[dict[str, Any]] = []
    more = False
    if not form.errors:
        rows = await page.api.get(
            "/api/v1/access-log",
            organisation_id=org,
            reader=reader.strip(),
            since=start_at,
            until=end_at,
            limit=ACCESS_PAGE + 1,
        )
        more = len(rows) > ACCESS_PAGE
        rows = rows[:ACCESS_PAGE]
    next_link = ""
    if more and rows:
        last = datetime.fromisoformat(rows[-1]["at"]) - timedelta(microseconds=1)
        query = {k: v for k, v in form.values.items() if v}
        next_link = "/audit/access-log?" + urlencode({**query, "before": last.isoformat()})
    return page.render(
        "audit/access_log.html",
        status=400 if form.errors else 200,
        title="查阅记录",
        form=form,
        rows=rows,
        next_link=next_link,
        paged=bool(before),
    )
