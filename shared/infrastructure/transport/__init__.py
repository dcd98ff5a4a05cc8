"""Transports between tiers; which one runs is configuration (``SANJI_TRANSPORT``)."""

from __future__ import annotations

from shared.infrastructure.settings import Settings
from shared.infrastructure.transport.base import Transport


def open_transport(settings: Settings) -> Transport:
    if settings.transport == "kafka":
        from shared.infrastructure.transport.kafka import KafkaTransport

        return KafkaTransport(settings.kafka_bootstrap, fetch_wait_ms=settings.kafka_fetch_wait_ms)
    from shared.infrastructure.transport.memory import MemoryTransport

    return MemoryTransport()
