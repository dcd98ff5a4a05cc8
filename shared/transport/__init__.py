"""Transports between tiers; which one runs is configuration (``SANJI_TRANSPORT``)."""

from __future__ import annotations

from shared.settings import Settings
from shared.transport.base import Transport


def open_transport(settings: Settings) -> Transport:
    if settings.transport == "kafka":
        from shared.transport.kafka import KafkaTransport

        return KafkaTransport(settings.kafka_bootstrap)
    from shared.transport.memory import MemoryTransport

    return MemoryTransport()
