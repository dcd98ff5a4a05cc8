"""The county's claims on unified social credit codes (统一社会信用代码): one aggregate per USCI,
its id derived from the code, created in the same save as the registration that holds it.

A USCI names one organisation for good, nationally, and is never reused. The read model learns
of a registration only once it is projected, so asking it alone let two registrations of one
code within the projection delay (or in one group commit) both through. Two claims of one code
are two ``Claimed`` events of one aggregate at version 1: the event store's version check
refuses the second atomically, with its registration, whatever the read model has seen
(ADR 0034). Event class paths are a storage contract (ADR 0002): never rename.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import NAMESPACE_URL, UUID, uuid5

from shared.kernel.domain import Meta
from shared.kernel.domain import SanjiAggregate as Agg

# A namespace of its own, so no other derived id (an idempotency key's, an account's) can
# ever equal a claim's. Fixed forever: claims already stored are found by it.
USCI_CLAIMS = uuid5(NAMESPACE_URL, "sanji:usci-claims")


def normalised(usci: str) -> str:
    """The code as a claim keys it: upper case, no surrounding blanks (the API sends it so)."""
    return usci.strip().upper()


def usci_claim_id(usci: str) -> UUID:
    """The id of the claim on ``usci``: the same for every registration of that code."""
    return uuid5(USCI_CLAIMS, normalised(usci))


class UsciClaim(Agg):
    """Which organisation holds a USCI. Created once and never changed: a code is not reused,
    so deregistration or revocation leaves the claim standing."""

    if TYPE_CHECKING:
        usci: str
        organisation_id: UUID

    class Event(Agg.Event):
        # The claim is the register's guard, not an act on the organisation's life: its
        # envelope names no organisation (its timeline shows the registration, which carries
        # the code); the holder is in the payload.
        ABOUT_ORGANISATION = False

    class Claimed(Event, Agg.Created):
        usci: str
        organisation_id: UUID
        village_code: str  # the holder's village: the envelope's division

        def apply(self, claim: Any) -> None:
            claim.usci = self.usci
            claim.organisation_id = self.organisation_id

    @classmethod
    def claim(cls, usci: str, organisation_id: UUID, village_code: str, meta: Meta) -> UsciClaim:
        return cls._create(
            cls.Claimed,
            id=usci_claim_id(usci),
            meta=meta,
            usci=normalised(usci),
            organisation_id=organisation_id,
            village_code=village_code,
        )


def claim_events() -> dict[type, str]:
    """The county's ``published`` entries for its USCI claims."""
    return {UsciClaim.Claimed: "sanji.county.usci.claimed.v1"}
