"""Registration of social organisations at the county (登记): register (new, or the upgrade of a
filed group), charter, party organisation, annual reports, deregistration and revocation of the
``Registration`` aggregate (``services/county/domain.py``). Mixed into ``CountyApplication``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from services.county.domain import Registration
from services.county.registration.claims import UsciClaim, usci_claim_id
from shared.kernel.domain import CommandResult, Conflict, InvalidInput, Meta, legal_date
from shared.kernel.jurisdiction import Tier
from shared.kernel.usci import USCIError, civil_affairs_legal_form

if TYPE_CHECKING:
    from shared.tier.application import TierApplication

    _Base = TierApplication
else:
    _Base = object


class Registrations(_Base):
    """Commands on registered organisations (their zombie exit: ``registration.exits``)."""

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
        upgrade = organisation_id is not None
        if organisation_id is not None:
            reg_id = organisation_id
            replayed = self.replay_create(reg_id, meta, "already_registered")
        else:
            reg_id, replayed = self.create_id(meta)
        if replayed:
            return replayed
        # The claim in this county's store is authoritative and current; the read model is
        # kept for organisations registered before claims were (ADR 0034).
        claimed = self.find(usci_claim_id(usci)) is not None
        if claimed or self.lookup.usci_holder(usci) is not None:
            raise _usci_taken(usci)
        reg = Registration.register(
            reg_id,
            meta,
            village_code=village_code,
            usci=usci,
            name=name,
            legal_form=str(legal_form),
            field=field,
            upgraded_from_filing=upgrade,
            category=category,
        )
        claim = UsciClaim.claim(usci, reg_id, village_code, meta)
        try:
            self.save(reg, claim)  # one transaction: both stored, or neither
        except IntegrityError:
            # A concurrent command stored one of the two first (in this process's group commit
            # or another process): nothing of this one was stored. Answer what the store now
            # says, not a bare "concurrent change": this very request's result if it was its
            # retry, else the refusal the checks above would give now.
            replayed = self.replay_create(
                reg_id, meta, "already_registered" if upgrade else "idempotency_key_reused"
            )
            if replayed:
                return replayed
            if self.find(claim.id) is not None:
                raise _usci_taken(usci) from None
            raise
        return CommandResult(reg.id, reg.version, reg.id)

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


def _usci_taken(usci: str) -> Conflict:
    return Conflict("usci_already_registered", f"{usci} is already registered")
