"""Third-party evaluation commands of the county bureau and its evaluators (ADR 0026): register
an evaluator and change its state, bind an account to it, assign it organisations or funded
projects, record findings (the evaluator), decide on them (the bureau) and close an assignment.
Mixed into ``CountyApplication``.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from uuid import UUID

from services.county.domain import FundingAward, Registration
from shared.capabilities.evaluation.domain import (
    ACCEPTED,
    AMENDED,
    ENDED,
    GRADE,
    KINDS,
    MAX_TARGETS,
    OUTCOMES,
    PROJECT,
    REJECTED,
    Assignment,
    Evaluator,
    EvaluatorMember,
    check_grade,
    check_known,
    check_score,
    evaluator_id_for,
    member_id_for,
)
from shared.capabilities.identity.accounts import Account
from shared.kernel.domain import (
    CommandResult,
    Conflict,
    InvalidInput,
    Meta,
    OutOfJurisdiction,
    legal_date,
)

if TYPE_CHECKING:
    from shared.kernel.rules import RuleVersion
    from shared.tier.application import TierApplication

    _Base = TierApplication
else:
    _Base = object


class Evaluations(_Base):
    if TYPE_CHECKING:  # supervision's and funding's, mixed into the same application

        def rate_on(
            self,
            reg: Registration,
            credit: str | None,
            grade: int | None,
            grade_valid_until: date | None,
            stars: int | None,
            meta: Meta,
        ) -> None: ...

        def evaluate_on(
            self, award: FundingAward, stage: str, score: Decimal, comment: str, meta: Meta
        ) -> None: ...

        def funding_rule(self, day: date) -> RuleVersion: ...

    # ------------------------------------------------------------ evaluators

    def _county(self, meta: Meta) -> str:
        county = self.jurisdiction.county.code
        self.check_jurisdiction(meta, county)  # county-wide operators only
        return county

    def evaluator(self, evaluator_id: UUID) -> Evaluator:
        return check_known(self.find(evaluator_id), Evaluator, "evaluator", evaluator_id)

    def register_evaluator(
        self, name: str, identifier: str, contact_role: str, meta: Meta
    ) -> CommandResult:
        """The bureau engages an outside evaluator: 409 ``evaluator_exists`` for an identifier
        registered before (a retry with the same Idempotency-Key answers the original)."""
        county = self._county(meta)
        identifier = identifier.strip().upper()
        id = evaluator_id_for(identifier)
        if replayed := self.replay_create(id, meta, "evaluator_exists"):
            return replayed
        evaluator = Evaluator.register(
            meta,
            division_code=county,
            name=name,
            identifier=identifier,
            contact_role=contact_role,
        )
        return self.commit(evaluator, evaluator.id)

    def change_evaluator(
        self, evaluator_id: UUID, state: str, reason: str, meta: Meta
    ) -> CommandResult:
        """Suspend, resume or end an evaluator (its accounts then record no finding)."""
        self._county(meta)
        evaluator = self.evaluator(evaluator_id)
        if replayed := self.replay(evaluator, meta):
            return replayed
        evaluator.change(state, reason, meta)
        return self.commit(evaluator)

    def bind_evaluator_account(
        self, evaluator_id: UUID, account_id: UUID, meta: Meta
    ) -> CommandResult:
        """Bind a county account whose only role is ``evaluator`` to an evaluator; an account
        is bound once (409 ``account_already_bound``)."""
        county = self._county(meta)
        evaluator = self.evaluator(evaluator_id)
        account = self.find(account_id)
        if not isinstance(account, Account):
            raise InvalidInput("unknown_account", f"没有账号 {account_id} / no account")
        if list(account.roles) != ["evaluator"]:
            raise InvalidInput(
                "not_an_evaluator_account",
                "只能绑定仅有“第三方评估”角色的账号 / only an account whose one role is "
                "evaluator can be bound",
            )
        if replayed := self.replay_create(member_id_for(account_id), meta, "account_already_bound"):
            return replayed
        if evaluator.state == ENDED:
            evaluator.check_active()
        member = EvaluatorMember.bind(
            account_id, meta, division_code=county, evaluator_id=evaluator.id
        )
        return self.commit(member, evaluator.id)

    def evaluator_of(self, account_id: str | UUID) -> UUID | None:
        """The evaluator an account is bound to (its own store: no projection lag)."""
        member = self.find(member_id_for(account_id))
        return member.evaluator_id if isinstance(member, EvaluatorMember) else None

    # ------------------------------------------------------------ assignments

    def assignment(self, assignment_id: UUID) -> Assignment:
        return check_known(self.find(assignment_id), Assignment, "assignment", assignment_id)

    def assign_evaluation(
        self,
        evaluator_id: UUID,
        kind: str,
        title: str,
        organisation_ids: list[UUID],
        award_ids: list[UUID],
        due_on: date,
        meta: Meta,
    ) -> CommandResult:
        """Assign an active evaluator registered organisations (``grade``) or funded projects
        (``project``: awards not closed) to evaluate by ``due_on``."""
        county = self._county(meta)
        if kind not in KINDS:
            raise InvalidInput("unknown_evaluation_kind", "评估类型须为 grade 或 project")
        if due_on < legal_date(meta.effective_at):
            raise InvalidInput("due_in_past", f"完成期限 {due_on} 早于委托日 / due before today")
        named = award_ids if kind == PROJECT else organisation_ids
        other = organisation_ids if kind == PROJECT else award_ids
        if not named or other:
            raise InvalidInput(
                "assignment_targets",
                "等级评估须列出组织（organisation_ids），项目评估须列出资助项目（award_ids），"
                "二者不可混用 / a grade evaluation names organisations, a project evaluation "
                "awards, not both",
            )
        if len(set(named)) > MAX_TARGETS:
            raise InvalidInput("too_many_targets", f"一次委托至多 {MAX_TARGETS} 项 / at most")
        evaluator = self.evaluator(evaluator_id)
        evaluator.check_active()
        id, replayed = self.create_id(meta)
        if replayed:
            return replayed
        targets = [self._target(kind, i) for i in dict.fromkeys(named)]
        assignment = Assignment.make(
            id,
            meta,
            division_code=county,
            evaluator_id=evaluator.id,
            kind=kind,
            title=title,
            targets=targets,
            due_on=due_on,
        )
        return self.commit(assignment)

    def _target(self, kind: str, id: UUID) -> dict[str, Any]:
        if kind == GRADE:
            reg = self.find(id)
            if not isinstance(reg, Registration) or reg.status != "registered":
                raise Conflict(
                    "not_registered",
                    f"组织 {id} 不是已登记的社会组织，不能参加等级评估 / not a registered "
                    "organisation",
                )
            return {"organisation_id": str(id), "award_id": None, "village_code": reg.village_code}
        award = self.find(id)
        if not isinstance(award, FundingAward):
            raise Conflict("unknown_award", f"没有资助项目 {id} / no award {id}")
        if award.closed:
            raise Conflict("award_closed", f"资助项目 {id} 已结项 / the project is closed")
        return {
            "organisation_id": str(award.organisation_id),
            "award_id": str(id),
            "village_code": award.village_code,
        }

    def close_assignment(self, assignment_id: UUID, reason: str, meta: Meta) -> CommandResult:
        self._county(meta)
        assignment = self.assignment(assignment_id)
        if replayed := self.replay(assignment, meta):
            return replayed
        assignment.close(reason, meta)
        return self.commit(assignment)

    # ------------------------------------------------------------ the evaluator's findings

    def record_finding(
        self,
        assignment_id: UUID,
        organisation_id: UUID,
        award_id: UUID | None,
        stage: str | None,
        grade: int | None,
        score: Decimal | None,
        text: str,
        evaluated_on: date,
        corrects: UUID | None,
        meta: Meta,
    ) -> CommandResult:
        """An evaluator's finding on one organisation or project of its assignment; a
        correction names the finding it replaces (the old one stays, superseded)."""
        if not meta.actor.has("evaluator"):
            raise OutOfJurisdiction(
                "evaluator_only",
                "评估意见只能由受托评估机构的人员记录 / only an evaluator records findings",
            )
        assignment = self.assignment(assignment_id)
        if self.evaluator_of(meta.actor.id) != assignment.evaluator_id:
            raise OutOfJurisdiction("not_assigned", "不是本机构的评估委托 / not your assignment")
        if replayed := self.replay(assignment, meta, organisation_id):
            found = assignment.finding_at(replayed.version)
            return replace(replayed, id=found) if found else replayed
        self.evaluator(assignment.evaluator_id).check_active()
        if evaluated_on > legal_date(self.clock()):
            raise InvalidInput("date_in_future", f"评估日期 {evaluated_on} 在未来 / in the future")
        check_grade(grade)
        if assignment.kind == GRADE:
            if grade is None:
                raise InvalidInput("grade_required", "等级评估须提出评估等级 / propose a grade")
            check_score(score)
            if award_id is not None or stage is not None:
                raise InvalidInput("not_a_project", "等级评估不填资助项目 / no award here")
        else:
            if award_id is None or score is None or stage not in ("mid_term", "final"):
                raise InvalidInput(
                    "project_finding_incomplete",
                    "项目评估须填资助项目、评估阶段（中期/终期）和评分 / a project finding names "
                    "the award, the stage and a score",
                )
            maximum = Decimal(str(self.funding_rule(evaluated_on).parameters["max_score"]))
            check_score(score, maximum)
            if grade is not None:
                raise InvalidInput("not_a_grade", "项目评估不提等级 / no grade for a project")
        finding_id = assignment.record_finding(
            meta,
            organisation_id,
            award_id=award_id,
            stage=stage,
            grade=grade,
            score=score,
            text=text,
            evaluated_on=evaluated_on,
            corrects=corrects,
        )
        self.save(assignment)
        return CommandResult(finding_id, assignment.version, organisation_id)

    # ------------------------------------------------------------ the bureau's decision

    def decide_finding(
        self,
        assignment_id: UUID,
        finding_id: UUID,
        outcome: str,
        grade: int | None,
        score: Decimal | None,
        reason: str,
        meta: Meta,
    ) -> CommandResult:
        """The bureau decides on a finding: ``accepted`` records the proposed grade (or project
        evaluation), ``amended`` the bureau's own, ``rejected`` nothing more. The rating or the
        project's evaluation is saved with the ``Decided`` event in one transaction, its
        causation the finding, so the trail links who evaluated and who decided."""
        self._county(meta)
        if outcome not in OUTCOMES:
            raise InvalidInput("unknown_outcome", "决定须为 accepted、amended 或 rejected")
        check_grade(grade)
        assignment = self.assignment(assignment_id)
        if replayed := self.replay(assignment, meta):
            return replayed
        found = assignment.finding(finding_id)
        if outcome == ACCEPTED:
            grade, score = found["grade"], found["score"]
        elif outcome == AMENDED and (grade if assignment.kind == GRADE else score) is None:
            raise InvalidInput(
                "decision_value_required",
                "改定须给出局方认定的等级（等级评估）或评分（项目评估） / an amended decision "
                "gives the grade or score decided",
            )
        elif outcome == REJECTED:
            grade = score = None
        caused = replace(meta, causation_id=str(finding_id))
        changed: list[Any] = [assignment]
        if outcome != REJECTED:
            org = UUID(found["organisation_id"])
            if assignment.kind == GRADE:
                reg = self.load(Registration, org, "organisation")
                self.rate_on(reg, None, grade, None, None, caused)
                changed.append(reg)
            else:
                assert score is not None and found["award_id"] is not None
                award = self.load(FundingAward, UUID(found["award_id"]), "award")
                rule = self.funding_rule(legal_date(meta.effective_at))
                check_score(score, Decimal(str(rule.parameters["max_score"])))
                comment = f"第三方评估意见 {finding_id} / third-party finding"
                self.evaluate_on(award, found["stage"], score, comment, caused)
                changed.append(award)
        assignment.decide(
            finding_id, meta, outcome=outcome, grade=grade, score=score, reason=reason
        )
        self.save(*changed)
        return CommandResult(assignment.id, assignment.version, UUID(found["organisation_id"]))
