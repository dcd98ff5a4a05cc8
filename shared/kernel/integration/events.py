"""Integration events: the public, versioned promise between tiers (ADR 0002).

These are separate from each tier's domain events. Type names follow
``sanji.<tier>.<subject>.<action>.v<major>``; a payload class is frozen once published. An
incompatible change means a new major type (``…v2``) published beside the old one, never an
edit: ``tests/unit/test_integration_schemas.py`` compares these models with the checked-in
JSON schemas in ``schemas/`` and fails on removed fields, changed types or new required fields.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from shared.kernel.domain import Category
from shared.kernel.domain import Field as OrgField
from shared.kernel.jurisdiction import Area

NonNegative = Annotated[int, Field(ge=0)]
NonNegativeDecimal = Annotated[Decimal, Field(ge=0)]


class Payload(BaseModel):
    # extra="ignore": a consumer on an older minor version still reads a newer producer's
    # payload (new optional fields are the only allowed evolution within a major version).
    model_config = ConfigDict(frozen=True, extra="ignore")


class InspectionResult(StrEnum):
    COMPLIANT = "compliant"
    RECTIFICATION_ORDERED = "rectification_ordered"
    VIOLATION = "violation"


class FundingProgramme(StrEnum):
    MICRO_VENTURE = "micro_venture"  # 微公益创投
    PURCHASE_OF_SERVICES = "purchase_of_services"  # 政府购买服务
    SPECIAL_FUND = "special_fund"  # 专项资金


class PlatformKind(StrEnum):
    """Service platforms of the three tiers (domain.md §4.10)."""

    COUNTY_CENTRE = "county_centre"  # 县级社会组织（党群）服务中心
    TOWNSHIP_PLATFORM = "township_platform"  # 乡镇（街道）社会组织服务平台
    INCUBATOR = "incubator"  # 孵化园（基地）
    VILLAGE_STATION = "village_station"  # 村（社区）社会组织服务站


class CreditList(StrEnum):
    ABNORMAL = "abnormal"  # 活动异常名录
    SERIOUS = "serious"  # 严重违法失信名单


class PartyOrganisationKind(StrEnum):
    OWN = "own"  # 单独建立
    JOINT = "joint"  # 联合党支部


class DivisionChangeKind(StrEnum):
    """Changes of the division tree (shared/capabilities/divisions/history.py, ADR 0005)."""

    RENAME = "rename"  # 更名
    RECLASSIFY = "reclassify"  # 城乡属性调整 (urban ↔ rural)
    CREATE = "create"  # 新设
    MERGE = "merge"  # 合并 (撤并)
    SPLIT = "split"  # 拆分
    REPOPULATE = "repopulate"  # 人口数调整


# ------------------------------------------------------------------ village


class GroupAppliedV1(Payload):
    """A resident group applied at its village station to be filed (备案申请)."""

    name: str
    field: OrgField
    founded_on: date
    category: Category | None = None  # added in domain event version 2; None from version 1


class ActivityReportedV1(Payload):
    """An activity of an organisation, reported by its village station."""

    activity_id: UUID
    occurred_on: date
    field: OrgField
    participants: NonNegative
    volunteers: NonNegative
    volunteer_services: NonNegative
    volunteer_hours: NonNegativeDecimal
    beneficiaries: NonNegative
    money_spent: NonNegativeDecimal
    # Added in issue 14 (ADR 0019; domain event version 2), optional: an activity reported
    # before them has no themes and states no cases.
    themes: list[str] = Field(
        default_factory=list, description="theme codes of the rules family activity_themes"
    )
    cases_taken: NonNegative | None = None  # disputes taken (mediation)
    cases_resolved: NonNegative | None = None  # disputes resolved, never more than taken
    # Added in issue 14 (ADR 0021; domain event version 3), optional: the numbers, in the
    # village's volunteer register, of the volunteers who served.
    volunteer_ids: list[str] = Field(
        default_factory=list, description="volunteer numbers of the village's register"
    )


class VolunteerRegisteredV1(Payload):
    """A volunteer entered in a village's register (ADR 0021): a pseudonym, nothing else."""

    volunteer_key: UUID  # the register entry's aggregate id (village and number)
    village_code: str
    volunteer_id: str  # the village's own volunteer number


class PointsPilotTurnedOnV1(Payload):
    """A community turned the resident points pilot on (积分制, ADR 0027), from ``started_on``."""

    pilot_key: UUID  # the community's pilot record
    village_code: str
    started_on: date


class PointsPilotTurnedOffV1(Payload):
    """A community turned its points pilot off from ``ended_on``: activities on or after it
    earn nothing. ``started_on`` names the period it ends."""

    pilot_key: UUID
    village_code: str
    started_on: date
    ended_on: date


class PointsAdjustedV1(Payload):
    """Points awarded (positive) or deducted (negative) by hand, with the reason (ADR 0027);
    the effective date is the day it counts on."""

    adjustment_id: UUID
    village_code: str
    volunteer_id: str  # the village's own volunteer number
    points: int
    reason: str


# ------------------------------------------------------------------ township


class VolunteerLeftV1(Payload):
    """A volunteer left a village's register (ADR 0021 addendum): the day and a coded reason
    (moved_away, withdrew, other), nothing personal."""

    volunteer_key: UUID
    village_code: str
    volunteer_id: str
    left_on: date
    reason: str


class VolunteerRejoinedV1(Payload):
    """A volunteer who had left came back to the register under the same number."""

    volunteer_key: UUID
    village_code: str
    volunteer_id: str
    rejoined_on: date


class FilingFiledV1(Payload):
    """The township filed (备案) a group; the platform-issued filing number is its identity."""

    filing_number: str
    name: str
    field: OrgField


class FilingRejectedV1(Payload):
    reason: str


class FilingCancelledV1(Payload):
    """Exit of a filed group: its filing is cancelled (注销备案)."""

    reason: str


class CharterApprovedV1(Payload):
    """Charter approved, with or without the party-building (党建入章) and integrity (清廉入章) clauses."""

    party_clause: bool
    integrity_clause: bool


class InspectionRecordedV1(Payload):
    inspection_id: UUID
    result: InspectionResult
    findings: str
    inspectors: list[str]
    # The draw this inspection fulfils (ADR 0010); None: not from a draw, or recorded before.
    draw_id: UUID | None = None


class RectificationCompletedV1(Payload):
    inspection_id: UUID


class SampledOrganisationV1(Payload):
    organisation_id: UUID
    village_code: Annotated[str, Field(pattern=r"^\d{12}$")]


class SampleDrawnV1(Payload):
    """A random inspection draw (抽查抽签, ADR 0010) by the county (registered organisations) or
    a township (its filed groups); the envelope's division is the division drawn for and its
    ``rule_version`` the sampling rule. ``population``: the eligible ids on the draw date,
    sorted; ``selected``: in rank order, by ``algorithm`` (shared/capabilities/sampling/domain.py) from ``seed``."""

    draw_id: UUID
    year: Annotated[int, Field(ge=2000, le=2100)]
    population_kind: Literal["registered", "filed"]
    population: list[UUID]
    population_hash: str
    seed: str
    rate: str
    quota: NonNegative
    algorithm: str
    selected: list[SampledOrganisationV1]
    supplementary: bool
    minimum_inspectors: Annotated[int, Field(ge=1)]


# ------------------------------------------------------------------ county


class OrganisationRegisteredV1(Payload):
    """Registered by the civil-affairs bureau; ``upgraded_from_filing`` links the filed identity."""

    usci: str
    name: str
    legal_form: str
    field: OrgField
    upgraded_from_filing: bool
    category: Category | None = None  # added in domain event version 2; None from version 1


class UsciClaimedV1(Payload):
    """The county's register took a unified social credit code for an organisation (ADR 0034):
    the guard that refuses a second registration of the code atomically. No figure counts it;
    ``organisation.registered`` carries the same code for the organisation."""

    usci: str
    organisation_id: UUID


class PartyOrganisationSetUpV1(Payload):
    kind: PartyOrganisationKind


class AnnualReportFiledV1(Payload):
    year: int


class RatingRecordedV1(Payload):
    credit: str | None = None
    grade: Annotated[int, Field(ge=1, le=5)] | None = None
    grade_valid_until: date | None = None
    stars: Annotated[int, Field(ge=1, le=5)] | None = None


class FundingSnapshotV1(Payload):
    """What the county knew of an organisation when it decided an award (ADR 0011)."""

    status: str  # registered / filed
    credit: str | None = None
    grade: Annotated[int, Field(ge=1, le=5)] | None = None  # a grade still valid that day
    grade_valid_until: date | None = None
    credit_lists: list[CreditList] = []
    host_status: str | None = None  # the host's status, for a filed group


class FundingAwardedV1(Payload):
    """An award; through a call (``call_id``, ``application_id``) it also records the
    organisation's ``snapshot`` at the decision, and the envelope the ``funding`` rule."""

    award_id: UUID
    programme: FundingProgramme
    round: str
    project: str
    amount: Annotated[Decimal, Field(gt=0)]
    host_organisation_id: UUID | None = None
    call_id: UUID | None = None
    application_id: UUID | None = None
    snapshot: FundingSnapshotV1 | None = None
    # Added in issue 14 (ADR 0021; domain event version 3), optional: the purchasing
    # department of a purchase of services, and the beneficiaries planned.
    purchaser: str | None = None
    beneficiaries_planned: NonNegative | None = None
    # Added with the purchasers code list (ADR 0021 addendum; domain event version 4),
    # optional: the code of ``purchaser`` in the list (None: free text recorded before it).
    purchaser_code: str | None = None


class FundingDisbursedV1(Payload):
    """A tranche of an award paid out (拨付)."""

    award_id: UUID
    tranche: str
    amount: Annotated[Decimal, Field(gt=0)]


class FundingEvaluatedV1(Payload):
    """Mid-term or final evaluation of an award: score and grade A/B/C (rules "funding")."""

    award_id: UUID
    stage: Literal["mid_term", "final"]
    score: Annotated[Decimal, Field(ge=0)]
    grade: str
    comment: str = ""


class FundingClosedV1(Payload):
    """The project is closed (结项); ``released`` was awarded but never paid."""

    award_id: UUID
    final_grade: str
    released: NonNegativeDecimal
    reason: str
    # Added in issue 14 (ADR 0021; domain event version 2), optional.
    beneficiaries_reached: NonNegative | None = None


class FundingCallOpenedV1(Payload):
    """A call for projects (征集) in a programme and round, with its budget and deadline."""

    call_id: UUID
    programme: FundingProgramme
    round: str
    title: str
    budget: Annotated[Decimal, Field(gt=0)]
    deadline: date


class FundingCallCommittedV1(Payload):
    """Part of a call's budget committed to an approved application's award."""

    call_id: UUID
    application_id: UUID
    award_id: UUID
    amount: Annotated[Decimal, Field(gt=0)]


class FundingCallClosedV1(Payload):
    """A call closed: no more applications."""

    call_id: UUID
    reason: str


class FundingApplicationSubmittedV1(Payload):
    """An organisation applied to a call (申报); a filed group names its registered host."""

    application_id: UUID
    call_id: UUID
    programme: FundingProgramme
    round: str
    project: str
    requested: Annotated[Decimal, Field(gt=0)]
    host_organisation_id: UUID | None = None
    other_government_funding: bool
    # Added in issue 14 (ADR 0021; domain event version 2), optional.
    purchaser: str | None = None
    beneficiaries_planned: NonNegative | None = None
    # The purchaser's code (ADR 0021 addendum; domain event version 3), optional.
    purchaser_code: str | None = None


class ProgrammeBudgetV1(Payload):
    """A programme's budget for one year at the county, set or revised (ADR 0021); the
    latest one recorded for a programme and year counts."""

    budget_id: UUID
    programme: FundingProgramme
    year: int
    amount: NonNegativeDecimal


class FundingApplicationApprovedV1(Payload):
    application_id: UUID
    call_id: UUID
    award_id: UUID
    amount: Annotated[Decimal, Field(gt=0)]


class FundingApplicationRejectedV1(Payload):
    application_id: UUID
    call_id: UUID
    reason: str


class CreditListEnteredV1(Payload):
    """Put on a credit list (列入): abnormal-activity list or serious-violation list.
    ``trigger`` is the reason code of the rules family "credit" (None: a decision without
    one); ``rectification_required``: it leaves only after a verified rectification (or by
    escalation), not by the months without a new trigger (ADR 0007)."""

    credit_list: CreditList
    reason: str
    trigger: str | None = None
    rectification_required: bool | None = None


class CreditListLeftV1(Payload):
    """Removed from a credit list (移出); a removal the rules made has a reason code and the
    envelope's ``rule_version``."""

    credit_list: CreditList
    reason: str


class CreditListTriggeredV1(Payload):
    """A new trigger while on the list: its clock restarts (ADR 0007)."""

    credit_list: CreditList
    trigger: str
    reason: str
    rectification_required: bool


class CreditListNotifiedV1(Payload):
    """Written notice (告知书) served about a listing; ``document`` is its number or text."""

    credit_list: CreditList
    document: str


class CreditObjectionLodgedV1(Payload):
    """The organisation objects (异议) to a listing."""

    credit_list: CreditList
    grounds: str


class CreditObjectionDecidedV1(Payload):
    """An objection decided: upheld (a removal follows) or rejected (the listing stands)."""

    credit_list: CreditList
    upheld: bool
    reason: str


class RectificationVerifiedV1(Payload):
    """Rectification verified (查实): removal falls due on ``removal_due``, the rule's number
    of working days later by the working-day calendar ``calendar_version``."""

    credit_list: CreditList
    removal_due: date
    calendar_version: str
    # Added (optional, issue 12): counted Monday–Friday past the calendar's years.
    provisional: bool = False


class RemovalDueRecomputedV1(Payload):
    """A provisional removal deadline recounted with a calendar version covering it (issue 12,
    ADR 0007): ``removal_due`` replaces ``previous_due``."""

    credit_list: CreditList
    removal_due: date
    previous_due: date
    calendar_version: str
    provisional: bool


class GradeExpiredV1(Payload):
    """An evaluation grade's validity ended; in force from the envelope's effective date (the
    day after ``valid_until``)."""

    grade: Annotated[int, Field(ge=1, le=5)]
    valid_until: date


# ------------------------------------------------------------------ every tier


class PlatformOpenedV1(Payload):
    """A service platform opened in a division; the envelope's division is where it sits."""

    platform_id: UUID
    kind: PlatformKind
    name: str


class PlatformClosedV1(Payload):
    platform_id: UUID
    reason: str


class TrainingCourseV1(Payload):
    """A training course (培训班) scheduled, or its details corrected (``reason`` then), by the
    county or a township (issue 16, ADR 0024); the envelope's division is the one running it."""

    course_id: UUID
    division_code: str
    topic: str
    kind: str
    starts_on: date
    ends_on: date
    trainer: str
    platform_id: UUID | None = None
    reason: str | None = None


class TrainingCancelledV1(Payload):
    course_id: UUID
    division_code: str
    reason: str


class TrainingAttendanceV1(Payload):
    """An organisation's attendance at a course, or its correction (``reason`` then; 0
    trainees: it did not attend after all); the envelope's division is its village."""

    course_id: UUID
    organisation_id: UUID
    village_code: str
    trainees: NonNegative
    roles: list[str] = []
    reason: str | None = None


class CommendationCandidateV1(Payload):
    """One organisation of a commendation round's ranking: its ranks, total score and the
    ranking's explanation, and whether the ``commendation`` rule found it eligible (if not,
    ``reasons``: not_active, on_credit_list, no_governance_work)."""

    organisation_id: UUID
    village_code: str
    name: str | None = None
    rank_in_county: int
    rank_in_township: int | None = None
    total: float
    explanation: dict[str, Any] = {}
    eligible: bool
    reasons: list[str] = []


class CommendationOpenedV1(Payload):
    """A yearly commendation round (评先评优) opened by the county or a township (issue 16,
    ADR 0024): candidates proposed from the ranking of ``ranked_on``, and those ranked above
    the last candidate that the rule passed over; the rule version is the envelope's."""

    round_id: UUID
    division_code: str
    year: int
    ranked_on: date
    candidates: list[CommendationCandidateV1]
    passed_over: list[CommendationCandidateV1] = []


class CommendedV1(Payload):
    organisation_id: UUID
    village_code: str


class CommendationDecidedV1(Payload):
    round_id: UUID
    division_code: str
    year: int
    commended: list[CommendedV1]
    note: str = ""


class CommendationPublishedV1(Payload):
    """The round's decision made public (公示/表彰): the organisations commended count from here."""

    round_id: UUID
    division_code: str
    year: int
    commended: list[CommendedV1]


class ChainHeadV1(Payload):
    """The last link of one source's hash chain (shared/kernel/chain.py) at a position."""

    source: str
    position: NonNegative
    link: str


class ChainCheckpointedV1(Payload):
    """The daily checkpoint: every chain head this tier holds, its own included (ADR 0006)."""

    checkpoint_id: UUID
    day: date
    heads: list[ChainHeadV1]


class ReportIssuedV1(Payload):
    """A report was issued (published): enough to reproduce it exactly and check its hash.
    The envelope's division is the report's division."""

    report_id: UUID
    title: str
    as_of: date
    period_from: date
    period_to: date
    period_label: str
    tree: str
    known_at: str | None = None
    watermarks: dict[str, NonNegative]
    rule_versions: dict[str, str]
    content_hash: str


class NewDivisionV1(Payload):
    """A division a split creates."""

    code: Annotated[str, Field(pattern=r"^\d{12}$")]
    name: str
    area: Area | None = None  # villages/communities only
    registered_population: NonNegative | None = None
    resident_population: NonNegative | None = None


class DivisionChangedV1(Payload):
    """One change of the county's division tree, in force from the envelope's effective date.
    The envelope's division is the county. ``sequence`` orders the county's changes; which
    fields are set depends on ``kind``: rename (name), reclassify (area), create (name,
    parent, area, populations), merge (``merged`` codes retired into ``code``), split
    (``created`` divisions; ``successor`` takes the records of ``code`` if it is ``retired``),
    repopulate (populations)."""

    sequence: Annotated[int, Field(ge=1)]
    kind: DivisionChangeKind
    code: Annotated[str, Field(pattern=r"^\d{12}$")]
    name: str | None = None
    parent: str | None = None
    area: Area | None = None
    registered_population: NonNegative | None = None
    resident_population: NonNegative | None = None
    merged: list[str] = []
    created: list[NewDivisionV1] = []
    successor: str | None = None
    retired: bool = False


class OrganisationExitedV1(Payload):
    """Deregistration (注销) or revocation (撤销) of a registered organisation."""

    reason: str


class ReturnStepV1(Payload):
    """A step in the approval of a periodic return (ADR 0008): the envelope's division is the
    return's village; ``step`` numbers the return's history (one line across the tiers) and
    ``state`` is where the step leaves it. Returns and reversals carry a ``reason``."""

    return_id: UUID
    kind: Literal["activity_return", "annual_statistics"]
    period: str
    period_from: date
    period_to: date
    step: Annotated[int, Field(ge=1)]
    state: Literal["submitted", "approved", "accepted", "returned"]
    reason: str = ""


class ReturnSubmittedV1(ReturnStepV1):
    """The village submitted a return with its figures as its read model held them then
    (``watermarks``) and their ``content_hash``; ``cycle`` counts the submissions."""

    cycle: Annotated[int, Field(ge=1)]
    figures: dict[str, NonNegative]
    content_hash: str
    watermarks: dict[str, NonNegative]


class ZombieExitNoticedV1(Payload):
    """Zombie-exit notice served (ADR 0009): no exit before ``due_on``; the rule version is on
    the envelope. ``outcome`` revoke / deregister / cancel_filing / rectify; ``exit_outcome``
    what follows unless stopped."""

    proceeding_id: UUID
    number: int
    outcome: str
    exit_outcome: str
    reasons: list[str]
    criteria: list[str]
    notice_ends_on: date
    due_on: date


class ZombieExitStoppedV1(Payload):
    """A proceeding ended without exit: ``reason`` active_since_notice, guarded,
    no_longer_candidate, not_active or withdrawn; ``detail`` the particulars."""

    proceeding_id: UUID
    reason: str
    detail: str


class ZombieExitExitedV1(Payload):
    """The exit a proceeding made (the organisation's own exit event comes with it)."""

    proceeding_id: UUID
    outcome: str


class ZombieExitReversedV1(Payload):
    """An exit undone by a compensating decision (the organisation's reinstatement comes with
    it)."""

    proceeding_id: UUID
    reason: str


class OrganisationReinstatedV1(Payload):
    """A registration or filing restored after a reversed exit (ADR 0009)."""

    reason: str


# ------------------------------------------------------------------ accounts (ADR 0012)
# What every tier learns of an account: never its password hash, which stays in its own store.


class AccountCreatedV1(Payload):
    """An operator account was created (by an admin, the demo or the command line)."""

    account_id: UUID
    username: str
    name: str
    tier: str
    division_code: str
    roles: list[str]
    must_change_password: bool


class AccountChangedV1(Payload):
    """An account's person name or roles changed; its sessions end."""

    account_id: UUID
    name: str
    roles: list[str]


class AccountStatusV1(Payload):
    """An account was disabled or re-enabled, with the reason; its sessions end."""

    account_id: UUID
    reason: str


class AccountPasswordChangedV1(Payload):
    """A new password (set by its owner, or reset by an admin: must change at next login)."""

    account_id: UUID
    must_change_password: bool


class AccountLoginV1(Payload):
    """A login, a failed login or a logout (``token_id`` names the session)."""

    account_id: UUID
    token_id: str | None = None
    expires_at: datetime | None = None
    address: str | None = None


class AccountLockedV1(Payload):
    """Repeated failed logins locked the account until ``until``."""

    account_id: UUID
    until: datetime
    failures: int


class EvaluatorRegisteredV1(Payload):
    """The county engages an outside evaluator (第三方评估机构, ADR 0026): its name and
    identifier (USCI or another registration number) and the contact's role, no person."""

    evaluator_id: UUID
    name: str
    identifier: str
    contact_role: str


class EvaluatorStateV1(Payload):
    """An evaluator suspended, resumed or ended, with the reason."""

    evaluator_id: UUID
    reason: str


class EvaluatorMemberBoundV1(Payload):
    """An account (role ``evaluator``) bound to an evaluator: it acts on its assignments only."""

    member_id: UUID
    evaluator_id: UUID
    account_id: UUID


class EvaluationTargetV1(Payload):
    organisation_id: UUID
    award_id: UUID | None = None
    village_code: str


class EvaluationAssignedV1(Payload):
    """The bureau assigns an evaluator organisations (grade evaluation, 等级评估) or funded
    projects (their awards) to evaluate by ``due_on``."""

    assignment_id: UUID
    evaluator_id: UUID
    kind: Literal["grade", "project"]
    title: str
    targets: list[EvaluationTargetV1]
    due_on: date


class EvaluationFindingV1(Payload):
    """An evaluator's finding on one organisation or project: proposed grade (1–5) and/or
    score, the text, the day evaluated; ``corrects`` names the finding it replaces."""

    assignment_id: UUID
    finding_id: UUID
    organisation_id: UUID
    evaluator_id: UUID
    award_id: UUID | None = None
    stage: Literal["mid_term", "final"] | None = None
    grade: int | None = None
    score: NonNegativeDecimal | None = None
    text: str
    evaluated_on: date
    corrects: UUID | None = None


class EvaluationDecidedV1(Payload):
    """The bureau's decision on a finding: accepted, amended (its own grade or score) or
    rejected; the rating or project evaluation it records is caused by the same request."""

    assignment_id: UUID
    finding_id: UUID
    organisation_id: UUID
    award_id: UUID | None = None
    outcome: Literal["accepted", "amended", "rejected"]
    grade: int | None = None
    score: NonNegativeDecimal | None = None
    reason: str


class EvaluationClosedV1(Payload):
    """The assignment is closed: no more findings (decisions may still follow)."""

    assignment_id: UUID
    reason: str


TYPES: dict[str, type[Payload]] = {
    "sanji.village.group.applied.v1": GroupAppliedV1,
    "sanji.village.activity.reported.v1": ActivityReportedV1,
    "sanji.village.volunteer.registered.v1": VolunteerRegisteredV1,
    "sanji.village.points_pilot.turned_on.v1": PointsPilotTurnedOnV1,
    "sanji.village.points_pilot.turned_off.v1": PointsPilotTurnedOffV1,
    "sanji.village.points.adjusted.v1": PointsAdjustedV1,
    "sanji.village.volunteer.left.v1": VolunteerLeftV1,
    "sanji.village.volunteer.rejoined.v1": VolunteerRejoinedV1,
    "sanji.township.filing.filed.v1": FilingFiledV1,
    "sanji.township.filing.rejected.v1": FilingRejectedV1,
    "sanji.township.filing.cancelled.v1": FilingCancelledV1,
    "sanji.township.charter.approved.v1": CharterApprovedV1,
    "sanji.township.inspection.recorded.v1": InspectionRecordedV1,
    "sanji.township.rectification.completed.v1": RectificationCompletedV1,
    "sanji.township.sample.drawn.v1": SampleDrawnV1,
    "sanji.county.sample.drawn.v1": SampleDrawnV1,
    "sanji.county.organisation.registered.v1": OrganisationRegisteredV1,
    "sanji.county.charter.approved.v1": CharterApprovedV1,
    "sanji.county.party_organisation.set_up.v1": PartyOrganisationSetUpV1,
    "sanji.county.annual_report.filed.v1": AnnualReportFiledV1,
    "sanji.county.rating.recorded.v1": RatingRecordedV1,
    "sanji.county.funding.awarded.v1": FundingAwardedV1,
    "sanji.county.organisation.deregistered.v1": OrganisationExitedV1,
    "sanji.county.organisation.revoked.v1": OrganisationExitedV1,
    "sanji.county.funding.disbursed.v1": FundingDisbursedV1,
    # Funding lifecycle (ADR 0011).
    "sanji.county.funding.evaluated.v1": FundingEvaluatedV1,
    "sanji.county.funding.closed.v1": FundingClosedV1,
    "sanji.county.funding_call.opened.v1": FundingCallOpenedV1,
    "sanji.county.funding_call.committed.v1": FundingCallCommittedV1,
    "sanji.county.funding_call.closed.v1": FundingCallClosedV1,
    "sanji.county.funding_application.submitted.v1": FundingApplicationSubmittedV1,
    "sanji.county.funding_application.approved.v1": FundingApplicationApprovedV1,
    "sanji.county.funding_application.rejected.v1": FundingApplicationRejectedV1,
    "sanji.county.programme_budget.set.v1": ProgrammeBudgetV1,
    "sanji.county.programme_budget.revised.v1": ProgrammeBudgetV1,
    "sanji.county.credit_list.entered.v1": CreditListEnteredV1,
    "sanji.county.credit_list.left.v1": CreditListLeftV1,
    "sanji.county.credit_list.triggered.v1": CreditListTriggeredV1,
    "sanji.county.credit_list.notified.v1": CreditListNotifiedV1,
    "sanji.county.credit_list.objection_lodged.v1": CreditObjectionLodgedV1,
    "sanji.county.credit_list.objection_decided.v1": CreditObjectionDecidedV1,
    "sanji.county.credit_list.rectification_verified.v1": RectificationVerifiedV1,
    "sanji.county.credit_list.removal_due_recomputed.v1": RemovalDueRecomputedV1,
    "sanji.county.grade.expired.v1": GradeExpiredV1,
    "sanji.county.division.changed.v1": DivisionChangedV1,
    "sanji.county.usci.claimed.v1": UsciClaimedV1,
    **{
        f"sanji.{tier}.platform.{action}.v1": payload
        for tier in ("village", "township", "county")
        for action, payload in (("opened", PlatformOpenedV1), ("closed", PlatformClosedV1))
    },
    **{
        f"sanji.{tier}.{subject}.v1": payload
        for tier in ("village", "township", "county")
        for subject, payload in (
            ("chain.checkpointed", ChainCheckpointedV1),
            ("report.issued", ReportIssuedV1),
        )
    },
    # Training courses (issue 16, ADR 0024): the county and the townships run them.
    **{
        f"sanji.{tier}.training.{action}.v1": payload
        for tier in ("township", "county")
        for action, payload in (
            ("scheduled", TrainingCourseV1),
            ("corrected", TrainingCourseV1),
            ("cancelled", TrainingCancelledV1),
            ("attendance_recorded", TrainingAttendanceV1),
            ("attendance_corrected", TrainingAttendanceV1),
        )
    },
    # Commendation rounds (issue 16, ADR 0024).
    **{
        f"sanji.{tier}.commendation.{action}.v1": payload
        for tier in ("township", "county")
        for action, payload in (
            ("opened", CommendationOpenedV1),
            ("decided", CommendationDecidedV1),
            ("published", CommendationPublishedV1),
        )
    },
    # Third-party evaluation (ADR 0026).
    "sanji.county.evaluator.registered.v1": EvaluatorRegisteredV1,
    **{
        f"sanji.county.evaluator.{a}.v1": EvaluatorStateV1
        for a in ("suspended", "resumed", "ended")
    },
    "sanji.county.evaluator.member_bound.v1": EvaluatorMemberBoundV1,
    "sanji.county.evaluation.assigned.v1": EvaluationAssignedV1,
    "sanji.county.evaluation.finding_recorded.v1": EvaluationFindingV1,
    "sanji.county.evaluation.decided.v1": EvaluationDecidedV1,
    "sanji.county.evaluation.closed.v1": EvaluationClosedV1,
    # Approval of periodic returns (ADR 0008): each tier publishes the steps it takes.
    "sanji.village.return.submitted.v1": ReturnSubmittedV1,
    **{f"sanji.township.return.{a}.v1": ReturnStepV1 for a in ("approved", "returned")},
    **{
        f"sanji.county.return.{a}.v1": ReturnStepV1
        for a in ("accepted", "returned", "unapproved", "unaccepted")
    },
    # Zombie exit (ADR 0009): the county for registered organisations, the township for filed
    # groups.
    "sanji.county.organisation.reinstated.v1": OrganisationReinstatedV1,
    "sanji.township.filing.reinstated.v1": OrganisationReinstatedV1,
    **{
        f"sanji.{tier}.zombie_exit.{action}.v1": payload
        for tier in ("township", "county")
        for action, payload in (
            ("noticed", ZombieExitNoticedV1),
            ("stopped", ZombieExitStoppedV1),
            ("exited", ZombieExitExitedV1),
            ("reversed", ZombieExitReversedV1),
        )
    },
    # Operator accounts (ADR 0012): every tier keeps its own.
    **{
        f"sanji.{tier}.account.{action}.v1": payload
        for tier in ("village", "township", "county")
        for action, payload in (
            ("created", AccountCreatedV1),
            ("changed", AccountChangedV1),
            ("disabled", AccountStatusV1),
            ("enabled", AccountStatusV1),
            ("password_changed", AccountPasswordChangedV1),
            ("login_failed", AccountLoginV1),
            ("locked", AccountLockedV1),
            ("logged_in", AccountLoginV1),
            ("logged_out", AccountLoginV1),
        )
    },
}
