"""The assessment of the tiers below (考核, issue 16 item 4, ADR 0025): a scorecard of a
division's townships (or a township's villages) against the targets of the ``assessment``
rule version in force for the year.

A scorecard is a pure function of one division report and one assessment version: every
indicator value is a figure the report already carries (``figures`` of the division itself
and of each child line), read by its catalogue key, never counted again here. So a scorecard
says exactly what the report says, and an issued scorecard reproduces from the issued
report's watermarks and rule versions (shared/audit/issued.py).

Scoring (``method: linear``, the only one): an indicator earns its full weight at its target
or better, nothing at ``zero_at`` or worse, and in between a share proportional to the
distance covered from ``zero_at`` to the target, for "higher is better" and "lower is better"
alike. A value the report cannot give (a rate over zero, e.g. no annual reports due, or a
figure whose rule was not in force) is *not assessable*: the indicator scores nothing and its
weight leaves the denominator, so the total is Σ scores ÷ Σ weights of the assessable
indicators × 100 (a township is neither rewarded nor punished for having nothing to count).
"""

from __future__ import annotations

import hashlib
import json
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, Field

from shared.kernel.domain import InvalidInput
from shared.kernel.jurisdiction import Tier
from shared.kernel.rules import ASSESSMENT, RuleNotInForce, Rules, RuleVersion
from shared.reporting.catalogue import lookup
from shared.reporting.model import DivisionLine, DivisionOut, DivisionReport, PeriodOut, TreeOut
from shared.reporting.ranks import competition_ranks
from shared.reporting.zh import definition_zh

FIRST_YEAR = 1949  # a year before this is no input, whatever the rules file holds


class IndicatorDef(BaseModel):
    """One indicator of the version in force: what it measures and how it is scored."""

    code: str = Field(description="指标代码 / indicator code in the assessment rule")
    name: str = Field(description="指标名称 / Chinese name")
    figure: str = Field(description="目录指标 / the catalogue figure (docs/metrics.md)")
    figure_name: str = Field(description="目录指标名称 / the figure's Chinese name")
    figure_definition: str = Field(description="目录定义 / the figure's definition")
    per: str | None = Field(
        None, description="除以（目录指标）/ divided by this catalogue figure, if a ratio"
    )
    per_name: str | None = None
    per_definition: str | None = None
    # The same definitions in Chinese (shared/reporting/zh.py), for pages people read; the
    # English ones above stay the API's contract.
    figure_definition_zh: str = Field("", description="目录定义（中文）/ in Chinese")
    per_definition_zh: str | None = None
    unit: str = Field(description="单位 / ratio (0–1), average, …")
    direction: Literal["higher", "lower"] = Field(description="越高越好 / 越低越好")
    target: float = Field(description="目标值 / full score at this value or better")
    zero_at: float = Field(description="零分值 / no score at this value or worse")
    weight: float = Field(description="权重（满分）/ weight: the indicator's full score")
    method: Literal["linear"] = Field(description="计分方法 / scoring method")


class IndicatorScore(BaseModel):
    code: str
    value: float | None = Field(description="指标值 / the figure (None: not assessable)")
    numerator: float | None = Field(None, description="分子 / for a ratio indicator")
    denominator: float | None = Field(None, description="分母 / for a ratio indicator")
    score: float | None = Field(description="得分 / None when not assessable")
    met: bool | None = Field(description="是否达标 / target reached (None: not assessable)")


class ScoreRow(BaseModel):
    code: str
    name: str
    tier: Literal["county", "township", "village"]
    area: str | None
    indicators: list[IndicatorScore]
    total: float | None = Field(
        description="综合得分（百分制）/ Σ scores ÷ Σ weights assessable × 100"
    )
    rank: int | None = Field(description="名次 / among the rows (ties share a rank)")


class AssessmentRule(BaseModel):
    version: str
    effective_from: date
    kind: str
    label_zh: str
    source: str


class Scorecard(BaseModel):
    """考核记分卡 / A division's children scored against the year's targets."""

    division: DivisionOut
    year: int
    as_of: date
    period: PeriodOut
    assessment: AssessmentRule = Field(description="考核规则版本 / the version used")
    rule_versions: dict[str, str] = Field(
        description="规则版本 / the report's rule versions and the assessment version"
    )
    watermarks: dict[str, int]
    tree: TreeOut
    indicators: list[IndicatorDef]
    overall: ScoreRow = Field(description="本级合计 / the division itself, scored likewise")
    rows: list[ScoreRow] = Field(description="下级 / townships of a county, villages of a township")


def rule_for_year(rules: Rules, year: int, today: date) -> RuleVersion:
    """The assessment version in force on 1 January of ``year``: the targets a year is
    assessed by are those set when it began (a version published mid-year applies from the
    next). 422 for a year not begun or before any version."""
    check_year(year, today)
    try:
        return rules.version_on(ASSESSMENT, date(year, 1, 1))
    except RuleNotInForce as e:
        since = f"（最早版本自 {e.first.year} 年起）" if e.first else ""
        raise InvalidInput(
            "assessment_not_in_force",
            f"{year} 年没有生效的考核规则版本{since} / no assessment rule version in force for"
            f" {year}",
        ) from e


def check_year(year: int, today: date) -> None:
    """422 ``invalid_year`` for a year that has not begun (or is no year at all)."""
    if year < FIRST_YEAR or year > today.year:
        raise InvalidInput(
            "invalid_year",
            f"考核年度 {year} 无效（须在 {FIRST_YEAR} 年至 {today.year} 年之间）"
            f" / assessment year {year} is not between {FIRST_YEAR} and {today.year}",
        )


def check_assessable(tier: str) -> None:
    """Scorecards are of a county (its townships) or a township (its villages); a village's
    score is a row of its township's scorecard."""
    if tier == Tier.VILLAGE.value:
        raise InvalidInput(
            "assessment_division_tier",
            "考核记分卡按县或乡镇（街道）出具；村（社区）的得分见所属乡镇（街道）的记分卡"
            " / a scorecard is of a county or a township; a village is a row of its township's",
        )


def indicators(rule: RuleVersion) -> list[IndicatorDef]:
    out = []
    for i in rule.parameters["indicators"]:
        figure = lookup(i["figure"])  # KeyError: a rules file naming no catalogue figure
        per = lookup(i["per"]) if i.get("per") else None
        out.append(
            IndicatorDef(
                code=i["code"],
                name=i["zh"],
                figure=figure.key,
                figure_name=figure.zh,
                figure_definition=figure.definition,
                per=per.key if per else None,
                per_name=per.zh if per else None,
                per_definition=per.definition if per else None,
                figure_definition_zh=definition_zh(figure.key),
                per_definition_zh=definition_zh(per.key) if per else None,
                unit="average" if per else figure.unit,
                direction=i["direction"],
                target=i["target"],
                zero_at=i["zero_at"],
                weight=i["weight"],
                method=i.get("method", "linear"),
            )
        )
    return out


def score(d: IndicatorDef, value: float | None) -> float | None:
    """Linear from ``zero_at`` (0) to ``target`` (full weight), clamped: the same formula
    for both directions, since ``zero_at`` lies on the worse side of the target."""
    if value is None:
        return None
    share = (value - d.zero_at) / (d.target - d.zero_at)
    return round(d.weight * min(1.0, max(0.0, share)), 2)


def _figure(figures: Any, key: str) -> float | None:
    node = figures
    for part in key.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return node if isinstance(node, int | float) and not isinstance(node, bool) else None


def _row(
    code: str, name: str, tier: str, area: str | None, figures: Any, defs: list[IndicatorDef]
) -> ScoreRow:
    scores = []
    for d in defs:
        value = _figure(figures, d.figure)
        numerator = denominator = None
        if d.per is not None:
            numerator, denominator = value, _figure(figures, d.per)
            # The catalogue's own ratio convention (figures._ratio): 4 places, None over zero.
            value = (
                round(numerator / denominator, 4) if numerator is not None and denominator else None
            )
        s = score(d, value)
        met = (
            None
            if value is None
            else (value >= d.target if d.direction == "higher" else value <= d.target)
        )
        scores.append(
            IndicatorScore(
                code=d.code,
                value=value,
                numerator=numerator,
                denominator=denominator,
                score=s,
                met=met,
            )
        )
    weights = sum(d.weight for d, s in zip(defs, scores, strict=True) if s.score is not None)
    got = sum(s.score for s in scores if s.score is not None)
    total = round(got / weights * 100, 2) if weights else None
    return ScoreRow(
        code=code,
        name=name,
        tier=tier,  # type: ignore[arg-type]  # a DivisionOut's or DivisionLine's tier
        area=area,
        indicators=scores,
        total=total,
        rank=None,
    )


def _ranked(rows: list[ScoreRow]) -> list[ScoreRow]:
    """Rank by total, best first; equal totals share a rank; no total, no rank. The rows keep
    the report's order (division codes), so a scorecard reads like the report it comes from."""
    ranks = competition_ranks([r.total for r in rows])
    return [r.model_copy(update={"rank": rank}) for r, rank in zip(rows, ranks, strict=True)]


def scorecard(report: DivisionReport, rule: RuleVersion, year: int) -> Scorecard:
    """The scorecard of ``report``'s division for ``year`` under assessment version ``rule``."""
    check_assessable(report.division.tier)
    defs = indicators(rule)
    d = report.division
    overall = _row(d.code, d.name, d.tier, d.area, report.figures, defs)
    rows = [
        _row(c.code, c.name, c.tier, c.area, c.figures, defs)
        for c in report.children
        if isinstance(c, DivisionLine)
    ]
    return Scorecard(
        division=report.division,
        year=year,
        as_of=report.as_of,
        period=report.period,
        assessment=AssessmentRule(
            version=rule.version,
            effective_from=rule.effective_from,
            kind=rule.kind,
            label_zh=rule.label_zh,
            source=rule.source,
        ),
        rule_versions={**report.rule_versions, ASSESSMENT: rule.version},
        watermarks=report.watermarks,
        tree=report.tree,
        indicators=defs,
        overall=overall.model_copy(update={"rank": None}),
        rows=_ranked(rows),
    )


def scorecard_hash(card: Scorecard) -> str:
    """SHA-256 of the scorecard's canonical JSON (sorted keys, no spacing), as a report's,
    without the words it quotes from the catalogue and the rule's ``source`` note: a catalogue
    definition reworded later must not stop an issued scorecard reproducing; the figure keys,
    values, targets, weights, scores and versions it was issued with are all covered."""
    content = card.model_dump(mode="json", exclude=_QUOTED)
    text = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


_QUOTED: Any = {
    "indicators": {
        "__all__": {
            "figure_name",
            "figure_definition",
            "per_name",
            "per_definition",
            "figure_definition_zh",
            "per_definition_zh",
        }
    },
    "assessment": {"source"},
}
