"""Kafka transport (kafka-python): the production implementation of shared.infrastructure.transport.base.

- Producer: idempotent, ``acks=all``; ``flush()`` raises if any record was not acknowledged, so
  the relay records its position only after the broker has everything (ADR 0001).
- Consumer: no consumer group. Partitions are assigned explicitly and positions come from the
  read model, so nothing depends on the broker's group state, and there is no join wait.
- A broker that lost its log (restarted empty) leaves consumers waiting at offsets the new log
  has not reached; the projector's staleness check notices the source store is ahead and
  catches up from it directly (ADR 0001), so nothing depends on the broker keeping data.
"""

from __future__ import annotations

import contextlib
import logging
import zlib
from typing import Any

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import NewTopic
from kafka.errors import TopicAlreadyExistsError

from shared.infrastructure.transport.base import Record

log = logging.getLogger(__name__)

PARTITIONS = 1  # one source per topic, keyed by source: one partition keeps its order


def ensure_topics(bootstrap: str, topics: list[str]) -> None:
    """Create the topics if missing (an init step, like the database schemas)."""
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="sanji-init")
    try:
        existing = set(admin.list_topics())
        missing = [t for t in topics if t not in existing]
        if missing:
            # Created concurrently by another init: fine.
            with contextlib.suppress(TopicAlreadyExistsError):
                admin.create_topics(
                    [NewTopic(t, num_partitions=PARTITIONS, replication_factor=1) for t in missing]
                )
    finally:
        admin.close()


class KafkaTransport:
    def __init__(self, bootstrap: str, client_id: str = "sanji", fetch_wait_ms: int = 10) -> None:
        self.bootstrap = bootstrap
        self.client_id = client_id
        self.fetch_wait_ms = fetch_wait_ms

    def producer(self) -> KafkaRecordProducer:
        return KafkaRecordProducer(self.bootstrap, self.client_id)

    def consumer(self, topics: list[str]) -> KafkaRecordConsumer:
        return KafkaRecordConsumer(self.bootstrap, topics, self.client_id, self.fetch_wait_ms)

    def close(self) -> None:
        pass


class KafkaRecordProducer:
    def __init__(self, bootstrap: str, client_id: str) -> None:
        self._producer = KafkaProducer(
            bootstrap_servers=bootstrap,
            client_id=f"{client_id}-relay",
            acks="all",
            enable_idempotence=True,
            linger_ms=5,
            retries=5,
        )
        self._pending: list[Any] = []

    def publish(self, topic: str, key: str, value: bytes) -> None:
        # The partition is chosen here, among the PARTITIONS consumers are assigned: a topic
        # auto-created by a broker that lost it (Tansu: 4 partitions) would otherwise get a
        # source's records in a partition nobody reads.
        raw = key.encode()
        partition = zlib.crc32(raw) % PARTITIONS
        self._pending.append(self._producer.send(topic, key=raw, value=value, partition=partition))

    def flush(self) -> None:
        self._producer.flush()
        pending, self._pending = self._pending, []
        for future in pending:
            future.get(timeout=30)  # raises the broker's error if this record was not acked

    def close(self) -> None:
        self._producer.close(timeout=5)  # bounded; the relay republishes what was not acked


class KafkaRecordConsumer:
    def __init__(
        self, bootstrap: str, topics: list[str], client_id: str, fetch_wait_ms: int = 10
    ) -> None:
        self._consumer = KafkaConsumer(
            bootstrap_servers=bootstrap,
            client_id=f"{client_id}-projector",
            # How long the broker may hold a fetch that has nothing to return. kafka-python's
            # default (500 ms) is what an idle projector waits for a record published just
            # after its fetch: Tansu holds the whole time instead of answering early
            # (platform notes), which was most of village → county freshness (issue 15).
            fetch_max_wait_ms=fetch_wait_ms,
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
        )
        self._partitions = [TopicPartition(t, p) for t in topics for p in range(PARTITIONS)]
        self._consumer.assign(self._partitions)
        self._consumer.seek_to_beginning()

    def assign(self, starts: dict[tuple[str, int], int]) -> None:
        # No end-offset check here: Tansu 0.6 under-reports end offsets (a 1,000-record log
        # answered 869), so "stored offset beyond the end" cannot be told from it. A broker
        # that lost its log is healed by the projector's staleness check, which compares
        # tracked positions with the source stores' heads and catches up directly.
        for tp in self._partitions:
            self._consumer.seek(tp, starts.get((tp.topic, tp.partition), 0))

    def poll(self, timeout: float) -> list[Record]:
        batches = self._consumer.poll(timeout_ms=int(timeout * 1000), max_records=500)
        records = [
            Record(m.topic, m.partition, m.offset, m.key or b"", m.value)
            for messages in batches.values()
            for m in messages
        ]
        records.sort(key=lambda r: (r.topic, r.partition, r.offset))
        return records

    def close(self) -> None:
        self._consumer.close()
