"""County funding lifecycle commands (issue 6, ADR 0011): open and close a call, apply, review
(approve → award, or reject), evaluate (A/B/C by the ``funding`` rule) and close an award, and
the programme totals reconciled with the event store. Mixed into ``CountyApplication``."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from uuid import UUID

from services.county.domain import FundingAward, Registration
from services.county.funding.budgets import ProgrammeBudget, budget_id_for
from services.county.funding.domain import (
    FINAL,
    MID_TERM,
    PURCHASE_OF_SERVICES,
    FundingApplication,
    FundingCall,
    application_id_for,
    award_id_for,
    call_id_for,
    grade_for,
)
from shared.capabilities.commendations.application import act_of_programme, check_participation
from shared.kernel import purchasers
from shared.kernel.domain import CommandResult, Conflict, InvalidInput, Meta, NotFound, legal_date
from shared.kernel.integration.events import FundingProgramme
from shared.kernel.rules import RuleVersion
from shared.tier.lookup import OrgFacts

if TYPE_CHECKING:
    from shared.tier.application import TierApplication

    _Base = TierApplication
else:
    _Base = object


def funding_events() -> dict[type, str]:
    """The county's ``published`` entries for the lifecycle's events (ADR 0002)."""
    c, a, w = (
        "sanji.county.funding_call",
        "sanji.county.funding_application",
        "sanji.county.funding",
    )
    return {
        FundingCall.Opened: f"{c}.opened.v1",
        FundingCall.Committed: f"{c}.committed.v1",
        FundingCall.Closed: f"{c}.closed.v1",
        FundingApplication.Submitted: f"{a}.submitted.v1",
        FundingApplication.Approved: f"{a}.approved.v1",
        FundingApplication.Rejected: f"{a}.rejected.v1",
        FundingAward.Evaluated: f"{w}.evaluated.v1",
        FundingAward.Closed: f"{w}.closed.v1",
        ProgrammeBudget.Set: "sanji.county.programme_budget.set.v1",
        ProgrammeBudget.Revised: "sanji.county.programme_budget.revised.v1",
    }


# Budgets from the earliest history a county brings in (issue 14) to a few years ahead.
FIRST_BUDGET_YEAR, BUDGET_YEARS_AHEAD = 2000, 5


def check_beneficiaries(name: str, value: int | None) -> None:
    """A count of people, when stated, is a whole number ≥ 0 (the API's model says so too;
    this guards the callers that do not come through it, as the ledger import)."""
    if value is not None and value < 0:
        raise InvalidInput("invalid_beneficiaries", f"{name} ({value}) 不能为负数 / is negative")


def check_purchaser(
    programme: str, purchaser: str | None, imported: bool = False, other: str | None = None
) -> None:
    """A purchase of services names the department that buys it (购买主体); no other
    programme does (ADR 0021). A project brought in from a county's ledger (``imported``,
    ADR 0020) may leave it unstated: ledgers kept before the field existed often do not say,
    and refusing the row would lose the project from the history; it is recorded as None."""
    if programme == PURCHASE_OF_SERVICES and not purchaser and not imported:
        raise InvalidInput(
            "purchaser_required",
            "政府购买服务项目须填写购买主体 / a purchase of services names the purchasing"
            " department (purchaser)",
        )
    if programme != PURCHASE_OF_SERVICES and (purchaser or other):
        raise InvalidInput(
            "purchaser_not_allowed",
            f"只有政府购买服务项目填写购买主体 / only purchase_of_services names a purchaser,"
            f" not {programme}",
        )


class Funding(_Base):
    """Calls, applications, review, direct awards, tranches paid, evaluation and closure of
    funded projects."""

    def funding_rule(self, day: date) -> RuleVersion:
        return self.rules.version_on("funding", day)  # else 409 rule_not_in_force

    # ------------------------------------------------------------ calls

    def open_call(
        self,
        programme: str,
        round: str,
        title: str,
        budget: Decimal,
        deadline: date,
        meta: Meta,
    ) -> CommandResult:
        """Open the call of a programme and round (county-wide operators); one per round."""
        county = self.jurisdiction.county.code
        self.check_jurisdiction(meta, county)
        if deadline < legal_date(meta.effective_at):
            raise InvalidInput("deadline_in_past", f"the deadline {deadline} has passed")
        call_id = call_id_for(programme, round)
        if replayed := self.replay_create(call_id, meta, "call_exists"):
            return replace(replayed, organisation_id=None)
        call = FundingCall.open(
            meta,
            division_code=county,
            programme=programme,
            round=round,
            title=title,
            budget=budget,
            deadline=deadline,
        )
        self.save(call)
        return CommandResult(call.id, call.version, None)

    def close_call(self, call_id: UUID, reason: str, meta: Meta) -> CommandResult:
        call = self.load(FundingCall, call_id, "call")
        self.check_jurisdiction(meta, call.county)
        if replayed := self.replay(call, meta):
            return replace(replayed, organisation_id=None)
        call.close(reason, meta)
        self.save(call)
        return CommandResult(call.id, call.version, None)

    # ------------------------------------------------------------ applications

    def apply_for_funding(
        self,
        call_id: UUID,
        organisation_id: UUID,
        project: str,
        requested: Decimal,
        host_organisation_id: UUID | None,
        other_government_funding: bool,
        meta: Meta,
        purchaser: str | None = None,
        beneficiaries_planned: int | None = None,
        purchaser_other: str | None = None,
    ) -> CommandResult:
        """Apply to a call: an active organisation, a filed group through an active registered
        host; no project with other government money; one application per round; a purchase
        of services names its purchasing department (a code of the ``purchasers`` list in
        force, or 其他 with the department's name: ``purchaser_other``)."""
        call = self.load(FundingCall, call_id, "call")
        check_purchaser(call.programme, purchaser, meta.imported is not None, purchaser_other)
        check_beneficiaries("beneficiaries_planned", beneficiaries_planned)
        facts = self.facts(organisation_id, meta)
        app_id = application_id_for(call_id, organisation_id)
        if replayed := self.replay_create(
            app_id, meta, "already_applied_in_round", organisation_id
        ):
            return replayed
        # After the replay: a retry of a request recorded before the purchasers list (its
        # free text) answers the original instead of being refused by the list.
        code, purchaser = purchasers.resolve(
            self.rules, purchaser, purchaser_other, legal_date(meta.effective_at)
        )
        day = legal_date(meta.effective_at)
        if other_government_funding:
            raise Conflict("double_funding", "the project already has government money")
        call.check_open(day)
        self._check_applicant(facts, host_organisation_id, day)
        check_participation(self, organisation_id, act_of_programme(call.programme), meta)
        if self.lookup.funded_in_round(organisation_id, call.programme, call.round):
            raise Conflict(
                "already_funded_in_round", f"{organisation_id} has a project in {call.round}"
            )
        application = FundingApplication.submit(
            call_id,
            organisation_id,
            meta,
            village_code=facts.village_code,
            programme=call.programme,
            round=call.round,
            project=project,
            requested=requested,
            host_organisation_id=host_organisation_id,
            other_government_funding=False,
            purchaser=purchaser,
            beneficiaries_planned=beneficiaries_planned,
            purchaser_code=code,
        )
        return self.commit(application, organisation_id)

    def _check_applicant(self, facts: OrgFacts, host_id: UUID | None, day: date) -> None:
        if not facts.active_on(day):
            raise Conflict("organisation_not_active", f"{facts.org_id} is not active")
        if facts.registered_on_day(day):
            if host_id is not None:
                raise InvalidInput("host_not_needed", "a registered organisation is paid directly")
            return
        if host_id is None:
            raise InvalidInput("host_required", "a filed group is funded through a registered host")
        host = self.lookup.get(host_id)
        if host is None or str(host_id) == facts.org_id or not host.registered_on_day(day):
            raise Conflict(
                "host_not_registered", f"{host_id} is not an active registered organisation"
            )

    # ------------------------------------------------------------ review

    def review_application(
        self,
        application_id: UUID,
        approve: bool,
        amount: Decimal | None,
        reason: str,
        meta: Meta,
    ) -> CommandResult:
        """Approve (an award of at most the amount requested, within the call's remaining
        budget, recording the organisation's status, credit and grade now and the rule
        version) or reject with a reason."""
        application = self.load(FundingApplication, application_id, "application")
        self.check_jurisdiction(meta, application.village_code)
        award_id = award_id_for(application.id)
        if replayed := self.replay(application, meta, application.organisation_id):
            return replace(replayed, extra=self._award_extra(application, award_id))
        application.check_undecided()
        if not approve:
            application.reject(reason, meta)
            return self.commit(application, application.organisation_id)
        if amount is None:
            raise InvalidInput("amount_required", "an approval states the amount awarded")
        day = legal_date(meta.effective_at)
        rule = self.funding_rule(day)
        call = self.load(FundingCall, application.call_id, "call")
        facts = self.facts(application.organisation_id, meta)
        host_id = application.host_organisation_id
        self._check_applicant(facts, host_id, day)
        snapshot = self.funding_snapshot(facts, host_id, day)
        barred = set(snapshot["credit_lists"]) & set(rule.parameters["ineligible_credit_lists"])
        if barred:
            raise Conflict("ineligible_credit_list", f"on the {', '.join(sorted(barred))} list")
        if self.lookup.funded_in_round(facts.org_id, call.programme, call.round):
            raise Conflict(
                "already_funded_in_round", f"{facts.org_id} has a project in {call.round}"
            )
        meta = replace(meta, rule_version=rule.version)
        application.approve(amount, meta)
        call.commit(application.id, award_id, amount, meta)
        award = FundingAward.award(
            award_id,
            meta,
            organisation_id=application.organisation_id,
            village_code=application.village_code,
            programme=call.programme,
            round=call.round,
            project=application.project,
            amount=amount,
            host_organisation_id=host_id,
            call_id=call.id,
            application_id=application.id,
            snapshot=snapshot,
            purchaser=application.purchaser,
            beneficiaries_planned=application.beneficiaries_planned,
            purchaser_code=application.purchaser_code,
        )
        self.save(application, call, award)
        result = CommandResult(application.id, application.version, application.organisation_id)
        return replace(result, extra=self._award_extra(application, award_id))

    @staticmethod
    def _award_extra(application: FundingApplication, award_id: UUID) -> dict[str, Any]:
        return {"award_id": award_id} if application.state == "approved" else {}

    def funding_snapshot(self, facts: OrgFacts, host_id: UUID | None, day: date) -> dict[str, Any]:
        """What the county knows of the organisation on ``day``: status, credit rating, a grade
        still valid and the credit lists it is on (read model, and the registration itself)."""
        org_id = facts.org_id
        with self.lookup.db.transaction() as tx:
            row = tx.one(
                "SELECT credit, grade, grade_valid_until FROM org WHERE org_id = %s", (org_id,)
            )
            listed = tx.all(
                "SELECT credit_list FROM credit_listing WHERE org_id = %s AND left_on IS NULL",
                (org_id,),
            )
        lists = {r["credit_list"] for r in listed}
        reg = self.find(UUID(org_id))
        if isinstance(reg, Registration):
            lists |= reg.credit_lists  # its own facts: no projection lag
        valid = row and row["grade"] and (row["grade_valid_until"] or "") >= day.isoformat()
        host = self.lookup.get(host_id) if host_id else None
        return {
            "status": "registered" if facts.registered_on_day(day) else "filed",
            "credit": row["credit"] if row else None,
            "grade": int(row["grade"]) if row and valid else None,
            "grade_valid_until": row["grade_valid_until"] if row and valid else None,
            "credit_lists": sorted(lists),
            "host_status": ("registered" if host.registered_on_day(day) else "other")
            if host
            else None,
        }

    # ------------------------------------------------------------ direct awards and tranches

    def disburse(self, award_id: UUID, tranche: str, amount: Decimal, meta: Meta) -> CommandResult:
        """Pay a tranche of an award (拨付)."""
        award = self.load(FundingAward, award_id, "award")
        self.check_jurisdiction(meta, award.village_code)
        if replayed := self.replay(award, meta, award.organisation_id):
            return replayed
        award.disburse(tranche, amount, meta)
        return self.commit(award, award.organisation_id)

    def award_funding(
        self,
        organisation_id: UUID,
        programme: str,
        round: str,
        project: str,
        amount: Decimal,
        host_organisation_id: UUID | None,
        meta: Meta,
        purchaser: str | None = None,
        beneficiaries_planned: int | None = None,
        purchaser_other: str | None = None,
    ) -> CommandResult:
        """Award a project; one project per organisation per round; filed groups via a host;
        a purchase of services names its purchasing department (as ``submit_application``)."""
        check_purchaser(programme, purchaser, meta.imported is not None, purchaser_other)
        check_beneficiaries("beneficiaries_planned", beneficiaries_planned)
        facts = self.facts(organisation_id, meta)
        today = legal_date(meta.effective_at)
        if not facts.active_on(today):
            raise Conflict("organisation_not_active", f"{organisation_id} is not active")
        if not facts.registered_on_day(today):
            host = self.lookup.get(host_organisation_id) if host_organisation_id else None
            if host is None or not host.registered_on_day(today):
                raise InvalidInput(
                    "host_required", "a filed group is funded through an active registered host"
                )
        award_id, replayed = self.create_id(meta, organisation_id)
        if replayed:
            return replayed
        # After the replay, as in ``apply_for_funding``.
        code, purchaser = purchasers.resolve(
            self.rules, purchaser, purchaser_other, legal_date(meta.effective_at)
        )
        # After the replay and the input's checks, as in ``apply_for_funding`` (ADR 0024).
        check_participation(self, organisation_id, act_of_programme(programme), meta)
        if self.lookup.funded_in_round(organisation_id, programme, round):
            raise Conflict("already_funded_in_round", f"{organisation_id} has a project in {round}")
        award = FundingAward.award(
            award_id,
            meta,
            organisation_id=organisation_id,
            village_code=facts.village_code,
            programme=programme,
            round=round,
            project=project,
            amount=amount,
            host_organisation_id=host_organisation_id,
            purchaser=purchaser,
            beneficiaries_planned=beneficiaries_planned,
            purchaser_code=code,
        )
        return self.commit(award, organisation_id)

    # ------------------------------------------------------------ evaluation and closure

    def evaluate_award(
        self, award_id: UUID, stage: str, score: Decimal, comment: str, meta: Meta
    ) -> CommandResult:
        """Mid-term or final evaluation: the grade comes from the ``funding`` rule in force."""
        if stage not in (MID_TERM, FINAL):
            raise InvalidInput("unknown_stage", f"{stage!r} is not mid_term or final")
        rule = self.funding_rule(legal_date(meta.effective_at))
        if not 0 <= score <= Decimal(str(rule.parameters["max_score"])):
            raise InvalidInput(
                "score_out_of_range", f"{score} is outside 0–{rule.parameters['max_score']}"
            )
        award = self._award(award_id, meta)
        if replayed := self.replay(award, meta, award.organisation_id):
            return replayed
        self.evaluate_on(award, stage, score, comment, meta)
        return self.commit(award, award.organisation_id)

    def evaluate_on(
        self, award: FundingAward, stage: str, score: Decimal, comment: str, meta: Meta
    ) -> None:
        """Record an evaluation on ``award`` without saving it: the bureau's decision on a
        third-party evaluation saves it together with the decision (ADR 0026)."""
        rule = self.funding_rule(legal_date(meta.effective_at))
        meta = replace(meta, rule_version=rule.version)
        award.evaluate(stage, score, grade_for(score, rule), comment, meta)

    def close_award(
        self,
        award_id: UUID,
        reason: str,
        meta: Meta,
        beneficiaries_reached: int | None = None,
    ) -> CommandResult:
        """Close a project after its final evaluation: no tranche after it; the beneficiaries
        it reached are stated here (ADR 0021)."""
        check_beneficiaries("beneficiaries_reached", beneficiaries_reached)
        award = self._award(award_id, meta)
        if replayed := self.replay(award, meta, award.organisation_id):
            return replayed
        award.close(reason, meta, beneficiaries_reached)
        return self.commit(award, award.organisation_id)

    # ------------------------------------------------------------ yearly budgets

    def set_programme_budget(
        self, programme: str, year: int, amount: Decimal, meta: Meta
    ) -> CommandResult:
        """A programme's budget for a year at the county (county-wide operators); setting it
        again revises it (ADR 0021). 422 ``unknown_programme``, ``budget_year_out_of_range``,
        ``invalid_amount``."""
        if programme not in {str(p) for p in FundingProgramme}:
            raise InvalidInput(
                "unknown_programme",
                f"未知的资金项目类别 {programme[:40]!r} / unknown programme; one of "
                + ", ".join(str(p) for p in FundingProgramme),
            )
        last = self.clock().year + BUDGET_YEARS_AHEAD
        if not FIRST_BUDGET_YEAR <= year <= last:
            raise InvalidInput(
                "budget_year_out_of_range",
                f"预算年度须在 {FIRST_BUDGET_YEAR}–{last} 之间 / the year must be within"
                f" {FIRST_BUDGET_YEAR}–{last}",
            )
        if amount < 0:
            raise InvalidInput(
                "invalid_amount", f"预算不能为负数 / a budget ({amount}) is negative"
            )
        county = self.jurisdiction.county.code
        self.check_jurisdiction(meta, county)
        existing = self.find(budget_id_for(programme, year))
        if isinstance(existing, ProgrammeBudget):
            if (version := existing.replayed_version(meta)) is not None:
                return CommandResult(existing.id, version, None, replayed=True)
            existing.revise(amount, meta)
            self.save(existing)
            return CommandResult(existing.id, existing.version, None)
        budget = ProgrammeBudget.set_for(meta, county, programme, year, amount)
        self.save(budget)
        return CommandResult(budget.id, budget.version, None)

    def _award(self, award_id: UUID, meta: Meta) -> FundingAward:
        award = self.load(FundingAward, award_id, "award")
        self.check_jurisdiction(meta, award.village_code)
        return award

    # ------------------------------------------------------------ reconciliation

    def funding_ledger(self, programme: str, round: str, award_ids: list[str]) -> dict[str, Any]:
        """The event store's own totals for a programme and round: the call's committed budget
        and, per award the read model lists plus every award the call committed to, the
        amount and the Σ of its tranches (the aggregates, not the read model)."""
        call = self.find(call_id_for(programme, round))
        ids = {UUID(a) for a in award_ids}
        if isinstance(call, FundingCall):
            ids |= set(call.awards)
        awarded = disbursed = Decimal(0)
        for award_id in ids:
            award = self.find(award_id)
            if not isinstance(award, FundingAward):
                raise NotFound("unknown_award", f"no award {award_id}")
            awarded += award.amount
            disbursed += award.disbursed
        committed = call.committed if isinstance(call, FundingCall) else None
        return {
            "awards": len(ids),
            "awarded": awarded,
            "disbursed": disbursed,
            "committed": committed,
        }
