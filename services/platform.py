"""The embedded default: all three tiers in one process, sharing one transport (in-process by
default; Kafka if configured).

Each tier still has its own event store, read model, relay and projector, exactly as in the
production topology; only the transport and the process boundary differ (ADR 0001).
"""

from __future__ import annotations

from dataclasses import dataclass

from services.county.bootstrap import BOOTSTRAP as COUNTY
from services.ledger_import.api import clean_uploads
from services.township.bootstrap import BOOTSTRAP as TOWNSHIP
from services.village.bootstrap import BOOTSTRAP as VILLAGE
from shared.capabilities.identity import secrets
from shared.infrastructure.settings import Settings
from shared.infrastructure.transport import open_transport
from shared.kernel.jurisdiction import Jurisdiction, Tier, load
from shared.tier.runtime import AppSourceReader, TierRuntime

BOOTSTRAPS = {Tier.COUNTY: COUNTY, Tier.TOWNSHIP: TOWNSHIP, Tier.VILLAGE: VILLAGE}


@dataclass
class Platform:
    settings: Settings
    jurisdiction: Jurisdiction
    tiers: dict[Tier, TierRuntime]

    @classmethod
    def build(cls, settings: Settings) -> Platform:
        jurisdiction = load(settings.jurisdiction_file)
        settings = secrets.resolve(settings)  # one secret for the three tiers (ADR 0012)
        transport = open_transport(settings)
        sources = AppSourceReader({})
        tiers = {
            tier: boot.build_runtime(settings, jurisdiction, transport, sources)
            for tier, boot in BOOTSTRAPS.items()
        }
        sources.apps.update({rt.app.name: rt.app for rt in tiers.values()})
        platform = cls(settings, jurisdiction, tiers)
        for rt in tiers.values():
            rt.embedded = platform  # a tier's API may run what needs all three (ADR 0020)
        return platform

    def start(self) -> None:
        """Catch every projector up from the stores (the truth), then run the loops; old
        ledger uploads go (only the embedded platform takes them, ADR 0020)."""
        clean_uploads(self.tiers[Tier.COUNTY])
        for rt in self.tiers.values():
            rt.projector.heal()
            rt.start()

    def drain(self) -> None:
        """Relay and project everything pending, in the caller's thread, until all are idle."""
        while True:
            before = self.positions()
            for rt in self.tiers.values():
                rt.drain()
            if self.positions() == before:
                return

    def positions(self) -> list[dict[str, int]]:
        return [rt.projector.positions() for rt in self.tiers.values()]

    def wait_until_projected(self, timeout: float = 5.0) -> None:
        """Block until every tier's projector has applied everything every store has recorded."""
        for source in self.tiers.values():
            head = source.app.recorder.max_notification_id() or 0
            for rt in self.tiers.values():
                rt.projector.wait_for(source.app.name, head, timeout)

    def stop(self) -> None:
        # Every tier's loops are told first and the shared transport wakes its waiting polls,
        # so the three tiers wind down together instead of one idle poll (0.2 s) after another.
        for rt in self.tiers.values():
            rt.request_stop()
        transports = {id(rt.transport): rt.transport for rt in self.tiers.values()}
        for transport in transports.values():
            transport.close()
        for rt in self.tiers.values():
            rt.stop()
