"""Relay: a tier's notification log → integration events on the transport (transactional outbox).

The event store is the outbox: the relay reads it from its own recorded position, publishes,
waits for the broker's acknowledgement, and only then records the new position (ADR 0001).
Killed between publish and record, it publishes the same events again on restart; consumers
drop them by (source, position).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from shared.infrastructure.store import Database
from shared.infrastructure.transport.base import Producer
from shared.kernel.integration.envelope import topic_for

if TYPE_CHECKING:  # type only: the tier application is composed above this layer
    from shared.tier.application import TierApplication

log = logging.getLogger(__name__)


class Relay:
    def __init__(
        self,
        app: TierApplication,
        db: Database,
        producer: Callable[[], Producer],
        batch_size: int = 500,
    ) -> None:
        self.app = app
        self.db = db
        self._make_producer = producer
        self._producer: Producer | None = None
        self.batch_size = batch_size
        self.topic = topic_for(app.tier)

    @property
    def producer(self) -> Producer:
        """Connected on first publish, so a process that never relays never connects."""
        if self._producer is None:
            self._producer = self._make_producer()
        return self._producer

    @producer.setter
    def producer(self, producer: Producer) -> None:
        self._producer = producer

    def _discard_producer(self) -> None:
        """Drop a producer that failed; the next batch connects a new one. A failed producer
        may stay failed: kafka-python's idempotent producer turns fatal when a broker that
        restarted empty no longer knows its producer id, and would fail every retry."""
        producer, self._producer = self._producer, None
        close = getattr(producer, "close", None)
        if close is not None:
            with contextlib.suppress(Exception):
                close()

    def close(self) -> None:
        self._discard_producer()

    def position(self) -> int:
        with self.db.transaction() as tx:
            row = tx.one("SELECT position FROM relay_position WHERE source = %s", (self.app.name,))
        return int(row["position"]) if row else 0

    def run_once(self) -> int:
        """Publish the next batch; returns how many events were published."""
        start = self.position()
        # Stored with their events (ADR 0032): published as stored, never decoded here, and
        # read with their links in one query (select_log).
        wire = self.app.placed_envelopes(start, self.batch_size, previous_position=start)
        if not wire:
            return 0
        try:
            for _, raw in wire:
                # Key by source: one partition per source keeps its order (gap detection needs it).
                self.producer.publish(self.topic, self.app.name, raw)
            self.producer.flush()
        except Exception:
            self._discard_producer()
            raise
        previous = wire[-1][0]
        with self.db.transaction() as tx:
            tx.execute(
                "INSERT INTO relay_position (source, position) VALUES (%s, %s) "
                "ON CONFLICT (source) DO UPDATE SET position = excluded.position",
                (self.app.name, previous),
            )
        log.debug("relay %s published %d up to %d", self.app.name, len(wire), previous)
        return len(wire)
