"""County supervision commands: credit-list triggers, notices, objections, verified
rectification, grade eligibility, and the timer step that records what the rules make due
(domain.md §3; ADR 0007). Mixed into ``CountyApplication``."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from services.county import credit
from services.county.domain import Registration
from shared.capabilities.commendations.application import check_participation
from shared.kernel.backdating import period_start
from shared.kernel.domain import (
    Actor,
    CommandResult,
    Conflict,
    InvalidInput,
    Meta,
    legal_date,
    system_actor,
)
from shared.kernel.rules import RuleVersion, months_before

if TYPE_CHECKING:
    from shared.tier.application import TierApplication

    _Base = TierApplication
else:
    _Base = object

MAX_STEPS = 8  # things due for one organisation in one run (removal, escalation, …): a bound


@dataclass(frozen=True)
class Recorded:
    """One event the timer step recorded."""

    organisation_id: UUID
    event: str
    credit_list: str | None
    reason: str | None
    effective_on: date
    rule_version: str


class Supervision(_Base):
    """Credit lists and grades: the county's clock-driven rules."""

    # ------------------------------------------------------------ rules in force

    def credit_rules(self, day: date) -> credit.CreditRules:
        # version_on refuses a day before the family's first version with 409
        # rule_not_in_force naming the family (in_force would name density, issue 12).
        return credit.CreditRules.of(self.rules.version_on("credit", day))

    def evaluation_rule(self, day: date) -> RuleVersion:
        return self.rules.version_on("evaluation", day)

    # ------------------------------------------------------------ commands

    def _act_on(
        self, organisation_id: UUID, meta: Meta
    ) -> tuple[Registration, CommandResult | None]:
        reg = self.load(Registration, organisation_id, "organisation")
        self.check_jurisdiction(meta, reg.village_code)
        return reg, self.replay(reg, meta)

    def enter_credit_list(
        self, organisation_id: UUID, credit_list: str, reason: str, meta: Meta
    ) -> CommandResult:
        """Put on a list by decision (no reason code; for a trigger see record_credit_trigger)."""
        return self._credit(
            organisation_id,
            meta,
            "enter_credit_list",
            credit_list=credit_list,
            reason=reason,
            clock_from=self.clock_from(meta),  # backdated: its clocks run from today (ADR 0013)
        )

    def leave_credit_list(
        self, organisation_id: UUID, credit_list: str, reason: str, meta: Meta
    ) -> CommandResult:
        return self._credit(
            organisation_id, meta, "leave_credit_list", credit_list=credit_list, reason=reason
        )

    def record_credit_trigger(
        self, organisation_id: UUID, trigger: str, reason: str, meta: Meta
    ) -> CommandResult:
        """A trigger of the abnormal list: entry, or a restart of its clock if listed."""
        rules = self.credit_rules(legal_date(meta.effective_at))
        if trigger not in rules.triggers:
            raise InvalidInput(
                "unknown_trigger", f"{trigger!r} is not a trigger of {rules.version}"
            )
        reg, replayed = self._act_on(organisation_id, meta)
        if replayed:
            return replayed
        reg.record_trigger(
            trigger,
            reason,
            rules.triggers[trigger],
            replace(meta, rule_version=rules.version),
            self.clock_from(meta),
        )
        return self.commit(reg)

    def clock_from(self, meta: Meta) -> date | None:
        """The recording day, for an act dated back: where the credit lists' clocks then run
        from (ADR 0013); None when the act is not dated back (its effective date is)."""
        day, recorded = legal_date(meta.effective_at), legal_date(self.clock())
        return recorded if period_start(day, recorded) != day else None

    def notify_listing(
        self, organisation_id: UUID, credit_list: str, document: str, meta: Meta
    ) -> CommandResult:
        return self._credit(organisation_id, meta, "notify", credit_list, document=document)

    def lodge_objection(
        self, organisation_id: UUID, credit_list: str, grounds: str, meta: Meta
    ) -> CommandResult:
        return self._credit(organisation_id, meta, "lodge_objection", credit_list, grounds=grounds)

    def decide_objection(
        self, organisation_id: UUID, credit_list: str, upheld: bool, reason: str, meta: Meta
    ) -> CommandResult:
        return self._credit(
            organisation_id, meta, "decide_objection", credit_list, upheld=upheld, reason=reason
        )

    def _credit(
        self, organisation_id: UUID, meta: Meta, method: str, *args: Any, **kwargs: Any
    ) -> CommandResult:
        reg, replayed = self._act_on(organisation_id, meta)
        if replayed:
            return replayed
        getattr(reg, method)(*args, meta=meta, **kwargs)
        return self.commit(reg)

    def verify_rectification(self, organisation_id: UUID, meta: Meta) -> CommandResult:
        """Rectification verified (查实): removal falls due on the n-th working day after."""
        day = legal_date(meta.effective_at)
        rules = self.credit_rules(day)
        reg, replayed = self._act_on(organisation_id, meta)
        if replayed:
            return replayed
        # Counted from the day it is recorded when the verification is dated back: backdating
        # never makes a rule's deadline fall due sooner than recording on the day would
        # (ADR 0013; the manual removal route is there for an earlier removal, with a reason).
        start = period_start(day, legal_date(self.clock()))
        # Past the calendar's years the days are counted Monday–Friday and the deadline is
        # provisional; the timer recounts it once a version covers it (issue 12, ADR 0007).
        due = self.calendar.deadline(start, rules.removal_working_days)
        reg.verify_rectification(due, start, replace(meta, rule_version=rules.version))
        result = self.commit(reg)
        extra = {"removal_due": due.day.isoformat(), "calendar_version": due.calendar_version}
        return replace(result, extra={**extra, "provisional": due.provisional})

    def check_grade_eligible(self, reg: Registration, day: date, rule: RuleVersion) -> None:
        """No grade while on a credit list, with a violation found within the look-back
        (an open penalty) or under investigation (an ordered rectification not completed)."""
        if reg.credit_lists:
            lists = ", ".join(sorted(reg.credit_lists))
            raise Conflict("grade_ineligible_credit_list", f"{reg.id} is on the {lists} list")
        since = months_before(day, int(rule.parameters["violation_lookback_months"]))
        with self.lookup.db.transaction() as tx:
            rows = tx.all(
                "SELECT result, inspected_on, rectified_on FROM inspection WHERE org_id = %s",
                (str(reg.id),),
            )
        for r in rows:
            if r["result"] == "violation" and (r["inspected_on"] or "") > since.isoformat():
                raise Conflict("grade_ineligible_violation", f"violation on {r['inspected_on']}")
            if r["result"] == "rectification_ordered" and r["rectified_on"] is None:
                raise Conflict(
                    "grade_ineligible_under_investigation",
                    f"rectification ordered on {r['inspected_on']} is not completed",
                )

    def rate(
        self,
        organisation_id: UUID,
        credit: str | None,
        grade: int | None,
        grade_valid_until: date | None,
        stars: int | None,
        meta: Meta,
    ) -> CommandResult:
        """Credit rating, grade (validity and eligibility from the evaluation rule) and stars."""
        if credit is None and grade is None and stars is None:
            # A rating that rates nothing would be recorded as an empty act.
            raise InvalidInput(
                "rating_empty",
                "请至少填写信用评价、评估等级、星级中的一项 / give a credit rating, a grade or stars",
            )
        day = legal_date(meta.effective_at)
        rule = self.evaluation_rule(day)
        scheme = rule.parameters["stars"]
        if stars is not None and not scheme["min"] <= stars <= scheme["max"]:
            raise InvalidInput("stars_out_of_range", f"{stars} is outside {scheme['name']}")
        reg, replayed = self._act_on(organisation_id, meta)
        if replayed:
            return replayed
        self.rate_on(reg, credit, grade, grade_valid_until, stars, meta)
        return self.commit(reg)

    def rate_on(
        self,
        reg: Registration,
        credit: str | None,
        grade: int | None,
        grade_valid_until: date | None,
        stars: int | None,
        meta: Meta,
    ) -> None:
        """Record a rating on ``reg`` without saving it: the bureau's decision on a third-party
        evaluation saves it together with the decision (ADR 0026)."""
        day = legal_date(meta.effective_at)
        rule = self.evaluation_rule(day)
        if grade is not None:
            self.check_grade_eligible(reg, day, rule)
            check_participation(self, reg.id, "grading", meta)  # ADR 0024
            meta = replace(meta, rule_version=rule.version)
            if grade_valid_until is None:
                years = int(rule.parameters["grade_validity_years"])
                # A rating dated back keeps its full validity from the recording (ADR 0013).
                start = period_start(day, legal_date(self.clock()))
                grade_valid_until = _plus_months(start, 12 * years)
        reg.rate(meta, credit=credit, grade=grade, grade_valid_until=grade_valid_until, stars=stars)

    # ------------------------------------------------------------ the timer step

    def run_due(
        self, now: datetime | None = None, triggered_by: Actor | None = None
    ) -> list[Recorded]:
        """Record everything the credit and evaluation rules make due by ``now`` (default: the
        application's clock), each effective on the day it fell due, by the system actor with
        the rule version. Idempotent: what is recorded is no longer due, so a second run at
        the same moment records nothing. Candidates come from the county's read model; the
        aggregates decide. ``triggered_by``: the operator who asked for the run now; only
        organisations in that operator's division are decided, and the events record who
        triggered them (None: the background timer, the whole county)."""
        today = legal_date(now or self.clock())
        recorded: list[Recorded] = []
        for org_id in self._candidates(today):
            reg = self.find(UUID(org_id))
            if isinstance(reg, Registration) and self.in_run_scope(
                triggered_by, reg.village_code, today
            ):
                recorded += self._run_due_for(reg, today, triggered_by)
        return recorded

    def _candidates(self, today: date) -> list[str]:
        with self.lookup.db.transaction() as tx:
            rows = tx.all(
                "SELECT org_id FROM credit_listing WHERE left_on IS NULL UNION SELECT org_id"
                " FROM org WHERE grade IS NOT NULL AND grade_valid_until < %s",
                (today.isoformat(),),
            )
        return sorted({r["org_id"] for r in rows})

    def _recount_removal(
        self, reg: Registration, today: date, triggered_by: Actor | None
    ) -> Recorded | None:
        """A provisional removal deadline counted with another calendar version than the one
        loaded now is counted again (``RemovalDueRecomputed``) before anything falls due by
        it: a newer version (the next year's notice) may move it over a holiday. Done by the
        timer, so it happens at the first run after the new version is deployed."""
        provisional = reg.provisional_removal()
        if provisional is None or provisional[1] == self.calendar.version:
            return None
        previous, _, counted_from = provisional
        rules = self.credit_rules(counted_from)
        due = self.calendar.deadline(counted_from, rules.removal_working_days)
        # Effective from the start of the run's day, like the timer's other steps: a second
        # run the same day finds the deadline counted with the loaded version and does nothing.
        at = credit.start_of(today)
        meta = self._system_meta(reg, at, "calendar_version_added", rules.version, triggered_by)
        reg.recompute_removal(due, meta)
        return Recorded(
            reg.id,
            "removal_due_recomputed",
            credit.ABNORMAL,
            "calendar_version_added",
            today,
            rules.version,
        )

    def _run_due_for(
        self, reg: Registration, today: date, triggered_by: Actor | None
    ) -> list[Recorded]:
        rules = self.credit_rules(today)
        done: list[Recorded] = []
        if (recounted := self._recount_removal(reg, today, triggered_by)) is not None:
            done.append(recounted)
        for _ in range(MAX_STEPS):
            if (due := credit.due(reg, today, rules)) is None:
                break
            meta = self._system_meta(reg, due.effective_at, due.reason, rules.version, triggered_by)
            if due.action == "escalate":
                reg.escalate(meta)
            else:
                reg.leave_credit_list(due.credit_list, due.reason, meta)
            done.append(
                Recorded(reg.id, due.action, due.credit_list, due.reason, due.day, rules.version)
            )
        if (first_day := credit.grade_expiry(reg, today)) is not None:
            rule = self.evaluation_rule(today)
            at = credit.start_of(first_day)
            reg.expire_grade(
                self._system_meta(reg, at, "grade_expired", rule.version, triggered_by)
            )
            done.append(Recorded(reg.id, "grade_expired", None, None, first_day, rule.version))
        if done:
            try:
                self.save(reg)
            except IntegrityError:
                return []  # recorded meanwhile by another run: nothing more is due
        return done

    def _system_meta(
        self, reg: Registration, at: datetime, what: str, version: str, by: Actor | None
    ) -> Meta:
        return Meta(
            actor=system_actor(self.tier, self.jurisdiction.county.code),
            effective_at=at,
            correlation_id=f"timer:{reg.id}:{what}:{legal_date(at).isoformat()}",
            rule_version=version,
            triggered_by=by,
        )


def _plus_months(day: date, months: int) -> date:
    """``day`` plus whole months (29 February + 5 years: 28 February)."""
    return credit.months_after(day, months)
