"""County tier application: commands of the civil-affairs bureau (民政局), one mixin per county
package: registration (``registration/``: registering and acting on registered organisations,
and their zombie exit), supervision (``supervision/``: credit lists, rectification, grades,
the timer step) and funding (``funding/``: calls to closure, awards and tranches). What is the
county's own stays here: the events it publishes and the division history (ADR 0005)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import ClassVar
from uuid import NAMESPACE_URL, UUID, uuid5

from services.county.domain import DivisionHistory, FundingAward, Registration
from services.county.evaluation.application import Evaluations
from services.county.funding.application import Funding, funding_events
from services.county.registration.application import Registrations
from services.county.registration.claims import claim_events
from services.county.registration.exits import CountyExit
from services.county.supervision.application import Supervision
from shared.capabilities.approvals.domain import approval_events
from shared.capabilities.commendations.domain import commendation_events
from shared.capabilities.divisions.history import Change, check_next
from shared.capabilities.evaluation.domain import evaluation_events
from shared.capabilities.exits.domain import exit_events
from shared.capabilities.identity.accounts import account_events
from shared.capabilities.ledger.domain import ledger_events
from shared.capabilities.platforms.domain import platform_events
from shared.capabilities.sampling.domain import sampling_events
from shared.capabilities.training.domain import training_events
from shared.kernel.domain import CommandResult, Meta, legal_date
from shared.kernel.integration.events import PlatformKind
from shared.kernel.jurisdiction import Tier
from shared.tier.application import TierApplication


class CountyApplication(
    Registrations, Supervision, CountyExit, Funding, Evaluations, TierApplication
):
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
        **training_events("county"),
        **commendation_events("county"),
        **evaluation_events(),
        **claim_events(),
    }
    platform_kinds = frozenset({PlatformKind.COUNTY_CENTRE})

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
