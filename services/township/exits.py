"""The township's part of zombie exit (ADR 0009): filed groups (not registered) have their
filing cancelled, and restored when an exit is reversed. Mixed into ``TownshipApplication``."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from services.township.domain import Filing
from shared.capabilities.exits.application import ZombieExit
from shared.kernel.domain import Conflict, Meta


class TownshipExit(ZombieExit):
    exit_kind = "filed"

    def exit_target(self, organisation_id: UUID, day: date) -> Filing:
        filing = self.load(Filing, organisation_id, "filing")
        facts = self.lookup.get(organisation_id)
        if facts is not None and facts.registered_on_day(day):
            raise Conflict("registered_by_county", "a registered organisation exits at the county")
        if filing.status != "filed":
            raise Conflict("organisation_not_active", f"{organisation_id} is {filing.status}")
        return filing

    def exit_active(self, target: Any) -> bool:
        if not isinstance(target, Filing) or target.status != "filed":
            return False
        facts = self.lookup.get(target.id)
        return facts is None or facts.registered_on is None

    def apply_exit(self, target: Any, outcome: str, reason: str, meta: Meta) -> None:
        target.cancel(reason, meta)

    def reinstate(self, target: Any, reason: str, meta: Meta) -> None:
        target.reinstate(reason, meta)
