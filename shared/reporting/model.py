"""The typed shape of a report (issue 12 item 1): one value from the read model to the JSON
API, the exports, the printable HTML and the content hash of an issued report.

``report.py`` returns these models; the API serves them, ``export.py`` and ``html.py`` read
their attributes, so a field renamed here breaks every reader at type-check time instead of one
of them silently drifting. Figure groups stay maps of metric key → value: the metric catalogue
(``GET /api/v1/metrics``) defines each key, and a new metric is a catalogue entry, not a schema
change.

Fields a report carries only sometimes (``known_at``, ``not_applicable``) default to None and
are left out when unset: readers dump with ``exclude_unset=True`` (the API route, ``canonical``)
so a report with every rule in force keeps exactly its former JSON and content hash (ADR 0004).
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from typing_extensions import TypeAliasType

# A figure is a count (int), an amount or a rate (float), or None: a rate whose denominator
# is zero, or a figure whose rule was not in force (``not_applicable`` says which). Some
# figures are families keyed by a value (``organisations.by_field.*``), and the funding
# programmes nest one level more (``funding.by_programme.*.awarded_yuan``). No bool or str:
# pydantic's smart union keeps an int an int and a float a float, so the JSON is unchanged.
# Named aliases, so the OpenAPI documents them once (components) rather than at every use.
Number = int | float | None
FigureValue = TypeAliasType(
    "FigureValue", Number | dict[str, Number] | dict[str, dict[str, Number]]
)
Figures = TypeAliasType("Figures", dict[str, dict[str, FigureValue]])


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
    # Only for a legacy or local version (ADR 0018); unset, and so absent from the JSON and
    # the content hash, for the national versions (``exclude_unset``).
    kind: str | None = Field(None, description="legacy（国家规则施行前的本地规则）/ local")
    label_zh: str | None = Field(None, description="规则名称，如“本县试行规则（国家规则施行前）”")


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


class NotApplicable(BaseModel):
    """Why a figure is null: the rule family it depends on was not in force (issue 12)."""

    reason: str = Field(description="rule_not_in_force")
    family: str = Field(description="规则族 / the rule family")
    as_of: date
    message: str


class ThemeRow(BaseModel):
    """One activity theme's figures in a division and period (issue 14, ADR 0019)."""

    code: str = Field(description="主题代码 / theme code (rules family activity_themes)")
    name: str = Field(description="主题名称 / Chinese name")
    retired_on: date | None = Field(
        None, description="停用日期 / the day the theme left the vocabulary, if it has"
    )
    figures: dict[str, Number] = Field(
        description="活动、组织、人次、志愿、时长、受益、支出、调解 / the activity figures of the "
        "activities carrying this theme (keys as in docs/metrics.md, 'by theme')"
    )


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
    not_applicable: dict[str, NotApplicable] | None = Field(
        None,
        description="不适用的指标 / figure key → why it is null (its rule was not in force on "
        "the as-of date); present only then",
    )
    by_theme: list[ThemeRow] | None = Field(
        None,
        description="按活动主题 / the activity figures per theme in force during the period; "
        "absent when the report names no activity_themes version (one issued before themes)",
    )


class ZombieReason(BaseModel):
    code: str
    zh: str
    detail: dict[str, Any]


class ZombieRow(Row):
    org_id: str
    name: str | None
    village_code: str
    village_in_tree: str
    kind: str
    entered_on: date | None
    last_activity_on: date | None
    months_since_activity: int | None
    reasons: list[ZombieReason]


class RankedRow(Row):
    org_id: str
    name: str | None
    village_code: str
    village_in_tree: str
    scores: dict[str, float]
    total: float
    explanation: dict[str, Any]
    rank_in_county: int
    rank_in_township: int


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
    ranking: RankedRow | None = Field(description="排名及解释 / rank with its explanation")
    zombie: ZombieRow | None = Field(description="僵尸认定理由 / why it is on the zombie list")
    ratings: list[Row] = Field(
        description="评级 / rated_on, credit, grade, grade_valid_until, stars"
    )
    credit_listings: list[Row] = Field(
        description="信用名单 / credit_list, entered_on, left_on, reason"
    )
    links: dict[str, str]
    known_at: str | None = None
    not_applicable: dict[str, NotApplicable] | None = None


def canonical(report: DivisionReport | OrganisationReport) -> dict[str, Any]:
    """The report as the JSON the API returns: what the content hash of an issued report is
    computed over (shared/audit/issued.py). ``exclude_unset`` leaves out ``known_at`` and
    ``not_applicable`` when the report does not carry them, as the dict reports built before
    the typed model did, so reports issued then still reproduce with the same hash."""
    return report.model_dump(mode="json", by_alias=True, exclude_unset=True)
