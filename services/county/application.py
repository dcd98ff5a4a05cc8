"""County tier application: commands of the civil-affairs bureau (民政局)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any, ClassVar
from uuid import NAMESPACE_URL, UUID, uuid5

from services.county.domain import DivisionHistory, FundingAward, Registration
from services.county.exits import CountyExit
from services.county.funding.application import Funding, funding_events
from services.county.supervision.application import Supervision
from shared.capabilities.approvals.domain import approval_events
from shared.capabilities.divisions.history import Change, check_next
from shared.capabilities.exits.domain import exit_events
from shared.capabilities.identity.accounts import account_events
from shared.capabilities.ledger.domain import ledger_events
from shared.capabilities.platforms.domain import platform_events
from shared.capabilities.sampling.domain import sampling_events
from shared.kernel.domain import CommandResult, Conflict, InvalidInput, Meta, legal_date
from shared.kernel.integration.events import PlatformKind
from shared.kernel.jurisdiction import Tier
from shared.kernel.usci import USCIError, civil_affairs_legal_form
from shared.tier.application import TierApplication


class CountyApplication(Supervision, CountyExit, Funding, TierApplication):
    name = "county"
    tier = Tier.COUNTY
    published: ClassVar[dict[type, str]] = {
        Registration.Registered: "sanji.county.organisation.registered.v1",
        Registration.CharterApproved: "sanji.county.charter.approved.v1",
        Registration.PartyOrganisationSetUp: "sanji.county.party_organisation.set_up.v1",
        Registration.AnnualReportFiled: "sanji.county.annual_report.filed.v1",
        Registration.Rated: "sanji.county.rating.recorded.v1",
        Registration.Deregistered: "sanji.county.organisation.deregistered.v1",
        Registration.Revoked: "sanji.county.organisation.revoked.v1",
        FundingAward.Awarded: "sanji.county.funding.awarded.v1",
        FundingAward.Disbursed: "sanji.county.funding.disbursed.v1",
        Registration.CreditListEntered: "sanji.county.credit_list.entered.v1",
        Registration.CreditListLeft: "sanji.county.credit_list.left.v1",
        Registration.CreditListTriggered: "sanji.county.credit_list.triggered.v1",
        Registration.CreditListNotified: "sanji.county.credit_list.notified.v1",
        Registration.CreditObjectionLodged: "sanji.county.credit_list.objection_lodged.v1",
        Registration.CreditObjectionDecided: "sanji.county.credit_list.objection_decided.v1",
        Registration.RectificationVerified: "sanji.county.credit_list.rectification_verified.v1",
        Registration.RemovalDueRecomputed: "sanji.county.credit_list.removal_due_recomputed.v1",
        Registration.GradeExpired: "sanji.county.grade.expired.v1",
        DivisionHistory.Started: "sanji.county.division.changed.v1",
        DivisionHistory.Changed: "sanji.county.division.changed.v1",
        **funding_events(),
        **platform_events("county"),
        **ledger_events("county"),
        **account_events("county"),
        **approval_events(Tier.COUNTY),
        Registration.Reinstated: "sanji.county.organisation.reinstated.v1",
        **exit_events("county"),
        **sampling_events("county"),
    }
    platform_kinds = frozenset({PlatformKind.COUNTY_CENTRE})

    def register(
        self,
        usci: str,
        name: str,
        field: str,
        village_code: str | None,
        organisation_id: UUID | None,
        meta: Meta,
        category: str = "general",
    ) -> CommandResult:
        """Register an organisation: new, or the upgrade of a filed group (identities linked)."""
        try:
            legal_form = civil_affairs_legal_form(usci)
        except USCIError as e:
            raise InvalidInput(e.code, str(e)) from None
        if organisation_id is not None:
            facts = self.facts(organisation_id, meta)
            village_code = facts.village_code
            if (
                not facts.filed_on_day(legal_date(meta.effective_at))
                and self.find(organisation_id) is None
            ):
                raise Conflict("not_filed", f"{organisation_id} is not an active filed group")
        elif (
            village_code is None
            or self.division_in_force(village_code, meta).tier is not Tier.VILLAGE
        ):
            raise InvalidInput("unknown_division", f"{village_code} is not a village/community")
        self.check_jurisdiction(meta, village_code)
        if organisation_id is not None:
            reg_id = organisation_id
            replayed = self.replay_create(reg_id, meta, "already_registered")
        else:
            reg_id, replayed = self.create_id(meta)
        if replayed:
            return replayed
        if self.lookup.usci_holder(usci) is not None:
            raise Conflict("usci_already_registered", f"{usci} is already registered")
        reg = Registration.register(
            reg_id,
            meta,
            village_code=village_code,
            usci=usci,
            name=name,
            legal_form=str(legal_form),
            field=field,
            upgraded_from_filing=organisation_id is not None,
            category=category,
        )
        return self.commit(reg)

    def _act(self, organisation_id: UUID, meta: Meta, method: str, **kwargs: Any) -> CommandResult:
        """Load → jurisdiction → idempotent replay → command → save, for registered organisations."""
        reg = self.load(Registration, organisation_id, "organisation")
        self.check_jurisdiction(meta, reg.village_code)
        if replayed := self.replay(reg, meta):
            return replayed
        getattr(reg, method)(meta=meta, **kwargs)
        return self.commit(reg)

    def approve_charter(
        self, organisation_id: UUID, party_clause: bool, integrity_clause: bool, meta: Meta
    ) -> CommandResult:
        return self._act(
            organisation_id,
            meta,
            "approve_charter",
            party_clause=party_clause,
            integrity_clause=integrity_clause,
        )

    def set_up_party_organisation(
        self, organisation_id: UUID, kind: str, meta: Meta
    ) -> CommandResult:
        return self._act(organisation_id, meta, "set_up_party_organisation", kind=kind)

    def file_annual_report(self, organisation_id: UUID, year: int, meta: Meta) -> CommandResult:
        if year > legal_date(self.clock()).year:
            raise InvalidInput("date_in_future", f"annual report year {year} is in the future")
        return self._act(organisation_id, meta, "file_annual_report", year=year)

    def deregister(self, organisation_id: UUID, reason: str, meta: Meta) -> CommandResult:
        return self._act(organisation_id, meta, "deregister", reason=reason)

    def revoke(self, organisation_id: UUID, reason: str, meta: Meta) -> CommandResult:
        return self._act(organisation_id, meta, "revoke", reason=reason)

    def enter_credit_list(
        self, organisation_id: UUID, credit_list: str, reason: str, meta: Meta
    ) -> CommandResult:
        """Put on a list by decision (no reason code; for a trigger see record_credit_trigger)."""
        return self._act(
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
        return self._act(
            organisation_id, meta, "leave_credit_list", credit_list=credit_list, reason=reason
        )

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
    ) -> CommandResult:
        """Award a project; one project per organisation per round; filed groups via a host."""
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
        )
        return self.commit(award, organisation_id)

    # ------------------------------------------------------------ division history

    def division_history_id(self) -> UUID:
        return uuid5(NAMESPACE_URL, f"sanji:division-history:{self.jurisdiction.county.code}")

    def division_changes(self) -> list[Change]:
        """The county's recorded division changes, in order (its own facts, not a read model)."""
        history = self.find(self.division_history_id())
        if history is None:
            return []
        return [
            Change.of(c, date.fromisoformat(c["effective_on"]), c["sequence"])
            for c in history.changes
        ]

    def change_division(self, change: Change, meta: Meta) -> CommandResult:
        """Record one change of the division tree (ADR 0005), in force from ``effective_on``;
        only a county operator of this county, and only a change the tree then allows."""
        county = self.jurisdiction.county.code
        self.check_jurisdiction(meta, county)  # the operator's division contains the county
        for code in (change.code, *change.merged, *(n.code for n in change.created)):
            self.check_jurisdiction(meta, code)
        history = self.find(self.division_history_id())
        if history is not None and (replayed := self.replay(history, meta)):
            return CommandResult(replayed.id, replayed.version, None, replayed=True)
        change = replace(change, effective_on=legal_date(meta.effective_at))
        check_next(self.jurisdiction, self.division_changes(), change)
        fields = change.fields()
        if history is None:
            history = DivisionHistory.start(
                self.division_history_id(), meta, division_code=county, **fields
            )
        else:
            assert isinstance(history, DivisionHistory)
            history.record(meta, division_code=county, **fields)
        self.save(history)
        return CommandResult(history.id, history.version, None)
