"""Resident points reads (积分制, issue 16 item 6, ADR 0027), at every tier within its division:
the points rule's versions, a division's points figures with the divisions below it, a
community's pilot and ranking, and one volunteer's ledger. Volunteers appear by their
village's number only (a pseudonym, ADR 0021). The commands are the village's
(services/village/api.py)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field

from shared.api.deps import Operator, Runtime
from shared.api.reports import (
    TABLES,
    Code,
    Format,
    From,
    PeriodName,
    To,
    download,
    moment_of,
    report_tree,
    scoped_division,
    table_bytes,
)
from shared.kernel.domain import InvalidInput, NotFound
from shared.kernel.jurisdiction import Jurisdiction, Tier
from shared.kernel.rules import POINTS
from shared.reporting import points
from shared.tier.runtime import TierRuntime

router = APIRouter(prefix="/api/v1", tags=["points 积分制"])

VolunteerNumber = Annotated[
    str,
    Path(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9-]{0,15}$",
        description="志愿者编号 / the village's own volunteer number",
    ),
]


class PointsRuleOut(BaseModel):
    version: str
    effective_from: str
    kind: str
    label_zh: str
    source: str
    parameters: dict[str, Any] = Field(
        description="per_activity, per_hour, theme_bonus, cap_per_activity, cap_per_month,"
        " max_adjustment"
    )


class PointsRulesOut(BaseModel):
    versions: list[PointsRuleOut] = Field(description="积分规则各版本 / oldest first")


def _scope(
    runtime: TierRuntime,
    operator: Any,
    code: str,
    period: str | None,
    start: Any,
    end: Any,
) -> tuple[Jurisdiction, Any]:
    """The period asked for (default: the year to date) and the tree in force on its last day;
    403 outside the account's division, 404 for an unknown division."""
    when = moment_of(runtime, None, period, start, end)
    j = report_tree(runtime, when)
    scoped_division(j, operator, code)
    return j, when


def _community(j: Jurisdiction, code: str) -> None:
    if j.divisions[code].tier is not Tier.VILLAGE:
        raise InvalidInput(
            "points_division_tier",
            f"积分排名按村（社区）查看，{code} 不是村（社区）/ points are ranked per village or"
            f" community; {code} is not one",
        )


@router.get("/points/rules", response_model=PointsRulesOut)
def points_rules(runtime: Runtime, operator: Operator) -> dict[str, Any]:
    """积分规则 / Every version of the resident points rule (rules family resident_points):
    points per activity and per hour, extra points per theme, the caps per activity and per
    month, the largest manual adjustment, each with the day it takes effect."""
    return {
        "versions": [
            {
                "version": v.version,
                "effective_from": v.effective_from.isoformat(),
                "kind": v.kind,
                "label_zh": v.label_zh,
                "source": v.source,
                "parameters": v.parameters,
            }
            for v in runtime.rules.families.get(POINTS, ())
        ]
    }


@router.get("/points/summary/{division_code}", response_model=points.PointsSummary)
def points_summary(
    division_code: Code,
    runtime: Runtime,
    operator: Operator,
    period: PeriodName = None,
    start: From = None,
    end: To = None,
) -> points.PointsSummary:
    """积分制统计 / A division's points figures for a period (communities piloting,
    volunteers awarded points, points awarded and deducted: catalogue ``points.*``) and
    those of each division directly below it, which sum to it. Within the account's division
    only (403 outside)."""
    j, when = _scope(runtime, operator, division_code, period, start, end)
    with runtime.db.snapshot() as tx:
        return points.summary(
            tx, j, division_code, when.period.start, when.period.end, runtime.rules
        )


@router.get(
    "/points/communities/{village_code}",
    response_model=points.CommunityPoints,
    responses=TABLES,
)
def community_points(
    village_code: Code,
    runtime: Runtime,
    operator: Operator,
    period: PeriodName = None,
    start: From = None,
    end: To = None,
    format: Format = "json",
) -> Any:
    """社区积分排名 / A community's points pilot (periods on), the rule in force on the
    period's last day, and its volunteers ranked by points in the period (by number only),
    each with points earned at activities, awarded and deducted by hand, and the balance
    up to the period's end. 422 ``points_division_tier`` for a township or county;
    ``format=csv|xlsx`` the ranking as a table."""
    j, when = _scope(runtime, operator, village_code, period, start, end)
    _community(j, village_code)
    with runtime.db.snapshot() as tx:
        ranking = points.community(
            tx, j, village_code, when.period.start, when.period.end, runtime.rules
        )
    if format == "json":
        return ranking
    columns = [
        ("rank", "排名"),
        ("volunteer_id", "志愿者编号"),
        ("earned", "活动积分"),
        ("awarded", "奖励积分"),
        ("deducted", "扣减积分"),
        ("points", "期间积分"),
        ("balance", "积分余额"),
        ("rule_version", "积分规则版本"),
    ]
    rows = [{**v.model_dump(), "rule_version": ranking.rule_version} for v in ranking.volunteers]
    title = f"{ranking.name}积分排名"
    return download(table_bytes(format, title, columns, rows), format, f"points-{village_code}")


@router.get(
    "/points/communities/{village_code}/volunteers/{volunteer_id}",
    response_model=points.VolunteerLedger,
)
def volunteer_points(
    village_code: Code,
    volunteer_id: VolunteerNumber,
    runtime: Runtime,
    operator: Operator,
    period: PeriodName = None,
    start: From = None,
    end: To = None,
) -> points.VolunteerLedger:
    """志愿者积分明细 / One volunteer's points entries in the period (each activity's points
    with the rule version that computed them and whether a cap cut them; each adjustment
    with its reason) and the balance up to the period's end. 404 ``unknown_volunteer`` for
    a number not in the community's register."""
    j, when = _scope(runtime, operator, village_code, period, start, end)
    _community(j, village_code)
    with runtime.db.snapshot() as tx:
        known = tx.one(
            "SELECT 1 AS x FROM volunteer WHERE village_code = %s AND volunteer_id = %s",
            (village_code, volunteer_id),
        )
        if known is None:
            raise NotFound(
                "unknown_volunteer",
                f"志愿者编号 {volunteer_id} 未在 {village_code} 的名册登记 / volunteer number "
                f"{volunteer_id} not in the register of {village_code}",
            )
        return points.volunteer_ledger(
            tx, j, village_code, volunteer_id, when.period.start, when.period.end, runtime.rules
        )
