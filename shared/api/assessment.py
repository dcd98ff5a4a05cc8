"""Assessment of the tiers below (考核, issue 16 item 4, ADR 0025): the scorecard of a county's
townships, or of a township's villages, against the targets of the year's ``assessment``
rule version, read at the county and the township (each within its own division), and issued
at the county like a report, so that it reproduces byte for byte later through
``/issued-reports/{id}/reproduction``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field

from shared.api.audit import IssueIn, record_issue
from shared.api.deps import CommandMeta, Operator, Runtime, check_reads
from shared.api.reports import (
    TABLES,
    Code,
    Format,
    division_report_for,
    download,
    moment_of,
    report_tree,
    scoped_division,
    table_bytes,
)
from shared.kernel.domain import CHINA, Actor
from shared.kernel.rules import ASSESSMENT
from shared.reporting.assessment import (
    FIRST_YEAR,
    AssessmentRule,
    IndicatorDef,
    Scorecard,
    check_assessable,
    check_year,
    indicators,
    rule_for_year,
    scorecard,
    scorecard_hash,
)
from shared.tier.runtime import TierRuntime

router = APIRouter(prefix="/api/v1", tags=["assessment 考核"])
# The county issues scorecards (services/county/bootstrap.py mounts this router there only).
issue_router = APIRouter(prefix="/api/v1", tags=["assessment 考核"])

Year = Annotated[
    int,
    Path(ge=FIRST_YEAR, le=9999, description="考核年度 / the assessment year, e.g. 2025"),
]


class RuleVersionOut(AssessmentRule):
    indicators: list[IndicatorDef]


class AssessmentRulesOut(BaseModel):
    versions: list[RuleVersionOut] = Field(description="考核规则各版本 / oldest first")


class IssuedScorecardOut(BaseModel):
    report_id: str = Field(description="发布记录ID / the issued record (an issued report)")
    replayed: bool
    content_hash: str = Field(description="记分卡内容哈希 / SHA-256 of the scorecard")
    watermarks: dict[str, int]
    rule_versions: dict[str, str]
    scorecard: Scorecard


def _card(runtime: TierRuntime, operator: Actor, year: int, code: str) -> tuple[Scorecard, Any]:
    """The scorecard of division ``code`` for ``year`` and the moment its report is taken at:
    the year's report (as of 31 December, or today while the year runs) on the tree in force
    on its as-of date. Scope first (403 / 404), then what the division and the year allow."""
    # Scope first, on the operator's division alone (no tree, no year): another township's
    # scorecard is 403 whatever the year asked for.
    check_reads(operator, code)
    today = runtime.app.clock().astimezone(CHINA).date()
    check_year(year, today)
    when = moment_of(runtime, None, str(year), None, None)
    j = report_tree(runtime, when)
    scoped_division(j, operator, code)
    check_assessable(str(j.divisions[code].tier))
    rule = rule_for_year(runtime.rules, year, today)
    report = division_report_for(runtime, operator, code, when)
    return scorecard(report, rule, year), when


@router.get("/assessments/rules", response_model=AssessmentRulesOut)
def assessment_rules(runtime: Runtime, operator: Operator) -> dict[str, Any]:
    """考核规则 / Every version of the assessment rule: indicators, the catalogue figure each
    measures (with its definition), target, direction, weight and scoring method."""
    return {
        "versions": [
            {
                "version": v.version,
                "effective_from": v.effective_from,
                "kind": v.kind,
                "label_zh": v.label_zh,
                "source": v.source,
                "indicators": indicators(v),
            }
            for v in runtime.rules.families.get(ASSESSMENT, ())
        ]
    }


@router.get("/assessments/{year}/{division_code}", response_model=Scorecard, responses=TABLES)
def assessment(
    year: Year,
    division_code: Code,
    runtime: Runtime,
    operator: Operator,
    format: Format = "json",
) -> Any:
    """考核记分卡 / The scorecard of a county's townships (or of a township's villages) for a
    year: each indicator's value (the catalogue figure of the year's report), target, score
    and the weighted total per division, under the assessment rule version in force on
    1 January of the year, which it names. A township reads its own only (403 for another);
    422 ``invalid_year`` for a year not begun, ``assessment_not_in_force`` before the first
    version, ``assessment_division_tier`` for a village. ``format=csv|xlsx``: the table with
    Chinese headers, one row per division (the division itself last)."""
    card = _card(runtime, operator, year, division_code)[0]
    if format == "json":
        return card
    columns, rows = export_table(card)
    title = f"{card.division.name}{year}年度考核记分卡"
    return download(
        table_bytes(format, title, columns, rows), format, f"assessment-{division_code}-{year}"
    )


def export_table(card: Scorecard) -> tuple[list[tuple[str, str]], list[dict[str, Any]]]:
    """The scorecard as a flat table: rank, division, each indicator's value and score, the
    total, and the rule version on every row (a sheet copied out still says which rule)."""
    columns = [("rank", "名次"), ("code", "区划代码"), ("name", "区划")]
    for d in card.indicators:
        columns += [
            (f"{d.code}.value", f"{d.name}（指标值）"),
            (f"{d.code}.score", f"{d.name}（得分）"),
        ]
    columns += [("total", "综合得分"), ("version", "考核规则版本")]
    rows = []
    for r in [*card.rows, card.overall]:
        row: dict[str, Any] = {
            "rank": r.rank,
            "code": r.code,
            "name": r.name,
            "total": r.total,
            "version": card.assessment.version,
        }
        for s in r.indicators:
            row[f"{s.code}.value"], row[f"{s.code}.score"] = s.value, s.score
        rows.append(row)
    return columns, rows


@issue_router.post(
    "/assessments/{year}/{division_code}/issue",
    status_code=201,
    response_model=IssuedScorecardOut,
)
def issue_assessment(
    year: Year, division_code: Code, body: IssueIn, runtime: Runtime, meta: CommandMeta
) -> dict[str, Any]:
    """发布考核结果 / Issue (publish) a scorecard: records an issued report with the report's
    watermarks and rule versions, the assessment version and the scorecard's content hash,
    so ``/issued-reports/{id}/reproduction`` recomputes it and checks the hash."""
    card, when = _card(runtime, meta.actor, year, division_code)
    where = (division_code, when, "as_of")  # a scorecard is of the tree in force then
    issued = record_issue(runtime, meta, body.title, where, card, scorecard_hash(card))
    return {**issued, "scorecard": card}
