"""Third-party evaluation routes (第三方评估, ADR 0026). The bureau (county operators) registers
evaluators, binds their accounts, assigns them organisations or funded projects, decides on
their findings and closes assignments; an evaluator's account (role ``evaluator``) lists its
organisation's assignments and records findings on them — nothing else (shared/api/deps.py
``EVALUATOR_ROUTES``, shared/api/scope.py ``_check_evaluator``)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, Field

from services.county.application import CountyApplication
from shared.api.commands import CREATED, CommandIn, CommandOut, Reason
from shared.api.deps import CommandMeta, Operator, Runtime
from shared.api.text import LongText, Name, ShortText
from shared.api.versions import VERSIONED, send_version, version_before_read
from shared.capabilities.evaluation import projection as rm
from shared.capabilities.evaluation.domain import ACTIVE, ENDED, MAX_TARGETS, SUSPENDED
from shared.capabilities.identity.accounts import EVALUATOR
from shared.kernel.domain import Actor, NotFound, OutOfJurisdiction


async def _app(runtime: Runtime) -> CountyApplication:
    assert isinstance(runtime.app, CountyApplication)
    return runtime.app


App = Annotated[CountyApplication, Depends(_app)]
router = APIRouter(prefix="/api/v1", tags=["county evaluation 第三方评估"])

Grade = Annotated[int, Field(description="评估等级 / grade 1–5 (1A–5A); others 422 invalid_grade")]
Score = Annotated[
    Decimal, Field(ge=0, max_digits=5, decimal_places=2, description="评分 / score (0–100)")
]
Ids = Annotated[list[UUID], Field(max_length=MAX_TARGETS)]


class EvaluatorIn(CommandIn):
    name: Name = Field(description="评估机构名称 / the evaluator's name")
    identifier: ShortText = Field(
        description="统一社会信用代码或其他登记号 / USCI or another registration number"
    )
    contact_role: ShortText = Field(
        description="联系人职务（不登记个人信息）/ the contact's role, no personal data"
    )


class EvaluatorStateIn(CommandIn):
    state: Literal["suspended", "active", "ended"] = Field(
        description="暂停 / 恢复 / 终止 · suspend, resume or end"
    )
    reason: LongText = Field(description="理由 / reason")


class MemberIn(CommandIn):
    account_id: UUID = Field(
        description="县级账号（唯一角色为 evaluator）/ a county account whose one role is evaluator"
    )


class AssignmentIn(CommandIn):
    evaluator_id: UUID = Field(description="评估机构 / the evaluator")
    kind: Literal["grade", "project"] = Field(
        description="等级评估（组织）或资助项目评估 / grade evaluation, or funded projects"
    )
    title: Name = Field(description="委托名称 / title")
    organisation_ids: Ids = Field(
        default_factory=list, description="等级评估的组织 / organisations (grade)"
    )
    award_ids: Ids = Field(default_factory=list, description="评估的资助项目 / awards (project)")
    due_on: date = Field(description="完成期限 / due date")


class FindingIn(CommandIn):
    organisation_id: UUID = Field(description="被评估组织 / the organisation evaluated")
    award_id: UUID | None = Field(None, description="资助项目（项目评估必填）/ the award")
    stage: Literal["mid_term", "final"] | None = Field(
        None, description="项目评估阶段 / a project's stage"
    )
    grade: Grade | None = Field(None, description="建议等级 1–5（等级评估必填）/ grade proposed")
    score: Score | None = Field(None, description="评分（项目评估必填）/ score")
    text: LongText = Field(description="评估意见 / the findings")
    evaluated_on: date = Field(description="评估日期 / day evaluated")
    corrects: UUID | None = Field(
        None, description="更正的评估意见 / the finding this one corrects"
    )


class DecisionIn(CommandIn):
    finding_id: UUID = Field(description="所依据的评估意见 / the finding decided on")
    outcome: Literal["accepted", "amended", "rejected"] = Field(
        description="采纳 / 改定 / 不予采纳 · accept, amend or reject"
    )
    grade: Grade | None = Field(None, description="改定的等级 / the grade decided (amended)")
    score: Score | None = Field(None, description="改定的评分 / the score decided (amended)")
    reason: LongText = Field(description="理由 / reason")


class EvaluatorOut(BaseModel):
    evaluator_id: UUID
    name: str
    identifier: str
    contact_role: str
    state: Literal["active", "suspended", "ended"]
    registered_on: date
    changed_on: date | None = None
    reason: str | None = None
    accounts: list[UUID] = Field(description="绑定的账号 / accounts bound")


class EvaluatorsOut(BaseModel):
    """评估机构 / The county's evaluators."""

    evaluators: list[EvaluatorOut]


class AssignmentRow(BaseModel):
    assignment_id: UUID
    evaluator_id: UUID
    evaluator_name: str | None
    kind: Literal["grade", "project"]
    title: str
    due_on: date
    assigned_on: date
    assigned_by: str = Field(description="委托人 / who assigned it")
    closed_on: date | None
    targets: int
    findings: int = Field(description="现行评估意见 / current findings")
    decisions: int


class AssignmentsOut(BaseModel):
    """评估委托 / Assignments (an evaluator: its organisation's only)."""

    assignments: list[AssignmentRow]


class TargetOut(BaseModel):
    organisation_id: UUID
    name: str | None
    award_id: UUID | None
    village_code: str


class FindingOut(BaseModel):
    finding_id: UUID
    organisation_id: UUID
    award_id: UUID | None
    stage: str | None
    grade: int | None
    score: Decimal | None
    text: str
    evaluated_on: date
    recorded_on: date
    recorded_by: str = Field(description="评估人 / who recorded it")
    corrects: UUID | None
    superseded_by: UUID | None


class DecisionOut(BaseModel):
    finding_id: UUID
    organisation_id: UUID
    award_id: UUID | None
    outcome: str
    grade: int | None
    score: Decimal | None
    reason: str
    decided_on: date
    decided_by: str = Field(description="决定人 / who decided")


class AssignmentOut(BaseModel):
    """一项评估委托 / One assignment: targets, findings (with corrections) and decisions."""

    assignment_id: UUID
    evaluator_id: UUID
    evaluator_name: str | None
    kind: Literal["grade", "project"]
    title: str
    due_on: date
    assigned_on: date
    assigned_by: str
    closed_on: date | None
    targets: list[TargetOut]
    findings: list[FindingOut]
    decisions: list[DecisionOut]


class YearOut(BaseModel):
    year: int
    assignments: int
    findings: int
    decisions: int


class EvaluationYearsOut(BaseModel):
    """每年第三方评估工作量 / Evaluations done per year at the county."""

    years: list[YearOut]


def _reader(operator: Actor, runtime: Any) -> None:
    """The bureau's reads: county-wide accounts only (evaluators read their assignments)."""
    if not operator.has(EVALUATOR) and operator.division != runtime.jurisdiction.county.code:
        raise OutOfJurisdiction("out_of_jurisdiction", "仅县级局方可查看 / county-wide only")


def _mine(operator: Actor, app: CountyApplication) -> str | None:
    """The evaluator whose assignments an evaluator's account sees (None: the bureau's)."""
    if not operator.has(EVALUATOR):
        return None
    evaluator = app.evaluator_of(operator.id)
    if evaluator is None:
        raise OutOfJurisdiction(
            "evaluator_unbound", "该账号尚未绑定评估机构 / the account is bound to no evaluator"
        )
    return str(evaluator)


# ------------------------------------------------------------------ evaluators (the bureau)


@router.post("/evaluators", status_code=CREATED)
def register_evaluator(body: EvaluatorIn, meta: CommandMeta, app: App) -> CommandOut:
    """登记评估机构 / Register an outside evaluator (409 ``evaluator_exists``)."""
    return CommandOut.of(
        app.register_evaluator(body.name, body.identifier, body.contact_role, meta)
    )


@router.get("/evaluators", response_model=EvaluatorsOut)
def list_evaluators(operator: Operator, runtime: Runtime) -> dict[str, Any]:
    """评估机构 / The county's evaluators, with their state and bound accounts."""
    _reader(operator, runtime)
    with runtime.db.transaction() as tx:
        return {"evaluators": rm.evaluators(tx)}


@router.post("/evaluators/{evaluator_id}/state")
def change_evaluator(
    evaluator_id: UUID, body: EvaluatorStateIn, meta: CommandMeta, app: App
) -> CommandOut:
    """暂停、恢复或终止评估机构 / Suspend, resume or end (409 ``evaluator_state``)."""
    state = {"suspended": SUSPENDED, "active": ACTIVE, "ended": ENDED}[body.state]
    return CommandOut.of(app.change_evaluator(evaluator_id, state, body.reason, meta))


@router.post("/evaluators/{evaluator_id}/members", status_code=CREATED)
def bind_member(evaluator_id: UUID, body: MemberIn, meta: CommandMeta, app: App) -> CommandOut:
    """绑定评估人员账号 / Bind an evaluator account (422 ``not_an_evaluator_account``, 409
    ``account_already_bound``)."""
    return CommandOut.of(app.bind_evaluator_account(evaluator_id, body.account_id, meta))


# ------------------------------------------------------------------ assignments


@router.post("/evaluation-assignments", status_code=CREATED)
def assign(body: AssignmentIn, meta: CommandMeta, app: App) -> CommandOut:
    """委托评估 / Assign an evaluator registered organisations (grade) or funded projects
    (409 ``evaluator_inactive``, ``not_registered``, ``award_closed``; 422 ``due_in_past``,
    ``assignment_targets``)."""
    return CommandOut.of(
        app.assign_evaluation(
            body.evaluator_id,
            body.kind,
            body.title,
            body.organisation_ids,
            body.award_ids,
            body.due_on,
            meta,
        )
    )


@router.get("/evaluation-assignments", response_model=AssignmentsOut)
def list_assignments(operator: Operator, runtime: Runtime, app: App) -> dict[str, Any]:
    """评估委托 / Assignments: all of them for the bureau, an evaluator's own for it."""
    mine = _mine(operator, app)
    if mine is None:
        _reader(operator, runtime)
    with runtime.db.transaction() as tx:
        return {"assignments": rm.assignments(tx, mine)}


@router.get(
    "/evaluation-assignments/{assignment_id}", response_model=AssignmentOut, responses=VERSIONED
)
def get_assignment(
    assignment_id: UUID, operator: Operator, runtime: Runtime, app: App, response: Response
) -> dict[str, Any]:
    """一项评估委托 / One assignment with its targets, findings and decisions (404
    ``unknown_assignment`` until projected); ``ETag``: the assignment's version, for
    ``If-Match`` (ADR 0035)."""
    if _mine(operator, app) is None:
        _reader(operator, runtime)
    tag = version_before_read(runtime, assignment_id)
    with runtime.db.transaction() as tx:
        found = rm.assignment(tx, str(assignment_id))
    if found is None:
        raise NotFound("unknown_assignment", f"没有评估委托 {assignment_id} / no assignment")
    found["targets"] = [
        {**t, "organisation_id": t["org_id"], "award_id": t["award_key"] or None}
        for t in found["targets"]
    ]
    for row in (*found["findings"], *found["decisions"]):
        row["organisation_id"] = row["org_id"]
    send_version(response, tag)
    return found


@router.post("/evaluation-assignments/{assignment_id}/closure")
def close_assignment(assignment_id: UUID, body: Reason, meta: CommandMeta, app: App) -> CommandOut:
    """结束评估委托 / Close: no more findings (409 ``assignment_closed``)."""
    return CommandOut.of(app.close_assignment(assignment_id, body.reason, meta))


@router.post("/evaluation-assignments/{assignment_id}/findings", status_code=CREATED)
def record_finding(assignment_id: UUID, body: FindingIn, meta: CommandMeta, app: App) -> CommandOut:
    """记录评估意见（评估机构人员）/ Record a finding (the evaluator's people only): 409
    ``assignment_closed``, ``finding_exists`` (send a correction: ``corrects``),
    ``finding_decided``, ``evaluator_inactive``; 422 ``invalid_grade``, ``grade_required``,
    ``project_finding_incomplete``; 403 outside the evaluator's assignments."""
    return CommandOut.of(
        app.record_finding(
            assignment_id,
            body.organisation_id,
            body.award_id,
            body.stage,
            body.grade,
            body.score,
            body.text,
            body.evaluated_on,
            body.corrects,
            meta,
        )
    )


@router.post("/evaluation-assignments/{assignment_id}/decisions", status_code=CREATED)
def decide(assignment_id: UUID, body: DecisionIn, meta: CommandMeta, app: App) -> CommandOut:
    """局方决定 / The bureau's decision on a finding: accepted (the proposed grade or score is
    recorded as the organisation's rating, or the project's evaluation), amended (the bureau's
    own) or rejected; 409 ``finding_required``, ``finding_superseded``, ``already_decided``,
    ``grade_ineligible_*``; 422 ``invalid_grade``, ``decision_value_required``."""
    return CommandOut.of(
        app.decide_finding(
            assignment_id,
            body.finding_id,
            body.outcome,
            body.grade,
            body.score,
            body.reason,
            meta,
        )
    )


@router.get("/evaluation-figures", response_model=EvaluationYearsOut)
def figures(operator: Operator, runtime: Runtime) -> dict[str, Any]:
    """每年评估工作量 / Assignments made, findings recorded (current ones) and decisions
    taken per year at the county."""
    _reader(operator, runtime)
    with runtime.db.transaction() as tx:
        return {"years": rm.done_per_year(tx)}
