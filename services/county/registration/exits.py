"""The county's part of zombie exit (ADR 0009): registered organisations are revoked or
deregistered, and reinstated when an exit is reversed. Mixed into ``CountyApplication``."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from services.county.domain import Registration
from shared.capabilities.exits.application import ZombieExit
from shared.kernel.domain import Conflict, Meta


class CountyExit(ZombieExit):
    exit_kind = "registered"

    def exit_target(self, organisation_id: UUID, day: date) -> Registration:
        reg = self.load(Registration, organisation_id, "organisation")
        if reg.status != "registered":
            raise Conflict("organisation_not_active", f"{organisation_id} is {reg.status}")
        return reg

    def exit_active(self, target: Any) -> bool:
        return isinstance(target, Registration) and target.status == "registered"

    def apply_exit(self, target: Any, outcome: str, reason: str, meta: Meta) -> None:
        (target.deregister if outcome == "deregister" else target.revoke)(reason, meta)

    def reinstate(self, target: Any, reason: str, meta: Meta) -> None:
        target.reinstate(reason, meta)
