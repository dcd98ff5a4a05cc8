"""Service platforms (服务中心/平台/站, 孵化园): the one aggregate every tier records the same way.

The county records its service centre, a township its platform and incubators, a village its
station. The class paths below are a storage contract in all three stores (ADR 0002).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import UUID

from shared.kernel.domain import Conflict, Meta
from shared.kernel.domain import SanjiAggregate as Agg
from shared.kernel.integration.events import PlatformKind
from shared.kernel.jurisdiction import Tier

# Where each kind of platform may sit: its division's tier.
PLACEMENT: dict[PlatformKind, frozenset[Tier]] = {
    PlatformKind.COUNTY_CENTRE: frozenset({Tier.COUNTY}),
    PlatformKind.TOWNSHIP_PLATFORM: frozenset({Tier.TOWNSHIP}),
    PlatformKind.INCUBATOR: frozenset({Tier.TOWNSHIP, Tier.VILLAGE}),
    PlatformKind.VILLAGE_STATION: frozenset({Tier.VILLAGE}),
}


class ServicePlatform(Agg):
    if TYPE_CHECKING:
        division_code: str
        kind: str
        open: bool

    class Event(Agg.Event):
        ID_NAME = "platform_id"
        ABOUT_ORGANISATION = False  # the envelope carries no organisation for these

    class Opened(Event, Agg.Created):
        division_code: str
        kind: str
        name: str

        def apply(self, platform: Any) -> None:
            platform.division_code = self.division_code
            platform.kind = self.kind
            platform.open = True

    class Closed(Event):
        division_code: str
        reason: str

        def apply(self, platform: Any) -> None:
            platform.open = False

    @classmethod
    def open_in(cls, id: UUID, meta: Meta, **fields: Any) -> ServicePlatform:
        return cls._create(cls.Opened, id=id, meta=meta, **fields)

    def close(self, reason: str, meta: Meta) -> None:
        if not self.open:
            raise Conflict("platform_closed", f"platform {self.id} is already closed")
        self.trigger_event(self.Closed, division_code=self.division_code, reason=reason, meta=meta)


def platform_events(tier: str) -> dict[type, str]:
    """A tier application's ``published`` entries for its platforms."""
    return {
        ServicePlatform.Opened: f"sanji.{tier}.platform.opened.v1",
        ServicePlatform.Closed: f"sanji.{tier}.platform.closed.v1",
    }
