"""Response models of the read routes (issue 12 item 1): every GET documents a typed body, so
clients can be generated and schemathesis can check each answer against it.

Rows read from the read model (``SELECT *``) are :class:`Row`: the columns named are the
contract; a column a later projection adds passes through instead of being dropped.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from pydantic import BaseModel, Field

from shared.reporting.assessment import Scorecard
from shared.reporting.model import (
    DivisionReport,
    NotApplicable,
    PeriodOut,
    RankedRow,
    Row,
    TreeOut,
    ZombieRow,
)

# ------------------------------------------------------------------ health


class HealthOut(BaseModel):
    status: str = Field(description="ok")
    tier: str


class CalendarHorizonOut(BaseModel):
    """工作日历余量 / How far the working-day calendar reaches (ADR 0007)."""

    version: str
    last_day: date
    days_left: int = Field(description="剩余天数 / days until it runs out (negative: past)")
    warning: str | None = Field(description="提醒 / set from 60 days before it runs out")


class ReadyOut(BaseModel):
    status: str = Field(description="ready, or degraded while a source is blocked (503)")
    tier: str
    source: str = Field(
        description="本级事件库在各投影中的名称 / this store's name in projector_positions"
    )
    store_head: int
    relay_position: int
    relay_lag: int
    projector_positions: dict[str, int]
    projector_lag: dict[str, int]
    blocked_sources: list[str]
    dead_letters: int
    calendar_horizon: CalendarHorizonOut


# ------------------------------------------------------------------ catalogue, lists


class MetricGroupOut(BaseModel):
    key: str
    number: int
    zh: str
    en: str


class MetricOut(Row):
    key: str
    zh: str
    en: str
    unit: str
    definition: str
    additive: bool
    group: str


class CatalogueOut(BaseModel):
    groups: list[MetricGroupOut]
    metrics: list[MetricOut]
    assessment: list[MetricOut] = Field(
        default_factory=list,
        description="考核记分卡指标 / the scorecard's own figures (ADR 0025), not in reports",
    )
    points: list[MetricOut] = Field(
        default_factory=list,
        description="积分制指标 / resident points figures (ADR 0027), not in reports",
    )


class OrganisationRow(Row):
    org_id: str
    village_code: str
    name: str | None
    legal_form: str | None


class OrganisationListRow(OrganisationRow):
    village_in_tree: str


class OrganisationsOut(BaseModel):
    division_code: str
    tree: TreeOut
    organisations: list[OrganisationListRow]


class VolunteerRow(Row):
    village_code: str = Field(description="村/社区区划代码 / the register's village")
    volunteer_id: str = Field(description="志愿者编号 / the village's own volunteer number")
    registered_on: date = Field(description="登记日期 / entered in the register on")
    left_on: date | None = Field(
        None, description="离开日期 / off the register since (null: on the register)"
    )
    left_reason: str | None = Field(
        None, description="离开原因 / moved_away, withdrew or other (null: on the register)"
    )


class VolunteersOut(BaseModel):
    division_code: str
    volunteers: list[VolunteerRow]


class InspectionRow(Row):
    inspection_id: str
    org_id: str
    village_code: str
    name: str | None = Field(description="组织名称 / the organisation's name")
    inspected_on: str | None = Field(description="检查日期 / day of the inspection")
    result: str | None = Field(description="compliant, rectification_ordered or violation")
    rectified_on: str | None = Field(description="整改完成日期 / day the rectification completed")


class InspectionsOut(BaseModel):
    division_code: str
    inspections: list[InspectionRow]


class ZombiesOut(BaseModel):
    division_code: str
    as_of: date
    rule_versions: dict[str, str]
    window_months: int | None
    watermarks: dict[str, int]
    tree: TreeOut
    count: int | None = Field(description="人数；规则未生效时为 null / null when not applicable")
    organisations: list[ZombieRow]
    not_applicable: NotApplicable | None = None


class RankingOut(BaseModel):
    division_code: str
    as_of: date
    rule_versions: dict[str, str]
    weights: dict[str, float] | None
    watermarks: dict[str, int]
    tree: TreeOut
    total: int | None = Field(description="总数；规则未生效时为 null / null when not applicable")
    organisations: list[RankedRow]
    not_applicable: NotApplicable | None = None


class ReconciliationOut(BaseModel):
    division: str
    as_of: date
    period: PeriodOut
    rule_versions: dict[str, str]
    watermarks: dict[str, int]
    tree: TreeOut
    additive_figures_checked: int
    divisions_checked: int
    ok: bool
    mismatches: list[dict[str, Any]]


# ------------------------------------------------------------------ divisions


class DivisionRow(BaseModel):
    code: str
    name: str
    tier: str
    parent: str | None
    area: str | None
    registered_population: int
    resident_population: int


class DivisionsOut(TreeOut):
    divisions: list[DivisionRow]


class DivisionChange(Row):
    sequence: int
    effective_on: date
    kind: str


class DivisionChangesOut(BaseModel):
    changes: list[DivisionChange]


# ------------------------------------------------------------------ timeline, issuing, audit


class TimelineOut(BaseModel):
    organisation: Row
    watermarks: dict[str, int]
    count: int
    events: list[Row]
    missing: list[Any] = Field(description="链上缺失 / gaps found in the chains, if any")


class IssuedOut(BaseModel):
    report_id: str
    replayed: bool
    content_hash: str
    tree: str
    watermarks: dict[str, int]
    rule_versions: dict[str, str]
    report: DivisionReport


class IssuedRow(Row):
    report_id: str
    source: str
    division_code: str
    title: str
    as_of: date
    content_hash: str
    watermarks: dict[str, int]
    rule_versions: dict[str, str]


class IssuedListOut(BaseModel):
    issued: list[IssuedRow]


class IssuedReproductionOut(BaseModel):
    report_id: str
    reproduced: bool
    recorded_hash: str
    recomputed_hash: str
    watermarks: dict[str, int]
    rule_versions: dict[str, str]
    report: DivisionReport
    scorecard: Scorecard | None = Field(
        None,
        description="考核记分卡 / for an issued scorecard: the scorecard recomputed from the"
        " report above (its hash is what was compared); absent for a report",
    )


class SourceCheck(BaseModel):
    events: int
    links: int
    head_position: int
    head: str | None


class IntegrityOut(BaseModel):
    ok: bool
    sources: dict[str, SourceCheck]
    heads_checked: int
    signatures_checked: bool
    anchors_checked: int
    findings: list[dict[str, Any]]


class AnchorsOut(BaseModel):
    tier: str
    key_id: str | None
    anchors: list[dict[str, Any]]
    next_after: int


class PublicKeyOut(BaseModel):
    algorithm: str
    key_id: str
    public_key_pem: str


# ------------------------------------------------------------------ returns, draws, exits


class ReturnRow(Row):
    return_id: str
    kind: str
    division_code: str
    period: str
    state: str
    figures: Any = None
    content_hash: str | None = None


class ReturnsOut(BaseModel):
    division_code: str
    counts: dict[str, int]
    returns: list[ReturnRow]


class ReturnDetailOut(ReturnRow):
    figures: dict[str, Any] | None
    history: list[dict[str, Any]]


class DrawRow(Row):
    draw_id: str
    division_code: str
    year: int
    rule_version: str | None


class DrawsOut(BaseModel):
    division_code: str
    draws: list[DrawRow]


class DrawOutRecord(DrawRow):
    record: dict[str, Any]


class ReproductionOut(Row):
    rule_version: str | None
    reproduced: bool
    checks: dict[str, bool]


class DrawReproductionOut(ReproductionOut):
    draw_id: UUID


class ExitCandidate(Row):
    org_id: str
    proposal: str | None


class DryRunOut(BaseModel):
    division_code: str
    as_of: date
    kind: str
    rule_version: str
    count: int
    proposed: int
    candidates: list[ExitCandidate]
    pending_notices: list[Row]


class ProceedingRow(Row):
    proceeding_id: str
    org_id: str
    village_code: str
    state: str


class CampaignOut(BaseModel):
    noticed: list[Row]
    skipped: list[Row]


class AwardOut(Row):
    award_id: str
    village_code: str
    purchaser: str | None = Field(None, description="购买主体 / purchasing department (ADR 0021)")
    purchaser_code: str | None = Field(
        None,
        description="购买主体代码 / its code in the purchasers list (null: free text recorded"
        " before the list, ADR 0021 addendum)",
    )
    beneficiaries_planned: int | None = Field(None, description="计划受益人数 / planned")
    beneficiaries_reached: int | None = Field(None, description="实际受益人数 / reached")
    snapshot: dict[str, Any] | None
    tranches: list[dict[str, Any]]
    evaluations: list[dict[str, Any]]
