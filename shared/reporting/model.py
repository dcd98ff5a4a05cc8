"""The typed shape of a report (issue 12 item 1): what the JSON API returns and documents.

``report.py`` still assembles the value from one read-model snapshot; the API validates it
against these models, so a figure added or renamed there without a change here fails the
route's tests instead of silently changing the contract. Figure groups stay maps of metric
key → value: the metric catalogue (``GET /api/v1/metrics``) defines each key, and a new
metric is a catalogue entry, not a schema change.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Figures = dict[str, dict[str, Any]]


class Row(BaseModel):
    """A read-model row: the columns named here are the contract; columns added by a later
    projection version pass through (additionalProperties) rather than being dropped."""

    model_config = ConfigDict(extra="allow")


class PeriodOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    from_: date = Field(alias="from", description="期间起 / first day")
    to: date = Field(description="期间止 / last day")
    label: str = Field(description="期间名称 / e.g. 2025, 2025-Q1, YTD")


class TreeOut(BaseModel):
    """Which division tree a report used (ADR 0005)."""

    basis: str = Field(description="as_of, current, or on (the divisions route)")
    on: date | None = Field(description="区划树日期 / the day the tree is in force")
    changes_applied: int
    retired: dict[str, str] = Field(description="撤并代码 → 承继代码 / retired code → successor")


class RuleOut(BaseModel):
    version: str
    effective_from: date
    parameters: dict[str, Any]


class DivisionOut(BaseModel):
    code: str
    name: str
    tier: Literal["county", "township", "village"]
    area: str | None = Field(description="urban / rural, villages only")


class ApprovalsSummary(BaseModel):
    model_config = ConfigDict(extra="allow")

    counts: dict[str, int] = Field(description="各状态报表数 / returns by state")
    total: int


class DivisionLine(Row):
    """One drill-down line for a child division, with its approvals in a county or township."""

    code: str
    name: str
    tier: Literal["county", "township", "village"]
    area: str | None
    figures: Figures
    links: dict[str, str]


class OrganisationLine(Row):
    """One drill-down line for an organisation of a village."""

    kind: Literal["organisation"]
    org_id: str
    name: str | None
    figures: Figures
    links: dict[str, str]


class DivisionReport(BaseModel):
    """区划报表 / A division's report at one consistent snapshot."""

    division: DivisionOut
    as_of: date
    period: PeriodOut
    rules: dict[str, RuleOut] = Field(description="规则版本及参数 / rule versions in force")
    rule_versions: dict[str, str]
    watermarks: dict[str, int] = Field(description="各级事件库已投影位置 / positions reflected")
    tree: TreeOut
    figures: Figures = Field(description="十组指标 / the ten figure groups (see /metrics)")
    approvals: ApprovalsSummary
    children: list[DivisionLine | OrganisationLine]
    links: dict[str, str]
    known_at: str | None = Field(
        None, description="已知时点 / present when rebuilt as known at a past instant"
    )
    not_applicable: dict[str, dict[str, str]] | None = Field(
        None,
        description="不适用的指标 / figure key → why it is null (its rule was not in force on "
        "the as-of date); present only then",
    )


class OrganisationReport(BaseModel):
    """组织报表 / One organisation's figures, rank, zombie reasons, ratings and listings."""

    organisation: Row
    village_in_tree: str
    tree: TreeOut
    as_of: date
    period: PeriodOut
    rules: dict[str, RuleOut]
    rule_versions: dict[str, str]
    watermarks: dict[str, int]
    figures: Figures
    ranking: dict[str, Any] | None
    zombie: dict[str, Any] | None
    ratings: list[dict[str, Any]]
    credit_listings: list[dict[str, Any]]
    links: dict[str, str]
    known_at: str | None = None


def division_report(body: dict[str, Any]) -> DivisionReport:
    return DivisionReport.model_validate(body)
