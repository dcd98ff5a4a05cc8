"""Read routes every tier serves from its own read model: reports, drill-down, exports,
zombie list, ranking, reconciliation, the metric catalogue, and organisations."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Response

from shared.api.deps import Operator, Runtime, check_reads
from shared.domain import CHINA, NotFound
from shared.jurisdiction import prefix_of
from shared.reporting import catalogue, ranking, report
from shared.reporting.periods import Period, resolve
from shared.reporting.reconcile import reconcile_division
from shared.reporting.zombies import zombie_list
from shared.rules import RuleSet

router = APIRouter(prefix="/api/v1", tags=["reports 报表"])

Code = Annotated[str, Path(pattern=r"^\d{12}$", description="区划代码 / 12-digit division code")]
AsOf = Annotated[
    date | None, Query(description="截至日期 / as-of date for state figures (default: period end)")
]
PeriodName = Annotated[
    str | None,
    Query(
        description="统计期间 / period: YYYY, YYYY-Qn, YYYY-Hn or YYYY-MM (default: year to date)"
    ),
]
From = Annotated[date | None, Query(alias="from", description="自定义期间起 / custom period start")]
To = Annotated[date | None, Query(alias="to", description="自定义期间止 / custom period end")]
Format = Literal["json", "csv", "xlsx"]
MEDIA = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "html": "text/html; charset=utf-8",
}


@dataclass(frozen=True)
class Moment:
    """What a report request is about in time: as-of day, period, and the rules then."""

    as_of: date
    period: Period
    rules: RuleSet


def _when(
    runtime: Runtime,
    as_of: date | None,
    period: str | None,
    start: date | None,
    end: date | None,
) -> Moment:
    today = runtime.app.clock().astimezone(CHINA).date()
    day, p = resolve(today, as_of, period, start, end)
    return Moment(day, p, runtime.rules.in_force(day))


async def _moment(
    runtime: Runtime,
    as_of: AsOf = None,
    period: PeriodName = None,
    start: From = None,
    end: To = None,
) -> Moment:
    return _when(runtime, as_of, period, start, end)


When = Annotated[Moment, Depends(_moment)]


def _division(runtime: Runtime, operator: Operator, code: str) -> None:
    if runtime.jurisdiction.get(code) is None:
        raise NotFound("unknown_division", f"no division {code}")
    check_reads(operator, code)


def _download(body: bytes | str, fmt: str, filename: str) -> Response:
    return Response(
        content=body,
        media_type=MEDIA[fmt],
        headers={"Content-Disposition": f'attachment; filename="{filename}.{fmt}"'},
    )


def _table(fmt: str, title: str, columns: list[tuple[str, str]], rows: list[dict]) -> bytes:
    from shared.reporting import export

    if fmt == "csv":
        return export.table_csv(columns, rows)
    return export.table_xlsx(title, columns, rows)


@router.get("/metrics")
def metrics(operator: Operator) -> dict[str, Any]:
    """指标目录 / The metric catalogue: definition, unit, denominator, additivity of each figure."""
    return {
        "groups": [asdict(g) for g in catalogue.GROUPS],
        "metrics": [{**asdict(m), "group": m.group} for m in catalogue.METRICS],
    }


@router.get("/reports/organisations/{organisation_id}")
def organisation_report(
    organisation_id: str, runtime: Runtime, operator: Operator, when: When
) -> dict[str, Any]:
    """组织报表 / One organisation: figures, rank with explanation, zombie reasons."""
    facts = runtime.app.lookup.get(organisation_id)
    if facts is None:
        raise NotFound("unknown_organisation", f"no organisation {organisation_id}")
    check_reads(operator, facts.village_code)
    return report.organisation_report(
        runtime.db, runtime.jurisdiction, organisation_id, when.as_of, when.period, when.rules
    )


@router.get("/reports/{division_code}")
def division_report(
    division_code: Code, runtime: Runtime, operator: Operator, when: When
) -> dict[str, Any]:
    """区划报表 / All ten figure groups for a division, one line per child (drill-down:
    county → townships → villages → organisations), with watermarks and rule versions."""
    _division(runtime, operator, division_code)
    return _report(runtime, division_code, when)


def _report(runtime: Runtime, code: str, when: Moment) -> dict[str, Any]:
    return report.division_report(
        runtime.db, runtime.jurisdiction, code, when.as_of, when.period, when.rules
    )


@router.get(
    "/reports/{division_code}/export.{fmt}",
    responses={200: {"content": {m: {} for m in MEDIA.values()}}},
)
def export_report(
    division_code: Code,
    fmt: Literal["csv", "xlsx", "json", "html"],
    runtime: Runtime,
    operator: Operator,
    when: When,
) -> Response:
    """报表导出 / The report as CSV or XLSX (Chinese headers), JSON, or a printable HTML page
    with charts (for a people's-congress review)."""
    from shared.reporting import export, html

    _division(runtime, operator, division_code)
    data = _report(runtime, division_code, when)
    day = when.as_of
    if fmt == "html":
        return Response(content=html.report_html(data), media_type=MEDIA["html"])
    render = {"csv": export.report_csv, "xlsx": export.report_xlsx, "json": export.report_json}
    return _download(render[fmt](data), fmt, f"report-{division_code}-{day.isoformat()}")


ZOMBIE_COLUMNS = [
    ("org_id", "组织ID"),
    ("name", "组织名称"),
    ("village_code", "村（社区）代码"),
    ("kind", "登记/备案"),
    ("entered_on", "成立（登记/备案）日期"),
    ("last_activity_on", "最近活动日期"),
    ("months_since_activity", "距最近活动（月）"),
    ("reason_text", "列入原因"),
]


@router.get("/reports/{division_code}/zombies")
def zombies(
    division_code: Code,
    runtime: Runtime,
    operator: Operator,
    as_of: AsOf = None,
    format: Format = "json",
) -> Any:
    """僵尸组织名单 / Active organisations with no activity in the trailing window, each with
    the reasons that apply — the list the exit process starts from."""
    _division(runtime, operator, division_code)
    moment = _when(runtime, as_of, None, None, None)
    day, rules = moment.as_of, moment.rules
    with runtime.db.snapshot() as tx:
        marks = report.watermarks(tx)
        rows = zombie_list(tx, division_code, day, rules)
    if format != "json":
        flat = [{**r, "reason_text": [x["zh"] for x in r["reasons"]]} for r in rows]
        body = _table(format, "僵尸组织名单", ZOMBIE_COLUMNS, flat)
        return _download(body, format, f"zombies-{division_code}-{day.isoformat()}")
    return {
        "division_code": division_code,
        "as_of": day.isoformat(),
        "rule_versions": rules.versions,
        "window_months": rules.zombie_window_months,
        "watermarks": marks,
        "count": len(rows),
        "organisations": rows,
    }


RANKING_COLUMNS = [
    ("rank_in_county", "全县排名"),
    ("rank_in_township", "乡镇（街道）内排名"),
    ("name", "组织名称"),
    ("village_code", "村（社区）代码"),
    ("total", "综合得分"),
    ("activity", "活跃度"),
    ("standardisation", "规范化"),
    ("coverage", "覆盖率"),
    ("influence", "影响力"),
    ("org_id", "组织ID"),
]


@router.get("/reports/{division_code}/ranking")
def ranking_list(
    division_code: Code,
    runtime: Runtime,
    operator: Operator,
    as_of: AsOf = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
    format: Format = "json",
) -> Any:
    """四维排名 / Organisations ranked on activity, standardisation, coverage and influence,
    with ranks within township and county, the weights used and an explanation each."""
    _division(runtime, operator, division_code)
    moment = _when(runtime, as_of, None, None, None)
    day, rules = moment.as_of, moment.rules
    with runtime.db.snapshot() as tx:
        marks = report.watermarks(tx)
        entries = ranking.rank(tx, runtime.jurisdiction, division_code, day, rules)
    page = entries[offset : offset + limit]
    if format != "json":
        flat = [{**e, **e["scores"]} for e in page]
        body = _table(format, "四维排名", RANKING_COLUMNS, flat)
        return _download(body, format, f"ranking-{division_code}-{day.isoformat()}")
    return {
        "division_code": division_code,
        "as_of": day.isoformat(),
        "rule_versions": rules.versions,
        "weights": rules.ranking.parameters["weights"],
        "watermarks": marks,
        "total": len(entries),
        "organisations": page,
    }


@router.get("/reconciliation/{division_code}")
def reconciliation(
    division_code: Code, runtime: Runtime, operator: Operator, when: When
) -> dict[str, Any]:
    """对账 / Proof that parent = Σ children for every additive figure at one snapshot of this
    tier's read model; any mismatch names the divisions involved. Across tiers: the CLI
    ``python -m services reconcile``."""
    _division(runtime, operator, division_code)
    return reconcile_division(
        runtime.db, runtime.jurisdiction, division_code, when.as_of, when.period, when.rules
    )


@router.get("/organisations")
def list_organisations(
    runtime: Runtime,
    operator: Operator,
    division: Annotated[str | None, Query(description="区划代码 / division code")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    """组织列表 / Organisations known to this tier within a division."""
    code = division or operator.division
    _division(runtime, operator, code)
    with runtime.db.snapshot() as tx:
        rows = tx.all(
            "SELECT * FROM org WHERE village_code LIKE %s ORDER BY village_code, org_id"
            " LIMIT %s OFFSET %s",
            (prefix_of(code) + "%", limit, offset),
        )
    return {"division_code": code, "organisations": rows}


@router.get("/organisations/{organisation_id}")
def get_organisation(organisation_id: str, runtime: Runtime, operator: Operator) -> dict[str, Any]:
    """组织详情 / One organisation as this tier's read model knows it."""
    with runtime.db.snapshot() as tx:
        row = tx.one("SELECT * FROM org WHERE org_id = %s", (organisation_id,))
    if row is None:
        raise NotFound("unknown_organisation", f"no organisation {organisation_id}")
    check_reads(operator, row["village_code"])
    return row
