"""Township tier application: commands of township (乡镇/街道) operators."""

from __future__ import annotations

from typing import ClassVar
from uuid import UUID

from services.township.domain import Filing, Inspection
from services.township.exits import TownshipExit
from shared.capabilities.approvals.domain import approval_events
from shared.capabilities.commendations.domain import commendation_events
from shared.capabilities.exits.domain import exit_events
from shared.capabilities.identity.accounts import account_events
from shared.capabilities.ledger.domain import ledger_events
from shared.capabilities.platforms.domain import platform_events
from shared.capabilities.sampling.application import check_inspection
from shared.capabilities.sampling.domain import sampling_events
from shared.capabilities.training.domain import training_events
from shared.kernel.domain import CommandResult, Conflict, InvalidInput, Meta, legal_date
from shared.kernel.integration.events import PlatformKind
from shared.kernel.jurisdiction import Tier
from shared.tier.application import TierApplication


class TownshipApplication(TownshipExit, TierApplication):
    name = "township"
    tier = Tier.TOWNSHIP
    published: ClassVar[dict[type, str]] = {
        Filing.Filed: "sanji.township.filing.filed.v1",
        Filing.Rejected: "sanji.township.filing.rejected.v1",
        Filing.CharterApproved: "sanji.township.charter.approved.v1",
        Filing.Cancelled: "sanji.township.filing.cancelled.v1",
        Inspection.Recorded: "sanji.township.inspection.recorded.v1",
        Inspection.RectificationCompleted: "sanji.township.rectification.completed.v1",
        **platform_events("township"),
        **ledger_events("township"),
        **account_events("township"),
        **approval_events(Tier.TOWNSHIP),
        Filing.Reinstated: "sanji.township.filing.reinstated.v1",
        **exit_events("township"),
        **sampling_events("township"),
        **training_events("township"),
        **commendation_events("township"),
    }
    platform_kinds = frozenset({PlatformKind.TOWNSHIP_PLATFORM, PlatformKind.INCUBATOR})

    def decide_filing(
        self, organisation_id: UUID, filed: bool, reason: str, meta: Meta
    ) -> CommandResult:
        """File (备案) a group that applied at its village, or reject it with a reason."""
        facts = self.facts(organisation_id, meta)
        if replayed := self.replay_create(organisation_id, meta, "already_decided"):
            return replayed
        if facts.applied_on is None:
            raise Conflict("no_application", f"{organisation_id} has no filing application")
        day = legal_date(meta.effective_at)
        if day.isoformat() < facts.applied_on:
            raise Conflict(
                "decision_before_application",
                f"备案决定日期 {day} 早于申请日期 {facts.applied_on} / decided on {day}, before "
                f"the application on {facts.applied_on}",
            )
        if filed:
            number = f"BA{facts.village_code}{organisation_id.hex[:6].upper()}"
            name, field = self._profile(organisation_id)
            filing = Filing.file(organisation_id, facts.village_code, number, name, field, meta)
        else:
            if not reason.strip():
                raise InvalidInput("reason_required", "a rejection needs a reason")
            filing = Filing.reject(organisation_id, facts.village_code, reason, meta)
        return self.commit(filing)

    def _profile(self, organisation_id: UUID) -> tuple[str, str]:
        with self.lookup.db.transaction() as tx:
            row = tx.one("SELECT name, field FROM org WHERE org_id = %s", (str(organisation_id),))
        assert row is not None
        return row["name"], row["field"]

    def approve_charter(
        self, organisation_id: UUID, party_clause: bool, integrity_clause: bool, meta: Meta
    ) -> CommandResult:
        """Approve the charter of a filed group (registered ones: the county)."""
        facts = self.facts(organisation_id, meta)
        filing = self.load(Filing, organisation_id, "filing")
        if replayed := self.replay(filing, meta):
            return replayed
        if facts.ever_registered:
            raise Conflict("registered_by_county", "the county approves registered charters")
        filing.approve_charter(party_clause, integrity_clause, meta)
        return self.commit(filing)

    def cancel_filing(self, organisation_id: UUID, reason: str, meta: Meta) -> CommandResult:
        """Exit of a filed group: cancel its filing (注销备案)."""
        facts = self.facts(organisation_id, meta)
        filing = self.load(Filing, organisation_id, "filing")
        if replayed := self.replay(filing, meta):
            return replayed
        if facts.registered_on_day(legal_date(self.clock())):
            raise Conflict("registered_by_county", "a registered organisation exits at the county")
        filing.cancel(reason, meta)
        return self.commit(filing)

    def record_inspection(
        self,
        organisation_id: UUID,
        result: str,
        findings: str,
        inspectors: list[str],
        meta: Meta,
        draw_id: UUID | None = None,
    ) -> CommandResult:
        """Record a spot check (抽查) of an active organisation in the township, by at least
        the sampling rule's number of inspectors, fulfilling ``draw_id`` if given (ADR 0010)."""
        facts = self.facts(organisation_id, meta)
        if not facts.active_on(legal_date(meta.effective_at)):
            raise Conflict("organisation_not_active", f"{organisation_id} is not active")
        inspection_id, replayed = self.create_id(meta, organisation_id)
        if replayed:
            return replayed
        meta = check_inspection(self, organisation_id, inspectors, draw_id, meta)
        inspection = Inspection.record(
            inspection_id,
            meta,
            organisation_id=organisation_id,
            village_code=facts.village_code,
            result=result,
            findings=findings,
            inspectors=inspectors,
            draw_id=draw_id,
        )
        return self.commit(inspection, organisation_id)

    def complete_rectification(self, inspection_id: UUID, meta: Meta) -> CommandResult:
        """The rectification an inspection ordered is complete (verified on site)."""
        inspection = self.load(Inspection, inspection_id, "inspection")
        self.check_jurisdiction(meta, inspection.village_code)
        if replayed := self.replay(inspection, meta, inspection.organisation_id):
            return replayed
        inspection.complete_rectification(meta)
        return self.commit(inspection, inspection.organisation_id)
