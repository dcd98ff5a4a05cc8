"""Third-party evaluation (第三方评估, issue 16 item 3, ADR 0026): the evaluator organisations the
county bureau engages, the accounts bound to them, and the assignments they are given; the
findings their people record and the bureau's decisions on them are events of the assignment.

An evaluator proposes, the bureau decides: a finding never changes an organisation's grade or a
project's evaluation by itself; the decision does, through the county's own commands, in the
same transaction as the ``Decided`` event that links the two.

Event class paths are a storage contract (ADR 0002): never rename, version with class_version.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from uuid import NAMESPACE_URL, UUID, uuid5

from shared.kernel.domain import Conflict, InvalidInput, Meta, NotFound, OutOfJurisdiction
from shared.kernel.domain import SanjiAggregate as Agg

GRADE, PROJECT = "grade", "project"  # 等级评估 1A–5A; a funded project's evaluation
KINDS = (GRADE, PROJECT)
ACTIVE, SUSPENDED, ENDED = "active", "suspended", "ended"
ACCEPTED, AMENDED, REJECTED = "accepted", "amended", "rejected"
OUTCOMES = (ACCEPTED, AMENDED, REJECTED)
MIN_GRADE, MAX_GRADE = 1, 5  # 1A–5A
MAX_SCORE = Decimal(100)
MAX_TARGETS = 200  # one assignment is one contract's batch, not the whole county


def evaluator_id_for(identifier: str) -> UUID:
    """One evaluator per identifier (USCI): registering it again collides (409)."""
    return uuid5(NAMESPACE_URL, f"sanji:evaluator:{identifier}")


def member_id_for(account_id: UUID | str) -> UUID:
    """The binding of one account: derived from the account, so an account is bound to one
    evaluator at most, and a request finds its binding with one read of the store."""
    return uuid5(NAMESPACE_URL, f"sanji:evaluator-member:{UUID(str(account_id))}")


def finding_id_for(assignment_id: UUID, sequence: int) -> UUID:
    return uuid5(NAMESPACE_URL, f"sanji:evaluation-finding:{assignment_id}:{sequence}")


def check_grade(grade: int | None) -> None:
    if grade is not None and not MIN_GRADE <= grade <= MAX_GRADE:
        raise InvalidInput(
            "invalid_grade",
            f"评估等级须为 1–5（1A–5A），收到 {grade} / a grade is 1–5 (1A–5A), got {grade}",
        )


def check_score(score: Decimal | None, maximum: Decimal = MAX_SCORE) -> None:
    if score is not None and not 0 <= score <= maximum:
        raise InvalidInput(
            "score_out_of_range", f"评分须在 0–{maximum} 之间 / a score is within 0–{maximum}"
        )


class Evaluator(Agg):
    """An outside body the bureau engages to evaluate (评估机构): registered, suspended,
    resumed, ended. Only the contact's role is kept, never a person's details."""

    if TYPE_CHECKING:
        division_code: str
        name: str
        identifier: str
        state: str

    began_by = ("before_evaluator_registered", "评估机构登记", "evaluator's registration")

    class Event(Agg.Event):
        ID_NAME = "evaluator_id"
        ABOUT_ORGANISATION = False

    class Registered(Event, Agg.Created):
        division_code: str  # the county
        name: str
        identifier: str  # USCI, or another registration number
        contact_role: str

        def apply(self, evaluator: Any) -> None:
            evaluator.division_code = self.division_code
            evaluator.name, evaluator.identifier = self.name, self.identifier
            evaluator.state = ACTIVE

    class Suspended(Event):
        division_code: str
        reason: str

        def apply(self, evaluator: Any) -> None:
            evaluator.state = SUSPENDED

    class Resumed(Event):
        division_code: str
        reason: str

        def apply(self, evaluator: Any) -> None:
            evaluator.state = ACTIVE

    class Ended(Event):
        division_code: str
        reason: str

        def apply(self, evaluator: Any) -> None:
            evaluator.state = ENDED

    @classmethod
    def register(cls, meta: Meta, **fields: Any) -> Evaluator:
        id = evaluator_id_for(fields["identifier"])
        return cls._create(cls.Registered, id=id, meta=meta, **fields)

    def check_active(self) -> None:
        if self.state != ACTIVE:
            raise Conflict(
                "evaluator_inactive",
                f"评估机构 {self.name} 已暂停或终止 / the evaluator is {self.state}",
            )

    def change(self, state: str, reason: str, meta: Meta) -> None:
        allowed = {SUSPENDED: (ACTIVE,), ACTIVE: (SUSPENDED,), ENDED: (ACTIVE, SUSPENDED)}
        if self.state not in allowed[state]:
            raise Conflict(
                "evaluator_state",
                f"评估机构当前为 {self.state}，不能变为 {state} / cannot go from {self.state} "
                f"to {state}",
            )
        event = {SUSPENDED: self.Suspended, ACTIVE: self.Resumed, ENDED: self.Ended}[state]
        self.trigger_event(event, division_code=self.division_code, reason=reason, meta=meta)


class EvaluatorMember(Agg):
    """An account bound to an evaluator: the account may act only on that evaluator's
    assignments (shared/api/scope.py enforces it for every route)."""

    if TYPE_CHECKING:
        division_code: str
        evaluator_id: UUID
        account_id: UUID

    class Event(Agg.Event):
        ID_NAME = "member_id"
        ABOUT_ORGANISATION = False

    class Bound(Event, Agg.Created):
        division_code: str
        evaluator_id: UUID
        account_id: UUID

        def apply(self, member: Any) -> None:
            member.division_code = self.division_code
            member.evaluator_id, member.account_id = self.evaluator_id, self.account_id

    @classmethod
    def bind(cls, account_id: UUID, meta: Meta, **fields: Any) -> EvaluatorMember:
        return cls._create(
            cls.Bound, id=member_id_for(account_id), meta=meta, account_id=account_id, **fields
        )


class Assignment(Agg):
    """The bureau gives an evaluator a set of organisations (grade evaluation) or funded
    projects (their awards) to evaluate by a due date. Findings and decisions are its events:
    one aggregate per assignment serialises a correction against the decision on it."""

    if TYPE_CHECKING:
        division_code: str
        evaluator_id: UUID
        kind: str
        targets: list[dict[str, Any]]
        due_on: date
        closed: bool
        findings: dict[str, dict[str, Any]]
        decided: dict[str, str]  # organisation id → the finding decided on

    began_by = ("before_assignment", "评估委托", "assignment")

    class Event(Agg.Event):
        ID_NAME = "assignment_id"

    class Made(Event, Agg.Created):
        ABOUT_ORGANISATION = False
        division_code: str
        evaluator_id: UUID
        kind: str
        title: str
        targets: list[dict[str, Any]]  # [{organisation_id, award_id|None, village_code}]
        due_on: date

        def apply(self, assignment: Any) -> None:
            assignment.division_code = self.division_code
            assignment.evaluator_id, assignment.kind = self.evaluator_id, self.kind
            assignment.targets, assignment.due_on = self.targets, self.due_on
            assignment.closed = False
            assignment.findings, assignment.decided = {}, {}

    class FindingRecorded(Event):
        organisation_id: UUID
        village_code: str
        evaluator_id: UUID
        finding_id: UUID
        award_id: UUID | None
        stage: str | None  # a project's mid_term or final evaluation
        grade: int | None
        score: Decimal | None
        text: str
        evaluated_on: date
        corrects: UUID | None  # the finding this one replaces

        def apply(self, assignment: Any) -> None:
            if self.corrects is not None:
                assignment.findings[str(self.corrects)]["superseded"] = True
            assignment.findings[str(self.finding_id)] = {
                "organisation_id": str(self.organisation_id),
                "award_id": str(self.award_id) if self.award_id else None,
                "stage": self.stage,
                "grade": self.grade,
                "score": self.score,
                "superseded": False,
                "version": self.originator_version,  # answers a retried request (its id)
            }

    class Decided(Event):
        organisation_id: UUID
        village_code: str
        finding_id: UUID
        award_id: UUID | None
        outcome: str
        grade: int | None
        score: Decimal | None
        reason: str

        def apply(self, assignment: Any) -> None:
            assignment.decided[str(self.organisation_id)] = str(self.finding_id)

    class Closed(Event):
        ABOUT_ORGANISATION = False
        division_code: str
        reason: str

        def apply(self, assignment: Any) -> None:
            assignment.closed = True

    @classmethod
    def make(cls, id: UUID, meta: Meta, **fields: Any) -> Assignment:
        return cls._create(cls.Made, id=id, meta=meta, **fields)

    def target(self, organisation_id: UUID, award_id: UUID | None) -> dict[str, Any]:
        """The assignment's entry for this organisation (and award): 403 ``not_assigned``
        otherwise (the scope check refuses it first; this guards a direct call too)."""
        for t in self.targets:
            if t["organisation_id"] == str(organisation_id) and (
                self.kind == GRADE or t["award_id"] == (str(award_id) if award_id else None)
            ):
                return t
        raise OutOfJurisdiction(
            "not_assigned", "该组织或项目不在本评估委托中 / not part of this assignment"
        )

    def latest_finding(self, organisation_id: UUID) -> str | None:
        for fid, f in self.findings.items():
            if f["organisation_id"] == str(organisation_id) and not f["superseded"]:
                return fid
        return None

    def record_finding(self, meta: Meta, organisation_id: UUID, **fields: Any) -> UUID:
        if self.closed:
            raise Conflict(
                "assignment_closed", "评估委托已结束，不能再记录评估意见 / the assignment is closed"
            )
        target = self.target(organisation_id, fields["award_id"])
        org = str(organisation_id)
        if org in self.decided:
            raise Conflict(
                "finding_decided",
                "局方已对该组织的评估意见作出决定，不能再更正 / the bureau has decided on it",
            )
        latest, corrects = self.latest_finding(organisation_id), fields["corrects"]
        if corrects is None and latest is not None:
            raise Conflict(
                "finding_exists",
                f"已有评估意见 {latest}，请以更正方式提交 / a finding exists: send a correction "
                "naming it (corrects)",
            )
        if corrects is not None and str(corrects) != latest:
            raise Conflict(
                "finding_not_current",
                "只能更正该组织当前有效的评估意见 / only the current finding can be corrected",
            )
        finding_id = finding_id_for(self.id, len(self.findings) + 1)
        self.trigger_event(
            self.FindingRecorded,
            organisation_id=organisation_id,
            village_code=target["village_code"],
            evaluator_id=self.evaluator_id,
            finding_id=finding_id,
            meta=meta,
            **fields,
        )
        return finding_id

    def finding_at(self, version: int) -> UUID | None:
        """The finding recorded at ``version`` (a retried request answers its id)."""
        for fid, f in self.findings.items():
            if f["version"] == version:
                return UUID(fid)
        return None

    def finding(self, finding_id: UUID) -> dict[str, Any]:
        """The finding a decision is on: 409 ``finding_required`` unless it is this assignment's
        current finding of an organisation that has no decision yet."""
        found = self.findings.get(str(finding_id))
        if found is None:
            raise Conflict(
                "finding_required",
                "本评估委托中没有该评估意见，须先有评估意见才能决定 / no such finding in this "
                "assignment: a decision needs one",
            )
        if found["superseded"]:
            raise Conflict("finding_superseded", "该评估意见已被更正 / the finding was corrected")
        if found["organisation_id"] in self.decided:
            raise Conflict("already_decided", "已对该组织作出决定 / already decided")
        return found

    def decide(self, finding_id: UUID, meta: Meta, **fields: Any) -> None:
        found = self.finding(finding_id)
        target = self.target(UUID(found["organisation_id"]), _uuid(found["award_id"]))
        self.trigger_event(
            self.Decided,
            organisation_id=UUID(found["organisation_id"]),
            village_code=target["village_code"],
            finding_id=finding_id,
            award_id=_uuid(found["award_id"]),
            meta=meta,
            **fields,
        )

    def close(self, reason: str, meta: Meta) -> None:
        if self.closed:
            raise Conflict("assignment_closed", "评估委托已结束 / the assignment is closed")
        self.trigger_event(self.Closed, division_code=self.division_code, reason=reason, meta=meta)


def _uuid(value: str | None) -> UUID | None:
    return UUID(value) if value else None


def check_known(found: Any, cls: type, what: str, id: UUID) -> Any:
    if not isinstance(found, cls):
        raise NotFound(f"unknown_{what}", f"没有 {id} / no {what} {id}")
    return found


def evaluation_events() -> dict[type, str]:
    """The county's ``published`` entries for evaluation events (ADR 0002)."""
    e, a = "sanji.county.evaluator", "sanji.county.evaluation"
    return {
        Evaluator.Registered: f"{e}.registered.v1",
        Evaluator.Suspended: f"{e}.suspended.v1",
        Evaluator.Resumed: f"{e}.resumed.v1",
        Evaluator.Ended: f"{e}.ended.v1",
        EvaluatorMember.Bound: f"{e}.member_bound.v1",
        Assignment.Made: f"{a}.assigned.v1",
        Assignment.FindingRecorded: f"{a}.finding_recorded.v1",
        Assignment.Decided: f"{a}.decided.v1",
        Assignment.Closed: f"{a}.closed.v1",
    }
