"""Read routes every tier serves from its own read model: reports, zombies, organisations."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query

from shared.api.deps import Operator, Runtime, check_reads
from shared.domain import CHINA, InvalidInput, NotFound
from shared.jurisdiction import prefix_of
from shared.projection import reports

router = APIRouter(prefix="/api/v1", tags=["reports 报表"])

AsOf = Annotated[date | None, Query(description="截至日期 / as-of date (default today)")]


def _period(as_of: date, start: date | None, end: date | None) -> reports.Period:
    period = reports.Period(start or as_of.replace(month=1, day=1), end or as_of)
    if period.start > period.end:
        raise InvalidInput("invalid_period", "period 'from' is after 'to'")
    return period


def _today(runtime: Runtime) -> date:
    return runtime.app.clock().astimezone(CHINA).date()


def _division(runtime: Runtime, operator: Operator, code: str) -> None:
    if runtime.jurisdiction.get(code) is None:
        raise NotFound("unknown_division", f"no division {code}")
    check_reads(operator, code)


@router.get("/reports/{division_code}")
def division_report(
    division_code: str,
    runtime: Runtime,
    operator: Operator,
    as_of: AsOf = None,
    period_from: Annotated[date | None, Query(alias="from")] = None,
    period_to: Annotated[date | None, Query(alias="to")] = None,
) -> dict[str, Any]:
    """区划报表 / Report for a division, with one line per child division (drill-down)."""
    _division(runtime, operator, division_code)
    day = as_of or _today(runtime)
    return reports.division_report(
        runtime.db,
        runtime.jurisdiction,
        division_code,
        day,
        _period(day, period_from, period_to),
        runtime.rules.in_force(day),
        runtime.projector.positions(),
    )


@router.get("/reports/{division_code}/zombies")
def zombies(
    division_code: str, runtime: Runtime, operator: Operator, as_of: AsOf = None
) -> dict[str, Any]:
    """僵尸组织名单 / Active organisations with no activity in the trailing window."""
    _division(runtime, operator, division_code)
    day = as_of or _today(runtime)
    rules = runtime.rules.in_force(day)
    with runtime.db.transaction() as tx:
        rows = reports.zombie_rows(tx, prefix_of(division_code) + "%", day, rules)
    return {
        "division_code": division_code,
        "as_of": day.isoformat(),
        "rule_version": rules.version,
        "window_months": rules.zombie_window_months,
        "organisations": rows,
    }


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
    with runtime.db.transaction() as tx:
        rows = tx.all(
            "SELECT * FROM org WHERE village_code LIKE %s ORDER BY village_code, org_id"
            " LIMIT %s OFFSET %s",
            (prefix_of(code) + "%", limit, offset),
        )
    return {"division_code": code, "organisations": rows}


@router.get("/organisations/{organisation_id}")
def get_organisation(organisation_id: str, runtime: Runtime, operator: Operator) -> dict[str, Any]:
    """组织详情 / One organisation as this tier's read model knows it."""
    with runtime.db.transaction() as tx:
        row = tx.one("SELECT * FROM org WHERE org_id = %s", (organisation_id,))
    if row is None:
        raise NotFound("unknown_organisation", f"no organisation {organisation_id}")
    check_reads(operator, row["village_code"])
    return row
