"""In-process transport for the embedded default and tests: one partition per topic, in memory.

It keeps Kafka's contract (ordered per key, replayable by offset, at-least-once) so that the
relay and projectors run unchanged on either — including retention: a topic keeps its last
``RETENTION`` records, as a broker keeps a bounded log, so a long-running embedded platform
does not hold every event it ever relayed in memory (a county's history is in its stores). A
consumer asking for an offset older than the log holds reads from the oldest kept; the
projector sees the gap in the sources' positions and catches up from the source store, as it
does after a restart, when this log starts empty (ADR 0001).
"""

from __future__ import annotations

import threading

from shared.infrastructure.transport.base import Record

RETENTION = 20_000  # records kept per topic; the oldest tenth goes when it is exceeded


class MemoryTransport:
    def __init__(self, retention: int | None = None) -> None:
        self._topics: dict[str, list[Record]] = {}
        self._base: dict[str, int] = {}  # offset of each topic's oldest kept record
        self._retention = retention or RETENTION
        self._changed = threading.Condition()

    def producer(self) -> MemoryProducer:
        return MemoryProducer(self)

    def consumer(self, topics: list[str]) -> MemoryConsumer:
        return MemoryConsumer(self, topics)

    def append(self, topic: str, key: str, value: bytes) -> None:
        with self._changed:
            log = self._topics.setdefault(topic, [])
            base = self._base.setdefault(topic, 0)
            log.append(Record(topic, 0, base + len(log), key.encode(), value))
            if len(log) > self._retention:
                drop = max(1, self._retention // 10)  # amortised: not a copy per append
                del log[:drop]
                self._base[topic] = base + drop
            self._changed.notify_all()

    def read(self, topic: str, offset: int, limit: int) -> list[Record]:
        with self._changed:
            log, base = self._topics.get(topic, []), self._base.get(topic, 0)
            start = max(offset, base) - base  # older than the log holds: from its oldest
            return log[start : start + limit]

    def wait(self, timeout: float) -> None:
        with self._changed:
            self._changed.wait(timeout)

    def end_offset(self, topic: str) -> int:
        with self._changed:
            return self._base.get(topic, 0) + len(self._topics.get(topic, []))

    def close(self) -> None:
        with self._changed:
            self._changed.notify_all()


class MemoryProducer:
    def __init__(self, transport: MemoryTransport) -> None:
        self._transport = transport

    def publish(self, topic: str, key: str, value: bytes) -> None:
        self._transport.append(topic, key, value)

    def flush(self) -> None:
        """Appends are synchronous: nothing is ever pending."""


class MemoryConsumer:
    def __init__(self, transport: MemoryTransport, topics: list[str], batch: int = 500) -> None:
        self._transport = transport
        self._next = {(t, 0): 0 for t in topics}
        self._batch = batch

    def assign(self, starts: dict[tuple[str, int], int]) -> None:
        for tp, offset in starts.items():
            if tp in self._next:
                # An offset past the end means the log was lost (process restart): start over;
                # tracking makes the replays no-ops and catch-up fills what the log never had.
                self._next[tp] = offset if offset <= self._transport.end_offset(tp[0]) else 0

    def _fetch(self) -> list[Record]:
        records: list[Record] = []
        for (topic, _), offset in self._next.items():
            records.extend(self._transport.read(topic, offset, self._batch))
        for r in records:
            self._next[(r.topic, r.partition)] = r.offset + 1
        return records

    def poll(self, timeout: float) -> list[Record]:
        records = self._fetch()
        if not records and timeout > 0:
            self._transport.wait(timeout)
            records = self._fetch()
        return records

    def close(self) -> None:
        pass
